/* fuzz_spnego.c - SPNEGO NegTokenInit2 / NegTokenResp decoders and the
 * DER walker under them. */
#include "auth/spnego.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool ntlm, krb5;
	sf_spnego_init_decode(data, size, &ntlm, &krb5);
	struct sf_spnego_resp r;
	if (sf_spnego_resp_decode(data, size, &r) == 0) {
		/* Every span handed out must lie inside the input. */
		if (r.token && (r.token < data || r.token + r.token_len > data + size))
			__builtin_trap();
		if (r.mic && (r.mic < data || r.mic + r.mic_len > data + size))
			__builtin_trap();
	}
	return 0;
}
