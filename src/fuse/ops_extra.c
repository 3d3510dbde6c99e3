/* ops_extra.c - FUSE operations beyond files and directories: symlinks
 * (native reparse points, or mfsymlinks), hard links, user.* extended
 * attributes, fallocate, SEEK_DATA/SEEK_HOLE, server-side copy_file_range
 * and access. */
#define G_LOG_DOMAIN "smbfuse-fuse"

#include "fs/mfsymlink.h"
#include "fuse/ops_int.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/file.h>
#include <string.h>
#include <unistd.h>

#define XATTR_PREFIX "user."

/* ---- symlinks ---------------------------------------------------------- */

struct symattr {
	sf_attr_cont cont;
	void *user;
	struct stat st;
};

static void symattr_read(void *user, int err, const uint8_t *data, size_t len)
{
	struct symattr *s = user;
	char *target = err ? NULL : sf_mfsymlink_parse(data, len);
	if (target) {
		s->st.st_mode = S_IFLNK | 0777;
		s->st.st_size = (off_t)strlen(target);
		g_free(target);
	}
	s->cont(s->user, &s->st);
	g_free(s);
}

static void symattr_native(void *user, int err, const char *target)
{
	struct symattr *s = user;
	if (!err)
		s->st.st_size = (off_t)strlen(target);
	s->cont(s->user, &s->st);
	g_free(s);
}

bool sf_fuse_symlink_attr(struct sf_fuse *f, const char *path, const struct stat *st,
                          sf_attr_cont cont, void *user)
{
	/* A native link's file has no size of its own (0); POSIX wants the
	 * length of the target, which tools such as git compare. */
	bool native = S_ISLNK(st->st_mode) && st->st_size == 0;
	bool mf = f->mfsymlinks && S_ISREG(st->st_mode) && st->st_size == SF_MFSYMLINK_SIZE;
	if (!path || (!native && !mf))
		return false;
	struct symattr *s = g_new(struct symattr, 1);
	s->cont = cont;
	s->user = user;
	s->st = *st;
	if (native)
		sf_fs_readlink(f->fs, path, symattr_native, s);
	else
		sf_fs_read_small(f->fs, path, SF_MFSYMLINK_SIZE, symattr_read, s);
	return true;
}

static void symlink_done(void *user, int err, const struct stat *st)
{
	struct op *o = user;
	if (err) {
		fuse_reply_err(o->req, err);
	} else {
		struct stat s = *st;
		s.st_mode = S_IFLNK | 0777;
		s.st_size = (off_t)o->size;
		reply_entry(o, &s);
	}
	op_free(o);
}

void sf_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	struct sf_fuse *f = ctx_of(req);
	if (f->mfsymlinks && !sf_mfsymlink_format_ok(link)) {
		fuse_reply_err(req, ENAMETOOLONG);
		return;
	}
	struct op *o = op_for_name(req, parent, name, true);
	if (!o)
		return;
	if (!f->mfsymlinks) {
		/* A native symlink: a reparse point on the server. */
		sf_fs_symlink(f->fs, o->path, link, entry_done, o);
		return;
	}
	uint8_t *content = sf_mfsymlink_format(link);
	o->size = strlen(link);
	sf_fs_create_small(f->fs, o->path, content, SF_MFSYMLINK_SIZE, symlink_done, o);
	g_free(content);
}

static void native_readlink_done(void *user, int err, const char *target)
{
	fuse_req_t req = user;
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_readlink(req, target);
}

struct mf_readlink {
	fuse_req_t req;
	char *path;
};

static void readlink_done(void *user, int err, const uint8_t *data, size_t len)
{
	struct mf_readlink *r = user;
	char *target = err ? NULL : sf_mfsymlink_parse(data, len);
	if (target) {
		fuse_reply_readlink(r->req, target);
	} else {
		/* Not an mfsymlink file: it may be a native link (a reparse
		 * point is also opened, as an empty file, by this read). */
		struct sf_fuse *f = ctx_of(r->req);
		sf_fs_readlink(f->fs, r->path, native_readlink_done, r->req);
	}
	g_free(target);
	g_free(r->path);
	g_free(r);
}

