/* fs.h - POSIX file operations over an SMB tree.
 *
 * Every call is asynchronous: it submits SMB requests (usually one
 * compound, so one round trip) and later calls its callback exactly once
 * with 0 or a positive errno. NTSTATUS becomes errno here and only here,
 * through sf_fs_errno() and the per-operation exceptions documented at
 * each call. Paths are relative to the share root, '/' separated. */
#ifndef SF_FS_FS_H
#define SF_FS_FS_H

#include "net/tree.h"
#include "proto/smb2.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

struct sf_fs_config {
	uid_t uid;
	gid_t gid;
	mode_t file_mode; /* permission bits for files (0755) */
	mode_t dir_mode;  /* and directories (0755) */
	bool mapposix;    /* SFM mapping for names SMB cannot store */
	bool readonly;
	bool nolease;    /* request no leases (and so no durable handles) */
	bool nodirlease; /* nor directory leases (nohandlecache) */
	/* SMB 3.1.1 POSIX extensions negotiated: modes, owners, special files
	 * and names come from the server (proto/posix.h). */
	bool posix;
	/* With posix and allow_other: a new file is owned by the user and
	 * group that created it (a SecD context naming them; the server must
	 * allow it, as Samba does for `admin users`). */
	bool owner_from_caller;
	const char *prefix; /* mounted sub-directory ("a/b"), or NULL (copied) */
	uint64_t ino_salt;  /* XORed into file ids (a share of a server root) */
	struct sf_dfs *dfs; /* follow DFS referrals through this (NULL: nodfs) */
	/* A user's fs in a multiuser mount: the mount's own fs listens to
	 * the pool for DFS failover on its behalf (the pool has one
	 * listener). */
	bool secondary;
};

typedef struct sf_fs sf_fs;

sf_fs *sf_fs_new(sf_tree *tree, const struct sf_fs_config *cfg);

/* A server root (root.c): "" lists the disk shares of shares (struct
 * srvsvc_share, read during the call); a path "share/..." is served by
 * that share's own fs, whose tree get_tree gives (the same session) the
 * first time the share is looked up (sf_fs_stat of "share"). A share
 * whose tree connect is refused stays listed, as a directory without
 * permissions, and everything inside it is EACCES. ipc is the tree the
 * listing came through (its connection sets the I/O sizes). Every call
 * below works on a root fs as on a share's. */
typedef void (*sf_fs_tree_fn)(void *ctx, const char *share, sf_tree_fn done, void *user);
sf_fs *sf_fs_new_root(sf_tree *ipc, const struct sf_fs_config *cfg, GPtrArray *shares,
                      sf_fs_tree_fn get_tree, void *get_ctx);
/* Requests waiting or in flight on every tree of the fs (unmount waits
 * for the CLOSEs of sf_fs_close_all). */
unsigned sf_fs_outstanding(sf_fs *fs);
/* How many shares of a root are connected (for -d and tests). */
unsigned sf_fs_root_connected(const sf_fs *fs);
void sf_fs_free(sf_fs *fs);
/* Unmount: resolve no more DFS links, stop listening to the pool (call
 * before the pool goes). */
void sf_fs_stop(sf_fs *fs);
uint32_t sf_fs_max_io(const sf_fs *fs, bool write);
/* The SMB 3.1.1 POSIX extensions are in use. */
bool sf_fs_posix(const sf_fs *fs);
/* Who asks for the operations submitted from now on (the FUSE request's
 * uid and gid): the owner of files created under owner_from_caller. */
void sf_fs_set_caller(sf_fs *fs, uid_t uid, gid_t gid);
/* multiuser (users.c): every path operation of a caller runs on that
 * caller's own fs (its own session); lookup() gives it for a uid, or NULL
 * when the uid has no credentials (the operation is EACCES). each() walks
 * the users' fs other than the mount's own (for interrupts, the counts of
 * outstanding requests and unmount). Handles stay with the fs that opened
 * them. */
struct sf_fs_users {
	sf_fs *(*lookup)(void *ctx, uid_t uid);
	void (*each)(void *ctx, void (*fn)(sf_fs *fs, void *user), void *user);
	void *ctx;
};
void sf_fs_set_users(sf_fs *fs, const struct sf_fs_users *users);
/* What a new user's fs takes over from the mount's fs (the lease-break
 * hook). */
