/* krb5_gss.c - Kerberos as a SPNEGO mechanism through Heimdal GSSAPI
 * (RFC 4121 tokens inside MS-SPNG; MS-SMB2 3.2.5.3.1: the session key is
 * the GSS context's key, read with GSS_C_INQ_SSPI_SESSION_KEY).
 *
 * start() gets credentials (the user's ticket cache, or a fresh TGT from a
 * keytab into a private MEMORY cache, so every re-authentication after an
 * expiry gets a new ticket) and builds the AP-REQ, asking for mutual
 * authentication; both may talk to the KDC, so the session code calls it on
 * a worker thread. step() checks the server's AP-REP, locally. Failures are
 * named in one line: no ticket, expired ticket, unknown service principal,
 * clock skew, unreachable KDC. */
#define G_LOG_DOMAIN "smbfuse-auth"

#include "config.h"

#include "auth/krb5_gss.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if HAVE_GSSAPI

#include "auth/spnego.h"

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <gssapi/gssapi_oid.h>
#include <krb5.h>

/* GSS_C_INQ_SSPI_SESSION_KEY, 1.2.840.113554.1.2.2.5.5: Debian's
 * libgssapi3-heimdal declares it but does not export the symbol. */
static gss_OID_desc inq_session_key = {11, (void *)"\x2a\x86\x48\x86\xf7\x12\x01\x02\x02\x05\x05"};

struct krb5_mech {
	krb5_context kctx;
	krb5_ccache cc;
	bool cc_ours; /* a MEMORY cache filled from the keytab: destroyed at free */
	gss_cred_id_t cred;
	gss_ctx_id_t gctx;
	gss_name_t target;
	char *host, *ccache, *keytab, *principal, *spn;
	bool cc_owned; /* the cache file must be cc_uid's (creds.h) */
	uid_t cc_uid;
	char *target_name; /* the service principal asked for */
	bool done;
	char *err;
};

bool sf_krb5_available(void)
{
	return true;
}

