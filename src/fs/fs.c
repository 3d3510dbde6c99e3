/* fs.c - POSIX operations as SMB2 compounds (MS-SMB2 3.2.4.1.4): most
 * operations are one round trip, CREATE + (QUERY_INFO | SET_INFO ...) +
 * CLOSE, the later requests related to the CREATE's FileId. */
#define G_LOG_DOMAIN "smbfuse-fs"

#include "fs/fs.h"

#include "fs/call.h"
#include "fs/later.h"

#include "crypto/prim.h"
#include "proto/create.h"
#include "proto/dir.h"
#include "proto/durable.h"
#include "proto/fscc.h"
#include "proto/info.h"
#include "proto/io.h"
#include "proto/ioctl.h"
#include "proto/lease.h"
#include "proto/ntstatus.h"
#include "proto/posix.h"
#include "proto/reparse.h"
#include "proto/tree.h"
#include "proto/smb2.h"
#include "util/bytes.h"
#include "util/timeconv.h"
#include "util/utf16.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>

/* FileAllInformation ends with the file's full name: room for the longest
 * (32767 UTF-16 units), or a deep path fails with STATUS_BUFFER_OVERFLOW. */
#define ALL_INFO_LEN 65536

static void handle_free(gpointer p)
{
	struct sf_fs_handle *h = p;
	if (h->locks)
		g_array_unref(h->locks);
	fs_lazy_free(h);
	g_free(h);
}

sf_fs *fs_new_common(sf_tree *tree, const struct sf_fs_config *cfg)
{
	sf_fs *fs = g_new0(sf_fs, 1);
	fs->tree = sf_tree_ref(tree);
	fs->cfg = *cfg;
	fs->cfg.prefix = cfg->prefix && *cfg->prefix ? g_strdup(cfg->prefix) : NULL;
	const struct sf_negotiated *n = sf_conn_negotiated(sf_session_conn(sf_tree_session(tree)));
	bool large =
	        n->dialect > SMB2_DIALECT_0202 && (n->capabilities & SMB2_GLOBAL_CAP_LARGE_MTU);
	uint32_t cap = large ? (1u << 20) : 65536;
	fs->max_read = MIN(n->max_read, cap);
	fs->max_write = MIN(n->max_write, cap);
	fs->max_transact = MIN(n->max_transact, cap);
	fs->handles = g_hash_table_new_full(NULL, NULL, handle_free, NULL);
	fs->cfg.dfs = NULL;
	fs_dfs_init(fs);
	return fs;
}

sf_fs *sf_fs_new(sf_tree *tree, const struct sf_fs_config *cfg)
{
	sf_fs *fs = fs_new_common(tree, cfg);
	if (cfg->dfs) {
		fs->dfs = sf_dfs_ref(cfg->dfs);
		if (!cfg->secondary)
			sf_pool_on_lost(sf_dfs_pool(fs->dfs), fs_dfs_conn_lost, fs);
	}
	return fs;
}

void sf_fs_stop(sf_fs *fs)
{
	if (fs->dfs && !fs->closing && !fs->cfg.secondary)
		sf_pool_on_lost(sf_dfs_pool(fs->dfs), NULL, NULL);
	fs->closing = true;
}

/* Breaks name the file id; the caller knows its handle. */
static void tree_break(void *user, struct smb2_fileid fid, uint32_t new_state, sf_break_ack *ack)
{
	sf_fs *fs = user;
	GHashTableIter it;
	gpointer k;
	g_hash_table_iter_init(&it, fs->handles);
	while (g_hash_table_iter_next(&it, &k, NULL)) {
		struct sf_fs_handle *h = k;
		if (h->fid.persistent == fid.persistent && h->fid.volatile_ == fid.volatile_) {
			h->lease_state = new_state;
			if (fs->break_hook) {
				fs->break_hook(fs->break_user, h, ack);
				return;
			}
		}
	}
	sf_tree_break_done(ack);
}

struct hook_args {
	sf_fs_break_fn hook;
	void *user;
};

static void set_hook_of(sf_fs *child, void *user)
{
	struct hook_args *a = user;
	sf_fs_set_break_hook(child, a->hook, a->user);
}

void sf_fs_set_break_hook(sf_fs *fs, sf_fs_break_fn hook, void *user)
{
	fs->break_hook = hook;
	fs->break_user = user;
	sf_tree_set_break_hook(fs->tree, hook ? tree_break : NULL, fs);
	/* The shares entered so far and the users known; root.c and
	 * sf_fs_adopt give it to later ones. */
	struct hook_args a = {hook, user};
	fs_each_child(fs, set_hook_of, &a);
}

void sf_fs_free(sf_fs *fs)
{
	if (!fs)
		return;
	if (fs->top == fs) {
		if (fs->dfs && !fs->closing && !fs->cfg.secondary)
			sf_pool_on_lost(sf_dfs_pool(fs->dfs), NULL, NULL);
		fs->closing = fs->freed = true;
		if (fs->holds > 0)
			return; /* the last resolution in flight frees it */
		if (fs->dfs)
			sf_dfs_unref(fs->dfs);
	}
	g_ptr_array_unref(fs->routes);
	g_ptr_array_unref(fs->retired);
	g_list_free_full(fs->watches, g_free); /* none left after the client closed */
	g_free(fs->unc);
	fs_root_free(fs->root);
	sf_tree_set_break_hook(fs->tree, NULL, NULL);
	g_hash_table_destroy(fs->handles);
	g_free((char *)fs->cfg.prefix);
	sf_tree_unref(fs->tree);
	g_free(fs);
}

bool sf_fs_posix(const sf_fs *fs)
{
	return fs->cfg.posix;
}

void fs_each_child(sf_fs *fs, void (*fn)(sf_fs *child, void *user), void *user)
{
	if (fs->root)
		fs_root_each(fs, fn, user);
	if (fs->users.each)
		fs->users.each(fs->users.ctx, fn, user);
}

void sf_fs_set_users(sf_fs *fs, const struct sf_fs_users *users)
{
	fs->users = *users;
}

void sf_fs_adopt(sf_fs *top, sf_fs *fs)
{
	fs->mount = top;
	sf_fs_set_break_hook(fs, top->break_hook, top->break_user);
}

unsigned sf_fs_open_count(const sf_fs *fs)
{
	return g_hash_table_size(fs->handles);
}

void sf_fs_set_caller(sf_fs *fs, uid_t uid, gid_t gid)
{
	fs->caller_uid = uid;
	fs->caller_gid = gid;
}

bool owner_ctx(const sf_fs *fs, struct smb2_create_ctx *ctx, uint8_t *buf)
{
	if (!fs->cfg.posix || !fs->cfg.owner_from_caller)
		return false;
	struct smb2_sid o, g;
	smb2_sid_from_unix_id(&o, 1, (uint32_t)fs->caller_uid);
	smb2_sid_from_unix_id(&g, 2, (uint32_t)fs->caller_gid);
	size_t n;
	uint8_t *sd = smb2_sd_owner_group_encode(&o, &g, &n);
	g_assert(n <= OWNER_CTX_MAX);
	memcpy(buf, sd, n);
	g_free(sd);
	memset(ctx, 0, sizeof *ctx);
	memcpy(ctx->name, "SecD", 4);
	ctx->data = buf;
	ctx->data_len = n;
	return true;
}

uint32_t sf_fs_max_io(const sf_fs *fs, bool write)
{
	return write ? fs->max_write : fs->max_read;
}

uint32_t sf_fs_handle_max_io(const sf_fs *fs, const struct sf_fs_handle *h, bool write)
{
	return sf_fs_max_io(h && h->owner ? h->owner : fs, write);
}

int sf_fs_errno(uint32_t status)
{
	switch (status) {
	case STATUS_SUCCESS:
		return 0;
	/* A lost or hostile connection is an I/O error to the application. */
	case STATUS_CONNECTION_DISCONNECTED:
	case STATUS_CONNECTION_RESET:
	case STATUS_IO_TIMEOUT:
	case STATUS_INVALID_NETWORK_RESPONSE:
	case STATUS_NETWORK_NAME_DELETED:
	case STATUS_USER_SESSION_DELETED:
		return EIO;
	case STATUS_OBJECT_NAME_INVALID:
		return EINVAL;
	case STATUS_CANCELLED: /* only ever asked for by an interrupt */
		return EINTR;
	default: {
		int e = sf_ntstatus_to_errno(status);
		return e > 0 ? e : EIO;
	}
	}
}

/* ---- compounds ------------------------------------------------------- */

/* Compound plumbing: see fs/call.h. */

