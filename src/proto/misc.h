/* misc.h - ECHO (MS-SMB2 2.2.28) and where the FileId sits in each request
 * that carries one (2.2.15 - 2.2.39). */
#ifndef SF_PROTO_MISC_H
#define SF_PROTO_MISC_H

#include <stddef.h>
#include <stdint.h>

/* ECHO request body: StructureSize 4, Reserved. g_malloc'ed, *len = 4. */
uint8_t *smb2_echo_req_encode(size_t *len);

/* Byte offset, within a REQUEST body (after the 64-byte header), of the
 * 16-byte FileId for CLOSE, FLUSH, READ, WRITE, LOCK, IOCTL,
 * QUERY_DIRECTORY, CHANGE_NOTIFY, QUERY_INFO, SET_INFO and OPLOCK_BREAK;
 * -1 for every other command. OPLOCK_BREAK means the oplock break
 * acknowledgment (StructureSize 24, 2.2.24.1): a lease break
 * acknowledgment (StructureSize 36, 2.2.24.2) has no FileId and carries its
 * LeaseKey at that offset, so check the StructureSize before rewriting. */
int smb2_req_fileid_offset(uint16_t command);

#endif
