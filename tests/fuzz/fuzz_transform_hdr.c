/* fuzz_transform_hdr.c - TRANSFORM_HEADER decode and decryption attempts
 * with every cipher (a fixed key: almost all inputs fail the tag). */
#include "crypto/seal.h"
#include "proto/smb2.h"
#include "proto/transform.h"

#include <glib.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smb2_transform_hdr h;
	if (smb2_transform_hdr_decode(data, size, &h) != 0)
		return 0;
	static const uint8_t key[32] = {1, 2, 3};
	for (uint16_t c = SMB2_ENCRYPTION_AES128_CCM; c <= SMB2_ENCRYPTION_AES256_GCM; c++) {
		uint8_t *out = NULL;
		size_t len = 0;
		if (sf_seal_decrypt(c, key, data, size, &out, &len) == 0)
			g_free(out);
	}
	return 0;
}
