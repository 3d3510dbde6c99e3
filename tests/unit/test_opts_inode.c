/* test_opts_inode.c - mount option parsing (mount.cifs names, fstab noise,
 * refusals) and the FUSE node table (lookup counts, forget, rename). */
#include "fuse/inode.h"
#include "opts.h"
#include "proto/smb2.h"

#include <glib.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static struct sf_config *parse(const char *opts, GError **err)
{
	struct sf_config *c = sf_config_new();
	char *argv[] = {"//srv:1445/data", "/mnt", "-o", (char *)opts};
	if (!sf_config_parse(c, opts ? 4 : 2, argv, err)) {
		sf_config_free(c);
		return NULL;
	}
	return c;
}

static void test_unc(void)
{
	struct sf_config *c = parse(NULL, NULL);
	g_assert_cmpstr(c->host, ==, "srv");
	g_assert_cmpuint(c->port, ==, 1445);
	g_assert_cmpstr(c->share, ==, "data");
	g_assert_cmpstr(c->mountpoint, ==, "/mnt");
	sf_config_free(c);
	c = sf_config_new();
	GError *err = NULL;
	g_assert_true(sf_config_parse_unc(c, "\\\\[::1]:4455\\sh", &err));
	g_assert_cmpstr(c->host, ==, "::1");
	g_assert_cmpuint(c->port, ==, 4455);
	g_assert_cmpstr(c->share, ==, "sh");
	g_assert_false(sf_config_parse_unc(c, "//hostonly", &err));
	g_clear_error(&err);
	g_assert_false(sf_config_parse_unc(c, "srv/share", &err));
	g_clear_error(&err);
	sf_config_free(c);
}

static void test_options(void)
{
	GError *err = NULL;
	struct sf_config *c =
	        parse("username=DOM\\bob,vers=3.0,seal,nosign,uid=1000,gid=100,file_mode=0600,"
	              "dir_mode=0700,ro,cache=none,actimeo=5,rsize=65536,wsize=131072,"
	              "mapposix,noserverino,allow_other,default_permissions,soft,nobrl,port=4445,"
	              "_netdev,nofail,auto,noauto,user,users,defaults,x-systemd.automount,"
	              "x-systemd.mount-timeout=30,comment=systemd.automount",
	              &err);
	g_assert_no_error(err);
	g_assert_cmpstr(c->creds->user, ==, "bob");
	g_assert_cmpstr(c->creds->domain, ==, "DOM");
	g_assert_cmphex(c->min_dialect, ==, SMB2_DIALECT_0300);
	g_assert_cmphex(c->max_dialect, ==, SMB2_DIALECT_0300);
	g_assert_true(c->seal && c->nosign && c->ro && c->mapposix && !c->serverino);
	g_assert_true(c->allow_other && c->default_permissions && c->nobrl);
	g_assert_cmpuint(c->uid, ==, 1000);
	g_assert_cmpuint(c->gid, ==, 100);
	g_assert_cmpuint(c->file_mode, ==, 0600);
	g_assert_cmpuint(c->dir_mode, ==, 0700);
	g_assert_cmpint(c->cache, ==, SF_CACHE_NONE);
	g_assert_cmpfloat(c->acregmax, ==, 5.0);
	g_assert_cmpuint(c->rsize, ==, 65536);
	g_assert_cmpuint(c->port, ==, 4445);
	sf_config_free(c);
	c = parse("vers=3", &err);
	g_assert_cmphex(c->min_dialect, ==, SMB2_DIALECT_0300);
	g_assert_cmphex(c->max_dialect, ==, SMB2_DIALECT_0311);
	sf_config_free(c);
	c = parse("guest", &err);
	g_assert_cmpint(c->auth, ==, SF_AUTH_GUEST);
	sf_config_free(c);
	c = parse("sec=none", &err);
	g_assert_cmpint(c->auth, ==, SF_AUTH_ANON);
	sf_config_free(c);
}

static void refused(const char *opts, const char *needle)
{
	GError *err = NULL;
	g_assert_null(parse(opts, &err));
	g_assert_nonnull(err);
	g_assert_nonnull(strstr(err->message, needle));
	g_error_free(err);
}

