/* ops.c - one sf_<op> per FUSE low-level operation. */
#define G_LOG_DOMAIN "smbfuse-fuse"

#include "fuse/ops.h"

#include "fuse/ops_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

/* Handlers that put themselves off while their file is being written
 * (writebehind.c) run again from these. */
static void sf_lookup(fuse_req_t req, fuse_ino_t parent, const char *name);
static void sf_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
static void sf_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
                       struct fuse_file_info *fi);
static void sf_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
static void sf_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
static void sf_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi);
static void sf_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                    struct fuse_file_info *fi);

/* ---- lookup / getattr / setattr --------------------------------------- */

static void lookup_redo(struct redo *r)
{
	sf_lookup(r->req, r->ino2, r->name);
}

/* A LOOKUP answered from the directory's listing, when it can be: not a
 * link (its attributes need its target), nor a file with several names
 * (a listing has no link count). */
static bool lookup_from_listing(struct op *o)
{
	double ttl;
	gint64 listed_at;
	struct stat s;
	if (!sf_dcache_attr(o->f, o->parent, o->name, &s, &ttl, &listed_at) || ttl <= 0 ||
	    S_ISLNK(s.st_mode) || (o->f->mfsymlinks && S_ISREG(s.st_mode)))
		return false;
	uint64_t known = sf_itable_find(o->f->inodes, o->parent, o->name);
	if (known && !S_ISDIR(s.st_mode) && sf_itable_names(o->f->inodes, known) > 1)
		return false;
	/* changed here since it was listed: the listing is out of date */
	if (known && sf_ac_changed_at(o->f, known) >= listed_at)
		return false;
	o->f->stats.listing_hits++;
	o->listed = true;
	reply_entry(o, &s);
	op_free(o);
	return true;
}

static void relisted(void *user, int err, GPtrArray *entries)
{
	struct op *o = user;
	double ttl;
	g_debug("relisted for %s: %s, %u entries", o->path, g_strerror(err),
	        err ? 0 : entries->len);
	if (!err) {
		sf_dcache_listed(o->f, o->parent, (uint64_t)o->off, (gint64)o->size, entries);
		sf_fw_listed(o->f, o->parent, false, NULL, NULL, NULL, 0);
		g_ptr_array_unref(entries);
		if (sf_dcache_absent(o->f, o->parent, o->name, &ttl) == SF_DC_ABSENT) {
			struct fuse_entry_param e = {0};
			e.entry_timeout = ttl;
			sf_fw_negative(o->f, o->parent, o->name);
			fuse_reply_entry(o->req, &e);
			op_free(o);
			return;
		}
		if (lookup_from_listing(o))
			return;
	}
	sf_fs_stat(op_fs(o), o->path, entry_done, o);
}

static void sf_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	/* A file being written: its size on the server is not yet final. */
	uint64_t known = sf_itable_find(ctx_of(req)->inodes, parent, name);
	struct redo *r = known ? redo_if_writing(req, known, lookup_redo) : NULL;
	if (r) {
		r->ino2 = parent;
		r->name = g_strdup(name);
		return;
	}
	struct sf_fuse *f = ctx_of(req);
	double ttl;
	enum sf_dcache_answer a = sf_dcache_absent(f, parent, name, &ttl);
	if (a == SF_DC_ABSENT) {
		struct fuse_entry_param e = {0};
		e.entry_timeout = ttl;
		sf_fw_negative(f, parent, name);
		fuse_reply_entry(req, &e);
		return;
	}
	struct op *o = op_for_name(req, parent, name, false);
	if (!o)
		return;
	o->lookup = true;
	if (a == SF_DC_STALE) { /* list the directory again, then answer */
		o->off = (off_t)sf_dcache_listing_begins(f);
		o->size = (size_t)g_get_monotonic_time();
		sf_fs_readdir(f->fs, sf_itable_path(f->inodes, parent), relisted, o);
		return;
	}
	if (lookup_from_listing(o))
		return;
	struct stat st;
	if (known && sf_fw_self(f, known, &st)) { /* a directory under lease */
		o->listed = true;
		reply_entry(o, &st);
		op_free(o);
		return;
	}
	sf_fs_stat(op_fs(o), o->path, entry_done, o);
}

static void sf_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	sf_itable_forget(ctx_of(req)->inodes, ino, nlookup);
	fuse_reply_none(req);
}

