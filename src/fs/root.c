/* root.c - the fs of a server-root mount (fs.h, "root.c").
 *
 * Path "" is a directory made here: one entry per disk share of the
 * listing given at creation. A path "share/rest" is "rest" on that share's
 * own sf_fs, whose tree is connected through the caller's get_tree (the
 * pool: same connection, same session) when the share is first looked up
 * (sf_fs_stat of "share"); the child fs lives until the root is freed. A
 * share that refuses the tree connect stays listed, looks like a directory
 * without permissions, and every operation below it fails with EACCES.
 *
 * Each public function of fs/ calls fs_route() first (call.h), so the
 * rest of fs/ only ever sees a share's fs. Handles remember their fs. */
#define G_LOG_DOMAIN "smbfuse-fs"

#include "fs/call.h"
#include "fs/later.h"

#include "proto/ntstatus.h"
#include "proto/srvsvc.h"

#include <errno.h>
#include <string.h>
#include <time.h>

struct waiter {
	sf_fs_stat_fn cb;
	void *user;
};

struct fs_child {
	struct fs_root *root;
	char *name;
	unsigned index;
	sf_fs *fs;       /* once connected */
	uint32_t denied; /* the tree connect's refusal, once refused */
	bool connecting;
	GArray *waiters; /* struct waiter: stats of "name" while connecting */
};

struct fs_root {
	sf_fs *self;
	GPtrArray *children; /* struct fs_child, as listed */
	sf_fs_tree_fn get_tree;
	void *get_ctx;
	struct sf_fs_config child_cfg;
	struct timespec born;
};

static void child_free(gpointer p)
{
	struct fs_child *c = p;
	sf_fs_free(c->fs);
	if (c->waiters)
		g_array_unref(c->waiters);
	g_free(c->name);
	g_free(c);
}

sf_fs *sf_fs_new_root(sf_tree *ipc, const struct sf_fs_config *cfg, GPtrArray *shares,
                      sf_fs_tree_fn get_tree, void *get_ctx)
{
	sf_fs *fs = sf_fs_new(ipc, cfg);
	struct fs_root *r = g_new0(struct fs_root, 1);
	r->self = fs;
	r->children = g_ptr_array_new_with_free_func(child_free);
	r->get_tree = get_tree;
	r->get_ctx = get_ctx;
	r->child_cfg = *cfg;
	r->child_cfg.prefix = NULL;
	clock_gettime(CLOCK_REALTIME, &r->born);
	for (guint i = 0; shares && i < shares->len; i++) {
		const struct srvsvc_share *s = g_ptr_array_index(shares, i);
		if ((s->type & STYPE_MASK) != STYPE_DISKTREE || !s->name[0] ||
		    strchr(s->name, '/') || !strcmp(s->name, ".") || !strcmp(s->name, ".."))
			continue;
		struct fs_child *c = g_new0(struct fs_child, 1);
		c->root = r;
		c->name = g_strdup(s->name);
		c->index = r->children->len;
		g_ptr_array_add(r->children, c);
	}
	fs->root = r;
	return fs;
}

void fs_root_free(struct fs_root *r)
{
	if (r)
		g_ptr_array_unref(r->children);
	g_free(r);
}

unsigned sf_fs_root_connected(const sf_fs *fs)
{
	unsigned n = 0;
	for (guint i = 0; fs->root && i < fs->root->children->len; i++)
		n += ((struct fs_child *)g_ptr_array_index(fs->root->children, i))->fs != NULL;
	return n;
}

void fs_root_each(sf_fs *fs, void (*fn)(sf_fs *child, void *user), void *user)
{
	for (guint i = 0; i < fs->root->children->len; i++) {
		struct fs_child *c = g_ptr_array_index(fs->root->children, i);
		if (c->fs)
			fn(c->fs, user);
	}
}

static struct fs_child *find(struct fs_root *r, const char *name, size_t len)
{
	for (guint i = 0; i < r->children->len; i++) {
		struct fs_child *c = g_ptr_array_index(r->children, i);
		if (strlen(c->name) == len && !memcmp(c->name, name, len))
			return c;
	}
	return NULL;
}

/* multiuser: the caller's own fs (its own session), or EACCES for a
 * caller without credentials. The mount's fs stays for its own user. */
static int route_user(sf_fs **fs)
{
	sf_fs *top = *fs;
	if (!top->users.lookup)
		return 0;
	sf_fs *u = top->users.lookup(top->users.ctx, top->caller_uid);
	if (!u)
		return EACCES;
	if (u != top)
		sf_fs_set_caller(u, top->caller_uid, top->caller_gid);
	*fs = u;
	return 0;
}

