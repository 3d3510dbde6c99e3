/* symlink.c - native symbolic links: reparse points read with
 * FSCTL_GET_REPARSE_POINT (or from a STATUS_STOPPED_ON_SYMLINK error
 * response) and written with FSCTL_SET_REPARSE_POINT, one compound each. */
#define G_LOG_DOMAIN "smbfuse-fs"

#include "fs/call.h"
#include "fs/later.h"
#include "fs/linktarget.h"

#include "proto/create.h"
#include "proto/fscc.h"
#include "proto/info.h"
#include "proto/ioctl.h"
#include "proto/ntstatus.h"
#include "proto/reparse.h"
#include "proto/validate.h"
#include "util/utf16.h"

#include <errno.h>
#include <string.h>

/* ---- targets ------------------------------------------------------------ */

char *sf_link_to_posix(const struct smb2_link *l)
{
	if (l->utf8) {
		if (memchr(l->target, 0, l->target_len) ||
		    !g_utf8_validate((const char *)l->target, (gssize)l->target_len, NULL))
			return NULL;
		return g_strndup((const char *)l->target, l->target_len);
	}
	for (size_t i = 0; i + 1 < l->target_len; i += 2)
		if (l->target[i] == 0 && l->target[i + 1] == 0)
			return NULL; /* NUL cannot be in a POSIX path */
	char *s = sf_utf16_to_utf8(l->target, l->target_len);
	if (!s)
		return NULL;
	if (l->tag == IO_REPARSE_TAG_NFS)
		return s; /* a POSIX path already */
	bool relative = l->tag == IO_REPARSE_TAG_SYMLINK && (l->flags & SYMLINK_FLAG_RELATIVE);
	const char *p = s;
	if (!relative && g_str_has_prefix(p, "\\??\\"))
		p += 4;
	char *out = g_strdup(p);
	g_free(s);
	for (char *q = out; *q; q++)
		if (*q == '\\')
			*q = '/';
	return out;
}

uint8_t *sf_link_from_posix(const char *target, uint32_t *flags, size_t *len)
{
	if (!target[0])
		return NULL;
	*flags = target[0] == '/' ? 0 : SYMLINK_FLAG_RELATIVE;
	char *t = g_strdup(target);
	for (char *q = t; *q; q++)
		if (*q == '/')
			*q = '\\';
	uint8_t *u = sf_utf8_to_utf16(t, -1, len);
	g_free(t);
	return u;
}

/* ---- readlink ----------------------------------------------------------- */

/* The server stopped at the link instead of opening it: the error
 * response carries the target (MS-SMB2 2.2.2.2.1). */
static int target_from_error(const struct call *c, char **out)
{
	size_t len;
	const uint8_t *pdu = call_pdu(c, 0, &len);
	struct smb2_error_rsp er;
	struct smb2_link l;
	if (!pdu || smb2_error_rsp_decode(pdu, len, &er) != 0 ||
	    smb2_symlink_error_decode(er.data, er.data_len, er.context_count, &l) != 0)
		return EIO;
	*out = sf_link_to_posix(&l);
	return *out ? 0 : EIO;
}

static int target_from_ioctl(const struct call *c, char **out)
{
	size_t len;
	const uint8_t *pdu = call_pdu(c, 1, &len);
	struct smb2_ioctl_rsp io;
	struct smb2_link l;
	if (!pdu || smb2_ioctl_rsp_decode(pdu, len, &io) != 0)
		return EIO;
	int r = smb2_reparse_decode(io.out, io.out_len, &l);
	if (r == -ENOLINK)
		return EINVAL; /* a reparse point, but not a link */
	if (r != 0)
		return EIO;
	*out = sf_link_to_posix(&l);
	return *out ? 0 : EIO;
}

static void readlink_done(struct call *c)
{
	sf_fs_link_fn cb = c->cb;
	char *target = NULL;
	int err;
	if (c->st[0] == STATUS_STOPPED_ON_SYMLINK)
		err = target_from_error(c, &target);
	else if (c->st[0])
		err = sf_fs_errno(c->st[0]);
	else if (c->st[1] == STATUS_NOT_A_REPARSE_POINT)
		err = EINVAL; /* readlink(2) on something that is not a link */
	else if (c->st[1])
		err = sf_fs_errno(c->st[1]);
	else
		err = target_from_ioctl(c, &target);
	cb(c->user, err, target);
	g_free(target);
}

