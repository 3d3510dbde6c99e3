/* probe.c - smbfuse-probe, a diagnostic client on the smbfuse engine.
 *
 *   smbfuse-probe negotiate //host[:port] [-m MIN] [-M MAX]
 *   smbfuse-probe ls|stat|rm|rmdir|mkdir //host[:port]/share/path [-o opts]
 *   smbfuse-probe get //host/share/path LOCAL [-o opts]
 *   smbfuse-probe put LOCAL //host/share/path [-o opts]
 *   smbfuse-probe shares //host[:port] [-o opts] [--rpc-frag N] [--dump-rpc DIR]
 *                 [--pipe-read N] [--rpc-if-version N] [--rpc-opnum N]
 *
 * -o takes mount-style options (username=, domain=, credentials=, port=,
 * vers=, sec=, guest, sign, nosign, seal, timeout=). Passwords come only
 * from a credentials file, PASSWD or PASSWD_FD. Exit codes: enum sf_exit. */
#include "auth/creds.h"
#include "fs/shares.h"
#include "net/client.h"
#include "proto/create.h"
#include "proto/dir.h"
#include "proto/fscc.h"
#include "proto/io.h"
#include "proto/ntstatus.h"
#include "proto/smb2.h"
#include "util/bytes.h"
#include "util/heap.h"
#include "util/timeconv.h"
#include "util/utf16.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PROG "smbfuse-probe"

struct probe {
	char *host;
	uint16_t port;
	char *share, *path; /* path relative to the share, '/' separated */
	struct sf_client_opts co;
	struct sf_creds *creds;
	bool debug;
	struct sf_client *cl;
	unsigned rpc_frag;  /* --rpc-frag: the max_recv_frag we bind with */
	unsigned pipe_read; /* --pipe-read: bytes per pipe read (messages in pieces) */
	/* Diagnostics (how a server refuses): bind srvsvc at another major
	 * version, or send NetrShareEnum's request under another opnum. */
	int rpc_if_version, rpc_opnum;
};

