/* info.c - QUERY_INFO and SET_INFO (MS-SMB2 2.2.37 - 2.2.40). */
#include "proto/info.h"

#include "proto/wire.h"
#include "util/bytes.h"

#include <errno.h>

uint8_t *smb2_query_info_req_encode(struct smb2_fileid fid, uint8_t info_type, uint8_t info_class,
                                    uint32_t out_len, uint32_t additional, size_t *len)
{
	struct sf_wr w;
	sf_wr_init_grow(&w, 41);
	sf_wr_u16(&w, 41);
	sf_wr_u8(&w, info_type);
	sf_wr_u8(&w, info_class);
	sf_wr_u32(&w, out_len);
	sf_wr_u16(&w, 0); /* InputBufferOffset */
	sf_wr_u16(&w, 0);
	sf_wr_u32(&w, 0); /* InputBufferLength */
	sf_wr_u32(&w, additional);
	sf_wr_u32(&w, 0); /* Flags */
	put_fid(&w, fid);
	sf_wr_u8(&w, 0);
	return sf_wr_steal(&w, len);
}

int smb2_query_info_rsp_decode(const uint8_t *pdu, size_t len, struct smb2_query_info_rsp *o)
{
	return buffer_rsp(pdu, len, &o->buf, &o->buf_len);
}

uint8_t *smb2_set_info_req_encode(struct smb2_fileid fid, uint8_t info_type, uint8_t info_class,
                                  const uint8_t *buf, size_t buf_len, size_t *len)
{
	return smb2_set_info_req_encode_ex(fid, info_type, info_class, 0, buf, buf_len, len);
}

uint8_t *smb2_set_info_req_encode_ex(struct smb2_fileid fid, uint8_t info_type, uint8_t info_class,
                                     uint32_t additional, const uint8_t *buf, size_t buf_len,
                                     size_t *len)
{
	struct sf_wr w;
	sf_wr_init_grow(&w, 32 + buf_len);
	sf_wr_u16(&w, 33);
	sf_wr_u8(&w, info_type);
	sf_wr_u8(&w, info_class);
	sf_wr_u32(&w, (uint32_t)buf_len);
	sf_wr_u16(&w, SMB2_HDR_LEN + 32);
	sf_wr_u16(&w, 0);
	sf_wr_u32(&w, additional); /* AdditionalInformation */
	put_fid(&w, fid);
	sf_wr_bytes(&w, buf, buf_len);
	return sf_wr_steal(&w, len);
}

int smb2_set_info_rsp_decode(const uint8_t *pdu, size_t len)
{
	return (len >= SMB2_HDR_LEN + 2 && sf_le16(pdu + SMB2_HDR_LEN) == 2) ? 0 : -EPROTO;
}
