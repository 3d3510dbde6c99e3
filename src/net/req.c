/* req.c - a request on a tree: what the caller submitted, kept until it
 * completes, so that it can wait for a reconnect and be sent again.
 *
 * A request (one SMB2 request or a related compound) is sent on the
 * tree's current connection. When the connection breaks under it, every
 * part comes back with STATUS_CONNECTION_DISCONNECTED and no answer; the
 * request then goes back to the tree's queue and is replayed, whole, once
 * the tree is up again (with SMB2_FLAGS_REPLAY_OPERATION on 3.x, so the
 * server recognises a CREATE it already carried out, MS-SMB2 3.2.4.1.x /
 * 3.3.5.9). Callers see exactly one completion per part, with the final
 * answer; a part's PDU is lent to its callback as always.
 *
 * Bounds: at most MAX_SENDS transmissions (a request that kills the
 * connection every time is not sent for ever), and under `soft` a wait
 * for the tree of at most the timeout (tree.c). */
#define G_LOG_DOMAIN "smbfuse-req"

#include "net/tree_int.h"

#include "proto/misc.h"
#include "proto/ntstatus.h"

#include <string.h>

#define MAX_SENDS 6

struct part {
	struct sf_treq *q;
	size_t i;
	uint32_t st;
	GBytes *pdu;
	int fid_off;          /* body offset of the FileId, or -1 */
	uint8_t orig_fid[16]; /* as the caller wrote it */
};

struct sf_treq {
	sf_tree *t;
	sf_req_handle handle;
	size_t n, left;
	struct sf_req_spec *specs; /* bodies owned; done/user are the caller's */
	struct part *parts;
	unsigned sends;
	gint64 deadline; /* monotonic; 0 = none (hard) */
	sf_req_handle conn_handle;
	bool failing;
	bool abandoned; /* the caller was answered (interrupted); answers are dropped */
	uint64_t group;
};

uint64_t treq_group(const struct sf_treq *q)
{
	return q->group;
}

sf_req_handle treq_handle(const struct sf_treq *q)
{
	return q->handle;
}
gint64 treq_deadline(const struct sf_treq *q)
{
	return q->deadline;
}

/* soft: a request waits for a lost server at most the timeout, counted
 * from when it started waiting (a request that was in flight has already
 * spent a timeout finding out the connection was dead). */
void treq_start_waiting(struct sf_treq *q)
{
	sf_tree *t = q->t;
	q->deadline = !t->pol.hard && t->pol.timeout_ms
	                      ? g_get_monotonic_time() + (gint64)t->pol.timeout_ms * 1000
	                      : 0;
}
sf_req_handle treq_conn_handle(const struct sf_treq *q)
{
	return q->conn_handle;
}

struct sf_treq *treq_new(sf_tree *t, const struct sf_req_spec *specs, size_t n)
{
	struct sf_treq *q = g_new0(struct sf_treq, 1);
	q->t = sf_tree_ref(t);
	q->handle = ++t->next_handle;
	q->group = t->group;
	q->n = n;
	q->specs = g_new(struct sf_req_spec, n);
	q->parts = g_new0(struct part, n);
	for (size_t i = 0; i < n; i++) {
		q->specs[i] = specs[i];
		/* Kept for replays; a large WRITE hands its body over. */
		q->specs[i].body = (specs[i].flags & SF_REQ_TAKE_BODY)
		                           ? specs[i].body
		                           : g_memdup2(specs[i].body, specs[i].body_len);
		struct part *p = &q->parts[i];
		p->q = q;
		p->i = i;
		p->fid_off = smb2_req_fileid_offset(specs[i].command);
		/* A lease break acknowledgment (36 bytes) carries a LeaseKey
		 * where an oplock break acknowledgment has the FileId. */
		if (specs[i].command == SMB2_OPLOCK_BREAK && specs[i].body_len != 24)
			p->fid_off = -1;
		if (p->fid_off >= 0 && (size_t)p->fid_off + 16 <= specs[i].body_len)
			memcpy(p->orig_fid, specs[i].body + p->fid_off, 16);
		else
			p->fid_off = -1;
	}
	return q;
}

void treq_free(struct sf_treq *q)
{
	for (size_t i = 0; i < q->n; i++) {
		g_free((void *)q->specs[i].body);
		if (q->parts[i].pdu)
			g_bytes_unref(q->parts[i].pdu);
	}
	g_free(q->specs);
	g_free(q->parts);
	sf_tree_unref(q->t);
	g_free(q);
}

/* Deliver every part's answer, in order, and forget the request. */
static void deliver(struct sf_treq *q)
{
	g_hash_table_remove(q->t->inflight, &q->handle);
	q->t->completing_replay = q->sends > 1;
	sf_tree *t = sf_tree_ref(q->t);
	for (size_t i = 0; i < q->n; i++) {
		struct part *p = &q->parts[i];
		gsize len = 0;
		const uint8_t *pdu = p->pdu ? g_bytes_get_data(p->pdu, &len) : NULL;
		if (q->specs[i].done)
			q->specs[i].done(q->specs[i].user, p->st, pdu, len);
	}
	treq_free(q);
	t->completing_replay = false;
	sf_tree_unref(t);
}

static bool may_replay(const struct sf_treq *q)
{
	return q->sends < MAX_SENDS;
}

/* Lost with the connection (no answer), or the session expired: both are
 * answered by sending again once the tree is back. */
static bool wants_replay(uint32_t st, bool answered)
{
	return (st == STATUS_CONNECTION_DISCONNECTED && !answered) ||
	       st == STATUS_NETWORK_SESSION_EXPIRED || st == STATUS_USER_SESSION_DELETED;
}

