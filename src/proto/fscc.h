/* fscc.h - MS-FSCC file attributes (2.6), information classes and their payloads (2.4, 2.5). */
#ifndef SF_PROTO_FSCC_H
#define SF_PROTO_FSCC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* File attributes (MS-FSCC 2.6). */
#define FILE_ATTRIBUTE_READONLY      0x00000001u
#define FILE_ATTRIBUTE_HIDDEN        0x00000002u
#define FILE_ATTRIBUTE_SYSTEM        0x00000004u
#define FILE_ATTRIBUTE_DIRECTORY     0x00000010u
#define FILE_ATTRIBUTE_ARCHIVE       0x00000020u
#define FILE_ATTRIBUTE_NORMAL        0x00000080u
#define FILE_ATTRIBUTE_SPARSE_FILE   0x00000200u
#define FILE_ATTRIBUTE_REPARSE_POINT 0x00000400u

/* File information classes (2.4) and filesystem information classes (2.5). */
#define FILE_BASIC_INFORMATION         4
#define FILE_STANDARD_INFORMATION      5
#define FILE_INTERNAL_INFORMATION      6
#define FILE_RENAME_INFORMATION        10
#define FILE_LINK_INFORMATION          11
#define FILE_DISPOSITION_INFORMATION   13
#define FILE_ALL_INFORMATION           18
#define FILE_ALLOCATION_INFORMATION    19
#define FILE_END_OF_FILE_INFORMATION   20
#define FILE_NETWORK_OPEN_INFORMATION  34
#define FILE_ATTRIBUTE_TAG_INFORMATION 35
#define FILE_FS_SIZE_INFORMATION       3
#define FILE_FS_ATTRIBUTE_INFORMATION  5
#define FILE_FS_FULL_SIZE_INFORMATION  7

/* The times and sizes CREATE, CLOSE(POSTQUERY) and the network-open info
 * class share. */
struct smb2_file_times {
	uint64_t creation, last_access, last_write, change; /* FILETIME */
	uint64_t allocation_size, end_of_file;
	uint32_t attributes;
};

/* Info class payloads. */
struct smb2_basic_info {
	uint64_t creation, last_access, last_write, change; /* 0 = unchanged */
	uint32_t attributes;                                /* 0 = unchanged */
};
int smb2_basic_info_decode(const uint8_t *buf, size_t len, struct smb2_basic_info *out);
void smb2_basic_info_encode(const struct smb2_basic_info *in, uint8_t out[40]);
/* FileAllInformation: the parts a stat needs (Basic, Standard, Internal). */
struct smb2_all_info {
	struct smb2_file_times t;
	uint32_t nlink;
	bool delete_pending, directory;
	uint64_t file_id;
};
int smb2_all_info_decode(const uint8_t *buf, size_t len, struct smb2_all_info *out);
/* FileAttributeTagInformation (MS-FSCC 2.4.6): attributes and the reparse
 * tag (meaningful only with FILE_ATTRIBUTE_REPARSE_POINT). */
int smb2_attribute_tag_decode(const uint8_t *buf, size_t len, uint32_t *attributes, uint32_t *tag);
struct smb2_fs_full_size {
	uint64_t total_units, caller_avail_units, actual_avail_units;
	uint32_t sectors_per_unit, bytes_per_sector;
};
int smb2_fs_full_size_decode(const uint8_t *buf, size_t len, struct smb2_fs_full_size *out);
/* FileRenameInformation / FileLinkInformation for SMB2 (MS-FSCC
 * 2.4.42.2, 2.4.28.2): new name in UTF-16LE, relative to the share. */
uint8_t *smb2_rename_info_encode(bool replace, const uint8_t *name, size_t name_len, size_t *len);

#endif
