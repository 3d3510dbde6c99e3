/* transform.c - SMB2 TRANSFORM_HEADER (MS-SMB2 2.2.41). */
#include "proto/transform.h"

#include "proto/smb2.h"
#include "util/bytes.h"

#include <errno.h>

int smb2_transform_hdr_decode(const uint8_t *buf, size_t len, struct smb2_transform_hdr *out)
{
	struct sf_rd r;
	sf_rd_init(&r, buf, len);
	if (sf_rd_u32(&r) != SMB2_TRANSFORM_ID)
		return -EPROTO;
	sf_rd_copy(&r, out->signature, 16);
	sf_rd_copy(&r, out->nonce, 16);
	out->original_size = sf_rd_u32(&r);
	sf_rd_skip(&r, 2); /* Reserved */
	out->flags = sf_rd_u16(&r);
	out->session_id = sf_rd_u64(&r);
	return sf_rd_ok(&r) ? 0 : -EPROTO;
}

void smb2_transform_hdr_encode(const struct smb2_transform_hdr *h,
                               uint8_t out[SMB2_TRANSFORM_HDR_LEN])
{
	struct sf_wr w;
	sf_wr_init(&w, out, SMB2_TRANSFORM_HDR_LEN);
	sf_wr_u32(&w, SMB2_TRANSFORM_ID);
	sf_wr_bytes(&w, h->signature, 16);
	sf_wr_bytes(&w, h->nonce, 16);
	sf_wr_u32(&w, h->original_size);
	sf_wr_u16(&w, 0);
	sf_wr_u16(&w, h->flags);
	sf_wr_u64(&w, h->session_id);
}