static void part_done(void *user, uint32_t st, const uint8_t *pdu, size_t len)
{
	struct part *p = user;
	struct sf_treq *q = p->q;
	sf_tree *t = q->t;
	if (q->abandoned) {
		if (--q->left == 0) {
			g_hash_table_remove(t->inflight, &q->handle);
			treq_free(q);
		}
		return;
	}
	if (st == STATUS_NETWORK_SESSION_EXPIRED || st == STATUS_USER_SESSION_DELETED)
		tree_session_expired(t);
	/* The common case, one request with its final answer: no copy. */
	if (q->n == 1 && (!wants_replay(st, pdu != NULL) || !may_replay(q))) {
		q->left = 0;
		g_hash_table_remove(t->inflight, &q->handle);
		t->completing_replay = q->sends > 1;
		sf_tree_ref(t);
		if (q->specs[0].done)
			q->specs[0].done(q->specs[0].user, st, pdu, len);
		treq_free(q);
		t->completing_replay = false;
		sf_tree_unref(t);
		return;
	}
	p->st = st;
	if (p->pdu)
		g_bytes_unref(p->pdu);
	p->pdu = pdu ? g_bytes_new(pdu, len) : NULL;
	if (--q->left > 0)
		return;
	bool replay = false;
	for (size_t i = 0; i < q->n; i++)
		replay |= wants_replay(q->parts[i].st, q->parts[i].pdu != NULL);
	if (replay && may_replay(q)) {
		g_hash_table_remove(t->inflight, &q->handle);
		for (size_t i = 0; i < q->n; i++)
			if (q->parts[i].pdu) {
				g_bytes_unref(q->parts[i].pdu);
				q->parts[i].pdu = NULL;
			}
		tree_enqueue(t, q);
		return;
	}
	deliver(q);
}

void treq_send(struct sf_treq *q)
{
	sf_tree *t = q->t;
	sf_conn *c = sf_session_conn(t->s);
	struct sf_req_spec *out = g_new(struct sf_req_spec, q->n);
	bool replay = q->sends > 0;
	for (size_t i = 0; i < q->n; i++) {
		struct part *p = &q->parts[i];
		out[i] = q->specs[i];
		out[i].session_id = sf_session_id(t->s);
		out[i].tree_id = t->id;
		out[i].done = part_done;
		out[i].user = p;
		if (replay && sf_conn_negotiated(c)->dialect >= SMB2_DIALECT_0300)
			out[i].hdr_flags |= SMB2_FLAGS_REPLAY_OPERATION;
		if (p->fid_off >= 0) {
			uint8_t *fid = (uint8_t *)q->specs[i].body + p->fid_off;
			memcpy(fid, p->orig_fid, 16);
			if (!sf_handles_translate(t->handles, fid)) {
				/* Its handle was not reclaimed: this descriptor fails
				 * alone, with EIO. */
				g_free(out);
				treq_fail_later(q, STATUS_UNEXPECTED_NETWORK_ERROR);
				return;
			}
		}
	}
	if (replay)
		t->stats->replays++;
	q->sends++;
	q->deadline = 0;
	q->left = q->n;
	g_hash_table_insert(t->inflight, &q->handle, q);
	q->conn_handle = sf_conn_submit(c, out, q->n);
	g_free(out);
}

static gboolean fail_now(gpointer p)
{
	struct sf_treq *q = p;
	for (size_t i = 0; i < q->n; i++)
		q->parts[i].st = q->parts[i].st ? q->parts[i].st : STATUS_CANCELLED;
	deliver(q);
	return G_SOURCE_REMOVE;
}

void treq_fail_later(struct sf_treq *q, uint32_t status)
{
	for (size_t i = 0; i < q->n; i++) {
		q->parts[i].st = status;
		if (q->parts[i].pdu) {
			g_bytes_unref(q->parts[i].pdu);
			q->parts[i].pdu = NULL;
		}
	}
	q->failing = true;
	/* Kept in inflight until then, so that teardown still counts it. */
	g_hash_table_insert(q->t->inflight, &q->handle, q);
	GSource *s = g_idle_source_new();
	g_source_set_callback(s, fail_now, q, NULL);
	g_source_attach(s, sf_conn_context(sf_session_conn(q->t->s)));
	g_source_unref(s);
}

struct abandoned {
	size_t n;
	sf_rsp_fn *done;
	void **user;
};

static gboolean answer_abandoned(gpointer p)
{
	struct abandoned *a = p;
	for (size_t i = 0; i < a->n; i++)
		if (a->done[i])
			a->done[i](a->user[i], STATUS_CANCELLED, NULL, 0);
	g_free(a->done);
	g_free(a->user);
	g_free(a);
	return G_SOURCE_REMOVE;
}

void treq_abandon(struct sf_treq *q)
{
	if (q->abandoned || q->failing)
		return;
	q->abandoned = true;
	struct abandoned *a = g_new0(struct abandoned, 1);
	a->n = q->n;
	a->done = g_new(sf_rsp_fn, q->n);
	a->user = g_new(void *, q->n);
	for (size_t i = 0; i < q->n; i++) {
		a->done[i] = q->specs[i].done;
		a->user[i] = q->specs[i].user;
		q->specs[i].done = NULL;
	}
	GSource *s = g_idle_source_new();
	g_source_set_callback(s, answer_abandoned, a, NULL);
	g_source_attach(s, sf_conn_context(sf_session_conn(q->t->s)));
	g_source_unref(s);
}