static void sf_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	for (size_t i = 0; i < count; i++)
		sf_itable_forget(ctx_of(req)->inodes, forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

struct attr_op {
	fuse_req_t req;
	fuse_ino_t ino;
};

static void attr_cont(void *user, const struct stat *st)
{
	struct attr_op *a = user;
	struct sf_fuse *f = ctx_of(a->req);
	struct stat s = *st;
	fix_ino(f, &s, a->ino);
	sf_ac_put(f, a->ino, &s, f->attr_timeout);
	fuse_reply_attr(a->req, &s, f->attr_timeout);
	g_free(a);
}

static void attr_done(void *user, int err, const struct stat *st)
{
	struct attr_op *a = user;
	struct sf_fuse *f = ctx_of(a->req);
	if (!err && sf_fuse_symlink_attr(f, path_of(a->req, a->ino), st, attr_cont, a))
		return;
	if (err) {
		fuse_reply_err(a->req, err);
	} else {
		struct stat s = *st;
		fix_ino(f, &s, a->ino);
		sf_ac_put(f, a->ino, &s, f->attr_timeout);
		fuse_reply_attr(a->req, &s, f->attr_timeout);
	}
	g_free(a);
}

const char *path_of(fuse_req_t req, fuse_ino_t ino)
{
	return sf_itable_path(ctx_of(req)->inodes, ino);
}

static void getattr_redo(struct redo *r)
{
	sf_getattr(r->req, r->ino, r->has_fi ? &r->fi : NULL);
}

static void sf_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct sf_fs_handle *unsent =
	        ctx_of(req)->lazy_pending ? sf_lazy_unsent(ctx_of(req), ino) : NULL;
	if (unsent) { /* created without waiting, nothing written yet */
		struct attr_op *a = g_new(struct attr_op, 1);
		a->req = req;
		a->ino = ino;
		sf_fs_when_open_stat(ctx_of(req)->fs, unsent, attr_done, a);
		return;
	}
	struct redo *r = redo_if_writing(req, ino, getattr_redo);
	if (r) {
		if (fi)
			r->fi = *fi, r->has_fi = true;
		return;
	}
	const char *p = path_of(req, ino);
	/* fstat on an open file asks the handle: the name may be gone. */
	bool by_handle = fi && fi->fh && !((struct sf_fs_handle *)(uintptr_t)fi->fh)->dir;
	if (!p && !by_handle) {
		fuse_reply_err(req, ESTALE);
		return;
	}
	struct stat st;
	if (!by_handle && sf_fw_self(ctx_of(req), ino, &st)) { /* a directory under lease */
		fix_ino(ctx_of(req), &st, ino);
		fuse_reply_attr(req, &st, ctx_of(req)->attr_timeout);
		return;
	}
	struct attr_op *a = g_new(struct attr_op, 1);
	a->req = req;
	a->ino = ino;
	if (by_handle)
		sf_fs_fstat(ctx_of(req)->fs, (struct sf_fs_handle *)(uintptr_t)fi->fh, attr_done,
		            a);
	else
		sf_fs_stat(ctx_of(req)->fs, p, attr_done, a);
}

/* A SETATTR that would store nothing: ownership (fixed by uid=/gid= on a
 * share without unix extensions), and permission bits that leave the
 * read-only attribute (the only one SMB stores) as it is. */
static bool setattr_changes_nothing(const struct stat *known, const struct stat *attr, int to_set)
{
	const int owner = FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID | FUSE_SET_ATTR_CTIME;
	if (to_set & ~(owner | FUSE_SET_ATTR_MODE))
		return false;
	if (!(to_set & FUSE_SET_ATTR_MODE) || S_ISDIR(known->st_mode))
		return true;
	return ((attr->st_mode & 0222) != 0) == ((known->st_mode & 0222) != 0);
}

static void setattr_redo(struct redo *r)
{
	sf_setattr(r->req, r->ino, &r->attr, r->to_set, r->has_fi ? &r->fi : NULL);
}

static void sf_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
                       struct fuse_file_info *fi)
{
	struct redo *r = redo_if_writing(req, ino, setattr_redo);
	if (r) {
		r->attr = *attr;
		r->to_set = to_set;
		if (fi)
			r->fi = *fi, r->has_fi = true;
		return;
	}
	struct sf_fuse *f = ctx_of(req);
	const char *p = path_of(req, ino);
	if (!p) {
		fuse_reply_err(req, ESTALE);
		return;
	}
	if (f->ro) {
		fuse_reply_err(req, EROFS);
		return;
	}
	struct stat known;
	/* Under the POSIX extensions modes and owners are stored. */
	if (sf_ac_get(f, ino, &known) && !sf_fs_posix(f->fs) &&
	    setattr_changes_nothing(&known, attr, to_set)) {
		f->stats.setattr_local++;
		fuse_reply_attr(req, &known, f->attr_timeout);
		return;
	}
	sf_ac_drop(f, ino);
	unsigned set = 0;
	struct stat st = *attr;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	if (to_set & FUSE_SET_ATTR_SIZE)
		set |= SF_SET_SIZE;
	if (to_set & FUSE_SET_ATTR_MODE)
		set |= SF_SET_MODE;
	if (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_ATIME_NOW)) {
		set |= SF_SET_ATIME;
		if (to_set & FUSE_SET_ATTR_ATIME_NOW)
			st.st_atim = now;
	}
	if (to_set & (FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_MTIME_NOW)) {
		set |= SF_SET_MTIME;
		if (to_set & FUSE_SET_ATTR_MTIME_NOW)
			st.st_mtim = now;
	}
	/* Ownership is stored only under the POSIX extensions (fs ignores
	 * it otherwise: it is fixed by uid=/gid=, so a chown is a no-op). */
	if ((to_set & FUSE_SET_ATTR_UID) && sf_fs_posix(f->fs))
		set |= SF_SET_UID;
	if ((to_set & FUSE_SET_ATTR_GID) && sf_fs_posix(f->fs))
		set |= SF_SET_GID;
	struct attr_op *a = g_new(struct attr_op, 1);
	a->req = req;
	a->ino = ino;
	if (!set) {
		sf_fs_stat(f->fs, p, attr_done, a);
		return;
	}
	sf_fs_setattr(f->fs, p, NULL, set, &st, attr_done, a);
}

