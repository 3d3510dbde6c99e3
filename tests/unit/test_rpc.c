/* test_rpc.c - DCE/RPC PDUs (C706 12.6, MS-RPCE 2.2.2) and srvsvc
 * NetrShareEnum level 1 NDR (MS-SRVS 3.1.4.8): known answers built from
 * the specifications, and PDUs captured from Samba 4.17 (tests/vectors/rpc,
 * see its README). */
#include "proto/ntstatus.h"
#include "proto/rpc.h"
#include "proto/srvsvc.h"
#include "util/bytes.h"
#include "vectors.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

static GBytes *vec(const char *name)
{
	char *path = g_build_filename(SF_TEST_VECTORS, "rpc", name, NULL);
	gchar *data;
	gsize len;
	g_assert_true(g_file_get_contents(path, &data, &len, NULL));
	g_free(path);
	return g_bytes_new_take(data, len);
}

static void test_bind_encode(void)
{
	size_t len;
	uint8_t *b = rpc_bind_encode(1, 4280, 4280, &rpc_syntax_srvsvc, &len);
	g_assert_cmpuint(len, ==, 72);
	GByteArray *want = hexbytes("05000b03 10000000 4800 0000 01000000" /* header */
	                            "b810 b810 00000000"                   /* frags, group */
	                            "01 00 0000 0000 01 00"                /* one context */
	                            "c84f324b 7016 d301 12785a47bf6ee188 0300 0000"
	                            "045d888a eb1c c911 9fe808002b104860 0200 0000");
	g_assert_cmpmem(b, len, want->data, want->len);
	g_byte_array_unref(want);
	g_free(b);
}

static void test_bind_ack_samba(void)
{
	GBytes *v = vec("samba-bind-ack.bin");
	gsize n;
	const uint8_t *d = g_bytes_get_data(v, &n);
	struct rpc_bind_ack a;
	g_assert_cmpint(rpc_bind_ack_decode(d, n, &a), ==, 0);
	g_assert_cmpuint(a.max_xmit, ==, 4280);
	g_assert_cmpuint(a.max_recv, ==, 4280);
	g_assert_cmpuint(a.result, ==, RPC_RESULT_ACCEPTANCE);
	g_assert_true(rpc_syntax_equal(&a.transfer, &rpc_syntax_ndr20));
	/* Every truncation is refused (frag_len no longer matches, or the
	 * result list is cut). */
	for (gsize i = 0; i < n; i++)
		g_assert_cmpint(rpc_bind_ack_decode(d, i, &a), ==, -EPROTO);
	/* A port_spec longer than the PDU. */
	uint8_t *bad = g_memdup2(d, n);
	sf_put_le16(bad + 24, 0xfff0);
	g_assert_cmpint(rpc_bind_ack_decode(bad, n, &a), ==, -EPROTO);
	/* No result at all. */
	memcpy(bad, d, n);
	bad[40] = 0;
	g_assert_cmpint(rpc_bind_ack_decode(bad, n, &a), ==, -EPROTO);
	/* A big-endian data representation is not what was asked for. */
	memcpy(bad, d, n);
	bad[4] = 0x00;
	g_assert_cmpint(rpc_bind_ack_decode(bad, n, &a), ==, -EPROTO);
	g_free(bad);
	g_bytes_unref(v);

	v = vec("samba-bind-ack-rejected.bin");
	d = g_bytes_get_data(v, &n);
	g_assert_cmpint(rpc_bind_ack_decode(d, n, &a), ==, 0);
	g_assert_cmpuint(a.result, ==, RPC_RESULT_PROVIDER_REJECTION);
	g_assert_cmpuint(a.reason, ==, 1); /* abstract syntax not supported */
	g_bytes_unref(v);
}

