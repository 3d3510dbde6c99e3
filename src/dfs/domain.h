/* domain.h - reaching a domain-based DFS namespace at start-up
 * (//domain/namespace, MS-DFSC 3.1.4.1): domain referral, DC referral,
 * root referral, then the first root target that answers. */
#ifndef SF_DFS_DOMAIN_H
#define SF_DFS_DOMAIN_H

#include "dfs/dfs.h"
#include "net/client.h"

/* Whether host resolves to an address (blocking; for start-up only). */
bool sf_dfs_host_resolves(const char *host);

/* o->host is the domain and o->share the namespace; dc is the domain
 * controller to ask (domain_controller=), reached with o's port and
 * identity. A DC name from the DC referral that does not resolve is
 * reached at dc. 0 with *out (a client whose tree is the root target's),
 * *dfs (the referral cache, holding the referrals) and *target_path (the
 * target's path below its share, g_free; may be ""); else a status and
 * *why (g_free). Iterates ctx until done. */
uint32_t sf_dfs_open_domain(const struct sf_client_opts *o, const char *dc, GMainContext *ctx,
                            struct sf_client **out, sf_dfs **dfs, char **target_path, char **why);

#endif
