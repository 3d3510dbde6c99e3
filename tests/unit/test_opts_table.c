/* test_opts_table.c - the option table (src/opts.c) holds what it claims:
 * every IMPLEMENTED option changes the configuration the daemon reads,
 * every NOOP changes nothing, every REFUSED one is an error naming it; the
 * manual lists each with the same state. Also: strict ports, fsname
 * escaping, allow_other's default_permissions, the credentials reader
 * (buffer parser, FIFO, directory, foreign owner) and PASSWD_FD. */
#include "auth/creds.h"
#include "auth/krb5_gss.h"
#include "opts.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char *cred_file;

/* Everything in sf_config, as text. A field added to sf_config must be
 * added here too, or options setting it would look like no-ops: the size
 * check below fails to remind. */
G_STATIC_ASSERT(sizeof(struct sf_config) == 232);
static char *describe(const struct sf_config *c)
{
	const struct sf_creds *cr = c->creds;
	return g_strdup_printf(
	        "unc=%s host=%s port=%u share=%s mp=%s user=%s dom=%s pw=%s dialects=%x-%x "
	        "auth=%d nosign=%d seal=%d uid=%u gid=%u modes=%o/%o ro=%d cache=%d "
	        "ac=%g/%g/%g io=%u/%u mfsymlinks=%d mapposix=%d nobrl=%d serverino=%d "
	        "allow_other=%d default_permissions=%d noperm=%d flags=%s fg=%d debug=%d:%s "
	        "timeout=%u prefix=%s echo=%u hard=%d nolease=%d rasize=%u posix=%d nodfs=%d dc=%s "
	        "addr=%s auth_given=%d ccache=%s keytab=%s kprinc=%s spn=%s multiuser=%d "
	        "perm_given=%d cruid=%lld nohandlecache=%d max_cached_dirs=%d closetimeo=%g",
	        c->unc, c->host, c->port, c->share, c->mountpoint, cr->user, cr->domain,
	        cr->password, c->min_dialect, c->max_dialect, c->auth, c->nosign, c->seal, c->uid,
	        c->gid, c->file_mode, c->dir_mode, c->ro, c->cache, c->actimeo, c->acregmax,
	        c->acdirmax, c->rsize, c->wsize, c->mfsymlinks, c->mapposix, c->nobrl, c->serverino,
	        c->allow_other, c->default_permissions, c->noperm, c->mount_flags->str,
	        c->foreground, c->debug, c->debug_list, c->timeout_s, c->prefix, c->echo_interval_s,
	        c->hard, c->nolease, c->rasize, (int)c->posix, c->nodfs, c->dc, c->addr,
	        c->auth_given, cr->krb5_ccache, cr->krb5_keytab, cr->krb5_principal, cr->spn,
	        c->multiuser, c->perm_given, (long long)c->cruid, c->nohandlecache,
	        c->max_cached_dirs, c->closetimeo);
}

/* Parse a full command line with these -o options; NULL on error. */
static struct sf_config *parse(const char *opts, GError **err)
{
	struct sf_config *c = sf_config_new();
	char *argv[] = {"//srv/data", "/mnt", "-o", (char *)opts};
	if (!sf_config_parse(c, opts && *opts ? 4 : 2, argv, err)) {
		sf_config_free(c);
		return NULL;
	}
	return c;
}

static char *describe_opts(const char *opts)
{
	GError *err = NULL;
	struct sf_config *c = parse(opts, &err);
	g_assert_no_error(err);
	char *d = describe(c);
	sf_config_free(c);
	return d;
}

/* "name" or "name=value", with a name usable for a '*' row. */
static char *option_text(const struct sf_opt *o, const char *value)
{
	char *name = g_strdup(o->name);
	size_t n = strlen(name);
	if (name[n - 1] == '*') {
		name[n - 1] = 0;
		char *t = g_strconcat(name, "test", NULL);
		g_free(name);
		name = t;
	}
	if (value && !strcmp(value, "@FILE@"))
		value = cred_file;
	char *s = value ? g_strdup_printf("%s=%s", name, value) : g_strdup(name);
	g_free(name);
	return s;
}

