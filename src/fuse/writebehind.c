/* writebehind.c - writes answered before the server has them.
 *
 * Without it each write(2) waits a round trip for its SMB WRITE, and a
 * stream of writes gets one round trip's worth of data per round trip.
 * Here a WRITE is sent and the application is told it was written at once,
 * while the bytes so acknowledged but not yet answered by the server stay
 * under a bound per file (WB_MAX_BYTES); past it a write waits for room.
 *
 * A failure of an acknowledged write cannot be reported to the write(2)
 * that made it; it is kept on the file and reported, once, by the next
 * write, fsync or close (flush) of it, as NFS and the kernel's SMB client
 * do. Everything that must see the written data waits until the file's
 * writes are answered: getattr and lookup (or the server's old size would
 * shrink the kernel's), reads (the server may run a READ before an earlier
 * WRITE), setattr, flush, fsync, release, and the other data operations.
 * The data was already copied into the request when it was sent. */
#define G_LOG_DOMAIN "smbfuse-fuse"

#include "fuse/ops_int.h"

#include <errno.h>

/* Acknowledged, unanswered bytes per file: a few times what a 1 Gbit/s
 * link carries in a 10 ms round trip. */
#define WB_MAX_BYTES (32u << 20)

struct wb_write;

/* One file's writes in flight. Freed when none is left, no failure is
 * waiting to be reported and no one waits. */
struct wb_node {
	uint64_t ino;
	size_t acked;     /* bytes acknowledged and not yet answered */
	unsigned pending; /* writes in flight, acknowledged or not */
	int err;          /* first failure of an acknowledged write */
	GQueue blocked;   /* struct wb_write waiting for room, in order */
	GQueue waiters;   /* struct wb_waiter */
	/* Created without waiting (lazy.c): its CREATE counts as a write in
	 * flight, and whoever waits has it sent at once. */
	struct sf_fs_handle *lazy;
};

struct wb_write {
	struct sf_fuse *f;
	struct wb_node *n;
	fuse_req_t req; /* NULL once acknowledged */
	size_t size;    /* what write(2) asked */
	size_t done;    /* what the server wrote, from the start */
	unsigned parts;
	int err;
};

struct wb_part {
	struct wb_write *w;
	size_t at, want;
};

struct wb_waiter {
	sf_wb_cont cont;
	void *user;
};

static struct wb_node *node_get(struct sf_fuse *f, uint64_t ino, bool create)
{
	if (!f->wb) {
		if (!create)
			return NULL;
		f->wb = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, g_free);
	}
	struct wb_node *n = g_hash_table_lookup(f->wb, &ino);
	if (!n && create) {
		n = g_new0(struct wb_node, 1);
		n->ino = ino;
		g_queue_init(&n->blocked);
		g_queue_init(&n->waiters);
		g_hash_table_insert(f->wb, &n->ino, n);
	}
	return n;
}

static void node_maybe_free(struct sf_fuse *f, struct wb_node *n)
{
	if (!n->pending && !n->err && g_queue_is_empty(&n->waiters))
		g_hash_table_remove(f->wb, &n->ino);
}

static void acknowledge(struct wb_write *w)
{
	w->n->acked += w->size;
	w->f->stats.writes_behind++;
	fuse_reply_write(w->req, w->size);
	w->req = NULL;
}

/* Room again: acknowledge the writes that waited, in order. */
static void unblock(struct wb_node *n)
{
	struct wb_write *w;
	while ((w = g_queue_peek_head(&n->blocked)) && n->acked + w->size <= WB_MAX_BYTES) {
		g_queue_pop_head(&n->blocked);
		acknowledge(w);
	}
}

/* The writes are answered: run who waited for that. A waiter may write
 * again (a new write-behind), so the queue is taken first. */
static void run_waiters(struct sf_fuse *f, struct wb_node *n)
{
	GQueue q = n->waiters;
	g_queue_init(&n->waiters);
	struct wb_waiter *x;
	while ((x = g_queue_pop_head(&q))) {
		x->cont(x->user);
		g_free(x);
	}
	(void)f;
}

static void write_finished(struct wb_write *w)
{
	struct sf_fuse *f = w->f;
	struct wb_node *n = w->n;
	int err = w->err;
	if (!err && w->done < w->size)
		err = EIO; /* a server that wrote less than asked: the rest is lost */
	if (w->req) {      /* not acknowledged yet: its own answer tells */
		g_queue_remove(&n->blocked, w);
		if (w->err && !w->done)
			fuse_reply_err(w->req, w->err);
		else
			fuse_reply_write(w->req, w->done);
	} else {
		n->acked -= w->size;
		if (err && !n->err) {
			n->err = err;
			f->stats.write_errors_deferred++;
			g_message("a write acknowledged earlier failed: %s (reported at the next "
			          "write, fsync or close)",
			          g_strerror(err));
		}
	}
	n->pending--;
	g_free(w);
	unblock(n);
	uint64_t ino = n->ino;
	if (!n->pending)
		run_waiters(f, n);
	/* A waiter may have freed the node (sf_wb_take_error from a flush)
	 * or made a new one (it wrote again): look it up again. */
	n = node_get(f, ino, false);
	if (n)
		node_maybe_free(f, n);
}

