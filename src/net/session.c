/* session.c - SESSION_SETUP, LOGOFF, TREE_CONNECT, validate negotiate. */
#define G_LOG_DOMAIN "smbfuse-session"

#include "net/session.h"

#include "crypto/kdf.h"
#include "crypto/prim.h"
#include "crypto/sign.h"
#include "proto/ioctl.h"
#include "proto/ntstatus.h"
#include "proto/session.h"
#include "proto/smb2.h"
#include "proto/tree.h"
#include "util/bytes.h"
#include "util/utf16.h"

#include <errno.h>
#include <gio/gio.h>
#include <string.h>

struct sf_session {
	int refs;
	sf_conn *conn;
	uint64_t id;
	sf_auth *auth;
	struct sf_session_opts opts;
	uint8_t preauth[64];
	uint16_t flags;
	bool signing, sealing;
	bool reauth;      /* a re-authentication: failure keeps the session */
	unsigned gen;     /* the connection generation it is valid on (0: none) */
	uint64_t prev_id; /* PreviousSessionId for a re-authentication */
	struct sf_conn_security sec;
	sf_session_fn done;
	void *user;
	/* Kerberos renewal: shortly before the ticket ends, the next
	 * authentication's first leg (which may wait for the KDC) is got on a
	 * worker thread while I/O goes on; only then is the owner told to
	 * re-authenticate, which sends it at once (sf_session_set_renew). */
	gint64 ends_at; /* monotonic µs when the ticket ends; 0: never/unknown */
	GSource *renew_timer;
	bool prefetching;
	sf_auth *next_auth;
	uint8_t *next_tok;
	size_t next_tlen;
	void (*renew)(sf_session *s, void *user);
	void *renew_user;
};

static void drop_next(sf_session *s)
{
	sf_auth_free(s->next_auth);
	s->next_auth = NULL;
	if (s->next_tok) {
		sf_wipe(s->next_tok, s->next_tlen);
		g_free(s->next_tok);
	}
	s->next_tok = NULL;
	s->next_tlen = 0;
}

static void stop_renew_timer(sf_session *s)
{
	if (s->renew_timer) {
		g_source_destroy(s->renew_timer);
		g_source_unref(s->renew_timer);
		s->renew_timer = NULL;
	}
}

sf_session *sf_session_ref(sf_session *s)
{
	s->refs++;
	return s;
}

void sf_session_unref(sf_session *s)
{
	if (!s || --s->refs > 0)
		return;
	if (s->id)
		sf_conn_drop_security(s->conn, s->id);
	stop_renew_timer(s);
	drop_next(s);
	sf_auth_free(s->auth);
	sf_wipe(&s->sec, sizeof s->sec);
	sf_conn_unref(s->conn);
	g_free(s);
}

uint64_t sf_session_id(const sf_session *s)
{
	return s->id;
}
sf_conn *sf_session_conn(const sf_session *s)
{
	return s->conn;
}
bool sf_session_is_guest(const sf_session *s)
{
	return s->flags & (SMB2_SESSION_FLAG_IS_GUEST | SMB2_SESSION_FLAG_IS_NULL);
}
bool sf_session_signing(const sf_session *s)
{
	return s->signing;
}
bool sf_session_sealing(const sf_session *s)
{
	return s->sealing;
}

static void schedule_renew(sf_session *s, unsigned seconds);

/* When a Kerberos session is up: prepare the next authentication a little
 * before the ticket ends (a minute, or a third of a short ticket's life). */
static void plan_renewal(sf_session *s)
{
	int lt = s->auth ? sf_auth_lifetime(s->auth) : -1;
	s->ends_at = 0;
	if (lt <= 0)
		return;
	s->ends_at = g_get_monotonic_time() + (gint64)lt * G_USEC_PER_SEC;
	unsigned margin = MIN(60u, (unsigned)lt / 3);
	schedule_renew(s, (unsigned)lt - margin);
}

