/* lease.h - leases and oplock breaks: the "RqLs" create context (MS-SMB2
 * 2.2.13.2.8, 2.2.13.2.10, 2.2.14.2.10, 2.2.14.2.11), the Lease Break
 * Notification and Acknowledgment (2.2.23.2, 2.2.24.2) and the Oplock Break
 * Notification and Acknowledgment (2.2.23.1, 2.2.24.1). */
#ifndef SF_PROTO_LEASE_H
#define SF_PROTO_LEASE_H

#include "proto/smb2.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* LeaseState (2.2.13.2.8). */
#define SMB2_LEASE_NONE           0x00u
#define SMB2_LEASE_READ_CACHING   0x01u
#define SMB2_LEASE_HANDLE_CACHING 0x02u
#define SMB2_LEASE_WRITE_CACHING  0x04u
/* LeaseFlags: BREAK_IN_PROGRESS in responses (2.2.14.2.10); PARENT_LEASE_KEY_SET
 * in v2 requests and responses (2.2.13.2.10, 2.2.14.2.11). */
#define SMB2_LEASE_FLAG_BREAK_IN_PROGRESS    0x02u
#define SMB2_LEASE_FLAG_PARENT_LEASE_KEY_SET 0x04u
/* Lease Break Notification Flags (2.2.23.2). */
#define SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED 0x01u
/* Oplock levels besides NONE and LEASE (create.h) (2.2.13, 2.2.23.1). */
#define SMB2_OPLOCK_LEVEL_II        0x01
#define SMB2_OPLOCK_LEVEL_EXCLUSIVE 0x08
#define SMB2_OPLOCK_LEVEL_BATCH     0x09

/* Data lengths of an "RqLs" context: v1 (SMB 2.1) and v2 (SMB 3.x). */
#define SMB2_LEASE_CTX_V1_LEN 32
#define SMB2_LEASE_CTX_V2_LEN 52

struct smb2_lease {
	uint8_t key[16];        /* LeaseKey */
	uint32_t state;         /* LeaseState */
	uint32_t flags;         /* LeaseFlags (v1) / Flags (v2) */
	uint8_t parent_key[16]; /* ParentLeaseKey, v2 only */
	uint16_t epoch;         /* Epoch, v2 only */
	bool v2;
};
/* Data of an "RqLs" create context: v2 (52 bytes) when l->v2, else v1 (32).
 * Returns the length written into out (which holds at least 52 bytes).
 * Fields are written as given: a v1 request carries flags 0 (2.2.13.2.8),
 * a v2 request sets PARENT_LEASE_KEY_SET only with a parent key. */
size_t smb2_lease_ctx_encode(const struct smb2_lease *l, uint8_t *out);
/* Data of an "RqLs" response context: 32 bytes = v1, 52 = v2 (sets v2).
 * 0 or -EPROTO. */
int smb2_lease_ctx_decode(const uint8_t *data, size_t len, struct smb2_lease *out);

/* Lease Break Notification (2.2.23.2). */
struct smb2_lease_break {
	uint16_t new_epoch; /* NewEpoch (SMB 3.x; reserved in 2.1) */
	uint32_t flags;     /* SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED */
	uint8_t key[16];    /* LeaseKey */
	uint32_t current_state, new_state;
	uint32_t reason, access_mask_hint, share_mask_hint; /* reserved, 0 */
};
/* body = the PDU after the 64-byte header. 0 or -EPROTO (StructureSize
 * must be 44). */
int smb2_lease_break_decode(const uint8_t *body, size_t len, struct smb2_lease_break *out);
/* LEASE_BREAK_ACK body (StructureSize 36), g_malloc'ed, *len set. */
uint8_t *smb2_lease_break_ack_encode(const uint8_t key[16], uint32_t state, size_t *len);

/* Oplock Break Notification (2.2.23.1); the acknowledgment (2.2.24.1) and
 * the server's response (2.2.25.1) share its layout. */
struct smb2_oplock_break {
	uint8_t level; /* OplockLevel */
	struct smb2_fileid fid;
};
/* body after header, StructureSize 24. 0 or -EPROTO. */
int smb2_oplock_break_decode(const uint8_t *body, size_t len, struct smb2_oplock_break *out);
/* OPLOCK_BREAK acknowledgment body (StructureSize 24), g_malloc'ed. */
uint8_t *smb2_oplock_break_ack_encode(uint8_t level, struct smb2_fileid fid, size_t *len);

#endif