/* ---- directories ---------------------------------------------------- */

/* Starts with a handle marked dir, so fi->fh of a directory is never
 * taken for an open file. */
struct dir_state {
	struct sf_fs_handle h;
	uint64_t ino;       /* the directory's node id */
	GPtrArray *entries; /* NULL until listed; without "." and ".." */
	ino_t dot_ino[2];   /* inode numbers of "." and ".." */
	struct stat self;   /* what "." gave, when has_self */
	bool has_self;
	gint64 kept_at; /* entries are a listing kept under lease, of then */
};

static void dir_state_free(gpointer p)
{
	struct dir_state *d = p;
	if (d->entries)
		g_ptr_array_unref(d->entries);
	g_free(d);
}

void sf_fuse_drop_open(struct sf_fuse *f)
{
	silly_free(f);
	sf_wb_free(f);
	sf_ac_free(f);
	sf_dcache_free(f);
	if (f->dirs)
		g_hash_table_destroy(f->dirs);
	f->dirs = NULL;
}

static void sf_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct sf_fuse *f = ctx_of(req);
	if (!path_or_reply(req, ino))
		return;
	struct dir_state *d = g_new0(struct dir_state, 1);
	d->h.dir = true;
	d->ino = ino;
	fi->fh = (uintptr_t)d;
	if (!f->dirs)
		f->dirs = g_hash_table_new_full(NULL, NULL, dir_state_free, NULL);
	if (fuse_reply_open(req, fi) == -ENOENT)
		dir_state_free(d); /* the kernel dropped the request */
	else
		g_hash_table_add(f->dirs, d);
}

static void sf_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct sf_fuse *f = ctx_of(req);
	struct dir_state *d = (struct dir_state *)(uintptr_t)fi->fh;
	if (!f->dirs || !g_hash_table_remove(f->dirs, d))
		dir_state_free(d);
	fuse_reply_err(req, 0);
}

struct rd_op {
	fuse_req_t req;
	uint64_t ino; /* the directory */
	struct dir_state *d;
	size_t size;
	off_t off;
	bool plus;
	uint64_t token; /* sf_dcache_listing_begins */
	gint64 started; /* when */
};

/* A listing gives no link count (1 here): for a file known by several
 * names, the kernel asks again. */
static double linked_attr_timeout(struct sf_fuse *f, const struct stat *st, uint64_t ino)
{
	bool linked = !S_ISDIR(st->st_mode) && sf_itable_names(f->inodes, ino) > 1;
	return linked ? 0 : f->attr_timeout;
}

