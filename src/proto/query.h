/* query.h - QUERY_DIRECTORY, QUERY_INFO, SET_INFO and IOCTL (MS-SMB2
 * 2.2.31 - 2.2.40) with the MS-FSCC information classes a filesystem
 * client needs. */
#ifndef SF_PROTO_QUERY_H
#define SF_PROTO_QUERY_H

#include "proto/create.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- QUERY_DIRECTORY ------------------------------------------------ */
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

/* ---- QUERY_INFO / SET_INFO ----------------------------------------- */
#define SMB2_0_INFO_FILE               0x01
#define SMB2_0_INFO_FILESYSTEM         0x02
#define SMB2_0_INFO_SECURITY           0x03
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

uint8_t *smb2_query_info_req_encode(struct smb2_fileid fid, uint8_t info_type, uint8_t info_class,
                                    uint32_t out_len, uint32_t additional, size_t *len);
struct smb2_query_info_rsp {
	const uint8_t *buf;
	size_t buf_len;
};
int smb2_query_info_rsp_decode(const uint8_t *pdu, size_t len, struct smb2_query_info_rsp *out);

uint8_t *smb2_set_info_req_encode(struct smb2_fileid fid, uint8_t info_type, uint8_t info_class,
                                  const uint8_t *buf, size_t buf_len, size_t *len);
int smb2_set_info_rsp_decode(const uint8_t *pdu, size_t len);

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

/* ---- IOCTL ---------------------------------------------------------- */
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
