/* secmem.h - memory for secrets (passwords, credentials files).
 *
 * Each allocation is its own page-aligned mapping, marked
 * MADV_DONTDUMP so that a core dump never carries it, locked in RAM
 * when the limit allows (best effort: it must never be swapped out, but
 * an unprivileged mounter may have no mlock budget), and wiped before it
 * is unmapped. Slow and page-granular on purpose: only a handful of
 * secrets ever live here. */
#ifndef SF_UTIL_SECMEM_H
#define SF_UTIL_SECMEM_H

#include <stddef.h>

/* Zeroed memory of n bytes; aborts on failure like g_malloc. */
void *sf_secmem_alloc(size_t n);
/* Wipe and unmap; NULL is fine. */
void sf_secmem_free(void *p);
/* Copy of s[0..n) (stopping early at a NUL), NUL-terminated. */
char *sf_secmem_strndup(const char *s, size_t n);
char *sf_secmem_strdup(const char *s);

#endif
