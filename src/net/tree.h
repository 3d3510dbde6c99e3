/* tree.h - a tree connect (MS-SMB2 3.2.4.2.4, 3.2.5.5) and the queue of
 * requests that use it.
 *
 * States: a tree is up while its session's connection is ready and the
 * TREE_CONNECT of the current connection generation succeeded; otherwise
 * down. Requests submitted while it is down wait in the tree's queue, not
 * in a dead connection; a request in flight when the connection broke is
 * queued again and replayed once the tree is up (SMB2_FLAGS_REPLAY_OPERATION
 * on 3.x). Under the `soft` policy a waiting request fails with EIO
 * (STATUS_UNEXPECTED_NETWORK_ERROR) when its timeout passes; under `hard`
 * it waits until the server is back or it is cancelled.
 *
 * File ids in requests are those the caller got from CREATE; for a durable
 * handle reclaimed after a reconnect (handle.c) the tree writes the new
 * file id into each request as it is sent, so callers never see a change.
 *
 * Ownership: a tree holds a reference to its session; the pool and sf_fs
 * hold references to the tree. */
#ifndef SF_NET_TREE_H
#define SF_NET_TREE_H

#include "net/session.h"
#include "proto/lease.h"
#include "proto/smb2.h"

/* What reconnects did, for -d and tests. */
struct sf_resilience_stats {
	uint64_t reconnects;        /* connections re-established */
	uint64_t replays;           /* requests sent again after a loss */
	uint64_t handles_reclaimed; /* durable handles reopened (DH2C/DHnC) */
	uint64_t handles_reopened;  /* reopened by path instead (the same file) */
	uint64_t handles_lost;      /* handles that could not be */
	uint64_t timeouts;          /* requests failed while waiting (soft) */
	uint64_t lease_breaks;      /* lease breaks of our handles */
};

struct sf_tree_policy {
	bool hard;           /* wait for the server without bound */
	unsigned timeout_ms; /* soft: how long a request may wait in all */
};

typedef void (*sf_tree_fn)(sf_tree *t, uint32_t status, const char *why, void *user);

/* Connect to "share" on the session's server. */
void sf_tree_connect(sf_session *s, const char *share, sf_tree_fn done, void *user);
void sf_tree_unref(sf_tree *t);
sf_tree *sf_tree_ref(sf_tree *t);
uint32_t sf_tree_id(const sf_tree *t);
sf_session *sf_tree_session(const sf_tree *t);
uint8_t sf_tree_share_type(const sf_tree *t);
uint32_t sf_tree_share_flags(const sf_tree *t);
uint32_t sf_tree_capabilities(const sf_tree *t);
uint32_t sf_tree_maximal_access(const sf_tree *t);
const char *sf_tree_share(const sf_tree *t);
bool sf_tree_up(const sf_tree *t);
/* TreeConnect.IsDfsShare (MS-SMB2 3.2.5.5): SMB2_SHARE_CAP_DFS was set. */
bool sf_tree_is_dfs(const sf_tree *t);
/* The name a CREATE carries for a share-relative UTF-16 path: on a DFS
 * share the DFS path name "server\share[\path]" (MS-SMB2 2.2.13,
 * 3.2.4.3; the request must then carry sf_tree_create_flags), else a
 * copy. g_free. */
uint8_t *sf_tree_create_name(const sf_tree *t, const uint8_t *rel, size_t rel_len, size_t *out_len);
/* The header flags for a CREATE carrying such a name. */
uint32_t sf_tree_create_flags(const sf_tree *t);
void sf_tree_set_policy(sf_tree *t, const struct sf_tree_policy *p);
/* Counters shared with the pool that owns the tree. */
void sf_tree_set_stats(sf_tree *t, struct sf_resilience_stats *st);
struct sf_resilience_stats *sf_tree_stats(const sf_tree *t);

/* Submit one request or a related compound on this tree: session and
 * tree ids are filled in at sending time. Returns an opaque handle for
 * sf_tree_cancel (never a message id). Each spec's done runs exactly
 * once, never inside this call. */
sf_req_handle sf_tree_submit(sf_tree *t, struct sf_req_spec *specs, size_t n);
/* Cancel: a waiting request completes with STATUS_CANCELLED; one in
 * flight gets an SMB2 CANCEL, and with abandon its caller is answered
 * STATUS_CANCELLED at once instead of waiting for the server (an
 * interrupted read on a stalled connection). */
void sf_tree_cancel(sf_tree *t, sf_req_handle h, bool abandon);
/* Requests submitted from now on belong to group (0: none); cancelling a
 * group abandons its requests (the FUSE layer's interrupts). */
void sf_tree_set_group(sf_tree *t, uint64_t group);
void sf_tree_cancel_group(sf_tree *t, uint64_t group);
/* Inside a completion callback: whether the request was sent more than
 * once (an operation that is not idempotent, such as a rename, may have
 * been carried out by the lost first attempt). */
