/* call.h - internal to fs/: the compound plumbing every operation uses.
 * A struct call collects the responses of one compound (up to MAX_PARTS
 * requests) and runs its `done` once they are all in. */
#ifndef SF_FS_CALL_H
#define SF_FS_CALL_H

#include "fs/fs.h"
#include "dfs/dfs.h"
#include "net/conn.h"
#include "proto/create.h"
#include "proto/fscc.h"
#include "proto/lease.h"
#include "proto/posix.h"
#include "proto/smb2.h"

struct fs_root;

struct sf_fs {
	sf_tree *tree;
	struct fs_root *root; /* a server root (root.c), else NULL */
	struct sf_fs_config cfg;
	uint32_t max_read, max_write, max_transact;
	/* Handles given out and not yet closed: the kernel's RELEASEs are
	 * not read once the mount is torn down, so they are freed here. */
	GHashTable *handles;
	uid_t caller_uid;
	gid_t caller_gid;
	struct sf_fs_users users;  /* multiuser: the mount's fs only */
	sf_fs *mount;              /* multiuser: a user's fs -> the mount's fs */
	sf_fs_break_fn break_hook; /* sf_fs_set_break_hook */
	void *break_user;
	/* DFS (dfsroute.c): NULL when off (nodfs). The mount's fs is the
	 * top; each DFS link met below it gets a sub fs for its target. */
	sf_dfs *dfs;
	sf_fs *top;
	unsigned depth;     /* referral hops from the top */
	char *unc;          /* "server\\share" of the tree */
	GPtrArray *routes;  /* links below this fs (struct route) */
	GPtrArray *retired; /* sub fs replaced by failover, kept for their handles */
	int holds;          /* top: resolutions in flight */
	bool closing;       /* top: unmounting, no more DFS work */
	bool freed;         /* top: sf_fs_free called; freed once nothing holds it */
	unsigned failovers; /* top: DFS target switches */
	GList *watches;     /* struct sf_fs_watch on this fs (watch.c) */
};

/* watch.c: tell every watch of fs SF_FS_ENDED and close it (unmount). */
void fs_watch_end_all(sf_fs *fs);

/* fs.c: a fs for a tree, without DFS. */
sf_fs *fs_new_common(sf_tree *tree, const struct sf_fs_config *cfg);

/* ---- dfsroute.c -------------------------------------------------------- */

/* After the server-root routing: when path lies below a DFS link known to
 * *fs, *fs becomes the link target's fs and *path the rest (a pointer
 * into path). 0, or ELOOP when links nest deeper than the hop bound. */
int fs_dfs_route(sf_fs **fs, const char **path);
bool fs_dfs_enabled(const sf_fs *fs);
typedef void (*fs_resolved_fn)(void *user, int err);
/* path met STATUS_PATH_NOT_COVERED: resolve the link and add a route
 * (done(0)), or done(errno): ELOOP, ETIMEDOUT, EHOSTUNREACH, EREMOTE. */
void fs_dfs_resolve(sf_fs *fs, const char *path, fs_resolved_fn done, void *user);
void fs_dfs_init(sf_fs *fs);
void fs_dfs_conn_lost(void *user, sf_conn *c);
void fs_hold(sf_fs *fs);
bool fs_release(sf_fs *fs);
/* fn on every DFS sub fs below fs (not fs itself). */
void fs_dfs_each(sf_fs *fs, void (*fn)(sf_fs *sub, void *user), void *user);

/* A mount path ("" is the mount's root) as the UTF-16 name the server
 * knows: below the mounted sub-directory, name rules applied. NULL with
 * *err set (EINVAL, ENAMETOOLONG, ...). */
uint8_t *fs_server_path(const sf_fs *fs, const char *path, size_t *out_bytes, int *err);

/* ---- root.c: routing in a server-root fs ----------------------------------- */

/* What an operation does with its path: uses it, creates it (a new name
 * beside the shares is EACCES, a share's own root EEXIST), or removes or
 * renames it (a share's own root is EACCES). */
