/* client.h - start-up in one call: connect, NEGOTIATE, authenticate and
 * tree-connect, then a connected tree for the file layer.
 *
 * sf_client_open() iterates the given main context until the tree is up
 * or something failed; it is meant for start-up code (the mount helper
 * and smbfuse-probe), which must report failures before daemonizing. */
#ifndef SF_NET_CLIENT_H
#define SF_NET_CLIENT_H

#include "net/pool.h"

struct sf_client_opts {
	const char *host;
	const char *addr; /* ip=: connect here instead of resolving host */
	uint16_t port;
	const char *share;
	uint16_t min_dialect, max_dialect; /* 0: 3.0 .. 3.1.1 */
	enum sf_auth_kind auth;
	const struct sf_creds *creds;
	bool nosign; /* do not require signing (the server may still) */
	bool seal;
	unsigned timeout_ms;
	unsigned echo_ms; /* keep-alive interval; 0 = none */
	bool hard;        /* requests wait for a lost server without bound */
	uint16_t cipher_pref[4];
	bool no_posix; /* do not offer the SMB 3.1.1 POSIX extensions */
};

struct sf_client {
	GMainContext *ctx;
	sf_pool *pool;
	sf_conn *conn; /* the tree's connection (for statistics) */
	sf_session *session;
	sf_tree *tree;
	struct sf_pool_server_opts po; /* for more trees on the same session */
};

/* Exit codes the command-line tools share, one per kind of failure. */
enum sf_exit {
	SF_EXIT_OK = 0,
	SF_EXIT_USAGE = 1,
	SF_EXIT_CONNECT = 2,  /* cannot reach the server */
	SF_EXIT_PROTOCOL = 3, /* malformed or hostile responses */
	SF_EXIT_DIALECT = 4,  /* no dialect in common */
	SF_EXIT_AUTH = 5,     /* logon failure, wrong password, unknown user */
	SF_EXIT_SHARE = 6,    /* unknown share */
	SF_EXIT_DENIED = 7,   /* access denied, disabled account, security */
	SF_EXIT_NOTFOUND = 8,
	SF_EXIT_IO = 9,
	SF_EXIT_TIMEOUT = 10,
};
enum sf_exit sf_exit_for_status(uint32_t status);

/* 0 with *out set, or an NTSTATUS with *why (g_free) a one-line
 * explanation. share may be NULL to stop after authentication. */
uint32_t sf_client_open(const struct sf_client_opts *o, GMainContext *ctx, struct sf_client **out,
                        char **why);
/* After a NEGOTIATE found no dialect in [lo, hi]: learn what the server
 * speaks and say it in one line (g_free), or NULL if that failed too. */
char *sf_client_explain_dialects(const char *host, uint16_t port, uint16_t lo, uint16_t hi,
                                 unsigned timeout_ms, GMainContext *ctx);

/* Another share of the same server, on the same connection and session
 * (a server-root mount): done() gets a referenced tree or a failure. */
void sf_client_get_tree(struct sf_client *c, const char *share, sf_tree_fn done, void *user);

/* Tree disconnect, logoff and close, waiting (bounded) for the answers. */
void sf_client_close(struct sf_client *c);

/* Run one request (or compound) on the tree and wait for it. Each
 * element's status and a copy of its response PDU (g_bytes_unref) are
 * returned; statuses[i]/pdus[i] arrays of n. */
void sf_client_call(struct sf_client *c, struct sf_req_spec *specs, size_t n, uint32_t *statuses,
                    GBytes **pdus);

#endif
