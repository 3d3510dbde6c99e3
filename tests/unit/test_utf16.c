/* test_utf16.c - UTF-8/UTF-16 conversion, SMB path and name rules, and
 * FILETIME conversion edges. */
#include "util/bytes.h"
#include "util/timeconv.h"
#include "util/utf16.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

static void test_round_trip(void)
{
	const char *s = "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"; /* é € U+1F600 */
	size_t n;
	uint8_t *u = sf_utf8_to_utf16(s, -1, &n);
	g_assert_nonnull(u);
	g_assert_cmpuint(n, ==, 2 * 10); /* 8 BMP units + 1 surrogate pair */
	char *back = sf_utf16_to_utf8(u, n);
	g_assert_cmpstr(back, ==, s);
	g_free(back);
	g_free(u);
}

static void test_reject_bad_utf8(void)
{
	size_t n;
	g_assert_null(sf_utf8_to_utf16("\xc0\xaf", -1, &n));         /* overlong '/' */
	g_assert_null(sf_utf8_to_utf16("\xed\xa0\x80", -1, &n));     /* encoded surrogate */
	g_assert_null(sf_utf8_to_utf16("\xe2\x82", -1, &n));         /* truncated */
	g_assert_null(sf_utf8_to_utf16("\xf4\x90\x80\x80", -1, &n)); /* > U+10FFFF */
	g_assert_null(sf_utf8_to_utf16("\xff", -1, &n));
	g_assert_null(sf_utf8_to_utf16("a\0b", 3, &n)); /* embedded NUL */
}

static void test_reject_bad_utf16(void)
{
	const uint8_t odd[] = {'a', 0, 'b'};
	g_assert_null(sf_utf16_to_utf8(odd, 3));
	const uint8_t lone_hi[] = {0x3d, 0xd8, 'a', 0};
	g_assert_null(sf_utf16_to_utf8(lone_hi, 4));
	const uint8_t hi_at_end[] = {'a', 0, 0x3d, 0xd8};
	g_assert_null(sf_utf16_to_utf8(hi_at_end, 4));
	const uint8_t lone_lo[] = {0x00, 0xdc};
	g_assert_null(sf_utf16_to_utf8(lone_lo, 2));
	char *empty = sf_utf16_to_utf8(NULL, 0);
	g_assert_cmpstr(empty, ==, "");
	g_free(empty);
}

static void test_paths(void)
{
	size_t n;
	int err = 0;
	uint8_t *u = sf_path_to_smb("/dir//sub/file.txt", false, &n, &err);
	g_assert_nonnull(u);
	char *s = sf_utf16_to_utf8(u, n);
	g_assert_cmpstr(s, ==, "dir\\sub\\file.txt");
	g_free(s);
	g_free(u);
	u = sf_path_to_smb("/", false, &n, &err); /* the share root */
	g_assert_nonnull(u);
	g_assert_cmpuint(n, ==, 0);
	g_free(u);
	const char *bad[] = {"a:b",         "a*",     "q?",     "x\"y",   "l<",    "g>",   "p|",
	                     "back\\slash", "trail.", "trail ", "dir./f", "../up", "a/./b"};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		err = 0;
		g_assert_null(sf_path_to_smb(bad[i], false, &n, &err));
		g_assert_cmpint(err, ==, EINVAL);
	}
	/* ... but with mapposix they round-trip through the SFM code points. */
	const char *names[] = {"a:b", "a*",          "q?",     "x\"y",   "l<",       "g>",
	                       "p|",  "back\\slash", "trail.", "trail ", "tab\there"};
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		u = sf_path_to_smb(names[i], true, &n, &err);
		g_assert_nonnull(u);
		for (size_t j = 0; j < n; j += 2) { /* nothing forbidden left on the wire */
			unsigned cu = u[j] | (u[j + 1] << 8);
			g_assert_true(cu >= 0x20 && (cu > 0x7f || !strchr("\\:*?\"<>|", (int)cu)));
		}
		g_assert_true(names[i][strlen(names[i]) - 1] != '.' ||
		              (u[n - 2] | (u[n - 1] << 8)) == 0xF029);
		s = sf_name_from_smb(u, n, true);
		g_assert_cmpstr(s, ==, names[i]);
		g_free(s);
		g_free(u);
	}
	/* Specific code points: ':' -> U+F022, trailing '.' -> U+F029. */
	u = sf_path_to_smb("a:.", true, &n, &err);
	g_assert_cmpuint(n, ==, 6);
	g_assert_cmpuint(u[2] | (u[3] << 8), ==, 0xF022);
	g_assert_cmpuint(u[4] | (u[5] << 8), ==, 0xF029);
	g_free(u);
}

static void test_names_from_server(void)
{
	const uint8_t slash[] = {'a', 0, '/', 0, 'b', 0};
	const uint8_t nul[] = {'a', 0, 0, 0};
	const uint8_t dot[] = {'.', 0};
	const uint8_t dotdot[] = {'.', 0, '.', 0};
	const uint8_t ok[] = {'.', 0, 'g', 0, 'i', 0, 't', 0};
	g_assert_null(sf_name_from_smb(slash, sizeof slash, false));
	g_assert_null(sf_name_from_smb(nul, sizeof nul, false));
	g_assert_null(sf_name_from_smb(dot, sizeof dot, false));
	g_assert_null(sf_name_from_smb(dotdot, sizeof dotdot, false));
	g_assert_null(sf_name_from_smb(ok, 0, false));
	char *s = sf_name_from_smb(ok, sizeof ok, false);
	g_assert_cmpstr(s, ==, ".git");
	g_free(s);
}

