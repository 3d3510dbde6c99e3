/* handle.c - open handles as objects that survive a reconnect.
 *
 * Every handle sf_fs_open() got is registered here with what reopening it
 * needs: its path, create parameters, CreateGuid, lease key and whether
 * the server made it durable. Callers keep the file id CREATE first
 * returned; after a reconnect each durable handle is reclaimed with a
 * DH2C (3.x) or DHnC (2.1) create context and the same lease key
 * (MS-SMB2 3.2.4.4, 3.2.5.3.x), the server keeps its byte-range locks,
 * and tree.c writes the new file id into every request that names the
 * old one (sf_handles_translate). A handle that is not durable, or whose
 * reclaim the server refuses, is lost: requests on it fail with EIO, and
 * only those.
 *
 * Lease breaks (3.2.5.19.2) are acknowledged with the state the server
 * offers: smbfuse caches nothing on the strength of a lease yet (the
 * lease exists to make the handle durable), so giving up caching costs
 * nothing. */
#define G_LOG_DOMAIN "smbfuse-handle"

#include "net/tree_int.h"

#include "proto/create.h"
#include "proto/durable.h"
#include "proto/ntstatus.h"
#include "util/bytes.h"

#include <string.h>

struct dhandle {
	uint8_t orig[16], cur[16]; /* file ids: the caller's, the server's now */
	uint8_t *path;
	size_t path_len;
	uint32_t access, share, options, attributes;
	uint8_t create_guid[16];
	bool durable, v2, persistent, has_lease, lost;
	struct smb2_lease lease;
};

struct sf_handles {
	GHashTable *by_fid; /* orig (16 bytes) -> struct dhandle */
};

static guint fid_hash(gconstpointer p)
{
	const uint8_t *b = p;
	return sf_le32(b) ^ sf_le32(b + 8) ^ sf_le32(b + 12);
}

static gboolean fid_equal(gconstpointer a, gconstpointer b)
{
	return !memcmp(a, b, 16);
}

static void dhandle_free(gpointer p)
{
	struct dhandle *d = p;
	g_free(d->path);
	g_free(d);
}

sf_handles *sf_handles_new(void)
{
	sf_handles *h = g_new0(sf_handles, 1);
	h->by_fid = g_hash_table_new_full(fid_hash, fid_equal, NULL, dhandle_free);
	return h;
}

void sf_handles_free(sf_handles *h)
{
	if (!h)
		return;
	g_hash_table_destroy(h->by_fid);
	g_free(h);
}

static void fid_bytes(struct smb2_fileid fid, uint8_t out[16])
{
	sf_put_le64(out, fid.persistent);
	sf_put_le64(out + 8, fid.volatile_);
}

static struct smb2_fileid fid_of(const uint8_t b[16])
{
	struct smb2_fileid f = {.persistent = sf_le64(b), .volatile_ = sf_le64(b + 8)};
	return f;
}

void sf_tree_handle_opened(sf_tree *t, const struct sf_open_info *o)
{
	struct dhandle *d = g_new0(struct dhandle, 1);
	fid_bytes(o->fid, d->orig);
	memcpy(d->cur, d->orig, 16);
	d->path = g_memdup2(o->path, o->path_len);
	d->path_len = o->path_len;
	d->access = o->access, d->share = o->share;
	d->options = o->options, d->attributes = o->attributes;
	memcpy(d->create_guid, o->create_guid, 16);
	d->durable = o->durable, d->v2 = o->v2, d->persistent = o->persistent;
	d->has_lease = o->has_lease;
	d->lease = o->lease;
	g_hash_table_replace(t->handles->by_fid, d->orig, d);
}

void sf_tree_handle_closed(sf_tree *t, struct smb2_fileid fid)
{
	uint8_t b[16];
	fid_bytes(fid, b);
	g_hash_table_remove(t->handles->by_fid, b);
}

bool sf_handles_translate(sf_handles *h, uint8_t *fid)
{
	struct dhandle *d = g_hash_table_lookup(h->by_fid, fid);
	if (!d)
		return true; /* not ours to track (a compound's own, or unknown) */
	if (d->lost)
		return false;
	memcpy(fid, d->cur, 16);
	return true;
}

/* ---- breaks -------------------------------------------------------------- */

static void ack_done(void *user, uint32_t status, const uint8_t *pdu, size_t len)
{
	if (status && status != STATUS_CONNECTION_DISCONNECTED)
		g_debug("lease break acknowledgment: %s", sf_ntstatus_name(status));
}

bool sf_tree_handle_break(sf_tree *t, const uint8_t *pdu, size_t len, bool force)
{
	if (len < SMB2_HDR_LEN)
		return false;
	const uint8_t *body = pdu + SMB2_HDR_LEN;
	size_t blen = len - SMB2_HDR_LEN;
	struct smb2_lease_break lb;
	if (smb2_lease_break_decode(body, blen, &lb) == 0) {
		bool ours = false;
		GHashTableIter it;
		gpointer v;
		g_hash_table_iter_init(&it, t->handles->by_fid);
		while (g_hash_table_iter_next(&it, NULL, &v)) {
			struct dhandle *d = v;
			if (d->has_lease && !memcmp(d->lease.key, lb.key, 16)) {
				d->lease.state = lb.new_state;
				ours = true;
			}
		}
		if (!ours && !force)
			return false;
		if (!(lb.flags & SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED))
			return true;
		size_t alen;
		uint8_t *ack = smb2_lease_break_ack_encode(lb.key, lb.new_state, &alen);
		struct sf_req_spec s = {.command = SMB2_OPLOCK_BREAK,
		                        .body = ack,
		                        .body_len = alen,
		                        .flags = SF_REQ_CONTROL,
		                        .done = ack_done};
		sf_tree_submit(t, &s, 1);
		g_free(ack);
		return true;
	}
	struct smb2_oplock_break ob;
	if (force && smb2_oplock_break_decode(body, blen, &ob) == 0) {
		/* We request no oplocks; a server that sends a break anyway is
		 * told we hold none (level II acknowledgment of nothing). */
		size_t alen;
		uint8_t *ack = smb2_oplock_break_ack_encode(ob.level, ob.fid, &alen);
		struct sf_req_spec s = {.command = SMB2_OPLOCK_BREAK,
		                        .body = ack,
		                        .body_len = alen,
		                        .flags = SF_REQ_CONTROL,
		                        .done = ack_done};
		sf_tree_submit(t, &s, 1);
		g_free(ack);
		return true;
	}
	return false;
}

