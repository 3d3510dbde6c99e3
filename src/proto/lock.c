/* lock.c - LOCK request (MS-SMB2 2.2.26, 2.2.26.1). */
#include "proto/lock.h"

#include "proto/wire.h"
#include "util/bytes.h"

uint8_t *smb2_lock_req_encode(struct smb2_fileid fid, const struct smb2_lock_element *locks,
                              size_t n, size_t *len)
{
	struct sf_wr w;
	sf_wr_init_grow(&w, 24 + 24 * n);
	sf_wr_u16(&w, 48); /* StructureSize */
	sf_wr_u16(&w, (uint16_t)n);
	sf_wr_u32(&w, 0); /* LockSequenceNumber/Index: no resilient handles */
	put_fid(&w, fid);
	for (size_t i = 0; i < n; i++) {
		sf_wr_u64(&w, locks[i].offset);
		sf_wr_u64(&w, locks[i].length);
		sf_wr_u32(&w, locks[i].flags);
		sf_wr_u32(&w, 0);
	}
	if (n == 0 || n > 0xFFFF)
		w.err = true;
	return sf_wr_steal(&w, len);
}
