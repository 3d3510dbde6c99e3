/* validate.c - central response validation and the ERROR response. */
#include "proto/validate.h"

#include "proto/ntstatus.h"
#include "util/bytes.h"

#include <errno.h>

/* Response StructureSize per command (2.2.4 ... 2.2.40). */
static const uint16_t rsp_size[SMB2_COMMAND_COUNT] = {
        [SMB2_NEGOTIATE] = 65,
        [SMB2_SESSION_SETUP] = 9,
        [SMB2_LOGOFF] = 4,
        [SMB2_TREE_CONNECT] = 16,
        [SMB2_TREE_DISCONNECT] = 4,
        [SMB2_CREATE] = 89,
        [SMB2_CLOSE] = 60,
        [SMB2_FLUSH] = 4,
        [SMB2_READ] = 17,
        [SMB2_WRITE] = 17,
        [SMB2_LOCK] = 4,
        [SMB2_IOCTL] = 49,
        [SMB2_ECHO] = 4,
        [SMB2_QUERY_DIRECTORY] = 9,
        [SMB2_CHANGE_NOTIFY] = 9,
        [SMB2_QUERY_INFO] = 9,
        [SMB2_SET_INFO] = 2,
        [SMB2_OPLOCK_BREAK] = 24,
};

bool smb2_status_has_body(uint16_t command, uint32_t status)
{
	if (status == STATUS_PENDING)
		return false; /* interim responses are ERROR bodies (3.3.4.2) */
	if (!sf_nt_error(status) && status != STATUS_BUFFER_OVERFLOW &&
	    status != STATUS_STOPPED_ON_SYMLINK && (status >> 30) != 2)
		return true; /* success and informational */
	switch (command) {
	case SMB2_SESSION_SETUP:
		return status == STATUS_MORE_PROCESSING_REQUIRED;
	case SMB2_READ:
	case SMB2_QUERY_INFO:
	case SMB2_QUERY_DIRECTORY:
	case SMB2_CHANGE_NOTIFY:
		return status == STATUS_BUFFER_OVERFLOW;
	case SMB2_IOCTL:
		/* Data-carrying IOCTL failures (2.2.32, 3.3.4.4): copychunk limits,
		 * pipe overflow. */
		return status == STATUS_BUFFER_OVERFLOW || status == STATUS_INVALID_PARAMETER;
	default:
		return false;
	}
}

int smb2_rsp_validate(const struct smb2_hdr *h, const uint8_t *pdu, size_t len)
{
	if (!smb2_hdr_is_response(h) || h->command >= SMB2_COMMAND_COUNT ||
	    h->command == SMB2_CANCEL)
		return -EPROTO;
	if (!sf_span_ok(SMB2_HDR_LEN, 2, len))
		return -EPROTO;
	uint16_t got = sf_le16(pdu + SMB2_HDR_LEN);
	uint16_t want = rsp_size[h->command];
	if (h->command == SMB2_OPLOCK_BREAK && (got == 44 || got == 36))
		want = got; /* lease break notification (44) / acknowledgment response (36) */
	if (!smb2_status_has_body(h->command, h->status)) {
		/* An IOCTL or IOCTL-like failure may still carry the full body. */
		if (got == want && h->command == SMB2_IOCTL)
			return len >= SMB2_HDR_LEN + (size_t)(want & ~1u) ? 0 : -EPROTO;
		want = 9; /* ERROR */
	}
	if (got != want)
		return -EPROTO;
	/* The fixed part (StructureSize counts one byte of the buffer when odd). */
	return len >= SMB2_HDR_LEN + (size_t)(want & ~1u) ? 0 : -EPROTO;
}

int smb2_error_rsp_decode(const uint8_t *pdu, size_t len, struct smb2_error_rsp *o)
{
	struct sf_rd r;
	sf_rd_init(&r, pdu, len);
	sf_rd_seek(&r, SMB2_HDR_LEN);
	if (sf_rd_u16(&r) != 9)
		return -EPROTO;
	o->context_count = sf_rd_u8(&r);
	sf_rd_skip(&r, 1);
	uint32_t n = sf_rd_u32(&r);
	if (!sf_rd_ok(&r))
		return -EPROTO;
	if (!sf_span_ok(SMB2_HDR_LEN + 8, n, len))
		return -EPROTO;
	o->data = n ? pdu + SMB2_HDR_LEN + 8 : NULL;
	o->data_len = n;
	return 0;
}
