/* opts.c - mount.cifs-compatible option parsing. fstab noise is dropped,
 * an unknown option is an error, a password on the command line is
 * refused. */
#include "opts.h"

#include "proto/smb2.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OPT_ERROR g_quark_from_static_string("smbfuse-opts")

struct sf_config *sf_config_new(void)
{
	struct sf_config *c = g_new0(struct sf_config, 1);
	c->creds = sf_creds_new();
	c->auth = SF_AUTH_NTLM;
	c->uid = getuid();
	c->gid = getgid();
	c->file_mode = 0644;
	c->dir_mode = 0755;
	c->actimeo = 1.0;
	c->acregmax = c->acdirmax = -1;
	c->serverino = true;
	c->timeout_s = 30;
	c->echo_interval = 60;
	return c;
}

void sf_config_free(struct sf_config *c)
{
	if (!c)
		return;
	sf_creds_free(c->creds);
	g_free(c->unc);
	g_free(c->host);
	g_free(c->share);
	g_free(c->mountpoint);
	g_free(c->debug_list);
	g_free(c);
}

bool sf_config_parse_unc(struct sf_config *c, const char *unc, GError **err)
{
	if (!(unc[0] == '/' && unc[1] == '/') && !(unc[0] == '\\' && unc[1] == '\\')) {
		g_set_error(err, OPT_ERROR, EINVAL, "'%s' is not a share (//server/share)", unc);
		return false;
	}
	char *s = g_strdup(unc + 2);
	g_strdelimit(s, "\\", '/');
	char *slash = strchr(s, '/');
	char *share = slash ? slash + 1 : NULL;
	if (slash)
		*slash = 0;
	char *host = s, *port = NULL;
	if (host[0] == '[') {
		char *end = strchr(host, ']');
		if (end) {
			*end = 0;
			port = end[1] == ':' ? end + 2 : NULL;
		}
		host++;
	} else if ((port = strchr(host, ':'))) {
		*port++ = 0;
	}
	if (!*host || !share || !*share) {
		g_set_error(err, OPT_ERROR, EINVAL, "'%s' names no share (//server/share)", unc);
		g_free(s);
		return false;
	}
	char *end = strchr(share, '/');
	if (end)
		*end = 0; /* a sub-path is not supported yet: mount the share */
	c->unc = g_strdup(unc);
	c->host = g_strdup(host);
	c->share = g_strdup(share);
	if (port && !c->port) /* an explicit port= option wins */
		c->port = (uint16_t)atoi(port);
	g_free(s);
	return true;
}

static bool parse_num(const char *v, unsigned long max, unsigned long *out, int base)
{
	char *end;
	if (!v || !*v)
		return false;
	errno = 0;
	unsigned long n = strtoul(v, &end, base);
	if (errno || *end || n > max)
		return false;
	*out = n;
	return true;
}

static bool parse_vers(struct sf_config *c, const char *v)
{
	if (!strcmp(v, "3") || !strcmp(v, "default")) {
		c->min_dialect = SMB2_DIALECT_0300;
		c->max_dialect = SMB2_DIALECT_0311;
		return true;
	}
	uint16_t d = smb2_dialect_parse(v);
	if (!d)
		return false;
	c->min_dialect = c->max_dialect = d;
	return true;
}

/* Options mount(8), fstab and systemd add that mean nothing here. */
static bool is_noise(const char *k)
{
	static const char *const noise[] = {"auto",    "noauto",  "user",     "users", "nouser",
	                                    "_netdev", "nofail",  "defaults", "exec",  "noexec",
	                                    "suid",    "nosuid",  "dev",      "nodev", "atime",
	                                    "noatime", "relatime"};
	for (size_t i = 0; i < G_N_ELEMENTS(noise); i++)
		if (!strcmp(k, noise[i]))
			return true;
	return g_str_has_prefix(k, "x-systemd.") || g_str_has_prefix(k, "x-") ||
	       !strcmp(k, "comment");
}

