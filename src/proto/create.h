/* create.h - CREATE with create contexts and CLOSE (MS-SMB2 2.2.13 - 2.2.16). */
#ifndef SF_PROTO_CREATE_H
#define SF_PROTO_CREATE_H

#include "proto/fscc.h"
#include "proto/smb2.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Access mask bits (2.2.13.1). */
#define FILE_READ_DATA        0x00000001u
#define FILE_WRITE_DATA       0x00000002u
#define FILE_APPEND_DATA      0x00000004u
#define FILE_READ_EA          0x00000008u
#define FILE_WRITE_EA         0x00000010u
#define FILE_EXECUTE          0x00000020u
#define FILE_LIST_DIRECTORY   0x00000001u
#define FILE_READ_ATTRIBUTES  0x00000080u
#define FILE_WRITE_ATTRIBUTES 0x00000100u
#define DELETE                0x00010000u
#define READ_CONTROL          0x00020000u
#define WRITE_DAC             0x00040000u
#define WRITE_OWNER           0x00080000u
#define SYNCHRONIZE           0x00100000u
#define MAXIMUM_ALLOWED       0x02000000u
#define GENERIC_READ          0x80000000u
#define GENERIC_WRITE         0x40000000u
#define GENERIC_ALL           0x10000000u
/* ShareAccess. */
#define FILE_SHARE_READ   0x1u
#define FILE_SHARE_WRITE  0x2u
#define FILE_SHARE_DELETE 0x4u
#define FILE_SHARE_ALL    0x7u
/* CreateDisposition. */
#define FILE_SUPERSEDE    0
#define FILE_OPEN         1
#define FILE_CREATE       2
#define FILE_OPEN_IF      3
#define FILE_OVERWRITE    4
#define FILE_OVERWRITE_IF 5
/* CreateOptions. */
#define FILE_DIRECTORY_FILE     0x00000001u
#define FILE_WRITE_THROUGH      0x00000002u
#define FILE_NON_DIRECTORY_FILE 0x00000040u
#define FILE_DELETE_ON_CLOSE    0x00001000u
#define FILE_OPEN_REPARSE_POINT 0x00200000u
/* OplockLevel / ImpersonationLevel. */
#define SMB2_OPLOCK_LEVEL_NONE           0x00
#define SMB2_OPLOCK_LEVEL_LEASE          0xFF
#define SMB2_IMPERSONATION_IMPERSONATION 2
/* CLOSE flag (2.2.15). */
#define SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB 0x0001

/* A create context (2.2.13.2 / 2.2.14.2): a 4-byte tag name (or a
 * 16-byte GUID name: name_len 16, the POSIX context) and data. */
struct smb2_create_ctx {
	char name[16];
	size_t name_len; /* 0 means 4 */
	const uint8_t *data;
	size_t data_len;
};

struct smb2_create_req {
	uint8_t oplock_level;
	uint32_t desired_access;
	uint32_t file_attributes;
	uint32_t share_access;
	uint32_t disposition;
	uint32_t options;
	const uint8_t *name; /* UTF-16LE, no leading backslash */
	size_t name_len;
	const struct smb2_create_ctx *ctxs;
	size_t ctx_count;
};
uint8_t *smb2_create_req_encode(const struct smb2_create_req *r, size_t *len);

#define SMB2_MAX_CREATE_CTX 16
struct smb2_create_rsp {
	uint8_t oplock_level;
	uint32_t create_action;
	struct smb2_file_times t;
	struct smb2_fileid fid;
	struct smb2_create_ctx ctxs[SMB2_MAX_CREATE_CTX];
	size_t ctx_count;
};
int smb2_create_rsp_decode(const uint8_t *pdu, size_t len, struct smb2_create_rsp *out);
/* Walk a create-context chain at [buf, buf+len) (shared by request and
 * response decoders and the fuzz target). 0 or -EPROTO. */
int smb2_create_ctx_chain_decode(const uint8_t *buf, size_t len, struct smb2_create_ctx *out,
                                 size_t max, size_t *count);
/* Find a context by tag in a decoded response. */
const struct smb2_create_ctx *smb2_create_rsp_ctx(const struct smb2_create_rsp *r,
                                                  const char tag[4]);
/* By a name of any length (the 16-byte POSIX tag). */
const struct smb2_create_ctx *smb2_create_rsp_ctx_named(const struct smb2_create_rsp *r,
                                                        const void *name, size_t name_len);

uint8_t *smb2_close_req_encode(struct smb2_fileid fid, uint16_t flags, size_t *len);
struct smb2_close_rsp {
	uint16_t flags;
	struct smb2_file_times t;
};
int smb2_close_rsp_decode(const uint8_t *pdu, size_t len, struct smb2_close_rsp *out);

#endif