void sf_fs_adopt(sf_fs *top, sf_fs *fs);
/* Handles open on this fs (a user's fs with none may be logged off). */
unsigned sf_fs_open_count(const sf_fs *fs);
struct sf_fs_handle;
/* The same for the tree an open handle is on (a DFS target may allow
 * less than the mount's server). */
uint32_t sf_fs_handle_max_io(const sf_fs *fs, const struct sf_fs_handle *h, bool write);
/* How many times a DFS link moved to another target (failover). */
unsigned sf_fs_dfs_failovers(const sf_fs *fs);

/* errno for an NTSTATUS (0 for success). */
int sf_fs_errno(uint32_t status);

/* An open file or directory. */
struct sf_fs_handle {
	sf_fs *owner; /* the fs that opened it (a share's, in a server root) */
	struct smb2_fileid fid;
	bool dir;
	uint32_t lease_state; /* SMB2_LEASE_*_CACHING granted (0: no lease) */
	uint64_t tag;         /* the caller's (the FUSE layer: the node id) */
	GArray *locks;        /* byte-range locks held through this handle (lock.c) */
	/* LockSequence (MS-SMB2 2.2.26, 3.3.5.14): per index, the number of
	 * the last LOCK that succeeded, so that the next one differs and a
	 * replay of an applied LOCK is recognised by the server. */
	uint8_t lock_seq[65];
	uint32_t lock_seq_next;
	/* Created by sf_fs_create_lazy: the CREATE not answered yet (NULL
	 * once it is), and what it failed with (every later use fails so). */
	struct fs_pending *pending;
	int open_err;
	uint64_t file_id; /* the server's (IndexNumber), when the open told it */
	uint32_t access;  /* the DesiredAccess it was opened with */
};

/* The DesiredAccess an open with these flags (O_ACCMODE) asks for. */
uint32_t sf_fs_access_for(int flags);
/* Whether h, open already, is what an open of path by the current caller
 * would reach (the same share, the same user under multiuser). */
bool sf_fs_handle_serves(sf_fs *fs, const char *path, const struct sf_fs_handle *h);
/* Changes when h's connection is re-established (its handles reclaimed,
 * or lost). */
uint64_t sf_fs_handle_epoch(const struct sf_fs_handle *h);

typedef void (*sf_fs_err_fn)(void *user, int err);
typedef void (*sf_fs_stat_fn)(void *user, int err, const struct stat *st);
typedef void (*sf_fs_open_fn)(void *user, int err, struct sf_fs_handle *h, const struct stat *st);
typedef void (*sf_fs_data_fn)(void *user, int err, const uint8_t *data, size_t len);
typedef void (*sf_fs_count_fn)(void *user, int err, size_t n);
typedef void (*sf_fs_statvfs_fn)(void *user, int err, const struct statvfs *sv);

struct sf_fs_dirent {
	char *name;
	struct stat st;
	bool lookup; /* st is a placeholder: the name must be looked up (a
	              * share of a server root, connected on lookup) */
};
/* entries: a GPtrArray of struct sf_fs_dirent (freed by the caller with
 * g_ptr_array_unref). Names from the server that are not valid
 * (containing '/' or NUL) are left out; "." and ".." come as the server
 * sent them (with their file ids), when it did. */
typedef void (*sf_fs_dir_fn)(void *user, int err, GPtrArray *entries);

/* A break that takes read caching away from h's lease: hook() drops what
 * was cached and then calls sf_tree_break_done(ack) (net/tree.h). */
typedef void (*sf_fs_break_fn)(void *user, struct sf_fs_handle *h, sf_break_ack *ack);
void sf_fs_set_break_hook(sf_fs *fs, sf_fs_break_fn hook, void *user);

/* Attributes of a path: CREATE + QUERY_INFO(FileAllInformation) + CLOSE. */
void sf_fs_stat(sf_fs *fs, const char *path, sf_fs_stat_fn cb, void *user);
/* Attributes of an open file (also after its name was unlinked). */
void sf_fs_fstat(sf_fs *fs, struct sf_fs_handle *h, sf_fs_stat_fn cb, void *user);
/* Open (and maybe create) a file. flags: O_ACCMODE, O_CREAT, O_EXCL,
 * O_TRUNC, O_DIRECTORY. */
