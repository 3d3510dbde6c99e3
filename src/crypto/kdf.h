/* kdf.h - SP800-108 counter-mode KDF (MS-SMB2 3.1.4.2), SMB session key
 * derivation per dialect (MS-SMB2 3.2.5.3.1) and the 3.1.1 pre-auth hash. */
#ifndef SF_CRYPTO_KDF_H
#define SF_CRYPTO_KDF_H

#include <stddef.h>
#include <stdint.h>

/* KDF in counter mode, PRF HMAC-SHA256, r = 32, one or two blocks:
 * out_len is 16 (L=128) or 32 (L=256). Label and context lengths include
 * any terminating NUL, as the spec counts them. */
void sf_kdf(const uint8_t *key, size_t key_len, const void *label, size_t label_len,
            const void *context, size_t context_len, uint8_t *out, size_t out_len);

/* H = SHA-512(H || msg) (MS-SMB2 3.2.5.2, 3.2.5.3.1). */
void sf_preauth_hash_update(uint8_t hash[64], const uint8_t *msg, size_t len);

struct sf_smb_keys {
	uint8_t signing[16];
	uint8_t encryption[32]; /* client -> server */
	uint8_t decryption[32]; /* server -> client */
	uint8_t application[16];
	size_t cipher_key_len; /* 16 or 32; 0 when the dialect cannot encrypt */
};

/* Derive the keys of a session. dialect: SMB2_DIALECT_*; cipher: the
 * negotiated cipher (0 for none; 3.0/3.0.2 imply AES-128-CCM);
 * session_key: the GSS session key (16 bytes, or more for AES-256, which
 * uses the full key); preauth: Session.PreauthIntegrityHashValue for 3.1.1,
 * ignored otherwise. Returns 0, or -EINVAL for an unknown dialect. */
int sf_keys_derive(uint16_t dialect, uint16_t cipher, const uint8_t *session_key,
                   size_t session_key_len, const uint8_t preauth[64], struct sf_smb_keys *out);
void sf_keys_wipe(struct sf_smb_keys *k);

#endif
