/* test_codecs.c - the SMB2 command codecs: published bytes where they
 * exist (the SMB 3.1.1 trace in spec-map 2.2.1), hand-built responses laid
 * out field by field from MS-SMB2 / MS-FSCC otherwise, and malformed
 * variants of each. */
#include "proto/create.h"
#include "proto/dir.h"
#include "proto/fscc.h"
#include "proto/info.h"
#include "proto/io.h"
#include "proto/ioctl.h"
#include "proto/negotiate.h"
#include "proto/ntstatus.h"
#include "proto/ranges.h"
#include "proto/session.h"
#include "proto/smb2.h"
#include "proto/tree.h"
#include "proto/validate.h"
#include "util/bytes.h"
#include "vectors.h"

#include <errno.h>

/* A response header for hand-built PDUs. */
static void rsp_hdr(struct sf_wr *w, uint16_t command, uint32_t status)
{
	struct smb2_hdr h = {.command = command,
	                     .status = status,
	                     .flags = SMB2_FLAGS_SERVER_TO_REDIR,
	                     .credits = 1};
	uint8_t b[64];
	smb2_hdr_encode(&h, b);
	sf_wr_bytes(w, b, 64);
}

static void test_negotiate_request_matches_published(void)
{
	GByteArray *want = vector("preauth_neg_req");
	struct smb2_negotiate_req q = {
	        .dialects = {0x0202, 0x0210, 0x0300, 0x0302, 0x0311},
	        .dialect_count = 5,
	        .security_mode = sf_le16(want->data + 64 + 4),
	        .capabilities = sf_le32(want->data + 64 + 8),
	        .ciphers = {SMB2_ENCRYPTION_AES128_GCM, SMB2_ENCRYPTION_AES128_CCM},
	        .cipher_count = 2,
	};
	memcpy(q.client_guid, want->data + 64 + 12, 16);
	memcpy(q.salt, want->data + 0x70 + 8 + 6, 32);
	size_t len;
	uint8_t *body = smb2_negotiate_req_encode(&q, &len);
	g_assert_cmpmem(body, len, want->data + 64, want->len - 64);
	g_free(body);
	g_byte_array_unref(want);
}

static void test_negotiate_response_published(void)
{
	GByteArray *pdu = vector("preauth_neg_rsp");
	struct smb2_negotiate_rsp r;
	g_assert_cmpint(smb2_negotiate_rsp_decode(pdu->data, pdu->len, &r), ==, 0);
	g_assert_cmphex(r.dialect, ==, 0x0311);
	g_assert_cmpuint(r.security_mode, ==, 1);
	g_assert_cmpuint(r.context_count, ==, 2);
	g_assert_true(r.has_preauth);
	g_assert_cmpuint(r.preauth_hash, ==, SMB2_PREAUTH_SHA512);
	g_assert_cmpuint(r.preauth_salt_len, ==, 32);
	g_assert_true(r.has_cipher);
	g_assert_cmpuint(r.cipher, ==, SMB2_ENCRYPTION_AES128_GCM);
	g_assert_false(r.has_signing);
	g_assert_cmpuint(r.max_read, ==, 0x800000);
	g_assert_cmpuint(r.security_buffer_len, ==, 0x140);
	g_assert_true(r.security_buffer == pdu->data + 0x80);

	/* Malformed variants: every truncation, a context running past the
	 * end, an unaligned context offset, a duplicate preauth context,
	 * no preauth context at all, a context count of zero. */
	for (size_t i = 0; i < pdu->len; i++)
		g_assert_cmpint(smb2_negotiate_rsp_decode(pdu->data, i, &r), ==, -EPROTO);
	GByteArray *b = g_byte_array_new();
	g_byte_array_append(b, pdu->data, pdu->len);
	size_t ctx_off = sf_le32(b->data + 64 + 60);
	sf_put_le16(b->data + ctx_off + 2, 0x400); /* first context's DataLength */
	g_assert_cmpint(smb2_negotiate_rsp_decode(b->data, b->len, &r), ==, -EPROTO);
	memcpy(b->data, pdu->data, pdu->len);
	sf_put_le32(b->data + 64 + 60, (uint32_t)ctx_off + 4);
	g_assert_cmpint(smb2_negotiate_rsp_decode(b->data, b->len, &r), ==, -EPROTO);
	memcpy(b->data, pdu->data, pdu->len);
	size_t second = sf_align_up(ctx_off + 8 + sf_le16(b->data + ctx_off + 2), 8);
	sf_put_le16(b->data + second, 1); /* encryption context -> second preauth */
	g_assert_cmpint(smb2_negotiate_rsp_decode(b->data, b->len, &r), ==, -EPROTO);
	memcpy(b->data, pdu->data, pdu->len);
	sf_put_le16(b->data + ctx_off, 0x77); /* preauth -> unknown type */
	g_assert_cmpint(smb2_negotiate_rsp_decode(b->data, b->len, &r), ==, -EPROTO);
	memcpy(b->data, pdu->data, pdu->len);
	sf_put_le16(b->data + 64 + 6, 0); /* NegotiateContextCount */
	g_assert_cmpint(smb2_negotiate_rsp_decode(b->data, b->len, &r), ==, -EPROTO);
	memcpy(b->data, pdu->data, pdu->len);
	sf_put_le16(b->data + 64 + 56, 0x20); /* security buffer inside the fixed part */
	g_assert_cmpint(smb2_negotiate_rsp_decode(b->data, b->len, &r), ==, -EPROTO);
	/* Before 3.1.1 the context fields are reserved and ignored. */
	memcpy(b->data, pdu->data, pdu->len);
	sf_put_le16(b->data + 64 + 4, 0x0302);
	sf_put_le32(b->data + 64 + 60, 0xFFFFFFF0);
	g_assert_cmpint(smb2_negotiate_rsp_decode(b->data, b->len, &r), ==, 0);
	g_assert_false(r.has_preauth);
	g_byte_array_unref(b);
	g_byte_array_unref(pdu);
}