void sf_fs_open(sf_fs *fs, const char *path, int flags, mode_t mode, sf_fs_open_fn cb, void *user);
void sf_fs_close(sf_fs *fs, struct sf_fs_handle *h, sf_fs_err_fn cb, void *user);
/* Create a new file (O_CREAT, flags as sf_fs_open) without waiting: the
 * handle is given at once with *st, what the server will report; the
 * CREATE goes with the first write (one round trip for both), when
 * sf_fs_when_open asks, or within 100 ms. A failure of it is reported to
 * that write and to every later use of the handle. NULL when this cannot
 * be done here (POSIX extensions, DFS, a name the server cannot store):
 * open as usual then. For a name known to be absent. */
struct sf_fs_handle *sf_fs_create_lazy(sf_fs *fs, const char *path, int flags, mode_t mode,
                                       struct stat *st);
/* cb(err) once the handle's CREATE is answered (at once, from the loop,
 * for any other handle), sending it now if it was not. */
void sf_fs_when_open(sf_fs *fs, struct sf_fs_handle *h, sf_fs_err_fn cb, void *user);
/* The same without sending it sooner. */
void sf_fs_on_open(sf_fs *fs, struct sf_fs_handle *h, sf_fs_err_fn cb, void *user);
/* The attributes the handle's CREATE answers (sending it now if it was
 * not), or, for a handle open already, its attributes (sf_fs_fstat). */
void sf_fs_when_open_stat(sf_fs *fs, struct sf_fs_handle *h, sf_fs_stat_fn cb, void *user);
/* Whether the handle's CREATE is not even sent yet (nothing was written). */
bool sf_fs_handle_unsent(const struct sf_fs_handle *h);
/* Whether the handle's CREATE is still unanswered. */
static inline bool sf_fs_handle_pending(const struct sf_fs_handle *h)
{
	return h->pending != NULL;
}
/* Unmount: CLOSE every handle the kernel never released (a durable handle
 * left open would outlive the session on the server). */
void sf_fs_close_all(sf_fs *fs);
/* READ: a read at or past the end of the file is 0 bytes, not an error.
 * Returns what sf_fs_cancel takes. */
sf_req_handle sf_fs_read(sf_fs *fs, struct sf_fs_handle *h, uint64_t off, size_t size,
                         sf_fs_data_fn cb, void *user);
sf_req_handle sf_fs_write(sf_fs *fs, struct sf_fs_handle *h, uint64_t off, const void *data,
                          size_t len, sf_fs_count_fn cb, void *user);
/* Interrupts: requests submitted while a group is set belong to it;
 * cancelling the group makes each of them answer EINTR soon (and sends
 * the server an SMB2 CANCEL for those in flight). */
void sf_fs_set_group(sf_fs *fs, uint64_t group);
void sf_fs_cancel_group(sf_fs *fs, uint64_t group);
void sf_fs_flush(sf_fs *fs, struct sf_fs_handle *h, sf_fs_err_fn cb, void *user);
/* Every entry of a directory (STATUS_NO_MORE_FILES ends the listing). */
void sf_fs_readdir(sf_fs *fs, const char *path, sf_fs_dir_fn cb, void *user);
void sf_fs_mkdir(sf_fs *fs, const char *path, mode_t mode, sf_fs_stat_fn cb, void *user);
void sf_fs_unlink(sf_fs *fs, const char *path, bool dir, sf_fs_err_fn cb, void *user);
/* replace=false: fail with EEXIST when the target exists. */
void sf_fs_rename(sf_fs *fs, const char *from, const char *to, bool replace, sf_fs_err_fn cb,
                  void *user);

/* setattr: fields in `to_set` (FUSE_SET_ATTR_* style bits below). */
#define SF_SET_SIZE  0x1
#define SF_SET_MODE  0x2
#define SF_SET_ATIME 0x4
#define SF_SET_MTIME 0x8
#define SF_SET_UID   0x10 /* POSIX extensions only; ignored otherwise */
#define SF_SET_GID   0x20
void sf_fs_setattr(sf_fs *fs, const char *path, struct sf_fs_handle *h, unsigned to_set,
                   const struct stat *st, sf_fs_stat_fn cb, void *user);
