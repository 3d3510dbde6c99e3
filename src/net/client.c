/* client.c - one-call start-up and synchronous helpers for tools. */
#define G_LOG_DOMAIN "smbfuse-client"

#include "net/client.h"

#include "proto/ntstatus.h"
#include "proto/smb2.h"

#include <string.h>

enum sf_exit sf_exit_for_status(uint32_t st)
{
	switch (st) {
	case STATUS_SUCCESS:
		return SF_EXIT_OK;
	case STATUS_CONNECTION_REFUSED:
	case STATUS_HOST_UNREACHABLE:
	case STATUS_NETWORK_UNREACHABLE:
	case STATUS_CONNECTION_DISCONNECTED:
	case STATUS_CONNECTION_RESET:
		return SF_EXIT_CONNECT;
	case STATUS_INVALID_NETWORK_RESPONSE:
	case STATUS_SMB_NO_PREAUTH_INTEGRITY_HASH_OVERLAP:
		return SF_EXIT_PROTOCOL;
	case STATUS_NOT_SUPPORTED:
		return SF_EXIT_DIALECT;
	case STATUS_LOGON_FAILURE:
	case STATUS_WRONG_PASSWORD:
	case STATUS_NO_SUCH_USER:
		return SF_EXIT_AUTH;
	case STATUS_BAD_NETWORK_NAME:
	case STATUS_BAD_NETWORK_PATH:
		return SF_EXIT_SHARE;
	case STATUS_IO_TIMEOUT:
		return SF_EXIT_TIMEOUT;
	case STATUS_OBJECT_NAME_NOT_FOUND:
	case STATUS_OBJECT_PATH_NOT_FOUND:
	case STATUS_NO_SUCH_FILE:
		return SF_EXIT_NOTFOUND;
	case STATUS_ACCESS_DENIED:
	case STATUS_ACCOUNT_DISABLED:
	case STATUS_ACCOUNT_LOCKED_OUT:
	case STATUS_ACCOUNT_RESTRICTION:
	case STATUS_PASSWORD_EXPIRED:
	case STATUS_NETWORK_ACCESS_DENIED:
	case STATUS_INVALID_SIGNATURE: /* our security failures */
		return SF_EXIT_DENIED;
	default:
		return SF_EXIT_IO;
	}
}

struct opener {
	const struct sf_client_opts *o;
	struct sf_client *cl;
	bool done;
	uint32_t status;
	char *why;
};

static void on_tree(sf_tree *t, uint32_t status, const char *why, void *user)
{
	struct opener *op = user;
	if (status) {
		/* The pool says which stage failed and why, in one line. */
		op->status = status;
		op->why = g_strdup(why ? why : sf_ntstatus_name(status));
		op->done = true;
		return;
	}
	op->cl->tree = t;
	op->cl->session = sf_tree_session(t);
	op->cl->conn = sf_conn_ref(sf_session_conn(op->cl->session));
	op->done = true;
}

struct neg_wait {
	bool done;
	uint32_t status;
};

static void neg_ready(sf_conn *c, uint32_t status, const char *why, void *user)
{
	struct neg_wait *w = user;
	w->done = true;
	w->status = status;
}

char *sf_client_explain_dialects(const char *host, uint16_t port, uint16_t lo, uint16_t hi,
                                 unsigned timeout_ms, GMainContext *ctx)
{
	/* Negotiate once more with everything we know, purely to name what the
	 * server speaks; this connection is closed right after. */
	struct neg_wait w = {0};
	struct sf_conn_opts co = {.host = (char *)host,
	                          .port = port,
	                          .min_dialect = SMB2_DIALECT_0202,
	                          .max_dialect = SMB2_DIALECT_0311,
	                          .timeout_ms = timeout_ms ? timeout_ms : 10000};
	sf_conn *c = sf_conn_new(&co, ctx, neg_ready, &w);
	while (!w.done)
		g_main_context_iteration(ctx, TRUE);
	char *msg = NULL;
	if (!w.status) {
		uint16_t d = sf_conn_negotiated(c)->dialect;
		char los[8], his[8];
		g_strlcpy(los, smb2_dialect_name(lo), sizeof los);
		g_strlcpy(his, smb2_dialect_name(hi), sizeof his);
		if (d < SMB2_DIALECT_0300 && lo >= SMB2_DIALECT_0300)
			msg = g_strdup_printf(
			        "server %s offers nothing newer than SMB %s; allowed range is "
			        "%s-%s "
			        "(vers=%s allows it, but a downgrade to 2.x cannot be detected)",
			        sf_conn_peer(c), smb2_dialect_name(d), los, his,
			        smb2_dialect_name(d));
		else
			msg = g_strdup_printf("server %s speaks SMB %s; allowed range is %s-%s "
			                      "(vers= widens it)",
			                      sf_conn_peer(c), smb2_dialect_name(d), los, his);
	}
	sf_conn_close(c, STATUS_CONNECTION_DISCONNECTED);
	sf_conn_unref(c);
	return msg;
}

