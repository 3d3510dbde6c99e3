/* dfs.h - asking servers for DFS referrals (MS-DFSC 3.1.4) and reaching
 * the targets they name, through the connection pool.
 *
 * A referral request goes as FSCTL_DFS_GET_REFERRALS on the IPC$ tree of
 * a server (MS-SMB2 3.2.4.20.3), reached with the port and identity of an
 * existing tree ("like"): referred connections keep the mount's port and
 * credentials. Answers land in the cache (cache.h) and are handed to the
 * caller while still referenced by it.
 *
 * Everything runs on the pool's main context; callbacks run once. */
#ifndef SF_DFS_DFS_H
#define SF_DFS_DFS_H

#include "dfs/cache.h"
#include "net/pool.h"

/* Referral hops (links to links, interlinks, root then link) one path may
 * take before it is called a loop (ELOOP). */
#define SF_DFS_MAX_HOPS 8

typedef struct sf_dfs sf_dfs;

/* dc: a domain controller to ask for domain referrals when none can be
 * found otherwise (domain_controller=), or NULL. */
sf_dfs *sf_dfs_new(sf_pool *pool, const char *dc);
sf_dfs *sf_dfs_ref(sf_dfs *d);
void sf_dfs_unref(sf_dfs *d);
sf_pool *sf_dfs_pool(sf_dfs *d);
sf_dfs_cache *sf_dfs_cache_of(sf_dfs *d);
const char *sf_dfs_dc(const sf_dfs *d);
/* Monotonic time the cache is stamped with (overridable by tests). */
gint64 sf_dfs_now(const sf_dfs *d);

/* e is referenced for the callback only (NULL on failure). */
typedef void (*sf_dfs_refer_fn)(void *user, uint32_t status, struct sf_dfs_entry *e);
/* Ask host (reached like the tree `like`) about path: "server\share\..."
 * for root and link referrals, "" for a domain referral, "domain" for a
 * DC referral. */
void sf_dfs_refer(sf_dfs *d, sf_tree *like, const char *host, const char *path, sf_dfs_refer_fn cb,
                  void *user);

/* A tree for target t (reached like `like`). */
void sf_dfs_connect(sf_dfs *d, sf_tree *like, const struct sf_dfs_target *t, sf_tree_fn done,
                    void *user);

#endif
