/* main.c - smbfuse, mount.smbfuse and mount.fuse.smbfuse are one binary;
 * argv[0] only changes the name in messages. */
#include "config.h"
#include "mountctl.h"
#include "net/client.h"
#include "opts.h"
#include "util/heap.h"
#include "util/log.h"

#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

static void usage(const char *prog)
{
	printf("usage: %s //server[:port]/share MOUNTPOINT [-o options] [-f] [-d]\n"
	       "options (as mount.cifs): username=, domain=, credentials=FILE, port=, vers=,\n"
	       "  sec=ntlmssp|none, guest, sign, nosign, seal, uid=, gid=, file_mode=,\n"
	       "  dir_mode=, ro, rw, cache=strict|loose|none, actimeo=, rsize=, wsize=,\n"
	       "  mapposix, serverino, noserverino, allow_other (implies\n"
	       "  default_permissions), noexec, nosuid, nodev, hard, soft, timeout=,\n"
	       "  echo_interval=, debug[=all|conn:session:tree:req:handle:pool:fs:fuse:client]\n"
	       "passwords: credentials=FILE (mode 0600), PASSWD_FD or PASSWD; never in options\n"
	       "see smbfuse(8), which lists every mount.cifs option and what smbfuse does with "
	       "it\n",
	       prog);
}

/* As mount(8)'s helper, -f is "fake" (smbfuse itself reads it as
 * "foreground", as FUSE programs do). */
static bool fake_mount(const char *prog, int argc, char **argv)
{
	if (strcmp(prog, "mount.smbfuse") != 0)
		return false;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-f"))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');
	base = base ? base + 1 : argv[0];
	const char *prog = g_str_has_prefix(base, "mount.") ? "mount.smbfuse" : "smbfuse";
	sf_log_init(prog);
	sf_heap_tune_for_io();
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(prog);
			return 0;
		}
		if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
			printf("smbfuse %s\n", SMBFUSE_VERSION);
			return 0;
		}
	}
	/* Before any secret is read (credentials= is read while the options
	 * are parsed): no core dump, no ptrace by the same uid, /proc/<pid>
	 * files owned by root. Inherited by the daemon child across fork. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		fprintf(stderr, "%s: cannot make the process non-dumpable\n", prog);
	struct sf_config *cfg = sf_config_new();
	GError *err = NULL;
	if (!sf_config_parse(cfg, argc - 1, argv + 1, &err)) {
		fprintf(stderr, "%s: %s\n", prog, err->message);
		g_error_free(err);
		sf_config_free(cfg);
		return SF_EXIT_USAGE;
	}
	if (fake_mount(prog, argc, argv)) {
		/* mount -f: everything but the mount itself (mount(8) hands
		 * helpers -f for this); the options were checked above. */
		sf_config_free(cfg);
		return 0;
	}
	return sf_mount_main(cfg, prog);
}
