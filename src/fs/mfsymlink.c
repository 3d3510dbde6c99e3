/* mfsymlink.c - Minshall+French symlink files. */
#include "fs/mfsymlink.h"

#include "crypto/prim.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

#define HDR_LEN 43 /* "XSym\n" 5 + "NNNN\n" 5 + md5 32 + "\n" 1 */

static void md5_hex(const char *s, size_t n, char out[33])
{
	uint8_t d[16];
	sf_md5(s, n, d);
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

uint8_t *sf_mfsymlink_format(const char *target)
{
	size_t n = strlen(target);
	if (n == 0 || n > SF_MFSYMLINK_MAXLEN)
		return NULL;
	uint8_t *buf = g_malloc(SF_MFSYMLINK_SIZE);
	memset(buf, ' ', SF_MFSYMLINK_SIZE);
	char md5[33];
	md5_hex(target, n, md5);
	char hdr[HDR_LEN + 1];
	snprintf(hdr, sizeof hdr, "XSym\n%04zu\n%s\n", n, md5);
	memcpy(buf, hdr, HDR_LEN);
	memcpy(buf + HDR_LEN, target, n);
	buf[HDR_LEN + n] = '\n';
	return buf;
}

char *sf_mfsymlink_parse(const uint8_t *buf, size_t len)
{
	if (len != SF_MFSYMLINK_SIZE || memcmp(buf, "XSym\n", 5) != 0 || buf[9] != '\n' ||
	    buf[42] != '\n')
		return NULL;
	size_t n = 0;
	for (int i = 5; i < 9; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return NULL;
		n = n * 10 + (size_t)(buf[i] - '0');
	}
	if (n == 0 || n > SF_MFSYMLINK_MAXLEN || memchr(buf + HDR_LEN, 0, n))
		return NULL;
	char md5[33];
	md5_hex((const char *)buf + HDR_LEN, n, md5);
	if (memcmp(md5, buf + 10, 32) != 0)
		return NULL;
	return g_strndup((const char *)buf + HDR_LEN, n);
}
