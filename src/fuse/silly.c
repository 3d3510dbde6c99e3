/* silly.c - hide a file that is unlinked or renamed over while open here,
 * delete it on its last close (see ops_int.h). */
#define G_LOG_DOMAIN "smbfuse-fuse"

#include "fuse/ops_int.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

void silly_opened(struct sf_fuse *f, uint64_t ino)
{
	if (!f->opens)
		f->opens = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	guint n = GPOINTER_TO_UINT(g_hash_table_lookup(f->opens, &ino));
	g_hash_table_replace(f->opens, g_memdup2(&ino, sizeof ino), GUINT_TO_POINTER(n + 1));
}

/* A name a file open here was renamed to, in its directory. */
struct silly_name {
	uint64_t parent;
	char *name;
};

static void silly_name_free(gpointer p)
{
	struct silly_name *n = p;
	g_free(n->name);
	g_free(n);
}

static GPtrArray *one_name(uint64_t parent, const char *name)
{
	GPtrArray *names = g_ptr_array_new_with_free_func(silly_name_free);
	struct silly_name *n = g_new(struct silly_name, 1);
	n->parent = parent;
	n->name = g_strdup(name);
	g_ptr_array_add(names, n);
	return names;
}

GPtrArray *silly_closed(struct sf_fuse *f, uint64_t ino)
{
	guint n = f->opens ? GPOINTER_TO_UINT(g_hash_table_lookup(f->opens, &ino)) : 0;
	if (n > 1) {
		g_hash_table_replace(f->opens, g_memdup2(&ino, sizeof ino),
		                     GUINT_TO_POINTER(n - 1));
		return NULL;
	}
	if (n == 1)
		g_hash_table_remove(f->opens, &ino);
	gpointer key, names;
	if (!f->hidden || !g_hash_table_steal_extended(f->hidden, &ino, &key, &names))
		return NULL;
	g_free(key);
	return names;
}

struct purge {
	struct sf_fuse *f;
	uint64_t ino;
	GPtrArray *names;
	guint next;
	char *path; /* being deleted */
	sf_fs_err_fn done;
	void *user;
};

static void purge_next(struct purge *p);

static void purge_deleted(void *user, int err)
{
	struct purge *p = user;
	struct silly_name *n = p->names->pdata[p->next - 1];
	if (err)
		g_warning("could not delete %s, an unlinked file: %s", p->path, g_strerror(err));
	else
		sf_itable_unlink(p->f->inodes, n->parent, n->name),
		        sf_dcache_removed(p->f, n->parent, n->name);
	g_clear_pointer(&p->path, g_free);
	purge_next(p);
}

static void purge_next(struct purge *p)
{
	while (p->next < p->names->len) {
		struct silly_name *n = p->names->pdata[p->next++];
		/* Only a name that still is this file's (not one renamed by
		 * hand since), wherever its directory went meanwhile. */
		if (sf_itable_find(p->f->inodes, n->parent, n->name) != p->ino)
			continue;
		p->path = sf_itable_child(p->f->inodes, n->parent, n->name);
		if (p->path) {
			sf_fs_unlink(p->f->fs, p->path, false, purge_deleted, p);
			return;
		}
	}
	p->done(p->user, 0);
	g_ptr_array_unref(p->names);
	g_free(p);
}

void silly_delete(struct sf_fuse *f, uint64_t ino, GPtrArray *names, sf_fs_err_fn done, void *user)
{
	struct purge *p = g_new0(struct purge, 1);
	p->f = f;
	p->ino = ino;
	p->names = names;
	p->done = done;
	p->user = user;
	purge_next(p);
}

struct hide {
	struct sf_fuse *f;
	uint64_t ino;
	uint64_t parent;
	char *name, *hidden;
	char *from, *to;
	sf_fs_err_fn done;
	void *user;
};

static void hide_finish(void *user, int err)
{
	struct hide *h = user;
	h->done(h->user, err);
	g_free(h->name);
	g_free(h->hidden);
	g_free(h->from);
	g_free(h->to);
	g_free(h);
}

static void hidden_done(void *user, int err)
{
	struct hide *h = user;
	if (err) {
		g_debug("hiding open %s as %s: %s", h->from, h->to, g_strerror(err));
		hide_finish(h, err);
		return;
	}
	sf_ac_drop(h->f, h->ino);
	sf_itable_rename(h->f->inodes, h->parent, h->name, h->parent, h->hidden);
	sf_dcache_removed(h->f, h->parent, h->name);
	sf_dcache_added(h->f, h->parent, h->hidden);
	GPtrArray *names = one_name(h->parent, h->hidden);
	if (!h->f->opens || !g_hash_table_lookup(h->f->opens, &h->ino)) {
		/* The last close came while the rename was on its way; the
		 * unlink or rename asked for did succeed whatever comes now. */
		silly_delete(h->f, h->ino, names, hide_finish, h);
		return;
	}
	if (!h->f->hidden)
		h->f->hidden = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
		                                     (GDestroyNotify)g_ptr_array_unref);
	GPtrArray *known = g_hash_table_lookup(h->f->hidden, &h->ino);
	if (known) { /* another name of the same file, hidden before */
		g_ptr_array_extend_and_steal(known, names);
	} else {
		g_hash_table_insert(h->f->hidden, g_memdup2(&h->ino, sizeof h->ino), names);
	}
	hide_finish(h, 0);
}

bool silly_hide(struct sf_fuse *f, uint64_t parent, const char *name, sf_fs_err_fn done, void *user)
{
	uint64_t ino = sf_itable_find(f->inodes, parent, name);
	const char *dir = sf_itable_path(f->inodes, parent);
	if (!ino || !dir || !f->opens || !g_hash_table_lookup(f->opens, &ino))
		return false;
	struct hide *h = g_new0(struct hide, 1);
	h->f = f;
	h->ino = ino;
	h->parent = parent;
	h->name = g_strdup(name);
	/* A dot name nobody types: pid and a counter keep two mounts apart. */
	h->hidden = g_strdup_printf(".smbfuse-%08x-%u", (unsigned)getpid(), ++f->hidden_seq);
	h->from = sf_itable_child(f->inodes, parent, name);
	h->to = sf_itable_child(f->inodes, parent, h->hidden);
	h->done = done;
	h->user = user;
	sf_fs_rename(f->fs, h->from, h->to, false, hidden_done, h);
	return true;
}

void silly_free(struct sf_fuse *f)
{
	if (f->opens)
		g_hash_table_destroy(f->opens);
	if (f->hidden)
		g_hash_table_destroy(f->hidden);
	f->opens = f->hidden = NULL;
}
