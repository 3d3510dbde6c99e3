/* lock.c - POSIX record locks and flock() over SMB2 LOCK (MS-SMB2 2.2.26,
 * 3.2.4.19).
 *
 * SMB byte-range locks belong to a handle and neither merge nor convert;
 * POSIX locks belong to an owner and do both. We keep each handle's locks
 * (owner, range, type) and emulate: a new lock first releases this
 * owner's overlapping locks on the server, then takes the new range and
 * re-takes the parts of the old locks outside it; an unlock releases what
 * it covers and re-takes the remainders. If the new lock is refused, the
 * released locks are taken back. The steps are not atomic on the server,
 * which POSIX upgrades cannot be over SMB. */
#define G_LOG_DOMAIN "smbfuse-fs"

#include "fs/call.h"
#include "fs/later.h"

#include "proto/lock.h"
#include "proto/ntstatus.h"
#include "util/bytes.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

struct held {
	uint64_t owner;
	uint64_t start, len; /* len: bytes, never 0 */
	bool exclusive;
};

/* One LOCK request still to send, in order. A lock step that succeeds
 * records `rec` in the handle's list; unlock steps record nothing (the
 * lock left the list when the step was planned). */
struct step {
	struct smb2_lock_element e;
	bool may_fail; /* re-taking remainders: a failure is tolerated */
	bool is_target;
	bool record;
	struct held rec;
};

struct sf_fs_lockop {
	sf_fs *fs;
	struct sf_fs_handle *h;
	GArray *steps; /* struct step */
	guint next;
	GArray *released; /* struct held, to restore if the target fails */
	struct held target;
	bool unlock, wait;
	sf_req_handle req;         /* the request in flight, for cancel */
	uint32_t seq_idx, seq_num; /* its LockSequence */
	bool in_flight;
	int fail_err; /* the target was refused: report this after restoring */
	sf_fs_err_fn cb;
	void *user;
};

static uint64_t end_of(const struct held *l)
{
	return l->len > UINT64_MAX - l->start ? UINT64_MAX : l->start + l->len;
}

static bool overlaps(const struct held *a, uint64_t start, uint64_t end)
{
	return a->start < end && end_of(a) > start;
}

static GArray *locks_of(struct sf_fs_handle *h)
{
	if (!h->locks)
		h->locks = g_array_new(FALSE, FALSE, sizeof(struct held));
	return h->locks;
}

static void add_step(struct sf_fs_lockop *o, uint64_t start, uint64_t len, uint32_t flags,
                     bool may_fail, bool target, const struct held *rec)
{
	struct step s = {.e = {start, len, flags}, .may_fail = may_fail, .is_target = target};
	if (rec) {
		s.record = true;
		s.rec = *rec;
	}
	g_array_append_val(o->steps, s);
}

static uint32_t lock_flags(bool exclusive, bool wait)
{
	return (exclusive ? SMB2_LOCKFLAG_EXCLUSIVE_LOCK : SMB2_LOCKFLAG_SHARED_LOCK) |
	       (wait ? 0 : SMB2_LOCKFLAG_FAIL_IMMEDIATELY);
}

static void run_next(struct sf_fs_lockop *o);

static void finish(struct sf_fs_lockop *o, int err)
{
	/* The tree must know whether a handle holds locks: one that does is
	 * never silently reopened without them after a reconnect. */
	sf_tree_handle_locks(o->fs->tree, o->h->fid, o->h->locks ? o->h->locks->len : 0);
	sf_fs_err_fn cb = o->cb;
	void *user = o->user;
	g_array_unref(o->steps);
	g_array_unref(o->released);
	g_free(o);
	cb(user, err);
}

static void step_done(void *user, uint32_t status, const uint8_t *pdu, size_t len)
{
	struct sf_fs_lockop *o = user;
	o->in_flight = false;
	struct step *s = &g_array_index(o->steps, struct step, o->next);
	o->next++;
	bool unlock = s->e.flags & SMB2_LOCKFLAG_UNLOCK;
	if (status == STATUS_RANGE_NOT_LOCKED && unlock)
		status = STATUS_SUCCESS; /* already gone on the server */
	if (status && s->is_target) {
		/* Refused: take back what we released for it, then report. */
		o->fail_err =
		        status == STATUS_CANCELLED ? EINTR
		        : (status == STATUS_LOCK_NOT_GRANTED || status == STATUS_FILE_LOCK_CONFLICT)
		                ? EAGAIN
		                : sf_fs_errno(status);
		g_array_set_size(o->steps, o->next); /* the remainders are moot */
		for (guint i = 0; i < o->released->len; i++) {
			struct held *r = &g_array_index(o->released, struct held, i);
			add_step(o, r->start, r->len, lock_flags(r->exclusive, false), true, false,
			         r);
		}
		run_next(o);
		return;
	}
	if (status && !s->may_fail && !unlock) {
		finish(o, sf_fs_errno(status));
		return;
	}
	if (!status && s->record)
		g_array_append_val(locks_of(o->h), s->rec);
	if (!status && o->seq_idx)
		o->h->lock_seq[o->seq_idx] = (uint8_t)o->seq_num;
	run_next(o);
}