void call_free(struct call *c)
{
	for (int i = 0; i < c->n; i++)
		if (c->pdu[i])
			g_bytes_unref(c->pdu[i]);
	g_free(c);
}

/* Where the FUSE layer sets the caller: the mount's fs. */
static sf_fs *caller_home(sf_fs *fs)
{
	sf_fs *t = fs->top ? fs->top : fs;
	return t->mount ? t->mount : t;
}

void part_done(void *user, uint32_t status, const uint8_t *pdu, size_t len)
{
	struct part *p = user;
	struct call *c = p->c;
	c->st[p->i] = status;
	c->pdu[p->i] = pdu ? g_bytes_new(pdu, len) : NULL;
	c->replayed |= sf_tree_completing_replay(c->fs->tree);
	if (--c->left == 0) {
		sf_fs *home = caller_home(c->fs);
		home->caller_uid = c->uid;
		home->caller_gid = c->gid;
		c->done(c);
		call_free(c);
	}
}

struct call *call_new(sf_fs *fs, call_fn done, void *cb, void *user)
{
	struct call *c = g_new0(struct call, 1);
	c->fs = fs;
	c->done = done;
	c->cb = cb;
	c->user = user;
	c->uid = caller_home(fs)->caller_uid;
	c->gid = caller_home(fs)->caller_gid;
	return c;
}

/* Submit specs (bodies are copied by the connection, then freed here). */
void call_run(struct call *c, struct sf_req_spec *specs, int n)
{
	c->n = c->left = n;
	for (int i = 0; i < n; i++) {
		c->parts[i].c = c;
		c->parts[i].i = i;
		specs[i].done = part_done;
		specs[i].user = &c->parts[i];
	}
	sf_tree_submit(c->fs->tree, specs, (size_t)n);
	for (int i = 0; i < n; i++)
		g_free((void *)specs[i].body);
}

/* The first failure in a compound (the CREATE's, usually). */
uint32_t call_status(const struct call *c)
{
	for (int i = 0; i < c->n; i++)
		if (c->st[i] != STATUS_SUCCESS)
			return c->st[i];
	return STATUS_SUCCESS;
}

const uint8_t *call_pdu(const struct call *c, int i, size_t *len)
{
	gsize n = 0;
	const uint8_t *d = c->pdu[i] ? g_bytes_get_data(c->pdu[i], &n) : NULL;
	*len = n;
	return d;
}

/* ---- request builders ------------------------------------------------ */

static uint8_t *to_server(const sf_fs *fs, const char *path, size_t *out_bytes, int *err)
{
	if (fs->cfg.posix)
		return sf_path_to_smb_posix(path, out_bytes, err);
	return sf_path_to_smb(path, fs->cfg.mapposix, out_bytes, err);
}

uint8_t *fs_server_path(const sf_fs *fs, const char *path, size_t *out_bytes, int *err)
{
	if (!fs->cfg.prefix)
		return to_server(fs, path, out_bytes, err);
	char *full =
	        *path ? g_strconcat(fs->cfg.prefix, "/", path, NULL) : g_strdup(fs->cfg.prefix);
	uint8_t *name = to_server(fs, full, out_bytes, err);
	g_free(full);
	return name;
}

void posix_ctx(struct smb2_create_ctx *ctx, uint8_t buf[4], mode_t mode)
{
	memset(ctx, 0, sizeof *ctx);
	memcpy(ctx->name, smb2_posix_tag, 16);
	ctx->name_len = 16;
	ctx->data = buf;
	ctx->data_len = smb2_posix_create_req_encode(smb2_posix_mode_from_unix(mode) & 07777, buf);
}

bool create_spec(sf_fs *fs, struct sf_req_spec *s, const char *path, uint32_t access,
                 uint32_t disposition, uint32_t options, int *err)
{
	return create_spec_mode(fs, s, path, access, disposition, options,
	                        (options & FILE_DIRECTORY_FILE) ? 0755 : 0644, err);
}

bool create_spec_mode(sf_fs *fs, struct sf_req_spec *s, const char *path, uint32_t access,
                      uint32_t disposition, uint32_t options, mode_t mode, int *err)
{
	return create_spec_lease(fs, s, path, access, disposition, options, mode, NULL, err);
}

bool create_spec_lease(sf_fs *fs, struct sf_req_spec *s, const char *path, uint32_t access,
                       uint32_t disposition, uint32_t options, mode_t mode,
                       const struct smb2_lease *lease, int *err)
{
	size_t nlen, blen;
	uint8_t *name = fs_server_path(fs, path, &nlen, err);
	if (!name)
		return false;
	/* Under the POSIX extensions every open carries the POSIX context:
	 * it gives the open POSIX pathname semantics (case-sensitive, any
	 * character) and a created file its mode. */
	struct smb2_create_ctx pc[3] = {0};
	uint8_t pbuf[4], obuf[OWNER_CTX_MAX], lq[SMB2_LEASE_CTX_V2_LEN];
	size_t npc = 0;
	if (lease) {
		memcpy(pc[npc].name, "RqLs", 4);
		pc[npc].data = lq;
		pc[npc].data_len = smb2_lease_ctx_encode(lease, lq);
		npc++;
	}
	if (fs->cfg.posix)
		posix_ctx(&pc[npc++], pbuf, mode);
	if (disposition != FILE_OPEN && owner_ctx(fs, &pc[npc], obuf))
		npc++;
	uint8_t *cname = sf_tree_create_name(fs->tree, name, nlen, &nlen);
	g_free(name);
	name = cname;
	struct smb2_create_req q = {
	        .oplock_level = lease ? SMB2_OPLOCK_LEVEL_LEASE : SMB2_OPLOCK_LEVEL_NONE,
	        .desired_access = access,
	        .file_attributes = (options & FILE_DIRECTORY_FILE) ? FILE_ATTRIBUTE_DIRECTORY
	                                                           : FILE_ATTRIBUTE_NORMAL,
	        .share_access = FILE_SHARE_ALL,
	        .disposition = disposition,
	        .options = options,
	        .name = name,
	        .name_len = nlen,
	        .ctxs = npc ? pc : NULL,
	        .ctx_count = npc,
	};
	memset(s, 0, sizeof *s);
	s->command = SMB2_CREATE;
	s->hdr_flags = sf_tree_create_flags(fs->tree);
	s->body = smb2_create_req_encode(&q, &blen);
	s->body_len = blen;
	g_free(name);
	return true;
}

void query_all_spec(const sf_fs *fs, struct sf_req_spec *s, struct smb2_fileid fid)
{
	size_t blen;
	memset(s, 0, sizeof *s);
	s->command = SMB2_QUERY_INFO;
	s->body = smb2_query_info_req_encode(fid, SMB2_0_INFO_FILE,
	                                     fs->cfg.posix ? SMB2_FILE_POSIX_INFORMATION
	                                                   : FILE_ALL_INFORMATION,
	                                     ALL_INFO_LEN, 0, &blen);
	s->body_len = blen;
	s->expect_rsp = ALL_INFO_LEN;
}

void close_spec(struct sf_req_spec *s, struct smb2_fileid fid)
{
	size_t blen;
	memset(s, 0, sizeof *s);
	s->command = SMB2_CLOSE;
	s->body = smb2_close_req_encode(fid, 0, &blen);
	s->body_len = blen;
	s->flags = SF_REQ_CONTROL;
}

void ioctl_spec(struct sf_req_spec *s, struct smb2_fileid fid, uint32_t code, const uint8_t *in,
                size_t in_len, uint32_t max_out)
{
	size_t blen;
	memset(s, 0, sizeof *s);
	s->command = SMB2_IOCTL;
	s->body = smb2_ioctl_req_encode(fid, code, in, in_len, max_out, &blen);
	s->body_len = blen;
	s->expect_rsp = max_out;
}

void set_info_spec(struct sf_req_spec *s, struct smb2_fileid fid, uint8_t cls, const uint8_t *buf,
                   size_t len)
{
	size_t blen;
	memset(s, 0, sizeof *s);
	s->command = SMB2_SET_INFO;
	s->body = smb2_set_info_req_encode(fid, SMB2_0_INFO_FILE, cls, buf, len, &blen);
	s->body_len = blen;
}

/* ---- attributes -------------------------------------------------------- */

