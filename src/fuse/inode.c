/* inode.c - node id table: nodes, their names, lookup counts. */
#include "fuse/inode.h"

#include <string.h>

#define ROOT_ID 1
/* Deeper than any path SMB can name (32767 units): a loop, never expected. */
#define MAX_DEPTH 32768

struct node;

/* A directory entry: node is called name inside parent. */
struct name {
	struct node *parent;
	char *name;
	struct node *node;
	struct name *next; /* the node's next name */
};

struct node {
	uint64_t id;
	uint64_t file_id; /* the server's; 0 when unknown or noserverino */
	uint64_t nlookup;
	struct name *names; /* the first one makes the path: the last confirmed */
	unsigned children;  /* names inside this node (they need its path) */
	bool dir, link;
	bool special; /* FIFO, socket or device */
	char *path;   /* cached; good while path_gen is the table's gen */
	uint64_t path_gen;
};

struct sf_itable {
	GHashTable *nodes; /* id -> node */
	GHashTable *names; /* (parent, name) -> struct name */
	GHashTable *files; /* file id -> node (not directories) */
	uint64_t next_id;
	/* Moves when a path may have changed: cached paths older than it
	 * are made again. */
	uint64_t gen;
	bool serverino;
};

static guint name_hash(gconstpointer p)
{
	const struct name *e = p;
	return g_str_hash(e->name) ^ (guint)((e->parent->id * 0x9e3779b97f4a7c15ull) >> 32);
}

static gboolean name_equal(gconstpointer a, gconstpointer b)
{
	const struct name *x = a, *y = b;
	return x->parent == y->parent && !strcmp(x->name, y->name);
}

static struct node *node_get(struct sf_itable *t, uint64_t id)
{
	return g_hash_table_lookup(t->nodes, &id);
}

static struct name *name_get(struct sf_itable *t, struct node *parent, const char *name)
{
	struct name key = {.parent = parent, .name = (char *)name};
	return g_hash_table_lookup(t->names, &key);
}

static struct node *node_new(struct sf_itable *t, uint64_t file_id, bool dir)
{
	struct node *n = g_new0(struct node, 1);
	n->id = t->next_id++;
	n->file_id = file_id;
	n->dir = dir;
	g_hash_table_insert(t->nodes, &n->id, n);
	if (file_id && !dir && !g_hash_table_contains(t->files, &file_id))
		g_hash_table_insert(t->files, &n->file_id, n);
	return n;
}

static void node_free(struct sf_itable *t, struct node *n)
{
	if (n->file_id && g_hash_table_lookup(t->files, &n->file_id) == n)
		g_hash_table_remove(t->files, &n->file_id);
	g_hash_table_remove(t->nodes, &n->id);
	g_free(n->path);
	g_free(n);
}

/* The new name comes first: it is the one just confirmed. */
static void name_add(struct sf_itable *t, struct node *n, struct node *parent, const char *name)
{
	struct name *e = g_new(struct name, 1);
	e->parent = parent;
	e->name = g_strdup(name);
	e->node = n;
	e->next = n->names;
	if (n->names)
		t->gen++; /* the node's path changes */
	n->names = e;
	parent->children++;
	g_hash_table_add(t->names, e);
}

static void name_to_front(struct sf_itable *t, struct name *e)
{
	struct name **pp = &e->node->names;
	if (*pp == e)
		return;
	while (*pp != e)
		pp = &(*pp)->next;
	*pp = e->next;
	e->next = e->node->names;
	e->node->names = e;
	t->gen++;
}

static void name_remove(struct sf_itable *t, struct name *e)
{
	g_hash_table_remove(t->names, e);
	struct name **pp = &e->node->names;
	while (*pp != e)
		pp = &(*pp)->next;
	*pp = e->next;
	e->parent->children--;
	t->gen++;
	g_free(e->name);
	g_free(e);
}

/* Frees node id if nothing holds it any more, then its parents in turn.
 * By id: a parent may be reached twice (two names in one directory). */
static void release(struct sf_itable *t, uint64_t id)
{
	GArray *todo = NULL;
	for (;;) {
		struct node *n = node_get(t, id);
		if (n && n->id != ROOT_ID && !n->nlookup && !n->children) {
			while (n->names) {
				uint64_t parent = n->names->parent->id;
				name_remove(t, n->names);
				if (!todo)
					todo = g_array_new(FALSE, FALSE, sizeof(uint64_t));
				g_array_append_val(todo, parent);
			}
			node_free(t, n);
		}
		if (!todo || !todo->len)
			break;
		id = g_array_index(todo, uint64_t, todo->len - 1);
		g_array_set_size(todo, todo->len - 1);
	}
	if (todo)
		g_array_free(todo, TRUE);
}

