/* special.c - the operations beyond open/read/write: server-side copy,
 * sparse files (zeroing, allocated ranges), hard links, extended
 * attributes and small whole-file reads and writes (for mfsymlinks). */
#define G_LOG_DOMAIN "smbfuse-fs"

#include "fs/call.h"
#include "fs/later.h"

#include "proto/create.h"
#include "proto/ea.h"
#include "proto/fscc.h"
#include "proto/info.h"
#include "proto/io.h"
#include "proto/ioctl.h"
#include "proto/ntstatus.h"
#include "proto/ranges.h"
#include "util/bytes.h"
#include "util/utf16.h"

#include <errno.h>
#include <string.h>

/* ---- IOCTL on an open file ---------------------------------------------- */

static void ioctl_done(struct call *c)
{
	sf_fs_data_fn cb = c->cb;
	size_t len;
	const uint8_t *pdu = call_pdu(c, 0, &len);
	struct smb2_ioctl_rsp io;
	if (c->st[0])
		cb(c->user, sf_fs_errno(c->st[0]), NULL, 0);
	else if (!pdu || smb2_ioctl_rsp_decode(pdu, len, &io) != 0)
		cb(c->user, EIO, NULL, 0);
	else
		cb(c->user, 0, io.out, io.out_len);
}

void sf_fs_ioctl(sf_fs *fs, struct sf_fs_handle *h, uint32_t code, const uint8_t *in, size_t in_len,
                 uint32_t max_out, sf_fs_data_fn cb, void *user)
{
	FS_ROUTE_H(fs, h, later_data, cb, user);
	struct sf_req_spec s;
	ioctl_spec(&s, h->fid, code, in, in_len, max_out);
	call_run(call_new(fs, ioctl_done, cb, user), &s, 1);
}

/* ---- server-side copy (MS-SMB2 3.2.4.20.2) ----------------------------- */

/* Samba's and Windows' defaults: 1 MiB chunks, 16 MiB per request. */
#define CHUNK_LEN  (1u << 20)
#define CHUNKS_MAX 16

struct copy_op {
	sf_fs *fs;
	struct sf_fs_handle *dst;
	uint8_t key[24];
	uint64_t src_off, dst_off, left, copied;
	uint64_t asked; /* bytes the request in flight covers */
	sf_fs_count_fn cb;
	void *user;
};

static void copy_next(struct copy_op *o);

static void copy_chunk_done(void *user, int err, const uint8_t *out, size_t len)
{
	struct copy_op *o = user;
	struct smb2_copychunk_rsp r;
	if (!err && smb2_copychunk_rsp_decode(out, len, &r) != 0)
		err = EIO;
	if (!err && r.total_bytes_written == 0 && o->left)
		err = EIO; /* no progress: do not loop */
	if (!err && r.total_bytes_written > o->asked)
		err = EIO; /* more than asked: the server's count is not believed */
	if (err) {
		/* Report what was copied; the caller falls back for the rest. */
		o->cb(o->user, o->copied ? 0 : err, o->copied);
		g_free(o);
		return;
	}
	o->copied += r.total_bytes_written;
	o->src_off += r.total_bytes_written;
	o->dst_off += r.total_bytes_written;
	o->left -= MIN(o->left, r.total_bytes_written);
	copy_next(o);
}

static void copy_next(struct copy_op *o)
{
	if (!o->left) {
		o->cb(o->user, 0, o->copied);
		g_free(o);
		return;
	}
	struct smb2_copychunk ch[CHUNKS_MAX];
	size_t n = 0;
	uint64_t s = o->src_off, d = o->dst_off, left = o->left;
	while (left && n < CHUNKS_MAX) {
		uint32_t len = (uint32_t)MIN(left, (uint64_t)CHUNK_LEN);
		ch[n].src_off = s, ch[n].dst_off = d, ch[n].len = len;
		s += len, d += len, left -= len, n++;
	}
	o->asked = o->left - left;
	size_t in_len;
	uint8_t *in = smb2_copychunk_encode(o->key, ch, n, &in_len);
	sf_fs_ioctl(o->fs, o->dst, FSCTL_SRV_COPYCHUNK_WRITE, in, in_len, 12, copy_chunk_done, o);
	g_free(in);
}

static void copy_key_done(void *user, int err, const uint8_t *out, size_t len)
{
	struct copy_op *o = user;
	if (!err && smb2_resume_key_decode(out, len, o->key) != 0)
		err = EIO;
	if (err) {
		o->cb(o->user, err == EINVAL ? EOPNOTSUPP : err, 0);
		g_free(o);
		return;
	}
	copy_next(o);
}

