/* ea.c - FILE_FULL_EA_INFORMATION (MS-FSCC 2.4.15). Entry: NextEntryOffset
 * (4), Flags (1), EaNameLength (1), EaValueLength (2), EaName + NUL,
 * EaValue; entries 4-byte aligned. */
#include "proto/ea.h"

#include "util/bytes.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

uint8_t *smb2_ea_encode_one(const char *name, const void *value, size_t value_len, size_t *len)
{
	size_t nlen = strlen(name);
	if (nlen == 0 || nlen > 255 || value_len > 0xFFFF)
		return NULL;
	struct sf_wr w;
	sf_wr_init_grow(&w, 8 + nlen + 1 + value_len);
	sf_wr_u32(&w, 0); /* the only entry */
	sf_wr_u8(&w, 0);  /* Flags */
	sf_wr_u8(&w, (uint8_t)nlen);
	sf_wr_u16(&w, (uint16_t)value_len);
	sf_wr_bytes(&w, name, nlen);
	sf_wr_u8(&w, 0);
	if (value_len)
		sf_wr_bytes(&w, value, value_len);
	return sf_wr_steal(&w, len);
}

int smb2_ea_next(const uint8_t *buf, size_t len, size_t *pos, struct smb2_ea *out)
{
	if (*pos == SIZE_MAX || *pos >= len)
		return 0;
	size_t off = *pos;
	if (!sf_span_ok(off, 8, len))
		return -EPROTO;
	const uint8_t *e = buf + off;
	uint32_t next = sf_le32(e);
	uint8_t nlen = e[5];
	uint16_t vlen = sf_le16(e + 6);
	size_t extent = next ? next : len - off;
	if (next && (next < 8 || !sf_span_ok(off, next, len)))
		return -EPROTO;
	/* name + NUL + value must fit in this entry */
	if (!sf_span_ok(8, (size_t)nlen + 1 + vlen, extent) || e[8 + nlen] != 0)
		return -EPROTO;
	out->name = (const char *)e + 8;
	out->name_len = nlen;
	out->value = e + 8 + nlen + 1;
	out->value_len = vlen;
	*pos = next ? off + next : SIZE_MAX;
	return 1;
}
