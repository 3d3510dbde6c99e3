/* fuzz_mfsymlink.c - Minshall+French symlink files as read from the
 * share (anyone with write access there controls them): the parser
 * returns NULL or a target without NUL of the declared length, and what
 * it accepts formats back to the same bytes. */
#include "fs/mfsymlink.h"

#include <glib.h>

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *t = sf_mfsymlink_parse(data, size);
	if (!t)
		return 0;
	if (!*t || strlen(t) > SF_MFSYMLINK_MAXLEN)
		__builtin_trap();
	uint8_t *again = sf_mfsymlink_format(t);
	char *t2 = again ? sf_mfsymlink_parse(again, SF_MFSYMLINK_SIZE) : NULL;
	if (!t2 || strcmp(t, t2) != 0)
		__builtin_trap(); /* a target we accept must survive a rewrite */
	g_free(t2);
	g_free(again);
	g_free(t);
	return 0;
}
