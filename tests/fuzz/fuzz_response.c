/* fuzz_response.c - one response PDU through the path the connection
 * takes: header decode, central validation, then the command's decoder
 * and every payload decoder behind it (directory entries, info classes,
 * create contexts and their lease / durable handle data, lease and oplock
 * breaks, IOCTL payloads, error data). */
#include "proto/posix.h"
#include "proto/create.h"
#include "proto/dir.h"
#include "proto/durable.h"
#include "proto/ea.h"
#include "proto/fscc.h"
#include "proto/info.h"
#include "proto/io.h"
#include "proto/ioctl.h"
#include "proto/lease.h"
#include "proto/ntstatus.h"
#include "proto/reparse.h"
#include "proto/session.h"
#include "proto/smb2.h"
#include "proto/tree.h"
#include "proto/validate.h"
#include "util/utf16.h"

#include <glib.h>

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Any span a decoder hands out must lie inside the input. */
static void inside(const uint8_t *p, size_t n, const uint8_t *data, size_t size)
{
	if (p && (p < data || n > size || p + n > data + size))
		__builtin_trap();
}

static void dir_entries(const uint8_t *buf, size_t len, const uint8_t *data, size_t size)
{
	static const uint8_t classes[] = {
	        FILE_DIRECTORY_INFORMATION,         FILE_FULL_DIRECTORY_INFORMATION,
	        FILE_BOTH_DIRECTORY_INFORMATION,    FILE_NAMES_INFORMATION,
	        FILE_ID_BOTH_DIRECTORY_INFORMATION, FILE_ID_FULL_DIRECTORY_INFORMATION};
	for (size_t c = 0; c < sizeof classes; c++) {
		size_t pos = 0;
		struct smb2_dir_entry e;
		for (int i = 0;
		     i < 100000 && smb2_dir_entry_next(classes[c], buf, len, &pos, &e) == 1; i++) {
			inside(e.name, e.name_len, data, size);
			g_free(sf_name_from_smb(e.name, e.name_len, c & 1));
		}
	}
	size_t pos = 0;
	struct smb2_posix_dirent pe;
	for (int i = 0; i < 100000 && smb2_posix_dirent_next(buf, len, &pos, &pe) == 1; i++)
		inside(pe.name, pe.name_len, data, size);
}

static void link_decoders(const uint8_t *buf, size_t len, const uint8_t *data, size_t size)
{
	struct smb2_link l;
	if (smb2_reparse_decode(buf, len, &l) == 0) {
		inside(l.target, l.target_len, data, size);
		inside(l.print, l.print_len, data, size);
	}
}

static void info_classes(const uint8_t *buf, size_t len)
{
	size_t pos = 0;
	struct smb2_ea ea;
	for (int i = 0; i < 100000 && smb2_ea_next(buf, len, &pos, &ea) == 1; i++)
		inside((const uint8_t *)ea.name, ea.name_len + 1 + ea.value_len, buf, len);
	struct smb2_basic_info b;
	struct smb2_all_info a;
	struct smb2_fs_full_size f;
	struct smb2_validate_negotiate_rsp v;
	struct smb2_copychunk_rsp cc;
	uint8_t key[24];
	smb2_basic_info_decode(buf, len, &b);
	smb2_all_info_decode(buf, len, &a);
	smb2_fs_full_size_decode(buf, len, &f);
	smb2_validate_negotiate_rsp_decode(buf, len, &v);
	smb2_copychunk_rsp_decode(buf, len, &cc);
	smb2_resume_key_decode(buf, len, key);
	uint32_t attrs, tag;
	smb2_attribute_tag_decode(buf, len, &attrs, &tag);
	struct smb2_posix_info pi;
	smb2_posix_info_decode(buf, len, &pi);
	uint64_t type;
	uint32_t ma, mi;
	smb2_nfs_special_reparse_decode(buf, len, &type, &ma, &mi);
}

