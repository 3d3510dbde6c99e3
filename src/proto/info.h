/* info.h - QUERY_INFO and SET_INFO (MS-SMB2 2.2.37 - 2.2.40); the classes are in fscc.h. */
#ifndef SF_PROTO_INFO_H
#define SF_PROTO_INFO_H

#include "proto/fscc.h"
#include "proto/smb2.h"

#include <stddef.h>
#include <stdint.h>

/* InfoType (2.2.37). */
#define SMB2_0_INFO_FILE       0x01
#define SMB2_0_INFO_FILESYSTEM 0x02
#define SMB2_0_INFO_SECURITY   0x03

uint8_t *smb2_query_info_req_encode(struct smb2_fileid fid, uint8_t info_type, uint8_t info_class,
                                    uint32_t out_len, uint32_t additional, size_t *len);
struct smb2_query_info_rsp {
	const uint8_t *buf;
	size_t buf_len;
};
int smb2_query_info_rsp_decode(const uint8_t *pdu, size_t len, struct smb2_query_info_rsp *out);

uint8_t *smb2_set_info_req_encode(struct smb2_fileid fid, uint8_t info_type, uint8_t info_class,
                                  const uint8_t *buf, size_t buf_len, size_t *len);
/* With AdditionalInformation (security: which parts of the descriptor). */
uint8_t *smb2_set_info_req_encode_ex(struct smb2_fileid fid, uint8_t info_type, uint8_t info_class,
                                     uint32_t additional, const uint8_t *buf, size_t buf_len,
                                     size_t *len);
#define OWNER_SECURITY_INFORMATION 0x00000001u
#define GROUP_SECURITY_INFORMATION 0x00000002u
#define DACL_SECURITY_INFORMATION  0x00000004u
int smb2_set_info_rsp_decode(const uint8_t *pdu, size_t len);

#endif