int fs_route(sf_fs **fs, const char **path, int mode)
{
	int e = route_user(fs);
	if (e)
		return e;
	struct fs_root *r = (*fs)->root;
	if (!r) /* a share: maybe below a DFS link (dfsroute.c) */
		return fs_dfs_route(fs, path);
	const char *p = *path;
	if (!*p) /* the root itself: nothing to change there */
		return mode == FS_CREATE ? EEXIST : EACCES;
	const char *slash = strchr(p, '/');
	size_t len = slash ? (size_t)(slash - p) : strlen(p);
	struct fs_child *c = find(r, p, len);
	if (!c) /* only shares live here */
		return mode == FS_CREATE && !slash ? EACCES : ENOENT;
	if (!slash && mode != FS_USE) /* a share itself is not made or removed here */
		return mode == FS_CREATE ? EEXIST : EACCES;
	if (c->denied)
		return EACCES;
	if (!c->fs)
		return ENOENT; /* not looked up yet: the kernel always does first */
	*fs = c->fs;
	*path = slash ? slash + 1 : "";
	return 0;
}

int fs_route2(sf_fs **fs, const char **from, const char **to)
{
	int e0 = route_user(fs);
	if (e0)
		return e0;
	if (!(*fs)->root) {
		sf_fs *a = *fs, *b = *fs;
		int e = fs_dfs_route(&a, from);
		if (!e)
			e = fs_dfs_route(&b, to);
		if (!e && a != b)
			e = EXDEV; /* across DFS links: another tree, maybe another server */
		if (!e)
			*fs = a;
		return e;
	}
	sf_fs *a = *fs, *b = *fs;
	int e = fs_route(&a, from, FS_REMOVE);
	if (!e)
		e = fs_route(&b, to, FS_CREATE);
	if (e == EEXIST) /* onto a share's root */
		e = EACCES;
	if (!e && a != b)
		e = EXDEV;
	if (!e)
		*fs = a;
	return e;
}

int fs_route_handle(sf_fs **fs, struct sf_fs_handle *h)
{
	/* A lazily created file whose CREATE is unanswered or failed: the
	 * FUSE layer waits (sf_fs_when_open) before anything but a write. */
	if (h && (h->pending || h->open_err))
		return h->open_err ? h->open_err : EIO;
	if (h && h->owner) { /* a share's, or a DFS target's */
		*fs = h->owner;
		return 0;
	}
	return (*fs)->root ? EBADF : 0;
}

/* ---- answers made here ----------------------------------------------------- */

struct root_later {
	enum later_kind kind;
	later_any_fn cb;
	void *user;
	struct stat st;
	GPtrArray *entries;
};

static gboolean root_later_run(gpointer p)
{
	struct root_later *l = p;
	switch (l->kind) {
	case LATER_STAT:
		((sf_fs_stat_fn)l->cb)(l->user, 0, &l->st);
		break;
	case LATER_DIR:
		((sf_fs_dir_fn)l->cb)(l->user, 0, l->entries);
		break;
	case LATER_STATVFS: {
		struct statvfs sv = {.f_bsize = 4096, .f_frsize = 4096, .f_namemax = 255};
		((sf_fs_statvfs_fn)l->cb)(l->user, 0, &sv);
		break;
	}
	case LATER_XATTRS: {
		GPtrArray *none = g_ptr_array_new();
		((sf_fs_xattrs_fn)l->cb)(l->user, 0, none);
		g_ptr_array_unref(none);
		break;
	}
	default:
		g_assert_not_reached();
	}
	g_free(l);
	return G_SOURCE_REMOVE;
}

static void root_later(sf_fs *fs, struct root_later *l)
{
	GSource *s = g_idle_source_new();
	g_source_set_callback(s, root_later_run, l, NULL);
	g_source_attach(s, sf_conn_context(sf_session_conn(sf_tree_session(fs->tree))));
	g_source_unref(s);
}

/* The root, or a share that refused us: a directory of our own. */
static void dir_stat(struct fs_root *r, struct stat *st, bool denied)
{
	memset(st, 0, sizeof *st);
	st->st_mode = S_IFDIR | (denied ? 0 : r->child_cfg.dir_mode);
	st->st_nlink = 2;
	st->st_uid = r->child_cfg.uid;
	st->st_gid = r->child_cfg.gid;
	st->st_blksize = 4096;
	st->st_atim = st->st_mtim = st->st_ctim = r->born;
}

static void later_stat_ok(sf_fs *fs, sf_fs_stat_fn cb, void *user, bool denied)
{
	struct root_later *l = g_new0(struct root_later, 1);
	l->kind = LATER_STAT;
	l->cb = (later_any_fn)cb;
	l->user = user;
	dir_stat(fs->root, &l->st, denied);
	root_later(fs, l);
}

/* ---- lookups of shares ----------------------------------------------------- */

