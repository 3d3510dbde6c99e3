/* test_reparse.c - link reparse points (MS-FSCC 2.1.2.4-2.1.2.7), the
 * Symbolic Link Error Response (MS-SMB2 2.2.2.2.1), and the mapping of
 * link targets between POSIX and SMB. The symlink buffer vector is what
 * Samba 4.22's own client (smbclient "symlink foo lnk1") stored on the
 * server: an independent encoder of the same MS-FSCC layout. */
#include "fs/linktarget.h"
#include "proto/reparse.h"
#include "util/bytes.h"
#include "util/utf16.h"
#include "vectors.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

static GByteArray *hex(const char *h)
{
	return hexbytes(h);
}

static char *u16_to_str(const uint8_t *p, size_t n)
{
	return sf_utf16_to_utf8(p, n);
}

/* smbclient 4.22: symlink foo lnk1 (relative flag set). */
#define SAMBA_FOO                                                                                  \
	"0c0000a0180000000000060006000600010000"                                                   \
	"0066006f006f0066006f006f00"

static void test_symlink_encode_matches_samba(void)
{
	GByteArray *want = hex(SAMBA_FOO);
	size_t tlen, len;
	uint8_t *t = sf_utf8_to_utf16("foo", -1, &tlen);
	uint8_t *got = smb2_symlink_reparse_encode(t, tlen, SYMLINK_FLAG_RELATIVE, &len);
	g_assert_nonnull(got);
	g_assert_cmpmem(got, len, want->data, want->len);
	g_free(got);
	g_free(t);
	g_byte_array_unref(want);
}

static void test_symlink_decode(void)
{
	GByteArray *b = hex(SAMBA_FOO);
	struct smb2_link l;
	g_assert_cmpint(smb2_reparse_decode(b->data, b->len, &l), ==, 0);
	g_assert_cmphex(l.tag, ==, IO_REPARSE_TAG_SYMLINK);
	g_assert_cmphex(l.flags, ==, SYMLINK_FLAG_RELATIVE);
	g_assert_false(l.utf8);
	char *s = u16_to_str(l.target, l.target_len);
	g_assert_cmpstr(s, ==, "foo");
	g_free(s);
	s = u16_to_str(l.print, l.print_len);
	g_assert_cmpstr(s, ==, "foo");
	g_free(s);
	/* Every truncation is refused, never read past. */
	for (guint n = 0; n < b->len; n++)
		g_assert_cmpint(smb2_reparse_decode(b->data, n, &l), ==, -EPROTO);
	/* SubstituteName past the PathBuffer. */
	GByteArray *bad = hex(SAMBA_FOO);
	sf_put_le16(bad->data + 8, 8); /* offset 8 + length 6 > 12 */
	g_assert_cmpint(smb2_reparse_decode(bad->data, bad->len, &l), ==, -EPROTO);
	/* odd name length */
	memcpy(bad->data, b->data, b->len);
	sf_put_le16(bad->data + 10, 5);
	g_assert_cmpint(smb2_reparse_decode(bad->data, bad->len, &l), ==, -EPROTO);
	/* ReparseDataLength beyond the buffer */
	memcpy(bad->data, b->data, b->len);
	sf_put_le16(bad->data + 4, 0x19);
	g_assert_cmpint(smb2_reparse_decode(bad->data, bad->len, &l), ==, -EPROTO);
	/* empty substitute name */
	memcpy(bad->data, b->data, b->len);
	sf_put_le16(bad->data + 10, 0);
	g_assert_cmpint(smb2_reparse_decode(bad->data, bad->len, &l), ==, -EPROTO);
	g_byte_array_unref(bad);
	g_byte_array_unref(b);
}

