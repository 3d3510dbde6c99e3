/* watch.c - directories whose listing is cached are watched for changes
 * made by other clients (fs/watch.c, SMB2 CHANGE_NOTIFY), so that what
 * the daemon and the kernel cache of them stays right at once instead of
 * within actimeo.
 *
 * A directory is watched from the moment it is listed whole (its names
 * then answer lookups, dircache.c) until that listing could expire
 * (acdirmax after the last listing), at most max_cached_dirs (64) directories, the
 * least recently listed dropped first, but only when it was last listed
 * FW_BUSY_US ago or more: a tree walk (find, ls -R, du) lists thousands
 * of directories once each, and watching each for a moment would cost it
 * three requests and a round trip per directory; it watches the first
 * ones and lists the rest as before. A watch holds the directory open
 * on the server and costs a CREATE, a CHANGE_NOTIFY per change and a
 * CLOSE, so it is only kept where the caches last longer than the
 * default second (acdirmax > 1), or the server grants directory leases
 * (below): within a second actimeo already promises what a watch would.
 *
 * A change to a name drops what is known of it: its attributes here, the
 * directory's set of names when a name went away (dircache.c), the
 * kernel's entry for the name (a negative one would hide a new file, a
 * positive one show a removed file) and the cached attributes and pages
 * of the file and of the directory. The kernel calls may wait for a
 * request this loop must answer (the directory's lock is held by a
 * LOOKUP in flight), so they run on a thread of their own (as in
 * pagecache.c). Changes this mount made itself come back too: a name it
 * already knows to be there (added) is left alone, and a file open here
 * or changed here a moment ago (modified) loses only its attributes, so
 * that writing a file in a watched directory does not drop its pages at
 * each write.
 *
 * A watch that ends (reconnect, server refusal) leaves the caches to
 * their timeouts, after dropping what is cached of the directory. Before
 * this mount removes or renames a directory, the watches on it and below
 * it are closed (and the operation waits for that): an open handle keeps
 * a removed directory's name until it is closed, and Samba 4.17 refuses
 * (ACCESS_DENIED) a rename of a directory below which the same session
 * holds handles open (test_notify.py fails with EACCES without this).
 *
 * Where the server grants directory leases (fs/watch.c asks for one with
 * each watch, also at the default acdirmax of 1 s) a watched directory is
 * kept for FW_LEASE_KEEP_US after its last listing, and while its lease
 * is held its last listing answers the next ones (readdir), its set of
 * names and their attributes answer lookups past acdirmax (dircache.c),
 * and the attributes its "." entry gave answer stat of the directory: a
 * second `ls -l` sends nothing. Any change told, this mount's own changes
 * in it, and the end of the lease (a break ends the watch) drop that
 * listing; a file this mount changed since the listing is not described
 * by it (its attributes come from a lookup). */
#define G_LOG_DOMAIN "smbfuse-fuse"

#include "fuse/ops_int.h"

#include <string.h>

#define FW_BUSY_US (1 * G_USEC_PER_SEC)
/* A change of a file this mount made within this long is its own. */
#define FW_OWN_US (2 * G_USEC_PER_SEC)
/* A directory under lease is kept this long after it was last listed. */
#define FW_LEASE_KEEP_US (60 * G_USEC_PER_SEC)

struct fw {
	struct sf_fuse *f;
	uint64_t ino; /* the directory's node */
	struct sf_fs_watch *w;
	guint timer;
	GList *link;   /* in f->watch_lru (head: most recently listed) */
	gint64 listed; /* when (monotonic us) */
	/* Names the kernel was told are absent while watched: when the
	 * server says only "anything changed", their negative entries are
	 * dropped by name (the kernel cannot drop them all at once). */
	GHashTable *neg;
	bool ready;      /* the first CHANGE_NOTIFY is out */
	GArray *waiters; /* struct waiter: listings held until ready */
	bool leased;     /* a directory lease was granted with the watch */
	/* The last listing, while leased and nothing changed since. */
	GPtrArray *listing;
	ino_t dots[2];
	struct stat self;
	bool has_self;
	gint64 listing_at; /* when it was asked for */
};
struct waiter {
	sf_fw_cont cont;
	void *user;
};
#define FW_NEG_MAX 4096

enum inval_kind { IV_ENTRY, IV_INODE, IV_ATTR };
struct kinval {
	struct sf_fuse *f;
	enum inval_kind kind;
	uint64_t ino; /* the node (IV_INODE) or the parent (IV_ENTRY) */
	char *name;
};

