/* tree.h - TREE_CONNECT (MS-SMB2 2.2.9, 2.2.10). */
#ifndef SF_PROTO_TREE_H
#define SF_PROTO_TREE_H

#include <stddef.h>
#include <stdint.h>

#define SMB2_SHARE_TYPE_DISK  0x01
#define SMB2_SHARE_TYPE_PIPE  0x02
#define SMB2_SHARE_TYPE_PRINT 0x03

#define SMB2_SHAREFLAG_DFS                     0x00000001u
#define SMB2_SHAREFLAG_DFS_ROOT                0x00000002u
#define SMB2_SHAREFLAG_ENCRYPT_DATA            0x00008000u
#define SMB2_SHARE_CAP_DFS                     0x00000008u
#define SMB2_SHARE_CAP_CONTINUOUS_AVAILABILITY 0x00000010u

/* path: UTF-16LE "\\server\share". */
uint8_t *smb2_tree_connect_req_encode(const uint8_t *path, size_t path_len, size_t *len);

struct smb2_tree_connect_rsp {
	uint8_t share_type;
	uint32_t share_flags;
	uint32_t capabilities;
	uint32_t maximal_access;
};
int smb2_tree_connect_rsp_decode(const uint8_t *pdu, size_t len, struct smb2_tree_connect_rsp *out);

#endif