void sf_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct sf_fuse *f = ctx_of(req);
	const char *p = path_of(req, ino);
	if (!p) {
		fuse_reply_err(req, ESTALE);
		return;
	}
	if (!f->mfsymlinks) {
		sf_fs_readlink(f->fs, p, native_readlink_done, req);
		return;
	}
	struct mf_readlink *r = g_new(struct mf_readlink, 1);
	r->req = req;
	r->path = g_strdup(p);
	sf_fs_read_small(f->fs, p, SF_MFSYMLINK_SIZE, readlink_done, r);
}

/* ---- hard links -------------------------------------------------------- */

void sf_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	struct sf_fuse *f = ctx_of(req);
	const char *from = path_or_reply(req, ino);
	if (!from)
		return;
	sf_ac_drop(f, ino); /* its link count changes */
	struct op *o = op_for_name(req, newparent, newname, true);
	if (o) /* the entry is the node of from: one inode, two names */
		sf_fs_link(f->fs, from, o->path, entry_done, o);
}

/* ---- extended attributes (user.* <-> SMB EAs) ------------------------- */

/* The EA name of an xattr, or NULL (and *err) for other namespaces. */
static const char *ea_name(const char *name, int *err)
{
	if (strncmp(name, XATTR_PREFIX, strlen(XATTR_PREFIX)) != 0 || !name[strlen(XATTR_PREFIX)]) {
		*err = EOPNOTSUPP;
		return NULL;
	}
	return name + strlen(XATTR_PREFIX);
}

static void err_reply(void *user, int err)
{
	fuse_reply_err(user, err);
}

void sf_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value, size_t size,
                 int flags)
{
	struct sf_fuse *f = ctx_of(req);
	const char *p = path_of(req, ino);
	int err = 0;
	const char *ea = ea_name(name, &err);
	if (!p || !ea) {
		fuse_reply_err(req, p ? err : ESTALE);
		return;
	}
	if (f->ro) {
		fuse_reply_err(req, EROFS);
		return;
	}
	if (size == 0) {
		/* An empty value would delete the EA (MS-FSCC 2.4.15). */
		fuse_reply_err(req, EINVAL);
		return;
	}
	sf_fs_setxattr(f->fs, p, ea, value, size, err_reply, req);
}

void sf_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	struct sf_fuse *f = ctx_of(req);
	const char *p = path_of(req, ino);
	int err = 0;
	const char *ea = ea_name(name, &err);
	if (!p || !ea) {
		fuse_reply_err(req, p ? err : ESTALE);
		return;
	}
	sf_fs_setxattr(f->fs, p, ea, NULL, 0, err_reply, req);
}

struct xattr_op {
	fuse_req_t req;
	char *name; /* EA name looked for; NULL to list */
	size_t size;
};

static void xattrs_done(void *user, int err, GPtrArray *list)
{
	struct xattr_op *x = user;
	if (err) {
		fuse_reply_err(x->req, err);
	} else if (x->name) {
		struct sf_fs_xattr *hit = NULL;
		for (guint i = 0; i < list->len && !hit; i++) {
			struct sf_fs_xattr *e = list->pdata[i];
			if (!g_ascii_strcasecmp(e->name, x->name)) /* EA names ignore case */
				hit = e;
		}
		gsize n = 0;
		const void *v = hit ? g_bytes_get_data(hit->value, &n) : NULL;
		if (!hit)
			fuse_reply_err(x->req, ENODATA);
		else if (!x->size)
			fuse_reply_xattr(x->req, n);
		else if (n > x->size)
			fuse_reply_err(x->req, ERANGE);
		else
			fuse_reply_buf(x->req, v, n);
	} else {
		GString *names = g_string_new(NULL);
		for (guint i = 0; i < list->len; i++) {
			struct sf_fs_xattr *e = list->pdata[i];
			g_string_append(names, XATTR_PREFIX);
			g_string_append_len(names, e->name, (gssize)strlen(e->name) + 1);
		}
		if (!x->size)
			fuse_reply_xattr(x->req, names->len);
		else if (names->len > x->size)
			fuse_reply_err(x->req, ERANGE);
		else
			fuse_reply_buf(x->req, names->str, names->len);
		g_string_free(names, TRUE);
	}
	g_free(x->name);
	g_free(x);
}