static void test_filetime(void)
{
	/* 1970-01-01 is 116444736000000000 ticks. */
	struct timespec ts = sf_filetime_to_timespec(116444736000000000ULL);
	g_assert_cmpint(ts.tv_sec, ==, 0);
	g_assert_cmpint(ts.tv_nsec, ==, 0);
	ts = sf_filetime_to_timespec(116444736000000000ULL + 12345678);
	g_assert_cmpint(ts.tv_sec, ==, 1);
	g_assert_cmpint(ts.tv_nsec, ==, 234567800);
	/* Before 1970: 1969-12-31 23:59:59.5 */
	ts = sf_filetime_to_timespec(116444736000000000ULL - 5000000);
	g_assert_cmpint(ts.tv_sec, ==, -1);
	g_assert_cmpint(ts.tv_nsec, ==, 500000000);
	struct timespec in = {.tv_sec = -1, .tv_nsec = 500000000};
	g_assert_cmpuint(sf_timespec_to_filetime(in), ==, 116444736000000000ULL - 5000000);
	/* 1601 and earlier clamp to 1; 0 is never produced. */
	in.tv_sec = -(time_t)SF_FILETIME_UNIX_EPOCH;
	in.tv_nsec = 0;
	g_assert_cmpuint(sf_timespec_to_filetime(in), ==, 1);
	in.tv_sec = -(time_t)SF_FILETIME_UNIX_EPOCH - 100;
	g_assert_cmpuint(sf_timespec_to_filetime(in), ==, 1);
	/* Far future: clamps instead of wrapping. */
	in.tv_sec = (time_t)INT64_MAX / 2;
	g_assert_cmpuint(sf_timespec_to_filetime(in), ==, UINT64_MAX - 1);
	ts = sf_filetime_to_timespec(UINT64_MAX);
	g_assert_cmpint(ts.tv_sec, >, 0);
	g_assert_cmpint(ts.tv_nsec, <, 1000000000);
	/* Round trip at 100 ns resolution. */
	in.tv_sec = 1700000000;
	in.tv_nsec = 123456700;
	ts = sf_filetime_to_timespec(sf_timespec_to_filetime(in));
	g_assert_cmpint(ts.tv_sec, ==, in.tv_sec);
	g_assert_cmpint(ts.tv_nsec, ==, in.tv_nsec);
	ts = sf_filetime_to_timespec(0);
	g_assert_cmpint(ts.tv_sec, ==, 0);
}

/* Non-ASCII names whose code points end in the byte of a forbidden ASCII
 * character (or 0) are names like any other, with and without mapposix;
 * the ASCII characters themselves are still refused or mapped. */
static void test_non_ascii_names(void)
{
	static const char *ok[] = {
	        "Документ.txt", /* U+043A .. */
	        "Zażółć gęślą jaźń",
	        "一二三",
	        "\xF0\x9F\x98\x80", /* U+1F600: low 16 bits 0xF600, low byte 0 */
	        "\xC4\xBE",         /* U+013E: low byte '>' */
	        "\xC4\x80",         /* U+0100: low byte 0 */
	        ("a\xE3\x80\x80"
	         "b"),                       /* U+3000 ideographic space */
	        "\xEF\x80\xA2 mapped colon", /* U+F022, what mapposix stores for ':' */
	        "\xC4\xBA\xC4\xAA\xC5\xBC",  /* U+013A U+012A U+017C: low bytes ':' '*' '|' */
	};
	for (size_t i = 0; i < G_N_ELEMENTS(ok); i++) {
		for (int mp = 0; mp < 2; mp++) {
			size_t n;
			int err = 0;
			uint8_t *u = sf_path_to_smb(ok[i], mp, &n, &err);
			g_assert_nonnull(u);
			g_assert_cmpint(err, ==, 0);
			char *back = sf_name_from_smb(u, n, false);
			g_assert_cmpstr(back, ==, ok[i]);
			g_free(back);
			g_free(u);
		}
	}
	static const char *bad[] = {"a:b", "a*b", "a?b",  "a\"b",  "a<b",
	                            "a>b", "a|b", "a\\b", "a\001b"};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		size_t n;
		int err = 0;
		g_assert_null(sf_path_to_smb(bad[i], false, &n, &err));
		g_assert_cmpint(err, ==, EINVAL);
		uint8_t *u = sf_path_to_smb(bad[i], true, &n, &err);
		g_assert_nonnull(u); /* mapposix maps it into U+F0xx */
		g_assert_cmpuint(sf_le16(u + 2), >=, 0xF000);
		g_free(u);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/utf16/round_trip", test_round_trip);
	g_test_add_func("/utf16/reject_bad_utf8", test_reject_bad_utf8);
	g_test_add_func("/utf16/reject_bad_utf16", test_reject_bad_utf16);
	g_test_add_func("/utf16/paths", test_paths);
	g_test_add_func("/utf16/names_from_server", test_names_from_server);
	g_test_add_func("/utf16/non_ascii_names", test_non_ascii_names);
	g_test_add_func("/timeconv/filetime", test_filetime);
	return g_test_run();
}
