/* rpc.h - a DCE/RPC client on a named pipe (MS-RPCE 3.3.1 over
 * ncacn_np): bind one interface with NDR 2.0, then calls, one at a time,
 * whose requests are cut into fragments of the negotiated size and whose
 * responses are reassembled (proto/rpc.h).
 *
 * Outcomes are NTSTATUS: a bind_nak is RPC_NT_CALL_FAILED (with why), a
 * bind_ack accepting anything but NDR 2.0 is RPC_NT_UNSUPPORTED_TRANS_SYN,
 * a fault PDU is its status mapped by rpc_fault_ntstatus(), and anything
 * malformed is STATUS_INVALID_NETWORK_RESPONSE. Each callback runs once,
 * never inside the call. The sf_rpc owns its pipe. */
#ifndef SF_FS_RPC_H
#define SF_FS_RPC_H

#include "fs/pipe.h"
#include "proto/rpc.h"

typedef struct sf_rpc sf_rpc;

struct sf_rpc_opts {
	uint16_t max_recv_frag; /* what we take; 0: 4280 (and never below 1432) */
	/* Bytes asked for per pipe READ or TRANSCEIVE (0: a whole fragment).
	 * Smaller, every message arrives in pieces (STATUS_BUFFER_OVERFLOW,
	 * then READs): how the pipe's message mode is tested. */
	uint32_t pipe_read;
};

/* why: a one-line reason (lent), or NULL. */
typedef void (*sf_rpc_bind_fn)(void *user, uint32_t status, const char *why, sf_rpc *r);
void sf_rpc_bind(sf_tree *ipc, const char *pipe, const struct rpc_syntax *abstract,
                 const struct sf_rpc_opts *o, sf_rpc_bind_fn cb, void *user);
/* stub is lent for the call. */
typedef void (*sf_rpc_call_fn)(void *user, uint32_t status, const uint8_t *stub, size_t len);
void sf_rpc_call(sf_rpc *r, uint16_t opnum, const uint8_t *stub, size_t len, sf_rpc_call_fn cb,
                 void *user);
/* Closes the pipe. No call may be in flight. */
void sf_rpc_free(sf_rpc *r);

/* What was negotiated (for -d and tests). */
uint16_t sf_rpc_max_xmit(const sf_rpc *r);
uint16_t sf_rpc_max_recv(const sf_rpc *r);
/* Fragments received for the last call. */
unsigned sf_rpc_last_fragments(const sf_rpc *r);

/* Debugging and corpus capture: every PDU received is also written to
 * DIR/<ptype>-<n>.bin, and every reassembled stub to DIR/stub-<n>.bin
 * (NULL turns it off). */
void sf_rpc_set_dump_dir(const char *dir);

#endif
