/* ranges.h - FSCTL_QUERY_ALLOCATED_RANGES output (MS-FSCC 2.3.46): an
 * array of FILE_ALLOCATED_RANGE_BUFFER {FileOffset, Length}, both signed
 * 64-bit little-endian. */
#ifndef SF_PROTO_RANGES_H
#define SF_PROTO_RANGES_H

#include <stddef.h>
#include <stdint.h>

#define SMB2_RANGE_BUFFER_LEN 16
#define SMB2_RANGES_MAX       65536 /* more than a 64 KiB answer can hold */

struct smb2_range {
	uint64_t off, len;
};

/* Decode buf into out (room for max entries). Returns the number of
 * ranges, or -1 when the buffer is not a whole number of entries, an
 * offset or length is negative, a range ends past 2^63-1, or the ranges
 * are not sorted and disjoint (consumers walk them in order). */
int smb2_ranges_decode(const uint8_t *buf, size_t len, struct smb2_range *out, size_t max);

#endif
