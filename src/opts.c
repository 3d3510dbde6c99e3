/* opts.c - mount.cifs-compatible option parsing, driven by one table
 * (see opts.h): every option is implemented, a documented no-op, or
 * refused by name. A password on the command line is refused. */
#include "opts.h"
#include "auth/krb5_gss.h"
#include "util/log.h"

#include "proto/smb2.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#define OPT_ERROR g_quark_from_static_string("smbfuse-opts")
#define BAD(...)  (g_set_error(err, OPT_ERROR, EINVAL, __VA_ARGS__), false)

struct sf_config *sf_config_new(void)
{
	struct sf_config *c = g_new0(struct sf_config, 1);
	c->creds = sf_creds_new();
	c->auth = SF_AUTH_NTLM;
	c->uid = getuid();
	c->gid = getgid();
	c->file_mode = 0755; /* mount.cifs's default: programs on the share run */
	c->dir_mode = 0755;
	c->actimeo = 1.0;
	c->acregmax = c->acdirmax = -1;
	c->serverino = true;
	c->cruid = -1;
	c->max_cached_dirs = -1;
	c->closetimeo = 1.0;
	c->timeout_s = 30;
	c->echo_interval_s = 60;
	c->mount_flags = g_string_new(NULL);
	return c;
}

void sf_config_free(struct sf_config *c)
{
	if (!c)
		return;
	sf_creds_free(c->creds);
	g_free(c->unc);
	g_free(c->host);
	g_free(c->addr);
	g_free(c->share);
	g_free(c->mountpoint);
	g_free(c->prefix);
	g_free(c->debug_list);
	g_free(c->dc);
	g_string_free(c->mount_flags, TRUE);
	g_free(c);
}

static bool parse_num(const char *v, unsigned long max, unsigned long *out, int base)
{
	char *end;
	/* strtoul would take a sign or leading blanks ("-1" is huge). */
	if (!v || !g_ascii_isdigit(v[0]))
		return false;
	errno = 0;
	unsigned long n = strtoul(v, &end, base);
	if (errno || *end || n > max)
		return false;
	*out = n;
	return true;
}

/* A TCP port: 1-65535, decimal digits only. */
static bool parse_port(const char *v, uint16_t *out)
{
	unsigned long n;
	if (!parse_num(v, 65535, &n, 10) || !n || strlen(v) > 5)
		return false;
	*out = (uint16_t)n;
	return true;
}

/* A sub-directory of the share: '\\' or '/' separated, empty components
 * dropped; '.' and '..' are refused (the server resolves no such names). */
static bool set_prefix(struct sf_config *c, const char *p, GError **err)
{
	char **parts = g_strsplit_set(p, "/\\", -1);
	GString *norm = g_string_new(NULL);
	bool ok = true;
	for (char **q = parts; *q; q++) {
		if (!**q)
			continue;
		if (!strcmp(*q, ".") || !strcmp(*q, "..")) {
			ok = false;
			break;
		}
		g_string_append_printf(norm, "%s%s", norm->len ? "/" : "", *q);
	}
	g_strfreev(parts);
	if (!ok) {
		g_string_free(norm, TRUE);
		return BAD("'%s': '.' and '..' cannot name a sub-directory of a share", p);
	}
	if (c->prefix && norm->len && strcmp(c->prefix, norm->str) != 0) {
		g_string_free(norm, TRUE);
		return BAD("two different sub-directories to mount ('%s' and '%s')", c->prefix, p);
	}
	g_free(c->prefix);
	c->prefix = norm->len ? g_string_free(norm, FALSE) : (g_string_free(norm, TRUE), NULL);
	return true;
}

static bool opt_prefixpath(struct sf_config *c, const char *k, const char *v, GError **err)
{
	return set_prefix(c, v, err);
}

bool sf_config_parse_unc(struct sf_config *c, const char *unc, GError **err)
{
	if (!(unc[0] == '/' && unc[1] == '/') && !(unc[0] == '\\' && unc[1] == '\\'))
		return BAD("'%s' is not a share (//server/share) or a server (//server)", unc);
	char *s = g_strdup(unc + 2);
	g_strdelimit(s, "\\", '/');
	char *slash = strchr(s, '/');
	char *share = slash ? slash + 1 : NULL;
	if (slash)
		*slash = 0;
	char *host = s, *port = NULL;
	bool ok = false;
	if (host[0] == '[') {
		char *end = strchr(host, ']');
		if (!end || (end[1] && end[1] != ':')) {
			(void)BAD("'%s': bad [address]", unc);
			goto out;
		}
		*end = 0;
		port = end[1] == ':' ? end + 2 : NULL;
		host++;
	} else if ((port = strchr(host, ':'))) {
		*port++ = 0;
	}
	if (!*host) {
		(void)BAD("'%s' names no server (//server/share)", unc);
		goto out;
	}
	/* //server or //server/: the server root (one directory per disk
	 * share); share stays NULL. */
	if (share && !*share)
		share = NULL;
	char *rest = share ? strchr(share, '/') : NULL;
	if (rest) {
		*rest++ = 0; /* //server/share/dir/sub mounts dir/sub */
		if (!set_prefix(c, rest, err))
			goto out;
	}
	uint16_t p = 0;
	if (port && !parse_port(port, &p)) {
		(void)BAD("bad port '%s' in '%s' (1-65535)", port, unc);
		goto out;
	}
	g_free(c->unc);
	g_free(c->host);
	g_free(c->share);
	c->unc = g_strdup(unc);
	c->host = g_strdup(host);
	c->share = share ? g_strdup(share) : NULL;
	if (p && !c->port) /* an explicit port= option wins */
		c->port = p;
	ok = true;
out:
	g_free(s);
	return ok;
}

