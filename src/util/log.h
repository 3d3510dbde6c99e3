/* log.h - where smbfuse's messages go.
 *
 * In the foreground (and until the daemon detaches) they go to stderr.
 * Detached, stderr is /dev/null, so they go to the journal when journald
 * listens, else to syslog when /dev/log exists, else appended to a file:
 * /var/log/smbfuse.log for root, $XDG_STATE_HOME/smbfuse.log (default
 * ~/.local/state) for other users (smbfuse(8) names them).
 *
 * Debug and info messages are written only for the areas asked for with
 * debug=AREA[:AREA...] (an area is a log domain without its "smbfuse-"
 * prefix: conn, session, tree, req, handle, pool, fs, fuse, client; "all"
 * is every one, the main program's included). */
#ifndef SF_UTIL_LOG_H
#define SF_UTIL_LOG_H

#include <stdbool.h>

/* The areas debug= accepts, NULL-terminated. */
extern const char *const sf_log_areas[];
/* Whether s ("conn:fs", "all") names known areas only. */
bool sf_log_areas_valid(const char *s);

void sf_log_init(const char *prog);
/* NULL: no debug output; "all"; or a ':'-separated list of areas. */
void sf_log_set_debug(const char *areas);
/* The daemon detached: send messages to the journal, syslog or the file. */
void sf_log_detach(void);
/* The file used when neither journald nor syslog listens (g_free). */
char *sf_log_file_path(void);

#endif
