/* validate.h - central checks on every response before its command's
 * decoder runs (MS-SMB2 3.2.5.1): header, StructureSize for the
 * (command, status) pair, and that the fixed part is present. */
#ifndef SF_PROTO_VALIDATE_H
#define SF_PROTO_VALIDATE_H

#include "proto/smb2.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Does a response to `command` with `status` carry the command's own body
 * (true) or an ERROR body (false)? */
bool smb2_status_has_body(uint16_t command, uint32_t status);
/* pdu: one response (header + body, up to NextCommand). 0 or -EPROTO. */
int smb2_rsp_validate(const struct smb2_hdr *hdr, const uint8_t *pdu, size_t len);

/* ERROR response (2.2.2). */
struct smb2_error_rsp {
	uint8_t context_count;
	const uint8_t *data; /* ErrorData, into the PDU */
	size_t data_len;
};
int smb2_error_rsp_decode(const uint8_t *pdu, size_t len, struct smb2_error_rsp *out);

#endif
