/* ioctl.h - IOCTL, VALIDATE_NEGOTIATE_INFO, copychunk and resume key (MS-SMB2 2.2.31, 2.2.32). */
#ifndef SF_PROTO_IOCTL_H
#define SF_PROTO_IOCTL_H

#include "proto/smb2.h"

#include <stddef.h>
#include <stdint.h>

#define SMB2_0_IOCTL_IS_FSCTL         0x00000001u
#define FSCTL_VALIDATE_NEGOTIATE_INFO 0x00140204u
#define FSCTL_SRV_REQUEST_RESUME_KEY  0x00140078u
#define FSCTL_SRV_COPYCHUNK_WRITE     0x001480F2u
#define FSCTL_SET_ZERO_DATA           0x000980C8u
#define FSCTL_SET_SPARSE              0x000900C4u
#define FSCTL_QUERY_ALLOCATED_RANGES  0x000940CFu
#define FSCTL_GET_REPARSE_POINT       0x000900A8u
#define FSCTL_DFS_GET_REFERRALS       0x00060194u
#define FSCTL_PIPE_TRANSCEIVE         0x0011C017u

uint8_t *smb2_ioctl_req_encode(struct smb2_fileid fid, uint32_t ctl_code, const uint8_t *in,
                               size_t in_len, uint32_t max_out, size_t *len);
struct smb2_ioctl_rsp {
	uint32_t ctl_code;
	struct smb2_fileid fid;
	const uint8_t *out; /* into the PDU */
	size_t out_len;
};
int smb2_ioctl_rsp_decode(const uint8_t *pdu, size_t len, struct smb2_ioctl_rsp *out);

/* VALIDATE_NEGOTIATE_INFO (2.2.31.4 / 2.2.32.6). */
uint8_t *smb2_validate_negotiate_encode(uint32_t capabilities, const uint8_t guid[16],
                                        uint16_t security_mode, const uint16_t *dialects,
                                        size_t ndialects, size_t *len);
struct smb2_validate_negotiate_rsp {
	uint32_t capabilities;
	uint8_t guid[16];
	uint16_t security_mode;
	uint16_t dialect;
};
int smb2_validate_negotiate_rsp_decode(const uint8_t *buf, size_t len,
                                       struct smb2_validate_negotiate_rsp *out);

/* Server-side copy (2.2.31.1, 2.2.32.1, 2.2.32.3). */
struct smb2_copychunk {
	uint64_t src_off, dst_off;
	uint32_t len;
};
uint8_t *smb2_copychunk_encode(const uint8_t resume_key[24], const struct smb2_copychunk *c,
                               size_t n, size_t *len);
int smb2_resume_key_decode(const uint8_t *buf, size_t len, uint8_t key[24]);
struct smb2_copychunk_rsp {
	uint32_t chunks_written, chunk_bytes_written, total_bytes_written;
};
int smb2_copychunk_rsp_decode(const uint8_t *buf, size_t len, struct smb2_copychunk_rsp *out);

#endif
