/* notify.h - CHANGE_NOTIFY (MS-SMB2 2.2.35, 2.2.36, 3.2.4.15) and the
 * FILE_NOTIFY_INFORMATION chain its answer carries (MS-FSCC 2.7.1). */
#ifndef SF_PROTO_NOTIFY_H
#define SF_PROTO_NOTIFY_H

#include "proto/smb2.h"

#include <stddef.h>
#include <stdint.h>

/* Flags (2.2.35) */
#define SMB2_WATCH_TREE 0x0001u

/* CompletionFilter (2.2.35) */
#define FILE_NOTIFY_CHANGE_FILE_NAME    0x00000001u
#define FILE_NOTIFY_CHANGE_DIR_NAME     0x00000002u
#define FILE_NOTIFY_CHANGE_ATTRIBUTES   0x00000004u
#define FILE_NOTIFY_CHANGE_SIZE         0x00000008u
#define FILE_NOTIFY_CHANGE_LAST_WRITE   0x00000010u
#define FILE_NOTIFY_CHANGE_LAST_ACCESS  0x00000020u
#define FILE_NOTIFY_CHANGE_CREATION     0x00000040u
#define FILE_NOTIFY_CHANGE_EA           0x00000080u
#define FILE_NOTIFY_CHANGE_SECURITY     0x00000100u
#define FILE_NOTIFY_CHANGE_STREAM_NAME  0x00000200u
#define FILE_NOTIFY_CHANGE_STREAM_SIZE  0x00000400u
#define FILE_NOTIFY_CHANGE_STREAM_WRITE 0x00000800u

/* Action (MS-FSCC 2.7.1) */
#define FILE_ACTION_ADDED             0x00000001u
#define FILE_ACTION_REMOVED           0x00000002u
#define FILE_ACTION_MODIFIED          0x00000003u
#define FILE_ACTION_RENAMED_OLD_NAME  0x00000004u
#define FILE_ACTION_RENAMED_NEW_NAME  0x00000005u
#define FILE_ACTION_ADDED_STREAM      0x00000006u
#define FILE_ACTION_REMOVED_STREAM    0x00000007u
#define FILE_ACTION_MODIFIED_STREAM   0x00000008u
#define FILE_ACTION_REMOVED_BY_DELETE 0x00000009u

/* CHANGE_NOTIFY request body (32 bytes): g_malloc'ed, *len set. */
uint8_t *smb2_change_notify_req_encode(struct smb2_fileid fid, uint16_t flags, uint32_t out_len,
                                       uint32_t filter, size_t *len);

struct smb2_change_notify_rsp {
	const uint8_t *buf; /* OutputBuffer, into the PDU (NULL when empty) */
	size_t buf_len;
};
/* The whole response PDU (header + body): 0 or -EPROTO. An empty buffer
 * is valid (the server had more changes than room: list again). */
int smb2_change_notify_rsp_decode(const uint8_t *pdu, size_t len,
                                  struct smb2_change_notify_rsp *out);

struct smb2_notify_entry {
	uint32_t action;     /* FILE_ACTION_* */
	const uint8_t *name; /* UTF-16LE, relative to the watched directory */
	size_t name_len;     /* bytes, even, > 0 */
};
/* Iterate FILE_NOTIFY_INFORMATION entries. *pos starts at 0; returns 1
 * with an entry, 0 at the end, -EPROTO when the chain is malformed:
 * NextEntryOffset not forward, not 4-aligned or outside the buffer, a
 * name outside its entry, an odd or empty name length. At most
 * SMB2_NOTIFY_MAX_ENTRIES entries are given. */
#define SMB2_NOTIFY_MAX_ENTRIES 65536
int smb2_notify_entry_next(const uint8_t *buf, size_t len, size_t *pos, unsigned *count,
                           struct smb2_notify_entry *e);

#endif