static void test_other_link_kinds(void)
{
	struct smb2_link l;
	char *s;
	/* Junction (2.1.2.5): "\??\C:\x" then NUL, print name "C:\x" then NUL. */
	GByteArray *j = hex("030000a0"
	                    "2400"
	                    "0000"
	                    "0000"
	                    "1000"
	                    "1200"
	                    "0800"
	                    "5c003f003f005c0043003a005c007800"
	                    "0000"
	                    "43003a005c007800"
	                    "0000");
	g_assert_cmpint(smb2_reparse_decode(j->data, j->len, &l), ==, 0);
	g_assert_cmphex(l.tag, ==, IO_REPARSE_TAG_MOUNT_POINT);
	s = sf_link_to_posix(&l);
	g_assert_cmpstr(s, ==, "C:/x");
	g_free(s);
	/* LX symlink (2.1.2.7): Version 2, then UTF-8. */
	GByteArray *lx = hex("1d0000a0"
	                     "0a00"
	                     "0000"
	                     "02000000"
	                     "2e2e2f612f62");
	g_assert_cmpint(smb2_reparse_decode(lx->data, lx->len, &l), ==, 0);
	g_assert_true(l.utf8);
	s = sf_link_to_posix(&l);
	g_assert_cmpstr(s, ==, "../a/b");
	g_free(s);
	sf_put_le32(lx->data + 8, 1); /* unknown version */
	g_assert_cmpint(smb2_reparse_decode(lx->data, lx->len, &l), ==, -EPROTO);
	/* NFS (2.1.2.6): type NFS_SPECFILE_LNK, then a UTF-16 POSIX path. */
	GByteArray *nfs = hex("14000080"
	                      "1000"
	                      "0000"
	                      "4c4e4b0100000000"
	                      "2f0061005c006200");
	g_assert_cmpint(smb2_reparse_decode(nfs->data, nfs->len, &l), ==, 0);
	s = sf_link_to_posix(&l);
	g_assert_cmpstr(s, ==, "/a\\b"); /* POSIX already: a backslash is a name byte */
	g_free(s);
	nfs->data[8] = 'C'; /* NFS_SPECFILE_CHR: a device, not a link */
	g_assert_cmpint(smb2_reparse_decode(nfs->data, nfs->len, &l), ==, -ENOLINK);
	/* A tag that is not a link at all (IO_REPARSE_TAG_DEDUP). */
	GByteArray *dd = hex("13000080"
	                     "0400"
	                     "0000"
	                     "01020304");
	g_assert_cmpint(smb2_reparse_decode(dd->data, dd->len, &l), ==, -ENOLINK);
	g_assert_cmphex(l.tag, ==, 0x80000013u);
	g_assert_false(smb2_reparse_tag_is_link(0x80000013u));
	g_assert_true(smb2_reparse_tag_is_link(IO_REPARSE_TAG_SYMLINK));
	g_assert_true(smb2_reparse_tag_is_link(IO_REPARSE_TAG_LX_SYMLINK));
	g_byte_array_unref(j);
	g_byte_array_unref(lx);
	g_byte_array_unref(nfs);
	g_byte_array_unref(dd);
}

/* A Symbolic Link Error Response laid out from MS-SMB2 2.2.2.2.1 for the
 * absolute link "\??\C:\t" (PrintName "C:\t"), 4 path bytes unparsed. */
static GByteArray *symlink_error(void)
{
	GByteArray *body = hex("53594d4c"
	                       "0c0000a0"
	                       "0000"
	                       "0400" /* tag, reparse, len, unparsed */
	                       "0800"
	                       "1000"
	                       "0000"
	                       "0800"                               /* subst 8/16, print 0/8 */
	                       "00000000"                           /* flags: absolute */
	                       "43003a005c007400"                   /* C:\t */
	                       "5c003f003f005c0043003a005c007400"); /* \??\C:\t */
	GByteArray *b = g_byte_array_new();
	uint8_t n[4];
	sf_put_le32(n, body->len);
	g_byte_array_append(b, n, 4);
	g_byte_array_append(b, body->data, body->len);
	g_byte_array_unref(body);
	return b;
}

