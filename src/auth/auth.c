/* auth.c - SPNEGO driver around one mechanism (MS-SPNG, RFC 4178). */
#include "auth/mech.h"

#include "auth/krb5_gss.h"
#include "auth/ntlmssp.h"
#include "auth/spnego.h"
#include "crypto/prim.h"

#include <errno.h>
#include <string.h>

struct sf_auth {
	enum sf_auth_kind kind;
	const struct sf_mech_ops *ops;
	void *ctx;
	GByteArray *mech_list;  /* DER mechTypes as sent: the mechListMIC input */
	const uint8_t *oids[2]; /* what we offered (Kerberos: both of its OIDs) */
	size_t oid_lens[2];
	size_t n_oids;
	int leg;
};

/* ---- NTLM as a mechanism ------------------------------------------------ */

struct ntlm_mech {
	struct sf_ntlm *n;
	bool sent_auth;
};

static int ntlm_start(void *ctx, GByteArray **out)
{
	struct ntlm_mech *m = ctx;
	*out = sf_ntlm_negotiate(m->n);
	return 0;
}

static int ntlm_step(void *ctx, const uint8_t *in, size_t len, GByteArray **out)
{
	struct ntlm_mech *m = ctx;
	if (m->sent_auth)
		return -EPROTO; /* NTLM has exactly one challenge */
	int rc = sf_ntlm_authenticate(m->n, in, len, out);
	if (rc == 0)
		m->sent_auth = true;
	return rc;
}

static int ntlm_session_key(void *ctx, uint8_t *key, size_t *len)
{
	struct ntlm_mech *m = ctx;
	const uint8_t *k = sf_ntlm_session_key(m->n);
	if (!k)
		return -ENOKEY;
	memcpy(key, k, 16);
	*len = 16;
	return 0;
}

static bool ntlm_wants_mic(void *ctx)
{
	return sf_ntlm_used_mic(((struct ntlm_mech *)ctx)->n);
}

static void ntlm_get_mic(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[16])
{
	sf_ntlm_get_mic(((struct ntlm_mech *)ctx)->n, msg, len, sig);
}

static bool ntlm_verify_mic(void *ctx, const uint8_t *msg, size_t len, const uint8_t *sig,
                            size_t sig_len)
{
	return sf_ntlm_verify_mic(((struct ntlm_mech *)ctx)->n, msg, len, sig, sig_len);
}

static void ntlm_free(void *ctx)
{
	struct ntlm_mech *m = ctx;
	sf_ntlm_free(m->n);
	g_free(m);
}

static const struct sf_mech_ops ntlm_ops = {
        .name = "NTLMSSP",
        .oid = sf_oid_ntlmssp,
        .oid_len = sizeof sf_oid_ntlmssp,
        .start = ntlm_start,
        .step = ntlm_step,
        .session_key = ntlm_session_key,
        .wants_mic = ntlm_wants_mic,
        .get_mic = ntlm_get_mic,
        .verify_mic = ntlm_verify_mic,
        .free = ntlm_free,
};

/* ---- SPNEGO ---------------------------------------------------------- */

sf_auth *sf_auth_new(enum sf_auth_kind kind, const struct sf_creds *creds, const char *server_host,
                     GError **err)
{
	if (kind == SF_AUTH_KRB5) {
		void *ctx = sf_krb5_mech_new(creds, server_host, err);
		if (!ctx)
			return NULL;
		sf_auth *a = g_new0(sf_auth, 1);
		a->kind = kind;
		a->ops = &sf_krb5_ops;
		a->ctx = ctx;
		/* The standard OID first, then the one old Windows answers with
		 * (MS-KRB5, MS-SPNG 3.3.5.1); the token is the same. */
		a->oids[0] = sf_oid_krb5, a->oid_lens[0] = sizeof sf_oid_krb5;
		a->oids[1] = sf_oid_mskrb5, a->oid_lens[1] = sizeof sf_oid_mskrb5;
		a->n_oids = 2;
		a->mech_list = sf_spnego_mech_list(a->oids, a->oid_lens, 2);
		return a;
	}
	const char *user = creds ? creds->user : NULL;
	if (kind == SF_AUTH_NTLM && (!user || !*user)) {
		g_set_error(err, g_quark_from_static_string("sf-auth"), EINVAL,
		            "no user name given (username= or a credentials file)");
		return NULL;
	}
	if (kind == SF_AUTH_GUEST && (!user || !*user))
		user = "guest";
	char *spn = creds && creds->spn ? g_strdup(creds->spn)
	            : server_host       ? g_strconcat("cifs/", server_host, NULL)
	                                : NULL;
	struct ntlm_mech *m = g_new0(struct ntlm_mech, 1);
	m->n = sf_ntlm_new(user, creds ? creds->domain : NULL,
	                   kind == SF_AUTH_NTLM && creds ? creds->password : "", NULL, spn,
	                   kind == SF_AUTH_ANON);
	g_free(spn);
	sf_auth *a = g_new0(sf_auth, 1);
	a->kind = kind;
	a->ops = &ntlm_ops;
	a->ctx = m;
	a->oids[0] = ntlm_ops.oid, a->oid_lens[0] = ntlm_ops.oid_len;
	a->n_oids = 1;
	a->mech_list = sf_spnego_mech_list(a->oids, a->oid_lens, 1);
	return a;
}

