/* rpc.c - DCE/RPC over a named pipe (rpc.h). */
#define G_LOG_DOMAIN "smbfuse-rpc"

#include "fs/rpc.h"

#include "proto/ntstatus.h"

#include <errno.h>
#include <string.h>

struct sf_rpc {
	sf_pipe *pipe;
	uint32_t next_call_id;
	uint16_t max_xmit, max_recv;
	uint32_t io; /* bytes asked for per pipe read (see sf_rpc_opts) */
	unsigned last_frags;
};

uint16_t sf_rpc_max_xmit(const sf_rpc *r)
{
	return r->max_xmit;
}
uint16_t sf_rpc_max_recv(const sf_rpc *r)
{
	return r->max_recv;
}
unsigned sf_rpc_last_fragments(const sf_rpc *r)
{
	return r->last_frags;
}

static char *dump_dir;
static unsigned dump_seq;

void sf_rpc_set_dump_dir(const char *dir)
{
	g_free(dump_dir);
	dump_dir = g_strdup(dir);
}

static void dump(const char *kind, const uint8_t *p, size_t n)
{
	if (!dump_dir)
		return;
	char *path = g_strdup_printf("%s/%s-%03u.bin", dump_dir, kind, dump_seq++);
	GError *err = NULL;
	if (!g_file_set_contents(path, (const char *)p, (gssize)n, &err)) {
		g_warning("rpc dump: %s", err->message);
		g_error_free(err);
	}
	g_free(path);
}

static const char *ptype_name(uint8_t t)
{
	switch (t) {
	case RPC_PTYPE_RESPONSE:
		return "response";
	case RPC_PTYPE_FAULT:
		return "fault";
	case RPC_PTYPE_BIND_ACK:
		return "bind_ack";
	case RPC_PTYPE_BIND_NAK:
		return "bind_nak";
	default:
		return "pdu";
	}
}

/* ---- bind ------------------------------------------------------------------ */

struct bind_op {
	sf_rpc *r;
	GByteArray *in; /* the answer so far */
	struct rpc_syntax abstract;
	sf_rpc_bind_fn cb;
	void *user;
};

static void bind_fail(struct bind_op *b, uint32_t status, const char *why)
{
	if (b->r->pipe)
		sf_pipe_close(b->r->pipe);
	g_free(b->r);
	b->cb(b->user, status, why, NULL);
	g_byte_array_unref(b->in);
	g_free(b);
}