static void test_bind_nak(void)
{
	/* bind_nak, reason 4 (protocol version not supported), versions 5.0. */
	GByteArray *p = hexbytes("05000d03 10000000 1800 0000 01000000 0400 01 05 00 000000");
	p->data[8] = (uint8_t)p->len;
	uint16_t reason = 0;
	g_assert_cmpint(rpc_bind_nak_decode(p->data, p->len, &reason), ==, 0);
	g_assert_cmpuint(reason, ==, 4);
	g_assert_cmpint(rpc_bind_nak_decode(p->data, 17, &reason), ==, -EPROTO);
	struct rpc_bind_ack a;
	g_assert_cmpint(rpc_bind_ack_decode(p->data, p->len, &a), ==, -EPROTO);
	g_byte_array_unref(p);
}

static void test_fault_samba(void)
{
	GBytes *v = vec("samba-fault-op-rng.bin");
	gsize n;
	const uint8_t *d = g_bytes_get_data(v, &n);
	uint32_t st = 0;
	g_assert_cmpint(rpc_fault_decode(d, n, &st), ==, 0);
	g_assert_cmphex(st, ==, 0x1c010002);
	g_assert_cmphex(rpc_fault_ntstatus(st), ==, STATUS_NOT_IMPLEMENTED);
	g_bytes_unref(v);
	v = vec("samba-fault-ndr.bin");
	d = g_bytes_get_data(v, &n);
	g_assert_cmpint(rpc_fault_decode(d, n, &st), ==, 0);
	g_assert_cmphex(st, ==, 0x6f7);
	g_assert_cmphex(rpc_fault_ntstatus(st), ==, RPC_NT_CALL_FAILED);
	g_assert_cmphex(rpc_fault_ntstatus(5), ==, STATUS_ACCESS_DENIED);
	g_assert_cmpint(rpc_fault_decode(d, 27, &st), ==, -EPROTO);
	/* In reassembly a fault ends the call. */
	struct rpc_reasm r;
	rpc_reasm_init(&r, 2);
	g_assert_cmpint(rpc_reasm_add(&r, d, n), ==, RPC_REASM_FAULT);
	g_assert_cmphex(r.fault, ==, 0x6f7);
	rpc_reasm_clear(&r);
	g_bytes_unref(v);
}

static void test_request_encode(void)
{
	const uint8_t stub[3] = {0xaa, 0xbb, 0xcc};
	size_t len;
	uint8_t *b = rpc_request_encode(7, 0, 15, RPC_PFC_FIRST_FRAG | RPC_PFC_LAST_FRAG, 3, stub,
	                                3, &len);
	GByteArray *want =
	        hexbytes("05000003 10000000 1b00 0000 07000000 03000000 0000 0f00 aabbcc");
	g_assert_cmpmem(b, len, want->data, want->len);
	g_byte_array_unref(want);
	g_free(b);
	/* A stub that cannot fit one fragment is refused, not truncated. */
	g_assert_null(rpc_request_encode(7, 0, 15, 3, 0, stub, 65536, &len));
}

/* The six fragments Samba sent for 68 shares reassemble to the stub it
 * meant; out-of-order, foreign and duplicated fragments are refused. */
