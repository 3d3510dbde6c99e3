/* fuzz_posix.c - the SMB 3.1.1 POSIX extension decoders (proto/posix.h):
 * the first byte picks one (0 the POSIX create context's response, 1 the
 * POSIX information of QUERY_INFO, 2 a POSIX-level directory listing,
 * 3 a SID chain, 4 an NFS special-file reparse buffer); the rest is its
 * input. Oracles: everything decoded lies inside the input, and a decoded
 * SID encodes back to the bytes it came from. */
#include "proto/posix.h"
#include "proto/reparse.h"
#include "util/utf16.h"

#include <glib.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const uint8_t *buf = data + 1;
	size_t len = size - 1;
	switch (data[0] % 5) {
	case 0: {
		struct smb2_posix_cc cc;
		size_t used;
		if (smb2_posix_cc_decode(buf, len, &cc, &used) == 0 && used > len)
			__builtin_trap();
		break;
	}
	case 1: {
		struct smb2_posix_info pi;
		if (smb2_posix_info_decode(buf, len, &pi) == 0) {
			(void)smb2_posix_mode_to_unix(pi.cc.mode);
			size_t n;
			uint8_t *re = smb2_posix_info_encode(&pi, &n);
			struct smb2_posix_info back;
			if (smb2_posix_info_decode(re, n, &back) != 0 ||
			    back.cc.mode != pi.cc.mode || back.inode != pi.inode)
				__builtin_trap();
			g_free(re);
		}
		break;
	}
	case 2: {
		size_t pos = 0;
		struct smb2_posix_dirent e;
		for (int i = 0; i < 100000 && smb2_posix_dirent_next(buf, len, &pos, &e) == 1;
		     i++) {
			if (e.name < buf || e.name + e.name_len > buf + len)
				__builtin_trap();
			g_free(sf_name_from_smb(e.name, e.name_len, false));
		}
		break;
	}
	case 3: {
		size_t pos = 0;
		struct smb2_sid s;
		while (pos < len && smb2_sid_decode(buf, len, &pos, &s) == 0) {
			size_t n = smb2_sid_len(&s);
			uint8_t out[8 + 4 * SMB2_SID_MAX_SUB];
			smb2_sid_encode(&s, out);
			if (n > pos || memcmp(out, buf + pos - n, n) != 0)
				__builtin_trap();
			char text[200];
			smb2_sid_format(&s, text, sizeof text);
		}
		break;
	}
	default: {
		uint64_t type;
		uint32_t ma, mi;
		smb2_nfs_special_reparse_decode(buf, len, &type, &ma, &mi);
		break;
	}
	}
	return 0;
}
