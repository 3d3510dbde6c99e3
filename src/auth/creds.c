/* creds.c - credentials file and environment. Secrets are only ever
 * copied into secure memory (util/secmem.h); every buffer that held one is
 * wiped before it is released. */
#include "auth/creds.h"

#include "crypto/prim.h"
#include "util/secmem.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

struct sf_creds *sf_creds_new(void)
{
	return g_new0(struct sf_creds, 1);
}

void sf_creds_free(struct sf_creds *c)
{
	if (!c)
		return;
	sf_secmem_free(c->user);
	sf_secmem_free(c->domain);
	sf_secmem_free(c->password);
	sf_secmem_free(c->krb5_ccache);
	sf_secmem_free(c->krb5_keytab);
	sf_secmem_free(c->krb5_principal);
	sf_secmem_free(c->spn);
	g_free(c);
}

void sf_creds_setn(char **field, const char *value, size_t len)
{
	/* Copy first: value may point into the old field. */
	char *copy = value ? sf_secmem_strndup(value, len) : NULL;
	sf_secmem_free(*field);
	*field = copy;
}

void sf_creds_set(char **field, const char *value)
{
	sf_creds_setn(field, value, value ? strlen(value) : 0);
}

void sf_creds_set_user(struct sf_creds *c, const char *user)
{
	const char *sep = strpbrk(user, "\\/");
	if (sep) {
		sf_creds_setn(&c->domain, user, (size_t)(sep - user));
		sf_creds_set(&c->user, sep + 1);
		return;
	}
	const char *at = strchr(user, '@');
	if (at && at[1]) {
		sf_creds_set(&c->domain, at + 1);
		sf_creds_setn(&c->user, user, (size_t)(at - user));
		return;
	}
	sf_creds_set(&c->user, user);
}

static bool key_is(const char *k, size_t klen, const char *name)
{
	return klen == strlen(name) && !memcmp(k, name, klen);
}

bool sf_creds_parse(struct sf_creds *c, const char *text, size_t len, GError **err)
{
	size_t pos = 0;
	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - line) : len - pos;
		pos += ll + (nl ? 1 : 0);
		/* Only the line ending goes from the value: a password may
		 * start or end with spaces. */
		if (ll && line[ll - 1] == '\r')
			ll--;
		while (ll && (*line == ' ' || *line == '\t')) {
			line++;
			ll--;
		}
		const char *eq = memchr(line, '=', ll);
		if (!ll || line[0] == '#' || !eq)
			continue;
		size_t klen = (size_t)(eq - line);
		while (klen && (line[klen - 1] == ' ' || line[klen - 1] == '\t'))
			klen--;
		const char *val = eq + 1;
		size_t vlen = ll - (size_t)(val - line);
		if (memchr(val, 0, vlen)) {
			g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			            "credentials: a NUL byte in the %.*s line", (int)MIN(klen, 32),
			            line);
			return false;
		}
		if (key_is(line, klen, "username") || key_is(line, klen, "user")) {
			char *u = sf_secmem_strndup(val, vlen);
			sf_creds_set_user(c, u);
			sf_secmem_free(u);
		} else if (key_is(line, klen, "password") || key_is(line, klen, "pass")) {
			if (vlen > SF_PASSWORD_MAX) {
				g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
				            "credentials: the password is longer than %d bytes",
				            SF_PASSWORD_MAX);
				return false;
			}
			sf_creds_setn(&c->password, val, vlen);
		} else if (key_is(line, klen, "domain") || key_is(line, klen, "dom") ||
		           key_is(line, klen, "workgroup")) {
			sf_creds_setn(&c->domain, val, vlen);
		}
	}
	return true;
}

/* The checks a file holding a password must pass before it is read. */
static bool check_file(int fd, const char *path, GError **err)
{
	struct stat st;
	if (fstat(fd, &st) != 0) {
		g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
		            "credentials file %s: %s", path, g_strerror(errno));
		return false;
	}
	if (!S_ISREG(st.st_mode)) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
		            "credentials file %s is not a regular file", path);
		return false;
	}
	/* Someone else's file could have been planted (or be changed later)
	 * to make us log in as an account of their choosing. */
	if (st.st_uid != 0 && st.st_uid != getuid()) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_PERM,
		            "credentials file %s is owned by uid %u, not by root or the mounting "
		            "user (uid %u)",
		            path, (unsigned)st.st_uid, (unsigned)getuid());
		return false;
	}
	if (st.st_mode & 077) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_PERM,
		            "credentials file %s is accessible by group or others (mode %04o); "
		            "chmod 600 it",
		            path, (unsigned)(st.st_mode & 07777));
		return false;
	}
	if (st.st_size > SF_CREDS_FILE_MAX) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
		            "credentials file %s is larger than %d bytes", path, SF_CREDS_FILE_MAX);
		return false;
	}
	return true;
}

