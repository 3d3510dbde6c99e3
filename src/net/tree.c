/* tree.c - TREE_CONNECT, validate negotiate, and the tree's request queue
 * (states and ownership: tree.h). */
#define G_LOG_DOMAIN "smbfuse-tree"

#include "net/tree_int.h"

#include "proto/ntstatus.h"
#include "proto/ioctl.h"
#include "proto/session.h"
#include "proto/smb2.h"
#include "util/bytes.h"
#include "util/utf16.h"

#include <string.h>

sf_tree *sf_tree_ref(sf_tree *t)
{
	t->refs++;
	return t;
}

void sf_tree_unref(sf_tree *t)
{
	if (!t || --t->refs > 0)
		return;
	if (t->deadline_timer) {
		g_source_destroy(t->deadline_timer);
		g_source_unref(t->deadline_timer);
	}
	g_hash_table_destroy(t->inflight);
	sf_handles_free(t->handles);
	sf_session_unref(t->s);
	g_free(t->share);
	g_free(t);
}

uint32_t sf_tree_id(const sf_tree *t)
{
	return t->id;
}
sf_session *sf_tree_session(const sf_tree *t)
{
	return t->s;
}
uint8_t sf_tree_share_type(const sf_tree *t)
{
	return t->info.share_type;
}
uint32_t sf_tree_share_flags(const sf_tree *t)
{
	return t->info.share_flags;
}
uint32_t sf_tree_capabilities(const sf_tree *t)
{
	return t->info.capabilities;
}
uint32_t sf_tree_maximal_access(const sf_tree *t)
{
	return t->info.maximal_access;
}
const char *sf_tree_share(const sf_tree *t)
{
	return t->share;
}
bool sf_tree_is_dfs(const sf_tree *t)
{
	return t->info.capabilities & SMB2_SHARE_CAP_DFS;
}

uint32_t sf_tree_create_flags(const sf_tree *t)
{
	return sf_tree_is_dfs(t) ? SMB2_FLAGS_DFS_OPERATIONS : 0;
}

uint8_t *sf_tree_create_name(const sf_tree *t, const uint8_t *rel, size_t rel_len, size_t *out_len)
{
	if (!sf_tree_is_dfs(t)) {
		*out_len = rel_len;
		return g_memdup2(rel ? rel : (const uint8_t *)"", rel_len);
	}
	char *pre = g_strdup_printf("%s\\%s", sf_conn_host(sf_session_conn(t->s)), t->share);
	size_t plen = 0;
	uint8_t *p = sf_utf8_to_utf16(pre, -1, &plen);
	g_free(pre);
	size_t n = plen + (rel_len ? 2 + rel_len : 0);
	uint8_t *out = g_malloc(n ? n : 1);
	memcpy(out, p, plen);
	if (rel_len) {
		out[plen] = '\\';
		out[plen + 1] = 0;
		memcpy(out + plen + 2, rel, rel_len);
	}
	g_free(p);
	*out_len = n;
	return out;
}

bool sf_tree_up(const sf_tree *t)
{
	return t->up && sf_session_valid(t->s);
}
void sf_tree_set_policy(sf_tree *t, const struct sf_tree_policy *p)
{
	t->pol = *p;
}
void sf_tree_set_stats(sf_tree *t, struct sf_resilience_stats *st)
{
	t->stats = st ? st : &t->own_stats;
}
struct sf_resilience_stats *sf_tree_stats(const sf_tree *t)
{
	return t->stats;
}
void sf_tree_on_expired(sf_tree *t, void (*fn)(sf_tree *t, void *user), void *user)
{
	t->expired = fn;
	t->expired_user = user;
}

void tree_session_expired(sf_tree *t)
{
	if (!t->up)
		return;
	g_message("\\\\%s: session expired: re-authenticating", t->share);
	sf_tree_mark_down(t);
	if (t->expired)
		t->expired(t, t->expired_user);
}