void sf_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	const char *p = path_of(req, ino);
	int err = 0;
	const char *ea = ea_name(name, &err);
	if (!p || !ea) {
		/* Other namespaces (security.*, system.*) are not supported
		 * here, as with the kernel client: EOPNOTSUPP, which `ls -l`
		 * remembers for the whole file system (ENODATA made it ask
		 * twice for every file it lists). */
		fuse_reply_err(req, p ? err : ESTALE);
		return;
	}
	struct xattr_op *x = g_new0(struct xattr_op, 1);
	x->req = req;
	x->name = g_strdup(ea);
	x->size = size;
	sf_fs_getxattrs(ctx_of(req)->fs, p, xattrs_done, x);
}

void sf_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	const char *p = path_or_reply(req, ino);
	if (!p)
		return;
	struct xattr_op *x = g_new0(struct xattr_op, 1);
	x->req = req;
	x->size = size;
	sf_fs_getxattrs(ctx_of(req)->fs, p, xattrs_done, x);
}

/* ---- fallocate --------------------------------------------------------- */

struct falloc_op {
	fuse_req_t req;
	struct sf_fs_handle *h;
	uint64_t end;
	int mode;
};

static void falloc_size_done(void *user, int err, const struct stat *st)
{
	struct falloc_op *a = user;
	struct sf_fuse *f = ctx_of(a->req);
	if (err || (uint64_t)st->st_size >= a->end) {
		fuse_reply_err(a->req, err);
		g_free(a);
		return;
	}
	/* Extending: the new end is the file's size, zero-filled. */
	sf_fs_set_size(f->fs, a->h, a->end, err_reply, a->req);
	g_free(a);
}

static void fallocate_redo(struct redo *r)
{
	sf_fallocate(r->req, r->ino, r->mode, r->off, r->len, &r->fi);
}

void sf_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length,
                  struct fuse_file_info *fi)
{
	struct redo *r = redo_if_writing(req, ino, fallocate_redo);
	if (r) {
		r->mode = mode, r->off = offset, r->len = length, r->fi = *fi;
		return;
	}
	struct sf_fuse *f = ctx_of(req);
	sf_ac_drop(f, ino);
	struct sf_fs_handle *h = (struct sf_fs_handle *)(uintptr_t)fi->fh;
	if (f->ro) {
		fuse_reply_err(req, EROFS);
		return;
	}
	if (offset < 0 || length <= 0) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (mode == (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)) {
		sf_fs_zero_range(f->fs, h, (uint64_t)offset, (uint64_t)length, err_reply, req);
		return;
	}
	if (mode == 0 || mode == FALLOC_FL_KEEP_SIZE) {
		if (mode == FALLOC_FL_KEEP_SIZE) { /* preallocation is only a hint */
			fuse_reply_err(req, 0);
			return;
		}
		struct falloc_op *a = g_new(struct falloc_op, 1);
		a->req = req;
		a->h = h;
		a->end = (uint64_t)offset + (uint64_t)length;
		a->mode = mode;
		sf_fs_fstat(f->fs, h, falloc_size_done, a);
		return;
	}
	fuse_reply_err(req, EOPNOTSUPP);
}

/* ---- SEEK_DATA / SEEK_HOLE -------------------------------------------- */

struct seek_op {
	fuse_req_t req;
	struct sf_fs_handle *h;
	uint64_t off, size;
	int whence;
};

static void seek_ranges_done(void *user, int err, GArray *r)
{
	struct seek_op *s = user;
	if (err) {
		fuse_reply_err(s->req, err);
		g_free(s);
		return;
	}
	/* Ranges are sorted and describe data from s->off on. */
	uint64_t pos = s->off;
	if (s->whence == SEEK_DATA) {
		bool found = false;
		for (guint i = 0; i < r->len && !found; i++) {
			struct sf_fs_range *x = &g_array_index(r, struct sf_fs_range, i);
			if (x->off + x->len > pos) {
				pos = MAX(pos, x->off);
				found = true;
			}
		}
		if (found)
			fuse_reply_lseek(s->req, (off_t)pos);
		else
			fuse_reply_err(s->req, ENXIO);
	} else {
		for (guint i = 0; i < r->len; i++) {
			struct sf_fs_range *x = &g_array_index(r, struct sf_fs_range, i);
			if (x->off > pos)
				break; /* a hole before this range */
			if (x->off + x->len > pos)
				pos = x->off + x->len;
		}
		fuse_reply_lseek(s->req, (off_t)MIN(pos, s->size));
	}
	g_free(s);
}

