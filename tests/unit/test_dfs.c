/* test_dfs.c - the DFS referral codec (MS-DFSC 2.2.2-2.2.5) and the
 * referral cache (MS-DFSC 3.1.1, 3.1.5.4). Known answers: referrals
 * Samba 4.17 sent (tests/vectors/dfs-samba-4.17-referrals.txt), and
 * buffers built by hand to the layouts of MS-DFSC 2.2.5.1-2.2.5.4. */
#include "dfs/cache.h"
#include "proto/dfs_ref.h"
#include "util/bytes.h"
#include "util/utf16.h"
#include "vectors.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

static GByteArray *samba(const char *name)
{
	gchar *text = NULL;
	gchar *path = g_build_filename(SF_TEST_VECTORS, "dfs-samba-4.17-referrals.txt", NULL);
	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	g_free(path);
	GByteArray *res = NULL;
	gchar **lines = g_strsplit(text, "\n", -1);
	size_t nl = strlen(name);
	for (gchar **l = lines; *l && !res; l++)
		if (!strncmp(*l, name, nl) && (*l)[nl] == ' ')
			res = hexbytes(*l + nl + 1);
	g_strfreev(lines);
	g_free(text);
	g_assert_nonnull(res);
	return res;
}

static char *s8(const struct dfs_str *s)
{
	return sf_utf16_to_utf8(s->p, s->len);
}

static void assert_str(const struct dfs_str *s, const char *want)
{
	char *got = s8(s);
	g_assert_cmpstr(got, ==, want);
	g_free(got);
}

static struct dfs_str u16(const char *s)
{
	size_t n = 0;
	uint8_t *p = sf_utf8_to_utf16(s, -1, &n);
	return (struct dfs_str){p, n};
}

/* ---- requests ------------------------------------------------------------ */

static void test_request(void)
{
	struct dfs_str n = u16("\\a\\b");
	size_t len;
	uint8_t *q = dfs_referral_req_encode(4, n.p, n.len, &len);
	GByteArray *want = hexbytes("0400 5c00 6100 5c00 6200 0000");
	g_assert_cmpmem(q, len, want->data, want->len);
	g_free(q);
	g_byte_array_unref(want);
	/* _EX with a site name (2.2.3, 2.2.3.1): lengths count the NUL. */
	struct dfs_str site = u16("S");
	q = dfs_referral_req_ex_encode(4, n.p, n.len, site.p, site.len, &len);
	want = hexbytes("0400 0100 12000000 0a00 5c00 6100 5c00 6200 0000 0400 5300 0000");
	g_assert_cmpmem(q, len, want->data, want->len);
	g_free(q);
	g_byte_array_unref(want);
	g_assert_null(dfs_referral_req_encode(4, n.p, 3, &len)); /* odd UTF-16 */
	g_free((void *)n.p);
	g_free((void *)site.p);
}

/* ---- Samba's answers ------------------------------------------------------- */

static void test_samba_link(void)
{
	GByteArray *b = samba("samba_link_other");
	struct dfs_referral_rsp *r = g_new(struct dfs_referral_rsp, 1);
	g_assert_cmpint(dfs_referral_rsp_decode(b->data, b->len, r), ==, 0);
	g_assert_cmpuint(r->path_consumed, ==, 48); /* bytes of \127.0.0.1\dfsroot\other */
	g_assert_cmpuint(r->n, ==, 1);
	g_assert_cmphex(r->header_flags, ==, DFS_HDR_STORAGE_SERVERS);
	g_assert_cmpuint(r->ref[0].version, ==, 3);
	g_assert_cmpuint(r->ref[0].server_type, ==, DFS_SERVER_NON_ROOT);
	g_assert_cmpuint(r->ref[0].ttl, ==, 600);
	assert_str(&r->ref[0].path, "\\127.0.0.1\\dfsroot\\other");
	assert_str(&r->ref[0].alt_path, "\\127.0.0.1\\dfsroot\\other");
	assert_str(&r->ref[0].node, "\\127.0.0.2\\share");
	/* The encoder lays a response out as Samba does. */
	size_t len;
	uint8_t *again = dfs_referral_rsp_encode(r, &len);
	g_assert_cmpmem(again, len, b->data, b->len);
	g_free(again);
	g_free(r);
	g_byte_array_unref(b);
}