static void test_session_setup_published(void)
{
	GByteArray *pdu = vector("preauth_ss_rsp1");
	struct smb2_hdr h;
	g_assert_cmpint(smb2_hdr_decode(pdu->data, pdu->len, &h), ==, 0);
	g_assert_cmphex(h.status, ==, STATUS_MORE_PROCESSING_REQUIRED);
	g_assert_cmpint(smb2_rsp_validate(&h, pdu->data, pdu->len), ==, 0);
	struct smb2_session_setup_rsp r;
	g_assert_cmpint(smb2_session_setup_rsp_decode(pdu->data, pdu->len, &r), ==, 0);
	g_assert_cmpuint(r.token_len, ==, 0xB3);
	g_assert_true(r.token == pdu->data + 0x48);
	sf_put_le16(pdu->data + 64 + 6, 0xB4); /* one byte too long */
	g_assert_cmpint(smb2_session_setup_rsp_decode(pdu->data, pdu->len, &r), ==, -EPROTO);
	/* The request encoder lays out the published request #1. */
	GByteArray *req = vector("preauth_ss_req1");
	struct smb2_session_setup_req q = {.security_mode = 1,
	                                   .capabilities = 1,
	                                   .token = req->data + 0x58,
	                                   .token_len = req->len - 0x58};
	size_t len;
	uint8_t *body = smb2_session_setup_req_encode(&q, &len);
	g_assert_cmpmem(body, len, req->data + 64, req->len - 64);
	g_free(body);
	g_byte_array_unref(req);
	g_byte_array_unref(pdu);
}

static void test_tree_connect(void)
{
	struct sf_wr w;
	sf_wr_init_grow(&w, 128);
	rsp_hdr(&w, SMB2_TREE_CONNECT, 0);
	sf_wr_u16(&w, 16);
	sf_wr_u8(&w, SMB2_SHARE_TYPE_DISK);
	sf_wr_u8(&w, 0);
	sf_wr_u32(&w, SMB2_SHAREFLAG_ENCRYPT_DATA);
	sf_wr_u32(&w, SMB2_SHARE_CAP_DFS);
	sf_wr_u32(&w, 0x001f01ff);
	size_t len;
	uint8_t *pdu = sf_wr_steal(&w, &len);
	struct smb2_tree_connect_rsp r;
	g_assert_cmpint(smb2_tree_connect_rsp_decode(pdu, len, &r), ==, 0);
	g_assert_cmpuint(r.share_type, ==, SMB2_SHARE_TYPE_DISK);
	g_assert_cmphex(r.share_flags, ==, SMB2_SHAREFLAG_ENCRYPT_DATA);
	g_assert_cmphex(r.capabilities, ==, SMB2_SHARE_CAP_DFS);
	g_assert_cmphex(r.maximal_access, ==, 0x001f01ff);
	g_assert_cmpint(smb2_tree_connect_rsp_decode(pdu, len - 1, &r), ==, -EPROTO);
	g_free(pdu);
}

