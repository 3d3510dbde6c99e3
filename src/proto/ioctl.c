/* ioctl.c - IOCTL, VALIDATE_NEGOTIATE_INFO, copychunk and resume key (MS-SMB2 2.2.31, 2.2.32). */
#include "proto/ioctl.h"

#include "proto/wire.h"
#include "util/bytes.h"

#include <errno.h>
#include <string.h>

uint8_t *smb2_ioctl_req_encode(struct smb2_fileid fid, uint32_t ctl_code, const uint8_t *in,
                               size_t in_len, uint32_t max_out, size_t *len)
{
	struct sf_wr w;
	sf_wr_init_grow(&w, 56 + in_len);
	sf_wr_u16(&w, 57);
	sf_wr_u16(&w, 0);
	sf_wr_u32(&w, ctl_code);
	put_fid(&w, fid);
	sf_wr_u32(&w, in_len ? SMB2_HDR_LEN + 56 : 0); /* InputOffset */
	sf_wr_u32(&w, (uint32_t)in_len);
	sf_wr_u32(&w, 0); /* MaxInputResponse */
	sf_wr_u32(&w, 0); /* OutputOffset */
	sf_wr_u32(&w, 0); /* OutputCount */
	sf_wr_u32(&w, max_out);
	sf_wr_u32(&w, SMB2_0_IOCTL_IS_FSCTL);
	sf_wr_u32(&w, 0);
	if (in_len)
		sf_wr_bytes(&w, in, in_len);
	else
		sf_wr_u8(&w, 0);
	return sf_wr_steal(&w, len);
}

int smb2_ioctl_rsp_decode(const uint8_t *pdu, size_t len, struct smb2_ioctl_rsp *o)
{
	struct sf_rd r;
	sf_rd_init(&r, pdu, len);
	sf_rd_seek(&r, SMB2_HDR_LEN);
	if (sf_rd_u16(&r) != 49)
		return -EPROTO;
	sf_rd_skip(&r, 2);
	o->ctl_code = sf_rd_u32(&r);
	o->fid.persistent = sf_rd_u64(&r);
	o->fid.volatile_ = sf_rd_u64(&r);
	sf_rd_skip(&r, 8); /* InputOffset, InputCount */
	uint32_t off = sf_rd_u32(&r), n = sf_rd_u32(&r);
	if (!sf_rd_ok(&r))
		return -EPROTO;
	return span(pdu, len, SMB2_HDR_LEN + 48, off, n, &o->out, &o->out_len);
}

uint8_t *smb2_validate_negotiate_encode(uint32_t capabilities, const uint8_t guid[16],
                                        uint16_t security_mode, const uint16_t *dialects,
                                        size_t ndialects, size_t *len)
{
	struct sf_wr w;
	sf_wr_init_grow(&w, 24 + 2 * ndialects);
	sf_wr_u32(&w, capabilities);
	sf_wr_bytes(&w, guid, 16);
	sf_wr_u16(&w, security_mode);
	sf_wr_u16(&w, (uint16_t)ndialects);
	for (size_t i = 0; i < ndialects; i++)
		sf_wr_u16(&w, dialects[i]);
	return sf_wr_steal(&w, len);
}

int smb2_validate_negotiate_rsp_decode(const uint8_t *buf, size_t len,
                                       struct smb2_validate_negotiate_rsp *o)
{
	struct sf_rd r;
	sf_rd_init(&r, buf, len);
	o->capabilities = sf_rd_u32(&r);
	sf_rd_copy(&r, o->guid, 16);
	o->security_mode = sf_rd_u16(&r);
	o->dialect = sf_rd_u16(&r);
	return sf_rd_ok(&r) ? 0 : -EPROTO;
}

uint8_t *smb2_copychunk_encode(const uint8_t resume_key[24], const struct smb2_copychunk *c,
                               size_t n, size_t *len)
{
	struct sf_wr w;
	sf_wr_init_grow(&w, 32 + 24 * n);
	sf_wr_bytes(&w, resume_key, 24);
	sf_wr_u32(&w, (uint32_t)n);
	sf_wr_u32(&w, 0);
	for (size_t i = 0; i < n; i++) {
		sf_wr_u64(&w, c[i].src_off);
		sf_wr_u64(&w, c[i].dst_off);
		sf_wr_u32(&w, c[i].len);
		sf_wr_u32(&w, 0);
	}
	return sf_wr_steal(&w, len);
}

int smb2_resume_key_decode(const uint8_t *buf, size_t len, uint8_t key[24])
{
	if (len < 24)
		return -EPROTO;
	memcpy(key, buf, 24);
	return 0;
}

int smb2_copychunk_rsp_decode(const uint8_t *buf, size_t len, struct smb2_copychunk_rsp *o)
{
	struct sf_rd r;
	sf_rd_init(&r, buf, len);
	o->chunks_written = sf_rd_u32(&r);
	o->chunk_bytes_written = sf_rd_u32(&r);
	o->total_bytes_written = sf_rd_u32(&r);
	return sf_rd_ok(&r) ? 0 : -EPROTO;
}
