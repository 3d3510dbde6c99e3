/* durable.h - durable and persistent handle create contexts: "DHnQ",
 * "DHnC", "DH2Q", "DH2C" (MS-SMB2 2.2.13.2.3, 2.2.13.2.4, 2.2.13.2.11,
 * 2.2.13.2.12) and the "DH2Q" response (2.2.14.2.12). The "DHnQ" response
 * (2.2.14.2.3) is 8 reserved bytes: its presence is the answer. */
#ifndef SF_PROTO_DURABLE_H
#define SF_PROTO_DURABLE_H

#include "proto/smb2.h"

#include <stddef.h>
#include <stdint.h>

/* Flags of DH2Q / DH2C and of the DH2Q response. */
#define SMB2_DHANDLE_FLAG_PERSISTENT 0x00000002u

/* Data lengths of the request contexts. */
#define SMB2_DH2Q_LEN 32
#define SMB2_DH2C_LEN 36
#define SMB2_DHNQ_LEN 16
#define SMB2_DHNC_LEN 16

/* SMB2_CREATE_DURABLE_HANDLE_REQUEST_V2 (3.x): Timeout (0 = server
 * default), Flags, Reserved, CreateGuid. Returns SMB2_DH2Q_LEN. */
size_t smb2_dh2q_encode(uint8_t out[SMB2_DH2Q_LEN], uint32_t timeout_ms, uint32_t flags,
                        const uint8_t create_guid[16]);
/* SMB2_CREATE_DURABLE_HANDLE_RECONNECT_V2 (3.x): FileId, CreateGuid, Flags.
 * Returns SMB2_DH2C_LEN. */
size_t smb2_dh2c_encode(uint8_t out[SMB2_DH2C_LEN], struct smb2_fileid fid,
                        const uint8_t create_guid[16], uint32_t flags);
/* SMB2_CREATE_DURABLE_HANDLE_REQUEST (2.x): 16 reserved zero bytes.
 * Returns SMB2_DHNQ_LEN. */
size_t smb2_dhnq_encode(uint8_t out[SMB2_DHNQ_LEN]);
/* SMB2_CREATE_DURABLE_HANDLE_RECONNECT (2.x): the FileId. Returns
 * SMB2_DHNC_LEN. */
size_t smb2_dhnc_encode(uint8_t out[SMB2_DHNC_LEN], struct smb2_fileid fid);
/* DH2Q response data (8 bytes: Timeout, Flags). 0 or -EPROTO. */
int smb2_dh2q_rsp_decode(const uint8_t *data, size_t len, uint32_t *timeout_ms, uint32_t *flags);

#endif
