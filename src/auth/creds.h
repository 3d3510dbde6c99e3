/* creds.h - who we log in as. Passwords come from a credentials file
 * (mount.cifs format), PASSWD, or PASSWD_FD; never from argv. Every field
 * lives in secure memory (util/secmem.h: not in core dumps, locked when
 * possible) and is wiped when replaced or freed. */
#ifndef SF_AUTH_CREDS_H
#define SF_AUTH_CREDS_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Windows passwords are at most 256 UTF-16 characters; 512 bytes of UTF-8
 * is a generous bound, and anything longer is an error, never cut. */
#define SF_PASSWORD_MAX 512
/* A credentials file is three short lines and comments. */
#define SF_CREDS_FILE_MAX 16384

struct sf_creds {
	char *user;
	char *domain;
	char *password; /* NULL when none was given */
	/* Kerberos (sec=krb5, or chosen by default when a ticket exists):
	 * the credential cache to use (NULL: KRB5CCNAME or the default),
	 * a keytab to get tickets from instead (krb5_keytab=), the client
	 * principal in it (krb5_principal=; NULL: the keytab's first), and
	 * the service principal to ask for (spn=; NULL: cifs/<server>). */
	char *krb5_ccache;
	/* The cache belongs to this local user (cruid=, multiuser): a cache
	 * file owned by anyone else is refused when it is opened (the check
	 * made on the opened file, so a swap after an earlier look is seen). */
	bool krb5_ccache_owned;
	uid_t krb5_ccache_uid;
	char *krb5_keytab;
	char *krb5_principal;
	char *spn;
};

struct sf_creds *sf_creds_new(void);
void sf_creds_free(struct sf_creds *c);
/* Set a field, replacing (and wiping) the old value. Fields must only be
 * set through these (they are secure memory, not g_malloc'ed). */
void sf_creds_set(char **field, const char *value);
void sf_creds_setn(char **field, const char *value, size_t len);
/* "DOM\\user", "DOM/user" and "user@realm" split into user and domain. */
void sf_creds_set_user(struct sf_creds *c, const char *user);
/* Parse the text of a mount.cifs credentials file: username=/user=,
 * password=/pass=, domain=/dom=/workgroup=, '#' comments, CRLF. Makes no
 * copies outside secure memory. The file reader's parser; also the fuzz
 * target's entry point. */
bool sf_creds_parse(struct sf_creds *c, const char *text, size_t len, GError **err);
/* Read and parse a credentials file. Refused unless it is a regular file
 * (a FIFO or device never blocks: it is opened non-blocking and refused),
 * owned by root or the user running smbfuse, and neither readable nor
 * writable by group or others; symlinks are not followed. */
bool sf_creds_read_file(struct sf_creds *c, const char *path, GError **err);
/* PASSWD_FD (a descriptor to read the password from, first line, at most
 * SF_PASSWORD_MAX bytes; closed afterwards) or PASSWD; both are removed
 * from the environment so that children never inherit them. Returns false
 * with err on a bad descriptor, a read error or an overlong password. */
bool sf_creds_from_env(struct sf_creds *c, GError **err);
/* Ask for the password on the controlling terminal, echo off (as
 * mount.cifs does when none was given); at most SF_PASSWORD_MAX bytes. */
bool sf_creds_prompt(struct sf_creds *c, const char *prompt, GError **err);

#endif