void sf_fs_copy(sf_fs *fs, struct sf_fs_handle *src, uint64_t src_off, struct sf_fs_handle *dst,
                uint64_t dst_off, uint64_t len, sf_fs_count_fn cb, void *user)
{
	if (fs->root) {
		sf_fs *a = fs, *b = fs;
		if (fs_route_handle(&a, src) || fs_route_handle(&b, dst)) {
			later_count(fs, cb, user, EBADF);
			return;
		}
		if (a != b) { /* two shares: the kernel copies by reading and writing */
			later_count(fs, cb, user, EXDEV);
			return;
		}
		fs = a;
	}
	struct copy_op *o = g_new0(struct copy_op, 1);
	o->fs = fs;
	o->dst = dst;
	o->src_off = src_off;
	o->dst_off = dst_off;
	o->left = len;
	o->cb = cb;
	o->user = user;
	sf_fs_ioctl(fs, src, FSCTL_SRV_REQUEST_RESUME_KEY, NULL, 0, 32, copy_key_done, o);
}

/* ---- sparse files ------------------------------------------------------- */

struct zero_op {
	sf_fs *fs;
	struct sf_fs_handle *h;
	uint64_t off, len;
	sf_fs_err_fn cb;
	void *user;
};

static void zero_data_done(void *user, int err, const uint8_t *out, size_t len)
{
	struct zero_op *z = user;
	z->cb(z->user, err);
	g_free(z);
}

/* FSCTL_SET_SPARSE first, so that zeroed ranges become holes; a server or
 * filesystem without sparse files refuses it, and zeroing still works
 * (it then writes zeros). */
static void sparse_done(void *user, int err, const uint8_t *out, size_t len)
{
	struct zero_op *z = user;
	uint8_t in[16];
	sf_put_le64(in, z->off);
	sf_put_le64(in + 8, z->off + z->len); /* BeyondFinalZero */
	sf_fs_ioctl(z->fs, z->h, FSCTL_SET_ZERO_DATA, in, 16, 0, zero_data_done, z);
}

void sf_fs_zero_range(sf_fs *fs, struct sf_fs_handle *h, uint64_t off, uint64_t len,
                      sf_fs_err_fn cb, void *user)
{
	FS_ROUTE_H(fs, h, later_err, cb, user);
	struct zero_op *z = g_new(struct zero_op, 1);
	*z = (struct zero_op){.fs = fs, .h = h, .off = off, .len = len, .cb = cb, .user = user};
	uint8_t sparse = 1;
	sf_fs_ioctl(fs, h, FSCTL_SET_SPARSE, &sparse, 1, 0, sparse_done, z);
}

static void ranges_done(void *user, int err, const uint8_t *out, size_t len)
{
	void **p = user;
	sf_fs_ranges_fn cb = (sf_fs_ranges_fn)(uintptr_t)p[0];
	void *u = p[1];
	g_free(p);
	if (err) {
		cb(u, err, NULL);
		return;
	}
	size_t max = len / SMB2_RANGE_BUFFER_LEN + 1;
	struct smb2_range *dec = g_new(struct smb2_range, max);
	int n = smb2_ranges_decode(out, len, dec, max);
	GArray *r = g_array_new(FALSE, FALSE, sizeof(struct sf_fs_range));
	for (int i = 0; i < n; i++) {
		struct sf_fs_range x = {.off = dec[i].off, .len = dec[i].len};
		g_array_append_val(r, x);
	}
	g_free(dec);
	cb(u, n < 0 ? EIO : 0, r); /* a hostile list is an I/O error, not a guess */
	g_array_unref(r);
}

void sf_fs_allocated_ranges(sf_fs *fs, struct sf_fs_handle *h, uint64_t off, uint64_t len,
                            sf_fs_ranges_fn cb, void *user)
{
	FS_ROUTE_H(fs, h, later_ranges, cb, user);
	uint8_t in[16];
	sf_put_le64(in, off);
	sf_put_le64(in + 8, len);
	void **p = g_new(void *, 2);
	p[0] = (void *)(uintptr_t)cb;
	p[1] = user;
	sf_fs_ioctl(fs, h, FSCTL_QUERY_ALLOCATED_RANGES, in, 16, 64 * 1024, ranges_done, p);
}

void sf_fs_set_size(sf_fs *fs, struct sf_fs_handle *h, uint64_t size, sf_fs_err_fn cb, void *user)
{
	FS_ROUTE_H(fs, h, later_err, cb, user);
	uint8_t eof[8];
	sf_put_le64(eof, size);
	struct sf_req_spec s;
	set_info_spec(&s, h->fid, FILE_END_OF_FILE_INFORMATION, eof, 8);
	call_run(call_new(fs, err_done, cb, user), &s, 1);
}

