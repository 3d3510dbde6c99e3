/* srvsvc.c - NetrShareEnum level 1 in NDR 2.0 (MS-SRVS 3.1.4.8, C706 14).
 *
 * The response stub, in order (deferred pointers after their structure):
 *   SHARE_ENUM_STRUCT: Level, union switch, unique ptr -> container
 *   container: EntriesRead, unique ptr -> array
 *   array: conformance (max_count), then max_count SHARE_INFO_1
 *          {ptr netname, type, ptr remark}, then each non-null string in
 *          entry order (netname, remark): conformant varying wchar_t
 *          (max_count, offset, actual_count, characters)
 *   TotalEntries, unique ptr -> ResumeHandle (u32), WERROR.
 * Alignment is relative to the start of the stub. */
#include "proto/srvsvc.h"

#include "util/bytes.h"
#include "util/utf16.h"

#include <errno.h>
#include <string.h>

void srvsvc_share_free(gpointer p)
{
	struct srvsvc_share *s = p;
	if (!s)
		return;
	g_free(s->name);
	g_free(s->remark);
	g_free(s);
}

const char *srvsvc_type_name(uint32_t type)
{
	switch (type & STYPE_MASK) {
	case STYPE_DISKTREE:
		return "Disk";
	case STYPE_PRINTQ:
		return "Printer";
	case STYPE_DEVICE:
		return "Device";
	case STYPE_IPC:
		return "IPC";
	default:
		return "Unknown";
	}
}

/* ---- writing ------------------------------------------------------------ */

static void wr_string(struct sf_wr *w, const uint8_t *u16, size_t bytes)
{
	uint32_t n = (uint32_t)(bytes / 2 + 1); /* with the terminating NUL */
	sf_wr_align(w, 4);
	sf_wr_u32(w, n); /* max_count */
	sf_wr_u32(w, 0); /* offset */
	sf_wr_u32(w, n); /* actual_count */
	sf_wr_bytes(w, u16, bytes);
	sf_wr_u16(w, 0);
}

uint8_t *srvsvc_share_enum_req_encode(const char *server, uint32_t resume, size_t *len)
{
	char *name = g_strconcat("\\\\", server, NULL);
	size_t ub = 0;
	uint8_t *u = sf_utf8_to_utf16(name, -1, &ub);
	g_free(name);
	if (!u)
		return NULL;
	struct sf_wr w;
	sf_wr_init_grow(&w, 64 + ub);
	sf_wr_u32(&w, 0x00020000); /* ServerName: unique pointer */
	wr_string(&w, u, ub);
	g_free(u);
	sf_wr_align(&w, 4);
	sf_wr_u32(&w, 1);           /* InfoStruct.Level */
	sf_wr_u32(&w, 1);           /* union switch */
	sf_wr_u32(&w, 0x00020004);  /* -> SHARE_INFO_1_CONTAINER */
	sf_wr_u32(&w, 0);           /* EntriesRead */
	sf_wr_u32(&w, 0);           /* Buffer: NULL */
	sf_wr_u32(&w, 0xFFFFFFFFu); /* PreferedMaximumLength: everything */
	sf_wr_u32(&w, 0x00020008);  /* ResumeHandle: unique pointer */
	sf_wr_u32(&w, resume);
	return sf_wr_steal(&w, len);
}

/* ---- reading ------------------------------------------------------------ */

static void rd_align(struct sf_rd *r, size_t a)
{
	size_t to = sf_align_up(r->pos, a);
	if (to > r->len) {
		r->err = true;
		return;
	}
	r->pos = to;
}

static uint32_t rd_u32a(struct sf_rd *r)
{
	rd_align(r, 4);
	return sf_rd_u32(r);
}

/* A conformant varying string of wchar_t ([string] wchar_t *), as UTF-8
 * (NULL and r->err on error). The terminating NUL, when sent, is dropped;
 * a NUL inside the string is refused. */
