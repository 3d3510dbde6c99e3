/* watch.c - a directory watched for changes by other clients: SMB2
 * CHANGE_NOTIFY (MS-SMB2 3.2.4.15, 3.3.5.19).
 *
 * The directory is opened once and one CHANGE_NOTIFY is kept outstanding
 * on it; each answer is told to the caller and the request sent again.
 * The server keeps changes that happen between two requests and tells
 * them with the next one (3.3.5.19: the open's change list), or answers
 * STATUS_NOTIFY_ENUM_DIR when they did not fit: then anything may have
 * changed (SF_FS_ANY).
 *
 * States: opening (CREATE in flight) -> armed (CHANGE_NOTIFY in flight,
 * or being told) -> closing (CLOSE in flight) -> freed. Any failure
 * (STATUS_CANCELLED, STATUS_NOTIFY_CLEANUP, the handle lost in a
 * reconnect: the handle is not durable, so the replayed request fails)
 * ends the watch with SF_FS_ENDED: changes from then on are not told,
 * and the caller falls back to its timeouts. sf_fs_close_all ends every
 * watch the same way (unmount: no request may stay outstanding).
 *
 * Where the server offers directory leases (SMB 3.x, DIRECTORY_LEASING)
 * the directory is opened with a read+handle lease (MS-SMB2 2.2.13.2.10,
 * a new key per watch): while it is held, the names of the directory
 * are the ones the caller last listed, whoever asks the server. Any break
 * of it ends the watch: read caching lost means the listing changed,
 * handle caching lost means another client wants the directory open
 * alone (to rename or delete it), and the handle is to be closed; the
 * break is told (SF_FS_LEASE_BROKEN) before it is acknowledged. Changes
 * this mount makes break it too (no ParentLeaseKey is sent), which is
 * simple and always right.
 *
 * Ownership: the watch belongs to this file; the caller's pointer is
 * good until it calls sf_fs_unwatch or is told SF_FS_ENDED or
 * SF_FS_LEASE_BROKEN. */
#define G_LOG_DOMAIN "smbfuse-fs"

#include "fs/call.h"
#include "fs/fs.h"

#include "crypto/prim.h"
#include "proto/create.h"
#include "proto/lease.h"
#include "proto/notify.h"
#include "proto/ntstatus.h"
#include "util/utf16.h"

#include <errno.h>
#include <string.h>

/* Room for the changes of one answer; more than fit is ENUM_DIR. One
 * credit (<= 64 KiB). */
#define WATCH_BUF 16384
#define WATCH_FILTER                                                                               \
	(FILE_NOTIFY_CHANGE_FILE_NAME | FILE_NOTIFY_CHANGE_DIR_NAME |                              \
	 FILE_NOTIFY_CHANGE_ATTRIBUTES | FILE_NOTIFY_CHANGE_SIZE | FILE_NOTIFY_CHANGE_LAST_WRITE | \
	 FILE_NOTIFY_CHANGE_CREATION | FILE_NOTIFY_CHANGE_SECURITY)

struct sf_fs_watch {
	sf_fs *fs; /* the fs the directory is on (after routing) */
	struct smb2_fileid fid;
	bool open;         /* fid is valid */
	bool stopped;      /* unwatched or ended: the caller is not told any more */
	sf_req_handle req; /* the CHANGE_NOTIFY in flight */
	sf_fs_watch_fn cb;
	void *user;
	sf_fs_err_fn closed; /* sf_fs_unwatch's */
	void *closed_user;
	sf_fs_err_fn ready; /* sf_fs_watch's, until called */
	void *ready_user;
	struct smb2_lease lease; /* asked for when lease.state */
	bool leased;             /* granted with read caching, not broken */
	bool lease_known;        /* registered with the tree */
};

static void tell_ready(struct sf_fs_watch *w, int err)
{
	sf_fs_err_fn ready = w->ready;
	w->ready = NULL;
	if (ready)
		ready(w->ready_user, err);
}

static void watch_free(struct sf_fs_watch *w)
{
	tell_ready(w, ECANCELED);
	if (w->closed)
		w->closed(w->closed_user, 0);
	g_free(w);
}

static void forget(struct sf_fs_watch *w)
{
	w->fs->watches = g_list_remove(w->fs->watches, w);
}

static void closed_done(struct call *c)
{
	watch_free(c->cb);
}

static void lease_gone(struct sf_fs_watch *w)
{
	w->leased = false;
	if (w->lease_known)
		sf_tree_dir_lease_gone(w->fs->tree, w->lease.key);
	w->lease_known = false;
}

