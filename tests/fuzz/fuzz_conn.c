/* fuzz_conn.c - whole frames into the connection engine: the accept and
 * verify rules of conn.c (matching to the request, SessionId, signing,
 * sealing, interim responses, credits, compounds, unsolicited breaks,
 * cancel) are fuzzed, not only the decoders behind them.
 *
 * A detached connection (net/conn_testing.h) is set up as if NEGOTIATE
 * had chosen SMB 3.1.1 with AES-128-GCM and AES-CMAC, with three sessions
 * in place: 0x11 signs, 0x22 seals, 0x33 neither. Requests are pending on
 * each (single ones and a compound) before the input is read.
 *
 * Input: records of [mode][len lo][len hi][len bytes]. The low two bits
 * of mode say how the bytes become a frame, so the fuzzer can reach the
 * code behind the checks as well as the checks:
 *   0  as given (plain, compound, or a transform it built itself)
 *   1  signed with session 0x11's key (SessionId, Signature filled in)
 *   2  encrypted for session 0x22 (a transform with a fixed nonce)
 *   3  signed, then encrypted (a sealed session's signed inner PDU)
 * Bit 0x04 runs the main loop once after the frame (deferred callbacks);
 * bit 0x08 cancels the request named by the next record's first byte.
 *
 * Oracle: every request completes exactly once, by the end; ASan/UBSan
 * and LeakSanitizer watch the rest. */
#include "crypto/seal.h"
#include "crypto/sign.h"
#include "net/conn.h"
#include "net/conn_testing.h"
#include "proto/ntstatus.h"
#include "proto/smb2.h"
#include "util/bytes.h"

#include <glib.h>

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SID_SIGN 0x11u
#define SID_SEAL 0x22u
#define SID_NONE 0x33u
#define NREQ     9

static int completions[NREQ];

static void done(void *user, uint32_t status, const uint8_t *pdu, size_t len)
{
	int i = GPOINTER_TO_INT(user);
	if (pdu && len < SMB2_HDR_LEN)
		__builtin_trap(); /* a response handed out is at least a header */
	completions[i]++;
}

static GLogWriterOutput discard(GLogLevelFlags level, const GLogField *fields, gsize n,
                                gpointer user)
{
	return G_LOG_WRITER_HANDLED;
}

static void security(struct sf_conn_security *s, bool sign, bool seal)
{
	memset(s, 0, sizeof *s);
	s->sign = sign;
	s->seal = seal;
	s->sign_alg = SMB2_SIGNING_AES_CMAC;
	s->cipher = SMB2_ENCRYPTION_AES128_GCM;
	memset(s->keys.signing, 0x5A, sizeof s->keys.signing);
	memset(s->keys.encryption, 0xE1, sizeof s->keys.encryption);
	memset(s->keys.decryption, 0xD2, sizeof s->keys.decryption);
	s->keys.cipher_key_len = 16;
}

static sf_req_handle submit(sf_conn *c, uint16_t cmd, uint64_t sid, size_t expect, int first, int n,
                            unsigned flags)
{
	static const uint8_t body[49] = {49};
	struct sf_req_spec s[3];
	for (int i = 0; i < n; i++) {
		s[i] = (struct sf_req_spec){.command = cmd,
		                            .body = body,
		                            .body_len = sizeof body,
		                            .expect_rsp = expect,
		                            .session_id = sid,
		                            .tree_id = 1,
		                            .flags = flags,
		                            .done = done,
		                            .user = GINT_TO_POINTER(first + i)};
	}
	return sf_conn_submit(c, s, (size_t)n);
}

