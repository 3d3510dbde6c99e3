/* cache.c - the DFS referral cache (see cache.h). */
#include "dfs/cache.h"

#include "util/utf16.h"

#include <errno.h>
#include <string.h>

/* A v1 referral has no TimeToLive: keep it for five minutes. */
#define V1_TTL_S 300

struct sf_dfs_cache {
	GPtrArray *entries; /* struct sf_dfs_entry *, referenced */
};

static void target_free(gpointer p)
{
	struct sf_dfs_target *t = p;
	g_free(t->server);
	g_free(t->share);
	g_free(t->path);
	g_free(t);
}

struct sf_dfs_entry *sf_dfs_entry_ref(struct sf_dfs_entry *e)
{
	e->refs++;
	return e;
}

void sf_dfs_entry_unref(struct sf_dfs_entry *e)
{
	if (!e || --e->refs > 0)
		return;
	g_free(e->prefix);
	g_ptr_array_unref(e->targets);
	g_ptr_array_unref(e->names);
	g_free(e);
}

sf_dfs_cache *sf_dfs_cache_new(void)
{
	sf_dfs_cache *c = g_new0(sf_dfs_cache, 1);
	c->entries = g_ptr_array_new_with_free_func((GDestroyNotify)sf_dfs_entry_unref);
	return c;
}

void sf_dfs_cache_free(sf_dfs_cache *c)
{
	if (!c)
		return;
	g_ptr_array_unref(c->entries);
	g_free(c);
}

unsigned sf_dfs_cache_size(const sf_dfs_cache *c)
{
	return c->entries->len;
}

/* ---- paths ------------------------------------------------------------- */

char *sf_dfs_unc_normalize(const char *p)
{
	GString *s = g_string_new(NULL);
	const char *q = p;
	while (*q) {
		while (*q == '\\' || *q == '/')
			q++;
		if (!*q)
			break;
		const char *e = q;
		while (*e && *e != '\\' && *e != '/')
			e++;
		size_t n = (size_t)(e - q);
		if ((n == 1 && q[0] == '.') || (n == 2 && q[0] == '.' && q[1] == '.')) {
			g_string_free(s, TRUE);
			return NULL;
		}
		if (s->len)
			g_string_append_c(s, '\\');
		g_string_append_len(s, q, (gssize)n);
		q = e;
	}
	return g_string_free(s, FALSE);
}

static bool same_ci(const char *a, size_t an, const char *b, size_t bn)
{
	char *fa = g_utf8_casefold(a, (gssize)an), *fb = g_utf8_casefold(b, (gssize)bn);
	bool same = strcmp(fa, fb) == 0;
	g_free(fa);
	g_free(fb);
	return same;
}

const char *sf_dfs_unc_rest(const char *path, const char *prefix)
{
	size_t pl = strlen(prefix), l = strlen(path);
	if (pl > l)
		return NULL;
	if (pl < l && path[pl] != '\\')
		return NULL;
	if (!same_ci(path, pl, prefix, pl))
		return NULL;
	return pl == l ? path + l : path + pl + 1;
}

bool sf_dfs_unc_split(const char *unc, char **server, char **share, char **rest)
{
	const char *a = strchr(unc, '\\');
	if (!a || a == unc || !a[1] || a[1] == '\\')
		return false;
	const char *b = strchr(a + 1, '\\');
	*server = g_strndup(unc, (gsize)(a - unc));
	*share = b ? g_strndup(a + 1, (gsize)(b - a - 1)) : g_strdup(a + 1);
	*rest = g_strdup(b ? b + 1 : "");
	return true;
}

char *sf_dfs_target_unc(const struct sf_dfs_entry *e, const struct sf_dfs_target *t,
                        const char *path)
{
	const char *rest = sf_dfs_unc_rest(path, e->prefix);
	if (!rest)
		return NULL;
	GString *s = g_string_new(t->server);
	g_string_append_printf(s, "\\%s", t->share);
	if (*t->path)
		g_string_append_printf(s, "\\%s", t->path);
	if (*rest)
		g_string_append_printf(s, "\\%s", rest);
	return g_string_free(s, FALSE);
}

