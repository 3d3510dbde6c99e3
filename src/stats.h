/* stats.h - the counters of a mount, as text lines: printed by -d at
 * exit and logged on SIGUSR1 (smbfuse(8), "COUNTERS"). */
#ifndef SF_STATS_H
#define SF_STATS_H

#include "fuse/ops.h"
#include "net/client.h"

typedef void (*sf_stats_line_fn)(const char *line, void *user);

/* One call of line() per line, each starting "smbfuse: AREA:". */
void sf_stats_emit(const struct sf_client *cl, const struct sf_fuse *f, sf_stats_line_fn line,
                   void *user);

#endif
