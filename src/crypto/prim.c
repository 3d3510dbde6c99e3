/* prim.c - Nettle-backed primitives. */
#include "crypto/prim.h"

#include "proto/smb2.h"

#include <glib.h>
#include <nettle/arcfour.h>
#include <nettle/ccm.h>
#include <nettle/cmac.h>
#include <nettle/gcm.h>
#include <nettle/hmac.h>
#include <nettle/md4.h>
#include <nettle/md5.h>
#include <nettle/memops.h>
#include <nettle/sha2.h>
#include <string.h>
#include <sys/random.h>

G_STATIC_ASSERT(sizeof(struct sf_sha512) >= sizeof(struct sha512_ctx));

void sf_sha512_init(struct sf_sha512 *c)
{
	sha512_init((struct sha512_ctx *)c);
}

void sf_sha512_update(struct sf_sha512 *c, const void *p, size_t n)
{
	sha512_update((struct sha512_ctx *)c, n, p);
}

void sf_sha512_final(struct sf_sha512 *c, uint8_t out[SF_SHA512_LEN])
{
	sha512_digest((struct sha512_ctx *)c, SF_SHA512_LEN, out);
}

void sf_hmac_sha256(const uint8_t *key, size_t key_len, const void *msg, size_t len,
                    uint8_t out[SF_SHA256_LEN])
{
	struct hmac_sha256_ctx c;
	hmac_sha256_set_key(&c, key_len, key);
	hmac_sha256_update(&c, len, msg);
	hmac_sha256_digest(&c, SF_SHA256_LEN, out);
	sf_wipe(&c, sizeof c);
}

void sf_aes128_cmac(const uint8_t key[16], const void *msg, size_t len, uint8_t out[16])
{
	struct cmac_aes128_ctx c;
	cmac_aes128_set_key(&c, key);
	cmac_aes128_update(&c, len, msg);
	cmac_aes128_digest(&c, 16, out);
	sf_wipe(&c, sizeof c);
}

void sf_md4(const void *msg, size_t len, uint8_t out[16])
{
	struct md4_ctx c;
	md4_init(&c);
	md4_update(&c, len, msg);
	md4_digest(&c, 16, out);
	sf_wipe(&c, sizeof c);
}

void sf_md5(const void *msg, size_t len, uint8_t out[16])
{
	struct md5_ctx c;
	md5_init(&c);
	md5_update(&c, len, msg);
	md5_digest(&c, 16, out);
	sf_wipe(&c, sizeof c);
}

void sf_hmac_md5_2(const uint8_t *key, size_t key_len, const void *a, size_t alen, const void *b,
                   size_t blen, uint8_t out[16])
{
	struct hmac_md5_ctx c;
	hmac_md5_set_key(&c, key_len, key);
	hmac_md5_update(&c, alen, a);
	if (blen)
		hmac_md5_update(&c, blen, b);
	hmac_md5_digest(&c, 16, out);
	sf_wipe(&c, sizeof c);
}

void sf_hmac_md5(const uint8_t *key, size_t key_len, const void *msg, size_t len, uint8_t out[16])
{
	sf_hmac_md5_2(key, key_len, msg, len, NULL, 0, out);
}

void sf_rc4(const uint8_t *key, size_t key_len, const void *in, size_t len, void *out)
{
	struct arcfour_ctx c;
	arcfour_set_key(&c, key_len, key);
	arcfour_crypt(&c, len, out, in);
	sf_wipe(&c, sizeof c);
}

size_t sf_aead_key_len(uint16_t cipher)
{
	switch (cipher) {
	case SMB2_ENCRYPTION_AES128_CCM:
	case SMB2_ENCRYPTION_AES128_GCM:
		return 16;
	case SMB2_ENCRYPTION_AES256_CCM:
	case SMB2_ENCRYPTION_AES256_GCM:
		return 32;
	default:
		return 0;
	}
}

size_t sf_aead_nonce_len(uint16_t cipher)
{
	switch (cipher) {
	case SMB2_ENCRYPTION_AES128_CCM:
	case SMB2_ENCRYPTION_AES256_CCM:
		return 11;
	case SMB2_ENCRYPTION_AES128_GCM:
	case SMB2_ENCRYPTION_AES256_GCM:
		return 12;
	default:
		return 0;
	}
}