char *sf_fuse_opt_escape(const char *s)
{
	GString *o = g_string_sized_new(strlen(s) + 8);
	for (; *s; s++) {
		if (*s == ',' || *s == '\\')
			g_string_append_c(o, '\\');
		g_string_append_c(o, *s);
	}
	return g_string_free(o, FALSE);
}

/* ---- handlers: one per kind of option; k is the name as given -------- */

static bool opt_noop(struct sf_config *c, const char *k, const char *v, GError **err)
{
	return true;
}

static bool opt_user(struct sf_config *c, const char *k, const char *v, GError **err)
{
	/* mount.cifs reads user%password: a password that would show in ps. */
	if (v && strchr(v, '%'))
		return BAD("refusing a password in the options ('%s=user%%password' would show in "
		           "ps); use credentials=FILE, PASSWD_FD or PASSWD",
		           k);
	if (v) /* bare "user" is fstab's "users may mount this", for mount(8) */
		sf_creds_set_user(c->creds, v);
	return true;
}

static bool opt_domain(struct sf_config *c, const char *k, const char *v, GError **err)
{
	sf_creds_set(&c->creds->domain, v);
	return true;
}

/* A DC to ask for domain referrals (MS-DFSC 3.1.4.1) when //domain/...
 * names no server that answers. */
static bool opt_dc(struct sf_config *c, const char *k, const char *v, GError **err)
{
	if (!v || !*v || strpbrk(v, "/\\ "))
		return BAD("domain_controller= needs a host name");
	g_free(c->dc);
	c->dc = g_strdup(v);
	return true;
}

static bool opt_password(struct sf_config *c, const char *k, const char *v, GError **err)
{
	return BAD("refusing a password in the options ('%s' would show in ps); use "
	           "credentials=FILE, PASSWD_FD or PASSWD",
	           k);
}

static bool opt_credentials(struct sf_config *c, const char *k, const char *v, GError **err)
{
	return sf_creds_read_file(c->creds, v, err);
}

static bool opt_port(struct sf_config *c, const char *k, const char *v, GError **err)
{
	if (!parse_port(v, &c->port))
		return BAD("bad port=%s (1-65535)", v);
	return true;
}

static bool opt_vers(struct sf_config *c, const char *k, const char *v, GError **err)
{
	if (!strcmp(v, "3") || !strcmp(v, "default")) {
		c->min_dialect = SMB2_DIALECT_0300;
		c->max_dialect = SMB2_DIALECT_0311;
		return true;
	}
	uint16_t d = smb2_dialect_parse(v);
	if (!d)
		return BAD("unknown SMB dialect vers=%s (2.0, 2.1, 3.0, 3.02, 3.1.1, 3)", v);
	c->min_dialect = c->max_dialect = d;
	return true;
}

static bool opt_sec(struct sf_config *c, const char *k, const char *v, GError **err)
{
	if (!strcmp(v, "none"))
		c->auth = SF_AUTH_ANON;
	else if (!strcmp(v, "ntlmssp") || !strcmp(v, "ntlmsspi") || !strcmp(v, "ntlmv2") ||
	         !strcmp(v, "ntlmv2i"))
		c->auth = SF_AUTH_NTLM;
	else if (!strcmp(v, "krb5") || !strcmp(v, "krb5i")) {
		if (!sf_krb5_available())
			return BAD("sec=%s: this smbfuse was built without Kerberos (Heimdal "
			           "GSSAPI; meson -Dkrb5=enabled)",
			           v);
		c->auth = SF_AUTH_KRB5;
	} else
		return BAD("unsupported sec=%s (ntlmssp, krb5, none)", v);
	c->auth_given = true;
	return true;
}

