/* dir.c - QUERY_DIRECTORY (MS-SMB2 2.2.33, 2.2.34) and its entries (MS-FSCC 2.4.x). */
#include "proto/dir.h"

#include "proto/wire.h"
#include "util/bytes.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

uint8_t *smb2_query_directory_req_encode(struct smb2_fileid fid, uint8_t info_class, uint8_t flags,
                                         const uint8_t *pattern, size_t pattern_len,
                                         uint32_t out_len, size_t *len)
{
	struct sf_wr w;
	sf_wr_init_grow(&w, 32 + pattern_len);
	sf_wr_u16(&w, 33);
	sf_wr_u8(&w, info_class);
	sf_wr_u8(&w, flags);
	sf_wr_u32(&w, 0); /* FileIndex */
	put_fid(&w, fid);
	sf_wr_u16(&w, SMB2_HDR_LEN + 32);
	sf_wr_u16(&w, (uint16_t)pattern_len);
	sf_wr_u32(&w, out_len);
	if (pattern_len)
		sf_wr_bytes(&w, pattern, pattern_len);
	else
		sf_wr_u8(&w, 0);
	return sf_wr_steal(&w, len);
}

int smb2_query_directory_rsp_decode(const uint8_t *pdu, size_t len,
                                    struct smb2_query_directory_rsp *o)
{
	return buffer_rsp(pdu, len, &o->buf, &o->buf_len);
}

int smb2_dir_entry_next(uint8_t cls, const uint8_t *buf, size_t len, size_t *pos,
                        struct smb2_dir_entry *e)
{
	if (*pos == SIZE_MAX || *pos >= len)
		return 0;
	size_t off = *pos;
	/* Fixed size up to FileName, and where FileNameLength sits
	 * (MS-FSCC 2.4.10, 2.4.15, 2.4.24, 2.4.8, 2.4.22, 2.4.33). */
	static const struct {
		uint8_t cls;
		uint8_t fixed, name_len_at;
	} layout[] = {
	        {FILE_DIRECTORY_INFORMATION, 64, 60},
	        {FILE_FULL_DIRECTORY_INFORMATION, 68, 60},
	        {FILE_ID_FULL_DIRECTORY_INFORMATION, 80, 60},
	        {FILE_BOTH_DIRECTORY_INFORMATION, 94, 60},
	        {FILE_ID_BOTH_DIRECTORY_INFORMATION, 104, 60},
	        {FILE_NAMES_INFORMATION, 12, 8},
	};
	size_t fixed = 0, name_len_at = 0;
	for (size_t i = 0; i < G_N_ELEMENTS(layout); i++)
		if (layout[i].cls == cls)
			fixed = layout[i].fixed, name_len_at = layout[i].name_len_at;
	if (!fixed)
		return -EPROTO;
	if (!sf_span_ok(off, fixed, len))
		return -EPROTO;
	const uint8_t *p = buf + off;
	uint32_t next = sf_le32(p);
	uint32_t nlen = sf_le32(p + name_len_at);
	size_t extent = next ? next : len - off;
	if (next && (next < fixed || !sf_span_ok(off, next, len)))
		return -EPROTO; /* must move forward and stay inside */
	if (nlen % 2 || !sf_span_ok(fixed, nlen, extent))
		return -EPROTO;
	memset(e, 0, sizeof *e);
	if (cls != FILE_NAMES_INFORMATION) {
		struct sf_rd r;
		sf_rd_init(&r, p, fixed);
		sf_rd_seek(&r, 8);
		e->t.creation = sf_rd_u64(&r);
		e->t.last_access = sf_rd_u64(&r);
		e->t.last_write = sf_rd_u64(&r);
		e->t.change = sf_rd_u64(&r);
		e->t.end_of_file = sf_rd_u64(&r);
		e->t.allocation_size = sf_rd_u64(&r);
		e->t.attributes = sf_rd_u32(&r);
		if (cls != FILE_DIRECTORY_INFORMATION) {
			sf_rd_skip(&r, 4);
			e->ea_size = sf_rd_u32(&r);
		}
		if (cls == FILE_ID_FULL_DIRECTORY_INFORMATION)
			e->file_id = sf_le64(p + 72);
		if (cls == FILE_ID_BOTH_DIRECTORY_INFORMATION)
			e->file_id = sf_le64(p + 96);
	}
	e->name = p + fixed;
	e->name_len = nlen;
	*pos = next ? off + next : SIZE_MAX;
	return 1;
}