/* A CREATE response with two contexts (MxAc, QFid) per 2.2.14 / 2.2.14.2. */
static uint8_t *create_rsp(size_t *len, bool bad_chain)
{
	struct sf_wr w;
	sf_wr_init_grow(&w, 256);
	rsp_hdr(&w, SMB2_CREATE, 0);
	sf_wr_u16(&w, 89);
	sf_wr_u8(&w, 0);
	sf_wr_u8(&w, 0);
	sf_wr_u32(&w, 1); /* FILE_OPENED */
	for (int i = 1; i <= 4; i++)
		sf_wr_u64(&w, 132000000000000000ULL + (uint64_t)i);
	sf_wr_u64(&w, 4096);
	sf_wr_u64(&w, 1234);
	sf_wr_u32(&w, FILE_ATTRIBUTE_ARCHIVE);
	sf_wr_u32(&w, 0);
	sf_wr_u64(&w, 0x1111);
	sf_wr_u64(&w, 0x2222);
	size_t at = sf_wr_reserve(&w, 8);
	sf_wr_align(&w, 8);
	size_t start = w.pos;
	/* MxAc: Next=32, name at 16, data at 24 (8 bytes) */
	sf_wr_u32(&w, bad_chain ? 0xFFFFFFF8 : 32);
	sf_wr_u16(&w, 16);
	sf_wr_u16(&w, 4);
	sf_wr_u16(&w, 0);
	sf_wr_u16(&w, 24);
	sf_wr_u32(&w, 8);
	sf_wr_bytes(&w, "MxAc", 4);
	sf_wr_zero(&w, 4);
	sf_wr_u32(&w, 0);
	sf_wr_u32(&w, 0x001f01ff);
	/* QFid: last, 32 bytes of data */
	sf_wr_u32(&w, 0);
	sf_wr_u16(&w, 16);
	sf_wr_u16(&w, 4);
	sf_wr_u16(&w, 0);
	sf_wr_u16(&w, 24);
	sf_wr_u32(&w, 32);
	sf_wr_bytes(&w, "QFid", 4);
	sf_wr_zero(&w, 4);
	for (int i = 0; i < 32; i++)
		sf_wr_u8(&w, (uint8_t)i);
	sf_wr_patch_u32(&w, at, (uint32_t)start);
	sf_wr_patch_u32(&w, at + 4, (uint32_t)(w.pos - start));
	return sf_wr_steal(&w, len);
}