static void test_reassembly_samba(void)
{
	GBytes *f[6];
	for (int i = 0; i < 6; i++) {
		char name[32];
		g_snprintf(name, sizeof name, "samba-shares-frag%d.bin", i + 1);
		f[i] = vec(name);
	}
	GBytes *stub = vec("samba-shares-68-stub.bin");
	struct rpc_reasm r;
	rpc_reasm_init(&r, 2);
	for (int i = 0; i < 6; i++) {
		gsize n;
		const uint8_t *d = g_bytes_get_data(f[i], &n);
		g_assert_cmpint(rpc_reasm_add(&r, d, n), ==,
		                i < 5 ? RPC_REASM_MORE : RPC_REASM_DONE);
	}
	gsize sn;
	const uint8_t *sd = g_bytes_get_data(stub, &sn);
	g_assert_cmpmem(r.stub->data, r.stub->len, sd, sn);
	rpc_reasm_clear(&r);

	gsize n0, n1;
	const uint8_t *d0 = g_bytes_get_data(f[0], &n0);
	const uint8_t *d1 = g_bytes_get_data(f[1], &n1);
	rpc_reasm_init(&r, 2); /* a middle fragment first */
	g_assert_cmpint(rpc_reasm_add(&r, d1, n1), ==, -EPROTO);
	rpc_reasm_clear(&r);
	rpc_reasm_init(&r, 2); /* the first twice */
	g_assert_cmpint(rpc_reasm_add(&r, d0, n0), ==, RPC_REASM_MORE);
	g_assert_cmpint(rpc_reasm_add(&r, d0, n0), ==, -EPROTO);
	rpc_reasm_clear(&r);
	rpc_reasm_init(&r, 3); /* another call's */
	g_assert_cmpint(rpc_reasm_add(&r, d0, n0), ==, -EPROTO);
	rpc_reasm_clear(&r);
	rpc_reasm_init(&r, 2); /* frag_len beyond the data */
	g_assert_cmpint(rpc_reasm_add(&r, d0, n0 - 1), ==, -EPROTO);
	rpc_reasm_clear(&r);

	struct srvsvc_share_enum_rsp rsp;
	g_assert_cmpint(srvsvc_share_enum_rsp_decode(sd, sn, &rsp), ==, 0);
	g_assert_cmpuint(rsp.shares->len, ==, 68);
	g_assert_cmpuint(rsp.total, ==, 68);
	g_assert_cmpuint(rsp.result, ==, 0);
	srvsvc_share_enum_rsp_clear(&rsp);
	for (int i = 0; i < 6; i++)
		g_bytes_unref(f[i]);
	g_bytes_unref(stub);
}

static void test_share_enum_req(void)
{
	size_t len;
	uint8_t *b = srvsvc_share_enum_req_encode("h", 0, &len);
	GByteArray *want = hexbytes("00000200 04000000 00000000 04000000 5c005c00 6800 0000"
	                            "01000000 01000000 04000200 00000000 00000000"
	                            "ffffffff 08000200 00000000");
	g_assert_cmpmem(b, len, want->data, want->len);
	g_byte_array_unref(want);
	g_free(b);
}

/* A hand-built answer: two shares, one without remark (null pointer),
 * TotalEntries 2, resume handle 0, WERROR 0. */
static const char *two_shares =
        "01000000 01000000 00000200"                     /* level, switch, -> container */
        "02000000 04000200"                              /* EntriesRead, -> array */
        "02000000"                                       /* conformance */
        "08000200 00000000 0c000200"                     /* a: Disk, remark */
        "10000200 03000080 00000000"                     /* IPC$: IPC special, no remark */
        "02000000 00000000 02000000 6100 0000"           /* "a" */
        "03000000 00000000 03000000 7200 6d00 0000 0000" /* "rm" + pad */
        "05000000 00000000 05000000 4900 5000 4300 2400 0000 0000" /* "IPC$" + pad */
        "02000000 14000200 00000000 00000000";

