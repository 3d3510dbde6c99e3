/* pool.c - connections, sessions and trees by (server, port, identity),
 * and reconnecting them (the model: pool.h). */
#define G_LOG_DOMAIN "smbfuse-pool"

#include "net/pool.h"

#include "proto/ntstatus.h"

#include <string.h>

/* Backoff between reconnect attempts: quick at first (a restarted smbd is
 * back within a second), never slower than every few seconds (so a mount
 * is usable again soon after a long outage ends). */
static const unsigned backoff_ms[] = {0, 250, 500, 1000, 2000, 3000};

struct waiter {
	char *share;
	sf_tree_fn done;
	void *user;
};

struct server {
	sf_pool *pool;
	char *key;
	struct sf_pool_server_opts o;
	sf_conn *conn;
	sf_session *session; /* NULL until the first authentication */
	GPtrArray *trees;    /* sf_tree, referenced */
	GQueue waiters;      /* struct waiter, during start-up */
	bool started;        /* the first session was set up */
	bool leaving;        /* released (multiuser idle logoff): no reconnects */
	/* Reconnecting. */
	unsigned attempt;
	GSource *retry;
	gint64 lost_at;
	unsigned trees_pending;
};

struct sf_pool {
	GMainContext *ctx;
	GHashTable *servers; /* key -> struct server */
	struct sf_resilience_stats st;
	bool shutdown;
	sf_pool_lost_fn lost_fn; /* told when a connection is lost (DFS failover) */
	void *lost_user;
	GPtrArray *failed;  /* servers whose first connection failed, freed later */
	GPtrArray *leaving; /* released servers waiting for their LOGOFF answer */
	GSource *reap;
};

static void server_free(gpointer p)
{
	struct server *s = p;
	if (s->retry) {
		g_source_destroy(s->retry);
		g_source_unref(s->retry);
	}
	g_ptr_array_unref(s->trees);
	if (s->session)
		sf_session_forget_caller(s->session);
	sf_session_unref(s->session);
	if (s->conn) {
		sf_conn_set_notify(s->conn, NULL, NULL, NULL);
		sf_conn_close(s->conn, STATUS_CONNECTION_DISCONNECTED);
		sf_conn_unref(s->conn);
	}
	g_free(s->o.conn.host);
	g_free(s->o.conn.addr);
	g_free(s->key);
	g_free(s);
}

sf_pool *sf_pool_new(GMainContext *ctx)
{
	sf_pool *p = g_new0(sf_pool, 1);
	p->ctx = g_main_context_ref(ctx ? ctx : g_main_context_default());
	p->servers = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, server_free);
	p->failed = g_ptr_array_new_with_free_func(server_free);
	p->leaving = g_ptr_array_new_with_free_func(server_free);
	return p;
}

void sf_pool_free(sf_pool *p)
{
	if (!p)
		return;
	p->shutdown = true;
	g_hash_table_destroy(p->servers);
	if (p->reap) {
		g_source_destroy(p->reap);
		g_source_unref(p->reap);
	}
	g_ptr_array_unref(p->leaving); /* their LOGOFFs fail now, seeing shutdown */
	g_ptr_array_unref(p->failed);
	g_main_context_unref(p->ctx);
	g_free(p);
}

const struct sf_resilience_stats *sf_pool_stats(const sf_pool *p)
{
	return &p->st;
}

void sf_pool_counts(const sf_pool *p, struct sf_pool_counts *out)
{
	memset(out, 0, sizeof *out);
	GHashTableIter it;
	gpointer v;
	g_hash_table_iter_init(&it, p->servers);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		const struct server *s = v;
		out->conns += s->conn != NULL;
		out->sessions += s->session != NULL;
		out->trees += s->trees->len;
	}
}

static char *server_key(const struct sf_pool_server_opts *o)
{
	const struct sf_creds *c = o->session.creds;
	/* The credential cache tells Kerberos identities apart (multiuser:
	 * one per local user, none of them naming a user). */
	return g_strdup_printf("%s|%u|%d|%s|%s|%s", o->conn.host, o->conn.port ? o->conn.port : 445,
	                       (int)o->session.kind, c && c->user ? c->user : "",
	                       c && c->domain ? c->domain : "",
	                       c && c->krb5_ccache ? c->krb5_ccache : "");
}

