/* shares.h - the shares of a server, through srvsvc NetrShareEnum level
 * 1 (MS-SRVS 3.1.4.8) on its IPC$ tree. */
#ifndef SF_FS_SHARES_H
#define SF_FS_SHARES_H

#include "fs/rpc.h"
#include "proto/srvsvc.h"

/* shares: GPtrArray of struct srvsvc_share, owned by the callee (unref);
 * NULL on failure, with why (lent, maybe NULL); frags: response fragments
 * received in all. A WERROR from the server
 * becomes an NTSTATUS (ERROR_ACCESS_DENIED: STATUS_ACCESS_DENIED). */
typedef void (*sf_shares_fn)(void *user, uint32_t status, const char *why, GPtrArray *shares,
                             unsigned frags);
void sf_shares_enum(sf_tree *ipc, const char *server, const struct sf_rpc_opts *o, sf_shares_fn cb,
                    void *user);

/* The same, waiting (start-up code and tools): iterates ctx. Returns 0
 * with *out (unref), or an NTSTATUS with *why (g_free, maybe NULL).
 * frags, when not NULL, is the number of response fragments received. */
uint32_t sf_shares_enum_sync(sf_tree *ipc, const char *server, const struct sf_rpc_opts *o,
                             GMainContext *ctx, GPtrArray **out, char **why, unsigned *frags);

/* Whether a listed share is a disk share a mount can show as a directory. */
bool sf_share_is_disk(const struct srvsvc_share *s);

#endif
