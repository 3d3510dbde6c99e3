/* transform.h - SMB2 TRANSFORM_HEADER codec (MS-SMB2 2.2.41). */
#ifndef SF_PROTO_TRANSFORM_H
#define SF_PROTO_TRANSFORM_H

#include <stddef.h>
#include <stdint.h>

#define SMB2_TRANSFORM_HDR_LEN        52
#define SMB2_TRANSFORM_FLAG_ENCRYPTED 0x0001

struct smb2_transform_hdr {
	uint8_t signature[16]; /* the AEAD tag */
	uint8_t nonce[16];     /* CCM: 11 bytes + 5 reserved; GCM: 12 + 4 */
	uint32_t original_size;
	uint16_t flags; /* Flags / EncryptionAlgorithm */
	uint64_t session_id;
};

/* Checks ProtocolId 0xFD 'S' 'M' 'B' and that 52 bytes are there.
 * Returns 0 or -EPROTO. */
int smb2_transform_hdr_decode(const uint8_t *buf, size_t len, struct smb2_transform_hdr *out);
void smb2_transform_hdr_encode(const struct smb2_transform_hdr *h,
                               uint8_t out[SMB2_TRANSFORM_HDR_LEN]);

#endif