static void test_create(void)
{
	size_t len;
	uint8_t *pdu = create_rsp(&len, false);
	struct smb2_hdr h;
	smb2_hdr_decode(pdu, len, &h);
	g_assert_cmpint(smb2_rsp_validate(&h, pdu, len), ==, 0);
	struct smb2_create_rsp r;
	g_assert_cmpint(smb2_create_rsp_decode(pdu, len, &r), ==, 0);
	g_assert_cmpuint(r.create_action, ==, 1);
	g_assert_cmpuint(r.t.end_of_file, ==, 1234);
	g_assert_cmpuint(r.t.allocation_size, ==, 4096);
	g_assert_cmpuint(r.t.last_write, ==, 132000000000000003ULL);
	g_assert_cmphex(r.fid.persistent, ==, 0x1111);
	g_assert_cmphex(r.fid.volatile_, ==, 0x2222);
	g_assert_cmpuint(r.ctx_count, ==, 2);
	const struct smb2_create_ctx *c = smb2_create_rsp_ctx(&r, "QFid");
	g_assert_nonnull(c);
	g_assert_cmpuint(c->data_len, ==, 32);
	g_assert_cmpuint(c->data[31], ==, 31);
	g_assert_cmphex(sf_le32(smb2_create_rsp_ctx(&r, "MxAc")->data + 4), ==, 0x001f01ff);
	g_assert_null(smb2_create_rsp_ctx(&r, "RqLs"));
	g_free(pdu);
	pdu = create_rsp(&len, true); /* Next points out of the buffer */
	g_assert_cmpint(smb2_create_rsp_decode(pdu, len, &r), ==, -EPROTO);
	g_free(pdu);

	/* The request encoder: name at offset 0x78, contexts 8-aligned. */
	const uint8_t name[] = {'a', 0, '\\', 0, 'b', 0};
	const uint8_t lease[32] = {1};
	struct smb2_create_ctx ctx[2] = {
	        {.name = {'R', 'q', 'L', 's'}, .data = lease, .data_len = 32},
	        {.name = {'M', 'x', 'A', 'c'}}};
	struct smb2_create_req q = {.desired_access = GENERIC_READ,
	                            .disposition = FILE_OPEN,
	                            .name = name,
	                            .name_len = 6,
	                            .ctxs = ctx,
	                            .ctx_count = 2};
	uint8_t *body = smb2_create_req_encode(&q, &len);
	g_assert_cmpuint(sf_le16(body), ==, 57);
	g_assert_cmpuint(sf_le16(body + 44), ==, 0x78);
	g_assert_cmpmem(body + 56, 6, name, 6);
	size_t coff = sf_le32(body + 48) - 64, clen = sf_le32(body + 52);
	g_assert_cmpuint(coff % 8, ==, 0);
	g_assert_cmpuint(coff + clen, ==, len);
	struct smb2_create_ctx back[4];
	size_t n;
	g_assert_cmpint(smb2_create_ctx_chain_decode(body + coff, clen, back, 4, &n), ==, 0);
	g_assert_cmpuint(n, ==, 2);
	g_assert_cmpmem(back[0].name, 4, "RqLs", 4);
	g_assert_cmpmem(back[0].data, back[0].data_len, lease, 32);
	g_assert_cmpmem(back[1].name, 4, "MxAc", 4);
	g_assert_cmpuint(back[1].data_len, ==, 0);
	g_assert_cmpint(smb2_create_ctx_chain_decode(body + coff, clen, back, 1, &n), ==,
	                -EPROTO); /* more contexts than allowed */
	g_free(body);
}

