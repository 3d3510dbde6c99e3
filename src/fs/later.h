/* later.h - internal to fs/: answers that need no request to the server
 * (a name that cannot be sent, nothing to unlock) are still delivered
 * from the main loop, never from inside the call that asked: callers may
 * use what the call returned after it returned (architecture.md,
 * "Ownership"). Only failures and payload-free successes go this way;
 * the payload arguments of the callback are NULL or 0. */
#ifndef SF_FS_LATER_H
#define SF_FS_LATER_H

#include "fs/fs.h"

enum later_kind {
	LATER_ERR,
	LATER_STAT,
	LATER_OPEN,
	LATER_DATA,
	LATER_COUNT,
	LATER_STATVFS,
	LATER_DIR,
	LATER_RANGES,
	LATER_XATTRS,
	LATER_LINK,
};

typedef void (*later_any_fn)(void);
void fs_later(sf_fs *fs, enum later_kind kind, later_any_fn cb, void *user, int err);

static inline void later_err(sf_fs *fs, sf_fs_err_fn cb, void *user, int err)
{
	fs_later(fs, LATER_ERR, (later_any_fn)cb, user, err);
}
static inline void later_stat(sf_fs *fs, sf_fs_stat_fn cb, void *user, int err)
{
	fs_later(fs, LATER_STAT, (later_any_fn)cb, user, err);
}
static inline void later_open(sf_fs *fs, sf_fs_open_fn cb, void *user, int err)
{
	fs_later(fs, LATER_OPEN, (later_any_fn)cb, user, err);
}
static inline void later_data(sf_fs *fs, sf_fs_data_fn cb, void *user, int err)
{
	fs_later(fs, LATER_DATA, (later_any_fn)cb, user, err);
}
static inline void later_count(sf_fs *fs, sf_fs_count_fn cb, void *user, int err)
{
	fs_later(fs, LATER_COUNT, (later_any_fn)cb, user, err);
}
static inline void later_statvfs(sf_fs *fs, sf_fs_statvfs_fn cb, void *user, int err)
{
	fs_later(fs, LATER_STATVFS, (later_any_fn)cb, user, err);
}
static inline void later_dir(sf_fs *fs, sf_fs_dir_fn cb, void *user, int err)
{
	fs_later(fs, LATER_DIR, (later_any_fn)cb, user, err);
}
static inline void later_ranges(sf_fs *fs, sf_fs_ranges_fn cb, void *user, int err)
{
	fs_later(fs, LATER_RANGES, (later_any_fn)cb, user, err);
}
static inline void later_xattrs(sf_fs *fs, sf_fs_xattrs_fn cb, void *user, int err)
{
	fs_later(fs, LATER_XATTRS, (later_any_fn)cb, user, err);
}
static inline void later_link(sf_fs *fs, sf_fs_link_fn cb, void *user, int err)
{
	fs_later(fs, LATER_LINK, (later_any_fn)cb, user, err);
}

#endif