static void set_err(struct krb5_mech *m, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void set_err(struct krb5_mech *m, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_free(m->err);
	m->err = g_strdup_vprintf(fmt, ap);
	va_end(ap);
}

static char *krb5_text(krb5_context k, krb5_error_code code)
{
	const char *s = krb5_get_error_message(k, code);
	char *out = g_strdup(s ? s : "unknown Kerberos error");
	krb5_free_error_message(k, s);
	return out;
}

static char *gss_text(OM_uint32 major, OM_uint32 minor)
{
	GString *g = g_string_new(NULL);
	OM_uint32 min2, ctx = 0;
	gss_buffer_desc b;
	int type = minor ? GSS_C_MECH_CODE : GSS_C_GSS_CODE;
	OM_uint32 code = minor ? minor : major;
	do {
		if (GSS_ERROR(gss_display_status(&min2, code, type, GSS_KRB5_MECHANISM, &ctx, &b)))
			break;
		if (g->len)
			g_string_append(g, "; ");
		g_string_append_len(g, b.value, b.length);
		gss_release_buffer(&min2, &b);
	} while (ctx);
	if (!g->len)
		g_string_append(g, "GSSAPI failure");
	return g_string_free(g, FALSE);
}

/* The cause of a KDC or GSSAPI failure, as the user should read it;
 * *rc gets the errno for it. */
static void explain(struct krb5_mech *m, krb5_error_code code, const char *detail, int *rc)
{
	*rc = -EACCES;
	switch (code) {
	case KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN:
		set_err(m,
		        "Kerberos: the KDC does not know the service principal %s (wrong SPN? the "
		        "server must be named by its host name, or give spn=)",
		        m->target_name ? m->target_name : "cifs/...");
		break;
	case KRB5KRB_AP_ERR_SKEW:
		set_err(m, "Kerberos: clock skew too great between this machine and the KDC "
		           "(synchronize the clocks)");
		break;
	case KRB5KRB_AP_ERR_TKT_EXPIRED:
		*rc = -EKEYEXPIRED;
		set_err(m, "Kerberos: the ticket has expired (renew it with kinit)");
		break;
	case KRB5_KDC_UNREACH:
		*rc = -EHOSTUNREACH;
		set_err(m, "Kerberos: cannot reach a KDC for the realm (%s)", detail);
		break;
	case KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN:
		set_err(m, "Kerberos: the KDC does not know the client principal (%s)", detail);
		break;
	case KRB5KDC_ERR_PREAUTH_FAILED:
		set_err(m, "Kerberos: the keytab's key was refused by the KDC (%s)", detail);
		break;
	default:
		set_err(m, "Kerberos: %s", detail);
	}
}

void *sf_krb5_mech_new(const struct sf_creds *c, const char *host, GError **err)
{
	struct krb5_mech *m = g_new0(struct krb5_mech, 1);
	m->host = g_strdup(host);
	if (c) {
		m->ccache = g_strdup(c->krb5_ccache);
		m->cc_owned = c->krb5_ccache_owned;
		m->cc_uid = c->krb5_ccache_uid;
		m->keytab = g_strdup(c->krb5_keytab);
		m->principal = g_strdup(c->krb5_principal);
		m->spn = g_strdup(c->spn);
	}
	m->gctx = GSS_C_NO_CONTEXT;
	m->cred = GSS_C_NO_CREDENTIAL;
	m->target = GSS_C_NO_NAME;
	return m;
}

/* The TGT's end time in cc for the client's realm; 0 when there is none. */
static time_t tgt_end(krb5_context k, krb5_ccache cc, krb5_const_principal client)
{
	krb5_cc_cursor cur;
	krb5_creds cr;
	time_t end = 0;
	const char *realm = krb5_principal_get_realm(k, client);
	if (krb5_cc_start_seq_get(k, cc, &cur))
		return 0;
	while (krb5_cc_next_cred(k, cc, &cur, &cr) == 0) {
		const char *c0 = krb5_principal_get_comp_string(k, cr.server, 0);
		const char *c1 = krb5_principal_get_comp_string(k, cr.server, 1);
		if (c0 && c1 && !strcmp(c0, "krbtgt") && !strcmp(c1, realm) &&
		    cr.times.endtime > end)
			end = cr.times.endtime;
		krb5_free_cred_contents(k, &cr);
	}
	krb5_cc_end_seq_get(k, cc, &cur);
	return end;
}

/* A cache file is at most this big (a TGT and service tickets). */
#define FOREIGN_CACHE_MAX (4u << 20)

/* Heimdal opens only cache files its effective user owns. The daemon
 * (root) reading another user's cache (cruid=, multiuser) takes a copy into
 * a MEMORY cache, made afresh at each authentication so that a kinit is
 * seen; the service tickets it gets stay in the copy and are never
 * written into the user's file. The file is read through a descriptor
 * (no symlink followed, never blocking) and passed to Heimdal through a
 * private root-only directory. 0, or an errno. */
static int copy_foreign_cache(struct krb5_mech *m, const char *path, krb5_ccache *out)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > FOREIGN_CACHE_MAX) {
		close(fd);
		return EINVAL;
	}
	if (m->cc_owned && st.st_uid != m->cc_uid) {
		close(fd);
		return EPERM;
	}
	GByteArray *b = g_byte_array_sized_new((guint)st.st_size + 1);
	uint8_t chunk[8192];
	ssize_t n;
	while ((n = read(fd, chunk, sizeof chunk)) > 0 && b->len + (size_t)n <= FOREIGN_CACHE_MAX)
		g_byte_array_append(b, chunk, (guint)n);
	close(fd);
	int rc = n < 0 ? errno : 0;
	char *dir = rc ? NULL : g_dir_make_tmp("smbfuse-cc-XXXXXX", NULL);
	char *file = dir ? g_build_filename(dir, "cc", NULL) : NULL;
	if (!rc && !dir)
		rc = EIO;
	if (!rc) {
		int w = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (w < 0 || write(w, b->data, b->len) != (ssize_t)b->len)
			rc = EIO;
		if (w >= 0)
			close(w);
	}
	explicit_bzero(b->data, b->len);
	g_byte_array_free(b, TRUE);
	krb5_ccache fcc = NULL;
	char *name = file ? g_strconcat("FILE:", file, NULL) : NULL;
	if (!rc && krb5_cc_resolve(m->kctx, name, &fcc) != 0)
		rc = EIO;
	if (!rc && krb5_cc_new_unique(m->kctx, "MEMORY", NULL, out) != 0)
		rc = ENOMEM;
	if (!rc && krb5_cc_copy_cache(m->kctx, fcc, *out) != 0) {
		krb5_cc_destroy(m->kctx, *out);
		rc = ENOKEY;
	}
	if (fcc)
		krb5_cc_close(m->kctx, fcc);
	if (file)
		unlink(file);
	if (dir)
		rmdir(dir);
	g_free(name);
	g_free(file);
	g_free(dir);
	return rc;
}

