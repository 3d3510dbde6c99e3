/* notify.c - CHANGE_NOTIFY (MS-SMB2 2.2.35, 2.2.36) and
 * FILE_NOTIFY_INFORMATION (MS-FSCC 2.7.1). */
#include "proto/notify.h"

#include "proto/wire.h"
#include "util/bytes.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

uint8_t *smb2_change_notify_req_encode(struct smb2_fileid fid, uint16_t flags, uint32_t out_len,
                                       uint32_t filter, size_t *len)
{
	struct sf_wr w;
	sf_wr_init_grow(&w, 32);
	sf_wr_u16(&w, 32); /* StructureSize */
	sf_wr_u16(&w, flags);
	sf_wr_u32(&w, out_len); /* OutputBufferLength */
	put_fid(&w, fid);
	sf_wr_u32(&w, filter); /* CompletionFilter */
	sf_wr_u32(&w, 0);      /* Reserved */
	g_assert(!sf_wr_ok(&w) || w.pos == 32);
	return sf_wr_steal(&w, len);
}

/* 2.2.36: StructureSize 9, OutputBufferOffset u16, OutputBufferLength
 * u32, Buffer: the QUERY_DIRECTORY layout. */
int smb2_change_notify_rsp_decode(const uint8_t *pdu, size_t len, struct smb2_change_notify_rsp *o)
{
	return buffer_rsp(pdu, len, &o->buf, &o->buf_len);
}

int smb2_notify_entry_next(const uint8_t *buf, size_t len, size_t *pos, unsigned *count,
                           struct smb2_notify_entry *e)
{
	if (*pos == SIZE_MAX || *pos >= len)
		return 0;
	if (*count >= SMB2_NOTIFY_MAX_ENTRIES)
		return -EPROTO;
	size_t off = *pos;
	/* NextEntryOffset, Action, FileNameLength, then FileName. */
	if (!sf_span_ok(off, 12, len))
		return -EPROTO;
	const uint8_t *p = buf + off;
	uint32_t next = sf_le32(p);
	uint32_t nlen = sf_le32(p + 8);
	size_t extent = next ? next : len - off;
	/* Entries are 4-byte aligned (MS-FSCC 2.7.1) and each holds at least
	 * its fixed part. */
	if (next && (next < 12 || next % 4 || !sf_span_ok(off, next, len)))
		return -EPROTO;
	if (!nlen || nlen % 2 || !sf_span_ok(12, nlen, extent))
		return -EPROTO;
	memset(e, 0, sizeof *e);
	e->action = sf_le32(p + 4);
	e->name = p + 12;
	e->name_len = nlen;
	*pos = next ? off + next : SIZE_MAX;
	(*count)++;
	return 1;
}
