/* test_kdf.c - SMB 3.x key derivation, the pre-auth hash chain and the
 * published SMB 3.0 (AES-128-CCM) and 3.1.1 (AES-128-GCM) encryption
 * examples (spec-map 2.2). */
#include "crypto/kdf.h"
#include "crypto/prim.h"
#include "crypto/seal.h"
#include "proto/smb2.h"
#include "vectors.h"

static void test_preauth_chain(void)
{
	static const char *const steps[] = {"preauth_neg_req", "preauth_neg_rsp", "preauth_ss_req1",
	                                    "preauth_ss_rsp1", "preauth_ss_req2"};
	uint8_t h[64] = {0};
	for (size_t i = 0; i < 5; i++) {
		GByteArray *m = vector(steps[i]);
		sf_preauth_hash_update(h, m->data, m->len);
		gchar *hn = g_strconcat(steps[i], "_hash", NULL);
		GByteArray *want = vector(hn);
		g_assert_cmpmem(h, 64, want->data, want->len);
		g_free(hn);
		g_byte_array_unref(m);
		g_byte_array_unref(want);
	}
	/* The final hash is the KDF context of the signing key. */
	GByteArray *sk = hexbytes("270E1BA896585EEB7AF3472D3B4C75A7");
	struct sf_smb_keys k;
	g_assert_cmpint(
	        sf_keys_derive(SMB2_DIALECT_0311, SMB2_ENCRYPTION_AES128_GCM, sk->data, 16, h, &k),
	        ==, 0);
	assert_hex(k.signing, 16, "73FE7A9A77BEF0BDE49C650D8CCB5F76");
	sf_keys_wipe(&k);
	g_byte_array_unref(sk);
}

static void test_keys_30(void)
{
	GByteArray *sk = hexbytes("B4546771B515F766A86735532DD6C4F0");
	struct sf_smb_keys k;
	g_assert_cmpint(sf_keys_derive(SMB2_DIALECT_0300, 0, sk->data, 16, NULL, &k), ==, 0);
	assert_hex(k.encryption, 16, "261B72350558F2E9DCF613070383EDBF");
	assert_hex(k.decryption, 16, "8FE2B57EC34D2DB5B1A9727F526BBDB5");
	assert_hex(k.signing, 16, "F773CD23C18FD1E08EE510CADA7CF852");
	assert_hex(k.application, 16, "77432F808CE99156B5BC6A3676D730D1");
	g_assert_cmpuint(k.cipher_key_len, ==, 16);
	/* 2.x: the session key itself signs, nothing encrypts. */
	g_assert_cmpint(sf_keys_derive(SMB2_DIALECT_0210, 0, sk->data, 16, NULL, &k), ==, 0);
	g_assert_cmpmem(k.signing, 16, sk->data, 16);
	g_assert_cmpuint(k.cipher_key_len, ==, 0);
	g_assert_cmpint(sf_keys_derive(0x0100, 0, sk->data, 16, NULL, &k), <, 0);
	g_byte_array_unref(sk);
}

static void test_keys_311(void)
{
	GByteArray *sk = hexbytes("419FDDF34C1E001909D362AE7FB6AF79");
	GByteArray *pre = vector("enc311_preauth");
	struct sf_smb_keys k;
	g_assert_cmpint(sf_keys_derive(SMB2_DIALECT_0311, SMB2_ENCRYPTION_AES128_GCM, sk->data, 16,
	                               pre->data, &k),
	                ==, 0);
	assert_hex(k.encryption, 16, "A2F5E80E5D59103034F32E52F698E5EC");
	assert_hex(k.decryption, 16, "748C50868C90F302962A5C35F5F9A8BF");
	assert_hex(k.signing, 16, "8765949DFEAEE105CE9118B45BE988F0");
	assert_hex(k.application, 16, "099D610789FBE82055B313601C3E8CC4");
	/* AES-256 derives 32-byte cipher keys. */
	g_assert_cmpint(sf_keys_derive(SMB2_DIALECT_0311, SMB2_ENCRYPTION_AES256_GCM, sk->data, 16,
	                               pre->data, &k),
	                ==, 0);
	g_assert_cmpuint(k.cipher_key_len, ==, 32);
	g_byte_array_unref(sk);
	g_byte_array_unref(pre);
}

/* Encrypt the published request with its published nonce and compare byte
 * for byte; decrypt the published response. */