static void child_answer(struct fs_child *c, sf_fs_stat_fn cb, void *user, uint32_t status)
{
	sf_fs *fs = c->root->self;
	if (c->fs)
		sf_fs_stat(c->fs, "", cb, user);
	else if (c->denied)
		later_stat_ok(fs, cb, user, true);
	else
		later_stat(fs, cb, user, sf_fs_errno(status ? status : STATUS_UNSUCCESSFUL));
}

static void child_connected(sf_tree *t, uint32_t status, const char *why, void *user)
{
	struct fs_child *c = user;
	c->connecting = false;
	if (!status) {
		struct sf_fs_config cfg = c->root->child_cfg;
		/* File ids are unique within a share only: each share's ids are
		 * set apart, or files of two shares would be taken for hard
		 * links of one another. */
		cfg.ino_salt = ((uint64_t)c->index + 1) << 48;
		c->fs = sf_fs_new(t, &cfg);
		sf_tree_unref(t); /* sf_fs holds its own */
		sf_fs *self = c->root->self;
		if (self->break_hook)
			sf_fs_set_break_hook(c->fs, self->break_hook, self->break_user);
		g_debug("share %s connected", c->name);
	} else if (status == STATUS_ACCESS_DENIED || status == STATUS_NETWORK_ACCESS_DENIED ||
	           status == STATUS_BAD_NETWORK_NAME) {
		/* Listed but not ours to enter (Samba answers a share whose
		 * valid users leave us out with BAD_NETWORK_NAME or
		 * ACCESS_DENIED, depending on the version). */
		c->denied = status;
		g_message("%s", why ? why : sf_ntstatus_name(status));
	} else {
		g_message("%s", why ? why : sf_ntstatus_name(status));
	}
	GArray *w = c->waiters;
	c->waiters = NULL;
	for (guint i = 0; w && i < w->len; i++) {
		struct waiter *x = &g_array_index(w, struct waiter, i);
		child_answer(c, x->cb, x->user, status);
	}
	if (w)
		g_array_unref(w);
}

bool fs_root_stat(sf_fs *fs, const char *path, sf_fs_stat_fn cb, void *user)
{
	struct fs_root *r = fs->root;
	if (!*path) {
		later_stat_ok(fs, cb, user, false);
		return true;
	}
	if (strchr(path, '/'))
		return false;
	struct fs_child *c = find(r, path, strlen(path));
	if (!c) {
		later_stat(fs, cb, user, ENOENT);
		return true;
	}
	if (c->fs || c->denied) {
		child_answer(c, cb, user, 0);
		return true;
	}
	if (!c->waiters)
		c->waiters = g_array_new(FALSE, FALSE, sizeof(struct waiter));
	struct waiter x = {cb, user};
	g_array_append_val(c->waiters, x);
	if (!c->connecting) {
		c->connecting = true;
		r->get_tree(r->get_ctx, c->name, child_connected, c);
	}
	return true;
}

/* ---- the root directory ------------------------------------------------------ */

static void dirent_free(gpointer p)
{
	struct sf_fs_dirent *e = p;
	g_free(e->name);
	g_free(e);
}

bool fs_root_readdir(sf_fs *fs, const char *path, sf_fs_dir_fn cb, void *user)
{
	if (*path)
		return false;
	struct fs_root *r = fs->root;
	struct root_later *l = g_new0(struct root_later, 1);
	l->kind = LATER_DIR;
	l->cb = (later_any_fn)cb;
	l->user = user;
	l->entries = g_ptr_array_new_with_free_func(dirent_free);
	for (guint i = 0; i < r->children->len; i++) {
		struct fs_child *c = g_ptr_array_index(r->children, i);
		struct sf_fs_dirent *e = g_new0(struct sf_fs_dirent, 1);
		e->name = g_strdup(c->name);
		dir_stat(r, &e->st, c->denied != 0);
		/* Never 0 (readdir(3) skips those), and unlike any file id. */
		e->st.st_ino = ((uint64_t)c->index + 1) << 48 | 0xffffffffffffu;
		e->lookup = !c->fs && !c->denied;
		g_ptr_array_add(l->entries, e);
	}
	root_later(fs, l);
	return true;
}

bool fs_root_statfs(sf_fs *fs, sf_fs_statvfs_fn cb, void *user)
{
	struct root_later *l = g_new0(struct root_later, 1);
	l->kind = LATER_STATVFS;
	l->cb = (later_any_fn)cb;
	l->user = user;
	root_later(fs, l);
	return true;
}

bool fs_root_getxattrs(sf_fs *fs, const char *path, sf_fs_xattrs_fn cb, void *user)
{
	if (*path)
		return false;
	struct root_later *l = g_new0(struct root_later, 1);
	l->kind = LATER_XATTRS;
	l->cb = (later_any_fn)cb;
	l->user = user;
	root_later(fs, l);
	return true;
}