/* ---- the queue ---------------------------------------------------------- */

static void stop_deadlines(sf_tree *t)
{
	if (t->deadline_timer) {
		g_source_destroy(t->deadline_timer);
		g_source_unref(t->deadline_timer);
		t->deadline_timer = NULL;
	}
}

/* soft: a request that waited its whole timeout for the server fails. */
static gboolean check_deadlines(gpointer p)
{
	sf_tree *t = p;
	gint64 now = g_get_monotonic_time();
	GList *l = t->waiting.head;
	while (l) {
		GList *next = l->next;
		struct sf_treq *q = l->data;
		if (treq_deadline(q) && now >= treq_deadline(q)) {
			g_queue_delete_link(&t->waiting, l);
			t->stats->timeouts++;
			treq_fail_later(q, STATUS_UNEXPECTED_NETWORK_ERROR);
		}
		l = next;
	}
	if (g_queue_is_empty(&t->waiting)) {
		g_source_unref(t->deadline_timer);
		t->deadline_timer = NULL;
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

void tree_enqueue(sf_tree *t, struct sf_treq *q)
{
	if (sf_tree_up(t) && g_queue_is_empty(&t->waiting)) {
		treq_send(q);
		return;
	}
	treq_start_waiting(q);
	g_queue_push_tail(&t->waiting, q);
	if (!t->pol.hard && !t->deadline_timer) {
		t->deadline_timer = g_timeout_source_new(250);
		g_source_set_callback(t->deadline_timer, check_deadlines, t, NULL);
		g_source_attach(t->deadline_timer, sf_conn_context(sf_session_conn(t->s)));
	}
}

static void pump(sf_tree *t)
{
	struct sf_treq *q;
	while (sf_tree_up(t) && (q = g_queue_pop_head(&t->waiting)))
		treq_send(q);
	if (g_queue_is_empty(&t->waiting))
		stop_deadlines(t);
}

sf_req_handle sf_tree_submit(sf_tree *t, struct sf_req_spec *specs, size_t n)
{
	struct sf_treq *q = treq_new(t, specs, n);
	sf_req_handle h = treq_handle(q);
	tree_enqueue(t, q);
	return h;
}

static gboolean same_handle(gpointer v, gpointer user)
{
	return treq_handle(v) == *(sf_req_handle *)user;
}

void sf_tree_cancel(sf_tree *t, sf_req_handle h, bool abandon)
{
	for (GList *l = t->waiting.head; l; l = l->next)
		if (same_handle(l->data, &h)) {
			struct sf_treq *q = l->data;
			g_queue_delete_link(&t->waiting, l);
			treq_fail_later(q, STATUS_CANCELLED);
			return;
		}
	struct sf_treq *q = g_hash_table_lookup(t->inflight, &h);
	if (!q)
		return;
	if (sf_tree_up(t))
		sf_conn_cancel(sf_session_conn(t->s), treq_conn_handle(q));
	if (abandon)
		treq_abandon(q);
}

bool sf_tree_completing_replay(const sf_tree *t)
{
	return t->completing_replay;
}

void sf_tree_set_group(sf_tree *t, uint64_t group)
{
	t->group = group;
}

void sf_tree_cancel_group(sf_tree *t, uint64_t group)
{
	if (!group)
		return;
	GList *l = t->waiting.head;
	while (l) {
		GList *next = l->next;
		struct sf_treq *q = l->data;
		if (treq_group(q) == group) {
			g_queue_delete_link(&t->waiting, l);
			treq_fail_later(q, STATUS_CANCELLED);
		}
		l = next;
	}
	GList *busy = g_hash_table_get_values(t->inflight);
	for (GList *i = busy; i; i = i->next)
		if (treq_group(i->data) == group)
			sf_tree_cancel(t, treq_handle(i->data), true);
	g_list_free(busy);
}

unsigned sf_tree_outstanding(const sf_tree *t)
{
	return g_queue_get_length((GQueue *)&t->waiting) + g_hash_table_size(t->inflight);
}

void sf_tree_mark_down(sf_tree *t)
{
	t->up = false;
}

void sf_tree_fail_all(sf_tree *t, uint32_t status)
{
	struct sf_treq *q;
	while ((q = g_queue_pop_head(&t->waiting)))
		treq_fail_later(q, status);
	stop_deadlines(t);
}

/* ---- TREE_CONNECT ------------------------------------------------------- */

static void tree_finish(sf_tree *t, uint32_t status, const char *why)
{
	sf_tree_fn done = t->done;
	t->done = NULL;
	bool reconnect = t->reconnecting;
	t->reconnecting = false;
	if (done)
		done(status == STATUS_SUCCESS || reconnect ? t : NULL, status, why, t->user);
	if (status != STATUS_SUCCESS && !reconnect)
		sf_tree_unref(t);
}

static void reclaimed(sf_tree *t, void *user)
{
	t->up = true;
	sf_tree_ref(t);
	tree_finish(t, STATUS_SUCCESS, NULL);
	pump(t);
	sf_tree_unref(t);
}

/* Connected (and validated): on a reconnect, durable handles come back
 * before anything else is sent on the tree. */
static void tree_ready(sf_tree *t)
{
	if (t->reconnecting) {
		sf_handles_reclaim(t, reclaimed, NULL);
		return;
	}
	t->up = true;
	tree_finish(t, STATUS_SUCCESS, NULL);
}

/* FSCTL_VALIDATE_NEGOTIATE_INFO answer (3.2.5.14.12): everything must
 * match what NEGOTIATE said, or someone rewrote it. */
static void validate_done(void *user, uint32_t status, const uint8_t *pdu, size_t len)
{
	sf_tree *t = user;
	sf_conn *c = sf_session_conn(t->s);
	const struct sf_negotiated *n = sf_conn_negotiated(c);
	struct smb2_ioctl_rsp io;
	struct smb2_validate_negotiate_rsp v;
	if (status == STATUS_SUCCESS && smb2_ioctl_rsp_decode(pdu, len, &io) == 0 &&
	    smb2_validate_negotiate_rsp_decode(io.out, io.out_len, &v) == 0 &&
	    v.capabilities == n->capabilities && !memcmp(v.guid, n->server_guid, 16) &&
	    v.security_mode == n->security_mode && v.dialect == n->dialect) {
		tree_ready(t);
		return;
	}
	char why[160];
	g_snprintf(why, sizeof why,
	           "secure negotiate validation failed (%s): the negotiation was tampered with",
	           status == STATUS_SUCCESS ? "values differ" : sf_ntstatus_name(status));
	if (pdu) /* an answer that does not match: nobody should use this connection */
		sf_conn_close(c, STATUS_ACCESS_DENIED);
	tree_finish(t, pdu ? STATUS_ACCESS_DENIED : status, pdu ? why : "connection lost");
}

static void tree_done(void *user, uint32_t status, const uint8_t *pdu, size_t len)
{
	sf_tree *t = user;
	if (status != STATUS_SUCCESS) {
		tree_finish(t, status, pdu ? NULL : "connection lost");
		return;
	}
	if (smb2_tree_connect_rsp_decode(pdu, len, &t->info) != 0) {
		tree_finish(t, STATUS_INVALID_NETWORK_RESPONSE, "malformed TREE_CONNECT response");
		return;
	}
	t->id = sf_le32(pdu + SMB2_HDR_OFF_TREE_ID);
	sf_session *s = t->s;
	sf_conn *c = sf_session_conn(s);
	const struct sf_negotiated *n = sf_conn_negotiated(c);
	if ((t->info.share_flags & SMB2_SHAREFLAG_ENCRYPT_DATA) && !sf_session_require_seal(s)) {
		/* The share demands encryption and this session cannot give it. */
		tree_finish(t, STATUS_ACCESS_DENIED,
		            "the share requires encryption, which this session cannot do");
		return;
	}
	if ((n->dialect == SMB2_DIALECT_0300 || n->dialect == SMB2_DIALECT_0302) &&
	    sf_session_signing(s)) {
		size_t in_len, blen;
		uint8_t *in = smb2_validate_negotiate_encode(n->client_capabilities, n->client_guid,
		                                             n->client_security_mode, n->offered,
		                                             n->offered_count, &in_len);
		uint8_t *body = smb2_ioctl_req_encode(
		        SMB2_FILEID_ANY, FSCTL_VALIDATE_NEGOTIATE_INFO, in, in_len, 24, &blen);
		struct sf_req_spec spec = {
		        .command = SMB2_IOCTL,
		        .body = body,
		        .body_len = blen,
		        .expect_rsp = 24,
		        .session_id = sf_session_id(s),
		        .tree_id = t->id,
		        .done = validate_done,
		        .user = t,
		};
		sf_conn_submit(c, &spec, 1);
		g_free(in);
		g_free(body);
		return;
	}
	tree_ready(t);
}

static void send_tree_connect(sf_tree *t)
{
	sf_session *s = t->s;
	sf_conn *c = sf_session_conn(s);
	char *host = g_strdup(sf_conn_peer(c));
	char *colon = strrchr(host, ':');
	if (colon)
		*colon = 0;
	char *unc = g_strdup_printf("\\\\%s\\%s", host, t->share);
	g_free(host);
	size_t plen, blen;
	uint8_t *path = sf_utf8_to_utf16(unc, -1, &plen);
	g_free(unc);
	if (!path) {
		tree_finish(t, STATUS_OBJECT_NAME_INVALID, "share name is not valid UTF-8");
		return;
	}
	uint8_t *body = smb2_tree_connect_req_encode(path, plen, &blen);
	struct sf_req_spec spec = {
	        .command = SMB2_TREE_CONNECT,
	        .body = body,
	        .body_len = blen,
	        .session_id = sf_session_id(s),
	        /* 3.1.1 signs TREE_CONNECT whenever the session has a key, also
	         * under nosign (MS-SMB2 3.2.4.2.4: servers refuse it unsigned). */
	        .flags = sf_conn_negotiated(c)->dialect == SMB2_DIALECT_0311 ? SF_REQ_SIGN : 0,
	        .done = tree_done,
	        .user = t,
	};
	sf_conn_submit(c, &spec, 1);
	g_free(path);
	g_free(body);
}

void sf_tree_connect(sf_session *s, const char *share, sf_tree_fn done, void *user)
{
	sf_tree *t = g_new0(sf_tree, 1);
	t->refs = 1;
	t->s = sf_session_ref(s);
	t->share = g_strdup(share);
	t->done = done;
	t->user = user;
	t->stats = &t->own_stats;
	t->pol.timeout_ms = 30000;
	g_queue_init(&t->waiting);
	t->inflight = g_hash_table_new(g_int64_hash, g_int64_equal);
	t->handles = sf_handles_new();
	send_tree_connect(t);
}

void sf_tree_reconnect(sf_tree *t, sf_tree_fn done, void *user)
{
	t->up = false;
	t->reconnecting = true;
	t->done = done;
	t->user = user;
	send_tree_connect(t);
}

void sf_tree_disconnect(sf_tree *t, sf_rsp_fn done, void *user)
{
	uint8_t body[4];
	smb2_simple_req_encode(body);
	struct sf_req_spec spec = {
	        .command = SMB2_TREE_DISCONNECT,
	        .body = body,
	        .body_len = 4,
	        .session_id = sf_session_id(t->s),
	        .tree_id = t->id,
	        .flags = SF_REQ_CONTROL,
	        .done = done,
	        .user = user,
	};
	sf_conn_submit(sf_session_conn(t->s), &spec, 1);
}
