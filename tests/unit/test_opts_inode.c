/* test_opts_inode.c - mount option parsing (mount.cifs names, fstab noise,
 * refusals) and the FUSE node table (lookup counts, forget, rename, hard
 * links). */
#include "fuse/inode.h"
#include "opts.h"
#include "proto/smb2.h"

#include <glib.h>
#include <string.h>
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
	/* The server root: no share. */
	g_assert_true(sf_config_parse_unc(c, "//hostonly", &err));
	g_assert_cmpstr(c->host, ==, "hostonly");
	g_assert_null(c->share);
	g_assert_true(sf_config_parse_unc(c, "//hostonly/", &err));
	g_assert_null(c->share);
	g_assert_false(sf_config_parse_unc(c, "///share", &err));
	g_clear_error(&err);
	sf_config_free(c);
	/* A server root has no sub-directory to mount. */
	c = sf_config_new();
	char *root_argv[] = {"//srv", "/mnt", "-o", "prefixpath=a"};
	g_assert_false(sf_config_parse(c, 4, root_argv, &err));
	g_assert_nonnull(strstr(err->message, "prefixpath= needs a share"));
	g_clear_error(&err);
	sf_config_free(c);
	c = sf_config_new();
	g_assert_true(sf_config_parse(c, 2, root_argv, &err));
	g_assert_null(c->share);
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

static struct stat file_st(uint64_t file_id)
{
	struct stat st = {0};
	st.st_mode = S_IFREG | 0644;
	st.st_ino = file_id;
	return st;
}

static struct stat dir_st(uint64_t file_id)
{
	struct stat st = {0};
	st.st_mode = S_IFDIR | 0755;
	st.st_ino = file_id;
	return st;
}

static void test_inode_table(void)
{
	struct sf_itable *t = sf_itable_new(true);
	struct stat d = dir_st(0), f = file_st(0); /* no file ids: keyed by name */
	g_assert_cmpstr(sf_itable_path(t, 1), ==, "");
	char *p = sf_itable_child(t, 1, "a");
	g_assert_cmpstr(p, ==, "a");
	uint64_t a = sf_itable_lookup(t, 1, "a", &d);
	g_assert_cmpuint(a, >, 1);
	g_assert_cmpuint(sf_itable_lookup(t, 1, "a", &d), ==, a); /* same node, 2 lookups */
	g_assert_cmpuint(sf_itable_find(t, 1, "a"), ==, a);
	char *q = sf_itable_child(t, a, "b");
	g_assert_cmpstr(q, ==, "a/b");
	uint64_t b = sf_itable_lookup(t, a, "b", &f);
	uint64_t ab2 = sf_itable_lookup(t, 1, "ab", &f); /* a prefix that is not a parent */
	sf_itable_rename(t, 1, "a", 1, "z");
	g_assert_cmpstr(sf_itable_path(t, a), ==, "z");
	g_assert_cmpstr(sf_itable_path(t, b), ==, "z/b");
	g_assert_cmpstr(sf_itable_path(t, ab2), ==, "ab");
	g_assert_cmpuint(sf_itable_find(t, 1, "a"), ==, 0);
	/* Renaming over an existing node detaches it. */
	uint64_t y = sf_itable_lookup(t, 1, "y", &f);
	sf_itable_rename(t, a, "b", 1, "y");
	g_assert_null(sf_itable_path(t, y));
	g_assert_cmpstr(sf_itable_path(t, b), ==, "y");
	g_assert_cmpuint(sf_itable_find(t, 1, "y"), ==, b);
	/* Forget: the node goes only when every lookup is given back. */
	sf_itable_forget(t, a, 1);
	g_assert_cmpstr(sf_itable_path(t, a), ==, "z");
	sf_itable_forget(t, a, 1);
	g_assert_null(sf_itable_path(t, a));
	sf_itable_forget(t, 1, 100); /* the root stays */
	g_assert_cmpstr(sf_itable_path(t, 1), ==, "");
	sf_itable_unlink(t, 1, "y");
	g_assert_null(sf_itable_path(t, b));
	sf_itable_forget(t, b, 1);
	sf_itable_forget(t, y, 1);
	sf_itable_forget(t, ab2, 1);
	g_assert_cmpuint(sf_itable_size(t), ==, 1);
	g_assert_null(sf_itable_child(t, 999, "x"));
	g_assert_cmpuint(sf_itable_lookup(t, 999, "x", &f), ==, 0);
	g_free(p);
	g_free(q);
	sf_itable_free(t);
}