void to_stat(const sf_fs *fs, const struct smb2_file_times *t, uint64_t file_id, uint32_t nlink,
             struct stat *st)
{
	memset(st, 0, sizeof *st);
	bool dir = t->attributes & FILE_ATTRIBUTE_DIRECTORY;
	st->st_mode = dir ? (S_IFDIR | fs->cfg.dir_mode) : (S_IFREG | fs->cfg.file_mode);
	if (!dir && (t->attributes & FILE_ATTRIBUTE_READONLY))
		st->st_mode &= ~(mode_t)0222;
	st->st_ino = file_id ? file_id ^ fs->cfg.ino_salt : 0;
	st->st_nlink = dir ? 2 : (nlink ? nlink : 1);
	st->st_uid = fs->cfg.uid;
	st->st_gid = fs->cfg.gid;
	st->st_size = (off_t)t->end_of_file;
	st->st_blksize = 65536;
	st->st_blocks = (blkcnt_t)((t->allocation_size + 511) / 512);
	st->st_atim = sf_filetime_to_timespec(t->last_access);
	st->st_mtim = sf_filetime_to_timespec(t->last_write);
	st->st_ctim = sf_filetime_to_timespec(t->change);
}

/* Owner and group: Samba's SIDs for Unix ids (S-1-22-1-uid, S-1-22-2-gid)
 * are the ids; any other SID shows as uid= / gid=. */
void posix_to_stat(const sf_fs *fs, const struct smb2_posix_info *pi, struct stat *st)
{
	to_stat(fs, &pi->t, pi->inode, pi->cc.nlink, st);
	uint32_t mode = smb2_posix_mode_to_unix(pi->cc.mode);
	if (mode)
		st->st_mode = mode;
	st->st_nlink = pi->cc.nlink ? pi->cc.nlink : 1;
	uint32_t id;
	if (smb2_sid_unix_id(&pi->cc.owner, 1, &id))
		st->st_uid = id;
	if (smb2_sid_unix_id(&pi->cc.group, 2, &id))
		st->st_gid = id;
	/* DeviceId is the device the file lives on (Samba: st_dev), not a
	 * device file's number: that one is in its reparse data. */
}

/* Decode the QUERY_INFO(FileAllInformation) part of a compound. */
int all_info_stat(const struct call *c, int i, struct stat *st)
{
	size_t len;
	const uint8_t *pdu = call_pdu(c, i, &len);
	struct smb2_query_info_rsp q;
	struct smb2_all_info a;
	if (c->fs->cfg.posix) {
		struct smb2_posix_info pi;
		if (!pdu || smb2_query_info_rsp_decode(pdu, len, &q) != 0 ||
		    smb2_posix_info_decode(q.buf, q.buf_len, &pi) != 0)
			return EIO;
		posix_to_stat(c->fs, &pi, st);
		return 0;
	}
	if (!pdu || smb2_query_info_rsp_decode(pdu, len, &q) != 0 ||
	    smb2_all_info_decode(q.buf, q.buf_len, &a) != 0)
		return EIO;
	to_stat(c->fs, &a.t, a.file_id, a.nlink, st);
	return 0;
}

/* ---- stat ------------------------------------------------------------ */

static void stat_done(struct call *c)
{
	sf_fs_stat_fn cb = c->cb;
	uint32_t s = c->st[0] ? c->st[0] : c->st[1];
	struct stat st;
	int err = s ? sf_fs_errno(s) : all_info_stat(c, 1, &st);
	if (!err)
		tag_part_apply(c, 2, &st);
	cb(c->user, err, err ? NULL : &st);
}

/* ---- DFS: an operation that met a link runs again ---------------------- */

/* The kernel looks a path up (stat) before anything else, and opens or
 * lists what it looked up: these three resolve a DFS link when the server
 * says STATUS_PATH_NOT_COVERED (EREMOTE here) and run again on the target.
 * Every other operation finds the route already there. */
enum again_kind { AGAIN_STAT, AGAIN_OPEN, AGAIN_DIR };

struct again {
	sf_fs *fs;
	char *path;
	enum again_kind kind;
	int flags;
	mode_t mode;
	void *cb;
	void *user;
};

static struct again *again_new(sf_fs *fs, const char *path, enum again_kind kind, void *cb,
                               void *user)
{
	struct again *a = g_new0(struct again, 1);
	a->fs = fs;
	a->path = g_strdup(path);
	a->kind = kind;
	a->cb = cb;
	a->user = user;
	return a;
}

static void again_free(struct again *a)
{
	g_free(a->path);
	g_free(a);
}

static void again_resolved(void *user, int err)
{
	struct again *a = user;
	sf_fs *to = NULL;
	const char *rest = a->path;
	if (!err) {
		sf_fs *t = a->fs;
		if (fs_dfs_route(&t, &rest) == 0 && t != a->fs)
			to = t;
	}
	if (!to) {
		err = err ? err : EREMOTE;
		switch (a->kind) {
		case AGAIN_STAT:
			((sf_fs_stat_fn)a->cb)(a->user, err, NULL);
			break;
		case AGAIN_OPEN:
			((sf_fs_open_fn)a->cb)(a->user, err, NULL, NULL);
			break;
		case AGAIN_DIR:
			((sf_fs_dir_fn)a->cb)(a->user, err, NULL);
			break;
		}
	} else {
		switch (a->kind) {
		case AGAIN_STAT:
			sf_fs_stat(to, rest, a->cb, a->user);
			break;
		case AGAIN_OPEN:
			sf_fs_open(to, rest, a->flags, a->mode, a->cb, a->user);
			break;
		case AGAIN_DIR:
			sf_fs_readdir(to, rest, a->cb, a->user);
			break;
		}
	}
	again_free(a);
}

/* EREMOTE: resolve, then run again (true: taken over). */
static bool again_remote(struct again *a, int err)
{
	if (err != EREMOTE)
		return false;
	fs_dfs_resolve(a->fs, a->path, again_resolved, a);
	return true;
}

/* nodfs: a DFS link is not followed, but it is still an entry of its
 * directory. Its attributes are what the listing says of it (a directory
 * with the reparse attribute, on Samba); entering it stays EREMOTE. */
static void nodfs_listed(void *user, int err, GPtrArray *entries)
{
	struct again *a = user;
	const char *base = strrchr(a->path, '/');
	base = base ? base + 1 : a->path;
	const struct stat *found = NULL;
	for (guint i = 0; !err && entries && i < entries->len; i++) {
		const struct sf_fs_dirent *d = g_ptr_array_index(entries, i);
		if (!strcmp(d->name, base))
			found = &d->st;
	}
	((sf_fs_stat_fn)a->cb)(a->user, found ? 0 : EREMOTE, found);
	if (entries)
		g_ptr_array_unref(entries);
	again_free(a);
}

static void nodfs_stat_cb(void *user, int err, const struct stat *st)
{
	struct again *a = user;
	if (err == EREMOTE && *a->path) {
		const char *slash = strrchr(a->path, '/');
		char *parent = slash ? g_strndup(a->path, (gsize)(slash - a->path)) : g_strdup("");
		sf_fs_readdir(a->fs, parent, nodfs_listed, a);
		g_free(parent);
		return;
	}
	((sf_fs_stat_fn)a->cb)(a->user, err, st);
	again_free(a);
}

static void again_stat_cb(void *user, int err, const struct stat *st)
{
	struct again *a = user;
	if (again_remote(a, err))
		return;
	((sf_fs_stat_fn)a->cb)(a->user, err, st);
	again_free(a);
}

static void again_open_cb(void *user, int err, struct sf_fs_handle *h, const struct stat *st)
{
	struct again *a = user;
	if (again_remote(a, err))
		return;
	((sf_fs_open_fn)a->cb)(a->user, err, h, st);
	again_free(a);
}

static void again_dir_cb(void *user, int err, GPtrArray *entries)
{
	struct again *a = user;
	if (again_remote(a, err))
		return;
	((sf_fs_dir_fn)a->cb)(a->user, err, entries);
	again_free(a);
}

void sf_fs_stat(sf_fs *fs, const char *path, sf_fs_stat_fn cb, void *user)
{
	if (fs->root && fs_root_stat(fs, path, cb, user))
		return;
	FS_ROUTE(fs, path, FS_USE, later_stat, cb, user);
	if (!fs->root) { /* a share's fs: DFS links resolved, or plain (nodfs) */
		user = again_new(fs, path, AGAIN_STAT, cb, user);
		cb = fs_dfs_enabled(fs) ? again_stat_cb : nodfs_stat_cb;
	}
	struct sf_req_spec s[4];
	int err = 0;
	/* lstat semantics: a symbolic link is reported, not followed (the
	 * kernel follows links itself, one component at a time). */
	if (!create_spec(fs, &s[0], path, FILE_READ_ATTRIBUTES | SYNCHRONIZE, FILE_OPEN,
	                 FILE_OPEN_REPARSE_POINT, &err)) {
		later_stat(fs, cb, user, err);
		return;
	}
	query_all_spec(fs, &s[1], SMB2_FILEID_ANY);
	query_tag_spec(fs, &s[2], SMB2_FILEID_ANY);
	close_spec(&s[3], SMB2_FILEID_ANY);
	call_run(call_new(fs, stat_done, cb, user), s, 4);
}

