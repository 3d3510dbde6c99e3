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

static void fail(struct opener *op, uint32_t status, const char *stage, const char *why)
{
	op->status = status;
	op->why = why ? g_strdup_printf("%s: %s", stage, why)
	              : g_strdup_printf("%s: %s", stage, sf_ntstatus_name(status));
	op->done = true;
}

static void on_tree(sf_tree *t, uint32_t status, const char *why, void *user)
{
	struct opener *op = user;
	if (status) {
		char stage[300];
		g_snprintf(stage, sizeof stage, "tree connect to \\\\%s\\%s", op->o->host,
		           op->o->share);
		if (!why && status == STATUS_BAD_NETWORK_NAME)
			why = "STATUS_BAD_NETWORK_NAME (no such share)";
		fail(op, status, stage, why);
		return;
	}
	op->cl->tree = t;
	op->done = true;
}

static void on_session(sf_session *s, uint32_t status, const char *why, void *user)
{
	struct opener *op = user;
	if (status) {
		const char *user_name =
		        op->o->creds && op->o->creds->user ? op->o->creds->user : "";
		char stage[300];
		g_snprintf(stage, sizeof stage, "session setup for user '%s'", user_name);
		char *full = NULL;
		if (!why) {
			const char *hint =
			        status == STATUS_LOGON_FAILURE ? " (wrong password or unknown user)"
			        : status == STATUS_ACCOUNT_DISABLED ? " (account disabled)"
			                                            : "";
			full = g_strdup_printf("%s%s", sf_ntstatus_name(status), hint);
		}
		fail(op, status, stage, why ? why : full);
		g_free(full);
		return;
	}
	op->cl->session = s;
	if (!op->o->share) {
		op->done = true;
		return;
	}
	sf_tree_connect(s, op->o->share, on_tree, op);
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

static void on_conn(sf_conn *c, uint32_t status, const char *why, void *user)
{
	struct opener *op = user;
	if (status) {
		fail(op, status, "connect", why);
		return;
	}
	struct sf_session_opts so = {
	        .kind = op->o->auth,
	        .creds = op->o->creds,
	        .require_signing = !op->o->nosign && op->o->auth != SF_AUTH_ANON &&
	                           op->o->auth != SF_AUTH_GUEST,
	        .seal = op->o->seal,
	};
	sf_session_setup(c, &so, on_session, op);
}

uint32_t sf_client_open(const struct sf_client_opts *o, GMainContext *ctx, struct sf_client **out,
                        char **why)
{
	struct opener op = {.o = o};
	op.cl = g_new0(struct sf_client, 1);
	op.cl->ctx = g_main_context_ref(ctx ? ctx : g_main_context_default());
	struct sf_conn_opts co = {
	        .host = (char *)o->host,
	        .port = o->port,
	        .min_dialect = o->min_dialect,
	        .max_dialect = o->max_dialect,
	        .require_signing =
	                !o->nosign && o->auth != SF_AUTH_ANON && o->auth != SF_AUTH_GUEST,
	        .timeout_ms = o->timeout_ms,
	};
	memcpy(co.cipher_pref, o->cipher_pref, sizeof co.cipher_pref);
	op.cl->conn = sf_conn_new(&co, op.cl->ctx, on_conn, &op);
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
	/* Let what is in flight finish first (file CLOSEs from the
	 * unmount, above all): the server answers a request that comes after
	 * LOGOFF with an error, and the handle would stay open until the
	 * session times out. */
	GSource *tick = g_timeout_source_new(100); /* the deadline is seen */
	g_source_set_callback(tick, wake, NULL, NULL);
	g_source_attach(tick, c->ctx);
	gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	while (c->conn && sf_conn_alive(c->conn) && sf_conn_outstanding(c->conn) > 0 &&
	       g_get_monotonic_time() < deadline)
		g_main_context_iteration(c->ctx, TRUE);
	int pending = 0;
	if (c->tree && sf_conn_alive(c->conn)) {
		pending++;
		sf_tree_disconnect(c->tree, count_down, &pending);
	}
	if (c->session && sf_conn_alive(c->conn)) {
		pending++;
		sf_session_logoff(c->session, count_down, &pending);
	}
	deadline = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
	while (pending > 0 && g_get_monotonic_time() < deadline)
		g_main_context_iteration(c->ctx, TRUE);
	g_source_destroy(tick);
	g_source_unref(tick);
	sf_tree_unref(c->tree);
	sf_session_unref(c->session);
	if (c->conn) {
		sf_conn_close(c->conn, STATUS_CONNECTION_DISCONNECTED);
		sf_conn_unref(c->conn);
	}
	while (g_main_context_iteration(c->ctx, FALSE))
		; /* let deferred completions run */
	g_main_context_unref(c->ctx);
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