/* Entries 0 and 1 are "." and ".."; entry i+2 is entries[i]. */
static void reply_dir(struct rd_op *r)
{
	struct sf_fuse *f = ctx_of(r->req);
	char *buf = g_malloc(r->size);
	size_t used = 0;
	guint total = r->d->entries->len + 2;
	for (off_t i = r->off; i < (off_t)total; i++) {
		struct stat st = {0};
		const char *name;
		struct sf_fs_dirent *e = NULL;
		if (i < 2) {
			name = i == 0 ? "." : "..";
			st.st_mode = S_IFDIR;
			st.st_ino = r->d->dot_ino[i]; /* never 0: readdir(3) skips those */
		} else {
			e = r->d->entries->pdata[i - 2];
			name = e->name;
			st = e->st;
		}
		size_t n;
		if (r->plus) {
			struct fuse_entry_param ep = {0};
			ep.attr = st;
			/* Size first: an entry that does not fit must not count a
			 * lookup the kernel never sees. */
			n = fuse_add_direntry_plus(r->req, NULL, 0, name, &ep, i + 1);
			if (n > r->size - used)
				break;
			/* A possible mfsymlink, or a native link whose size is the
			 * length of its target, gets no attributes here: the kernel
			 * looks it up, which reads it. */
			if (e && f->mfsymlinks && S_ISREG(st.st_mode) && st.st_size == 1067)
				e = NULL, ep.attr.st_mode = S_IFREG;
			if (e && S_ISLNK(st.st_mode) && st.st_size == 0)
				e = NULL, ep.attr.st_mode = S_IFLNK;
			/* A share of a server root is connected when looked up. */
			if (e && e->lookup)
				e = NULL, ep.attr.st_mode = S_IFDIR;
			/* A device's numbers are not in the listing (POSIX
			 * extensions: they are in its reparse data, read by a
			 * lookup). */
			if (e && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
				e = NULL, ep.attr.st_mode = st.st_mode & S_IFMT;
			/* A file being written here: its size on the server is
			 * not final yet, the kernel's is. Nor does a listing
			 * kept under lease describe a file changed here since. */
			uint64_t known = e ? sf_itable_find(f->inodes, r->ino, name) : 0;
			if (known &&
			    (sf_wb_pending(f, known) ||
			     (r->d->kept_at && sf_ac_changed_at(f, known) >= r->d->kept_at)))
				e = NULL, ep.attr.st_mode = st.st_mode & S_IFMT;
			if (e)
				ep.ino = sf_itable_lookup(f->inodes, r->ino, name, &st);
			if (ep.ino) {
				fix_ino(f, &ep.attr, ep.ino);
				/* Not kept in the attribute cache: the listing's own
				 * copy answers lookups (dircache.c). */
				ep.attr_timeout = linked_attr_timeout(f, &st, ep.ino);
				ep.entry_timeout = f->entry_timeout;
			}
			n = fuse_add_direntry_plus(r->req, buf + used, r->size - used, name, &ep,
			                           i + 1);
		} else {
			if (!st.st_ino)
				st.st_ino = 1; /* d_ino 0 is a deleted entry to readdir(3) */
			n = fuse_add_direntry(r->req, buf + used, r->size - used, name, &st, i + 1);
		}
		if (n > r->size - used)
			break;
		used += n;
	}
	fuse_reply_buf(r->req, buf, used);
	g_free(buf);
}

/* The inode numbers "." and ".." show: what stat shows for the directory
 * and its parent. With serverino those are the server's file ids, which
 * its own "." and ".." entries carry; else node ids. */
static void set_dots(struct sf_fuse *f, struct dir_state *d, GPtrArray *entries)
{
	/* The parent's node: walk the directory's current path from the root
	 * (it may have moved since it was opened). */
	const char *path = sf_itable_path(f->inodes, d->ino);
	bool root = !path || !*path;
	uint64_t parent = 1;
	if (!root) {
		char **parts = g_strsplit(path, "/", -1);
		guint n = g_strv_length(parts);
		for (guint i = 0; i + 1 < n && parent; i++)
			parent = sf_itable_find(f->inodes, parent, parts[i]);
		g_strfreev(parts);
	}
	d->dot_ino[0] = (ino_t)d->ino;
	d->dot_ino[1] = (ino_t)(root ? d->ino : parent ? parent : 1);
	for (guint i = 0; i < entries->len;) {
		struct sf_fs_dirent *e = entries->pdata[i];
		int which = !strcmp(e->name, ".") ? 0 : !strcmp(e->name, "..") ? 1 : -1;
		if (which < 0) {
			i++;
			continue;
		}
		if (which == 0 && !e->lookup) {
			d->self = e->st;
			d->has_self = true;
		}
		/* The share root's ".." is the root itself (nothing is above it). */
		if (f->serverino && e->st.st_ino && !(which == 1 && root))
			d->dot_ino[which] = e->st.st_ino;
		g_ptr_array_remove_index(entries, i);
	}
	if (root)
		d->dot_ino[1] = d->dot_ino[0];
}

static void list_done(void *user, int err, GPtrArray *entries)
{
	struct rd_op *r = user;
	if (err) {
		fuse_reply_err(r->req, err);
	} else {
		struct sf_fuse *f = ctx_of(r->req);
		set_dots(f, r->d, entries);
		bool whole = sf_dcache_listed(f, r->ino, r->token, r->started, entries);
		sf_fw_listed(f, r->ino, whole, entries, r->d->dot_ino,
		             r->d->has_self ? &r->d->self : NULL, r->started);
		r->d->entries = entries;
		r->d->kept_at = 0;
		reply_dir(r);
	}
	g_free(r);
}

static void list_now(void *user)
{
	struct rd_op *r = user;
	/* The path now: the directory may have moved since it was opened. */
	const char *p = path_or_reply(r->req, r->ino);
	if (!p) {
		g_free(r);
		return;
	}
	r->token = sf_dcache_listing_begins(ctx_of(r->req));
	r->started = g_get_monotonic_time();
	sf_fs_readdir(ctx_of(r->req)->fs, p, list_done, r);
}

static void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                       struct fuse_file_info *fi, bool plus)
{
	struct rd_op *r = g_new0(struct rd_op, 1);
	r->req = req;
	r->ino = ino;
	r->d = (struct dir_state *)(uintptr_t)fi->fh;
	r->size = size;
	r->off = off;
	r->plus = plus;
	if (off == 0 && r->d->entries) { /* rewinddir: list again */
		g_ptr_array_unref(r->d->entries);
		r->d->entries = NULL;
	}
	if (!r->d->entries &&
	    sf_fw_listing(ctx_of(req), ino, &r->d->entries, r->d->dot_ino, &r->d->kept_at))
		g_debug("listing of node %" G_GUINT64_FORMAT " kept under lease", (uint64_t)ino);
	if (r->d->entries) {
		reply_dir(r);
		g_free(r);
		return;
	}
	/* Watched first: the listing then misses no change made meanwhile. */
	if (!sf_fw_prepare(ctx_of(req), ino, list_now, r))
		list_now(r);
}

static void sf_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                       struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, false);
}

static void sf_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                           struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, true);
}

static void sf_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	struct op *o = op_for_name(req, parent, name, true);
	if (o)
		sf_fs_mknod(op_fs(o), o->path, mode, rdev, entry_done, o);
}

static void sf_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct op *o = op_for_name(req, parent, name, true);
	if (o) {
		o->new_dir = true;
		sf_fs_mkdir(op_fs(o), o->path, mode, entry_done, o);
	}
}

static void remove_done(void *user, int err)
{
	struct op *o = user;
	sf_ac_drop(o->f, sf_itable_find(o->f->inodes, o->parent, o->name));
	if (!err)
		sf_itable_unlink(o->f->inodes, o->parent, o->name);
	if (err)
		sf_dcache_forget(o->f, o->parent);
	else
		sf_dcache_removed(o->f, o->parent, o->name);
	fuse_reply_err(o->req, err);
	op_free(o);
}

