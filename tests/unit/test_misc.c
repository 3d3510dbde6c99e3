/* test_misc.c - ECHO (MS-SMB2 2.2.28) and smb2_req_fileid_offset(): the
 * offset it gives for each command is where this repository's own
 * encoder put the FileId, and where the spec's field table (2.2.15 -
 * 2.2.39) puts it. */
#include "proto/create.h"
#include "proto/dir.h"
#include "proto/fscc.h"
#include "proto/info.h"
#include "proto/io.h"
#include "proto/ioctl.h"
#include "proto/lease.h"
#include "proto/lock.h"
#include "proto/misc.h"
#include "proto/smb2.h"
#include "util/bytes.h"
#include "vectors.h"

#include <glib.h>
#include <string.h>

static void test_echo(void)
{
	size_t len;
	uint8_t *b = smb2_echo_req_encode(&len);
	const uint8_t want[4] = {0x04, 0x00, 0x00, 0x00}; /* StructureSize 4, Reserved */
	g_assert_cmpmem(b, len, want, 4);
	g_free(b);
}

static const struct smb2_fileid fid = {0x1122334455667788ULL, 0x99AABBCCDDEEFF00ULL};

static void check_fid_at(uint16_t command, const uint8_t *body, size_t len)
{
	int off = smb2_req_fileid_offset(command);
	g_assert_cmpint(off, >=, 0);
	g_assert_cmpuint((size_t)off + 16, <=, len);
	g_assert_cmphex(sf_le64(body + off), ==, fid.persistent);
	g_assert_cmphex(sf_le64(body + off + 8), ==, fid.volatile_);
	g_free((void *)body);
}

static void test_fileid_offsets(void)
{
	size_t len;
	uint8_t *b;
	/* Spec offsets (2.2.15, .17, .19, .21, .26, .31, .33, .35, .37, .39,
	 * .24.1). */
	g_assert_cmpint(smb2_req_fileid_offset(SMB2_CLOSE), ==, 8);
	g_assert_cmpint(smb2_req_fileid_offset(SMB2_FLUSH), ==, 8);
	g_assert_cmpint(smb2_req_fileid_offset(SMB2_READ), ==, 16);
	g_assert_cmpint(smb2_req_fileid_offset(SMB2_WRITE), ==, 16);
	g_assert_cmpint(smb2_req_fileid_offset(SMB2_LOCK), ==, 8);
	g_assert_cmpint(smb2_req_fileid_offset(SMB2_IOCTL), ==, 8);
	g_assert_cmpint(smb2_req_fileid_offset(SMB2_QUERY_DIRECTORY), ==, 8);
	g_assert_cmpint(smb2_req_fileid_offset(SMB2_CHANGE_NOTIFY), ==, 8);
	g_assert_cmpint(smb2_req_fileid_offset(SMB2_QUERY_INFO), ==, 24);
	g_assert_cmpint(smb2_req_fileid_offset(SMB2_SET_INFO), ==, 16);
	g_assert_cmpint(smb2_req_fileid_offset(SMB2_OPLOCK_BREAK), ==, 8);

	/* And where the encoders put it. */
	b = smb2_close_req_encode(fid, 0, &len);
	check_fid_at(SMB2_CLOSE, b, len);
	b = smb2_flush_req_encode(fid, &len);
	check_fid_at(SMB2_FLUSH, b, len);
	b = smb2_read_req_encode(fid, 4096, 512, &len);
	check_fid_at(SMB2_READ, b, len);
	b = smb2_write_req_encode(fid, 4096, "x", 1, &len);
	check_fid_at(SMB2_WRITE, b, len);
	struct smb2_lock_element el = {0, 10, SMB2_LOCKFLAG_EXCLUSIVE_LOCK};
	b = smb2_lock_req_encode(fid, &el, 1, &len);
	check_fid_at(SMB2_LOCK, b, len);
	b = smb2_ioctl_req_encode(fid, FSCTL_GET_REPARSE_POINT, NULL, 0, 4096, &len);
	check_fid_at(SMB2_IOCTL, b, len);
	const uint8_t star[2] = {'*', 0};
	b = smb2_query_directory_req_encode(fid, FILE_ID_BOTH_DIRECTORY_INFORMATION, 0, star, 2,
	                                    65536, &len);
	check_fid_at(SMB2_QUERY_DIRECTORY, b, len);
	b = smb2_query_info_req_encode(fid, SMB2_0_INFO_FILE, FILE_ALL_INFORMATION, 4096, 0, &len);
	check_fid_at(SMB2_QUERY_INFO, b, len);
	uint8_t eof[8] = {0};
	b = smb2_set_info_req_encode(fid, SMB2_0_INFO_FILE, FILE_END_OF_FILE_INFORMATION, eof, 8,
	                             &len);
	check_fid_at(SMB2_SET_INFO, b, len);
	b = smb2_oplock_break_ack_encode(SMB2_OPLOCK_LEVEL_NONE, fid, &len);
	check_fid_at(SMB2_OPLOCK_BREAK, b, len);

	/* CHANGE_NOTIFY has no encoder yet: its 2.2.35 layout by hand
	 * (StructureSize 32, Flags, OutputBufferLength, FileId,
	 * CompletionFilter, Reserved). */
	struct sf_wr w;
	sf_wr_init_grow(&w, 32);
	sf_wr_u16(&w, 32);
	sf_wr_u16(&w, 0);
	sf_wr_u32(&w, 4096);
	sf_wr_u64(&w, fid.persistent);
	sf_wr_u64(&w, fid.volatile_);
	sf_wr_u32(&w, 0x17);
	sf_wr_u32(&w, 0);
	b = sf_wr_steal(&w, &len);
	g_assert_cmpuint(len, ==, 32);
	check_fid_at(SMB2_CHANGE_NOTIFY, b, len);

	/* A lease break acknowledgment shares the OPLOCK_BREAK command but has
	 * no FileId: its LeaseKey sits at that offset (see misc.h). */
	uint8_t key[16];
	memset(key, 0x5A, sizeof key);
	b = smb2_lease_break_ack_encode(key, 0, &len);
	g_assert_cmpuint(sf_le16(b), ==, 36);
	g_assert_cmpmem(b + smb2_req_fileid_offset(SMB2_OPLOCK_BREAK), 16, key, 16);
	g_free(b);

	/* Every other command: no FileId. */
	const uint16_t none[] = {SMB2_NEGOTIATE,
	                         SMB2_SESSION_SETUP,
	                         SMB2_LOGOFF,
	                         SMB2_TREE_CONNECT,
	                         SMB2_TREE_DISCONNECT,
	                         SMB2_CREATE,
	                         SMB2_CANCEL,
	                         SMB2_ECHO,
	                         SMB2_SERVER_TO_CLIENT_NOTIFICATION,
	                         SMB2_COMMAND_COUNT,
	                         0x00FF,
	                         0xFFFF};
	for (size_t i = 0; i < G_N_ELEMENTS(none); i++)
		g_assert_cmpint(smb2_req_fileid_offset(none[i]), ==, -1);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/misc/echo", test_echo);
	g_test_add_func("/misc/fileid_offsets", test_fileid_offsets);
	return g_test_run();
}
