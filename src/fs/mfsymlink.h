/* mfsymlink.h - symlinks stored as Minshall+French files (the mount.cifs
 * `mfsymlinks` format): exactly 1067 bytes, "XSym\n", the target length
 * as 4 decimal digits and "\n", the MD5 of the target in 32 lowercase hex
 * digits and "\n", then the target, "\n", and spaces up to 1067 bytes. */
#ifndef SF_FS_MFSYMLINK_H
#define SF_FS_MFSYMLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SF_MFSYMLINK_SIZE   1067
#define SF_MFSYMLINK_MAXLEN 1023

/* g_malloc'd file content (SF_MFSYMLINK_SIZE bytes), or NULL when the
 * target is empty or longer than SF_MFSYMLINK_MAXLEN. */
uint8_t *sf_mfsymlink_format(const char *target);
static inline bool sf_mfsymlink_format_ok(const char *target)
{
	return target[0] && strlen(target) <= SF_MFSYMLINK_MAXLEN;
}
/* The target of a valid symlink file (g_malloc), or NULL. */
char *sf_mfsymlink_parse(const uint8_t *buf, size_t len);

#endif
