/* test_ntlmssp.c - NTLMv2 against MS-NLMP 4.2.4, SPNEGO against the
 * SMB 3.1.1 trace in spec-map 2.2.1, malformed tokens, credential files. */
#include "auth/asn1.h"
#include "auth/creds.h"
#include "auth/krb5_gss.h"
#include "auth/mech.h"
#include "auth/ntlmssp.h"
#include "auth/spnego.h"
#include "crypto/prim.h"
#include "util/bytes.h"
#include "vectors.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_ntowfv2(void)
{
	uint8_t k[16];
	sf_ntlm_ntowfv2("Password", "User", "Domain", k);
	assert_hex(k, 16, "0c868a403bfd7a93a3001ef22ef02e3f");
}

/* Pull a (Len, MaxLen, Offset) field out of an NTLM message. */
static const uint8_t *msg_field(const GByteArray *m, size_t at, size_t *len)
{
	*len = sf_le16(m->data + at);
	size_t off = sf_le32(m->data + at + 4);
	g_assert_cmpuint(off + *len, <=, m->len);
	return m->data + off;
}

static void test_ntlmv2_published_example(void)
{
	GByteArray *chal =
	        hexbytes("4e544c4d53535000020000000c000c003800000033828ae20123456789abcdef"
	                 "00000000000000002400240044000000060070170000000f5300650072007600"
	                 "6500720002000c0044006f006d00610069006e0001000c005300650072007600"
	                 "6500720000000000");
	struct sf_ntlm_challenge c;
	g_assert_cmpint(sf_ntlm_challenge_decode(chal->data, chal->len, &c), ==, 0);
	g_assert_cmphex(c.flags, ==, 0xE28A8233);
	assert_hex(c.server_challenge, 8, "0123456789abcdef");
	g_assert_cmpuint(c.target_info_len, ==, 0x24);
	g_assert_false(c.has_timestamp);

	struct sf_ntlm *n = sf_ntlm_new("User", "Domain", "Password", "COMPUTER", NULL, false);
	uint64_t t = 0;
	uint8_t cc[8], rsk[16];
	memset(cc, 0xaa, 8);
	memset(rsk, 0x55, 16);
	sf_ntlm_set_test_inputs(n, &t, cc, rsk);
	GByteArray *neg = sf_ntlm_negotiate(n);
	g_assert_cmpuint(neg->len, ==, 40);
	GByteArray *auth = NULL;
	g_assert_cmpint(sf_ntlm_authenticate(n, chal->data, chal->len, &auth), ==, 0);
	size_t len;
	const uint8_t *p = msg_field(auth, 12, &len); /* LmChallengeResponse */
	g_assert_cmpuint(len, ==, 24);
	assert_hex(p, 24, "86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa");
	p = msg_field(auth, 20, &len); /* NtChallengeResponse = NTProofStr || temp */
	g_assert_cmpuint(len, ==, 84);
	assert_hex(p, 84,
	           "68cd0ab851e51c96aabc927bebef6a1c"
	           "01010000000000000000000000000000aaaaaaaaaaaaaaaa00000000"
	           "02000c0044006f006d00610069006e0001000c0053006500720076006500720000000000"
	           "00000000");
	p = msg_field(auth, 28, &len); /* DomainName */
	assert_hex(p, len, "44006f006d00610069006e00");
	p = msg_field(auth, 36, &len); /* UserName */
	assert_hex(p, len, "5500730065007200");
	p = msg_field(auth, 52, &len); /* EncryptedRandomSessionKey */
	g_assert_cmpuint(len, ==, 16);
	assert_hex(p, 16, "c5dad2544fc9799094ce1ce90bc9d03e");
	/* ExportedSessionKey = RandomSessionKey when KEY_EXCH is negotiated. */
	assert_hex(sf_ntlm_session_key(n), 16, "55555555555555555555555555555555");
	g_assert_false(sf_ntlm_used_mic(n));
	/* MIC field (offset 72) stays zero without a timestamp. */
	const uint8_t zero16[16] = {0};
	g_assert_cmpmem(auth->data + 72, 16, zero16, 16);
	g_byte_array_unref(auth);
	g_byte_array_unref(neg);
	sf_ntlm_free(n);
	g_byte_array_unref(chal);
}

