/* inode.c - node id table. */
#include "fuse/inode.h"

#include <string.h>

struct node {
	uint64_t id;
	char *path; /* NULL once unlinked or replaced */
	uint64_t nlookup;
	bool link; /* last seen as a symbolic link */
};

struct sf_itable {
	GHashTable *by_id;   /* uint64 -> node */
	GHashTable *by_path; /* path -> node (only nodes with a path) */
	uint64_t next_id;
};

static void node_free(gpointer p)
{
	struct node *n = p;
	g_free(n->path);
	g_free(n);
}

struct sf_itable *sf_itable_new(void)
{
	struct sf_itable *t = g_new0(struct sf_itable, 1);
	t->by_id = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, node_free);
	t->by_path = g_hash_table_new(g_str_hash, g_str_equal);
	struct node *root = g_new0(struct node, 1);
	root->id = 1;
	root->path = g_strdup("");
	root->nlookup = 1; /* never forgotten */
	g_hash_table_insert(t->by_id, &root->id, root);
	g_hash_table_insert(t->by_path, root->path, root);
	t->next_id = 2;
	return t;
}

void sf_itable_free(struct sf_itable *t)
{
	if (!t)
		return;
	g_hash_table_destroy(t->by_path);
	g_hash_table_destroy(t->by_id);
	g_free(t);
}

const char *sf_itable_path(struct sf_itable *t, uint64_t id)
{
	struct node *n = g_hash_table_lookup(t->by_id, &id);
	return n ? n->path : NULL;
}

char *sf_itable_child(struct sf_itable *t, uint64_t parent, const char *name)
{
	const char *p = sf_itable_path(t, parent);
	if (!p)
		return NULL;
	return *p ? g_strconcat(p, "/", name, NULL) : g_strdup(name);
}

uint64_t sf_itable_find(struct sf_itable *t, const char *path)
{
	struct node *n = g_hash_table_lookup(t->by_path, path);
	return n ? n->id : 0;
}

uint64_t sf_itable_lookup(struct sf_itable *t, const char *path)
{
	struct node *n = g_hash_table_lookup(t->by_path, path);
	if (!n) {
		n = g_new0(struct node, 1);
		n->id = t->next_id++;
		n->path = g_strdup(path);
		g_hash_table_insert(t->by_id, &n->id, n);
		g_hash_table_insert(t->by_path, n->path, n);
	}
	n->nlookup++;
	return n->id;
}

void sf_itable_forget(struct sf_itable *t, uint64_t id, uint64_t count)
{
	struct node *n = g_hash_table_lookup(t->by_id, &id);
	if (!n || id == 1)
		return;
	n->nlookup = count >= n->nlookup ? 0 : n->nlookup - count;
	if (n->nlookup)
		return;
	if (n->path)
		g_hash_table_remove(t->by_path, n->path);
	g_hash_table_remove(t->by_id, &id);
}

static void detach(struct sf_itable *t, const char *path)
{
	struct node *n = g_hash_table_lookup(t->by_path, path);
	if (!n || n->id == 1)
		return;
	g_hash_table_remove(t->by_path, n->path);
	g_free(n->path);
	n->path = NULL;
}

void sf_itable_unlink(struct sf_itable *t, const char *path)
{
	detach(t, path);
}

void sf_itable_rename(struct sf_itable *t, const char *from, const char *to)
{
	detach(t, to);
	size_t flen = strlen(from);
	GPtrArray *moved = g_ptr_array_new();
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, t->by_path);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		struct node *n = v;
		if (!strcmp(n->path, from) ||
		    (!strncmp(n->path, from, flen) && n->path[flen] == '/'))
			g_ptr_array_add(moved, n);
	}
	for (guint i = 0; i < moved->len; i++)
		g_hash_table_remove(t->by_path, ((struct node *)moved->pdata[i])->path);
	for (guint i = 0; i < moved->len; i++) {
		struct node *n = moved->pdata[i];
		char *np = g_strconcat(to, n->path + flen, NULL);
		g_free(n->path);
		n->path = np;
		detach(t, np);
		g_hash_table_insert(t->by_path, n->path, n);
	}
	g_ptr_array_free(moved, TRUE);
}

void sf_itable_set_link(struct sf_itable *t, uint64_t id, bool link)
{
	struct node *n = g_hash_table_lookup(t->by_id, &id);
	if (n)
		n->link = link;
}

bool sf_itable_is_link(struct sf_itable *t, const char *path)
{
	struct node *n = g_hash_table_lookup(t->by_path, path);
	return n && n->link;
}

size_t sf_itable_size(struct sf_itable *t)
{
	return g_hash_table_size(t->by_id);
}
