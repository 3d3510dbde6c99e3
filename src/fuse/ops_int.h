/* ops_int.h - internal to fuse/: request state and helpers shared by
 * ops.c (files and directories) and ops_extra.c (xattrs, links,
 * symlinks, copy, fallocate, lseek). */
#ifndef SF_FUSE_OPS_INT_H
#define SF_FUSE_OPS_INT_H

#include "fuse/ops.h"

/* Per-request state carried through the SMB callbacks. */
struct op {
	fuse_req_t req;
	struct sf_fuse *f;
	char *path;
	char *path2;
	/* path is name in parent; path2 newname in newparent (rename) */
	uint64_t parent, newparent;
	char *name, *newname;
	struct fuse_file_info fi;
	bool has_fi;
	uint64_t ino;     /* the node an open is for */
	bool lookup;      /* a LOOKUP (not a new name: create, mkdir, link...) */
	bool new_dir;     /* mkdir: the new directory is known empty */
	bool is_dir;      /* unlink or rmdir: rmdir */
	bool retried;     /* open: asked again with fewer rights */
	bool listed;      /* lookup answered from a listing (which keeps the attributes) */
	bool provisional; /* attributes made up (lazy.c): the kernel keeps them no time */
	mode_t mode;      /* create */
	/* split I/O */
	struct sf_fs_handle *h;
	uint64_t off;
	size_t size, done;
	int parts, err;
	uint8_t *buf;
	size_t buf_len;
};

struct sf_fuse *ctx_of(fuse_req_t req);
/* The fs for an operation's next request, with the caller set again from
 * its FUSE request (what runs in between may have been another user's:
 * multiuser routes by the caller). */
#define op_fs(o) (ctx_of((o)->req)->fs)
struct op *op_new(fuse_req_t req, char *path);
void op_free(struct op *o);
/* st_ino from the server's file id (serverino), else the node id. */
void fix_ino(struct sf_fuse *f, struct stat *st, uint64_t nodeid);
/* Count a lookup of o->name in o->parent and answer with an entry (or
 * create). */
/* The node given to the kernel, or 0 when it was not (the reply failed). */
uint64_t reply_entry(struct op *o, const struct stat *st);
/* sf_fs_stat_fn for a name's entry (lookup, new links): the entry with
 * the right attributes for links (sf_fuse_symlink_attr), or the error;
 * frees the op. */
void entry_done(void *user, int err, const struct stat *st);
const char *path_of(fuse_req_t req, fuse_ino_t ino);
/* The path of ino, or NULL after replying ESTALE. */
const char *path_or_reply(fuse_req_t req, fuse_ino_t ino);
/* An op for name in parent (path, parent and name set), or NULL after
 * replying ESTALE (no path for parent) or, for a change (create, remove),
 * EROFS on a read-only mount. */
struct op *op_for_name(fuse_req_t req, fuse_ino_t parent, const char *name, bool change);

/* Links whose attributes need the target: with mfsymlinks, a file that may
 * be a symlink file; a native link reported with size 0. Reads the link and
 * calls cont with the link's attributes (or st unchanged); returns false
 * when st needs nothing (cont is then not called). */
typedef void (*sf_attr_cont)(void *user, const struct stat *st);
bool sf_fuse_symlink_attr(struct sf_fuse *f, const char *path, const struct stat *st,
                          sf_attr_cont cont, void *user);

/* silly.c: unlink of an open file and rename over one. SMB cannot
 * remove a name that is open (it stays until the last close, and a rename
 * onto it is refused), so such a file is renamed to a hidden name in its
 * directory and deleted when its last handle here closes, as the kernel
 * client does. Files open elsewhere behave as the server says. */
void silly_opened(struct sf_fuse *f, uint64_t ino);
/* One handle of ino is closed; returns the hidden names to delete now
 * (for silly_delete) when it was the last one of a hidden node, else NULL. */
GPtrArray *silly_closed(struct sf_fuse *f, uint64_t ino);
/* Deletes the hidden names of ino that silly_closed gave (and frees
 * them), then done(user, 0): a failure is only logged. */
void silly_delete(struct sf_fuse *f, uint64_t ino, GPtrArray *names, sf_fs_err_fn done, void *user);
/* If name in parent is a file open here (by any of its names): rename it
 * away, then done(user, err); returns false and does nothing when it is
 * not open. */
bool silly_hide(struct sf_fuse *f, uint64_t parent, const char *name, sf_fs_err_fn done,
                void *user);
void silly_free(struct sf_fuse *f);

/* writebehind.c: writes acknowledged before the server answers them
 * (see there). sf_wb_write answers req itself, at once or when there is
 * room again. */
void sf_wb_write(struct sf_fuse *f, fuse_req_t req, uint64_t ino, struct sf_fs_handle *h,
                 const char *buf, size_t size, off_t off);
