/* inode.h - FUSE node ids <-> share paths, with lookup counts.
 *
 * Node 1 is the share root. A lookup of a path hands out its node id and
 * counts one more reference; FORGET gives references back and the node
 * goes when none remain (libfuse passthrough_ll discipline). Renames move
 * a node and everything below it. */
#ifndef SF_FUSE_INODE_H
#define SF_FUSE_INODE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

struct sf_itable;

struct sf_itable *sf_itable_new(void);
void sf_itable_free(struct sf_itable *t);
/* Path of a node ("" for the root), or NULL for an unknown node id. */
const char *sf_itable_path(struct sf_itable *t, uint64_t nodeid);
/* Path of name inside the directory node parent (g_free), or NULL. */
char *sf_itable_child(struct sf_itable *t, uint64_t parent, const char *name);
/* The node id of path, or 0 (no lookup is counted). */
uint64_t sf_itable_find(struct sf_itable *t, const char *path);
/* Count one lookup of path; returns its node id (new or existing). */
uint64_t sf_itable_lookup(struct sf_itable *t, const char *path);
void sf_itable_forget(struct sf_itable *t, uint64_t nodeid, uint64_t n);
/* from and everything below it now live at to (an existing node at to
 * is replaced: it keeps its id but loses its path). */
void sf_itable_rename(struct sf_itable *t, const char *from, const char *to);
/* A removed path: its node keeps its id until forgotten, without a path. */
void sf_itable_unlink(struct sf_itable *t, const char *path);
/* Whether a node is a symbolic link, as last reported to the kernel
 * (renaming a link needs care on some servers). */
void sf_itable_set_link(struct sf_itable *t, uint64_t nodeid, bool link);
bool sf_itable_is_link(struct sf_itable *t, const char *path);
size_t sf_itable_size(struct sf_itable *t);

#endif
