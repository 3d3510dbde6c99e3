/* test_hdr.c - the SMB2 header codec, dialect names and credit charge. */
#include "proto/smb2.h"

#include <glib.h>
#include <string.h>

/* The NEGOTIATE request header of the SMB 3.1.1 pre-auth example
 * (spec-map 2.2.1, message 1), first 64 bytes. */
static const uint8_t negotiate_req_hdr[64] = {
        0xFE, 0x53, 0x4D, 0x42, 0x40, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFE, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

static void test_decode_known(void)
{
	struct smb2_hdr h;
	g_assert_cmpint(smb2_hdr_decode(negotiate_req_hdr, 64, &h), ==, 0);
	g_assert_cmpuint(h.credit_charge, ==, 1);
	g_assert_cmpuint(h.command, ==, SMB2_NEGOTIATE);
	g_assert_cmpuint(h.credits, ==, 0x80);
	g_assert_cmpuint(h.flags, ==, 0);
	g_assert_cmpuint(h.message_id, ==, 1);
	g_assert_cmpuint(h.tree_id, ==, 0);
	g_assert_cmpuint(h.session_id, ==, 0);
	g_assert_false(smb2_hdr_is_response(&h));
}

static void test_round_trip_sync_and_async(void)
{
	struct smb2_hdr h = {
	        .credit_charge = 3,
	        .status = 0xC0000022,
	        .command = SMB2_READ,
	        .credits = 17,
	        .flags = SMB2_FLAGS_SERVER_TO_REDIR | SMB2_FLAGS_SIGNED,
	        .next_command = 0x58,
	        .message_id = 0x1122334455667788ULL,
	        .tree_id = 0xdeadbeef,
	        .session_id = 0x0102030405060708ULL,
	};
	memset(h.signature, 0xab, 16);
	uint8_t buf[64];
	smb2_hdr_encode(&h, buf);
	struct smb2_hdr d;
	g_assert_cmpint(smb2_hdr_decode(buf, 64, &d), ==, 0);
	g_assert_cmpmem(&d.signature, 16, &h.signature, 16);
	g_assert_cmpuint(d.tree_id, ==, h.tree_id);
	g_assert_cmpuint(d.async_id, ==, 0);
	g_assert_cmpuint(d.message_id, ==, h.message_id);
	g_assert_cmpuint(d.next_command, ==, 0x58);
	g_assert_cmpuint(d.status, ==, 0xC0000022);

	h.flags |= SMB2_FLAGS_ASYNC_COMMAND;
	h.async_id = 0x99;
	smb2_hdr_encode(&h, buf);
	g_assert_cmpint(smb2_hdr_decode(buf, 64, &d), ==, 0);
	g_assert_cmpuint(d.async_id, ==, 0x99);
	g_assert_cmpuint(d.tree_id, ==, 0);
}

static void test_reject_bad(void)
{
	struct smb2_hdr h;
	uint8_t buf[64];
	memcpy(buf, negotiate_req_hdr, 64);
	g_assert_cmpint(smb2_hdr_decode(buf, 63, &h), <, 0); /* truncated */
	g_assert_cmpint(smb2_hdr_decode(NULL, 0, &h), <, 0);
	buf[0] = 0xFF; /* SMB1 */
	g_assert_cmpint(smb2_hdr_decode(buf, 64, &h), <, 0);
	memcpy(buf, negotiate_req_hdr, 64);
	buf[4] = 65; /* StructureSize */
	g_assert_cmpint(smb2_hdr_decode(buf, 64, &h), <, 0);
}

static void test_names(void)
{
	g_assert_cmpstr(smb2_command_name(SMB2_QUERY_DIRECTORY), ==, "QUERY_DIRECTORY");
	g_assert_cmpstr(smb2_command_name(0x99), ==, "UNKNOWN");
	g_assert_cmpstr(smb2_dialect_name(0x0311), ==, "3.1.1");
	g_assert_cmpuint(smb2_dialect_parse("3.1.1"), ==, 0x0311);
	g_assert_cmpuint(smb2_dialect_parse("3.11"), ==, 0x0311);
	g_assert_cmpuint(smb2_dialect_parse("2.0"), ==, 0x0202);
	g_assert_cmpuint(smb2_dialect_parse("smb2_10"), ==, 0x0210);
	g_assert_cmpuint(smb2_dialect_parse("3.02"), ==, 0x0302);
	g_assert_cmpuint(smb2_dialect_parse("1.0"), ==, 0);
	g_assert_cmpuint(smb2_dialect_parse(NULL), ==, 0);
	g_assert_cmpstr(smb2_cipher_name(SMB2_ENCRYPTION_AES256_GCM), ==, "AES-256-GCM");
	g_assert_cmpstr(smb2_signing_alg_name(SMB2_SIGNING_AES_GMAC), ==, "AES-128-GMAC");
}

static void test_credit_charge(void)
{
	g_assert_cmpuint(smb2_credit_charge(0, 0), ==, 1);
	g_assert_cmpuint(smb2_credit_charge(1, 0), ==, 1);
	g_assert_cmpuint(smb2_credit_charge(65536, 0), ==, 1);
	g_assert_cmpuint(smb2_credit_charge(65537, 0), ==, 2);
	g_assert_cmpuint(smb2_credit_charge(100, 8u << 20), ==, 128);
	g_assert_cmpuint(smb2_credit_charge(SIZE_MAX, 0), ==, 0xFFFF);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/hdr/decode_known", test_decode_known);
	g_test_add_func("/hdr/round_trip", test_round_trip_sync_and_async);
	g_test_add_func("/hdr/reject_bad", test_reject_bad);
	g_test_add_func("/hdr/names", test_names);
	g_test_add_func("/hdr/credit_charge", test_credit_charge);
	return g_test_run();
}
