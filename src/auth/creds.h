/* creds.h - who we log in as. Passwords come from a credentials file
 * (mount.cifs format), PASSWD, or PASSWD_FD; never from argv. Everything
 * here is wiped when freed. */
#ifndef SF_AUTH_CREDS_H
#define SF_AUTH_CREDS_H

#include <glib.h>
#include <stdbool.h>

struct sf_creds {
	char *user;
	char *domain;
	char *password; /* NULL when none was given */
};

struct sf_creds *sf_creds_new(void);
void sf_creds_free(struct sf_creds *c);
/* Set a field, replacing (and wiping) the old value. */
void sf_creds_set(char **field, const char *value);
/* "DOM\\user", "DOM/user" and "user@realm" split into user and domain. */
void sf_creds_set_user(struct sf_creds *c, const char *user);
/* Parse a mount.cifs credentials file: username=/user=, password=/pass=,
 * domain=/dom=, '#' comments, CRLF. Refused when it is not a regular file
 * or is readable or writable by group or others. */
bool sf_creds_read_file(struct sf_creds *c, const char *path, GError **err);
/* PASSWD_FD (a descriptor to read the password from, first line) or
 * PASSWD; both are removed from the environment afterwards so that
 * children never inherit them. Returns false with err on a read error. */
bool sf_creds_from_env(struct sf_creds *c, GError **err);

#endif