bool sf_tree_completing_replay(const sf_tree *t);
/* Requests waiting or in flight. */
unsigned sf_tree_outstanding(const sf_tree *t);

void sf_tree_disconnect(sf_tree *t, sf_rsp_fn done, void *user);

/* ---- open handles (handle.c) ------------------------------------------ */

/* What is needed to reopen a handle after a reconnect (MS-SMB2 3.2.4.4). */
struct sf_open_info {
	struct smb2_fileid fid; /* as CREATE returned it; callers keep using it */
	const uint8_t *path;    /* UTF-16LE, as sent (copied) */
	size_t path_len;
	uint32_t access, share, options, attributes;
	uint8_t create_guid[16];
	bool durable;    /* the server granted DH2Q/DHnQ */
	bool v2;         /* DH2 (3.x), else DHn (2.1) */
	bool persistent; /* on a continuously available share */
	bool has_lease;
	struct smb2_lease lease;
	/* For reopening by path when a reclaim is refused (a server whose
	 * process died loses durable state): the file must be the same. */
	uint64_t file_id;     /* IndexNumber; 0 = unknown (never reopened) */
	uint64_t change_time; /* FILETIME at open */
	/* Opened under the SMB 3.1.1 POSIX extensions: reopened with the
	 * POSIX create context, and file_id is the POSIX inode number. */
	bool posix;
};
void sf_tree_handle_opened(sf_tree *t, const struct sf_open_info *o);
void sf_tree_handle_closed(sf_tree *t, struct smb2_fileid fid);
/* A rename is sent (renaming), and answered (renamed, done when it
 * succeeded): handles opened under from (the name or below it) are
 * reclaimed under to after a reconnect; while it is unanswered, under
 * either. UTF-16LE server paths. */
void sf_tree_handle_renaming(sf_tree *t, const uint8_t *from, size_t from_len, const uint8_t *to,
                             size_t to_len);
void sf_tree_handle_renamed(sf_tree *t, const uint8_t *from, size_t from_len, const uint8_t *to,
                            size_t to_len, bool done);
/* How many byte-range locks the handle holds (lock.c keeps it told). */
void sf_tree_handle_locks(sf_tree *t, struct smb2_fileid fid, unsigned n);
/* A lease or oplock break from the server: acknowledged on this tree when
 * the lease is one of its handles' (or force). true when handled. */
bool sf_tree_handle_break(sf_tree *t, const uint8_t *pdu, size_t len, bool force);
/* A lease break that takes read caching away from a handle is first shown
 * to the hook, if one is set, so that what was cached under the lease is
 * dropped before the server is told it is (MS-SMB2 3.2.5.19.2): hook()
 * gets the caller's file id and the new state, and must call
 * sf_tree_break_done(ack) exactly once, later or at once; the
 * acknowledgment (when the server asked for one) is sent then. */
typedef struct sf_break_ack sf_break_ack;
typedef void (*sf_tree_break_fn)(void *user, struct smb2_fileid fid, uint32_t new_state,
                                 sf_break_ack *ack);
void sf_tree_set_break_hook(sf_tree *t, sf_tree_break_fn hook, void *user);
void sf_tree_break_done(sf_break_ack *ack);

/* A directory lease (MS-SMB2 3.3.1.4, DIRECTORY_LEASING) held on an open
 * directory that is not a registered handle: a break of it (any break:
 * losing handle caching means the handle must be closed, losing read
 * caching that the listing may not be trusted) is told to broken(user,
 * new_state) at once and then acknowledged. The holder forgets it
 * (sf_tree_dir_lease_gone) when its handle is closed or lost. */
typedef void (*sf_tree_dir_break_fn)(void *user, uint32_t new_state);
void sf_tree_dir_lease_held(sf_tree *t, const uint8_t key[16], sf_tree_dir_break_fn broken,
                            void *user);
void sf_tree_dir_lease_gone(sf_tree *t, const uint8_t key[16]);

/* ---- for the pool (the reconnect driver) ------------------------------ */

/* The connection broke: stop sending; in-flight requests come back. */
void sf_tree_mark_down(sf_tree *t);
/* TREE_CONNECT again on the session's (re-authenticated) connection,
 * then reclaim durable handles; done() with 0 when the tree is up again. */
void sf_tree_reconnect(sf_tree *t, sf_tree_fn done, void *user);
/* Who re-authenticates when a request finds its session expired. */
void sf_tree_on_expired(sf_tree *t, void (*fn)(sf_tree *t, void *user), void *user);
/* Fail everything waiting (unmount, or the server is given up on). */
void sf_tree_fail_all(sf_tree *t, uint32_t status);

#endif
