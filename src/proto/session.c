/* session.c - SESSION_SETUP, LOGOFF and the 4-byte requests. */
#include "proto/session.h"

#include "proto/smb2.h"
#include "util/bytes.h"

#include <errno.h>
#include <string.h>

uint8_t *smb2_session_setup_req_encode(const struct smb2_session_setup_req *r, size_t *len)
{
	struct sf_wr w;
	sf_wr_init_grow(&w, 24 + r->token_len);
	sf_wr_u16(&w, 25); /* StructureSize */
	sf_wr_u8(&w, r->flags);
	sf_wr_u8(&w, r->security_mode);
	sf_wr_u32(&w, r->capabilities);
	sf_wr_u32(&w, 0); /* Channel */
	sf_wr_u16(&w, SMB2_HDR_LEN + 24);
	sf_wr_u16(&w, (uint16_t)r->token_len);
	sf_wr_u64(&w, r->previous_session_id);
	sf_wr_bytes(&w, r->token, r->token_len);
	if (r->token_len > 0xFFFF)
		w.err = true;
	return sf_wr_steal(&w, len);
}

int smb2_session_setup_rsp_decode(const uint8_t *pdu, size_t len,
                                  struct smb2_session_setup_rsp *out)
{
	memset(out, 0, sizeof *out);
	struct sf_rd r;
	sf_rd_init(&r, pdu, len);
	sf_rd_seek(&r, SMB2_HDR_LEN);
	if (sf_rd_u16(&r) != 9)
		return -EPROTO;
	out->session_flags = sf_rd_u16(&r);
	uint16_t off = sf_rd_u16(&r), n = sf_rd_u16(&r);
	if (!sf_rd_ok(&r))
		return -EPROTO;
	if (n) {
		if (!sf_span_ok_from(SMB2_HDR_LEN + 8, off, n, len))
			return -EPROTO;
		out->token = pdu + off;
		out->token_len = n;
	}
	return 0;
}

void smb2_simple_req_encode(uint8_t out[4])
{
	sf_put_le16(out, 4);
	sf_put_le16(out + 2, 0);
}

int smb2_simple_rsp_decode(const uint8_t *pdu, size_t len)
{
	if (len < SMB2_HDR_LEN + 4 || sf_le16(pdu + SMB2_HDR_LEN) != 4)
		return -EPROTO;
	return 0;
}
