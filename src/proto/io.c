/* io.c - FLUSH, READ and WRITE (MS-SMB2 2.2.17 - 2.2.22). */
#include "proto/io.h"

#include "proto/wire.h"
#include "util/bytes.h"

#include <errno.h>

uint8_t *smb2_flush_req_encode(struct smb2_fileid fid, size_t *len)
{
	struct sf_wr w;
	sf_wr_init_grow(&w, 24);
	sf_wr_u16(&w, 24);
	sf_wr_u16(&w, 0);
	sf_wr_u32(&w, 0);
	put_fid(&w, fid);
	return sf_wr_steal(&w, len);
}

uint8_t *smb2_read_req_encode(struct smb2_fileid fid, uint64_t offset, uint32_t length, size_t *len)
{
	struct sf_wr w;
	sf_wr_init_grow(&w, 49);
	sf_wr_u16(&w, 49);
	sf_wr_u8(&w, 0x50); /* Padding: put the data at offset 0x50 */
	sf_wr_u8(&w, 0);    /* Flags */
	sf_wr_u32(&w, length);
	sf_wr_u64(&w, offset);
	put_fid(&w, fid);
	sf_wr_u32(&w, 0); /* MinimumCount */
	sf_wr_u32(&w, 0); /* Channel */
	sf_wr_u32(&w, 0); /* RemainingBytes */
	sf_wr_u16(&w, 0); /* ReadChannelInfoOffset */
	sf_wr_u16(&w, 0);
	sf_wr_u8(&w, 0); /* Buffer: one byte, as the spec requires */
	return sf_wr_steal(&w, len);
}

int smb2_read_rsp_decode(const uint8_t *pdu, size_t len, struct smb2_read_rsp *o)
{
	struct sf_rd r;
	sf_rd_init(&r, pdu, len);
	sf_rd_seek(&r, SMB2_HDR_LEN);
	if (sf_rd_u16(&r) != 17)
		return -EPROTO;
	uint8_t off = sf_rd_u8(&r);
	sf_rd_skip(&r, 1);
	uint32_t n = sf_rd_u32(&r);
	o->remaining = sf_rd_u32(&r);
	if (!sf_rd_ok(&r))
		return -EPROTO;
	o->data = NULL;
	o->data_len = n;
	if (n) {
		if (!sf_span_ok_from(SMB2_HDR_LEN + 16, off, n, len))
			return -EPROTO;
		o->data = pdu + off;
	}
	return 0;
}

uint8_t *smb2_write_req_encode(struct smb2_fileid fid, uint64_t offset, const void *data,
                               size_t data_len, size_t *len)
{
	struct sf_wr w;
	sf_wr_init_grow(&w, 48 + data_len);
	sf_wr_u16(&w, 49);
	sf_wr_u16(&w, SMB2_HDR_LEN + 48); /* DataOffset */
	sf_wr_u32(&w, (uint32_t)data_len);
	sf_wr_u64(&w, offset);
	put_fid(&w, fid);
	sf_wr_u32(&w, 0); /* Channel */
	sf_wr_u32(&w, 0); /* RemainingBytes */
	sf_wr_u16(&w, 0);
	sf_wr_u16(&w, 0);
	sf_wr_u32(&w, 0); /* Flags */
	if (data_len)
		sf_wr_bytes(&w, data, data_len);
	else
		sf_wr_u8(&w, 0);
	if (data_len > UINT32_MAX)
		w.err = true;
	return sf_wr_steal(&w, len);
}

int smb2_write_rsp_decode(const uint8_t *pdu, size_t len, struct smb2_write_rsp *o)
{
	struct sf_rd r;
	sf_rd_init(&r, pdu, len);
	sf_rd_seek(&r, SMB2_HDR_LEN);
	if (sf_rd_u16(&r) != 17)
		return -EPROTO;
	sf_rd_skip(&r, 2);
	o->count = sf_rd_u32(&r);
	return sf_rd_ok(&r) ? 0 : -EPROTO;
}