static bool one_opt(struct sf_config *c, char *o, GError **err)
{
	char *eq = strchr(o, '=');
	const char *v = eq ? eq + 1 : NULL;
	if (eq)
		*eq = 0;
	const char *k = o;
	unsigned long n;
	GError *e2 = NULL;
#define BAD(...) (g_set_error(err, OPT_ERROR, EINVAL, __VA_ARGS__), false)
	if (!*k || is_noise(k))
		return true;
	if (!strcmp(k, "username") || !strcmp(k, "user")) {
		if (!v)
			return BAD("%s= needs a value", k);
		sf_creds_set_user(c->creds, v);
	} else if (!strcmp(k, "domain") || !strcmp(k, "dom") || !strcmp(k, "workgroup")) {
		sf_creds_set(&c->creds->domain, v);
	} else if (!strcmp(k, "password") || !strcmp(k, "pass")) {
		return BAD("refusing a password in the options (it would show in ps); use "
		           "credentials=FILE, PASSWD_FD or PASSWD");
	} else if (!strcmp(k, "credentials") || !strcmp(k, "cred")) {
		if (!v)
			return BAD("credentials= needs a file");
		if (!sf_creds_read_file(c->creds, v, &e2)) {
			g_propagate_error(err, e2);
			return false;
		}
	} else if (!strcmp(k, "port")) {
		if (!parse_num(v, 65535, &n, 10) || !n)
			return BAD("bad port=%s", v ? v : "");
		c->port = (uint16_t)n;
	} else if (!strcmp(k, "vers")) {
		if (!v || !parse_vers(c, v))
			return BAD("unknown SMB dialect vers=%s (2.0, 2.1, 3.0, 3.02, 3.1.1, 3)",
			           v ? v : "");
	} else if (!strcmp(k, "sec")) {
		if (!v)
			return BAD("sec= needs a value");
		if (!strcmp(v, "none"))
			c->auth = SF_AUTH_ANON;
		else if (!strcmp(v, "ntlmssp") || !strcmp(v, "ntlmsspi") || !strcmp(v, "ntlmv2") ||
		         !strcmp(v, "ntlmv2i"))
			c->auth = SF_AUTH_NTLM;
		else if (!strcmp(v, "krb5") || !strcmp(v, "krb5i"))
			c->auth = SF_AUTH_KRB5;
		else
			return BAD("unsupported sec=%s (ntlmssp, krb5, none)", v);
	} else if (!strcmp(k, "guest")) {
		c->auth = SF_AUTH_GUEST;
	} else if (!strcmp(k, "sign")) {
		c->nosign = false;
	} else if (!strcmp(k, "nosign")) {
		c->nosign = true;
	} else if (!strcmp(k, "seal")) {
		c->seal = true;
	} else if (!strcmp(k, "uid") || !strcmp(k, "gid")) {
		if (!parse_num(v, UINT32_MAX - 1, &n, 10))
			return BAD("bad %s=%s", k, v ? v : "");
		if (k[0] == 'u')
			c->uid = (uid_t)n;
		else
			c->gid = (gid_t)n;
	} else if (!strcmp(k, "forceuid")) {
		c->forceuid = true;
	} else if (!strcmp(k, "forcegid")) {
		c->forcegid = true;
	} else if (!strcmp(k, "noforceuid") || !strcmp(k, "noforcegid")) {
		/* our ownership is always forced: there are no unix extensions */
	} else if (!strcmp(k, "file_mode") || !strcmp(k, "dir_mode")) {
		if (!parse_num(v, 07777, &n, 8))
			return BAD("bad %s=%s (octal)", k, v ? v : "");
		if (k[0] == 'f')
			c->file_mode = (mode_t)n;
		else
			c->dir_mode = (mode_t)n;
	} else if (!strcmp(k, "ro")) {
		c->ro = true;
	} else if (!strcmp(k, "rw")) {
		c->ro = false;
	} else if (!strcmp(k, "cache")) {
		if (v && !strcmp(v, "strict"))
			c->cache = SF_CACHE_STRICT;
		else if (v && !strcmp(v, "loose"))
			c->cache = SF_CACHE_LOOSE;
		else if (v && !strcmp(v, "none"))
			c->cache = SF_CACHE_NONE;
		else
			return BAD("cache= takes strict, loose or none");
	} else if (!strcmp(k, "actimeo") || !strcmp(k, "acregmax") || !strcmp(k, "acdirmax")) {
		if (!parse_num(v, 86400, &n, 10))
			return BAD("bad %s=%s (seconds)", k, v ? v : "");
		if (!strcmp(k, "actimeo"))
			c->actimeo = (double)n;
		else if (!strcmp(k, "acregmax"))
			c->acregmax = (double)n;
		else
			c->acdirmax = (double)n;
	} else if (!strcmp(k, "rsize") || !strcmp(k, "wsize")) {
		if (!parse_num(v, 16u << 20, &n, 10) || n < 4096)
			return BAD("bad %s=%s", k, v ? v : "");
		if (k[0] == 'r')
			c->rsize = (uint32_t)n;
		else
			c->wsize = (uint32_t)n;
	} else if (!strcmp(k, "echo_interval")) {
		if (!parse_num(v, 600, &n, 10) || !n)
			return BAD("bad echo_interval=%s", v ? v : "");
		c->echo_interval = (unsigned)n;
	} else if (!strcmp(k, "timeout")) {
		if (!parse_num(v, 3600, &n, 10) || !n)
			return BAD("bad timeout=%s", v ? v : "");
		c->timeout_s = (unsigned)n;
	} else if (!strcmp(k, "hard")) {
		c->hard = true;
	} else if (!strcmp(k, "soft")) {
		c->hard = false;
	} else if (!strcmp(k, "nodfs")) {
		c->nodfs = true;
	} else if (!strcmp(k, "mfsymlinks")) {
		c->mfsymlinks = true;
	} else if (!strcmp(k, "mapposix")) {
		c->mapposix = true;
	} else if (!strcmp(k, "nomapposix")) {
		c->mapposix = false;
	} else if (!strcmp(k, "nobrl")) {
		c->nobrl = true;
	} else if (!strcmp(k, "serverino")) {
		c->serverino = true;
	} else if (!strcmp(k, "noserverino")) {
		c->serverino = false;
	} else if (!strcmp(k, "allow_other")) {
		c->allow_other = true;
	} else if (!strcmp(k, "default_permissions")) {
		c->default_permissions = true;
	} else if (!strcmp(k, "debug")) {
		c->debug = true;
		g_free(c->debug_list);
		c->debug_list = g_strdup(v ? v : "all");
	} else {
		return BAD("unknown option '%s'", k);
	}
	return true;
#undef BAD
}