sf_conn *sf_pool_conn_of(sf_pool *p, sf_tree *t)
{
	return sf_session_conn(sf_tree_session(t));
}

/* ---- reconnecting ---------------------------------------------------------- */

static void retry_now(struct server *s);

static gboolean retry_fired(gpointer p)
{
	struct server *s = p;
	g_source_unref(s->retry);
	s->retry = NULL;
	retry_now(s);
	return G_SOURCE_REMOVE;
}

static void schedule_retry(struct server *s)
{
	if (s->pool->shutdown || s->retry)
		return;
	unsigned n = G_N_ELEMENTS(backoff_ms);
	unsigned ms = backoff_ms[MIN(s->attempt, n - 1)];
	s->attempt++;
	s->retry = g_timeout_source_new(ms);
	g_source_set_callback(s->retry, retry_fired, s, NULL);
	g_source_attach(s->retry, s->pool->ctx);
}

static void attempt_failed(struct server *s, const char *stage, uint32_t status, const char *why)
{
	/* Said once per outage; then only under -d. */
	if (s->attempt == 1)
		g_message("%s: %s failed (%s); retrying in the background", sf_conn_peer(s->conn),
		          stage, why ? why : sf_ntstatus_name(status));
	else
		g_debug("%s: %s failed (%s)", sf_conn_peer(s->conn), stage,
		        why ? why : sf_ntstatus_name(status));
	schedule_retry(s);
}

static void tree_back(sf_tree *t, uint32_t status, const char *why, void *user)
{
	struct server *s = user;
	if (status) {
		attempt_failed(s, "tree reconnect", status, why);
		return;
	}
	if (s->trees_pending && --s->trees_pending == 0) {
		s->pool->st.reconnects++;
		s->attempt = 0;
		g_message("%s: reconnected after %.1f s", sf_conn_peer(s->conn),
		          (double)(g_get_monotonic_time() - s->lost_at) / G_USEC_PER_SEC);
	}
}

static void reconnect_trees(struct server *s)
{
	s->trees_pending = 0;
	for (guint i = 0; i < s->trees->len; i++) {
		sf_tree *t = g_ptr_array_index(s->trees, i);
		if (sf_tree_up(t))
			continue;
		s->trees_pending++;
	}
	if (!s->trees_pending) {
		s->pool->st.reconnects++;
		s->attempt = 0;
		return;
	}
	for (guint i = 0; i < s->trees->len; i++) {
		sf_tree *t = g_ptr_array_index(s->trees, i);
		if (!sf_tree_up(t))
			sf_tree_reconnect(t, tree_back, s);
	}
}

/* The server or the KDC refused our credentials, or there are none left
 * (an expired Kerberos ticket nobody renewed): a state that waiting does
 * not end by itself. */
static bool credentials_refused(uint32_t st)
{
	switch (st) {
	case STATUS_LOGON_FAILURE:
	case STATUS_WRONG_PASSWORD:
	case STATUS_PASSWORD_EXPIRED:
	case STATUS_ACCOUNT_EXPIRED:
	case STATUS_ACCOUNT_DISABLED:
	case STATUS_ACCOUNT_LOCKED_OUT:
	case STATUS_ACCESS_DENIED:
		return true;
	default:
		return false;
	}
}

static void reauthed(sf_session *ss, uint32_t status, const char *why, void *user)
{
	struct server *s = user;
	if (status) {
		attempt_failed(s, "re-authentication", status, why);
		/* Requests waiting for the session fail now (EACCES, or
		 * EKEYEXPIRED for an expired ticket) rather than at their
		 * timeout; the pool keeps trying, so a renewed ticket (kinit)
		 * brings the mount back. */
		if (credentials_refused(status))
			for (guint i = 0; i < s->trees->len; i++)
				sf_tree_fail_all(g_ptr_array_index(s->trees, i), status);
		return;
	}
	reconnect_trees(s);
}

static void reconnected(sf_conn *c, uint32_t status, const char *why, void *user)
{
	struct server *s = user;
	if (status) {
		attempt_failed(s, "reconnect", status, why);
		return;
	}
	sf_session_reauth(s->session, reauthed, s);
}