/* A FILE: cache of another user than the effective one, or one that
 * must be checked to be its user's (read through a descriptor then). */
static const char *foreign_file(const struct krb5_mech *m)
{
	if (!m->ccache || strncmp(m->ccache, "FILE:", 5) != 0)
		return NULL;
	struct stat st;
	if (lstat(m->ccache + 5, &st) != 0 || (st.st_uid == geteuid() && !m->cc_owned))
		return NULL;
	return m->ccache + 5;
}

/* Open the user's cache and check that it holds a live TGT. */
static int open_cache(struct krb5_mech *m)
{
	const char *foreign = foreign_file(m);
	if (foreign) {
		int rc = copy_foreign_cache(m, foreign, &m->cc);
		if (rc) {
			if (rc == EPERM)
				set_err(m,
				        "Kerberos: the credential cache %s is not owned by uid %u: "
				        "not used",
				        m->ccache, (unsigned)m->cc_uid);
			else
				set_err(m, "Kerberos: cannot read the credential cache %s: %s",
				        m->ccache, g_strerror(rc));
			m->cc = NULL;
			return -ENOKEY;
		}
		m->cc_ours = true; /* the copy: destroyed at free */
	}
	krb5_error_code e = foreign     ? 0
	                    : m->ccache ? krb5_cc_resolve(m->kctx, m->ccache, &m->cc)
	                                : krb5_cc_default(m->kctx, &m->cc);
	if (e) {
		char *t = krb5_text(m->kctx, e);
		set_err(m, "Kerberos: cannot open the credential cache %s: %s",
		        m->ccache ? m->ccache : "(default)", t);
		g_free(t);
		m->cc = NULL;
		return -ENOKEY;
	}
	char *name = NULL;
	if (krb5_cc_get_full_name(m->kctx, m->cc, &name))
		name = NULL;
	krb5_principal client;
	if (krb5_cc_get_principal(m->kctx, m->cc, &client)) {
		set_err(m,
		        "Kerberos: no ticket in the credential cache %s (run kinit, or give "
		        "krb5_keytab=)",
		        name ? name : "(default)");
		krb5_xfree(name);
		return -ENOKEY;
	}
	time_t end = tgt_end(m->kctx, m->cc, client), now = time(NULL);
	int rc = 0;
	if (!end) {
		set_err(m,
		        "Kerberos: no ticket-granting ticket in the credential cache %s (run "
		        "kinit)",
		        name ? name : "(default)");
		rc = -ENOKEY;
	} else if (end <= now) {
		char *who = NULL;
		krb5_unparse_name(m->kctx, client, &who);
		GDateTime *dt = g_date_time_new_from_unix_utc(end);
		char *when = g_date_time_format(dt, "%Y-%m-%d %H:%M:%S UTC");
		set_err(m,
		        "Kerberos: the ticket of %s in %s expired at %s (renew it with kinit, "
		        "or give krb5_keytab=)",
		        who ? who : "?", name ? name : "(default)", when);
		g_free(when);
		g_date_time_unref(dt);
		krb5_xfree(who);
		rc = -EKEYEXPIRED;
	}
	krb5_free_principal(m->kctx, client);
	krb5_xfree(name);
	return rc;
}

