/* session.h - SMB2 sessions (MS-SMB2 3.2.4.2.3, 3.2.5.3) and tree
 * connects (3.2.4.2.4, 3.2.5.5) on a connection.
 *
 * States: a session is established on its connection's current generation;
 * after the connection is re-established the pool calls sf_session_reauth(),
 * which authenticates again with the stored credentials and
 * PreviousSessionId (3.2.4.2.3), giving new keys (and usually a new id).
 * STATUS_NETWORK_SESSION_EXPIRED is handled the same way.
 *
 * A session owns a reference to its connection; a tree owns a reference
 * to its session. The credentials passed in sf_session_opts must outlive
 * the session (they are kept for re-authentication). */
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
/* Authenticate again on the session's connection (after a reconnect, or
 * when the session expired). done() gets the same session on success; on
 * failure the session stays (unusable until a later reauth succeeds). */
void sf_session_reauth(sf_session *s, sf_session_fn done, void *user);
/* Send LOGOFF; done (optional) runs when it is answered. */
void sf_session_logoff(sf_session *s, sf_rsp_fn done, void *user);
/* Whether the session is established on its connection's current
 * generation (false between a connection loss and a successful reauth). */
bool sf_session_valid(const sf_session *s);
/* Kerberos: shortly before the ticket ends, the session gets the next
 * authentication's first leg ready off the main loop (the KDC may be slow)
 * while I/O goes on, then calls fn; the owner answers with
 * sf_session_reauth(), which sends it at once. Not called when no newer
 * ticket can be had (the expiry is then handled as usual). */
void sf_session_set_renew(sf_session *s, void (*fn)(sf_session *s, void *user), void *user);
/* The owner goes away: an authentication under way (a Kerberos step on
 * its worker thread) finishes without calling its done() any more. */
void sf_session_forget_caller(sf_session *s);
/* The server said the session expired (STATUS_NETWORK_SESSION_EXPIRED):
 * it is no longer valid, so the next attempt re-authenticates it. */
void sf_session_mark_expired(sf_session *s);
/* A share demands encryption (tree.c): seal everything from now on.
 * false when this session has no keys to do it with. */
bool sf_session_require_seal(sf_session *s);

#endif