/* On the worker thread: only the kernel call. */
static void kinval_run(gpointer p, gpointer unused)
{
	struct kinval *k = p;
	int r = k->kind == IV_ENTRY ? fuse_lowlevel_notify_inval_entry(k->f->se, k->ino, k->name,
	                                                               strlen(k->name))
	                            : fuse_lowlevel_notify_inval_inode(k->f->se, k->ino,
	                                                               k->kind == IV_ATTR ? -1 : 0,
	                                                               0); /* -1: attributes only */
	if (r < 0 && r != -ENOENT)
		g_debug("kernel invalidation of node %" G_GUINT64_FORMAT ": %s", k->ino,
		        g_strerror(-r));
	g_free(k->name);
	g_free(k);
}

static void kinval(struct sf_fuse *f, enum inval_kind kind, uint64_t ino, const char *name)
{
	if (!ino || !f->se || f->stopping)
		return;
	if (!f->watch_pool)
		f->watch_pool = g_thread_pool_new(kinval_run, NULL, 1, FALSE, NULL);
	struct kinval *k = g_new0(struct kinval, 1);
	k->f = f;
	k->kind = kind;
	k->ino = ino;
	k->name = g_strdup(name);
	g_thread_pool_push(f->watch_pool, k, NULL);
}

static void arm_timer(struct sf_fuse *f, struct fw *fw);

static void unlist(struct fw *fw)
{
	g_clear_pointer(&fw->listing, g_ptr_array_unref);
	fw->has_self = false;
}

static void fw_ready(void *user, int err)
{
	struct fw *fw = user;
	if (!err && !fw->ready && sf_fs_watch_leased(fw->w)) {
		fw->leased = true;
		fw->f->stats.dir_leases++;
		arm_timer(fw->f, fw);
	}
	fw->ready = true;
	GArray *ws = fw->waiters;
	fw->waiters = NULL;
	for (guint i = 0; ws && i < ws->len; i++) {
		struct waiter *x = &g_array_index(ws, struct waiter, i);
		x->cont(x->user);
	}
	if (ws)
		g_array_unref(ws);
}

static void fw_free(struct fw *fw)
{
	struct sf_fuse *f = fw->f;
	fw_ready(fw, ECANCELED); /* (none wait by now: the watch told) */
	if (fw->timer)
		g_source_remove(fw->timer);
	g_queue_delete_link(&f->watch_lru, fw->link);
	g_hash_table_remove(f->watched, &fw->ino);
	if (fw->neg)
		g_hash_table_destroy(fw->neg);
	if (fw->leased)
		sf_dcache_hold(f, fw->ino, false);
	unlist(fw);
	g_free(fw);
}

static void fw_drop(struct fw *fw, sf_fs_err_fn closed, void *user)
{
	sf_fs_unwatch(fw->w, closed, user);
	fw_free(fw);
}

/* Anything in dir may have changed. */
static void drop_all(struct sf_fuse *f, uint64_t dir, GHashTable *neg)
{
	if (neg) {
		GHashTableIter it;
		gpointer k;
		g_hash_table_iter_init(&it, neg);
		while (g_hash_table_iter_next(&it, &k, NULL))
			kinval(f, IV_ENTRY, dir, k);
		g_hash_table_remove_all(neg);
	}
	sf_dcache_forget(f, dir);
	sf_ac_drop(f, dir);
	kinval(f, IV_INODE, dir, NULL);
}

static bool own_change(struct sf_fuse *f, uint64_t ino)
{
	if (f->opens && g_hash_table_contains(f->opens, &ino))
		return true; /* open here: a lease break tells of others' changes */
	gint64 at = sf_ac_changed_at(f, ino);
	return at && g_get_monotonic_time() - at < FW_OWN_US;
}