/* ---- open / close ------------------------------------------------------ */

int open_finish(struct call *c, struct open_op *op, struct sf_fs_handle **hp, struct stat *st)
{
	uint32_t s = c->st[0];
	size_t len;
	const uint8_t *pdu = call_pdu(c, 0, &len);
	struct smb2_create_rsp cr;
	if (s) /* the QUERY_INFO also failed, but nothing is open */
		return sf_fs_errno(s);
	if (smb2_create_rsp_decode(pdu, len, &cr) != 0)
		return EIO;
	struct sf_fs_handle *h = *hp ? *hp : g_new0(struct sf_fs_handle, 1);
	*hp = h;
	h->owner = c->fs;
	h->fid = cr.fid;
	h->dir = cr.t.attributes & FILE_ATTRIBUTE_DIRECTORY;
	h->access = op->access;
	/* (a lazy handle is there already: adding it again would free it) */
	if (!g_hash_table_contains(c->fs->handles, h))
		g_hash_table_add(c->fs->handles, h);
	/* Register it for reopening after a reconnect: durable when the
	 * server answered the durable request (2.2.14.2.3/.12). */
	struct sf_open_info oi = {
	        .fid = cr.fid,
	        .path = op->path,
	        .path_len = op->path_len,
	        .access = op->access,
	        .share = FILE_SHARE_ALL,
	        .options = op->options,
	        .attributes = op->attributes,
	        .v2 = op->v2,
	};
	memcpy(oi.create_guid, op->create_guid, 16);
	if (op->want_durable) {
		const struct smb2_create_ctx *dq =
		        smb2_create_rsp_ctx(&cr, op->v2 ? "DH2Q" : "DHnQ");
		uint32_t tmo, fl = 0;
		oi.durable = dq && (!op->v2 ||
		                    smb2_dh2q_rsp_decode(dq->data, dq->data_len, &tmo, &fl) == 0);
		oi.persistent = fl & SMB2_DHANDLE_FLAG_PERSISTENT;
		const struct smb2_create_ctx *lc = smb2_create_rsp_ctx(&cr, "RqLs");
		struct smb2_lease l;
		if (cr.oplock_level == SMB2_OPLOCK_LEVEL_LEASE && lc &&
		    smb2_lease_ctx_decode(lc->data, lc->data_len, &l) == 0 &&
		    !memcmp(l.key, op->lease.key, 16)) {
			oi.has_lease = true;
			oi.lease = op->lease;
			oi.lease.state = l.state;
			oi.lease.epoch = l.epoch;
			h->lease_state = l.state;
		}
	}
	oi.change_time = cr.t.change;
	oi.posix = c->fs->cfg.posix;
	if (!c->st[1] && all_info_stat(c, 1, st) == 0)
		oi.file_id = (uint64_t)st->st_ino;
	else
		to_stat(c->fs, &cr.t, 0, 1, st);
	h->file_id = oi.file_id;
	sf_tree_handle_opened(c->fs->tree, &oi);
	return 0;
}

void open_op_free(struct open_op *op)
{
	g_free(op->path);
	g_free(op);
}

static void open_done(struct call *c)
{
	struct open_op *op = c->user;
	struct sf_fs_handle *h = NULL;
	struct stat st;
	int err = open_finish(c, op, &h, &st);
	op->cb(op->user, err, err ? NULL : h, err ? NULL : &st);
	open_op_free(op);
}

uint32_t sf_fs_access_for(int flags)
{
	uint32_t access = FILE_READ_ATTRIBUTES | SYNCHRONIZE;
	int acc = flags & O_ACCMODE;
	if (acc == O_RDONLY || acc == O_RDWR)
		access |= FILE_READ_DATA | FILE_READ_EA;
	if (acc == O_WRONLY || acc == O_RDWR)
		access |=
		        FILE_WRITE_DATA | FILE_APPEND_DATA | FILE_WRITE_ATTRIBUTES | FILE_WRITE_EA;
	return access;
}

bool sf_fs_handle_serves(sf_fs *fs, const char *path, const struct sf_fs_handle *h)
{
	return fs_route(&fs, &path, FS_USE) == 0 && h->owner == fs;
}

uint64_t sf_fs_handle_epoch(const struct sf_fs_handle *h)
{
	return sf_tree_stats(h->owner->tree)->reconnects;
}

struct open_op *open_prepare(sf_fs *fs, const char *path, int flags, mode_t mode,
                             struct sf_req_spec s[2], int *err)
{
	uint32_t access = sf_fs_access_for(flags);
	uint32_t disp = FILE_OPEN;
	if ((flags & O_CREAT) && (flags & O_EXCL))
		disp = FILE_CREATE;
	else if ((flags & O_CREAT) && (flags & O_TRUNC))
		disp = FILE_OVERWRITE_IF;
	else if (flags & O_CREAT)
		disp = FILE_OPEN_IF;
	else if (flags & O_TRUNC)
		disp = FILE_OVERWRITE;
	uint32_t options = (flags & O_DIRECTORY) ? FILE_DIRECTORY_FILE : FILE_NON_DIRECTORY_FILE;
	size_t nlen;
	uint8_t *name = fs_server_path(fs, path, &nlen, err);
	if (!name)
		return NULL;
	struct open_op *op = g_new0(struct open_op, 1);
	op->path = name;
	op->path_len = nlen;
	op->access = access;
	op->options = options;
	/* A file created without write permission bits is read-only. */
	op->attributes = (options & FILE_DIRECTORY_FILE) ? FILE_ATTRIBUTE_DIRECTORY
	                 : ((flags & O_CREAT) && !(mode & 0222) && !fs->cfg.posix)
	                         ? FILE_ATTRIBUTE_READONLY | FILE_ATTRIBUTE_ARCHIVE
	                         : FILE_ATTRIBUTE_NORMAL;
	/* Files are opened durable, with a read+handle lease (a durable handle
	 * needs a handle lease or a batch oplock, MS-SMB2 3.3.5.9.10), so that
	 * they can be reclaimed after a reconnect: DH2Q with a CreateGuid on
	 * 3.x (which also makes a replayed CREATE recognisable), DHnQ on 2.1. */
	const struct sf_negotiated *n =
	        sf_conn_negotiated(sf_session_conn(sf_tree_session(fs->tree)));
	op->want_durable = !fs->cfg.nolease && !(options & FILE_DIRECTORY_FILE) &&
	                   n->dialect >= SMB2_DIALECT_0210 &&
	                   (n->capabilities & SMB2_GLOBAL_CAP_LEASING);
	op->v2 = n->dialect >= SMB2_DIALECT_0300;
	struct smb2_create_ctx ctx[4] = {0};
	uint8_t dq[SMB2_DH2Q_LEN], lq[SMB2_LEASE_CTX_V2_LEN];
	size_t nctx = 0;
	if (op->want_durable) {
		sf_random(op->create_guid, 16);
		sf_random(op->lease.key, 16);
		op->lease.state = SMB2_LEASE_READ_CACHING | SMB2_LEASE_HANDLE_CACHING;
		op->lease.v2 = op->v2;
		memcpy(ctx[nctx].name, "RqLs", 4);
		ctx[nctx].data = lq;
		ctx[nctx].data_len = smb2_lease_ctx_encode(&op->lease, lq);
		nctx++;
		memcpy(ctx[nctx].name, op->v2 ? "DH2Q" : "DHnQ", 4);
		ctx[nctx].data = dq;
		/* On a continuously available share, ask for a persistent
		 * handle (3.x): it survives even the server's failover. */
		uint32_t dflags = op->v2 && (sf_tree_capabilities(fs->tree) &
		                             SMB2_SHARE_CAP_CONTINUOUS_AVAILABILITY)
		                          ? SMB2_DHANDLE_FLAG_PERSISTENT
		                          : 0;
		ctx[nctx].data_len = op->v2 ? smb2_dh2q_encode(dq, 0, dflags, op->create_guid)
		                            : smb2_dhnq_encode(dq);
		nctx++;
	}
	uint8_t pbuf[SMB2_POSIX_CREATE_REQ_LEN], obuf[OWNER_CTX_MAX];
	if (fs->cfg.posix)
		posix_ctx(&ctx[nctx++], pbuf, mode);
	if ((flags & O_CREAT) && owner_ctx(fs, &ctx[nctx], obuf))
		nctx++;
	struct smb2_create_req q = {
	        .oplock_level = op->want_durable ? SMB2_OPLOCK_LEVEL_LEASE : SMB2_OPLOCK_LEVEL_NONE,
	        .desired_access = access,
	        .file_attributes = op->attributes,
	        .share_access = FILE_SHARE_ALL,
	        .disposition = disp,
	        .options = options,
	        .ctxs = ctx,
	        .ctx_count = nctx,
	};
	size_t cnlen;
	uint8_t *cname = sf_tree_create_name(fs->tree, name, nlen, &cnlen);
	q.name = cname;
	q.name_len = cnlen;
	size_t blen;
	memset(&s[0], 0, sizeof s[0]);
	s[0].command = SMB2_CREATE;
	s[0].hdr_flags = sf_tree_create_flags(fs->tree);
	s[0].body = smb2_create_req_encode(&q, &blen);
	s[0].body_len = blen;
	g_free(cname);
	query_all_spec(fs, &s[1], SMB2_FILEID_ANY);
	return op;
}

