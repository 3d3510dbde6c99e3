/* log.c - the log writer: stderr, then journal, syslog or a file (log.h). */
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

const char *const sf_log_areas[] = {"conn", "session", "tree", "req",    "handle",
                                    "pool", "fs",      "fuse", "client", NULL};

enum sink { SINK_STDERR, SINK_JOURNAL, SINK_SYSLOG, SINK_FILE };

static struct {
	const char *prog;
	enum sink sink;
	bool debug_all;
	char **debug; /* areas, or NULL */
	FILE *file;
} lg = {.prog = "smbfuse"};

bool sf_log_areas_valid(const char *s)
{
	if (!strcmp(s, "all"))
		return true;
	char **parts = g_strsplit(s, ":", -1);
	bool ok = parts[0] != NULL;
	for (char **p = parts; *p && ok; p++)
		ok = g_strv_contains(sf_log_areas, *p);
	g_strfreev(parts);
	return ok;
}

void sf_log_set_debug(const char *areas)
{
	g_strfreev(lg.debug);
	lg.debug = NULL;
	lg.debug_all = areas && !strcmp(areas, "all");
	if (areas && !lg.debug_all)
		lg.debug = g_strsplit(areas, ":", -1);
}

/* Debug and info only for the areas asked for; the rest always. */
static bool wanted(GLogLevelFlags level, const char *domain)
{
	if (!(level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO)))
		return true;
	if (lg.debug_all)
		return true;
	if (!lg.debug || !domain || !g_str_has_prefix(domain, "smbfuse-"))
		return false;
	return g_strv_contains((const char *const *)lg.debug, domain + strlen("smbfuse-"));
}

static const char *field(const GLogField *fields, gsize n, const char *key)
{
	for (gsize i = 0; i < n; i++)
		if (!strcmp(fields[i].key, key) && fields[i].length < 0)
			return fields[i].value;
	return NULL;
}

static int syslog_priority(GLogLevelFlags level)
{
	if (level & G_LOG_LEVEL_ERROR)
		return LOG_ERR;
	if (level & G_LOG_LEVEL_CRITICAL)
		return LOG_CRIT;
	if (level & G_LOG_LEVEL_WARNING)
		return LOG_WARNING;
	if (level & G_LOG_LEVEL_MESSAGE)
		return LOG_NOTICE;
	if (level & G_LOG_LEVEL_INFO)
		return LOG_INFO;
	return LOG_DEBUG;
}

static GLogWriterOutput writer(GLogLevelFlags level, const GLogField *fields, gsize n,
                               gpointer user)
{
	if (!wanted(level, field(fields, n, "GLIB_DOMAIN")))
		return G_LOG_WRITER_HANDLED;
	switch (lg.sink) {
	case SINK_JOURNAL:
		if (g_log_writer_journald(level, fields, n, user) == G_LOG_WRITER_HANDLED)
			return G_LOG_WRITER_HANDLED;
		break; /* journald went away: stderr is /dev/null, but try */
	case SINK_SYSLOG: {
		const char *msg = field(fields, n, "MESSAGE");
		const char *dom = field(fields, n, "GLIB_DOMAIN");
		syslog(syslog_priority(level), "%s%s%s", dom ? dom : "", dom ? ": " : "",
		       msg ? msg : "");
		return G_LOG_WRITER_HANDLED;
	}
	case SINK_FILE:
		if (lg.file) {
			char *line = g_log_writer_format_fields(level, fields, n, FALSE);
			GDateTime *now = g_date_time_new_now_local();
			char *ts = g_date_time_format(now, "%F %T");
			fprintf(lg.file, "%s %s[%d]: %s\n", ts, lg.prog, (int)getpid(), line);
			fflush(lg.file);
			g_free(ts);
			g_date_time_unref(now);
			g_free(line);
			return G_LOG_WRITER_HANDLED;
		}
		break;
	case SINK_STDERR:
		break;
	}
	char *line = g_log_writer_format_fields(level, fields, n, FALSE);
	fprintf(stderr, "%s\n", line);
	g_free(line);
	return G_LOG_WRITER_HANDLED;
}

void sf_log_init(const char *prog)
{
	lg.prog = prog;
	g_log_set_writer_func(writer, NULL, NULL);
}

char *sf_log_file_path(void)
{
	if (geteuid() == 0)
		return g_strdup("/var/log/smbfuse.log");
	const char *state = g_getenv("XDG_STATE_HOME");
	if (state && *state == '/')
		return g_build_filename(state, "smbfuse.log", NULL);
	return g_build_filename(g_get_home_dir(), ".local", "state", "smbfuse.log", NULL);
}

void sf_log_detach(void)
{
	if (g_file_test("/run/systemd/journal/socket", G_FILE_TEST_EXISTS)) {
		lg.sink = SINK_JOURNAL;
		return;
	}
	if (g_file_test("/dev/log", G_FILE_TEST_EXISTS)) {
		openlog(lg.prog, LOG_PID, LOG_DAEMON);
		lg.sink = SINK_SYSLOG;
		return;
	}
	char *path = sf_log_file_path();
	char *dir = g_path_get_dirname(path);
	g_mkdir_with_parents(dir, 0700);
	/* Owner-only: messages name servers, shares and users. */
	int fd = g_open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	lg.file = fd >= 0 ? fdopen(fd, "a") : NULL;
	if (!lg.file && fd >= 0)
		close(fd);
	lg.sink = SINK_FILE;
	g_free(dir);
	g_free(path);
}