static void test_share_enum_rsp(void)
{
	GByteArray *s = hexbytes(two_shares);
	struct srvsvc_share_enum_rsp r;
	g_assert_cmpint(srvsvc_share_enum_rsp_decode(s->data, s->len, &r), ==, 0);
	g_assert_cmpuint(r.shares->len, ==, 2);
	struct srvsvc_share *a = g_ptr_array_index(r.shares, 0);
	struct srvsvc_share *ipc = g_ptr_array_index(r.shares, 1);
	g_assert_cmpstr(a->name, ==, "a");
	g_assert_cmpstr(a->remark, ==, "rm");
	g_assert_cmpuint(a->type, ==, STYPE_DISKTREE);
	g_assert_cmpstr(ipc->name, ==, "IPC$");
	g_assert_cmpstr(ipc->remark, ==, "");
	g_assert_cmphex(ipc->type, ==, STYPE_SPECIAL | STYPE_IPC);
	g_assert_cmpstr(srvsvc_type_name(ipc->type), ==, "IPC");
	g_assert_true(r.has_resume);
	g_assert_cmpuint(r.total, ==, 2);
	srvsvc_share_enum_rsp_clear(&r);
	/* Every truncation fails cleanly. */
	for (guint i = 0; i < s->len; i++)
		g_assert_cmpint(srvsvc_share_enum_rsp_decode(s->data, i, &r), ==, -EPROTO);
	/* Counts that lie. */
	struct {
		size_t off;
		uint32_t v;
	} lies[] = {
	        {12, 3},          /* EntriesRead != conformance */
	        {20, 1000000},    /* conformance beyond the data */
	        {48, 0x40000000}, /* string max_count huge (actual stays below) */
	        {52, 1},          /* a string offset */
	        {56, 3},          /* actual_count > max_count */
	        {4, 2},           /* union switch != level */
	        {0, 502},         /* another level */
	};
	for (size_t i = 0; i < G_N_ELEMENTS(lies); i++) {
		GByteArray *b = hexbytes(two_shares);
		sf_put_le32(b->data + lies[i].off, lies[i].v);
		int rc = srvsvc_share_enum_rsp_decode(b->data, b->len, &r);
		if (lies[i].off == 48) { /* max_count is only a bound: allowed */
			g_assert_cmpint(rc, ==, 0);
			srvsvc_share_enum_rsp_clear(&r);
		} else {
			g_assert_cmpint(rc, ==, -EPROTO);
		}
		g_byte_array_unref(b);
	}
	/* A NUL inside a name. */
	GByteArray *b = hexbytes(two_shares);
	b->data[60] = 0;
	g_assert_cmpint(srvsvc_share_enum_rsp_decode(b->data, b->len, &r), ==, -EPROTO);
	g_byte_array_unref(b);
	g_byte_array_unref(s);
}

static void test_share_enum_samba(void)
{
	GBytes *v = vec("samba-shares-11-stub.bin");
	gsize n;
	const uint8_t *d = g_bytes_get_data(v, &n);
	struct srvsvc_share_enum_rsp r;
	g_assert_cmpint(srvsvc_share_enum_rsp_decode(d, n, &r), ==, 0);
	g_assert_cmpuint(r.shares->len, ==, 11);
	struct srvsvc_share *s = g_ptr_array_index(r.shares, 8);
	g_assert_cmpstr(s->name, ==, "printer");
	g_assert_cmpstr(srvsvc_type_name(s->type), ==, "Printer");
	g_assert_cmpstr(s->remark, ==, "Test printer");
	s = g_ptr_array_index(r.shares, 10);
	g_assert_cmpstr(s->name, ==, "IPC$");
	g_assert_true(s->type & STYPE_SPECIAL);
	srvsvc_share_enum_rsp_clear(&r);
	for (gsize i = 0; i < n; i++)
		g_assert_cmpint(srvsvc_share_enum_rsp_decode(d, i, &r), ==, -EPROTO);
	g_bytes_unref(v);
	/* The one-fragment response around it. */
	v = vec("samba-shares-11-response.bin");
	d = g_bytes_get_data(v, &n);
	struct rpc_response rsp;
	g_assert_cmpint(rpc_response_decode(d, n, &rsp), ==, 0);
	g_assert_cmpuint(rsp.stub_len, ==, 800);
	g_assert_cmpuint(rsp.alloc_hint, ==, 800);
	g_bytes_unref(v);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rpc/bind_encode", test_bind_encode);
	g_test_add_func("/rpc/bind_ack_samba", test_bind_ack_samba);
	g_test_add_func("/rpc/bind_nak", test_bind_nak);
	g_test_add_func("/rpc/fault_samba", test_fault_samba);
	g_test_add_func("/rpc/request_encode", test_request_encode);
	g_test_add_func("/rpc/reassembly_samba", test_reassembly_samba);
	g_test_add_func("/srvsvc/share_enum_req", test_share_enum_req);
	g_test_add_func("/srvsvc/share_enum_rsp", test_share_enum_rsp);
	g_test_add_func("/srvsvc/share_enum_samba", test_share_enum_samba);
	return g_test_run();
}
