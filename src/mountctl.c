/* mountctl.c - start-up, main loop and teardown of the smbfuse daemon.
 *
 * Order matters (see architecture.md, "Mount helper"): resolve, connect,
 * authenticate and tree-connect FIRST, then mount, then detach. The
 * process forks before connecting (forking after GIO started its resolver
 * threads is not safe); the child does the work and reports "OK" or one
 * error line back through a pipe, so the parent - what mount(8) and
 * systemd wait for - exits with the real outcome. */
#define G_LOG_DOMAIN "smbfuse"

#include "mountctl.h"
#include "auth/krb5_gss.h"

#include "dfs/domain.h"
#include "fs/shares.h"
#include "fuse/ops.h"
#include "stats.h"
#include "users.h"
#include "net/client.h"
#include "util/log.h"
#include "proto/ntstatus.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct mount_state {
	const char *prog;
	int report_fd; /* write end of the pipe to the waiting parent, or -1 */
	struct sf_client *client;
	struct sf_fuse ctx;
	struct fuse_session *se;
	struct fuse_buf buf;
	GMainLoop *loop;
	guint fuse_src, sig_src[4];
	bool mounted;
	bool debug;
	bool krb5_chosen;       /* Kerberos by default (no sec=), NTLMv2 left to try */
	struct sf_users *users; /* multiuser: a session per local user */
};

/* Tell the waiting parent how start-up ended (or print it ourselves). */
static void report(struct mount_state *m, int code, const char *msg)
{
	if (m->report_fd < 0) {
		if (msg)
			fprintf(stderr, "%s: %s\n", m->prog, msg);
		return;
	}
	char *line = g_strdup_printf("%d\n%s", code, msg ? msg : "");
	ssize_t left = (ssize_t)strlen(line);
	const char *p = line;
	while (left > 0) {
		ssize_t w = write(m->report_fd, p, (size_t)left);
		if (w <= 0)
			break;
		p += w;
		left -= w;
	}
	g_free(line);
	close(m->report_fd);
	m->report_fd = -1;
}

/* The parent: wait for the child's verdict and exit with it. */
static int wait_for_child(int fd, const char *prog)
{
	GString *s = g_string_new(NULL);
	char b[512];
	ssize_t n;
	while ((n = read(fd, b, sizeof b)) > 0)
		g_string_append_len(s, b, n);
	close(fd);
	if (!s->len) {
		fprintf(stderr, "%s: the daemon exited during start-up\n", prog);
		g_string_free(s, TRUE);
		return SF_EXIT_IO;
	}
	char *nl = strchr(s->str, '\n');
	int code = atoi(s->str);
	if (nl && nl[1])
		fprintf(stderr, "%s: %s\n", prog, nl + 1);
	g_string_free(s, TRUE);
	return code;
}

