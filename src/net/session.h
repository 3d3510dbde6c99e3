/* session.h - SMB2 sessions (MS-SMB2 3.2.4.2.3, 3.2.5.3) and tree
 * connects (3.2.4.2.4, 3.2.5.5) on a connection.
 *
 * A session owns a reference to its connection; a tree owns a reference
 * to its session. */
#ifndef SF_NET_SESSION_H
#define SF_NET_SESSION_H

#include "auth/mech.h"
#include "net/conn.h"

typedef struct sf_session sf_session;
typedef struct sf_tree sf_tree;

struct sf_session_opts {
	enum sf_auth_kind kind;
	const struct sf_creds *creds;
	bool require_signing; /* default for authenticated sessions */
	bool seal;            /* encrypt everything (the `seal` option) */
};

typedef void (*sf_session_fn)(sf_session *s, uint32_t status, const char *why, void *user);
typedef void (*sf_tree_fn)(sf_tree *t, uint32_t status, const char *why, void *user);

/* Authenticate. done() runs once; on failure the session is freed after
 * the call. */
void sf_session_setup(sf_conn *c, const struct sf_session_opts *o, sf_session_fn done, void *user);
void sf_session_unref(sf_session *s);
sf_session *sf_session_ref(sf_session *s);
uint64_t sf_session_id(const sf_session *s);
sf_conn *sf_session_conn(const sf_session *s);
bool sf_session_is_guest(const sf_session *s);
bool sf_session_signing(const sf_session *s);
bool sf_session_sealing(const sf_session *s);
/* Send LOGOFF; done (optional) runs when it is answered. */
void sf_session_logoff(sf_session *s, sf_rsp_fn done, void *user);

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
/* Submit requests on this tree: session and tree ids are filled in. */
sf_req_handle sf_tree_submit(sf_tree *t, struct sf_req_spec *specs, size_t n);
void sf_tree_disconnect(sf_tree *t, sf_rsp_fn done, void *user);

#endif
