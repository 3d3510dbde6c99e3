/* posix.c - SMB 3.1.1 POSIX extensions: contexts, information level, SIDs
 * (POSIX-SMB2, POSIX-FSCC; SIDs MS-DTYP 2.4.2.2). */
#include "proto/posix.h"

#include "util/bytes.h"

#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

const uint8_t smb2_posix_tag[16] = {0x93, 0xAD, 0x25, 0x50, 0x9C, 0xB4, 0x11, 0xE7,
                                    0xB4, 0x23, 0x83, 0xDE, 0x96, 0x8B, 0xCD, 0x7C};

static const struct {
	uint32_t wire, unix_type;
} types[] = {
        {SMB2_POSIX_TYPE_FILE, S_IFREG},    {SMB2_POSIX_TYPE_DIR, S_IFDIR},
        {SMB2_POSIX_TYPE_SYMLINK, S_IFLNK}, {SMB2_POSIX_TYPE_CHARDEV, S_IFCHR},
        {SMB2_POSIX_TYPE_BLKDEV, S_IFBLK},  {SMB2_POSIX_TYPE_FIFO, S_IFIFO},
        {SMB2_POSIX_TYPE_SOCKET, S_IFSOCK},
};

uint32_t smb2_posix_mode_to_unix(uint32_t wire)
{
	uint32_t t = (wire >> SMB2_POSIX_TYPE_SHIFT) & 0xF;
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (types[i].wire == t)
			return types[i].unix_type | (wire & 07777);
	return 0;
}

uint32_t smb2_posix_mode_from_unix(uint32_t st_mode)
{
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (types[i].unix_type == (st_mode & S_IFMT))
			return (types[i].wire << SMB2_POSIX_TYPE_SHIFT) | (st_mode & 07777);
	return st_mode & 07777;
}

size_t smb2_sid_len(const struct smb2_sid *s)
{
	return s->sub_count <= SMB2_SID_MAX_SUB ? 8 + 4 * (size_t)s->sub_count : 0;
}

int smb2_sid_decode(const uint8_t *buf, size_t len, size_t *pos, struct smb2_sid *o)
{
	memset(o, 0, sizeof *o);
	if (!sf_span_ok(*pos, 8, len))
		return -EPROTO;
	const uint8_t *p = buf + *pos;
	o->revision = p[0];
	o->sub_count = p[1];
	if (o->revision != 1 || o->sub_count > SMB2_SID_MAX_SUB ||
	    !sf_span_ok(*pos, 8 + 4 * (size_t)o->sub_count, len))
		return -EPROTO;
	for (int i = 0; i < 6; i++)
		o->authority = (o->authority << 8) | p[2 + i];
	for (uint8_t i = 0; i < o->sub_count; i++)
		o->sub[i] = sf_le32(p + 8 + 4 * (size_t)i);
	*pos += 8 + 4 * (size_t)o->sub_count;
	return 0;
}

void smb2_sid_encode(const struct smb2_sid *s, uint8_t *out)
{
	out[0] = s->revision;
	out[1] = s->sub_count;
	for (int i = 0; i < 6; i++)
		out[2 + i] = (uint8_t)(s->authority >> (8 * (5 - i)));
	for (uint8_t i = 0; i < s->sub_count && i < SMB2_SID_MAX_SUB; i++)
		sf_put_le32(out + 8 + 4 * (size_t)i, s->sub[i]);
}

bool smb2_sid_unix_id(const struct smb2_sid *s, uint32_t kind, uint32_t *id)
{
	if (s->revision != 1 || s->authority != 22 || s->sub_count != 2 || s->sub[0] != kind)
		return false;
	*id = s->sub[1];
	return true;
}

void smb2_sid_from_unix_id(struct smb2_sid *s, uint32_t kind, uint32_t id)
{
	memset(s, 0, sizeof *s);
	s->revision = 1;
	s->authority = 22;
	s->sub_count = 2;
	s->sub[0] = kind;
	s->sub[1] = id;
}

