/* sign.c - SMB2 signing with HMAC-SHA256, AES-128-CMAC or AES-128-GMAC. */
#include "crypto/sign.h"

#include "crypto/prim.h"
#include "proto/smb2.h"
#include "util/bytes.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

int sf_sign_compute(uint16_t alg, const uint8_t key[16], const uint8_t *msg, size_t len,
                    uint8_t sig[16])
{
	if (len < SMB2_HDR_LEN)
		return -EINVAL;
	/* The MAC covers the message with a zeroed signature field; work on a
	 * copy so the caller's buffer stays untouched. */
	uint8_t *tmp = g_malloc(len);
	memcpy(tmp, msg, len);
	memset(tmp + SMB2_HDR_OFF_SIGNATURE, 0, 16);
	int rc = 0;
	switch (alg) {
	case SMB2_SIGNING_HMAC_SHA256: {
		uint8_t full[32];
		sf_hmac_sha256(key, 16, tmp, len, full);
		memcpy(sig, full, 16);
		break;
	}
	case SMB2_SIGNING_AES_CMAC:
		sf_aes128_cmac(key, tmp, len, sig);
		break;
	case SMB2_SIGNING_AES_GMAC: {
		/* Nonce: MessageId || 4 bytes, bit 0 = response, bit 1 = CANCEL. */
		uint8_t nonce[12];
		memcpy(nonce, msg + SMB2_HDR_OFF_MESSAGE_ID, 8);
		uint32_t flags = sf_le32(msg + SMB2_HDR_OFF_FLAGS);
		uint32_t role = (flags & SMB2_FLAGS_SERVER_TO_REDIR) ? 1u : 0u;
		if (sf_le16(msg + SMB2_HDR_OFF_COMMAND) == SMB2_CANCEL)
			role |= 2u;
		sf_put_le32(nonce + 8, role);
		sf_aes128_gmac(key, nonce, tmp, len, sig);
		break;
	}
	default:
		rc = -EINVAL;
	}
	g_free(tmp);
	return rc;
}

int sf_sign_apply(uint16_t alg, const uint8_t key[16], uint8_t *msg, size_t len)
{
	if (len < SMB2_HDR_LEN)
		return -EINVAL;
	uint32_t flags = sf_le32(msg + SMB2_HDR_OFF_FLAGS) | SMB2_FLAGS_SIGNED;
	sf_put_le32(msg + SMB2_HDR_OFF_FLAGS, flags);
	uint8_t sig[16];
	int rc = sf_sign_compute(alg, key, msg, len, sig);
	if (rc == 0)
		memcpy(msg + SMB2_HDR_OFF_SIGNATURE, sig, 16);
	return rc;
}

bool sf_sign_verify(uint16_t alg, const uint8_t key[16], const uint8_t *msg, size_t len)
{
	uint8_t sig[16];
	if (sf_sign_compute(alg, key, msg, len, sig) != 0)
		return false;
	return sf_ct_equal(sig, msg + SMB2_HDR_OFF_SIGNATURE, 16);
}