/* One GCM pass; `enc` selects direction. Computes the tag into `tag`. */
static bool gcm_run(uint16_t cipher, const uint8_t *key, const uint8_t *nonce, const uint8_t *aad,
                    size_t aad_len, const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[16],
                    bool enc)
{
	if (cipher == SMB2_ENCRYPTION_AES128_GCM) {
		struct gcm_aes128_ctx c;
		gcm_aes128_set_key(&c, key);
		gcm_aes128_set_iv(&c, 12, nonce);
		gcm_aes128_update(&c, aad_len, aad);
		if (enc)
			gcm_aes128_encrypt(&c, len, out, in);
		else
			gcm_aes128_decrypt(&c, len, out, in);
		gcm_aes128_digest(&c, 16, tag);
		sf_wipe(&c, sizeof c);
		return true;
	}
	if (cipher == SMB2_ENCRYPTION_AES256_GCM) {
		struct gcm_aes256_ctx c;
		gcm_aes256_set_key(&c, key);
		gcm_aes256_set_iv(&c, 12, nonce);
		gcm_aes256_update(&c, aad_len, aad);
		if (enc)
			gcm_aes256_encrypt(&c, len, out, in);
		else
			gcm_aes256_decrypt(&c, len, out, in);
		gcm_aes256_digest(&c, 16, tag);
		sf_wipe(&c, sizeof c);
		return true;
	}
	return false;
}

bool sf_aead_encrypt(uint16_t cipher, const uint8_t *key, const uint8_t *nonce, const uint8_t *aad,
                     size_t aad_len, const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[16])
{
	switch (cipher) {
	case SMB2_ENCRYPTION_AES128_GCM:
	case SMB2_ENCRYPTION_AES256_GCM:
		return gcm_run(cipher, key, nonce, aad, aad_len, in, len, out, tag, true);
	case SMB2_ENCRYPTION_AES128_CCM: {
		struct ccm_aes128_ctx c;
		ccm_aes128_set_key(&c, key);
		ccm_aes128_set_nonce(&c, 11, nonce, aad_len, len, 16);
		ccm_aes128_update(&c, aad_len, aad);
		ccm_aes128_encrypt(&c, len, out, in);
		ccm_aes128_digest(&c, 16, tag);
		sf_wipe(&c, sizeof c);
		return true;
	}
	case SMB2_ENCRYPTION_AES256_CCM: {
		struct ccm_aes256_ctx c;
		ccm_aes256_set_key(&c, key);
		ccm_aes256_set_nonce(&c, 11, nonce, aad_len, len, 16);
		ccm_aes256_update(&c, aad_len, aad);
		ccm_aes256_encrypt(&c, len, out, in);
		ccm_aes256_digest(&c, 16, tag);
		sf_wipe(&c, sizeof c);
		return true;
	}
	default:
		return false;
	}
}

bool sf_aead_decrypt(uint16_t cipher, const uint8_t *key, const uint8_t *nonce, const uint8_t *aad,
                     size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
                     const uint8_t tag[16])
{
	uint8_t want[16];
	bool ok;
	switch (cipher) {
	case SMB2_ENCRYPTION_AES128_GCM:
	case SMB2_ENCRYPTION_AES256_GCM:
		ok = gcm_run(cipher, key, nonce, aad, aad_len, in, len, out, want, false);
		break;
	case SMB2_ENCRYPTION_AES128_CCM: {
		struct ccm_aes128_ctx c;
		ccm_aes128_set_key(&c, key);
		ccm_aes128_set_nonce(&c, 11, nonce, aad_len, len, 16);
		ccm_aes128_update(&c, aad_len, aad);
		ccm_aes128_decrypt(&c, len, out, in);
		ccm_aes128_digest(&c, 16, want);
		sf_wipe(&c, sizeof c);
		ok = true;
		break;
	}
	case SMB2_ENCRYPTION_AES256_CCM: {
		struct ccm_aes256_ctx c;
		ccm_aes256_set_key(&c, key);
		ccm_aes256_set_nonce(&c, 11, nonce, aad_len, len, 16);
		ccm_aes256_update(&c, aad_len, aad);
		ccm_aes256_decrypt(&c, len, out, in);
		ccm_aes256_digest(&c, 16, want);
		sf_wipe(&c, sizeof c);
		ok = true;
		break;
	}
	default:
		ok = false;
	}
	if (ok && !sf_ct_equal(want, tag, 16))
		ok = false;
	if (!ok)
		sf_wipe(out, len); /* never hand out unauthenticated plaintext */
	return ok;
}

void sf_aes128_gmac(const uint8_t key[16], const uint8_t nonce[12], const void *msg, size_t len,
                    uint8_t out[16])
{
	gcm_run(SMB2_ENCRYPTION_AES128_GCM, key, nonce, msg, len, NULL, 0, NULL, out, true);
}

void sf_random(void *p, size_t n)
{
	uint8_t *b = p;
	while (n) {
		ssize_t r = getrandom(b, n, 0);
		if (r < 0)
			g_error("getrandom failed"); /* no safe fallback for key material */
		b += r;
		n -= (size_t)r;
	}
}

void sf_wipe(void *p, size_t n)
{
	if (p && n)
		explicit_bzero(p, n);
}

bool sf_ct_equal(const void *a, const void *b, size_t n)
{
	return memeql_sec(a, b, n) != 0;
}
