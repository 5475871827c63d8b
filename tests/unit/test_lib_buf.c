/*
 * DOC: unit tests for src/lib/buf.c: every getter at and past its end, the
 * sticky error, sub-readers, fixed and growable writers, patching.
 */
#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <tabby/buf.h>

static const uint8_t bytes9[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09};

static void test_reader_values(void **state)
{
	struct buf_reader r;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	(void)state;
	buf_reader_init(&r, bytes9, sizeof(bytes9));
	assert_int_equal(buf_remaining(&r), 9);
	assert_ptr_equal(buf_cursor(&r), bytes9);
	assert_int_equal(buf_get_u8(&r, &u8), 0);
	assert_int_equal(u8, 0x01);
	assert_int_equal(buf_get_u16(&r, &u16), 0);
	assert_int_equal(u16, 0x0203);
	assert_int_equal(buf_get_u24(&r, &u32), 0);
	assert_int_equal(u32, 0x040506);
	assert_ptr_equal(buf_cursor(&r), bytes9 + 6);
	assert_int_equal(buf_get_u24(&r, &u32), 0);
	assert_int_equal(u32, 0x070809);
	assert_int_equal(buf_remaining(&r), 0);
	assert_true(buf_reader_ok(&r));

	buf_reader_init(&r, bytes9, sizeof(bytes9));
	assert_int_equal(buf_get_u32(&r, &u32), 0);
	assert_int_equal(u32, 0x01020304);
	buf_reader_init(&r, bytes9 + 1, 8);
	assert_int_equal(buf_get_u64(&r, &u64), 0);
	assert_true(u64 == 0x0203040506070809ULL);
	assert_true(buf_reader_ok(&r));
}

/*
 * For each getter of width w: with w-1 bytes left it fails, leaves the output
 * and the position untouched, and sets the sticky error.
 */
static void test_reader_short_every_getter(void **state)
{
	struct buf_reader r;
	uint8_t u8 = 0xaa, dst[4] = {0xaa, 0xaa, 0xaa, 0xaa};
	uint16_t u16 = 0xaaaa;
	uint32_t u32 = 0xaaaaaaaa;
	uint64_t u64 = 0xaaaaaaaaaaaaaaaaULL;

	(void)state;
	buf_reader_init(&r, bytes9, 0);
	assert_int_equal(buf_get_u8(&r, &u8), -1);
	assert_int_equal(u8, 0xaa);
	assert_false(buf_reader_ok(&r));

	buf_reader_init(&r, bytes9, 1);
	assert_int_equal(buf_get_u16(&r, &u16), -1);
	assert_int_equal(u16, 0xaaaa);
	assert_int_equal(buf_remaining(&r), 1);
	assert_false(buf_reader_ok(&r));

	buf_reader_init(&r, bytes9, 2);
	assert_int_equal(buf_get_u24(&r, &u32), -1);
	assert_int_equal(u32, 0xaaaaaaaa);
	assert_int_equal(buf_remaining(&r), 2);
	assert_false(buf_reader_ok(&r));

	buf_reader_init(&r, bytes9, 3);
	assert_int_equal(buf_get_u32(&r, &u32), -1);
	assert_int_equal(u32, 0xaaaaaaaa);
	assert_int_equal(buf_remaining(&r), 3);
	assert_false(buf_reader_ok(&r));

	buf_reader_init(&r, bytes9, 7);
	assert_int_equal(buf_get_u64(&r, &u64), -1);
	assert_true(u64 == 0xaaaaaaaaaaaaaaaaULL);
	assert_int_equal(buf_remaining(&r), 7);
	assert_false(buf_reader_ok(&r));

	buf_reader_init(&r, bytes9, 3);
	assert_int_equal(buf_get_bytes(&r, dst, 4), -1);
	assert_int_equal(dst[0], 0xaa);
	assert_int_equal(buf_remaining(&r), 3);
	assert_false(buf_reader_ok(&r));

	buf_reader_init(&r, bytes9, 3);
	assert_int_equal(buf_skip(&r, 4), -1);
	assert_int_equal(buf_remaining(&r), 3);
	assert_false(buf_reader_ok(&r));

	/* a huge length must not wrap around the position */
	buf_reader_init(&r, bytes9, 3);
	assert_int_equal(buf_get_u8(&r, &u8), 0);
	assert_int_equal(buf_skip(&r, SIZE_MAX), -1);
	assert_int_equal(buf_remaining(&r), 2);
}

