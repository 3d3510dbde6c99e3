/* fuzz_ntlmssp_challenge.c - CHALLENGE_MESSAGE decode, then a whole
 * AUTHENTICATE built from it. */
#include "auth/ntlmssp.h"

#include <glib.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sf_ntlm_challenge c;
	if (sf_ntlm_challenge_decode(data, size, &c) != 0)
		return 0;
	struct sf_ntlm *n = sf_ntlm_new("user", "DOM", "pw", NULL, "cifs/host", false);
	GByteArray *neg = sf_ntlm_negotiate(n), *auth = NULL;
	if (sf_ntlm_authenticate(n, data, size, &auth) == 0)
		g_byte_array_unref(auth);
	g_byte_array_unref(neg);
	sf_ntlm_free(n);
	return 0;
}
