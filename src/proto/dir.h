/* dir.h - QUERY_DIRECTORY (MS-SMB2 2.2.33, 2.2.34) and its entries (MS-FSCC 2.4.x). */
#ifndef SF_PROTO_DIR_H
#define SF_PROTO_DIR_H

#include "proto/fscc.h"
#include "proto/smb2.h"

#include <stddef.h>
#include <stdint.h>

#define FILE_DIRECTORY_INFORMATION         1
#define FILE_FULL_DIRECTORY_INFORMATION    2
#define FILE_BOTH_DIRECTORY_INFORMATION    3
#define FILE_NAMES_INFORMATION             12
#define FILE_ID_BOTH_DIRECTORY_INFORMATION 37
#define FILE_ID_FULL_DIRECTORY_INFORMATION 38
#define SMB2_RESTART_SCANS                 0x01
#define SMB2_RETURN_SINGLE_ENTRY           0x02
#define SMB2_REOPEN                        0x10

uint8_t *smb2_query_directory_req_encode(struct smb2_fileid fid, uint8_t info_class, uint8_t flags,
                                         const uint8_t *pattern, size_t pattern_len,
                                         uint32_t out_len, size_t *len);
struct smb2_query_directory_rsp {
	const uint8_t *buf; /* into the PDU */
	size_t buf_len;
};
int smb2_query_directory_rsp_decode(const uint8_t *pdu, size_t len,
                                    struct smb2_query_directory_rsp *out);

struct smb2_dir_entry {
	struct smb2_file_times t;
	uint64_t file_id; /* 0 for classes without one */
	uint32_t ea_size;
	const uint8_t *name; /* UTF-16LE */
	size_t name_len;
};
/* Iterate the entries of a directory listing buffer (MS-FSCC 2.4.x).
 * *pos starts at 0; returns 1 with an entry, 0 at the end, -EPROTO when
 * the chain is malformed (NextEntryOffset not forward or not inside,
 * name outside its entry, odd name length). */
int smb2_dir_entry_next(uint8_t info_class, const uint8_t *buf, size_t len, size_t *pos,
                        struct smb2_dir_entry *e);

#endif