void sf_fs_readlink(sf_fs *fs, const char *path, sf_fs_link_fn cb, void *user)
{
	FS_ROUTE(fs, path, FS_USE, later_link, cb, user);
	struct sf_req_spec s[3];
	int err = 0;
	if (!create_spec(fs, &s[0], path, FILE_READ_ATTRIBUTES | SYNCHRONIZE, FILE_OPEN,
	                 FILE_OPEN_REPARSE_POINT, &err)) {
		later_link(fs, cb, user, err);
		return;
	}
	ioctl_spec(&s[1], SMB2_FILEID_ANY, FSCTL_GET_REPARSE_POINT, NULL, 0, SMB2_REPARSE_MAX);
	close_spec(&s[2], SMB2_FILEID_ANY);
	call_run(call_new(fs, readlink_done, cb, user), s, 3);
}

/* ---- symlink ------------------------------------------------------------ */

struct symlink_op {
	sf_fs *fs;
	char *path;
	size_t target_len;
	int err;
	sf_fs_stat_fn cb;
	void *user;
};

static void symlink_op_free(struct symlink_op *o)
{
	g_free(o->path);
	g_free(o);
}

static void removed_after_failure(void *user, int err)
{
	struct symlink_op *o = user;
	if (err)
		g_warning("symlink %s: the server refused the reparse point, and removing the "
		          "empty file left behind failed (%s)",
		          o->path, g_strerror(err));
	o->cb(o->user, o->err, NULL);
	symlink_op_free(o);
}

static void symlink_done(struct call *c)
{
	struct symlink_op *o = c->cb;
	struct stat st;
	if (c->st[0]) {
		o->cb(o->user, sf_fs_errno(c->st[0]), NULL);
	} else if (c->st[1]) {
		/* The file exists but is no link: servers without reparse
		 * point support (Samba before 4.21) say NOT_A_REPARSE_POINT or
		 * INVALID_DEVICE_REQUEST; Windows without the privilege says
		 * PRIVILEGE_NOT_HELD. Remove the empty file again. */
		o->err = c->st[1] == STATUS_ACCESS_DENIED ? EACCES : EPERM;
		sf_fs_unlink(o->fs, o->path, false, removed_after_failure, o);
		return;
	} else {
		int err = c->st[2] ? sf_fs_errno(c->st[2]) : all_info_stat(c, 2, &st);
		if (!err)
			sf_fs_mark_link(&st, o->target_len);
		o->cb(o->user, err, err ? NULL : &st);
	}
	symlink_op_free(o);
}

/* s[0], s[1]: open or create path as a non-directory, the link itself,
 * and make it a symbolic link to target. 0, or an errno. */
static int set_link_specs(sf_fs *fs, struct sf_req_spec *s, const char *path, const char *target,
                          uint32_t disposition)
{
	uint32_t flags;
	size_t tlen, rlen;
	uint8_t *t16 = sf_link_from_posix(target, &flags, &tlen);
	uint8_t *rp = t16 ? smb2_symlink_reparse_encode(t16, tlen, flags, &rlen) : NULL;
	g_free(t16);
	if (!rp)
		return target[0] ? ENAMETOOLONG : ENOENT;
	int err = 0;
	if (create_spec(fs, &s[0], path,
	                FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES | FILE_WRITE_DATA |
	                        SYNCHRONIZE,
	                disposition, FILE_NON_DIRECTORY_FILE | FILE_OPEN_REPARSE_POINT, &err))
		ioctl_spec(&s[1], SMB2_FILEID_ANY, FSCTL_SET_REPARSE_POINT, rp, rlen, 0);
	g_free(rp);
	return err;
}

void sf_fs_symlink(sf_fs *fs, const char *path, const char *target, sf_fs_stat_fn cb, void *user)
{
	FS_ROUTE(fs, path, FS_CREATE, later_stat, cb, user);
	struct sf_req_spec s[4];
	int err = set_link_specs(fs, s, path, target, FILE_CREATE);
	if (err) {
		later_stat(fs, cb, user, err);
		return;
	}
	query_all_spec(&s[2], SMB2_FILEID_ANY);
	close_spec(&s[3], SMB2_FILEID_ANY);
	struct symlink_op *o = g_new0(struct symlink_op, 1);
	o->fs = fs;
	o->path = g_strdup(path);
	o->target_len = strlen(target);
	o->cb = cb;
	o->user = user;
	call_run(call_new(fs, symlink_done, o, NULL), s, 4);
}