static void session_finish(sf_session *s, uint32_t status, const char *why)
{
	sf_session_fn done = s->done;
	s->done = NULL;
	if (status == STATUS_SUCCESS)
		plan_renewal(s);
	sf_auth_free(s->auth); /* secrets are no longer needed */
	s->auth = NULL;
	bool reauth = s->reauth;
	s->reauth = false;
	if (status == STATUS_SUCCESS)
		s->gen = sf_conn_generation(s->conn);
	if (done)
		done(status == STATUS_SUCCESS || reauth ? s : NULL, status, why, s->user);
	if (status != STATUS_SUCCESS && !reauth)
		sf_session_unref(s);
}

static void send_leg(sf_session *s, const uint8_t *tok, size_t len);

static void leg_sent(void *user, const uint8_t *pdu, size_t len)
{
	sf_session *s = user;
	if (sf_conn_negotiated(s->conn)->dialect == SMB2_DIALECT_0311)
		sf_preauth_hash_update(s->preauth, pdu, len);
}

/* Final success: derive keys, check the signature, install security. */
static void session_established(sf_session *s, const uint8_t *pdu, size_t len, const uint8_t *tok,
                                size_t tok_len)
{
	const struct sf_negotiated *n = sf_conn_negotiated(s->conn);
	int rc = sf_auth_finish(s->auth, tok, tok_len);
	if (rc) {
		const char *why = sf_auth_error(s->auth);
		char *msg = g_strdup(why ? why
		                         : "the server's final authentication token did not verify "
		                           "(mechListMIC)");
		session_finish(s, STATUS_ACCESS_DENIED, msg);
		g_free(msg);
		return;
	}
	bool anon_or_guest = s->flags & (SMB2_SESSION_FLAG_IS_GUEST | SMB2_SESSION_FLAG_IS_NULL);
	bool want_anon = s->opts.kind == SF_AUTH_ANON || s->opts.kind == SF_AUTH_GUEST;
	if (anon_or_guest && !want_anon) {
		session_finish(s, STATUS_LOGON_FAILURE,
		               "the server logged us in as guest; refusing (use the guest option "
		               "to allow it)");
		return;
	}
	uint8_t key[32];
	size_t klen = sizeof key;
	bool have_key = !anon_or_guest && sf_auth_session_key(s->auth, key, &klen) == 0;
	bool server_requires = n->security_mode & SMB2_NEGOTIATE_SIGNING_REQUIRED;
	s->signing = have_key && (s->opts.require_signing || server_requires);
	s->sealing = s->opts.seal || (s->flags & SMB2_SESSION_FLAG_ENCRYPT_DATA);
	if (s->sealing &&
	    (!have_key || n->dialect < SMB2_DIALECT_0300 ||
	     (n->dialect == SMB2_DIALECT_0311 && !n->cipher) ||
	     (n->dialect < SMB2_DIALECT_0311 && !(n->capabilities & SMB2_GLOBAL_CAP_ENCRYPTION)))) {
		sf_wipe(key, sizeof key);
		session_finish(s, STATUS_ACCESS_DENIED,
		               have_key
		                       ? "encryption was required but the server does not offer it "
		                         "for this dialect"
		                       : "encryption was required but a guest or anonymous session "
		                         "cannot encrypt");
		return;
	}
	if (!have_key && server_requires && !anon_or_guest) {
		session_finish(s, STATUS_ACCESS_DENIED,
		               "server requires signing but we have no "
		               "session key");
		return;
	}
	if (have_key) {
		s->sec.cipher =
		        n->dialect == SMB2_DIALECT_0311
		                ? n->cipher
		                : (n->dialect >= SMB2_DIALECT_0300 ? SMB2_ENCRYPTION_AES128_CCM
		                                                   : 0);
		if (sf_keys_derive(n->dialect, s->sec.cipher, key, klen, s->preauth,
		                   &s->sec.keys)) {
			sf_wipe(key, sizeof key);
			session_finish(s, STATUS_INTERNAL_ERROR, "key derivation failed");
			return;
		}
		sf_wipe(key, sizeof key);
		s->sec.sign_alg = n->signing_alg;
		/* 3.1.1: the final SESSION_SETUP response MUST be signed, which
		 * also proves the pre-auth hash matched (no tampering with
		 * NEGOTIATE). Other dialects: verify when signed (3.2.5.3.1). */
		uint32_t flags = sf_le32(pdu + SMB2_HDR_OFF_FLAGS);
		bool must = n->dialect == SMB2_DIALECT_0311 || s->signing;
		if ((must || (flags & SMB2_FLAGS_SIGNED)) &&
		    (!(flags & SMB2_FLAGS_SIGNED) ||
		     !sf_sign_verify(s->sec.sign_alg, s->sec.keys.signing, pdu, len))) {
			session_finish(
			        s, STATUS_ACCESS_DENIED,
			        n->dialect == SMB2_DIALECT_0311
			                ? "the final SESSION_SETUP response is not correctly "
			                  "signed: pre-auth integrity check failed (tampered "
			                  "negotiation?)"
			                : "the final SESSION_SETUP response failed signature "
			                  "verification");
			return;
		}
		s->sec.sign = s->signing;
		s->sec.seal = s->sealing;
		sf_conn_set_security(s->conn, s->id, &s->sec);
	}
	g_debug("session 0x%" G_GINT64_MODIFIER "x up: %s%s%s", s->id,
	        anon_or_guest ? "guest/anonymous" : "authenticated", s->signing ? ", signed" : "",
	        s->sealing ? ", sealed" : "");
	session_finish(s, STATUS_SUCCESS, NULL);
}

