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

/* QUERY_DIRECTORY and QUERY_INFO answers share one layout (2.2.34,
 * 2.2.38): StructureSize 9, OutputBufferOffset u16, OutputBufferLength
 * u32, then the buffer. */
static inline int buffer_rsp(const uint8_t *pdu, size_t len, const uint8_t **p, size_t *plen)
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
	return span(pdu, len, SMB2_HDR_LEN + 8, off, n, p, plen);
}

#endif