static void test_samba_multi(void)
{
	GByteArray *b = samba("samba_link_multi");
	struct dfs_referral_rsp *r = g_new(struct dfs_referral_rsp, 1);
	g_assert_cmpint(dfs_referral_rsp_decode(b->data, b->len, r), ==, 0);
	g_assert_cmpuint(r->n, ==, 2);
	assert_str(&r->ref[0].node, "\\127.0.0.3\\share");
	assert_str(&r->ref[1].node, "\\127.0.0.1\\share");
	size_t len;
	uint8_t *again = dfs_referral_rsp_encode(r, &len);
	g_assert_cmpmem(again, len, b->data, b->len);
	g_free(again);

	sf_dfs_cache *c = sf_dfs_cache_new();
	int err;
	struct sf_dfs_entry *e = sf_dfs_cache_add(c, "127.0.0.1\\dfsroot\\multi", r, 0, &err);
	g_assert_nonnull(e);
	g_assert_cmpint(e->kind, ==, SF_DFS_LINK);
	g_assert_true(e->storage);
	g_assert_cmpstr(e->prefix, ==, "127.0.0.1\\dfsroot\\multi");
	g_assert_cmpuint(e->targets->len, ==, 2);
	const struct sf_dfs_target *t0 = g_ptr_array_index(e->targets, 0);
	const struct sf_dfs_target *t1 = g_ptr_array_index(e->targets, 1);
	g_assert_cmpstr(t0->server, ==, "127.0.0.3");
	g_assert_cmpstr(t0->share, ==, "share");
	g_assert_cmpstr(t0->path, ==, "");
	g_assert_cmpstr(t1->server, ==, "127.0.0.1");
	/* Lookups: whole components, any case, until the TTL runs out. */
	g_assert_true(sf_dfs_cache_lookup(c, "127.0.0.1\\DFSROOT\\Multi\\a\\b", 1) == e);
	g_assert_null(sf_dfs_cache_lookup(c, "127.0.0.1\\dfsroot\\multiple", 1));
	char *to = sf_dfs_target_unc(e, t1, "127.0.0.1\\dfsroot\\multi\\a\\b");
	g_assert_cmpstr(to, ==, "127.0.0.1\\share\\a\\b");
	g_free(to);
	g_assert_true(sf_dfs_cache_lookup(c, "127.0.0.1\\dfsroot\\multi", 599 * G_USEC_PER_SEC) ==
	              e);
	g_assert_null(sf_dfs_cache_lookup(c, "127.0.0.1\\dfsroot\\multi", 600 * G_USEC_PER_SEC));
	g_assert_cmpuint(sf_dfs_cache_size(c), ==, 0); /* the expired entry was dropped */
	sf_dfs_cache_free(c);
	g_free(r);
	g_byte_array_unref(b);
}

static void test_samba_self(void)
{
	GByteArray *b = samba("samba_link_self");
	struct dfs_referral_rsp *r = g_new(struct dfs_referral_rsp, 1);
	g_assert_cmpint(dfs_referral_rsp_decode(b->data, b->len, r), ==, 0);
	sf_dfs_cache *c = sf_dfs_cache_new();
	int err;
	struct sf_dfs_entry *e = sf_dfs_cache_add(c, "127.0.0.1\\dfsroot\\self", r, 0, &err);
	g_assert_nonnull(e);
	const struct sf_dfs_target *t = g_ptr_array_index(e->targets, 0);
	g_assert_cmpstr(t->share, ==, "dfsroot");
	g_assert_cmpstr(t->path, ==, "self");
	/* Its target is below its own prefix: a loop the resolver refuses. */
	char *to = sf_dfs_target_unc(e, t, "127.0.0.1\\dfsroot\\self");
	g_assert_nonnull(sf_dfs_unc_rest(to, e->prefix));
	g_free(to);
	sf_dfs_cache_free(c);
	g_free(r);
	g_byte_array_unref(b);
}

