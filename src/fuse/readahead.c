/* readahead.c - the kernel's read-ahead window for this mount.
 *
 * FUSE takes the smaller of the backing device's read_ahead_kb (128 KiB
 * unless changed) and what INIT offers, so the INIT offer alone cannot
 * raise it: with 128 KiB, a sequential reader has two 128 KiB READs in
 * flight, 25 MiB/s at a 10 ms round trip. Root can set the window through
 * sysfs right after mount(2), before INIT is answered. */
#define G_LOG_DOMAIN "smbfuse-fuse"

#include "fuse/ops.h"

#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>

/* "major:minor" of the mount at mountpoint, from /proc/self/mountinfo
 * (a stat of it would wait for INIT, which this process answers). */
static char *mount_dev(const char *mountpoint)
{
	char *real = realpath(mountpoint, NULL);
	char *text = NULL;
	char *dev = NULL;
	if (real && g_file_get_contents("/proc/self/mountinfo", &text, NULL, NULL)) {
		char **lines = g_strsplit(text, "\n", -1);
		for (char **l = lines; *l && !dev; l++) {
			char **f = g_strsplit(*l, " ", 6);
			/* mount id, parent id, major:minor, root, mount point, ... */
			if (g_strv_length(f) >= 5 && !strcmp(f[4], real))
				dev = g_strdup(f[2]);
			g_strfreev(f);
		}
		g_strfreev(lines);
	}
	g_free(text);
	free(real);
	return dev;
}

void sf_fuse_set_readahead(const char *mountpoint, uint32_t bytes)
{
	char *dev = mount_dev(mountpoint);
	if (!dev)
		return;
	char *path = g_strdup_printf("/sys/class/bdi/%s/read_ahead_kb", dev);
	char val[32];
	g_snprintf(val, sizeof val, "%u", bytes / 1024);
	/* A sysfs attribute is written in place (no temporary and rename). */
	FILE *f = fopen(path, "we");
	bool ok = f && fputs(val, f) >= 0;
	if (f && fclose(f) != 0)
		ok = false;
	if (!ok) /* not root: the kernel's 128 KiB stays */
		g_debug("read-ahead %s: %s", path, g_strerror(errno));
	g_free(path);
	g_free(dev);
}