static void test_symlink_error_response(void)
{
	GByteArray *b = symlink_error();
	struct smb2_link l;
	g_assert_cmpint(smb2_symlink_error_decode(b->data, b->len, 0, &l), ==, 0);
	g_assert_cmpuint(l.unparsed_len, ==, 4);
	g_assert_cmphex(l.flags, ==, 0);
	char *s = sf_link_to_posix(&l);
	g_assert_cmpstr(s, ==, "C:/t");
	g_free(s);
	for (guint n = 0; n < b->len; n++)
		g_assert_cmpint(smb2_symlink_error_decode(b->data, n, 0, &l), ==, -EPROTO);
	/* SMB 3.1.1: inside an ERROR Context Response (ErrorId 0), after a
	 * context of another id, each 8-byte aligned. */
	GByteArray *c = g_byte_array_new();
	uint8_t h[8];
	sf_put_le32(h, 3);
	sf_put_le32(h + 4, 0x72645253); /* SMB2_ERROR_ID_SHARE_REDIRECT */
	g_byte_array_append(c, h, 8);
	g_byte_array_append(c, (const guint8 *)"abc\0\0\0\0\0", 8); /* 3 bytes + padding */
	sf_put_le32(h, b->len);
	sf_put_le32(h + 4, 0);
	g_byte_array_append(c, h, 8);
	g_byte_array_append(c, b->data, b->len);
	g_assert_cmpint(smb2_symlink_error_decode(c->data, c->len, 2, &l), ==, 0);
	s = sf_link_to_posix(&l);
	g_assert_cmpstr(s, ==, "C:/t");
	g_free(s);
	/* only the other context: no link */
	g_assert_cmpint(smb2_symlink_error_decode(c->data, c->len, 1, &l), ==, -EPROTO);
	/* a context length running past the data */
	sf_put_le32(c->data, 1000);
	g_assert_cmpint(smb2_symlink_error_decode(c->data, c->len, 2, &l), ==, -EPROTO);
	/* wrong error tag */
	b->data[4] ^= 1;
	g_assert_cmpint(smb2_symlink_error_decode(b->data, b->len, 0, &l), ==, -EPROTO);
	g_assert_cmpint(smb2_symlink_error_decode(NULL, 0, 0, &l), ==, -EPROTO);
	g_byte_array_unref(b);
	g_byte_array_unref(c);
}

static char *round_trip(const char *target, uint32_t *flags)
{
	size_t tlen, len;
	uint8_t *t = sf_link_from_posix(target, flags, &tlen);
	g_assert_nonnull(t);
	uint8_t *buf = smb2_symlink_reparse_encode(t, tlen, *flags, &len);
	g_assert_nonnull(buf);
	struct smb2_link l;
	g_assert_cmpint(smb2_reparse_decode(buf, len, &l), ==, 0);
	char *s = sf_link_to_posix(&l);
	g_free(buf);
	g_free(t);
	return s;
}

static void test_targets(void)
{
	const char *targets[] = {"foo", "../a/b", "/abs/path", "with space", "ünï/目标", "."};
	for (size_t i = 0; i < G_N_ELEMENTS(targets); i++) {
		uint32_t flags;
		char *s = round_trip(targets[i], &flags);
		g_assert_cmpstr(s, ==, targets[i]);
		g_assert_cmphex(flags, ==, targets[i][0] == '/' ? 0 : SYMLINK_FLAG_RELATIVE);
		g_free(s);
	}
	/* On the wire the separator is '\'. */
	uint32_t flags;
	size_t tlen;
	uint8_t *t = sf_link_from_posix("a/b", &flags, &tlen);
	char *wire = sf_utf16_to_utf8(t, tlen);
	g_assert_cmpstr(wire, ==, "a\\b");
	g_free(wire);
	g_free(t);
	g_assert_null(sf_link_from_posix("", &flags, &tlen));
	/* too long for the 16 KiB reparse buffer */
	char *big = g_strnfill(5000, 'x');
	t = sf_link_from_posix(big, &flags, &tlen);
	size_t len;
	g_assert_null(smb2_symlink_reparse_encode(t, tlen, flags, &len));
	g_free(t);
	g_free(big);
	/* A NUL inside a target from the server is refused. */
	GByteArray *b = hex("0c0000a0"
	                    "1800"
	                    "0000"
	                    "0000"
	                    "0600"
	                    "0600"
	                    "0600"
	                    "01000000"
	                    "610000006200"
	                    "610000006200"); /* "a\0b" */
	struct smb2_link l;
	g_assert_cmpint(smb2_reparse_decode(b->data, b->len, &l), ==, 0);
	g_assert_null(sf_link_to_posix(&l));
	g_byte_array_unref(b);
	/* and bad UTF-8 in an LX symlink */
	GByteArray *lx = hex("1d0000a0"
	                     "0600"
	                     "0000"
	                     "02000000"
	                     "ff2f");
	g_assert_cmpint(smb2_reparse_decode(lx->data, lx->len, &l), ==, 0);
	g_assert_null(sf_link_to_posix(&l));
	g_byte_array_unref(lx);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/reparse/symlink_encode_matches_samba", test_symlink_encode_matches_samba);
	g_test_add_func("/reparse/symlink_decode", test_symlink_decode);
	g_test_add_func("/reparse/other_link_kinds", test_other_link_kinds);
	g_test_add_func("/reparse/symlink_error_response", test_symlink_error_response);
	g_test_add_func("/reparse/targets", test_targets);
	return g_test_run();
}
