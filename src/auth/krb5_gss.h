/* krb5_gss.h - Kerberos through Heimdal GSSAPI, one mechanism inside
 * SPNEGO (auth/mech.h). Built only with the krb5 feature (HAVE_GSSAPI);
 * without it sf_krb5_available() is false and sec=krb5 is refused. */
#ifndef SF_AUTH_KRB5_GSS_H
#define SF_AUTH_KRB5_GSS_H

#include "auth/creds.h"
#include "auth/mech.h"

#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>

/* Whether this build has Kerberos. */
bool sf_krb5_available(void);

/* A Kerberos mechanism for the server named host (the SPN is
 * cifs/<host> unless creds->spn says otherwise). Nothing here talks to
 * the KDC: ops->start() does (on a worker thread). NULL with err when
 * the build has no Kerberos. */
void *sf_krb5_mech_new(const struct sf_creds *creds, const char *host, GError **err);
extern const struct sf_mech_ops sf_krb5_ops;

/* Whether creds name a usable Kerberos identity right now: a keytab was
 * given, or the credential cache holds a ticket-granting ticket that has
 * not expired. Reads the cache only (no KDC). */
bool sf_krb5_have_creds(const struct sf_creds *creds);

/* The default credential cache of uid as the kernel client's helper
 * finds it (FILE:/tmp/krb5cc_<uid>), for cruid=. g_free. */
char *sf_krb5_cache_of_uid(uid_t uid);

#endif