/* Every truncation of a valid response fails cleanly (the strings come
 * last, so no shorter buffer is complete). */
static void test_truncations(void)
{
	const char *names[] = {"samba_link_other", "samba_link_multi", "samba_link_self"};
	struct dfs_referral_rsp *r = g_new(struct dfs_referral_rsp, 1);
	for (size_t k = 0; k < G_N_ELEMENTS(names); k++) {
		GByteArray *b = samba(names[k]);
		for (size_t n = 0; n < b->len; n++) {
			uint8_t *copy = g_memdup2(b->data, n);
			g_assert_cmpint(dfs_referral_rsp_decode(copy, n, r), ==, -EPROTO);
			g_free(copy);
		}
		g_byte_array_unref(b);
	}
	g_free(r);
}

/* ---- hand-built layouts ------------------------------------------------------ */

static struct dfs_referral_rsp *one(uint16_t version, uint16_t server_type, const char *path,
                                    const char *node, uint32_t ttl)
{
	struct dfs_referral_rsp *r = g_new0(struct dfs_referral_rsp, 1);
	r->n = 1;
	r->ref[0].version = version;
	r->ref[0].server_type = server_type;
	r->ref[0].ttl = ttl;
	r->ref[0].path = u16(path);
	r->ref[0].alt_path = u16(path);
	r->ref[0].node = u16(node);
	return r;
}

static void free_one(struct dfs_referral_rsp *r)
{
	for (unsigned i = 0; i < r->n; i++) {
		g_free((void *)r->ref[i].path.p);
		g_free((void *)r->ref[i].alt_path.p);
		g_free((void *)r->ref[i].node.p);
	}
	g_free(r);
}

static void test_v1_v2_v4(void)
{
	/* 2.2.5.1: ShareName inline after 8 bytes, no TTL. */
	struct dfs_referral_rsp *in = one(1, DFS_SERVER_ROOT, "", "\\srv\\root", 0);
	size_t len;
	uint8_t *b = dfs_referral_rsp_encode(in, &len);
	GByteArray *want = hexbytes("0000 0100 00000000"
	                            "0100 1c00 0100 0000"
	                            "5c00 7300 7200 7600 5c00 7200 6f00 6f00 7400 0000");
	g_assert_cmpmem(b, len, want->data, want->len);
	struct dfs_referral_rsp *out = g_new(struct dfs_referral_rsp, 1);
	g_assert_cmpint(dfs_referral_rsp_decode(b, len, out), ==, 0);
	assert_str(&out->ref[0].node, "\\srv\\root");
	g_assert_cmpuint(out->ref[0].ttl, ==, 0);
	g_byte_array_unref(want);
	g_free(b);
	free_one(in);

	/* 2.2.5.2: 22-byte entry, offsets from the entry's start. */
	in = one(2, DFS_SERVER_ROOT, "\\d\\r", "\\s\\r", 300);
	in->path_consumed = 8;
	b = dfs_referral_rsp_encode(in, &len);
	want = hexbytes("0800 0100 00000000"
	                "0200 1600 0100 0000 00000000 2c010000 1600 2000 2a00"
	                "5c00 6400 5c00 7200 0000"
	                "5c00 6400 5c00 7200 0000"
	                "5c00 7300 5c00 7200 0000");
	g_assert_cmpmem(b, len, want->data, want->len);
	g_assert_cmpint(dfs_referral_rsp_decode(b, len, out), ==, 0);
	g_assert_cmpuint(out->ref[0].ttl, ==, 300);
	assert_str(&out->ref[0].node, "\\s\\r");
	sf_dfs_cache *c = sf_dfs_cache_new();
	int err;
	struct sf_dfs_entry *e = sf_dfs_cache_add(c, "d\\r\\x", out, 0, &err);
	g_assert_nonnull(e);
	g_assert_cmpint(e->kind, ==, SF_DFS_ROOT);
	g_assert_cmpstr(e->prefix, ==, "d\\r");
	sf_dfs_cache_free(c);
	g_byte_array_unref(want);
	g_free(b);
	free_one(in);

	/* 2.2.5.4: as v3, TargetSetBoundary allowed; an interlink (a link
	 * whose targets are roots). */
	in = one(4, DFS_SERVER_ROOT, "\\d\\r\\link", "\\other\\ns", 60);
	in->ref[0].flags = DFS_ENTRY_TARGET_SET_BOUNDARY;
	in->path_consumed = 20;
	b = dfs_referral_rsp_encode(in, &len);
	g_assert_cmpint(dfs_referral_rsp_decode(b, len, out), ==, 0);
	g_assert_cmpuint(out->ref[0].version, ==, 4);
	g_assert_cmphex(out->ref[0].flags, ==, DFS_ENTRY_TARGET_SET_BOUNDARY);
	c = sf_dfs_cache_new();
	e = sf_dfs_cache_add(c, "d\\r\\link\\a", out, 0, &err);
	g_assert_nonnull(e);
	g_assert_cmpstr(e->prefix, ==, "d\\r\\link");
	g_assert_true(e->interlink);
	sf_dfs_cache_free(c);
	g_free(b);
	free_one(in);
	g_free(out);
}

