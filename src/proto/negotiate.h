/* negotiate.h - SMB2 NEGOTIATE request/response and negotiate contexts
 * (MS-SMB2 2.2.3, 2.2.3.1.x, 2.2.4, 2.2.4.1.x). Decoders take the whole
 * PDU (header + body): wire offsets count from the header's first byte. */
#ifndef SF_PROTO_NEGOTIATE_H
#define SF_PROTO_NEGOTIATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SMB2_PREAUTH_INTEGRITY_CAPABILITIES 0x0001
#define SMB2_ENCRYPTION_CAPABILITIES        0x0002
#define SMB2_COMPRESSION_CAPABILITIES       0x0003
#define SMB2_NETNAME_NEGOTIATE_CONTEXT_ID   0x0005
#define SMB2_TRANSPORT_CAPABILITIES         0x0006
#define SMB2_RDMA_TRANSFORM_CAPABILITIES    0x0007
#define SMB2_SIGNING_CAPABILITIES           0x0008
#define SMB2_PREAUTH_SHA512                 0x0001

#define SMB2_MAX_DIALECTS 8
#define SMB2_MAX_ALGS     8

struct smb2_negotiate_req {
	uint16_t dialects[SMB2_MAX_DIALECTS];
	size_t dialect_count;
	uint16_t security_mode;
	uint32_t capabilities;
	uint8_t client_guid[16];
	/* 3.1.1 contexts, sent when dialects include 0x0311 */
	uint8_t salt[32];
	uint16_t ciphers[SMB2_MAX_ALGS];
	size_t cipher_count;
	uint16_t signing_algs[SMB2_MAX_ALGS];
	size_t signing_count;
	uint16_t compression_algs[SMB2_MAX_ALGS]; /* none sent when 0 */
	size_t compression_count;
	const uint8_t *netname; /* UTF-16LE server name, optional */
	size_t netname_len;
	bool transport_security; /* SMB2_TRANSPORT_CAPABILITIES (QUIC only) */
	bool posix;              /* SMB2_POSIX_EXTENSIONS_AVAILABLE (proto/posix.h) */
};

/* Encode the request body (no header) into a new buffer. */
uint8_t *smb2_negotiate_req_encode(const struct smb2_negotiate_req *req, size_t *len);

struct smb2_negotiate_rsp {
	uint16_t security_mode;
	uint16_t dialect;
	uint8_t server_guid[16];
	uint32_t capabilities;
	uint32_t max_transact, max_read, max_write;
	uint64_t system_time, server_start_time;
	const uint8_t *security_buffer; /* SPNEGO hint, into the PDU */
	size_t security_buffer_len;
	/* 3.1.1 contexts */
	bool has_preauth;
	uint16_t preauth_hash;
	size_t preauth_salt_len;
	bool has_cipher;
	uint16_t cipher; /* 0 = server chose none */
	bool has_signing;
	uint16_t signing_alg;
	bool has_compression;
	uint16_t compression_count;
	uint32_t compression_flags;
	bool has_transport;
	uint32_t transport_flags;
	bool has_posix; /* the server offers the POSIX extensions */
	size_t context_count;
};

/* Decode a NEGOTIATE response PDU. Checks every offset and the context
 * chain (8-byte aligned, inside the PDU, each context's own length, at
 * most 16 contexts, each known context at most once). 0 or -EPROTO. */
int smb2_negotiate_rsp_decode(const uint8_t *pdu, size_t len, struct smb2_negotiate_rsp *out);

#endif
