/* fuzz_notify.c - the CHANGE_NOTIFY response (MS-SMB2 2.2.36) and its
 * FILE_NOTIFY_INFORMATION chain (MS-FSCC 2.7.1): the input is a whole
 * response PDU (seeds captured from Samba 4.22). Oracle: every name
 * given lies inside the buffer, is even and non-empty, and the chain
 * ends. */
#include "proto/notify.h"
#include "util/utf16.h"

#include <glib.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smb2_change_notify_rsp r;
	if (smb2_change_notify_rsp_decode(data, size, &r) != 0)
		return 0;
	if (r.buf && (r.buf < data || r.buf_len > size || r.buf + r.buf_len > data + size))
		__builtin_trap();
	size_t pos = 0;
	unsigned n = 0;
	struct smb2_notify_entry e;
	while (smb2_notify_entry_next(r.buf, r.buf_len, &pos, &n, &e) == 1) {
		if (e.name < r.buf || e.name + e.name_len > r.buf + r.buf_len || !e.name_len ||
		    e.name_len % 2 || n > SMB2_NOTIFY_MAX_ENTRIES)
			__builtin_trap();
		g_free(sf_name_from_smb(e.name, e.name_len, false));
	}
	return 0;
}