static void test_gss_keys_and_checksum(void)
{
	/* MS-NLMP 4.2.4.4 with RandomSessionKey 0x55 * 16. */
	uint8_t rsk[16], sign[16], seal[16];
	memset(rsk, 0x55, 16);
	sf_ntlm_sign_seal_keys(rsk, true, sign, seal);
	assert_hex(seal, 16, "59f600973cc4960a25480a7c196e4c58");
	assert_hex(sign, 16, "4788dc861b4782f35d43fd98fe1a2d39");
	const uint8_t plain[] = {'P', 0,   'l', 0,   'a', 0,   'i', 0,   'n',
	                         0,   't', 0,   'e', 0,   'x', 0,   't', 0};
	uint8_t h[16];
	sf_hmac_md5_2(sign, 16, (const uint8_t[4]){0}, 4, plain, sizeof plain, h);
	assert_hex(h, 8, "70352851f2564309");
	/* GSS_WrapEx: one RC4 stream seals the message, then the checksum. */
	uint8_t buf[18 + 8];
	memcpy(buf, plain, 18);
	memcpy(buf + 18, h, 8);
	sf_rc4(seal, 16, buf, sizeof buf, buf);
	assert_hex(buf, 18, "54e50165bf1936dc996020c1811b0f06fb5f");
	assert_hex(buf + 18, 8, "7fb38ec5c55d4976");
}

static void test_mic_with_timestamp(void)
{
	/* A challenge with MsvAvTimestamp: the client must send a MIC, set
	 * MsvAvFlags, zero the LMv2 response and produce a verifiable
	 * mechListMIC; the server-side MIC check uses the other key. */
	GByteArray *chal = g_byte_array_new();
	/* Header (48) + empty target name + AV pairs: timestamp, EOL. */
	uint8_t m[48 + 20] = {0};
	memcpy(m, "NTLMSSP\0", 8);
	sf_put_le32(m + 8, 2);
	sf_put_le32(m + 16, 48); /* TargetName: empty at 48 */
	sf_put_le32(m + 20, NTLMSSP_NEGOTIATE_UNICODE | NTLMSSP_NEGOTIATE_KEY_EXCH |
	                            NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY |
	                            NTLMSSP_NEGOTIATE_TARGET_INFO | NTLMSSP_NEGOTIATE_SIGN);
	memset(m + 24, 0x11, 8);
	sf_put_le16(m + 40, 16);
	sf_put_le16(m + 42, 16);
	sf_put_le32(m + 44, 48);
	sf_put_le16(m + 48, MSV_AV_TIMESTAMP);
	sf_put_le16(m + 50, 8);
	sf_put_le64(m + 52, 0x01d9000000000000ULL);
	g_byte_array_append(chal, m, 48 + 16);
	struct sf_ntlm *n = sf_ntlm_new("User", "Domain", "Password", NULL, "cifs/server", false);
	GByteArray *neg = sf_ntlm_negotiate(n), *auth = NULL;
	g_assert_cmpint(sf_ntlm_authenticate(n, chal->data, chal->len, &auth), ==, 0);
	g_assert_true(sf_ntlm_used_mic(n));
	const uint8_t zero[24] = {0};
	size_t len;
	const uint8_t *lm = msg_field(auth, 12, &len);
	g_assert_cmpmem(lm, len, zero, 24);
	g_assert_true(memcmp(auth->data + 72, zero, 16) != 0); /* MIC present */
	/* Recompute the MIC independently. */
	uint8_t mic[16];
	memcpy(mic, auth->data + 72, 16);
	memset(auth->data + 72, 0, 16);
	GByteArray *all = g_byte_array_new();
	g_byte_array_append(all, neg->data, neg->len);
	g_byte_array_append(all, chal->data, chal->len);
	g_byte_array_append(all, auth->data, auth->len);
	uint8_t want[16];
	sf_hmac_md5(sf_ntlm_session_key(n), 16, all->data, all->len, want);
	g_assert_cmpmem(mic, 16, want, 16);
	/* GSS MIC: client signs; a server-keyed MIC verifies. */
	uint8_t sig[16];
	sf_ntlm_get_mic(n, (const uint8_t *)"abc", 3, sig);
	g_assert_cmpuint(sf_le32(sig), ==, 1);
	g_assert_false(sf_ntlm_verify_mic(n, (const uint8_t *)"abc", 3, sig, 16));
	uint8_t ss[16], sl[16], h[16], srv[16] = {1, 0, 0, 0};
	sf_ntlm_sign_seal_keys(sf_ntlm_session_key(n), false, ss, sl);
	sf_hmac_md5_2(ss, 16, (const uint8_t[4]){0}, 4, "abc", 3, h);
	sf_rc4(sl, 16, h, 8, srv + 4);
	g_assert_true(sf_ntlm_verify_mic(n, (const uint8_t *)"abc", 3, srv, 16));
	srv[5] ^= 1;
	g_assert_false(sf_ntlm_verify_mic(n, (const uint8_t *)"abc", 3, srv, 16));
	g_byte_array_unref(all);
	g_byte_array_unref(auth);
	g_byte_array_unref(neg);
	g_byte_array_unref(chal);
	sf_ntlm_free(n);
}