/* Walks up to the root, or to an ancestor whose path is cached. */
static const char *node_path(struct sf_itable *t, struct node *n)
{
	if (n->id == ROOT_ID)
		return "";
	if (n->path && n->path_gen == t->gen)
		return n->path;
	g_clear_pointer(&n->path, g_free);
	const char *prefix = "";
	size_t len = 0;
	unsigned depth = 0;
	for (struct node *m = n; m->id != ROOT_ID; m = m->names->parent) {
		if (m != n && m->path && m->path_gen == t->gen) {
			prefix = m->path;
			break;
		}
		if (!m->names || ++depth > MAX_DEPTH)
			return NULL;
		len += strlen(m->names->name) + 1; /* and its '/' */
	}
	/* prefix, then "/name" for each name from the top down */
	size_t plen = strlen(prefix);
	char *buf = g_malloc(plen + len + 1);
	memcpy(buf, prefix, plen);
	buf[plen + len] = '\0';
	size_t at = plen + len;
	struct node *m = n;
	for (unsigned i = 0; i < depth; i++, m = m->names->parent) {
		size_t l = strlen(m->names->name);
		at -= l;
		memcpy(buf + at, m->names->name, l);
		buf[--at] = '/';
	}
	if (!plen) /* from the root: no leading '/' */
		memmove(buf, buf + 1, len);
	n->path = buf;
	n->path_gen = t->gen;
	return buf;
}

/* Whether a is d or one of its ancestors. */
static bool is_above(struct node *a, struct node *d)
{
	for (unsigned depth = 0; d && depth <= MAX_DEPTH; depth++) {
		if (d == a)
			return true;
		d = d->names ? d->names->parent : NULL;
	}
	return false;
}

struct sf_itable *sf_itable_new(bool serverino)
{
	struct sf_itable *t = g_new0(struct sf_itable, 1);
	t->nodes = g_hash_table_new(g_int64_hash, g_int64_equal);
	t->names = g_hash_table_new(name_hash, name_equal);
	t->files = g_hash_table_new(g_int64_hash, g_int64_equal);
	t->serverino = serverino;
	t->next_id = ROOT_ID;
	struct node *root = node_new(t, 0, true);
	root->nlookup = 1; /* never forgotten */
	return t;
}

void sf_itable_free(struct sf_itable *t)
{
	if (!t)
		return;
	GHashTableIter it;
	gpointer v;
	g_hash_table_iter_init(&it, t->nodes);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct node *n = v;
		while (n->names) {
			struct name *e = n->names;
			n->names = e->next;
			g_free(e->name);
			g_free(e);
		}
		g_free(n->path);
		g_free(n);
	}
	g_hash_table_destroy(t->names);
	g_hash_table_destroy(t->files);
	g_hash_table_destroy(t->nodes);
	g_free(t);
}

const char *sf_itable_path(struct sf_itable *t, uint64_t id)
{
	struct node *n = node_get(t, id);
	return n ? node_path(t, n) : NULL;
}

char *sf_itable_child(struct sf_itable *t, uint64_t parent, const char *name)
{
	const char *p = sf_itable_path(t, parent);
	if (!p)
		return NULL;
	return *p ? g_strconcat(p, "/", name, NULL) : g_strdup(name);
}

uint64_t sf_itable_find(struct sf_itable *t, uint64_t parent, const char *name)
{
	struct node *p = node_get(t, parent);
	struct name *e = p ? name_get(t, p, name) : NULL;
	return e ? e->node->id : 0;
}

void sf_itable_set_file_id(struct sf_itable *t, uint64_t nodeid, uint64_t file_id)
{
	struct node *n = node_get(t, nodeid);
	if (!n || !t->serverino || !file_id || n->file_id || n->dir)
		return;
	n->file_id = file_id;
	if (!g_hash_table_contains(t->files, &file_id))
		g_hash_table_insert(t->files, &n->file_id, n);
}

/* Whether name e, reported now with file_id, names another file than its
 * node (replaced on the server, by another client). */
static bool name_moved_on(struct sf_itable *t, struct name *e, uint64_t file_id, bool dir)
{
	if (!file_id || e->node->file_id == file_id)
		return false;
	if (e->node->file_id)
		return true;
	/* Its node had no file id: it is another file's if one has that id. */
	struct node *known = dir ? NULL : g_hash_table_lookup(t->files, &file_id);
	return known && known != e->node;
}

