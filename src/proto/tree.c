/* tree.c - TREE_CONNECT codec. */
#include "proto/tree.h"

#include "proto/smb2.h"
#include "util/bytes.h"

#include <errno.h>
#include <string.h>

uint8_t *smb2_tree_connect_req_encode(const uint8_t *path, size_t path_len, size_t *len)
{
	struct sf_wr w;
	sf_wr_init_grow(&w, 8 + path_len);
	sf_wr_u16(&w, 9); /* StructureSize */
	sf_wr_u16(&w, 0); /* Flags */
	sf_wr_u16(&w, SMB2_HDR_LEN + 8);
	sf_wr_u16(&w, (uint16_t)path_len);
	sf_wr_bytes(&w, path, path_len);
	if (path_len > 0xFFFF)
		w.err = true;
	return sf_wr_steal(&w, len);
}

int smb2_tree_connect_rsp_decode(const uint8_t *pdu, size_t len, struct smb2_tree_connect_rsp *out)
{
	struct sf_rd r;
	sf_rd_init(&r, pdu, len);
	sf_rd_seek(&r, SMB2_HDR_LEN);
	if (sf_rd_u16(&r) != 16)
		return -EPROTO;
	out->share_type = sf_rd_u8(&r);
	sf_rd_skip(&r, 1);
	out->share_flags = sf_rd_u32(&r);
	out->capabilities = sf_rd_u32(&r);
	out->maximal_access = sf_rd_u32(&r);
	return sf_rd_ok(&r) ? 0 : -EPROTO;
}
