/* smb2.h - SMB2/3 protocol constants and the packet header (MS-SMB2 2.2.1).
 *
 * Pure wire codec: no I/O, no logging. The header codec reads and writes the
 * 64-byte header at the start of every SMB2 message; command bodies live in
 * their own files (negotiate.c, session.c, ...).
 */
#ifndef SF_PROTO_SMB2_H
#define SF_PROTO_SMB2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SMB2_HDR_LEN      64
#define SMB2_PROTOCOL_ID  0x424D53FEu /* 0xFE 'S' 'M' 'B', little-endian */
#define SMB2_TRANSFORM_ID 0x424D53FDu /* 0xFD 'S' 'M' 'B' */
#define SMB2_COMPRESS_ID  0x424D53FCu /* 0xFC 'S' 'M' 'B' */
#define SMB1_PROTOCOL_ID  0x424D53FFu

/* Direct TCP transport (MS-SMB2 2.1): 4-byte header, 24-bit length. We cap
 * frames well below that: nothing we negotiate needs more. */
#define SMB2_FRAME_MAX (16u << 20)

/* Commands (2.2.1.2). */
enum smb2_command {
	SMB2_NEGOTIATE = 0x0000,
	SMB2_SESSION_SETUP = 0x0001,
	SMB2_LOGOFF = 0x0002,
	SMB2_TREE_CONNECT = 0x0003,
	SMB2_TREE_DISCONNECT = 0x0004,
	SMB2_CREATE = 0x0005,
	SMB2_CLOSE = 0x0006,
	SMB2_FLUSH = 0x0007,
	SMB2_READ = 0x0008,
	SMB2_WRITE = 0x0009,
	SMB2_LOCK = 0x000A,
	SMB2_IOCTL = 0x000B,
	SMB2_CANCEL = 0x000C,
	SMB2_ECHO = 0x000D,
	SMB2_QUERY_DIRECTORY = 0x000E,
	SMB2_CHANGE_NOTIFY = 0x000F,
	SMB2_QUERY_INFO = 0x0010,
	SMB2_SET_INFO = 0x0011,
	SMB2_OPLOCK_BREAK = 0x0012,
	SMB2_SERVER_TO_CLIENT_NOTIFICATION = 0x0013,
	SMB2_COMMAND_COUNT
};

/* Header flags (2.2.1.2). */
#define SMB2_FLAGS_SERVER_TO_REDIR    0x00000001u
#define SMB2_FLAGS_ASYNC_COMMAND      0x00000002u
#define SMB2_FLAGS_RELATED_OPERATIONS 0x00000004u
#define SMB2_FLAGS_SIGNED             0x00000008u
#define SMB2_FLAGS_PRIORITY_MASK      0x00000070u
#define SMB2_FLAGS_DFS_OPERATIONS     0x10000000u
#define SMB2_FLAGS_REPLAY_OPERATION   0x20000000u

/* Dialects (2.2.3). */
#define SMB2_DIALECT_0202     0x0202
#define SMB2_DIALECT_0210     0x0210
#define SMB2_DIALECT_0300     0x0300
#define SMB2_DIALECT_0302     0x0302
#define SMB2_DIALECT_0311     0x0311
#define SMB2_DIALECT_WILDCARD 0x02FF

/* SecurityMode (2.2.3 / 2.2.4 / 2.2.5). */
#define SMB2_NEGOTIATE_SIGNING_ENABLED  0x0001
#define SMB2_NEGOTIATE_SIGNING_REQUIRED 0x0002

/* Capabilities (2.2.3). */
#define SMB2_GLOBAL_CAP_DFS                0x00000001u
#define SMB2_GLOBAL_CAP_LEASING            0x00000002u
#define SMB2_GLOBAL_CAP_LARGE_MTU          0x00000004u
#define SMB2_GLOBAL_CAP_MULTI_CHANNEL      0x00000008u
#define SMB2_GLOBAL_CAP_PERSISTENT_HANDLES 0x00000010u
#define SMB2_GLOBAL_CAP_DIRECTORY_LEASING  0x00000020u
#define SMB2_GLOBAL_CAP_ENCRYPTION         0x00000040u
#define SMB2_GLOBAL_CAP_NOTIFICATIONS      0x00000080u

