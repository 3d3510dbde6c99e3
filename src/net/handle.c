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
 * offers, after the tree's break hook (the FUSE layer, which keeps the
 * kernel's page cache of a file across opens under a read lease) has
 * dropped what it cached, when read caching is taken away. */
#define G_LOG_DOMAIN "smbfuse-handle"

#include "net/tree_int.h"

#include "crypto/prim.h"
#include "proto/posix.h"
#include "proto/create.h"
#include "proto/durable.h"
#include "proto/fscc.h"
#include "proto/info.h"
#include "proto/ntstatus.h"
#include "util/bytes.h"

#include <string.h>

struct dhandle {
	uint8_t orig[16], cur[16]; /* file ids: the caller's, the server's now */
	uint8_t *path;
	size_t path_len;
	uint32_t access, share, options, attributes;
	uint8_t create_guid[16];
	bool durable, v2, persistent, has_lease, lost, posix;
	struct smb2_lease lease;
	uint64_t file_id, change_time;
	unsigned locks;
};

struct sf_handles {
	GHashTable *by_fid;  /* orig (16 bytes) -> struct dhandle */
	GPtrArray *renaming; /* struct rename: sent, not yet answered */
	GArray *dir_leases;  /* struct dir_lease */
};

struct dir_lease {
	uint8_t key[16];
	sf_tree_dir_break_fn broken;
	void *user;
};

/* A rename whose answer has not come: if the connection was lost, it may
 * or may not have happened, and a handle below it is reclaimed under
 * whichever name the server has (its durable state keeps the name). */
struct rename {
	uint8_t *from, *to;
	size_t from_len, to_len;
};

static void rename_free(gpointer p)
{
	struct rename *r = p;
	g_free(r->from);
	g_free(r->to);
	g_free(r);
}

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
	h->renaming = g_ptr_array_new_with_free_func(rename_free);
	h->dir_leases = g_array_new(FALSE, FALSE, sizeof(struct dir_lease));
	return h;
}

void sf_handles_free(sf_handles *h)
{
	if (!h)
		return;
	g_hash_table_destroy(h->by_fid);
	g_ptr_array_unref(h->renaming);
	g_array_unref(h->dir_leases);
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
	d->file_id = o->file_id;
	d->change_time = o->change_time;
	d->posix = o->posix;
	g_hash_table_replace(t->handles->by_fid, d->orig, d);
}

void sf_tree_handle_closed(sf_tree *t, struct smb2_fileid fid)
{
	uint8_t b[16];
	fid_bytes(fid, b);
	g_hash_table_remove(t->handles->by_fid, b);
}

/* path with from replaced by to when path is from or below it, else NULL. */
static uint8_t *renamed_path(const uint8_t *path, size_t len, const uint8_t *from, size_t from_len,
                             const uint8_t *to, size_t to_len, size_t *out_len)
{
	if (len < from_len || memcmp(path, from, from_len) != 0)
		return NULL;
	if (len > from_len &&
	    !(len >= from_len + 2 && (path[from_len] == '\\' || path[from_len] == '/') &&
	      path[from_len + 1] == 0))
		return NULL; /* "fromX", not "from\\X" */
	size_t rest = len - from_len;
	uint8_t *np = g_malloc(to_len + rest);
	memcpy(np, to, to_len);
	memcpy(np + to_len, path + from_len, rest);
	*out_len = to_len + rest;
	return np;
}

void sf_tree_handle_renaming(sf_tree *t, const uint8_t *from, size_t from_len, const uint8_t *to,
                             size_t to_len)
{
	struct rename *r = g_new(struct rename, 1);
	r->from = g_memdup2(from, from_len);
	r->from_len = from_len;
	r->to = g_memdup2(to, to_len);
	r->to_len = to_len;
	g_ptr_array_add(t->handles->renaming, r);
}

