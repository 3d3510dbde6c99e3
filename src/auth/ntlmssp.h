/* ntlmssp.h - NTLMv2 client (MS-NLMP): NEGOTIATE, CHALLENGE, AUTHENTICATE,
 * MIC, key exchange, and the GSS MIC that SPNEGO's mechListMIC needs. */
#ifndef SF_AUTH_NTLMSSP_H
#define SF_AUTH_NTLMSSP_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* NegotiateFlags (MS-NLMP 2.2.2.5). */
#define NTLMSSP_NEGOTIATE_UNICODE                  0x00000001u
#define NTLMSSP_REQUEST_TARGET                     0x00000004u
#define NTLMSSP_NEGOTIATE_SIGN                     0x00000010u
#define NTLMSSP_NEGOTIATE_SEAL                     0x00000020u
#define NTLMSSP_NEGOTIATE_NTLM                     0x00000200u
#define NTLMSSP_NEGOTIATE_ANONYMOUS                0x00000800u
#define NTLMSSP_NEGOTIATE_ALWAYS_SIGN              0x00008000u
#define NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY 0x00080000u
#define NTLMSSP_NEGOTIATE_TARGET_INFO              0x00800000u
#define NTLMSSP_NEGOTIATE_VERSION                  0x02000000u
#define NTLMSSP_NEGOTIATE_128                      0x20000000u
#define NTLMSSP_NEGOTIATE_KEY_EXCH                 0x40000000u
#define NTLMSSP_NEGOTIATE_56                       0x80000000u

/* AV pair ids (2.2.2.1). */
#define MSV_AV_EOL              0
#define MSV_AV_NB_COMPUTER      1
#define MSV_AV_NB_DOMAIN        2
#define MSV_AV_DNS_COMPUTER     3
#define MSV_AV_DNS_DOMAIN       4
#define MSV_AV_FLAGS            6
#define MSV_AV_TIMESTAMP        7
#define MSV_AV_TARGET_NAME      9
#define MSV_AV_CHANNEL_BINDINGS 10
#define MSV_AV_FLAG_MIC         0x00000002u

struct sf_ntlm_challenge {
	uint32_t flags;
	uint8_t server_challenge[8];
	const uint8_t *target_info; /* AV pairs, points into the message */
	size_t target_info_len;
	bool has_timestamp;
	uint64_t timestamp;
};

/* Decode a CHALLENGE_MESSAGE (2.2.1.2); every field and the AV pair chain
 * are checked (the chain must end with MsvAvEOL). 0 or -EPROTO. */
int sf_ntlm_challenge_decode(const uint8_t *buf, size_t len, struct sf_ntlm_challenge *out);

struct sf_ntlm;

/* user NULL or empty with anonymous=true: a null session. */
struct sf_ntlm *sf_ntlm_new(const char *user, const char *domain, const char *password,
                            const char *workstation, const char *target_spn, bool anonymous);
void sf_ntlm_free(struct sf_ntlm *n);
/* Fixed inputs for known-answer tests (time, client challenge, random
 * session key); NULL pointers keep the random/clock values. */
void sf_ntlm_set_test_inputs(struct sf_ntlm *n, const uint64_t *time, const uint8_t cc[8],
                             const uint8_t rsk[16]);

GByteArray *sf_ntlm_negotiate(struct sf_ntlm *n);
/* Build the AUTHENTICATE_MESSAGE for this CHALLENGE. 0, -EPROTO or -EINVAL. */
int sf_ntlm_authenticate(struct sf_ntlm *n, const uint8_t *chal, size_t chal_len, GByteArray **out);
/* The exported session key (16 bytes), or NULL for anonymous. */
const uint8_t *sf_ntlm_session_key(const struct sf_ntlm *n);
/* Did our AUTHENTICATE carry a MIC (so SPNEGO must send mechListMIC)? */
bool sf_ntlm_used_mic(const struct sf_ntlm *n);
/* GSS_GetMIC / VerifyMIC with extended session security (3.4.4.2), for
 * the first message in each direction (SeqNum 0). */
void sf_ntlm_get_mic(struct sf_ntlm *n, const uint8_t *msg, size_t len, uint8_t sig[16]);
bool sf_ntlm_verify_mic(struct sf_ntlm *n, const uint8_t *msg, size_t len, const uint8_t *sig,
                        size_t sig_len);

/* Building blocks, exposed for the known-answer tests (3.3.2, 3.4.5). */
void sf_ntlm_ntowfv2(const char *password, const char *user, const char *domain, uint8_t out[16]);
void sf_ntlm_sign_seal_keys(const uint8_t session_key[16], bool client, uint8_t sign[16],
                            uint8_t seal[16]);

#endif
