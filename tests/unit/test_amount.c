/*
 * test_amount.c: unit tests of core/amount.c, exact money amounts.
 *
 * Every error code of amount_parse in its documented order, the 128-bit
 * limits at 0 and 18 decimals, formatting with exact buffer sizes, the
 * minor-unit text used by storage, and checked addition.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "treasury/amount.h"

#define U128_MAX_TEXT "340282366920938463463374607431768211455"
#define U128_MAX_PLUS_ONE_TEXT "340282366920938463463374607431768211456"

static const amount_minor SENTINEL = 0x5eed;

/* Parse NUL-terminated text and return the error; *out keeps SENTINEL on
 * failure, which checks that nothing is written then. */
static treasury_err
parse(const char *text, unsigned decimals, amount_minor *out)
{
	*out = SENTINEL;
	return amount_parse(text, strlen(text), decimals, out);
}

static void
expect_parse_err(const char *text, unsigned decimals, treasury_err want)
{
	amount_minor v;
	treasury_err err;

	err = parse(text, decimals, &v);
	if (err != want)
		print_error("amount \"%s\" at %u decimals: got %s, want %s\n",
		    text, decimals, treasury_err_name(err),
		    treasury_err_name(want));
	assert_int_equal(err, want);
	assert_true(v == SENTINEL);
}

static void
expect_parse_ok(const char *text, unsigned decimals, amount_minor want)
{
	amount_minor v;
	treasury_err err;

	err = parse(text, decimals, &v);
	if (err != TREASURY_OK)
		print_error("amount \"%s\" at %u decimals: %s\n", text,
		    decimals, treasury_err_name(err));
	assert_int_equal(err, TREASURY_OK);
	assert_true(v == want);
}

static amount_minor
pow10_minor(unsigned e)
{
	amount_minor v = 1;

	while (e-- > 0)
		v *= 10;
	return v;
}

static void
expect_format(amount_minor value, unsigned decimals, const char *want)
{
	char out[AMOUNT_FORMAT_MAX_BYTES];

	assert_int_equal(amount_format(value, decimals, out, sizeof(out)),
	    TREASURY_OK);
	assert_string_equal(out, want);
}

/* ---- amount_parse: accepted values ---- */

static void
test_parse_plain_values(void **state)
{
	(void)state;
	expect_parse_ok("1500", 6, (amount_minor)1500000000);
	expect_parse_ok("1500.5", 6, (amount_minor)1500500000);
	expect_parse_ok("1500.500000", 6, (amount_minor)1500500000);
	expect_parse_ok("0.000001", 6, 1);
	expect_parse_ok("0.5", 1, 5);
	expect_parse_ok("7", 0, 7);
	expect_parse_ok("10", 0, 10);
	expect_parse_ok("1", 18, pow10_minor(18));
	expect_parse_ok("0.000000000000000001", 18, 1);
	expect_parse_ok("123456789.123456789012345678", 18,
	    (amount_minor)123456789 * pow10_minor(18) +
	    (amount_minor)123456789012345678ULL);
}

static void
test_parse_u128_limits_at_0_decimals(void **state)
{
	(void)state;
	expect_parse_ok(U128_MAX_TEXT, 0, AMOUNT_MINOR_MAX);
	expect_parse_err(U128_MAX_PLUS_ONE_TEXT, 0, TREASURY_ERR_AMOUNT_OVERFLOW);
	expect_parse_err("999999999999999999999999999999999999999", 0,
	    TREASURY_ERR_AMOUNT_OVERFLOW);
	expect_parse_err("1000000000000000000000000000000000000000", 0,
	    TREASURY_ERR_AMOUNT_OVERFLOW);
}