static void leg_done(void *user, uint32_t status, const uint8_t *pdu, size_t len)
{
	sf_session *s = user;
	if (!pdu) {
		session_finish(s, status, "connection lost during authentication");
		return;
	}
	struct smb2_session_setup_rsp r;
	bool has_body = status == STATUS_SUCCESS || status == STATUS_MORE_PROCESSING_REQUIRED;
	if (has_body && smb2_session_setup_rsp_decode(pdu, len, &r) != 0) {
		session_finish(s, STATUS_INVALID_NETWORK_RESPONSE,
		               "malformed SESSION_SETUP response");
		return;
	}
	/* The server names the session in its first answer, and it never
	 * changes after that. SessionId 0 is no session: accepting it would
	 * leave the session without signing or sealing. */
	uint64_t sid = sf_le64(pdu + SMB2_HDR_OFF_SESSION_ID);
	if (has_body && (sid == 0 || (s->id && sid != s->id))) {
		session_finish(s, STATUS_INVALID_NETWORK_RESPONSE,
		               sid ? "the server changed the SessionId during authentication"
		                   : "the server assigned SessionId 0");
		return;
	}
	s->id = sid;
	if (status == STATUS_MORE_PROCESSING_REQUIRED) {
		if (sf_conn_negotiated(s->conn)->dialect == SMB2_DIALECT_0311)
			sf_preauth_hash_update(s->preauth, pdu, len);
		uint8_t *tok;
		size_t tlen;
		int rc = sf_auth_step(s->auth, r.token, r.token_len, &tok, &tlen);
		if (rc) {
			session_finish(s,
			               rc == -EACCES ? STATUS_LOGON_FAILURE
			                             : STATUS_INVALID_NETWORK_RESPONSE,
			               rc == -ENOTSUP ? "no authentication mechanism in common"
			                              : "bad authentication token from the server");
			return;
		}
		send_leg(s, tok, tlen);
		sf_wipe(tok, tlen);
		g_free(tok);
		return;
	}
	if (status != STATUS_SUCCESS) {
		session_finish(s, status, NULL);
		return;
	}
	s->flags = r.session_flags;
	session_established(s, pdu, len, r.token, r.token_len);
}

