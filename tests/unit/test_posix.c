/* test_posix.c - the SMB 3.1.1 POSIX extension codecs (proto/posix.h) and
 * POSIX pathnames: known answers from Samba 4.22 (posix_vectors.h),
 * round trips, and malformed input. */
#include "posix_vectors.h"
#include "proto/create.h"
#include "proto/dir.h"
#include "proto/info.h"
#include "proto/negotiate.h"
#include "proto/posix.h"
#include "proto/reparse.h"
#include "util/bytes.h"
#include "util/utf16.h"
#include "vectors.h"

#include <errno.h>
#include <glib.h>
#include <string.h>
#include <sys/stat.h>

static void test_negotiate_context(void)
{
	GByteArray *a = hexbytes(SAMBA_POSIX_NEGOTIATE_RSP);
	struct smb2_negotiate_rsp r;
	g_assert_cmpint(smb2_negotiate_rsp_decode(a->data, a->len, &r), ==, 0);
	g_assert_cmphex(r.dialect, ==, 0x0311);
	g_assert_true(r.has_posix);
	/* A different GUID is another version: not ours. */
	a->data[a->len - 1] ^= 1;
	g_assert_cmpint(smb2_negotiate_rsp_decode(a->data, a->len, &r), ==, 0);
	g_assert_false(r.has_posix);
	g_byte_array_unref(a);

	/* The request carries it as the last context, with the GUID. */
	struct smb2_negotiate_req q = {.dialects = {0x0311}, .dialect_count = 1, .posix = true};
	size_t n;
	uint8_t *b = smb2_negotiate_req_encode(&q, &n);
	g_assert_cmpuint(n, >=, 24);
	g_assert_cmpmem(b + n - 16, 16, smb2_posix_tag, 16);
	g_assert_cmphex(sf_le16(b + n - 24), ==, SMB2_POSIX_EXTENSIONS_AVAILABLE);
	g_assert_cmpuint(sf_le16(b + n - 22), ==, 16);
	g_free(b);
}

static void check_root_cc(const struct smb2_posix_cc *cc)
{
	g_assert_cmphex(cc->mode, ==, 0x11ed); /* type 1 (directory), 0755 */
	g_assert_cmpuint(smb2_posix_mode_to_unix(cc->mode), ==, S_IFDIR | 0755);
	char s[200];
	smb2_sid_format(&cc->owner, s, sizeof s);
	g_assert_cmpstr(s, ==, "S-1-5-21-737505928-3818456756-1594611579-1000");
	uint32_t id;
	g_assert_false(smb2_sid_unix_id(&cc->owner, 1, &id));
	smb2_sid_format(&cc->group, s, sizeof s);
	g_assert_cmpstr(s, ==, "S-1-22-2-0");
	g_assert_true(smb2_sid_unix_id(&cc->group, 2, &id));
	g_assert_cmpuint(id, ==, 0);
	g_assert_false(smb2_sid_unix_id(&cc->group, 1, &id));
}