static void
test_parse_u128_limits_at_18_decimals(void **state)
{
	(void)state;
	expect_parse_ok("340282366920938463463.374607431768211455", 18,
	    AMOUNT_MINOR_MAX);
	expect_parse_err("340282366920938463463.374607431768211456", 18,
	    TREASURY_ERR_AMOUNT_OVERFLOW);
	/* Overflow only while padding the missing fraction digits. */
	expect_parse_err("340282366920938463464", 18,
	    TREASURY_ERR_AMOUNT_OVERFLOW);
	expect_parse_err("340282366920938463463.4", 18,
	    TREASURY_ERR_AMOUNT_OVERFLOW);
	expect_parse_ok("340282366920938463463.3", 18,
	    ((amount_minor)340282366ULL * pow10_minor(12) +
	    (amount_minor)920938463463ULL) * pow10_minor(18) +
	    3 * pow10_minor(17));
}

static void
test_parse_zero(void **state)
{
	amount_minor v;

	(void)state;
	expect_parse_err("0", 0, TREASURY_ERR_AMOUNT_ZERO);
	expect_parse_err("0", 6, TREASURY_ERR_AMOUNT_ZERO);
	expect_parse_err("0.000000", 6, TREASURY_ERR_AMOUNT_ZERO);
	expect_parse_err("0.0", 18, TREASURY_ERR_AMOUNT_ZERO);

	v = SENTINEL;
	assert_int_equal(amount_parse_allow_zero("0", 1, 0, &v), TREASURY_OK);
	assert_true(v == 0);
	v = SENTINEL;
	assert_int_equal(amount_parse_allow_zero("0.00", 4, 2, &v), TREASURY_OK);
	assert_true(v == 0);
	assert_int_equal(amount_parse_allow_zero("12.5", 4, 2, &v), TREASURY_OK);
	assert_true(v == 1250);
	/* Every other rule still applies. */
	assert_int_equal(amount_parse_allow_zero("00", 2, 2, &v),
	    TREASURY_ERR_AMOUNT_LEADING_ZERO);
	assert_int_equal(amount_parse_allow_zero("", 0, 2, &v),
	    TREASURY_ERR_AMOUNT_EMPTY);
	assert_int_equal(amount_parse_allow_zero("0", 1, 19, &v),
	    TREASURY_ERR_DECIMALS);
	assert_int_equal(amount_parse_allow_zero(U128_MAX_PLUS_ONE_TEXT,
	    strlen(U128_MAX_PLUS_ONE_TEXT), 0, &v), TREASURY_ERR_AMOUNT_OVERFLOW);
}

/* ---- amount_parse: each error, and the order between them ---- */

static void
test_parse_decimals(void **state)
{
	amount_minor v = SENTINEL;

	(void)state;
	expect_parse_err("1", 19, TREASURY_ERR_DECIMALS);
	expect_parse_err("1", 1000, TREASURY_ERR_DECIMALS);
	/* Decimals are checked before everything else. */
	assert_int_equal(amount_parse(NULL, 0, 19, &v), TREASURY_ERR_DECIMALS);
	expect_parse_err(" +1e5", 19, TREASURY_ERR_DECIMALS);
	assert_true(v == SENTINEL);
}

static void
test_parse_empty(void **state)
{
	amount_minor v = SENTINEL;

	(void)state;
	expect_parse_err("", 6, TREASURY_ERR_AMOUNT_EMPTY);
	assert_int_equal(amount_parse(NULL, 0, 6, &v), TREASURY_ERR_AMOUNT_EMPTY);
	/* len is what counts, not the NUL. */
	assert_int_equal(amount_parse("5", 0, 6, &v), TREASURY_ERR_AMOUNT_EMPTY);
	assert_true(v == SENTINEL);
}

