/* io.h - FLUSH, READ and WRITE (MS-SMB2 2.2.17 - 2.2.22). */
#ifndef SF_PROTO_IO_H
#define SF_PROTO_IO_H

#include "proto/smb2.h"

#include <stddef.h>
#include <stdint.h>

uint8_t *smb2_flush_req_encode(struct smb2_fileid fid, size_t *len);

uint8_t *smb2_read_req_encode(struct smb2_fileid fid, uint64_t offset, uint32_t length,
                              size_t *len);
struct smb2_read_rsp {
	const uint8_t *data; /* into the PDU */
	size_t data_len;
	uint32_t remaining;
};
int smb2_read_rsp_decode(const uint8_t *pdu, size_t len, struct smb2_read_rsp *out);

/* The data follows the 48-byte fixed part directly (DataOffset 0x70). */
uint8_t *smb2_write_req_encode(struct smb2_fileid fid, uint64_t offset, const void *data,
                               size_t data_len, size_t *len);
struct smb2_write_rsp {
	uint32_t count;
};
int smb2_write_rsp_decode(const uint8_t *pdu, size_t len, struct smb2_write_rsp *out);

#endif