static void test_reader_exact_end(void **state)
{
	struct buf_reader r;
	uint8_t dst[9];

	(void)state;
	buf_reader_init(&r, bytes9, 9);
	assert_int_equal(buf_get_bytes(&r, dst, 9), 0);
	assert_memory_equal(dst, bytes9, 9);
	assert_int_equal(buf_get_bytes(&r, dst, 0), 0); /* zero bytes at the end is fine */
	assert_int_equal(buf_skip(&r, 0), 0);
	assert_true(buf_reader_ok(&r));
	buf_reader_init(&r, bytes9, 9);
	assert_int_equal(buf_skip(&r, 9), 0);
	assert_int_equal(buf_remaining(&r), 0);
	assert_true(buf_reader_ok(&r));
	buf_reader_init(&r, NULL, 5); /* no data means no bytes */
	assert_int_equal(buf_remaining(&r), 0);
	assert_null(buf_cursor(&r));
}

static void test_reader_peek(void **state)
{
	struct buf_reader r;
	uint8_t u8 = 0;
	uint16_t u16 = 0;

	(void)state;
	buf_reader_init(&r, bytes9, 2);
	assert_int_equal(buf_peek_u8(&r, &u8), 0);
	assert_int_equal(u8, 1);
	assert_int_equal(buf_peek_u16(&r, &u16), 0);
	assert_int_equal(u16, 0x0102);
	assert_int_equal(buf_remaining(&r), 2); /* peeking consumes nothing */
	buf_reader_init(&r, bytes9, 1);
	u16 = 0xaaaa;
	assert_int_equal(buf_peek_u16(&r, &u16), -1);
	assert_int_equal(u16, 0xaaaa);
	buf_reader_init(&r, bytes9, 0);
	u8 = 0xaa;
	assert_int_equal(buf_peek_u8(&r, &u8), -1);
	assert_int_equal(u8, 0xaa);
}

static void test_reader_sticky(void **state)
{
	struct buf_reader r;
	uint32_t u32;
	uint16_t u16;
	uint8_t u8;

	(void)state;
	buf_reader_init(&r, bytes9, 5);
	assert_int_equal(buf_get_u32(&r, &u32), 0);
	assert_int_equal(buf_get_u16(&r, &u16), -1);
	assert_false(buf_reader_ok(&r));
	/* later reads that fit still work, but the error stays */
	assert_int_equal(buf_get_u8(&r, &u8), 0);
	assert_int_equal(u8, 5);
	assert_false(buf_reader_ok(&r));
}

static void test_reader_sub(void **state)
{
	struct buf_reader r, sub;
	uint16_t u16;
	uint8_t u8;

	(void)state;
	buf_reader_init(&r, bytes9, 9);
	assert_int_equal(buf_get_u8(&r, &u8), 0);
	assert_int_equal(buf_sub(&r, 3, &sub), 0);
	assert_int_equal(buf_remaining(&r), 5);
	assert_int_equal(buf_remaining(&sub), 3);
	assert_int_equal(buf_get_u16(&sub, &u16), 0);
	assert_int_equal(u16, 0x0203);
	/* the sub-reader ends at its field, even though the parent goes on */
	assert_int_equal(buf_get_u16(&sub, &u16), -1);
	assert_false(buf_reader_ok(&sub));
	assert_true(buf_reader_ok(&r)); /* a sub-reader's error stays its own */
	assert_int_equal(buf_get_u8(&r, &u8), 0);
	assert_int_equal(u8, 5);

	/* a sub-reader longer than the rest fails, and the output reads nothing */
	assert_int_equal(buf_sub(&r, 5, &sub), -1);
	assert_false(buf_reader_ok(&r));
	assert_int_equal(buf_remaining(&r), 4);
	assert_int_equal(buf_remaining(&sub), 0);
	assert_false(buf_reader_ok(&sub));
	assert_int_equal(buf_get_u8(&sub, &u8), -1);

	/* zero-length sub-reader at the very end */
	buf_reader_init(&r, bytes9, 9);
	assert_int_equal(buf_skip(&r, 9), 0);
	assert_int_equal(buf_sub(&r, 0, &sub), 0);
	assert_int_equal(buf_remaining(&sub), 0);
	assert_true(buf_reader_ok(&sub));
}