static int die(enum sf_exit code, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static int die(enum sf_exit code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, PROG ": ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	return code;
}

/* //host[:port][/share[/path]], host may be [v6]. */
static bool parse_unc(struct probe *p, const char *unc)
{
	if (strncmp(unc, "//", 2) != 0 && strncmp(unc, "\\\\", 2) != 0)
		return false;
	char *s = g_strdup(unc + 2);
	g_strdelimit(s, "\\", '/');
	char *slash = strchr(s, '/');
	if (slash)
		*slash++ = 0;
	char *hostport = s;
	if (hostport[0] == '[') {
		char *end = strchr(hostport, ']');
		if (!end) {
			g_free(s);
			return false;
		}
		*end = 0;
		p->host = g_strdup(hostport + 1);
		if (end[1] == ':')
			p->port = (uint16_t)atoi(end + 2);
	} else {
		char *colon = strchr(hostport, ':');
		if (colon) {
			*colon = 0;
			p->port = (uint16_t)atoi(colon + 1);
		}
		p->host = g_strdup(hostport);
	}
	if (slash && *slash) {
		char *rest = strchr(slash, '/');
		if (rest)
			*rest++ = 0;
		p->share = g_strdup(slash);
		p->path = g_strdup(rest ? rest : "");
	}
	g_free(s);
	return p->host[0] != 0;
}

static bool parse_vers(struct probe *p, const char *v)
{
	/* vers=3.1.1 pins; vers=3 means 3.0..3.1.1; vers=2.0 etc. pin too. */
	if (!strcmp(v, "3")) {
		p->co.min_dialect = SMB2_DIALECT_0300;
		p->co.max_dialect = SMB2_DIALECT_0311;
		return true;
	}
	if (!strcmp(v, "default"))
		return true;
	uint16_t d = smb2_dialect_parse(v);
	if (!d)
		return false;
	p->co.min_dialect = p->co.max_dialect = d;
	return true;
}

static int parse_opts(struct probe *p, const char *opts)
{
	char **list = g_strsplit(opts, ",", -1);
	int rc = 0;
	for (char **o = list; *o && !rc; o++) {
		char *eq = strchr(*o, '=');
		const char *v = eq ? eq + 1 : NULL;
		if (eq)
			*eq = 0;
		const char *k = *o;
		GError *err = NULL;
		if (!strcmp(k, "username") || !strcmp(k, "user"))
			sf_creds_set_user(p->creds, v ? v : "");
		else if (!strcmp(k, "domain") || !strcmp(k, "dom"))
			sf_creds_set(&p->creds->domain, v);
		else if (!strcmp(k, "password") || !strcmp(k, "pass"))
			rc = die(SF_EXIT_USAGE, "refusing a password on the command line; use "
			                        "credentials=FILE, PASSWD_FD or PASSWD");
		else if (!strcmp(k, "credentials") || !strcmp(k, "cred")) {
			if (!v || !sf_creds_read_file(p->creds, v, &err)) {
				rc = die(SF_EXIT_USAGE, "%s",
				         err ? err->message : "credentials= needs a file");
				g_clear_error(&err);
			}
		} else if (!strcmp(k, "port") && v)
			p->port = (uint16_t)atoi(v);
		else if (!strcmp(k, "vers") && v) {
			if (!parse_vers(p, v))
				rc = die(SF_EXIT_USAGE, "unknown dialect vers=%s", v);
		} else if (!strcmp(k, "sec") && v) {
			if (!strcmp(v, "none"))
				p->co.auth = SF_AUTH_ANON;
			else if (!strncmp(v, "krb5", 4))
				p->co.auth = SF_AUTH_KRB5;
			else if (!strncmp(v, "ntlm", 4))
				p->co.auth = SF_AUTH_NTLM;
			else
				rc = die(SF_EXIT_USAGE, "unknown security mode sec=%s", v);
		} else if (!strcmp(k, "guest"))
			p->co.auth = SF_AUTH_GUEST;
		else if (!strcmp(k, "sign"))
			p->co.nosign = false;
		else if (!strcmp(k, "nosign"))
			p->co.nosign = true;
		else if (!strcmp(k, "seal"))
			p->co.seal = true;
		else if (!strcmp(k, "timeout") && v)
			p->co.timeout_ms = (unsigned)atoi(v) * 1000;
		else if (!strcmp(k, "cipher") && v) {
			const char *names[] = {"", "AES-128-CCM", "AES-128-GCM", "AES-256-CCM",
			                       "AES-256-GCM"};
			for (uint16_t i = 1; i <= 4; i++)
				if (!g_ascii_strcasecmp(v, names[i]))
					p->co.cipher_pref[0] = i;
			if (!p->co.cipher_pref[0])
				rc = die(SF_EXIT_USAGE, "unknown cipher %s", v);
		} else
			rc = die(SF_EXIT_USAGE, "unknown option '%s'", k);
	}
	g_strfreev(list);
	return rc;
}

static void print_stats(struct probe *p)
{
	if (!p->debug || !p->cl)
		return;
	struct sf_conn_stats s;
	sf_conn_stats(p->cl->conn, &s);
	fprintf(stderr,
	        "stats: sent=%" G_GUINT64_FORMAT " received=%" G_GUINT64_FORMAT
	        " signed_sent=%" G_GUINT64_FORMAT " verified=%" G_GUINT64_FORMAT
	        " encrypted_sent=%" G_GUINT64_FORMAT " decrypted=%" G_GUINT64_FORMAT
	        " signing=%d sealing=%d\n",
	        s.sent, s.received, s.signed_sent, s.verified, s.encrypted_sent, s.decrypted,
	        sf_session_signing(p->cl->session), sf_session_sealing(p->cl->session));
}

/* ---- negotiate -------------------------------------------------------- */

struct neg_wait {
	bool done;
	uint32_t status;
	char *why;
};

static void neg_ready(sf_conn *c, uint32_t status, const char *why, void *user)
{
	struct neg_wait *w = user;
	w->done = true;
	w->status = status;
	w->why = g_strdup(why);
}

static sf_conn *negotiate_only(struct probe *p, uint16_t lo, uint16_t hi, struct neg_wait *w)
{
	struct sf_conn_opts co = {.host = p->host,
	                          .port = p->port,
	                          .min_dialect = lo,
	                          .max_dialect = hi,
	                          .timeout_ms = p->co.timeout_ms ? p->co.timeout_ms : 10000};
	sf_conn *c = sf_conn_new(&co, NULL, neg_ready, w);
	while (!w->done)
		g_main_context_iteration(NULL, TRUE);
	return c;
}

static int cmd_negotiate(struct probe *p)
{
	uint16_t lo = p->co.min_dialect ? p->co.min_dialect : SMB2_DIALECT_0300;
	uint16_t hi = p->co.max_dialect ? p->co.max_dialect : SMB2_DIALECT_0311;
	struct neg_wait w = {0};
	sf_conn *c = negotiate_only(p, lo, hi, &w);
	if (w.status == STATUS_NOT_SUPPORTED) {
		char *msg = sf_client_explain_dialects(p->host, p->port, lo, hi, p->co.timeout_ms,
		                                       NULL);
		int rc = die(SF_EXIT_DIALECT, "%s", msg ? msg : w.why);
		g_free(msg);
		g_free(w.why);
		sf_conn_unref(c);
		return rc;
	}
	if (w.status) {
		int rc = die(sf_exit_for_status(w.status), "%s", w.why);
		g_free(w.why);
		sf_conn_unref(c);
		return rc;
	}
	const struct sf_negotiated *n = sf_conn_negotiated(c);
	printf("dialect: %s\n", smb2_dialect_name(n->dialect));
	printf("capabilities: 0x%08x", n->capabilities);
	static const char *const caps[] = {"DFS",
	                                   "LEASING",
	                                   "LARGE_MTU",
	                                   "MULTI_CHANNEL",
	                                   "PERSISTENT_HANDLES",
	                                   "DIRECTORY_LEASING",
	                                   "ENCRYPTION",
	                                   "NOTIFICATIONS"};
	for (int i = 0; i < 8; i++)
		if (n->capabilities & (1u << i))
			printf(" %s", caps[i]);
	printf("\nsecurity_mode: %s%s\n",
	       n->security_mode & SMB2_NEGOTIATE_SIGNING_ENABLED ? "signing-enabled" : "",
	       n->security_mode & SMB2_NEGOTIATE_SIGNING_REQUIRED ? ",signing-required" : "");
	bool can_encrypt = n->dialect == SMB2_DIALECT_0311
	                           ? n->cipher != 0
	                           : (n->capabilities & SMB2_GLOBAL_CAP_ENCRYPTION);
	printf("cipher: %s\n",
	       can_encrypt ? smb2_cipher_name(n->cipher ? n->cipher : SMB2_ENCRYPTION_AES128_CCM)
	                   : "none");
	printf("signing: %s\n", smb2_signing_alg_name(n->signing_alg));
	printf("max_read: %u\nmax_write: %u\nmax_transact: %u\n", n->max_read, n->max_write,
	       n->max_transact);
	printf("server_guid: ");
	for (int i = 0; i < 16; i++)
		printf("%02x%s", n->server_guid[i],
		       (i == 3 || i == 5 || i == 7 || i == 9) ? "-" : "");
	struct timespec ts = sf_filetime_to_timespec(n->system_time);
	char tbuf[64];
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	strftime(tbuf, sizeof tbuf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("\nserver_time: %s\n", tbuf);
	printf("preauth: %s\n", n->dialect == SMB2_DIALECT_0311 ? "SHA-512" : "none");
	sf_conn_unref(c);
	return 0;
}

/* ---- file commands ----------------------------------------------------- */

static uint8_t *smb_path(struct probe *p, size_t *len)
{
	int err = 0;
	uint8_t *u = sf_path_to_smb(p->path ? p->path : "", false, len, &err);
	return u;
}

/* CREATE, returning status and the decoded response. */
static uint32_t do_create(struct probe *p, uint32_t access, uint32_t disposition, uint32_t options,
                          struct smb2_create_rsp *out)
{
	size_t nlen, blen;
	uint8_t *name = smb_path(p, &nlen);
	if (!name)
		return STATUS_OBJECT_NAME_INVALID;
	struct smb2_create_req q = {
	        .desired_access = access,
	        .file_attributes = (options & FILE_DIRECTORY_FILE) ? FILE_ATTRIBUTE_DIRECTORY
	                                                           : FILE_ATTRIBUTE_NORMAL,
	        .share_access = FILE_SHARE_ALL,
	        .disposition = disposition,
	        .options = options,
	        .name = name,
	        .name_len = nlen,
	};
	uint8_t *body = smb2_create_req_encode(&q, &blen);
	g_free(name);
	struct sf_req_spec s = {.command = SMB2_CREATE, .body = body, .body_len = blen};
	uint32_t st;
	GBytes *pdu;
	sf_client_call(p->cl, &s, 1, &st, &pdu);
	g_free(body);
	if (st == STATUS_SUCCESS) {
		gsize n;
		const uint8_t *d = g_bytes_get_data(pdu, &n);
		if (smb2_create_rsp_decode(d, n, out) != 0)
			st = STATUS_INVALID_NETWORK_RESPONSE;
	}
	if (pdu)
		g_bytes_unref(pdu);
	return st;
}

static uint32_t do_close(struct probe *p, struct smb2_fileid fid)
{
	size_t blen;
	uint8_t *body = smb2_close_req_encode(fid, 0, &blen);
	struct sf_req_spec s = {
	        .command = SMB2_CLOSE, .body = body, .body_len = blen, .flags = SF_REQ_CONTROL};
	uint32_t st;
	GBytes *pdu;
	sf_client_call(p->cl, &s, 1, &st, &pdu);
	g_free(body);
	if (pdu)
		g_bytes_unref(pdu);
	return st;
}

static int fail_status(struct probe *p, const char *what, uint32_t st)
{
	return die(sf_exit_for_status(st), "%s //%s/%s/%s: %s", what, p->host, p->share,
	           p->path ? p->path : "", sf_ntstatus_name(st));
}

static void print_time(uint64_t ft)
{
	struct timespec ts = sf_filetime_to_timespec(ft);
	char b[64];
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	strftime(b, sizeof b, "%Y-%m-%d %H:%M:%S", &tm);
	printf("%s", b);
}

static int cmd_ls(struct probe *p)
{
	struct smb2_create_rsp cr;
	uint32_t st = do_create(p, FILE_LIST_DIRECTORY | FILE_READ_ATTRIBUTES | SYNCHRONIZE,
	                        FILE_OPEN, FILE_DIRECTORY_FILE, &cr);
	if (st)
		return fail_status(p, "ls", st);
	uint8_t star[2] = {'*', 0};
	int rc = 0;
	for (bool first = true;; first = false) {
		size_t blen;
		uint8_t *body = smb2_query_directory_req_encode(
		        cr.fid, FILE_ID_BOTH_DIRECTORY_INFORMATION, first ? SMB2_RESTART_SCANS : 0,
		        star, 2, 65536, &blen);
		struct sf_req_spec s = {.command = SMB2_QUERY_DIRECTORY,
		                        .body = body,
		                        .body_len = blen,
		                        .expect_rsp = 65536};
		GBytes *pdu;
		sf_client_call(p->cl, &s, 1, &st, &pdu);
		g_free(body);
		if (st == STATUS_NO_MORE_FILES) {
			if (pdu)
				g_bytes_unref(pdu);
			break;
		}
		struct smb2_query_directory_rsp qr;
		gsize n;
		const uint8_t *d = pdu ? g_bytes_get_data(pdu, &n) : NULL;
		if (st || smb2_query_directory_rsp_decode(d, n, &qr) != 0) {
			rc = fail_status(p, "ls", st ? st : STATUS_INVALID_NETWORK_RESPONSE);
			if (pdu)
				g_bytes_unref(pdu);
			break;
		}
		size_t pos = 0;
		struct smb2_dir_entry e;
		int r;
		while ((r = smb2_dir_entry_next(FILE_ID_BOTH_DIRECTORY_INFORMATION, qr.buf,
		                                qr.buf_len, &pos, &e)) == 1) {
			char *name = sf_name_from_smb(e.name, e.name_len, false);
			if (!name)
				continue; /* ".", "..", or a name we must not show */
			printf("%c %12" G_GUINT64_FORMAT " ",
			       (e.t.attributes & FILE_ATTRIBUTE_DIRECTORY) ? 'd' : '-',
			       e.t.end_of_file);
			print_time(e.t.last_write);
			printf(" %s\n", name);
			g_free(name);
		}
		g_bytes_unref(pdu);
		if (r < 0) {
			rc = die(SF_EXIT_PROTOCOL, "ls: malformed directory listing from server");
			break;
		}
	}
	do_close(p, cr.fid);
	return rc;
}

static int cmd_stat(struct probe *p)
{
	struct smb2_create_rsp cr;
	uint32_t st = do_create(p, FILE_READ_ATTRIBUTES | SYNCHRONIZE, FILE_OPEN, 0, &cr);
	if (st)
		return fail_status(p, "stat", st);
	printf("type: %s\nsize: %" G_GUINT64_FORMAT "\nallocation: %" G_GUINT64_FORMAT
	       "\nattributes: 0x%08x\n",
	       (cr.t.attributes & FILE_ATTRIBUTE_DIRECTORY) ? "directory" : "file",
	       cr.t.end_of_file, cr.t.allocation_size, cr.t.attributes);
	printf("modified: ");
	print_time(cr.t.last_write);
	printf("\n");
	do_close(p, cr.fid);
	return 0;
}

static int cmd_mkdir(struct probe *p)
{
	struct smb2_create_rsp cr;
	uint32_t st = do_create(p, FILE_READ_ATTRIBUTES | SYNCHRONIZE, FILE_CREATE,
	                        FILE_DIRECTORY_FILE, &cr);
	if (st)
		return fail_status(p, "mkdir", st);
	do_close(p, cr.fid);
	return 0;
}

static int cmd_rm(struct probe *p, bool dir)
{
	struct smb2_create_rsp cr;
	uint32_t st = do_create(
	        p, DELETE | SYNCHRONIZE, FILE_OPEN,
	        FILE_DELETE_ON_CLOSE | (dir ? FILE_DIRECTORY_FILE : FILE_NON_DIRECTORY_FILE), &cr);
	if (st)
		return fail_status(p, dir ? "rmdir" : "rm", st);
	st = do_close(p, cr.fid);
	return st ? fail_status(p, dir ? "rmdir" : "rm", st) : 0;
}

/* Pipelined transfers: up to `window` chunk requests in flight. */
struct xfer {
	struct probe *p;
	struct smb2_fileid fid;
	int fd;
	bool reading;
	uint64_t size, next_off, done_bytes;
	uint32_t chunk;
	int in_flight, window;
	uint32_t status;
	int local_errno; /* a local read/write failure */
	bool seekable;   /* false for pipes: one request at a time, write() */
	bool short_io;
};

struct xfer_req {
	struct xfer *x;
	uint64_t off;
	uint32_t len;
};

static void xfer_issue(struct xfer *x);

static void xfer_done(void *user, uint32_t status, const uint8_t *pdu, size_t len)
{
	struct xfer_req *r = user;
	struct xfer *x = r->x;
	x->in_flight--;
	if (status && !x->status)
		x->status = status;
	if (!status) {
		if (x->reading) {
			struct smb2_read_rsp rr;
			if (smb2_read_rsp_decode(pdu, len, &rr) != 0 || rr.data_len > r->len) {
				x->status = STATUS_INVALID_NETWORK_RESPONSE;
			} else if ((x->seekable ? pwrite(x->fd, rr.data, rr.data_len, (off_t)r->off)
			                        : write(x->fd, rr.data, rr.data_len)) !=
			           (ssize_t)rr.data_len) {
				x->local_errno = errno;
				x->status = STATUS_UNSUCCESSFUL;
			} else {
				x->done_bytes += rr.data_len;
				if (rr.data_len < r->len)
					x->short_io = true;
			}
		} else {
			struct smb2_write_rsp wr;
			if (smb2_write_rsp_decode(pdu, len, &wr) != 0 || wr.count != r->len)
				x->status = STATUS_INVALID_NETWORK_RESPONSE;
			else
				x->done_bytes += wr.count;
		}
	}
	g_free(r);
	xfer_issue(x);
}

static void xfer_issue(struct xfer *x)
{
	while (!x->status && x->in_flight < x->window && x->next_off < x->size) {
		struct xfer_req *r = g_new(struct xfer_req, 1);
		r->x = x;
		r->off = x->next_off;
		r->len = (uint32_t)MIN((uint64_t)x->chunk, x->size - x->next_off);
		x->next_off += r->len;
		size_t blen;
		uint8_t *body;
		uint8_t *data = NULL;
		if (x->reading) {
			body = smb2_read_req_encode(x->fid, r->off, r->len, &blen);
		} else {
			data = g_malloc(r->len);
			if (pread(x->fd, data, r->len, (off_t)r->off) != (ssize_t)r->len) {
				x->local_errno = errno ? errno : EIO;
				x->status = STATUS_UNSUCCESSFUL;
				g_free(data);
				g_free(r);
				return;
			}
			body = smb2_write_req_encode(x->fid, r->off, data, r->len, &blen);
		}
		struct sf_req_spec s = {.command = x->reading ? SMB2_READ : SMB2_WRITE,
		                        .body = body,
		                        .body_len = blen,
		                        .expect_rsp = x->reading ? r->len : 0,
		                        .done = xfer_done,
		                        .user = r};
		x->in_flight++;
		sf_tree_submit(x->p->cl->tree, &s, 1);
		g_free(body);
		g_free(data);
	}
}

static uint32_t xfer_run(struct xfer *x)
{
	const struct sf_negotiated *n = sf_conn_negotiated(x->p->cl->conn);
	uint32_t max = x->reading ? n->max_read : n->max_write;
	x->chunk = MIN(max, 1u << 20);
	if (n->dialect == SMB2_DIALECT_0202)
		x->chunk = MIN(x->chunk, 65536u);
	x->window = x->seekable ? 8 : 1;
	xfer_issue(x);
	while (x->in_flight > 0)
		g_main_context_iteration(x->p->cl->ctx, TRUE);
	return x->status;
}

static int cmd_get(struct probe *p, const char *local)
{
	struct smb2_create_rsp cr;
	uint32_t st = do_create(p, FILE_READ_DATA | FILE_READ_ATTRIBUTES | SYNCHRONIZE, FILE_OPEN,
	                        FILE_NON_DIRECTORY_FILE, &cr);
	if (st)
		return fail_status(p, "get", st);
	int fd = !strcmp(local, "-") ? dup(1)
	                             : open(local, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		do_close(p, cr.fid);
		return die(SF_EXIT_IO, "get: %s: %s", local, g_strerror(errno));
	}
	struct xfer x = {.p = p,
	                 .fid = cr.fid,
	                 .fd = fd,
	                 .reading = true,
	                 .size = cr.t.end_of_file,
	                 .seekable = lseek(fd, 0, SEEK_CUR) >= 0};
	st = xfer_run(&x);
	close(fd);
	do_close(p, cr.fid);
	if (x.local_errno)
		return die(SF_EXIT_IO, "get: %s: %s", local, g_strerror(x.local_errno));
	if (st == STATUS_END_OF_FILE)
		st = 0;
	if (st)
		return fail_status(p, "get", st);
	if (x.done_bytes != x.size)
		return die(SF_EXIT_IO,
		           "get: short read (%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " bytes)",
		           x.done_bytes, x.size);
	return 0;
}

static int cmd_put(struct probe *p, const char *local)
{
	int fd = open(local, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) != 0)
		return die(SF_EXIT_IO, "put: %s: %s", local, g_strerror(errno));
	struct smb2_create_rsp cr;
	uint32_t st = do_create(p, FILE_WRITE_DATA | FILE_READ_ATTRIBUTES | SYNCHRONIZE,
	                        FILE_OVERWRITE_IF, FILE_NON_DIRECTORY_FILE, &cr);
	if (st) {
		close(fd);
		return fail_status(p, "put", st);
	}
	struct xfer x = {
	        .p = p, .fid = cr.fid, .fd = fd, .size = (uint64_t)sb.st_size, .seekable = true};
	st = xfer_run(&x);
	close(fd);
	uint32_t cst = do_close(p, cr.fid);
	if (x.local_errno)
		return die(SF_EXIT_IO, "put: %s: %s", local, g_strerror(x.local_errno));
	if (st || cst)
		return fail_status(p, "put", st ? st : cst);
	return 0;
}

