/* domain.c - a domain-based namespace at start-up (see domain.h). */
#define G_LOG_DOMAIN "smbfuse-dfs"

#include "dfs/domain.h"

#include "proto/ntstatus.h"

#include <gio/gio.h>
#include <string.h>

bool sf_dfs_host_resolves(const char *host)
{
	GResolver *r = g_resolver_get_default();
	GList *l = g_resolver_lookup_by_name(r, host, NULL, NULL);
	g_object_unref(r);
	if (!l)
		return false;
	g_resolver_free_addresses(l);
	return true;
}

struct wait {
	bool done;
	uint32_t status;
	struct sf_dfs_entry *e;
	sf_tree *t;
	char *why;
};

static void referred(void *user, uint32_t status, struct sf_dfs_entry *e)
{
	struct wait *w = user;
	w->status = status;
	w->e = e ? sf_dfs_entry_ref(e) : NULL;
	w->done = true;
}

static void got_tree(sf_tree *t, uint32_t status, const char *why, void *user)
{
	struct wait *w = user;
	w->status = status;
	w->t = t;
	w->why = why ? g_strdup(why) : NULL;
	w->done = true;
}

static uint32_t refer(sf_dfs *d, sf_tree *ipc, const char *dc, const char *path, GMainContext *ctx,
                      struct sf_dfs_entry **e)
{
	struct wait w = {0};
	sf_dfs_refer(d, ipc, dc, path, referred, &w);
	while (!w.done)
		g_main_context_iteration(ctx, TRUE);
	*e = w.e;
	return w.status ? w.status : (w.e ? 0 : STATUS_INVALID_NETWORK_RESPONSE);
}

static bool listed(const struct sf_dfs_entry *e, const char *name)
{
	for (guint i = 0; e && i < e->names->len; i++)
		if (!g_ascii_strcasecmp(g_ptr_array_index(e->names, i), name))
			return true;
	return false;
}

uint32_t sf_dfs_open_domain(const struct sf_client_opts *o, const char *dc, GMainContext *ctx,
                            struct sf_client **out, sf_dfs **dfs, char **target_path, char **why)
{
	ctx = ctx ? ctx : g_main_context_default();
	struct sf_client_opts dco = *o;
	dco.host = dc;
	dco.share = "IPC$";
	struct sf_client *cl = NULL;
	char *w = NULL;
	uint32_t st = sf_client_open(&dco, ctx, &cl, &w);
	if (st) {
		*why = g_strdup_printf("domain controller %s: %s", dc,
		                       w ? w : sf_ntstatus_name(st));
		g_free(w);
		return st;
	}
	sf_dfs *d = sf_dfs_new(cl->pool, dc);
	struct sf_dfs_entry *dom = NULL, *dcs = NULL, *root = NULL;
	/* 3.1.4.1 steps 2-4: the domains this DC knows (a domain referral),
	 * its domain's DCs (a DC referral), then the namespace's root targets
	 * (a root referral, sent to a DC). */
	st = refer(d, cl->tree, dc, "", ctx, &dom);
	if (!st && !listed(dom, o->host)) {
		g_message("domain referral from %s does not list '%s'", dc, o->host);
	}
	if (!st)
		st = refer(d, cl->tree, dc, o->host, ctx, &dcs);
	char *path = g_strdup_printf("%s\\%s", o->host, o->share);
	if (!st)
		st = refer(d, cl->tree, dc, path, ctx, &root);
	g_free(path);
	if (st || !root->targets->len) {
		*why = g_strdup_printf("DFS referrals for \\\\%s\\%s from %s: %s", o->host,
		                       o->share, dc, st ? sf_ntstatus_name(st) : "no targets");
		goto fail;
	}
	g_debug("\\\\%s\\%s: %u domain(s), %u DC(s), %u root target(s)", o->host, o->share,
	        dom->names->len, dcs->names->len, root->targets->len);
	/* The first root target that answers. */
	uint32_t first = 0;
	for (guint i = 0; i < root->targets->len; i++) {
		const struct sf_dfs_target *t = g_ptr_array_index(root->targets, i);
		const char *host = t->server;
		if (!sf_dfs_host_resolves(host) && (listed(dcs, host) || dcs->names->len == 1)) {
			g_debug("%s does not resolve: reached at the domain controller %s", host,
			        dc);
			host = dc;
		}
		struct wait tw = {0};
		sf_pool_get_tree_at(cl->pool, cl->tree, host, t->share, got_tree, &tw);
		while (!tw.done)
			g_main_context_iteration(ctx, TRUE);
		if (tw.status) {
			g_message("root target \\\\%s\\%s: %s", t->server, t->share,
			          tw.why ? tw.why : sf_ntstatus_name(tw.status));
			g_free(tw.why);
			first = first ? first : tw.status;
			continue;
		}
		root->active = i;
		*target_path = g_strdup(t->path);
		sf_tree_unref(cl->tree); /* the IPC$ tree stays in the pool */
		if (cl->conn)
			sf_conn_unref(cl->conn);
		cl->tree = tw.t;
		cl->session = sf_tree_session(tw.t);
		cl->conn = sf_conn_ref(sf_session_conn(cl->session));
		sf_dfs_entry_unref(dom);
		sf_dfs_entry_unref(dcs);
		sf_dfs_entry_unref(root);
		*out = cl;
		*dfs = d;
		return 0;
	}
	st = first ? first : STATUS_BAD_NETWORK_NAME;
	*why = g_strdup_printf("no root target of \\\\%s\\%s answered (%s)", o->host, o->share,
	                       sf_ntstatus_name(st));
fail:
	sf_dfs_entry_unref(dom);
	sf_dfs_entry_unref(dcs);
	sf_dfs_entry_unref(root);
	sf_dfs_unref(d);
	sf_client_close(cl);
	return st ? st : STATUS_BAD_NETWORK_NAME;
}
