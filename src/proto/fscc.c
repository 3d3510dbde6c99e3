/* fscc.c - MS-FSCC information classes: Basic, All, AttributeTag, FsFullSize, Rename (2.4, 2.5). */
#include "proto/fscc.h"

#include "util/bytes.h"

#include <errno.h>

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