static void test_create_context(void)
{
	GByteArray *a = hexbytes(SAMBA_POSIX_CREATE_RSP);
	struct smb2_create_rsp r;
	g_assert_cmpint(smb2_create_rsp_decode(a->data, a->len, &r), ==, 0);
	const struct smb2_create_ctx *c = smb2_create_rsp_ctx_named(&r, smb2_posix_tag, 16);
	g_assert_nonnull(c);
	g_assert_null(smb2_create_rsp_ctx(&r, "\x93\xad\x25\x50"));
	struct smb2_posix_cc cc;
	size_t used;
	g_assert_cmpint(smb2_posix_cc_decode(c->data, c->data_len, &cc, &used), ==, 0);
	g_assert_cmpuint(used, ==, c->data_len);
	g_assert_cmpuint(cc.nlink, ==, 3);
	g_assert_cmphex(cc.reparse_tag, ==, 0);
	check_root_cc(&cc);
	/* Every truncation fails cleanly. */
	for (size_t n = 0; n < c->data_len; n++)
		g_assert_cmpint(smb2_posix_cc_decode(c->data, n, &cc, &used), ==, -EPROTO);
	g_byte_array_unref(a);

	/* Request: the 16-byte name, data 8-aligned after it. */
	uint8_t mode[4];
	struct smb2_create_ctx ctx = {.name_len = 16, .data = mode};
	memcpy(ctx.name, smb2_posix_tag, 16);
	ctx.data_len = smb2_posix_create_req_encode(0640, mode);
	uint8_t name[2] = {'a', 0};
	struct smb2_create_req q = {.name = name, .name_len = 2, .ctxs = &ctx, .ctx_count = 1};
	size_t n;
	uint8_t *b = smb2_create_req_encode(&q, &n);
	uint32_t off = sf_le32(b + 48) - 64, len = sf_le32(b + 52);
	g_assert_cmpuint(len, ==, 36);
	struct smb2_create_ctx back[2];
	size_t cnt;
	g_assert_cmpint(smb2_create_ctx_chain_decode(b + off, len, back, 2, &cnt), ==, 0);
	g_assert_cmpuint(cnt, ==, 1);
	g_assert_cmpuint(back[0].name_len, ==, 16);
	g_assert_cmpmem(back[0].name, 16, smb2_posix_tag, 16);
	g_assert_cmpuint(back[0].data - (b + off), ==, 32);
	g_assert_cmpuint(sf_le32(back[0].data), ==, 0640);
	g_free(b);
}

static void test_query_info(void)
{
	GByteArray *a = hexbytes(SAMBA_POSIX_QUERY_INFO_RSP);
	struct smb2_query_info_rsp q;
	g_assert_cmpint(smb2_query_info_rsp_decode(a->data, a->len, &q), ==, 0);
	struct smb2_posix_info pi;
	g_assert_cmpint(smb2_posix_info_decode(q.buf, q.buf_len, &pi), ==, 0);
	g_assert_cmphex(pi.inode, ==, 0xa762cf);
	g_assert_cmphex(pi.device, ==, 0xfe00);
	g_assert_cmpuint(pi.cc.nlink, ==, 2);
	g_assert_true(pi.t.attributes & FILE_ATTRIBUTE_DIRECTORY);
	g_assert_cmpuint(pi.t.creation, !=, 0);
	check_root_cc(&pi.cc);
	/* Round trip through the encoder. */
	size_t n;
	uint8_t *b = smb2_posix_info_encode(&pi, &n);
	g_assert_cmpmem(b, n, q.buf, n);
	g_free(b);
	for (size_t k = 0; k < 80; k++)
		g_assert_cmpint(smb2_posix_info_decode(q.buf, k, &pi), ==, -EPROTO);
	g_byte_array_unref(a);
}

static void test_query_directory(void)
{
	GByteArray *a = hexbytes(SAMBA_POSIX_QUERY_DIR_RSP);
	struct smb2_query_directory_rsp q;
	g_assert_cmpint(smb2_query_directory_rsp_decode(a->data, a->len, &q), ==, 0);
	size_t pos = 0;
	struct smb2_posix_dirent e;
	int seen = 0;
	GHashTable *types = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	while (smb2_posix_dirent_next(q.buf, q.buf_len, &pos, &e) == 1) {
		char *name = sf_utf16_to_utf8(e.name, e.name_len);
		g_hash_table_insert(types, name,
		                    GUINT_TO_POINTER(smb2_posix_mode_to_unix(e.info.cc.mode)));
		seen++;
	}
	g_assert_cmpint(seen, ==, 7);
	g_assert_cmpuint(GPOINTER_TO_UINT(g_hash_table_lookup(types, "dir")), ==, S_IFDIR | 0751);
	g_assert_cmpuint(GPOINTER_TO_UINT(g_hash_table_lookup(types, "fifo")) & S_IFMT, ==,
	                 S_IFIFO);
	g_assert_cmpuint(GPOINTER_TO_UINT(g_hash_table_lookup(types, "ln")) & S_IFMT, ==, S_IFLNK);
	g_assert_cmpuint(GPOINTER_TO_UINT(g_hash_table_lookup(types, "chr")), ==, S_IFCHR | 0600);
	g_assert_cmpuint(GPOINTER_TO_UINT(g_hash_table_lookup(types, "f")) & S_IFMT, ==, S_IFREG);
	g_hash_table_unref(types);
	/* A NextEntryOffset past the end, or not forward, is refused. */
	GByteArray *c = g_byte_array_new();
	g_byte_array_append(c, q.buf, q.buf_len);
	sf_put_le32(c->data, (uint32_t)c->len + 8);
	pos = 0;
	g_assert_cmpint(smb2_posix_dirent_next(c->data, c->len, &pos, &e), ==, -EPROTO);
	sf_put_le32(c->data, 4);
	pos = 0;
	g_assert_cmpint(smb2_posix_dirent_next(c->data, c->len, &pos, &e), ==, -EPROTO);
	g_byte_array_unref(c);
	g_byte_array_unref(a);
}

