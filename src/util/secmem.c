/* secmem.c - see secmem.h. */
#include "util/secmem.h"

#include <glib.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* The mapping's length is kept in front of the caller's bytes, so that
 * free needs nothing but the pointer. 16 keeps the data aligned. */
#define HDR 16

static void wipe(void *p, size_t n)
{
	explicit_bzero(p, n);
}

void *sf_secmem_alloc(size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	if (n > SIZE_MAX - HDR - page)
		g_error("sf_secmem_alloc: %zu bytes is too large", n);
	size_t len = (n + HDR + page - 1) / page * page;
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		g_error("sf_secmem_alloc: mmap of %zu bytes failed", len);
	/* Never in a core dump. (Not MADV_DONTFORK: the daemon forks after
	 * the credentials are read and the child is the one that logs in.) */
	(void)madvise(m, len, MADV_DONTDUMP);
	(void)mlock(m, len); /* best effort: RLIMIT_MEMLOCK may be 0 */
	memcpy(m, &len, sizeof len);
	return (char *)m + HDR;
}

void sf_secmem_free(void *p)
{
	if (!p)
		return;
	char *m = (char *)p - HDR;
	size_t len;
	memcpy(&len, m, sizeof len);
	wipe(m, len);
	(void)munlock(m, len);
	munmap(m, len);
}

char *sf_secmem_strndup(const char *s, size_t n)
{
	const char *nul = memchr(s, 0, n);
	size_t len = nul ? (size_t)(nul - s) : n;
	char *d = sf_secmem_alloc(len + 1);
	memcpy(d, s, len);
	return d;
}

char *sf_secmem_strdup(const char *s)
{
	return s ? sf_secmem_strndup(s, strlen(s)) : NULL;
}