static void
test_parse_too_long(void **state)
{
	char text[AMOUNT_TEXT_MAX_BYTES + 2];

	(void)state;
	/* 80 characters pass the length rule (and then overflow). */
	memset(text, '9', AMOUNT_TEXT_MAX_BYTES);
	text[AMOUNT_TEXT_MAX_BYTES] = '\0';
	expect_parse_err(text, 0, TREASURY_ERR_AMOUNT_OVERFLOW);
	/* 80 characters that are a small number: long zero fraction. */
	memset(text, '0', AMOUNT_TEXT_MAX_BYTES);
	text[0] = '1';
	text[1] = '.';
	text[AMOUNT_TEXT_MAX_BYTES] = '\0';
	expect_parse_err(text, 18, TREASURY_ERR_AMOUNT_FRACTION_DIGITS);
	/* 81 is refused before anything else is looked at. */
	memset(text, ' ', AMOUNT_TEXT_MAX_BYTES + 1);
	text[AMOUNT_TEXT_MAX_BYTES + 1] = '\0';
	expect_parse_err(text, 6, TREASURY_ERR_AMOUNT_TOO_LONG);
	memset(text, '1', AMOUNT_TEXT_MAX_BYTES + 1);
	expect_parse_err(text, 6, TREASURY_ERR_AMOUNT_TOO_LONG);
}

static void
test_parse_space(void **state)
{
	amount_minor v = SENTINEL;

	(void)state;
	expect_parse_err(" 1", 6, TREASURY_ERR_AMOUNT_SPACE);
	expect_parse_err("1 ", 6, TREASURY_ERR_AMOUNT_SPACE);
	expect_parse_err("1 000", 6, TREASURY_ERR_AMOUNT_SPACE);
	expect_parse_err("1\t", 6, TREASURY_ERR_AMOUNT_SPACE);
	expect_parse_err("1\n", 6, TREASURY_ERR_AMOUNT_SPACE);
	expect_parse_err("\r1", 6, TREASURY_ERR_AMOUNT_SPACE);
	expect_parse_err("1\v", 6, TREASURY_ERR_AMOUNT_SPACE);
	expect_parse_err("1\f", 6, TREASURY_ERR_AMOUNT_SPACE);
	expect_parse_err(" ", 6, TREASURY_ERR_AMOUNT_SPACE);
	/* White space wins over a sign, an exponent, bad syntax. */
	expect_parse_err("-1 ", 6, TREASURY_ERR_AMOUNT_SPACE);
	expect_parse_err("1e5 ", 6, TREASURY_ERR_AMOUNT_SPACE);
	expect_parse_err("x ", 6, TREASURY_ERR_AMOUNT_SPACE);
	assert_true(v == SENTINEL);
}

static void
test_parse_sign(void **state)
{
	(void)state;
	expect_parse_err("+1", 6, TREASURY_ERR_AMOUNT_SIGN);
	expect_parse_err("-1", 6, TREASURY_ERR_AMOUNT_SIGN);
	expect_parse_err("-0", 6, TREASURY_ERR_AMOUNT_SIGN);
	expect_parse_err("1-", 6, TREASURY_ERR_AMOUNT_SIGN);
	expect_parse_err("1.5+", 6, TREASURY_ERR_AMOUNT_SIGN);
	/* A sign wins over an exponent and over syntax. */
	expect_parse_err("1e+5", 6, TREASURY_ERR_AMOUNT_SIGN);
	expect_parse_err("+.5", 6, TREASURY_ERR_AMOUNT_SIGN);
}

static void
test_parse_exponent(void **state)
{
	(void)state;
	expect_parse_err("1e5", 6, TREASURY_ERR_AMOUNT_EXPONENT);
	expect_parse_err("1E5", 6, TREASURY_ERR_AMOUNT_EXPONENT);
	expect_parse_err("1.5e2", 6, TREASURY_ERR_AMOUNT_EXPONENT);
	expect_parse_err("e", 6, TREASURY_ERR_AMOUNT_EXPONENT);
	/* An exponent wins over other syntax errors. */
	expect_parse_err("1,5e2", 6, TREASURY_ERR_AMOUNT_EXPONENT);
	expect_parse_err("0x1e", 6, TREASURY_ERR_AMOUNT_EXPONENT);
}

