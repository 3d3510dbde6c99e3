/* ranges.c - FSCTL_QUERY_ALLOCATED_RANGES output (see ranges.h). */
#include "proto/ranges.h"

#include "util/bytes.h"

int smb2_ranges_decode(const uint8_t *buf, size_t len, struct smb2_range *out, size_t max)
{
	if (len % SMB2_RANGE_BUFFER_LEN || len / SMB2_RANGE_BUFFER_LEN > max)
		return -1;
	uint64_t end_prev = 0;
	size_t n = len / SMB2_RANGE_BUFFER_LEN;
	for (size_t i = 0; i < n; i++) {
		uint64_t off = sf_le64(buf + i * SMB2_RANGE_BUFFER_LEN);
		uint64_t rlen = sf_le64(buf + i * SMB2_RANGE_BUFFER_LEN + 8);
		/* Signed on the wire: the top bit set is a negative value. The
		 * sum cannot wrap once both are below 2^63. */
		if (off >> 63 || rlen >> 63 || (off + rlen) >> 63 || off < end_prev)
			return -1;
		out[i] = (struct smb2_range){off, rlen};
		end_prev = off + rlen;
	}
	return (int)n;
}
