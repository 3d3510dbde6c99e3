/* prim.h - the cryptographic primitives smbfuse uses, as thin wrappers over
 * Nettle, so that the rest of the code names operations, not libraries. */
#ifndef SF_CRYPTO_PRIM_H
#define SF_CRYPTO_PRIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SF_SHA512_LEN 64
#define SF_SHA256_LEN 32

/* Incremental SHA-512 (pre-auth integrity hash). */
struct sf_sha512 {
	uint64_t opaque[32]; /* large enough for nettle's sha512_ctx */
};
void sf_sha512_init(struct sf_sha512 *c);
void sf_sha512_update(struct sf_sha512 *c, const void *p, size_t n);
void sf_sha512_final(struct sf_sha512 *c, uint8_t out[SF_SHA512_LEN]);

void sf_hmac_sha256(const uint8_t *key, size_t key_len, const void *msg, size_t len,
                    uint8_t out[SF_SHA256_LEN]);
void sf_aes128_cmac(const uint8_t key[16], const void *msg, size_t len, uint8_t out[16]);
void sf_md4(const void *msg, size_t len, uint8_t out[16]);
void sf_md5(const void *msg, size_t len, uint8_t out[16]);
void sf_hmac_md5(const uint8_t *key, size_t key_len, const void *msg, size_t len, uint8_t out[16]);
/* HMAC-MD5 over the concatenation of two buffers (NTLM needs a lot of these). */
void sf_hmac_md5_2(const uint8_t *key, size_t key_len, const void *a, size_t alen, const void *b,
                   size_t blen, uint8_t out[16]);
/* RC4 with a one-shot key: out = in XOR keystream. in and out may alias. */
void sf_rc4(const uint8_t *key, size_t key_len, const void *in, size_t len, void *out);

/* AEAD with a 16-byte tag. cipher: SMB2_ENCRYPTION_AES128_CCM .. AES256_GCM
 * (key 16 or 32 bytes; nonce 11 bytes for CCM, 12 for GCM).
 * decrypt returns false when the tag does not verify (out is then wiped). */
bool sf_aead_encrypt(uint16_t cipher, const uint8_t *key, const uint8_t *nonce, const uint8_t *aad,
                     size_t aad_len, const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[16]);
bool sf_aead_decrypt(uint16_t cipher, const uint8_t *key, const uint8_t *nonce, const uint8_t *aad,
                     size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
                     const uint8_t tag[16]);
size_t sf_aead_key_len(uint16_t cipher);   /* 16, 32, or 0 when unknown */
size_t sf_aead_nonce_len(uint16_t cipher); /* 11, 12, or 0 */
/* AES-128-GMAC: GCM with empty plaintext, `msg` as additional data. */
void sf_aes128_gmac(const uint8_t key[16], const uint8_t nonce[12], const void *msg, size_t len,
                    uint8_t out[16]);

/* Cryptographically secure random bytes (getrandom). */
void sf_random(void *p, size_t n);
/* Overwrite secrets; never optimised away. */
void sf_wipe(void *p, size_t n);
/* Constant-time comparison. */
bool sf_ct_equal(const void *a, const void *b, size_t n);

#endif
