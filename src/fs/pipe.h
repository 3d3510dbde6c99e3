/* pipe.h - named pipes on an IPC$ tree (MS-SMB2 3.2.4.20.1 for
 * FSCTL_PIPE_TRANSCEIVE; MS-FSCC 2.3.51 pipe semantics).
 *
 * A pipe is opened by name ("srvsvc"), then written, read and
 * transceived. Pipes opened for RPC are message-mode: a READ or
 * TRANSCEIVE answered with STATUS_BUFFER_OVERFLOW returned only the start
 * of a message, and the rest is read before the message is handed over,
 * so callers see whole messages as far as the server marks them. (Samba
 * 4.17 answers the READs that follow an overflowed TRANSCEIVE with
 * STATUS_SUCCESS at every piece, so rpc.c also cuts what it reads into
 * fragments by their frag_length instead of trusting message ends.)
 *
 * Statuses are NTSTATUS (the fs layer maps them to errno where a FUSE
 * request waits). Every callback runs exactly once, never inside the call
 * that started it. The pipe holds a reference to its tree; sf_pipe_close
 * sends CLOSE and frees the pipe (callers must not have calls in flight). */
#ifndef SF_FS_PIPE_H
#define SF_FS_PIPE_H

#include "net/tree.h"

typedef struct sf_pipe sf_pipe;

typedef void (*sf_pipe_open_fn)(void *user, uint32_t status, sf_pipe *p);
/* data is lent for the call. */
typedef void (*sf_pipe_data_fn)(void *user, uint32_t status, const uint8_t *data, size_t len);
typedef void (*sf_pipe_status_fn)(void *user, uint32_t status);

#define SF_PIPE_MAX_MSG (16u << 20) /* a bound on one message read whole */

void sf_pipe_open(sf_tree *ipc, const char *name, sf_pipe_open_fn cb, void *user);
/* Write one message (all of it, or an error). */
void sf_pipe_write(sf_pipe *p, const uint8_t *data, size_t len, sf_pipe_status_fn cb, void *user);
/* Read one whole message (READ of up to max per round trip). */
void sf_pipe_read(sf_pipe *p, uint32_t max, sf_pipe_data_fn cb, void *user);
/* Write a message and read the answer in one round trip
 * (FSCTL_PIPE_TRANSCEIVE), then the rest of the answer if it did not fit
 * into max bytes. */
void sf_pipe_transceive(sf_pipe *p, const uint8_t *in, size_t len, uint32_t max, sf_pipe_data_fn cb,
                        void *user);
void sf_pipe_close(sf_pipe *p);
sf_tree *sf_pipe_tree(const sf_pipe *p);

#endif