static void test_challenge_malformed(void)
{
	GByteArray *good =
	        hexbytes("4e544c4d53535000020000000c000c003800000033828ae20123456789abcdef"
	                 "00000000000000002400240044000000060070170000000f5300650072007600"
	                 "6500720002000c0044006f006d00610069006e0001000c005300650072007600"
	                 "6500720000000000");
	struct sf_ntlm_challenge c;
	GByteArray *b = g_byte_array_new();
	/* Truncations at every length fail cleanly. */
	for (size_t i = 0; i < good->len; i++)
		g_assert_cmpint(sf_ntlm_challenge_decode(good->data, i, &c), ==, -EPROTO);
	/* Target info offset past the end. */
	g_byte_array_append(b, good->data, good->len);
	sf_put_le32(b->data + 44, 0xfffffff0);
	g_assert_cmpint(sf_ntlm_challenge_decode(b->data, b->len, &c), ==, -EPROTO);
	/* Offset inside the fixed header. */
	memcpy(b->data, good->data, good->len);
	sf_put_le32(b->data + 44, 8);
	g_assert_cmpint(sf_ntlm_challenge_decode(b->data, b->len, &c), ==, -EPROTO);
	/* AV chain without EOL: cut the EOL off by shrinking the length. */
	memcpy(b->data, good->data, good->len);
	sf_put_le16(b->data + 40, 0x20);
	g_assert_cmpint(sf_ntlm_challenge_decode(b->data, b->len, &c), ==, -EPROTO);
	/* AV pair length running past the target info. */
	memcpy(b->data, good->data, good->len);
	sf_put_le16(b->data + 0x46, 0x7fff);
	g_assert_cmpint(sf_ntlm_challenge_decode(b->data, b->len, &c), ==, -EPROTO);
	/* Odd target name length. */
	memcpy(b->data, good->data, good->len);
	sf_put_le16(b->data + 12, 11);
	g_assert_cmpint(sf_ntlm_challenge_decode(b->data, b->len, &c), ==, -EPROTO);
	/* Wrong message type. */
	memcpy(b->data, good->data, good->len);
	b->data[8] = 3;
	g_assert_cmpint(sf_ntlm_challenge_decode(b->data, b->len, &c), ==, -EPROTO);
	g_byte_array_unref(b);
	g_byte_array_unref(good);
}