/* A fresh TGT from the keytab, into a private MEMORY cache. */
static int keytab_login(struct krb5_mech *m)
{
	krb5_keytab kt = NULL;
	krb5_principal client = NULL;
	krb5_get_init_creds_opt *opt = NULL;
	krb5_creds cr;
	bool have_cr = false;
	int rc = -ENOKEY;
	krb5_error_code e = krb5_kt_resolve(m->kctx, m->keytab, &kt);
	if (e)
		goto kfail;
	if (m->principal) {
		e = krb5_parse_name(m->kctx, m->principal, &client);
		if (e)
			goto kfail;
	} else {
		krb5_kt_cursor cur;
		krb5_keytab_entry ent;
		e = krb5_kt_start_seq_get(m->kctx, kt, &cur);
		if (e)
			goto kfail;
		e = krb5_kt_next_entry(m->kctx, kt, &ent, &cur);
		if (!e) {
			krb5_copy_principal(m->kctx, ent.principal, &client);
			krb5_kt_free_entry(m->kctx, &ent);
		}
		krb5_kt_end_seq_get(m->kctx, kt, &cur);
		if (e || !client) {
			set_err(m, "Kerberos: the keytab %s holds no keys", m->keytab);
			goto out;
		}
	}
	e = krb5_get_init_creds_opt_alloc(m->kctx, &opt);
	if (e)
		goto kfail;
	/* ticket_lifetime, renew_lifetime, ... from krb5.conf, as kinit does */
	krb5_get_init_creds_opt_set_default_flags(m->kctx, "smbfuse",
	                                          krb5_principal_get_realm(m->kctx, client), opt);
	memset(&cr, 0, sizeof cr);
	e = krb5_get_init_creds_keytab(m->kctx, &cr, client, kt, 0, NULL, opt);
	if (e) {
		char *t = krb5_text(m->kctx, e);
		explain(m, e, t, &rc);
		if (e != KRB5KRB_AP_ERR_SKEW && e != KRB5_KDC_UNREACH) {
			char *w = m->err;
			m->err = g_strdup_printf("%s (keytab %s)", w, m->keytab);
			g_free(w);
		}
		g_free(t);
		goto out;
	}
	have_cr = true;
	e = krb5_cc_new_unique(m->kctx, "MEMORY", NULL, &m->cc);
	if (e)
		goto kfail;
	m->cc_ours = true;
	e = krb5_cc_initialize(m->kctx, m->cc, client);
	if (!e)
		e = krb5_cc_store_cred(m->kctx, m->cc, &cr);
	if (e)
		goto kfail;
	rc = 0;
	goto out;
kfail : {
	char *t = krb5_text(m->kctx, e);
	set_err(m, "Kerberos: keytab %s: %s", m->keytab, t);
	g_free(t);
}
out:
	if (have_cr)
		krb5_free_cred_contents(m->kctx, &cr);
	if (opt)
		krb5_get_init_creds_opt_free(m->kctx, opt);
	if (client)
		krb5_free_principal(m->kctx, client);
	if (kt)
		krb5_kt_close(m->kctx, kt);
	return rc;
}

/* cifs/<host>@<realm of host, or of the client>, or spn= completed. */
static char *target_principal(struct krb5_mech *m)
{
	char *base = m->spn ? g_strdup(m->spn) : g_strconcat("cifs/", m->host, NULL);
	if (strchr(base, '@'))
		return base;
	char *realm = NULL;
	const char *slash = strchr(base, '/');
	char **realms = NULL;
	if (slash && krb5_get_host_realm(m->kctx, slash + 1, &realms) == 0 && realms && realms[0] &&
	    realms[0][0])
		realm = g_strdup(realms[0]);
	if (realms)
		krb5_free_host_realm(m->kctx, realms);
	if (!realm) {
		krb5_principal client;
		if (m->cc && krb5_cc_get_principal(m->kctx, m->cc, &client) == 0) {
			realm = g_strdup(krb5_principal_get_realm(m->kctx, client));
			krb5_free_principal(m->kctx, client);
		} else {
			char *def = NULL;
			if (krb5_get_default_realm(m->kctx, &def) == 0)
				realm = g_strdup(def);
			krb5_xfree(def);
		}
	}
	char *out = realm ? g_strconcat(base, "@", realm, NULL) : g_strdup(base);
	g_free(realm);
	g_free(base);
	return out;
}