static void test_every_row(void)
{
	size_t n;
	const struct sf_opt *t = sf_opts_table(&n);
	g_assert_cmpuint(n, >, 100);
	char *defaults = describe_opts(NULL);
	for (size_t i = 0; i < n; i++) {
		const struct sf_opt *o = &t[i];
		const char *value = o->sample;
		if (!value && o->arg == SF_ARG_VALUE)
			value = "1";
		char *text = option_text(o, value);
		g_test_message("%s", text);
		GError *err = NULL;
		if (o->state == SF_OPT_IMPLEMENTED) {
			char *before = describe_opts(o->baseline);
			char *both = o->baseline ? g_strdup_printf("%s,%s", o->baseline, text)
			                         : g_strdup(text);
			char *after = describe_opts(both);
			if (!strcmp(before, after))
				g_error("IMPLEMENTED option %s changes nothing", text);
			g_free(before);
			g_free(after);
			g_free(both);
		} else if (o->state == SF_OPT_NOOP) {
			g_assert_nonnull(o->why);
			char *after = describe_opts(text);
			if (strcmp(defaults, after))
				g_error("NOOP option %s changes the configuration:\n%s\n%s", text,
				        defaults, after);
			g_free(after);
		} else {
			g_assert_nonnull(o->why);
			g_assert_null(parse(text, &err));
			char *quoted = g_strdup_printf("'%.*s", (int)strcspn(text, "="), text);
			if (!strstr(err->message, quoted))
				g_error("refusal of %s does not name it: %s", text, err->message);
			g_free(quoted);
			g_clear_error(&err);
		}
		/* The argument kind is enforced. */
		if (o->state != SF_OPT_REFUSED && o->arg == SF_ARG_VALUE) {
			char *bare = option_text(o, NULL);
			g_assert_null(parse(bare, &err));
			g_assert_nonnull(strstr(err->message, "needs a value"));
			g_clear_error(&err);
			g_free(bare);
		}
		if (o->state != SF_OPT_REFUSED && o->arg == SF_ARG_NONE) {
			char *valued = option_text(o, "1");
			g_assert_null(parse(valued, &err));
			g_assert_nonnull(strstr(err->message, "takes no value"));
			g_clear_error(&err);
			g_free(valued);
		}
		g_free(text);
	}
	g_free(defaults);
}

/* The manual's comparison table: "name<TAB>state<TAB>reason" rows
 * between .TS and .TE in the section OPTIONS COMPARED WITH mount.cifs. */
static void test_manual_lists_every_row(void)
{
	char *text = NULL;
	GError *err = NULL;
	g_assert_true(g_file_get_contents(SF_MAN_PAGE, &text, NULL, &err));
	const char *sec = strstr(text, "OPTIONS COMPARED WITH mount.cifs");
	g_assert_nonnull(sec);
	const char *ts = strstr(sec, "\n.TS"), *te = ts ? strstr(ts, "\n.TE") : NULL;
	g_assert_nonnull(te);
	char *body = g_strndup(ts, (gsize)(te - ts));
	GHashTable *rows = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	char **lines = g_strsplit(body, "\n", -1);
	for (char **l = lines; *l; l++) {
		char **f = g_strsplit(*l, "\t", 3);
		if (f[0] && f[1]) {
			GString *name = g_string_new(f[0]);
			g_string_replace(name, "\\-", "-", 0);
			g_string_replace(name, "\\fB", "", 0);
			g_string_replace(name, "\\fR", "", 0);
			g_hash_table_insert(rows, g_string_free(name, FALSE), g_strdup(f[1]));
		}
		g_strfreev(f);
	}
	size_t n;
	const struct sf_opt *t = sf_opts_table(&n);
	static const char *const words[] = {"implemented", "no-op", "refused"};
	for (size_t i = 0; i < n; i++) {
		const char *state = g_hash_table_lookup(rows, t[i].name);
		if (!state)
			g_error("man/smbfuse.8 does not list option %s", t[i].name);
		if (strcmp(state, words[t[i].state]))
			g_error("man/smbfuse.8 says %s for %s, the table %s", state, t[i].name,
			        words[t[i].state]);
	}
	g_assert_cmpuint(g_hash_table_size(rows), ==, n + 1); /* + the header row */
	g_strfreev(lines);
	g_hash_table_destroy(rows);
	g_free(body);
	g_free(text);
}