static void run_next(struct sf_fs_lockop *o)
{
	if (o->next >= o->steps->len) {
		finish(o, o->fail_err);
		return;
	}
	struct step *s = &g_array_index(o->steps, struct step, o->next);
	size_t blen;
	struct sf_req_spec spec = {.command = SMB2_LOCK, .done = step_done, .user = o};
	bool blocking = !(s->e.flags & (SMB2_LOCKFLAG_FAIL_IMMEDIATELY | SMB2_LOCKFLAG_UNLOCK));
	if (blocking)
		spec.flags |= SF_REQ_NO_TIMEOUT; /* waits for the lock, however long */
	spec.body = smb2_lock_req_encode(o->h->fid, &s->e, 1, &blen);
	spec.body_len = blen;
	/* A LockSequence the server has not stored for this index (2.0.2 has
	 * no such field): a LOCK replayed after a reconnect, which the server
	 * had already applied, is then answered with success instead of a
	 * conflict with itself. */
	o->seq_idx = 0;
	if (sf_conn_negotiated(sf_session_conn(sf_tree_session(o->fs->tree)))->dialect >
	    SMB2_DIALECT_0202) {
		struct sf_fs_handle *h = o->h;
		o->seq_idx = 1 + h->lock_seq_next++ % 64;
		o->seq_num = (h->lock_seq[o->seq_idx] + 1u) & 15u;
		sf_put_le32((uint8_t *)spec.body + 4, o->seq_idx << 4 | o->seq_num);
	}
	o->in_flight = true;
	o->req = sf_tree_submit(o->fs->tree, &spec, 1);
	g_free((void *)spec.body);
}

struct sf_fs_lockop *sf_fs_lock(sf_fs *fs, struct sf_fs_handle *h, uint64_t owner, int type,
                                uint64_t start, uint64_t len, bool wait, sf_fs_err_fn cb,
                                void *user)
{
	if (fs_route_handle(&fs, h)) {
		later_err(fs, cb, user, EBADF);
		return NULL;
	}
	if (!len || len > UINT64_MAX - start)
		len = UINT64_MAX - start; /* to the end of any file */
	if (!len) {
		later_err(fs, cb, user, EINVAL);
		return NULL;
	}
	uint64_t end = start + len;
	struct sf_fs_lockop *o = g_new0(struct sf_fs_lockop, 1);
	o->fs = fs;
	o->h = h;
	o->steps = g_array_new(FALSE, FALSE, sizeof(struct step));
	o->released = g_array_new(FALSE, FALSE, sizeof(struct held));
	o->cb = cb;
	o->user = user;
	o->wait = wait;
	o->unlock = type == F_UNLCK;
	o->target = (struct held){
	        .owner = owner, .start = start, .len = len, .exclusive = type == F_WRLCK};
	/* Release this owner's overlapping locks; plan to re-take the parts
	 * outside the new range after it. */
	GArray *held = locks_of(h);
	GArray *remain = g_array_new(FALSE, FALSE, sizeof(struct held));
	for (guint i = 0; i < held->len;) {
		struct held l = g_array_index(held, struct held, i);
		if (l.owner != owner || !overlaps(&l, start, end)) {
			i++;
			continue;
		}
		add_step(o, l.start, l.len, SMB2_LOCKFLAG_UNLOCK, false, false, NULL);
		g_array_append_val(o->released, l);
		if (l.start < start) {
			struct held r = l;
			r.len = start - l.start;
			g_array_append_val(remain, r);
		}
		if (end_of(&l) > end) {
			struct held r = l;
			r.start = end;
			r.len = end_of(&l) - end;
			g_array_append_val(remain, r);
		}
		g_array_remove_index(held, i);
	}
	if (!o->unlock)
		add_step(o, start, len, lock_flags(type == F_WRLCK, wait), false, true, &o->target);
	for (guint i = 0; i < remain->len; i++) {
		struct held *r = &g_array_index(remain, struct held, i);
		add_step(o, r->start, r->len, lock_flags(r->exclusive, false), true, false, r);
	}
	g_array_unref(remain);
	if (!o->steps->len) {
		/* Nothing to send (an unlock of what this owner never locked):
		 * answer from the loop, and there is nothing to cancel. */
		g_array_unref(o->steps);
		g_array_unref(o->released);
		g_free(o);
		later_err(fs, cb, user, 0);
		return NULL;
	}
	run_next(o);
	return o;
}

