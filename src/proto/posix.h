/* posix.h - SMB 3.1.1 POSIX extensions (POSIX-SMB2, POSIX-FSCC, published
 * at smb3posix.org; Samba implements them with `smb3 unix extensions`):
 * the SMB2_POSIX_EXTENSIONS_AVAILABLE negotiate context, the POSIX create
 * context, the POSIX information level for QUERY_INFO and
 * QUERY_DIRECTORY, and the SIDs in them (MS-DTYP 2.4.22). */
#ifndef SF_PROTO_POSIX_H
#define SF_PROTO_POSIX_H

#include "proto/fscc.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Negotiate context type (POSIX-SMB2 2.2.3.1.x); its data is the GUID
 * naming the create context below. */
#define SMB2_POSIX_EXTENSIONS_AVAILABLE 0x0100
/* 93AD2550-9CB4-11E7-B423-83DE968BCD7C, in the byte order of the wire:
 * the negotiate context's data and the create context's 16-byte name. */
extern const uint8_t smb2_posix_tag[16];
/* FileInfoClass of the POSIX information (POSIX-FSCC 2.2.1), for
 * QUERY_INFO (SMB2_0_INFO_FILE) and QUERY_DIRECTORY, and of SET_INFO of a
 * mode where the server takes it. */
#define SMB2_FILE_POSIX_INFORMATION 100

/* POSIXMode: the permission bits (07777, the Linux values) and, in bits
 * 12-15, the file type in its own numbering (POSIX-FSCC 2.2.x). */
#define SMB2_POSIX_TYPE_SHIFT   12
#define SMB2_POSIX_TYPE_FILE    0
#define SMB2_POSIX_TYPE_DIR     1
#define SMB2_POSIX_TYPE_SYMLINK 2
#define SMB2_POSIX_TYPE_CHARDEV 3
#define SMB2_POSIX_TYPE_BLKDEV  4
#define SMB2_POSIX_TYPE_FIFO    5
#define SMB2_POSIX_TYPE_SOCKET  6
/* st_mode (type and permissions) from POSIXMode; 0 for a type this
 * codec does not know. And back: the permissions and type of st_mode. */
uint32_t smb2_posix_mode_to_unix(uint32_t wire);
uint32_t smb2_posix_mode_from_unix(uint32_t st_mode);

/* A security identifier (MS-DTYP 2.4.2.2): at most 15 sub-authorities. */
#define SMB2_SID_MAX_SUB 15
struct smb2_sid {
	uint8_t revision;
	uint8_t sub_count;
	uint64_t authority; /* 48 bits, big-endian on the wire */
	uint32_t sub[SMB2_SID_MAX_SUB];
};
/* Bytes of a SID on the wire, 0 when malformed. Decodes at *pos, moves
 * *pos past it; -EPROTO when truncated or revision != 1. */
size_t smb2_sid_len(const struct smb2_sid *s);
int smb2_sid_decode(const uint8_t *buf, size_t len, size_t *pos, struct smb2_sid *out);
/* Writes smb2_sid_len(s) bytes. */
void smb2_sid_encode(const struct smb2_sid *s, uint8_t *out);
/* Samba's SIDs for Unix ids: S-1-22-1-uid (a user), S-1-22-2-gid (a
 * group). true with the id when s is one of the kind (kind 1 or 2). */
bool smb2_sid_unix_id(const struct smb2_sid *s, uint32_t kind, uint32_t *id);
void smb2_sid_from_unix_id(struct smb2_sid *s, uint32_t kind, uint32_t id);
/* "S-1-22-1-1000" into buf (at least 190 bytes). */
void smb2_sid_format(const struct smb2_sid *s, char *buf, size_t size);

/* A self-relative security descriptor (MS-DTYP 2.4.6) holding only an
 * owner and/or a group (either may be NULL), for SET_INFO with
 * OWNER_/GROUP_SECURITY_INFORMATION: chown and chgrp. g_malloc'd. */
uint8_t *smb2_sd_owner_group_encode(const struct smb2_sid *owner, const struct smb2_sid *group,
                                    size_t *len);

/* chmod under the POSIX extensions (as Samba and the Linux client do it):
 * a self-relative descriptor whose DACL is one ACCESS_ALLOWED ACE with
 * mask 0 for the SID S-1-5-88-3-<mode>, set with
 * DACL_SECURITY_INFORMATION. g_malloc'd. */
uint8_t *smb2_sd_posix_mode_encode(uint32_t mode, size_t *len);

/* The create context's request data: the mode of a file created by this
 * open (POSIX-SMB2 2.2.13.2.x). Returns the 4 bytes written. */
#define SMB2_POSIX_CREATE_REQ_LEN 4
size_t smb2_posix_create_req_encode(uint32_t mode, uint8_t out[SMB2_POSIX_CREATE_REQ_LEN]);

/* The create context's response, which also ends the POSIX information:
 * link count, reparse tag, POSIXMode, owner and group SIDs. */
struct smb2_posix_cc {
	uint32_t nlink;
	uint32_t reparse_tag;
	uint32_t mode; /* POSIXMode, as on the wire */
	struct smb2_sid owner, group;
};
/* 0 or -EPROTO; *used (may be NULL) gets the bytes it took. */
int smb2_posix_cc_decode(const uint8_t *buf, size_t len, struct smb2_posix_cc *out, size_t *used);

/* The POSIX information (POSIX-FSCC 2.2.1): the QUERY_INFO answer. */
struct smb2_posix_info {
	struct smb2_file_times t; /* times, sizes, DOS attributes */
	uint64_t inode;
	uint32_t device; /* DeviceId */
	struct smb2_posix_cc cc;
};
int smb2_posix_info_decode(const uint8_t *buf, size_t len, struct smb2_posix_info *out);
/* The same layout for SET_INFO (Samba changes the mode from cc.mode):
 * a g_malloc'd buffer of *len bytes. SIDs with revision 0 go out as the
 * null SID S-1-0-0. */
uint8_t *smb2_posix_info_encode(const struct smb2_posix_info *in, size_t *len);

/* One QUERY_DIRECTORY entry of the POSIX level: NextEntryOffset,
 * FileIndex, the information above, FileNameLength, FileName. */
struct smb2_posix_dirent {
	struct smb2_posix_info info;
	const uint8_t *name; /* UTF-16LE, into the buffer */
	size_t name_len;
};
/* *pos starts at 0; 1 with an entry, 0 at the end, -EPROTO when the
 * chain or an entry is malformed (as smb2_dir_entry_next). */
int smb2_posix_dirent_next(const uint8_t *buf, size_t len, size_t *pos,
                           struct smb2_posix_dirent *e);

#endif