static void retry_now(struct server *s)
{
	if (s->pool->shutdown)
		return;
	if (sf_conn_broken(s->conn)) {
		sf_conn_reconnect(s->conn, reconnected, s);
	} else if (sf_conn_alive(s->conn)) {
		if (!sf_session_valid(s->session))
			sf_session_reauth(s->session, reauthed, s);
		else
			reconnect_trees(s);
	}
	/* else: an attempt is under way; it reports back */
}

static void conn_lost(void *user, uint32_t status)
{
	struct server *s = user;
	for (guint i = 0; i < s->trees->len; i++)
		sf_tree_mark_down(g_ptr_array_index(s->trees, i));
	if (!s->started || s->pool->shutdown || s->leaving)
		return;
	if (s->pool->lost_fn)
		s->pool->lost_fn(s->pool->lost_user, s->conn);
	if (!s->attempt)
		s->lost_at = g_get_monotonic_time();
	schedule_retry(s);
}

static void session_expired(sf_tree *t, void *user)
{
	struct server *s = user;
	if (s->session)
		sf_session_mark_expired(s->session);
	for (guint i = 0; i < s->trees->len; i++)
		sf_tree_mark_down(g_ptr_array_index(s->trees, i));
	s->lost_at = g_get_monotonic_time();
	schedule_retry(s);
}

/* Kerberos: the next ticket is in hand before the current one ends:
 * re-authenticate now (the slow part, the KDC, is already done), as if the
 * session had expired. */
static void renew_ready(sf_session *ss, void *user)
{
	struct server *s = user;
	if (s->pool->shutdown || !sf_session_valid(ss))
		return;
	g_message("%s: Kerberos ticket renewed before it ran out: re-authenticating",
	          sf_conn_peer(s->conn));
	for (guint i = 0; i < s->trees->len; i++)
		sf_tree_mark_down(g_ptr_array_index(s->trees, i));
	sf_session_mark_expired(ss);
	s->lost_at = g_get_monotonic_time();
	schedule_retry(s);
}

/* Unsolicited breaks go to the tree whose handle holds the lease; one
 * nobody claims is still acknowledged (the server would wait for it). */
static void conn_notify(void *user, const uint8_t *pdu, size_t len)
{
	struct server *s = user;
	for (guint i = 0; i < s->trees->len; i++)
		if (sf_tree_handle_break(g_ptr_array_index(s->trees, i), pdu, len, false))
			return;
	if (s->trees->len)
		sf_tree_handle_break(g_ptr_array_index(s->trees, 0), pdu, len, true);
}

/* ---- start-up ---------------------------------------------------------------- */

static gboolean reap_failed(gpointer p)
{
	sf_pool *pool = p;
	g_source_unref(pool->reap);
	pool->reap = NULL;
	g_ptr_array_set_size(pool->failed, 0);
	return G_SOURCE_REMOVE;
}

/* Start-up failures are reported in one line naming the stage. The
 * server is forgotten (freed from the loop, not inside its own
 * callback), so that the next request for it tries afresh. */
static void reap_later(sf_pool *p)
{
	if (!p->reap) {
		p->reap = g_idle_source_new();
		g_source_set_callback(p->reap, reap_failed, p, NULL);
		g_source_attach(p->reap, p->ctx);
	}
}

static void fail_waiters(struct server *s, uint32_t status, const char *why)
{
	sf_pool *p = s->pool;
	if (!s->started && g_hash_table_lookup(p->servers, s->key) == s) {
		g_hash_table_steal(p->servers, s->key);
		g_ptr_array_add(p->failed, s);
		reap_later(p);
	}
	struct waiter *w;
	while ((w = g_queue_pop_head(&s->waiters))) {
		w->done(NULL, status, why, w->user);
		g_free(w->share);
		g_free(w);
	}
}

struct tree_wait {
	struct server *s;
	struct waiter *w;
};