static void test_read_write_close(void)
{
	struct sf_wr w;
	sf_wr_init_grow(&w, 128);
	rsp_hdr(&w, SMB2_READ, 0);
	sf_wr_u16(&w, 17);
	sf_wr_u8(&w, 0x50);
	sf_wr_u8(&w, 0);
	sf_wr_u32(&w, 5);
	sf_wr_u32(&w, 0);
	sf_wr_u32(&w, 0);
	sf_wr_bytes(&w, "hello", 5);
	size_t len;
	uint8_t *pdu = sf_wr_steal(&w, &len);
	struct smb2_read_rsp r;
	g_assert_cmpint(smb2_read_rsp_decode(pdu, len, &r), ==, 0);
	g_assert_cmpmem(r.data, r.data_len, "hello", 5);
	pdu[64 + 4] = 6; /* DataLength past the end */
	g_assert_cmpint(smb2_read_rsp_decode(pdu, len, &r), ==, -EPROTO);
	pdu[64 + 4] = 5;
	pdu[64 + 2] = 0x40; /* DataOffset inside the header */
	g_assert_cmpint(smb2_read_rsp_decode(pdu, len, &r), ==, -EPROTO);
	g_free(pdu);

	size_t blen;
	uint8_t *body = smb2_write_req_encode((struct smb2_fileid){1, 2}, 77, "abc", 3, &blen);
	g_assert_cmpuint(blen, ==, 48 + 3);
	g_assert_cmpuint(sf_le16(body + 2), ==, 0x70);
	g_assert_cmpuint(sf_le32(body + 4), ==, 3);
	g_assert_cmpuint(sf_le64(body + 8), ==, 77);
	g_assert_cmpmem(body + 48, 3, "abc", 3);
	g_free(body);

	sf_wr_init_grow(&w, 128);
	rsp_hdr(&w, SMB2_WRITE, 0);
	sf_wr_u16(&w, 17);
	sf_wr_u16(&w, 0);
	sf_wr_u32(&w, 3);
	sf_wr_zero(&w, 9);
	pdu = sf_wr_steal(&w, &len);
	struct smb2_write_rsp wr;
	g_assert_cmpint(smb2_write_rsp_decode(pdu, len, &wr), ==, 0);
	g_assert_cmpuint(wr.count, ==, 3);
	g_assert_cmpint(smb2_write_rsp_decode(pdu, 64 + 6, &wr), ==, -EPROTO);
	g_free(pdu);

	sf_wr_init_grow(&w, 128);
	rsp_hdr(&w, SMB2_CLOSE, 0);
	sf_wr_u16(&w, 60);
	sf_wr_u16(&w, SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB);
	sf_wr_u32(&w, 0);
	for (int i = 0; i < 6; i++)
		sf_wr_u64(&w, (uint64_t)i + 10);
	sf_wr_u32(&w, FILE_ATTRIBUTE_DIRECTORY);
	pdu = sf_wr_steal(&w, &len);
	struct smb2_close_rsp cr;
	g_assert_cmpint(smb2_close_rsp_decode(pdu, len, &cr), ==, 0);
	g_assert_cmpuint(cr.t.end_of_file, ==, 15);
	g_assert_cmphex(cr.t.attributes, ==, FILE_ATTRIBUTE_DIRECTORY);
	g_assert_cmpint(smb2_close_rsp_decode(pdu, len - 1, &cr), ==, -EPROTO);
	g_free(pdu);
}

/* FileIdBothDirectoryInformation (MS-FSCC 2.4.22): fixed part 104 bytes. */
static void put_dir_entry(struct sf_wr *w, uint32_t next, const char *name, uint64_t id,
                          uint32_t attrs)
{
	size_t start = w->pos;
	sf_wr_u32(w, next);
	sf_wr_u32(w, 0);
	for (int i = 0; i < 4; i++)
		sf_wr_u64(w, 1000 + (uint64_t)i);
	sf_wr_u64(w, 42);
	sf_wr_u64(w, 4096);
	sf_wr_u32(w, attrs);
	sf_wr_u32(w, (uint32_t)strlen(name) * 2);
	sf_wr_u32(w, 0);
	sf_wr_u8(w, 0);
	sf_wr_u8(w, 0);
	sf_wr_zero(w, 24);
	sf_wr_u16(w, 0);
	sf_wr_u64(w, id);
	for (const char *p = name; *p; p++)
		sf_wr_u16(w, (uint16_t)*p);
	if (next)
		sf_wr_zero(w, start + next - w->pos);
}