static gboolean on_fuse_input(gint fd, GIOCondition cond, gpointer p)
{
	struct mount_state *m = p;
	int r = fuse_session_receive_buf(m->se, &m->buf);
	if (r == -EINTR || r == -EAGAIN)
		return G_SOURCE_CONTINUE;
	if (r <= 0) { /* unmounted (ENODEV) or the fd failed */
		g_main_loop_quit(m->loop);
		m->fuse_src = 0;
		return G_SOURCE_REMOVE;
	}
	/* The opcode, for the counters (struct fuse_in_header: len, opcode). */
	if (!(m->buf.flags & FUSE_BUF_IS_FD) && (size_t)r >= 8) {
		uint32_t op;
		memcpy(&op, (const char *)m->buf.mem + 4, sizeof op);
		m->ctx.stats.ops[op < SF_FUSE_OPCODES ? op : 0]++;
	}
	/* multiuser: a request of a user whose session is not set up yet
	 * waits for it (or is refused) there. */
	if (m->users && !(m->buf.flags & FUSE_BUF_IS_FD) &&
	    !sf_users_admit(m->users, m->buf.mem, (size_t)r))
		return G_SOURCE_CONTINUE;
	/* A request that could name a file created without waiting waits
	 * for its CREATE (fuse/lazy.c). */
	if (!(m->buf.flags & FUSE_BUF_IS_FD) && !sf_lazy_admit(&m->ctx, m->buf.mem, (size_t)r))
		return G_SOURCE_CONTINUE;
	sf_fuse_dispatch_begin(&m->ctx);
	fuse_session_process_buf(m->se, &m->buf);
	sf_fuse_dispatch_end(&m->ctx);
	if (fuse_session_exited(m->se)) {
		g_main_loop_quit(m->loop);
		m->fuse_src = 0;
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

/* A request that waited for a lazily created file's CREATE (lazy.c). */
static void process_held(void *ctx, const struct fuse_buf *buf)
{
	struct mount_state *m = ctx;
	sf_fuse_dispatch_begin(&m->ctx);
	fuse_session_process_buf(m->se, buf);
	sf_fuse_dispatch_end(&m->ctx);
}

/* A request that waited for its user's session (users.c). */
static void process_waiting(void *ctx, const struct fuse_buf *buf)
{
	struct mount_state *m = ctx;
	if (sf_lazy_admit(&m->ctx, buf->mem, buf->size))
		process_held(m, buf);
}

static void users_line(struct mount_state *m, sf_stats_line_fn line, void *user)
{
	if (!m->users)
		return;
	struct sf_users_stats us;
	sf_users_stats(m->users, &us);
	char *s = g_strdup_printf("smbfuse: multiuser: active=%u set_up=%" PRIu64
	                          " logged_off=%" PRIu64 " denied=%" PRIu64 " waited=%" PRIu64,
	                          us.active, us.sessions, us.logoffs, us.denied, us.waited);
	line(s, user);
	g_free(s);
}

static void log_line(const char *line, void *user)
{
	g_message("%s", line);
}

static void print_line(const char *line, void *user)
{
	fprintf(stderr, "%s\n", line);
}

/* SIGUSR1: the counters, to wherever messages go (stats.h). */
static gboolean on_usr1(gpointer p)
{
	struct mount_state *m = p;
	sf_stats_emit(m->client, &m->ctx, log_line, NULL);
	users_line(m, log_line, NULL);
	return G_SOURCE_CONTINUE;
}

static gboolean on_signal(gpointer p)
{
	struct mount_state *m = p;
	g_message("signal received: unmounting");
	g_main_loop_quit(m->loop);
	return G_SOURCE_CONTINUE;
}

/* debug=AREA:AREA (or all) selects debug output; G_MESSAGES_DEBUG from
 * the environment works as glib's own programs know it. */
static void setup_logging(const struct sf_config *cfg)
{
	const char *env = g_getenv("G_MESSAGES_DEBUG");
	if (cfg->debug)
		sf_log_set_debug(cfg->debug_list ? cfg->debug_list : "all");
	else if (env && *env)
		sf_log_set_debug("all");
}

struct prefix_check {
	bool done;
	int err;
};

static void prefix_checked(void *user, int err, const struct stat *st)
{
	struct prefix_check *p = user;
	p->err = err ? err : S_ISDIR(st->st_mode) ? 0 : ENOTDIR;
	p->done = true;
}

/* A mounted sub-directory must exist and be a directory: found now, it is
 * one line at mount time instead of ENOENT on every access later. */
static int check_prefix(sf_fs *fs)
{
	struct prefix_check p = {0};
	sf_fs_stat(fs, "", prefix_checked, &p);
	while (!p.done)
		g_main_context_iteration(NULL, TRUE);
	return p.err;
}

static void get_share_tree(void *ctx, const char *share, sf_tree_fn done, void *user)
{
	struct mount_state *m = ctx;
	sf_client_get_tree(m->client, share, done, user);
}

/* A server root: the shares, through srvsvc on IPC$ (already connected). */
static int list_shares(struct mount_state *m, struct sf_config *cfg, GPtrArray **out)
{
	char *why = NULL;
	uint32_t st = sf_shares_enum_sync(m->client->tree, cfg->host, NULL, m->client->ctx, out,
	                                  &why, NULL);
	if (!st)
		return 0;
	char *msg = g_strdup_printf("listing the shares of //%s: %s%s%s", cfg->host,
	                            sf_ntstatus_name(st), why ? ": " : "", why ? why : "");
	report(m, sf_exit_for_status(st), msg);
	g_free(msg);
	g_free(why);
	return sf_exit_for_status(st);
}

static int run(struct mount_state *m, struct sf_config *cfg)
{
	setup_logging(cfg);
	m->debug = cfg->debug;
	struct sf_client_opts co = {
	        .host = cfg->host,
	        .addr = cfg->addr,
	        .port = cfg->port,
	        .share = cfg->share ? cfg->share : "IPC$",
	        .min_dialect = cfg->min_dialect,
	        .max_dialect = cfg->max_dialect,
	        .auth = cfg->auth,
	        .creds = cfg->creds,
	        .nosign = cfg->nosign,
	        .seal = cfg->seal,
	        .timeout_ms = cfg->timeout_s * 1000,
	        .echo_ms = cfg->echo_interval_s * 1000,
	        .hard = cfg->hard,
	        .no_posix = cfg->posix == SF_POSIX_OFF,
	};
	char *why = NULL;
	/* The POSIX extensions exist only on SMB 3.1.1. */
	if (cfg->posix == SF_POSIX_ON && cfg->max_dialect && cfg->max_dialect < SMB2_DIALECT_0311) {
		report(m, SF_EXIT_USAGE,
		       "posix: the SMB 3.1.1 POSIX extensions need vers=3.1.1 (or no vers=)");
		return SF_EXIT_USAGE;
	}
	sf_dfs *dfs = NULL;
	char *prefix = g_strdup(cfg->prefix);
	uint32_t st;
	/* The credentials stay (in secure memory, out of core dumps) for
	 * re-authentication after a reconnect; they are wiped at unmount. */
	if (cfg->dc && cfg->share && !cfg->nodfs && !sf_dfs_host_resolves(cfg->host)) {
		/* //domain/namespace with no address for the domain: ask the
		 * domain controller given (MS-DFSC 3.1.4.1). */
		char *tpath = NULL;
		st = sf_dfs_open_domain(&co, cfg->dc, NULL, &m->client, &dfs, &tpath, &why);
		if (!st && tpath && *tpath) {
			char *p = tpath;
			for (char *q = p; *q; q++)
				*q = *q == '\\' ? '/' : *q;
			char *full = prefix ? g_strconcat(p, "/", prefix, NULL) : g_strdup(p);
			g_free(prefix);
			prefix = full;
		}
		g_free(tpath);
	} else {
		st = sf_client_open(&co, NULL, &m->client, &why);
		/* Kerberos chosen by default and refused (a ticket for another
		 * realm, a server outside it): NTLMv2 when there is a password,
		 * as Windows does. sec=krb5 never falls back. */
		if (st && m->krb5_chosen && cfg->creds->user && cfg->creds->password &&
		    sf_exit_for_status(st) != SF_EXIT_CONNECT) {
			g_message("Kerberos failed (%s); trying NTLMv2",
			          why ? why : sf_ntstatus_name(st));
			g_free(why);
			why = NULL;
			co.auth = cfg->auth = SF_AUTH_NTLM;
			st = sf_client_open(&co, NULL, &m->client, &why);
		}
	}
	if (st) {
		g_free(prefix);
		report(m, sf_exit_for_status(st), why);
		g_free(why);
		return sf_exit_for_status(st);
	}
	bool posix = sf_conn_negotiated(sf_session_conn(sf_tree_session(m->client->tree)))->posix;
	if (cfg->posix == SF_POSIX_ON && !posix) {
		char *msg = g_strdup_printf(
		        "posix: server %s does not offer the SMB 3.1.1 POSIX extensions "
		        "(Samba: smb3 unix extensions = yes); mount without posix",
		        sf_conn_peer(sf_session_conn(sf_tree_session(m->client->tree))));
		report(m, SF_EXIT_DIALECT, msg);
		g_free(msg);
		return SF_EXIT_DIALECT;
	}
	if (posix)
		g_debug("SMB 3.1.1 POSIX extensions in use");
	struct sf_fs_config fc = {
	        .posix = posix,
	        .owner_from_caller = posix && cfg->allow_other,
	        .uid = cfg->uid,
	        .gid = cfg->gid,
	        .file_mode = cfg->file_mode,
	        .dir_mode = cfg->dir_mode,
	        .mapposix = cfg->mapposix,
	        .readonly = cfg->ro,
	        .nolease = cfg->nolease,
	        .nodirlease = cfg->nohandlecache,
	        .prefix = prefix,
	};
	/* DFS links are followed through the mount's pool, with its port
	 * and credentials, unless nodfs (not below the shares of a server
	 * root). */
	if (cfg->share) {
		fc.dfs = cfg->nodfs ? NULL : dfs ? dfs : sf_dfs_new(m->client->pool, cfg->dc);
		m->ctx.fs = sf_fs_new(m->client->tree, &fc);
		if (cfg->multiuser) {
			/* SMBFUSE_TEST_MULTIUSER_IDLE: seconds, for the tests of
			 * the idle logoff; 10 minutes otherwise. */
			const char *idle = g_getenv("SMBFUSE_TEST_MULTIUSER_IDLE");
			struct sf_users_opts uo = {
			        .client = m->client,
			        .share = cfg->share,
			        .top = m->ctx.fs,
			        .owner_uid = cfg->cruid >= 0 ? (uid_t)cfg->cruid : getuid(),
			        .fc = &fc,
			        .mount_creds = cfg->creds,
			        .idle_s = idle ? (unsigned)atoi(idle) : 600,
			        .se = &m->se,
			        .process = process_waiting,
			        .ctx = m,
			};
			m->users = sf_users_new(&uo);
		}
		if (fc.dfs)
			sf_dfs_unref(fc.dfs);
		g_free(prefix);
		prefix = NULL;
	} else {
		g_free(prefix);
		prefix = NULL;
		GPtrArray *shares = NULL;
		int rc = list_shares(m, cfg, &shares);
		if (rc)
			return rc;
		m->ctx.fs = sf_fs_new_root(m->client->tree, &fc, shares, get_share_tree, m);
		g_ptr_array_unref(shares);
	}
	if (cfg->prefix) {
		int rc = check_prefix(m->ctx.fs);
		if (rc) {
			char *msg = g_strdup_printf(
			        "//%s/%s/%s: %s", cfg->host, cfg->share, cfg->prefix,
			        rc == ENOTDIR ? "not a directory on the server" : g_strerror(rc));
			int code = (rc == ENOENT || rc == ENOTDIR) ? SF_EXIT_NOTFOUND
			           : rc == EACCES                  ? SF_EXIT_DENIED
			                                           : SF_EXIT_IO;
			report(m, code, msg);
			g_free(msg);
			return code;
		}
	}
	m->ctx.inodes = sf_itable_new(cfg->serverino);
	m->ctx.attr_timeout = cfg->cache == SF_CACHE_NONE ? 0 : cfg->acregmax;
	m->ctx.entry_timeout = cfg->cache == SF_CACHE_NONE ? 0 : cfg->acdirmax;
	m->ctx.watch_max = cfg->max_cached_dirs < 0 ? 64 : cfg->max_cached_dirs;
	m->ctx.closetimeo_ms = (int)(cfg->closetimeo * 1000);
	m->ctx.serverino = cfg->serverino;
	m->ctx.direct_io = cfg->cache == SF_CACHE_NONE;
	m->ctx.writeback_cache = cfg->cache == SF_CACHE_LOOSE;
	/* New files are created with their first write (fuse/lazy.c), but
	 * not with cache=none, which promises every call reaches the server. */
	m->ctx.lazy = cfg->cache != SF_CACHE_NONE && !g_getenv("SMBFUSE_NO_LAZY_CREATE");
	m->ctx.process = process_held;
	m->ctx.process_ctx = m;
	m->ctx.ro = cfg->ro;
	m->ctx.mfsymlinks = cfg->mfsymlinks;
	m->ctx.brl = !cfg->nobrl;
	m->ctx.max_read = sf_fs_max_io(m->ctx.fs, false);
	m->ctx.max_write = sf_fs_max_io(m->ctx.fs, true);
	m->ctx.readahead = cfg->rasize ? cfg->rasize : 8u << 20;
	if (cfg->rsize)
		m->ctx.max_read = MIN(m->ctx.max_read, cfg->rsize);
	if (cfg->wsize)
		m->ctx.max_write = MIN(m->ctx.max_write, cfg->wsize);

	/* Host and share come from the command line and may hold ',' or
	 * '\\': escaped, they cannot end fsname= and add options. */
	char *raw = g_strdup_printf("//%s%s%s%s%s", cfg->host, cfg->share ? "/" : "",
	                            cfg->share ? cfg->share : "", cfg->prefix ? "/" : "",
	                            cfg->prefix ? cfg->prefix : "");
	char *fsname = sf_fuse_opt_escape(raw);
	g_free(raw);
	GString *mo = g_string_new(NULL);
	g_string_append_printf(mo, "fsname=%s,subtype=smbfuse", fsname);
	if (cfg->allow_other)
		g_string_append(mo, ",allow_other");
	if (cfg->default_permissions)
		g_string_append(mo, ",default_permissions");
	if (cfg->ro)
		g_string_append(mo, ",ro");
	g_string_append(mo, cfg->mount_flags->str); /* noexec, nosuid, ... as given */
	char *argv[] = {(char *)m->prog, "-o", mo->str, NULL};
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	m->se = fuse_session_new(&args, &sf_fuse_ops, sizeof sf_fuse_ops, &m->ctx);
	fuse_opt_free_args(&args); /* what libfuse added while parsing */
	g_free(fsname);
	if (!m->se) {
		g_string_free(mo, TRUE);
		report(m, SF_EXIT_IO, "cannot create the FUSE session");
		return SF_EXIT_IO;
	}
	if (fuse_session_mount(m->se, cfg->mountpoint) != 0) {
		g_string_free(mo, TRUE);
		char *msg = g_strdup_printf("cannot mount on %s (is /dev/fuse usable? for "
		                            "allow_other, user_allow_other in /etc/fuse.conf)",
		                            cfg->mountpoint);
		report(m, SF_EXIT_IO, msg);
		g_free(msg);
		return SF_EXIT_IO;
	}
	g_string_free(mo, TRUE);
	m->mounted = true;
	m->ctx.se = m->se;
	sf_pc_start(&m->ctx);
	sf_fuse_set_readahead(cfg->mountpoint, m->ctx.readahead);
	report(m, 0, NULL);
	if (!cfg->foreground) {
		/* Detached: nothing of the terminal stays open; messages go to
		 * the journal, syslog or the log file (util/log.h). */
		sf_log_detach();
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			if (!cfg->debug)
				dup2(null, 2);
			if (null > 2)
				close(null);
		}
		if (chdir("/") != 0)
			g_warning("chdir /: %s", g_strerror(errno));
	}
	m->loop = g_main_loop_new(NULL, FALSE);
	m->fuse_src = g_unix_fd_add(fuse_session_fd(m->se), G_IO_IN, on_fuse_input, m);
	m->sig_src[0] = g_unix_signal_add(SIGTERM, on_signal, m);
	m->sig_src[1] = g_unix_signal_add(SIGINT, on_signal, m);
	m->sig_src[2] = g_unix_signal_add(SIGHUP, on_signal, m);
	m->sig_src[3] = g_unix_signal_add(SIGUSR1, on_usr1, m);
	g_main_loop_run(m->loop);
	return 0;
}

static gboolean tick_wake(gpointer p)
{
	return G_SOURCE_CONTINUE;
}

/* Orderly teardown, also on a signal in the middle of busy I/O: stop
 * reading FUSE, unmount (replies to requests still in flight then fail
 * harmlessly), let the in-flight work drain while the tree is
 * disconnected and the session logged off (closing the client fails what
 * is left, and every callback runs now, while the state it touches is
 * still alive), and only then free. */
static void teardown(struct mount_state *m)
{
	m->ctx.stopping = true;
	if (m->fuse_src)
		g_source_remove(m->fuse_src);
	for (size_t i = 0; i < G_N_ELEMENTS(m->sig_src); i++)
		if (m->sig_src[i])
			g_source_remove(m->sig_src[i]);
	if (m->se) {
		fuse_session_exit(m->se);
		if (m->mounted)
			fuse_session_unmount(m->se);
	}
	/* What the mount did (and what outages cost), for -d and the tests. */
	if (m->client && m->debug) {
		sf_stats_emit(m->client, &m->ctx, print_line, NULL);
		users_line(m, print_line, NULL);
	}
	sf_dc_stop(&m->ctx); /* handles kept open after their close */
	if (m->ctx.fs) {
		sf_fs_close_all(m->ctx.fs);
		sf_fs_stop(m->ctx.fs); /* no DFS failover while the pool goes */
		/* The shares of a server root have trees of their own, which
		 * sf_client_close does not wait for: their CLOSEs are answered
		 * before the LOGOFF (bounded, a lost server must not hold us). */
		if (sf_fs_root_connected(m->ctx.fs) > 0) {
			GSource *tick = g_timeout_source_new(100); /* the deadline is seen */
			g_source_set_callback(tick, tick_wake, NULL, NULL);
			g_source_attach(tick, NULL);
			gint64 deadline = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
			while (sf_fs_outstanding(m->ctx.fs) > 0 &&
			       g_get_monotonic_time() < deadline)
				g_main_context_iteration(NULL, TRUE);
			g_source_destroy(tick);
			g_source_unref(tick);
		}
	}
	if (m->users)
		sf_users_close(m->users); /* their handles closed, LOGOFF each */
	sf_client_close(m->client);       /* tree disconnect, logoff, then close */
	while (g_main_context_iteration(NULL, FALSE))
		;              /* deferred completions of the failed requests */
	sf_lazy_stop(&m->ctx); /* what waited for a CREATE: answered EIO */
	sf_pc_stop(&m->ctx);   /* its thread uses the session */
	if (m->se)
		fuse_session_destroy(m->se);
	free(m->buf.mem);
	sf_fuse_drop_open(&m->ctx);
	sf_fs_free(m->ctx.fs);
	sf_users_free(m->users);
	sf_itable_free(m->ctx.inodes);
	if (m->loop)
		g_main_loop_unref(m->loop);
}

static int mount_main(struct sf_config *cfg, const char *prog)
{
	struct mount_state m = {.prog = prog, .report_fd = -1};
	GError *err = NULL;
	if (!sf_creds_from_env(cfg->creds, &err)) {
		fprintf(stderr, "%s: %s\n", prog, err->message);
		g_error_free(err);
		return SF_EXIT_USAGE;
	}
	/* No sec=: Kerberos when the user has a live ticket (or gave a
	 * keytab) and names the server by host name, as Windows does; else
	 * NTLMv2. sec=krb5 never falls back. */
	if (!cfg->auth_given && cfg->auth == SF_AUTH_NTLM && sf_krb5_available() &&
	    !g_hostname_is_ip_address(cfg->host) && sf_krb5_have_creds(cfg->creds)) {
		cfg->auth = SF_AUTH_KRB5;
		m.krb5_chosen = true;
		if (cfg->debug)
			fprintf(stderr, "%s: a Kerberos ticket was found: using Kerberos\n", prog);
	}
	/* No password from a file or the environment, and someone at a
	 * terminal: ask, without echo, like mount.cifs. */
	if (cfg->auth == SF_AUTH_NTLM && cfg->creds->user && !cfg->creds->password &&
	    isatty(STDIN_FILENO)) {
		char *prompt = g_strdup_printf("Password for %s@%s: ", cfg->creds->user, cfg->unc);
		bool ok = sf_creds_prompt(cfg->creds, prompt, &err);
		g_free(prompt);
		if (!ok) {
			fprintf(stderr, "%s: %s\n", prog, err->message);
			g_error_free(err);
			return SF_EXIT_USAGE;
		}
	}
	struct stat sb;
	if (stat(cfg->mountpoint, &sb) != 0) {
		fprintf(stderr, "%s: mount point %s: %s\n", prog, cfg->mountpoint,
		        g_strerror(errno));
		return SF_EXIT_USAGE;
	}
	if (!S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "%s: mount point %s: not a directory\n", prog, cfg->mountpoint);
		return SF_EXIT_USAGE;
	}
	signal(SIGPIPE, SIG_IGN);
	if (!cfg->foreground) {
		int p[2];
		if (pipe2(p, O_CLOEXEC) != 0) {
			fprintf(stderr, "%s: pipe: %s\n", prog, g_strerror(errno));
			return SF_EXIT_IO;
		}
		pid_t pid = fork();
		if (pid < 0) {
			fprintf(stderr, "%s: fork: %s\n", prog, g_strerror(errno));
			return SF_EXIT_IO;
		}
		if (pid > 0) {
			close(p[1]);
			return wait_for_child(p[0], prog); /* the child has its own copy */
		}
		close(p[0]);
		setsid();
		m.report_fd = p[1];
	}
	int rc = run(&m, cfg);
	if (m.report_fd >= 0)
		report(&m, rc ? rc : SF_EXIT_IO, "start-up failed");
	teardown(&m);
	return rc;
}

int sf_mount_main(struct sf_config *cfg, const char *prog)
{
	int rc = mount_main(cfg, prog);
	sf_config_free(cfg); /* wipes the secrets it holds */
	return rc;
}
