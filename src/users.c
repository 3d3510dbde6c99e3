/* users.c - multiuser: a session per local user (the model: users.h). */
#define G_LOG_DOMAIN "smbfuse-users"

#include "users.h"

#include "auth/creds.h"
#include "proto/ntstatus.h"

#include <errno.h>
#include <linux/fuse.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A user refused for want of credentials is asked again this soon, or at
 * once when the ticket cache changed (a kinit): no KDC or server traffic
 * for every request of a user who has no tickets. */
#define RETRY_US (2 * G_USEC_PER_SEC)

enum user_state { U_NONE, U_CONNECTING, U_READY, U_DENIED };

struct user {
	struct sf_users *us;
	uid_t uid;
	enum user_state state;
	struct sf_creds *creds; /* outlives the pool's use of it (freed last) */
	sf_tree *tree;          /* referenced while READY */
	sf_fs *fs;
	GQueue waiting; /* struct fuse_buf copies, while CONNECTING */
	gint64 last_used, denied_at;
	struct timespec cache_mtime; /* of the cache when it was refused */
};

struct sf_users {
	struct sf_users_opts o;
	struct sf_fs_config fc;
	GHashTable *users; /* uid -> struct user */
	guint idle_src;
	bool closing;
	struct sf_users_stats st;
};

/* ---- which requests need the caller's identity --------------------------- */

/* Requests on something already open (or about the FUSE session itself)
 * run on whatever session opened it; every other one acts by name and
 * needs the caller's own session. */
static bool needs_identity(uint32_t opcode)
{
	switch (opcode) {
	case FUSE_INIT:
	case FUSE_DESTROY:
	case FUSE_FORGET:
	case FUSE_BATCH_FORGET:
	case FUSE_INTERRUPT:
	case FUSE_NOTIFY_REPLY:
	case FUSE_READ:
	case FUSE_WRITE:
	case FUSE_FLUSH:
	case FUSE_FSYNC:
	case FUSE_RELEASE:
	case FUSE_RELEASEDIR:
	case FUSE_FSYNCDIR:
	case FUSE_GETLK:
	case FUSE_SETLK:
	case FUSE_SETLKW:
	case FUSE_FALLOCATE:
	case FUSE_LSEEK:
	case FUSE_COPY_FILE_RANGE:
	case FUSE_IOCTL:
	case FUSE_POLL:
	case FUSE_BMAP:
		return false;
	default:
		/* READDIR too: the listing is made by path at the first one. */
		return true;
	}
}

static void answer_error(struct sf_users *us, uint64_t unique, int err)
{
	struct fuse_out_header h = {.len = sizeof h, .error = -err, .unique = unique};
	ssize_t n = write(fuse_session_fd(*us->o.se), &h, sizeof h);
	(void)n; /* the request may be gone (interrupted): nothing to do */
}

/* ---- credentials ------------------------------------------------------- */

/* The uid's ticket cache, when it is one that uid made: a regular file it
 * owns. NULL with *why otherwise. (Heimdal has no kernel keyring caches,
 * so KEYRING:persistent:<uid> is not looked for.) */
static char *cache_of(uid_t uid, struct timespec *mtime, char **why)
{
	char *path = g_strdup_printf("/tmp/krb5cc_%u", (unsigned)uid);
	struct stat st;
	char *out = NULL;
	if (lstat(path, &st) != 0)
		*why = g_strdup_printf("no Kerberos ticket cache (%s: %s)", path,
		                       g_strerror(errno));
	else if (!S_ISREG(st.st_mode) || st.st_uid != uid)
		*why = g_strdup_printf("%s is not a file owned by uid %u: not used", path,
		                       (unsigned)uid);
	else {
		out = g_strconcat("FILE:", path, NULL);
		*mtime = st.st_mtim;
	}
	g_free(path);
	return out;
}

/* ---- a user's session ---------------------------------------------------- */

static void run_waiting(struct user *u)
{
	struct fuse_buf *b;
	while ((b = g_queue_pop_head(&u->waiting))) {
		if (u->state == U_READY && !u->us->closing)
			u->us->o.process(u->us->o.ctx, b);
		else {
			const struct fuse_in_header *h = b->mem;
			answer_error(u->us, h->unique, EACCES);
			u->us->st.denied++;
		}
		g_free(b->mem);
		g_free(b);
	}
}

