/* later.c - deliver an answer from the main loop (see later.h). */
#define G_LOG_DOMAIN "smbfuse-fs"

#include "fs/later.h"

#include "fs/call.h"

struct later {
	enum later_kind kind;
	later_any_fn cb;
	void *user;
	int err;
};

static gboolean later_run(gpointer p)
{
	struct later *l = p;
	void *u = l->user;
	int e = l->err;
	switch (l->kind) {
	case LATER_ERR:
		((sf_fs_err_fn)l->cb)(u, e);
		break;
	case LATER_STAT:
		((sf_fs_stat_fn)l->cb)(u, e, NULL);
		break;
	case LATER_OPEN:
		((sf_fs_open_fn)l->cb)(u, e, NULL, NULL);
		break;
	case LATER_DATA:
		((sf_fs_data_fn)l->cb)(u, e, NULL, 0);
		break;
	case LATER_COUNT:
		((sf_fs_count_fn)l->cb)(u, e, 0);
		break;
	case LATER_STATVFS:
		((sf_fs_statvfs_fn)l->cb)(u, e, NULL);
		break;
	case LATER_DIR:
		((sf_fs_dir_fn)l->cb)(u, e, NULL);
		break;
	case LATER_RANGES:
		((sf_fs_ranges_fn)l->cb)(u, e, NULL);
		break;
	case LATER_XATTRS:
		((sf_fs_xattrs_fn)l->cb)(u, e, NULL);
		break;
	case LATER_LINK:
		((sf_fs_link_fn)l->cb)(u, e, NULL);
		break;
	}
	g_free(l);
	return G_SOURCE_REMOVE;
}

void fs_later(sf_fs *fs, enum later_kind kind, later_any_fn cb, void *user, int err)
{
	struct later *l = g_new(struct later, 1);
	*l = (struct later){kind, cb, user, err};
	GSource *s = g_idle_source_new();
	g_source_set_callback(s, later_run, l, NULL);
	g_source_attach(s, sf_conn_context(sf_session_conn(sf_tree_session(fs->tree))));
	g_source_unref(s);
}
