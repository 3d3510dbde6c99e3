/* test_lease.c - the "RqLs" create context, lease break notification and
 * acknowledgment, oplock break notification and acknowledgment. Known
 * bytes are laid out by hand from the field tables of MS-SMB2 2.2.13.2.8,
 * 2.2.13.2.10, 2.2.14.2.10, 2.2.14.2.11, 2.2.23.1, 2.2.23.2, 2.2.24.1 and
 * 2.2.24.2. */
#include "proto/lease.h"
#include "util/bytes.h"
#include "vectors.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

static void test_lease_ctx_v1(void)
{
	/* LeaseKey 00..0f, LeaseState RH, LeaseFlags 0, LeaseDuration 0. */
	GByteArray *want = hexbytes("000102030405060708090a0b0c0d0e0f"
	                            "03000000"
	                            "00000000"
	                            "0000000000000000");
	g_assert_cmpuint(want->len, ==, SMB2_LEASE_CTX_V1_LEN);
	struct smb2_lease l = {.state = SMB2_LEASE_READ_CACHING | SMB2_LEASE_HANDLE_CACHING};
	for (int i = 0; i < 16; i++)
		l.key[i] = (uint8_t)i;
	uint8_t out[SMB2_LEASE_CTX_V2_LEN];
	memset(out, 0xAA, sizeof out);
	g_assert_cmpuint(smb2_lease_ctx_encode(&l, out), ==, 32);
	g_assert_cmpmem(out, 32, want->data, want->len);
	g_assert_cmpuint(out[32], ==, 0xAA); /* nothing written past v1 */

	/* The response form: BREAK_IN_PROGRESS set, a LeaseDuration the
	 * client ignores. */
	sf_put_le32(want->data + 20, SMB2_LEASE_FLAG_BREAK_IN_PROGRESS);
	sf_put_le64(want->data + 24, 0x1234);
	struct smb2_lease d;
	g_assert_cmpint(smb2_lease_ctx_decode(want->data, want->len, &d), ==, 0);
	g_assert_false(d.v2);
	g_assert_cmpmem(d.key, 16, l.key, 16);
	g_assert_cmphex(d.state, ==, 3);
	g_assert_cmphex(d.flags, ==, SMB2_LEASE_FLAG_BREAK_IN_PROGRESS);
	g_assert_cmpuint(d.epoch, ==, 0);
	g_byte_array_unref(want);
}

static void test_lease_ctx_v2(void)
{
	/* LeaseKey, LeaseState RWH, Flags PARENT_LEASE_KEY_SET, LeaseDuration,
	 * ParentLeaseKey f0..ff, Epoch 0x0102, Reserved. */
	GByteArray *want = hexbytes("000102030405060708090a0b0c0d0e0f"
	                            "07000000"
	                            "04000000"
	                            "0000000000000000"
	                            "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"
	                            "0201"
	                            "0000");
	g_assert_cmpuint(want->len, ==, SMB2_LEASE_CTX_V2_LEN);
	struct smb2_lease l = {.state = 7,
	                       .flags = SMB2_LEASE_FLAG_PARENT_LEASE_KEY_SET,
	                       .epoch = 0x0102,
	                       .v2 = true};
	for (int i = 0; i < 16; i++) {
		l.key[i] = (uint8_t)i;
		l.parent_key[i] = (uint8_t)(0xF0 + i);
	}
	uint8_t out[SMB2_LEASE_CTX_V2_LEN];
	g_assert_cmpuint(smb2_lease_ctx_encode(&l, out), ==, 52);
	g_assert_cmpmem(out, 52, want->data, want->len);

	struct smb2_lease d;
	g_assert_cmpint(smb2_lease_ctx_decode(out, 52, &d), ==, 0);
	g_assert_true(d.v2);
	g_assert_cmpmem(d.key, 16, l.key, 16);
	g_assert_cmphex(d.state, ==, 7);
	g_assert_cmphex(d.flags, ==, SMB2_LEASE_FLAG_PARENT_LEASE_KEY_SET);
	g_assert_cmpmem(d.parent_key, 16, l.parent_key, 16);
	g_assert_cmphex(d.epoch, ==, 0x0102);

	/* Only the two defined lengths: every other length, including a v2
	 * cut short and a v1 with trailing bytes, is malformed. */
	for (size_t n = 0; n <= 60; n++) {
		if (n == 32 || n == 52)
			continue;
		uint8_t big[64] = {0};
		memcpy(big, out, 52);
		g_assert_cmpint(smb2_lease_ctx_decode(big, n, &d), ==, -EPROTO);
	}
	g_byte_array_unref(want);
}