static void on_change(void *user, enum sf_fs_change what, const char *name)
{
	struct fw *fw = user;
	struct sf_fuse *f = fw->f;
	uint64_t dir = fw->ino;
	f->stats.notifications++;
	unlist(fw);
	if (what == SF_FS_LEASE_BROKEN) {
		/* Maybe this mount's own change (its CREATEs carry no parent
		 * lease key): what was listed keeps the promise of its
		 * timeouts, as without a lease; a listing older than acdirmax
		 * is not trusted any more (fw_free lets go of the hold). */
		f->stats.watches_ended++;
		fw->w = NULL;
		if (!f->stopping)
			kinval(f, IV_INODE, dir, NULL);
		fw_free(fw);
		return;
	}
	if (what == SF_FS_ENDED) {
		f->stats.watches_ended++;
		fw->w = NULL; /* gone: not to be unwatched */
		if (!f->stopping)
			drop_all(f, dir, fw->neg);
		fw_free(fw);
		return;
	}
	if (f->stopping)
		return;
	if (what == SF_FS_ANY) {
		drop_all(f, dir, fw->neg);
		return;
	}
	if (fw->neg)
		g_hash_table_remove(fw->neg, name);
	uint64_t child = sf_itable_find(f->inodes, dir, name);
	switch (what) {
	case SF_FS_ADDED:
	case SF_FS_RENAMED_TO:
		if (sf_dcache_note(f, dir, name, SF_DC_ADDED) && child)
			return;                 /* known here already (made by this mount) */
		kinval(f, IV_ENTRY, dir, name); /* a negative entry would hide it */
		if (child) {                    /* replaced a file known here */
			sf_ac_drop(f, child);
			kinval(f, IV_INODE, child, NULL);
		}
		break;
	case SF_FS_REMOVED:
	case SF_FS_RENAMED_FROM:
		sf_dcache_note(f, dir, name, SF_DC_REMOVED);
		if (child) {
			kinval(f, IV_ENTRY, dir, name);
			sf_ac_drop(f, child);
		}
		break;
	default: /* modified */
		sf_dcache_note(f, dir, name, SF_DC_MODIFIED);
		if (child) {
			/* Its attributes in any case; its pages too unless the
			 * change is most likely this mount's own (a write here
			 * must not drop what it just wrote; another client's
			 * change then shows in the attributes, and the next
			 * open drops the pages of a file whose times moved). */
			bool own = own_change(f, child);
			sf_ac_drop(f, child);
			kinval(f, own ? IV_ATTR : IV_INODE, child, NULL);
		}
		return; /* the directory itself did not change */
	}
	sf_ac_drop(f, dir);
	kinval(f, IV_INODE, dir, NULL);
}

static gboolean expired(gpointer p)
{
	struct fw *fw = p;
	fw->timer = 0;
	fw_drop(fw, NULL, NULL);
	return G_SOURCE_REMOVE;
}

static void arm_timer(struct sf_fuse *f, struct fw *fw)
{
	if (fw->timer)
		g_source_remove(fw->timer);
	/* (a little past the listing's own expiry, which the kernel may
	 * still be using) */
	guint ms = (guint)(f->entry_timeout * 1000) + 500;
	if (fw->leased && ms < FW_LEASE_KEEP_US / 1000)
		ms = FW_LEASE_KEEP_US / 1000;
	fw->timer = g_timeout_add(ms, expired, fw);
}

bool sf_fw_prepare(struct sf_fuse *f, uint64_t dir, sf_fw_cont cont, void *user)
{
	if (f->entry_timeout <= 0 || f->stopping || !f->fs || !f->se ||
	    (f->entry_timeout <= 1 && !sf_fs_dir_leases(f->fs)))
		return false;
	if (!f->watched)
		f->watched = g_hash_table_new(g_int64_hash, g_int64_equal);
	struct fw *fw = g_hash_table_lookup(f->watched, &dir);
	if (fw) {
		g_queue_unlink(&f->watch_lru, fw->link);
		g_queue_push_head_link(&f->watch_lru, fw->link);
	} else {
		const char *path = sf_itable_path(f->inodes, dir);
		if (!path)
			return false;
		if (f->watch_max <= 0)
			return false;
		if (g_queue_get_length(&f->watch_lru) >= (guint)f->watch_max) {
			struct fw *old = g_queue_peek_tail(&f->watch_lru);
			if (g_get_monotonic_time() - old->listed < FW_BUSY_US)
				return false; /* a tree walk: not watched */
			fw_drop(old, NULL, NULL);
		}
		fw = g_new0(struct fw, 1);
		fw->f = f;
		fw->ino = dir;
		fw->waiters = g_array_new(FALSE, FALSE, sizeof(struct waiter));
		fw->w = sf_fs_watch(f->fs, path, on_change, fw, fw_ready, fw);
		if (!fw->w) {
			g_array_unref(fw->waiters);
			g_free(fw);
			return false;
		}
		f->stats.watches_started++;
		g_queue_push_head(&f->watch_lru, fw);
		fw->link = f->watch_lru.head;
		g_hash_table_insert(f->watched, &fw->ino, fw);
	}
	fw->listed = g_get_monotonic_time();
	arm_timer(f, fw);
	if (fw->ready)
		return false;
	struct waiter x = {cont, user};
	g_array_append_val(fw->waiters, x);
	return true;
}

