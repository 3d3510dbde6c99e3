/* kdf.c - SP800-108 KDF, SMB key derivation, pre-auth integrity hash. */
#include "crypto/kdf.h"

#include "crypto/prim.h"
#include "proto/smb2.h"
#include "util/bytes.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

void sf_kdf(const uint8_t *key, size_t key_len, const void *label, size_t label_len,
            const void *context, size_t context_len, uint8_t *out, size_t out_len)
{
	/* Input block: [i]_2 || Label || 0x00 || Context || [L]_2 (both BE32). */
	size_t n = 4 + label_len + 1 + context_len + 4;
	uint8_t *in = g_malloc(n);
	uint8_t *p = in + 4;
	memcpy(p, label, label_len);
	p += label_len;
	*p++ = 0;
	memcpy(p, context, context_len);
	p += context_len;
	sf_put_be32(p, (uint32_t)(out_len * 8));
	for (uint32_t i = 1; (i - 1) * 32 < out_len; i++) {
		uint8_t block[32];
		sf_put_be32(in, i);
		sf_hmac_sha256(key, key_len, in, n, block);
		size_t take = out_len - (i - 1) * 32;
		memcpy(out + (i - 1) * 32, block, take < 32 ? take : 32);
		sf_wipe(block, sizeof block);
	}
	sf_wipe(in, n);
	g_free(in);
}

void sf_preauth_hash_update(uint8_t hash[64], const uint8_t *msg, size_t len)
{
	struct sf_sha512 c;
	sf_sha512_init(&c);
	sf_sha512_update(&c, hash, 64);
	sf_sha512_update(&c, msg, len);
	sf_sha512_final(&c, hash);
}

/* Labels and contexts with their terminating NUL (MS-SMB2 3.2.5.3.1). */
#define LBL(s) s, sizeof(s)

int sf_keys_derive(uint16_t dialect, uint16_t cipher, const uint8_t *session_key,
                   size_t session_key_len, const uint8_t preauth[64], struct sf_smb_keys *out)
{
	memset(out, 0, sizeof *out);
	uint8_t sk[32] = {0};
	/* Session.SessionKey is the first 16 bytes of the GSS key, zero padded
	 * (3.2.5.3.1); the AES-256 ciphers key the KDF with the full key. */
	memcpy(sk, session_key, session_key_len < 16 ? session_key_len : 16);
	size_t klen = 16;
	bool aes256 = cipher == SMB2_ENCRYPTION_AES256_CCM || cipher == SMB2_ENCRYPTION_AES256_GCM;
	if (aes256 && dialect == SMB2_DIALECT_0311) {
		klen = session_key_len < 32 ? session_key_len : 32;
		if (klen < 16)
			klen = 16;
		memcpy(sk, session_key, klen);
	}

	switch (dialect) {
	case SMB2_DIALECT_0202:
	case SMB2_DIALECT_0210:
		memcpy(out->signing, sk, 16); /* 3.1.4.1: the session key signs */
		break;
	case SMB2_DIALECT_0300:
	case SMB2_DIALECT_0302:
		out->cipher_key_len = 16;
		sf_kdf(sk, 16, LBL("SMB2AESCMAC"), LBL("SmbSign"), out->signing, 16);
		sf_kdf(sk, 16, LBL("SMB2APP"), LBL("SmbRpc"), out->application, 16);
		sf_kdf(sk, 16, LBL("SMB2AESCCM"), LBL("ServerIn "), out->encryption, 16);
		sf_kdf(sk, 16, LBL("SMB2AESCCM"), LBL("ServerOut"), out->decryption, 16);
		break;
	case SMB2_DIALECT_0311:
		out->cipher_key_len = aes256 ? 32 : 16;
		sf_kdf(sk, 16, LBL("SMBSigningKey"), preauth, 64, out->signing, 16);
		sf_kdf(sk, 16, LBL("SMBAppKey"), preauth, 64, out->application, 16);
		sf_kdf(sk, klen, LBL("SMBC2SCipherKey"), preauth, 64, out->encryption,
		       out->cipher_key_len);
		sf_kdf(sk, klen, LBL("SMBS2CCipherKey"), preauth, 64, out->decryption,
		       out->cipher_key_len);
		break;
	default:
		sf_wipe(sk, sizeof sk);
		return -EINVAL;
	}
	sf_wipe(sk, sizeof sk);
	return 0;
}

void sf_keys_wipe(struct sf_smb_keys *k)
{
	sf_wipe(k, sizeof *k);
}