/* ---- hard links (MS-FSCC 2.4.28.2) ------------------------------------- */

static void link_done(struct call *c)
{
	sf_fs_stat_fn cb = c->cb;
	/* Part 3, the attribute tag query, may fail alone (see setattr). */
	uint32_t s = c->st[0] ? c->st[0] : c->st[1] ? c->st[1] : c->st[2] ? c->st[2] : c->st[4];
	struct stat st;
	int err = s ? sf_fs_errno(s) : all_info_stat(c, 2, &st);
	if (!err && tag_part_is_link(c, 3))
		sf_fs_mark_link(&st, (size_t)st.st_size);
	cb(c->user, err, err ? NULL : &st);
}

void sf_fs_link(sf_fs *fs, const char *from, const char *to, sf_fs_stat_fn cb, void *user)
{
	FS_ROUTE2(fs, from, to, later_stat, cb, user);
	struct sf_req_spec s[5];
	int err = 0;
	size_t nlen, ilen;
	uint8_t *newname = fs_server_path(fs, to, &nlen, &err);
	if (!newname ||
	    !create_spec(fs, &s[0], from,
	                 FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES | SYNCHRONIZE, FILE_OPEN,
	                 FILE_NON_DIRECTORY_FILE | FILE_OPEN_REPARSE_POINT, &err)) {
		g_free(newname);
		later_stat(fs, cb, user, err);
		return;
	}
	/* FileLinkInformation has the rename layout: never replace. */
	uint8_t *info = smb2_rename_info_encode(false, newname, nlen, &ilen);
	set_info_spec(&s[1], SMB2_FILEID_ANY, FILE_LINK_INFORMATION, info, ilen);
	query_all_spec(&s[2], SMB2_FILEID_ANY);
	query_tag_spec(&s[3], SMB2_FILEID_ANY);
	close_spec(&s[4], SMB2_FILEID_ANY);
	g_free(info);
	g_free(newname);
	call_run(call_new(fs, link_done, cb, user), s, 5);
}

/* ---- extended attributes ---------------------------------------------- */

static void xattr_free(gpointer p)
{
	struct sf_fs_xattr *x = p;
	g_free(x->name);
	g_bytes_unref(x->value);
	g_free(x);
}

static void getea_done(struct call *c)
{
	sf_fs_xattrs_fn cb = c->cb;
	uint32_t s = c->st[0] ? c->st[0] : c->st[1];
	GPtrArray *list = g_ptr_array_new_with_free_func(xattr_free);
	if (s == STATUS_NO_EAS_ON_FILE) {
		cb(c->user, 0, list);
		g_ptr_array_unref(list);
		return;
	}
	if (s) {
		cb(c->user, sf_fs_errno(s), NULL);
		g_ptr_array_unref(list);
		return;
	}
	size_t len;
	const uint8_t *pdu = call_pdu(c, 1, &len);
	struct smb2_query_info_rsp q;
	int err = 0;
	if (!pdu || smb2_query_info_rsp_decode(pdu, len, &q) != 0) {
		err = EIO;
	} else {
		size_t pos = 0;
		struct smb2_ea e;
		int r;
		while ((r = smb2_ea_next(q.buf, q.buf_len, &pos, &e)) == 1) {
			struct sf_fs_xattr *x = g_new(struct sf_fs_xattr, 1);
			x->name = g_strndup(e.name, e.name_len);
			x->value = g_bytes_new(e.value, e.value_len);
			g_ptr_array_add(list, x);
		}
		if (r < 0)
			err = EIO;
	}
	cb(c->user, err, err ? NULL : list);
	g_ptr_array_unref(list);
}

void sf_fs_getxattrs(sf_fs *fs, const char *path, sf_fs_xattrs_fn cb, void *user)
{
	if (fs->root && fs_root_getxattrs(fs, path, cb, user))
		return;
	FS_ROUTE(fs, path, FS_USE, later_xattrs, cb, user);
	struct sf_req_spec s[3];
	int err = 0;
	if (!create_spec(fs, &s[0], path, FILE_READ_EA | FILE_READ_ATTRIBUTES | SYNCHRONIZE,
	                 FILE_OPEN, FILE_OPEN_REPARSE_POINT, &err)) {
		later_xattrs(fs, cb, user, err);
		return;
	}
	size_t blen;
	uint32_t out = 65536;
	memset(&s[1], 0, sizeof s[1]);
	s[1].command = SMB2_QUERY_INFO;
	s[1].expect_rsp = out;
	s[1].body = smb2_query_info_req_encode(SMB2_FILEID_ANY, SMB2_0_INFO_FILE,
	                                       FILE_FULL_EA_INFORMATION, out, 0, &blen);
	s[1].body_len = blen;
	close_spec(&s[2], SMB2_FILEID_ANY);
	call_run(call_new(fs, getea_done, cb, user), s, 3);
}

