/* fuzz_dfs_referral.c - RESP_GET_DFS_REFERRAL (MS-DFSC 2.2.4, 2.2.5) and
 * what the referral cache makes of it: every decoded string must point
 * into the input, and the cache must take or refuse the referral for any
 * request path without crashing. Seeds: referrals Samba 4.17 sent
 * (tests/vectors/dfs-samba-4.17-referrals.txt) and v1/v2/v4/name-list
 * layouts. */
#include "dfs/cache.h"
#include "proto/dfs_ref.h"

#include <glib.h>

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const struct dfs_str *s, const uint8_t *data, size_t size)
{
	if (s->p && (s->p < data || s->len > size || s->p + s->len > data + size || s->len % 2))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dfs_referral_rsp r;
	if (dfs_referral_rsp_decode(data, size, &r) != 0)
		return 0;
	if (r.n > DFS_MAX_REFERRALS)
		__builtin_trap();
	for (unsigned i = 0; i < r.n; i++) {
		const struct dfs_referral *e = &r.ref[i];
		inside(&e->path, data, size);
		inside(&e->alt_path, data, size);
		inside(&e->node, data, size);
		inside(&e->special, data, size);
		if (e->n_expanded_ok > DFS_MAX_EXPANDED)
			__builtin_trap();
		for (unsigned k = 0; k < e->n_expanded_ok; k++)
			inside(&e->expanded[k], data, size);
	}
	static const char *const requests[] = {"", "test.lan", "127.0.0.1\\dfsroot\\other",
	                                       "127.0.0.1\\dfsroot\\multi\\a\\b", "s\\r"};
	sf_dfs_cache *c = sf_dfs_cache_new();
	for (size_t i = 0; i < G_N_ELEMENTS(requests); i++) {
		int err;
		struct sf_dfs_entry *e = sf_dfs_cache_add(c, requests[i], &r, 0, &err);
		if (!e)
			continue;
		if (!g_utf8_validate(e->prefix, -1, NULL))
			__builtin_trap();
		struct sf_dfs_entry *l = sf_dfs_cache_lookup(c, requests[i], 1);
		for (guint k = 0; l && k < l->targets->len; k++)
			g_free(sf_dfs_target_unc(l, g_ptr_array_index(l->targets, k), requests[i]));
		sf_dfs_cache_names(c, SF_DFS_DC, requests[i], 1);
	}
	sf_dfs_cache_free(c);
	return 0;
}