/* Nothing in flight any more: close the handle (if any), then free. */
static void finish(struct sf_fs_watch *w)
{
	forget(w);
	lease_gone(w);
	if (!w->open) {
		watch_free(w);
		return;
	}
	w->open = false;
	struct sf_req_spec s;
	close_spec(&s, w->fid);
	call_run(call_new(w->fs, closed_done, w, NULL), &s, 1);
}

static void tell(struct sf_fs_watch *w, enum sf_fs_change what, const char *name)
{
	if (!w->stopped && w->cb)
		w->cb(w->user, what, name);
}

static void end(struct sf_fs_watch *w)
{
	tell_ready(w, EIO);
	tell(w, SF_FS_ENDED, NULL);
	w->stopped = true;
	finish(w);
}

static void arm(struct sf_fs_watch *w);

static enum sf_fs_change change_of(uint32_t action)
{
	switch (action) {
	case FILE_ACTION_ADDED:
		return SF_FS_ADDED;
	case FILE_ACTION_REMOVED:
	case FILE_ACTION_REMOVED_BY_DELETE:
		return SF_FS_REMOVED;
	case FILE_ACTION_RENAMED_OLD_NAME:
		return SF_FS_RENAMED_FROM;
	case FILE_ACTION_RENAMED_NEW_NAME:
		return SF_FS_RENAMED_TO;
	default: /* modified, streams */
		return SF_FS_MODIFIED;
	}
}

/* Each change of one answer; a malformed list or a name that cannot be
 * shown is "anything". */
static void tell_changes(struct sf_fs_watch *w, const uint8_t *pdu, size_t len)
{
	struct smb2_change_notify_rsp r;
	if (smb2_change_notify_rsp_decode(pdu, len, &r) != 0 || !r.buf_len) {
		tell(w, SF_FS_ANY, NULL);
		return;
	}
	size_t pos = 0;
	unsigned n = 0;
	struct smb2_notify_entry e;
	int rc;
	while ((rc = smb2_notify_entry_next(r.buf, r.buf_len, &pos, &n, &e)) == 1 && !w->stopped) {
		char *name = sf_name_from_smb(e.name, e.name_len,
		                              !w->fs->cfg.posix && w->fs->cfg.mapposix);
		if (!name) {
			tell(w, SF_FS_ANY, NULL);
			return;
		}
		tell(w, change_of(e.action), name);
		g_free(name);
	}
	if (rc < 0)
		tell(w, SF_FS_ANY, NULL);
}

static void notified(void *user, uint32_t status, const uint8_t *pdu, size_t len)
{
	struct sf_fs_watch *w = user;
	w->req = 0;
	if (w->stopped) {
		finish(w);
		return;
	}
	if (status == STATUS_SUCCESS && pdu) {
		tell_changes(w, pdu, len);
	} else if (status == STATUS_NOTIFY_ENUM_DIR) {
		tell(w, SF_FS_ANY, NULL);
	} else {
		g_debug("watch ended: %s", sf_ntstatus_name(status));
		end(w);
		return;
	}
	if (w->stopped)
		finish(w);
	else
		arm(w);
}

static void arm(struct sf_fs_watch *w)
{
	size_t blen;
	struct sf_req_spec s = {
	        .command = SMB2_CHANGE_NOTIFY,
	        .expect_rsp = WATCH_BUF,
	        .flags = SF_REQ_NO_TIMEOUT,
	        .done = notified,
	        .user = w,
	};
	s.body = smb2_change_notify_req_encode(w->fid, 0, WATCH_BUF, WATCH_FILTER, &blen);
	s.body_len = blen;
	w->req = sf_tree_submit(w->fs->tree, &s, 1);
	g_free((void *)s.body);
	/* Requests submitted from now on reach the server after this one:
	 * what they see, the server tells changes of from now on. */
	tell_ready(w, 0);
}

/* The server broke the directory lease (handle.c, before acknowledging). */
static void lease_broken(void *user, uint32_t new_state)
{
	struct sf_fs_watch *w = user;
	g_debug("directory lease broken to 0x%x: watch ends", new_state);
	lease_gone(w);
	if (w->stopped)
		return;
	tell(w, SF_FS_LEASE_BROKEN, NULL);
	w->stopped = true;
	w->cb = NULL;
	/* (the answer to the cancelled CHANGE_NOTIFY closes the handle) */
	if (w->req)
		sf_tree_cancel(w->fs->tree, w->req, false);
}