static int km_start(void *ctx, GByteArray **out)
{
	struct krb5_mech *m = ctx;
	*out = NULL;
	krb5_error_code e = krb5_init_context(&m->kctx);
	if (e) {
		set_err(m, "Kerberos: cannot initialize (krb5.conf unreadable?)");
		m->kctx = NULL;
		return -ENOKEY;
	}
	int rc = m->keytab ? keytab_login(m) : open_cache(m);
	if (rc)
		return rc;
	OM_uint32 maj, min;
	maj = gss_krb5_import_cred(&min, m->cc, NULL, NULL, &m->cred);
	if (GSS_ERROR(maj)) {
		char *t = gss_text(maj, min);
		set_err(m, "Kerberos: cannot use the credential cache: %s", t);
		g_free(t);
		return -ENOKEY;
	}
	m->target_name = target_principal(m);
	gss_buffer_desc nb = {strlen(m->target_name), m->target_name};
	maj = gss_import_name(&min, &nb, GSS_KRB5_NT_PRINCIPAL_NAME, &m->target);
	if (GSS_ERROR(maj)) {
		set_err(m, "Kerberos: bad service principal name %s", m->target_name);
		return -EINVAL;
	}
	gss_buffer_desc ob = GSS_C_EMPTY_BUFFER;
	OM_uint32 flags = 0;
	maj = gss_init_sec_context(&min, m->cred, &m->gctx, m->target, GSS_KRB5_MECHANISM,
	                           GSS_C_MUTUAL_FLAG | GSS_C_INTEG_FLAG | GSS_C_CONF_FLAG, 0,
	                           GSS_C_NO_CHANNEL_BINDINGS, GSS_C_NO_BUFFER, NULL, &ob, &flags,
	                           NULL);
	if (GSS_ERROR(maj)) {
		char *t = gss_text(maj, min);
		explain(m, (krb5_error_code)min, t, &rc);
		g_free(t);
		gss_release_buffer(&min, &ob);
		return rc;
	}
	if (maj == GSS_S_COMPLETE)
		m->done = true; /* no mutual authentication offered: should not happen */
	*out = g_byte_array_new();
	g_byte_array_append(*out, ob.value, ob.length);
	gss_release_buffer(&min, &ob);
	g_debug("Kerberos: AP-REQ for %s built", m->target_name);
	return 0;
}

static int km_step(void *ctx, const uint8_t *in, size_t len, GByteArray **out)
{
	struct krb5_mech *m = ctx;
	*out = NULL;
	if (m->done || m->gctx == GSS_C_NO_CONTEXT)
		return -EPROTO;
	gss_buffer_desc ib = {len, (void *)in}, ob = GSS_C_EMPTY_BUFFER;
	OM_uint32 min, min2;
	OM_uint32 maj =
	        gss_init_sec_context(&min, m->cred, &m->gctx, m->target, GSS_KRB5_MECHANISM,
	                             GSS_C_MUTUAL_FLAG | GSS_C_INTEG_FLAG | GSS_C_CONF_FLAG, 0,
	                             GSS_C_NO_CHANNEL_BINDINGS, &ib, NULL, &ob, NULL, NULL);
	if (GSS_ERROR(maj)) {
		char *t = gss_text(maj, min);
		int rc;
		explain(m, (krb5_error_code)min, t, &rc);
		if (min != (OM_uint32)KRB5KRB_AP_ERR_SKEW) {
			g_free(m->err);
			m->err = g_strdup_printf(
			        "Kerberos: the server's reply did not verify (mutual "
			        "authentication failed): %s",
			        t);
		}
		g_free(t);
		gss_release_buffer(&min2, &ob);
		return -EACCES;
	}
	if (ob.length) {
		*out = g_byte_array_new();
		g_byte_array_append(*out, ob.value, ob.length);
	}
	gss_release_buffer(&min2, &ob);
	if (maj == GSS_S_COMPLETE)
		m->done = true;
	return 0;
}

static int km_session_key(void *ctx, uint8_t *key, size_t *len)
{
	struct krb5_mech *m = ctx;
	if (!m->done)
		return -ENOKEY;
	OM_uint32 min;
	gss_buffer_set_t set = GSS_C_NO_BUFFER_SET;
	OM_uint32 maj = gss_inquire_sec_context_by_oid(&min, m->gctx, &inq_session_key, &set);
	if (GSS_ERROR(maj) || !set || set->count < 1 || !set->elements[0].length) {
		gss_release_buffer_set(&min, &set);
		return -ENOKEY;
	}
	size_t n = MIN(set->elements[0].length, (size_t)32);
	memcpy(key, set->elements[0].value, n);
	*len = n;
	memset(set->elements[0].value, 0, set->elements[0].length);
	gss_release_buffer_set(&min, &set);
	return 0;
}

