/* opts.h - command line and -o options, named as mount.cifs names them.
 *
 * Every option smbfuse knows of is one row of a table (sf_opts_table):
 * IMPLEMENTED (parsed into sf_config and read by the daemon), NOOP
 * (accepted because it means nothing for a FUSE client; the row says
 * why) or REFUSED (an error naming the option). An option in no row is
 * an error too. man/smbfuse.8 lists the same rows; a unit test holds
 * the two together. */
#ifndef SF_OPTS_H
#define SF_OPTS_H

#include "auth/creds.h"
#include "auth/mech.h"

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum sf_cache_mode { SF_CACHE_STRICT, SF_CACHE_NONE, SF_CACHE_LOOSE };

struct sf_config {
	char *unc; /* as given */
	char *host;
	char *addr; /* ip=/addr=: where to connect; host still names the server (SPN) */
	uint16_t port;
	char *share; /* NULL: the server root (//server), one directory per share */
	char *mountpoint;
	/* The directory of the share that is mounted ('/'-separated, no
	 * leading or trailing '/'), from //server/share/dir or prefixpath=;
	 * NULL for the share's root. */
	char *prefix;
	struct sf_creds *creds;
	uint16_t min_dialect, max_dialect;
	enum sf_auth_kind auth;
	bool auth_given; /* sec= or guest: else Kerberos when a ticket exists */
	bool nosign, seal;
	uid_t uid;
	gid_t gid;
	mode_t file_mode, dir_mode;
	bool ro;
	enum sf_cache_mode cache;
	double actimeo, acregmax, acdirmax;
	uint32_t rsize, wsize;
	uint32_t rasize; /* read-ahead window in bytes; 0: 8 MiB */
	bool mfsymlinks, mapposix, nobrl, serverino;
	bool allow_other, default_permissions, noperm;
	/* VFS mount flags handed to libfuse as given: noexec, nosuid, ... */
	GString *mount_flags;
	bool foreground, debug;
	char *debug_list;
	unsigned timeout_s;
	unsigned echo_interval_s; /* keep-alive ECHO interval (60) */
	bool hard;                /* wait for a lost server without bound */
	bool nolease;             /* no leases, hence no durable handles */
	bool nohandlecache;       /* no directory leases (kept listings) */
	int max_cached_dirs;      /* directories watched or leased at once (-1: 64) */
	double closetimeo;        /* seconds a closed file stays open (1; 0: off) */
	/* SMB 3.1.1 POSIX extensions: used when the server offers them
	 * (AUTO, the default), required (posix) or never offered (noposix). */
	enum { SF_POSIX_AUTO, SF_POSIX_ON, SF_POSIX_OFF } posix;
	bool nodfs; /* do not follow DFS referrals */
	char *dc;   /* domain_controller=: asked for domain referrals */
	/* multiuser: a session per local user, each with that user's own
	 * Kerberos tickets (users.c); the server decides what each may do. */
	bool multiuser;
	bool perm_given; /* default_permissions or perm given explicitly */
	int64_t cruid;   /* cruid=: whose tickets the mount uses; -1: not given */
};

enum sf_opt_state { SF_OPT_IMPLEMENTED, SF_OPT_NOOP, SF_OPT_REFUSED };
enum sf_opt_arg {
	SF_ARG_NONE,     /* a flag: "seal" */
	SF_ARG_VALUE,    /* needs =value: "port=445" */
	SF_ARG_OPTIONAL, /* either: "debug", "debug=conn" */
};

struct sf_opt {
	const char *name; /* a trailing '*' matches any rest: "x-systemd.*" */
	enum sf_opt_arg arg;
	enum sf_opt_state state;
	/* IMPLEMENTED: a valid value ("@FILE@": a credentials file) and
	 * options to apply first so that this one visibly changes the
	 * configuration (rw after ro). For the table test and the manual. */
	const char *sample, *baseline;
	const char *why; /* NOOP and REFUSED: the reason, one line */
	bool (*apply)(struct sf_config *c, const char *k, const char *v, GError **err);
};

/* The table, for tests and documentation. */
const struct sf_opt *sf_opts_table(size_t *n);

struct sf_config *sf_config_new(void);
void sf_config_free(struct sf_config *c);
/* Parse argv (after the program name). Errors are one line in err. */
bool sf_config_parse(struct sf_config *c, int argc, char **argv, GError **err);
/* Apply one comma-separated -o list. */
bool sf_config_parse_opts(struct sf_config *c, const char *opts, GError **err);
/* //server[:port]/share or \\server\share, IPv6 as [addr]. The port is
 * 1-65535 in decimal digits; a sub-directory becomes the prefix. */
bool sf_config_parse_unc(struct sf_config *c, const char *unc, GError **err);
/* s escaped for a libfuse -o value: ',' and '\' get a backslash, so a
 * share or host name cannot end the value and add options. */
char *sf_fuse_opt_escape(const char *s);

#endif
