/* durable.c - durable handle create contexts DHnQ, DHnC, DH2Q, DH2C and the
 * DH2Q response (MS-SMB2 2.2.13.2.3, .4, .11, .12, 2.2.14.2.12). */
#include "proto/durable.h"

#include "util/bytes.h"

#include <errno.h>
#include <glib.h>

size_t smb2_dh2q_encode(uint8_t out[SMB2_DH2Q_LEN], uint32_t timeout_ms, uint32_t flags,
                        const uint8_t create_guid[16])
{
	struct sf_wr w;
	sf_wr_init(&w, out, SMB2_DH2Q_LEN);
	sf_wr_u32(&w, timeout_ms);
	sf_wr_u32(&w, flags);
	sf_wr_u64(&w, 0); /* Reserved */
	sf_wr_bytes(&w, create_guid, 16);
	g_assert(sf_wr_ok(&w) && w.pos == SMB2_DH2Q_LEN);
	return SMB2_DH2Q_LEN;
}

size_t smb2_dh2c_encode(uint8_t out[SMB2_DH2C_LEN], struct smb2_fileid fid,
                        const uint8_t create_guid[16], uint32_t flags)
{
	struct sf_wr w;
	sf_wr_init(&w, out, SMB2_DH2C_LEN);
	sf_wr_u64(&w, fid.persistent);
	sf_wr_u64(&w, fid.volatile_);
	sf_wr_bytes(&w, create_guid, 16);
	sf_wr_u32(&w, flags);
	g_assert(sf_wr_ok(&w) && w.pos == SMB2_DH2C_LEN);
	return SMB2_DH2C_LEN;
}

size_t smb2_dhnq_encode(uint8_t out[SMB2_DHNQ_LEN])
{
	struct sf_wr w;
	sf_wr_init(&w, out, SMB2_DHNQ_LEN);
	sf_wr_zero(&w, 16); /* DurableRequest: reserved */
	g_assert(sf_wr_ok(&w) && w.pos == SMB2_DHNQ_LEN);
	return SMB2_DHNQ_LEN;
}

size_t smb2_dhnc_encode(uint8_t out[SMB2_DHNC_LEN], struct smb2_fileid fid)
{
	struct sf_wr w;
	sf_wr_init(&w, out, SMB2_DHNC_LEN);
	sf_wr_u64(&w, fid.persistent);
	sf_wr_u64(&w, fid.volatile_);
	g_assert(sf_wr_ok(&w) && w.pos == SMB2_DHNC_LEN);
	return SMB2_DHNC_LEN;
}

int smb2_dh2q_rsp_decode(const uint8_t *data, size_t len, uint32_t *timeout_ms, uint32_t *flags)
{
	*timeout_ms = 0;
	*flags = 0;
	if (len != 8)
		return -EPROTO;
	*timeout_ms = sf_le32(data);
	*flags = sf_le32(data + 4);
	return 0;
}
