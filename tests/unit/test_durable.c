/* test_durable.c - the durable handle create contexts (MS-SMB2 2.2.13.2.3,
 * 2.2.13.2.4, 2.2.13.2.11, 2.2.13.2.12, 2.2.14.2.12), with known bytes laid
 * out by hand from the spec's field tables, and the CREATE request
 * carrying them together with a lease: every context 8-aligned and padded
 * as 2.2.13.2 requires, whatever the data lengths. */
#include "proto/create.h"
#include "proto/durable.h"
#include "proto/lease.h"
#include "util/bytes.h"
#include "vectors.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

static const uint8_t guid[16] = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
                                 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};
static const struct smb2_fileid fid = {0x1122334455667788ULL, 0x99AABBCCDDEEFF00ULL};

static void test_dh2q_dh2c(void)
{
	/* DH2Q: Timeout 60000 ms, Flags PERSISTENT, Reserved (8), CreateGuid. */
	GByteArray *want = hexbytes("60ea0000"
	                            "02000000"
	                            "0000000000000000"
	                            "101112131415161718191a1b1c1d1e1f");
	uint8_t out[64];
	memset(out, 0xAA, sizeof out);
	g_assert_cmpuint(smb2_dh2q_encode(out, 60000, SMB2_DHANDLE_FLAG_PERSISTENT, guid), ==,
	                 SMB2_DH2Q_LEN);
	g_assert_cmpmem(out, SMB2_DH2Q_LEN, want->data, want->len);
	g_assert_cmpuint(out[SMB2_DH2Q_LEN], ==, 0xAA);
	g_byte_array_unref(want);

	/* DH2C: FileId (Persistent, Volatile), CreateGuid, Flags. */
	want = hexbytes("8877665544332211"
	                "00ffeeddccbbaa99"
	                "101112131415161718191a1b1c1d1e1f"
	                "02000000");
	memset(out, 0xAA, sizeof out);
	g_assert_cmpuint(smb2_dh2c_encode(out, fid, guid, SMB2_DHANDLE_FLAG_PERSISTENT), ==,
	                 SMB2_DH2C_LEN);
	g_assert_cmpmem(out, SMB2_DH2C_LEN, want->data, want->len);
	g_assert_cmpuint(out[SMB2_DH2C_LEN], ==, 0xAA);
	g_byte_array_unref(want);
}

static void test_dhnq_dhnc(void)
{
	uint8_t out[32];
	memset(out, 0xAA, sizeof out);
	g_assert_cmpuint(smb2_dhnq_encode(out), ==, SMB2_DHNQ_LEN);
	for (int i = 0; i < SMB2_DHNQ_LEN; i++)
		g_assert_cmpuint(out[i], ==, 0); /* DurableRequest: reserved */
	g_assert_cmpuint(out[SMB2_DHNQ_LEN], ==, 0xAA);

	GByteArray *want = hexbytes("8877665544332211"
	                            "00ffeeddccbbaa99");
	memset(out, 0xAA, sizeof out);
	g_assert_cmpuint(smb2_dhnc_encode(out, fid), ==, SMB2_DHNC_LEN);
	g_assert_cmpmem(out, SMB2_DHNC_LEN, want->data, want->len);
	g_assert_cmpuint(out[SMB2_DHNC_LEN], ==, 0xAA);
	g_byte_array_unref(want);
}

static void test_dh2q_rsp(void)
{
	/* Timeout 120000 ms, Flags PERSISTENT. */
	GByteArray *b = hexbytes("c0d40100"
	                         "02000000");
	uint32_t t, f;
	g_assert_cmpint(smb2_dh2q_rsp_decode(b->data, b->len, &t, &f), ==, 0);
	g_assert_cmpuint(t, ==, 120000);
	g_assert_cmphex(f, ==, SMB2_DHANDLE_FLAG_PERSISTENT);
	uint8_t big[16] = {0};
	memcpy(big, b->data, 8);
	for (size_t n = 0; n <= 16; n++)
		if (n != 8)
			g_assert_cmpint(smb2_dh2q_rsp_decode(big, n, &t, &f), ==, -EPROTO);
	g_byte_array_unref(b);
}

/* Encode a CREATE with the given contexts, then walk the context chain by
 * hand the way 2.2.13 / 2.2.13.2 lay it out, and back through the decoder. */
