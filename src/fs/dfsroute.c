/* dfsroute.c - paths below DFS links (MS-DFSC 3.1.4, MS-SMB2 3.2.4.3):
 * which tree an operation goes to.
 *
 * An sf_fs serves one tree. When an operation there meets a DFS link
 * (STATUS_PATH_NOT_COVERED), the link is resolved: the referral cache, or
 * a referral from the server (dfs/dfs.c), then the first target that
 * answers, through the pool. The result is a route on that fs: the link's
 * share-relative path and a "sub" fs for the target's tree, whose prefix
 * is the target's path. From then on operations on paths below the link
 * go straight to the sub fs (which may have routes of its own: links to
 * links, at most SF_DFS_MAX_HOPS deep, then ELOOP).
 *
 * A route outlives its referral's TimeToLive: when it has expired, the
 * next use asks the server again in the background and follows what the
 * new referral says. When the connection of a route's target is lost, a
 * link with more targets moves new operations to the next target that
 * answers; the old sub fs stays (retired) for the handles opened on it,
 * which keep the resilience rules of their own tree.
 *
 * Ownership: the mount's fs (the root) owns every sub fs through its
 * routes; resolutions in flight hold the root (fs_hold), so that a
 * callback after unmount finds it still allocated, marked closing. */
#define G_LOG_DOMAIN "smbfuse-dfs"

#include "fs/call.h"

#include "dfs/dfs.h"
#include "proto/ntstatus.h"

#include <errno.h>
#include <string.h>

struct route {
	sf_fs *owner;
	char *link;  /* share-relative, '/'-separated */
	char *mlink; /* the same below the owner's prefix ("": the owner's whole
	              * mount lies below the link) */
	char *extra; /* the owner's prefix below the link (the sub's prefix
	              * adds it to the target's path) */
	struct sf_dfs_entry *e;
	unsigned idx; /* the target sub serves */
	sf_fs *sub;
	bool switching, refreshing;
};

static void route_free(gpointer p)
{
	struct route *r = p;
	g_free(r->link);
	g_free(r->mlink);
	g_free(r->extra);
	sf_dfs_entry_unref(r->e);
	sf_fs_free(r->sub);
	g_free(r);
}

void fs_hold(sf_fs *fs)
{
	fs->top->holds++;
}

/* true when the root is still in use. */
bool fs_release(sf_fs *fs)
{
	sf_fs *top = fs->top;
	top->holds--;
	if (top->freed) {
		if (!top->holds)
			sf_fs_free(top);
		return false;
	}
	return !top->closing;
}

static char *to_unc(const char *p)
{
	char *s = g_strdup(p);
	for (char *q = s; *q; q++)
		if (*q == '/')
			*q = '\\';
	return s;
}

static char *from_unc(const char *p)
{
	char *s = g_strdup(p);
	for (char *q = s; *q; q++)
		if (*q == '\\')
			*q = '/';
	return s;
}

/* The share-relative path of a mount path ("" for the share's root). */
static char *share_path(const sf_fs *fs, const char *path)
{
	if (!fs->cfg.prefix)
		return g_strdup(path);
	return *path ? g_strconcat(fs->cfg.prefix, "/", path, NULL) : g_strdup(fs->cfg.prefix);
}

static char *unc_of(const sf_fs *fs, const char *path)
{
	char *sp = share_path(fs, path);
	char *u = to_unc(sp);
	char *full = *u ? g_strconcat(fs->unc, "\\", u, NULL) : g_strdup(fs->unc);
	g_free(sp);
	g_free(u);
	return full;
}

static char *server_of(const char *unc)
{
	const char *b = strchr(unc, '\\');
	return b ? g_strndup(unc, (gsize)(b - unc)) : g_strdup(unc);
}

bool fs_dfs_enabled(const sf_fs *fs)
{
	return fs->dfs != NULL;
}

