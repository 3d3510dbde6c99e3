/* lazy.c - new files created without waiting for the server.
 *
 * A file that is created, written and closed at once (unpacking an
 * archive) costs one round trip instead of two: the kernel's CREATE is
 * answered at once with a handle whose SMB CREATE goes with the first
 * write (fs/lazyopen.c). Only for a name this mount knows to be absent
 * (the directory's known names, dircache.c), so that the answer given is
 * the one the server will give; a failure of the CREATE after all is
 * reported by the next write, flush or fsync of the file, as a failed
 * write-behind is.
 *
 * Until the CREATE is answered, the file exists for the kernel and not
 * yet on the server: everything that waits for the file's writes waits
 * for it too (writebehind.c), and every other request, which may name the
 * file (open, rename, unlink, link, xattrs, a listing), is held here until
 * no such CREATE is left (and those are sent at once). */
#define G_LOG_DOMAIN "smbfuse-fuse"

#include "fuse/ops_int.h"

#include <errno.h>
#include <linux/fuse.h>
#include <string.h>

/* What may pass while a lazily created file is not on the server yet:
 * requests about open files (their handles wait themselves) and the
 * kernel's bookkeeping. */
static bool passes(uint32_t opcode)
{
	switch (opcode) {
	case FUSE_INIT:
	case FUSE_DESTROY:
	case FUSE_FORGET:
	case FUSE_BATCH_FORGET:
	case FUSE_INTERRUPT:
	case FUSE_NOTIFY_REPLY:
	case FUSE_WRITE:
	case FUSE_READ:
	case FUSE_FLUSH:
	case FUSE_FSYNC:
	case FUSE_RELEASE:
	case FUSE_GETATTR:
	case FUSE_SETATTR:
	/* on an open file, each waits for the file's writes (and so for
	 * its CREATE) itself, or is not implemented here (ioctl, poll, bmap:
	 * answered ENOSYS by libfuse, as `isatty` after every open asks) */
	case FUSE_LSEEK:
	case FUSE_FALLOCATE:
	case FUSE_COPY_FILE_RANGE:
	case FUSE_GETLK:
	case FUSE_SETLK:
	case FUSE_SETLKW:
	case FUSE_IOCTL:
	case FUSE_POLL:
	case FUSE_BMAP:
		return true;
	default:
		return false;
	}
}

struct lazy_file {
	struct sf_fuse *f;
	uint64_t ino;
	struct sf_fs_handle *h; /* valid until created() (a close waits) */
	bool asked;
};

static void noop(void *user, int err)
{
}

/* Send every CREATE not sent yet: something waits for them. */
static void send_all(struct sf_fuse *f)
{
	for (GList *l = f->lazy_files.head; l; l = l->next) {
		struct lazy_file *x = l->data;
		if (!x->asked) {
			x->asked = true;
			sf_fs_when_open(f->fs, x->h, noop, NULL);
		}
	}
}

/* GETXATTR of a name outside user.* is answered without the server
 * (EOPNOTSUPP); the kernel asks for security.capability before the first
 * write of every file. */
static bool local_xattr(const uint8_t *mem, size_t len)
{
	size_t at = sizeof(struct fuse_in_header) + sizeof(struct fuse_getxattr_in);
	return len > at + 5 && memcmp(mem + at, "user.", 5) != 0;
}

bool sf_lazy_admit(struct sf_fuse *f, const void *mem, size_t len)
{
	if (!f->lazy_pending || len < sizeof(struct fuse_in_header))
		return true;
	struct fuse_in_header h;
	memcpy(&h, mem, sizeof h);
	if (passes(h.opcode) || (h.opcode == FUSE_GETXATTR && local_xattr(mem, len)))
		return true;
	struct fuse_buf *b = g_new0(struct fuse_buf, 1);
	b->size = len;
	b->mem = g_memdup2(mem, len);
	g_queue_push_tail(&f->lazy_held, b);
	f->stats.lazy_held++;
	send_all(f);
	return false;
}

static void run_held(struct sf_fuse *f)
{
	/* A held request may create lazily again: then the rest waits on. */
	struct fuse_buf *b;
	while (!f->lazy_pending && (b = g_queue_pop_head(&f->lazy_held))) {
		f->process(f->process_ctx, b);
		g_free(b->mem);
		g_free(b);
	}
}

static void created(void *user, int err)
{
	struct lazy_file *l = user;
	struct sf_fuse *f = l->f;
	g_queue_remove(&f->lazy_files, l);
	/* (h is still open: a close waiting for the CREATE comes after) */
	if (!err)
		sf_itable_set_file_id(f->inodes, l->ino, l->h->file_id);
	sf_wb_lazy_done(f, l->ino, err);
	g_free(l);
	if (f->lazy_pending && --f->lazy_pending == 0 && !f->stopping)
		run_held(f);
}

void sf_lazy_created(struct sf_fuse *f, uint64_t ino, struct sf_fs_handle *h)
{
	struct lazy_file *l = g_new0(struct lazy_file, 1);
	l->f = f;
	l->ino = ino;
	l->h = h;
	g_queue_push_tail(&f->lazy_files, l);
	f->lazy_pending++;
	f->stats.lazy_creates++;
	sf_wb_lazy_begin(f, ino, h);
	sf_fs_on_open(f->fs, h, created, l);
}

/* fstat(2) right after creat(2) (Python's open(), cp: for the block
 * size): the CREATE goes alone and the stat is answered with what it
 * returns (the server's file id as st_ino: tar compares it later), one
 * round trip, as it was before files were created lazily. */
struct sf_fs_handle *sf_lazy_unsent(struct sf_fuse *f, uint64_t ino)
{
	for (GList *l = f->lazy_files.head; l; l = l->next) {
		struct lazy_file *x = l->data;
		if (x->ino == ino && sf_fs_handle_unsent(x->h))
			return x->h;
	}
	return NULL;
}

void sf_lazy_stop(struct sf_fuse *f)
{
	/* The CREATEs still out complete into freed state no more. */
	g_queue_clear_full(&f->lazy_files, g_free);
	f->lazy_pending = 0;
	struct fuse_buf *b;
	while ((b = g_queue_pop_head(&f->lazy_held))) {
		struct fuse_in_header h;
		memcpy(&h, b->mem, sizeof h);
		struct fuse_out_header o = {.len = sizeof o, .error = -EIO, .unique = h.unique};
		if (f->se && write(fuse_session_fd(f->se), &o, sizeof o) < 0)
			g_debug("answering a held request: %s", g_strerror(errno));
		g_free(b->mem);
		g_free(b);
	}
}