static void test_name_lists(void)
{
	/* A domain referral (request ""), 2.2.5.3.2: SpecialName only. */
	struct dfs_referral_rsp *r = g_new0(struct dfs_referral_rsp, 1);
	r->n = 1;
	r->ref[0].version = 3;
	r->ref[0].flags = DFS_ENTRY_NAME_LIST_REFERRAL;
	r->ref[0].ttl = 600;
	r->ref[0].special = u16("\\TEST");
	size_t len;
	uint8_t *b = dfs_referral_rsp_encode(r, &len);
	GByteArray *want = hexbytes("0000 0100 00000000"
	                            "0300 1200 0000 0200 58020000 1200 0000 1e00"
	                            "5c00 5400 4500 5300 5400 0000");
	g_assert_cmpmem(b, len, want->data, want->len);
	struct dfs_referral_rsp *out = g_new(struct dfs_referral_rsp, 1);
	g_assert_cmpint(dfs_referral_rsp_decode(b, len, out), ==, 0);
	sf_dfs_cache *c = sf_dfs_cache_new();
	int err;
	struct sf_dfs_entry *e = sf_dfs_cache_add(c, "", out, 0, &err);
	g_assert_nonnull(e);
	g_assert_cmpint(e->kind, ==, SF_DFS_DOMAIN);
	g_assert_cmpstr(g_ptr_array_index(e->names, 0), ==, "TEST");
	g_free(b);
	g_byte_array_unref(want);
	g_free((void *)r->ref[0].special.p);

	/* A DC referral (request "\test.lan"): the DCs as ExpandedNames. */
	r->ref[0].special = u16("\\test.lan");
	r->ref[0].expanded[0] = u16("\\dc1.test.lan");
	r->ref[0].expanded[1] = u16("\\dc2.test.lan");
	r->ref[0].n_expanded_ok = 2;
	b = dfs_referral_rsp_encode(r, &len);
	g_assert_cmpint(dfs_referral_rsp_decode(b, len, out), ==, 0);
	g_assert_cmpuint(out->ref[0].n_expanded, ==, 2);
	g_assert_cmpuint(out->ref[0].n_expanded_ok, ==, 2);
	assert_str(&out->ref[0].expanded[1], "\\dc2.test.lan");
	e = sf_dfs_cache_add(c, "test.lan", out, 0, &err);
	g_assert_nonnull(e);
	g_assert_cmpint(e->kind, ==, SF_DFS_DC);
	g_assert_cmpstr(e->prefix, ==, "test.lan");
	g_assert_cmpuint(e->names->len, ==, 2);
	g_assert_cmpstr(g_ptr_array_index(e->names, 0), ==, "dc1.test.lan");
	/* Name lists are not path prefixes. */
	g_assert_null(sf_dfs_cache_lookup(c, "test.lan\\sysvol", 1));
	struct sf_dfs_entry *dc = sf_dfs_cache_names(c, SF_DFS_DC, "TEST.LAN", 1);
	g_assert_true(dc == e);
	sf_dfs_cache_free(c);
	g_free(b);
	g_free((void *)r->ref[0].special.p);
	g_free((void *)r->ref[0].expanded[0].p);
	g_free((void *)r->ref[0].expanded[1].p);
	g_free(r);
	g_free(out);
}

