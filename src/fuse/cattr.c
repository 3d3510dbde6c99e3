/* cattr.c - compact attributes (cattr.h). */
#include "fuse/cattr.h"

#include <string.h>

void sf_cattr_pack(struct sf_cattr *a, const struct stat *st)
{
	a->size = st->st_size;
	a->blocks = st->st_blocks;
	a->ino = st->st_ino;
	a->rdev = st->st_rdev;
	const struct timespec *t[3] = {&st->st_atim, &st->st_mtim, &st->st_ctim};
	for (int i = 0; i < 3; i++) {
		a->sec[i] = t[i]->tv_sec;
		a->nsec[i] = (int32_t)t[i]->tv_nsec;
	}
	a->mode = st->st_mode;
	a->nlink = (uint32_t)st->st_nlink;
	a->uid = st->st_uid;
	a->gid = st->st_gid;
	a->blksize = (uint32_t)st->st_blksize;
}

void sf_cattr_unpack(const struct sf_cattr *a, struct stat *st)
{
	memset(st, 0, sizeof *st);
	st->st_size = a->size;
	st->st_blocks = a->blocks;
	st->st_ino = a->ino;
	st->st_rdev = a->rdev;
	struct timespec *t[3] = {&st->st_atim, &st->st_mtim, &st->st_ctim};
	for (int i = 0; i < 3; i++) {
		t[i]->tv_sec = a->sec[i];
		t[i]->tv_nsec = a->nsec[i];
	}
	st->st_mode = a->mode;
	st->st_nlink = a->nlink;
	st->st_uid = a->uid;
	st->st_gid = a->gid;
	st->st_blksize = a->blksize;
}