bool sf_creds_read_file(struct sf_creds *c, const char *path, GError **err)
{
	/* O_NONBLOCK: opening a FIFO must not wait for a writer; it is then
	 * refused by the regular-file check. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
		            "credentials file %s: %s", path, g_strerror(errno));
		return false;
	}
	if (!check_file(fd, path, err)) {
		close(fd);
		return false;
	}
	/* One fixed secure buffer; one byte more than allowed, to see that a
	 * file which grew after fstat is too large rather than cut it. */
	char *buf = sf_secmem_alloc(SF_CREDS_FILE_MAX + 1);
	size_t len = 0;
	bool ok = true;
	while (len <= SF_CREDS_FILE_MAX) {
		ssize_t n = read(fd, buf + len, SF_CREDS_FILE_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
			            "credentials file %s: %s", path, g_strerror(errno));
			ok = false;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (ok && len > SF_CREDS_FILE_MAX) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
		            "credentials file %s is larger than %d bytes", path, SF_CREDS_FILE_MAX);
		ok = false;
	}
	if (ok) {
		GError *e2 = NULL;
		ok = sf_creds_parse(c, buf, len, &e2);
		if (!ok) {
			g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			            "credentials file %s: %s", path,
			            e2->message + strlen("credentials: "));
			g_error_free(e2);
		}
	}
	sf_secmem_free(buf); /* wipes */
	return ok;
}

/* Read the first line of fd, at most SF_PASSWORD_MAX bytes, into secure
 * memory. One byte at a time so that nothing past the line is consumed
 * (the descriptor may be shared with whoever wrote it). */
static bool read_passwd_fd(struct sf_creds *c, int fd, GError **err)
{
	char *pw = sf_secmem_alloc(SF_PASSWORD_MAX + 1);
	size_t len = 0;
	bool ok = true, cut = false;
	for (;;) {
		char ch;
		ssize_t n = read(fd, &ch, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
			            "PASSWD_FD=%d: %s", fd, g_strerror(errno));
			ok = false;
			break;
		}
		if (n == 0 || ch == '\n')
			break;
		if (len == SF_PASSWORD_MAX) {
			cut = true;
			break;
		}
		pw[len++] = ch;
		ch = 0;
	}
	if (ok && cut) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
		            "the password read from PASSWD_FD is longer than %d bytes",
		            SF_PASSWORD_MAX);
		ok = false;
	}
	if (ok && len && pw[len - 1] == '\r')
		len--;
	if (ok)
		sf_creds_setn(&c->password, pw, len);
	sf_secmem_free(pw);
	return ok;
}

/* The password's descriptor is of no further use; keep nothing open that
 * could be read again. 0-2 are pointed at /dev/null instead of closed, so
 * that a later open (the FUSE device) cannot land on them and be
 * clobbered when the daemon detaches from the terminal. */
static void retire_fd(int fd)
{
	if (fd > 2) {
		close(fd);
		return;
	}
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, fd);
		close(null);
	}
}

bool sf_creds_from_env(struct sf_creds *c, GError **err)
{
	const char *fds = getenv("PASSWD_FD");
	if (fds) {
		char *end;
		errno = 0;
		long fd = strtol(fds, &end, 10);
		bool bad = !*fds || *end || errno || fd < 0 || fd > INT_MAX;
		unsetenv("PASSWD_FD");
		if (bad || fcntl((int)fd, F_GETFD) < 0) {
			g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			            "PASSWD_FD is not an open file descriptor");
			return false;
		}
		bool ok = read_passwd_fd(c, (int)fd, err);
		retire_fd((int)fd);
		if (!ok)
			return false;
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

bool sf_creds_prompt(struct sf_creds *c, const char *prompt, GError **err)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_NXIO,
		            "no terminal to ask for a password");
		return false;
	}
	struct termios old, quiet;
	bool restore = tcgetattr(fd, &old) == 0;
	if (restore) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	if (write(fd, prompt, strlen(prompt)) < 0) {
		/* the prompt is a courtesy; reading is what matters */
	}
	/* Read into secure memory, a byte at a time up to the newline: no
	 * stdio buffer ever holds the password. */
	char *buf = sf_secmem_alloc(SF_PASSWORD_MAX + 1);
	size_t n = 0;
	bool ok = true, too_long = false;
	for (;;) {
		char ch;
		ssize_t r = read(fd, &ch, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || ch == '\n' || ch == '\r') {
			ok = r >= 0;
			break;
		}
		if (n == SF_PASSWORD_MAX) {
			too_long = true;
			continue; /* drain the line, keep nothing more */
		}
		buf[n++] = ch;
	}
	if (restore)
		tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0) {
		/* the echoed newline was suppressed; cosmetic only */
	}
	close(fd);
	if (!ok || too_long) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
		            too_long ? "password longer than %d bytes" : "no password read",
		            SF_PASSWORD_MAX);
		sf_secmem_free(buf);
		return false;
	}
	sf_creds_setn(&c->password, buf, n);
	sf_secmem_free(buf); /* wipes */
	return true;
}