static void test_malformed(void)
{
	struct dfs_referral_rsp *out = g_new(struct dfs_referral_rsp, 1);
	struct {
		const char *why, *hex;
	} bad[] = {
	        {"short header", "0000 0100 0000"},
	        {"count without entries", "0000 0100 00000000"},
	        {"version 5", "0000 0100 00000000 0500 0a00 0000 0000 0000"},
	        {"size below the v3 fixed part",
	         "0000 0100 00000000 0300 1000 0000 0000 00000000 0000 0000 0000 0000"},
	        {"size past the end", "0000 0100 00000000 0100 ff00 0000 0000 4100 0000"},
	        {"v1 name without NUL", "0000 0100 00000000 0100 0c00 0000 0000 4100 4200"},
	        {"v2 offset past the end",
	         "0000 0100 00000000 0200 1600 0000 0000 00000000 00000000 ff00 1600 1600 0000"},
	        {"v2 offset into the header (before byte 8)",
	         "0000 0100 00000000 0200 1600 0000 0000 00000000 00000000 0000 1600 1600 0000"},
	        {"string without NUL",
	         "0000 0100 00000000 0200 1600 0000 0000 00000000 00000000 1600 1600 1600 4100"},
	        {"mixed versions", "0000 0200 00000000 0100 0a00 0000 0000 0000"
	                           "0200 1600 0000 0000 00000000 00000000 1600 1600 1600 0000"},
	        {"DC names past the end", "0000 0100 00000000 0300 1200 0000 0200 00000000 1200 "
	                                  "0300 1400 0000 4100 0000"},
	        {"too many referrals", "0000 4100 00000000"},
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		GByteArray *b = hexbytes(bad[i].hex);
		if (dfs_referral_rsp_decode(b->data, b->len, out) != -EPROTO)
			g_error("accepted: %s", bad[i].why);
		g_byte_array_unref(b);
	}
	g_free(out);
}