/* ---- entries ------------------------------------------------------------ */

static char *str8(const struct dfs_str *s)
{
	if (!s->p)
		return NULL;
	return sf_utf16_to_utf8(s->p, s->len);
}

static unsigned components(const char *unc)
{
	unsigned n = *unc ? 1 : 0;
	for (const char *p = unc; *p; p++)
		n += *p == '\\';
	return n;
}

/* What the response says the request's matched prefix is: PathConsumed
 * bytes of the request as sent ("\" + requested, UTF-16), cut at a
 * component boundary; else the first entry's DFSPath when that is a
 * prefix of the request. */
static char *matched_prefix(const char *requested, const struct dfs_referral_rsp *r)
{
	size_t n16 = 0;
	char *sent = g_strconcat("\\", requested, NULL);
	uint8_t *u = sf_utf8_to_utf16(sent, -1, &n16);
	g_free(sent);
	char *out = NULL;
	size_t pc = r->path_consumed & ~(size_t)1;
	if (u && pc >= 2 && pc <= n16 && (pc == n16 || (u[pc] == '\\' && u[pc + 1] == 0))) {
		char *s = sf_utf16_to_utf8(u, pc);
		out = s ? sf_dfs_unc_normalize(s) : NULL;
		g_free(s);
		if (out && components(out) < 2) {
			g_free(out);
			out = NULL;
		}
	}
	g_free(u);
	if (!out && r->n && r->ref[0].path.p) {
		char *s = str8(&r->ref[0].path);
		char *p = s ? sf_dfs_unc_normalize(s) : NULL;
		g_free(s);
		if (p && components(p) >= 2 && sf_dfs_unc_rest(requested, p))
			out = p;
		else
			g_free(p);
	}
	return out;
}

static struct sf_dfs_target *parse_target(const struct dfs_str *node)
{
	char *s = str8(node);
	char *n = s ? sf_dfs_unc_normalize(s) : NULL;
	g_free(s);
	struct sf_dfs_target *t = NULL;
	char *server, *share, *rest;
	if (n && sf_dfs_unc_split(n, &server, &share, &rest)) {
		t = g_new0(struct sf_dfs_target, 1);
		t->server = server;
		t->share = share;
		t->path = rest;
	}
	g_free(n);
	return t;
}

static struct sf_dfs_entry *entry_new(void)
{
	struct sf_dfs_entry *e = g_new0(struct sf_dfs_entry, 1);
	e->refs = 1;
	e->targets = g_ptr_array_new_with_free_func(target_free);
	e->names = g_ptr_array_new_with_free_func(g_free);
	return e;
}

static void list(sf_dfs_cache *c, struct sf_dfs_entry *e)
{
	for (guint i = 0; i < c->entries->len; i++) {
		struct sf_dfs_entry *o = g_ptr_array_index(c->entries, i);
		if (strlen(o->prefix) == strlen(e->prefix) &&
		    sf_dfs_unc_rest(o->prefix, e->prefix)) {
			g_ptr_array_remove_index_fast(c->entries, i);
			break;
		}
	}
	g_ptr_array_add(c->entries, e);
}