static bool opt_krb5(struct sf_config *c, const char *k, const char *v, GError **err)
{
	if (!v || !*v)
		return BAD("%s= needs a value", k);
	if (!strcmp(k, "krb5_keytab")) {
		if (access(v, R_OK) != 0)
			return BAD("krb5_keytab=%s: %s", v, g_strerror(errno));
		char *full = g_str_has_prefix(v, "FILE:") || v[0] != '/'
		                     ? g_strdup(v)
		                     : g_strconcat("FILE:", v, NULL);
		sf_creds_set(&c->creds->krb5_keytab, full);
		g_free(full);
	} else if (!strcmp(k, "krb5_principal"))
		sf_creds_set(&c->creds->krb5_principal, v);
	else if (!strcmp(k, "spn"))
		sf_creds_set(&c->creds->spn, v);
	return true;
}

static bool opt_cruid(struct sf_config *c, const char *k, const char *v, GError **err)
{
	uid_t uid;
	struct passwd *pw = v ? getpwnam(v) : NULL;
	if (pw)
		uid = pw->pw_uid;
	else {
		unsigned long n;
		if (!parse_num(v, G_MAXUINT32 - 1, &n, 10))
			return BAD("bad cruid=%s (a user name or number)", v ? v : "");
		uid = n;
	}
	/* No privilege check needed: a cache is a 0600 file of its owner, so
	 * only root can read another user's. */
	c->cruid = uid;
	char *cc = sf_krb5_cache_of_uid(uid);
	sf_creds_set(&c->creds->krb5_ccache, cc);
	c->creds->krb5_ccache_owned = true;
	c->creds->krb5_ccache_uid = uid;
	g_free(cc);
	return true;
}

static bool opt_addr(struct sf_config *c, const char *k, const char *v, GError **err)
{
	if (!v || !*v || strchr(v, '/') || strchr(v, ' '))
		return BAD("bad %s=%s (an IP address or host name)", k, v ? v : "");
	g_free(c->addr);
	c->addr = g_strdup(v);
	return true;
}

static bool opt_guest(struct sf_config *c, const char *k, const char *v, GError **err)
{
	c->auth = SF_AUTH_GUEST;
	c->auth_given = true;
	return true;
}

static bool opt_sign(struct sf_config *c, const char *k, const char *v, GError **err)
{
	c->nosign = !strcmp(k, "nosign");
	return true;
}

static bool opt_seal(struct sf_config *c, const char *k, const char *v, GError **err)
{
	c->seal = true;
	return true;
}

static bool opt_id(struct sf_config *c, const char *k, const char *v, GError **err)
{
	unsigned long n;
	if (!parse_num(v, UINT32_MAX - 1, &n, 10)) {
		/* A name, as fstab lines for cifs often have (uid=alice). */
		struct passwd *pw = k[0] == 'u' ? getpwnam(v) : NULL;
		struct group *gr = k[0] == 'g' ? getgrnam(v) : NULL;
		if (!pw && !gr)
			return BAD("bad %s=%s (no such %s)", k, v, k[0] == 'u' ? "user" : "group");
		n = pw ? pw->pw_uid : gr->gr_gid;
	}
	if (k[0] == 'u')
		c->uid = (uid_t)n;
	else
		c->gid = (gid_t)n;
	return true;
}

static bool opt_mode(struct sf_config *c, const char *k, const char *v, GError **err)
{
	unsigned long n;
	if (!parse_num(v, 07777, &n, 8))
		return BAD("bad %s=%s (octal)", k, v);
	if (k[0] == 'f')
		c->file_mode = (mode_t)n;
	else
		c->dir_mode = (mode_t)n;
	return true;
}

static bool opt_ro(struct sf_config *c, const char *k, const char *v, GError **err)
{
	c->ro = !strcmp(k, "ro");
	return true;
}

static bool opt_cache(struct sf_config *c, const char *k, const char *v, GError **err)
{
	if (!strcmp(k, "strictcache") || !strcmp(v, "strict"))
		c->cache = SF_CACHE_STRICT;
	else if (!strcmp(v, "none"))
		c->cache = SF_CACHE_NONE;
	else if (!strcmp(v, "loose"))
		c->cache = SF_CACHE_LOOSE;
	else if (!strcmp(v, "ro") || !strcmp(v, "singleclient"))
		return BAD("cache=%s is not supported by smbfuse (strict, loose or none)", v);
	else
		return BAD("cache= takes strict, loose or none");
	return true;
}

static bool opt_actimeo(struct sf_config *c, const char *k, const char *v, GError **err)
{
	unsigned long n;
	if (!parse_num(v, 86400, &n, 10))
		return BAD("bad %s=%s (seconds)", k, v);
	if (!strcmp(k, "actimeo"))
		c->actimeo = (double)n;
	else if (!strcmp(k, "acregmax"))
		c->acregmax = (double)n;
	else
		c->acdirmax = (double)n;
	return true;
}