static void seek_size_done(void *user, int err, const struct stat *st)
{
	struct seek_op *s = user;
	if (err) {
		fuse_reply_err(s->req, err);
		g_free(s);
		return;
	}
	s->size = (uint64_t)st->st_size;
	if (s->off >= s->size) {
		fuse_reply_err(s->req, ENXIO);
		g_free(s);
		return;
	}
	sf_fs_allocated_ranges(ctx_of(s->req)->fs, s->h, s->off, s->size - s->off, seek_ranges_done,
	                       s);
}

static void lseek_redo(struct redo *r)
{
	sf_lseek(r->req, r->ino, r->off, r->whence, &r->fi);
}

void sf_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence, struct fuse_file_info *fi)
{
	struct redo *r = redo_if_writing(req, ino, lseek_redo);
	if (r) {
		r->off = off, r->whence = whence, r->fi = *fi;
		return;
	}
	if (whence != SEEK_DATA && whence != SEEK_HOLE) {
		fuse_reply_err(req, EINVAL); /* the kernel does SEEK_SET/CUR/END itself */
		return;
	}
	if (off < 0) {
		fuse_reply_err(req, ENXIO);
		return;
	}
	struct seek_op *s = g_new0(struct seek_op, 1);
	s->req = req;
	s->h = (struct sf_fs_handle *)(uintptr_t)fi->fh;
	s->off = (uint64_t)off;
	s->whence = whence;
	sf_fs_fstat(ctx_of(req)->fs, s->h, seek_size_done, s);
}

/* ---- server-side copy ----------------------------------------------- */

static void copy_done(void *user, int err, size_t n)
{
	fuse_req_t req = user;
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_write(req, n);
}

static void copy_redo(struct redo *r)
{
	sf_copy_file_range(r->req, r->ino, r->off, &r->fi, r->ino2, r->off2, &r->fi2, r->size,
	                   r->flags);
}

void sf_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in,
                        struct fuse_file_info *fi_in, fuse_ino_t ino_out, off_t off_out,
                        struct fuse_file_info *fi_out, size_t len, int flags)
{
	/* The server copies what it has: both files' writes first. */
	struct redo *r = redo_if_writing(req, ino_in, copy_redo);
	if (!r)
		r = redo_if_writing(req, ino_out, copy_redo);
	if (r) {
		r->ino = ino_in, r->off = off_in, r->fi = *fi_in;
		r->ino2 = ino_out, r->off2 = off_out, r->fi2 = *fi_out;
		r->size = len, r->flags = flags;
		return;
	}
	struct sf_fuse *f = ctx_of(req);
	sf_ac_drop(f, ino_out);
	if (flags) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (f->ro) {
		fuse_reply_err(req, EROFS);
		return;
	}
	g_debug("copy_file_range: %zu bytes, server-side", len);
	sf_fs_copy(f->fs, (struct sf_fs_handle *)(uintptr_t)fi_in->fh, (uint64_t)off_in,
	           (struct sf_fs_handle *)(uintptr_t)fi_out->fh, (uint64_t)off_out, len, copy_done,
	           req);
}

/* ---- access -------------------------------------------------------------- */

struct access_op {
	fuse_req_t req;
	int mask;
};

static void access_done(void *user, int err, const struct stat *st)
{
	struct access_op *a = user;
	struct sf_fuse *f = ctx_of(a->req);
	/* A node that grants nothing (a share of a server root that refused
	 * us) cannot be entered or used at all. */
	if (!err && a->mask && !(st->st_mode & 0777))
		err = EACCES;
	if (!err && (a->mask & W_OK)) {
		if (f->ro)
			err = EROFS;
		else if (!(st->st_mode & 0222))
			err = EACCES;
	}
	fuse_reply_err(a->req, err);
	g_free(a);
}

