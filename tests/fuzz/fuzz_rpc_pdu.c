/* fuzz_rpc_pdu.c - DCE/RPC connection-oriented PDUs (proto/rpc.h): the
 * input is a stream of fragments as a pipe would deliver them; each whole
 * fragment goes through every PDU decoder and into one reassembly (call
 * id taken from the first), as fs/rpc.c does. */
#include "proto/rpc.h"

#include <glib.h>

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const uint8_t *p, size_t n, const uint8_t *data, size_t size)
{
	if (p && (p < data || n > size || p + n > data + size))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rpc_reasm r;
	bool init = false;
	size_t pos = 0;
	while (pos < size) {
		struct rpc_hdr h;
		if (rpc_hdr_decode(data + pos, size - pos, &h) != 0)
			break;
		const uint8_t *f = data + pos;
		size_t n = h.frag_len;
		if (n < RPC_HDR_LEN || n > size - pos)
			__builtin_trap();
		struct rpc_bind_ack a;
		uint16_t reason;
		uint32_t st;
		struct rpc_response rsp;
		(void)rpc_bind_ack_decode(f, n, &a);
		(void)rpc_bind_nak_decode(f, n, &reason);
		if (rpc_fault_decode(f, n, &st) == 0)
			(void)rpc_fault_ntstatus(st);
		if (rpc_response_decode(f, n, &rsp) == 0)
			inside(rsp.stub, rsp.stub_len, data, size);
		if (!init) {
			rpc_reasm_init(&r, h.call_id);
			init = true;
		}
		int rc = rpc_reasm_add(&r, f, n);
		if (rc != RPC_REASM_MORE) {
			rpc_reasm_clear(&r);
			init = false;
		}
		pos += n;
	}
	if (init)
		rpc_reasm_clear(&r);
	return 0;
}
