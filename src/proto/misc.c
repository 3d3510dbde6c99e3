/* misc.c - ECHO (MS-SMB2 2.2.28) and the FileId offset of each request
 * that names an open (2.2.15 - 2.2.39). */
#include "proto/misc.h"

#include "proto/smb2.h"
#include "util/bytes.h"

#include <glib.h>

uint8_t *smb2_echo_req_encode(size_t *len)
{
	struct sf_wr w;
	sf_wr_init_grow(&w, 4);
	sf_wr_u16(&w, 4); /* StructureSize */
	sf_wr_u16(&w, 0); /* Reserved */
	g_assert(!sf_wr_ok(&w) || w.pos == 4);
	return sf_wr_steal(&w, len);
}

int smb2_req_fileid_offset(uint16_t command)
{
	switch (command) {
	case SMB2_CLOSE:           /* 2.2.15: StructureSize, Flags, Reserved */
	case SMB2_FLUSH:           /* 2.2.17: StructureSize, Reserved1, Reserved2 */
	case SMB2_LOCK:            /* 2.2.26: StructureSize, LockCount, LockSequence */
	case SMB2_IOCTL:           /* 2.2.31: StructureSize, Reserved, CtlCode */
	case SMB2_QUERY_DIRECTORY: /* 2.2.33: ..., FileInformationClass, Flags, FileIndex */
	case SMB2_CHANGE_NOTIFY:   /* 2.2.35: StructureSize, Flags, OutputBufferLength */
	case SMB2_OPLOCK_BREAK:    /* 2.2.24.1: ..., OplockLevel, Reserved, Reserved2 */
		return 8;
	case SMB2_READ:     /* 2.2.19: ..., Padding, Flags, Length, Offset */
	case SMB2_WRITE:    /* 2.2.21: ..., DataOffset, Length, Offset */
	case SMB2_SET_INFO: /* 2.2.39: ..., BufferLength, BufferOffset, Reserved,
	                       AdditionalInformation */
		return 16;
	case SMB2_QUERY_INFO: /* 2.2.37: ..., InputBufferLength, AdditionalInformation, Flags */
		return 24;
	default:
		return -1;
	}
}