static void test_directory_entries(void)
{
	struct sf_wr w;
	sf_wr_init_grow(&w, 512);
	/* 104-byte fixed part + 10-byte name, padded to 120 */
	put_dir_entry(&w, 120, "a.txt", 7, FILE_ATTRIBUTE_ARCHIVE);
	put_dir_entry(&w, 0, "sub", 8, FILE_ATTRIBUTE_DIRECTORY);
	size_t len;
	uint8_t *buf = sf_wr_steal(&w, &len);
	size_t pos = 0;
	struct smb2_dir_entry e;
	g_assert_cmpint(smb2_dir_entry_next(FILE_ID_BOTH_DIRECTORY_INFORMATION, buf, len, &pos, &e),
	                ==, 1);
	g_assert_cmpuint(e.file_id, ==, 7);
	g_assert_cmpuint(e.t.end_of_file, ==, 42);
	g_assert_cmpuint(e.t.last_write, ==, 1002);
	g_assert_cmpmem(e.name, e.name_len, "a\0.\0t\0x\0t\0", 10);
	g_assert_cmpint(smb2_dir_entry_next(FILE_ID_BOTH_DIRECTORY_INFORMATION, buf, len, &pos, &e),
	                ==, 1);
	g_assert_cmpuint(e.file_id, ==, 8);
	g_assert_true(e.t.attributes & FILE_ATTRIBUTE_DIRECTORY);
	g_assert_cmpint(smb2_dir_entry_next(FILE_ID_BOTH_DIRECTORY_INFORMATION, buf, len, &pos, &e),
	                ==, 0);
	/* NextEntryOffset smaller than the fixed part (would loop), past the
	 * end, an odd name length, a name running out of the entry. */
	uint32_t bad_next[] = {8, 4000};
	for (size_t i = 0; i < 2; i++) {
		sf_put_le32(buf, bad_next[i]);
		pos = 0;
		g_assert_cmpint(
		        smb2_dir_entry_next(FILE_ID_BOTH_DIRECTORY_INFORMATION, buf, len, &pos, &e),
		        ==, -EPROTO);
	}
	sf_put_le32(buf, 120);
	sf_put_le32(buf + 60, 9);
	pos = 0;
	g_assert_cmpint(smb2_dir_entry_next(FILE_ID_BOTH_DIRECTORY_INFORMATION, buf, len, &pos, &e),
	                ==, -EPROTO);
	sf_put_le32(buf + 60, 20);
	pos = 0;
	g_assert_cmpint(smb2_dir_entry_next(FILE_ID_BOTH_DIRECTORY_INFORMATION, buf, len, &pos, &e),
	                ==, -EPROTO);
	pos = 0;
	g_assert_cmpint(smb2_dir_entry_next(99, buf, len, &pos, &e), ==, -EPROTO);
	g_free(buf);
}

