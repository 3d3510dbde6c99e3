/* dclose.c - deferred close (closetimeo=, as mount.cifs): a file closed
 * here is kept open on the server for a moment, and the next open of the
 * same node takes that handle instead of sending CREATE and, later,
 * CLOSE: a build that opens each header many times, or a program that
 * opens, reads and closes a file in a loop, then costs no round trip per
 * open.
 *
 * Only a handle opened for reading alone is kept: a server sets the
 * last-write time of a written file when it is closed (Samba does), and
 * that change a second later would break the directory lease of its
 * listed directory, and show other clients another time than the one
 * this mount saw at close(2). And only one whose lease still grants read
 * and handle caching: while it does, nobody else changed the file (read) and nobody
 * else needs it closed (handle; another client's rename, delete or
 * exclusive open breaks that first). A break of either closes the kept
 * handle at once (pagecache.c asks sf_dc_broken). A handle is not kept
 * when it holds byte-range locks (closing releases them, and another
 * process may wait for that), when the file is to be deleted on this
 * close, or at most DC_MAX at a time; an open that wants more access
 * than the kept handle has, or truncates, or comes after a reconnect,
 * closes it and opens anew.
 *
 * This mount's own unlink, rmdir and rename close the kept handles of
 * the names they touch first and wait for the CLOSE: a deleted file that
 * is still open stays on the server as "delete pending" (a new file of
 * that name cannot be made; with a second name, git's link-then-unlink,
 * the wrong name went when the handle was closed at last), and Samba
 * refuses to rename a directory with handles open below it. Teardown
 * closes them all.
 *
 * Another client's delete is not held up: the file is "delete pending"
 * (as with any client that has it open) until the kept handle is closed,
 * when the server breaks its handle lease (newer Samba) or at closetimeo
 * (Samba 4.17 breaks none for a delete). */
#define G_LOG_DOMAIN "smbfuse-fuse"

#include "fuse/ops_int.h"

#include "proto/create.h"
#include "proto/create.h"
#include "proto/lease.h"

#include <fcntl.h>
#include <string.h>

#define DC_MAX   64
#define DC_LEASE (SMB2_LEASE_READ_CACHING | SMB2_LEASE_HANDLE_CACHING)

struct parked {
	struct sf_fuse *f;
	uint64_t ino; /* the table's key */
	struct sf_fs_handle *h;
	uint64_t epoch; /* sf_fs_handle_epoch when kept */
	guint timer;
};

static void parked_free(gpointer p)
{
	struct parked *k = p;
	if (k->timer)
		g_source_remove(k->timer);
	g_free(k);
}

/* Out of the table; the handle is the caller's. */
static struct sf_fs_handle *unpark(struct sf_fuse *f, uint64_t ino)
{
	struct parked *k = f->parked ? g_hash_table_lookup(f->parked, &ino) : NULL;
	if (!k)
		return NULL;
	struct sf_fs_handle *h = k->h;
	g_hash_table_remove(f->parked, &ino);
	return h;
}

static void close_now(struct sf_fuse *f, uint64_t ino, sf_fs_err_fn done, void *user)
{
	struct sf_fs_handle *h = unpark(f, ino);
	if (h)
		sf_fs_close(f->fs, h, done, user);
	else if (done)
		done(user, 0);
}

static gboolean expired(gpointer p)
{
	struct parked *k = p;
	k->timer = 0;
	close_now(k->f, k->ino, NULL, NULL);
	return G_SOURCE_REMOVE;
}

bool sf_dc_park(struct sf_fuse *f, uint64_t ino, struct sf_fs_handle *h)
{
	/* (cache=none: no break hook, pagecache.c, would tell of a break) */
	if (f->closetimeo_ms <= 0 || f->stopping || f->direct_io || !ino || h->dir || h->pending ||
	    h->open_err || (h->lease_state & DC_LEASE) != DC_LEASE || (h->locks && h->locks->len) ||
	    (h->access & (FILE_WRITE_DATA | FILE_APPEND_DATA)))
		return false;
	if (!f->parked)
		f->parked = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, parked_free);
	close_now(f, ino, NULL, NULL); /* one per node: the older goes */
	if (g_hash_table_size(f->parked) >= DC_MAX)
		return false;
	struct parked *k = g_new0(struct parked, 1);
	k->f = f;
	k->ino = ino;
	k->h = h;
	k->epoch = sf_fs_handle_epoch(h);
	k->timer = g_timeout_add((guint)f->closetimeo_ms, expired, k);
	g_hash_table_insert(f->parked, &k->ino, k);
	f->stats.closes_deferred++;
	return true;
}

struct sf_fs_handle *sf_dc_take(struct sf_fuse *f, uint64_t ino, const char *path, int flags)
{
	struct parked *k = f->parked ? g_hash_table_lookup(f->parked, &ino) : NULL;
	if (!k || !sf_fs_handle_serves(f->fs, path, k->h))
		return NULL; /* (another user's, under multiuser) */
	uint32_t need = sf_fs_access_for(flags);
	/* (after a reconnect the handle may have been lost: not risked) */
	if ((flags & O_TRUNC) || (k->h->access & need) != need ||
	    (k->h->lease_state & DC_LEASE) != DC_LEASE || k->epoch != sf_fs_handle_epoch(k->h)) {
		close_now(f, ino, NULL, NULL);
		return NULL;
	}
	f->stats.deferred_close_hits++;
	return unpark(f, ino);
}

bool sf_dc_broken(struct sf_fuse *f, struct sf_fs_handle *h)
{
	struct parked *k = f->parked ? g_hash_table_lookup(f->parked, &h->tag) : NULL;
	if (!k || k->h != h)
		return false;
	close_now(f, h->tag, NULL, NULL);
	return true;
}

/* ---- before this mount removes or renames names ---------------------------- */

bool sf_dc_quiesce(struct sf_fuse *f, const char *path, const char *path2, const uint64_t nodes[2],
                   sf_fs_err_fn cont, void *user)
{
	if (!f->parked || !g_hash_table_size(f->parked))
		return false;
	GArray *hit = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	GHashTableIter it;
	gpointer v;
	g_hash_table_iter_init(&it, f->parked);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct parked *k = v;
		/* (by node too: a file with several names has one path here) */
		const char *p = sf_itable_path(f->inodes, k->ino);
		if ((p && (sf_path_under(p, path) || (path2 && sf_path_under(p, path2)))) ||
		    k->ino == nodes[0] || k->ino == nodes[1])
			g_array_append_val(hit, k->ino);
	}
	if (!hit->len) {
		g_array_unref(hit);
		return false;
	}
	struct sf_countdown *q = sf_countdown_new((int)hit->len, cont, user);
	for (guint i = 0; i < hit->len; i++)
		close_now(f, g_array_index(hit, uint64_t, i), sf_countdown_tick, q);
	g_array_unref(hit);
	return true;
}

void sf_dc_stop(struct sf_fuse *f)
{
	if (!f->parked)
		return;
	GList *all = g_hash_table_get_keys(f->parked);
	for (GList *l = all; l; l = l->next)
		close_now(f, *(uint64_t *)l->data, NULL, NULL);
	g_list_free(all);
	g_hash_table_destroy(f->parked);
	f->parked = NULL;
}