/* Whether writes of ino are in flight. */
bool sf_wb_pending(struct sf_fuse *f, uint64_t ino);
/* The first failure of an acknowledged write of ino, now reported (0 for
 * none). */
int sf_wb_take_error(struct sf_fuse *f, uint64_t ino);
typedef void (*sf_wb_cont)(void *user);
/* When writes of ino are in flight: cont(user) once they are all answered,
 * and true; else false (and cont is not called). */
bool sf_wb_defer(struct sf_fuse *f, uint64_t ino, sf_wb_cont cont, void *user);
void sf_wb_free(struct sf_fuse *f);
/* A file created without waiting (lazy.c): its CREATE counts as a write
 * in flight of ino until done (err: reported as a failed write). */
void sf_wb_lazy_begin(struct sf_fuse *f, uint64_t ino, struct sf_fs_handle *h);
void sf_wb_lazy_done(struct sf_fuse *f, uint64_t ino, int err);
/* lazy.c: h (from sf_fs_create_lazy) was given to the kernel as ino. */
void sf_lazy_created(struct sf_fuse *f, uint64_t ino, struct sf_fs_handle *h);
/* Such a file's handle while its CREATE is not sent (nothing written
 * yet), else NULL: a GETATTR then asks sf_fs_when_open_stat. */
struct sf_fs_handle *sf_lazy_unsent(struct sf_fuse *f, uint64_t ino);

/* An operation put off until the writes of its file are answered, then
 * run again from the start with the same arguments. */
struct redo {
	fuse_req_t req;
	fuse_ino_t ino, ino2;
	struct fuse_file_info fi, fi2;
	bool has_fi;
	struct stat attr;
	struct flock fl;
	int to_set, mode, whence, flags;
	off_t off, off2, len;
	size_t size;
	char *name;
	void (*run)(struct redo *r);
};
/* If writes of ino are in flight: a redo that run() will get (its fields
 * to be filled by the caller), else NULL. */
struct redo *redo_if_writing(fuse_req_t req, fuse_ino_t ino, void (*run)(struct redo *r));

/* dircache.c: a directory's names, known whole for a while, answer
 * negative lookups without the server (see there). */
void sf_dcache_new_dir(struct sf_fuse *f, uint64_t dir);
/* A listing starts; pass what this returns to sf_dcache_listed. */
uint64_t sf_dcache_listing_begins(struct sf_fuse *f);
/* entries: struct sf_fs_dirent, the whole directory. */
/* start: when the listing was asked for (monotonic us). */
/* true when the listing was taken as dir's set of names. */
bool sf_dcache_listed(struct sf_fuse *f, uint64_t dir, uint64_t token, gint64 start,
                      GPtrArray *entries);
/* While held, dir's set is trusted past acdirmax (a directory lease). */
void sf_dcache_hold(struct sf_fuse *f, uint64_t dir, bool held);
/* This mount made or removed a name. */
void sf_dcache_added(struct sf_fuse *f, uint64_t dir, const char *name);
void sf_dcache_removed(struct sf_fuse *f, uint64_t dir, const char *name);
/* Nothing is known of dir any more (a change of unknown outcome). */
void sf_dcache_forget(struct sf_fuse *f, uint64_t dir);
/* Whether name is known absent from dir (ttl: for how long more); STALE:
 * not known, but listing dir again would tell (and the next names). */
enum sf_dcache_answer { SF_DC_UNKNOWN, SF_DC_ABSENT, SF_DC_STALE };
enum sf_dcache_answer sf_dcache_absent(struct sf_fuse *f, uint64_t dir, const char *name,
                                       double *ttl);
/* The attributes a listing of dir gave name into *st, while trusted (ttl:
 * for how long more); false when there are none. */
bool sf_dcache_attr(struct sf_fuse *f, uint64_t dir, const char *name, struct stat *st, double *ttl,
                    gint64 *listed_at);
void sf_dcache_free(struct sf_fuse *f);
/* A change told by the server (watch.c): returns whether name was in
 * dir's known set before. Bumps the change count (a listing under way may
 * have missed it); a name gone takes the whole set with it. */
enum sf_dc_change { SF_DC_ADDED, SF_DC_REMOVED, SF_DC_MODIFIED };
bool sf_dcache_note(struct sf_fuse *f, uint64_t dir, const char *name, enum sf_dc_change how);

/* watch.c: a listing of dir is about to start: watch dir for changes by
 * others (see there). Returns true when the listing must wait until the
 * watch is in place (cont(user) runs then, from the loop), false to go
 * on at once. */
typedef void (*sf_fw_cont)(void *user);
bool sf_fw_prepare(struct sf_fuse *f, uint64_t dir, sf_fw_cont cont, void *user);
/* dir was listed: its watch lasts as long as that listing's cache. When
 * the watch holds a directory lease and whole (the listing was taken as
 * the set of names, sf_dcache_listed), the listing is kept to answer the
 * next ones: entries (without "." and ".."), dots (their inode numbers),
 * self (the attributes "." gave, may be NULL), started (when it was asked
 * for). */