void sf_fs_open(sf_fs *fs, const char *path, int flags, mode_t mode, sf_fs_open_fn cb, void *user)
{
	FS_ROUTE(fs, path, (flags & O_CREAT) ? FS_CREATE : FS_USE, later_open, cb, user);
	if (fs_dfs_enabled(fs)) {
		struct again *a = again_new(fs, path, AGAIN_OPEN, cb, user);
		a->flags = flags;
		a->mode = mode;
		user = a;
		cb = again_open_cb;
	}
	struct sf_req_spec s[2];
	int err = 0;
	struct open_op *op = open_prepare(fs, path, flags, mode, s, &err);
	if (!op) {
		later_open(fs, cb, user, err);
		return;
	}
	op->cb = cb;
	op->user = user;
	call_run(call_new(fs, open_done, NULL, op), s, 2);
}

void err_done(struct call *c)
{
	sf_fs_err_fn cb = c->cb;
	if (cb) /* close-and-forget passes no callback */
		cb(c->user, sf_fs_errno(call_status(c)));
}

struct close_op {
	sf_fs_err_fn cb;
	void *user;
	struct smb2_fileid fid;
};

/* The handle stays registered until its CLOSE is answered: a CLOSE that
 * waits out a reconnect must name the reclaimed file id. */
static void close_done(struct call *c)
{
	struct close_op *op = c->user;
	sf_tree_handle_closed(c->fs->tree, op->fid);
	if (op->cb)
		op->cb(op->user, sf_fs_errno(call_status(c)));
	g_free(op);
}

struct close_after {
	sf_fs *fs;
	struct sf_fs_handle *h;
	sf_fs_err_fn cb;
	void *user;
};

static void close_after_open(void *user, int err)
{
	struct close_after *a = user;
	sf_fs_close(a->fs, a->h, a->cb, a->user);
	g_free(a);
}

void sf_fs_close(sf_fs *fs, struct sf_fs_handle *h, sf_fs_err_fn cb, void *user)
{
	if (h->pending) { /* created lazily: close what the CREATE opens */
		struct close_after *a = g_new(struct close_after, 1);
		*a = (struct close_after){fs, h, cb, user};
		sf_fs_when_open(fs, h, close_after_open, a);
		return;
	}
	if (h->open_err) { /* its CREATE failed: nothing is open */
		sf_fs *owner = h->owner;
		g_hash_table_remove(owner->handles, h); /* frees it */
		if (cb)
			later_err(owner, cb, user, 0);
		return;
	}
	FS_ROUTE_H(fs, h, later_err, cb, user);
	struct sf_req_spec s;
	close_spec(&s, h->fid); /* the server drops the handle's locks */
	struct close_op *op = g_new(struct close_op, 1);
	op->cb = cb, op->user = user, op->fid = h->fid;
	g_hash_table_remove(fs->handles, h); /* frees it */
	call_run(call_new(fs, close_done, NULL, op), &s, 1);
}

static void outstanding_of(sf_fs *child, void *user)
{
	*(unsigned *)user += sf_fs_outstanding(child);
}

unsigned sf_fs_outstanding(sf_fs *fs)
{
	unsigned n = sf_tree_outstanding(fs->tree);
	fs_each_child(fs, outstanding_of, &n);
	return n;
}

static void close_all_of(sf_fs *child, void *user)
{
	sf_fs_close_all(child);
}

static void close_all_dfs(sf_fs *sub, void *user)
{
	fs_watch_end_all(sub);
	GList *all = g_hash_table_get_keys(sub->handles);
	for (GList *l = all; l; l = l->next)
		sf_fs_close(sub, l->data, NULL, NULL);
	g_list_free(all);
}

void sf_fs_close_all(sf_fs *fs)
{
	fs_dfs_each(fs, close_all_dfs, NULL);
	fs_each_child(fs, close_all_of, NULL);
	fs_watch_end_all(fs);
	GList *all = g_hash_table_get_keys(fs->handles);
	for (GList *l = all; l; l = l->next)
		sf_fs_close(fs, l->data, NULL, NULL);
	g_list_free(all);
}

void sf_fs_flush(sf_fs *fs, struct sf_fs_handle *h, sf_fs_err_fn cb, void *user)
{
	FS_ROUTE_H(fs, h, later_err, cb, user);
	size_t blen;
	struct sf_req_spec s = {.command = SMB2_FLUSH};
	s.body = smb2_flush_req_encode(h->fid, &blen);
	s.body_len = blen;
	call_run(call_new(fs, err_done, cb, user), &s, 1);
}

/* ---- read / write -------------------------------------------------------- */

struct io_req {
	void *cb, *user;
	size_t len;
};

static void read_done(void *user, uint32_t status, const uint8_t *pdu, size_t len)
{
	struct io_req *r = user;
	sf_fs_data_fn cb = r->cb;
	struct smb2_read_rsp rr;
	if (status == STATUS_END_OF_FILE)
		cb(r->user, 0, NULL, 0); /* reading at or past EOF: 0 bytes */
	else if (status)
		cb(r->user, sf_fs_errno(status), NULL, 0);
	else if (smb2_read_rsp_decode(pdu, len, &rr) != 0 || rr.data_len > r->len)
		cb(r->user, EIO, NULL, 0);
	else
		cb(r->user, 0, rr.data, rr.data_len);
	g_free(r);
}

sf_req_handle sf_fs_read(sf_fs *fs, struct sf_fs_handle *h, uint64_t off, size_t size,
                         sf_fs_data_fn cb, void *user)
{
	if (fs_route_handle(&fs, h)) {
		later_data(fs, cb, user, EBADF);
		return 0;
	}
	struct io_req *r = g_new(struct io_req, 1);
	r->cb = cb, r->user = user, r->len = MIN(size, fs->max_read);
	size_t blen;
	struct sf_req_spec s = {
	        .command = SMB2_READ, .expect_rsp = r->len, .done = read_done, .user = r};
	s.body = smb2_read_req_encode(h->fid, off, (uint32_t)r->len, &blen);
	s.body_len = blen;
	sf_req_handle q = sf_tree_submit(fs->tree, &s, 1);
	g_free((void *)s.body);
	return q;
}

static void set_group_of(sf_fs *child, void *user)
{
	sf_fs_set_group(child, *(uint64_t *)user);
}

static void cancel_group_of(sf_fs *child, void *user)
{
	sf_fs_cancel_group(child, *(uint64_t *)user);
}

static void set_group_dfs(sf_fs *sub, void *user)
{
	sf_tree_set_group(sub->tree, *(uint64_t *)user);
}

static void cancel_group_dfs(sf_fs *sub, void *user)
{
	sf_tree_cancel_group(sub->tree, *(uint64_t *)user);
}

void sf_fs_set_group(sf_fs *fs, uint64_t group)
{
	fs_dfs_each(fs, set_group_dfs, &group);
	fs_each_child(fs, set_group_of, &group);
	sf_tree_set_group(fs->tree, group);
}

void sf_fs_cancel_group(sf_fs *fs, uint64_t group)
{
	fs_dfs_each(fs, cancel_group_dfs, &group);
	fs_each_child(fs, cancel_group_of, &group);
	sf_tree_cancel_group(fs->tree, group);
}

static void write_done(void *user, uint32_t status, const uint8_t *pdu, size_t len)
{
	struct io_req *r = user;
	sf_fs_count_fn cb = r->cb;
	struct smb2_write_rsp wr;
	if (status)
		cb(r->user, sf_fs_errno(status), 0);
	else if (smb2_write_rsp_decode(pdu, len, &wr) != 0 || wr.count > r->len)
		cb(r->user, EIO, 0);
	else
		cb(r->user, 0, wr.count);
	g_free(r);
}

