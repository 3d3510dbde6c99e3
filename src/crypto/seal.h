/* seal.h - SMB3 encryption with the TRANSFORM_HEADER (MS-SMB2 2.2.41,
 * 3.1.4.3, 3.2.5.1.1.1). */
#ifndef SF_CRYPTO_SEAL_H
#define SF_CRYPTO_SEAL_H

#include <stddef.h>
#include <stdint.h>

#define SF_TRANSFORM_HDR_LEN 52

/* Nonces: a fresh random 11/12-byte nonce per message. With 2^88 or 2^96
 * values the chance of a repeat within the life of one session key is
 * negligible, and unlike a counter it survives reconnects that reuse a key. */

/* Encrypt one SMB2 message (or compound) into out, which must hold
 * SF_TRANSFORM_HDR_LEN + len bytes. nonce: NULL for a fresh random one;
 * tests pass the whole 16-byte Nonce field of a published example. Returns 0 or -EINVAL. */
int sf_seal_encrypt(uint16_t cipher, const uint8_t *key, uint64_t session_id, const uint8_t *nonce,
                    const uint8_t *msg, size_t len, uint8_t *out);

/* Decrypt a transform message. On success *out (g_malloc) holds the SMB2
 * message(s) and *out_len its length. -EPROTO for a malformed header,
 * -EBADMSG when authentication fails. */
int sf_seal_decrypt(uint16_t cipher, const uint8_t *key, const uint8_t *in, size_t len,
                    uint8_t **out, size_t *out_len);

#endif
