/* utf16.h - UTF-8 <-> UTF-16LE and SMB path/name rules.
 *
 * Written by hand so that every malformed input is an explicit error:
 * invalid or overlong UTF-8, surrogates encoded in UTF-8, odd UTF-16 byte
 * lengths and unpaired surrogates are all refused. */
#ifndef SF_UTIL_UTF16_H
#define SF_UTIL_UTF16_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* UTF-8 (len bytes, or -1 for NUL-terminated) to UTF-16LE. Returns a
 * g_malloc'd buffer (not terminated) and its byte length, or NULL. */
uint8_t *sf_utf8_to_utf16(const char *s, ptrdiff_t len, size_t *out_bytes);
/* UTF-16LE to a NUL-terminated UTF-8 string (g_malloc), or NULL. */
char *sf_utf16_to_utf8(const uint8_t *p, size_t bytes);

/* A POSIX path relative to the share ("a/b/c", leading '/' dropped) to the
 * SMB form in UTF-16LE ("a\\b\\c"). With `mapposix`, characters SMB cannot
 * store (\ : * ? " < > | and a trailing dot or space) travel as the
 * Services-for-Mac private-use code points (U+F000 block, see utf16.c);
 * without it such a name is refused (NULL, *err = EINVAL). */
uint8_t *sf_path_to_smb(const char *path, bool mapposix, size_t *out_bytes, int *err);

/* The same under the SMB 3.1.1 POSIX extensions: POSIX pathnames, '/'
 * separated on the wire ("a/b/c"), names with any character but '/' and
 * NUL ('\\' included), case kept, no DOS device names refused, nothing
 * mapped. */
uint8_t *sf_path_to_smb_posix(const char *path, size_t *out_bytes, int *err);

/* A name from the server (UTF-16LE) to UTF-8 for the kernel. Refuses names
 * that contain '/' or NUL, and "." / ".." (NULL). With `mapposix`, maps the
 * private-use code points back. */
char *sf_name_from_smb(const uint8_t *p, size_t bytes, bool mapposix);

#endif