static bool opt_iosize(struct sf_config *c, const char *k, const char *v, GError **err)
{
	unsigned long n;
	if (!parse_num(v, 16u << 20, &n, 10) || n < 4096)
		return BAD("bad %s=%s (4096 to 16777216)", k, v);
	if (k[0] == 'r')
		c->rsize = (uint32_t)n;
	else
		c->wsize = (uint32_t)n;
	return true;
}

static bool opt_rasize(struct sf_config *c, const char *k, const char *v, GError **err)
{
	unsigned long n;
	if (!parse_num(v, 256ul << 20, &n, 10) || n < 4096)
		return BAD("bad rasize=%s (4096 to 268435456 bytes)", v);
	c->rasize = (uint32_t)n;
	return true;
}

static bool opt_timeout(struct sf_config *c, const char *k, const char *v, GError **err)
{
	unsigned long n;
	if (!parse_num(v, 3600, &n, 10) || !n)
		return BAD("bad timeout=%s (1-3600 seconds)", v);
	c->timeout_s = (unsigned)n;
	return true;
}

static bool opt_echo(struct sf_config *c, const char *k, const char *v, GError **err)
{
	unsigned long n;
	if (!parse_num(v, 600, &n, 10) || !n)
		return BAD("bad echo_interval=%s (1-600 seconds)", v);
	c->echo_interval_s = (unsigned)n;
	return true;
}

static bool opt_closetimeo(struct sf_config *c, const char *k, const char *v, GError **err)
{
	unsigned long n;
	if (!parse_num(v, 3600, &n, 10))
		return BAD("bad closetimeo=%s (0-3600 seconds)", v);
	c->closetimeo = (double)n;
	return true;
}

static bool opt_max_cached_dirs(struct sf_config *c, const char *k, const char *v, GError **err)
{
	unsigned long n;
	if (!parse_num(v, 1024, &n, 10))
		return BAD("bad max_cached_dirs=%s (0-1024)", v);
	c->max_cached_dirs = (int)n;
	return true;
}

static bool opt_bool(struct sf_config *c, const char *k, const char *v, GError **err)
{
	if (!strcmp(k, "mfsymlinks"))
		c->mfsymlinks = true;
	else if (!strcmp(k, "mapposix") || !strcmp(k, "nomapposix"))
		c->mapposix = k[0] == 'm';
	else if (!strcmp(k, "nobrl") || !strcmp(k, "brl"))
		c->nobrl = k[0] == 'n';
	else if (!strcmp(k, "serverino") || !strcmp(k, "noserverino"))
		c->serverino = k[0] == 's';
	else if (!strcmp(k, "allow_other"))
		c->allow_other = true;
	else if (!strcmp(k, "default_permissions") || !strcmp(k, "perm"))
		c->default_permissions = c->perm_given = true, c->noperm = false;
	else if (!strcmp(k, "multiuser"))
		c->multiuser = true;
	else if (!strcmp(k, "noperm"))
		c->default_permissions = false, c->noperm = true;
	else if (!strcmp(k, "hard") || !strcmp(k, "soft"))
		c->hard = k[0] == 'h';
	else if (!strcmp(k, "nolease"))
		c->nolease = true;
	else if (!strcmp(k, "handlecache") || !strcmp(k, "nohandlecache"))
		c->nohandlecache = k[0] == 'n';
	else if (!strcmp(k, "posix") || !strcmp(k, "unix") || !strcmp(k, "linux"))
		c->posix = SF_POSIX_ON;
	else if (!strcmp(k, "noposix") || !strcmp(k, "nounix"))
		c->posix = SF_POSIX_OFF;
	else if (!strcmp(k, "nodfs"))
		c->nodfs = true;
	else
		g_assert_not_reached();
	return true;
}

/* VFS flags libfuse knows and applies to the mount itself. */
static bool opt_vfs_flag(struct sf_config *c, const char *k, const char *v, GError **err)
{
	g_string_append_printf(c->mount_flags, ",%s", k);
	return true;
}

static bool opt_iocharset(struct sf_config *c, const char *k, const char *v, GError **err)
{
	if (g_ascii_strcasecmp(v, "utf8") && g_ascii_strcasecmp(v, "utf-8"))
		return BAD("iocharset=%s is not supported by smbfuse (names are always UTF-8)", v);
	return true;
}

static bool opt_debug(struct sf_config *c, const char *k, const char *v, GError **err)
{
	if (v && !sf_log_areas_valid(v))
		return BAD(
		        "bad debug=%s (all, or areas joined by ':' from conn, session, tree, req, "
		        "handle, pool, fs, fuse, client)",
		        v);
	c->debug = true;
	g_free(c->debug_list);
	c->debug_list = g_strdup(v ? v : "all");
	return true;
}

/* ---- the table ------------------------------------------------------- */

#define IMPL(n, a, fn, sample, base)                                                               \
	{                                                                                          \
		n, a, SF_OPT_IMPLEMENTED, sample, base, NULL, fn                                   \
	}
