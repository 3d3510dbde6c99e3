/* lease.c - the "RqLs" create context, lease and oplock break notification
 * and acknowledgment codecs (MS-SMB2 2.2.13.2.8, 2.2.13.2.10, 2.2.14.2.10,
 * 2.2.14.2.11, 2.2.23, 2.2.24). */
#include "proto/lease.h"

#include "util/bytes.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

size_t smb2_lease_ctx_encode(const struct smb2_lease *l, uint8_t *out)
{
	size_t n = l->v2 ? SMB2_LEASE_CTX_V2_LEN : SMB2_LEASE_CTX_V1_LEN;
	struct sf_wr w;
	sf_wr_init(&w, out, n);
	sf_wr_bytes(&w, l->key, 16);
	sf_wr_u32(&w, l->state);
	sf_wr_u32(&w, l->flags);
	sf_wr_u64(&w, 0); /* LeaseDuration: reserved, 0 */
	if (l->v2) {
		sf_wr_bytes(&w, l->parent_key, 16);
		sf_wr_u16(&w, l->epoch);
		sf_wr_u16(&w, 0); /* Reserved */
	}
	g_assert(sf_wr_ok(&w) && w.pos == n);
	return n;
}

int smb2_lease_ctx_decode(const uint8_t *data, size_t len, struct smb2_lease *o)
{
	memset(o, 0, sizeof *o);
	/* The length tells the version: a server answers v1 with v1 and v2
	 * with v2 (3.3.5.9.8, 3.3.5.9.11); anything else is malformed. */
	if (len != SMB2_LEASE_CTX_V1_LEN && len != SMB2_LEASE_CTX_V2_LEN)
		return -EPROTO;
	struct sf_rd r;
	sf_rd_init(&r, data, len);
	sf_rd_copy(&r, o->key, 16);
	o->state = sf_rd_u32(&r);
	o->flags = sf_rd_u32(&r);
	sf_rd_skip(&r, 8); /* LeaseDuration: reserved */
	if (len == SMB2_LEASE_CTX_V2_LEN) {
		o->v2 = true;
		sf_rd_copy(&r, o->parent_key, 16);
		o->epoch = sf_rd_u16(&r);
		sf_rd_skip(&r, 2);
	}
	return sf_rd_ok(&r) ? 0 : -EPROTO;
}

int smb2_lease_break_decode(const uint8_t *body, size_t len, struct smb2_lease_break *o)
{
	memset(o, 0, sizeof *o);
	struct sf_rd r;
	sf_rd_init(&r, body, len);
	if (sf_rd_u16(&r) != 44)
		return -EPROTO;
	o->new_epoch = sf_rd_u16(&r);
	o->flags = sf_rd_u32(&r);
	sf_rd_copy(&r, o->key, 16);
	o->current_state = sf_rd_u32(&r);
	o->new_state = sf_rd_u32(&r);
	o->reason = sf_rd_u32(&r);
	o->access_mask_hint = sf_rd_u32(&r);
	o->share_mask_hint = sf_rd_u32(&r);
	return sf_rd_ok(&r) ? 0 : -EPROTO;
}

uint8_t *smb2_lease_break_ack_encode(const uint8_t key[16], uint32_t state, size_t *len)
{
	struct sf_wr w;
	sf_wr_init_grow(&w, 36);
	sf_wr_u16(&w, 36); /* StructureSize */
	sf_wr_u16(&w, 0);  /* Reserved */
	sf_wr_u32(&w, 0);  /* Flags: reserved */
	sf_wr_bytes(&w, key, 16);
	sf_wr_u32(&w, state);
	sf_wr_u64(&w, 0); /* LeaseDuration: reserved */
	g_assert(!sf_wr_ok(&w) || w.pos == 36);
	return sf_wr_steal(&w, len);
}

int smb2_oplock_break_decode(const uint8_t *body, size_t len, struct smb2_oplock_break *o)
{
	memset(o, 0, sizeof *o);
	struct sf_rd r;
	sf_rd_init(&r, body, len);
	if (sf_rd_u16(&r) != 24)
		return -EPROTO;
	o->level = sf_rd_u8(&r);
	sf_rd_skip(&r, 5); /* Reserved, Reserved2 */
	o->fid.persistent = sf_rd_u64(&r);
	o->fid.volatile_ = sf_rd_u64(&r);
	return sf_rd_ok(&r) ? 0 : -EPROTO;
}

uint8_t *smb2_oplock_break_ack_encode(uint8_t level, struct smb2_fileid fid, size_t *len)
{
	struct sf_wr w;
	sf_wr_init_grow(&w, 24);
	sf_wr_u16(&w, 24); /* StructureSize */
	sf_wr_u8(&w, level);
	sf_wr_u8(&w, 0);  /* Reserved */
	sf_wr_u32(&w, 0); /* Reserved2 */
	sf_wr_u64(&w, fid.persistent);
	sf_wr_u64(&w, fid.volatile_);
	g_assert(!sf_wr_ok(&w) || w.pos == 24);
	return sf_wr_steal(&w, len);
}