static sf_fs *sub_new(sf_fs *parent, sf_tree *t, const struct sf_dfs_target *tg, const char *extra)
{
	struct sf_fs_config cfg = parent->top->cfg;
	char *tp = from_unc(tg->path);
	char *prefix = !*extra ? g_strdup(tp)
	               : *tp   ? g_strconcat(tp, "/", extra, NULL)
	                       : g_strdup(extra);
	g_free(tp);
	cfg.prefix = prefix;
	cfg.dfs = NULL;
	sf_fs *fs = fs_new_common(t, &cfg);
	g_free(prefix);
	fs->dfs = parent->dfs;
	fs->top = parent->top;
	fs->depth = parent->depth + 1;
	g_free(fs->unc);
	fs->unc = g_strdup_printf("%s\\%s", tg->server, tg->share);
	return fs;
}

/* ---- routing ------------------------------------------------------------ */

static void route_switch(struct route *r, int from);
static void route_refresh(struct route *r);

/* The route whose link path is the longest prefix of path (mount-relative),
 * with *rest pointing into path. */
static struct route *find_route(sf_fs *fs, const char *path, const char **rest)
{
	if (!fs->routes || !fs->routes->len)
		return NULL;
	size_t pl = strlen(path);
	struct route *best = NULL;
	for (guint i = 0; i < fs->routes->len; i++) {
		struct route *r = g_ptr_array_index(fs->routes, i);
		size_t n = strlen(r->mlink);
		if (n && (pl < n || g_ascii_strncasecmp(path, r->mlink, n) ||
		          (path[n] != 0 && path[n] != '/')))
			continue;
		if (!best || n > strlen(best->mlink))
			best = r;
	}
	if (best) {
		size_t n = strlen(best->mlink);
		*rest = !n ? path : path[n] ? path + n + 1 : path + n;
	}
	return best;
}

int fs_dfs_route(sf_fs **fs, const char **path)
{
	for (unsigned hops = 0; hops <= SF_DFS_MAX_HOPS; hops++) {
		const char *rest;
		struct route *r = find_route(*fs, *path, &rest);
		if (!r)
			return 0;
		if (!(*fs)->top->closing) {
			if (r->e->expires <= sf_dfs_now((*fs)->dfs))
				route_refresh(r);
			if (!sf_tree_up(r->sub->tree) && r->e->targets->len > 1)
				route_switch(r, (int)r->idx);
		}
		*fs = r->sub;
		*path = rest;
	}
	return ELOOP;
}

/* ---- failover ----------------------------------------------------------- */

struct sw {
	struct route *r;
	unsigned tried, idx;
	struct sf_dfs_entry *e;
};

static void sw_next(struct sw *w);

static void sw_connected(sf_tree *t, uint32_t status, const char *why, void *user)
{
	struct sw *w = user;
	struct route *r = w->r;
	if (!fs_release(r->owner)) {
		if (t)
			sf_tree_unref(t);
		sf_dfs_entry_unref(w->e);
		g_free(w);
		return;
	}
	if (!status && t && !sf_tree_up(t)) {
		sf_tree_unref(t);
		status = STATUS_CONNECTION_DISCONNECTED;
	}
	const struct sf_dfs_target *tg = g_ptr_array_index(w->e->targets, w->idx);
	if (status) {
		g_debug("DFS target \\\\%s\\%s: %s", tg->server, tg->share,
		        why ? why : sf_ntstatus_name(status));
		sw_next(w);
		return;
	}
	sf_fs *old = r->sub;
	r->sub = sub_new(r->owner, t, tg, r->extra);
	sf_tree_unref(t);
	g_ptr_array_add(r->owner->retired, old);
	if (r->e != w->e) {
		sf_dfs_entry_unref(r->e);
		r->e = sf_dfs_entry_ref(w->e);
	}
	r->idx = w->idx;
	r->e->active = w->idx;
	r->switching = false;
	r->owner->top->failovers++;
	g_message("DFS link '%s' now served by \\\\%s\\%s", r->link, tg->server, tg->share);
	sf_dfs_entry_unref(w->e);
	g_free(w);
}

