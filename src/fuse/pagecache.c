/* pagecache.c - the kernel's page cache of a file kept across opens.
 *
 * By default every open drops the file's cached pages, so reading a file
 * twice reads it twice over the network. An open keeps them
 * (FOPEN_KEEP_CACHE) when both hold:
 *  - this open was granted a read-caching lease: while it lasts, nobody
 *    else can change the file without the server breaking it first;
 *  - the CREATE's answer shows the file as it was when its pages were
 *    last known good: the same change time, last-write time and size as
 *    at the previous open. That covers the time between two opens, when
 *    no lease was held.
 * A break that takes read caching away drops the file's pages before the
 * server is told (fuse_lowlevel_notify_inval_inode). That call waits for
 * pages the kernel has locked for a READ this very loop must answer, so
 * it runs on a thread of its own and the acknowledgment is sent from the
 * loop when it returns. Without a lease (nolease, SMB 2.0.2, a server
 * that grants none) nothing changes: each open starts afresh. */
#define G_LOG_DOMAIN "smbfuse-fuse"

#include "fuse/ops_int.h"

#include "proto/lease.h"

#include <string.h>

struct pc_node {
	struct timespec mtime, ctime;
	off_t size;
	bool good; /* the pages match the times above */
};

static bool same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

void sf_pc_opened(struct sf_fuse *f, uint64_t ino, struct sf_fs_handle *h, const struct stat *st,
                  struct fuse_file_info *fi)
{
	h->tag = ino;
	if (f->direct_io)
		return;
	if (!f->pcache)
		f->pcache = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
	if (g_hash_table_size(f->pcache) > 65536)
		g_hash_table_remove_all(f->pcache); /* a bound; forgetting is always safe */
	struct pc_node *n = g_hash_table_lookup(f->pcache, &ino);
	bool leased = h->lease_state & SMB2_LEASE_READ_CACHING;
	bool same = n && n->good && same_time(&n->mtime, &st->st_mtim) &&
	            same_time(&n->ctime, &st->st_ctim) && n->size == st->st_size;
	if (leased && same) {
		fi->keep_cache = 1;
		f->stats.cache_kept++;
	}
	if (!n) {
		uint64_t *key = g_new(uint64_t, 1);
		*key = ino;
		n = g_new0(struct pc_node, 1);
		g_hash_table_insert(f->pcache, key, n);
	}
	n->mtime = st->st_mtim;
	n->ctime = st->st_ctim;
	n->size = st->st_size;
	n->good = leased;
}

struct inval {
	struct sf_fuse *f;
	uint64_t ino;
	sf_break_ack *ack;
};

static gboolean inval_done(gpointer p)
{
	struct inval *iv = p;
	sf_tree_break_done(iv->ack);
	g_free(iv);
	return G_SOURCE_REMOVE;
}

/* On the worker thread: only the kernel call. */
static void inval_run(gpointer p, gpointer unused)
{
	struct inval *iv = p;
	int r = fuse_lowlevel_notify_inval_inode(iv->f->se, iv->ino, 0, 0);
	if (r < 0 && r != -ENOENT)
		g_debug("dropping the cached pages of node %" G_GUINT64_FORMAT ": %s", iv->ino,
		        g_strerror(-r));
	g_idle_add(inval_done, iv);
}

void sf_pc_reopened(struct sf_fuse *f, uint64_t ino, struct sf_fs_handle *h,
                    struct fuse_file_info *fi)
{
	h->tag = ino;
	struct pc_node *n = f->pcache ? g_hash_table_lookup(f->pcache, &ino) : NULL;
	if (!f->direct_io && n && n->good && (h->lease_state & SMB2_LEASE_READ_CACHING)) {
		fi->keep_cache = 1;
		f->stats.cache_kept++;
	}
}

static void on_break(void *user, struct sf_fs_handle *h, sf_break_ack *ack)
{
	struct sf_fuse *f = user;
	uint64_t ino = h->tag;
	bool read_lost = !(h->lease_state & SMB2_LEASE_READ_CACHING);
	sf_dc_broken(f, h); /* a handle kept after its close: closed (freed) now */
	if (!read_lost) {   /* only handle caching went */
		sf_tree_break_done(ack);
		return;
	}
	struct pc_node *n = f->pcache ? g_hash_table_lookup(f->pcache, &ino) : NULL;
	if (n)
		n->good = false;
	sf_ac_drop(f, ino);
	if (!ino || !f->se || !f->inval_pool) {
		sf_tree_break_done(ack);
		return;
	}
	struct inval *iv = g_new(struct inval, 1);
	iv->f = f;
	iv->ino = ino;
	iv->ack = ack;
	f->stats.cache_dropped++;
	g_thread_pool_push(f->inval_pool, iv, NULL);
}

void sf_pc_start(struct sf_fuse *f)
{
	if (f->direct_io || !f->fs)
		return;
	f->inval_pool = g_thread_pool_new(inval_run, NULL, 1, FALSE, NULL);
	sf_fs_set_break_hook(f->fs, on_break, f);
}

void sf_pc_stop(struct sf_fuse *f)
{
	sf_fw_stop(f);
	if (f->fs)
		sf_fs_set_break_hook(f->fs, NULL, NULL);
	if (f->inval_pool) {
		g_thread_pool_free(f->inval_pool, FALSE, TRUE); /* waits for the queue */
		f->inval_pool = NULL;
		while (g_main_context_iteration(NULL, FALSE))
			; /* the acknowledgments they posted */
	}
	if (f->pcache)
		g_hash_table_destroy(f->pcache);
	f->pcache = NULL;
}
