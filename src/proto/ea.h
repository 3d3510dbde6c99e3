/* ea.h - FILE_FULL_EA_INFORMATION lists (MS-FSCC 2.4.15): how SMB carries
 * extended attributes (user.* xattrs on the client). */
#ifndef SF_PROTO_EA_H
#define SF_PROTO_EA_H

#include <stddef.h>
#include <stdint.h>

#define FILE_FULL_EA_INFORMATION 15

struct smb2_ea {
	const char *name; /* not NUL-terminated on decode: use name_len */
	size_t name_len;
	const uint8_t *value;
	size_t value_len;
};

/* Encode one entry (a list of one): value_len 0 deletes the EA. NULL when
 * the name or value is too long for the wire format. */
uint8_t *smb2_ea_encode_one(const char *name, const void *value, size_t value_len, size_t *len);

/* Iterate a list: *pos starts at 0; 1 with an entry, 0 at the end,
 * -EPROTO when an entry runs outside the buffer, NextEntryOffset does not
 * move forward, or the name is not NUL-terminated. */
int smb2_ea_next(const uint8_t *buf, size_t len, size_t *pos, struct smb2_ea *out);

#endif
