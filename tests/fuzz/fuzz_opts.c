/* fuzz_opts.c - an -o option list and a share name through the parser the
 * daemon uses: no crash, no leak, and a refused list is refused with a
 * message. The first line of the input is the share, the rest the options.
 * credentials= is answered from the real file system, so seeds avoid it. */
#include "opts.h"

#include <glib.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = g_strndup((const char *)data, size);
	char *nl = strchr(text, '\n');
	const char *opts = nl ? nl + 1 : "";
	if (nl)
		*nl = 0;
	/* Reading files named by the input is not what is being fuzzed. */
	if (strstr(opts, "cred")) {
		g_free(text);
		return 0;
	}
	struct sf_config *c = sf_config_new();
	char *argv[] = {text, "/mnt", "-o", (char *)opts};
	GError *err = NULL;
	if (!sf_config_parse(c, 4, argv, &err)) {
		if (!err || !err->message[0])
			__builtin_trap();
		g_error_free(err);
	} else {
		/* What the daemon derives from a parsed configuration. */
		if (!c->host || !c->share || !c->mountpoint)
			__builtin_trap();
		if (c->allow_other && !c->default_permissions)
			__builtin_trap();
		char *e = sf_fuse_opt_escape(c->share);
		for (const char *p = e; *p; p++) {
			if (*p == '\\') {
				if (p[1] != ',' && p[1] != '\\')
					__builtin_trap();
				p++;
			} else if (*p == ',') {
				__builtin_trap(); /* an unescaped separator */
			}
		}
		g_free(e);
	}
	sf_config_free(c);
	g_free(text);
	return 0;
}