static void check_seal(uint16_t cipher, const char *key_enc, const char *key_dec, uint64_t sid,
                       const char *pfx)
{
	gchar *n;
	GByteArray *req = vector(n = g_strconcat(pfx, "_req_plain", NULL));
	g_free(n);
	GByteArray *req_enc = vector(n = g_strconcat(pfx, "_req_enc", NULL));
	g_free(n);
	GByteArray *rsp_enc = vector(n = g_strconcat(pfx, "_rsp_enc", NULL));
	g_free(n);
	GByteArray *rsp = vector(n = g_strconcat(pfx, "_rsp_plain", NULL));
	g_free(n);
	GByteArray *ke = hexbytes(key_enc), *kd = hexbytes(key_dec);

	uint8_t *out = g_malloc(SF_TRANSFORM_HDR_LEN + req->len);
	g_assert_cmpint(sf_seal_encrypt(cipher, ke->data, sid, req_enc->data + 20, req->data,
	                                req->len, out),
	                ==, 0);
	g_assert_cmpmem(out, SF_TRANSFORM_HDR_LEN + req->len, req_enc->data, req_enc->len);
	g_free(out);

	uint8_t *plain = NULL;
	size_t plain_len = 0;
	g_assert_cmpint(
	        sf_seal_decrypt(cipher, kd->data, rsp_enc->data, rsp_enc->len, &plain, &plain_len),
	        ==, 0);
	g_assert_cmpmem(plain, plain_len, rsp->data, rsp->len);
	g_free(plain);

	/* Tamper: ciphertext, tag, AAD, and a short length all fail. */
	size_t spots[] = {SF_TRANSFORM_HDR_LEN + 3, 5, 45};
	for (size_t i = 0; i < 3; i++) {
		rsp_enc->data[spots[i]] ^= 0x80;
		g_assert_cmpint(sf_seal_decrypt(cipher, kd->data, rsp_enc->data, rsp_enc->len,
		                                &plain, &plain_len),
		                ==, -EBADMSG);
		rsp_enc->data[spots[i]] ^= 0x80;
	}
	g_assert_cmpint(sf_seal_decrypt(cipher, kd->data, rsp_enc->data, rsp_enc->len - 1, &plain,
	                                &plain_len),
	                ==, -EPROTO);
	g_assert_cmpint(sf_seal_decrypt(cipher, kd->data, rsp_enc->data, 40, &plain, &plain_len),
	                ==, -EPROTO);
	GByteArray *arrs[] = {req, req_enc, rsp_enc, rsp, ke, kd};
	for (size_t i = 0; i < 6; i++)
		g_byte_array_unref(arrs[i]);
}

static void test_seal_30_ccm(void)
{
	check_seal(SMB2_ENCRYPTION_AES128_CCM, "261B72350558F2E9DCF613070383EDBF",
	           "8FE2B57EC34D2DB5B1A9727F526BBDB5", 0x0008E40014000011ULL, "enc30");
}

static void test_seal_311_gcm(void)
{
	check_seal(SMB2_ENCRYPTION_AES128_GCM, "A2F5E80E5D59103034F32E52F698E5EC",
	           "748C50868C90F302962A5C35F5F9A8BF", 0x0000100000000025ULL, "enc311");
}

static void test_seal_random_nonce_round_trip(void)
{
	const uint16_t ciphers[] = {SMB2_ENCRYPTION_AES128_CCM, SMB2_ENCRYPTION_AES128_GCM,
	                            SMB2_ENCRYPTION_AES256_CCM, SMB2_ENCRYPTION_AES256_GCM};
	uint8_t key[32], msg[200], out[2][SF_TRANSFORM_HDR_LEN + 200];
	sf_random(key, sizeof key);
	sf_random(msg, sizeof msg);
	for (size_t c = 0; c < 4; c++) {
		for (int i = 0; i < 2; i++)
			g_assert_cmpint(
			        sf_seal_encrypt(ciphers[c], key, 42, NULL, msg, 200, out[i]), ==,
			        0);
		/* Two messages never share a nonce. */
		g_assert_true(memcmp(out[0] + 20, out[1] + 20, 16) != 0);
		uint8_t *plain;
		size_t plen;
		g_assert_cmpint(
		        sf_seal_decrypt(ciphers[c], key, out[1], sizeof out[1], &plain, &plen), ==,
		        0);
		g_assert_cmpmem(plain, plen, msg, 200);
		g_free(plain);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/kdf/preauth_chain_311", test_preauth_chain);
	g_test_add_func("/kdf/keys_30", test_keys_30);
	g_test_add_func("/kdf/keys_311", test_keys_311);
	g_test_add_func("/seal/smb30_ccm_published", test_seal_30_ccm);
	g_test_add_func("/seal/smb311_gcm_published", test_seal_311_gcm);
	g_test_add_func("/seal/random_nonce_round_trip", test_seal_random_nonce_round_trip);
	return g_test_run();
}