/* Whether oid is one of the mechanisms we offered. */
static bool offered(const sf_auth *a, const uint8_t *oid, size_t len)
{
	for (size_t i = 0; i < a->n_oids; i++)
		if (len == a->oid_lens[i] && !memcmp(oid, a->oids[i], len))
			return true;
	return false;
}

static void hand_out(GByteArray *b, uint8_t **out, size_t *out_len)
{
	*out_len = b->len;
	*out = g_byte_array_free(b, FALSE);
}

int sf_auth_step(sf_auth *a, const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len)
{
	*out = NULL;
	*out_len = 0;
	if (a->leg++ == 0) {
		/* The server's NegTokenInit2 hint (if any) only lists mechanisms;
		 * we start our mechanism optimistically either way. */
		if (in && in_len) {
			bool ntlm, krb5;
			if (sf_spnego_init_decode(in, in_len, &ntlm, &krb5) == 0 &&
			    !(a->kind == SF_AUTH_KRB5 ? krb5 : ntlm))
				return -ENOTSUP;
		}
		GByteArray *tok;
		int rc = a->ops->start(a->ctx, &tok);
		if (rc)
			return rc;
		GByteArray *init = sf_spnego_init_encode(a->mech_list, tok->data, tok->len);
		g_byte_array_unref(tok);
		hand_out(init, out, out_len);
		return 0;
	}
	struct sf_spnego_resp r;
	if (sf_spnego_resp_decode(in, in_len, &r) != 0)
		return -EPROTO;
	if (r.neg_state == SF_NEG_REJECT)
		return -EACCES;
	if (r.mech && !offered(a, r.mech, r.mech_len))
		return -ENOTSUP;
	if (!r.token)
		return -EPROTO;
	GByteArray *tok = NULL;
	int rc = a->ops->step(a->ctx, r.token, r.token_len, &tok);
	if (rc)
		return rc;
	uint8_t mic[16];
	bool with_mic = a->ops->wants_mic && a->ops->wants_mic(a->ctx);
	if (with_mic)
		a->ops->get_mic(a->ctx, a->mech_list->data, a->mech_list->len, mic);
	GByteArray *resp = sf_spnego_resp_encode(tok ? tok->data : NULL, tok ? tok->len : 0,
	                                         with_mic ? mic : NULL, 16);
	if (tok)
		g_byte_array_unref(tok);
	hand_out(resp, out, out_len);
	return 0;
}

int sf_auth_finish(sf_auth *a, const uint8_t *in, size_t in_len)
{
	if (!in || !in_len) /* servers may send no final token; Kerberos needs it */
		return a->ops->complete && !a->ops->complete(a->ctx) ? -EACCES : 0;
	struct sf_spnego_resp r;
	if (sf_spnego_resp_decode(in, in_len, &r) != 0)
		return -EPROTO;
	if (r.neg_state != SF_NEG_ACCEPT_COMPLETED && r.neg_state != SF_NEG_ABSENT)
		return -EACCES;
	if (r.mech && !offered(a, r.mech, r.mech_len))
		return -EACCES;
	/* Kerberos: the final token is the server's AP-REP, which proves the
	 * server knew the service key (mutual authentication). */
	if (a->ops->complete && !a->ops->complete(a->ctx)) {
		if (!r.token)
			return -EACCES;
		GByteArray *tok = NULL;
		int rc = a->ops->step(a->ctx, r.token, r.token_len, &tok);
		if (tok)
			g_byte_array_unref(tok);
		if (rc || !a->ops->complete(a->ctx))
			return -EACCES;
	}
	if (r.mic && a->ops->verify_mic &&
	    !a->ops->verify_mic(a->ctx, a->mech_list->data, a->mech_list->len, r.mic, r.mic_len))
		return -EACCES; /* the negotiation was tampered with */
	return 0;
}

int sf_auth_session_key(sf_auth *a, uint8_t *key, size_t *len)
{
	if (a->kind == SF_AUTH_ANON || a->kind == SF_AUTH_GUEST)
		return -ENOKEY;
	return a->ops->session_key(a->ctx, key, len);
}

enum sf_auth_kind sf_auth_kind(const sf_auth *a)
{
	return a->kind;
}

const char *sf_auth_error(const sf_auth *a)
{
	return a->ops->error ? a->ops->error(a->ctx) : NULL;
}

int sf_auth_lifetime(const sf_auth *a)
{
	return a->ops->lifetime ? a->ops->lifetime(a->ctx) : -1;
}

bool sf_auth_may_block(const sf_auth *a)
{
	return a->kind == SF_AUTH_KRB5 && a->leg == 0;
}

void sf_auth_free(sf_auth *a)
{
	if (!a)
		return;
	a->ops->free(a->ctx);
	g_byte_array_unref(a->mech_list);
	g_free(a);
}