static void refused(const char *opts, const char *needle)
{
	GError *err = NULL;
	g_assert_null(parse(opts, &err));
	g_assert_nonnull(err);
	if (!strstr(err->message, needle))
		g_error("'%s': expected '%s' in: %s", opts, needle, err->message);
	g_error_free(err);
}

static void test_ports(void)
{
	refused("port=0", "port=0");
	refused("port=70000", "port=70000");
	refused("port=-1", "port=-1");
	refused("port=+445", "port=+445");
	refused("port= 445", "port= 445");
	refused("port=0x1bd", "port=0x1bd");
	static const char *const bad[] = {"//host:12x/share",   "//host:0/share",
	                                  "//host:65536/share", "//host:/share",
	                                  "//[::1]:-5/share",   "//[::1]junk/share"};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		struct sf_config *c = sf_config_new();
		GError *err = NULL;
		g_assert_false(sf_config_parse_unc(c, bad[i], &err));
		g_assert_nonnull(strstr(err->message, bad[i]));
		g_clear_error(&err);
		sf_config_free(c);
	}
	GError *err = NULL;
	struct sf_config *c = sf_config_new();
	g_assert_true(sf_config_parse_unc(c, "//host:65535/share/", &err));
	g_assert_cmpuint(c->port, ==, 65535);
	g_assert_cmpstr(c->share, ==, "share");
	g_assert_null(c->prefix);
	/* A sub-directory is mounted (as prefixpath= does), normalised. */
	g_assert_true(sf_config_parse_unc(c, "//host/share/sub//dir/", &err));
	g_assert_cmpstr(c->share, ==, "share");
	g_assert_cmpstr(c->prefix, ==, "sub/dir");
	sf_config_free(c);
	c = sf_config_new();
	g_assert_true(sf_config_parse_unc(c, "\\\\host\\share\\Документы", &err));
	g_assert_cmpstr(c->prefix, ==, "Документы");
	sf_config_free(c);
	c = sf_config_new();
	g_assert_false(sf_config_parse_unc(c, "//host/share/a/../b", &err));
	g_assert_nonnull(strstr(err->message, "'..'"));
	g_clear_error(&err);
	sf_config_free(c);
	c = parse("prefixpath=x/y", &err);
	g_assert_cmpstr(c->prefix, ==, "x/y");
	sf_config_free(c);
	g_assert_null(parse("prefixpath=x,prefixpath=z", &err));
	g_assert_nonnull(strstr(err->message, "two different sub-directories"));
	g_clear_error(&err);
	c = parse("port=445", &err);
	g_assert_cmpuint(c->port, ==, 445);
	sf_config_free(c);
}

static void test_fsname_escape(void)
{
	char *e = sf_fuse_opt_escape("//h/a,allow_other\\x");
	g_assert_cmpstr(e, ==, "//h/a\\,allow_other\\\\x");
	g_free(e);
	e = sf_fuse_opt_escape("//h/plain");
	g_assert_cmpstr(e, ==, "//h/plain");
	g_free(e);
}