static char *rd_string(struct sf_rd *r)
{
	uint32_t max = rd_u32a(r);
	uint32_t off = sf_rd_u32(r);
	uint32_t actual = sf_rd_u32(r);
	if (!sf_rd_ok(r) || off != 0 || actual > max || actual > sf_rd_left(r) / 2) {
		r->err = true;
		return NULL;
	}
	const uint8_t *p = sf_rd_ptr(r, (size_t)actual * 2);
	if (!p)
		return NULL;
	size_t n = actual;
	if (n && p[2 * (n - 1)] == 0 && p[2 * (n - 1) + 1] == 0)
		n--;
	for (size_t i = 0; i < n; i++)
		if (p[2 * i] == 0 && p[2 * i + 1] == 0) {
			r->err = true;
			return NULL;
		}
	char *s = n ? sf_utf16_to_utf8(p, n * 2) : g_strdup("");
	if (!s)
		r->err = true;
	return s;
}

void srvsvc_share_enum_rsp_clear(struct srvsvc_share_enum_rsp *o)
{
	if (o->shares)
		g_ptr_array_unref(o->shares);
	o->shares = NULL;
}

struct entry_ptrs {
	uint32_t name, remark;
};

int srvsvc_share_enum_rsp_decode(const uint8_t *stub, size_t len, struct srvsvc_share_enum_rsp *o)
{
	memset(o, 0, sizeof *o);
	o->shares = g_ptr_array_new_with_free_func(srvsvc_share_free);
	struct sf_rd r;
	sf_rd_init(&r, stub, len);
	struct entry_ptrs *ptrs = NULL;
	uint32_t level = sf_rd_u32(&r);
	uint32_t sw = sf_rd_u32(&r);
	uint32_t ctr_ptr = sf_rd_u32(&r);
	if (!sf_rd_ok(&r) || level != 1 || sw != 1)
		goto bad;
	if (ctr_ptr) {
		uint32_t count = sf_rd_u32(&r);
		uint32_t buf_ptr = sf_rd_u32(&r);
		if (!sf_rd_ok(&r) || count > SRVSVC_MAX_SHARES || (count && !buf_ptr))
			goto bad;
		if (buf_ptr) {
			uint32_t max = sf_rd_u32(&r);
			/* The array's conformance is EntriesRead (size_is), and its
			 * entries (12 bytes each) must be there before anything is
			 * allocated for them. */
			if (!sf_rd_ok(&r) || max != count || count > sf_rd_left(&r) / 12)
				goto bad;
			ptrs = g_new0(struct entry_ptrs, count ? count : 1);
			for (uint32_t i = 0; i < count; i++) {
				struct srvsvc_share *s = g_new0(struct srvsvc_share, 1);
				g_ptr_array_add(o->shares, s);
				ptrs[i].name = sf_rd_u32(&r);
				s->type = sf_rd_u32(&r);
				ptrs[i].remark = sf_rd_u32(&r);
			}
			for (uint32_t i = 0; i < count && sf_rd_ok(&r); i++) {
				struct srvsvc_share *s = g_ptr_array_index(o->shares, i);
				if (ptrs[i].name)
					s->name = rd_string(&r);
				if (ptrs[i].remark)
					s->remark = rd_string(&r);
				if (!s->name) /* a share without a name is no share */
					r.err = true;
				if (!s->remark)
					s->remark = g_strdup("");
			}
		}
	}
	o->total = rd_u32a(&r);
	uint32_t resume_ptr = sf_rd_u32(&r);
	if (resume_ptr) {
		o->has_resume = true;
		o->resume = sf_rd_u32(&r);
	}
	o->result = sf_rd_u32(&r);
	if (!sf_rd_ok(&r))
		goto bad;
	g_free(ptrs);
	return 0;
bad:
	g_free(ptrs);
	srvsvc_share_enum_rsp_clear(o);
	return -EPROTO;
}