static void check_create_ctxs(const struct smb2_create_ctx *ctx, size_t n, size_t name_len)
{
	uint8_t name[16];
	for (size_t i = 0; i < sizeof name; i++)
		name[i] = (uint8_t)('a' + i);
	struct smb2_create_req q = {.oplock_level = SMB2_OPLOCK_LEVEL_LEASE,
	                            .desired_access = GENERIC_READ,
	                            .disposition = FILE_OPEN,
	                            .name = name,
	                            .name_len = name_len,
	                            .ctxs = ctx,
	                            .ctx_count = n};
	size_t len;
	uint8_t *body = smb2_create_req_encode(&q, &len);
	g_assert_nonnull(body);
	/* Offsets count from the header, which the body follows. */
	size_t coff = sf_le32(body + 48), clen = sf_le32(body + 52);
	g_assert_cmpuint(coff % 8, ==, 0);
	g_assert_cmpuint(coff, >=, SMB2_HDR_LEN + 56 + name_len);
	coff -= SMB2_HDR_LEN;
	g_assert_cmpuint(coff + clen, ==, len);
	size_t at = coff;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *c = body + at;
		uint32_t next = sf_le32(c);
		g_assert_cmpuint((SMB2_HDR_LEN + at) % 8, ==, 0);
		g_assert_cmpuint(sf_le16(c + 4), ==, 16); /* NameOffset */
		g_assert_cmpuint(sf_le16(c + 6), ==, 4);  /* NameLength */
		g_assert_cmpuint(sf_le16(c + 8), ==, 0);  /* Reserved */
		g_assert_cmpuint(sf_le16(c + 10), ==, ctx[i].data_len ? 24 : 0);
		g_assert_cmpuint(sf_le32(c + 12), ==, ctx[i].data_len);
		g_assert_cmpmem(c + 16, 4, ctx[i].name, 4);
		g_assert_cmpmem(c + 24, ctx[i].data_len, ctx[i].data, ctx[i].data_len);
		if (i + 1 < n) {
			/* Next reaches the 8-aligned successor; the gap is zeros. */
			g_assert_cmpuint(next, ==, sf_align_up(24 + ctx[i].data_len, 8));
			for (size_t p = 24 + ctx[i].data_len; p < next; p++)
				g_assert_cmpuint(c[p], ==, 0);
			at += next;
		} else {
			g_assert_cmpuint(next, ==, 0);
			g_assert_cmpuint(at + 24 + ctx[i].data_len, ==, len);
		}
	}
	struct smb2_create_ctx back[8];
	size_t got;
	g_assert_cmpint(smb2_create_ctx_chain_decode(body + coff, clen, back, 8, &got), ==, 0);
	g_assert_cmpuint(got, ==, n);
	for (size_t i = 0; i < n; i++) {
		g_assert_cmpmem(back[i].name, 4, ctx[i].name, 4);
		g_assert_cmpmem(back[i].data, back[i].data_len, ctx[i].data, ctx[i].data_len);
	}
	g_free(body);
}

static void test_create_with_contexts(void)
{
	struct smb2_lease l1 = {.state = 7}, l2 = {.state = 7, .v2 = true};
	uint8_t rqls1[SMB2_LEASE_CTX_V2_LEN], rqls2[SMB2_LEASE_CTX_V2_LEN];
	uint8_t dh2q[SMB2_DH2Q_LEN], dh2c[SMB2_DH2C_LEN], dhnq[SMB2_DHNQ_LEN], dhnc[SMB2_DHNC_LEN];
	size_t n1 = smb2_lease_ctx_encode(&l1, rqls1), n2 = smb2_lease_ctx_encode(&l2, rqls2);
	smb2_dh2q_encode(dh2q, 0, 0, guid);
	smb2_dh2c_encode(dh2c, fid, guid, 0);
	smb2_dhnq_encode(dhnq);
	smb2_dhnc_encode(dhnc, fid);
	const struct smb2_create_ctx all[] = {
	        {.name = {'R', 'q', 'L', 's'}, .data = rqls2, .data_len = n2},
	        {.name = {'D', 'H', '2', 'C'}, .data = dh2c, .data_len = SMB2_DH2C_LEN},
	        {.name = {'M', 'x', 'A', 'c'}},
	        {.name = {'D', 'H', '2', 'Q'}, .data = dh2q, .data_len = SMB2_DH2Q_LEN},
	        {.name = {'R', 'q', 'L', 's'}, .data = rqls1, .data_len = n1},
	        {.name = {'D', 'H', 'n', 'Q'}, .data = dhnq, .data_len = SMB2_DHNQ_LEN},
	        {.name = {'D', 'H', 'n', 'C'}, .data = dhnc, .data_len = SMB2_DHNC_LEN},
	};
	/* Each context first, last and in the middle, after names of every
	 * length modulo 8 (including none). */
	for (size_t name_len = 0; name_len <= 16; name_len += 2)
		for (size_t first = 0; first < G_N_ELEMENTS(all); first++) {
			struct smb2_create_ctx c[G_N_ELEMENTS(all)];
			for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
				c[i] = all[(first + i) % G_N_ELEMENTS(all)];
			for (size_t n = 1; n <= G_N_ELEMENTS(all); n++)
				check_create_ctxs(c, n, name_len);
		}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/durable/dh2q_dh2c", test_dh2q_dh2c);
	g_test_add_func("/durable/dhnq_dhnc", test_dhnq_dhnc);
	g_test_add_func("/durable/dh2q_rsp", test_dh2q_rsp);
	g_test_add_func("/durable/create_with_contexts", test_create_with_contexts);
	return g_test_run();
}