#define NOOP(n, a, why)                                                                            \
	{                                                                                          \
		n, a, SF_OPT_NOOP, NULL, NULL, why, opt_noop                                       \
	}
#define REFUSE(n, why)                                                                             \
	{                                                                                          \
		n, SF_ARG_OPTIONAL, SF_OPT_REFUSED, NULL, NULL, why, NULL                          \
	}

static const char FSTAB[] = "read by mount(8), fstab or systemd, not by the file system";
static const char OWNER[] = "owner and group are always uid= and gid= (no UNIX extensions)";

static const struct sf_opt table[] = {
        /* who and where */
        IMPL("username", SF_ARG_VALUE, opt_user, "DOM\\bob", NULL),
        IMPL("user", SF_ARG_OPTIONAL, opt_user, "bob", NULL),
        {"password", SF_ARG_OPTIONAL, SF_OPT_REFUSED, NULL, NULL,
         "it would show in ps: use credentials=, PASSWD_FD or PASSWD", opt_password},
        {"pass", SF_ARG_OPTIONAL, SF_OPT_REFUSED, NULL, NULL,
         "it would show in ps: use credentials=, PASSWD_FD or PASSWD", opt_password},
        REFUSE("password2", "no multiuser key rotation"),
        IMPL("credentials", SF_ARG_VALUE, opt_credentials, "@FILE@", NULL),
        IMPL("cred", SF_ARG_VALUE, opt_credentials, "@FILE@", NULL),
        IMPL("domain", SF_ARG_VALUE, opt_domain, "EXAMPLE", NULL),
        IMPL("dom", SF_ARG_VALUE, opt_domain, "EXAMPLE", NULL),
        IMPL("workgroup", SF_ARG_VALUE, opt_domain, "EXAMPLE", NULL),
        REFUSE("domainauto", "the domain is given or empty"),
        IMPL("port", SF_ARG_VALUE, opt_port, "4445", NULL),
        IMPL("ip", SF_ARG_VALUE, opt_addr, "127.0.0.5", NULL),
        IMPL("addr", SF_ARG_VALUE, opt_addr, "127.0.0.5", NULL),
        REFUSE("unc", "give //server/share as the first argument"),
        IMPL("prefixpath", SF_ARG_VALUE, opt_prefixpath, "dir/sub", NULL),
        REFUSE("netbiosname", "no NetBIOS session service (port 139)"),
        REFUSE("servern", "no NetBIOS session service (port 139)"),
        REFUSE("sockopt", "socket options are fixed"),
        /* security */
        IMPL("sec", SF_ARG_VALUE, opt_sec, "none", NULL),
        IMPL("guest", SF_ARG_NONE, opt_guest, NULL, NULL),
        IMPL("sign", SF_ARG_NONE, opt_sign, NULL, "nosign"),
        IMPL("nosign", SF_ARG_NONE, opt_sign, NULL, NULL),
        IMPL("seal", SF_ARG_NONE, opt_seal, NULL, NULL),
        IMPL("cruid", SF_ARG_VALUE, opt_cruid, "0", NULL),
        IMPL("krb5_keytab", SF_ARG_VALUE, opt_krb5, "@FILE@", NULL),
        IMPL("krb5_principal", SF_ARG_VALUE, opt_krb5, "svc@EXAMPLE.COM", NULL),
        IMPL("spn", SF_ARG_VALUE, opt_krb5, "cifs/alias.example.com", NULL),
        REFUSE("upcall_target", "no kernel upcall: tickets are read by the daemon itself"),
        IMPL("multiuser", SF_ARG_NONE, opt_bool, NULL, NULL),
        REFUSE("cifsacl", "Windows ACLs are not mapped to modes"),
        REFUSE("idsfromsid", "Windows ACLs are not mapped to owners"),
        REFUSE("modefromsid", "Windows ACLs are not mapped to modes"),
        REFUSE("acl", "no POSIX ACLs"),
        NOOP("noacl", SF_ARG_NONE, "POSIX ACLs are never provided"),
        REFUSE("backupuid", "backup intent is never requested"),
        REFUSE("backupgid", "backup intent is never requested"),
        REFUSE("witness", "no witness protocol"),
        /* ownership and modes */
        IMPL("uid", SF_ARG_VALUE, opt_id, "4242", NULL),
        IMPL("gid", SF_ARG_VALUE, opt_id, "4242", NULL),
        NOOP("forceuid", SF_ARG_NONE, OWNER),
        NOOP("noforceuid", SF_ARG_NONE, OWNER),
        NOOP("forcegid", SF_ARG_NONE, OWNER),
        NOOP("noforcegid", SF_ARG_NONE, OWNER),
        IMPL("file_mode", SF_ARG_VALUE, opt_mode, "0600", NULL),
        IMPL("dir_mode", SF_ARG_VALUE, opt_mode, "0700", NULL),
        REFUSE("setuids", "needs UNIX extensions"),
        NOOP("nosetuids", SF_ARG_NONE, "a chown is never sent to the server"),
        IMPL("perm", SF_ARG_NONE, opt_bool, NULL, NULL),
        IMPL("noperm", SF_ARG_NONE, opt_bool, NULL, "perm"),
        REFUSE("dynperm", "modes are fixed by file_mode= and dir_mode="),
        IMPL("allow_other", SF_ARG_NONE, opt_bool, NULL, NULL),
        IMPL("default_permissions", SF_ARG_NONE, opt_bool, NULL, NULL),
        /* protocol */
        IMPL("vers", SF_ARG_VALUE, opt_vers, "3.0", NULL),
        IMPL("nounix", SF_ARG_NONE, opt_bool, NULL, NULL),
        IMPL("noposix", SF_ARG_NONE, opt_bool, NULL, NULL),
        IMPL("unix", SF_ARG_NONE, opt_bool, NULL, NULL),
        IMPL("linux", SF_ARG_NONE, opt_bool, NULL, NULL),
        IMPL("posix", SF_ARG_NONE, opt_bool, NULL, NULL),
        IMPL("nodfs", SF_ARG_NONE, opt_bool, NULL, NULL),
        IMPL("domain_controller", SF_ARG_VALUE, opt_dc, "dc1.example.com", NULL),
        REFUSE("rdma", "TCP only"),
        REFUSE("multichannel", "one channel per session"),
        REFUSE("max_channels", "one channel per session"),
        REFUSE("max_credits", "the server's grant is used"),
        IMPL("echo_interval", SF_ARG_VALUE, opt_echo, "15", NULL),
        IMPL("hard", SF_ARG_NONE, opt_bool, NULL, NULL),
        IMPL("soft", SF_ARG_NONE, opt_bool, NULL, "hard"),
        NOOP("retrans", SF_ARG_VALUE, "unused by the Linux cifs client as well"),
        NOOP("noblocksend", SF_ARG_NONE, "sockets are always non-blocking"),
        NOOP("nosharesock", SF_ARG_NONE, "every mount has its own connection"),
        NOOP("noautotune", SF_ARG_NONE, "no buffers to tune"),
        REFUSE("esize", "decryption is never offloaded"),
        REFUSE("compress", "no SMB3 compression"),
        REFUSE("snapshot", "previous versions are not mountable"),
        REFUSE("resilienthandles", "resilient handles are not requested; durable ones are"),
        REFUSE("persistenthandles", "persistent handles are not requested; durable ones are"),
        REFUSE("handletimeout", "the server's durable handle timeout is used"),
        IMPL("nolease", SF_ARG_NONE, opt_bool, NULL, NULL),
        IMPL("handlecache", SF_ARG_NONE, opt_bool, NULL, "nohandlecache"),
        IMPL("nohandlecache", SF_ARG_NONE, opt_bool, NULL, NULL),
        IMPL("max_cached_dirs", SF_ARG_VALUE, opt_max_cached_dirs, "16", NULL),
        IMPL("timeout", SF_ARG_VALUE, opt_timeout, "5", NULL),
        /* names and data */
        {"iocharset", SF_ARG_VALUE, SF_OPT_NOOP, "utf8", NULL,
         "names are always UTF-8; any other charset is refused", opt_iocharset},
        REFUSE("mapchars", "only the mapposix mapping is available"),
        NOOP("nomapchars", SF_ARG_NONE, "mapchars is never on"),
        IMPL("mapposix", SF_ARG_NONE, opt_bool, NULL, NULL),
        IMPL("nomapposix", SF_ARG_NONE, opt_bool, NULL, "mapposix"),
        REFUSE("nocase", "the server's case rules apply"),
        REFUSE("ignorecase", "the server's case rules apply"),
        REFUSE("sfu", "no Services for Unix special files"),
        IMPL("mfsymlinks", SF_ARG_NONE, opt_bool, NULL, NULL),
        REFUSE("reparse", "symlinks are read as the server stores them"),
        REFUSE("symlink", "symlinks are read as the server stores them"),
        REFUSE("nativesocket", "sockets cannot be created"),
        IMPL("serverino", SF_ARG_NONE, opt_bool, NULL, "noserverino"),
        IMPL("noserverino", SF_ARG_NONE, opt_bool, NULL, NULL),
        NOOP("user_xattr", SF_ARG_NONE, "user.* xattrs (SMB extended attributes) are always on"),
        REFUSE("nouser_xattr", "user.* xattrs cannot be turned off"),
        /* caching and I/O */
        IMPL("cache", SF_ARG_VALUE, opt_cache, "none", NULL),
        IMPL("strictcache", SF_ARG_NONE, opt_cache, NULL, "cache=none"),
        IMPL("actimeo", SF_ARG_VALUE, opt_actimeo, "7", NULL),
        IMPL("acregmax", SF_ARG_VALUE, opt_actimeo, "7", NULL),
        IMPL("acdirmax", SF_ARG_VALUE, opt_actimeo, "7", NULL),
        IMPL("closetimeo", SF_ARG_VALUE, opt_closetimeo, "5", NULL),
        IMPL("rsize", SF_ARG_VALUE, opt_iosize, "65536", NULL),
        IMPL("rasize", SF_ARG_VALUE, opt_rasize, "1048576", NULL),
        IMPL("wsize", SF_ARG_VALUE, opt_iosize, "65536", NULL),
        REFUSE("bsize", "st_blksize is not adjustable"),
        REFUSE("fsc", "no FS-Cache"),
        REFUSE("rwpidforward", "locks belong to FUSE lock owners"),
        IMPL("nobrl", SF_ARG_NONE, opt_bool, NULL, NULL),
        IMPL("brl", SF_ARG_NONE, opt_bool, NULL, "nobrl"),
        REFUSE("forcemandatorylock", "locks follow the POSIX/BSD mapping"),
        REFUSE("locallease", "leases are never requested"),
        REFUSE("nostrictsync", "fsync always flushes on the server"),
        REFUSE("mand", "no mandatory locks"),
        NOOP("nomand", SF_ARG_NONE, "locks are advisory"),
        NOOP("intr", SF_ARG_NONE, "ignored by the Linux cifs client as well"),
        NOOP("nointr", SF_ARG_NONE, "ignored by the Linux cifs client as well"),
        REFUSE("sloppy", "an unknown option is always an error"),
        REFUSE("rootfs", "cannot be the root file system"),
        REFUSE("context", "no SELinux contexts"),
        REFUSE("fscontext", "no SELinux contexts"),
        REFUSE("defcontext", "no SELinux contexts"),
        REFUSE("rootcontext", "no SELinux contexts"),
        /* VFS mount flags, applied by the kernel to the FUSE mount */
        IMPL("ro", SF_ARG_NONE, opt_ro, NULL, NULL),
        IMPL("rw", SF_ARG_NONE, opt_ro, NULL, "ro"),
        IMPL("exec", SF_ARG_NONE, opt_vfs_flag, NULL, NULL),
        IMPL("noexec", SF_ARG_NONE, opt_vfs_flag, NULL, NULL),
        IMPL("suid", SF_ARG_NONE, opt_vfs_flag, NULL, NULL),
        IMPL("nosuid", SF_ARG_NONE, opt_vfs_flag, NULL, NULL),
        IMPL("dev", SF_ARG_NONE, opt_vfs_flag, NULL, NULL),
        IMPL("nodev", SF_ARG_NONE, opt_vfs_flag, NULL, NULL),
        IMPL("atime", SF_ARG_NONE, opt_vfs_flag, NULL, NULL),
        IMPL("noatime", SF_ARG_NONE, opt_vfs_flag, NULL, NULL),
        IMPL("relatime", SF_ARG_NONE, opt_vfs_flag, NULL, NULL),
        IMPL("norelatime", SF_ARG_NONE, opt_vfs_flag, NULL, NULL),
        IMPL("strictatime", SF_ARG_NONE, opt_vfs_flag, NULL, NULL),
        IMPL("diratime", SF_ARG_NONE, opt_vfs_flag, NULL, NULL),
        IMPL("nodiratime", SF_ARG_NONE, opt_vfs_flag, NULL, NULL),
        IMPL("sync", SF_ARG_NONE, opt_vfs_flag, NULL, NULL),
        IMPL("async", SF_ARG_NONE, opt_vfs_flag, NULL, NULL),
        IMPL("dirsync", SF_ARG_NONE, opt_vfs_flag, NULL, NULL),
        /* fstab and systemd */
        NOOP("defaults", SF_ARG_NONE, FSTAB),
        NOOP("auto", SF_ARG_NONE, FSTAB),
        NOOP("noauto", SF_ARG_NONE, FSTAB),
        NOOP("nofail", SF_ARG_NONE, FSTAB),
        NOOP("_netdev", SF_ARG_NONE, FSTAB),
        NOOP("users", SF_ARG_NONE, FSTAB),
        NOOP("nouser", SF_ARG_NONE, FSTAB),
        NOOP("owner", SF_ARG_NONE, FSTAB),
        NOOP("group", SF_ARG_NONE, FSTAB),
        NOOP("comment", SF_ARG_VALUE, FSTAB),
        NOOP("x-systemd.*", SF_ARG_OPTIONAL, FSTAB),
        NOOP("x-*", SF_ARG_OPTIONAL, FSTAB),
        /* smbfuse's own */
        IMPL("debug", SF_ARG_OPTIONAL, opt_debug, "conn:fuse", NULL),
};