static void test_allow_other(void)
{
	GError *err = NULL;
	struct sf_config *c = parse("allow_other", &err);
	g_assert_true(c->allow_other && c->default_permissions);
	sf_config_free(c);
	c = parse("noperm", &err);
	g_assert_true(!c->default_permissions && c->noperm);
	sf_config_free(c);
	refused("allow_other,noperm", "noperm cannot be combined with allow_other");
	refused("resilienthandles", "'resilienthandles' is not supported by smbfuse");
	refused("echo_interval=0", "bad echo_interval=0");
	refused("echo_interval=601", "bad echo_interval=601");
	c = parse("hard,echo_interval=7,nolease", &err);
	g_assert_true(c->hard && c->nolease);
	g_assert_false(c->nodfs);
	g_assert_cmpuint(c->echo_interval_s, ==, 7);
	sf_config_free(c);
	c = parse("nodfs,domain_controller=dc1.test.lan", &err);
	g_assert_true(c->nodfs);
	g_assert_cmpstr(c->dc, ==, "dc1.test.lan");
	sf_config_free(c);
	refused("domain_controller=a/b", "domain_controller= needs a host name");
	c = parse("hard,soft", &err);
	g_assert_false(c->hard);
	g_assert_cmpuint(c->echo_interval_s, ==, 60);
	sf_config_free(c);
	refused("cache=singleclient", "cache=singleclient is not supported");
	c = parse("cache=loose", &err);
	g_assert_nonnull(c);
	g_assert_cmpint(c->cache, ==, SF_CACHE_LOOSE);
	sf_config_free(c);
	if (sf_krb5_available()) {
		c = parse("sec=krb5,krb5_principal=svc@EX.COM,spn=cifs/alias,ip=10.0.0.1", &err);
		g_assert_no_error(err);
		g_assert_cmpint(c->auth, ==, SF_AUTH_KRB5);
		g_assert_true(c->auth_given);
		g_assert_cmpstr(c->creds->spn, ==, "cifs/alias");
		g_assert_cmpstr(c->addr, ==, "10.0.0.1");
		sf_config_free(c);
		c = parse("cruid=4242", &err);
		g_assert_cmpstr(c->creds->krb5_ccache, ==, "FILE:/tmp/krb5cc_4242");
		g_assert_cmpint(c->cruid, ==, 4242);
		g_assert_false(c->auth_given);
		sf_config_free(c);
		/* multiuser: Kerberos, every user in, the server decides. */
		c = parse("multiuser", &err);
		g_assert_no_error(err);
		g_assert_true(c->multiuser && c->allow_other && !c->default_permissions);
		g_assert_cmpint(c->auth, ==, SF_AUTH_KRB5);
		sf_config_free(c);
		c = parse("multiuser,perm,uid=5", &err);
		g_assert_true(c->multiuser && c->allow_other && c->default_permissions);
		sf_config_free(c);
		refused("multiuser,sec=ntlmssp", "multiuser needs Kerberos (sec=krb5)");
		refused("multiuser,guest", "multiuser needs Kerberos (sec=krb5)");
		struct sf_config *r = sf_config_new();
		char *argv[] = {"//srv", "/mnt", "-o", "multiuser"};
		g_assert_false(sf_config_parse(r, 4, argv, &err));
		g_assert_nonnull(strstr(err->message, "multiuser needs //server/share"));
		g_clear_error(&err);
		sf_config_free(r);
	} else {
		refused("sec=krb5", "Kerberos");
		refused("multiuser", "built without");
	}
	refused("krb5_keytab=/nonexistent/kt", "krb5_keytab=/nonexistent/kt");
	refused("iocharset=iso8859-1", "iocharset=iso8859-1");
	refused("password=x", "'password'");
}

static void test_creds_parse(void)
{
	struct sf_creds *c = sf_creds_new();
	static const char text[] = "# comment\r\n  username = DOM\\u1\r\npassword=  sp ace \r\n"
	                           "\n=novalue\nnoequals\nworkgroup=WG\n";
	GError *err = NULL;
	g_assert_true(sf_creds_parse(c, text, sizeof text - 1, &err));
	g_assert_cmpstr(c->user, ==, "u1");
	g_assert_cmpstr(c->domain, ==, "WG");
	g_assert_cmpstr(c->password, ==, "  sp ace ");
	/* No terminating newline, and bytes after the buffer are not read. */
	g_assert_true(sf_creds_parse(c, "pass=abcdef", 8, &err));
	g_assert_cmpstr(c->password, ==, "abc");
	g_assert_false(sf_creds_parse(c, "password=a\0b\n", 13, &err));
	g_clear_error(&err);
	char *longpw = g_strnfill(SF_PASSWORD_MAX + 1, 'x');
	char *line = g_strconcat("password=", longpw, NULL);
	g_assert_false(sf_creds_parse(c, line, strlen(line), &err));
	g_assert_nonnull(strstr(err->message, "longer than"));
	g_clear_error(&err);
	line[strlen(line) - 1] = 0; /* exactly the maximum is fine */
	g_assert_true(sf_creds_parse(c, line, strlen(line), &err));
	g_assert_cmpuint(strlen(c->password), ==, SF_PASSWORD_MAX);
	g_free(line);
	g_free(longpw);
	sf_creds_free(c);
}

