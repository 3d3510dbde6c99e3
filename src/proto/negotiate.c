/* negotiate.c - NEGOTIATE codec (MS-SMB2 2.2.3, 2.2.4). */
#include "proto/negotiate.h"

#include "proto/posix.h"
#include "proto/smb2.h"
#include "util/bytes.h"

#include <errno.h>
#include <string.h>

static void put_context(struct sf_wr *w, uint16_t type, const uint8_t *data, size_t n)
{
	sf_wr_align(w, 8); /* each context starts 8-byte aligned (2.2.3.1) */
	sf_wr_u16(w, type);
	sf_wr_u16(w, (uint16_t)n);
	sf_wr_u32(w, 0);
	sf_wr_bytes(w, data, n);
}

/* Alignment is relative to the start of the SMB2 header: the body starts
 * at offset 64, itself 8-aligned, so aligning the body buffer suffices. */
uint8_t *smb2_negotiate_req_encode(const struct smb2_negotiate_req *req, size_t *len)
{
	bool smb311 = false;
	for (size_t i = 0; i < req->dialect_count; i++)
		smb311 |= req->dialects[i] == SMB2_DIALECT_0311;
	struct sf_wr w;
	sf_wr_init_grow(&w, 256);
	sf_wr_u16(&w, 36); /* StructureSize */
	sf_wr_u16(&w, (uint16_t)req->dialect_count);
	sf_wr_u16(&w, req->security_mode);
	sf_wr_u16(&w, 0);
	sf_wr_u32(&w, req->capabilities);
	sf_wr_bytes(&w, req->client_guid, 16);
	size_t ctx_off_at = sf_wr_reserve(&w, 4); /* NegotiateContextOffset */
	size_t ctx_cnt_at = sf_wr_reserve(&w, 2);
	sf_wr_u16(&w, 0);
	for (size_t i = 0; i < req->dialect_count; i++)
		sf_wr_u16(&w, req->dialects[i]);
	if (smb311) {
		uint16_t count = 0;
		uint8_t b[64];
		sf_wr_align(&w, 8);
		sf_wr_patch_u32(&w, ctx_off_at, (uint32_t)(SMB2_HDR_LEN + w.pos));
		/* Pre-auth integrity: SHA-512 with a 32-byte salt. */
		sf_put_le16(b, 1);
		sf_put_le16(b + 2, 32);
		sf_put_le16(b + 4, SMB2_PREAUTH_SHA512);
		memcpy(b + 6, req->salt, 32);
		put_context(&w, SMB2_PREAUTH_INTEGRITY_CAPABILITIES, b, 38), count++;
		if (req->cipher_count) {
			sf_put_le16(b, (uint16_t)req->cipher_count);
			for (size_t i = 0; i < req->cipher_count; i++)
				sf_put_le16(b + 2 + 2 * i, req->ciphers[i]);
			put_context(&w, SMB2_ENCRYPTION_CAPABILITIES, b, 2 + 2 * req->cipher_count);
			count++;
		}
		if (req->compression_count) {
			sf_put_le16(b, (uint16_t)req->compression_count);
			sf_put_le16(b + 2, 0);
			sf_put_le32(b + 4, 0); /* Flags: no chained compression */
			for (size_t i = 0; i < req->compression_count; i++)
				sf_put_le16(b + 8 + 2 * i, req->compression_algs[i]);
			put_context(&w, SMB2_COMPRESSION_CAPABILITIES, b,
			            8 + 2 * req->compression_count);
			count++;
		}
		if (req->netname && req->netname_len) {
			put_context(&w, SMB2_NETNAME_NEGOTIATE_CONTEXT_ID, req->netname,
			            req->netname_len);
			count++;
		}
		if (req->transport_security) {
			sf_put_le32(b, 1); /* SMB2_ACCEPT_TRANSPORT_LEVEL_SECURITY */
			put_context(&w, SMB2_TRANSPORT_CAPABILITIES, b, 4), count++;
		}
		if (req->signing_count) {
			sf_put_le16(b, (uint16_t)req->signing_count);
			for (size_t i = 0; i < req->signing_count; i++)
				sf_put_le16(b + 2 + 2 * i, req->signing_algs[i]);
			put_context(&w, SMB2_SIGNING_CAPABILITIES, b, 2 + 2 * req->signing_count);
			count++;
		}
		if (req->posix) {
			put_context(&w, SMB2_POSIX_EXTENSIONS_AVAILABLE, smb2_posix_tag, 16);
			count++;
		}
		sf_wr_patch_u16(&w, ctx_cnt_at, count);
	}
	return sf_wr_steal(&w, len);
}

