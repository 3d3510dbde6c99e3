/* session.c - SESSION_SETUP, LOGOFF, TREE_CONNECT, validate negotiate. */
#define G_LOG_DOMAIN "smbfuse-session"

#include "net/session.h"

#include "crypto/kdf.h"
#include "crypto/prim.h"
#include "crypto/sign.h"
#include "proto/ntstatus.h"
#include "proto/query.h"
#include "proto/session.h"
#include "proto/smb2.h"
#include "proto/tree.h"
#include "util/bytes.h"
#include "util/utf16.h"

#include <errno.h>
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
	struct sf_conn_security sec;
	sf_session_fn done;
	void *user;
};

struct sf_tree {
	int refs;
	sf_session *s;
	uint32_t id;
	struct smb2_tree_connect_rsp info;
	char *share;
	sf_tree_fn done;
	void *user;
};

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

static void session_finish(sf_session *s, uint32_t status, const char *why)
{
	sf_session_fn done = s->done;
	s->done = NULL;
	sf_auth_free(s->auth); /* secrets are no longer needed */
	s->auth = NULL;
	if (done)
		done(status == STATUS_SUCCESS ? s : NULL, status, why, s->user);
	if (status != STATUS_SUCCESS)
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
		session_finish(s, STATUS_ACCESS_DENIED,
		               "the server's final authentication token "
		               "did not verify (mechListMIC)");
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

void sf_session_setup(sf_conn *c, const struct sf_session_opts *o, sf_session_fn done, void *user)
{
	sf_session *s = g_new0(sf_session, 1);
	s->refs = 1;
	s->conn = sf_conn_ref(c);
	s->opts = *o;
	s->done = done;
	s->user = user;
	const struct sf_negotiated *n = sf_conn_negotiated(c);
	memcpy(s->preauth, n->preauth_hash, 64);
	GError *err = NULL;
	char *host = g_strdup(sf_conn_peer(c));
	char *colon = strrchr(host, ':');
	if (colon)
		*colon = 0;
	s->auth = sf_auth_new(o->kind, o->creds, host[0] == '[' ? host + 1 : host, &err);
	g_free(host);
	if (!s->auth) {
		char *why = g_strdup(err->message);
		g_error_free(err);
		session_finish(s, STATUS_INVALID_PARAMETER, why);
		g_free(why);
		return;
	}
	uint8_t *tok;
	size_t tlen;
	int rc = sf_auth_step(s->auth, n->security_blob, n->security_blob_len, &tok, &tlen);
	if (rc) {
		session_finish(s, STATUS_NOT_SUPPORTED,
		               "the server offers no authentication mechanism we support");
		return;
	}
	send_leg(s, tok, tlen);
	g_free(tok);
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

/* ---- trees ------------------------------------------------------------ */

sf_tree *sf_tree_ref(sf_tree *t)
{
	t->refs++;
	return t;
}

void sf_tree_unref(sf_tree *t)
{
	if (!t || --t->refs > 0)
		return;
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

sf_req_handle sf_tree_submit(sf_tree *t, struct sf_req_spec *specs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		specs[i].session_id = t->s->id;
		specs[i].tree_id = t->id;
	}
	return sf_conn_submit(t->s->conn, specs, n);
}

static void tree_finish(sf_tree *t, uint32_t status, const char *why)
{
	sf_tree_fn done = t->done;
	t->done = NULL;
	done(status == STATUS_SUCCESS ? t : NULL, status, why, t->user);
	if (status != STATUS_SUCCESS)
		sf_tree_unref(t);
}

/* FSCTL_VALIDATE_NEGOTIATE_INFO answer (3.2.5.14.12): everything must
 * match what NEGOTIATE said, or someone rewrote it. */
static void validate_done(void *user, uint32_t status, const uint8_t *pdu, size_t len)
{
	sf_tree *t = user;
	const struct sf_negotiated *n = sf_conn_negotiated(t->s->conn);
	struct smb2_ioctl_rsp io;
	struct smb2_validate_negotiate_rsp v;
	if (status == STATUS_SUCCESS && smb2_ioctl_rsp_decode(pdu, len, &io) == 0 &&
	    smb2_validate_negotiate_rsp_decode(io.out, io.out_len, &v) == 0 &&
	    v.capabilities == n->capabilities && !memcmp(v.guid, n->server_guid, 16) &&
	    v.security_mode == n->security_mode && v.dialect == n->dialect) {
		tree_finish(t, STATUS_SUCCESS, NULL);
		return;
	}
	char why[160];
	g_snprintf(why, sizeof why,
	           "secure negotiate validation failed (%s): the negotiation was tampered with",
	           status == STATUS_SUCCESS ? "values differ" : sf_ntstatus_name(status));
	sf_conn_close(t->s->conn, STATUS_ACCESS_DENIED);
	tree_finish(t, STATUS_ACCESS_DENIED, why);
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
	const struct sf_negotiated *n = sf_conn_negotiated(s->conn);
	if ((t->info.share_flags & SMB2_SHAREFLAG_ENCRYPT_DATA) && !s->sealing) {
		/* The share demands encryption: give it, session-wide. */
		if (!s->sec.keys.cipher_key_len) {
			tree_finish(t, STATUS_ACCESS_DENIED,
			            "the share requires encryption, which this session cannot do");
			return;
		}
		s->sealing = s->sec.seal = true;
		sf_conn_set_security(s->conn, s->id, &s->sec);
	}
	if ((n->dialect == SMB2_DIALECT_0300 || n->dialect == SMB2_DIALECT_0302) && s->signing) {
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
		        .done = validate_done,
		        .user = t,
		};
		sf_tree_submit(t, &spec, 1);
		g_free(in);
		g_free(body);
		return;
	}
	tree_finish(t, STATUS_SUCCESS, NULL);
}

void sf_tree_connect(sf_session *s, const char *share, sf_tree_fn done, void *user)
{
	sf_tree *t = g_new0(sf_tree, 1);
	t->refs = 1;
	t->s = sf_session_ref(s);
	t->share = g_strdup(share);
	t->done = done;
	t->user = user;
	char *host = g_strdup(sf_conn_peer(s->conn));
	char *colon = strrchr(host, ':');
	if (colon)
		*colon = 0;
	char *unc = g_strdup_printf("\\\\%s\\%s", host, share);
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
	        .session_id = s->id,
	        .done = tree_done,
	        .user = t,
	};
	sf_conn_submit(s->conn, &spec, 1);
	g_free(path);
	g_free(body);
}

void sf_tree_disconnect(sf_tree *t, sf_rsp_fn done, void *user)
{
	uint8_t body[4];
	smb2_simple_req_encode(body);
	struct sf_req_spec spec = {
	        .command = SMB2_TREE_DISCONNECT,
	        .body = body,
	        .body_len = 4,
	        .flags = SF_REQ_CONTROL,
	        .done = done,
	        .user = user,
	};
	sf_tree_submit(t, &spec, 1);
}