#undef IMPL
#undef NOOP
#undef REFUSE

const struct sf_opt *sf_opts_table(size_t *n)
{
	*n = G_N_ELEMENTS(table);
	return table;
}

static const struct sf_opt *find(const char *k)
{
	for (size_t i = 0; i < G_N_ELEMENTS(table); i++) {
		const char *name = table[i].name;
		size_t len = strlen(name);
		if (name[len - 1] == '*' ? !strncmp(k, name, len - 1) : !strcmp(k, name))
			return &table[i];
	}
	return NULL;
}

static bool one_opt(struct sf_config *c, char *o, GError **err)
{
	char *eq = strchr(o, '=');
	const char *v = eq ? eq + 1 : NULL;
	if (eq)
		*eq = 0;
	const char *k = o;
	if (!*k)
		return true; /* ",," */
	const struct sf_opt *opt = find(k);
	if (!opt)
		return BAD("unknown option '%s'", k);
	if (opt->state == SF_OPT_REFUSED && !opt->apply)
		return BAD("option '%s' is not supported by smbfuse (%s)", k, opt->why);
	if (opt->arg == SF_ARG_VALUE && (!v || (!*v && opt->state == SF_OPT_IMPLEMENTED)))
		return BAD("option '%s' needs a value (%s=...)", k, k);
	if (opt->arg == SF_ARG_NONE && v)
		return BAD("option '%s' takes no value", k);
	return opt->apply(c, k, v, err);
}

