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

char *silly_closed(struct sf_fuse *f, uint64_t ino)
{
	guint n = f->opens ? GPOINTER_TO_UINT(g_hash_table_lookup(f->opens, &ino)) : 0;
	if (n > 1) {
		g_hash_table_replace(f->opens, g_memdup2(&ino, sizeof ino),
		                     GUINT_TO_POINTER(n - 1));
		return NULL;
	}
	if (n == 1)
		g_hash_table_remove(f->opens, &ino);
	if (!f->hidden || !g_hash_table_remove(f->hidden, &ino))
		return NULL;
	const char *p = sf_itable_path(f->inodes, ino);
	return p ? g_strdup(p) : NULL;
}

struct hide {
	struct sf_fuse *f;
	uint64_t ino;
	char *from, *to;
	sf_fs_err_fn done;
	void *user;
};

static void hide_finish(struct hide *h, int err)
{
	h->done(h->user, err);
	g_free(h->from);
	g_free(h->to);
	g_free(h);
}

static void late_delete_done(void *user, int err)
{
	struct hide *h = user;
	if (err)
		g_warning("could not delete %s, an unlinked file: %s", h->to, g_strerror(err));
	else
		sf_itable_unlink(h->f->inodes, h->to);
	hide_finish(h, 0); /* the unlink or rename asked for did succeed */
}

static void hidden_done(void *user, int err)
{
	struct hide *h = user;
	if (err) {
		g_debug("hiding open %s as %s: %s", h->from, h->to, g_strerror(err));
		hide_finish(h, err);
		return;
	}
	sf_itable_rename(h->f->inodes, h->from, h->to);
	if (!h->f->opens || !g_hash_table_lookup(h->f->opens, &h->ino)) {
		/* The last close came while the rename was on its way. */
		sf_fs_unlink(h->f->fs, h->to, false, late_delete_done, h);
		return;
	}
	if (!h->f->hidden)
		h->f->hidden = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	g_hash_table_add(h->f->hidden, g_memdup2(&h->ino, sizeof h->ino));
	hide_finish(h, 0);
}

bool silly_hide(struct sf_fuse *f, const char *path, sf_fs_err_fn done, void *user)
{
	uint64_t ino = sf_itable_find(f->inodes, path);
	if (!ino || !f->opens || !g_hash_table_lookup(f->opens, &ino))
		return false;
	struct hide *h = g_new0(struct hide, 1);
	h->f = f;
	h->ino = ino;
	h->from = g_strdup(path);
	const char *slash = strrchr(path, '/');
	int dlen = slash ? (int)(slash - path + 1) : 0;
	/* A dot name nobody types: pid and a counter keep two mounts apart. */
	h->to = g_strdup_printf("%.*s.smbfuse-%08x-%u", dlen, path, (unsigned)getpid(),
	                        ++f->hidden_seq);
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