static void test_spnego_published(void)
{
	/* NegTokenInit2 in the NEGOTIATE response (offset 0x80, 0x140 bytes). */
	GByteArray *rsp = vector("preauth_neg_rsp");
	bool ntlm, krb5;
	g_assert_cmpint(sf_spnego_init_decode(rsp->data + 0x80, 0x140, &ntlm, &krb5), ==, 0);
	g_assert_true(ntlm);
	g_assert_false(krb5);
	/* SESSION_SETUP request #1: our NegTokenInit encoder reproduces it. */
	GByteArray *req = vector("preauth_ss_req1");
	size_t off = sf_le16(req->data + 64 + 12), len = sf_le16(req->data + 64 + 14);
	const uint8_t *blob = req->data + off;
	const uint8_t *oids[] = {sf_oid_ntlmssp};
	size_t lens[] = {sizeof sf_oid_ntlmssp};
	GByteArray *ml = sf_spnego_mech_list(oids, lens, 1);
	GByteArray *enc = sf_spnego_init_encode(ml, blob + len - 40, 40);
	g_assert_cmpmem(enc->data, enc->len, blob, len);
	/* SESSION_SETUP response #1: NegTokenResp with the CHALLENGE. */
	GByteArray *ss = vector("preauth_ss_rsp1");
	off = sf_le16(ss->data + 64 + 4), len = sf_le16(ss->data + 64 + 6);
	struct sf_spnego_resp r;
	g_assert_cmpint(sf_spnego_resp_decode(ss->data + off, len, &r), ==, 0);
	g_assert_cmpint(r.neg_state, ==, SF_NEG_ACCEPT_INCOMPLETE);
	g_assert_cmpmem(r.mech, r.mech_len, sf_oid_ntlmssp, sizeof sf_oid_ntlmssp);
	struct sf_ntlm_challenge c;
	g_assert_cmpint(sf_ntlm_challenge_decode(r.token, r.token_len, &c), ==, 0);
	g_assert_true(c.has_timestamp);
	GByteArray *arrs[] = {rsp, req, ml, enc, ss};
	for (size_t i = 0; i < 5; i++)
		g_byte_array_unref(arrs[i]);
}

static void test_spnego_round_trip_and_malformed(void)
{
	const uint8_t tok[] = {1, 2, 3}, mic[16] = {9};
	GByteArray *b = sf_spnego_resp_encode(tok, 3, mic, 16);
	struct sf_spnego_resp r;
	g_assert_cmpint(sf_spnego_resp_decode(b->data, b->len, &r), ==, 0);
	g_assert_cmpmem(r.token, r.token_len, tok, 3);
	g_assert_cmpmem(r.mic, r.mic_len, mic, 16);
	g_assert_cmpint(r.neg_state, ==, SF_NEG_ABSENT);
	for (size_t i = 0; i < b->len; i++) /* every truncation fails */
		g_assert_cmpint(sf_spnego_resp_decode(b->data, i, &r), ==, -EPROTO);
	g_byte_array_unref(b);
	/* Long-form lengths, and refusals: indefinite, non-minimal, huge. */
	struct sf_der d;
	uint8_t tag;
	struct sf_der c;
	uint8_t big[300] = {0x04, 0x82, 0x01, 0x00};
	d = (struct sf_der){big, sizeof big};
	g_assert_true(sf_der_next(&d, &tag, &c));
	g_assert_cmpuint(c.len, ==, 256);
	const uint8_t indef[] = {0x30, 0x80, 0, 0};
	d = (struct sf_der){indef, sizeof indef};
	g_assert_false(sf_der_next(&d, &tag, &c));
	const uint8_t nonmin[] = {0x04, 0x81, 0x05, 1, 2, 3, 4, 5};
	d = (struct sf_der){nonmin, sizeof nonmin};
	g_assert_false(sf_der_next(&d, &tag, &c));
	const uint8_t huge[] = {0x04, 0x84, 0xff, 0xff, 0xff, 0xff, 0};
	d = (struct sf_der){huge, sizeof huge};
	g_assert_false(sf_der_next(&d, &tag, &c));
	const uint8_t hightag[] = {0x1f, 0x81, 0x01, 0x00};
	d = (struct sf_der){hightag, sizeof hightag};
	g_assert_false(sf_der_next(&d, &tag, &c));
	/* Fields out of order or repeated are refused. */
	const uint8_t dup[] = {0xa1, 0x0a, 0x30, 0x08, 0xa0, 0x03,
	                       0x0a, 0x01, 0x00, 0xa0, 0x01, 0x00};
	g_assert_cmpint(sf_spnego_resp_decode(dup, sizeof dup, &r), ==, -EPROTO);
	bool a, k;
	g_assert_cmpint(sf_spnego_init_decode(dup, sizeof dup, &a, &k), ==, -EPROTO);
}