static void deny(struct user *u, const char *why)
{
	if (u->state != U_DENIED) /* once per refusal, not per request */
		g_message("multiuser: uid %u: %s: access denied", (unsigned)u->uid, why);
	u->state = U_DENIED;
	u->denied_at = g_get_monotonic_time();
}

static void connected(sf_tree *t, uint32_t status, const char *why, void *user)
{
	struct user *u = user;
	struct sf_users *us = u->us;
	if (status || us->closing) {
		if (t)
			sf_tree_unref(t);
		deny(u, why ? why : sf_ntstatus_name(status));
		run_waiting(u);
		return;
	}
	u->tree = t;
	u->fs = sf_fs_new(t, &us->fc);
	sf_fs_adopt(us->o.top, u->fs);
	u->state = U_READY;
	u->last_used = g_get_monotonic_time();
	us->st.sessions++;
	g_debug("multiuser: uid %u: session set up", (unsigned)u->uid);
	run_waiting(u);
}

static void connect_user(struct user *u)
{
	struct sf_users *us = u->us;
	char *why = NULL;
	char *cc = cache_of(u->uid, &u->cache_mtime, &why);
	if (!cc) {
		deny(u, why);
		g_free(why);
		return;
	}
	if (!u->creds) {
		u->creds = sf_creds_new();
		if (us->o.mount_creds->spn)
			sf_creds_set(&u->creds->spn, us->o.mount_creds->spn);
	}
	sf_creds_set(&u->creds->krb5_ccache, cc);
	u->creds->krb5_ccache_owned = true; /* checked again when it is read */
	u->creds->krb5_ccache_uid = u->uid;
	g_free(cc);
	struct sf_pool_server_opts po = us->o.client->po;
	po.session.kind = SF_AUTH_KRB5;
	po.session.creds = u->creds;
	u->state = U_CONNECTING;
	sf_pool_get_tree(us->o.client->pool, &po, us->o.share, connected, u);
}

/* A refused user is tried again after a while, or once the cache changed. */
static bool retry_due(struct user *u)
{
	if (g_get_monotonic_time() - u->denied_at >= RETRY_US)
		return true;
	char *path = g_strdup_printf("/tmp/krb5cc_%u", (unsigned)u->uid);
	struct stat st;
	bool changed = lstat(path, &st) == 0 && (st.st_mtim.tv_sec != u->cache_mtime.tv_sec ||
	                                         st.st_mtim.tv_nsec != u->cache_mtime.tv_nsec);
	g_free(path);
	return changed;
}

static struct user *user_of(struct sf_users *us, uid_t uid)
{
	struct user *u = g_hash_table_lookup(us->users, GUINT_TO_POINTER(uid));
	if (!u) {
		u = g_new0(struct user, 1);
		u->us = us;
		u->uid = uid;
		g_queue_init(&u->waiting);
		g_hash_table_insert(us->users, GUINT_TO_POINTER(uid), u);
	}
	return u;
}

bool sf_users_admit(struct sf_users *us, const void *mem, size_t len)
{
	struct fuse_in_header h;
	if (len < sizeof h)
		return true; /* libfuse answers a short request itself */
	memcpy(&h, mem, sizeof h);
	if (!needs_identity(h.opcode) || h.uid == us->o.owner_uid)
		return true;
	struct user *u = user_of(us, h.uid);
	if (u->state == U_DENIED && retry_due(u))
		u->state = U_NONE;
	if (u->state == U_NONE)
		connect_user(u);
	switch (u->state) {
	case U_READY:
		u->last_used = g_get_monotonic_time();
		return true;
	case U_CONNECTING: {
		struct fuse_buf *b = g_new0(struct fuse_buf, 1);
		b->size = len;
		b->mem = g_memdup2(mem, len);
		us->st.waited++;
		g_queue_push_tail(&u->waiting, b);
		return false;
	}
	default:
		answer_error(us, h.unique, EACCES);
		us->st.denied++;
		return false;
	}
}

/* ---- the fs layer's view ---------------------------------------------- */

static sf_fs *lookup(void *ctx, uid_t uid)
{
	struct sf_users *us = ctx;
	if (uid == us->o.owner_uid)
		return us->o.top;
	struct user *u = g_hash_table_lookup(us->users, GUINT_TO_POINTER(uid));
	return u && u->state == U_READY ? u->fs : NULL;
}