static void test_refusals(void)
{
	refused("password=secret", "refusing a password");
	refused("pass=secret", "refusing a password");
	refused("frobnicate", "unknown option 'frobnicate'");
	refused("vers=1.0", "unknown SMB dialect");
	refused("sec=lanman", "unsupported sec=lanman");
	refused("file_mode=999", "bad file_mode");
	refused("port=70000", "bad port");
	refused("cache=sometimes", "cache=");
	refused("uid=-1", "bad uid");
	char path[] = "/tmp/sf-opt-cred-XXXXXX";
	int fd = mkstemp(path);
	g_assert_cmpint(write(fd, "username=u\npassword=p\n", 22), ==, 22);
	close(fd);
	chmod(path, 0644);
	char *o = g_strdup_printf("credentials=%s", path);
	refused(o, "group or others");
	chmod(path, 0600);
	GError *err = NULL;
	struct sf_config *c = parse(o, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(c->creds->user, ==, "u");
	g_assert_cmpstr(c->creds->password, ==, "p");
	sf_config_free(c);
	g_free(o);
	unlink(path);
	/* Missing mount point and a bad flag. */
	c = sf_config_new();
	char *argv1[] = {"//s/x"};
	g_assert_false(sf_config_parse(c, 1, argv1, &err));
	g_clear_error(&err);
	char *argv2[] = {"//s/x", "/m", "-q"};
	g_assert_false(sf_config_parse(c, 3, argv2, &err));
	g_clear_error(&err);
	sf_config_free(c);
}

static void test_inode_table(void)
{
	struct sf_itable *t = sf_itable_new();
	g_assert_cmpstr(sf_itable_path(t, 1), ==, "");
	char *p = sf_itable_child(t, 1, "a");
	g_assert_cmpstr(p, ==, "a");
	uint64_t a = sf_itable_lookup(t, p);
	g_assert_cmpuint(a, >, 1);
	g_assert_cmpuint(sf_itable_lookup(t, "a"), ==, a); /* same node, 2 lookups */
	char *q = sf_itable_child(t, a, "b");
	g_assert_cmpstr(q, ==, "a/b");
	uint64_t b = sf_itable_lookup(t, q);
	uint64_t ab2 = sf_itable_lookup(t, "ab"); /* a prefix that is not a parent */
	sf_itable_rename(t, "a", "z");
	g_assert_cmpstr(sf_itable_path(t, a), ==, "z");
	g_assert_cmpstr(sf_itable_path(t, b), ==, "z/b");
	g_assert_cmpstr(sf_itable_path(t, ab2), ==, "ab");
	/* Renaming over an existing node detaches it. */
	uint64_t y = sf_itable_lookup(t, "y");
	sf_itable_rename(t, "z/b", "y");
	g_assert_null(sf_itable_path(t, y));
	g_assert_cmpstr(sf_itable_path(t, b), ==, "y");
	/* Forget: the node goes only when every lookup is given back. */
	sf_itable_forget(t, a, 1);
	g_assert_cmpstr(sf_itable_path(t, a), ==, "z");
	sf_itable_forget(t, a, 1);
	g_assert_null(sf_itable_path(t, a));
	sf_itable_forget(t, 1, 100); /* the root stays */
	g_assert_cmpstr(sf_itable_path(t, 1), ==, "");
	sf_itable_unlink(t, "y");
	g_assert_null(sf_itable_path(t, b));
	sf_itable_forget(t, b, 1);
	sf_itable_forget(t, y, 1);
	sf_itable_forget(t, ab2, 1);
	g_assert_cmpuint(sf_itable_size(t), ==, 1);
	g_assert_null(sf_itable_child(t, 999, "x"));
	g_free(p);
	g_free(q);
	sf_itable_free(t);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/opts/unc", test_unc);
	g_test_add_func("/opts/options", test_options);
	g_test_add_func("/opts/refusals", test_refusals);
	g_test_add_func("/inode/table", test_inode_table);
	return g_test_run();
}