/* The fuzz bytes become one frame in the way mode asks. */
static void feed(sf_conn *c, uint8_t mode, const uint8_t *p, size_t n)
{
	uint8_t *m = g_malloc(n + 1);
	memcpy(m, p, n);
	if (mode & 1) {
		/* Sign each PDU of the chain as a server would (3.3.4.1.1). */
		uint8_t key[16];
		memset(key, 0x5A, sizeof key);
		for (size_t at = 0; n - at >= SMB2_HDR_LEN;) {
			uint8_t *pdu = m + at;
			uint32_t next = sf_le32(pdu + SMB2_HDR_OFF_NEXT_COMMAND);
			size_t len = (next >= SMB2_HDR_LEN && next <= n - at) ? next : n - at;
			sf_put_le64(pdu + SMB2_HDR_OFF_SESSION_ID, SID_SIGN);
			sf_put_le32(pdu + SMB2_HDR_OFF_FLAGS,
			            sf_le32(pdu + SMB2_HDR_OFF_FLAGS) | SMB2_FLAGS_SIGNED);
			sf_sign_apply(SMB2_SIGNING_AES_CMAC, key, pdu, len);
			if (len == n - at)
				break;
			at += len;
		}
	}
	if (mode & 2) {
		static const uint8_t nonce[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
		uint8_t key[16];
		memset(key, 0xD2, sizeof key);
		uint8_t *enc = g_malloc(SF_TRANSFORM_HDR_LEN + n);
		if (sf_seal_encrypt(SMB2_ENCRYPTION_AES128_GCM, key, SID_SEAL, nonce, m, n, enc) ==
		    0)
			sf_conn_feed_frame(c, enc, SF_TRANSFORM_HDR_LEN + n);
		g_free(enc);
	} else {
		sf_conn_feed_frame(c, m, n);
	}
	g_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool quiet;
	if (!quiet) { /* security failures are expected: not worth printing */
		if (!g_getenv("FUZZ_CONN_LOG"))
			g_log_set_writer_func(discard, NULL, NULL);
		quiet = true;
	}
	GMainContext *ctx = g_main_context_new();
	struct sf_negotiated neg = {
	        .dialect = SMB2_DIALECT_0311,
	        .capabilities = SMB2_GLOBAL_CAP_LARGE_MTU | SMB2_GLOBAL_CAP_ENCRYPTION,
	        .max_transact = 1u << 20,
	        .max_read = 1u << 20,
	        .max_write = 1u << 20,
	        .cipher = SMB2_ENCRYPTION_AES128_GCM,
	        .signing_alg = SMB2_SIGNING_AES_CMAC,
	};
	/* Few credits, so the last requests wait in the queue. */
	sf_conn *c = sf_conn_new_detached(&neg, ctx, 24);
	struct sf_conn_security s;
	security(&s, true, false);
	sf_conn_set_security(c, SID_SIGN, &s);
	security(&s, false, true);
	sf_conn_set_security(c, SID_SEAL, &s);
	security(&s, false, false);
	sf_conn_set_security(c, SID_NONE, &s);

	memset(completions, 0, sizeof completions);
	sf_req_handle h[NREQ] = {0};
	h[0] = submit(c, SMB2_ECHO, 0, 0, 0, 1, SF_REQ_CONTROL);
	h[1] = submit(c, SMB2_READ, SID_SIGN, 65536, 1, 1, 0);
	h[2] = submit(c, SMB2_CREATE, SID_SIGN, 0, 2, 3, 0); /* a compound: 2, 3, 4 */
	h[5] = submit(c, SMB2_READ, SID_SEAL, 4096, 5, 1, SF_REQ_NO_TIMEOUT);
	h[6] = submit(c, SMB2_SESSION_SETUP, 0, 0, 6, 1, SF_REQ_NO_SIGN);
	h[7] = submit(c, SMB2_WRITE, SID_NONE, 0, 7, 1, 0);
	h[8] = submit(c, SMB2_READ, SID_SIGN, 1u << 20, 8, 1, 0); /* waits for credits */

	size_t off = 0;
	while (off + 3 <= size) {
		uint8_t mode = data[off];
		size_t n = sf_le16(data + off + 1);
		off += 3;
		n = MIN(n, size - off);
		if (mode & 8) {
			if (n)
				sf_conn_cancel(c, h[data[off] % NREQ]);
		} else {
			feed(c, mode, data + off, n);
		}
		off += n;
		if (mode & 4)
			g_main_context_iteration(ctx, FALSE);
	}

	sf_conn_close(c, STATUS_CONNECTION_DISCONNECTED);
	while (g_main_context_iteration(ctx, FALSE))
		;
	sf_conn_unref(c);
	while (g_main_context_iteration(ctx, FALSE))
		;
	g_main_context_unref(ctx);
	for (int i = 0; i < NREQ; i++)
		if (completions[i] != 1)
			__builtin_trap(); /* lost or completed twice */
	return 0;
}