static void test_auth_driver(void)
{
	struct sf_creds *cr = sf_creds_new();
	GError *err = NULL;
	g_assert_null(sf_auth_new(SF_AUTH_NTLM, cr, "srv", &err)); /* no user */
	g_assert_nonnull(err);
	g_clear_error(&err);
	/* Kerberos: a mechanism object without talking to anyone; with no
	 * Heimdal in the build, a clear refusal. */
	sf_auth *k = sf_auth_new(SF_AUTH_KRB5, cr, "srv", &err);
	if (sf_krb5_available()) {
		g_assert_nonnull(k);
		g_assert_true(sf_auth_may_block(k));
		sf_auth_free(k);
	} else {
		g_assert_null(k);
		g_assert_nonnull(strstr(err->message, "without Heimdal"));
	}
	g_clear_error(&err);
	sf_auth *a = sf_auth_new(SF_AUTH_ANON, cr, "srv", &err);
	g_assert_nonnull(a);
	uint8_t *out;
	size_t n;
	g_assert_cmpint(sf_auth_step(a, NULL, 0, &out, &n), ==, 0);
	g_assert_cmpuint(out[0], ==, 0x60);
	g_free(out);
	/* A garbage second token is refused, not crashed on. */
	g_assert_cmpint(sf_auth_step(a, (const uint8_t *)"\xa1\x02\x30\x00", 4, &out, &n), ==,
	                -EPROTO);
	uint8_t key[32];
	g_assert_cmpint(sf_auth_session_key(a, key, &n), ==, -ENOKEY);
	sf_auth_free(a);
	sf_creds_free(cr);
}

static void test_creds_file(void)
{
	char path[] = "/tmp/sf-creds-XXXXXX";
	int fd = mkstemp(path);
	g_assert_cmpint(fd, >=, 0);
	const char *text = "# comment\r\nusername=DOM\\alice\r\npassword= s3cret=x \r\n"
	                   "unknown=1\n";
	g_assert_cmpint(write(fd, text, strlen(text)), ==, (ssize_t)strlen(text));
	close(fd);
	chmod(path, 0600);
	struct sf_creds *c = sf_creds_new();
	GError *err = NULL;
	g_assert_true(sf_creds_read_file(c, path, &err));
	g_assert_cmpstr(c->user, ==, "alice");
	g_assert_cmpstr(c->domain, ==, "DOM");
	g_assert_cmpstr(c->password, ==, " s3cret=x ");
	chmod(path, 0640); /* group-readable: refused */
	g_assert_false(sf_creds_read_file(c, path, &err));
	g_assert_nonnull(strstr(err->message, "chmod 600"));
	g_clear_error(&err);
	chmod(path, 0604);
	g_assert_false(sf_creds_read_file(c, path, &err));
	g_clear_error(&err);
	unlink(path);
	g_assert_false(sf_creds_read_file(c, path, &err));
	g_clear_error(&err);
	sf_creds_set_user(c, "bob@REALM.TEST");
	g_assert_cmpstr(c->user, ==, "bob");
	g_assert_cmpstr(c->domain, ==, "REALM.TEST");
	/* PASSWD is taken and removed from the environment. */
	setenv("PASSWD", "envpw", 1);
	g_assert_true(sf_creds_from_env(c, &err));
	g_assert_cmpstr(c->password, ==, "envpw");
	g_assert_null(getenv("PASSWD"));
	int p[2];
	g_assert_cmpint(pipe(p), ==, 0);
	g_assert_cmpint(write(p[1], "fdpw\nrest", 9), ==, 9);
	close(p[1]);
	char fds[16];
	snprintf(fds, sizeof fds, "%d", p[0]);
	setenv("PASSWD_FD", fds, 1);
	g_assert_true(sf_creds_from_env(c, &err));
	g_assert_cmpstr(c->password, ==, "fdpw");
	g_assert_null(getenv("PASSWD_FD"));
	close(p[0]);
	sf_creds_free(c);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ntlm/ntowfv2", test_ntowfv2);
	g_test_add_func("/ntlm/ntlmv2_published_example", test_ntlmv2_published_example);
	g_test_add_func("/ntlm/gss_keys_and_checksum", test_gss_keys_and_checksum);
	g_test_add_func("/ntlm/mic_with_timestamp", test_mic_with_timestamp);
	g_test_add_func("/ntlm/challenge_malformed", test_challenge_malformed);
	g_test_add_func("/spnego/published", test_spnego_published);
	g_test_add_func("/spnego/round_trip_and_malformed", test_spnego_round_trip_and_malformed);
	g_test_add_func("/auth/driver", test_auth_driver);
	g_test_add_func("/auth/creds_file", test_creds_file);
	return g_test_run();
}