static void sw_next(struct sw *w)
{
	struct route *r = w->r;
	unsigned n = w->e->targets->len;
	if (w->tried >= n) {
		r->switching = false;
		sf_dfs_entry_unref(w->e);
		g_free(w);
		return;
	}
	w->idx = (w->idx + 1) % n;
	w->tried++;
	fs_hold(r->owner);
	sf_dfs_connect(r->owner->dfs, r->owner->tree, g_ptr_array_index(w->e->targets, w->idx),
	               sw_connected, w);
}

/* Move the route to the next target after `from` that answers (from < 0:
 * try the entry's targets from the first). */
static void route_switch(struct route *r, int from)
{
	if (r->switching)
		return;
	r->switching = true;
	struct sw *w = g_new0(struct sw, 1);
	w->r = r;
	w->e = sf_dfs_entry_ref(r->e);
	unsigned n = w->e->targets->len;
	if (from < 0) {
		w->idx = n - 1; /* sw_next starts at idx + 1 = 0 */
	} else {
		w->idx = (unsigned)from;
		w->tried = 1; /* not the one that failed */
	}
	sw_next(w);
}

static void walk_lost(sf_fs *fs, sf_conn *c)
{
	if (!fs->routes)
		return;
	for (guint i = 0; i < fs->routes->len; i++) {
		struct route *r = g_ptr_array_index(fs->routes, i);
		if (sf_session_conn(sf_tree_session(r->sub->tree)) == c && r->e->targets->len > 1)
			route_switch(r, (int)r->idx);
		walk_lost(r->sub, c);
	}
}

static void user_lost(sf_fs *fs, void *c)
{
	if (!fs->closing)
		walk_lost(fs, c);
}

void fs_dfs_conn_lost(void *user, sf_conn *c)
{
	sf_fs *top = user;
	if (top->closing)
		return;
	walk_lost(top, c);
	if (top->users.each) /* multiuser: the users' links too */
		top->users.each(top->users.ctx, user_lost, c);
}

/* ---- TimeToLive --------------------------------------------------------- */

static bool same_target(const struct sf_dfs_target *a, const struct sf_dfs_target *b)
{
	return !g_ascii_strcasecmp(a->server, b->server) &&
	       !g_ascii_strcasecmp(a->share, b->share) && !g_ascii_strcasecmp(a->path, b->path);
}

static void refreshed(void *user, uint32_t status, struct sf_dfs_entry *e)
{
	struct route *r = user;
	if (!fs_release(r->owner))
		return;
	r->refreshing = false;
	if (status || !e || e->kind != SF_DFS_LINK || !e->targets->len) {
		/* Keep what we have; ask again in a minute. */
		r->e->expires = sf_dfs_now(r->owner->dfs) + 60 * G_USEC_PER_SEC;
		return;
	}
	const struct sf_dfs_target *cur = g_ptr_array_index(r->e->targets, r->idx);
	for (guint i = 0; i < e->targets->len; i++) {
		if (same_target(cur, g_ptr_array_index(e->targets, i))) {
			sf_dfs_entry_unref(r->e);
			r->e = sf_dfs_entry_ref(e);
			r->idx = i;
			return;
		}
	}
	/* The link moved: follow the new referral. */
	sf_dfs_entry_unref(r->e);
	r->e = sf_dfs_entry_ref(e);
	r->idx = 0;
	route_switch(r, -1);
}

static void route_refresh(struct route *r)
{
	if (r->refreshing)
		return;
	r->refreshing = true;
	char *u = to_unc(r->link);
	char *unc = g_strconcat(r->owner->unc, "\\", u, NULL);
	char *server = server_of(r->owner->unc);
	fs_hold(r->owner);
	sf_dfs_refer(r->owner->dfs, r->owner->tree, server, unc, refreshed, r);
	g_free(u);
	g_free(unc);
	g_free(server);
}

