/* creds.c - credentials file and environment. */
#include "auth/creds.h"

#include "crypto/prim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void wipe_str(char *s)
{
	if (s)
		sf_wipe(s, strlen(s));
	g_free(s);
}

struct sf_creds *sf_creds_new(void)
{
	return g_new0(struct sf_creds, 1);
}

void sf_creds_free(struct sf_creds *c)
{
	if (!c)
		return;
	wipe_str(c->user);
	wipe_str(c->domain);
	wipe_str(c->password);
	g_free(c);
}

void sf_creds_set(char **field, const char *value)
{
	wipe_str(*field);
	*field = value ? g_strdup(value) : NULL;
}

void sf_creds_set_user(struct sf_creds *c, const char *user)
{
	const char *sep = strpbrk(user, "\\/");
	if (sep) {
		char *dom = g_strndup(user, (gsize)(sep - user));
		sf_creds_set(&c->domain, dom);
		g_free(dom);
		sf_creds_set(&c->user, sep + 1);
		return;
	}
	const char *at = strchr(user, '@');
	if (at && at[1]) {
		char *u = g_strndup(user, (gsize)(at - user));
		sf_creds_set(&c->user, u);
		sf_creds_set(&c->domain, at + 1);
		g_free(u);
		return;
	}
	sf_creds_set(&c->user, user);
}

bool sf_creds_read_file(struct sf_creds *c, const char *path, GError **err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
		            "credentials file %s: %s", path, g_strerror(errno));
		return false;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
		            "credentials file %s: not a regular file", path);
		return false;
	}
	if (st.st_mode & 077) {
		close(fd);
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_PERM,
		            "credentials file %s is accessible by group or others (mode %04o); "
		            "chmod 600 it",
		            path, (unsigned)(st.st_mode & 07777));
		return false;
	}
	GString *text = g_string_new(NULL);
	char buf[1024];
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0 && text->len < 65536)
		g_string_append_len(text, buf, n);
	sf_wipe(buf, sizeof buf);
	close(fd);
	char **lines = g_strsplit(text->str, "\n", -1);
	for (char **l = lines; *l; l++) {
		/* Only the line ending goes: a password may start or end with
		 * spaces. */
		char *line = *l;
		size_t ll = strlen(line);
		if (ll && line[ll - 1] == '\r')
			line[ll - 1] = 0;
		line = g_strchug(line);
		char *eq = strchr(line, '=');
		if (line[0] == '#' || !eq)
			continue;
		*eq = 0;
		const char *key = g_strstrip(line), *val = eq + 1;
		if (!strcmp(key, "username") || !strcmp(key, "user"))
			sf_creds_set_user(c, val);
		else if (!strcmp(key, "password") || !strcmp(key, "pass"))
			sf_creds_set(&c->password, val);
		else if (!strcmp(key, "domain") || !strcmp(key, "dom"))
			sf_creds_set(&c->domain, val);
	}
	for (char **l = lines; *l; l++)
		sf_wipe(*l, strlen(*l));
	g_strfreev(lines);
	sf_wipe(text->str, text->len);
	g_string_free(text, TRUE);
	return true;
}

bool sf_creds_from_env(struct sf_creds *c, GError **err)
{
	const char *fds = getenv("PASSWD_FD");
	if (fds) {
		char *end;
		long fd = strtol(fds, &end, 10);
		unsetenv("PASSWD_FD");
		if (*end || fd < 0) {
			g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			            "PASSWD_FD is not a number");
			return false;
		}
		char pw[512];
		size_t len = 0;
		while (len < sizeof pw - 1) {
			ssize_t n = read((int)fd, pw + len, 1);
			if (n <= 0 || pw[len] == '\n')
				break;
			len++;
		}
		pw[len] = 0;
		sf_creds_set(&c->password, pw);
		sf_wipe(pw, sizeof pw);
	}
	const char *pw = getenv("PASSWD");
	if (pw) {
		if (!fds)
			sf_creds_set(&c->password, pw);
		sf_wipe((char *)pw, strlen(pw)); /* the copy in our own environ */
		unsetenv("PASSWD");
	}
	return true;
}