static void test_writer_fixed(void **state)
{
	uint8_t mem[16];
	const uint8_t want[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	                        0x09, 0x0a, 0x00, 0x00, 0xde, 0xad, 0xbe, 0xef};
	struct buf_writer w;

	(void)state;
	buf_writer_init_fixed(&w, mem, sizeof(mem));
	assert_int_equal(buf_put_u8(&w, 0x01), 0);
	assert_int_equal(buf_put_u16(&w, 0x0203), 0);
	assert_int_equal(buf_put_u24(&w, 0x040506), 0);
	assert_int_equal(buf_put_u32(&w, 0x0708090a), 0);
	assert_int_equal(buf_put_zero(&w, 2), 0);
	assert_int_equal(buf_put_bytes(&w, "\xde\xad\xbe\xef", 4), 0);
	assert_int_equal(w.len, 16);
	assert_true(buf_writer_ok(&w));
	assert_memory_equal(mem, want, 16);
	assert_null(buf_writer_steal(&w, &(size_t){0})); /* a fixed writer owns nothing */
}

static void test_writer_fixed_overflow(void **state)
{
	uint8_t mem[8 + 1];
	struct buf_writer w;

	(void)state;
	/* each writer of width n into a buffer with n-1 bytes left */
	mem[8] = 0x5a; /* guard byte past the capacity */
	buf_writer_init_fixed(&w, mem, 8);
	assert_int_equal(buf_put_zero(&w, 7), 0);
	assert_int_equal(buf_put_u16(&w, 0xffff), -ENOSPC);
	assert_false(buf_writer_ok(&w));
	assert_int_equal(w.len, 7);
	/* after the error everything is dropped, even what would fit */
	assert_int_equal(buf_put_u8(&w, 0xff), -ENOSPC);
	assert_int_equal(w.len, 7);
	assert_int_equal(mem[8], 0x5a);

	buf_writer_reset(&w);
	assert_true(buf_writer_ok(&w));
	assert_int_equal(buf_put_zero(&w, 6), 0);
	assert_int_equal(buf_put_u24(&w, 1), -ENOSPC);
	buf_writer_reset(&w);
	assert_int_equal(buf_put_zero(&w, 5), 0);
	assert_int_equal(buf_put_u32(&w, 1), -ENOSPC);
	buf_writer_reset(&w);
	assert_int_equal(buf_put_zero(&w, 1), 0);
	assert_int_equal(buf_put_u64(&w, 1), -ENOSPC);
	buf_writer_reset(&w);
	assert_int_equal(buf_put_zero(&w, 8), 0);
	assert_int_equal(buf_put_u8(&w, 1), -ENOSPC);
	buf_writer_reset(&w);
	assert_int_equal(buf_put_bytes(&w, bytes9, 9), -ENOSPC);
	buf_writer_reset(&w);
	assert_int_equal(buf_put_zero(&w, 9), -ENOSPC);
	buf_writer_reset(&w);
	assert_int_equal(buf_put_u8(&w, 1), 0);
	assert_int_equal(buf_put_bytes(&w, bytes9, SIZE_MAX), -ENOSPC); /* no wrap-around */
	assert_int_equal(mem[8], 0x5a);

	/* a u24 that does not fit 24 bits is an error, not a silent truncation */
	buf_writer_reset(&w);
	assert_int_equal(buf_put_u24(&w, 0x1000000), -ERANGE);
	assert_false(buf_writer_ok(&w));

	/* a zero-capacity writer */
	buf_writer_init_fixed(&w, NULL, 10);
	assert_int_equal(buf_put_u8(&w, 1), -ENOSPC);
}

