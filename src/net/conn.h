/* conn.h - one SMB2/3 connection: TCP transport, NEGOTIATE, message ids,
 * credits, the pending-request table, compounding, signing and sealing.
 *
 * Everything runs on the thread that owns the GMainContext passed at
 * creation. A request's completion callback runs exactly once (response,
 * error, timeout, cancel, connection loss) and never from inside
 * sf_conn_submit(). The response PDU is lent to the callback.
 *
 * States: connecting -> negotiating -> ready; a transport error, a request
 * not answered within the timeout, two missed keep-alive echoes or a
 * hostile response make it broken: every request in flight completes
 * (STATUS_CONNECTION_DISCONNECTED, or the security failure's own status)
 * and lost() runs. The owner (the pool) then calls sf_conn_reconnect(),
 * which starts a new generation on a new socket; message ids, credits and
 * session keys of the old generation are gone. sf_conn_close() ends it
 * for good.
 *
 * Ownership: sf_conn is reference counted; the pool, sessions and the
 * client hold references; pending requests do not (losing the last
 * reference fails them with STATUS_CONNECTION_DISCONNECTED). */
#ifndef SF_NET_CONN_H
#define SF_NET_CONN_H

#include "crypto/kdf.h"
#include "proto/smb2.h"

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sf_conn sf_conn;

/* What a caller keeps of a submitted request: an opaque number, unique
 * for the connection's life and never reused (unlike message ids, which
 * are assigned only when a request is sent). 0 names no request. */
typedef uint64_t sf_req_handle;

struct sf_conn_opts {
	char *host;
	char *addr;           /* where to connect when not host (ip=); host names the server */
	uint16_t port;        /* 445 when 0 */
	uint16_t min_dialect; /* SMB2_DIALECT_* */
	uint16_t max_dialect;
	bool require_signing;    /* SecurityMode SIGNING_REQUIRED */
	unsigned timeout_ms;     /* per request and for connecting; 0 = 30 s */
	unsigned echo_ms;        /* keep-alive ECHO interval; 0 = none */
	uint16_t cipher_pref[4]; /* 3.1.1 ciphers to offer, 0-terminated; default all */
	bool no_posix;           /* do not offer the SMB 3.1.1 POSIX extensions */
};

/* What NEGOTIATE settled. */
struct sf_negotiated {
	uint16_t dialect;
	uint16_t security_mode; /* the server's */
	uint32_t capabilities;
	uint8_t server_guid[16];
	uint32_t max_transact, max_read, max_write;
	uint64_t system_time, server_start_time;
	uint16_t cipher;      /* 0 = none (3.0/3.0.2 imply AES-128-CCM) */
	uint16_t signing_alg; /* SMB2_SIGNING_* */
	bool posix;           /* 3.1.1 POSIX extensions offered by both sides */
	bool preauth_sha512;
	uint8_t preauth_hash[64]; /* connection value after NEGOTIATE (3.1.1) */
	uint8_t *security_blob;   /* SPNEGO hint */
	size_t security_blob_len;
	/* What we asked for, kept for FSCTL_VALIDATE_NEGOTIATE_INFO. */
	uint16_t offered[8];
	size_t offered_count;
	uint16_t client_security_mode;
	uint32_t client_capabilities;
	uint8_t client_guid[16];
};

/* Completion: status is the response's NTSTATUS or a local failure
 * (STATUS_CONNECTION_DISCONNECTED, STATUS_IO_TIMEOUT, STATUS_CANCELLED,
 * STATUS_INVALID_NETWORK_RESPONSE, STATUS_INVALID_SIGNATURE for a bad
 * signature). pdu is the whole response (header + body) or NULL. */
typedef void (*sf_rsp_fn)(void *user, uint32_t status, const uint8_t *pdu, size_t len);
/* Called with the exact bytes of a request as it goes out (for the
 * pre-auth integrity hash of SESSION_SETUP). */
typedef void (*sf_sent_fn)(void *user, const uint8_t *pdu, size_t len);

#define SF_REQ_CONTROL    0x01 /* may use the credit reserve (close, cancel, echo) */
#define SF_REQ_NO_TIMEOUT 0x02 /* change notify, blocking locks */
#define SF_REQ_NO_SIGN    0x04 /* SESSION_SETUP before keys exist */
#define SF_REQ_SIGN       0x08 /* sign even when the session does not (3.1.1 TREE_CONNECT) */
#define SF_REQ_TAKE_BODY  0x10 /* sf_tree_submit takes body (g_malloc'd): no copy */

