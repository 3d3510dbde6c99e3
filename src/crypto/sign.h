/* sign.h - SMB2 message signing (MS-SMB2 3.1.4.1). */
#ifndef SF_CRYPTO_SIGN_H
#define SF_CRYPTO_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* alg: SMB2_SIGNING_HMAC_SHA256, SMB2_SIGNING_AES_CMAC, SMB2_SIGNING_AES_GMAC.
 * msg: one whole SMB2 message (header + body, including compound padding).
 * The signature field is treated as zero; msg is not modified. */
int sf_sign_compute(uint16_t alg, const uint8_t key[16], const uint8_t *msg, size_t len,
                    uint8_t sig[16]);
/* Set SMB2_FLAGS_SIGNED, then write the signature into the header. */
int sf_sign_apply(uint16_t alg, const uint8_t key[16], uint8_t *msg, size_t len);
/* Constant-time check of the signature in msg's header. */
bool sf_sign_verify(uint16_t alg, const uint8_t key[16], const uint8_t *msg, size_t len);

#endif