sf_req_handle sf_fs_write(sf_fs *fs, struct sf_fs_handle *h, uint64_t off, const void *data,
                          size_t len, sf_fs_count_fn cb, void *user)
{
	if (h && h->pending) { /* created without waiting (lazyopen.c) */
		fs_lazy_write(h, off, data, len, cb, user);
		return 0;
	}
	int e = fs_route_handle(&fs, h);
	if (e) {
		later_count(fs, cb, user, e);
		return 0;
	}
	struct io_req *r = g_new(struct io_req, 1);
	r->cb = cb, r->user = user, r->len = MIN(len, fs->max_write);
	size_t blen;
	struct sf_req_spec s = {
	        .command = SMB2_WRITE, .flags = SF_REQ_TAKE_BODY, .done = write_done, .user = r};
	s.body = smb2_write_req_encode(h->fid, off, data, r->len, &blen);
	s.body_len = blen;
	return sf_tree_submit(fs->tree, &s, 1);
}

/* ---- directories -------------------------------------------------------- */

static uint8_t dir_class(const sf_fs *fs)
{
	return fs->cfg.posix ? SMB2_FILE_POSIX_INFORMATION : FILE_ID_BOTH_DIRECTORY_INFORMATION;
}

static void dirent_free(gpointer p)
{
	struct sf_fs_dirent *e = p;
	g_free(e->name);
	g_free(e);
}

/* Listing state: CREATE + QUERY_DIRECTORY, more QUERY_DIRECTORY until
 * STATUS_NO_MORE_FILES (or an answer with no entries), then CLOSE
 * (always, also after an error). A server that never ends a listing is
 * stopped at RD_MAX_ENTRIES. */
#define RD_MAX_ENTRIES (1u << 20)
struct rd {
	sf_fs *fs;
	struct smb2_fileid fid;
	GPtrArray *entries;
	guint seen; /* entries the server sent, shown or not */
	bool done;  /* an answer held no entry: the listing is complete */
	int err;
	sf_fs_dir_fn cb;
	void *user;
};

static bool is_dot_name(const uint8_t *n, size_t len)
{
	return (len == 2 && n[0] == '.' && !n[1]) ||
	       (len == 4 && n[0] == '.' && !n[1] && n[2] == '.' && !n[3]);
}

/* The POSIX level (POSIX-FSCC 2.2.1): modes, owners, links, inodes. */
static int collect_posix_entries(struct rd *rd, const struct smb2_query_directory_rsp *q)
{
	size_t pos = 0;
	struct smb2_posix_dirent e;
	int r;
	guint before = rd->seen;
	while ((r = smb2_posix_dirent_next(q->buf, q->buf_len, &pos, &e)) == 1) {
		if (++rd->seen > RD_MAX_ENTRIES) {
			g_warning("listing stopped after %u entries: the server does not end it",
			          RD_MAX_ENTRIES);
			return EIO;
		}
		char *name = is_dot_name(e.name, e.name_len)
		                     ? g_strdup(e.name_len == 2 ? "." : "..")
		                     : sf_name_from_smb(e.name, e.name_len, false);
		if (!name)
			continue;
		struct sf_fs_dirent *d = g_new0(struct sf_fs_dirent, 1);
		d->name = name;
		posix_to_stat(rd->fs, &e.info, &d->st);
		g_ptr_array_add(rd->entries, d);
	}
	rd->done = rd->seen == before;
	return r < 0 ? EIO : 0;
}

/* Turn one QUERY_DIRECTORY response into entries; 0, or an errno. */
static int collect_entries(struct rd *rd, const struct call *c, int i)
{
	size_t len;
	const uint8_t *pdu = call_pdu(c, i, &len);
	struct smb2_query_directory_rsp q;
	if (!pdu || smb2_query_directory_rsp_decode(pdu, len, &q) != 0)
		return EIO;
	if (rd->fs->cfg.posix)
		return collect_posix_entries(rd, &q);
	size_t pos = 0;
	struct smb2_dir_entry e;
	int r;
	guint before = rd->seen;
	while ((r = smb2_dir_entry_next(FILE_ID_BOTH_DIRECTORY_INFORMATION, q.buf, q.buf_len, &pos,
	                                &e)) == 1) {
		if (++rd->seen > RD_MAX_ENTRIES) {
			g_warning("listing stopped after %u entries: the server does not end it",
			          RD_MAX_ENTRIES);
			return EIO;
		}
		/* "." and ".." are kept by name (their file ids are the inode
		 * numbers a listing shows for them); other names POSIX cannot
		 * show are left out. */
		bool dot = (e.name_len == 2 && e.name[0] == '.' && !e.name[1]) ||
		           (e.name_len == 4 && e.name[0] == '.' && !e.name[1] && e.name[2] == '.' &&
		            !e.name[3]);
		char *name = dot ? g_strdup(e.name_len == 2 ? "." : "..")
		                 : sf_name_from_smb(e.name, e.name_len, rd->fs->cfg.mapposix);
		if (!name)
			continue;
		struct sf_fs_dirent *d = g_new0(struct sf_fs_dirent, 1);
		d->name = name;
		to_stat(rd->fs, &e.t, e.file_id, 1, &d->st);
		/* With the reparse attribute, EaSize holds the reparse tag
		 * (MS-FSCC 2.4.17). */
		if ((e.t.attributes & FILE_ATTRIBUTE_REPARSE_POINT) &&
		    smb2_reparse_tag_is_link(e.ea_size))
			sf_fs_mark_link(&d->st, (size_t)d->st.st_size);
		g_ptr_array_add(rd->entries, d);
	}
	rd->done = rd->seen == before;
	return r < 0 ? EIO : 0;
}

static void rd_closed(struct call *c)
{
	struct rd *rd = c->cb;
	if (rd->err) {
		g_ptr_array_unref(rd->entries);
		rd->cb(rd->user, rd->err, NULL);
	} else {
		rd->cb(rd->user, 0, rd->entries);
	}
	g_free(rd);
}

static void rd_close(struct rd *rd)
{
	struct sf_req_spec s;
	close_spec(&s, rd->fid);
	call_run(call_new(rd->fs, rd_closed, rd, NULL), &s, 1);
}

static void rd_more(struct call *c);

static void rd_query(struct rd *rd)
{
	uint8_t star[2] = {'*', 0};
	size_t blen;
	uint32_t out = rd->fs->max_transact;
	struct sf_req_spec s = {.command = SMB2_QUERY_DIRECTORY, .expect_rsp = out};
	s.body =
	        smb2_query_directory_req_encode(rd->fid, dir_class(rd->fs), 0, star, 2, out, &blen);
	s.body_len = blen;
	call_run(call_new(rd->fs, rd_more, rd, NULL), &s, 1);
}

/* One QUERY_DIRECTORY answer (index i of the call): next step. */
static void rd_step(struct rd *rd, const struct call *c, int i)
{
	if (c->st[i] == STATUS_NO_MORE_FILES) {
		rd_close(rd);
		return;
	}
	rd->err = c->st[i] ? sf_fs_errno(c->st[i]) : collect_entries(rd, c, i);
	if (rd->err || rd->done)
		rd_close(rd);
	else
		rd_query(rd);
}

static void rd_more(struct call *c)
{
	rd_step(c->cb, c, 0);
}

static void rd_first(struct call *c)
{
	struct rd *rd = c->cb;
	size_t len;
	const uint8_t *pdu = call_pdu(c, 0, &len);
	struct smb2_create_rsp cr;
	if (c->st[0] || smb2_create_rsp_decode(pdu, len, &cr) != 0) {
		rd->cb(rd->user, c->st[0] ? sf_fs_errno(c->st[0]) : EIO, NULL);
		g_ptr_array_unref(rd->entries);
		g_free(rd);
		return;
	}
	rd->fid = cr.fid;
	rd_step(rd, c, 1);
}

