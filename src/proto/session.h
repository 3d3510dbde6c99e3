/* session.h - SESSION_SETUP and LOGOFF (MS-SMB2 2.2.5 - 2.2.8). */
#ifndef SF_PROTO_SESSION_H
#define SF_PROTO_SESSION_H

#include <stddef.h>
#include <stdint.h>

#define SMB2_SESSION_FLAG_BINDING      0x01
#define SMB2_SESSION_FLAG_IS_GUEST     0x0001
#define SMB2_SESSION_FLAG_IS_NULL      0x0002
#define SMB2_SESSION_FLAG_ENCRYPT_DATA 0x0004

struct smb2_session_setup_req {
	uint8_t flags; /* SMB2_SESSION_FLAG_BINDING */
	uint8_t security_mode;
	uint32_t capabilities;
	uint64_t previous_session_id;
	const uint8_t *token;
	size_t token_len;
};
uint8_t *smb2_session_setup_req_encode(const struct smb2_session_setup_req *r, size_t *len);

struct smb2_session_setup_rsp {
	uint16_t session_flags;
	const uint8_t *token; /* into the PDU */
	size_t token_len;
};
int smb2_session_setup_rsp_decode(const uint8_t *pdu, size_t len,
                                  struct smb2_session_setup_rsp *out);

/* LOGOFF, TREE_DISCONNECT, ECHO and CANCEL requests are 4 bytes:
 * StructureSize 4 + Reserved (2.2.7, 2.2.11, 2.2.28, 2.2.30). */
void smb2_simple_req_encode(uint8_t out[4]);
/* Their responses: StructureSize 4 + Reserved. 0 or -EPROTO. */
int smb2_simple_rsp_decode(const uint8_t *pdu, size_t len);

#endif
