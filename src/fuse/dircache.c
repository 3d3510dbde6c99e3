/* dircache.c - negative lookups answered from a directory's known names.
 *
 * Creating a file asks first whether its name exists; on a network each
 * such LOOKUP is a round trip that answers "no". Where the client knows
 * every name of a directory (it made the directory, or listed it whole a
 * moment ago) a name outside that set is known to be absent, for as long
 * as attributes are trusted (acdirmax): the same promise actimeo makes,
 * that a change by another client is seen within it.
 *
 * The set follows this mount's own changes (create, mkdir, link, symlink,
 * rename, unlink). A listing is taken as the set only when no change of
 * any directory happened while it was under way (it might miss a name
 * made meanwhile). Names compare case-folded, since SMB servers mostly
 * ignore case: a name absent in any case is absent.
 *
 * A listing also leaves each name's attributes, as the server gave them,
 * for the same time: a LOOKUP that comes when the kernel's entry expired
 * (`stat` of every file after an `ls -l` of thousands) is answered from
 * them, and a directory whose listing expired is listed again rather than
 * asked name by name. A name this mount changes loses its attributes.
 *
 * While a directory lease is held on the directory (watch.c), its set and
 * attributes are trusted past acdirmax (sf_dcache_hold): no other client
 * can add, remove or rename a name without the lease being broken first. */
#define G_LOG_DOMAIN "smbfuse-fuse"

#include "fuse/cattr.h"
#include "fuse/ops_int.h"

#include <string.h>

/* Directories larger than this are not kept (memory). */
#define DC_MAX_NAMES 100000
/* A set that expired is listed again, instead of asking for one name, when
 * it is this small: one listing then answers the next second's lookups. */
#define DC_RELIST_MAX 65536

/* A listed name's attributes, with the name (the table's key) in the same
 * allocation. */
struct lattr {
	struct sf_cattr a;
	char name[];
};

static struct lattr *lattr_new(const char *name, const struct stat *st)
{
	size_t n = strlen(name) + 1;
	struct lattr *l = g_malloc(sizeof *l + n);
	memcpy(l->name, name, n);
	sf_cattr_pack(&l->a, st);
	return l;
}

struct dlist {
	GHashTable *names; /* case-folded name -> how many names fold to it
	                    * (at least: a count too high only costs a
	                    * lookup, one too low would hide a file) */
	gint64 until;      /* monotonic time (us) it may be trusted until */
	GHashTable *attrs; /* exact name -> struct lattr from the listing */
	gint64 listed_at;  /* when that listing was asked for */
	bool held;         /* trusted past until: a directory lease is held */
	bool expired;      /* past until: names freed, only relist kept */
	bool relist;       /* it was small: list it again when asked */
};

static void dlist_free(gpointer p)
{
	struct dlist *d = p;
	g_hash_table_destroy(d->names);
	if (d->attrs)
		g_hash_table_destroy(d->attrs);
	g_free(d);
}

/* The set of dir, or NULL; *stale: there was one, expired, small enough
 * to list again. An expired set keeps only that (its names are freed). */
static struct dlist *get_or_stale(struct sf_fuse *f, uint64_t dir, bool *stale)
{
	*stale = false;
	if (!f->dcache)
		return NULL;
	struct dlist *d = g_hash_table_lookup(f->dcache, &dir);
	if (!d)
		return NULL;
	if (d->held || d->until > g_get_monotonic_time())
		return d;
	if (!d->expired) {
		d->expired = true;
		d->relist = g_hash_table_size(d->names) <= DC_RELIST_MAX;
		g_hash_table_remove_all(d->names);
		g_clear_pointer(&d->attrs, g_hash_table_destroy);
	}
	*stale = d->relist;
	return NULL;
}

static struct dlist *get(struct sf_fuse *f, uint64_t dir)
{
	bool stale;
	return get_or_stale(f, dir, &stale);
}

static struct dlist *install(struct sf_fuse *f, uint64_t dir)
{
	if (f->entry_timeout <= 0)
		return NULL; /* cache=none, or actimeo=0: no promise to keep */
	if (!f->dcache)
		f->dcache = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, dlist_free);
	struct dlist *d = g_new0(struct dlist, 1);
	d->names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	d->until = g_get_monotonic_time() + (gint64)(f->entry_timeout * G_USEC_PER_SEC);
	uint64_t *key = g_new(uint64_t, 1);
	*key = dir;
	g_hash_table_replace(f->dcache, key, d);
	return d;
}

/* For how long more the kernel may keep what d says (seconds). */
static double ttl_of(const struct sf_fuse *f, const struct dlist *d)
{
	if (d->held)
		return f->entry_timeout;
	return (double)(d->until - g_get_monotonic_time()) / G_USEC_PER_SEC;
}

static char *fold(const char *name)
{
	return g_utf8_casefold(name, -1);
}