/* Two names with one file id are one node; unlinking one keeps the other. */
static void test_inode_hard_links(void)
{
	struct sf_itable *t = sf_itable_new(true);
	struct stat ds = dir_st(50), fs = file_st(100);
	uint64_t d = sf_itable_lookup(t, 1, "d", &ds);
	uint64_t a = sf_itable_lookup(t, 1, "a", &fs);
	uint64_t b = sf_itable_lookup(t, d, "b", &fs); /* ln a d/b */
	g_assert_cmpuint(b, ==, a);
	g_assert_cmpuint(sf_itable_names(t, a), ==, 2);
	g_assert_cmpuint(sf_itable_size(t), ==, 3);
	g_assert_cmpstr(sf_itable_path(t, a), ==, "d/b"); /* the name last looked up */
	g_assert_cmpuint(sf_itable_lookup(t, 1, "a", &fs), ==, a);
	g_assert_cmpstr(sf_itable_path(t, a), ==, "a");
	/* Unlink with a second link remaining. */
	sf_itable_unlink(t, 1, "a");
	g_assert_cmpuint(sf_itable_find(t, 1, "a"), ==, 0);
	g_assert_cmpuint(sf_itable_names(t, a), ==, 1);
	g_assert_cmpstr(sf_itable_path(t, a), ==, "d/b");
	/* Renaming the directory moves the remaining name. */
	sf_itable_rename(t, 1, "d", 1, "e");
	g_assert_cmpstr(sf_itable_path(t, a), ==, "e/b");
	/* Rename over a name of the same file: one name is left. */
	uint64_t c = sf_itable_lookup(t, 1, "c", &fs);
	g_assert_cmpuint(c, ==, a);
	sf_itable_rename(t, 1, "c", d, "b");
	g_assert_cmpuint(sf_itable_names(t, a), ==, 1);
	g_assert_cmpstr(sf_itable_path(t, a), ==, "e/b");
	/* The last name goes: the node keeps its id until forgotten. */
	sf_itable_unlink(t, d, "b");
	g_assert_null(sf_itable_path(t, a));
	g_assert_cmpuint(sf_itable_names(t, a), ==, 0);
	/* A name found with its file id again (another link, unknown so far,
	 * or a lookup that raced the unlink) gets the node back. */
	g_assert_cmpuint(sf_itable_lookup(t, 1, "f", &fs), ==, a);
	g_assert_cmpstr(sf_itable_path(t, a), ==, "f");
	sf_itable_forget(t, a, 4); /* 4 lookups: a, d/b, a, c; f keeps one */
	g_assert_cmpstr(sf_itable_path(t, a), ==, "f");
	sf_itable_forget(t, a, 1);
	g_assert_null(sf_itable_path(t, a));
	g_assert_cmpuint(sf_itable_find(t, 1, "f"), ==, 0);
	/* Directories are never joined, whatever their file ids say (a
	 * server following a symbolic link shows one directory twice). */
	uint64_t d2 = sf_itable_lookup(t, 1, "d2", &ds);
	g_assert_cmpuint(d2, !=, d);
	/* Nor is the same name in other case, on a server that ignores case:
	 * a rename from one to the other must reach the server. */
	struct stat gs = file_st(600);
	uint64_t g = sf_itable_lookup(t, d, "Größe", &gs);
	uint64_t g2 = sf_itable_lookup(t, d, "GRÖSSE", &gs);
	g_assert_cmpuint(g2, !=, g);
	g_assert_cmpuint(sf_itable_lookup(t, 1, "größe", &gs), ==, g); /* elsewhere: a link */
	sf_itable_rename(t, d, "Größe", d, "GRÖSSE");
	g_assert_cmpuint(sf_itable_find(t, d, "GRÖSSE"), ==, g);
	g_assert_null(sf_itable_path(t, g2));
	sf_itable_free(t);
}