void sf_fs_setxattr(sf_fs *fs, const char *path, const char *name, const void *value, size_t len,
                    sf_fs_err_fn cb, void *user)
{
	FS_ROUTE(fs, path, FS_USE, later_err, cb, user);
	size_t ilen;
	uint8_t *info = smb2_ea_encode_one(name, value, len, &ilen);
	if (!info) {
		later_err(fs, cb, user, len > 0xFFFF ? E2BIG : ERANGE);
		return;
	}
	struct sf_req_spec s[3];
	int err = 0;
	if (!create_spec(fs, &s[0], path, FILE_WRITE_EA | FILE_READ_ATTRIBUTES | SYNCHRONIZE,
	                 FILE_OPEN, FILE_OPEN_REPARSE_POINT, &err)) {
		g_free(info);
		later_err(fs, cb, user, err);
		return;
	}
	set_info_spec(&s[1], SMB2_FILEID_ANY, FILE_FULL_EA_INFORMATION, info, ilen);
	close_spec(&s[2], SMB2_FILEID_ANY);
	g_free(info);
	call_run(call_new(fs, err_done, cb, user), s, 3);
}

/* ---- small whole files (mfsymlinks) ----------------------------------- */

static void small_read_done(struct call *c)
{
	sf_fs_data_fn cb = c->cb;
	uint32_t s = c->st[0] ? c->st[0] : c->st[1];
	size_t len;
	const uint8_t *pdu = call_pdu(c, 1, &len);
	struct smb2_read_rsp r;
	if (s == STATUS_END_OF_FILE)
		cb(c->user, 0, NULL, 0);
	else if (s)
		cb(c->user, sf_fs_errno(s), NULL, 0);
	else if (!pdu || smb2_read_rsp_decode(pdu, len, &r) != 0)
		cb(c->user, EIO, NULL, 0);
	else
		cb(c->user, 0, r.data, r.data_len);
}

void sf_fs_read_small(sf_fs *fs, const char *path, size_t max, sf_fs_data_fn cb, void *user)
{
	FS_ROUTE(fs, path, FS_USE, later_data, cb, user);
	struct sf_req_spec s[3];
	int err = 0;
	if (!create_spec(fs, &s[0], path, FILE_READ_DATA | FILE_READ_ATTRIBUTES | SYNCHRONIZE,
	                 FILE_OPEN, FILE_NON_DIRECTORY_FILE, &err)) {
		later_data(fs, cb, user, err);
		return;
	}
	size_t blen;
	memset(&s[1], 0, sizeof s[1]);
	s[1].command = SMB2_READ;
	s[1].expect_rsp = max;
	s[1].body = smb2_read_req_encode(SMB2_FILEID_ANY, 0, (uint32_t)max, &blen);
	s[1].body_len = blen;
	close_spec(&s[2], SMB2_FILEID_ANY);
	call_run(call_new(fs, small_read_done, cb, user), s, 3);
}

static void small_write_done(struct call *c)
{
	sf_fs_stat_fn cb = c->cb;
	uint32_t s = call_status(c);
	struct stat st;
	int err = s ? sf_fs_errno(s) : all_info_stat(c, 2, &st);
	cb(c->user, err, err ? NULL : &st);
}

void sf_fs_create_small(sf_fs *fs, const char *path, const void *data, size_t len, sf_fs_stat_fn cb,
                        void *user)
{
	FS_ROUTE(fs, path, FS_CREATE, later_stat, cb, user);
	struct sf_req_spec s[4];
	int err = 0;
	if (!create_spec(fs, &s[0], path,
	                 FILE_WRITE_DATA | FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES |
	                         SYNCHRONIZE,
	                 FILE_CREATE, FILE_NON_DIRECTORY_FILE, &err)) {
		later_stat(fs, cb, user, err);
		return;
	}
	size_t blen;
	memset(&s[1], 0, sizeof s[1]);
	s[1].command = SMB2_WRITE;
	s[1].body = smb2_write_req_encode(SMB2_FILEID_ANY, 0, data, len, &blen);
	s[1].body_len = blen;
	query_all_spec(&s[2], SMB2_FILEID_ANY);
	close_spec(&s[3], SMB2_FILEID_ANY);
	call_run(call_new(fs, small_write_done, cb, user), s, 4);
}
