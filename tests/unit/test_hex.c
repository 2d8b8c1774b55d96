/*
 * test_hex.c: unit tests of hex_encode, hex_decode and hex_decode_var
 * (include/treasury/hex.h), including every error path.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "treasury/hex.h"

static void
test_encode_lower(void **state)
{
	static const uint8_t in[] = { 0x00, 0x01, 0xab, 0xcd, 0xef, 0xff, 0x9a };
	char out[2 * sizeof(in) + 1];

	(void)state;
	memset(out, 'X', sizeof(out));
	hex_encode(out, in, sizeof(in));
	assert_string_equal(out, "0001abcdefff9a");
}

static void
test_encode_empty(void **state)
{
	char out[1] = { 'X' };

	(void)state;
	hex_encode(out, NULL, 0);
	assert_int_equal(out[0], '\0');
}

static void
test_decode_mixed_case(void **state)
{
	static const uint8_t want[] = { 0xab, 0xcd, 0xef, 0x01, 0x9f };
	uint8_t out[5];

	(void)state;
	assert_int_equal(hex_decode(out, sizeof(out), "AbCdEF019f", 10),
	    TREASURY_OK);
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(hex_decode(out, sizeof(out), "ABCDEF019F", 10),
	    TREASURY_OK);
	assert_memory_equal(out, want, sizeof(want));
}

static void
test_decode_roundtrip(void **state)
{
	uint8_t in[256], back[256];
	char text[2 * sizeof(in) + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)i;
	hex_encode(text, in, sizeof(in));
	assert_int_equal(strlen(text), 2 * sizeof(in));
	assert_int_equal(hex_decode(back, sizeof(back), text, strlen(text)),
	    TREASURY_OK);
	assert_memory_equal(in, back, sizeof(in));
}

static void
test_decode_empty(void **state)
{
	uint8_t out[1];

	(void)state;
	assert_int_equal(hex_decode(out, 0, "", 0), TREASURY_OK);
	assert_int_equal(hex_decode(out, 1, "", 0), TREASURY_ERR_HEX_LENGTH);
}

static void
test_decode_length(void **state)
{
	uint8_t out[4];

	(void)state;
	/* Odd length, too short, too long: the length is checked first. */
	assert_int_equal(hex_decode(out, 2, "abc", 3), TREASURY_ERR_HEX_LENGTH);
	assert_int_equal(hex_decode(out, 2, "ab", 2), TREASURY_ERR_HEX_LENGTH);
	assert_int_equal(hex_decode(out, 2, "abcdef", 6),
	    TREASURY_ERR_HEX_LENGTH);
	assert_int_equal(hex_decode(out, 2, "zzz", 3), TREASURY_ERR_HEX_LENGTH);
	/* text_len counts; a longer string is not looked at past it. */
	assert_int_equal(hex_decode(out, 2, "abcdzz", 4), TREASURY_OK);
}

static void
test_decode_chars(void **state)
{
	static const char *const bad[] = {
		"0g", "g0", "0G", " 0", "0 ", "-1", "+1", "0x", "\xff" "0",
		"/0", ":0", "@0", "`0", "0\x7f",
	};
	uint8_t out[1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(hex_decode(out, 1, bad[i], 2),
		    TREASURY_ERR_HEX_CHAR);
	/* An embedded NUL is a bad character, not an end. */
	assert_int_equal(hex_decode(out, 1, "0\0", 2), TREASURY_ERR_HEX_CHAR);
}

static void
test_decode_var(void **state)
{
	static const uint8_t want[] = { 0x30, 0x06, 0xff };
	uint8_t out[4];
	size_t n = 99;

	(void)state;
	assert_int_equal(hex_decode_var(out, sizeof(out), &n, "3006FF", 6),
	    TREASURY_OK);
	assert_int_equal(n, 3);
	assert_memory_equal(out, want, 3);
	assert_int_equal(hex_decode_var(out, sizeof(out), &n, "00112233", 8),
	    TREASURY_OK);
	assert_int_equal(n, 4);
}

static void
test_decode_var_errors(void **state)
{
	uint8_t out[4];
	size_t n = 99;

	(void)state;
	assert_int_equal(hex_decode_var(out, sizeof(out), &n, "", 0),
	    TREASURY_ERR_HEX_LENGTH);
	assert_int_equal(hex_decode_var(out, sizeof(out), &n, "abc", 3),
	    TREASURY_ERR_HEX_LENGTH);
	assert_int_equal(hex_decode_var(out, sizeof(out), &n, "0011223344", 10),
	    TREASURY_ERR_HEX_LENGTH);
	assert_int_equal(hex_decode_var(out, sizeof(out), &n, "001x", 4),
	    TREASURY_ERR_HEX_CHAR);
	assert_int_equal(n, 99);	/* untouched on error */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_lower),
		cmocka_unit_test(test_encode_empty),
		cmocka_unit_test(test_decode_mixed_case),
		cmocka_unit_test(test_decode_roundtrip),
		cmocka_unit_test(test_decode_empty),
		cmocka_unit_test(test_decode_length),
		cmocka_unit_test(test_decode_chars),
		cmocka_unit_test(test_decode_var),
		cmocka_unit_test(test_decode_var_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
