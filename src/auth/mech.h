/* mech.h - the authentication interface SESSION_SETUP drives.
 *
 * The session code pumps security blobs: sf_auth_step() with the server's
 * blob (NULL on the first call) yields the next blob to send; when the
 * server reports success, sf_auth_finish() checks its last blob (SPNEGO
 * accept-completed and mechListMIC). Mechanisms sit behind a small vtable
 * (struct sf_mech_ops) so Kerberos/GSSAPI drops in beside NTLM. */
#ifndef SF_AUTH_MECH_H
#define SF_AUTH_MECH_H

#include "auth/creds.h"

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sf_auth_kind {
	SF_AUTH_NTLM,  /* NTLMv2 in SPNEGO (sec=ntlmssp, the default) */
	SF_AUTH_KRB5,  /* Kerberos through GSSAPI (sec=krb5) */
	SF_AUTH_ANON,  /* null session (sec=none) */
	SF_AUTH_GUEST, /* guest: a user the server maps to its guest account */
};

typedef struct sf_auth sf_auth;

/* One mechanism inside SPNEGO. */
struct sf_mech_ops {
	const char *name;
	const uint8_t *oid;
	size_t oid_len;
	/* First token (optimistic, sent inside NegTokenInit). */
	int (*start)(void *ctx, GByteArray **out);
	/* Next token for a server token; *out may stay NULL. */
	int (*step)(void *ctx, const uint8_t *in, size_t len, GByteArray **out);
	/* GSS session key; -ENOKEY when there is none. */
	int (*session_key)(void *ctx, uint8_t *key, size_t *len);
	/* mechListMIC support; NULL when the mechanism has none. */
	bool (*wants_mic)(void *ctx);
	void (*get_mic)(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[16]);
	bool (*verify_mic)(void *ctx, const uint8_t *msg, size_t len, const uint8_t *sig,
	                   size_t sig_len);
	/* Whether the mechanism has finished (for Kerberos: the server's
	 * AP-REP verified, mutual authentication); NULL: done once it has
	 * produced its last token. */
	bool (*complete)(void *ctx);
	/* Seconds the credentials behind an established context stay valid
	 * (the Kerberos ticket's end), -1 when unknown or unlimited. */
	int (*lifetime)(void *ctx);
	/* One line saying why the last call failed, or NULL. */
	const char *(*error)(void *ctx);
	void (*free)(void *ctx);
};

/* server_host names the target (the cifs/<host> SPN). */
sf_auth *sf_auth_new(enum sf_auth_kind kind, const struct sf_creds *creds, const char *server_host,
                     GError **err);
/* 0: *out holds the next blob to send. Negative errno on failure:
 * -EPROTO malformed server token, -EACCES the server rejected us,
 * -ENOTSUP no mechanism in common; for Kerberos also -ENOKEY no
 * credentials, -EKEYEXPIRED expired credentials (sf_auth_error says
 * more). */
int sf_auth_step(sf_auth *a, const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len);
/* Check the server's final blob (may be empty). 0 or -EACCES / -EPROTO. */
int sf_auth_finish(sf_auth *a, const uint8_t *in, size_t in_len);
/* The GSS session key; 0, or -ENOKEY (anonymous, guest). key must hold
 * at least 32 bytes; *len receives the length. */
int sf_auth_session_key(sf_auth *a, uint8_t *key, size_t *len);
enum sf_auth_kind sf_auth_kind(const sf_auth *a);
/* Why the last sf_auth_step()/sf_auth_finish() failed, one line naming
 * the cause (no ticket, expired ticket, unknown SPN, clock skew), or NULL
 * when the mechanism has nothing to say. */
const char *sf_auth_error(const sf_auth *a);
/* Seconds until the credentials behind the context end (Kerberos: the
 * ticket), -1 when unknown or unlimited (NTLM). */
int sf_auth_lifetime(const sf_auth *a);
/* Whether sf_auth_step() may block on the network (it talks to the KDC):
 * such a step runs on a worker thread, never on the main loop. */
bool sf_auth_may_block(const sf_auth *a);
void sf_auth_free(sf_auth *a);

#endif