void sf_fs_lock_cancel(sf_fs *fs, struct sf_fs_lockop *o)
{
	if (o)
		fs = o->fs;
	if (o && o->in_flight)
		sf_tree_cancel(fs->tree, o->req, false);
}

/* F_GETLK: our own locks never block us; otherwise ask the server with a
 * lock that fails at once, and give it back. */
struct testop {
	sf_fs *fs;
	struct sf_fs_handle *h;
	struct smb2_lock_element e;
	sf_fs_err_fn cb;
	void *user;
};

static void test_unlocked(void *user, uint32_t status, const uint8_t *pdu, size_t len)
{
	struct testop *t = user;
	t->cb(t->user, 0);
	g_free(t);
}

static void test_done(void *user, uint32_t status, const uint8_t *pdu, size_t len)
{
	struct testop *t = user;
	if (status) {
		bool conflict =
		        status == STATUS_LOCK_NOT_GRANTED || status == STATUS_FILE_LOCK_CONFLICT;
		t->cb(t->user, conflict ? EAGAIN : sf_fs_errno(status));
		g_free(t);
		return;
	}
	t->e.flags = SMB2_LOCKFLAG_UNLOCK;
	size_t blen;
	struct sf_req_spec spec = {.command = SMB2_LOCK, .done = test_unlocked, .user = t};
	spec.body = smb2_lock_req_encode(t->h->fid, &t->e, 1, &blen);
	spec.body_len = blen;
	sf_tree_submit(t->fs->tree, &spec, 1);
	g_free((void *)spec.body);
}

void sf_fs_lock_test(sf_fs *fs, struct sf_fs_handle *h, uint64_t owner, int type, uint64_t start,
                     uint64_t len, sf_fs_err_fn cb, void *user)
{
	FS_ROUTE_H(fs, h, later_err, cb, user);
	if (!len || len > UINT64_MAX - start)
		len = UINT64_MAX - start;
	GArray *held = locks_of(h);
	for (guint i = 0; i < held->len; i++) {
		struct held *l = &g_array_index(held, struct held, i);
		if (overlaps(l, start, start + len)) {
			later_err(fs, cb, user, 0); /* ours: no conflict with us */
			return;
		}
	}
	struct testop *t = g_new(struct testop, 1);
	t->fs = fs;
	t->h = h;
	t->e = (struct smb2_lock_element){
	        start, len,
	        (type == F_WRLCK ? SMB2_LOCKFLAG_EXCLUSIVE_LOCK : SMB2_LOCKFLAG_SHARED_LOCK) |
	                SMB2_LOCKFLAG_FAIL_IMMEDIATELY};
	t->cb = cb;
	t->user = user;
	size_t blen;
	struct sf_req_spec spec = {.command = SMB2_LOCK, .done = test_done, .user = t};
	spec.body = smb2_lock_req_encode(h->fid, &t->e, 1, &blen);
	spec.body_len = blen;
	sf_tree_submit(fs->tree, &spec, 1);
	g_free((void *)spec.body);
}

/* Closing any descriptor of a process drops all its POSIX locks on the
 * file (POSIX); the handle keeps those of other owners. */
void sf_fs_unlock_owner(sf_fs *fs, struct sf_fs_handle *h, uint64_t owner, sf_fs_err_fn cb,
                        void *user)
{
	FS_ROUTE_H(fs, h, later_err, cb, user);
	GArray *held = locks_of(h);
	for (guint i = 0; i < held->len; i++) {
		struct held *l = &g_array_index(held, struct held, i);
		if (l->owner == owner) {
			sf_fs_lock(fs, h, owner, F_UNLCK, 0, 0, false, cb, user);
			return;
		}
	}
	later_err(fs, cb, user, 0);
}
