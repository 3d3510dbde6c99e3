/* lock.h - LOCK request (MS-SMB2 2.2.26, 2.2.26.1). */
#ifndef SF_PROTO_LOCK_H
#define SF_PROTO_LOCK_H

#include "proto/smb2.h"

#include <stddef.h>
#include <stdint.h>

/* LOCK (2.2.26, 2.2.26.1). Flags per element. */
#define SMB2_LOCKFLAG_SHARED_LOCK      0x01u
#define SMB2_LOCKFLAG_EXCLUSIVE_LOCK   0x02u
#define SMB2_LOCKFLAG_UNLOCK           0x04u
#define SMB2_LOCKFLAG_FAIL_IMMEDIATELY 0x10u
struct smb2_lock_element {
	uint64_t offset, length;
	uint32_t flags;
};
uint8_t *smb2_lock_req_encode(struct smb2_fileid fid, const struct smb2_lock_element *locks,
                              size_t n, size_t *len);

#endif