enum { FS_USE, FS_CREATE, FS_REMOVE };
/* In a server root, "share/rest" becomes rest on share's fs: 0 with *fs
 * and *path replaced, or an errno. Does nothing (0) in a share's fs. */
int fs_route(sf_fs **fs, const char **path, int mode);
/* Two paths that must be on one share (rename, link): EXDEV otherwise. */
int fs_route2(sf_fs **fs, const char **from, const char **to);
/* A handle's own fs. */
int fs_route_handle(sf_fs **fs, struct sf_fs_handle *h);
/* What the root answers itself (true when it did). */
bool fs_root_stat(sf_fs *fs, const char *path, sf_fs_stat_fn cb, void *user);
bool fs_root_readdir(sf_fs *fs, const char *path, sf_fs_dir_fn cb, void *user);
bool fs_root_statfs(sf_fs *fs, sf_fs_statvfs_fn cb, void *user);
bool fs_root_getxattrs(sf_fs *fs, const char *path, sf_fs_xattrs_fn cb, void *user);
void fs_root_each(sf_fs *fs, void (*fn)(sf_fs *child, void *user), void *user);
void fs_root_free(struct fs_root *r);
/* fn on the shares of a server root and on the users' fs of a multiuser
 * mount (not on DFS sub fs, nor on fs itself). */
void fs_each_child(sf_fs *fs, void (*fn)(sf_fs *child, void *user), void *user);

/* Route or answer the error from the loop, and return. */
#define FS_ROUTE(fs, path, mode, later_fn, cb, user)                                               \
	do {                                                                                       \
		int e_ = fs_route(&(fs), &(path), (mode));                                         \
		if (e_) {                                                                          \
			later_fn((fs), (cb), (user), e_);                                          \
			return;                                                                    \
		}                                                                                  \
	} while (0)
#define FS_ROUTE2(fs, from, to, later_fn, cb, user)                                                \
	do {                                                                                       \
		int e_ = fs_route2(&(fs), &(from), &(to));                                         \
		if (e_) {                                                                          \
			later_fn((fs), (cb), (user), e_);                                          \
			return;                                                                    \
		}                                                                                  \
	} while (0)
#define FS_ROUTE_H(fs, h, later_fn, cb, user)                                                      \
	do {                                                                                       \
		int e_ = fs_route_handle(&(fs), (h));                                              \
		if (e_) {                                                                          \
			later_fn((fs), (cb), (user), e_);                                          \
			return;                                                                    \
		}                                                                                  \
	} while (0)

#define MAX_PARTS 8

struct call;
typedef void (*call_fn)(struct call *c);

struct part {
	struct call *c;
	int i;
};

struct call {
	sf_fs *fs;
	int n, left;
	uint32_t st[MAX_PARTS];
	GBytes *pdu[MAX_PARTS];
	struct part parts[MAX_PARTS];
	call_fn done;
	bool replayed; /* the compound was sent again after a reconnect */
	/* Who asked (sf_fs_set_caller at submission): set again before the
	 * callback runs, so that what the callback asks next is asked as the
	 * same user (multiuser routes by it). */
	uid_t uid;
	gid_t gid;
	void *cb;   /* the caller's callback */
	void *user; /* and its argument */
};

void call_free(struct call *c);
void part_done(void *user, uint32_t status, const uint8_t *pdu, size_t len);
struct call *call_new(sf_fs *fs, call_fn done, void *cb, void *user);
/* Submit specs (bodies are copied by the connection, then freed here). */
void call_run(struct call *c, struct sf_req_spec *specs, int n);
/* The first failure in a compound (the CREATE's, usually). */
uint32_t call_status(const struct call *c);
const uint8_t *call_pdu(const struct call *c, int i, size_t *len);

/* ---- opening (fs.c) ------------------------------------------------------ */

/* What an open asked for, to register the handle for reopening. */
struct open_op {
	sf_fs_open_fn cb;
	void *user;
	uint8_t *path; /* UTF-16, as sent */
	size_t path_len;
	uint32_t access, options, attributes;
	uint8_t create_guid[16];
	struct smb2_lease lease;
	bool want_durable, v2;
};
/* The CREATE (s[0]) and QUERY_INFO (s[1]) of an open of path (routed
 * already), or NULL with *err. */