/* ---- reclaim after a reconnect -------------------------------------------- */

struct reclaim {
	sf_tree *t;
	int left;
	void (*done)(sf_tree *t, void *user);
	void *user;
};

struct one {
	struct reclaim *r;
	uint8_t orig[16];
};

static void reclaim_step_done(struct reclaim *r)
{
	if (--r->left > 0)
		return;
	sf_tree *t = r->t;
	r->done(t, r->user);
	sf_tree_unref(t);
	g_free(r);
}

static void lose(sf_tree *t, struct dhandle *d, const char *why)
{
	if (d->lost)
		return;
	d->lost = true;
	t->stats->handles_lost++;
	g_warning("\\\\%s: an open file could not be reopened after the reconnect (%s); "
	          "its descriptor now fails with EIO",
	          t->share, why);
}

static void reclaimed_one(void *user, uint32_t status, const uint8_t *pdu, size_t len)
{
	struct one *o = user;
	struct reclaim *r = o->r;
	struct dhandle *d = g_hash_table_lookup(r->t->handles->by_fid, o->orig);
	struct smb2_create_rsp cr;
	if (d) { /* else closed meanwhile */
		if (status == STATUS_SUCCESS && smb2_create_rsp_decode(pdu, len, &cr) == 0) {
			fid_bytes(cr.fid, d->cur);
			const struct smb2_create_ctx *lc = smb2_create_rsp_ctx(&cr, "RqLs");
			struct smb2_lease l;
			if (lc && smb2_lease_ctx_decode(lc->data, lc->data_len, &l) == 0)
				d->lease.state = l.state;
			r->t->stats->handles_reclaimed++;
			g_debug("\\\\%s: durable handle reclaimed", r->t->share);
		} else if (status != STATUS_CONNECTION_DISCONNECTED || pdu) {
			/* (a reconnect that broke again is retried whole, later) */
			lose(r->t, d, status ? sf_ntstatus_name(status) : "malformed answer");
		}
	}
	g_free(o);
	reclaim_step_done(r);
}

static void send_reclaim(struct reclaim *r, struct dhandle *d)
{
	sf_tree *t = r->t;
	uint8_t dh[SMB2_DH2C_LEN], lease[SMB2_LEASE_CTX_V2_LEN];
	struct smb2_create_ctx ctx[2];
	size_t nctx = 0;
	ctx[nctx].data = dh;
	if (d->v2) {
		memcpy(ctx[nctx].name, "DH2C", 4);
		ctx[nctx].data_len =
		        smb2_dh2c_encode(dh, fid_of(d->cur), d->create_guid,
		                         d->persistent ? SMB2_DHANDLE_FLAG_PERSISTENT : 0);
	} else {
		memcpy(ctx[nctx].name, "DHnC", 4);
		ctx[nctx].data_len = smb2_dhnc_encode(dh, fid_of(d->cur));
	}
	nctx++;
	if (d->has_lease) {
		memcpy(ctx[nctx].name, "RqLs", 4);
		ctx[nctx].data = lease;
		ctx[nctx].data_len = smb2_lease_ctx_encode(&d->lease, lease);
		nctx++;
	}
	struct smb2_create_req q = {
	        .oplock_level = d->has_lease ? SMB2_OPLOCK_LEVEL_LEASE : SMB2_OPLOCK_LEVEL_NONE,
	        .desired_access = d->access,
	        .file_attributes = d->attributes,
	        .share_access = d->share,
	        .disposition = FILE_OPEN,
	        .options = d->options,
	        .name = d->path,
	        .name_len = d->path_len,
	        .ctxs = ctx,
	        .ctx_count = nctx,
	};
	size_t blen;
	uint8_t *body = smb2_create_req_encode(&q, &blen);
	struct one *o = g_new0(struct one, 1);
	o->r = r;
	memcpy(o->orig, d->orig, 16);
	r->left++;
	struct sf_req_spec s = {.command = SMB2_CREATE,
	                        .body = body,
	                        .body_len = blen,
	                        .session_id = sf_session_id(t->s),
	                        .tree_id = t->id,
	                        .expect_rsp = 512,
	                        .done = reclaimed_one,
	                        .user = o};
	sf_conn_submit(sf_session_conn(t->s), &s, 1);
	g_free(body);
}

void sf_handles_reclaim(sf_tree *t, void (*done)(sf_tree *t, void *user), void *user)
{
	struct reclaim *r = g_new0(struct reclaim, 1);
	r->t = sf_tree_ref(t);
	r->done = done;
	r->user = user;
	r->left = 1; /* held until every reclaim is sent */
	GHashTableIter it;
	gpointer v;
	g_hash_table_iter_init(&it, t->handles->by_fid);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct dhandle *d = v;
		if (d->lost)
			continue;
		if (!d->durable) {
			lose(t, d, "the server did not make it durable");
			continue;
		}
		send_reclaim(r, d);
	}
	reclaim_step_done(r);
}
