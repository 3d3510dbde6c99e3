/* reparse.c - link reparse points and the symlink error response.
 * Every offset and length comes from the wire and is checked against the
 * span it claims to lie in before it is used. */
#include "proto/reparse.h"

#include "util/bytes.h"

#include <errno.h>

#define SMB2_ERROR_ID_DEFAULT 0x00000000u

/* SubstituteName and PrintName inside a PathBuffer (symlink, junction). */
static int names_in(const uint8_t *path, size_t path_len, uint16_t so, uint16_t sl, uint16_t po,
                    uint16_t pl, struct smb2_link *out)
{
	if ((sl | pl) & 1 || sl == 0 || !sf_span_ok(so, sl, path_len) ||
	    !sf_span_ok(po, pl, path_len))
		return -EPROTO;
	out->target = path + so;
	out->target_len = sl;
	out->print = path + po;
	out->print_len = pl;
	return 0;
}

int smb2_reparse_decode(const uint8_t *buf, size_t len, struct smb2_link *out)
{
	*out = (struct smb2_link){0};
	if (len < 8)
		return -EPROTO;
	out->tag = sf_le32(buf);
	size_t dlen = sf_le16(buf + 4);
	if (!sf_span_ok(8, dlen, len))
		return -EPROTO;
	const uint8_t *d = buf + 8;
	switch (out->tag) {
	case IO_REPARSE_TAG_SYMLINK:
		if (dlen < 12)
			return -EPROTO;
		out->flags = sf_le32(d + 8);
		return names_in(d + 12, dlen - 12, sf_le16(d), sf_le16(d + 2), sf_le16(d + 4),
		                sf_le16(d + 6), out);
	case IO_REPARSE_TAG_MOUNT_POINT:
		if (dlen < 8)
			return -EPROTO;
		return names_in(d + 8, dlen - 8, sf_le16(d), sf_le16(d + 2), sf_le16(d + 4),
		                sf_le16(d + 6), out);
	case IO_REPARSE_TAG_LX_SYMLINK:
		/* Version (4) = 2, then the target in UTF-8. */
		if (dlen < 5 || sf_le32(d) != 2)
			return -EPROTO;
		out->utf8 = true;
		out->target = d + 4;
		out->target_len = dlen - 4;
		return 0;
	case IO_REPARSE_TAG_NFS:
		/* Type (8), then for a symlink the target in UTF-16LE. */
		if (dlen < 8)
			return -EPROTO;
		if (sf_le64(d) != NFS_SPECFILE_LNK)
			return -ENOLINK;
		if (dlen == 8 || (dlen - 8) & 1)
			return -EPROTO;
		out->target = d + 8;
		out->target_len = dlen - 8;
		return 0;
	default:
		return -ENOLINK;
	}
}

/* The Symbolic Link Error Response itself (MS-SMB2 2.2.2.2.1). */
static int symlink_error_body(const uint8_t *p, size_t len, struct smb2_link *out)
{
	if (len < 28)
		return -EPROTO;
	uint32_t sl_len = sf_le32(p); /* everything after this field */
	if (sl_len < 24 || !sf_span_ok(4, sl_len, len))
		return -EPROTO;
	if (sf_le32(p + 4) != SMB2_SYMLINK_ERROR_TAG || sf_le32(p + 8) != IO_REPARSE_TAG_SYMLINK)
		return -EPROTO;
	out->tag = IO_REPARSE_TAG_SYMLINK;
	out->unparsed_len = sf_le16(p + 14);
	out->flags = sf_le32(p + 24);
	return names_in(p + 28, (size_t)sl_len + 4 - 28, sf_le16(p + 16), sf_le16(p + 18),
	                sf_le16(p + 20), sf_le16(p + 22), out);
}

int smb2_symlink_error_decode(const uint8_t *data, size_t len, uint8_t context_count,
                              struct smb2_link *out)
{
	*out = (struct smb2_link){0};
	if (!data)
		return -EPROTO;
	if (context_count == 0)
		return symlink_error_body(data, len, out);
	/* SMB 3.1.1: ERROR Context Responses, each 8-byte aligned. */
	size_t pos = 0;
	for (unsigned i = 0; i < context_count; i++) {
		if (!sf_span_ok(pos, 8, len))
			return -EPROTO;
		size_t n = sf_le32(data + pos);
		uint32_t id = sf_le32(data + pos + 4);
		if (!sf_span_ok(pos + 8, n, len))
			return -EPROTO;
		if (id == SMB2_ERROR_ID_DEFAULT)
			return symlink_error_body(data + pos + 8, n, out);
		pos = sf_align_up(pos + 8 + n, 8);
	}
	return -EPROTO;
}

uint8_t *smb2_symlink_reparse_encode(const uint8_t *target, size_t target_len, uint32_t flags,
                                     size_t *len)
{
	if (target_len == 0 || target_len & 1 || 12 + 2 * target_len > SMB2_REPARSE_MAX - 8)
		return NULL;
	struct sf_wr w;
	sf_wr_init_grow(&w, 20 + 2 * target_len);
	sf_wr_u32(&w, IO_REPARSE_TAG_SYMLINK);
	sf_wr_u16(&w, (uint16_t)(12 + 2 * target_len)); /* ReparseDataLength */
	sf_wr_u16(&w, 0);                               /* Reserved */
	sf_wr_u16(&w, 0);                               /* SubstituteNameOffset */
	sf_wr_u16(&w, (uint16_t)target_len);
	sf_wr_u16(&w, (uint16_t)target_len); /* PrintNameOffset */
	sf_wr_u16(&w, (uint16_t)target_len);
	sf_wr_u32(&w, flags);
	sf_wr_bytes(&w, target, target_len);
	sf_wr_bytes(&w, target, target_len);
	return sf_wr_steal(&w, len);
}

size_t smb2_nfs_special_reparse_encode(uint64_t type, uint32_t major, uint32_t minor,
                                       uint8_t out[SMB2_NFS_SPECIAL_MAX])
{
	bool dev = type == NFS_SPECFILE_CHR || type == NFS_SPECFILE_BLK;
	uint16_t dlen = dev ? 16 : 8;
	sf_put_le32(out, IO_REPARSE_TAG_NFS);
	sf_put_le16(out + 4, dlen); /* ReparseDataLength */
	sf_put_le16(out + 6, 0);
	sf_put_le64(out + 8, type);
	if (dev) {
		sf_put_le32(out + 16, major);
		sf_put_le32(out + 20, minor);
	}
	return 8 + (size_t)dlen;
}

int smb2_nfs_special_reparse_decode(const uint8_t *buf, size_t len, uint64_t *type, uint32_t *major,
                                    uint32_t *minor)
{
	if (len < 16 || sf_le32(buf) != IO_REPARSE_TAG_NFS)
		return -EPROTO;
	uint16_t dlen = sf_le16(buf + 4);
	if (dlen < 8 || dlen > len - 8)
		return -EPROTO;
	*type = sf_le64(buf + 8);
	*major = *minor = 0;
	if (*type == NFS_SPECFILE_CHR || *type == NFS_SPECFILE_BLK) {
		if (dlen < 16)
			return -EPROTO;
		*major = sf_le32(buf + 16);
		*minor = sf_le32(buf + 20);
	}
	return 0;
}