static void part_done(void *user, int err, size_t got)
{
	struct wb_part *p = user;
	struct wb_write *w = p->w;
	if (err || got < p->want) {
		/* What counts is what was written from the start. */
		size_t upto = p->at + (err ? 0 : MIN(got, p->want));
		w->done = MIN(w->done, upto);
		if (err && !w->err)
			w->err = err;
	}
	g_free(p);
	if (--w->parts == 0)
		write_finished(w);
}

int sf_wb_take_error(struct sf_fuse *f, uint64_t ino)
{
	struct wb_node *n = node_get(f, ino, false);
	if (!n)
		return 0;
	int err = n->err;
	n->err = 0;
	node_maybe_free(f, n);
	return err;
}

void sf_wb_write(struct sf_fuse *f, fuse_req_t req, uint64_t ino, struct sf_fs_handle *h,
                 const char *buf, size_t size, off_t off)
{
	struct wb_node *n = node_get(f, ino, true);
	if (n->err) { /* an earlier write of this file failed: say so now */
		int err = n->err;
		n->err = 0;
		fuse_reply_err(req, err);
		node_maybe_free(f, n);
		return;
	}
	struct wb_write *w = g_new0(struct wb_write, 1);
	w->f = f;
	w->n = n;
	w->req = req;
	w->size = size;
	w->done = size;
	size_t chunk = f->max_write;
	w->parts = (unsigned)((size + chunk - 1) / chunk);
	n->pending++;
	/* Not part of this request's interrupt group: once acknowledged,
	 * an interrupt must not cancel it. */
	sf_fs_set_group(f->fs, 0);
	for (size_t at = 0; at < size; at += chunk) {
		struct wb_part *p = g_new(struct wb_part, 1);
		p->w = w;
		p->at = at;
		p->want = MIN(chunk, size - at);
		sf_fs_write(f->fs, h, (uint64_t)off + at, buf + at, p->want, part_done, p);
	}
	sf_fs_set_group(f->fs, f->dispatch_group);
	/* The callbacks never run inside sf_fs_write, so w is still here. */
	if (g_queue_is_empty(&n->blocked) && n->acked + size <= WB_MAX_BYTES)
		acknowledge(w);
	else
		g_queue_push_tail(&n->blocked, w), f->stats.writes_waited++;
}

bool sf_wb_pending(struct sf_fuse *f, uint64_t ino)
{
	struct wb_node *n = node_get(f, ino, false);
	return n && n->pending;
}

static void sent(void *user, int err)
{
}

void sf_wb_lazy_begin(struct sf_fuse *f, uint64_t ino, struct sf_fs_handle *h)
{
	struct wb_node *n = node_get(f, ino, true);
	n->pending++;
	n->lazy = h;
}

void sf_wb_lazy_done(struct sf_fuse *f, uint64_t ino, int err)
{
	struct wb_node *n = node_get(f, ino, false);
	if (!n)
		return; /* teardown */
	n->lazy = NULL;
	if (err && !n->err) {
		n->err = err;
		f->stats.write_errors_deferred++;
		g_message("creating a file failed after its creation was answered: %s (reported "
		          "at the next write, fsync or close)",
		          g_strerror(err));
	}
	n->pending--;
	if (!n->pending)
		run_waiters(f, n);
	n = node_get(f, ino, false);
	if (n)
		node_maybe_free(f, n);
}

bool sf_wb_defer(struct sf_fuse *f, uint64_t ino, sf_wb_cont cont, void *user)
{
	struct wb_node *n = node_get(f, ino, false);
	if (!n || !n->pending)
		return false;
	if (n->lazy) /* someone waits for the file: its CREATE goes now */
		sf_fs_when_open(f->fs, n->lazy, sent, NULL);
	struct wb_waiter *x = g_new(struct wb_waiter, 1);
	x->cont = cont;
	x->user = user;
	g_queue_push_tail(&n->waiters, x);
	return true;
}

void sf_wb_free(struct sf_fuse *f)
{
	if (!f->wb)
		return;
	/* Teardown: the connection is gone, so are the writes' callbacks. */
	GHashTableIter it;
	gpointer v;
	g_hash_table_iter_init(&it, f->wb);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct wb_node *n = v;
		g_queue_clear_full(&n->waiters, g_free);
		g_queue_clear(&n->blocked);
	}
	g_hash_table_destroy(f->wb);
	f->wb = NULL;
}

static void redo_run(void *user)
{
	struct redo *r = user;
	struct sf_fuse *f = fuse_req_userdata(r->req);
	/* At teardown the handles the operation names may be freed already
	 * (sf_fs_close_all): the kernel's request only gets its answer. */
	if (f->stopping)
		fuse_reply_err(r->req, EIO);
	else
		r->run(r);
	g_free(r->name);
	g_free(r);
}

struct redo *redo_if_writing(fuse_req_t req, fuse_ino_t ino, void (*run)(struct redo *r))
{
	struct sf_fuse *f = ctx_of(req);
	if (!sf_wb_pending(f, ino))
		return NULL;
	struct redo *r = g_new0(struct redo, 1);
	r->req = req;
	r->ino = ino;
	r->run = run;
	sf_wb_defer(f, ino, redo_run, r);
	return r;
}
