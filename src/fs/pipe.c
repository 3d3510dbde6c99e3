/* pipe.c - named pipes on IPC$ (pipe.h). */
#define G_LOG_DOMAIN "smbfuse-pipe"

#include "fs/pipe.h"

#include "proto/create.h"
#include "proto/io.h"
#include "proto/ioctl.h"
#include "proto/ntstatus.h"
#include "proto/smb2.h"
#include "util/utf16.h"

#include <string.h>

struct sf_pipe {
	sf_tree *tree;
	struct smb2_fileid fid;
	char *name;
};

sf_tree *sf_pipe_tree(const sf_pipe *p)
{
	return p->tree;
}

/* ---- deferred answers (never from inside the call) ---------------------- */

struct deferred {
	sf_pipe_data_fn data_cb;
	sf_pipe_status_fn st_cb;
	sf_pipe_open_fn open_cb;
	void *user;
	uint32_t status;
};

static gboolean deferred_run(gpointer p)
{
	struct deferred *d = p;
	if (d->data_cb)
		d->data_cb(d->user, d->status, NULL, 0);
	else if (d->st_cb)
		d->st_cb(d->user, d->status);
	else
		d->open_cb(d->user, d->status, NULL);
	g_free(d);
	return G_SOURCE_REMOVE;
}

static void defer(sf_tree *t, struct deferred d)
{
	struct deferred *x = g_memdup2(&d, sizeof d);
	GSource *s = g_idle_source_new();
	g_source_set_callback(s, deferred_run, x, NULL);
	g_source_attach(s, sf_conn_context(sf_session_conn(sf_tree_session(t))));
	g_source_unref(s);
}

static void submit(sf_tree *t, uint16_t cmd, uint8_t *body, size_t blen, size_t expect,
                   unsigned flags, sf_rsp_fn done, void *user)
{
	struct sf_req_spec s = {.command = cmd,
	                        .body = body,
	                        .body_len = blen,
	                        .expect_rsp = expect,
	                        .flags = flags,
	                        .done = done,
	                        .user = user};
	sf_tree_submit(t, &s, 1);
	g_free(body);
}

/* ---- open / close --------------------------------------------------------- */

struct open_op {
	sf_pipe *p;
	sf_pipe_open_fn cb;
	void *user;
};

static void opened(void *user, uint32_t status, const uint8_t *pdu, size_t len)
{
	struct open_op *o = user;
	struct smb2_create_rsp cr;
	if (!status && smb2_create_rsp_decode(pdu, len, &cr) != 0)
		status = STATUS_INVALID_NETWORK_RESPONSE;
	if (status) {
		g_debug("open pipe %s: %s", o->p->name, sf_ntstatus_name(status));
		sf_tree_unref(o->p->tree);
		g_free(o->p->name);
		g_free(o->p);
		o->cb(o->user, status, NULL);
	} else {
		o->p->fid = cr.fid;
		o->cb(o->user, 0, o->p);
	}
	g_free(o);
}

void sf_pipe_open(sf_tree *ipc, const char *name, sf_pipe_open_fn cb, void *user)
{
	size_t nlen = 0, blen = 0;
	uint8_t *u = sf_utf8_to_utf16(name, -1, &nlen);
	if (!u || !nlen || strchr(name, '\\') || strchr(name, '/')) {
		g_free(u);
		defer(ipc, (struct deferred){.open_cb = cb,
		                             .user = user,
		                             .status = STATUS_OBJECT_NAME_INVALID});
		return;
	}
	struct open_op *o = g_new0(struct open_op, 1);
	o->p = g_new0(sf_pipe, 1);
	o->p->tree = sf_tree_ref(ipc);
	o->p->name = g_strdup(name);
	o->cb = cb;
	o->user = user;
	/* Read, write and the attributes a pipe client asks for (as Windows'
	 * CreateFile(GENERIC_READ | GENERIC_WRITE) expands). */
	struct smb2_create_req q = {
	        .desired_access = FILE_READ_DATA | FILE_WRITE_DATA | FILE_APPEND_DATA |
	                          FILE_READ_EA | FILE_WRITE_EA | FILE_READ_ATTRIBUTES |
	                          FILE_WRITE_ATTRIBUTES | READ_CONTROL | SYNCHRONIZE,
	        .share_access = FILE_SHARE_READ | FILE_SHARE_WRITE,
	        .disposition = FILE_OPEN,
	        .name = u,
	        .name_len = nlen,
	};
	uint8_t *body = smb2_create_req_encode(&q, &blen);
	g_free(u);
	submit(ipc, SMB2_CREATE, body, blen, 0, 0, opened, o);
}

static void closed(void *user, uint32_t status, const uint8_t *pdu, size_t len)
{
	sf_tree_unref(user);
}

void sf_pipe_close(sf_pipe *p)
{
	if (!p)
		return;
	size_t blen;
	uint8_t *body = smb2_close_req_encode(p->fid, 0, &blen);
	/* The tree reference is dropped once the CLOSE is answered. */
	submit(p->tree, SMB2_CLOSE, body, blen, 0, SF_REQ_CONTROL, closed, p->tree);
	g_free(p->name);
	g_free(p);
}