static void hidden_reply(void *user, int err)
{
	struct op *o = user;
	fuse_reply_err(o->req, err);
	op_free(o);
}

/* Before this mount removes or renames path (and path2): the handles it
 * keeps open at or below them are closed, kept files' (dclose.c) and then
 * watched directories' (watch.c); cont(user, 0) runs once they are, and
 * true is returned, or false at once when there were none. */
struct quiesce_op {
	struct sf_fuse *f;
	char *path, *path2;
	sf_fs_err_fn cont;
	void *user;
};
/* (nodes: those of the names, whatever path this mount knows them by) */

static void quiesce_watches(void *user, int err)
{
	struct quiesce_op *q = user;
	if (!sf_fw_quiesce(q->f, q->path, q->path2, q->cont, q->user))
		q->cont(q->user, 0);
	g_free(q->path);
	g_free(q->path2);
	g_free(q);
}

static bool quiesce(struct sf_fuse *f, const char *path, const char *path2, const uint64_t nodes[2],
                    sf_fs_err_fn cont, void *user)
{
	struct quiesce_op *q = g_new0(struct quiesce_op, 1);
	*q = (struct quiesce_op){f, g_strdup(path), g_strdup(path2), cont, user};
	if (sf_dc_quiesce(f, path, path2, nodes, quiesce_watches, q))
		return true;
	g_free(q->path);
	g_free(q->path2);
	g_free(q);
	return sf_fw_quiesce(f, path, path2, cont, user);
}

static void remove_now(void *user, int err)
{
	struct op *o = user;
	sf_fs_unlink(op_fs(o), o->path, o->is_dir, remove_done, o);
}

static void do_remove(fuse_req_t req, fuse_ino_t parent, const char *name, bool dir)
{
	struct op *o = op_for_name(req, parent, name, true);
	if (!o)
		return;
	if (!dir && silly_hide(o->f, parent, name, hidden_reply, o))
		return; /* open here: hidden now, deleted on its last close */
	o->is_dir = dir;
	uint64_t nodes[2] = {sf_itable_find(o->f->inodes, parent, name), 0};
	if (quiesce(o->f, o->path, NULL, nodes, remove_now, o))
		return; /* removed once the handles kept open are closed */
	remove_now(o, 0);
}

static void sf_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	do_remove(req, parent, name, false);
}

static void sf_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	do_remove(req, parent, name, true);
}

static void rename_done(void *user, int err)
{
	struct op *o = user;
	sf_ac_drop(o->f, sf_itable_find(o->f->inodes, o->parent, o->name));
	sf_ac_drop(o->f, sf_itable_find(o->f->inodes, o->newparent, o->newname));
	if (!err) {
		sf_itable_rename(o->f->inodes, o->parent, o->name, o->newparent, o->newname);
		sf_dcache_removed(o->f, o->parent, o->name);
		sf_dcache_added(o->f, o->newparent, o->newname);
	} else {
		sf_dcache_forget(o->f, o->parent);
		sf_dcache_forget(o->f, o->newparent);
	}
	fuse_reply_err(o->req, err);
	op_free(o);
}

static void rename_now(void *user, int err)
{
	struct op *o = user;
	if (err) {
		fuse_reply_err(o->req, err);
		op_free(o);
		return;
	}
	bool replace = !(o->fi.flags & RENAME_NOREPLACE);
	struct sf_itable *t = o->f->inodes;
	uint64_t from = sf_itable_find(t, o->parent, o->name);
	if (sf_itable_is_link(t, from))
		sf_fs_rename_link(op_fs(o), o->path, o->path2, replace, rename_done, o);
	else if (sf_itable_is_special(t, from) && sf_fs_posix(op_fs(o)))
		sf_fs_rename_special(op_fs(o), o->path, o->path2, replace, rename_done, o);
	else
		sf_fs_rename(op_fs(o), o->path, o->path2, replace, rename_done, o);
}

static void rename_hide(void *user, int err)
{
	struct op *o = user;
	/* Replacing a file open here: SMB refuses to rename onto an open
	 * file, so it is hidden first (and deleted on its last close). */
	if (!(o->fi.flags & RENAME_NOREPLACE) && strcmp(o->path, o->path2) != 0 &&
	    silly_hide(o->f, o->newparent, o->newname, rename_now, o))
		return;
	rename_now(o, 0);
}

static void sf_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
                      const char *newname, unsigned int flags)
{
	struct sf_fuse *f = ctx_of(req);
	if (flags & RENAME_EXCHANGE) {
		fuse_reply_err(req, EINVAL); /* SMB has no atomic exchange */
		return;
	}
	if (f->ro) {
		fuse_reply_err(req, EROFS);
		return;
	}
	char *to = sf_itable_child(f->inodes, newparent, newname);
	if (!to) {
		fuse_reply_err(req, ESTALE);
		return;
	}
	struct op *o = op_for_name(req, parent, name, true);
	if (!o) {
		g_free(to);
		return;
	}
	o->path2 = to;
	o->newparent = newparent;
	o->newname = g_strdup(newname);
	o->fi.flags = (int)flags;
	/* Handles kept open at or below either name are closed first. */
	uint64_t nodes[2] = {sf_itable_find(f->inodes, parent, name),
	                     sf_itable_find(f->inodes, newparent, newname)};
	if (quiesce(f, o->path, to, nodes, rename_hide, o))
		return;
	rename_hide(o, 0);
}

