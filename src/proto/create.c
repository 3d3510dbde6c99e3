/* create.c - CREATE with create contexts and CLOSE (MS-SMB2 2.2.13 - 2.2.16). */
#include "proto/create.h"

#include "proto/wire.h"
#include "util/bytes.h"

#include <errno.h>
#include <string.h>

static void get_times(struct sf_rd *r, struct smb2_file_times *t, bool attrs_last)
{
	t->creation = sf_rd_u64(r);
	t->last_access = sf_rd_u64(r);
	t->last_write = sf_rd_u64(r);
	t->change = sf_rd_u64(r);
	t->allocation_size = sf_rd_u64(r);
	t->end_of_file = sf_rd_u64(r);
	if (attrs_last)
		t->attributes = sf_rd_u32(r);
}

uint8_t *smb2_create_req_encode(const struct smb2_create_req *q, size_t *len)
{
	struct sf_wr w;
	sf_wr_init_grow(&w, 120 + q->name_len);
	sf_wr_u16(&w, 57); /* StructureSize */
	sf_wr_u8(&w, 0);   /* SecurityFlags */
	sf_wr_u8(&w, q->oplock_level);
	sf_wr_u32(&w, SMB2_IMPERSONATION_IMPERSONATION);
	sf_wr_u64(&w, 0); /* SmbCreateFlags */
	sf_wr_u64(&w, 0); /* Reserved */
	sf_wr_u32(&w, q->desired_access);
	sf_wr_u32(&w, q->file_attributes);
	sf_wr_u32(&w, q->share_access);
	sf_wr_u32(&w, q->disposition);
	sf_wr_u32(&w, q->options);
	sf_wr_u16(&w, SMB2_HDR_LEN + 56); /* NameOffset */
	sf_wr_u16(&w, (uint16_t)q->name_len);
	size_t ctx_at = sf_wr_reserve(&w, 8); /* CreateContextsOffset, Length */
	if (q->name_len)
		sf_wr_bytes(&w, q->name, q->name_len);
	else
		sf_wr_u8(&w, 0); /* the Buffer is never empty (2.2.13) */
	if (q->ctx_count) {
		sf_wr_align(&w, 8);
		size_t start = w.pos, prev = SIZE_MAX;
		for (size_t i = 0; i < q->ctx_count; i++) {
			sf_wr_align(&w, 8);
			if (prev != SIZE_MAX)
				sf_wr_patch_u32(&w, prev, (uint32_t)(w.pos - prev));
			prev = w.pos;
			const struct smb2_create_ctx *c = &q->ctxs[i];
			size_t nl = c->name_len == 16 ? 16 : 4;
			size_t dat = 16 + sf_align_up(nl, 8); /* data 8-aligned after the name */
			sf_wr_u32(&w, 0);                     /* Next, patched */
			sf_wr_u16(&w, 16);                    /* NameOffset */
			sf_wr_u16(&w, (uint16_t)nl);
			sf_wr_u16(&w, 0);
			sf_wr_u16(&w, c->data_len ? (uint16_t)dat : 0); /* DataOffset */
			sf_wr_u32(&w, (uint32_t)c->data_len);
			sf_wr_bytes(&w, c->name, nl);
			sf_wr_zero(&w, dat - 16 - nl); /* pad the name to 8 */
			sf_wr_bytes(&w, c->data, c->data_len);
		}
		sf_wr_patch_u32(&w, ctx_at, (uint32_t)(SMB2_HDR_LEN + start));
		sf_wr_patch_u32(&w, ctx_at + 4, (uint32_t)(w.pos - start));
	}
	if (q->name_len > 0xFFFF)
		w.err = true;
	return sf_wr_steal(&w, len);
}