/* The file system a path is on (a server root answers for the share the
 * path is in; path may be NULL for the mount's root). */
void sf_fs_statfs(sf_fs *fs, const char *path, sf_fs_statvfs_fn cb, void *user);

/* ---- lock.c ----------------------------------------------------------- */

/* POSIX record locks (owner: the FUSE lock owner) and flock() (one owner
 * per handle) as SMB2 byte-range locks. type: F_RDLCK, F_WRLCK, F_UNLCK;
 * len 0 means to the end of any file. wait: block until granted (EINTR
 * after sf_fs_lock_cancel). A conflict without wait is EAGAIN. The
 * returned op is valid until cb runs; NULL when nothing needs the server
 * (cb still runs later, from the loop). Like every call here, cb never
 * runs inside the call itself. */
struct sf_fs_lockop;
struct sf_fs_lockop *sf_fs_lock(sf_fs *fs, struct sf_fs_handle *h, uint64_t owner, int type,
                                uint64_t start, uint64_t len, bool wait, sf_fs_err_fn cb,
                                void *user);
void sf_fs_lock_cancel(sf_fs *fs, struct sf_fs_lockop *op);
/* F_GETLK: 0 when the lock could be placed, EAGAIN when it conflicts. */
void sf_fs_lock_test(sf_fs *fs, struct sf_fs_handle *h, uint64_t owner, int type, uint64_t start,
                     uint64_t len, sf_fs_err_fn cb, void *user);
/* Drop every lock of owner on this handle (close of a descriptor). */
void sf_fs_unlock_owner(sf_fs *fs, struct sf_fs_handle *h, uint64_t owner, sf_fs_err_fn cb,
                        void *user);

/* ---- special.c ---------------------------------------------------- */

/* FSCTL on an open file; out is lent for the callback. */
void sf_fs_ioctl(sf_fs *fs, struct sf_fs_handle *h, uint32_t code, const uint8_t *in, size_t in_len,
                 uint32_t max_out, sf_fs_data_fn cb, void *user);
/* Server-side copy (FSCTL_SRV_REQUEST_RESUME_KEY + SRV_COPYCHUNK_WRITE):
 * the data never crosses the client. n is what was copied. */
void sf_fs_copy(sf_fs *fs, struct sf_fs_handle *src, uint64_t src_off, struct sf_fs_handle *dst,
                uint64_t dst_off, uint64_t len, sf_fs_count_fn cb, void *user);
/* Zero a range, making it a hole where the server can (punch hole). */
void sf_fs_zero_range(sf_fs *fs, struct sf_fs_handle *h, uint64_t off, uint64_t len,
                      sf_fs_err_fn cb, void *user);
struct sf_fs_range {
	uint64_t off, len;
};
/* ranges: GArray of struct sf_fs_range (lent for the callback). */
typedef void (*sf_fs_ranges_fn)(void *user, int err, GArray *ranges);
void sf_fs_allocated_ranges(sf_fs *fs, struct sf_fs_handle *h, uint64_t off, uint64_t len,
                            sf_fs_ranges_fn cb, void *user);
void sf_fs_set_size(sf_fs *fs, struct sf_fs_handle *h, uint64_t size, sf_fs_err_fn cb, void *user);
/* A second name for a file (never replaces). */
void sf_fs_link(sf_fs *fs, const char *from, const char *to, sf_fs_stat_fn cb, void *user);
/* Extended attributes = SMB EAs (names without the "user." prefix). */
struct sf_fs_xattr {
	char *name;
	GBytes *value;
};
/* list: GPtrArray of struct sf_fs_xattr, lent for the callback. */
typedef void (*sf_fs_xattrs_fn)(void *user, int err, GPtrArray *list);
void sf_fs_getxattrs(sf_fs *fs, const char *path, sf_fs_xattrs_fn cb, void *user);
/* len 0 removes the attribute. */
void sf_fs_setxattr(sf_fs *fs, const char *path, const char *name, const void *value, size_t len,
                    sf_fs_err_fn cb, void *user);
/* ---- symlink.c ------------------------------------------------------- */

/* Native symbolic links (reparse points). target is lent for the callback. */
typedef void (*sf_fs_link_fn)(void *user, int err, const char *target);
/* EINVAL when path is not a link. */
void sf_fs_readlink(sf_fs *fs, const char *path, sf_fs_link_fn cb, void *user);
/* EPERM when the server cannot store reparse points (the empty file it
 * created is removed again), EEXIST when path exists. */