/* ---- resolving ---------------------------------------------------------- */

struct resolve {
	sf_fs *fs;
	char *unc;
	struct sf_dfs_entry *e;
	char *link;
	unsigned idx, tried;
	uint32_t first;
	fs_resolved_fn done;
	void *user;
};

static void resolve_finish(struct resolve *r, int err)
{
	r->done(r->user, err);
	sf_dfs_entry_unref(r->e);
	g_free(r->unc);
	g_free(r->link);
	g_free(r);
}

static int status_err(uint32_t st)
{
	int e = sf_fs_errno(st);
	if (st == STATUS_IO_TIMEOUT)
		e = ETIMEDOUT;
	return e ? e : EIO;
}

static void try_target(struct resolve *r);

static void target_connected(sf_tree *t, uint32_t status, const char *why, void *user)
{
	struct resolve *r = user;
	if (!fs_release(r->fs)) {
		if (t)
			sf_tree_unref(t);
		resolve_finish(r, EIO);
		return;
	}
	if (!status && t && !sf_tree_up(t)) {
		sf_tree_unref(t);
		status = STATUS_CONNECTION_DISCONNECTED;
	}
	const struct sf_dfs_target *tg = g_ptr_array_index(r->e->targets, r->idx);
	if (status) {
		g_message("DFS link \\\\%s: target \\\\%s\\%s: %s", r->e->prefix, tg->server,
		          tg->share, why ? why : sf_ntstatus_name(status));
		if (!r->first)
			r->first = status;
		r->idx = (r->idx + 1) % r->e->targets->len;
		try_target(r);
		return;
	}
	sf_fs *fs = r->fs;
	/* Another lookup of the same link may have won the race. */
	for (guint i = 0; i < fs->routes->len; i++) {
		struct route *o = g_ptr_array_index(fs->routes, i);
		if (!g_ascii_strcasecmp(o->link, r->link)) {
			sf_tree_unref(t);
			resolve_finish(r, 0);
			return;
		}
	}
	struct route *rt = g_new0(struct route, 1);
	rt->owner = fs;
	rt->link = g_strdup(r->link);
	/* Keys are mount-relative: the link below the owner's prefix, or ""
	 * with the rest of the prefix carried by the sub (a mount below a
	 * link). */
	const char *pre = fs->cfg.prefix ? fs->cfg.prefix : "";
	size_t ll = strlen(r->link), pl = strlen(pre);
	if (pl >= ll && !g_ascii_strncasecmp(pre, r->link, ll) && (!pre[ll] || pre[ll] == '/')) {
		rt->mlink = g_strdup("");
		rt->extra = g_strdup(pre[ll] ? pre + ll + 1 : "");
	} else if (!pl || (!g_ascii_strncasecmp(r->link, pre, pl) && r->link[pl] == '/')) {
		rt->mlink = g_strdup(pl ? r->link + pl + 1 : r->link);
		rt->extra = g_strdup("");
	} else { /* a link beside the mounted directory: never on our paths */
		g_free(rt->link);
		g_free(rt);
		sf_tree_unref(t);
		resolve_finish(r, EREMOTE);
		return;
	}
	rt->e = sf_dfs_entry_ref(r->e);
	rt->idx = r->idx;
	r->e->active = r->idx;
	rt->sub = sub_new(fs, t, tg, rt->extra);
	sf_tree_unref(t);
	g_ptr_array_add(fs->routes, rt);
	g_debug("DFS link '%s' on \\\\%s -> \\\\%s\\%s%s%s", rt->link, fs->unc, tg->server,
	        tg->share, *tg->path ? "\\" : "", tg->path);
	resolve_finish(r, 0);
}

static void try_target(struct resolve *r)
{
	if (r->tried >= r->e->targets->len) {
		resolve_finish(r, status_err(r->first));
		return;
	}
	r->tried++;
	fs_hold(r->fs);
	sf_dfs_connect(r->fs->dfs, r->fs->tree, g_ptr_array_index(r->e->targets, r->idx),
	               target_connected, r);
}

