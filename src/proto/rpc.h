/* rpc.h - DCE/RPC connection-oriented PDUs over a named pipe (C706
 * chapter 12, MS-RPCE 2.2.2): bind, bind_ack, bind_nak, request,
 * response, fault, and the reassembly of a fragmented response.
 *
 * Only what a client of a few SMB named pipes needs: no authentication
 * (the pipe's SMB session is the security), one presentation context,
 * NDR 2.0 transfer syntax only (NDR64 is never proposed, and a bind_ack
 * choosing it is refused), little-endian ASCII IEEE data representation
 * only (what every server sends to a little-endian client that asks). */
#ifndef SF_PROTO_RPC_H
#define SF_PROTO_RPC_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* PTYPE (C706 12.6.4.1). */
#define RPC_PTYPE_REQUEST  0
#define RPC_PTYPE_RESPONSE 2
#define RPC_PTYPE_FAULT    3
#define RPC_PTYPE_BIND     11
#define RPC_PTYPE_BIND_ACK 12
#define RPC_PTYPE_BIND_NAK 13
/* pfc_flags. */
#define RPC_PFC_FIRST_FRAG  0x01
#define RPC_PFC_LAST_FRAG   0x02
#define RPC_PFC_OBJECT_UUID 0x80

#define RPC_HDR_LEN     16
#define RPC_REQ_HDR_LEN 24   /* request and response headers */
#define RPC_MIN_FRAG    1432 /* smallest max_xmit/recv_frag (MS-RPCE 3.3.1.5.2.1) */
#define RPC_MAX_FRAG    65535

/* A syntax identifier: UUID in wire (little-endian fields) order and
 * version major.minor (p_syntax_id_t). */
struct rpc_syntax {
	uint8_t uuid[16];
	uint16_t major, minor;
};
extern const struct rpc_syntax rpc_syntax_ndr20;  /* 8a885d04-1ceb-11c9-9fe8-08002b104860 v2 */
extern const struct rpc_syntax rpc_syntax_ndr64;  /* 71710533-beba-4937-8319-b5dbef9ccc36 v1 */
extern const struct rpc_syntax rpc_syntax_srvsvc; /* 4b324fc8-1670-01d3-1278-5a47bf6ee188 v3.0 */
bool rpc_syntax_equal(const struct rpc_syntax *a, const struct rpc_syntax *b);

/* The common header of every PDU (C706 12.6.3.1). */
struct rpc_hdr {
	uint8_t ptype, flags;
	uint16_t frag_len, auth_len;
	uint32_t call_id;
};
/* Decode the header of the fragment at buf (len bytes available, maybe
 * more than one fragment): version 5.0, little-endian drep, frag_len
 * within [RPC_HDR_LEN, len]. -EPROTO when malformed, -EAGAIN when fewer
 * than frag_len bytes are there yet (h is filled in then). */
int rpc_hdr_decode(const uint8_t *buf, size_t len, struct rpc_hdr *h);

/* bind (C706 12.6.4.3): one context (id 0), abstract syntax, NDR 2.0. */
uint8_t *rpc_bind_encode(uint32_t call_id, uint16_t max_xmit, uint16_t max_recv,
                         const struct rpc_syntax *abstract, size_t *len);

/* bind_ack (12.6.4.4): the first result only (one context was offered). */
#define RPC_RESULT_ACCEPTANCE         0
#define RPC_RESULT_USER_REJECTION     1
#define RPC_RESULT_PROVIDER_REJECTION 2
struct rpc_bind_ack {
	uint16_t max_xmit, max_recv;
	uint32_t assoc_group;
	uint16_t result, reason;
	struct rpc_syntax transfer;
};
int rpc_bind_ack_decode(const uint8_t *pdu, size_t len, struct rpc_bind_ack *out);
/* bind_nak (12.6.4.5): the provider_reject_reason. */
int rpc_bind_nak_decode(const uint8_t *pdu, size_t len, uint16_t *reason);

/* request (12.6.4.9): one fragment carrying stub[0..stub_len); flags say
 * first/last; alloc_hint is the whole stub's size. */
uint8_t *rpc_request_encode(uint32_t call_id, uint16_t ctx_id, uint16_t opnum, uint8_t flags,
                            uint32_t alloc_hint, const uint8_t *stub, size_t stub_len, size_t *len);

/* response (12.6.4.10): the stub data of one fragment, into the PDU. */
struct rpc_response {
	uint32_t alloc_hint;
	uint16_t ctx_id;
	const uint8_t *stub;
	size_t stub_len;
};
int rpc_response_decode(const uint8_t *pdu, size_t len, struct rpc_response *out);
/* fault (12.6.4.7): the status (an NCA status or a Win32 error). */
int rpc_fault_decode(const uint8_t *pdu, size_t len, uint32_t *status);
/* A fault status as an NTSTATUS for the engine's error model. */
uint32_t rpc_fault_ntstatus(uint32_t fault);

/* Reassembly of one call's response from its fragments (C706 12.4.3.2). */
#define RPC_MAX_STUB (16u << 20) /* a bound on what one answer may grow to */
struct rpc_reasm {
	uint32_t call_id;
	GByteArray *stub; /* the stub data so far */
	uint32_t fault;   /* after RPC_REASM_FAULT */
	bool started;
};
enum { RPC_REASM_MORE = 0, RPC_REASM_DONE = 1, RPC_REASM_FAULT = 2 };
void rpc_reasm_init(struct rpc_reasm *r, uint32_t call_id);
void rpc_reasm_clear(struct rpc_reasm *r);
/* Add one whole fragment (frag_len == len): RPC_REASM_MORE, _DONE (the
 * stub is complete), _FAULT (r->fault), or -EPROTO (a fragment of another
 * call or context than context 0, a first fragment twice, a response
 * without its first fragment, another PDU type, too much data). */
int rpc_reasm_add(struct rpc_reasm *r, const uint8_t *frag, size_t len);

#endif