static void send_leg(sf_session *s, const uint8_t *tok, size_t len)
{
	const struct sf_negotiated *n = sf_conn_negotiated(s->conn);
	struct smb2_session_setup_req q = {
	        .security_mode = SMB2_NEGOTIATE_SIGNING_ENABLED |
	                         (s->opts.require_signing ? SMB2_NEGOTIATE_SIGNING_REQUIRED : 0),
	        .capabilities = n->client_capabilities & SMB2_GLOBAL_CAP_DFS,
	        .previous_session_id = s->id ? 0 : s->prev_id,
	        .token = tok,
	        .token_len = len,
	};
	size_t blen;
	uint8_t *body = smb2_session_setup_req_encode(&q, &blen);
	struct sf_req_spec spec = {
	        .command = SMB2_SESSION_SETUP,
	        .body = body,
	        .body_len = blen,
	        .expect_rsp = 4096,
	        .session_id = s->id,
	        .flags = SF_REQ_NO_SIGN | SF_REQ_CONTROL,
	        .done = leg_done,
	        .user = s,
	        .sent = leg_sent,
	};
	sf_conn_submit(s->conn, &spec, 1);
	sf_wipe(body, blen);
	g_free(body);
}

static void session_start(sf_session *s);

void sf_session_setup(sf_conn *c, const struct sf_session_opts *o, sf_session_fn done, void *user)
{
	sf_session *s = g_new0(sf_session, 1);
	s->refs = 1;
	s->conn = sf_conn_ref(c);
	s->opts = *o;
	s->done = done;
	s->user = user;
	session_start(s);
}

void sf_session_reauth(sf_session *s, sf_session_fn done, void *user)
{
	/* The old id names the session being re-established; the server may
	 * hand back the same id or a new one (3.3.5.5.3). */
	if (s->id) {
		sf_conn_drop_security(s->conn, s->id);
		s->prev_id = s->id;
	}
	s->id = 0;
	s->gen = 0;
	s->flags = 0;
	sf_wipe(&s->sec, sizeof s->sec);
	s->reauth = true;
	s->done = done;
	s->user = user;
	session_start(s);
}

bool sf_session_valid(const sf_session *s)
{
	return s->gen && s->gen == sf_conn_generation(s->conn) && sf_conn_alive(s->conn);
}

void sf_session_forget_caller(sf_session *s)
{
	s->done = NULL;
	s->user = NULL;
	s->renew = NULL;
	s->renew_user = NULL;
	stop_renew_timer(s);
}

void sf_session_mark_expired(sf_session *s)
{
	if (!s->done) /* not while an authentication is under way */
		s->gen = 0;
}

bool sf_session_require_seal(sf_session *s)
{
	if (s->sealing)
		return true;
	if (!s->sec.keys.cipher_key_len)
		return false;
	s->sealing = s->sec.seal = true;
	s->opts.seal = true; /* and again after a re-authentication */
	sf_conn_set_security(s->conn, s->id, &s->sec);
	return true;
}

/* How a mechanism's failure to produce its first token is reported. */
static uint32_t first_leg_status(int rc)
{
	switch (rc) {
	case -ENOTSUP:
		return STATUS_NOT_SUPPORTED;
	case -EKEYEXPIRED:
		return STATUS_PASSWORD_EXPIRED; /* EKEYEXPIRED at the file system */
	case -EHOSTUNREACH:
		return STATUS_HOST_UNREACHABLE;
	case -EINVAL:
		return STATUS_INVALID_PARAMETER;
	default:
		return STATUS_LOGON_FAILURE; /* no or refused credentials: EACCES */
	}
}

static void first_leg_result(sf_session *s, int rc, uint8_t *tok, size_t tlen)
{
	if (rc) {
		const char *why = sf_auth_error(s->auth);
		char *msg = g_strdup(
		        why ? why : "the server offers no authentication mechanism we support");
		session_finish(s, first_leg_status(rc), msg);
		g_free(msg);
		return;
	}
	send_leg(s, tok, tlen);
	sf_wipe(tok, tlen);
	g_free(tok);
}

/* A first leg that may talk to the KDC runs on a worker thread (GTask);
 * the session (and its mechanism) is not touched by the loop meanwhile:
 * the task holds a reference, and nothing else reaches s->auth until
 * the result is back on the loop. */
struct first_leg {
	sf_session *s;
	uint8_t *hint;
	size_t hint_len;
	int rc;
	uint8_t *tok;
	size_t tlen;
};