void sf_tree_handle_renamed(sf_tree *t, const uint8_t *from, size_t from_len, const uint8_t *to,
                            size_t to_len, bool done)
{
	GPtrArray *pending = t->handles->renaming;
	for (guint i = 0; i < pending->len; i++) {
		struct rename *r = g_ptr_array_index(pending, i);
		if (r->from_len == from_len && r->to_len == to_len &&
		    !memcmp(r->from, from, from_len) && !memcmp(r->to, to, to_len)) {
			g_ptr_array_remove_index(pending, i);
			break;
		}
	}
	if (!done)
		return;
	GHashTableIter it;
	gpointer v;
	g_hash_table_iter_init(&it, t->handles->by_fid);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct dhandle *d = v;
		size_t nl;
		uint8_t *np = renamed_path(d->path, d->path_len, from, from_len, to, to_len, &nl);
		if (np) {
			g_free(d->path);
			d->path = np;
			d->path_len = nl;
		}
	}
}

void sf_tree_handle_locks(sf_tree *t, struct smb2_fileid fid, unsigned n)
{
	uint8_t b[16];
	fid_bytes(fid, b);
	struct dhandle *d = g_hash_table_lookup(t->handles->by_fid, b);
	if (d)
		d->locks = n;
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

/* An OPLOCK_BREAK acknowledgment (lease or oplock form); takes ack. */
static void send_ack(sf_tree *t, uint8_t *ack, size_t len)
{
	struct sf_req_spec s = {.command = SMB2_OPLOCK_BREAK,
	                        .body = ack,
	                        .body_len = len,
	                        .flags = SF_REQ_CONTROL,
	                        .done = ack_done};
	sf_tree_submit(t, &s, 1);
	g_free(ack);
}

struct sf_break_ack {
	sf_tree *t;
	uint8_t key[16];
	uint32_t new_state;
	bool send; /* the server asked for an acknowledgment */
};

void sf_tree_set_break_hook(sf_tree *t, sf_tree_break_fn hook, void *user)
{
	t->break_hook = hook;
	t->break_user = user;
}

void sf_tree_break_done(sf_break_ack *a)
{
	if (a->send) {
		size_t alen;
		uint8_t *ack = smb2_lease_break_ack_encode(a->key, a->new_state, &alen);
		send_ack(a->t, ack, alen);
	}
	sf_tree_unref(a->t);
	g_free(a);
}

void sf_tree_dir_lease_held(sf_tree *t, const uint8_t key[16], sf_tree_dir_break_fn broken,
                            void *user)
{
	struct dir_lease d = {.broken = broken, .user = user};
	memcpy(d.key, key, 16);
	g_array_append_val(t->handles->dir_leases, d);
}

void sf_tree_dir_lease_gone(sf_tree *t, const uint8_t key[16])
{
	GArray *a = t->handles->dir_leases;
	for (guint i = 0; i < a->len; i++)
		if (!memcmp(g_array_index(a, struct dir_lease, i).key, key, 16)) {
			g_array_remove_index_fast(a, i);
			return;
		}
}

/* A break of a directory lease: told, then acknowledged (the holder
 * dropped what it cached, synchronously, and closes its handle). */
static bool dir_lease_break(sf_tree *t, const struct smb2_lease_break *lb)
{
	GArray *a = t->handles->dir_leases;
	for (guint i = 0; i < a->len; i++) {
		struct dir_lease d = g_array_index(a, struct dir_lease, i);
		if (memcmp(d.key, lb->key, 16))
			continue;
		sf_tree_stats(t)->lease_breaks++;
		d.broken(d.user, lb->new_state);
		if (lb->flags & SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED) {
			size_t alen;
			uint8_t *ack = smb2_lease_break_ack_encode(lb->key, lb->new_state, &alen);
			send_ack(t, ack, alen);
		}
		return true;
	}
	return false;
}

bool sf_tree_handle_break(sf_tree *t, const uint8_t *pdu, size_t len, bool force)
{
	if (len < SMB2_HDR_LEN)
		return false;
	const uint8_t *body = pdu + SMB2_HDR_LEN;
	size_t blen = len - SMB2_HDR_LEN;
	struct smb2_lease_break lb;
	if (smb2_lease_break_decode(body, blen, &lb) == 0) {
		if (dir_lease_break(t, &lb))
			return true;
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
		if (ours)
			sf_tree_stats(t)->lease_breaks++;
		sf_break_ack *a = g_new0(sf_break_ack, 1);
		a->t = sf_tree_ref(t);
		memcpy(a->key, lb.key, 16);
		a->new_state = lb.new_state;
		a->send = lb.flags & SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED;
		struct dhandle *holder = NULL;
		/* (losing handle caching matters to a handle kept open after
		 * its file was closed: fuse/dclose.c) */
		if (ours && t->break_hook &&
		    (!(lb.new_state & SMB2_LEASE_READ_CACHING) ||
		     !(lb.new_state & SMB2_LEASE_HANDLE_CACHING))) {
			g_hash_table_iter_init(&it, t->handles->by_fid);
			while (g_hash_table_iter_next(&it, NULL, &v)) {
				struct dhandle *d = v;
				if (d->has_lease && !memcmp(d->lease.key, lb.key, 16))
					holder = d;
			}
		}
		if (holder)
			t->break_hook(t->break_user, fid_of(holder->orig), lb.new_state, a);
		else
			sf_tree_break_done(a);
		return true;
	}
	struct smb2_oplock_break ob;
	if (force && smb2_oplock_break_decode(body, blen, &ob) == 0) {
		/* We request no oplocks; a server that sends a break anyway is
		 * told we hold none (level II acknowledgment of nothing). */
		size_t alen;
		uint8_t *ack = smb2_oplock_break_ack_encode(ob.level, ob.fid, &alen);
		send_ack(t, ack, alen);
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
	bool by_path; /* the second chance: CREATE + QUERY_INFO by path */
	int left;
	uint32_t st[2];
	GBytes *pdu[2];
};

static void send_reclaim(struct reclaim *r, struct dhandle *d);
static void send_reopen(struct reclaim *r, struct dhandle *d);

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
	g_warning("\\%s: an open file could not be reopened after the reconnect (%s); "
	          "its descriptor now fails with EIO",
	          t->share, why);
}

/* A handle the server could not give back may be opened again by path,
 * as the rule and NFS clients do, when that cannot change what
 * the application sees: the same file (IndexNumber), and for a handle
 * that reads only, unchanged since it was opened. A handle holding
 * byte-range locks never is: its locks would be gone without a word. */
static bool may_reopen(const struct dhandle *d)
{
	bool writes = d->access & (FILE_WRITE_DATA | FILE_APPEND_DATA);
	return d->file_id && !d->locks && (writes || d->change_time);
}

/* A reclaim or reopen under the handle's name failed (no such name, or,
 * from Samba, "invalid parameter": not the name the durable open has): if
 * a rename of it was in flight when the connection died, the server may
 * have done it; try the new name (once per pending rename). */
static bool try_renamed(struct reclaim *r, struct dhandle *d, bool by_path)
{
	GPtrArray *pending = r->t->handles->renaming;
	for (guint i = 0; i < pending->len; i++) {
		struct rename *rn = g_ptr_array_index(pending, i);
		size_t nl;
		uint8_t *np = renamed_path(d->path, d->path_len, rn->from, rn->from_len, rn->to,
		                           rn->to_len, &nl);
		if (!np)
			continue;
		g_free(d->path);
		d->path = np;
		d->path_len = nl;
		if (by_path)
			send_reopen(r, d);
		else
			send_reclaim(r, d);
		return true;
	}
	return false;
}

static void reopen_close_done(void *user, uint32_t status, const uint8_t *pdu, size_t len)
{
}

static void one_finish(struct one *o)
{
	struct reclaim *r = o->r;
	sf_tree *t = r->t;
	struct dhandle *d = g_hash_table_lookup(t->handles->by_fid, o->orig);
	gsize len = 0;
	const uint8_t *pdu = o->pdu[0] ? g_bytes_get_data(o->pdu[0], &len) : NULL;
	uint32_t status = o->st[0];
	struct smb2_create_rsp cr;
	bool ok = status == STATUS_SUCCESS && pdu && smb2_create_rsp_decode(pdu, len, &cr) == 0;
	bool broken = status == STATUS_CONNECTION_DISCONNECTED && !pdu;
	if (d && ok && o->by_path) {
		/* The same file? Compare what the QUERY_INFO says. */
		gsize qlen = 0;
		const uint8_t *q = o->pdu[1] ? g_bytes_get_data(o->pdu[1], &qlen) : NULL;
		struct smb2_query_info_rsp qr;
		struct smb2_all_info ai;
		struct smb2_posix_info pi;
		bool writes = d->access & (FILE_WRITE_DATA | FILE_APPEND_DATA);
		bool same = q && !o->st[1] && smb2_query_info_rsp_decode(q, qlen, &qr) == 0;
		if (same && d->posix) {
			same = smb2_posix_info_decode(qr.buf, qr.buf_len, &pi) == 0;
			ai.file_id = pi.inode;
			ai.t.change = pi.t.change;
		} else if (same) {
			same = smb2_all_info_decode(qr.buf, qr.buf_len, &ai) == 0;
		}
		same = same && ai.file_id == d->file_id &&
		       (writes || ai.t.change == d->change_time);
		if (!same) {
			uint8_t body[24];
			size_t blen;
			uint8_t *cb = smb2_close_req_encode(cr.fid, 0, &blen);
			memcpy(body, cb, MIN(blen, sizeof body));
			g_free(cb);
			struct sf_req_spec s = {.command = SMB2_CLOSE,
			                        .body = body,
			                        .body_len = MIN(blen, sizeof body),
			                        .session_id = sf_session_id(t->s),
			                        .tree_id = t->id,
			                        .flags = SF_REQ_CONTROL,
			                        .done = reopen_close_done};
			sf_conn_submit(sf_session_conn(t->s), &s, 1);
			lose(t, d, "the file changed while the connection was down");
			d = NULL;
		}
	}
	if (d && ok) {
		fid_bytes(cr.fid, d->cur);
		const struct smb2_create_ctx *lc = smb2_create_rsp_ctx(&cr, "RqLs");
		struct smb2_lease l;
		if (lc && smb2_lease_ctx_decode(lc->data, lc->data_len, &l) == 0)
			d->lease.state = l.state;
		else if (o->by_path)
			d->has_lease = false;
		if (o->by_path) {
			d->durable = smb2_create_rsp_ctx(&cr, d->v2 ? "DH2Q" : "DHnQ") != NULL;
			t->stats->handles_reopened++;
			g_message("\\%s: an open file was reopened by name after the reconnect "
			          "(the server had lost its durable handle)",
			          t->share);
		} else {
			t->stats->handles_reclaimed++;
			g_debug("\\%s: durable handle reclaimed", t->share);
		}
	} else if (d && !broken &&
	           (status == STATUS_OBJECT_NAME_NOT_FOUND || status == STATUS_INVALID_PARAMETER) &&
	           try_renamed(r, d, o->by_path)) {
		/* sent again under the name a pending rename gave it */
	} else if (d && !broken) {
		/* (a reconnect that broke again is retried whole, later) */
		if (!o->by_path && may_reopen(d)) {
			send_reopen(r, d);
		} else {
			lose(t, d, status ? sf_ntstatus_name(status) : "malformed answer");
		}
	}
	for (int i = 0; i < 2; i++)
		if (o->pdu[i])
			g_bytes_unref(o->pdu[i]);
	g_free(o);
	reclaim_step_done(r);
}

struct slot {
	struct one *o;
	int i;
};

static void slot_done(void *user, uint32_t status, const uint8_t *pdu, size_t len)
{
	struct slot *sl = user;
	struct one *o = sl->o;
	o->st[sl->i] = status;
	o->pdu[sl->i] = pdu ? g_bytes_new(pdu, len) : NULL;
	g_free(sl);
	if (--o->left == 0)
		one_finish(o);
}

/* Submit a CREATE (and for a reopen its QUERY_INFO) for d. */
static void submit_create(struct reclaim *r, struct dhandle *d, bool by_path,
                          const struct smb2_create_ctx *ctx, size_t nctx, uint32_t disposition)
{
	sf_tree *t = r->t;
	struct smb2_create_req q = {
	        .oplock_level = d->has_lease ? SMB2_OPLOCK_LEVEL_LEASE : SMB2_OPLOCK_LEVEL_NONE,
	        .desired_access = d->access,
	        .file_attributes = d->attributes,
	        .share_access = d->share,
	        .disposition = disposition,
	        .options = d->options,
	        .ctxs = ctx,
	        .ctx_count = nctx,
	};
	/* The POSIX context last: the same pathname rules as the first open. */
	struct smb2_create_ctx all[4] = {0};
	uint8_t pbuf[SMB2_POSIX_CREATE_REQ_LEN];
	if (d->posix && nctx < 4) {
		memcpy(all, ctx, nctx * sizeof *ctx);
		memcpy(all[nctx].name, smb2_posix_tag, 16);
		all[nctx].name_len = 16;
		all[nctx].data = pbuf;
		all[nctx].data_len = smb2_posix_create_req_encode(0, pbuf);
		q.ctxs = all;
		q.ctx_count = nctx + 1;
	}
	size_t blen, qlen, nlen;
	uint8_t *name = sf_tree_create_name(t, d->path, d->path_len, &nlen);
	q.name = name;
	q.name_len = nlen;
	uint8_t *body = smb2_create_req_encode(&q, &blen);
	g_free(name);
	struct one *o = g_new0(struct one, 1);
	o->r = r;
	o->by_path = by_path;
	memcpy(o->orig, d->orig, 16);
	o->left = by_path ? 2 : 1;
	r->left++;
	struct sf_req_spec s[2] = {{.command = SMB2_CREATE,
	                            .body = body,
	                            .body_len = blen,
	                            .session_id = sf_session_id(t->s),
	                            .tree_id = t->id,
	                            .expect_rsp = 512,
	                            .hdr_flags = sf_tree_create_flags(t),
	                            .done = slot_done}};
	uint8_t *qbody = NULL;
	if (by_path) {
		qbody = smb2_query_info_req_encode(SMB2_FILEID_ANY, SMB2_0_INFO_FILE,
		                                   d->posix ? SMB2_FILE_POSIX_INFORMATION
		                                            : FILE_ALL_INFORMATION,
		                                   4096, 0, &qlen);
		s[1] = s[0];
		s[1].command = SMB2_QUERY_INFO;
		s[1].hdr_flags = 0;
		s[1].body = qbody;
		s[1].body_len = qlen;
		s[1].expect_rsp = 4096;
	}
	for (int i = 0; i < o->left; i++) {
		struct slot *sl = g_new(struct slot, 1);
		sl->o = o;
		sl->i = i;
		s[i].user = sl;
	}
	sf_conn_submit(sf_session_conn(t->s), s, (size_t)o->left);
	g_free(body);
	g_free(qbody);
}

static void send_reclaim(struct reclaim *r, struct dhandle *d)
{
	uint8_t dh[SMB2_DH2C_LEN], lease[SMB2_LEASE_CTX_V2_LEN];
	struct smb2_create_ctx ctx[3] = {0};
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
	submit_create(r, d, false, ctx, nctx, FILE_OPEN);
}

/* Open the same name again, durable again when the server allows. */
static void send_reopen(struct reclaim *r, struct dhandle *d)
{
	uint8_t dh[SMB2_DH2Q_LEN], lease[SMB2_LEASE_CTX_V2_LEN];
	struct smb2_create_ctx ctx[3] = {0};
	size_t nctx = 0;
	if (d->has_lease || d->durable) {
		sf_random(d->create_guid, 16);
		sf_random(d->lease.key, 16);
		d->lease.state = SMB2_LEASE_READ_CACHING | SMB2_LEASE_HANDLE_CACHING;
		d->lease.v2 = d->v2;
		d->lease.epoch = 0;
		d->has_lease = true;
		memcpy(ctx[nctx].name, "RqLs", 4);
		ctx[nctx].data = lease;
		ctx[nctx].data_len = smb2_lease_ctx_encode(&d->lease, lease);
		nctx++;
		memcpy(ctx[nctx].name, d->v2 ? "DH2Q" : "DHnQ", 4);
		ctx[nctx].data = dh;
		ctx[nctx].data_len =
		        d->v2 ? smb2_dh2q_encode(dh, 0, 0, d->create_guid) : smb2_dhnq_encode(dh);
		nctx++;
	}
	submit_create(r, d, true, ctx, nctx, FILE_OPEN);
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
		if (d->durable)
			send_reclaim(r, d);
		else if (may_reopen(d))
			send_reopen(r, d);
		else
			lose(t, d, "the server did not make it durable");
	}
	reclaim_step_done(r);
}
