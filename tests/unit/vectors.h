/* vectors.h - test helpers: hex decoding and the named vector file
 * tests/vectors/smb3-blog-vectors.txt ("name HEX" per line). */
#ifndef SF_TEST_VECTORS_H
#define SF_TEST_VECTORS_H

#include <glib.h>
#include <stdint.h>
#include <string.h>

/* Decode hex (spaces ignored) into a new GByteArray. */
static inline GByteArray *hexbytes(const char *hex)
{
	GByteArray *a = g_byte_array_new();
	int hi = -1;
	for (const char *p = hex; *p; p++) {
		if (!g_ascii_isxdigit(*p))
			continue;
		int v = g_ascii_xdigit_value(*p);
		if (hi < 0) {
			hi = v;
		} else {
			uint8_t b = (uint8_t)(hi << 4 | v);
			g_byte_array_append(a, &b, 1);
			hi = -1;
		}
	}
	return a;
}

/* Look a named vector up in the SMB3 blog vector file. */
static inline GByteArray *vector(const char *name)
{
	gchar *text = NULL;
	gchar *path = g_build_filename(SF_TEST_VECTORS, "smb3-blog-vectors.txt", NULL);
	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	g_free(path);
	GByteArray *res = NULL;
	gchar **lines = g_strsplit(text, "\n", -1);
	size_t nl = strlen(name);
	for (gchar **l = lines; *l; l++)
		if (strncmp(*l, name, nl) == 0 && (*l)[nl] == ' ')
			res = hexbytes(*l + nl + 1);
	g_strfreev(lines);
	g_free(text);
	g_assert_nonnull(res);
	return res;
}

#define assert_hex(buf_, n_, hex_)                                                                 \
	do {                                                                                       \
		GByteArray *want_ = hexbytes(hex_);                                                \
		g_assert_cmpmem((buf_), (n_), want_->data, want_->len);                            \
		g_byte_array_unref(want_);                                                         \
	} while (0)

#endif