/* ---- shares ------------------------------------------------------------ */

struct rpc_wait {
	bool done;
	uint32_t status;
	char *why;
	sf_rpc *rpc;
	size_t stub_len;
};

static void diag_bound(void *user, uint32_t status, const char *why, sf_rpc *r)
{
	struct rpc_wait *w = user;
	w->done = true;
	w->status = status;
	w->why = g_strdup(why);
	w->rpc = r;
}

static void diag_called(void *user, uint32_t status, const uint8_t *stub, size_t len)
{
	struct rpc_wait *w = user;
	w->done = true;
	w->status = status;
	w->stub_len = len;
}

/* --rpc-if-version / --rpc-opnum: one bind and one call, to see the
 * server's refusal (bind_nak or rejection, fault) through the client. */
static int shares_diag(struct probe *p)
{
	struct rpc_syntax abstract = rpc_syntax_srvsvc;
	if (p->rpc_if_version >= 0)
		abstract.major = (uint16_t)p->rpc_if_version;
	struct sf_rpc_opts ro = {.max_recv_frag = (uint16_t)p->rpc_frag, .pipe_read = p->pipe_read};
	struct rpc_wait w = {0};
	sf_rpc_bind(p->cl->tree, "srvsvc", &abstract, &ro, diag_bound, &w);
	while (!w.done)
		g_main_context_iteration(p->cl->ctx, TRUE);
	if (w.status) {
		int rc = die(sf_exit_for_status(w.status), "rpc bind: %s%s%s",
		             sf_ntstatus_name(w.status), w.why ? ": " : "", w.why ? w.why : "");
		g_free(w.why);
		return rc;
	}
	sf_rpc *r = w.rpc;
	size_t len;
	uint8_t *stub = srvsvc_share_enum_req_encode(p->host, 0, &len);
	w.done = false;
	sf_rpc_call(r, (uint16_t)(p->rpc_opnum >= 0 ? p->rpc_opnum : SRVSVC_OPNUM_NETRSHAREENUM),
	            stub, len, diag_called, &w);
	g_free(stub);
	while (!w.done)
		g_main_context_iteration(p->cl->ctx, TRUE);
	sf_rpc_free(r);
	if (w.status)
		return die(sf_exit_for_status(w.status), "rpc call: %s",
		           sf_ntstatus_name(w.status));
	printf("rpc call: %zu bytes of stub\n", w.stub_len);
	return 0;
}

