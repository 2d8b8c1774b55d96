/*
 * test_buffer.c: unit tests of the capped, growable text buffer
 * (include/treasury/buffer.h): growth, the cap, the all-or-nothing rule
 * of textbuf_append and textbuf_printf, NUL termination, truncate, free.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "treasury/buffer.h"

static void
test_init_allocates_nothing(void **state)
{
	struct textbuf b;

	(void)state;
	textbuf_init(&b, 100);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_int_equal(b.max, 100);
	assert_int_equal(textbuf_append(&b, NULL, 0), TREASURY_OK);
	assert_null(b.data);
	textbuf_free(&b);	/* freeing an empty buffer is fine */
}

static void
test_append_grows_and_terminates(void **state)
{
	struct textbuf b;
	char want[5000];

	(void)state;
	textbuf_init(&b, sizeof(want));
	for (size_t i = 0; i < sizeof(want); i++) {
		want[i] = (char)('a' + i % 26);
		assert_int_equal(textbuf_append(&b, &want[i], 1), TREASURY_OK);
		assert_int_equal(b.len, i + 1);
		assert_int_equal(b.data[b.len], '\0');
		assert_true(b.cap > b.len && b.cap <= b.max + 1);
	}
	assert_memory_equal(b.data, want, sizeof(want));
	textbuf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len + b.cap, 0);
	assert_int_equal(b.max, sizeof(want));
}

static void
test_cap_is_all_or_nothing(void **state)
{
	struct textbuf b;

	(void)state;
	textbuf_init(&b, 8);
	assert_int_equal(textbuf_append(&b, "12345", 5), TREASURY_OK);
	assert_int_equal(textbuf_append(&b, "6789", 4), TREASURY_ERR_TOO_LARGE);
	assert_int_equal(b.len, 5);
	assert_string_equal(b.data, "12345");
	assert_int_equal(textbuf_append(&b, "678", 3), TREASURY_OK);	/* = max */
	assert_string_equal(b.data, "12345678");
	assert_int_equal(b.cap, 9);
	assert_int_equal(textbuf_append(&b, "9", 1), TREASURY_ERR_TOO_LARGE);
	assert_int_equal(textbuf_append(&b, "", 0), TREASURY_OK);
	assert_string_equal(b.data, "12345678");
	textbuf_free(&b);
}

static void
test_printf(void **state)
{
	struct textbuf b;

	(void)state;
	textbuf_init(&b, 16);
	assert_int_equal(textbuf_printf(&b, "%s=%u", "n", 42u), TREASURY_OK);
	assert_int_equal(textbuf_printf(&b, "%s", ""), TREASURY_OK);
	assert_int_equal(textbuf_printf(&b, ";%05d", -12), TREASURY_OK);
	assert_string_equal(b.data, "n=42;-0012");
	assert_int_equal(b.len, 10);
	/* 7 more bytes would pass 16: nothing of them is written */
	assert_int_equal(textbuf_printf(&b, "%s", "abcdefg"),
	    TREASURY_ERR_TOO_LARGE);
	assert_int_equal(b.len, 10);
	assert_string_equal(b.data, "n=42;-0012");
	assert_int_equal(textbuf_printf(&b, "%6s", "abc"), TREASURY_OK);
	assert_string_equal(b.data, "n=42;-0012   abc");
	textbuf_free(&b);
}

static void
test_printf_grows_past_first_block(void **state)
{
	struct textbuf b;
	char want[1001];

	(void)state;
	memset(want, 'x', sizeof(want) - 1);
	want[sizeof(want) - 1] = '\0';
	textbuf_init(&b, 2000);
	assert_int_equal(textbuf_printf(&b, "<%s>", want), TREASURY_OK);
	assert_int_equal(b.len, 1002);
	assert_int_equal(b.data[0], '<');
	assert_int_equal(b.data[1001], '>');
	assert_int_equal(b.data[1002], '\0');
	textbuf_free(&b);
}

static void
test_truncate(void **state)
{
	struct textbuf b;
	size_t cap;

	(void)state;
	textbuf_init(&b, 64);
	assert_int_equal(textbuf_append(&b, "keep", 4), TREASURY_OK);
	assert_int_equal(textbuf_append(&b, " undo", 5), TREASURY_OK);
	cap = b.cap;
	textbuf_truncate(&b, 4);
	assert_string_equal(b.data, "keep");
	assert_int_equal(b.cap, cap);	/* memory kept */
	textbuf_truncate(&b, 0);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	textbuf_free(&b);
	textbuf_init(&b, 4);
	textbuf_truncate(&b, 0);	/* nothing allocated yet */
	assert_null(b.data);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_allocates_nothing),
		cmocka_unit_test(test_append_grows_and_terminates),
		cmocka_unit_test(test_cap_is_all_or_nothing),
		cmocka_unit_test(test_printf),
		cmocka_unit_test(test_printf_grows_past_first_block),
		cmocka_unit_test(test_truncate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