static void count(struct dlist *d, const char *name, int by)
{
	char *k = fold(name);
	guint n = GPOINTER_TO_UINT(g_hash_table_lookup(d->names, k));
	if (by < 0 && n <= 1) {
		g_hash_table_remove(d->names, k);
		g_free(k);
		return;
	}
	g_hash_table_replace(d->names, k, GUINT_TO_POINTER(by > 0 ? n + 1 : n - 1));
}

void sf_dcache_new_dir(struct sf_fuse *f, uint64_t dir)
{
	f->dcache_changes++;
	install(f, dir);
}

uint64_t sf_dcache_listing_begins(struct sf_fuse *f)
{
	return f->dcache_changes;
}

bool sf_dcache_listed(struct sf_fuse *f, uint64_t dir, uint64_t token, gint64 start,
                      GPtrArray *entries)
{
	if (token != f->dcache_changes || entries->len > DC_MAX_NAMES)
		return false;
	struct dlist *d = install(f, dir);
	if (d) {
		/* the key is the value's own name: replaced, never inserted */
		d->attrs = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
		d->listed_at = start;
	}
	for (guint i = 0; d && i < entries->len; i++) {
		struct sf_fs_dirent *e = entries->pdata[i];
		count(d, e->name, +1);
		/* (a placeholder, a server root's share, must be looked up) */
		if (!e->lookup) {
			struct lattr *a = lattr_new(e->name, &e->st);
			g_hash_table_replace(d->attrs, a->name, a);
		}
	}
	return d != NULL;
}

void sf_dcache_hold(struct sf_fuse *f, uint64_t dir, bool held)
{
	struct dlist *d = f->dcache ? g_hash_table_lookup(f->dcache, &dir) : NULL;
	if (d && !d->expired)
		d->held = held;
}

void sf_dcache_added(struct sf_fuse *f, uint64_t dir, const char *name)
{
	f->dcache_changes++;
	sf_fw_unlist(f, dir);
	struct dlist *d = get(f, dir);
	if (d)
		count(d, name, +1);
	if (d && d->attrs)
		g_hash_table_remove(d->attrs, name);
}

void sf_dcache_removed(struct sf_fuse *f, uint64_t dir, const char *name)
{
	f->dcache_changes++;
	sf_fw_unlist(f, dir);
	struct dlist *d = get(f, dir);
	if (d)
		count(d, name, -1);
	if (d && d->attrs)
		g_hash_table_remove(d->attrs, name);
}

bool sf_dcache_note(struct sf_fuse *f, uint64_t dir, const char *name, enum sf_dc_change how)
{
	struct dlist *d = get(f, dir);
	bool had = false;
	if (d) {
		char *k = fold(name);
		had = g_hash_table_contains(d->names, k);
		g_free(k);
	}
	if (how == SF_DC_ADDED && had)
		return true; /* (this mount's own new name, told back) */
	f->dcache_changes++;
	if (how == SF_DC_REMOVED && had) {
		/* the count of names folding to it is not known: forget all */
		g_hash_table_remove(f->dcache, &dir);
		return true;
	}
	if (d && how == SF_DC_ADDED)
		count(d, name, +1);
	if (d && d->attrs)
		g_hash_table_remove(d->attrs, name);
	return had;
}

void sf_dcache_forget(struct sf_fuse *f, uint64_t dir)
{
	f->dcache_changes++;
	sf_fw_unlist(f, dir);
	if (f->dcache)
		g_hash_table_remove(f->dcache, &dir);
}

enum sf_dcache_answer sf_dcache_absent(struct sf_fuse *f, uint64_t dir, const char *name,
                                       double *ttl)
{
	bool stale;
	struct dlist *d = get_or_stale(f, dir, &stale);
	if (!d)
		return stale ? SF_DC_STALE : SF_DC_UNKNOWN;
	char *k = fold(name);
	bool absent = !g_hash_table_contains(d->names, k);
	g_free(k);
	if (absent) {
		*ttl = ttl_of(f, d);
		f->stats.negative_hits++;
	}
	return absent ? SF_DC_ABSENT : SF_DC_UNKNOWN;
}

bool sf_dcache_attr(struct sf_fuse *f, uint64_t dir, const char *name, struct stat *st, double *ttl,
                    gint64 *listed_at)
{
	struct dlist *d = get(f, dir);
	const struct lattr *l = d && d->attrs ? g_hash_table_lookup(d->attrs, name) : NULL;
	if (!l)
		return false;
	sf_cattr_unpack(&l->a, st);
	*ttl = ttl_of(f, d);
	*listed_at = d->listed_at;
	return true;
}

void sf_dcache_free(struct sf_fuse *f)
{
	if (f->dcache)
		g_hash_table_destroy(f->dcache);
	f->dcache = NULL;
}