static void test_query_info_and_ioctl(void)
{
	/* QUERY_INFO response carrying FileAllInformation's leading parts. */
	struct sf_wr w;
	sf_wr_init_grow(&w, 256);
	rsp_hdr(&w, SMB2_QUERY_INFO, 0);
	sf_wr_u16(&w, 9);
	sf_wr_u16(&w, 72);
	sf_wr_u32(&w, 100);
	for (int i = 0; i < 4; i++)
		sf_wr_u64(&w, 500 + (uint64_t)i);
	sf_wr_u32(&w, FILE_ATTRIBUTE_READONLY);
	sf_wr_u32(&w, 0);
	sf_wr_u64(&w, 8192); /* AllocationSize */
	sf_wr_u64(&w, 5000); /* EndOfFile */
	sf_wr_u32(&w, 2);    /* NumberOfLinks */
	sf_wr_u8(&w, 0);
	sf_wr_u8(&w, 1); /* Directory */
	sf_wr_u16(&w, 0);
	sf_wr_u64(&w, 0xABCDEF); /* IndexNumber */
	sf_wr_zero(&w, 100 - 72);
	size_t len;
	uint8_t *pdu = sf_wr_steal(&w, &len);
	struct smb2_query_info_rsp q;
	g_assert_cmpint(smb2_query_info_rsp_decode(pdu, len, &q), ==, 0);
	struct smb2_all_info a;
	g_assert_cmpint(smb2_all_info_decode(q.buf, q.buf_len, &a), ==, 0);
	g_assert_cmpuint(a.t.end_of_file, ==, 5000);
	g_assert_cmpuint(a.nlink, ==, 2);
	g_assert_true(a.directory);
	g_assert_cmphex(a.file_id, ==, 0xABCDEF);
	g_assert_cmpint(smb2_all_info_decode(q.buf, 60, &a), ==, -EPROTO);
	struct smb2_basic_info b;
	g_assert_cmpint(smb2_basic_info_decode(q.buf, q.buf_len, &b), ==, 0);
	g_assert_cmphex(b.attributes, ==, FILE_ATTRIBUTE_READONLY);
	uint8_t enc[40];
	smb2_basic_info_encode(&b, enc);
	g_assert_cmpmem(enc, 36, q.buf, 36);
	sf_put_le32(pdu + 64 + 4, 1000); /* OutputBufferLength past the end */
	g_assert_cmpint(smb2_query_info_rsp_decode(pdu, len, &q), ==, -EPROTO);
	g_free(pdu);

	/* IOCTL response with a VALIDATE_NEGOTIATE_INFO payload. */
	sf_wr_init_grow(&w, 256);
	rsp_hdr(&w, SMB2_IOCTL, 0);
	sf_wr_u16(&w, 49);
	sf_wr_u16(&w, 0);
	sf_wr_u32(&w, FSCTL_VALIDATE_NEGOTIATE_INFO);
	sf_wr_u64(&w, UINT64_MAX);
	sf_wr_u64(&w, UINT64_MAX);
	sf_wr_u32(&w, 112);
	sf_wr_u32(&w, 0);
	sf_wr_u32(&w, 112);
	sf_wr_u32(&w, 24);
	sf_wr_u32(&w, 0);
	sf_wr_u32(&w, 0);
	sf_wr_u32(&w, 0x7);
	for (int i = 0; i < 16; i++)
		sf_wr_u8(&w, (uint8_t)i);
	sf_wr_u16(&w, 1);
	sf_wr_u16(&w, 0x0302);
	pdu = sf_wr_steal(&w, &len);
	struct smb2_ioctl_rsp io;
	g_assert_cmpint(smb2_ioctl_rsp_decode(pdu, len, &io), ==, 0);
	g_assert_cmphex(io.ctl_code, ==, FSCTL_VALIDATE_NEGOTIATE_INFO);
	struct smb2_validate_negotiate_rsp v;
	g_assert_cmpint(smb2_validate_negotiate_rsp_decode(io.out, io.out_len, &v), ==, 0);
	g_assert_cmphex(v.dialect, ==, 0x0302);
	g_assert_cmpuint(v.guid[15], ==, 15);
	g_assert_cmpint(smb2_validate_negotiate_rsp_decode(io.out, 23, &v), ==, -EPROTO);
	sf_put_le32(pdu + 64 + 32, 0x20); /* OutputOffset inside the fixed part */
	g_assert_cmpint(smb2_ioctl_rsp_decode(pdu, len, &io), ==, -EPROTO);
	g_free(pdu);

	/* Copychunk request layout (2.2.31.1) and response (2.2.32.1). */
	uint8_t key[24] = {9};
	struct smb2_copychunk ch[2] = {{0, 100, 4096}, {4096, 8192, 10}};
	uint8_t *body = smb2_copychunk_encode(key, ch, 2, &len);
	g_assert_cmpuint(len, ==, 32 + 48);
	g_assert_cmpuint(sf_le32(body + 24), ==, 2);
	g_assert_cmpuint(sf_le64(body + 32 + 24 + 8), ==, 8192);
	g_free(body);
	uint8_t ccr[12];
	sf_put_le32(ccr, 2);
	sf_put_le32(ccr + 4, 10);
	sf_put_le32(ccr + 8, 4106);
	struct smb2_copychunk_rsp cc;
	g_assert_cmpint(smb2_copychunk_rsp_decode(ccr, 12, &cc), ==, 0);
	g_assert_cmpuint(cc.total_bytes_written, ==, 4106);
	g_assert_cmpint(smb2_copychunk_rsp_decode(ccr, 11, &cc), ==, -EPROTO);
}

