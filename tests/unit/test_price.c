/*
 * test_price.c: price texts and units of account (core/price.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "treasury/price.h"

static treasury_err
norm(const char *in, char out[PRICE_TEXT_MAX_BYTES + 1])
{
	snprintf(out, PRICE_TEXT_MAX_BYTES + 1, "unchanged");
	return price_text_normalise(in, strlen(in), out);
}

static void
test_normal_form(void **state)
{
	char out[PRICE_TEXT_MAX_BYTES + 1];

	(void)state;
	assert_int_equal(norm("1.50", out), TREASURY_OK);
	assert_string_equal(out, "1.5");
	assert_int_equal(norm("2.000", out), TREASURY_OK);
	assert_string_equal(out, "2");
	assert_int_equal(norm("0.000000000000000001", out), TREASURY_OK);
	assert_string_equal(out, "0.000000000000000001");
	assert_int_equal(norm("1234567890123456789012345", out), TREASURY_OK);
	assert_string_equal(out, "1234567890123456789012345");
	assert_int_equal(norm("0.9200", out), TREASURY_OK);
	assert_string_equal(out, "0.92");
}

static void
test_refused(void **state)
{
	char out[PRICE_TEXT_MAX_BYTES + 1];
	char long_text[PRICE_TEXT_MAX_BYTES + 2];

	(void)state;
	assert_int_equal(norm("", out), TREASURY_ERR_AMOUNT_EMPTY);
	assert_int_equal(norm("0", out), TREASURY_ERR_AMOUNT_ZERO);
	assert_int_equal(norm("0.000", out), TREASURY_ERR_AMOUNT_ZERO);
	assert_int_equal(norm("-1", out), TREASURY_ERR_AMOUNT_SIGN);
	assert_int_equal(norm("+1", out), TREASURY_ERR_AMOUNT_SIGN);
	assert_int_equal(norm("01", out), TREASURY_ERR_AMOUNT_LEADING_ZERO);
	assert_int_equal(norm("1.", out), TREASURY_ERR_AMOUNT_SYNTAX);
	assert_int_equal(norm(".5", out), TREASURY_ERR_AMOUNT_SYNTAX);
	assert_int_equal(norm("1e3", out), TREASURY_ERR_AMOUNT_SYNTAX);
	assert_int_equal(norm("1.2.3", out), TREASURY_ERR_AMOUNT_SYNTAX);
	assert_int_equal(norm("1 ", out), TREASURY_ERR_AMOUNT_SYNTAX);
	assert_int_equal(norm("0.0000000000000000001", out),
	    TREASURY_ERR_AMOUNT_FRACTION_DIGITS);
	memset(long_text, '1', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	assert_int_equal(norm(long_text, out), TREASURY_ERR_AMOUNT_TOO_LONG);
	assert_string_equal(out, "unchanged");
}

static void
test_unit(void **state)
{
	(void)state;
	assert_int_equal(price_unit_check("EUR", 3), TREASURY_OK);
	assert_int_equal(price_unit_check("usd.cents_x-1", 13), TREASURY_OK);
	assert_int_equal(price_unit_check("", 0), TREASURY_ERR_INVALID_FIELD);
	assert_int_equal(price_unit_check("E R", 3), TREASURY_ERR_INVALID_FIELD);
	assert_int_equal(price_unit_check("€", strlen("€")),
	    TREASURY_ERR_INVALID_FIELD);
	assert_int_equal(price_unit_check("abcdefghijklmnopqrstuvwxyz0123456",
	    33), TREASURY_ERR_INVALID_FIELD);
}

/* The value of minor (a decimal integer text) at price, as text. */
static treasury_err
value_text(const char *minor, unsigned decimals, const char *price,
    char out[AMOUNT_WIDE_TEXT_MAX_BYTES])
{
	struct amount_wide a, v;
	treasury_err err;

	assert_int_equal(amount_wide_parse_minor(minor, strlen(minor), &a),
	    TREASURY_OK);
	err = price_value_e18(&a, decimals, price, &v);
	if (err == TREASURY_OK)
		(void)price_value_text(&v, out);
	return err;
}

static void
test_value(void **state)
{
	char out[AMOUNT_WIDE_TEXT_MAX_BYTES];
	struct amount_wide a, v;
	/* 2^128-1 minor units at 0 decimals, price 10^20 - 1: fits 256 bits */
	static const char max128[] = "340282366920938463463374607431768211455";

	(void)state;
	/* 1234.500000 USDC (6 decimals) at 0.998 = 1232.031 */
	assert_int_equal(value_text("1234500000", 6, "0.998", out),
	    TREASURY_OK);
	assert_string_equal(out, "1232.031");
	/* 1.5 ETH (18 decimals) at 3000.25 = 4500.375 */
	assert_int_equal(value_text("1500000000000000000", 18, "3000.25",
	    out), TREASURY_OK);
	assert_string_equal(out, "4500.375");
	/* rounded down at 10^-18: 1 minor unit of a 6-decimal asset at
	 * 0.000000000000000001 is 10^-24 -> 0 */
	assert_int_equal(value_text("1", 6, "0.000000000000000001", out),
	    TREASURY_OK);
	assert_string_equal(out, "0");
	/* 7 minor units (0 decimals) at 0.333333333333333333 */
	assert_int_equal(value_text("7", 0, "0.333333333333333333", out),
	    TREASURY_OK);
	assert_string_equal(out, "2.333333333333333331");
	assert_int_equal(value_text("0", 2, "5", out), TREASURY_OK);
	assert_string_equal(out, "0");
	assert_int_equal(value_text(max128, 0, "99999999999999999999", out),
	    TREASURY_OK);
	/* (2^128-1) (10^20-1), computed independently (Python) */
	assert_string_equal(out, "3402823669209384634599717837625588268203"
	    "6625392568231788545");
	/* past 2^256: refused, never wrapped */
	assert_int_equal(value_text(max128, 0,
	    "999999999999999999999999999999999999999999", out),
	    TREASURY_ERR_AMOUNT_OVERFLOW);
	/* unrounded: 1 minor unit of a 6-decimal asset at 10^-18 is 10^-24 */
	assert_int_equal(amount_wide_parse_minor("1", 1, &a), TREASURY_OK);
	assert_int_equal(price_value_exact(&a, "0.000000000000000001", &v),
	    TREASURY_OK);
	(void)price_scaled_text(&v, 6 + 18, out);
	assert_string_equal(out, "0.000000000000000000000001");
	/* 1234.500000 at 0.998, scale 24: 1232.031 exactly */
	assert_int_equal(amount_wide_parse_minor("1234500000", 10, &a),
	    TREASURY_OK);
	assert_int_equal(price_value_exact(&a, "0.998", &v), TREASURY_OK);
	(void)price_scaled_text(&v, 24, out);
	assert_string_equal(out, "1232.031");
	/* 36 fraction digits, none trailing zero; and a whole value */
	assert_int_equal(amount_wide_parse_minor("123456789", 9, &a),
	    TREASURY_OK);
	(void)price_scaled_text(&a, 36, out);
	assert_string_equal(out, "0.000000000000000000000000000123456789");
	(void)price_scaled_text(&a, 0, out);
	assert_string_equal(out, "123456789");
	assert_int_equal(value_text("1", 0, "1.2.3", out),
	    TREASURY_ERR_AMOUNT_SYNTAX);
	assert_int_equal(value_text("1", 0, "", out),
	    TREASURY_ERR_AMOUNT_SYNTAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normal_form),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_unit),
		cmocka_unit_test(test_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