/* ---- files ---------------------------------------------------------- */

static void set_cache_flags(struct sf_fuse *f, struct fuse_file_info *fi)
{
	fi->direct_io = f->direct_io;
	fi->keep_cache = 0;
}

/* With the writeback cache the kernel reads around a partial page it
 * writes, also through a descriptor opened for writing only: such files
 * are opened for reading too (and for writing only when that is refused). */
static int open_flags(struct sf_fuse *f, int flags)
{
	if (f->writeback_cache && (flags & O_ACCMODE) == O_WRONLY)
		flags = (flags & ~O_ACCMODE) | O_RDWR;
	return flags;
}

static void open_done(void *user, int err, struct sf_fs_handle *h, const struct stat *st)
{
	struct op *o = user;
	if (err == EACCES && o->f->writeback_cache && (o->fi.flags & O_ACCMODE) == O_WRONLY &&
	    !o->retried) {
		o->retried = true; /* write-only it is: the kernel reads nothing then */
		if (o->has_fi)
			sf_fs_open(op_fs(o), o->path, o->fi.flags | O_CREAT, o->mode, open_done, o);
		else
			sf_fs_open(op_fs(o), o->path, o->fi.flags & (O_ACCMODE | O_TRUNC), 0,
			           open_done, o);
		return;
	}
	if (err) {
		fuse_reply_err(o->req, err);
		op_free(o);
		return;
	}
	o->fi.fh = (uintptr_t)h;
	set_cache_flags(o->f, &o->fi);
	if (!o->has_fi)
		sf_pc_opened(o->f, o->ino, h, st, &o->fi);
	if (o->has_fi) { /* create */
		reply_entry(o, st);
	} else if (fuse_reply_open(o->req, &o->fi) == -ENOENT) {
		sf_fs_close(o->f->fs, h, NULL, NULL);
	} else {
		silly_opened(o->f, o->ino);
	}
	op_free(o);
}

static void sf_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct sf_fuse *f = ctx_of(req);
	const char *p = path_of(req, ino);
	if (!p) {
		fuse_reply_err(req, ESTALE);
		return;
	}
	if (f->ro && (fi->flags & O_ACCMODE) != O_RDONLY) {
		fuse_reply_err(req, EROFS);
		return;
	}
	int flags = open_flags(f, fi->flags) & (O_ACCMODE | O_TRUNC);
	struct sf_fs_handle *kept = sf_dc_take(f, ino, p, flags);
	if (kept) { /* closed a moment ago, kept open (dclose.c) */
		fi->fh = (uintptr_t)kept;
		set_cache_flags(f, fi);
		sf_pc_reopened(f, ino, kept, fi);
		if (fuse_reply_open(req, fi) == -ENOENT)
			sf_fs_close(f->fs, kept, NULL, NULL);
		else
			silly_opened(f, ino);
		return;
	}
	struct op *o = op_new(req, g_strdup(p));
	o->fi = *fi;
	o->ino = ino;
	sf_fs_open(f->fs, p, flags, 0, open_done, o);
}

static void sf_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
                      struct fuse_file_info *fi)
{
	struct op *o = op_for_name(req, parent, name, true);
	if (!o)
		return;
	o->fi = *fi;
	o->mode = mode;
	o->has_fi = true;
	int flags = open_flags(o->f, fi->flags) | O_CREAT;
	double ttl;
	/* A name known to be absent: answered now, created with the first
	 * write (lazy.c). */
	if (o->f->lazy && sf_dcache_absent(o->f, parent, name, &ttl) == SF_DC_ABSENT) {
		struct stat st;
		struct sf_fs_handle *h = sf_fs_create_lazy(op_fs(o), o->path, flags, mode, &st);
		if (h) {
			struct sf_fuse *f = o->f;
			o->fi.fh = (uintptr_t)h;
			set_cache_flags(f, &o->fi);
			o->provisional = true;
			uint64_t ino = reply_entry(o, &st);
			op_free(o);
			if (ino)
				sf_lazy_created(f, ino, h);
			return;
		}
	}
	sf_fs_open(op_fs(o), o->path, flags, mode, open_done, o);
}

static void close_done(void *user, int err)
{
	fuse_req_t req = user;
	if (req)
		fuse_reply_err(req, err);
}

struct release {
	fuse_req_t req;
	struct sf_fuse *f;
	uint64_t ino;
	GPtrArray *gone; /* hidden names deleted after the close */
};

static void release_finished(void *user, int err)
{
	struct release *r = user;
	fuse_reply_err(r->req, 0);
	g_free(r);
}

static void release_closed(void *user, int err)
{
	struct release *r = user;
	if (r->gone)
		silly_delete(r->f, r->ino, r->gone, release_finished, r);
	else
		release_finished(r, 0);
}

static void release_redo(struct redo *r)
{
	sf_release(r->req, r->ino, &r->fi);
}