static void use_entry(struct resolve *r, struct sf_dfs_entry *e)
{
	r->e = sf_dfs_entry_ref(e);
	const char *rest = sf_dfs_unc_rest(e->prefix, r->fs->unc);
	if (e->kind != SF_DFS_LINK || !rest || !*rest || !e->targets->len) {
		/* The referral covers the whole share (a root referral for the
		 * root we are on): nothing to route. */
		resolve_finish(r, EREMOTE);
		return;
	}
	/* A link that names itself (or a place below itself) is a loop. */
	for (guint i = 0; i < e->targets->len; i++) {
		char *to = sf_dfs_target_unc(e, g_ptr_array_index(e->targets, i), r->unc);
		bool self = to && sf_dfs_unc_rest(to, e->prefix);
		g_free(to);
		if (self && e->targets->len == 1) {
			resolve_finish(r, ELOOP);
			return;
		}
	}
	r->link = from_unc(rest);
	r->idx = e->active < e->targets->len ? e->active : 0;
	try_target(r);
}

static void referred(void *user, uint32_t status, struct sf_dfs_entry *e)
{
	struct resolve *r = user;
	if (!fs_release(r->fs)) {
		resolve_finish(r, EIO);
		return;
	}
	if (status || !e) {
		/* No referral for a path the server called remote. */
		resolve_finish(r, status == STATUS_INVALID_NETWORK_RESPONSE ? EIO : EREMOTE);
		return;
	}
	use_entry(r, e);
}

void fs_dfs_resolve(sf_fs *fs, const char *path, fs_resolved_fn done, void *user)
{
	struct resolve *r = g_new0(struct resolve, 1);
	r->fs = fs;
	r->done = done;
	r->user = user;
	if (fs->depth >= SF_DFS_MAX_HOPS) {
		g_message("DFS: more than %d referral hops for '%s': a loop", SF_DFS_MAX_HOPS,
		          path);
		resolve_finish(r, ELOOP);
		return;
	}
	r->unc = unc_of(fs, path);
	struct sf_dfs_entry *e =
	        sf_dfs_cache_lookup(sf_dfs_cache_of(fs->dfs), r->unc, sf_dfs_now(fs->dfs));
	const char *rest = e ? sf_dfs_unc_rest(e->prefix, fs->unc) : NULL;
	if (e && e->kind == SF_DFS_LINK && rest && *rest) {
		use_entry(r, e);
		return;
	}
	char *server = server_of(fs->unc);
	fs_hold(fs);
	sf_dfs_refer(fs->dfs, fs->tree, server, r->unc, referred, r);
	g_free(server);
}

/* ---- set-up and teardown ------------------------------------------------ */

void fs_dfs_init(sf_fs *fs)
{
	fs->top = fs;
	fs->routes = g_ptr_array_new_with_free_func(route_free);
	fs->retired = g_ptr_array_new_with_free_func((GDestroyNotify)sf_fs_free);
	g_free(fs->unc);
	fs->unc =
	        g_strdup_printf("%s\\%s", sf_conn_host(sf_session_conn(sf_tree_session(fs->tree))),
	                        sf_tree_share(fs->tree));
}

void fs_dfs_each(sf_fs *fs, void (*fn)(sf_fs *sub, void *user), void *user)
{
	if (fs->routes)
		for (guint i = 0; i < fs->routes->len; i++) {
			sf_fs *sub = ((struct route *)g_ptr_array_index(fs->routes, i))->sub;
			fn(sub, user);
			fs_dfs_each(sub, fn, user);
		}
	if (fs->retired)
		for (guint i = 0; i < fs->retired->len; i++) {
			sf_fs *sub = g_ptr_array_index(fs->retired, i);
			fn(sub, user);
			fs_dfs_each(sub, fn, user);
		}
}

unsigned sf_fs_dfs_failovers(const sf_fs *fs)
{
	return fs->top->failovers;
}