/* Renaming a directory moves one name: every path below follows. */
static void test_inode_rename_tree(void)
{
	struct sf_itable *t = sf_itable_new(true);
	uint64_t fid = 1000;
	struct stat st = dir_st(++fid);
	uint64_t top = sf_itable_lookup(t, 1, "top", &st);
	uint64_t leaves[100];
	for (int i = 0; i < 100; i++) {
		char name[16];
		snprintf(name, sizeof name, "d%d", i);
		st = dir_st(++fid);
		uint64_t dir = sf_itable_lookup(t, top, name, &st);
		for (int j = 0; j < 100; j++) {
			snprintf(name, sizeof name, "f%d", j);
			st = file_st(++fid);
			uint64_t leaf = sf_itable_lookup(t, dir, name, &st);
			if (j == 99)
				leaves[i] = leaf;
		}
	}
	g_assert_cmpuint(sf_itable_size(t), ==, 1 + 1 + 100 + 100 * 100);
	g_assert_cmpstr(sf_itable_path(t, leaves[7]), ==, "top/d7/f99"); /* cached now */
	uint64_t other = sf_itable_lookup(t, 1, "other", &st);
	sf_itable_rename(t, 1, "top", other, "moved");
	g_assert_cmpstr(sf_itable_path(t, leaves[7]), ==, "other/moved/d7/f99");
	g_assert_cmpstr(sf_itable_path(t, leaves[42]), ==, "other/moved/d42/f99");
	char *p = sf_itable_child(t, top, "x");
	g_assert_cmpstr(p, ==, "other/moved/x");
	g_free(p);
	g_assert_cmpuint(sf_itable_find(t, other, "moved"), ==, top);
	g_assert_cmpuint(sf_itable_find(t, 1, "top"), ==, 0);
	/* A directory moved into itself would be a loop: the kernel never
	 * asks, and the table only forgets the name. */
	uint64_t d3 = sf_itable_find(t, top, "d3");
	sf_itable_rename(t, other, "moved", d3, "loop");
	g_assert_null(sf_itable_path(t, leaves[3]));
	sf_itable_free(t);
}

/* A node lives while the kernel counts it or a name inside it needs its
 * path; then it goes, and so do parents kept only for it. */
static void test_inode_forget(void)
{
	struct sf_itable *t = sf_itable_new(true);
	struct stat ds = dir_st(10), es = dir_st(11), fs = file_st(12);
	uint64_t d = sf_itable_lookup(t, 1, "d", &ds);
	uint64_t e = sf_itable_lookup(t, d, "e", &es);
	uint64_t f = sf_itable_lookup(t, e, "f", &fs);
	sf_itable_forget(t, d, 1);
	sf_itable_forget(t, e, 1);
	g_assert_cmpuint(sf_itable_size(t), ==, 4); /* d and e make f's path */
	g_assert_cmpstr(sf_itable_path(t, f), ==, "d/e/f");
	/* Looked up again, a kept directory is the same node. */
	g_assert_cmpuint(sf_itable_lookup(t, 1, "d", &ds), ==, d);
	sf_itable_forget(t, d, 1);
	sf_itable_forget(t, f, 5); /* more than counted: the count stops at 0 */
	g_assert_cmpuint(sf_itable_size(t), ==, 1);
	g_assert_null(sf_itable_path(t, d));
	g_assert_cmpuint(sf_itable_find(t, 1, "d"), ==, 0);
	sf_itable_forget(t, f, 1); /* unknown now: ignored */
	/* Unlinked, a node stays until forgotten; its parent stays with it. */
	d = sf_itable_lookup(t, 1, "d", &ds);
	f = sf_itable_lookup(t, d, "f", &fs);
	sf_itable_unlink(t, d, "f");
	g_assert_null(sf_itable_path(t, f));
	g_assert_cmpuint(sf_itable_size(t), ==, 3);
	sf_itable_forget(t, d, 1);
	g_assert_cmpuint(sf_itable_size(t), ==, 2);
	sf_itable_forget(t, f, 1);
	g_assert_cmpuint(sf_itable_size(t), ==, 1);
	/* A file with two names in one directory frees that directory once. */
	d = sf_itable_lookup(t, 1, "d", &ds);
	f = sf_itable_lookup(t, d, "f1", &fs);
	g_assert_cmpuint(sf_itable_lookup(t, d, "f2", &fs), ==, f);
	sf_itable_forget(t, d, 1);
	sf_itable_forget(t, f, 2);
	g_assert_cmpuint(sf_itable_size(t), ==, 1);
	sf_itable_free(t);
}