static void sf_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	/* The CLOSE goes after the writes are answered: a failure then is
	 * only logged (flush reported it, if it came in time). */
	struct redo *wr = redo_if_writing(req, ino, release_redo);
	if (wr) {
		wr->fi = *fi;
		return;
	}
	int lost = sf_wb_take_error(ctx_of(req), ino);
	if (lost)
		g_warning("closing a file whose written data was lost: %s", g_strerror(lost));
	struct release *r = g_new0(struct release, 1);
	r->req = req;
	r->f = ctx_of(req);
	r->ino = ino;
	/* Counted as closed now, not when the server answers: an unlink
	 * that follows close(2) must not find the file still open here. */
	r->gone = silly_closed(r->f, ino);
	struct sf_fs_handle *h = (struct sf_fs_handle *)(uintptr_t)fi->fh;
	if (!r->gone && sf_dc_park(r->f, ino, h)) { /* kept open a moment (closetimeo) */
		release_finished(r, 0);
		return;
	}
	sf_fs_close(r->f->fs, h, release_closed, r);
}

struct flush_op {
	fuse_req_t req;
	int err; /* a lost write, reported by close(2) */
};

static void flush_unlocked(void *user, int err)
{
	struct flush_op *o = user;
	fuse_reply_err(o->req, o->err); /* close(2) must not fail for an unlock */
	g_free(o);
}

static void flush_redo(struct redo *r)
{
	sf_flush(r->req, r->ino, &r->fi);
}

static void sf_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	/* close(2): the writes acknowledged early must be answered first,
	 * so that a failure among them is its error. A closing descriptor
	 * also drops its process's POSIX locks. */
	struct redo *r = redo_if_writing(req, ino, flush_redo);
	if (r) {
		r->fi = *fi;
		return;
	}
	struct sf_fuse *f = ctx_of(req);
	struct sf_fs_handle *h = (struct sf_fs_handle *)(uintptr_t)fi->fh;
	int err = sf_wb_take_error(f, ino);
	if (f->brl && h->locks && h->locks->len) {
		struct flush_op *o = g_new(struct flush_op, 1);
		o->req = req;
		o->err = err;
		sf_fs_unlock_owner(f->fs, h, fi->lock_owner, flush_unlocked, o);
	} else {
		fuse_reply_err(req, err);
	}
}

static void fsync_redo(struct redo *r)
{
	sf_fsync(r->req, r->ino, r->flags, &r->fi);
}

static void sf_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	struct redo *r = redo_if_writing(req, ino, fsync_redo);
	if (r) {
		r->fi = *fi;
		r->flags = datasync;
		return;
	}
	int err = sf_wb_take_error(ctx_of(req), ino);
	if (err) {
		fuse_reply_err(req, err);
		return;
	}
	sf_fs_flush(ctx_of(req)->fs, (struct sf_fs_handle *)(uintptr_t)fi->fh, close_done, req);
}

/* Reads larger than the server's limit go out as several READs at once;
 * the reply waits for all of them. A short part ends the data there. */
struct rpart {
	struct op *o;
	size_t at, want;
};

static void read_part_done(void *user, int err, const uint8_t *data, size_t len)
{
	struct rpart *p = user;
	struct op *o = p->o;
	if (!err)
		memcpy(o->buf + p->at, data, MIN(len, p->want));
	/* The answer is the data up to the first part that failed or came
	 * short (end of file); an error only when nothing came before it. */
	if (err || len < p->want)
		o->buf_len = MIN(o->buf_len, p->at + (err ? 0 : len));
	if (err && p->at == 0)
		o->err = err; /* what is reported when nothing was done */
	g_free(p);
	if (--o->parts == 0) {
		if (o->err)
			fuse_reply_err(o->req, o->err);
		else
			fuse_reply_buf(o->req, (const char *)o->buf, o->buf_len);
		op_free(o);
	}
}

/* The common case, one READ: reply straight from the response. */
static void read_whole_done(void *user, int err, const uint8_t *data, size_t len)
{
	fuse_req_t req = user;
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_buf(req, (const char *)data, len);
}

static void read_redo(struct redo *r)
{
	sf_read(r->req, r->ino, r->size, r->off, &r->fi);
}

static void sf_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                    struct fuse_file_info *fi)
{
	/* The server may run a READ before an earlier WRITE. */
	struct redo *r = redo_if_writing(req, ino, read_redo);
	if (r) {
		r->fi = *fi;
		r->size = size;
		r->off = off;
		return;
	}
	struct sf_fuse *f = ctx_of(req);
	/* A DFS target's server may take less than the mount's. */
	size_t chunk =
	        MIN(f->max_read,
	            sf_fs_handle_max_io(f->fs, (struct sf_fs_handle *)(uintptr_t)fi->fh, false));
	if (size > 0 && size <= chunk) {
		sf_fs_read(f->fs, (struct sf_fs_handle *)(uintptr_t)fi->fh, (uint64_t)off, size,
		           read_whole_done, req);
		return;
	}
	struct op *o = op_new(req, NULL);
	o->h = (struct sf_fs_handle *)(uintptr_t)fi->fh;
	o->buf = g_malloc(size ? size : 1);
	o->buf_len = size;
	o->parts = (int)((size + chunk - 1) / chunk);
	if (!o->parts) {
		fuse_reply_buf(req, NULL, 0);
		op_free(o);
		return;
	}
	for (size_t at = 0; at < size; at += chunk) {
		struct rpart *p = g_new(struct rpart, 1);
		p->o = o;
		p->at = at;
		p->want = MIN(chunk, size - at);
		sf_fs_read(f->fs, o->h, (uint64_t)off + at, p->want, read_part_done, p);
	}
}

