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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normal_form),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_unit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