void smb2_sid_format(const struct smb2_sid *s, char *buf, size_t size)
{
	int n = snprintf(buf, size, "S-%u-%llu", s->revision, (unsigned long long)s->authority);
	for (uint8_t i = 0; i < s->sub_count && i < SMB2_SID_MAX_SUB && n > 0 && (size_t)n < size;
	     i++)
		n += snprintf(buf + n, size - (size_t)n, "-%u", s->sub[i]);
}

uint8_t *smb2_sd_owner_group_encode(const struct smb2_sid *owner, const struct smb2_sid *group,
                                    size_t *len)
{
	size_t ol = owner ? smb2_sid_len(owner) : 0, gl = group ? smb2_sid_len(group) : 0;
	size_t n = 20 + ol + gl;
	uint8_t *out = g_malloc0(n);
	out[0] = 1;                                            /* Revision */
	sf_put_le16(out + 2, 0x8000);                          /* Control: SE_SELF_RELATIVE */
	sf_put_le32(out + 4, owner ? 20 : 0);                  /* OffsetOwner */
	sf_put_le32(out + 8, group ? (uint32_t)(20 + ol) : 0); /* OffsetGroup */
	if (owner)
		smb2_sid_encode(owner, out + 20);
	if (group)
		smb2_sid_encode(group, out + 20 + ol);
	*len = n;
	return out;
}

uint8_t *smb2_sd_posix_mode_encode(uint32_t mode, size_t *len)
{
	const struct smb2_sid sid = {
	        .revision = 1, .authority = 5, .sub_count = 3, .sub = {88, 3, mode & 07777}};
	size_t ace = 8 + smb2_sid_len(&sid), acl = 8 + ace, n = 20 + acl;
	uint8_t *out = g_malloc0(n);
	out[0] = 1;                            /* Revision */
	sf_put_le16(out + 2, 0x8000 | 0x0004); /* SE_SELF_RELATIVE | SE_DACL_PRESENT */
	sf_put_le32(out + 16, 20);             /* OffsetDacl */
	uint8_t *a = out + 20;
	a[0] = 2; /* AclRevision */
	sf_put_le16(a + 2, (uint16_t)acl);
	sf_put_le16(a + 4, 1); /* AceCount */
	a[8] = 0;              /* ACCESS_ALLOWED_ACE_TYPE */
	a[9] = 0;              /* AceFlags */
	sf_put_le16(a + 10, (uint16_t)ace);
	sf_put_le32(a + 12, 0); /* Mask */
	smb2_sid_encode(&sid, a + 16);
	*len = n;
	return out;
}

size_t smb2_posix_create_req_encode(uint32_t mode, uint8_t out[SMB2_POSIX_CREATE_REQ_LEN])
{
	sf_put_le32(out, mode);
	return SMB2_POSIX_CREATE_REQ_LEN;
}

int smb2_posix_cc_decode(const uint8_t *buf, size_t len, struct smb2_posix_cc *o, size_t *used)
{
	memset(o, 0, sizeof *o);
	if (len < 12)
		return -EPROTO;
	o->nlink = sf_le32(buf);
	o->reparse_tag = sf_le32(buf + 4);
	o->mode = sf_le32(buf + 8);
	size_t pos = 12;
	if (smb2_sid_decode(buf, len, &pos, &o->owner) != 0 ||
	    smb2_sid_decode(buf, len, &pos, &o->group) != 0)
		return -EPROTO;
	if (used)
		*used = pos;
	return 0;
}

/* Times, sizes, attributes, inode, device, reserved: 68 bytes before the
 * create-context part. */
#define INFO_FIXED 68