/* One line per share: name, type (as smbclient -L names it), flags
 * (special: STYPE_SPECIAL, an administrative share; temporary; "-" for
 * none) and remark, separated by tabs. */
static int cmd_shares(struct probe *p)
{
	if (p->rpc_if_version >= 0 || p->rpc_opnum >= 0)
		return shares_diag(p);
	struct sf_rpc_opts ro = {.max_recv_frag = (uint16_t)p->rpc_frag, .pipe_read = p->pipe_read};
	GPtrArray *shares = NULL;
	char *why = NULL;
	unsigned frags = 0;
	uint32_t st =
	        sf_shares_enum_sync(p->cl->tree, p->host, &ro, p->cl->ctx, &shares, &why, &frags);
	if (st) {
		int rc = die(sf_exit_for_status(st), "shares //%s: %s%s%s", p->host,
		             sf_ntstatus_name(st), why ? ": " : "", why ? why : "");
		g_free(why);
		return rc;
	}
	for (guint i = 0; i < shares->len; i++) {
		const struct srvsvc_share *s = g_ptr_array_index(shares, i);
		GString *flags = g_string_new(NULL);
		if (s->type & STYPE_SPECIAL)
			g_string_append(flags, "special");
		if (s->type & STYPE_TEMPORARY)
			g_string_append(flags, flags->len ? ",temporary" : "temporary");
		printf("%s\t%s\t%s\t%s\n", s->name, srvsvc_type_name(s->type),
		       flags->len ? flags->str : "-", s->remark);
		g_string_free(flags, TRUE);
	}
	if (p->debug)
		fprintf(stderr, "rpc: shares=%u fragments=%u\n", shares->len, frags);
	g_ptr_array_unref(shares);
	return 0;
}