static void take_lease(struct sf_fs_watch *w, const struct smb2_create_rsp *cr)
{
	const struct smb2_create_ctx *lc = smb2_create_rsp_ctx(cr, "RqLs");
	struct smb2_lease l;
	if (!w->lease.state || cr->oplock_level != SMB2_OPLOCK_LEVEL_LEASE || !lc ||
	    smb2_lease_ctx_decode(lc->data, lc->data_len, &l) != 0 ||
	    memcmp(l.key, w->lease.key, 16) != 0 || !l.state)
		return;
	/* Registered whatever was granted: a break of it is ours to answer. */
	sf_tree_dir_lease_held(w->fs->tree, w->lease.key, lease_broken, w);
	w->lease_known = true;
	w->leased = (l.state & SMB2_LEASE_READ_CACHING) != 0;
}

static void opened(struct call *c)
{
	struct sf_fs_watch *w = c->cb;
	size_t len;
	const uint8_t *pdu = call_pdu(c, 0, &len);
	struct smb2_create_rsp cr;
	if (c->st[0] || smb2_create_rsp_decode(pdu, len, &cr) != 0) {
		g_debug("watch not started: %s", sf_ntstatus_name(c->st[0]));
		end(w);
		return;
	}
	w->fid = cr.fid;
	w->open = true;
	take_lease(w, &cr);
	if (w->stopped)
		finish(w);
	else
		arm(w);
}

struct sf_fs_watch *sf_fs_watch(sf_fs *fs, const char *path, sf_fs_watch_fn cb, void *user,
                                sf_fs_err_fn ready, void *ready_user)
{
	if (fs_route(&fs, &path, FS_USE) != 0 || fs->root || fs->closing)
		return NULL; /* a server root's own listing, or unmounting */
	/* (FILE_LIST_DIRECTORY is the right CHANGE_NOTIFY needs, 3.3.5.19.) */
	struct sf_req_spec s;
	int err = 0;
	struct smb2_lease lease = {0};
	if (sf_fs_dir_leases(fs)) {
		sf_random(lease.key, 16);
		lease.state = SMB2_LEASE_READ_CACHING | SMB2_LEASE_HANDLE_CACHING;
		lease.v2 = true;
	}
	if (!create_spec_lease(fs, &s, path,
	                       FILE_LIST_DIRECTORY | FILE_READ_ATTRIBUTES | SYNCHRONIZE, FILE_OPEN,
	                       FILE_DIRECTORY_FILE, 0755, lease.state ? &lease : NULL, &err))
		return NULL;
	struct sf_fs_watch *w = g_new0(struct sf_fs_watch, 1);
	w->lease = lease;
	w->fs = fs;
	w->cb = cb;
	w->user = user;
	w->ready = ready;
	w->ready_user = ready_user;
	fs->watches = g_list_prepend(fs->watches, w);
	call_run(call_new(fs, opened, w, NULL), &s, 1);
	return w;
}

bool sf_fs_dir_leases(sf_fs *fs)
{
	if (fs->cfg.nolease || fs->cfg.nodirlease || !fs->tree)
		return false;
	const struct sf_negotiated *n =
	        sf_conn_negotiated(sf_session_conn(sf_tree_session(fs->tree)));
	return n->dialect >= SMB2_DIALECT_0300 &&
	       (n->capabilities & SMB2_GLOBAL_CAP_DIRECTORY_LEASING);
}

bool sf_fs_watch_leased(const struct sf_fs_watch *w)
{
	return w && w->leased && !w->stopped;
}

void sf_fs_unwatch(struct sf_fs_watch *w, sf_fs_err_fn closed, void *user)
{
	if (!w)
		return;
	w->stopped = true;
	w->cb = NULL;
	tell_ready(w, ECANCELED);
	w->closed = closed;
	w->closed_user = user;
	/* The answer to the cancelled request (or to the CREATE) closes it. */
	if (w->req)
		sf_tree_cancel(w->fs->tree, w->req, false);
}

void fs_watch_end_all(sf_fs *fs)
{
	GList *all = g_list_copy(fs->watches);
	for (GList *l = all; l; l = l->next) {
		struct sf_fs_watch *w = l->data;
		if (w->stopped)
			continue;
		tell(w, SF_FS_ENDED, NULL);
		sf_fs_unwatch(w, NULL, NULL);
	}
	g_list_free(all);
}
