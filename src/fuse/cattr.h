/* cattr.h - file attributes as the caches keep them: tens of thousands of
 * entries after a large listing, so in about half the room of a struct
 * stat (only what the file layer fills in). */
#ifndef SF_FUSE_CATTR_H
#define SF_FUSE_CATTR_H

#include <stdint.h>
#include <sys/stat.h>

struct sf_cattr {
	int64_t size, blocks;
	uint64_t ino, rdev;
	int64_t sec[3]; /* atime, mtime, ctime */
	int32_t nsec[3];
	uint32_t mode, nlink, uid, gid, blksize;
};

void sf_cattr_pack(struct sf_cattr *a, const struct stat *st);
/* Every other field of st is zero. */
void sf_cattr_unpack(const struct sf_cattr *a, struct stat *st);

#endif