static void test_sids(void)
{
	struct smb2_sid s, back;
	smb2_sid_from_unix_id(&s, 1, 65534);
	uint8_t buf[8 + 4 * SMB2_SID_MAX_SUB];
	smb2_sid_encode(&s, buf);
	g_assert_cmpuint(smb2_sid_len(&s), ==, 16);
	static const uint8_t want[16] = {1, 2, 0, 0, 0, 0, 0, 22, 1, 0, 0, 0, 0xfe, 0xff, 0, 0};
	g_assert_cmpmem(buf, 16, want, 16);
	size_t pos = 0;
	g_assert_cmpint(smb2_sid_decode(buf, 16, &pos, &back), ==, 0);
	g_assert_cmpuint(pos, ==, 16);
	uint32_t id;
	g_assert_true(smb2_sid_unix_id(&back, 1, &id));
	g_assert_cmpuint(id, ==, 65534);
	/* Too many sub-authorities, a bad revision, truncation. */
	buf[1] = 16;
	pos = 0;
	g_assert_cmpint(smb2_sid_decode(buf, sizeof buf, &pos, &back), ==, -EPROTO);
	buf[1] = 2, buf[0] = 2;
	pos = 0;
	g_assert_cmpint(smb2_sid_decode(buf, 16, &pos, &back), ==, -EPROTO);
	buf[0] = 1;
	pos = 0;
	g_assert_cmpint(smb2_sid_decode(buf, 15, &pos, &back), ==, -EPROTO);
}

static void test_modes(void)
{
	static const mode_t modes[] = {S_IFREG | 0644,  S_IFDIR | 01777, S_IFLNK | 0777,
	                               S_IFCHR | 0600,  S_IFBLK | 0660,  S_IFIFO | 0640,
	                               S_IFSOCK | 0755, S_IFREG | 06755};
	for (size_t i = 0; i < G_N_ELEMENTS(modes); i++)
		g_assert_cmpuint(smb2_posix_mode_to_unix(smb2_posix_mode_from_unix(modes[i])), ==,
		                 modes[i]);
	g_assert_cmphex(smb2_posix_mode_from_unix(S_IFIFO | 0640), ==, 0x5000 | 0640);
	g_assert_cmpuint(smb2_posix_mode_to_unix(0xf000), ==, 0); /* unknown type */
}