struct sf_dfs_entry *sf_dfs_cache_add(sf_dfs_cache *c, const char *requested,
                                      const struct dfs_referral_rsp *r, gint64 now, int *err)
{
	*err = -EPROTO;
	if (!r->n)
		return NULL;
	const struct dfs_referral *first = &r->ref[0];
	uint32_t ttl = first->version == 1 ? V1_TTL_S : first->ttl;
	struct sf_dfs_entry *e = entry_new();
	e->storage = r->header_flags & DFS_HDR_STORAGE_SERVERS;
	e->expires = now + (gint64)ttl * G_USEC_PER_SEC;
	if (first->version >= 3 && (first->flags & DFS_ENTRY_NAME_LIST_REFERRAL)) {
		/* 3.1.5.4.2/3: a domain referral (request "") lists domains in
		 * SpecialName; a DC referral lists one domain's DCs. */
		bool domain = !*requested;
		e->kind = domain ? SF_DFS_DOMAIN : SF_DFS_DC;
		for (unsigned i = 0; i < r->n; i++) {
			const struct dfs_referral *x = &r->ref[i];
			if (!(x->flags & DFS_ENTRY_NAME_LIST_REFERRAL))
				goto bad;
			if (domain) {
				char *d = str8(&x->special);
				char *nd = d ? sf_dfs_unc_normalize(d) : NULL;
				g_free(d);
				if (!nd || !*nd || strchr(nd, '\\')) {
					g_free(nd);
					goto bad;
				}
				g_ptr_array_add(e->names, nd);
			} else {
				for (unsigned k = 0; k < x->n_expanded_ok; k++) {
					char *d = str8(&x->expanded[k]);
					char *nd = d ? sf_dfs_unc_normalize(d) : NULL;
					g_free(d);
					if (!nd || !*nd || strchr(nd, '\\')) {
						g_free(nd);
						goto bad;
					}
					g_ptr_array_add(e->names, nd);
				}
			}
		}
		if (domain) {
			e->prefix = g_strdup("");
		} else {
			char *d = str8(&first->special);
			e->prefix = d ? sf_dfs_unc_normalize(d) : NULL;
			g_free(d);
			if (!e->prefix || !*e->prefix)
				goto bad;
		}
		if (!e->names->len)
			goto bad;
		list(c, e);
		*err = 0;
		return e;
	}
	e->prefix = matched_prefix(requested, r);
	if (!e->prefix)
		goto bad;
	unsigned nc = components(e->prefix);
	bool root_type = first->server_type == DFS_SERVER_ROOT;
	e->kind = nc == 2 ? SF_DFS_ROOT : SF_DFS_LINK;
	e->interlink = nc > 2 && root_type;
	for (unsigned i = 0; i < r->n; i++) {
		if (r->ref[i].flags & DFS_ENTRY_NAME_LIST_REFERRAL)
			goto bad;
		struct sf_dfs_target *t = parse_target(&r->ref[i].node);
		if (!t)
			goto bad;
		g_ptr_array_add(e->targets, t);
	}
	list(c, e);
	*err = 0;
	return e;
bad:
	sf_dfs_entry_unref(e);
	return NULL;
}

struct sf_dfs_entry *sf_dfs_cache_lookup(sf_dfs_cache *c, const char *path, gint64 now)
{
	struct sf_dfs_entry *best = NULL;
	for (guint i = 0; i < c->entries->len;) {
		struct sf_dfs_entry *e = g_ptr_array_index(c->entries, i);
		if (e->expires <= now) {
			g_ptr_array_remove_index_fast(c->entries, i);
			continue;
		}
		i++;
		if (e->kind != SF_DFS_ROOT && e->kind != SF_DFS_LINK)
			continue;
		if (sf_dfs_unc_rest(path, e->prefix) &&
		    (!best || strlen(e->prefix) > strlen(best->prefix)))
			best = e;
	}
	return best;
}

struct sf_dfs_entry *sf_dfs_cache_names(sf_dfs_cache *c, enum sf_dfs_kind kind, const char *name,
                                        gint64 now)
{
	for (guint i = 0; i < c->entries->len; i++) {
		struct sf_dfs_entry *e = g_ptr_array_index(c->entries, i);
		if (e->kind != kind || e->expires <= now)
			continue;
		if (kind == SF_DFS_DOMAIN || !g_ascii_strcasecmp(e->prefix, name))
			return e;
	}
	return NULL;
}

void sf_dfs_cache_forget(sf_dfs_cache *c, const char *path)
{
	for (guint i = 0; i < c->entries->len;) {
		struct sf_dfs_entry *e = g_ptr_array_index(c->entries, i);
		if (sf_dfs_unc_rest(e->prefix, path))
			g_ptr_array_remove_index_fast(c->entries, i);
		else
			i++;
	}
}
