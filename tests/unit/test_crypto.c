/* test_crypto.c - known answers for every primitive (RFC 4231, RFC 4493,
 * RFC 1320, RFC 1321, RFC 2202, RFC 6229, McGrew-Viega GCM test cases)
 * and SMB signing round trips. */
#include "crypto/prim.h"
#include "crypto/sign.h"
#include "proto/smb2.h"
#include "util/bytes.h"
#include "vectors.h"

static void test_hmac_sha256_rfc4231(void)
{
	uint8_t out[32];
	uint8_t key1[20];
	memset(key1, 0x0b, sizeof key1);
	sf_hmac_sha256(key1, 20, "Hi There", 8, out); /* 4.2 Test Case 1 */
	assert_hex(out, 32, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	sf_hmac_sha256((const uint8_t *)"Jefe", 4, "what do ya want for nothing?", 28,
	               out); /* 4.3 Test Case 2 */
	assert_hex(out, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	uint8_t key3[20], data3[50];
	memset(key3, 0xaa, 20);
	memset(data3, 0xdd, 50);
	sf_hmac_sha256(key3, 20, data3, 50, out); /* 4.4 Test Case 3 */
	assert_hex(out, 32, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
	uint8_t key6[131];
	memset(key6, 0xaa, sizeof key6);
	const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";
	sf_hmac_sha256(key6, 131, m6, strlen(m6), out); /* 4.7 Test Case 6 */
	assert_hex(out, 32, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

static void test_cmac_rfc4493(void)
{
	GByteArray *key = hexbytes("2b7e151628aed2a6abf7158809cf4f3c");
	GByteArray *msg = hexbytes("6bc1bee22e409f96e93d7e117393172a"
	                           "ae2d8a571e03ac9c9eb76fac45af8e51"
	                           "30c81c46a35ce411e5fbc1191a0a52ef"
	                           "f69f2445df4f9b17ad2b417be66c3710");
	uint8_t out[16];
	sf_aes128_cmac(key->data, msg->data, 0, out);
	assert_hex(out, 16, "bb1d6929e95937287fa37d129b756746");
	sf_aes128_cmac(key->data, msg->data, 16, out);
	assert_hex(out, 16, "070a16b46b4d4144f79bdd9dd04a287c");
	sf_aes128_cmac(key->data, msg->data, 40, out);
	assert_hex(out, 16, "dfa66747de9ae63030ca32611497c827");
	sf_aes128_cmac(key->data, msg->data, 64, out);
	assert_hex(out, 16, "51f0bebf7e3b9d92fc49741779363cfe");
	g_byte_array_unref(key);
	g_byte_array_unref(msg);
}

static void test_md4_md5_hmac_md5_rc4(void)
{
	uint8_t out[16];
	sf_md4("", 0, out); /* RFC 1320 A.5 */
	assert_hex(out, 16, "31d6cfe0d16ae931b73c59d7e0c089c0");
	sf_md4("abc", 3, out);
	assert_hex(out, 16, "a448017aaf21d8525fc10ae87aa6729d");
	sf_md4("message digest", 14, out);
	assert_hex(out, 16, "d9130a8164549fe818874806e1c7014b");
	/* MS-NLMP 4.2.2.1.2: NTOWFv1("Password") = MD4(UNICODE("Password")). */
	const uint8_t pw[] = {'P', 0, 'a', 0, 's', 0, 's', 0, 'w', 0, 'o', 0, 'r', 0, 'd', 0};
	sf_md4(pw, sizeof pw, out);
	assert_hex(out, 16, "a4f49c406510bdcab6824ee7c30fd852");
	sf_md5("abc", 3, out); /* RFC 1321 A.5 */
	assert_hex(out, 16, "900150983cd24fb0d6963f7d28e17f72");
	uint8_t k1[16];
	memset(k1, 0x0b, 16);
	sf_hmac_md5(k1, 16, "Hi There", 8, out); /* RFC 2202 test case 1 */
	assert_hex(out, 16, "9294727a3638bb1c13f48ef8158bfc9d");
	sf_hmac_md5((const uint8_t *)"Jefe", 4, "what do ya want for nothing?", 28, out);
	assert_hex(out, 16, "750c783e6ab0b503eaa86e310a5db738");
	sf_hmac_md5_2((const uint8_t *)"Jefe", 4, "what do ya ", 11, "want for nothing?", 17, out);
	assert_hex(out, 16, "750c783e6ab0b503eaa86e310a5db738");
	/* RFC 6229: key 0x0102030405, keystream bytes 0..15. */
	const uint8_t k[] = {1, 2, 3, 4, 5};
	uint8_t zero[16] = {0};
	sf_rc4(k, 5, zero, 16, out);
	assert_hex(out, 16, "b2396305f03dc027ccc3524a0a1118a8");
}

static void test_gcm_vectors(void)
{
	/* McGrew & Viega, GCM test case 4 (AES-128, with AAD). */
	GByteArray *key = hexbytes("feffe9928665731c6d6a8f9467308308");
	GByteArray *iv = hexbytes("cafebabefacedbaddecaf888");
	GByteArray *pt = hexbytes("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
	                          "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
	GByteArray *aad = hexbytes("feedfacedeadbeeffeedfacedeadbeefabaddad2");
	uint8_t ct[60], tag[16], back[60];
	g_assert_true(sf_aead_encrypt(SMB2_ENCRYPTION_AES128_GCM, key->data, iv->data, aad->data,
	                              aad->len, pt->data, pt->len, ct, tag));
	assert_hex(ct, 60,
	           "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
	           "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091");
	assert_hex(tag, 16, "5bc94fbc3221a5db94fae95ae7121a47");
	g_assert_true(sf_aead_decrypt(SMB2_ENCRYPTION_AES128_GCM, key->data, iv->data, aad->data,
	                              aad->len, ct, 60, back, tag));
	g_assert_cmpmem(back, 60, pt->data, pt->len);
	tag[0] ^= 1;
	g_assert_false(sf_aead_decrypt(SMB2_ENCRYPTION_AES128_GCM, key->data, iv->data, aad->data,
	                               aad->len, ct, 60, back, tag));
	/* Test case 16 (AES-256, with AAD). */
	GByteArray *key256 =
	        hexbytes("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
	g_assert_true(sf_aead_encrypt(SMB2_ENCRYPTION_AES256_GCM, key256->data, iv->data, aad->data,
	                              aad->len, pt->data, pt->len, ct, tag));
	assert_hex(ct, 60,
	           "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	           "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662");
	assert_hex(tag, 16, "76fc6ece0f4e1768cddf8853bb2d551b");
	/* Test case 2: GMAC-style empty AAD, 16 zero bytes, zero key. */
	uint8_t zkey[16] = {0}, ziv[12] = {0}, zpt[16] = {0};
	g_assert_true(
	        sf_aead_encrypt(SMB2_ENCRYPTION_AES128_GCM, zkey, ziv, NULL, 0, zpt, 16, ct, tag));
	assert_hex(ct, 16, "0388dace60b6a392f328c2b971b2fe78");
	assert_hex(tag, 16, "ab6e47d42cec13bdf53a67b21257bddf");
	/* Test case 1: empty everything = the GMAC of nothing. */
	sf_aes128_gmac(zkey, ziv, NULL, 0, tag);
	assert_hex(tag, 16, "58e2fccefa7e3061367f1d57a4e7455a");
	g_byte_array_unref(key);
	g_byte_array_unref(key256);
	g_byte_array_unref(iv);
	g_byte_array_unref(pt);
	g_byte_array_unref(aad);
}

/* CCM with SMB's 11-byte nonce: the published SMB 3.0 example in
 * test_kdf.c is the known answer (RFC 3610's vectors use 13-byte nonces);
 * here, round trips for both key sizes and tamper detection. */
static void test_ccm_round_trip(void)
{
	const uint16_t ciphers[] = {SMB2_ENCRYPTION_AES128_CCM, SMB2_ENCRYPTION_AES256_CCM};
	uint8_t key[32], nonce[11], aad[32], pt[100], ct[100], tag[16], back[100];
	sf_random(key, sizeof key);
	sf_random(nonce, sizeof nonce);
	sf_random(aad, sizeof aad);
	sf_random(pt, sizeof pt);
	for (size_t c = 0; c < 2; c++) {
		g_assert_true(sf_aead_encrypt(ciphers[c], key, nonce, aad, 32, pt, 100, ct, tag));
		g_assert_true(memcmp(ct, pt, 100) != 0);
		g_assert_true(sf_aead_decrypt(ciphers[c], key, nonce, aad, 32, ct, 100, back, tag));
		g_assert_cmpmem(back, 100, pt, 100);
		aad[0] ^= 1;
		g_assert_false(
		        sf_aead_decrypt(ciphers[c], key, nonce, aad, 32, ct, 100, back, tag));
		aad[0] ^= 1;
		ct[99] ^= 1;
		g_assert_false(
		        sf_aead_decrypt(ciphers[c], key, nonce, aad, 32, ct, 100, back, tag));
		ct[99] ^= 1;
	}
	g_assert_false(sf_aead_encrypt(0x77, key, nonce, aad, 32, pt, 100, ct, tag));
}

static void test_sign_round_trip(void)
{
	const uint16_t algs[] = {SMB2_SIGNING_HMAC_SHA256, SMB2_SIGNING_AES_CMAC,
	                         SMB2_SIGNING_AES_GMAC};
	uint8_t key[16];
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (size_t a = 0; a < 3; a++) {
		struct smb2_hdr h = {.command = SMB2_WRITE, .message_id = 7, .credits = 1};
		uint8_t msg[100] = {0};
		smb2_hdr_encode(&h, msg);
		memset(msg + 64, 0x5a, 36);
		uint8_t copy[100];
		memcpy(copy, msg, 100);
		uint8_t sig[16];
		g_assert_cmpint(sf_sign_compute(algs[a], key, msg, 100, sig), ==, 0);
		g_assert_cmpmem(msg, 100, copy, 100); /* input untouched */
		g_assert_cmpint(sf_sign_apply(algs[a], key, msg, 100), ==, 0);
		g_assert_true(sf_le32(msg + 16) & SMB2_FLAGS_SIGNED);
		g_assert_true(sf_sign_verify(algs[a], key, msg, 100));
		msg[80] ^= 0x01; /* one flipped bit in the body */
		g_assert_false(sf_sign_verify(algs[a], key, msg, 100));
		msg[80] ^= 0x01;
		msg[24] ^= 0x01; /* MessageId: also feeds the GMAC nonce */
		g_assert_false(sf_sign_verify(algs[a], key, msg, 100));
	}
	uint8_t short_msg[10] = {0}, sig[16];
	g_assert_cmpint(sf_sign_compute(SMB2_SIGNING_AES_CMAC, key, short_msg, 10, sig), <, 0);
	g_assert_cmpint(sf_sign_compute(9, key, short_msg, 10, sig), <, 0);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/crypto/hmac_sha256_rfc4231", test_hmac_sha256_rfc4231);
	g_test_add_func("/crypto/cmac_rfc4493", test_cmac_rfc4493);
	g_test_add_func("/crypto/md4_md5_hmac_md5_rc4", test_md4_md5_hmac_md5_rc4);
	g_test_add_func("/crypto/gcm", test_gcm_vectors);
	g_test_add_func("/crypto/ccm", test_ccm_round_trip);
	g_test_add_func("/crypto/sign_round_trip", test_sign_round_trip);
	return g_test_run();
}
