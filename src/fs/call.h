/* call.h - internal to fs/: the compound plumbing every operation uses.
 * A struct call collects the responses of one compound (up to MAX_PARTS
 * requests) and runs its `done` once they are all in. */
#ifndef SF_FS_CALL_H
#define SF_FS_CALL_H

#include "fs/fs.h"
#include "dfs/dfs.h"
#include "net/conn.h"
#include "proto/fscc.h"
#include "proto/smb2.h"

struct sf_fs {
	sf_tree *tree;
	struct sf_fs_config cfg;
	uint32_t max_read, max_write, max_transact;
	/* Handles given out and not yet closed: the kernel's RELEASEs are
	 * not read once the mount is torn down, so they are freed here. */
	GHashTable *handles;
	/* DFS (dfsroute.c): NULL when off (nodfs). The mount's fs is the
	 * root; each DFS link met below it gets a sub fs for its target. */
	sf_dfs *dfs;
	sf_fs *root;
	unsigned depth;     /* referral hops from the root */
	char *unc;          /* "server\share" of the tree */
	GPtrArray *routes;  /* links below this fs (struct route) */
	GPtrArray *retired; /* sub fs replaced by failover, kept for their handles */
	int holds;          /* root: resolutions in flight */
	bool closing;       /* root: unmounting, no more DFS work */
	bool freed;         /* root: sf_fs_free called; freed once nothing holds it */
	unsigned failovers; /* root: DFS target switches */
};

/* fs.c: a fs for a tree, without DFS. */
sf_fs *fs_new_common(sf_tree *tree, const struct sf_fs_config *cfg);

/* ---- dfsroute.c -------------------------------------------------------- */

/* The fs of the DFS target below which path lies, with *rest (g_free) the
 * path there; NULL when path is on fs itself. */
sf_fs *fs_route(sf_fs *fs, const char *path, char **rest);
bool fs_dfs_enabled(const sf_fs *fs);
typedef void (*fs_resolved_fn)(void *user, int err);
/* path met STATUS_PATH_NOT_COVERED: resolve the link and add a route
 * (done(0)), or done(errno): ELOOP, ETIMEDOUT, EHOSTUNREACH, EREMOTE. */
void fs_dfs_resolve(sf_fs *fs, const char *path, fs_resolved_fn done, void *user);
void fs_dfs_init(sf_fs *fs, sf_dfs *dfs);
void fs_dfs_conn_lost(void *user, sf_conn *c);
void fs_hold(sf_fs *fs);
bool fs_release(sf_fs *fs);
/* fn on fs and every sub fs below it. */
void fs_each(sf_fs *fs, void (*fn)(sf_fs *fs, void *user), void *user);

/* Route a path operation: when path lies below a DFS link, run the same
 * public call on the target's fs and return. */
#define FS_ROUTE(fn, fs, path, ...)                                                                \
	do {                                                                                       \
		char *rest_;                                                                       \
		sf_fs *to_ = fs_route((fs), (path), &rest_);                                       \
		if (to_) {                                                                         \
			fn(to_, rest_, __VA_ARGS__);                                               \
			g_free(rest_);                                                             \
			return;                                                                    \
		}                                                                                  \
	} while (0)
/* The same for an operation on two paths (rename, link): both must be
 * on one tree, else EXDEV. */
#define FS_ROUTE2(fn, later, fs, from, to, cb, user, ...)                                          \
	do {                                                                                       \
		char *ra_ = NULL, *rb_ = NULL;                                                     \
		sf_fs *ta_ = fs_route((fs), (from), &ra_);                                         \
		sf_fs *tb_ = fs_route((fs), (to), &rb_);                                           \
		if (ta_ || tb_) {                                                                  \
			if (ta_ == tb_)                                                            \
				fn(ta_, ra_, rb_, __VA_ARGS__, cb, user);                          \
			else                                                                       \
				later((fs), cb, user, EXDEV);                                      \
			g_free(ra_);                                                               \
			g_free(rb_);                                                               \
			return;                                                                    \
		}                                                                                  \
	} while (0)
/* A handle works on the fs it was opened on. */
#define FS_OF(fs, h) ((h) && (h)->owner ? (h)->owner : (fs))

/* A mount path ("" is the mount's root) as the UTF-16 name the server
 * knows: below the mounted sub-directory, name rules applied. NULL with
 * *err set (EINVAL, ENAMETOOLONG, ...). */
uint8_t *fs_server_path(const sf_fs *fs, const char *path, size_t *out_bytes, int *err);

#define MAX_PARTS 6

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
	void *cb;      /* the caller's callback */
	void *user;    /* and its argument */
};

void call_free(struct call *c);
void part_done(void *user, uint32_t status, const uint8_t *pdu, size_t len);
struct call *call_new(sf_fs *fs, call_fn done, void *cb, void *user);
/* Submit specs (bodies are copied by the connection, then freed here). */
void call_run(struct call *c, struct sf_req_spec *specs, int n);
/* The first failure in a compound (the CREATE's, usually). */
uint32_t call_status(const struct call *c);
const uint8_t *call_pdu(const struct call *c, int i, size_t *len);

bool create_spec(sf_fs *fs, struct sf_req_spec *s, const char *path, uint32_t access,
                 uint32_t disposition, uint32_t options, int *err);
void query_all_spec(struct sf_req_spec *s, struct smb2_fileid fid);
void close_spec(struct sf_req_spec *s, struct smb2_fileid fid);
void ioctl_spec(struct sf_req_spec *s, struct smb2_fileid fid, uint32_t code, const uint8_t *in,
                size_t in_len, uint32_t max_out);
void set_info_spec(struct sf_req_spec *s, struct smb2_fileid fid, uint8_t cls, const uint8_t *buf,
                   size_t len);
void to_stat(const sf_fs *fs, const struct smb2_file_times *t, uint64_t file_id, uint32_t nlink,
             struct stat *st);
/* Decode part i (a QUERY_INFO FileAllInformation) into a stat. */
int all_info_stat(const struct call *c, int i, struct stat *st);
/* symlink.c: QUERY_INFO(FileAttributeTagInformation), and whether part i
 * (such a query) names a symbolic link reparse point. */
void query_tag_spec(struct sf_req_spec *s, struct smb2_fileid fid);
bool tag_part_is_link(const struct call *c, int i);
/* done for compounds whose caller wants only an errno (sf_fs_err_fn). */
void err_done(struct call *c);

#endif