static bool km_wants_mic(void *ctx)
{
	return false;
}

static bool km_verify_mic(void *ctx, const uint8_t *msg, size_t len, const uint8_t *sig,
                          size_t sig_len)
{
	struct krb5_mech *m = ctx;
	if (!m->done)
		return false;
	OM_uint32 min;
	gss_buffer_desc mb = {len, (void *)msg}, tb = {sig_len, (void *)sig};
	return gss_verify_mic(&min, m->gctx, &mb, &tb, NULL) == GSS_S_COMPLETE;
}

static int km_lifetime(void *ctx)
{
	struct krb5_mech *m = ctx;
	OM_uint32 min, lt = 0;
	if (m->gctx == GSS_C_NO_CONTEXT ||
	    GSS_ERROR(
	            gss_inquire_context(&min, m->gctx, NULL, NULL, &lt, NULL, NULL, NULL, NULL)) ||
	    lt == GSS_C_INDEFINITE || lt > INT32_MAX)
		return -1;
	return (int)lt;
}

static bool km_complete(void *ctx)
{
	return ((struct krb5_mech *)ctx)->done;
}

static const char *km_error(void *ctx)
{
	return ((struct krb5_mech *)ctx)->err;
}

static void km_free(void *ctx)
{
	struct krb5_mech *m = ctx;
	if (!m)
		return;
	OM_uint32 min;
	if (m->gctx != GSS_C_NO_CONTEXT)
		gss_delete_sec_context(&min, &m->gctx, GSS_C_NO_BUFFER);
	if (m->target != GSS_C_NO_NAME)
		gss_release_name(&min, &m->target);
	if (m->cred != GSS_C_NO_CREDENTIAL)
		gss_release_cred(&min, &m->cred);
	if (m->cc) {
		if (m->cc_ours)
			krb5_cc_destroy(m->kctx, m->cc);
		else
			krb5_cc_close(m->kctx, m->cc);
	}
	if (m->kctx)
		krb5_free_context(m->kctx);
	g_free(m->host);
	g_free(m->ccache);
	g_free(m->keytab);
	g_free(m->principal);
	g_free(m->spn);
	g_free(m->target_name);
	g_free(m->err);
	g_free(m);
}

const struct sf_mech_ops sf_krb5_ops = {
        .name = "Kerberos",
        .oid = sf_oid_krb5,
        .oid_len = sizeof sf_oid_krb5,
        .start = km_start,
        .step = km_step,
        .session_key = km_session_key,
        .wants_mic = km_wants_mic,
        .verify_mic = km_verify_mic,
        .complete = km_complete,
        .lifetime = km_lifetime,
        .error = km_error,
        .free = km_free,
};

bool sf_krb5_have_creds(const struct sf_creds *c)
{
	if (c && c->krb5_keytab)
		return true;
	struct krb5_mech *m = sf_krb5_mech_new(c, "", NULL);
	bool ok = krb5_init_context(&m->kctx) == 0;
	if (!ok)
		m->kctx = NULL;
	else
		ok = open_cache(m) == 0;
	km_free(m);
	return ok;
}

#else /* !HAVE_GSSAPI */

bool sf_krb5_available(void)
{
	return false;
}

void *sf_krb5_mech_new(const struct sf_creds *creds, const char *host, GError **err)
{
	g_set_error(err, g_quark_from_static_string("sf-auth"), ENOTSUP,
	            "Kerberos (sec=krb5) is not available: smbfuse was built without Heimdal "
	            "GSSAPI (meson -Dkrb5=enabled, package heimdal-dev)");
	return NULL;
}

const struct sf_mech_ops sf_krb5_ops = {.name = "Kerberos (not built)"};

bool sf_krb5_have_creds(const struct sf_creds *creds)
{
	return false;
}

#endif

char *sf_krb5_cache_of_uid(uid_t uid)
{
	return g_strdup_printf("FILE:/tmp/krb5cc_%u", (unsigned)uid);
}
