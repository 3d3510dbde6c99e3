/* inode.h - FUSE node ids for the files of a share, as a tree of names.
 *
 * Node 1 is the share root. A node is one file as the kernel sees it; it
 * has names (directory entries: a parent node and a name in it). With
 * serverino, a lookup that reports a file id the table already knows
 * (a hard link) gets that node, which gains a name: the kernel then sees
 * one inode, whose link count and attributes are right at once. Without
 * a file id, or with noserverino, a node is found by its name only.
 * Directories are never joined by file id: they have one name at most;
 * nor is a name that differs only in case from one the node has in the
 * same directory (one name on a server that ignores case).
 *
 * A path is made by walking up the names, so renaming a directory moves
 * one name whatever lies below it.
 *
 * Lookup counts follow libfuse (passthrough_ll): each entry handed to the
 * kernel counts one, FORGET gives them back. A node lives while the kernel
 * counts it or a name inside it does (its path is needed); a node without
 * a name (unlinked, replaced) keeps its id until forgotten. */
#ifndef SF_FUSE_INODE_H
#define SF_FUSE_INODE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

struct sf_itable;

/* serverino: st_ino from the server is its file id and joins hard links. */
struct sf_itable *sf_itable_new(bool serverino);
void sf_itable_free(struct sf_itable *t);
/* Path of a node ("" for the root), or NULL for an unknown node id or one
 * without a name. Valid until the table next changes. */
const char *sf_itable_path(struct sf_itable *t, uint64_t nodeid);
/* Path of name inside the directory node parent (g_free), or NULL. */
char *sf_itable_child(struct sf_itable *t, uint64_t parent, const char *name);
/* The node named name in parent, or 0 (no lookup is counted). */
uint64_t sf_itable_find(struct sf_itable *t, uint64_t parent, const char *name);
/* Count one lookup of name in parent, whose attributes from the server are
 * st (its st_ino the file id, 0 for none); returns the node id, or 0 for
 * an unknown parent. A name the server now gives another file id names
 * another file: it leaves its old node. */
uint64_t sf_itable_lookup(struct sf_itable *t, uint64_t parent, const char *name,
                          const struct stat *st);
void sf_itable_forget(struct sf_itable *t, uint64_t nodeid, uint64_t n);
/* The server's file id of a node given out before it was known (a file
 * created without waiting): hard links made later join it. */
void sf_itable_set_file_id(struct sf_itable *t, uint64_t nodeid, uint64_t file_id);
/* The name moves (a node already named newname in newparent loses that
 * name); what lies below it follows. */
void sf_itable_rename(struct sf_itable *t, uint64_t parent, const char *name, uint64_t newparent,
                      const char *newname);
/* A removed name: its node keeps its id, and its other names. */
void sf_itable_unlink(struct sf_itable *t, uint64_t parent, const char *name);
/* How many names of a node the table knows. */
unsigned sf_itable_names(struct sf_itable *t, uint64_t nodeid);
/* Whether a node is a symbolic link, as last reported to the kernel
 * (renaming a link needs care on some servers). */
bool sf_itable_is_link(struct sf_itable *t, uint64_t nodeid);
/* A FIFO, socket or device (as last seen). */
bool sf_itable_is_special(struct sf_itable *t, uint64_t nodeid);
size_t sf_itable_size(struct sf_itable *t);

#endif