static void
test_parse_syntax(void **state)
{
	static const char *const bad[] = {
		"1.", ".5", ".", "1,0", "1,000", "abc", "1..0", "1.2.3", "0x10",
		"1_000", "1'000", "\xd9\xa1" /* ARABIC-INDIC DIGIT ONE */,
		"\xef\xbc\x91" /* FULLWIDTH DIGIT ONE */, "NaN", "inf", "Infinity",
		"$1", "1$", "1.5.", "..", "01.", "00.", ".0",
	};
	amount_minor v = SENTINEL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_parse_err(bad[i], 6, TREASURY_ERR_AMOUNT_SYNTAX);
	/* An embedded NUL is a character like any other. */
	assert_int_equal(amount_parse("1\0" "0", 3, 6, &v),
	    TREASURY_ERR_AMOUNT_SYNTAX);
	assert_true(v == SENTINEL);
	/* Syntax wins over a leading zero and over the fraction rule. */
	expect_parse_err("01.1234567x", 6, TREASURY_ERR_AMOUNT_SYNTAX);
}

static void
test_parse_leading_zero(void **state)
{
	(void)state;
	expect_parse_err("01", 6, TREASURY_ERR_AMOUNT_LEADING_ZERO);
	expect_parse_err("00", 6, TREASURY_ERR_AMOUNT_LEADING_ZERO);
	expect_parse_err("007", 0, TREASURY_ERR_AMOUNT_LEADING_ZERO);
	expect_parse_err("00.5", 6, TREASURY_ERR_AMOUNT_LEADING_ZERO);
	expect_parse_err("01.5", 6, TREASURY_ERR_AMOUNT_LEADING_ZERO);
	/* A leading zero wins over too many fraction digits and overflow. */
	expect_parse_err("01.1234567", 6, TREASURY_ERR_AMOUNT_LEADING_ZERO);
	expect_parse_err("0" U128_MAX_PLUS_ONE_TEXT, 0,
	    TREASURY_ERR_AMOUNT_LEADING_ZERO);
	/* A single zero and zeros in the fraction are fine. */
	expect_parse_ok("0.5", 6, 500000);
	expect_parse_ok("0.05", 6, 50000);
	expect_parse_ok("100.00", 2, 10000);
}

static void
test_parse_fraction_digits(void **state)
{
	(void)state;
	expect_parse_err("1.0000001", 6, TREASURY_ERR_AMOUNT_FRACTION_DIGITS);
	expect_parse_err("1.0", 0, TREASURY_ERR_AMOUNT_FRACTION_DIGITS);
	expect_parse_err("0.5", 0, TREASURY_ERR_AMOUNT_FRACTION_DIGITS);
	/* Trailing zeros count. */
	expect_parse_err("1.50", 1, TREASURY_ERR_AMOUNT_FRACTION_DIGITS);
	expect_parse_err("1.0000000000000000000", 18,
	    TREASURY_ERR_AMOUNT_FRACTION_DIGITS);
	/* Fraction digits win over overflow and zero. */
	expect_parse_err(U128_MAX_PLUS_ONE_TEXT ".1", 0,
	    TREASURY_ERR_AMOUNT_FRACTION_DIGITS);
	expect_parse_err("0.0000000", 6, TREASURY_ERR_AMOUNT_FRACTION_DIGITS);
	/* Exactly `decimals` digits is fine. */
	expect_parse_ok("1.000001", 6, 1000001);
}

static void
test_parse_overflow_in_fraction(void **state)
{
	(void)state;
	/* 2^128-1 and 2^128 minor units at one decimal. */
	expect_parse_ok("34028236692093846346337460743176821145.5", 1,
	    AMOUNT_MINOR_MAX);
	expect_parse_err("34028236692093846346337460743176821145.6", 1,
	    TREASURY_ERR_AMOUNT_OVERFLOW);
	expect_parse_err("34028236692093846346337460743176821146", 1,
	    TREASURY_ERR_AMOUNT_OVERFLOW);
	/* 2^128 minor units at 18 decimals. */
	expect_parse_err("340282366920938463463.374607431768211456", 18,
	    TREASURY_ERR_AMOUNT_OVERFLOW);
}