bool sf_config_parse_opts(struct sf_config *c, const char *opts, GError **err)
{
	char **list = g_strsplit(opts, ",", -1);
	bool ok = true;
	for (char **o = list; *o; o++) {
		size_t len = strlen(*o); /* before one_opt cuts it at '=' */
		if (ok)
			ok = one_opt(c, *o, err);
		explicit_bzero(*o, len); /* may have held a user name or a path */
	}
	g_strfreev(list);
	return ok;
}

/* What follows from the options together. */
static bool finish(struct sf_config *c, GError **err)
{
	if (!c->share && c->prefix)
		return BAD("prefixpath= needs a share (//server/share)");
	if (c->acregmax < 0)
		c->acregmax = c->actimeo;
	if (c->acdirmax < 0)
		c->acdirmax = c->actimeo;
	if (c->multiuser) {
		/* Every local user reaches the mount, each with a session of
		 * their own: the server checks each one's rights (the kernel
		 * too only with perm). */
		if (!c->share)
			return BAD("multiuser needs //server/share (not a server root)");
		if (c->auth_given && c->auth != SF_AUTH_KRB5)
			return BAD("multiuser needs Kerberos (sec=krb5): each local user's own "
			           "ticket cache is found, a password is not");
		if (!sf_krb5_available())
			return BAD("multiuser needs Kerberos, and this smbfuse was built without "
			           "it (meson -Dkrb5=enabled)");
		c->auth = SF_AUTH_KRB5;
		c->auth_given = true;
		c->allow_other = true;
		c->default_permissions = c->perm_given;
		return true;
	}
	if (geteuid() == 0 && (c->uid != 0 || c->gid != 0) && !c->noperm) {
		/* root mounting for uid=/gid= (an fstab line): that user must
		 * reach the files, as with mount.cifs; the modes decide. */
		c->allow_other = true;
	}
	if (c->allow_other) {
		/* Other local users reach the files through our session, with
		 * our credentials: the kernel must check the modes that
		 * file_mode=, dir_mode=, uid= and gid= give, or every user
		 * gets whatever the mounter may do on the server. */
		if (c->noperm)
			return BAD("noperm cannot be combined with allow_other (every local user "
			           "would act with the mounter's credentials)");
		c->default_permissions = true;
	}
	return true;
}

bool sf_config_parse(struct sf_config *c, int argc, char **argv, GError **err)
{
	const char *pos[2] = {0};
	int npos = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-o")) {
			if (i + 1 >= argc)
				return BAD("-o needs an option list");
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
		} else if (!strcmp(a, "-n") || !strcmp(a, "-v")) {
			/* mount(8) helper flags: no mtab (there is none), verbose */
		} else if (!strcmp(a, "-s")) {
			/* mount(8)'s "sloppy": we still refuse unknown options,
			 * which is the safe reading of it. */
		} else if (a[0] == '-' && a[1]) {
			return BAD("unknown flag '%s'", a);
		} else if (npos < 2) {
			pos[npos++] = a;
		} else {
			return BAD("unexpected argument '%s'", a);
		}
	}
	if (npos < 2)
		return BAD("usage: mount.smbfuse //server[/share] MOUNTPOINT [-o options]");
	if (!sf_config_parse_unc(c, pos[0], err))
		return false;
	g_free(c->mountpoint);
	c->mountpoint = g_strdup(pos[1]);
	return finish(c, err);
}