void sf_fs_readdir(sf_fs *fs, const char *path, sf_fs_dir_fn cb, void *user)
{
	if (fs->root && fs_root_readdir(fs, path, cb, user))
		return;
	FS_ROUTE(fs, path, FS_USE, later_dir, cb, user);
	if (fs_dfs_enabled(fs)) {
		user = again_new(fs, path, AGAIN_DIR, cb, user);
		cb = again_dir_cb;
	}
	struct sf_req_spec s[2];
	int err = 0;
	if (!create_spec(fs, &s[0], path, FILE_LIST_DIRECTORY | FILE_READ_ATTRIBUTES | SYNCHRONIZE,
	                 FILE_OPEN, FILE_DIRECTORY_FILE, &err)) {
		later_dir(fs, cb, user, err);
		return;
	}
	uint8_t star[2] = {'*', 0};
	size_t blen;
	uint32_t out = fs->max_transact;
	memset(&s[1], 0, sizeof s[1]);
	s[1].command = SMB2_QUERY_DIRECTORY;
	s[1].expect_rsp = out;
	s[1].body = smb2_query_directory_req_encode(SMB2_FILEID_ANY, dir_class(fs),
	                                            SMB2_RESTART_SCANS, star, 2, out, &blen);
	s[1].body_len = blen;
	struct rd *rd = g_new0(struct rd, 1);
	rd->fs = fs;
	rd->cb = cb;
	rd->user = user;
	rd->entries = g_ptr_array_new_with_free_func(dirent_free);
	call_run(call_new(fs, rd_first, rd, NULL), s, 2);
}

/* ---- namespace ----------------------------------------------------------- */

static void mkdir_done(struct call *c)
{
	sf_fs_stat_fn cb = c->cb;
	uint32_t s = c->st[0] ? c->st[0] : c->st[1];
	struct stat st;
	int err = s ? sf_fs_errno(s) : all_info_stat(c, 1, &st);
	cb(c->user, err, err ? NULL : &st);
}

void sf_fs_mkdir(sf_fs *fs, const char *path, mode_t mode, sf_fs_stat_fn cb, void *user)
{
	FS_ROUTE(fs, path, FS_CREATE, later_stat, cb, user);
	struct sf_req_spec s[3];
	int err = 0;
	if (!create_spec_mode(fs, &s[0], path, FILE_READ_ATTRIBUTES | SYNCHRONIZE, FILE_CREATE,
	                      FILE_DIRECTORY_FILE, mode, &err)) {
		later_stat(fs, cb, user, err);
		return;
	}
	query_all_spec(fs, &s[1], SMB2_FILEID_ANY);
	close_spec(&s[2], SMB2_FILEID_ANY);
	call_run(call_new(fs, mkdir_done, cb, user), s, 3);
}

/* Delete by setting FileDispositionInformation (MS-FSCC 2.4.11) rather
 * than FILE_DELETE_ON_CLOSE at create: the server checks a directory for
 * emptiness when the disposition is set (STATUS_DIRECTORY_NOT_EMPTY),
 * Samba does not for the create option. The name goes away when the last
 * handle closes, as with a POSIX unlink of an open file. */
struct unlink_op {
	char *path;
	bool dir;
	sf_fs_err_fn cb;
	void *user;
};

static void unlink_submit(sf_fs *fs, struct unlink_op *u, bool clear_readonly);

static void unlink_done(struct call *c)
{
	struct unlink_op *u = c->cb;
	uint32_t st = call_status(c);
	/* POSIX unlinks read-only files; SMB refuses while the READONLY
	 * attribute is set. Clear it and try once more. */
	/* Samba shows a POSIX directory without the owner's write bit as
	 * read-only too. */
	if (st == STATUS_CANNOT_DELETE && (!u->dir || c->fs->cfg.posix) && c->n == 3) {
		unlink_submit(c->fs, u, true);
		return;
	}
	/* Replayed after a lost answer: the first attempt removed it. */
	if (c->replayed && (st == STATUS_OBJECT_NAME_NOT_FOUND || st == STATUS_NO_SUCH_FILE))
		st = STATUS_SUCCESS;
	u->cb(u->user, sf_fs_errno(st));
	g_free(u->path);
	g_free(u);
}

static void unlink_submit(sf_fs *fs, struct unlink_op *u, bool clear_readonly)
{
	struct sf_req_spec s[4];
	int n = 0, err = 0;
	uint32_t access = DELETE | FILE_READ_ATTRIBUTES | SYNCHRONIZE;
	if (clear_readonly)
		access |= FILE_WRITE_ATTRIBUTES;
	/* The name itself goes, also when it is a symbolic link. */
	if (!create_spec(fs, &s[n++], u->path, access, FILE_OPEN,
	                 FILE_OPEN_REPARSE_POINT |
	                         (u->dir ? FILE_DIRECTORY_FILE : FILE_NON_DIRECTORY_FILE),
	                 &err)) {
		later_err(fs, u->cb, u->user, err);
		g_free(u->path);
		g_free(u);
		return;
	}
	if (clear_readonly) {
		struct smb2_basic_info b = {.attributes = u->dir ? FILE_ATTRIBUTE_DIRECTORY
		                                                 : FILE_ATTRIBUTE_ARCHIVE};
		uint8_t buf[40];
		smb2_basic_info_encode(&b, buf);
		set_info_spec(&s[n++], SMB2_FILEID_ANY, FILE_BASIC_INFORMATION, buf, 40);
	}
	const uint8_t pending = 1;
	set_info_spec(&s[n++], SMB2_FILEID_ANY, FILE_DISPOSITION_INFORMATION, &pending, 1);
	close_spec(&s[n++], SMB2_FILEID_ANY);
	call_run(call_new(fs, unlink_done, u, NULL), s, n);
}

void sf_fs_unlink(sf_fs *fs, const char *path, bool dir, sf_fs_err_fn cb, void *user)
{
	FS_ROUTE(fs, path, FS_REMOVE, later_err, cb, user);
	struct unlink_op *u = g_new(struct unlink_op, 1);
	u->path = g_strdup(path);
	u->dir = dir;
	u->cb = cb;
	u->user = user;
	unlink_submit(fs, u, false);
}

static void fstat_done(struct call *c)
{
	sf_fs_stat_fn cb = c->cb;
	struct stat st;
	int err = c->st[0] ? sf_fs_errno(c->st[0]) : all_info_stat(c, 0, &st);
	cb(c->user, err, err ? NULL : &st);
}

void sf_fs_fstat(sf_fs *fs, struct sf_fs_handle *h, sf_fs_stat_fn cb, void *user)
{
	FS_ROUTE_H(fs, h, later_stat, cb, user);
	struct sf_req_spec s;
	query_all_spec(fs, &s, h->fid);
	call_run(call_new(fs, fstat_done, cb, user), &s, 1);
}

struct rename_op {
	sf_fs_err_fn cb;
	void *user;
	uint8_t *from, *to; /* server paths */
	size_t from_len, to_len;
	char *to_path; /* the mount's */
};

static void rename_finish(sf_fs *fs, struct rename_op *r, int err)
{
	sf_tree_handle_renamed(fs->tree, r->from, r->from_len, r->to, r->to_len, err == 0);
	r->cb(r->user, err);
	g_free(r->from);
	g_free(r->to);
	g_free(r->to_path);
	g_free(r);
}

struct rename_check {
	sf_fs *fs;
	struct rename_op *r;
};

static void rename_checked(void *user, int err, const struct stat *st)
{
	struct rename_check *k = user;
	/* The source is gone and the target is there: the lost first
	 * attempt did the rename. */
	rename_finish(k->fs, k->r, err ? ENOENT : 0);
	g_free(k);
}

static void rename_done(struct call *c)
{
	struct rename_op *r = c->user;
	uint32_t st = call_status(c);
	if (c->replayed && st == STATUS_OBJECT_NAME_NOT_FOUND) {
		/* A rename is not idempotent: the replay of one whose answer
		 * was lost finds no source. Done if the target exists now. */
		struct rename_check *k = g_new(struct rename_check, 1);
		k->fs = c->fs;
		k->r = r;
		sf_fs_stat(c->fs, r->to_path, rename_checked, k);
		return;
	}
	rename_finish(c->fs, r, sf_fs_errno(st));
}

void sf_fs_rename(sf_fs *fs, const char *from, const char *to, bool replace, sf_fs_err_fn cb,
                  void *user)
{
	FS_ROUTE2(fs, from, to, later_err, cb, user);
	struct sf_req_spec s[3];
	int err = 0;
	size_t nlen, ilen, flen;
	uint8_t *newname = fs_server_path(fs, to, &nlen, &err);
	uint8_t *oldname = newname ? fs_server_path(fs, from, &flen, &err) : NULL;
	if (!oldname || !create_spec(fs, &s[0], from, DELETE | FILE_READ_ATTRIBUTES | SYNCHRONIZE,
	                             FILE_OPEN, FILE_OPEN_REPARSE_POINT, &err)) {
		g_free(newname);
		g_free(oldname);
		later_err(fs, cb, user, err);
		return;
	}
	uint8_t *info = smb2_rename_info_encode(replace, newname, nlen, &ilen);
	set_info_spec(&s[1], SMB2_FILEID_ANY, FILE_RENAME_INFORMATION, info, ilen);
	close_spec(&s[2], SMB2_FILEID_ANY);
	g_free(info);
	struct rename_op *r = g_new(struct rename_op, 1);
	r->cb = cb, r->user = user;
	r->from = oldname, r->from_len = flen;
	r->to = newname, r->to_len = nlen;
	r->to_path = g_strdup(to);
	sf_tree_handle_renaming(fs->tree, oldname, flen, newname, nlen);
	call_run(call_new(fs, rename_done, NULL, r), s, 3);
}

