/* fuzz_reparse.c - reparse buffers (FSCTL_GET_REPARSE_POINT output) and
 * Symbolic Link Error Responses, and the link target conversion behind
 * them. The first byte is the ErrorContextCount for the error decoder. */
#include "fs/linktarget.h"
#include "proto/reparse.h"

#include <glib.h>

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const uint8_t *p, size_t n, const uint8_t *data, size_t size)
{
	if (p && (p < data || n > size || p + n > data + size))
		__builtin_trap();
}

static void check(const struct smb2_link *l, const uint8_t *data, size_t size)
{
	inside(l->target, l->target_len, data, size);
	inside(l->print, l->print_len, data, size);
	char *s = sf_link_to_posix(l);
	if (s && !g_utf8_validate(s, -1, NULL))
		__builtin_trap();
	g_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smb2_link l;
	if (smb2_reparse_decode(data, size, &l) == 0)
		check(&l, data, size);
	if (size > 0 && smb2_symlink_error_decode(data + 1, size - 1, data[0], &l) == 0)
		check(&l, data, size);
	return 0;
}
