/* opts.h - command line and -o options, named as mount.cifs names them. */
#ifndef SF_OPTS_H
#define SF_OPTS_H

#include "auth/creds.h"
#include "auth/mech.h"

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum sf_cache_mode { SF_CACHE_STRICT, SF_CACHE_LOOSE, SF_CACHE_NONE };

struct sf_config {
	char *unc; /* as given */
	char *host;
	uint16_t port;
	char *share;
	char *mountpoint;
	struct sf_creds *creds;
	uint16_t min_dialect, max_dialect;
	enum sf_auth_kind auth;
	bool nosign, seal;
	uid_t uid;
	gid_t gid;
	bool forceuid, forcegid;
	mode_t file_mode, dir_mode;
	bool ro;
	enum sf_cache_mode cache;
	double actimeo, acregmax, acdirmax;
	uint32_t rsize, wsize;
	unsigned echo_interval;
	bool hard;
	bool nodfs, mfsymlinks, mapposix, nobrl, serverino;
	bool allow_other, default_permissions;
	bool foreground, debug;
	char *debug_list;
	unsigned timeout_s;
};

struct sf_config *sf_config_new(void);
void sf_config_free(struct sf_config *c);
/* Parse argv (after the program name). Errors are one line in err. */
bool sf_config_parse(struct sf_config *c, int argc, char **argv, GError **err);
/* Apply one comma-separated -o list. */
bool sf_config_parse_opts(struct sf_config *c, const char *opts, GError **err);
/* //server[:port]/share or \\server\share, IPv6 as [addr]. */
bool sf_config_parse_unc(struct sf_config *c, const char *unc, GError **err);

#endif
