/* fuzz_ranges.c - FSCTL_QUERY_ALLOCATED_RANGES output, as SEEK_DATA and
 * SEEK_HOLE consume it: what the decoder accepts is sorted, disjoint and
 * ends below 2^63, so walking it never wraps. */
#include "proto/ranges.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct smb2_range r[SMB2_RANGES_MAX];
	int n = smb2_ranges_decode(data, size, r, SMB2_RANGES_MAX);
	if (n < -1 || (n >= 0 && (size_t)n * SMB2_RANGE_BUFFER_LEN != size))
		__builtin_trap();
	uint64_t end = 0;
	for (int i = 0; i < n; i++) {
		if (r[i].off < end || r[i].off + r[i].len < r[i].off || (r[i].off + r[i].len) >> 63)
			__builtin_trap();
		end = r[i].off + r[i].len;
	}
	return 0;
}
