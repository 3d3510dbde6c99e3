/* cache.h - the DFS referral cache (MS-DFSC 3.1.1, 3.1.5.4): what
 * referrals said about which path prefixes live where, each entry until
 * its TimeToLive runs out. Pure logic: no I/O; the clock is passed in.
 *
 * Paths here are UNC paths without the leading backslashes and with '\'
 * between components: "server\share\link\dir". Comparisons are by whole
 * components, case-insensitive (MS-DFSC 3.1.4.1).
 *
 * Ownership: the cache holds one reference to each entry it lists; a
 * caller that keeps an entry across an insertion (which may replace it)
 * takes its own with sf_dfs_entry_ref. */
#ifndef SF_DFS_CACHE_H
#define SF_DFS_CACHE_H

#include "proto/dfs_ref.h"

#include <glib.h>
#include <stdbool.h>

/* One place a prefix is served from: \\server\share[\path]. */
struct sf_dfs_target {
	char *server;
	char *share;
	char *path; /* "" or "a\b" below the share */
};

enum sf_dfs_kind {
	SF_DFS_ROOT,   /* a namespace root (ServerType root) */
	SF_DFS_LINK,   /* a link to storage */
	SF_DFS_DOMAIN, /* a domain referral: domain names (NameListReferral) */
	SF_DFS_DC,     /* a DC referral: the DCs of one domain */
};

struct sf_dfs_entry {
	int refs;
	enum sf_dfs_kind kind;
	char *prefix;       /* what the referral covers ("server\share\link") */
	bool storage;       /* header S flag: targets are storage servers */
	bool interlink;     /* a link whose target is itself a DFS namespace */
	gint64 expires;     /* on the caller's clock (microseconds) */
	GPtrArray *targets; /* struct sf_dfs_target *, in referral order */
	GPtrArray *names;   /* domain or DC names (char *) for SF_DFS_DOMAIN/DC */
	unsigned active;    /* the target in use (failover moves it) */
};

typedef struct sf_dfs_cache sf_dfs_cache;

sf_dfs_cache *sf_dfs_cache_new(void);
void sf_dfs_cache_free(sf_dfs_cache *c);

struct sf_dfs_entry *sf_dfs_entry_ref(struct sf_dfs_entry *e);
void sf_dfs_entry_unref(struct sf_dfs_entry *e);

/* Turn a decoded response to a request for `requested` into an entry and
 * list it (replacing one with the same prefix). now: the caller's clock.
 * NULL with *err (-EPROTO: strings that are not a UNC path, a prefix that
 * is not a prefix of the request, no referrals). Borrowed pointer. */
struct sf_dfs_entry *sf_dfs_cache_add(sf_dfs_cache *c, const char *requested,
                                      const struct dfs_referral_rsp *r, gint64 now, int *err);
/* The entry with the longest prefix of path (whole components) that has
 * not expired, or NULL; expired entries met on the way are dropped.
 * Borrowed pointer. */
struct sf_dfs_entry *sf_dfs_cache_lookup(sf_dfs_cache *c, const char *path, gint64 now);
/* The unexpired name list of a kind: SF_DFS_DOMAIN (name ignored) or
 * SF_DFS_DC for the domain name. Borrowed pointer. */
struct sf_dfs_entry *sf_dfs_cache_names(sf_dfs_cache *c, enum sf_dfs_kind kind, const char *name,
                                        gint64 now);
/* Drop every entry (and the entries whose prefix is below path). */
void sf_dfs_cache_forget(sf_dfs_cache *c, const char *path);
unsigned sf_dfs_cache_size(const sf_dfs_cache *c);

/* ---- path helpers ------------------------------------------------------- */

/* Normalise a UNC path: '/' and '\' both separate, leading and repeated
 * separators dropped. NULL for "." or ".." components or an empty one. */
char *sf_dfs_unc_normalize(const char *p);
/* If prefix is path or a whole-component prefix of it: the rest ("" or
 * "a\b", pointing into path); else NULL. Case-insensitive. */
const char *sf_dfs_unc_rest(const char *path, const char *prefix);
/* Where path goes through entry e's target t: "server\share[\tpath][\rest]".
 * NULL when e does not cover path. */
char *sf_dfs_target_unc(const struct sf_dfs_entry *e, const struct sf_dfs_target *t,
                        const char *path);
/* Split "server\share\rest" (rest may be empty). false when fewer than two
 * components. */
bool sf_dfs_unc_split(const char *unc, char **server, char **share, char **rest);

#endif