static void test_writer_growable(void **state)
{
	struct buf_writer w;
	struct buf_reader r;
	uint32_t u32;
	uint8_t *data;
	size_t len = 0;

	(void)state;
	buf_writer_init(&w, 0);
	for (uint32_t i = 0; i < 1000; i++)
		assert_int_equal(buf_put_u32(&w, i), 0);
	assert_true(buf_writer_ok(&w));
	assert_int_equal(w.len, 4000);
	buf_reader_init(&r, w.data, w.len);
	for (uint32_t i = 0; i < 1000; i++) {
		assert_int_equal(buf_get_u32(&r, &u32), 0);
		assert_int_equal(u32, i);
	}
	data = buf_writer_steal(&w, &len);
	assert_non_null(data);
	assert_int_equal(len, 4000);
	assert_null(w.data);
	assert_int_equal(w.len, 0);
	free(data);
	buf_writer_free(&w);

	buf_writer_init(&w, 2);
	assert_int_equal(buf_put_bytes(&w, bytes9, 9), 0);
	assert_memory_equal(w.data, bytes9, 9);
	buf_writer_reset(&w);
	assert_int_equal(w.len, 0);
	assert_int_equal(buf_put_u8(&w, 7), 0);
	assert_int_equal(w.data[0], 7);
	/* growing past SIZE_MAX is refused without wrapping */
	assert_int_equal(buf_put_bytes(&w, bytes9, SIZE_MAX), -ENOSPC);
	assert_false(buf_writer_ok(&w));
	assert_null(buf_writer_steal(&w, &len)); /* NULL after an error */
	buf_writer_free(&w);

	buf_writer_init(&w, 16); /* steal of an empty writer gives a freeable pointer */
	data = buf_writer_steal(&w, &len);
	assert_non_null(data);
	assert_int_equal(len, 0);
	free(data);
	buf_writer_free(&w);
}

static void test_writer_patch(void **state)
{
	uint8_t mem[8];
	struct buf_writer w;

	(void)state;
	buf_writer_init_fixed(&w, mem, sizeof(mem));
	assert_int_equal(buf_put_u16(&w, 0), 0); /* length placeholder */
	assert_int_equal(buf_put_u8(&w, 0), 0);
	assert_int_equal(buf_put_bytes(&w, "abc", 3), 0);
	assert_int_equal(buf_patch_u16(&w, 0, (uint16_t)(w.len - 2)), 0);
	assert_int_equal(buf_patch_u8(&w, 2, 0x42), 0);
	assert_memory_equal(mem,
	                    "\x00\x04\x42"
	                    "abc",
	                    6);
	assert_int_equal(buf_patch_u16(&w, 4, 0xffff), 0); /* last two written bytes */
	assert_true(buf_writer_ok(&w));
	/* patching bytes not yet written fails */
	assert_int_equal(buf_patch_u16(&w, 5, 1), -ERANGE);
	assert_false(buf_writer_ok(&w));
	buf_writer_reset(&w);
	assert_int_equal(buf_patch_u8(&w, 0, 1), -ERANGE);
	buf_writer_reset(&w);
	assert_int_equal(buf_put_u8(&w, 1), 0);
	assert_int_equal(buf_patch_u8(&w, SIZE_MAX, 1), -ERANGE);
	buf_writer_reset(&w);
	assert_int_equal(buf_put_u8(&w, 1), 0);
	assert_int_equal(buf_patch_u16(&w, SIZE_MAX, 1), -ERANGE);
	assert_int_equal(buf_patch_u16(&w, 0, 1), -ENOSPC); /* sticky */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reader_values),
	    cmocka_unit_test(test_reader_short_every_getter),
	    cmocka_unit_test(test_reader_exact_end),
	    cmocka_unit_test(test_reader_peek),
	    cmocka_unit_test(test_reader_sticky),
	    cmocka_unit_test(test_reader_sub),
	    cmocka_unit_test(test_writer_fixed),
	    cmocka_unit_test(test_writer_fixed_overflow),
	    cmocka_unit_test(test_writer_growable),
	    cmocka_unit_test(test_writer_patch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
