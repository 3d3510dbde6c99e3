/* test_ntstatus.c - the NTSTATUS table: values, names, errno, severity. */
#include "proto/ntstatus.h"

#include <errno.h>
#include <glib.h>

static void test_values_match_spec(void)
{
	/* MS-ERREF 2.3.1 values for the statuses the engine branches on. */
	g_assert_cmphex(STATUS_PENDING, ==, 0x00000103);
	g_assert_cmphex(STATUS_MORE_PROCESSING_REQUIRED, ==, 0xC0000016);
	g_assert_cmphex(STATUS_NO_MORE_FILES, ==, 0x80000006);
	g_assert_cmphex(STATUS_STOPPED_ON_SYMLINK, ==, 0x8000002D);
	g_assert_cmphex(STATUS_PATH_NOT_COVERED, ==, 0xC0000257);
	g_assert_cmphex(STATUS_NETWORK_SESSION_EXPIRED, ==, 0xC000035C);
	g_assert_cmphex(STATUS_LOGON_FAILURE, ==, 0xC000006D);
	g_assert_cmphex(STATUS_BAD_NETWORK_NAME, ==, 0xC00000CC);
	g_assert_cmphex(STATUS_ACCOUNT_DISABLED, ==, 0xC0000072);
	g_assert_cmphex(STATUS_END_OF_FILE, ==, 0xC0000011);
}

static void test_names(void)
{
	g_assert_cmpstr(sf_ntstatus_name(0), ==, "STATUS_SUCCESS");
	g_assert_cmpstr(sf_ntstatus_name(0xC0000022), ==, "STATUS_ACCESS_DENIED");
	g_assert_cmpstr(sf_ntstatus_name(0xC05D0000), ==,
	                "STATUS_SMB_NO_PREAUTH_INTEGRITY_HASH_OVERLAP");
	g_assert_cmpstr(sf_ntstatus_name(0xC0FFEE01), ==, "0xC0FFEE01");
}

static void test_errno(void)
{
	g_assert_cmpint(sf_ntstatus_to_errno(STATUS_SUCCESS), ==, 0);
	g_assert_cmpint(sf_ntstatus_to_errno(STATUS_OBJECT_NAME_NOT_FOUND), ==, ENOENT);
	g_assert_cmpint(sf_ntstatus_to_errno(STATUS_OBJECT_NAME_COLLISION), ==, EEXIST);
	g_assert_cmpint(sf_ntstatus_to_errno(STATUS_ACCESS_DENIED), ==, EACCES);
	g_assert_cmpint(sf_ntstatus_to_errno(STATUS_DIRECTORY_NOT_EMPTY), ==, ENOTEMPTY);
	g_assert_cmpint(sf_ntstatus_to_errno(STATUS_NOT_A_DIRECTORY), ==, ENOTDIR);
	g_assert_cmpint(sf_ntstatus_to_errno(STATUS_FILE_IS_A_DIRECTORY), ==, EISDIR);
	g_assert_cmpint(sf_ntstatus_to_errno(STATUS_MEDIA_WRITE_PROTECTED), ==, EROFS);
	g_assert_cmpint(sf_ntstatus_to_errno(STATUS_DISK_FULL), ==, ENOSPC);
	g_assert_cmpint(sf_ntstatus_to_errno(STATUS_NOT_SAME_DEVICE), ==, EXDEV);
	g_assert_cmpint(sf_ntstatus_to_errno(STATUS_IO_TIMEOUT), ==, ETIMEDOUT);
	/* Unknown errors are EIO, unknown successes 0. */
	g_assert_cmpint(sf_ntstatus_to_errno(0xC0FFEE01), ==, EIO);
	g_assert_cmpint(sf_ntstatus_to_errno(0x00000001), ==, 0);
}

static void test_severity(void)
{
	g_assert_true(sf_nt_success(STATUS_SUCCESS));
	g_assert_true(sf_nt_success(STATUS_NOTIFY_ENUM_DIR));
	g_assert_false(sf_nt_success(STATUS_BUFFER_OVERFLOW)); /* warning */
	g_assert_false(sf_nt_error(STATUS_BUFFER_OVERFLOW));
	g_assert_true(sf_nt_error(STATUS_ACCESS_DENIED));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ntstatus/values", test_values_match_spec);
	g_test_add_func("/ntstatus/names", test_names);
	g_test_add_func("/ntstatus/errno", test_errno);
	g_test_add_func("/ntstatus/severity", test_severity);
	return g_test_run();
}
