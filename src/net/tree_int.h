/* tree_int.h - internal to src/net: the tree object and the requests
 * queued on it, shared by tree.c, req.c and handle.c. */
#ifndef SF_NET_TREE_INT_H
#define SF_NET_TREE_INT_H

#include "net/tree.h"
#include "proto/tree.h"

typedef struct sf_handles sf_handles;
struct sf_treq;

struct sf_tree {
	int refs;
	sf_session *s;
	uint32_t id;
	struct smb2_tree_connect_rsp info;
	char *share;
	bool up;
	struct sf_tree_policy pol;
	GQueue waiting;       /* struct sf_treq, in submission order */
	GHashTable *inflight; /* tree-level handle -> struct sf_treq */
	sf_req_handle next_handle;
	GSource *deadline_timer; /* while requests wait (soft) */
	sf_handles *handles;     /* durable handles (handle.c) */
	struct sf_resilience_stats own_stats, *stats;
	sf_tree_fn done; /* TREE_CONNECT in progress */
	void *user;
	bool reconnecting;
	uint64_t group;         /* of requests submitted now */
	bool completing_replay; /* the answer being delivered is to a replay */
	/* The pool's: the session expired under a request. */
	void (*expired)(sf_tree *t, void *user);
	void *expired_user;
	sf_tree_break_fn break_hook; /* handle.c */
	void *break_user;
};

/* req.c */
struct sf_treq *treq_new(sf_tree *t, const struct sf_req_spec *specs, size_t n);
/* Send on the tree's current connection (the tree is up). */
void treq_send(struct sf_treq *q);
/* Complete every part with status, later (from the main loop). */
void treq_fail_later(struct sf_treq *q, uint32_t status);
void treq_free(struct sf_treq *q);
/* Answer the caller now with STATUS_CANCELLED; what the server still
 * sends for it is dropped. */
void treq_abandon(struct sf_treq *q);
sf_req_handle treq_handle(const struct sf_treq *q);
gint64 treq_deadline(const struct sf_treq *q);
void treq_start_waiting(struct sf_treq *q);
sf_req_handle treq_conn_handle(const struct sf_treq *q);
uint64_t treq_group(const struct sf_treq *q);
/* tree.c: a request came back for replay (or is new and the tree is down). */
void tree_enqueue(sf_tree *t, struct sf_treq *q);
void tree_session_expired(sf_tree *t);

/* handle.c */
sf_handles *sf_handles_new(void);
void sf_handles_free(sf_handles *h);
/* Write the current file id for the one the caller holds into a request
 * body at offset off. false when that handle was lost. */
bool sf_handles_translate(sf_handles *h, uint8_t *fid_in_body);
/* Reopen every durable handle on the (reconnected) tree, then done. */
void sf_handles_reclaim(sf_tree *t, void (*done)(sf_tree *t, void *user), void *user);

#endif
