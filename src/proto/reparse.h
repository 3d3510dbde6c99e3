/* reparse.h - reparse points that are links (MS-FSCC 2.1.2) and the
 * Symbolic Link Error Response of STATUS_STOPPED_ON_SYMLINK (MS-SMB2
 * 2.2.2.2.1). The decoders only point into the caller's buffer; turning
 * a target into a POSIX path is the file layer's job. */
#ifndef SF_PROTO_REPARSE_H
#define SF_PROTO_REPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IO_REPARSE_TAG_MOUNT_POINT 0xA0000003u
#define IO_REPARSE_TAG_SYMLINK     0xA000000Cu
#define IO_REPARSE_TAG_NFS         0x80000014u
#define IO_REPARSE_TAG_LX_SYMLINK  0xA000001Du
#define SYMLINK_FLAG_RELATIVE      0x00000001u
#define SMB2_SYMLINK_ERROR_TAG     0x4C4D5953u /* "SYML" */
#define NFS_SPECFILE_LNK           0x00000000014B4E4Cull
#define NFS_SPECFILE_CHR           0x0000000000524843ull
#define NFS_SPECFILE_BLK           0x00000000004B4C42ull
#define NFS_SPECFILE_FIFO          0x000000004F464946ull
#define NFS_SPECFILE_SOCK          0x000000004B434F53ull
#define FSCTL_SET_REPARSE_POINT    0x000900A4u
#define FSCTL_DELETE_REPARSE_POINT 0x000900ACu
/* Largest reparse buffer a file system keeps (16 KiB). */
#define SMB2_REPARSE_MAX 16384u

/* Tags that make a file a symbolic link by themselves. NFS reparse
 * points are links only when their type says so (see the decoder). */
static inline bool smb2_reparse_tag_is_link(uint32_t tag)
{
	return tag == IO_REPARSE_TAG_SYMLINK || tag == IO_REPARSE_TAG_LX_SYMLINK;
}

struct smb2_link {
	uint32_t tag;
	uint32_t flags;        /* SYMLINK_FLAG_RELATIVE (symlink tag only) */
	bool utf8;             /* target is UTF-8 (LX symlink), else UTF-16LE */
	const uint8_t *target; /* SubstituteName, into the buffer */
	size_t target_len;     /* bytes */
	const uint8_t *print;  /* PrintName (may be empty) */
	size_t print_len;
	uint16_t unparsed_len; /* error response only: path bytes not parsed */
};

/* A REPARSE_DATA_BUFFER from FSCTL_GET_REPARSE_POINT. 0 with a link
 * (symlink, junction, LX symlink, NFS symlink); -ENOLINK for a
 * well-formed reparse point that is not a link (out->tag says which);
 * -EPROTO when a length or offset does not fit. */
int smb2_reparse_decode(const uint8_t *buf, size_t len, struct smb2_link *out);

/* ErrorData of an ERROR response with STATUS_STOPPED_ON_SYMLINK.
 * context_count is the response's ErrorContextCount: when non-zero (SMB
 * 3.1.1) the data is a list of ERROR Context Responses and the link is
 * in the one with ErrorId SMB2_ERROR_ID_DEFAULT. 0 or -EPROTO. */
int smb2_symlink_error_decode(const uint8_t *data, size_t len, uint8_t context_count,
                              struct smb2_link *out);

/* A symbolic link reparse buffer for FSCTL_SET_REPARSE_POINT. target:
 * UTF-16LE, used as both substitute and print name. NULL when it does not
 * fit the 16-bit lengths. */
uint8_t *smb2_symlink_reparse_encode(const uint8_t *target, size_t target_len, uint32_t flags,
                                     size_t *len);

/* An NFS special-file reparse buffer (MS-FSCC 2.1.2.6): FIFO, SOCK, or
 * CHR/BLK with the device's major and minor. Writes and returns its
 * length (at most SMB2_NFS_SPECIAL_MAX). */
#define SMB2_NFS_SPECIAL_MAX 24
size_t smb2_nfs_special_reparse_encode(uint64_t type, uint32_t major, uint32_t minor,
                                       uint8_t out[SMB2_NFS_SPECIAL_MAX]);
/* The type (and device) of an NFS special-file reparse buffer: 0 or
 * -EPROTO (another tag, or too short). */
int smb2_nfs_special_reparse_decode(const uint8_t *buf, size_t len, uint64_t *type, uint32_t *major,
                                    uint32_t *minor);

#endif