uint32_t sf_client_open(const struct sf_client_opts *o, GMainContext *ctx, struct sf_client **out,
                        char **why)
{
	struct opener op = {.o = o};
	op.cl = g_new0(struct sf_client, 1);
	op.cl->ctx = g_main_context_ref(ctx ? ctx : g_main_context_default());
	bool sign = !o->nosign && o->auth != SF_AUTH_ANON && o->auth != SF_AUTH_GUEST;
	struct sf_pool_server_opts po = {
	        .conn = {.host = (char *)o->host,
	                 .addr = (char *)o->addr,
	                 .port = o->port,
	                 .min_dialect = o->min_dialect,
	                 .max_dialect = o->max_dialect,
	                 .require_signing = sign,
	                 .timeout_ms = o->timeout_ms,
	                 .echo_ms = o->echo_ms,
	                 .no_posix = o->no_posix},
	        .session = {.kind = o->auth,
	                    .creds = o->creds,
	                    .require_signing = sign,
	                    .seal = o->seal},
	        .policy = {.hard = o->hard, .timeout_ms = o->timeout_ms ? o->timeout_ms : 30000},
	};
	memcpy(po.conn.cipher_pref, o->cipher_pref, sizeof po.conn.cipher_pref);
	op.cl->po = po;
	op.cl->po.conn.host = g_strdup(o->host);
	op.cl->pool = sf_pool_new(op.cl->ctx);
	sf_pool_get_tree(op.cl->pool, &po, o->share, on_tree, &op);
	while (!op.done)
		g_main_context_iteration(op.cl->ctx, TRUE);
	if (op.status == STATUS_NOT_SUPPORTED) {
		char *better = sf_client_explain_dialects(
		        o->host, o->port, o->min_dialect ? o->min_dialect : SMB2_DIALECT_0300,
		        o->max_dialect ? o->max_dialect : SMB2_DIALECT_0311, o->timeout_ms,
		        op.cl->ctx);
		if (better) {
			g_free(op.why);
			op.why = better;
		}
	}
	if (op.status) {
		*why = op.why;
		sf_client_close(op.cl);
		*out = NULL;
		return op.status;
	}
	*out = op.cl;
	return 0;
}

void sf_client_get_tree(struct sf_client *c, const char *share, sf_tree_fn done, void *user)
{
	sf_pool_get_tree(c->pool, &c->po, share, done, user);
}

static gboolean wake(gpointer p)
{
	return G_SOURCE_CONTINUE;
}

static void count_down(void *user, uint32_t status, const uint8_t *pdu, size_t len)
{
	(*(int *)user)--;
}

void sf_client_close(struct sf_client *c)
{
	if (!c)
		return;
	GSource *tick = g_timeout_source_new(100); /* the deadline is seen */
	g_source_set_callback(tick, wake, NULL, NULL);
	g_source_attach(tick, c->ctx);
	/* Let what is in flight finish first (file CLOSEs from the unmount,
	 * above all): the server answers a request that comes after LOGOFF
	 * with an error, and the handle would stay open until the session
	 * times out. A tree that is down (an outage) is not waited for: the
	 * unmount must not hang. */
	gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	while (c->tree && sf_tree_up(c->tree) && sf_tree_outstanding(c->tree) > 0 &&
	       g_get_monotonic_time() < deadline)
		g_main_context_iteration(c->ctx, TRUE);
	if (c->pool)
		sf_pool_shutdown(c->pool); /* nothing waits for a reconnect now */
	int pending = 0;
	if (c->tree && sf_tree_up(c->tree)) {
		pending++;
		sf_tree_disconnect(c->tree, count_down, &pending);
	}
	if (c->session && c->conn && sf_conn_alive(c->conn) && sf_session_valid(c->session)) {
		pending++;
		sf_session_logoff(c->session, count_down, &pending);
	}
	deadline = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
	while (pending > 0 && g_get_monotonic_time() < deadline)
		g_main_context_iteration(c->ctx, TRUE);
	g_source_destroy(tick);
	g_source_unref(tick);
	sf_tree_unref(c->tree);
	if (c->conn)
		sf_conn_unref(c->conn);
	sf_pool_free(c->pool); /* closes the connections */
	while (g_main_context_iteration(c->ctx, FALSE))
		; /* let deferred completions run */
	g_main_context_unref(c->ctx);
	g_free(c->po.conn.host);
	g_free(c);
}

struct call {
	int left;
	uint32_t *statuses;
	GBytes **pdus;
};

struct call_elem {
	struct call *call;
	size_t i;
};

static void call_done(void *user, uint32_t status, const uint8_t *pdu, size_t len)
{
	struct call_elem *e = user;
	e->call->statuses[e->i] = status;
	e->call->pdus[e->i] = pdu ? g_bytes_new(pdu, len) : NULL;
	e->call->left--;
}

void sf_client_call(struct sf_client *c, struct sf_req_spec *specs, size_t n, uint32_t *statuses,
                    GBytes **pdus)
{
	struct call call = {.left = (int)n, .statuses = statuses, .pdus = pdus};
	struct call_elem *elems = g_new(struct call_elem, n);
	for (size_t i = 0; i < n; i++) {
		elems[i].call = &call;
		elems[i].i = i;
		specs[i].done = call_done;
		specs[i].user = &elems[i];
	}
	sf_tree_submit(c->tree, specs, n);
	while (call.left > 0)
		g_main_context_iteration(c->ctx, TRUE);
	g_free(elems);
}