int smb2_create_ctx_chain_decode(const uint8_t *buf, size_t len, struct smb2_create_ctx *out,
                                 size_t max, size_t *count)
{
	size_t off = 0;
	*count = 0;
	for (;;) {
		if (*count >= max || !sf_span_ok(off, 16, len))
			return -EPROTO;
		const uint8_t *c = buf + off;
		uint32_t next = sf_le32(c);
		uint16_t noff = sf_le16(c + 4), nlen = sf_le16(c + 6);
		uint16_t doff = sf_le16(c + 10);
		uint32_t dlen = sf_le32(c + 12);
		size_t clen = next ? next : len - off; /* this entry's extent */
		if (next && (next % 8 || !sf_span_ok(off, next, len)))
			return -EPROTO;
		if ((nlen != 4 && nlen != 16) || !sf_span_ok_from(16, noff, nlen, clen))
			return -EPROTO;
		if (dlen && !sf_span_ok_from(16, doff, dlen, clen))
			return -EPROTO;
		struct smb2_create_ctx *o = &out[(*count)++];
		memset(o->name, 0, sizeof o->name);
		memcpy(o->name, c + noff, nlen);
		o->name_len = nlen;
		o->data = dlen ? c + doff : NULL;
		o->data_len = dlen;
		if (!next)
			return 0;
		off += next;
	}
}

int smb2_create_rsp_decode(const uint8_t *pdu, size_t len, struct smb2_create_rsp *o)
{
	memset(o, 0, sizeof *o);
	struct sf_rd r;
	sf_rd_init(&r, pdu, len);
	sf_rd_seek(&r, SMB2_HDR_LEN);
	if (sf_rd_u16(&r) != 89)
		return -EPROTO;
	o->oplock_level = sf_rd_u8(&r);
	sf_rd_skip(&r, 1);
	o->create_action = sf_rd_u32(&r);
	get_times(&r, &o->t, false);
	o->t.attributes = sf_rd_u32(&r);
	sf_rd_skip(&r, 4);
	o->fid = get_fid(&r);
	uint32_t coff = sf_rd_u32(&r), clen = sf_rd_u32(&r);
	if (!sf_rd_ok(&r))
		return -EPROTO;
	if (clen) {
		if (coff % 8 || !sf_span_ok_from(SMB2_HDR_LEN + 88, coff, clen, len))
			return -EPROTO;
		return smb2_create_ctx_chain_decode(pdu + coff, clen, o->ctxs, SMB2_MAX_CREATE_CTX,
		                                    &o->ctx_count);
	}
	return 0;
}

const struct smb2_create_ctx *smb2_create_rsp_ctx(const struct smb2_create_rsp *r,
                                                  const char tag[4])
{
	for (size_t i = 0; i < r->ctx_count; i++)
		if (r->ctxs[i].name_len == 4 && memcmp(r->ctxs[i].name, tag, 4) == 0)
			return &r->ctxs[i];
	return NULL;
}

const struct smb2_create_ctx *smb2_create_rsp_ctx_named(const struct smb2_create_rsp *r,
                                                        const void *name, size_t name_len)
{
	for (size_t i = 0; i < r->ctx_count; i++)
		if (r->ctxs[i].name_len == name_len && memcmp(r->ctxs[i].name, name, name_len) == 0)
			return &r->ctxs[i];
	return NULL;
}

uint8_t *smb2_close_req_encode(struct smb2_fileid fid, uint16_t flags, size_t *len)
{
	struct sf_wr w;
	sf_wr_init_grow(&w, 24);
	sf_wr_u16(&w, 24);
	sf_wr_u16(&w, flags);
	sf_wr_u32(&w, 0);
	put_fid(&w, fid);
	return sf_wr_steal(&w, len);
}

int smb2_close_rsp_decode(const uint8_t *pdu, size_t len, struct smb2_close_rsp *o)
{
	struct sf_rd r;
	sf_rd_init(&r, pdu, len);
	sf_rd_seek(&r, SMB2_HDR_LEN);
	if (sf_rd_u16(&r) != 60)
		return -EPROTO;
	o->flags = sf_rd_u16(&r);
	sf_rd_skip(&r, 4);
	get_times(&r, &o->t, true);
	return sf_rd_ok(&r) ? 0 : -EPROTO;
}
