/* test_bytes.c - the bounds-checked reader/writer and span arithmetic. */
#include "util/bytes.h"

#include <glib.h>
#include <string.h>

static void test_read_le(void)
{
	const uint8_t b[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	                     0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
	struct sf_rd r;
	sf_rd_init(&r, b, sizeof b);
	g_assert_cmpuint(sf_rd_u8(&r), ==, 0x01);
	g_assert_cmpuint(sf_rd_u16(&r), ==, 0x0302);
	g_assert_cmpuint(sf_rd_u32(&r), ==, 0x07060504);
	g_assert_cmpuint(sf_rd_u64(&r), ==, 0x0f0e0d0c0b0a0908ULL);
	g_assert_true(sf_rd_ok(&r));
	g_assert_cmpuint(sf_rd_left(&r), ==, 0);
}

static void test_read_past_end_is_sticky(void)
{
	const uint8_t b[] = {0xff, 0xff, 0xff};
	struct sf_rd r;
	sf_rd_init(&r, b, sizeof b);
	g_assert_cmpuint(sf_rd_u32(&r), ==, 0); /* 3 bytes left, 4 wanted */
	g_assert_false(sf_rd_ok(&r));
	/* Once failed, even an in-bounds read returns 0. */
	g_assert_cmpuint(sf_rd_u8(&r), ==, 0);
	g_assert_false(sf_rd_ok(&r));
	uint8_t out[4] = {1, 1, 1, 1};
	sf_rd_copy(&r, out, 4);
	g_assert_cmpuint(out[0] | out[1] | out[2] | out[3], ==, 0);
}

static void test_read_at_and_seek(void)
{
	const uint8_t b[8] = {0, 1, 2, 3, 4, 5, 6, 7};
	struct sf_rd r;
	sf_rd_init(&r, b, sizeof b);
	g_assert_nonnull(sf_rd_at(&r, 8, 0)); /* empty span at the end is fine */
	g_assert_true(sf_rd_ok(&r));
	g_assert_nonnull(sf_rd_at(&r, 4, 4));
	g_assert_null(sf_rd_at(&r, 5, 4));
	g_assert_false(sf_rd_ok(&r));
	sf_rd_init(&r, b, sizeof b);
	g_assert_null(sf_rd_at(&r, SIZE_MAX, 2)); /* offset+len would wrap */
	sf_rd_init(&r, b, sizeof b);
	sf_rd_seek(&r, 9);
	g_assert_false(sf_rd_ok(&r));
	sf_rd_init(&r, NULL, 100); /* NULL buffer reads as empty */
	g_assert_null(sf_rd_ptr(&r, 1));
}

static void test_span(void)
{
	g_assert_true(sf_span_ok(0, 0, 0));
	g_assert_true(sf_span_ok(10, 0, 10));
	g_assert_false(sf_span_ok(11, 0, 10));
	g_assert_false(sf_span_ok(1, SIZE_MAX, 10));
	g_assert_false(sf_span_ok(SIZE_MAX, 1, 10));
	g_assert_false(sf_span_ok_from(64, 63, 1, 100));
	g_assert_true(sf_span_ok_from(64, 64, 36, 100));
	g_assert_cmpuint(sf_align_up(0, 8), ==, 0);
	g_assert_cmpuint(sf_align_up(9, 8), ==, 16);
	g_assert_cmpuint(sf_align_up(SIZE_MAX - 2, 8), ==, SIZE_MAX);
}

static void test_write_fixed(void)
{
	uint8_t b[7];
	struct sf_wr w;
	sf_wr_init(&w, b, sizeof b);
	sf_wr_u16(&w, 0xbeef);
	sf_wr_u32(&w, 0x01020304);
	g_assert_true(sf_wr_ok(&w));
	sf_wr_u16(&w, 1); /* one byte left: overflow */
	g_assert_false(sf_wr_ok(&w));
	g_assert_cmpuint(w.pos, ==, 6);
	g_assert_cmpuint(b[0], ==, 0xef);
	g_assert_cmpuint(b[5], ==, 0x01);
}

static void test_write_grow_patch_align(void)
{
	struct sf_wr w;
	sf_wr_init_grow(&w, 1);
	size_t off = sf_wr_reserve(&w, 4);
	sf_wr_u8(&w, 0xaa);
	sf_wr_align(&w, 8);
	g_assert_cmpuint(w.pos, ==, 8);
	for (int i = 0; i < 1000; i++)
		sf_wr_u64(&w, (uint64_t)i);
	sf_wr_patch_u32(&w, off, 0xdeadbeef);
	sf_wr_patch_u32(&w, w.pos - 2, 1); /* straddles the end: error */
	g_assert_false(sf_wr_ok(&w));
	size_t len;
	g_assert_null(sf_wr_steal(&w, &len));

	sf_wr_init_grow(&w, 16);
	off = sf_wr_reserve(&w, 2);
	sf_wr_be32(&w, 0x01020304);
	sf_wr_patch_u16(&w, off, 0x1234);
	uint8_t *buf = sf_wr_steal(&w, &len);
	g_assert_nonnull(buf);
	g_assert_cmpuint(len, ==, 6);
	const uint8_t want[] = {0x34, 0x12, 1, 2, 3, 4};
	g_assert_cmpmem(buf, len, want, sizeof want);
	g_free(buf);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/bytes/read_le", test_read_le);
	g_test_add_func("/bytes/read_past_end_is_sticky", test_read_past_end_is_sticky);
	g_test_add_func("/bytes/read_at_and_seek", test_read_at_and_seek);
	g_test_add_func("/bytes/span", test_span);
	g_test_add_func("/bytes/write_fixed", test_write_fixed);
	g_test_add_func("/bytes/write_grow_patch_align", test_write_grow_patch_align);
	return g_test_run();
}