/* noserverino: nodes are found by name; equal file ids mean nothing. */
static void test_inode_noserverino(void)
{
	struct sf_itable *t = sf_itable_new(false);
	struct stat fs = file_st(100), other = file_st(200);
	uint64_t a = sf_itable_lookup(t, 1, "a", &fs);
	uint64_t b = sf_itable_lookup(t, 1, "b", &fs);
	g_assert_cmpuint(a, !=, b);
	g_assert_cmpuint(sf_itable_names(t, a), ==, 1);
	/* Another file id under the same name is still that name's node. */
	g_assert_cmpuint(sf_itable_lookup(t, 1, "a", &other), ==, a);
	sf_itable_free(t);
}

/* serverino: a name whose file id changed was replaced on the server (by
 * another client): it names another file now. */
static void test_inode_replaced(void)
{
	struct sf_itable *t = sf_itable_new(true);
	struct stat old = file_st(100), new = file_st(200), none = file_st(0);
	uint64_t a = sf_itable_lookup(t, 1, "a", &old);
	uint64_t a2 = sf_itable_lookup(t, 1, "a", &new);
	g_assert_cmpuint(a2, !=, a);
	g_assert_null(sf_itable_path(t, a));
	g_assert_cmpstr(sf_itable_path(t, a2), ==, "a");
	/* No file id reported: the name's node, which keeps its id. */
	g_assert_cmpuint(sf_itable_lookup(t, 1, "a", &none), ==, a2);
	/* A node made without a file id takes the first one reported. */
	uint64_t c = sf_itable_lookup(t, 1, "c", &none);
	struct stat cs = file_st(300);
	g_assert_cmpuint(sf_itable_lookup(t, 1, "c", &cs), ==, c);
	g_assert_cmpuint(sf_itable_lookup(t, 1, "c2", &cs), ==, c);
	/* Symbolic links are remembered as such. */
	struct stat ls = file_st(400);
	ls.st_mode = S_IFLNK | 0777;
	uint64_t l = sf_itable_lookup(t, 1, "l", &ls);
	g_assert_true(sf_itable_is_link(t, l));
	g_assert_false(sf_itable_is_link(t, c));
	/* A file id known for a link, reported for a regular file: the id
	 * was used again, it is not a hard link. */
	struct stat reused = file_st(400);
	uint64_t r = sf_itable_lookup(t, 1, "r", &reused);
	g_assert_cmpuint(r, !=, l);
	g_assert_false(sf_itable_is_link(t, r));
	sf_itable_free(t);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/opts/unc", test_unc);
	g_test_add_func("/opts/options", test_options);
	g_test_add_func("/opts/refusals", test_refusals);
	g_test_add_func("/inode/table", test_inode_table);
	g_test_add_func("/inode/hard_links", test_inode_hard_links);
	g_test_add_func("/inode/rename_tree", test_inode_rename_tree);
	g_test_add_func("/inode/forget", test_inode_forget);
	g_test_add_func("/inode/noserverino", test_inode_noserverino);
	g_test_add_func("/inode/replaced", test_inode_replaced);
	return g_test_run();
}
