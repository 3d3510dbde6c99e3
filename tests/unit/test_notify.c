/* test_notify.c - CHANGE_NOTIFY (MS-SMB2 2.2.35, 2.2.36) and
 * FILE_NOTIFY_INFORMATION (MS-FSCC 2.7.1).
 *
 * The PDUs were captured from Samba 4.22.6 (Debian bookworm-backports)
 * on loopback with tshark, while smbclient 4.22 ran `notify w` and files
 * in w/ were created, renamed and removed on the server's disk (the
 * same bytes are seeds in tests/fuzz/corpus/notify/). */
#include "proto/notify.h"
#include "proto/ntstatus.h"
#include "proto/smb2.h"
#include "util/bytes.h"
#include "util/utf16.h"
#include "vectors.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

/* smbclient's request: WATCH_TREE, 1000 bytes, filter 0xfff. */
static const char *req_smbclient =
        "20000100e80300004523a98d000000002425f86600000000ff0f000000000000";

/* A file created: one entry, ADDED "new file \u00fc.txt". */
static const char *rsp_added =
        "fe534d4240000100000000000f000000130000000000000008000000000000000800000000000000"
        "170966e10000000000000000000000000000000000000000090048002800000000000000010000001c"
        "0000006e00650077002000660069006c0065002000fc002e00740078007400";

/* A rename: RENAMED_OLD_NAME then RENAMED_NEW_NAME in one answer. */
static const char *rsp_renamed =
        "fe534d4240000100000000000f000000130000000000000009000000000000000900000000000000"
        "170966e10000000000000000000000000000000000000000090048004c00000028000000040000001c"
        "0000006e00650077002000660069006c0065002000fc002e0074007800740000000000050000001600"
        "0000720065006e0061006d00650064002e007400780074000000";

/* More changes than the buffer: STATUS_NOTIFY_ENUM_DIR with an ERROR body. */
static const char *rsp_enum_dir =
        "fe534d42400001000c0100000f00010011000000000000000d0000000000000000000000eb8a84b1"
        "170966e10000000000000000000000000000000000000000090000000000000000";

static void test_req(void)
{
	struct smb2_fileid fid = {0x8da92345ULL, 0x66f82524ULL};
	size_t len;
	uint8_t *b = smb2_change_notify_req_encode(fid, SMB2_WATCH_TREE, 1000, 0xfff, &len);
	assert_hex(b, len, req_smbclient);
	g_free(b);
}

static char *name_of(const struct smb2_notify_entry *e)
{
	return sf_name_from_smb(e->name, e->name_len, false);
}

static void test_added(void)
{
	GByteArray *pdu = hexbytes(rsp_added);
	struct smb2_change_notify_rsp r;
	g_assert_cmpint(smb2_change_notify_rsp_decode(pdu->data, pdu->len, &r), ==, 0);
	g_assert_cmpuint(r.buf_len, ==, 40);
	size_t pos = 0;
	unsigned n = 0;
	struct smb2_notify_entry e;
	g_assert_cmpint(smb2_notify_entry_next(r.buf, r.buf_len, &pos, &n, &e), ==, 1);
	g_assert_cmphex(e.action, ==, FILE_ACTION_ADDED);
	char *name = name_of(&e);
	g_assert_cmpstr(name, ==, "new file \xc3\xbc.txt");
	g_free(name);
	g_assert_cmpint(smb2_notify_entry_next(r.buf, r.buf_len, &pos, &n, &e), ==, 0);
	g_byte_array_unref(pdu);
}

static void test_renamed(void)
{
	GByteArray *pdu = hexbytes(rsp_renamed);
	struct smb2_change_notify_rsp r;
	g_assert_cmpint(smb2_change_notify_rsp_decode(pdu->data, pdu->len, &r), ==, 0);
	size_t pos = 0;
	unsigned n = 0;
	struct smb2_notify_entry e;
	g_assert_cmpint(smb2_notify_entry_next(r.buf, r.buf_len, &pos, &n, &e), ==, 1);
	g_assert_cmphex(e.action, ==, FILE_ACTION_RENAMED_OLD_NAME);
	g_assert_cmpint(smb2_notify_entry_next(r.buf, r.buf_len, &pos, &n, &e), ==, 1);
	g_assert_cmphex(e.action, ==, FILE_ACTION_RENAMED_NEW_NAME);
	char *name = name_of(&e);
	g_assert_cmpstr(name, ==, "renamed.txt");
	g_free(name);
	g_assert_cmpint(smb2_notify_entry_next(r.buf, r.buf_len, &pos, &n, &e), ==, 0);
	g_assert_cmpuint(n, ==, 2);
	g_byte_array_unref(pdu);
}

static void test_enum_dir(void)
{
	GByteArray *pdu = hexbytes(rsp_enum_dir);
	g_assert_cmphex(sf_le32(pdu->data + 8), ==, STATUS_NOTIFY_ENUM_DIR);
	/* an informational status whose body is ERROR-shaped: not a notify body */
	struct smb2_change_notify_rsp r;
	g_assert_cmpint(smb2_change_notify_rsp_decode(pdu->data, pdu->len, &r), ==, 0);
	g_assert_null(r.buf);
	g_assert_cmpuint(r.buf_len, ==, 0);
	g_byte_array_unref(pdu);
}

/* Malformed chains: every variant is refused, none reads outside. */
static void test_malformed(void)
{
	GByteArray *pdu = hexbytes(rsp_renamed);
	struct smb2_change_notify_rsp r;
	g_assert_cmpint(smb2_change_notify_rsp_decode(pdu->data, pdu->len, &r), ==, 0);
	uint8_t *b = g_memdup2(r.buf, r.buf_len);
	size_t len = r.buf_len, pos;
	unsigned n;
	struct smb2_notify_entry e;
	struct {
		size_t at;
		uint32_t val;
	} bad[] = {
	        {0, 2},          /* NextEntryOffset inside the fixed part */
	        {0, 42},         /* not 4-aligned */
	        {0, 0x1000},     /* past the buffer */
	        {8, 29},         /* odd name length */
	        {8, 0},          /* empty name */
	        {8, 40},         /* name longer than its entry */
	        {40 + 8, 0x100}, /* the last name past the buffer */
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		uint8_t *c = g_memdup2(b, len);
		sf_put_le32(c + bad[i].at, bad[i].val);
		pos = 0;
		n = 0;
		int rc;
		while ((rc = smb2_notify_entry_next(c, len, &pos, &n, &e)) == 1)
			g_assert_true(e.name >= c && e.name + e.name_len <= c + len);
		g_assert_cmpint(rc, ==, -EPROTO);
		g_free(c);
	}
	/* a truncated buffer */
	pos = 0;
	n = 0;
	g_assert_cmpint(smb2_notify_entry_next(b, 11, &pos, &n, &e), ==, -EPROTO);
	/* the buffer offset of the response outside the PDU */
	sf_put_le16(pdu->data + 64 + 2, 0xfff0);
	g_assert_cmpint(smb2_change_notify_rsp_decode(pdu->data, pdu->len, &r), ==, -EPROTO);
	g_free(b);
	g_byte_array_unref(pdu);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/notify/req", test_req);
	g_test_add_func("/notify/added", test_added);
	g_test_add_func("/notify/renamed", test_renamed);
	g_test_add_func("/notify/enum_dir", test_enum_dir);
	g_test_add_func("/notify/malformed", test_malformed);
	return g_test_run();
}
