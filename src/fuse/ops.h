/* ops.h - the FUSE low-level operations, mapped onto fs/. Each handler
 * submits SMB requests and returns; the reply happens in the completion
 * callback, exactly once per FUSE request. */
#ifndef SF_FUSE_OPS_H
#define SF_FUSE_OPS_H

#define FUSE_USE_VERSION 35
#include "fs/fs.h"
#include "fuse/inode.h"

#include <fuse_lowlevel.h>

/* FUSE opcodes counted (they are below 64). */
#define SF_FUSE_OPCODES 64

struct sf_fuse_stats {
	uint64_t ops[SF_FUSE_OPCODES];  /* FUSE requests, by opcode */
	uint64_t writes_behind;         /* writes acknowledged before the server answered */
	uint64_t writes_waited;         /* writes that waited for room first */
	uint64_t write_errors_deferred; /* failures reported at a later call */
	uint64_t negative_hits;         /* lookups answered "absent" locally */
	uint64_t cache_kept;            /* opens that kept the cached pages */
	uint64_t cache_dropped;         /* lease breaks that dropped them */
	uint64_t setattr_local;         /* SETATTRs that changed nothing storable */
	uint64_t listing_hits;          /* LOOKUPs answered from a listing */
	uint64_t lazy_creates;          /* files created without waiting (lazy.c) */
	uint64_t lazy_held;             /* requests that waited for such a CREATE */
	uint64_t watches_started;       /* directories watched (watch.c) */
	uint64_t watches_ended;         /* watches the server ended */
	uint64_t notifications;         /* changes told by the server */
	uint64_t dir_leases;            /* watches granted a directory lease */
	uint64_t dir_lease_hits;        /* listings and stats answered under one */
	uint64_t closes_deferred;       /* handles kept open after close (dclose.c) */
	uint64_t deferred_close_hits;   /* opens that took such a handle */
};

struct sf_fuse {
	sf_fs *fs;
	struct sf_itable *inodes;
	double attr_timeout, entry_timeout;
	int watch_max;      /* directories watched at once (max_cached_dirs) */
	int closetimeo_ms;  /* closed files kept open this long (dclose.c) */
	GHashTable *parked; /* node id -> handle kept open (dclose.c) */
	bool serverino;
	bool direct_io;       /* cache=none */
	bool writeback_cache; /* cache=loose: the kernel keeps dirty pages */
	bool stopping;        /* teardown began: no operation starts any more */
	bool ro;
	bool mfsymlinks; /* symlinks as Minshall+French files */
	bool brl;        /* byte-range locks go to the server (not nobrl) */
	uint32_t max_read, max_write;
	uint32_t readahead; /* bytes the kernel reads ahead (rasize=) */
	GHashTable *dirs;   /* open directory states (the kernel's RELEASEDIR
	                     * is not read after teardown starts) */
	GHashTable *opens;  /* node id -> open file handles (silly.c) */
	GHashTable *hidden; /* node id -> its names renamed away while open
	                     * (silly.c) */
	unsigned hidden_seq;
	GHashTable *wb; /* node id -> writes in flight (writebehind.c) */
	struct sf_fuse_stats stats;
	GHashTable *dcache;      /* dir node id -> its names (dircache.c) */
	struct fuse_session *se; /* for notifications (pagecache.c) */
	GHashTable *acache;      /* node id -> attributes (attrcache.c) */
	GHashTable *achanged;    /* node id -> when this mount last changed it */
	GHashTable *pcache;      /* node id -> what its cached pages are of */
	GThreadPool *inval_pool; /* where the kernel is told to drop pages */
	uint64_t dcache_changes; /* changes of any directory by this mount */
	GHashTable *watched;     /* dir node id -> struct fw (watch.c) */
	GQueue watch_lru;        /* the same, most recently listed first */
	GThreadPool *watch_pool; /* where the kernel is told of changes */
	/* Interrupts: every request the server is asked while one FUSE
	 * request is being dispatched carries its group number; an INTERRUPT
	 * for it cancels them (they answer EINTR), so that Ctrl-C works on a
	 * process waiting for a lost server. */
	uint64_t dispatch_group, next_group;
	bool group_watched;
	/* lazy.c: files created without waiting whose CREATE is unanswered,
	 * and the requests held until none is (they might need one). */
	bool lazy;             /* create files so (not cache=none) */
	unsigned lazy_pending; /* such CREATEs unanswered */
	GQueue lazy_held;      /* struct fuse_buf copies */
	GQueue lazy_files;     /* lazy.c's, CREATE unanswered */
	void (*process)(void *ctx, const struct fuse_buf *buf); /* mountctl's */
	void *process_ctx;
};

/* readahead.c: the kernel's read-ahead window for the mount (root only;
 * right after mount(2), before INIT is answered). */
void sf_fuse_set_readahead(const char *mountpoint, uint32_t bytes);

/* Around the dispatch of one FUSE request (mountctl's loop). */
void sf_fuse_dispatch_begin(struct sf_fuse *f);
void sf_fuse_dispatch_end(struct sf_fuse *f);

/* pagecache.c: the page cache kept across opens under read leases.
 * Start once the session is mounted; stop before it is destroyed. */
void sf_pc_start(struct sf_fuse *f);
void sf_pc_stop(struct sf_fuse *f);

/* lazy.c: a request from /dev/fuse: true when it may run now, false when
 * it was kept until every lazily created file's CREATE is answered (then
 * it runs through f->process). Only writes, flushes, releases and the
 * like pass while one is unanswered; a request by name could need the
 * file to exist on the server. */
bool sf_lazy_admit(struct sf_fuse *f, const void *mem, size_t len);
/* Teardown: the held requests are answered EIO. */
void sf_lazy_stop(struct sf_fuse *f);

/* dclose.c: teardown: the handles kept open after their close (closetimeo)
 * are closed, before sf_fs_close_all. */
void sf_dc_stop(struct sf_fuse *f);

/* Frees what the kernel never released (teardown only). */
void sf_fuse_drop_open(struct sf_fuse *f);

extern const struct fuse_lowlevel_ops sf_fuse_ops;

#endif