static struct fw *leased_fw(struct sf_fuse *f, uint64_t dir)
{
	struct fw *fw = f->watched ? g_hash_table_lookup(f->watched, &dir) : NULL;
	return fw && fw->leased && sf_fs_watch_leased(fw->w) ? fw : NULL;
}

void sf_fw_listed(struct sf_fuse *f, uint64_t dir, bool whole, GPtrArray *entries,
                  const ino_t dots[2], const struct stat *self, gint64 started)
{
	struct fw *fw = f->watched ? g_hash_table_lookup(f->watched, &dir) : NULL;
	if (!fw)
		return;
	arm_timer(f, fw);
	if (!whole || !leased_fw(f, dir))
		return;
	unlist(fw);
	fw->listing = g_ptr_array_ref(entries);
	fw->dots[0] = dots[0], fw->dots[1] = dots[1];
	fw->has_self = self != NULL;
	if (self)
		fw->self = *self;
	fw->listing_at = started;
	sf_dcache_hold(f, dir, true);
}

bool sf_fw_listing(struct sf_fuse *f, uint64_t dir, GPtrArray **entries, ino_t dots[2],
                   gint64 *started)
{
	struct fw *fw = leased_fw(f, dir);
	if (!fw || !fw->listing)
		return false;
	*entries = g_ptr_array_ref(fw->listing);
	dots[0] = fw->dots[0], dots[1] = fw->dots[1];
	*started = fw->listing_at;
	fw->listed = g_get_monotonic_time();
	arm_timer(f, fw);
	f->stats.dir_lease_hits++;
	return true;
}

bool sf_fw_self(struct sf_fuse *f, uint64_t dir, struct stat *st)
{
	struct fw *fw = leased_fw(f, dir);
	if (!fw || !fw->has_self || sf_ac_changed_at(f, dir) >= fw->listing_at)
		return false;
	*st = fw->self;
	f->stats.dir_lease_hits++;
	return true;
}

void sf_fw_unlist(struct sf_fuse *f, uint64_t dir)
{
	struct fw *fw = f->watched ? g_hash_table_lookup(f->watched, &dir) : NULL;
	if (fw)
		unlist(fw);
}

void sf_fw_negative(struct sf_fuse *f, uint64_t dir, const char *name)
{
	struct fw *fw = f->watched ? g_hash_table_lookup(f->watched, &dir) : NULL;
	if (!fw)
		return;
	if (!fw->neg)
		fw->neg = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	if (g_hash_table_size(fw->neg) < FW_NEG_MAX)
		g_hash_table_add(fw->neg, g_strdup(name));
}

/* ---- removing or renaming a watched directory --------------------------- */

bool sf_fw_quiesce(struct sf_fuse *f, const char *path, const char *path2, sf_fs_err_fn cont,
                   void *user)
{
	if (!f->watched || !g_hash_table_size(f->watched))
		return false;
	GPtrArray *hit = g_ptr_array_new();
	GHashTableIter it;
	gpointer v;
	g_hash_table_iter_init(&it, f->watched);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct fw *fw = v;
		const char *p = sf_itable_path(f->inodes, fw->ino);
		if (p && (sf_path_under(p, path) || (path2 && sf_path_under(p, path2))))
			g_ptr_array_add(hit, fw);
	}
	if (!hit->len) {
		g_ptr_array_free(hit, TRUE);
		return false;
	}
	struct sf_countdown *q = sf_countdown_new((int)hit->len, cont, user);
	for (guint i = 0; i < hit->len; i++)
		fw_drop(hit->pdata[i], sf_countdown_tick, q);
	g_ptr_array_free(hit, TRUE);
	return true;
}

void sf_fw_stop(struct sf_fuse *f)
{
	/* The watches themselves ended with sf_fs_close_all (fs/watch.c). */
	while (f->watch_lru.head)
		fw_drop(f->watch_lru.head->data, NULL, NULL);
	if (f->watched)
		g_hash_table_destroy(f->watched);
	f->watched = NULL;
	if (f->watch_pool) {
		g_thread_pool_free(f->watch_pool, FALSE, TRUE);
		f->watch_pool = NULL;
	}
}