/* All log output, debug included, goes to stderr: stdout carries data. */
static GLogWriterOutput log_to_stderr(GLogLevelFlags level, const GLogField *fields, gsize n,
                                      gpointer user)
{
	if ((level & G_LOG_LEVEL_DEBUG) && !g_getenv("G_MESSAGES_DEBUG"))
		return G_LOG_WRITER_HANDLED;
	char *line = g_log_writer_format_fields(level, fields, n, FALSE);
	fprintf(stderr, "%s\n", line);
	g_free(line);
	return G_LOG_WRITER_HANDLED;
}

static int usage(void)
{
	fprintf(stderr,
	        "usage: " PROG " negotiate //host[:port] [-m MIN] [-M MAX] [-d]\n"
	        "       " PROG " ls|stat|mkdir|rm|rmdir //host[:port]/share/path [-o opts] [-d]\n"
	        "       " PROG " get //host/share/path LOCAL [-o opts]\n"
	        "       " PROG " put LOCAL //host/share/path [-o opts]\n"
	        "       " PROG " shares //host[:port] [-o opts] [--rpc-frag N] [--dump-rpc DIR]\n"
	        "         [--pipe-read N] [--rpc-if-version N] [--rpc-opnum N]\n"
	        "options: username=,domain=,credentials=FILE,port=,vers=,sec=ntlmssp|none,\n"
	        "         guest,sign,nosign,seal,cipher=,timeout=SECONDS\n"
	        "passwords: credentials file, PASSWD_FD or PASSWD; never on the command line\n");
	return SF_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	struct probe p = {.rpc_if_version = -1, .rpc_opnum = -1};
	g_log_set_writer_func(log_to_stderr, NULL, NULL);
	sf_heap_tune_for_io();
	p.creds = sf_creds_new();
	const char *pos[3] = {0};
	int npos = 0, rc = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-d")) {
			p.debug = true;
			g_setenv("G_MESSAGES_DEBUG", "all", TRUE);
		} else if ((!strcmp(argv[i], "-m") || !strcmp(argv[i], "-M")) && i + 1 < argc) {
			uint16_t d = smb2_dialect_parse(argv[i + 1]);
			if (!d) {
				rc = die(SF_EXIT_USAGE, "unknown dialect %s", argv[i + 1]);
				goto out;
			}
			if (argv[i][1] == 'm')
				p.co.min_dialect = d;
			else
				p.co.max_dialect = d;
			i++;
		} else if (!strcmp(argv[i], "--rpc-frag") && i + 1 < argc) {
			p.rpc_frag = (unsigned)atoi(argv[++i]);
			if (p.rpc_frag < 1432 || p.rpc_frag > 65535) {
				rc = die(SF_EXIT_USAGE, "--rpc-frag: 1432 to 65535 bytes");
				goto out;
			}
		} else if (!strcmp(argv[i], "--pipe-read") && i + 1 < argc) {
			p.pipe_read = (unsigned)atoi(argv[++i]);
			if (p.pipe_read < 16 || p.pipe_read > 65536) {
				rc = die(SF_EXIT_USAGE, "--pipe-read: 16 to 65536 bytes");
				goto out;
			}
		} else if (!strcmp(argv[i], "--rpc-if-version") && i + 1 < argc) {
			p.rpc_if_version = atoi(argv[++i]) & 0xffff;
		} else if (!strcmp(argv[i], "--rpc-opnum") && i + 1 < argc) {
			p.rpc_opnum = atoi(argv[++i]) & 0xffff;
		} else if (!strcmp(argv[i], "--dump-rpc") && i + 1 < argc) {
			sf_rpc_set_dump_dir(argv[++i]);
		} else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			if ((rc = parse_opts(&p, argv[++i])))
				goto out;
		} else if (argv[i][0] == '-') {
			{
				rc = usage();
				goto out;
			}
		} else if (npos < 3) {
			pos[npos++] = argv[i];
		} else {
			{
				rc = usage();
				goto out;
			}
		}
	}
	if (npos < 2) {
		rc = usage();
		goto out;
	}
	GError *err = NULL;
	if (!sf_creds_from_env(p.creds, &err)) {
		rc = die(SF_EXIT_USAGE, "%s", err->message);
		g_error_free(err);
		goto out;
	}
	const char *cmd = pos[0];
	const char *unc = !strcmp(cmd, "put") ? pos[2] : pos[1];
	const char *local = !strcmp(cmd, "put") ? pos[1] : pos[2];
	if (!unc || !parse_unc(&p, unc)) {
		rc = die(SF_EXIT_USAGE, "bad UNC '%s' (want //host[:port]/share/path)",
		         unc ? unc : "");
		goto out;
	}
	if (!strcmp(cmd, "negotiate")) {
		rc = cmd_negotiate(&p);
		goto out;
	}
	bool shares = !strcmp(cmd, "shares");
	if (shares && p.share) {
		rc = die(SF_EXIT_USAGE, "shares needs //host[:port], without a share");
		goto out;
	}
	if (shares)
		p.share = g_strdup("IPC$");
	if (!p.share) {
		rc = die(SF_EXIT_USAGE, "%s needs //host/share/path", cmd);
		goto out;
	}
	if ((!strcmp(cmd, "get") || !strcmp(cmd, "put")) && !local) {
		rc = usage();
		goto out;
	}
	p.co.host = p.host;
	p.co.port = p.port;
	p.co.share = p.share;
	p.co.creds = p.creds;
	char *why = NULL;
	uint32_t st = sf_client_open(&p.co, NULL, &p.cl, &why);
	if (st) {
		rc = die(sf_exit_for_status(st), "%s", why);
		g_free(why);
		goto out;
	}
	if (shares)
		rc = cmd_shares(&p);
	else if (!strcmp(cmd, "ls"))
		rc = cmd_ls(&p);
	else if (!strcmp(cmd, "stat"))
		rc = cmd_stat(&p);
	else if (!strcmp(cmd, "mkdir"))
		rc = cmd_mkdir(&p);
	else if (!strcmp(cmd, "rm"))
		rc = cmd_rm(&p, false);
	else if (!strcmp(cmd, "rmdir"))
		rc = cmd_rm(&p, true);
	else if (!strcmp(cmd, "get"))
		rc = cmd_get(&p, local);
	else if (!strcmp(cmd, "put"))
		rc = cmd_put(&p, local);
	else
		rc = usage();
	print_stats(&p);
	sf_client_close(p.cl);
out:
	sf_creds_free(p.creds);
	g_free(p.host);
	g_free(p.share);
	g_free(p.path);
	return rc;
}