/* ---- attributes --------------------------------------------------------- */

void sf_fs_mark_link(struct stat *st, size_t target_len)
{
	st->st_mode = S_IFLNK | 0777;
	st->st_size = (off_t)target_len;
}

bool tag_part_is_link(const struct call *c, int i)
{
	size_t len;
	const uint8_t *pdu = call_pdu(c, i, &len);
	struct smb2_query_info_rsp q;
	uint32_t attrs, tag;
	return c->st[i] == STATUS_SUCCESS && pdu && smb2_query_info_rsp_decode(pdu, len, &q) == 0 &&
	       smb2_attribute_tag_decode(q.buf, q.buf_len, &attrs, &tag) == 0 &&
	       (attrs & FILE_ATTRIBUTE_REPARSE_POINT) && smb2_reparse_tag_is_link(tag);
}

void query_tag_spec(struct sf_req_spec *s, struct smb2_fileid fid)
{
	size_t blen;
	memset(s, 0, sizeof *s);
	s->command = SMB2_QUERY_INFO;
	s->body = smb2_query_info_req_encode(fid, SMB2_0_INFO_FILE, FILE_ATTRIBUTE_TAG_INFORMATION,
	                                     8, 0, &blen);
	s->body_len = blen;
	s->expect_rsp = 8;
}

/* ---- renaming a link ---------------------------------------------------- */

/* Samba 4.21 and 4.22 keep the reparse data of a renamed file but drop its
 * FILE_ATTRIBUTE_REPARSE_POINT, so the link would become an empty file.
 * Read the target first and put it back if the new name lost it. */
struct relink_op {
	sf_fs *fs;
	char *from, *to, *target;
	bool replace;
	sf_fs_err_fn cb;
	void *user;
};

static void relink_finish(struct relink_op *o, int err)
{
	o->cb(o->user, err);
	g_free(o->from);
	g_free(o->to);
	g_free(o->target);
	g_free(o);
}

static void relink_restored(struct call *c)
{
	struct relink_op *o = c->cb;
	uint32_t s = call_status(c);
	if (s)
		g_warning("rename %s -> %s: the server dropped the symbolic link and restoring "
		          "it failed (%s)",
		          o->from, o->to, sf_ntstatus_name(s));
	relink_finish(o, s ? EIO : 0);
}

static void relink_checked(void *user, int err, const char *target)
{
	struct relink_op *o = user;
	(void)target;
	if (err != EINVAL) {
		relink_finish(o, 0); /* still a link (or gone again): nothing to repair */
		return;
	}
	struct sf_req_spec s[3];
	if (set_link_specs(o->fs, s, o->to, o->target, FILE_OPEN) != 0) {
		relink_finish(o, EIO);
		return;
	}
	close_spec(&s[2], SMB2_FILEID_ANY);
	call_run(call_new(o->fs, relink_restored, o, NULL), s, 3);
}

static void relink_renamed(void *user, int err)
{
	struct relink_op *o = user;
	if (err || !o->target)
		relink_finish(o, err);
	else
		sf_fs_readlink(o->fs, o->to, relink_checked, o);
}

static void relink_read(void *user, int err, const char *target)
{
	struct relink_op *o = user;
	o->target = err ? NULL : g_strdup(target);
	sf_fs_rename(o->fs, o->from, o->to, o->replace, relink_renamed, o);
}

void sf_fs_rename_link(sf_fs *fs, const char *from, const char *to, bool replace, sf_fs_err_fn cb,
                       void *user)
{
	FS_ROUTE2(fs, from, to, later_err, cb, user);
	struct relink_op *o = g_new0(struct relink_op, 1);
	o->fs = fs;
	o->from = g_strdup(from);
	o->to = g_strdup(to);
	o->replace = replace;
	o->cb = cb;
	o->user = user;
	sf_fs_readlink(fs, from, relink_read, o);
}
