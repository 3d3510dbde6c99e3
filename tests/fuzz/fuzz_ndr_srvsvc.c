/* fuzz_ndr_srvsvc.c - the NetrShareEnum level 1 answer (proto/srvsvc.h):
 * every share decoded has a name and a remark that are valid UTF-8
 * without NUL, and their number is bounded. */
#include "proto/srvsvc.h"

#include <glib.h>
#include <string.h>

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct srvsvc_share_enum_rsp r;
	if (srvsvc_share_enum_rsp_decode(data, size, &r) != 0) {
		if (r.shares)
			__builtin_trap();
		return 0;
	}
	if (r.shares->len > SRVSVC_MAX_SHARES || r.shares->len > size / 12)
		__builtin_trap();
	for (guint i = 0; i < r.shares->len; i++) {
		const struct srvsvc_share *s = g_ptr_array_index(r.shares, i);
		if (!s->name || !s->remark || !g_utf8_validate(s->name, -1, NULL) ||
		    !g_utf8_validate(s->remark, -1, NULL))
			__builtin_trap();
		(void)srvsvc_type_name(s->type);
	}
	srvsvc_share_enum_rsp_clear(&r);
	return 0;
}