static void test_cache_rules(void)
{
	/* PathConsumed that stops inside a component falls back to DFSPath. */
	struct dfs_referral_rsp *r = one(3, DFS_SERVER_NON_ROOT, "\\s\\r\\lnk", "\\t\\sh\\d", 10);
	r->path_consumed = 10; /* "\s\r\ln" */
	sf_dfs_cache *c = sf_dfs_cache_new();
	int err;
	struct sf_dfs_entry *e = sf_dfs_cache_add(c, "s\\r\\lnk\\x", r, 0, &err);
	g_assert_nonnull(e);
	g_assert_cmpstr(e->prefix, ==, "s\\r\\lnk");
	const struct sf_dfs_target *t = g_ptr_array_index(e->targets, 0);
	g_assert_cmpstr(t->path, ==, "d");
	char *to = sf_dfs_target_unc(e, t, "s\\r\\lnk\\x\\y");
	g_assert_cmpstr(to, ==, "t\\sh\\d\\x\\y");
	g_free(to);
	/* A DFSPath that is not a prefix of the request is refused too. */
	g_free((void *)r->ref[0].path.p);
	r->ref[0].path = u16("\\elsewhere\\r\\lnk");
	g_assert_null(sf_dfs_cache_add(c, "s\\r\\lnk\\x", r, 0, &err));
	g_assert_cmpint(err, ==, -EPROTO);
	/* A target that is not \\server\\share is refused. */
	r->path_consumed = 14;
	g_free((void *)r->ref[0].node.p);
	r->ref[0].node = u16("\\justserver");
	g_assert_null(sf_dfs_cache_add(c, "s\\r\\lnk\\x", r, 0, &err));
	g_free((void *)r->ref[0].node.p);
	r->ref[0].node = u16("\\srv\\..\\x");
	g_assert_null(sf_dfs_cache_add(c, "s\\r\\lnk\\x", r, 0, &err));
	free_one(r);

	/* Longest prefix wins; a replacement replaces. */
	r = one(3, DFS_SERVER_ROOT, "\\s\\r", "\\s\\r", 100);
	r->path_consumed = 8;
	g_assert_nonnull(sf_dfs_cache_add(c, "s\\r", r, 0, &err));
	struct sf_dfs_entry *root = sf_dfs_cache_lookup(c, "s\\r\\other", 1);
	g_assert_nonnull(root);
	g_assert_cmpint(root->kind, ==, SF_DFS_ROOT);
	g_assert_cmpstr(sf_dfs_cache_lookup(c, "s\\r\\lnk\\q", 1)->prefix, ==, "s\\r\\lnk");
	g_assert_nonnull(sf_dfs_cache_add(c, "s\\r", r, 0, &err));
	g_assert_cmpuint(sf_dfs_cache_size(c), ==, 2);
	sf_dfs_cache_forget(c, "s\\r");
	g_assert_cmpuint(sf_dfs_cache_size(c), ==, 0);
	free_one(r);
	sf_dfs_cache_free(c);
}

static void test_unc_helpers(void)
{
	char *n = sf_dfs_unc_normalize("//srv\\\\share/a/");
	g_assert_cmpstr(n, ==, "srv\\share\\a");
	g_free(n);
	g_assert_null(sf_dfs_unc_normalize("\\srv\\share\\..\\x"));
	g_assert_cmpstr(sf_dfs_unc_rest("a\\b\\c", "A\\B"), ==, "c");
	g_assert_cmpstr(sf_dfs_unc_rest("a\\b", "a\\b"), ==, "");
	g_assert_null(sf_dfs_unc_rest("a\\bc", "a\\b"));
	char *srv, *sh, *rest;
	g_assert_true(sf_dfs_unc_split("s\\sh\\x\\y", &srv, &sh, &rest));
	g_assert_cmpstr(srv, ==, "s");
	g_assert_cmpstr(sh, ==, "sh");
	g_assert_cmpstr(rest, ==, "x\\y");
	g_free(srv);
	g_free(sh);
	g_free(rest);
	g_assert_false(sf_dfs_unc_split("s", &srv, &sh, &rest));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/dfs/request", test_request);
	g_test_add_func("/dfs/samba/link", test_samba_link);
	g_test_add_func("/dfs/samba/multi", test_samba_multi);
	g_test_add_func("/dfs/samba/self", test_samba_self);
	g_test_add_func("/dfs/samba/truncations", test_truncations);
	g_test_add_func("/dfs/v1-v2-v4", test_v1_v2_v4);
	g_test_add_func("/dfs/name-lists", test_name_lists);
	g_test_add_func("/dfs/malformed", test_malformed);
	g_test_add_func("/dfs/cache", test_cache_rules);
	g_test_add_func("/dfs/unc", test_unc_helpers);
	return g_test_run();
}