void sf_fs_symlink(sf_fs *fs, const char *path, const char *target, sf_fs_stat_fn cb, void *user);
/* sf_fs_rename for a path known to be a symbolic link: also right on
 * servers that lose the link when it is renamed. */
void sf_fs_rename_link(sf_fs *fs, const char *from, const char *to, bool replace, sf_fs_err_fn cb,
                       void *user);
/* Make a stat describe a symbolic link. */
void sf_fs_mark_link(struct stat *st, size_t target_len);

/* A FIFO, socket or device (mode's type), under the POSIX extensions
 * only (EPERM otherwise): a file with an NFS special-file reparse point
 * (MS-FSCC 2.1.2.6), which Samba serves as that kind of file. */
void sf_fs_mknod(sf_fs *fs, const char *path, mode_t mode, dev_t rdev, sf_fs_stat_fn cb,
                 void *user);

/* sf_fs_rename for a special file (POSIX extensions): its reparse data
 * is read first and set again on the new name (Samba 4.21 and 4.22 drop
 * the reparse attribute of a renamed file). */
void sf_fs_rename_special(sf_fs *fs, const char *from, const char *to, bool replace,
                          sf_fs_err_fn cb, void *user);

/* Whole small files in one round trip (mfsymlinks). */
void sf_fs_read_small(sf_fs *fs, const char *path, size_t max, sf_fs_data_fn cb, void *user);
void sf_fs_create_small(sf_fs *fs, const char *path, const void *data, size_t len, sf_fs_stat_fn cb,
                        void *user);

/* ---- watch.c ---------------------------------------------------------- */

/* Changes in a watched directory, made by anyone (SMB2 CHANGE_NOTIFY).
 * name is a child of the directory (lent for the call), NULL for ANY
 * (anything may have changed: the server lost count) and ENDED (the watch
 * is over: changes are not told any more, so anything may have changed;
 * the watch is gone, do not unwatch it). */
enum sf_fs_change {
	SF_FS_ADDED,
	SF_FS_REMOVED,
	SF_FS_MODIFIED,
	SF_FS_RENAMED_FROM,
	SF_FS_RENAMED_TO,
	SF_FS_ANY,
	SF_FS_ENDED,
	/* ENDED because the directory lease was broken: something changed,
	 * this mount's own change as likely as another client's. */
	SF_FS_LEASE_BROKEN,
};
typedef void (*sf_fs_watch_fn)(void *user, enum sf_fs_change what, const char *name);
struct sf_fs_watch;
/* Open the directory path and watch its children (not deeper). NULL when
 * it cannot be watched (a server root's listing of shares, a name that
 * cannot be sent); a failure to open is told as ENDED. While watched the
 * directory is open on the server. ready (may be NULL) runs once: 0 when
 * the first CHANGE_NOTIFY has been submitted, so that a listing submitted
 * after it misses no change (the server takes requests in order); else an
 * errno (the watch failed or was stopped first), before ENDED. */
struct sf_fs_watch *sf_fs_watch(sf_fs *fs, const char *path, sf_fs_watch_fn cb, void *user,
                                sf_fs_err_fn ready, void *ready_user);
/* Whether the server may grant directory leases on fs (SMB 3.x, its
 * DIRECTORY_LEASING capability, leases not turned off): a watch then asks
 * for a read+handle lease on the directory it opens. */
bool sf_fs_dir_leases(sf_fs *fs);
/* Whether the watch holds a directory lease with read caching (known once
 * ready was told 0): until the watch ends, no other client has added,
 * removed or renamed a name in the directory, and the directory itself
 * has not been removed or renamed (the server breaks the lease first and
 * the watch then ends with ENDED). */
bool sf_fs_watch_leased(const struct sf_fs_watch *w);
/* Stop: cb is not called any more; closed (may be NULL) runs once the
 * handle is closed on the server (rmdir or rename of the directory must
 * wait for that: an open handle keeps a deleted directory's name, and
 * Samba refuses to rename a directory with our handles open below it). */
void sf_fs_unwatch(struct sf_fs_watch *w, sf_fs_err_fn closed, void *user);

#endif
