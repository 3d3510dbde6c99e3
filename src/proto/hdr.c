/* hdr.c - the SMB2 packet header (MS-SMB2 2.2.1) and name tables. */
#include "proto/smb2.h"

#include "util/bytes.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

int smb2_hdr_decode(const uint8_t *buf, size_t len, struct smb2_hdr *out)
{
	struct sf_rd r;
	sf_rd_init(&r, buf, len);
	if (sf_rd_u32(&r) != SMB2_PROTOCOL_ID)
		return -EPROTO;
	if (sf_rd_u16(&r) != SMB2_HDR_LEN) /* StructureSize */
		return -EPROTO;
	out->credit_charge = sf_rd_u16(&r);
	out->status = sf_rd_u32(&r);
	out->command = sf_rd_u16(&r);
	out->credits = sf_rd_u16(&r);
	out->flags = sf_rd_u32(&r);
	out->next_command = sf_rd_u32(&r);
	out->message_id = sf_rd_u64(&r);
	if (out->flags & SMB2_FLAGS_ASYNC_COMMAND) {
		out->async_id = sf_rd_u64(&r);
		out->tree_id = 0;
	} else {
		sf_rd_skip(&r, 4); /* Reserved (ProcessId) */
		out->tree_id = sf_rd_u32(&r);
		out->async_id = 0;
	}
	out->session_id = sf_rd_u64(&r);
	sf_rd_copy(&r, out->signature, 16);
	return sf_rd_ok(&r) ? 0 : -EPROTO;
}

void smb2_hdr_encode(const struct smb2_hdr *h, uint8_t out[SMB2_HDR_LEN])
{
	struct sf_wr w;
	sf_wr_init(&w, out, SMB2_HDR_LEN);
	sf_wr_u32(&w, SMB2_PROTOCOL_ID);
	sf_wr_u16(&w, SMB2_HDR_LEN);
	sf_wr_u16(&w, h->credit_charge);
	sf_wr_u32(&w, h->status);
	sf_wr_u16(&w, h->command);
	sf_wr_u16(&w, h->credits);
	sf_wr_u32(&w, h->flags);
	sf_wr_u32(&w, h->next_command);
	sf_wr_u64(&w, h->message_id);
	if (h->flags & SMB2_FLAGS_ASYNC_COMMAND) {
		sf_wr_u64(&w, h->async_id);
	} else {
		sf_wr_u32(&w, 0xFEFF); /* Reserved: ProcessId, as Windows sends it */
		sf_wr_u32(&w, h->tree_id);
	}
	sf_wr_u64(&w, h->session_id);
	sf_wr_bytes(&w, h->signature, 16);
}

static const char *const command_names[SMB2_COMMAND_COUNT] = {
        "NEGOTIATE",
        "SESSION_SETUP",
        "LOGOFF",
        "TREE_CONNECT",
        "TREE_DISCONNECT",
        "CREATE",
        "CLOSE",
        "FLUSH",
        "READ",
        "WRITE",
        "LOCK",
        "IOCTL",
        "CANCEL",
        "ECHO",
        "QUERY_DIRECTORY",
        "CHANGE_NOTIFY",
        "QUERY_INFO",
        "SET_INFO",
        "OPLOCK_BREAK",
        "SERVER_TO_CLIENT_NOTIFICATION",
};

const char *smb2_command_name(uint16_t command)
{
	return command < SMB2_COMMAND_COUNT ? command_names[command] : "UNKNOWN";
}

const char *smb2_dialect_name(uint16_t dialect)
{
	switch (dialect) {
	case SMB2_DIALECT_0202:
		return "2.0.2";
	case SMB2_DIALECT_0210:
		return "2.1";
	case SMB2_DIALECT_0300:
		return "3.0";
	case SMB2_DIALECT_0302:
		return "3.0.2";
	case SMB2_DIALECT_0311:
		return "3.1.1";
	case SMB2_DIALECT_WILDCARD:
		return "2.???";
	default:
		return "?";
	}
}

uint16_t smb2_dialect_parse(const char *s)
{
	static const struct {
		const char *name;
		uint16_t dialect;
	} names[] = {
	        {"2.0", SMB2_DIALECT_0202},     {"2.0.2", SMB2_DIALECT_0202},
	        {"2.02", SMB2_DIALECT_0202},    {"SMB2_02", SMB2_DIALECT_0202},
	        {"2.1", SMB2_DIALECT_0210},     {"2.10", SMB2_DIALECT_0210},
	        {"SMB2_10", SMB2_DIALECT_0210}, {"3", SMB2_DIALECT_0300},
	        {"3.0", SMB2_DIALECT_0300},     {"3.00", SMB2_DIALECT_0300},
	        {"SMB3_00", SMB2_DIALECT_0300}, {"3.0.2", SMB2_DIALECT_0302},
	        {"3.02", SMB2_DIALECT_0302},    {"SMB3_02", SMB2_DIALECT_0302},
	        {"3.1.1", SMB2_DIALECT_0311},   {"3.11", SMB2_DIALECT_0311},
	        {"SMB3_11", SMB2_DIALECT_0311},
	};
	if (!s)
		return 0;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcasecmp(s, names[i].name) == 0)
			return names[i].dialect;
	return 0;
}

const char *smb2_cipher_name(uint16_t cipher)
{
	switch (cipher) {
	case SMB2_ENCRYPTION_NONE:
		return "none";
	case SMB2_ENCRYPTION_AES128_CCM:
		return "AES-128-CCM";
	case SMB2_ENCRYPTION_AES128_GCM:
		return "AES-128-GCM";
	case SMB2_ENCRYPTION_AES256_CCM:
		return "AES-256-CCM";
	case SMB2_ENCRYPTION_AES256_GCM:
		return "AES-256-GCM";
	default:
		return "unknown";
	}
}

const char *smb2_signing_alg_name(uint16_t alg)
{
	switch (alg) {
	case SMB2_SIGNING_HMAC_SHA256:
		return "HMAC-SHA256";
	case SMB2_SIGNING_AES_CMAC:
		return "AES-128-CMAC";
	case SMB2_SIGNING_AES_GMAC:
		return "AES-128-GMAC";
	default:
		return "unknown";
	}
}
