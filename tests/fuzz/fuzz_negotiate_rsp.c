/* fuzz_negotiate_rsp.c - NEGOTIATE response decode (contexts chain). */
#include "proto/negotiate.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smb2_negotiate_rsp r;
	if (smb2_negotiate_rsp_decode(data, size, &r) == 0 && r.security_buffer &&
	    (r.security_buffer < data || r.security_buffer + r.security_buffer_len > data + size))
		__builtin_trap();
	return 0;
}
