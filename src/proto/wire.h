/* wire.h - shared by the codecs: FileId (MS-SMB2 2.2.14.1) and response buffer spans. */
/* Private to src/proto: only the codec .c files include it. */
#ifndef SF_PROTO_WIRE_H
#define SF_PROTO_WIRE_H

#include "proto/smb2.h"
#include "util/bytes.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

static inline void put_fid(struct sf_wr *w, struct smb2_fileid f)
{
	sf_wr_u64(w, f.persistent);
	sf_wr_u64(w, f.volatile_);
}

static inline struct smb2_fileid get_fid(struct sf_rd *r)
{
	struct smb2_fileid f;
	f.persistent = sf_rd_u64(r);
	f.volatile_ = sf_rd_u64(r);
	return f;
}

/* A response whose variable part is (Offset u16 or u32, Length u32) at a
 * fixed position: check it against the PDU. */
static inline int span(const uint8_t *pdu, size_t len, size_t min_off, size_t off, size_t n,
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

#endif
