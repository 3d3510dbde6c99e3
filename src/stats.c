/* stats.c - the counters of a mount as text (see stats.h). */
#include "stats.h"

#include "net/pool.h"

#include <inttypes.h>

static const char *const fuse_op_names[SF_FUSE_OPCODES] = {
        [1] = "LOOKUP",
        [2] = "FORGET",
        [3] = "GETATTR",
        [4] = "SETATTR",
        [5] = "READLINK",
        [6] = "SYMLINK",
        [8] = "MKNOD",
        [9] = "MKDIR",
        [10] = "UNLINK",
        [11] = "RMDIR",
        [12] = "RENAME",
        [13] = "LINK",
        [14] = "OPEN",
        [15] = "READ",
        [16] = "WRITE",
        [17] = "STATFS",
        [18] = "RELEASE",
        [20] = "FSYNC",
        [21] = "SETXATTR",
        [22] = "GETXATTR",
        [23] = "LISTXATTR",
        [24] = "REMOVEXATTR",
        [25] = "FLUSH",
        [26] = "INIT",
        [27] = "OPENDIR",
        [28] = "READDIR",
        [29] = "RELEASEDIR",
        [30] = "FSYNCDIR",
        [31] = "GETLK",
        [32] = "SETLK",
        [33] = "SETLKW",
        [34] = "ACCESS",
        [35] = "CREATE",
        [36] = "INTERRUPT",
        [38] = "DESTROY",
        [42] = "BATCH_FORGET",
        [43] = "FALLOCATE",
        [44] = "READDIRPLUS",
        [45] = "RENAME2",
        [46] = "LSEEK",
        [47] = "COPY_FILE_RANGE",
};

static void emit(GString *s, sf_stats_line_fn line, void *user)
{
	line(s->str, user);
	g_string_truncate(s, 0);
}

void sf_stats_emit(const struct sf_client *cl, const struct sf_fuse *f, sf_stats_line_fn line,
                   void *user)
{
	GString *s = g_string_new(NULL);
	const struct sf_resilience_stats *rs = cl && cl->pool ? sf_pool_stats(cl->pool) : NULL;
	if (rs) {
		g_string_printf(s,
		                "smbfuse: resilience: reconnects=%" PRIu64 " replays=%" PRIu64
		                " handles_reclaimed=%" PRIu64 " handles_lost=%" PRIu64
		                " handles_reopened=%" PRIu64 " timeouts=%" PRIu64,
		                rs->reconnects, rs->replays, rs->handles_reclaimed,
		                rs->handles_lost, rs->handles_reopened, rs->timeouts);
		emit(s, line, user);
	}
	if (cl && cl->pool) {
		/* One connection and one session however many shares of a
		 * server root were entered (the server-root tests read this). */
		struct sf_pool_counts pc;
		sf_pool_counts(cl->pool, &pc);
		g_string_printf(s,
		                "smbfuse: pool: connections=%u sessions=%u trees=%u "
		                "shares_entered=%u",
		                pc.conns, pc.sessions, pc.trees,
		                f && f->fs ? sf_fs_root_connected(f->fs) : 0);
		emit(s, line, user);
	}
	struct sf_conn_stats cs = {0};
	if (cl && cl->conn)
		sf_conn_stats(cl->conn, &cs);
	g_string_printf(s,
	                "smbfuse: traffic: round_trips=%" PRIu64 " frames_received=%" PRIu64
	                " bytes_sent=%" PRIu64 " bytes_received=%" PRIu64 " signed=%" PRIu64
	                " verified=%" PRIu64 " sealed=%" PRIu64 " unsealed=%" PRIu64
	                " credits_granted=%" PRIu64 " credits=%u",
	                cs.sent, cs.received, cs.bytes_sent, cs.bytes_received, cs.signed_sent,
	                cs.verified, cs.encrypted_sent, cs.decrypted, cs.credits_granted,
	                cs.credits);
	emit(s, line, user);
	g_string_assign(s, "smbfuse: requests:");
	for (unsigned i = 0; i < G_N_ELEMENTS(cs.requests); i++)
		if (cs.requests[i])
			g_string_append_printf(s, " %s=%" PRIu64, smb2_command_name((uint16_t)i),
			                       cs.requests[i]);
	emit(s, line, user);
	if (!f)
		goto out;
	/* Round trips per operation: every frame sent, over the operations
	 * the kernel asked for (FORGETs and INTERRUPTs answer nothing). */
	uint64_t ops = 0;
	g_string_assign(s, "smbfuse: fuse:");
	for (unsigned i = 0; i < SF_FUSE_OPCODES; i++) {
		if (!f->stats.ops[i])
			continue;
		if (i != 2 && i != 36 && i != 42)
			ops += f->stats.ops[i];
		if (fuse_op_names[i])
			g_string_append_printf(s, " %s=%" PRIu64, fuse_op_names[i],
			                       f->stats.ops[i]);
		else
			g_string_append_printf(s, " op%u=%" PRIu64, i, f->stats.ops[i]);
	}
	g_string_append_printf(s, " operations=%" PRIu64 " round_trips_per_operation=%.2f", ops,
	                       ops ? (double)cs.sent / (double)ops : 0.0);
	emit(s, line, user);
	g_string_printf(
	        s,
	        "smbfuse: cache: lease_breaks=%" PRIu64 " writes_behind=%" PRIu64
	        " writes_waited=%" PRIu64 " write_errors_deferred=%" PRIu64
	        " negative_lookups_local=%" PRIu64 " opens_kept_cache=%" PRIu64
	        " cache_dropped_by_break=%" PRIu64 " setattr_local=%" PRIu64
	        " lookups_from_listing=%" PRIu64 " creates_lazy=%" PRIu64
	        " held_for_create=%" PRIu64 " dirs_watched=%" PRIu64 " watches_ended=%" PRIu64
	        " notifications=%" PRIu64 " dir_leases=%" PRIu64 " dir_lease_hits=%" PRIu64
	        " closes_deferred=%" PRIu64 " deferred_close_hits=%" PRIu64,
	        rs ? rs->lease_breaks : 0, f->stats.writes_behind, f->stats.writes_waited,
	        f->stats.write_errors_deferred, f->stats.negative_hits, f->stats.cache_kept,
	        f->stats.cache_dropped, f->stats.setattr_local, f->stats.listing_hits,
	        f->stats.lazy_creates, f->stats.lazy_held, f->stats.watches_started,
	        f->stats.watches_ended, f->stats.notifications, f->stats.dir_leases,
	        f->stats.dir_lease_hits, f->stats.closes_deferred, f->stats.deferred_close_hits);
	emit(s, line, user);
out:
	g_string_free(s, TRUE);
}