void sf_fw_listed(struct sf_fuse *f, uint64_t dir, bool whole, GPtrArray *entries,
                  const ino_t dots[2], const struct stat *self, gint64 started);
/* The listing of dir kept under a directory lease (a new reference) with
 * its dots and when it was asked for; false when there is none. */
bool sf_fw_listing(struct sf_fuse *f, uint64_t dir, GPtrArray **entries, ino_t dots[2],
                   gint64 *started);
/* The attributes of the directory dir itself, under its lease, unless
 * this mount changed it since. */
bool sf_fw_self(struct sf_fuse *f, uint64_t dir, struct stat *st);
/* This mount changed a name in dir: a kept listing of it is out of date. */
void sf_fw_unlist(struct sf_fuse *f, uint64_t dir);
/* The kernel is told name is absent from dir (a negative entry). */
void sf_fw_negative(struct sf_fuse *f, uint64_t dir, const char *name);
/* Before removing or renaming path (and path2, may be NULL): when
 * directories at or below them are watched, close those watches, call
 * cont(user, 0) once closed and return true; else false. */
bool sf_fw_quiesce(struct sf_fuse *f, const char *path, const char *path2, sf_fs_err_fn cont,
                   void *user);
/* Teardown (from sf_pc_stop): after sf_fs_close_all ended the watches. */
void sf_fw_stop(struct sf_fuse *f);

/* ops_common.c: whether path p is top or below it ("" is the root). */
bool sf_path_under(const char *p, const char *top);
/* cont(user, 0) once sf_countdown_tick (an sf_fs_err_fn) ran n times
 * (n > 0); it frees itself then. */
struct sf_countdown *sf_countdown_new(int n, sf_fs_err_fn cont, void *user);
void sf_countdown_tick(void *countdown, int err);

/* dclose.c: deferred close. On release: keep h open for closetimeo
 * (true) or not (false: close it). On open of ino by the caller (path,
 * open(2) flags): a kept handle that serves it, now the caller's, or NULL.
 * On a lease break of h (pagecache.c): true when h was kept (it is closed
 * now and freed). Before removing or renaming path (and path2): close the
 * kept handles at or below them and those of nodes[] (0: none), cont(user,
 * 0) when closed: true, or false when there were none. */
bool sf_dc_park(struct sf_fuse *f, uint64_t ino, struct sf_fs_handle *h);
struct sf_fs_handle *sf_dc_take(struct sf_fuse *f, uint64_t ino, const char *path, int flags);
bool sf_dc_broken(struct sf_fuse *f, struct sf_fs_handle *h);
bool sf_dc_quiesce(struct sf_fuse *f, const char *path, const char *path2, const uint64_t nodes[2],
                   sf_fs_err_fn cont, void *user);
/* pagecache.c: an open that took a kept handle keeps the pages when its
 * lease held throughout (fi->keep_cache). */
void sf_pc_reopened(struct sf_fuse *f, uint64_t ino, struct sf_fs_handle *h,
                    struct fuse_file_info *fi);

/* attrcache.c: attributes given to the kernel, while trusted (see
 * there). put: timeout in seconds (0 keeps nothing). */
void sf_ac_put(struct sf_fuse *f, uint64_t ino, const struct stat *st, double timeout);
bool sf_ac_get(struct sf_fuse *f, uint64_t ino, struct stat *st);
/* This mount changed ino (its attributes are not known any more). */
void sf_ac_drop(struct sf_fuse *f, uint64_t ino);
/* When it last did (monotonic us; 0: not lately). */
gint64 sf_ac_changed_at(struct sf_fuse *f, uint64_t ino);
void sf_ac_free(struct sf_fuse *f);

/* pagecache.c: an open of ino got h with attributes st: sets
 * fi->keep_cache when the cached pages are still good (see there). */
void sf_pc_opened(struct sf_fuse *f, uint64_t ino, struct sf_fs_handle *h, const struct stat *st,
                  struct fuse_file_info *fi);

/* ops_extra.c */
void sf_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name);
void sf_readlink(fuse_req_t req, fuse_ino_t ino);
void sf_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname);
void sf_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value, size_t size,
                 int flags);
void sf_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size);
void sf_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size);
void sf_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name);
void sf_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length,
                  struct fuse_file_info *fi);
void sf_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence, struct fuse_file_info *fi);
void sf_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in,
                        struct fuse_file_info *fi_in, fuse_ino_t ino_out, off_t off_out,
                        struct fuse_file_info *fi_out, size_t len, int flags);
void sf_access(fuse_req_t req, fuse_ino_t ino, int mask);
void sf_getlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, struct flock *lock);
void sf_setlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, struct flock *lock,
              int sleep);
void sf_flock(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, int op);

#endif
