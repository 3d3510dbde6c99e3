/* ntstatus.h - NTSTATUS codes (MS-ERREF 2.3.1), their names and errno.
 *
 * Inside the engine every protocol outcome is an NTSTATUS (uint32_t). Local
 * failures that must travel the same path (connection lost, timeout, a
 * malformed PDU) use the NTSTATUS that best describes them:
 * STATUS_CONNECTION_DISCONNECTED, STATUS_IO_TIMEOUT,
 * STATUS_INVALID_NETWORK_RESPONSE, STATUS_CANCELLED. errno appears only at
 * the FUSE edge (fs/), through sf_ntstatus_to_errno(). */
#ifndef SF_PROTO_NTSTATUS_H
#define SF_PROTO_NTSTATUS_H

#include <stdbool.h>
#include <stdint.h>

enum {
#define X(name, value, err) name = (uint32_t)(value),
#include "proto/ntstatus.tab"
#undef X
};

/* "STATUS_ACCESS_DENIED"; for a value not in the table a static
 * "0x%08X" string that is only valid until the next call. */
const char *sf_ntstatus_name(uint32_t status);
/* Positive errno; EIO for anything not in the table that is an error. */
int sf_ntstatus_to_errno(uint32_t status);

static inline bool sf_nt_success(uint32_t status)
{
	return (status >> 30) == 0 || (status >> 30) == 1; /* success or informational */
}
static inline bool sf_nt_error(uint32_t status)
{
	return (status >> 30) == 3;
}

#endif
