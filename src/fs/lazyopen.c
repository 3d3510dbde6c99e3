/* lazyopen.c - a new file created without waiting for the server.
 *
 * Unpacking an archive creates files that are written and closed at once;
 * with the CREATE answered before the first write, each file costs a round
 * trip for the CREATE and another for its data. Here the handle is given
 * out at once and the CREATE goes with the first write, in one compound
 * (CREATE + QUERY_INFO + WRITE on the related file id), or alone when
 * something must wait for it (sf_fs_when_open), or after LAZY_MS at the
 * latest, so that other clients soon see the file.
 *
 * The caller (the FUSE layer) only does this for a name it knows to be
 * absent; an error of the CREATE (the name was made meanwhile by another
 * client, the disk is full) reaches the first write and every waiter, as a
 * write-behind failure does. Writes that come while the CREATE is in
 * flight wait here (copied) and go once the file id is known. */
#define G_LOG_DOMAIN "smbfuse-fs"

#include "fs/call.h"
#include "fs/later.h"
#include "proto/io.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>

/* The longest a created file stays unknown to the server. */
#define LAZY_MS 100
/* A first write up to this size goes in the CREATE's compound. */
#define LAZY_WRITE_MAX (64u << 10)

struct lazy_write {
	uint64_t off;
	uint8_t *data;
	size_t len;
	sf_fs_count_fn cb;
	void *user;
};

struct lazy_wait {
	sf_fs_err_fn cb;
	void *user;
};

struct lazy_stat_wait {
	sf_fs_stat_fn cb;
	void *user;
};

struct fs_pending {
	sf_fs *fs;               /* routed: the share's (or the DFS-free mount's) fs */
	struct open_op *op;      /* made at once: the name is checked then */
	struct sf_req_spec s[2]; /* CREATE, QUERY_INFO */
	bool sent;
	GQueue writes;       /* struct lazy_write, while the CREATE is in flight */
	GQueue waiters;      /* struct lazy_wait */
	GQueue stat_waiters; /* struct lazy_stat_wait: given the CREATE's attributes */
	GSource *timer;
	/* the compound's own write */
	sf_fs_count_fn wcb;
	void *wuser;
	size_t wlen;
};

static void stop_timer(struct fs_pending *p)
{
	if (p->timer) {
		g_source_destroy(p->timer);
		g_source_unref(p->timer);
		p->timer = NULL;
	}
}

static void pending_free(struct fs_pending *p)
{
	stop_timer(p);
	struct lazy_write *w;
	while ((w = g_queue_pop_head(&p->writes))) {
		g_free(w->data);
		g_free(w);
	}
	g_queue_clear_full(&p->waiters, g_free);
	g_queue_clear_full(&p->stat_waiters, g_free);
	if (!p->sent) {
		for (int i = 0; i < 2; i++)
			g_free((void *)p->s[i].body);
		open_op_free(p->op);
	}
	g_free(p);
}

void fs_lazy_free(struct sf_fs_handle *h)
{
	if (h->pending)
		pending_free(h->pending);
	h->pending = NULL;
}

/* The CREATE is answered: the waiting writes go (or fail), then the
 * waiters are told (one of them may close, and so free, the handle). */
static void settle(struct sf_fs_handle *h, int err)
{
	struct fs_pending *p = h->pending;
	sf_fs *fs = p->fs;
	h->pending = NULL;
	h->open_err = err;
	struct lazy_write *w;
	while ((w = g_queue_pop_head(&p->writes))) {
		if (err)
			w->cb(w->user, err, 0);
		else
			sf_fs_write(fs, h, w->off, w->data, w->len, w->cb, w->user);
		g_free(w->data);
		g_free(w);
	}
	GQueue waiters = p->waiters;
	g_queue_init(&p->waiters);
	pending_free(p);
	struct lazy_wait *x;
	while ((x = g_queue_pop_head(&waiters))) {
		x->cb(x->user, err);
		g_free(x);
	}
}

static void created(struct call *c)
{
	struct open_op *op = c->user;
	struct sf_fs_handle *h = op->user;
	struct fs_pending *p = h->pending;
	struct stat st;
	int err = open_finish(c, op, &h, &st);
	/* Who asked for the attributes (a stat before the first write) gets
	 * the CREATE's: the file as it was made, its file id the server's. */
	struct lazy_stat_wait *sw;
	while ((sw = g_queue_pop_head(&p->stat_waiters))) {
		sw->cb(sw->user, err, err ? NULL : &st);
		g_free(sw);
	}
	if (p->wcb) { /* the write that went with it */
		struct smb2_write_rsp wr;
		size_t len;
		const uint8_t *pdu = call_pdu(c, 2, &len);
		int werr = err                                         ? err
		           : c->st[2]                                  ? sf_fs_errno(c->st[2])
		           : smb2_write_rsp_decode(pdu, len, &wr) != 0 ? EIO
		           : wr.count > p->wlen                        ? EIO
		                                                       : 0;
		p->wcb(p->wuser, werr, werr ? 0 : wr.count);
	}
	open_op_free(op);
	settle(h, err);
}