/* ---- amount_format ---- */

static void
test_format_values(void **state)
{
	(void)state;
	expect_format((amount_minor)1500000000, 6, "1500.000000");
	expect_format((amount_minor)1500500000, 6, "1500.500000");
	expect_format(7, 0, "7");
	expect_format(1, 6, "0.000001");
	expect_format(0, 0, "0");
	expect_format(0, 2, "0.00");
	expect_format(10, 1, "1.0");
	expect_format(pow10_minor(18), 18, "1.000000000000000000");
	expect_format(1, 18, "0.000000000000000001");
	expect_format(AMOUNT_MINOR_MAX, 0, U128_MAX_TEXT);
	expect_format(AMOUNT_MINOR_MAX, 18,
	    "340282366920938463463.374607431768211455");
}

static void
test_format_errors(void **state)
{
	char out[AMOUNT_FORMAT_MAX_BYTES];

	(void)state;
	memset(out, 'x', sizeof(out));
	assert_int_equal(amount_format(1, 19, out, sizeof(out)),
	    TREASURY_ERR_DECIMALS);
	assert_int_equal(out[0], '\0');
	/* "1500.000000" needs 12 bytes with its NUL. */
	assert_int_equal(amount_format(1500000000, 6, out, 12), TREASURY_OK);
	assert_string_equal(out, "1500.000000");
	memset(out, 'x', sizeof(out));
	assert_int_equal(amount_format(1500000000, 6, out, 11),
	    TREASURY_ERR_TOO_LARGE);
	assert_int_equal(out[0], '\0');
	assert_int_equal(out[11], 'x');
	assert_int_equal(amount_format(7, 0, out, 2), TREASURY_OK);
	assert_string_equal(out, "7");
	assert_int_equal(amount_format(7, 0, out, 1), TREASURY_ERR_TOO_LARGE);
	assert_int_equal(amount_format(7, 0, NULL, 0), TREASURY_ERR_TOO_LARGE);
	/* The largest output fits the documented maximum. */
	assert_true(strlen("340282366920938463463.374607431768211455") + 1 <=
	    AMOUNT_FORMAT_MAX_BYTES);
}

static void
test_format_parse_round_trip(void **state)
{
	static const amount_minor values[] = { 1, 9, 10, 999999, 1000000,
	    123456789, (amount_minor)UINT64_MAX, (amount_minor)UINT64_MAX + 1 };
	char out[AMOUNT_FORMAT_MAX_BYTES];
	amount_minor v;
	unsigned d;
	size_t i;

	(void)state;
	for (d = 0; d <= ASSET_DECIMALS_MAX; d++) {
		for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
			assert_int_equal(amount_format(values[i], d, out,
			    sizeof(out)), TREASURY_OK);
			assert_int_equal(amount_parse(out, strlen(out), d, &v),
			    TREASURY_OK);
			assert_true(v == values[i]);
		}
		assert_int_equal(amount_format(AMOUNT_MINOR_MAX, d, out,
		    sizeof(out)), TREASURY_OK);
		assert_int_equal(amount_parse(out, strlen(out), d, &v),
		    TREASURY_OK);
		assert_true(v == AMOUNT_MINOR_MAX);
	}
}

/* ---- minor-unit text ---- */

static void
test_minor_text(void **state)
{
	char out[AMOUNT_FORMAT_MAX_BYTES];
	amount_minor v;

	(void)state;
	amount_to_minor_text(0, out);
	assert_string_equal(out, "0");
	amount_to_minor_text(1500000000, out);
	assert_string_equal(out, "1500000000");
	amount_to_minor_text(AMOUNT_MINOR_MAX, out);
	assert_string_equal(out, U128_MAX_TEXT);

	v = SENTINEL;
	assert_int_equal(amount_from_minor_text("0", 1, &v), TREASURY_OK);
	assert_true(v == 0);
	assert_int_equal(amount_from_minor_text("1500000000", 10, &v),
	    TREASURY_OK);
	assert_true(v == 1500000000);
	assert_int_equal(amount_from_minor_text(U128_MAX_TEXT,
	    strlen(U128_MAX_TEXT), &v), TREASURY_OK);
	assert_true(v == AMOUNT_MINOR_MAX);
}