/* Cipher ids (2.2.3.1.2) and signing algorithm ids (2.2.3.1.7). */
#define SMB2_ENCRYPTION_NONE       0x0000
#define SMB2_ENCRYPTION_AES128_CCM 0x0001
#define SMB2_ENCRYPTION_AES128_GCM 0x0002
#define SMB2_ENCRYPTION_AES256_CCM 0x0003
#define SMB2_ENCRYPTION_AES256_GCM 0x0004
#define SMB2_SIGNING_HMAC_SHA256   0x0000
#define SMB2_SIGNING_AES_CMAC      0x0001
#define SMB2_SIGNING_AES_GMAC      0x0002

/* An SMB2 FileId (2.2.14.1). */
struct smb2_fileid {
	uint64_t persistent;
	uint64_t volatile_;
};
/* FileId of all ones: "the previous FileId" in a related compound, and the
 * FileId of IOCTLs that target no file (2.2.31). */
#define SMB2_FILEID_ANY ((struct smb2_fileid){UINT64_MAX, UINT64_MAX})

/* The 64-byte header, sync or async form (2.2.1.1, 2.2.1.2). */
struct smb2_hdr {
	uint16_t credit_charge;
	uint32_t status; /* responses: NTSTATUS; requests: ChannelSequence */
	uint16_t command;
	uint16_t credits; /* CreditRequest / CreditResponse */
	uint32_t flags;
	uint32_t next_command; /* offset of the next header in a compound, 0 if last */
	uint64_t message_id;
	uint64_t async_id; /* valid when flags & SMB2_FLAGS_ASYNC_COMMAND */
	uint32_t tree_id;  /* valid in the sync form */
	uint64_t session_id;
	uint8_t signature[16];
};

/* Decode the header at the start of `buf`. Checks ProtocolId and
 * StructureSize (64). Returns 0 or -EPROTO. */
int smb2_hdr_decode(const uint8_t *buf, size_t len, struct smb2_hdr *out);

/* Write the 64-byte header (sync form unless the ASYNC flag is set). */
void smb2_hdr_encode(const struct smb2_hdr *h, uint8_t out[SMB2_HDR_LEN]);

static inline bool smb2_hdr_is_response(const struct smb2_hdr *h)
{
	return (h->flags & SMB2_FLAGS_SERVER_TO_REDIR) != 0;
}

/* Credits a request of the given payload sizes consumes (3.1.5.2): one per
 * 64 KiB of max(send, expected response), at least one. */
static inline uint16_t smb2_credit_charge(size_t send_payload, size_t expect_payload)
{
	size_t m = send_payload > expect_payload ? send_payload : expect_payload;
	if (m == 0)
		return 1;
	size_t c = (m - 1) / 65536 + 1;
	return c > 0xFFFF ? 0xFFFF : (uint16_t)c;
}

/* Offsets of header fields inside a raw message (for in-place patching by
 * the signer and the compound builder). */
#define SMB2_HDR_OFF_CREDIT_CHARGE 6
#define SMB2_HDR_OFF_STATUS        8
#define SMB2_HDR_OFF_COMMAND       12
#define SMB2_HDR_OFF_CREDITS       14
#define SMB2_HDR_OFF_FLAGS         16
#define SMB2_HDR_OFF_NEXT_COMMAND  20
#define SMB2_HDR_OFF_MESSAGE_ID    24
#define SMB2_HDR_OFF_ASYNC_ID      32
#define SMB2_HDR_OFF_TREE_ID       36
#define SMB2_HDR_OFF_SESSION_ID    40
#define SMB2_HDR_OFF_SIGNATURE     48

/* Name of a command for logs ("NEGOTIATE", ...); "UNKNOWN" otherwise. */
const char *smb2_command_name(uint16_t command);
/* Dialect as text: "2.0.2", "2.1", "3.0", "3.0.2", "3.1.1"; "?" otherwise. */
const char *smb2_dialect_name(uint16_t dialect);
/* Parse "2.0", "2.0.2", "2.1", "3", "3.0", "3.02", "3.0.2", "3.1.1", "3.11",
 * "SMB3_11" style names; returns 0 when unknown. */
uint16_t smb2_dialect_parse(const char *s);
const char *smb2_cipher_name(uint16_t cipher);
const char *smb2_signing_alg_name(uint16_t alg);

#endif