/* Send the CREATE, with a first write (data != NULL) or alone. */
static void send_create(struct sf_fs_handle *h, uint64_t off, const void *data, size_t len,
                        sf_fs_count_fn cb, void *user)
{
	struct fs_pending *p = h->pending;
	stop_timer(p);
	p->sent = true; /* the op and the bodies are the call's from now on */
	struct sf_req_spec s[3];
	s[0] = p->s[0];
	s[1] = p->s[1];
	p->op->user = h;
	int n = 2;
	if (data) {
		size_t blen;
		memset(&s[2], 0, sizeof s[2]);
		s[2].command = SMB2_WRITE;
		s[2].body = smb2_write_req_encode(SMB2_FILEID_ANY, off, data, len, &blen);
		s[2].body_len = blen;
		p->wcb = cb;
		p->wuser = user;
		p->wlen = len;
		n = 3;
	}
	call_run(call_new(p->fs, created, NULL, p->op), s, n);
}

static gboolean timer_fired(gpointer user)
{
	struct sf_fs_handle *h = user;
	struct fs_pending *p = h->pending;
	g_source_unref(p->timer);
	p->timer = NULL;
	if (!p->sent)
		send_create(h, 0, NULL, 0, NULL, NULL);
	return G_SOURCE_REMOVE;
}

struct sf_fs_handle *sf_fs_create_lazy(sf_fs *fs, const char *path, int flags, mode_t mode,
                                       struct stat *st)
{
	int e = fs_route(&fs, &path, FS_CREATE);
	/* On a DFS share a name may need a referral first, and POSIX
	 * attributes (owner, mode) come from the server: not there. */
	if (e || sf_tree_is_dfs(fs->tree) || fs->cfg.posix)
		return NULL;
	struct fs_pending *p = g_new0(struct fs_pending, 1);
	int err = 0;
	p->op = open_prepare(fs, path, flags | O_CREAT, mode, p->s, &err);
	if (!p->op) { /* a name the server cannot store: the ordinary path says so */
		g_free(p);
		return NULL;
	}
	struct sf_fs_handle *h = g_new0(struct sf_fs_handle, 1);
	h->owner = fs;
	p->fs = fs;
	g_queue_init(&p->writes);
	g_queue_init(&p->waiters);
	g_queue_init(&p->stat_waiters);
	h->pending = p;
	g_hash_table_add(fs->handles, h);
	p->timer = g_timeout_source_new(LAZY_MS);
	g_source_set_callback(p->timer, timer_fired, h, NULL);
	g_source_attach(p->timer, g_main_context_get_thread_default());
	/* What the server will report for a new empty file (to_stat's rules:
	 * file_mode=, read-only without write bits). */
	memset(st, 0, sizeof *st);
	st->st_mode = S_IFREG | (fs->cfg.file_mode & ((mode & 0222) ? 07777 : ~0222u));
	st->st_nlink = 1;
	st->st_uid = fs->cfg.uid;
	st->st_gid = fs->cfg.gid;
	st->st_blksize = 4096;
	clock_gettime(CLOCK_REALTIME, &st->st_mtim);
	st->st_atim = st->st_ctim = st->st_mtim;
	return h;
}

/* sf_fs_write on a handle whose CREATE is not answered. */
void fs_lazy_write(struct sf_fs_handle *h, uint64_t off, const void *data, size_t len,
                   sf_fs_count_fn cb, void *user)
{
	struct fs_pending *p = h->pending;
	if (!p->sent && len <= LAZY_WRITE_MAX) {
		send_create(h, off, data, len, cb, user);
		return;
	}
	if (!p->sent)
		send_create(h, 0, NULL, 0, NULL, NULL);
	struct lazy_write *w = g_new(struct lazy_write, 1);
	w->off = off;
	w->data = g_memdup2(data, len);
	w->len = len;
	w->cb = cb;
	w->user = user;
	g_queue_push_tail(&p->writes, w);
}

void sf_fs_on_open(sf_fs *fs, struct sf_fs_handle *h, sf_fs_err_fn cb, void *user)
{
	struct fs_pending *p = h->pending;
	if (!p) {
		later_err(fs, cb, user, h->open_err);
		return;
	}
	struct lazy_wait *x = g_new(struct lazy_wait, 1);
	x->cb = cb;
	x->user = user;
	g_queue_push_tail(&p->waiters, x);
}

void sf_fs_when_open(sf_fs *fs, struct sf_fs_handle *h, sf_fs_err_fn cb, void *user)
{
	sf_fs_on_open(fs, h, cb, user);
	if (h->pending && !h->pending->sent)
		send_create(h, 0, NULL, 0, NULL, NULL);
}

void sf_fs_when_open_stat(sf_fs *fs, struct sf_fs_handle *h, sf_fs_stat_fn cb, void *user)
{
	struct fs_pending *p = h->pending;
	if (!p) { /* open already: ask the handle */
		sf_fs_fstat(fs, h, cb, user);
		return;
	}
	struct lazy_stat_wait *x = g_new(struct lazy_stat_wait, 1);
	x->cb = cb;
	x->user = user;
	g_queue_push_tail(&p->stat_waiters, x);
	if (!p->sent)
		send_create(h, 0, NULL, 0, NULL, NULL);
}

bool sf_fs_handle_unsent(const struct sf_fs_handle *h)
{
	return h->pending && !h->pending->sent;
}