bool sf_config_parse_opts(struct sf_config *c, const char *opts, GError **err)
{
	char **list = g_strsplit(opts, ",", -1);
	bool ok = true;
	for (char **o = list; *o && ok; o++)
		ok = one_opt(c, *o, err);
	for (char **o = list; *o; o++)
		memset(*o, 0, strlen(*o)); /* may have held a credentials path etc. */
	g_strfreev(list);
	return ok;
}

bool sf_config_parse(struct sf_config *c, int argc, char **argv, GError **err)
{
	const char *pos[2] = {0};
	int npos = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-o")) {
			if (i + 1 >= argc) {
				g_set_error(err, OPT_ERROR, EINVAL, "-o needs an option list");
				return false;
			}
			if (!sf_config_parse_opts(c, argv[++i], err))
				return false;
		} else if (!strncmp(a, "-o", 2)) {
			if (!sf_config_parse_opts(c, a + 2, err))
				return false;
		} else if (!strcmp(a, "-f")) {
			c->foreground = true;
		} else if (!strcmp(a, "-d")) {
			c->foreground = c->debug = true;
			g_free(c->debug_list);
			c->debug_list = g_strdup("all");
		} else if (!strcmp(a, "-s") || !strcmp(a, "-n") || !strcmp(a, "-v")) {
			/* mount(8) helper flags: sloppy, no mtab, verbose */
		} else if (a[0] == '-' && a[1]) {
			g_set_error(err, OPT_ERROR, EINVAL, "unknown flag '%s'", a);
			return false;
		} else if (npos < 2) {
			pos[npos++] = a;
		} else {
			g_set_error(err, OPT_ERROR, EINVAL, "unexpected argument '%s'", a);
			return false;
		}
	}
	if (npos < 2) {
		g_set_error(err, OPT_ERROR, EINVAL,
		            "usage: mount.smbfuse //server/share MOUNTPOINT "
		            "[-o options]");
		return false;
	}
	if (!sf_config_parse_unc(c, pos[0], err))
		return false;
	c->mountpoint = g_strdup(pos[1]);
	if (c->acregmax < 0)
		c->acregmax = c->actimeo;
	if (c->acdirmax < 0)
		c->acdirmax = c->actimeo;
	return true;
}