static void bound(void *user, uint32_t status, const uint8_t *piece, size_t plen)
{
	struct bind_op *b = user;
	if (status) {
		bind_fail(b, status, NULL);
		return;
	}
	if (!plen || plen > RPC_MAX_FRAG - MIN(b->in->len, RPC_MAX_FRAG)) {
		bind_fail(b, STATUS_INVALID_NETWORK_RESPONSE, "malformed answer to the RPC bind");
		return;
	}
	g_byte_array_append(b->in, piece, (guint)plen);
	const uint8_t *msg = b->in->data;
	size_t len = b->in->len;
	struct rpc_hdr h;
	int rc = rpc_hdr_decode(msg, len, &h);
	if (rc == -EAGAIN) { /* the answer came in pieces: read on */
		sf_pipe_read(b->r->pipe, b->r->io ? b->r->io : b->r->max_recv, bound, b);
		return;
	}
	dump(len >= 3 ? ptype_name(msg[2]) : "pdu", msg, len);
	if (rc != 0 || h.frag_len != len || h.call_id != 1) {
		bind_fail(b, STATUS_INVALID_NETWORK_RESPONSE, "malformed answer to the RPC bind");
		return;
	}
	if (h.ptype == RPC_PTYPE_BIND_NAK) {
		uint16_t reason = 0;
		if (rpc_bind_nak_decode(msg, len, &reason) != 0) {
			bind_fail(b, STATUS_INVALID_NETWORK_RESPONSE, "malformed RPC bind_nak");
			return;
		}
		char *why = g_strdup_printf("RPC bind refused by the server (bind_nak, reason %u)",
		                            reason);
		bind_fail(b, RPC_NT_CALL_FAILED, why);
		g_free(why);
		return;
	}
	struct rpc_bind_ack ack;
	if (h.ptype != RPC_PTYPE_BIND_ACK || rpc_bind_ack_decode(msg, len, &ack) != 0) {
		bind_fail(b, STATUS_INVALID_NETWORK_RESPONSE, "malformed RPC bind_ack");
		return;
	}
	if (ack.result != RPC_RESULT_ACCEPTANCE) {
		char *why = g_strdup_printf("RPC bind: interface refused (result %u, reason %u)",
		                            ack.result, ack.reason);
		bind_fail(b, RPC_NT_CALL_FAILED, why);
		g_free(why);
		return;
	}
	if (!rpc_syntax_equal(&ack.transfer, &rpc_syntax_ndr20)) {
		bind_fail(b, RPC_NT_UNSUPPORTED_TRANS_SYN,
		          rpc_syntax_equal(&ack.transfer, &rpc_syntax_ndr64)
		                  ? "RPC bind: the server chose NDR64, which is not supported"
		                  : "RPC bind: the server chose an unknown transfer syntax");
		return;
	}
	/* What each side may send: the server's max_xmit bounds its
	 * fragments (ours to receive), its max_recv bounds ours. */
	if (ack.max_recv < RPC_MIN_FRAG || ack.max_xmit < RPC_MIN_FRAG) {
		bind_fail(b, STATUS_INVALID_NETWORK_RESPONSE,
		          "RPC bind_ack with fragment sizes below 1432");
		return;
	}
	b->r->max_xmit = MIN(b->r->max_xmit, ack.max_recv);
	/* Fragments are accepted up to the larger of what we asked for and
	 * what the server says it sends: Samba 4.17 answers a max_recv_frag
	 * of 1432 with fragments of 2040 bytes (and max_xmit_frag 4280). */
	b->r->max_recv = MAX(b->r->max_recv, ack.max_xmit);
	sf_rpc *r = b->r;
	b->cb(b->user, 0, NULL, r);
	g_byte_array_unref(b->in);
	g_free(b);
}

static void pipe_opened(void *user, uint32_t status, sf_pipe *p)
{
	struct bind_op *b = user;
	if (status) {
		bind_fail(b, status, NULL);
		return;
	}
	b->r->pipe = p;
	size_t len;
	uint8_t *pdu = rpc_bind_encode(1, b->r->max_xmit, b->r->max_recv, &b->abstract, &len);
	sf_pipe_transceive(p, pdu, len, b->r->io ? b->r->io : b->r->max_recv, bound, b);
	g_free(pdu);
}

void sf_rpc_bind(sf_tree *ipc, const char *pipe, const struct rpc_syntax *abstract,
                 const struct sf_rpc_opts *o, sf_rpc_bind_fn cb, void *user)
{
	struct bind_op *b = g_new0(struct bind_op, 1);
	b->r = g_new0(sf_rpc, 1);
	b->r->next_call_id = 2;
	uint16_t frag = o && o->max_recv_frag ? o->max_recv_frag : 4280;
	b->r->max_recv = MAX(frag, RPC_MIN_FRAG);
	b->r->io = o ? o->pipe_read : 0;
	b->r->max_xmit = 4280;
	b->abstract = *abstract;
	b->in = g_byte_array_new();
	b->cb = cb;
	b->user = user;
	sf_pipe_open(ipc, pipe, pipe_opened, b);
}

void sf_rpc_free(sf_rpc *r)
{
	if (!r)
		return;
	sf_pipe_close(r->pipe);
	g_free(r);
}

/* ---- calls ------------------------------------------------------------------ */

struct call_op {
	sf_rpc *r;
	GPtrArray *frags; /* request fragments (GBytes) */
	guint next;
	GByteArray *in; /* bytes received and not yet taken as fragments */
	struct rpc_reasm reasm;
	sf_rpc_call_fn cb;
	void *user;
};

static void call_finish(struct call_op *c, uint32_t status)
{
	if (status)
		c->cb(c->user, status, NULL, 0);
	else {
		dump("stub", c->reasm.stub->data, c->reasm.stub->len);
		c->cb(c->user, 0, c->reasm.stub->data, c->reasm.stub->len);
	}
	rpc_reasm_clear(&c->reasm);
	g_ptr_array_unref(c->frags);
	g_byte_array_unref(c->in);
	g_free(c);
}

static void got_message(void *user, uint32_t status, const uint8_t *msg, size_t len);