static void creds_refused(const char *path, const char *needle)
{
	struct sf_creds *c = sf_creds_new();
	GError *err = NULL;
	gint64 t0 = g_get_monotonic_time();
	g_assert_false(sf_creds_read_file(c, path, &err));
	g_assert_cmpint(g_get_monotonic_time() - t0, <, 2 * G_USEC_PER_SEC);
	if (!strstr(err->message, needle))
		g_error("%s: expected '%s' in: %s", path, needle, err->message);
	g_error_free(err);
	sf_creds_free(c);
}

static void test_creds_file(void)
{
	char *dir = g_dir_make_tmp("sf-creds-XXXXXX", NULL);
	char *fifo = g_build_filename(dir, "fifo", NULL);
	g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
	char *msg = g_strdup_printf("credentials file %s is not a regular file", fifo);
	creds_refused(fifo, msg); /* and it did not wait for a writer */
	g_free(msg);
	char *sub = g_build_filename(dir, "sub", NULL);
	g_assert_cmpint(g_mkdir(sub, 0700), ==, 0);
	creds_refused(sub, "is not a regular file");
	if (getuid() == 0) {
		/* As root: a file someone else owns is not trusted. */
		g_assert_cmpint(chown(cred_file, 65534, 65534), ==, 0);
		creds_refused(cred_file, "owned by uid 65534");
		g_assert_cmpint(chown(cred_file, 0, 0), ==, 0);
	}
	char *link = g_build_filename(dir, "link", NULL);
	g_assert_cmpint(symlink(cred_file, link), ==, 0);
	creds_refused(link, "credentials file");
	g_unlink(link);
	g_unlink(fifo);
	g_rmdir(sub);
	g_rmdir(dir);
	g_free(link);
	g_free(fifo);
	g_free(sub);
	g_free(dir);
}

static void passwd_fd(const char *content, bool ok, const char *password)
{
	int p[2];
	g_assert_cmpint(pipe(p), ==, 0);
	size_t len = strlen(content);
	g_assert_cmpint(write(p[1], content, len), ==, (ssize_t)len);
	close(p[1]);
	char *fds = g_strdup_printf("%d", p[0]);
	g_setenv("PASSWD_FD", fds, TRUE);
	struct sf_creds *c = sf_creds_new();
	GError *err = NULL;
	g_assert_cmpint(sf_creds_from_env(c, &err), ==, ok);
	if (ok) {
		g_assert_no_error(err);
		g_assert_cmpstr(c->password, ==, password);
	} else {
		g_assert_nonnull(strstr(err->message, "PASSWD_FD"));
		g_clear_error(&err);
	}
	/* Closed either way, and gone from the environment. */
	g_assert_cmpint(fcntl(p[0], F_GETFD), ==, -1);
	g_assert_null(g_getenv("PASSWD_FD"));
	sf_creds_free(c);
	g_free(fds);
}

static void test_passwd_fd(void)
{
	passwd_fd("s3cret\nnext line\n", true, "s3cret");
	char *big = g_strnfill(600, 'p');
	passwd_fd(big, false, NULL);
	g_free(big);
	g_setenv("PASSWD_FD", "12x", TRUE);
	struct sf_creds *c = sf_creds_new();
	GError *err = NULL;
	g_assert_false(sf_creds_from_env(c, &err));
	g_assert_nonnull(strstr(err->message, "PASSWD_FD"));
	g_clear_error(&err);
	sf_creds_free(c);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	char tmpl[] = "/tmp/sf-opt-cred-XXXXXX";
	int fd = mkstemp(tmpl);
	g_assert_cmpint(write(fd, "username=fileuser\npassword=pw\n", 30), ==, 30);
	close(fd);
	cred_file = tmpl;
	g_test_add_func("/opts/table/every-row", test_every_row);
	g_test_add_func("/opts/table/manual", test_manual_lists_every_row);
	g_test_add_func("/opts/ports", test_ports);
	g_test_add_func("/opts/fsname-escape", test_fsname_escape);
	g_test_add_func("/opts/allow-other", test_allow_other);
	g_test_add_func("/creds/parse", test_creds_parse);
	g_test_add_func("/creds/file", test_creds_file);
	g_test_add_func("/creds/passwd-fd", test_passwd_fd);
	int rc = g_test_run();
	unlink(tmpl);
	return rc;
}
