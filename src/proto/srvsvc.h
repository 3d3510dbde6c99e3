/* srvsvc.h - NetrShareEnum (MS-SRVS 3.1.4.8, opnum 15) at level 1
 * (SHARE_INFO_1_CONTAINER: name, type, remark), NDR 2.0 by hand
 * (C706 chapter 14; MS-RPCE 2.2.5 for what Windows adds). */
#ifndef SF_PROTO_SRVSVC_H
#define SF_PROTO_SRVSVC_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SRVSVC_OPNUM_NETRSHAREENUM 15

/* shi1_type (MS-SRVS 2.2.2.4). */
#define STYPE_DISKTREE  0x00000000u
#define STYPE_PRINTQ    0x00000001u
#define STYPE_DEVICE    0x00000002u
#define STYPE_IPC       0x00000003u
#define STYPE_MASK      0x000000FFu
#define STYPE_TEMPORARY 0x40000000u
#define STYPE_SPECIAL   0x80000000u

struct srvsvc_share {
	char *name; /* UTF-8 */
	uint32_t type;
	char *remark; /* UTF-8, "" when the server sent none */
};
void srvsvc_share_free(gpointer share);
/* "Disk", "Printer", "Device", "IPC" (as smbclient -L names them), or
 * "Unknown". */
const char *srvsvc_type_name(uint32_t type);

/* The request stub: ServerName "\\server", level 1, no buffer yet,
 * PreferedMaximumLength 0xFFFFFFFF, ResumeHandle. */
uint8_t *srvsvc_share_enum_req_encode(const char *server, uint32_t resume, size_t *len);

struct srvsvc_share_enum_rsp {
	GPtrArray *shares; /* struct srvsvc_share (srvsvc_share_free) */
	uint32_t total;    /* TotalEntries */
	bool has_resume;
	uint32_t resume;
	uint32_t result; /* the WERROR return value */
};
#define SRVSVC_MAX_SHARES 65536
/* 0, or -EPROTO for a stub that is malformed anywhere: conformance and
 * variance counts against the data left, string offsets, pointers, the
 * union's switch, alignment padding inside the stub. */
int srvsvc_share_enum_rsp_decode(const uint8_t *stub, size_t len,
                                 struct srvsvc_share_enum_rsp *out);
void srvsvc_share_enum_rsp_clear(struct srvsvc_share_enum_rsp *r);

#endif
