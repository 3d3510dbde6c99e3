/* rpc.c - DCE/RPC connection-oriented PDUs (C706 chapter 12, MS-RPCE 2.2.2). */
#include "proto/rpc.h"

#include "proto/ntstatus.h"
#include "util/bytes.h"

#include <errno.h>
#include <string.h>

const struct rpc_syntax rpc_syntax_ndr20 = {{0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f,
                                             0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60},
                                            2,
                                            0};
const struct rpc_syntax rpc_syntax_ndr64 = {{0x33, 0x05, 0x71, 0x71, 0xba, 0xbe, 0x37, 0x49, 0x83,
                                             0x19, 0xb5, 0xdb, 0xef, 0x9c, 0xcc, 0x36},
                                            1,
                                            0};
const struct rpc_syntax rpc_syntax_srvsvc = {{0xc8, 0x4f, 0x32, 0x4b, 0x70, 0x16, 0xd3, 0x01, 0x12,
                                              0x78, 0x5a, 0x47, 0xbf, 0x6e, 0xe1, 0x88},
                                             3,
                                             0};

bool rpc_syntax_equal(const struct rpc_syntax *a, const struct rpc_syntax *b)
{
	return !memcmp(a->uuid, b->uuid, 16) && a->major == b->major && a->minor == b->minor;
}

static void put_syntax(struct sf_wr *w, const struct rpc_syntax *s)
{
	sf_wr_bytes(w, s->uuid, 16);
	sf_wr_u16(w, s->major);
	sf_wr_u16(w, s->minor);
}

static void get_syntax(struct sf_rd *r, struct rpc_syntax *s)
{
	sf_rd_copy(r, s->uuid, 16);
	s->major = sf_rd_u16(r);
	s->minor = sf_rd_u16(r);
}

static void put_hdr(struct sf_wr *w, uint8_t ptype, uint8_t flags, uint16_t frag_len,
                    uint32_t call_id)
{
	sf_wr_u8(w, 5); /* rpc_vers */
	sf_wr_u8(w, 0); /* rpc_vers_minor */
	sf_wr_u8(w, ptype);
	sf_wr_u8(w, flags);
	sf_wr_u8(w, 0x10); /* packed_drep: little-endian, ASCII */
	sf_wr_u8(w, 0);    /* IEEE floating point */
	sf_wr_u16(w, 0);
	sf_wr_u16(w, frag_len);
	sf_wr_u16(w, 0); /* auth_length */
	sf_wr_u32(w, call_id);
}

int rpc_hdr_decode(const uint8_t *buf, size_t len, struct rpc_hdr *h)
{
	if (len < RPC_HDR_LEN)
		return -EAGAIN;
	/* Version 5.0 (C706 12.6.3.1); data representation little-endian
	 * integers, ASCII characters (the only one asked for). */
	if (buf[0] != 5 || buf[1] != 0 || (buf[4] & 0xf0) != 0x10 || (buf[4] & 0x0f) != 0)
		return -EPROTO;
	h->ptype = buf[2];
	h->flags = buf[3];
	h->frag_len = sf_le16(buf + 8);
	h->auth_len = sf_le16(buf + 10);
	h->call_id = sf_le32(buf + 12);
	if (h->frag_len < RPC_HDR_LEN)
		return -EPROTO;
	if (h->frag_len > len)
		return -EAGAIN;
	return 0;
}

/* The header of a whole PDU of a given type: frag_len equals len, and no
 * authentication (none was bound). */
static int whole(const uint8_t *pdu, size_t len, uint8_t ptype, struct rpc_hdr *h)
{
	int rc = rpc_hdr_decode(pdu, len, h);
	if (rc || h->frag_len != len || h->ptype != ptype || h->auth_len != 0)
		return -EPROTO;
	return 0;
}

uint8_t *rpc_bind_encode(uint32_t call_id, uint16_t max_xmit, uint16_t max_recv,
                         const struct rpc_syntax *abstract, size_t *len)
{
	const size_t n = RPC_HDR_LEN + 8 + 4 + 4 + 20 + 20;
	struct sf_wr w;
	sf_wr_init_grow(&w, n);
	put_hdr(&w, RPC_PTYPE_BIND, RPC_PFC_FIRST_FRAG | RPC_PFC_LAST_FRAG, (uint16_t)n, call_id);
	sf_wr_u16(&w, max_xmit);
	sf_wr_u16(&w, max_recv);
	sf_wr_u32(&w, 0); /* assoc_group_id: a new association */
	sf_wr_u8(&w, 1);  /* n_context_elem */
	sf_wr_u8(&w, 0);
	sf_wr_u16(&w, 0);
	sf_wr_u16(&w, 0); /* p_cont_id */
	sf_wr_u8(&w, 1);  /* n_transfer_syn */
	sf_wr_u8(&w, 0);
	put_syntax(&w, abstract);
	put_syntax(&w, &rpc_syntax_ndr20);
	uint8_t *out = sf_wr_steal(&w, len);
	g_assert(!out || *len == n);
	return out;
}