/* Take whole fragments out of what was received; read more while the
 * response is incomplete. */
static void consume(struct call_op *c)
{
	for (;;) {
		struct rpc_hdr h = {0};
		int rc = rpc_hdr_decode(c->in->data, c->in->len, &h);
		if (rc == -EAGAIN) {
			/* (frag_len is known once the header is there.) */
			if (c->in->len >= RPC_HDR_LEN && h.frag_len > c->r->max_recv) {
				call_finish(c, STATUS_INVALID_NETWORK_RESPONSE);
				return;
			}
			sf_pipe_read(c->r->pipe, c->r->io ? c->r->io : c->r->max_recv, got_message,
			             c);
			return;
		}
		if (rc || h.frag_len > c->r->max_recv) {
			g_debug("malformed or oversized RPC fragment");
			call_finish(c, STATUS_INVALID_NETWORK_RESPONSE);
			return;
		}
		dump(ptype_name(h.ptype), c->in->data, h.frag_len);
		c->r->last_frags++;
		int r = rpc_reasm_add(&c->reasm, c->in->data, h.frag_len);
		g_byte_array_remove_range(c->in, 0, h.frag_len);
		if (r < 0) {
			call_finish(c, STATUS_INVALID_NETWORK_RESPONSE);
			return;
		}
		if (r == RPC_REASM_FAULT) {
			g_debug("RPC fault 0x%08x", c->reasm.fault);
			call_finish(c, rpc_fault_ntstatus(c->reasm.fault));
			return;
		}
		if (r == RPC_REASM_DONE) {
			/* Nothing may follow the last fragment of the answer. */
			call_finish(c, c->in->len ? STATUS_INVALID_NETWORK_RESPONSE : 0);
			return;
		}
	}
}

static void got_message(void *user, uint32_t status, const uint8_t *msg, size_t len)
{
	struct call_op *c = user;
	if (status) {
		call_finish(c, status);
		return;
	}
	if (!len || len > RPC_MAX_STUB - c->in->len) {
		call_finish(c, STATUS_INVALID_NETWORK_RESPONSE);
		return;
	}
	g_byte_array_append(c->in, msg, (guint)len);
	consume(c);
}

static void send_next(struct call_op *c);

static void frag_written(void *user, uint32_t status)
{
	struct call_op *c = user;
	if (status) {
		call_finish(c, status);
		return;
	}
	send_next(c);
}

static void send_next(struct call_op *c)
{
	GBytes *f = g_ptr_array_index(c->frags, c->next);
	c->next++;
	gsize n;
	const uint8_t *d = g_bytes_get_data(f, &n);
	if (c->next < c->frags->len)
		sf_pipe_write(c->r->pipe, d, n, frag_written, c);
	else /* the last fragment: its answer comes back in the same round trip */
		sf_pipe_transceive(c->r->pipe, d, n, c->r->io ? c->r->io : c->r->max_recv,
		                   got_message, c);
}

void sf_rpc_call(sf_rpc *r, uint16_t opnum, const uint8_t *stub, size_t len, sf_rpc_call_fn cb,
                 void *user)
{
	struct call_op *c = g_new0(struct call_op, 1);
	c->r = r;
	c->cb = cb;
	c->user = user;
	c->in = g_byte_array_new();
	c->frags = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	uint32_t id = r->next_call_id++;
	rpc_reasm_init(&c->reasm, id);
	r->last_frags = 0;
	/* Fragments of at most max_xmit bytes, stub data in multiples of 8
	 * (C706 12.6.3.4 keeps alignment across fragments). */
	size_t room = ((size_t)r->max_xmit - RPC_REQ_HDR_LEN) & ~(size_t)7;
	size_t off = 0;
	do {
		size_t n = MIN(room, len - off);
		uint8_t flags = (off == 0 ? RPC_PFC_FIRST_FRAG : 0) |
		                (off + n == len ? RPC_PFC_LAST_FRAG : 0);
		size_t plen;
		uint8_t *pdu = rpc_request_encode(id, 0, opnum, flags, (uint32_t)len,
		                                  stub ? stub + off : NULL, n, &plen);
		g_ptr_array_add(c->frags, g_bytes_new_take(pdu, plen));
		off += n;
	} while (off < len);
	send_next(c);
}
