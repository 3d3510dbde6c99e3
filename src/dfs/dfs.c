/* dfs.c - referral requests through the pool (see dfs.h). */
#define G_LOG_DOMAIN "smbfuse-dfs"

#include "dfs/dfs.h"

#include "proto/ioctl.h"
#include "proto/ntstatus.h"
#include "util/utf16.h"

#include <errno.h>
#include <string.h>

/* Referral responses are small; a namespace with many targets may need
 * more (STATUS_BUFFER_OVERFLOW, MS-DFSC 3.1.5.4): grow up to 64 KiB. */
#define REF_FIRST_MAX 8192u
#define REF_LAST_MAX  65536u

struct sf_dfs {
	int refs;
	sf_pool *pool;
	sf_dfs_cache *cache;
	char *dc;
};

sf_dfs *sf_dfs_new(sf_pool *pool, const char *dc)
{
	sf_dfs *d = g_new0(sf_dfs, 1);
	d->refs = 1;
	d->pool = pool;
	d->cache = sf_dfs_cache_new();
	d->dc = g_strdup(dc);
	return d;
}

sf_dfs *sf_dfs_ref(sf_dfs *d)
{
	d->refs++;
	return d;
}

void sf_dfs_unref(sf_dfs *d)
{
	if (!d || --d->refs > 0)
		return;
	sf_dfs_cache_free(d->cache);
	g_free(d->dc);
	g_free(d);
}

sf_pool *sf_dfs_pool(sf_dfs *d)
{
	return d->pool;
}

sf_dfs_cache *sf_dfs_cache_of(sf_dfs *d)
{
	return d->cache;
}

const char *sf_dfs_dc(const sf_dfs *d)
{
	return d->dc;
}

gint64 sf_dfs_now(const sf_dfs *d)
{
	(void)d;
	return g_get_monotonic_time();
}

struct refer {
	sf_dfs *d;
	char *host;
	char *path;
	sf_tree *ipc;
	uint32_t max_out;
	sf_dfs_refer_fn cb;
	void *user;
};

static void refer_finish(struct refer *r, uint32_t status, struct sf_dfs_entry *e)
{
	r->cb(r->user, status, e);
	sf_dfs_unref(r->d);
	if (r->ipc)
		sf_tree_unref(r->ipc);
	g_free(r->host);
	g_free(r->path);
	g_free(r);
}

static void refer_send(struct refer *r);

static void refer_answered(void *user, uint32_t status, const uint8_t *pdu, size_t len)
{
	struct refer *r = user;
	if (status == STATUS_BUFFER_OVERFLOW && r->max_out < REF_LAST_MAX) {
		r->max_out *= 4;
		refer_send(r);
		return;
	}
	if (status) {
		g_debug("referral for '%s' from %s: %s", r->path, r->host,
		        sf_ntstatus_name(status));
		refer_finish(r, status, NULL);
		return;
	}
	struct smb2_ioctl_rsp io;
	struct dfs_referral_rsp *rsp = g_new(struct dfs_referral_rsp, 1);
	struct sf_dfs_entry *e = NULL;
	int err = -EPROTO;
	if (smb2_ioctl_rsp_decode(pdu, len, &io) == 0 &&
	    dfs_referral_rsp_decode(io.out, io.out_len, rsp) == 0)
		e = sf_dfs_cache_add(r->d->cache, r->path, rsp, sf_dfs_now(r->d), &err);
	g_free(rsp);
	if (!e) {
		g_message("%s: malformed referral for '%s' (%s)", r->host, r->path,
		          g_strerror(-err));
		refer_finish(r, STATUS_INVALID_NETWORK_RESPONSE, NULL);
		return;
	}
	g_debug("referral for '%s' from %s: '%s' -> %u target(s), ttl %" G_GINT64_FORMAT " s",
	        r->path, r->host, e->prefix, e->targets->len,
	        (e->expires - sf_dfs_now(r->d)) / G_USEC_PER_SEC);
	sf_dfs_entry_ref(e);
	refer_finish(r, 0, e);
	sf_dfs_entry_unref(e);
}

static void refer_send(struct refer *r)
{
	/* The request path starts with one backslash (MS-DFSC 3.1.4.2). */
	char *name = *r->path ? g_strconcat("\\", r->path, NULL) : g_strdup("");
	size_t n16 = 0, blen = 0, qlen = 0;
	uint8_t *u = sf_utf8_to_utf16(name, -1, &n16);
	g_free(name);
	uint8_t *q = u ? dfs_referral_req_encode(4, u, n16, &qlen) : NULL;
	g_free(u);
	if (!q) {
		refer_finish(r, STATUS_OBJECT_NAME_INVALID, NULL);
		return;
	}
	struct sf_req_spec s = {
	        .command = SMB2_IOCTL,
	        .body = smb2_ioctl_req_encode(SMB2_FILEID_ANY, FSCTL_DFS_GET_REFERRALS, q, qlen,
	                                      r->max_out, &blen),
	        .expect_rsp = r->max_out,
	        .done = refer_answered,
	        .user = r,
	};
	s.body_len = blen;
	g_free(q);
	sf_tree_submit(r->ipc, &s, 1);
	g_free((void *)s.body);
}

static void refer_ipc(sf_tree *t, uint32_t status, const char *why, void *user)
{
	struct refer *r = user;
	if (status) {
		g_debug("IPC$ on %s: %s", r->host, why ? why : sf_ntstatus_name(status));
		refer_finish(r, status, NULL);
		return;
	}
	r->ipc = t;
	refer_send(r);
}

void sf_dfs_refer(sf_dfs *d, sf_tree *like, const char *host, const char *path, sf_dfs_refer_fn cb,
                  void *user)
{
	struct refer *r = g_new0(struct refer, 1);
	r->d = sf_dfs_ref(d);
	r->host = g_strdup(host);
	r->path = g_strdup(path);
	r->max_out = REF_FIRST_MAX;
	r->cb = cb;
	r->user = user;
	sf_pool_get_tree_at(d->pool, like, host, "IPC$", refer_ipc, r);
}

void sf_dfs_connect(sf_dfs *d, sf_tree *like, const struct sf_dfs_target *t, sf_tree_fn done,
                    void *user)
{
	sf_pool_get_tree_at(d->pool, like, t->server, t->share, done, user);
}