struct open_op *open_prepare(sf_fs *fs, const char *path, int flags, mode_t mode,
                             struct sf_req_spec s[2], int *err);
/* The open's answer (parts 0 and 1 of c): 0 with *hp (a new handle, or
 * the one given) registered and *st filled, or an errno. */
int open_finish(struct call *c, struct open_op *op, struct sf_fs_handle **hp, struct stat *st);
void open_op_free(struct open_op *op);
/* lazyopen.c: a write on a handle whose CREATE is unanswered; freeing
 * what a handle's unanswered CREATE holds (the handle is going). */
void fs_lazy_write(struct sf_fs_handle *h, uint64_t off, const void *data, size_t len,
                   sf_fs_count_fn cb, void *user);
void fs_lazy_free(struct sf_fs_handle *h);

bool create_spec(sf_fs *fs, struct sf_req_spec *s, const char *path, uint32_t access,
                 uint32_t disposition, uint32_t options, int *err);
/* The same with the mode a created file gets (POSIX extensions). */
bool create_spec_mode(sf_fs *fs, struct sf_req_spec *s, const char *path, uint32_t access,
                      uint32_t disposition, uint32_t options, mode_t mode, int *err);
/* The same asking for lease (NULL: none). */
bool create_spec_lease(sf_fs *fs, struct sf_req_spec *s, const char *path, uint32_t access,
                       uint32_t disposition, uint32_t options, mode_t mode,
                       const struct smb2_lease *lease, int *err);
/* Under the POSIX extensions: the POSIX create context asking for mode
 * (written into ctx, data in buf). */
void posix_ctx(struct smb2_create_ctx *ctx, uint8_t buf[4], mode_t mode);
/* Under owner_from_caller: a SecD create context (MS-SMB2 2.2.13.2.2)
 * whose descriptor names the caller as owner and group; buf holds at
 * least OWNER_CTX_MAX bytes. false when none is wanted. */
#define OWNER_CTX_MAX 64
bool owner_ctx(const sf_fs *fs, struct smb2_create_ctx *ctx, uint8_t *buf);
void query_all_spec(const sf_fs *fs, struct sf_req_spec *s, struct smb2_fileid fid);
void close_spec(struct sf_req_spec *s, struct smb2_fileid fid);
void ioctl_spec(struct sf_req_spec *s, struct smb2_fileid fid, uint32_t code, const uint8_t *in,
                size_t in_len, uint32_t max_out);
void set_info_spec(struct sf_req_spec *s, struct smb2_fileid fid, uint8_t cls, const uint8_t *buf,
                   size_t len);
void to_stat(const sf_fs *fs, const struct smb2_file_times *t, uint64_t file_id, uint32_t nlink,
             struct stat *st);
/* A stat from the POSIX information (POSIX extensions). */
void posix_to_stat(const sf_fs *fs, const struct smb2_posix_info *pi, struct stat *st);
/* Decode part i (a QUERY_INFO FileAllInformation, or the POSIX
 * information under the POSIX extensions) into a stat. */
int all_info_stat(const struct call *c, int i, struct stat *st);
/* symlink.c: QUERY_INFO(FileAttributeTagInformation), and whether part i
 * (such a query) names a symbolic link reparse point. */
void query_tag_spec(const sf_fs *fs, struct sf_req_spec *s, struct smb2_fileid fid);
bool tag_part_is_link(const struct call *c, int i);
/* Apply part i (that query) to st: a link is marked as one; under the
 * POSIX extensions (where the query is FSCTL_GET_REPARSE_POINT and the
 * POSIX information gives the type) a device gets its major and minor
 * from the NFS special-file reparse data. */
void tag_part_apply(const struct call *c, int i, struct stat *st);
/* done for compounds whose caller wants only an errno (sf_fs_err_fn). */
void err_done(struct call *c);

#endif