static int info_decode(const uint8_t *buf, size_t len, struct smb2_posix_info *o, size_t *used)
{
	memset(o, 0, sizeof *o);
	struct sf_rd r;
	sf_rd_init(&r, buf, len);
	o->t.creation = sf_rd_u64(&r);
	o->t.last_access = sf_rd_u64(&r);
	o->t.last_write = sf_rd_u64(&r);
	o->t.change = sf_rd_u64(&r);
	o->t.end_of_file = sf_rd_u64(&r);
	o->t.allocation_size = sf_rd_u64(&r);
	o->t.attributes = sf_rd_u32(&r);
	o->inode = sf_rd_u64(&r);
	o->device = sf_rd_u32(&r);
	sf_rd_skip(&r, 4); /* Zero */
	if (!sf_rd_ok(&r))
		return -EPROTO;
	size_t cc_used;
	if (smb2_posix_cc_decode(buf + INFO_FIXED, len - INFO_FIXED, &o->cc, &cc_used) != 0)
		return -EPROTO;
	*used = INFO_FIXED + cc_used;
	return 0;
}

uint8_t *smb2_posix_info_encode(const struct smb2_posix_info *in, size_t *len)
{
	struct smb2_sid null = {.revision = 1, .sub_count = 1};
	const struct smb2_sid *own = in->cc.owner.revision ? &in->cc.owner : &null;
	const struct smb2_sid *grp = in->cc.group.revision ? &in->cc.group : &null;
	size_t n = INFO_FIXED + 12 + smb2_sid_len(own) + smb2_sid_len(grp);
	uint8_t *out = g_malloc0(n);
	struct sf_wr w;
	sf_wr_init(&w, out, n);
	sf_wr_u64(&w, in->t.creation);
	sf_wr_u64(&w, in->t.last_access);
	sf_wr_u64(&w, in->t.last_write);
	sf_wr_u64(&w, in->t.change);
	sf_wr_u64(&w, in->t.end_of_file);
	sf_wr_u64(&w, in->t.allocation_size);
	sf_wr_u32(&w, in->t.attributes);
	sf_wr_u64(&w, in->inode);
	sf_wr_u32(&w, in->device);
	sf_wr_u32(&w, 0);
	sf_wr_u32(&w, in->cc.nlink);
	sf_wr_u32(&w, in->cc.reparse_tag);
	sf_wr_u32(&w, in->cc.mode);
	uint8_t sid[8 + 4 * SMB2_SID_MAX_SUB];
	smb2_sid_encode(own, sid);
	sf_wr_bytes(&w, sid, smb2_sid_len(own));
	smb2_sid_encode(grp, sid);
	sf_wr_bytes(&w, sid, smb2_sid_len(grp));
	g_assert(sf_wr_ok(&w) && w.pos == n);
	*len = n;
	return out;
}

int smb2_posix_info_decode(const uint8_t *buf, size_t len, struct smb2_posix_info *o)
{
	size_t used;
	return info_decode(buf, len, o, &used);
}

int smb2_posix_dirent_next(const uint8_t *buf, size_t len, size_t *pos, struct smb2_posix_dirent *e)
{
	if (*pos == SIZE_MAX || *pos >= len)
		return 0;
	size_t off = *pos;
	if (!sf_span_ok(off, 8, len))
		return -EPROTO;
	uint32_t next = sf_le32(buf + off);
	size_t extent = next ? next : len - off;
	if (next && (next % 8 || next < 8 + INFO_FIXED || !sf_span_ok(off, next, len)))
		return -EPROTO; /* must move forward, aligned, and stay inside */
	const uint8_t *p = buf + off;
	size_t used;
	memset(e, 0, sizeof *e);
	if (info_decode(p + 8, extent - 8, &e->info, &used) != 0)
		return -EPROTO;
	size_t at = 8 + used;
	if (!sf_span_ok(at, 4, extent))
		return -EPROTO;
	uint32_t nlen = sf_le32(p + at);
	if (nlen % 2 || !sf_span_ok(at + 4, nlen, extent))
		return -EPROTO;
	e->name = p + at + 4;
	e->name_len = nlen;
	*pos = next ? off + next : SIZE_MAX;
	return 1;
}