/* ---- setattr -------------------------------------------------------- */

static void setattr_done(struct call *c)
{
	sf_fs_stat_fn cb = c->cb;
	/* The last three parts are the FileAllInformation and attribute
	 * tag queries and the close; a server without the tag class only
	 * loses the link check. */
	uint32_t s = STATUS_SUCCESS;
	for (int i = 0; i < c->n && !s; i++)
		if (i != c->n - 2)
			s = c->st[i];
	struct stat st;
	int err = s ? sf_fs_errno(s) : all_info_stat(c, c->n - 3, &st);
	if (!err)
		tag_part_apply(c, c->n - 2, &st);
	cb(c->user, err, err ? NULL : &st);
}

static uint64_t ft_of(struct timespec ts)
{
	return sf_timespec_to_filetime(ts);
}

void sf_fs_setattr(sf_fs *fs, const char *path, struct sf_fs_handle *h, unsigned to_set,
                   const struct stat *st, sf_fs_stat_fn cb, void *user)
{
	if (path) {
		FS_ROUTE(fs, path, FS_USE, later_stat, cb, user);
	} else {
		FS_ROUTE_H(fs, h, later_stat, cb, user);
	}
	struct sf_req_spec s[MAX_PARTS];
	int n = 0, err = 0;
	uint32_t access = FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES | SYNCHRONIZE;
	bool posix = fs->cfg.posix;
	if (!posix)
		to_set &= ~(unsigned)(SF_SET_UID | SF_SET_GID);
	if (to_set & SF_SET_SIZE)
		access |= FILE_WRITE_DATA;
	if (to_set & (SF_SET_UID | SF_SET_GID))
		access |= WRITE_OWNER;
	if (posix && (to_set & SF_SET_MODE))
		access |= WRITE_DAC;
	if (!create_spec(fs, &s[n++], path, access, FILE_OPEN, FILE_OPEN_REPARSE_POINT, &err)) {
		later_stat(fs, cb, user, err);
		return;
	}
	if (to_set & SF_SET_SIZE) {
		uint8_t eof[8];
		sf_put_le64(eof, (uint64_t)st->st_size);
		set_info_spec(&s[n++], SMB2_FILEID_ANY, FILE_END_OF_FILE_INFORMATION, eof, 8);
	}
	if (to_set & (SF_SET_UID | SF_SET_GID)) {
		/* chown/chgrp: a descriptor with only the owner and/or group,
		 * as Samba's SIDs for Unix ids (S-1-22-1-uid, S-1-22-2-gid). */
		struct smb2_sid o, g;
		smb2_sid_from_unix_id(&o, 1, (uint32_t)st->st_uid);
		smb2_sid_from_unix_id(&g, 2, (uint32_t)st->st_gid);
		size_t sdlen, blen;
		uint8_t *sd = smb2_sd_owner_group_encode((to_set & SF_SET_UID) ? &o : NULL,
		                                         (to_set & SF_SET_GID) ? &g : NULL, &sdlen);
		struct sf_req_spec *q = &s[n++];
		memset(q, 0, sizeof *q);
		q->command = SMB2_SET_INFO;
		q->body = smb2_set_info_req_encode_ex(
		        SMB2_FILEID_ANY, SMB2_0_INFO_SECURITY, 0,
		        ((to_set & SF_SET_UID) ? OWNER_SECURITY_INFORMATION : 0) |
		                ((to_set & SF_SET_GID) ? GROUP_SECURITY_INFORMATION : 0),
		        sd, sdlen, &blen);
		q->body_len = blen;
		g_free(sd);
	}
	if (posix && (to_set & SF_SET_MODE)) {
		/* chmod: a DACL of one ACE for S-1-5-88-3-mode. */
		size_t sdlen, blen;
		uint8_t *sd = smb2_sd_posix_mode_encode((uint32_t)st->st_mode & 07777, &sdlen);
		struct sf_req_spec *q = &s[n++];
		memset(q, 0, sizeof *q);
		q->command = SMB2_SET_INFO;
		q->body = smb2_set_info_req_encode_ex(SMB2_FILEID_ANY, SMB2_0_INFO_SECURITY, 0,
		                                      DACL_SECURITY_INFORMATION, sd, sdlen, &blen);
		q->body_len = blen;
		g_free(sd);
		to_set &= ~(unsigned)SF_SET_MODE;
	}
	if (to_set & (SF_SET_MODE | SF_SET_ATIME | SF_SET_MTIME)) {
		/* Zero fields mean "leave unchanged" (MS-FSCC 2.4.7). */
		struct smb2_basic_info b = {0};
		if (to_set & SF_SET_ATIME)
			b.last_access = ft_of(st->st_atim);
		if (to_set & SF_SET_MTIME)
			b.last_write = ft_of(st->st_mtim);
		if ((to_set & SF_SET_MODE) && !S_ISDIR(st->st_mode))
			b.attributes = (st->st_mode & 0222)
			                       ? FILE_ATTRIBUTE_ARCHIVE
			                       : FILE_ATTRIBUTE_READONLY | FILE_ATTRIBUTE_ARCHIVE;
		uint8_t buf[40];
		smb2_basic_info_encode(&b, buf);
		set_info_spec(&s[n++], SMB2_FILEID_ANY, FILE_BASIC_INFORMATION, buf, 40);
	}
	query_all_spec(fs, &s[n++], SMB2_FILEID_ANY);
	query_tag_spec(fs, &s[n++], SMB2_FILEID_ANY);
	close_spec(&s[n++], SMB2_FILEID_ANY);
	(void)h;
	call_run(call_new(fs, setattr_done, cb, user), s, n);
}

/* ---- statfs ------------------------------------------------------------ */

static void statfs_done(struct call *c)
{
	sf_fs_statvfs_fn cb = c->cb;
	uint32_t s = call_status(c);
	if (s) {
		cb(c->user, sf_fs_errno(s), NULL);
		return;
	}
	size_t len;
	const uint8_t *pdu = call_pdu(c, 1, &len);
	struct smb2_query_info_rsp q;
	struct smb2_fs_full_size f;
	if (smb2_query_info_rsp_decode(pdu, len, &q) != 0 ||
	    smb2_fs_full_size_decode(q.buf, q.buf_len, &f) != 0) {
		cb(c->user, EIO, NULL);
		return;
	}
	struct statvfs sv = {0};
	sv.f_bsize = sv.f_frsize = (unsigned long)f.sectors_per_unit * f.bytes_per_sector;
	if (!sv.f_bsize)
		sv.f_bsize = sv.f_frsize = 4096;
	sv.f_blocks = f.total_units;
	sv.f_bfree = f.actual_avail_units;
	sv.f_bavail = f.caller_avail_units;
	sv.f_namemax = 255;
	cb(c->user, 0, &sv);
}

void sf_fs_statfs(sf_fs *fs, const char *path, sf_fs_statvfs_fn cb, void *user)
{
	if (fs->root) {
		if (!path || !*path) {
			fs_root_statfs(fs, cb, user);
			return;
		}
		FS_ROUTE(fs, path, FS_USE, later_statvfs, cb, user);
	}
	struct sf_req_spec s[3];
	int err = 0;
	if (!create_spec(fs, &s[0], "", FILE_READ_ATTRIBUTES | SYNCHRONIZE, FILE_OPEN, 0, &err)) {
		later_statvfs(fs, cb, user, err);
		return;
	}
	size_t blen;
	memset(&s[1], 0, sizeof s[1]);
	s[1].command = SMB2_QUERY_INFO;
	s[1].body = smb2_query_info_req_encode(SMB2_FILEID_ANY, SMB2_0_INFO_FILESYSTEM,
	                                       FILE_FS_FULL_SIZE_INFORMATION, 32, 0, &blen);
	s[1].body_len = blen;
	close_spec(&s[2], SMB2_FILEID_ANY);
	call_run(call_new(fs, statfs_done, cb, user), s, 3);
}