static void tree_connected(sf_tree *t, uint32_t status, const char *why, void *user)
{
	struct tree_wait *tw = user;
	struct server *s = tw->s;
	struct waiter *w = tw->w;
	g_free(tw);
	if (!status) {
		sf_tree_set_policy(t, &s->o.policy);
		sf_tree_set_stats(t, &s->pool->st);
		sf_tree_on_expired(t, session_expired, s);
		g_ptr_array_add(s->trees, sf_tree_ref(t));
	}
	char *msg = NULL;
	if (status) {
		if (!why && status == STATUS_BAD_NETWORK_NAME)
			why = "STATUS_BAD_NETWORK_NAME (no such share)";
		msg = g_strdup_printf("tree connect to \\\\%s\\%s: %s", s->o.conn.host, w->share,
		                      why ? why : sf_ntstatus_name(status));
	}
	w->done(t, status, msg, w->user);
	g_free(msg);
	g_free(w->share);
	g_free(w);
}

static void connect_tree(struct server *s, struct waiter *w)
{
	for (guint i = 0; i < s->trees->len; i++) {
		sf_tree *t = g_ptr_array_index(s->trees, i);
		if (!g_ascii_strcasecmp(sf_tree_share(t), w->share)) {
			w->done(sf_tree_ref(t), 0, NULL, w->user);
			g_free(w->share);
			g_free(w);
			return;
		}
	}
	struct tree_wait *tw = g_new(struct tree_wait, 1);
	tw->s = s;
	tw->w = w;
	sf_tree_connect(s->session, w->share, tree_connected, tw);
}

static void first_session(sf_session *ss, uint32_t status, const char *why, void *user)
{
	struct server *s = user;
	if (status) {
		const struct sf_creds *c = s->o.session.creds;
		const char *hint = status == STATUS_LOGON_FAILURE
		                           ? " (wrong password or unknown user)"
		                   : status == STATUS_ACCOUNT_DISABLED ? " (account disabled)"
		                                                       : "";
		char *who = s->o.session.kind == SF_AUTH_KRB5
		                    ? g_strdup("session setup (Kerberos)")
		                    : g_strdup_printf("session setup for user '%s'",
		                                      c && c->user ? c->user : "");
		if (s->o.session.kind == SF_AUTH_KRB5 && status == STATUS_LOGON_FAILURE)
			hint = " (the server refused the Kerberos ticket)";
		char *msg = why ? g_strdup_printf("%s: %s", who, why)
		                : g_strdup_printf("%s: %s%s", who, sf_ntstatus_name(status), hint);
		g_free(who);
		fail_waiters(s, status, msg);
		g_free(msg);
		return;
	}
	s->session = ss;
	s->started = true;
	/* SMBFUSE_TEST_NO_RENEWAL: for tests of what happens when a ticket
	 * does run out (tests/krb5); never needed otherwise. */
	if (!g_getenv("SMBFUSE_TEST_NO_RENEWAL"))
		sf_session_set_renew(ss, renew_ready, s);
	struct waiter *w;
	while ((w = g_queue_pop_head(&s->waiters)))
		connect_tree(s, w);
}

static void first_conn(sf_conn *c, uint32_t status, const char *why, void *user)
{
	struct server *s = user;
	if (status) {
		char *msg = g_strdup_printf("connect: %s", why ? why : sf_ntstatus_name(status));
		fail_waiters(s, status, msg);
		g_free(msg);
		return;
	}
	sf_session_setup(c, &s->o.session, first_session, s);
}

void sf_pool_get_tree(sf_pool *p, const struct sf_pool_server_opts *o, const char *share,
                      sf_tree_fn done, void *user)
{
	if (p->shutdown) {
		done(NULL, STATUS_CANCELLED, "unmounting", user);
		return;
	}
	char *key = server_key(o);
	struct server *s = g_hash_table_lookup(p->servers, key);
	struct waiter *w = g_new0(struct waiter, 1);
	w->share = g_strdup(share);
	w->done = done;
	w->user = user;
	if (s && s->started) {
		g_free(key);
		connect_tree(s, w);
		return;
	}
	if (s) { /* start-up under way */
		g_free(key);
		g_queue_push_tail(&s->waiters, w);
		return;
	}
	s = g_new0(struct server, 1);
	s->pool = p;
	s->key = key;
	s->o = *o;
	s->o.conn.host = g_strdup(o->conn.host);
	s->o.conn.addr = g_strdup(o->conn.addr);
	s->trees = g_ptr_array_new_with_free_func((GDestroyNotify)sf_tree_unref);
	g_queue_init(&s->waiters);
	g_queue_push_tail(&s->waiters, w);
	g_hash_table_insert(p->servers, s->key, s);
	s->conn = sf_conn_new(&s->o.conn, p->ctx, first_conn, s);
	sf_conn_set_notify(s->conn, conn_notify, conn_lost, s);
}

