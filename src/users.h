/* users.h - multiuser (mount.cifs's `multiuser`): one mount, one SMB
 * session per local user.
 *
 * Every request from /dev/fuse names the calling process's uid. A request
 * that acts on the share by name (lookup, stat, open, create, readdir,
 * rename, ...) runs on that uid's own session, authenticated with that
 * user's own Kerberos tickets: the ticket cache the kernel client's helper
 * would find for the uid, /tmp/krb5cc_<uid>, used only when it is a
 * regular file owned by that uid (anyone can create a file of that name in
 * /tmp). While the session is being set up, the user's requests wait here;
 * a user without usable tickets gets EACCES, answered here, before any
 * cache of the mount can answer for them, and never the mounter's
 * identity. Requests on an open file or directory (read, write, locks,
 * release) stay with the session that opened it.
 *
 * The mount's own session (its credentials: cruid=, a keytab, or the
 * mounter's cache) serves the user it belongs to. A user's session with
 * nothing open and no request for a while (10 minutes, as the kernel
 * client) is logged off; the next request sets it up again. */
#ifndef SF_USERS_H
#define SF_USERS_H

#include "fs/fs.h"
#include "net/client.h"

#include "fuse/ops.h" /* FUSE_USE_VERSION, then libfuse */

struct sf_users;

struct sf_users_opts {
	struct sf_client *client; /* the pool and the server options */
	const char *share;
	sf_fs *top;                         /* the mount's fs */
	uid_t owner_uid;                    /* the user the mount's session is for */
	const struct sf_fs_config *fc;      /* for the users' fs (copied) */
	const struct sf_creds *mount_creds; /* spn= is kept for every user */
	unsigned idle_s;                    /* log off after this long unused */
	struct fuse_session *const *se;     /* to answer refused requests (set by then) */
	/* Run a request that waited for its user's session. */
	void (*process)(void *ctx, const struct fuse_buf *buf);
	void *ctx;
};

struct sf_users_stats {
	uint64_t sessions; /* users' sessions set up */
	uint64_t logoffs;  /* logged off after being idle */
	uint64_t denied;   /* requests refused: no usable credentials */
	uint64_t waited;   /* requests that waited for a session */
	unsigned active;   /* users with a session now (the mount's own too) */
};

struct sf_users *sf_users_new(const struct sf_users_opts *o);
/* A request as read from /dev/fuse: true when it may be processed now;
 * false when it was kept (its user's session is being set up) or
 * answered (EACCES) here. */
bool sf_users_admit(struct sf_users *u, const void *mem, size_t len);
/* Unmount, before the client closes: CLOSE every handle and wait (bounded)
 * for the answers, then LOGOFF every user's session. */
void sf_users_close(struct sf_users *u);
/* After the client is closed. */
void sf_users_free(struct sf_users *u);
void sf_users_stats(const struct sf_users *u, struct sf_users_stats *out);

#endif