/* Whether n already has name in parent but in other case: the same name on
 * a server that ignores case, not a hard link. Joined, the two would be
 * one inode to the kernel, which then drops a rename from one to the
 * other (mv readme README) as a rename onto itself. */
static bool case_alias(struct node *n, struct node *parent, const char *name)
{
	bool alias = false;
	char *folded = NULL;
	for (struct name *e = n->names; e && !alias; e = e->next) {
		if (e->parent != parent)
			continue;
		if (!folded)
			folded = g_utf8_casefold(name, -1);
		char *other = g_utf8_casefold(e->name, -1);
		alias = !strcmp(folded, other);
		g_free(other);
	}
	g_free(folded);
	return alias;
}

uint64_t sf_itable_lookup(struct sf_itable *t, uint64_t parent, const char *name,
                          const struct stat *st)
{
	struct node *p = node_get(t, parent);
	if (!p)
		return 0;
	uint64_t file_id = st && t->serverino ? (uint64_t)st->st_ino : 0;
	bool dir = st && S_ISDIR(st->st_mode);
	struct name *e = name_get(t, p, name);
	uint64_t left = 0; /* a node that lost this name */
	if (e && name_moved_on(t, e, file_id, dir)) {
		left = e->node->id;
		name_remove(t, e);
		e = NULL;
	}
	struct node *n;
	if (e) {
		n = e->node;
		name_to_front(t, e);
		if (file_id && !n->file_id) {
			n->file_id = file_id;
			if (!n->dir && !g_hash_table_contains(t->files, &file_id))
				g_hash_table_insert(t->files, &n->file_id, n);
		}
	} else {
		n = file_id && !dir ? g_hash_table_lookup(t->files, &file_id) : NULL;
		/* Another kind of file: the id was used again after a delete. */
		if (n && st && n->link != S_ISLNK(st->st_mode))
			n = NULL;
		if (!n || case_alias(n, p, name))
			n = node_new(t, file_id, dir);
		name_add(t, n, p, name);
	}
	n->nlookup++;
	if (st) {
		n->link = S_ISLNK(st->st_mode);
		n->special = S_ISFIFO(st->st_mode) || S_ISSOCK(st->st_mode) ||
		             S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode);
	}
	if (left)
		release(t, left);
	return n->id;
}

void sf_itable_forget(struct sf_itable *t, uint64_t id, uint64_t count)
{
	struct node *n = node_get(t, id);
	if (!n || id == ROOT_ID)
		return;
	n->nlookup = count >= n->nlookup ? 0 : n->nlookup - count;
	release(t, id);
}

void sf_itable_unlink(struct sf_itable *t, uint64_t parent, const char *name)
{
	struct node *p = node_get(t, parent);
	struct name *e = p ? name_get(t, p, name) : NULL;
	if (!e)
		return;
	uint64_t id = e->node->id;
	name_remove(t, e);
	release(t, id);
	release(t, parent);
}

void sf_itable_rename(struct sf_itable *t, uint64_t parent, const char *name, uint64_t newparent,
                      const char *newname)
{
	struct node *p = node_get(t, parent), *q = node_get(t, newparent);
	struct name *e = p ? name_get(t, p, name) : NULL;
	struct name *v = q ? name_get(t, q, newname) : NULL;
	if (e && e == v)
		return;
	uint64_t replaced = 0, dropped = 0;
	if (v) {
		replaced = v->node->id;
		name_remove(t, v);
	}
	if (e && (!q || is_above(e->node, q))) {
		/* Nowhere known to go (or a loop the kernel never asks for):
		 * the name is only forgotten. */
		dropped = e->node->id;
		name_remove(t, e);
	} else if (e) {
		g_hash_table_remove(t->names, e);
		e->parent->children--;
		e->parent = q;
		q->children++;
		g_free(e->name);
		e->name = g_strdup(newname);
		g_hash_table_add(t->names, e);
		t->gen++;
	}
	release(t, replaced);
	release(t, dropped);
	release(t, parent);
	release(t, newparent);
}

unsigned sf_itable_names(struct sf_itable *t, uint64_t id)
{
	struct node *n = node_get(t, id);
	unsigned count = 0;
	for (struct name *e = n ? n->names : NULL; e; e = e->next)
		count++;
	return count;
}

bool sf_itable_is_link(struct sf_itable *t, uint64_t id)
{
	struct node *n = node_get(t, id);
	return n && n->link;
}

bool sf_itable_is_special(struct sf_itable *t, uint64_t id)
{
	struct node *n = node_get(t, id);
	return n && n->special;
}

size_t sf_itable_size(struct sf_itable *t)
{
	return g_hash_table_size(t->nodes);
}
