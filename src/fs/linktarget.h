/* linktarget.h - symlink targets between POSIX and SMB reparse points.
 * POSIX "a/b" is a relative SMB symlink "a\b" (SYMLINK_FLAG_RELATIVE);
 * "/a/b" is an absolute one, "\a\b". Back from the server, '\' becomes
 * '/', and the NT prefix "\??\" of an absolute Windows target is dropped
 * ("\??\C:\x" reads as "C:/x", which points nowhere on the client: the
 * kernel client does the same without a symlink root). NFS reparse
 * targets are POSIX already; LX symlinks are UTF-8. */
#ifndef SF_FS_LINKTARGET_H
#define SF_FS_LINKTARGET_H

#include "proto/reparse.h"

#include <stddef.h>
#include <stdint.h>

/* The POSIX target of a decoded link (g_malloc), or NULL when it is not
 * valid text or contains NUL. */
char *sf_link_to_posix(const struct smb2_link *l);
/* The UTF-16LE substitute name and flags for a POSIX target (g_malloc),
 * or NULL when it is empty or not UTF-8. */
uint8_t *sf_link_from_posix(const char *target, uint32_t *flags, size_t *len);

#endif