/* One response context's data (2.2.4.1.x). */
static int decode_context(uint16_t type, struct sf_rd *d, struct smb2_negotiate_rsp *o)
{
	switch (type) {
	case SMB2_PREAUTH_INTEGRITY_CAPABILITIES: {
		if (o->has_preauth)
			return -EPROTO;
		uint16_t count = sf_rd_u16(d), salt = sf_rd_u16(d);
		o->preauth_hash = sf_rd_u16(d);
		sf_rd_skip(d, salt);
		/* The response names exactly one algorithm (2.2.4.1.1). */
		if (count != 1)
			return -EPROTO;
		o->has_preauth = true;
		o->preauth_salt_len = salt;
		break;
	}
	case SMB2_ENCRYPTION_CAPABILITIES:
		if (o->has_cipher || sf_rd_u16(d) != 1)
			return -EPROTO;
		o->cipher = sf_rd_u16(d);
		o->has_cipher = true;
		break;
	case SMB2_SIGNING_CAPABILITIES:
		if (o->has_signing || sf_rd_u16(d) != 1)
			return -EPROTO;
		o->signing_alg = sf_rd_u16(d);
		o->has_signing = true;
		break;
	case SMB2_COMPRESSION_CAPABILITIES:
		if (o->has_compression)
			return -EPROTO;
		o->compression_count = sf_rd_u16(d);
		sf_rd_skip(d, 2);
		o->compression_flags = sf_rd_u32(d);
		sf_rd_skip(d, (size_t)o->compression_count * 2);
		o->has_compression = true;
		break;
	case SMB2_TRANSPORT_CAPABILITIES:
		o->transport_flags = sf_rd_u32(d);
		o->has_transport = true;
		break;
	case SMB2_POSIX_EXTENSIONS_AVAILABLE:
		/* The server names the POSIX create context it takes: ours,
		 * or it offers some other version we do not speak. */
		if (o->has_posix)
			return -EPROTO;
		o->has_posix = sf_rd_left(d) == 16 && !memcmp(sf_rd_ptr(d, 16), smb2_posix_tag, 16);
		break;
	default:
		break; /* unknown contexts are ignored (3.2.5.2) */
	}
	return sf_rd_ok(d) ? 0 : -EPROTO;
}

int smb2_negotiate_rsp_decode(const uint8_t *pdu, size_t len, struct smb2_negotiate_rsp *o)
{
	memset(o, 0, sizeof *o);
	struct sf_rd r;
	sf_rd_init(&r, pdu, len);
	sf_rd_seek(&r, SMB2_HDR_LEN);
	if (sf_rd_u16(&r) != 65) /* StructureSize */
		return -EPROTO;
	o->security_mode = sf_rd_u16(&r);
	o->dialect = sf_rd_u16(&r);
	uint16_t ctx_count = sf_rd_u16(&r);
	sf_rd_copy(&r, o->server_guid, 16);
	o->capabilities = sf_rd_u32(&r);
	o->max_transact = sf_rd_u32(&r);
	o->max_read = sf_rd_u32(&r);
	o->max_write = sf_rd_u32(&r);
	o->system_time = sf_rd_u64(&r);
	o->server_start_time = sf_rd_u64(&r);
	uint16_t sb_off = sf_rd_u16(&r), sb_len = sf_rd_u16(&r);
	uint32_t ctx_off = sf_rd_u32(&r);
	if (!sf_rd_ok(&r))
		return -EPROTO;
	const size_t fixed_end = SMB2_HDR_LEN + 64;
	if (sb_len) {
		if (!sf_span_ok_from(fixed_end, sb_off, sb_len, len))
			return -EPROTO;
		o->security_buffer = pdu + sb_off;
		o->security_buffer_len = sb_len;
	}
	if (o->dialect != SMB2_DIALECT_0311)
		return 0; /* NegotiateContextCount/Offset are reserved */
	if (ctx_count == 0 || ctx_count > 16 || ctx_off % 8 ||
	    !sf_span_ok_from(fixed_end, ctx_off, 8, len))
		return -EPROTO;
	size_t off = ctx_off;
	for (uint16_t i = 0; i < ctx_count; i++) {
		off = sf_align_up(off, 8);
		if (!sf_span_ok(off, 8, len))
			return -EPROTO;
		uint16_t type = sf_le16(pdu + off), dlen = sf_le16(pdu + off + 2);
		if (!sf_span_ok(off + 8, dlen, len))
			return -EPROTO;
		struct sf_rd d;
		sf_rd_init(&d, pdu + off + 8, dlen);
		if (decode_context(type, &d, o) != 0)
			return -EPROTO;
		off += 8 + (size_t)dlen;
	}
	o->context_count = ctx_count;
	/* 3.1.1 requires the pre-auth integrity context (3.2.5.2). */
	return o->has_preauth ? 0 : -EPROTO;
}