/* Writes larger than the server's limit go out as several WRITEs at
 * once. What is reported is what was really written from the start: the
 * count stops at the first part that failed or came short. */
static void write_part_done(void *user, int err, size_t n)
{
	struct rpart *p = user;
	struct op *o = p->o;
	if (err || n < p->want)
		o->size = MIN(o->size, p->at + (err ? 0 : MIN(n, p->want)));
	if (err && p->at == 0)
		o->err = err; /* what is reported when nothing was done */
	g_free(p);
	if (--o->parts == 0) {
		if (o->err)
			fuse_reply_err(o->req, o->err);
		else
			fuse_reply_write(o->req, o->size);
		op_free(o);
	}
}

static void sf_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
                     struct fuse_file_info *fi)
{
	struct sf_fuse *f = ctx_of(req);
	if (!size) {
		fuse_reply_write(req, 0);
		return;
	}
	sf_ac_drop(f, ino);
	if (!f->direct_io) { /* cache=none writes through */
		sf_wb_write(f, req, ino, (struct sf_fs_handle *)(uintptr_t)fi->fh, buf, size, off);
		return;
	}
	struct op *o = op_new(req, NULL);
	o->h = (struct sf_fs_handle *)(uintptr_t)fi->fh;
	o->size = size;
	size_t chunk = MIN(f->max_write, sf_fs_handle_max_io(f->fs, o->h, true));
	o->parts = (int)((size + chunk - 1) / chunk);
	for (size_t at = 0; at < size; at += chunk) {
		struct rpart *p = g_new(struct rpart, 1);
		p->o = o;
		p->at = at;
		p->want = MIN(chunk, size - at);
		sf_fs_write(f->fs, o->h, (uint64_t)off + at, buf + at, p->want, write_part_done, p);
	}
}

/* ---- filesystem ------------------------------------------------------ */

static void statfs_done(void *user, int err, const struct statvfs *sv)
{
	fuse_req_t req = user;
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_statfs(req, sv);
}

static void sf_statfs(fuse_req_t req, fuse_ino_t ino)
{
	sf_fs_statfs(ctx_of(req)->fs, path_of(req, ino), statfs_done, req);
}

static void sf_init(void *userdata, struct fuse_conn_info *conn)
{
	struct sf_fuse *f = userdata;
	/* Let the kernel send large writes; we split by the server's limit. */
	conn->max_write = MAX(f->max_write, 128u * 1024);
	/* Large readahead: the kernel then sends big reads, several at once
	 * (FUSE_CAP_ASYNC_READ), which we split by the server's limit; and
	 * enough of them in the background to fill a slow link. */
	conn->max_readahead = MAX(f->readahead, f->max_read);
	conn->max_background = 64;
	conn->congestion_threshold = 48;
	if (conn->capable & FUSE_CAP_ASYNC_READ)
		conn->want |= FUSE_CAP_ASYNC_READ;
	if (conn->capable & FUSE_CAP_READDIRPLUS)
		conn->want |= FUSE_CAP_READDIRPLUS;
	/* Not FUSE_CAP_AUTO_INVAL_DATA: it made sequential reads 35% slower
	 * (measured); cached pages are dropped at open unless kept under a
	 * lease (pagecache.c), and by lease breaks. */
	/* cache=loose: writes land in the page cache and go out in large
	 * batches when the kernel writes back (or at close and fsync). */
	if (f->writeback_cache) {
		if (conn->capable & FUSE_CAP_WRITEBACK_CACHE)
			conn->want |= FUSE_CAP_WRITEBACK_CACHE;
		else
			f->writeback_cache = false;
	}
	/* Byte-range locks go to the server unless nobrl; then the kernel
	 * keeps them local to this client. */
	if (f->brl)
		conn->want |= conn->capable & (FUSE_CAP_POSIX_LOCKS | FUSE_CAP_FLOCK_LOCKS);
	else
		conn->want &= ~(unsigned)(FUSE_CAP_POSIX_LOCKS | FUSE_CAP_FLOCK_LOCKS);
}

const struct fuse_lowlevel_ops sf_fuse_ops = {
        .init = sf_init,
        .lookup = sf_lookup,
        .forget = sf_forget,
        .forget_multi = sf_forget_multi,
        .getattr = sf_getattr,
        .setattr = sf_setattr,
        .opendir = sf_opendir,
        .readdir = sf_readdir,
        .readdirplus = sf_readdirplus,
        .releasedir = sf_releasedir,
        .mkdir = sf_mkdir,
        .mknod = sf_mknod,
        .unlink = sf_unlink,
        .rmdir = sf_rmdir,
        .rename = sf_rename,
        .open = sf_open,
        .create = sf_create,
        .read = sf_read,
        .write = sf_write,
        .flush = sf_flush,
        .fsync = sf_fsync,
        .release = sf_release,
        .statfs = sf_statfs,
        .symlink = sf_symlink,
        .readlink = sf_readlink,
        .link = sf_link,
        .setxattr = sf_setxattr,
        .getxattr = sf_getxattr,
        .listxattr = sf_listxattr,
        .removexattr = sf_removexattr,
        .fallocate = sf_fallocate,
        .lseek = sf_lseek,
        .copy_file_range = sf_copy_file_range,
        .access = sf_access,
        .getlk = sf_getlk,
        .setlk = sf_setlk,
        .flock = sf_flock,
};
