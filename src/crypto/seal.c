/* seal.c - SMB3 transform-header encryption and decryption. */
#include "crypto/seal.h"

#include "crypto/prim.h"
#include "proto/transform.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

int sf_seal_encrypt(uint16_t cipher, const uint8_t *key, uint64_t session_id, const uint8_t *nonce,
                    const uint8_t *msg, size_t len, uint8_t *out)
{
	size_t nlen = sf_aead_nonce_len(cipher);
	if (!nlen || len > UINT32_MAX)
		return -EINVAL;
	struct smb2_transform_hdr th = {
	        .original_size = (uint32_t)len,
	        .flags = SMB2_TRANSFORM_FLAG_ENCRYPTED,
	        .session_id = session_id,
	};
	if (nonce)
		memcpy(th.nonce, nonce, sizeof th.nonce);
	else
		sf_random(th.nonce, nlen);
	smb2_transform_hdr_encode(&th, out);
	/* AAD: the header from Nonce to SessionId (bytes 20..51). */
	if (!sf_aead_encrypt(cipher, key, th.nonce, out + 20, 32, msg, len,
	                     out + SF_TRANSFORM_HDR_LEN, out + 4))
		return -EINVAL;
	return 0;
}

int sf_seal_decrypt(uint16_t cipher, const uint8_t *key, const uint8_t *in, size_t len,
                    uint8_t **out, size_t *out_len)
{
	struct smb2_transform_hdr th;
	if (smb2_transform_hdr_decode(in, len, &th) != 0)
		return -EPROTO;
	size_t body = len - SF_TRANSFORM_HDR_LEN;
	if (th.original_size != body || th.flags != SMB2_TRANSFORM_FLAG_ENCRYPTED || body == 0)
		return -EPROTO;
	if (!sf_aead_nonce_len(cipher))
		return -EINVAL;
	uint8_t *plain = g_malloc(body);
	if (!sf_aead_decrypt(cipher, key, th.nonce, in + 20, 32, in + SF_TRANSFORM_HDR_LEN, body,
	                     plain, th.signature)) {
		g_free(plain);
		return -EBADMSG;
	}
	*out = plain;
	*out_len = body;
	return 0;
}