void sf_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	const char *p = path_or_reply(req, ino);
	if (!p)
		return;
	struct access_op *a = g_new(struct access_op, 1);
	a->req = req;
	a->mask = mask;
	sf_fs_stat(ctx_of(req)->fs, p, access_done, a);
}

/* ---- locks (fs/lock.c) ---------------------------------------------- */

struct lock_req {
	fuse_req_t req;
	struct sf_fs_lockop *op;
	struct flock fl;
};

static void lock_interrupted(fuse_req_t req, void *data)
{
	struct lock_req *l = data;
	sf_fs_lock_cancel(ctx_of(req)->fs, l->op);
}

static void setlk_done(void *user, int err)
{
	struct lock_req *l = user;
	fuse_reply_err(l->req, err);
	g_free(l);
}

static void do_lock(fuse_req_t req, struct fuse_file_info *fi, uint64_t owner, int type,
                    uint64_t start, uint64_t len, bool wait)
{
	struct sf_fuse *f = ctx_of(req);
	struct lock_req *l = g_new0(struct lock_req, 1);
	l->req = req;
	l->op = sf_fs_lock(f->fs, (struct sf_fs_handle *)(uintptr_t)fi->fh, owner, type, start, len,
	                   wait, setlk_done, l);
	/* l is freed once setlk_done replied; an interrupt can only come
	 * before that (libfuse drops it with the request). */
	if (wait && l->op)
		fuse_req_interrupt_func(req, lock_interrupted, l);
}

/* A lock or unlock waits for the file's writes: another client that
 * takes the lock next must find the data written under it. */
static void setlk_redo(struct redo *r)
{
	sf_setlk(r->req, r->ino, &r->fi, &r->fl, r->flags);
}

void sf_setlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, struct flock *lock,
              int sleep)
{
	struct redo *r = redo_if_writing(req, ino, setlk_redo);
	if (r) {
		r->fi = *fi, r->fl = *lock, r->flags = sleep;
		return;
	}
	if (lock->l_start < 0 || lock->l_len < 0) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	do_lock(req, fi, fi->lock_owner, lock->l_type, (uint64_t)lock->l_start,
	        (uint64_t)lock->l_len, sleep != 0);
}

static void flock_redo(struct redo *r)
{
	sf_flock(r->req, r->ino, &r->fi, r->flags);
}

void sf_flock(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, int op)
{
	struct redo *r = redo_if_writing(req, ino, flock_redo);
	if (r) {
		r->fi = *fi, r->flags = op;
		return;
	}
	int type = (op & LOCK_UN) ? F_UNLCK : (op & LOCK_EX) ? F_WRLCK : F_RDLCK;
	/* flock() locks belong to the open file: one owner per handle. */
	do_lock(req, fi, UINT64_MAX, type, 0, 0, !(op & LOCK_NB));
}

static void getlk_done(void *user, int err)
{
	struct lock_req *l = user;
	if (err == EAGAIN) {
		l->fl.l_type = F_WRLCK; /* held elsewhere; SMB does not say by whom */
		l->fl.l_pid = 0;
		fuse_reply_lock(l->req, &l->fl);
	} else if (err) {
		fuse_reply_err(l->req, err);
	} else {
		l->fl.l_type = F_UNLCK;
		fuse_reply_lock(l->req, &l->fl);
	}
	g_free(l);
}

static void getlk_redo(struct redo *r)
{
	sf_getlk(r->req, r->ino, &r->fi, &r->fl);
}

void sf_getlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, struct flock *lock)
{
	/* (a file created without waiting: its CREATE first, lazy.c) */
	struct redo *r = redo_if_writing(req, ino, getlk_redo);
	if (r) {
		r->fi = *fi, r->fl = *lock;
		return;
	}
	struct lock_req *l = g_new0(struct lock_req, 1);
	l->req = req;
	l->fl = *lock;
	sf_fs_lock_test(ctx_of(req)->fs, (struct sf_fs_handle *)(uintptr_t)fi->fh, fi->lock_owner,
	                lock->l_type, (uint64_t)MAX(lock->l_start, 0),
	                (uint64_t)MAX(lock->l_len, 0), getlk_done, l);
}
