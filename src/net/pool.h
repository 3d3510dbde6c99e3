/* pool.h - the connection pool: every connection, session and tree of a
 * mount, keyed by (server, port, identity), and the driver that brings
 * them back after a connection is lost.
 *
 * The model (shared/architecture.md 1b): the pool owns servers; a server
 * owns one connection (sf_conn, which goes ready -> broken -> reconnecting
 * -> ready under a new generation), one session per identity on it and the
 * trees connected through that session. sf_fs asks the pool for a tree and
 * never holds a bare connection. When a connection breaks, its trees go
 * down (requests wait in their queues), and the pool reconnects in the
 * background with backoff: connect and NEGOTIATE (the same dialect, or the
 * attempt is refused as a downgrade), re-authenticate with
 * PreviousSessionId, TREE_CONNECT each tree, reclaim durable handles, then
 * let the queues go. DFS (other servers) and multichannel (more
 * connections under one session) are meant to live in the same tables.
 *
 * Everything runs on the main context given at creation. */
#ifndef SF_NET_POOL_H
#define SF_NET_POOL_H

#include "net/tree.h"

typedef struct sf_pool sf_pool;

struct sf_pool_server_opts {
	struct sf_conn_opts conn;       /* host, port, dialects, signing, timeouts */
	struct sf_session_opts session; /* identity; creds must outlive the pool */
	struct sf_tree_policy policy;   /* hard/soft and the request timeout */
};

sf_pool *sf_pool_new(GMainContext *ctx);
/* Tear everything down (after sf_pool_shutdown and the caller's polite
 * TREE_DISCONNECT/LOGOFF). */
void sf_pool_free(sf_pool *p);
/* A tree for share on the server and identity o names: an existing one
 * (referenced again) or a new one. done() runs once; a failure to reach
 * the server the first time is final (the mount reports it). */
void sf_pool_get_tree(sf_pool *p, const struct sf_pool_server_opts *o, const char *share,
                      sf_tree_fn done, void *user);
/* The same, on another host with the server, port and identity of the
 * tree like (a DFS referral keeps the mount's port and credentials). */
void sf_pool_get_tree_at(sf_pool *p, sf_tree *like, const char *host, const char *share,
                         sf_tree_fn done, void *user);
/* Told (after the trees were marked down) when a started connection is
 * lost; DFS fails over to another target from here. One listener. */
typedef void (*sf_pool_lost_fn)(void *user, sf_conn *c);
void sf_pool_on_lost(sf_pool *p, sf_pool_lost_fn fn, void *user);
/* Log off the session the tree t belongs to and close its connection,
 * forgetting that identity (multiuser: a user idle for long); its trees
 * must no longer be used. */
void sf_pool_release(sf_pool *p, sf_tree *t);
/* Stop reconnecting and fail what waits (unmount). */
void sf_pool_shutdown(sf_pool *p);
/* The connection a tree runs on (for statistics and tools). */
sf_conn *sf_pool_conn_of(sf_pool *p, sf_tree *t);
const struct sf_resilience_stats *sf_pool_stats(const sf_pool *p);
/* What the pool holds now: connections, sessions, trees (for -d and the
 * tests of server-root mounts, where many trees share one session). */
struct sf_pool_counts {
	unsigned conns, sessions, trees;
};
void sf_pool_counts(const sf_pool *p, struct sf_pool_counts *out);

#endif