static void test_validate_and_error(void)
{
	struct sf_wr w;
	sf_wr_init_grow(&w, 128);
	rsp_hdr(&w, SMB2_CREATE, STATUS_OBJECT_NAME_NOT_FOUND);
	sf_wr_u16(&w, 9);
	sf_wr_u8(&w, 0);
	sf_wr_u8(&w, 0);
	sf_wr_u32(&w, 0);
	sf_wr_u8(&w, 0);
	size_t len;
	uint8_t *pdu = sf_wr_steal(&w, &len);
	struct smb2_hdr h;
	smb2_hdr_decode(pdu, len, &h);
	g_assert_cmpint(smb2_rsp_validate(&h, pdu, len), ==, 0);
	struct smb2_error_rsp er;
	g_assert_cmpint(smb2_error_rsp_decode(pdu, len, &er), ==, 0);
	g_assert_cmpuint(er.data_len, ==, 0);
	/* An error status with a CREATE-sized body is refused. */
	sf_put_le16(pdu + 64, 89);
	g_assert_cmpint(smb2_rsp_validate(&h, pdu, len), ==, -EPROTO);
	/* ByteCount past the end. */
	sf_put_le16(pdu + 64, 9);
	sf_put_le32(pdu + 68, 100);
	g_assert_cmpint(smb2_error_rsp_decode(pdu, len, &er), ==, -EPROTO);
	/* A request (no SERVER_TO_REDIR) is not a response. */
	h.flags = 0;
	g_assert_cmpint(smb2_rsp_validate(&h, pdu, len), ==, -EPROTO);
	g_free(pdu);
	/* Which statuses carry the command's own body. */
	g_assert_true(smb2_status_has_body(SMB2_SESSION_SETUP, STATUS_MORE_PROCESSING_REQUIRED));
	g_assert_true(smb2_status_has_body(SMB2_READ, STATUS_BUFFER_OVERFLOW));
	g_assert_true(smb2_status_has_body(SMB2_QUERY_INFO, STATUS_BUFFER_OVERFLOW));
	g_assert_true(smb2_status_has_body(SMB2_CREATE, STATUS_SUCCESS));
	g_assert_false(smb2_status_has_body(SMB2_CREATE, STATUS_PENDING));
	g_assert_false(smb2_status_has_body(SMB2_CREATE, STATUS_STOPPED_ON_SYMLINK));
	g_assert_false(smb2_status_has_body(SMB2_QUERY_DIRECTORY, STATUS_NO_MORE_FILES));
	g_assert_false(smb2_status_has_body(SMB2_WRITE, STATUS_DISK_FULL));
	/* Simple 4-byte responses. */
	uint8_t simple[68] = {0};
	sf_put_le16(simple + 64, 4);
	g_assert_cmpint(smb2_simple_rsp_decode(simple, 68), ==, 0);
	g_assert_cmpint(smb2_simple_rsp_decode(simple, 67), ==, -EPROTO);
}

/* FSCTL_QUERY_ALLOCATED_RANGES (MS-FSCC 2.3.46): signed 64-bit fields;
 * accepted lists are whole, sorted, disjoint and below 2^63. */
static void test_allocated_ranges(void)
{
	uint8_t b[48] = {0};
	struct smb2_range r[4];
	sf_put_le64(b, 0), sf_put_le64(b + 8, 4096);
	sf_put_le64(b + 16, 65536), sf_put_le64(b + 24, 8192);
	g_assert_cmpint(smb2_ranges_decode(b, 32, r, 4), ==, 2);
	g_assert_cmpuint(r[1].off, ==, 65536);
	g_assert_cmpuint(r[1].len, ==, 8192);
	g_assert_cmpint(smb2_ranges_decode(b, 0, r, 4), ==, 0);
	g_assert_cmpint(smb2_ranges_decode(b, 31, r, 4), ==, -1); /* not whole */
	g_assert_cmpint(smb2_ranges_decode(b, 32, r, 1), ==, -1); /* no room */
	sf_put_le64(b + 16, 100);                                 /* overlaps */
	g_assert_cmpint(smb2_ranges_decode(b, 32, r, 4), ==, -1);
	sf_put_le64(b + 16, UINT64_MAX); /* negative */
	g_assert_cmpint(smb2_ranges_decode(b, 32, r, 4), ==, -1);
	sf_put_le64(b + 16, 1ull << 62), sf_put_le64(b + 24, 1ull << 62); /* ends at 2^63 */
	g_assert_cmpint(smb2_ranges_decode(b, 32, r, 4), ==, -1);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/codecs/negotiate_request_published",
	                test_negotiate_request_matches_published);
	g_test_add_func("/codecs/negotiate_response_published", test_negotiate_response_published);
	g_test_add_func("/codecs/session_setup_published", test_session_setup_published);
	g_test_add_func("/codecs/tree_connect", test_tree_connect);
	g_test_add_func("/codecs/create", test_create);
	g_test_add_func("/codecs/read_write_close", test_read_write_close);
	g_test_add_func("/codecs/directory_entries", test_directory_entries);
	g_test_add_func("/codecs/query_info_and_ioctl", test_query_info_and_ioctl);
	g_test_add_func("/codecs/validate_and_error", test_validate_and_error);
	g_test_add_func("/codecs/allocated_ranges", test_allocated_ranges);
	return g_test_run();
}