static void test_lease_break(void)
{
	/* StructureSize 44, NewEpoch 5, Flags ACK_REQUIRED, LeaseKey,
	 * CurrentLeaseState RWH, NewLeaseState RH, BreakReason,
	 * AccessMaskHint, ShareMaskHint. */
	GByteArray *b = hexbytes("2c00"
	                         "0500"
	                         "01000000"
	                         "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
	                         "07000000"
	                         "03000000"
	                         "00000000"
	                         "11000000"
	                         "22000000");
	g_assert_cmpuint(b->len, ==, 44);
	struct smb2_lease_break lb;
	g_assert_cmpint(smb2_lease_break_decode(b->data, b->len, &lb), ==, 0);
	g_assert_cmpuint(lb.new_epoch, ==, 5);
	g_assert_cmphex(lb.flags, ==, SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED);
	g_assert_cmpuint(lb.key[0], ==, 0xA0);
	g_assert_cmpuint(lb.key[15], ==, 0xAF);
	g_assert_cmphex(lb.current_state, ==, 7);
	g_assert_cmphex(lb.new_state, ==, 3);
	g_assert_cmphex(lb.reason, ==, 0);
	g_assert_cmphex(lb.access_mask_hint, ==, 0x11);
	g_assert_cmphex(lb.share_mask_hint, ==, 0x22);
	uint8_t key[16];
	memcpy(key, lb.key, 16);
	/* Every truncation. */
	for (size_t n = 0; n < 44; n++)
		g_assert_cmpint(smb2_lease_break_decode(b->data, n, &lb), ==, -EPROTO);
	/* An oplock break (24) or a lease break response (36) is not a
	 * lease break notification. */
	sf_put_le16(b->data, 24);
	g_assert_cmpint(smb2_lease_break_decode(b->data, b->len, &lb), ==, -EPROTO);
	sf_put_le16(b->data, 36);
	g_assert_cmpint(smb2_lease_break_decode(b->data, b->len, &lb), ==, -EPROTO);
	g_byte_array_unref(b);

	/* The acknowledgment: StructureSize 36, Reserved, Flags, LeaseKey,
	 * LeaseState, LeaseDuration. */
	GByteArray *want = hexbytes("2400"
	                            "0000"
	                            "00000000"
	                            "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
	                            "03000000"
	                            "0000000000000000");
	size_t len;
	uint8_t *ack = smb2_lease_break_ack_encode(key, 3, &len);
	g_assert_cmpmem(ack, len, want->data, want->len);
	g_free(ack);
	g_byte_array_unref(want);
}

static void test_oplock_break(void)
{
	/* StructureSize 24, OplockLevel II, Reserved, Reserved2, FileId. */
	GByteArray *b = hexbytes("1800"
	                         "01"
	                         "00"
	                         "00000000"
	                         "8877665544332211"
	                         "00ffeeddccbbaa99");
	g_assert_cmpuint(b->len, ==, 24);
	struct smb2_oplock_break ob;
	g_assert_cmpint(smb2_oplock_break_decode(b->data, b->len, &ob), ==, 0);
	g_assert_cmpuint(ob.level, ==, SMB2_OPLOCK_LEVEL_II);
	g_assert_cmphex(ob.fid.persistent, ==, 0x1122334455667788ULL);
	g_assert_cmphex(ob.fid.volatile_, ==, 0x99AABBCCDDEEFF00ULL);
	struct smb2_fileid fid = ob.fid;
	for (size_t n = 0; n < 24; n++)
		g_assert_cmpint(smb2_oplock_break_decode(b->data, n, &ob), ==, -EPROTO);

	/* The acknowledgment has the same layout. */
	size_t len;
	uint8_t *ack = smb2_oplock_break_ack_encode(SMB2_OPLOCK_LEVEL_II, fid, &len);
	g_assert_cmpmem(ack, len, b->data, b->len);
	g_free(ack);

	sf_put_le16(b->data, 44); /* a lease break is not an oplock break */
	g_assert_cmpint(smb2_oplock_break_decode(b->data, b->len, &ob), ==, -EPROTO);
	g_byte_array_unref(b);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/lease/ctx_v1", test_lease_ctx_v1);
	g_test_add_func("/lease/ctx_v2", test_lease_ctx_v2);
	g_test_add_func("/lease/break", test_lease_break);
	g_test_add_func("/lease/oplock_break", test_oplock_break);
	return g_test_run();
}