int rpc_bind_ack_decode(const uint8_t *pdu, size_t len, struct rpc_bind_ack *o)
{
	struct rpc_hdr h;
	if (whole(pdu, len, RPC_PTYPE_BIND_ACK, &h))
		return -EPROTO;
	struct sf_rd r;
	sf_rd_init(&r, pdu, len);
	sf_rd_seek(&r, RPC_HDR_LEN);
	o->max_xmit = sf_rd_u16(&r);
	o->max_recv = sf_rd_u16(&r);
	o->assoc_group = sf_rd_u32(&r);
	/* sec_addr: port_spec_t, a counted string (length includes its NUL). */
	uint16_t addr_len = sf_rd_u16(&r);
	sf_rd_skip(&r, addr_len);
	if (!sf_rd_ok(&r))
		return -EPROTO;
	sf_rd_seek(&r, sf_align_up(r.pos, 4)); /* 4-octet alignment of p_result_list */
	uint8_t n = sf_rd_u8(&r);
	sf_rd_skip(&r, 3);
	if (!sf_rd_ok(&r) || n < 1)
		return -EPROTO;
	o->result = sf_rd_u16(&r);
	o->reason = sf_rd_u16(&r);
	get_syntax(&r, &o->transfer);
	/* The other n-1 results need only be inside the PDU. */
	sf_rd_skip(&r, (size_t)(n - 1) * 24);
	return sf_rd_ok(&r) ? 0 : -EPROTO;
}

int rpc_bind_nak_decode(const uint8_t *pdu, size_t len, uint16_t *reason)
{
	struct rpc_hdr h;
	if (whole(pdu, len, RPC_PTYPE_BIND_NAK, &h) || len < RPC_HDR_LEN + 2)
		return -EPROTO;
	*reason = sf_le16(pdu + RPC_HDR_LEN);
	return 0;
}

uint8_t *rpc_request_encode(uint32_t call_id, uint16_t ctx_id, uint16_t opnum, uint8_t flags,
                            uint32_t alloc_hint, const uint8_t *stub, size_t stub_len, size_t *len)
{
	if (stub_len > RPC_MAX_FRAG - RPC_REQ_HDR_LEN)
		return NULL;
	const size_t n = RPC_REQ_HDR_LEN + stub_len;
	struct sf_wr w;
	sf_wr_init_grow(&w, n);
	put_hdr(&w, RPC_PTYPE_REQUEST, flags & (RPC_PFC_FIRST_FRAG | RPC_PFC_LAST_FRAG),
	        (uint16_t)n, call_id);
	sf_wr_u32(&w, alloc_hint);
	sf_wr_u16(&w, ctx_id);
	sf_wr_u16(&w, opnum);
	if (stub_len)
		sf_wr_bytes(&w, stub, stub_len);
	uint8_t *out = sf_wr_steal(&w, len);
	g_assert(!out || *len == n);
	return out;
}

int rpc_response_decode(const uint8_t *pdu, size_t len, struct rpc_response *o)
{
	struct rpc_hdr h;
	if (whole(pdu, len, RPC_PTYPE_RESPONSE, &h) || len < RPC_REQ_HDR_LEN)
		return -EPROTO;
	o->alloc_hint = sf_le32(pdu + 16);
	o->ctx_id = sf_le16(pdu + 20);
	/* cancel_count, reserved: ignored. */
	o->stub = pdu + RPC_REQ_HDR_LEN;
	o->stub_len = len - RPC_REQ_HDR_LEN;
	return 0;
}

int rpc_fault_decode(const uint8_t *pdu, size_t len, uint32_t *status)
{
	struct rpc_hdr h;
	if (whole(pdu, len, RPC_PTYPE_FAULT, &h) || len < RPC_REQ_HDR_LEN + 4)
		return -EPROTO;
	*status = sf_le32(pdu + RPC_REQ_HDR_LEN);
	return 0;
}

uint32_t rpc_fault_ntstatus(uint32_t fault)
{
	switch (fault) {
	case 0x00000005: /* ERROR_ACCESS_DENIED (MS-RPCE 2.2.2.11) */
		return STATUS_ACCESS_DENIED;
	case 0x1c010002: /* nca_op_rng_error: no such operation (C706 Appendix E) */
	case 0x1c010003: /* nca_unk_if: interface unknown */
		return STATUS_NOT_IMPLEMENTED;
	case 0x1c01000b: /* nca_proto_error */
		return RPC_NT_PROTOCOL_ERROR;
	default:
		return RPC_NT_CALL_FAILED;
	}
}

void rpc_reasm_init(struct rpc_reasm *r, uint32_t call_id)
{
	memset(r, 0, sizeof *r);
	r->call_id = call_id;
	r->stub = g_byte_array_new();
}

void rpc_reasm_clear(struct rpc_reasm *r)
{
	if (r->stub)
		g_byte_array_unref(r->stub);
	r->stub = NULL;
}

int rpc_reasm_add(struct rpc_reasm *r, const uint8_t *frag, size_t len)
{
	struct rpc_hdr h;
	if (rpc_hdr_decode(frag, len, &h) || h.frag_len != len || h.call_id != r->call_id)
		return -EPROTO;
	if (h.ptype == RPC_PTYPE_FAULT) {
		if (rpc_fault_decode(frag, len, &r->fault))
			return -EPROTO;
		return RPC_REASM_FAULT;
	}
	struct rpc_response rsp;
	if (rpc_response_decode(frag, len, &rsp) || rsp.ctx_id != 0) /* the one context bound */
		return -EPROTO;
	bool first = h.flags & RPC_PFC_FIRST_FRAG;
	if (first == r->started) /* a first fragment twice, or a later one first */
		return -EPROTO;
	r->started = true;
	if (rsp.stub_len > RPC_MAX_STUB - r->stub->len)
		return -EPROTO;
	g_byte_array_append(r->stub, rsp.stub, (guint)rsp.stub_len);
	return (h.flags & RPC_PFC_LAST_FRAG) ? RPC_REASM_DONE : RPC_REASM_MORE;
}