/* The data of the create contexts smbfuse reads (2.2.14.2.10 - .12). */
static void create_ctx_data(const struct smb2_create_ctx *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct smb2_lease l;
		uint32_t timeout, flags;
		if (smb2_lease_ctx_decode(c[i].data, c[i].data_len, &l) == 0 &&
		    c[i].data_len != (l.v2 ? SMB2_LEASE_CTX_V2_LEN : SMB2_LEASE_CTX_V1_LEN))
			__builtin_trap();
		smb2_dh2q_rsp_decode(c[i].data, c[i].data_len, &timeout, &flags);
		struct smb2_posix_cc pc;
		size_t used;
		if (c[i].name_len == 16 &&
		    smb2_posix_cc_decode(c[i].data, c[i].data_len, &pc, &used) == 0 &&
		    used > c[i].data_len)
			__builtin_trap();
	}
}

/* Unsolicited breaks: the body after the header, whichever form. */
static void breaks(const uint8_t *body, size_t len)
{
	struct smb2_lease_break lb;
	struct smb2_oplock_break ob;
	smb2_lease_break_decode(body, len, &lb);
	smb2_oplock_break_decode(body, len, &ob);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smb2_hdr h;
	if (smb2_hdr_decode(data, size, &h) != 0)
		return 0;
	/* Validation decides; decoders must also cope with anything. */
	int valid = smb2_rsp_validate(&h, data, size);
	struct smb2_error_rsp er;
	if (smb2_error_rsp_decode(data, size, &er) == 0) {
		inside(er.data, er.data_len, data, size);
		struct smb2_link l;
		if (smb2_symlink_error_decode(er.data, er.data_len, er.context_count, &l) == 0) {
			inside(l.target, l.target_len, data, size);
			inside(l.print, l.print_len, data, size);
		}
	}
	smb2_simple_rsp_decode(data, size);
	smb2_set_info_rsp_decode(data, size);
	struct smb2_session_setup_rsp ss;
	if (smb2_session_setup_rsp_decode(data, size, &ss) == 0)
		inside(ss.token, ss.token_len, data, size);
	struct smb2_tree_connect_rsp tc;
	smb2_tree_connect_rsp_decode(data, size, &tc);
	struct smb2_create_rsp cr;
	if (smb2_create_rsp_decode(data, size, &cr) == 0) {
		for (size_t i = 0; i < cr.ctx_count; i++)
			inside(cr.ctxs[i].data, cr.ctxs[i].data_len, data, size);
		create_ctx_data(cr.ctxs, cr.ctx_count);
	}
	struct smb2_close_rsp cl;
	smb2_close_rsp_decode(data, size, &cl);
	struct smb2_read_rsp rd;
	if (smb2_read_rsp_decode(data, size, &rd) == 0)
		inside(rd.data, rd.data_len, data, size);
	struct smb2_write_rsp wr;
	smb2_write_rsp_decode(data, size, &wr);
	struct smb2_query_directory_rsp qd;
	if (smb2_query_directory_rsp_decode(data, size, &qd) == 0) {
		inside(qd.buf, qd.buf_len, data, size);
		dir_entries(qd.buf, qd.buf_len, data, size);
	}
	struct smb2_query_info_rsp qi;
	if (smb2_query_info_rsp_decode(data, size, &qi) == 0) {
		inside(qi.buf, qi.buf_len, data, size);
		info_classes(qi.buf, qi.buf_len);
	}
	struct smb2_ioctl_rsp io;
	if (smb2_ioctl_rsp_decode(data, size, &io) == 0) {
		inside(io.out, io.out_len, data, size);
		info_classes(io.out, io.out_len);
		link_decoders(io.out, io.out_len, data, size);
	}
	/* Raw payload decoders straight on the input, too. */
	if (size > SMB2_HDR_LEN) {
		dir_entries(data + SMB2_HDR_LEN, size - SMB2_HDR_LEN, data, size);
		struct smb2_create_ctx ctxs[SMB2_MAX_CREATE_CTX];
		size_t n;
		if (smb2_create_ctx_chain_decode(data + SMB2_HDR_LEN, size - SMB2_HDR_LEN, ctxs,
		                                 SMB2_MAX_CREATE_CTX, &n) == 0)
			create_ctx_data(ctxs, n);
		breaks(data + SMB2_HDR_LEN, size - SMB2_HDR_LEN);
		struct smb2_lease l;
		uint32_t timeout, flags;
		smb2_lease_ctx_decode(data + SMB2_HDR_LEN, size - SMB2_HDR_LEN, &l);
		smb2_dh2q_rsp_decode(data + SMB2_HDR_LEN, size - SMB2_HDR_LEN, &timeout, &flags);
	}
	(void)valid;
	return 0;
}
