/* attrcache.c - the attributes last given to the kernel, per node, while
 * they may be trusted (attr_timeout, the kernel's own promise).
 *
 * They answer the SETATTRs that change nothing SMB can store without a
 * round trip: a chown (ownership is fixed by uid=/gid= on a share without
 * unix extensions) and a chmod that leaves the read-only attribute as it
 * is; `tar -x` as root, `cp -p` and rsync do both for every file. Any
 * change this mount makes to a file (a write, a setattr, a rename, an
 * unlink, a link) or a lease break drops its entry. */
#define G_LOG_DOMAIN "smbfuse-fuse"

#include "fuse/cattr.h"
#include "fuse/ops_int.h"

struct ac_entry {
	uint64_t ino; /* the table's key */
	gint64 until; /* monotonic, us */
	struct sf_cattr a;
};

void sf_ac_put(struct sf_fuse *f, uint64_t ino, const struct stat *st, double timeout)
{
	if (timeout <= 0 || !ino)
		return;
	if (!f->acache) /* the key lives in the entry */
		f->acache = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, g_free);
	if (g_hash_table_size(f->acache) > 200000)
		g_hash_table_remove_all(f->acache); /* a bound; forgetting is always safe */
	struct ac_entry *e = g_hash_table_lookup(f->acache, &ino);
	if (!e) {
		e = g_new(struct ac_entry, 1);
		e->ino = ino;
		g_hash_table_insert(f->acache, &e->ino, e);
	}
	sf_cattr_pack(&e->a, st);
	e->until = g_get_monotonic_time() + (gint64)(timeout * G_USEC_PER_SEC);
}

bool sf_ac_get(struct sf_fuse *f, uint64_t ino, struct stat *st)
{
	struct ac_entry *e = f->acache ? g_hash_table_lookup(f->acache, &ino) : NULL;
	if (!e)
		return false;
	if (e->until <= g_get_monotonic_time()) {
		g_hash_table_remove(f->acache, &ino);
		return false;
	}
	sf_cattr_unpack(&e->a, st);
	return true;
}

void sf_ac_drop(struct sf_fuse *f, uint64_t ino)
{
	if (!ino)
		return;
	if (f->acache)
		g_hash_table_remove(f->acache, &ino);
	/* When: a listing older than the change is not believed (dircache.c). */
	if (!f->achanged)
		f->achanged = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
	if (g_hash_table_size(f->achanged) > 200000)
		g_hash_table_remove_all(f->achanged); /* older than any listing kept */
	gint64 now = g_get_monotonic_time();
	g_hash_table_replace(f->achanged, g_memdup2(&ino, sizeof ino), g_memdup2(&now, sizeof now));
}

gint64 sf_ac_changed_at(struct sf_fuse *f, uint64_t ino)
{
	gint64 *t = f->achanged ? g_hash_table_lookup(f->achanged, &ino) : NULL;
	return t ? *t : 0;
}

void sf_ac_free(struct sf_fuse *f)
{
	if (f->acache)
		g_hash_table_destroy(f->acache);
	f->acache = NULL;
	if (f->achanged)
		g_hash_table_destroy(f->achanged);
	f->achanged = NULL;
}
