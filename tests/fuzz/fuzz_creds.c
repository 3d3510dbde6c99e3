/* fuzz_creds.c - the text of a credentials file through the parser the
 * file reader uses: no crash, no read past the buffer (the input is
 * copied into an exact-size allocation), no leak, and any password it
 * accepts is within SF_PASSWORD_MAX. */
#include "auth/creds.h"

#include <glib.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = g_memdup2(data, size); /* not NUL-terminated on purpose */
	struct sf_creds *c = sf_creds_new();
	GError *err = NULL;
	if (sf_creds_parse(c, copy, size, &err)) {
		if (c->password && strlen(c->password) > SF_PASSWORD_MAX)
			__builtin_trap();
	} else {
		if (!err)
			__builtin_trap();
		g_error_free(err);
	}
	sf_creds_free(c);
	g_free(copy);
	return 0;
}