struct sf_req_spec {
	uint16_t command;
	const uint8_t *body; /* copied */
	size_t body_len;
	size_t expect_rsp; /* bytes of response payload expected: credit charge */
	uint64_t session_id;
	uint32_t tree_id;
	uint32_t hdr_flags; /* extra header flags, e.g. SMB2_FLAGS_DFS_OPERATIONS */
	unsigned flags;     /* SF_REQ_* */
	sf_rsp_fn done;
	void *user;
	sf_sent_fn sent;
};

/* Per-session security the connection applies. */
struct sf_conn_security {
	bool sign; /* sign requests, verify responses */
	bool seal; /* encrypt requests; require encrypted responses */
	uint16_t sign_alg;
	uint16_t cipher;
	struct sf_smb_keys keys;
};

typedef void (*sf_conn_ready_fn)(sf_conn *c, uint32_t status, const char *why, void *user);
/* Unsolicited messages (oplock/lease breaks): pdu lent for the call. */
typedef void (*sf_conn_notify_fn)(void *user, const uint8_t *pdu, size_t len);
/* The connection died (after every pending request was failed). */
typedef void (*sf_conn_lost_fn)(void *user, uint32_t status);

/* Connect and NEGOTIATE. ready() runs once: status 0 with a usable
 * connection, or a failure status and a one-line reason. */
sf_conn *sf_conn_new(const struct sf_conn_opts *opts, GMainContext *ctx, sf_conn_ready_fn ready,
                     void *user);
sf_conn *sf_conn_ref(sf_conn *c);
void sf_conn_unref(sf_conn *c);
/* Tear down: fail every pending request, close the socket. */
void sf_conn_close(sf_conn *c, uint32_t status);

const struct sf_negotiated *sf_conn_negotiated(const sf_conn *c);
const char *sf_conn_peer(const sf_conn *c); /* "host:port" */
const char *sf_conn_host(const sf_conn *c); /* as given to connect */
bool sf_conn_alive(const sf_conn *c);       /* ready for requests */
bool sf_conn_broken(const sf_conn *c);      /* lost, waiting for sf_conn_reconnect */
/* From broken: connect and NEGOTIATE again (the same dialect as before,
 * or ready() fails with STATUS_ACCESS_DENIED). false when not broken. */
bool sf_conn_reconnect(sf_conn *c, sf_conn_ready_fn ready, void *user);
/* Requests sent or waiting for credits whose caller still waits for an
 * answer (timed-out ghosts not counted). */
unsigned sf_conn_outstanding(const sf_conn *c);
unsigned sf_conn_generation(const sf_conn *c);
void sf_conn_set_notify(sf_conn *c, sf_conn_notify_fn fn, sf_conn_lost_fn lost, void *user);

/* Submit one request, or n > 1 as a related compound (every request after
 * the first carries SMB2_FLAGS_RELATED_OPERATIONS). Returns the handle of
 * the first request (for sf_conn_cancel), 0 if it could not be queued
 * (the callbacks still run, later, with the failure).
 *
 * Responses are matched to their request by MessageId and then checked
 * against the request's session (SessionId, signing, sealing); a response
 * that fails is a security failure that ends the connection. A request
 * whose answer does not come within the timeout completes with
 * STATUS_IO_TIMEOUT; an interim STATUS_PENDING restarts its timeout. */
sf_req_handle sf_conn_submit(sf_conn *c, const struct sf_req_spec *specs, size_t n);
/* Cancel a request: one still waiting for credits (and the rest of its
 * compound) completes with STATUS_CANCELLED without being sent; one in
 * flight gets an SMB2 CANCEL. Unknown or finished handles are ignored. */
void sf_conn_cancel(sf_conn *c, sf_req_handle handle);
/* The main context the connection runs on (for deferred completions). */
GMainContext *sf_conn_context(const sf_conn *c);

void sf_conn_set_security(sf_conn *c, uint64_t session_id, const struct sf_conn_security *sec);
void sf_conn_drop_security(sf_conn *c, uint64_t session_id);
/* Verify a response signature with explicit keys (the final SESSION_SETUP
 * response, before the session's security is installed). */
bool sf_conn_verify_with(const sf_conn *c, uint16_t sign_alg, const uint8_t key[16],
                         const uint8_t *pdu, size_t len);

/* Counters for tests and -d output. */
struct sf_conn_stats {
	uint64_t sent, received; /* frames: a compound is one (one round trip) */
	uint64_t bytes_sent, bytes_received;
	uint64_t requests[SMB2_OPLOCK_BREAK + 1]; /* requests sent, by command */
	uint64_t signed_sent, verified, encrypted_sent, decrypted;
	uint64_t credits_granted;
	uint32_t credits; /* available now */
	uint32_t in_flight;
};
void sf_conn_stats(const sf_conn *c, struct sf_conn_stats *out);

#endif