static void first_leg_thread(GTask *task, gpointer src, gpointer data, GCancellable *cancel)
{
	struct first_leg *f = data;
	f->rc = sf_auth_step(f->s->auth, f->hint, f->hint_len, &f->tok, &f->tlen);
	g_task_return_boolean(task, TRUE);
}

static void first_leg_done(GObject *src, GAsyncResult *res, gpointer user)
{
	struct first_leg *f = g_task_get_task_data(G_TASK(res));
	sf_session *s = f->s;
	first_leg_result(s, f->rc, f->tok, f->tlen);
	f->tok = NULL;
	sf_session_unref(s);
}

static void first_leg_free(gpointer p)
{
	struct first_leg *f = p;
	g_free(f->hint);
	if (f->tok) {
		sf_wipe(f->tok, f->tlen);
		g_free(f->tok);
	}
	g_free(f);
}

static void session_start(sf_session *s)
{
	sf_conn *c = s->conn;
	const struct sf_session_opts *o = &s->opts;
	const struct sf_negotiated *n = sf_conn_negotiated(c);
	memcpy(s->preauth, n->preauth_hash, 64);
	stop_renew_timer(s);
	if (s->next_auth) { /* renewal: the first leg is ready */
		s->auth = s->next_auth;
		uint8_t *tok = s->next_tok;
		size_t tlen = s->next_tlen;
		s->next_auth = NULL;
		s->next_tok = NULL;
		s->next_tlen = 0;
		first_leg_result(s, 0, tok, tlen);
		return;
	}
	GError *err = NULL;
	char *host = g_strdup(sf_conn_peer(c));
	char *colon = strrchr(host, ':');
	if (colon)
		*colon = 0;
	char *bare = host[0] == '[' ? host + 1 : host;
	if (bare != host && bare[0] && bare[strlen(bare) - 1] == ']')
		bare[strlen(bare) - 1] = 0;
	s->auth = sf_auth_new(o->kind, o->creds, bare, &err);
	g_free(host);
	if (!s->auth) {
		char *why = g_strdup(err->message);
		g_error_free(err);
		session_finish(s, STATUS_INVALID_PARAMETER, why);
		g_free(why);
		return;
	}
	if (sf_auth_may_block(s->auth)) {
		struct first_leg *f = g_new0(struct first_leg, 1);
		f->s = sf_session_ref(s);
		f->hint = n->security_blob_len ? g_memdup2(n->security_blob, n->security_blob_len)
		                               : NULL;
		f->hint_len = n->security_blob_len;
		g_main_context_push_thread_default(sf_conn_context(c));
		GTask *task = g_task_new(NULL, NULL, first_leg_done, NULL);
		g_main_context_pop_thread_default(sf_conn_context(c));
		g_task_set_task_data(task, f, first_leg_free);
		g_task_run_in_thread(task, first_leg_thread);
		g_object_unref(task);
		return;
	}
	uint8_t *tok;
	size_t tlen;
	int rc = sf_auth_step(s->auth, n->security_blob, n->security_blob_len, &tok, &tlen);
	first_leg_result(s, rc, rc ? NULL : tok, rc ? 0 : tlen);
}

/* ---- Kerberos renewal ------------------------------------------------------ */

struct prefetch {
	sf_session *s;
	sf_auth *auth;
	uint8_t *hint;
	size_t hint_len;
	int rc;
	uint8_t *tok;
	size_t tlen;
};

static void prefetch_thread(GTask *task, gpointer src, gpointer data, GCancellable *cancel)
{
	struct prefetch *f = data;
	f->rc = sf_auth_step(f->auth, f->hint, f->hint_len, &f->tok, &f->tlen);
	g_task_return_boolean(task, TRUE);
}

static void prefetch_free(gpointer p)
{
	struct prefetch *f = p;
	sf_auth_free(f->auth);
	g_free(f->hint);
	if (f->tok) {
		sf_wipe(f->tok, f->tlen);
		g_free(f->tok);
	}
	g_free(f);
}