static void test_security_descriptors(void)
{
	/* chmod 0666: the descriptor the Linux client sends (its commit
	 * "implement chmod() for SMB3 POSIX Extensions"): control 0x8004,
	 * DACL at 20, one ACE of 28 bytes for S-1-5-88-3-438, mask 0. */
	size_t n;
	uint8_t *sd = smb2_sd_posix_mode_encode(0666, &n);
	g_assert_cmpuint(n, ==, 56);
	g_assert_cmphex(sf_le16(sd + 2), ==, 0x8004);
	g_assert_cmpuint(sf_le32(sd + 16), ==, 20);
	g_assert_cmpuint(sf_le16(sd + 22), ==, 36); /* AclSize */
	g_assert_cmpuint(sf_le16(sd + 24), ==, 1);  /* AceCount */
	g_assert_cmpuint(sf_le16(sd + 30), ==, 28); /* AceSize */
	g_assert_cmpuint(sf_le32(sd + 32), ==, 0);  /* Mask */
	size_t pos = 36;
	struct smb2_sid s;
	g_assert_cmpint(smb2_sid_decode(sd, n, &pos, &s), ==, 0);
	char t[200];
	smb2_sid_format(&s, t, sizeof t);
	g_assert_cmpstr(t, ==, "S-1-5-88-3-438");
	g_free(sd);

	struct smb2_sid o, g;
	smb2_sid_from_unix_id(&o, 1, 7);
	smb2_sid_from_unix_id(&g, 2, 9);
	sd = smb2_sd_owner_group_encode(&o, &g, &n);
	g_assert_cmpuint(n, ==, 52);
	g_assert_cmphex(sf_le16(sd + 2), ==, 0x8000);
	g_assert_cmpuint(sf_le32(sd + 4), ==, 20);
	g_assert_cmpuint(sf_le32(sd + 8), ==, 36);
	pos = 36;
	g_assert_cmpint(smb2_sid_decode(sd, n, &pos, &s), ==, 0);
	uint32_t id;
	g_assert_true(smb2_sid_unix_id(&s, 2, &id) && id == 9);
	g_free(sd);
	sd = smb2_sd_owner_group_encode(NULL, &g, &n);
	g_assert_cmpuint(sf_le32(sd + 4), ==, 0);
	g_assert_cmpuint(sf_le32(sd + 8), ==, 20);
	g_free(sd);
}

static void test_nfs_special(void)
{
	uint8_t b[SMB2_NFS_SPECIAL_MAX];
	size_t n = smb2_nfs_special_reparse_encode(NFS_SPECFILE_CHR, 1, 3, b);
	g_assert_cmpuint(n, ==, 24);
	uint64_t type;
	uint32_t ma, mi;
	g_assert_cmpint(smb2_nfs_special_reparse_decode(b, n, &type, &ma, &mi), ==, 0);
	g_assert_true(type == NFS_SPECFILE_CHR && ma == 1 && mi == 3);
	g_assert_cmpint(smb2_nfs_special_reparse_decode(b, 20, &type, &ma, &mi), ==, -EPROTO);
	n = smb2_nfs_special_reparse_encode(NFS_SPECFILE_FIFO, 0, 0, b);
	g_assert_cmpuint(n, ==, 16);
	g_assert_cmpmem(b + 8, 4, "FIFO", 4);
}

static void test_posix_paths(void)
{
	size_t n;
	int err = 0;
	uint8_t *p = sf_path_to_smb_posix("d/a:b*?<>|\"x. ", &n, &err);
	g_assert_nonnull(p);
	char *back = sf_utf16_to_utf8(p, n);
	g_assert_cmpstr(back, ==, "d/a:b*?<>|\"x. ");
	g_free(back);
	g_free(p);
	p = sf_path_to_smb_posix("CON", &n, &err);
	g_assert_nonnull(p);
	g_free(p);
	p = sf_path_to_smb_posix("x/a\\b", &n, &err);
	back = sf_utf16_to_utf8(p, n);
	g_assert_cmpstr(back, ==, "x/a\\b");
	g_free(back);
	g_free(p);
	/* Without POSIX the same names stay refused. */
	err = 0;
	g_assert_null(sf_path_to_smb("a:b", false, &n, &err));
	g_assert_cmpint(err, ==, EINVAL);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/posix/negotiate_context", test_negotiate_context);
	g_test_add_func("/posix/create_context", test_create_context);
	g_test_add_func("/posix/query_info", test_query_info);
	g_test_add_func("/posix/query_directory", test_query_directory);
	g_test_add_func("/posix/sids", test_sids);
	g_test_add_func("/posix/modes", test_modes);
	g_test_add_func("/posix/security_descriptors", test_security_descriptors);
	g_test_add_func("/posix/nfs_special", test_nfs_special);
	g_test_add_func("/posix/paths", test_posix_paths);
	return g_test_run();
}
