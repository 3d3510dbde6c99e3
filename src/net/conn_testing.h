/* conn_testing.h - a connection engine without a socket, for the fuzz
 * target and tests that drive it frame by frame. Not used by smbfuse
 * itself. */
#ifndef SF_NET_CONN_TESTING_H
#define SF_NET_CONN_TESTING_H

#include "net/conn.h"

/* A READY connection as if NEGOTIATE had given neg, holding credits.
 * What it sends is counted and dropped. */
sf_conn *sf_conn_new_detached(const struct sf_negotiated *neg, GMainContext *ctx, uint32_t credits);

/* One frame as read from the socket (no 4-byte length prefix): plain
 * SMB2, a compound, or a transform. Runs every check a real frame does. */
void sf_conn_feed_frame(sf_conn *c, const uint8_t *frame, size_t len);

#endif