static void
test_minor_text_errors(void **state)
{
	static const char *const bad[] = {
		"00", "01", "1.0", "-1", "+1", " 1", "1 ", "1e5", "x", "0x1",
	};
	amount_minor v = SENTINEL;
	size_t i;

	(void)state;
	assert_int_equal(amount_from_minor_text("", 0, &v),
	    TREASURY_ERR_AMOUNT_SYNTAX);
	assert_int_equal(amount_from_minor_text(NULL, 0, &v),
	    TREASURY_ERR_AMOUNT_SYNTAX);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(amount_from_minor_text(bad[i], strlen(bad[i]),
		    &v), TREASURY_ERR_AMOUNT_SYNTAX);
	assert_int_equal(amount_from_minor_text(U128_MAX_PLUS_ONE_TEXT,
	    strlen(U128_MAX_PLUS_ONE_TEXT), &v), TREASURY_ERR_AMOUNT_OVERFLOW);
	/* Syntax is checked over the whole text before the value. */
	assert_int_equal(amount_from_minor_text(U128_MAX_PLUS_ONE_TEXT "x",
	    strlen(U128_MAX_PLUS_ONE_TEXT "x"), &v), TREASURY_ERR_AMOUNT_SYNTAX);
	assert_true(v == SENTINEL);
}

/* ---- amount_add ---- */

static void
test_add(void **state)
{
	amount_minor sum = SENTINEL;

	(void)state;
	assert_int_equal(amount_add(1, 2, &sum), TREASURY_OK);
	assert_true(sum == 3);
	assert_int_equal(amount_add(AMOUNT_MINOR_MAX, 0, &sum), TREASURY_OK);
	assert_true(sum == AMOUNT_MINOR_MAX);
	assert_int_equal(amount_add(AMOUNT_MINOR_MAX - 5, 5, &sum), TREASURY_OK);
	assert_true(sum == AMOUNT_MINOR_MAX);
	sum = SENTINEL;
	assert_int_equal(amount_add(AMOUNT_MINOR_MAX, 1, &sum),
	    TREASURY_ERR_AMOUNT_OVERFLOW);
	assert_int_equal(amount_add(1, AMOUNT_MINOR_MAX, &sum),
	    TREASURY_ERR_AMOUNT_OVERFLOW);
	assert_int_equal(amount_add(AMOUNT_MINOR_MAX, AMOUNT_MINOR_MAX, &sum),
	    TREASURY_ERR_AMOUNT_OVERFLOW);
	assert_true(sum == SENTINEL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_plain_values),
		cmocka_unit_test(test_parse_u128_limits_at_0_decimals),
		cmocka_unit_test(test_parse_u128_limits_at_18_decimals),
		cmocka_unit_test(test_parse_zero),
		cmocka_unit_test(test_parse_decimals),
		cmocka_unit_test(test_parse_empty),
		cmocka_unit_test(test_parse_too_long),
		cmocka_unit_test(test_parse_space),
		cmocka_unit_test(test_parse_sign),
		cmocka_unit_test(test_parse_exponent),
		cmocka_unit_test(test_parse_syntax),
		cmocka_unit_test(test_parse_leading_zero),
		cmocka_unit_test(test_parse_fraction_digits),
		cmocka_unit_test(test_parse_overflow_in_fraction),
		cmocka_unit_test(test_format_values),
		cmocka_unit_test(test_format_errors),
		cmocka_unit_test(test_format_parse_round_trip),
		cmocka_unit_test(test_minor_text),
		cmocka_unit_test(test_minor_text_errors),
		cmocka_unit_test(test_add),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
