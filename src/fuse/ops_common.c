/* ops_common.c - helpers the FUSE handlers share. */
#define G_LOG_DOMAIN "smbfuse-fuse"

#include "fuse/ops_int.h"

#include <errno.h>
#include <string.h>

static void interrupted(fuse_req_t req, void *data)
{
	struct sf_fuse *f = fuse_req_userdata(req);
	sf_fs_cancel_group(f->fs, (uint64_t)(uintptr_t)data);
}

/* Every operation starts by asking for its context, before it can have
 * replied: the place to watch the request for interrupts. */
struct sf_fuse *ctx_of(fuse_req_t req)
{
	struct sf_fuse *f = fuse_req_userdata(req);
	if (f->fs) {
		const struct fuse_ctx *fc = fuse_req_ctx(req);
		sf_fs_set_caller(f->fs, fc->uid, fc->gid);
	}
	if (f->dispatch_group && !f->group_watched) {
		f->group_watched = true;
		fuse_req_interrupt_func(req, interrupted, (void *)(uintptr_t)f->dispatch_group);
	}
	return f;
}

void sf_fuse_dispatch_begin(struct sf_fuse *f)
{
	f->dispatch_group = ++f->next_group;
	f->group_watched = false;
	if (f->fs)
		sf_fs_set_group(f->fs, f->dispatch_group);
}

void sf_fuse_dispatch_end(struct sf_fuse *f)
{
	f->dispatch_group = 0;
	if (f->fs)
		sf_fs_set_group(f->fs, 0);
}

struct op *op_new(fuse_req_t req, char *path)
{
	struct op *o = g_new0(struct op, 1);
	o->req = req;
	o->f = ctx_of(req);
	o->path = path;
	return o;
}

void op_free(struct op *o)
{
	g_free(o->path);
	g_free(o->path2);
	g_free(o->name);
	g_free(o->newname);
	g_free(o->buf);
	g_free(o);
}

bool sf_path_under(const char *p, const char *top)
{
	size_t n = strlen(top);
	return !strncmp(p, top, n) && (p[n] == 0 || p[n] == '/' || n == 0);
}

struct sf_countdown {
	int left;
	sf_fs_err_fn cont;
	void *user;
};

struct sf_countdown *sf_countdown_new(int n, sf_fs_err_fn cont, void *user)
{
	struct sf_countdown *c = g_new0(struct sf_countdown, 1);
	*c = (struct sf_countdown){n, cont, user};
	return c;
}

void sf_countdown_tick(void *countdown, int err)
{
	struct sf_countdown *c = countdown;
	if (--c->left == 0) {
		c->cont(c->user, 0);
		g_free(c);
	}
}

void fix_ino(struct sf_fuse *f, struct stat *st, uint64_t nodeid)
{
	if (!f->serverino || !st->st_ino)
		st->st_ino = nodeid;
}

uint64_t reply_entry(struct op *o, const struct stat *st)
{
	struct fuse_entry_param e = {0};
	e.ino = sf_itable_lookup(o->f->inodes, o->parent, o->name, st);
	if (!e.ino) { /* the directory was forgotten meanwhile */
		if (o->has_fi)
			sf_fs_close(o->f->fs, (struct sf_fs_handle *)(uintptr_t)o->fi.fh, NULL,
			            NULL);
		fuse_reply_err(o->req, ESTALE);
		return 0;
	}
	if (!o->lookup)
		sf_dcache_added(o->f, o->parent, o->name);
	if (o->new_dir)
		sf_dcache_new_dir(o->f, e.ino);
	e.attr = *st;
	fix_ino(o->f, &e.attr, e.ino);
	/* Made-up attributes (a file created without waiting) are not kept:
	 * the next stat gets the server's, with its file id as st_ino. */
	double attr_timeout = o->provisional ? 0 : o->f->attr_timeout;
	if (!o->listed)
		sf_ac_put(o->f, e.ino, &e.attr, attr_timeout);
	e.attr_timeout = attr_timeout;
	e.entry_timeout = o->f->entry_timeout;
	if (o->has_fi) {
		sf_pc_opened(o->f, e.ino, (struct sf_fs_handle *)(uintptr_t)o->fi.fh, st, &o->fi);
		if (fuse_reply_create(o->req, &e, &o->fi) == -ENOENT) {
			/* The kernel dropped the request: the handle is ours to close. */
			sf_fs_close(o->f->fs, (struct sf_fs_handle *)(uintptr_t)o->fi.fh, NULL,
			            NULL);
			sf_itable_forget(o->f->inodes, e.ino, 1);
			return 0;
		}
		silly_opened(o->f, e.ino);
	} else if (fuse_reply_entry(o->req, &e) == -ENOENT) {
		sf_itable_forget(o->f->inodes, e.ino, 1);
		return 0;
	}
	return e.ino;
}

static void entry_cont(void *user, const struct stat *st)
{
	struct op *o = user;
	reply_entry(o, st);
	op_free(o);
}

void entry_done(void *user, int err, const struct stat *st)
{
	struct op *o = user;
	if (!err && sf_fuse_symlink_attr(o->f, o->path, st, entry_cont, o))
		return;
	if (err == ENOENT && o->lookup && o->f->entry_timeout > 0) {
		/* Absent: the kernel remembers that for a while (a negative
		 * entry), as it would a name it found. */
		struct fuse_entry_param e = {0};
		e.entry_timeout = o->f->entry_timeout;
		sf_fw_negative(o->f, o->parent, o->name);
		fuse_reply_entry(o->req, &e);
	} else if (err) {
		if (!o->lookup) /* what the server did is not known for sure */
			sf_dcache_forget(o->f, o->parent);
		fuse_reply_err(o->req, err);
	} else {
		reply_entry(o, st);
	}
	op_free(o);
}

const char *path_or_reply(fuse_req_t req, fuse_ino_t ino)
{
	const char *p = path_of(req, ino);
	if (!p)
		fuse_reply_err(req, ESTALE);
	return p;
}

struct op *op_for_name(fuse_req_t req, fuse_ino_t parent, const char *name, bool change)
{
	struct sf_fuse *f = ctx_of(req);
	if (change && f->ro) {
		fuse_reply_err(req, EROFS);
		return NULL;
	}
	char *path = sf_itable_child(f->inodes, parent, name);
	if (!path) {
		fuse_reply_err(req, ESTALE);
		return NULL;
	}
	struct op *o = op_new(req, path);
	o->parent = parent;
	o->name = g_strdup(name);
	return o;
}