/* ---- write ---------------------------------------------------------------- */

struct write_op {
	sf_pipe_status_fn cb;
	void *user;
	size_t want;
};

static void written(void *user, uint32_t status, const uint8_t *pdu, size_t len)
{
	struct write_op *o = user;
	struct smb2_write_rsp wr;
	if (!status && (smb2_write_rsp_decode(pdu, len, &wr) != 0 || wr.count != o->want))
		status = STATUS_INVALID_NETWORK_RESPONSE;
	o->cb(o->user, status);
	g_free(o);
}

void sf_pipe_write(sf_pipe *p, const uint8_t *data, size_t len, sf_pipe_status_fn cb, void *user)
{
	struct write_op *o = g_new0(struct write_op, 1);
	o->cb = cb;
	o->user = user;
	o->want = len;
	size_t blen;
	uint8_t *body = smb2_write_req_encode(p->fid, 0, data, len, &blen);
	submit(p->tree, SMB2_WRITE, body, blen, 0, 0, written, o);
}

/* ---- read a whole message ------------------------------------------------- */

struct read_op {
	sf_pipe *p;
	uint32_t max;
	GByteArray *msg;
	sf_pipe_data_fn cb;
	void *user;
};

static void read_finish(struct read_op *o, uint32_t status)
{
	if (status)
		o->cb(o->user, status, NULL, 0);
	else
		o->cb(o->user, 0, o->msg->data, o->msg->len);
	g_byte_array_unref(o->msg);
	g_free(o);
}

static void read_more(struct read_op *o);

/* A piece of the message: all of it (SUCCESS) or its start
 * (STATUS_BUFFER_OVERFLOW, MS-SMB2 3.3.5.12 / 3.3.5.15.1). */
static void got_piece(struct read_op *o, uint32_t status, const uint8_t *data, size_t len)
{
	if (len > SF_PIPE_MAX_MSG - o->msg->len) {
		read_finish(o, STATUS_INVALID_NETWORK_RESPONSE);
		return;
	}
	g_byte_array_append(o->msg, data, (guint)len);
	if (status == STATUS_BUFFER_OVERFLOW) {
		if (!len) { /* no progress: a server loop */
			read_finish(o, STATUS_INVALID_NETWORK_RESPONSE);
			return;
		}
		read_more(o);
		return;
	}
	read_finish(o, 0);
}

static void read_done(void *user, uint32_t status, const uint8_t *pdu, size_t len)
{
	struct read_op *o = user;
	if (status && status != STATUS_BUFFER_OVERFLOW) {
		read_finish(o, status);
		return;
	}
	struct smb2_read_rsp rr;
	if (smb2_read_rsp_decode(pdu, len, &rr) != 0 || rr.data_len > o->max) {
		read_finish(o, STATUS_INVALID_NETWORK_RESPONSE);
		return;
	}
	got_piece(o, status, rr.data, rr.data_len);
}

static void read_more(struct read_op *o)
{
	size_t blen;
	uint8_t *body = smb2_read_req_encode(o->p->fid, 0, o->max, &blen);
	submit(o->p->tree, SMB2_READ, body, blen, o->max, 0, read_done, o);
}

static struct read_op *read_op_new(sf_pipe *p, uint32_t max, sf_pipe_data_fn cb, void *user)
{
	struct read_op *o = g_new0(struct read_op, 1);
	o->p = p;
	o->max = max ? max : 4280;
	o->msg = g_byte_array_new();
	o->cb = cb;
	o->user = user;
	return o;
}

void sf_pipe_read(sf_pipe *p, uint32_t max, sf_pipe_data_fn cb, void *user)
{
	read_more(read_op_new(p, max, cb, user));
}

static void transceived(void *user, uint32_t status, const uint8_t *pdu, size_t len)
{
	struct read_op *o = user;
	if (status && status != STATUS_BUFFER_OVERFLOW) {
		read_finish(o, status);
		return;
	}
	struct smb2_ioctl_rsp ir;
	if (smb2_ioctl_rsp_decode(pdu, len, &ir) != 0 || ir.ctl_code != FSCTL_PIPE_TRANSCEIVE ||
	    ir.out_len > o->max) {
		read_finish(o, STATUS_INVALID_NETWORK_RESPONSE);
		return;
	}
	got_piece(o, status, ir.out, ir.out_len);
}

void sf_pipe_transceive(sf_pipe *p, const uint8_t *in, size_t len, uint32_t max, sf_pipe_data_fn cb,
                        void *user)
{
	struct read_op *o = read_op_new(p, max, cb, user);
	size_t blen;
	uint8_t *body =
	        smb2_ioctl_req_encode(p->fid, FSCTL_PIPE_TRANSCEIVE, in, len, o->max, &blen);
	submit(p->tree, SMB2_IOCTL, body, blen, o->max, 0, transceived, o);
}