void sf_pool_shutdown(sf_pool *p)
{
	p->shutdown = true;
	GHashTableIter it;
	gpointer v;
	/* Whoever waits for a tree still being connected (a DFS target) is
	 * told now: the pool will not finish it. */
	GQueue waiting = G_QUEUE_INIT;
	g_hash_table_iter_init(&it, p->servers);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct server *s = v;
		struct waiter *w;
		while ((w = g_queue_pop_head(&s->waiters)))
			g_queue_push_tail(&waiting, w);
	}
	struct waiter *w;
	while ((w = g_queue_pop_head(&waiting))) {
		w->done(NULL, STATUS_CANCELLED, "unmounting", w->user);
		g_free(w->share);
		g_free(w);
	}
	g_hash_table_iter_init(&it, p->servers);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct server *s = v;
		if (s->retry) {
			g_source_destroy(s->retry);
			g_source_unref(s->retry);
			s->retry = NULL;
		}
		for (guint i = 0; i < s->trees->len; i++)
			sf_tree_fail_all(g_ptr_array_index(s->trees, i),
			                 STATUS_UNEXPECTED_NETWORK_ERROR);
	}
}

void sf_pool_on_lost(sf_pool *p, sf_pool_lost_fn fn, void *user)
{
	p->lost_fn = fn;
	p->lost_user = user;
}

void sf_pool_get_tree_at(sf_pool *p, sf_tree *like, const char *host, const char *share,
                         sf_tree_fn done, void *user)
{
	GHashTableIter it;
	gpointer v;
	g_hash_table_iter_init(&it, p->servers);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct server *s = v;
		for (guint i = 0; i < s->trees->len; i++) {
			if (g_ptr_array_index(s->trees, i) != like)
				continue;
			struct sf_pool_server_opts o = s->o;
			o.conn.host = (char *)host;
			sf_pool_get_tree(p, &o, share, done, user);
			return;
		}
	}
	done(NULL, STATUS_INVALID_PARAMETER, "no server for the tree", user);
}

/* ---- releasing an identity ------------------------------------------------ */

static void logged_off(void *user, uint32_t status, const uint8_t *pdu, size_t len)
{
	struct server *s = user;
	sf_pool *p = s->pool;
	if (p->shutdown)
		return; /* sf_pool_free is freeing it */
	/* Freed from the loop, not inside its own connection's callback. */
	guint i;
	if (g_ptr_array_find(p->leaving, s, &i))
		g_ptr_array_steal_index_fast(p->leaving, i);
	g_ptr_array_add(p->failed, s);
	reap_later(p);
}

void sf_pool_release(sf_pool *p, sf_tree *t)
{
	GHashTableIter it;
	gpointer v;
	struct server *s = NULL;
	g_hash_table_iter_init(&it, p->servers);
	while (!s && g_hash_table_iter_next(&it, NULL, &v)) {
		struct server *c = v;
		for (guint i = 0; i < c->trees->len; i++)
			if (g_ptr_array_index(c->trees, i) == t)
				s = c;
	}
	if (!s || p->shutdown)
		return;
	g_hash_table_steal(p->servers, s->key);
	s->leaving = true;
	if (s->retry) {
		g_source_destroy(s->retry);
		g_source_unref(s->retry);
		s->retry = NULL;
	}
	/* LOGOFF ends the session and its trees on the server (MS-SMB2
	 * 3.3.5.6); the connection closes when it is answered. */
	if (s->session && sf_conn_alive(s->conn) && sf_session_valid(s->session)) {
		g_ptr_array_add(p->leaving, s);
		sf_session_logoff(s->session, logged_off, s);
	} else {
		g_ptr_array_add(p->failed, s);
		reap_later(p);
	}
}
