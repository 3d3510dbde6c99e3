/* spnego.h - SPNEGO tokens (RFC 4178, MS-SPNG 2.2). */
#ifndef SF_AUTH_SPNEGO_H
#define SF_AUTH_SPNEGO_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* DER-encoded OIDs (content bytes only). */
extern const uint8_t sf_oid_spnego[6];
extern const uint8_t sf_oid_ntlmssp[10];
extern const uint8_t sf_oid_krb5[9];
extern const uint8_t sf_oid_mskrb5[9];

enum sf_neg_state {
	SF_NEG_ACCEPT_COMPLETED = 0,
	SF_NEG_ACCEPT_INCOMPLETE = 1,
	SF_NEG_REJECT = 2,
	SF_NEG_REQUEST_MIC = 3,
	SF_NEG_ABSENT = -1,
};

/* The DER mechTypes list (SEQUENCE OF OID) for the given OIDs; the
 * mechListMIC is computed over exactly these bytes. */
GByteArray *sf_spnego_mech_list(const uint8_t *const *oids, const size_t *lens, size_t n);
/* GSS-wrapped NegTokenInit with mechTypes and an optional mechToken. */
GByteArray *sf_spnego_init_encode(const GByteArray *mech_list, const uint8_t *tok, size_t tok_len);
/* NegTokenResp with optional responseToken and mechListMIC. */
GByteArray *sf_spnego_resp_encode(const uint8_t *tok, size_t tok_len, const uint8_t *mic,
                                  size_t mic_len);

struct sf_spnego_resp {
	int neg_state; /* enum sf_neg_state */
	const uint8_t *mech;
	size_t mech_len;
	const uint8_t *token; /* responseToken, points into the input */
	size_t token_len;
	const uint8_t *mic; /* mechListMIC */
	size_t mic_len;
};
/* Decode a NegTokenResp from the server. Returns 0 or -EPROTO. */
int sf_spnego_resp_decode(const uint8_t *buf, size_t len, struct sf_spnego_resp *out);

/* Decode the NegTokenInit(2) a server sends in its NEGOTIATE response and
 * report which mechanisms it offers. Returns 0 or -EPROTO. */
int sf_spnego_init_decode(const uint8_t *buf, size_t len, bool *has_ntlm, bool *has_krb5);

#endif