static void prefetch_done(GObject *src, GAsyncResult *res, gpointer user)
{
	struct prefetch *f = g_task_get_task_data(G_TASK(res));
	sf_session *s = f->s;
	s->prefetching = false;
	gint64 now = g_get_monotonic_time();
	int lt = f->rc == 0 ? sf_auth_lifetime(f->auth) : -1;
	/* Only a ticket that outlives the current one is worth switching to
	 * (a user's cache may not be renewed yet: look again later). */
	bool better = f->rc == 0 && (lt < 0 || now + (gint64)lt * G_USEC_PER_SEC >
	                                               s->ends_at + 5 * G_USEC_PER_SEC);
	if (s->refs > 1 && !s->done && sf_session_valid(s) && better && s->renew) {
		g_debug("session 0x%" G_GINT64_MODIFIER "x: next Kerberos authentication ready",
		        s->id);
		drop_next(s);
		s->next_auth = f->auth;
		s->next_tok = f->tok;
		s->next_tlen = f->tlen;
		f->auth = NULL;
		f->tok = NULL;
		s->renew(s, s->renew_user);
	} else if (s->refs > 1 && !s->done && sf_session_valid(s) &&
	           now < s->ends_at - 10 * G_USEC_PER_SEC) {
		g_debug("session 0x%" G_GINT64_MODIFIER "x: no newer ticket yet (%s)", s->id,
		        f->rc ? sf_auth_error(f->auth) : "same end time");
		schedule_renew(s, 15);
	}
	sf_session_unref(s);
}

static gboolean renew_fired(gpointer p)
{
	sf_session *s = p;
	g_source_unref(s->renew_timer);
	s->renew_timer = NULL;
	if (s->prefetching || s->done || s->next_auth || !s->renew || !sf_session_valid(s))
		return G_SOURCE_REMOVE;
	GError *err = NULL;
	char *host = g_strdup(sf_conn_peer(s->conn));
	char *colon = strrchr(host, ':');
	if (colon)
		*colon = 0;
	sf_auth *a = sf_auth_new(s->opts.kind, s->opts.creds, host, &err);
	g_free(host);
	if (!a) {
		g_clear_error(&err);
		return G_SOURCE_REMOVE; /* the expiry will say why */
	}
	const struct sf_negotiated *n = sf_conn_negotiated(s->conn);
	struct prefetch *f = g_new0(struct prefetch, 1);
	f->s = sf_session_ref(s);
	f->auth = a;
	f->hint = n->security_blob_len ? g_memdup2(n->security_blob, n->security_blob_len) : NULL;
	f->hint_len = n->security_blob_len;
	s->prefetching = true;
	g_main_context_push_thread_default(sf_conn_context(s->conn));
	GTask *task = g_task_new(NULL, NULL, prefetch_done, NULL);
	g_main_context_pop_thread_default(sf_conn_context(s->conn));
	g_task_set_task_data(task, f, prefetch_free);
	g_task_run_in_thread(task, prefetch_thread);
	g_object_unref(task);
	return G_SOURCE_REMOVE;
}

static void schedule_renew(sf_session *s, unsigned seconds)
{
	stop_renew_timer(s);
	s->renew_timer = g_timeout_source_new_seconds(MAX(seconds, 1u));
	g_source_set_callback(s->renew_timer, renew_fired, s, NULL);
	g_source_attach(s->renew_timer, sf_conn_context(s->conn));
}

void sf_session_set_renew(sf_session *s, void (*fn)(sf_session *s, void *user), void *user)
{
	s->renew = fn;
	s->renew_user = user;
}

void sf_session_logoff(sf_session *s, sf_rsp_fn done, void *user)
{
	uint8_t body[4];
	smb2_simple_req_encode(body);
	struct sf_req_spec spec = {
	        .command = SMB2_LOGOFF,
	        .body = body,
	        .body_len = 4,
	        .session_id = s->id,
	        .flags = SF_REQ_CONTROL,
	        .done = done,
	        .user = user,
	};
	sf_conn_submit(s->conn, &spec, 1);
}
