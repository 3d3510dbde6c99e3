/* query.c - QUERY_DIRECTORY, QUERY_INFO, SET_INFO, IOCTL and their
 * payloads. */
#include "proto/query.h"

#include "util/bytes.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

static void put_fid(struct sf_wr *w, struct smb2_fileid f)
{
	sf_wr_u64(w, f.persistent);
	sf_wr_u64(w, f.volatile_);
}

/* A response whose variable part is (Offset u16 or u32, Length u32) at a
 * fixed position: check it against the PDU. */
static int span(const uint8_t *pdu, size_t len, size_t min_off, size_t off, size_t n,
                const uint8_t **p, size_t *plen)
{
	*p = NULL;
	*plen = 0;
	if (!n)
		return 0;
	if (!sf_span_ok_from(min_off, off, n, len))
		return -EPROTO;
	*p = pdu + off;
	*plen = n;
	return 0;
}

/* ---- QUERY_DIRECTORY (2.2.33, 2.2.34) ------------------------------ */

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
	struct sf_rd r;
	sf_rd_init(&r, pdu, len);
	sf_rd_seek(&r, SMB2_HDR_LEN);
	if (sf_rd_u16(&r) != 9)
		return -EPROTO;
	uint16_t off = sf_rd_u16(&r);
	uint32_t n = sf_rd_u32(&r);
	if (!sf_rd_ok(&r))
		return -EPROTO;
	return span(pdu, len, SMB2_HDR_LEN + 8, off, n, &o->buf, &o->buf_len);
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

/* ---- QUERY_INFO / SET_INFO (2.2.37 - 2.2.40) ----------------------- */

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
	struct sf_rd r;
	sf_rd_init(&r, pdu, len);
	sf_rd_seek(&r, SMB2_HDR_LEN);
	if (sf_rd_u16(&r) != 9)
		return -EPROTO;
	uint16_t off = sf_rd_u16(&r);
	uint32_t n = sf_rd_u32(&r);
	if (!sf_rd_ok(&r))
		return -EPROTO;
	return span(pdu, len, SMB2_HDR_LEN + 8, off, n, &o->buf, &o->buf_len);
}

uint8_t *smb2_set_info_req_encode(struct smb2_fileid fid, uint8_t info_type, uint8_t info_class,
                                  const uint8_t *buf, size_t buf_len, size_t *len)
{
	struct sf_wr w;
	sf_wr_init_grow(&w, 32 + buf_len);
	sf_wr_u16(&w, 33);
	sf_wr_u8(&w, info_type);
	sf_wr_u8(&w, info_class);
	sf_wr_u32(&w, (uint32_t)buf_len);
	sf_wr_u16(&w, SMB2_HDR_LEN + 32);
	sf_wr_u16(&w, 0);
	sf_wr_u32(&w, 0); /* AdditionalInformation */
	put_fid(&w, fid);
	sf_wr_bytes(&w, buf, buf_len);
	return sf_wr_steal(&w, len);
}

int smb2_set_info_rsp_decode(const uint8_t *pdu, size_t len)
{
	return (len >= SMB2_HDR_LEN + 2 && sf_le16(pdu + SMB2_HDR_LEN) == 2) ? 0 : -EPROTO;
}

int smb2_basic_info_decode(const uint8_t *buf, size_t len, struct smb2_basic_info *o)
{
	struct sf_rd r;
	sf_rd_init(&r, buf, len);
	o->creation = sf_rd_u64(&r);
	o->last_access = sf_rd_u64(&r);
	o->last_write = sf_rd_u64(&r);
	o->change = sf_rd_u64(&r);
	o->attributes = sf_rd_u32(&r);
	return sf_rd_ok(&r) ? 0 : -EPROTO;
}

int smb2_attribute_tag_decode(const uint8_t *buf, size_t len, uint32_t *attributes, uint32_t *tag)
{
	if (len < 8)
		return -EPROTO;
	*attributes = sf_le32(buf);
	*tag = sf_le32(buf + 4);
	return 0;
}

void smb2_basic_info_encode(const struct smb2_basic_info *in, uint8_t out[40])
{
	struct sf_wr w;
	sf_wr_init(&w, out, 40);
	sf_wr_u64(&w, in->creation);
	sf_wr_u64(&w, in->last_access);
	sf_wr_u64(&w, in->last_write);
	sf_wr_u64(&w, in->change);
	sf_wr_u32(&w, in->attributes);
	sf_wr_u32(&w, 0);
}

/* FileAllInformation (MS-FSCC 2.4.2): Basic (40) Standard (24) Internal
 * (8) Ea (4) Access (4) Position (8) Mode (4) Alignment (4) Name. */
int smb2_all_info_decode(const uint8_t *buf, size_t len, struct smb2_all_info *o)
{
	struct sf_rd r;
	sf_rd_init(&r, buf, len);
	o->t.creation = sf_rd_u64(&r);
	o->t.last_access = sf_rd_u64(&r);
	o->t.last_write = sf_rd_u64(&r);
	o->t.change = sf_rd_u64(&r);
	o->t.attributes = sf_rd_u32(&r);
	sf_rd_skip(&r, 4);
	o->t.allocation_size = sf_rd_u64(&r);
	o->t.end_of_file = sf_rd_u64(&r);
	o->nlink = sf_rd_u32(&r);
	o->delete_pending = sf_rd_u8(&r) != 0;
	o->directory = sf_rd_u8(&r) != 0;
	sf_rd_skip(&r, 2);
	o->file_id = sf_rd_u64(&r);
	return sf_rd_ok(&r) ? 0 : -EPROTO;
}

int smb2_fs_full_size_decode(const uint8_t *buf, size_t len, struct smb2_fs_full_size *o)
{
	struct sf_rd r;
	sf_rd_init(&r, buf, len);
	o->total_units = sf_rd_u64(&r);
	o->caller_avail_units = sf_rd_u64(&r);
	o->actual_avail_units = sf_rd_u64(&r);
	o->sectors_per_unit = sf_rd_u32(&r);
	o->bytes_per_sector = sf_rd_u32(&r);
	return sf_rd_ok(&r) ? 0 : -EPROTO;
}

uint8_t *smb2_rename_info_encode(bool replace, const uint8_t *name, size_t name_len, size_t *len)
{
	struct sf_wr w;
	sf_wr_init_grow(&w, 20 + name_len);
	sf_wr_u8(&w, replace ? 1 : 0);
	sf_wr_zero(&w, 7);
	sf_wr_u64(&w, 0); /* RootDirectory: must be 0 over SMB2 */
	sf_wr_u32(&w, (uint32_t)name_len);
	sf_wr_bytes(&w, name, name_len);
	return sf_wr_steal(&w, len);
}

/* ---- IOCTL (2.2.31, 2.2.32) ----------------------------------------- */

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