static void each(void *ctx, void (*fn)(sf_fs *fs, void *user), void *user)
{
	struct sf_users *us = ctx;
	GHashTableIter it;
	gpointer v;
	g_hash_table_iter_init(&it, us->users);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct user *u = v;
		if (u->state == U_READY)
			fn(u->fs, user);
	}
}

/* ---- logging off ---------------------------------------------------------- */

static void log_off(struct user *u)
{
	struct sf_users *us = u->us;
	sf_fs_stop(u->fs);
	sf_fs_free(u->fs);
	u->fs = NULL;
	sf_pool_release(us->o.client->pool, u->tree);
	sf_tree_unref(u->tree);
	u->tree = NULL;
	u->state = U_NONE;
}

static gboolean idle_check(gpointer p)
{
	struct sf_users *us = p;
	gint64 now = g_get_monotonic_time();
	GHashTableIter it;
	gpointer v;
	g_hash_table_iter_init(&it, us->users);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct user *u = v;
		if (u->state != U_READY ||
		    now - u->last_used < (gint64)us->o.idle_s * G_USEC_PER_SEC)
			continue;
		if (sf_fs_open_count(u->fs) || sf_fs_outstanding(u->fs))
			continue;
		g_message("multiuser: uid %u: idle for %u s: logged off", (unsigned)u->uid,
		          us->o.idle_s);
		us->st.logoffs++;
		log_off(u);
	}
	return G_SOURCE_CONTINUE;
}

struct sf_users *sf_users_new(const struct sf_users_opts *o)
{
	struct sf_users *us = g_new0(struct sf_users, 1);
	us->o = *o;
	us->fc = *o->fc;
	us->fc.secondary = true;
	us->fc.prefix = g_strdup(o->fc->prefix);
	us->users = g_hash_table_new(NULL, NULL);
	struct sf_fs_users hooks = {.lookup = lookup, .each = each, .ctx = us};
	sf_fs_set_users(o->top, &hooks);
	unsigned tick = MAX(1u, o->idle_s / 2);
	us->idle_src = g_timeout_add_seconds(tick, idle_check, us);
	return us;
}

void sf_users_stats(const struct sf_users *us, struct sf_users_stats *out)
{
	*out = us->st;
	out->active = 1; /* the mount's own */
	GHashTableIter it;
	gpointer v;
	g_hash_table_iter_init(&it, us->users);
	while (g_hash_table_iter_next(&it, NULL, &v))
		out->active += ((struct user *)v)->state == U_READY;
}

void sf_users_close(struct sf_users *us)
{
	us->closing = true;
	if (us->idle_src) {
		g_source_remove(us->idle_src);
		us->idle_src = 0;
	}
	GHashTableIter it;
	gpointer v;
	g_hash_table_iter_init(&it, us->users);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct user *u = v;
		run_waiting(u); /* answered EACCES: unmounting */
		if (u->state == U_READY)
			sf_fs_close_all(u->fs);
	}
	/* The CLOSEs are answered before the LOGOFFs (bounded: a lost
	 * server must not hold the unmount). */
	gint64 deadline = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
	bool busy = true;
	while (busy && g_get_monotonic_time() < deadline) {
		busy = false;
		g_hash_table_iter_init(&it, us->users);
		while (g_hash_table_iter_next(&it, NULL, &v)) {
			struct user *u = v;
			if (u->state == U_READY && sf_tree_up(u->tree) && sf_fs_outstanding(u->fs))
				busy = true;
		}
		if (busy)
			g_main_context_iteration(NULL, TRUE);
	}
	/* LOGOFF; the fs stay until sf_users_free: what is still in flight
	 * completes into them when the connections close. */
	g_hash_table_iter_init(&it, us->users);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct user *u = v;
		if (u->state == U_READY) {
			sf_fs_stop(u->fs);
			sf_pool_release(us->o.client->pool, u->tree);
			u->state = U_NONE;
		}
	}
}

void sf_users_free(struct sf_users *us)
{
	if (!us)
		return;
	GHashTableIter it;
	gpointer v;
	g_hash_table_iter_init(&it, us->users);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct user *u = v;
		if (u->fs)
			sf_fs_free(u->fs);
		if (u->tree)
			sf_tree_unref(u->tree);
		sf_creds_free(u->creds);
		g_free(u);
	}
	g_hash_table_destroy(us->users);
	g_free((char *)us->fc.prefix);
	g_free(us);
}
