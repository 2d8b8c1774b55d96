/*
 * fuzz_amount.c: libFuzzer target for the amount parser and formatter
 * (core/amount.c).
 *
 * Input: byte 0 picks the decimals (0..19, 19 must be refused), the rest
 * is the amount text. Invariants checked on every input:
 *   - amount_parse accepts only text of the grammar, and then
 *     amount_format gives the same value back with exactly `decimals`
 *     fraction digits, which parses to the same value again;
 *   - amount_parse and amount_parse_allow_zero agree except on zero;
 *   - amount_from_minor_text accepts only what amount_to_minor_text writes;
 *   - with 17+ bytes, bytes 1..16 as a value format and parse back.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "treasury/amount.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
	(void)what;
	abort();
}

/* The grammar of amount.h, written again: (0|[1-9][0-9]*)(\.[0-9]+)? with
 * at most `decimals` fraction digits and at most 80 characters. */
static int
grammar_ok(const char *s, size_t len, unsigned decimals)
{
	size_t i = 0, int_digits = 0, frac_digits = 0;

	if (len == 0 || len > AMOUNT_TEXT_MAX_BYTES)
		return 0;
	while (i < len && s[i] >= '0' && s[i] <= '9') {
		i++;
		int_digits++;
	}
	if (int_digits == 0 || (int_digits > 1 && s[0] == '0'))
		return 0;
	if (i < len) {
		if (s[i] != '.')
			return 0;
		i++;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			i++;
			frac_digits++;
		}
		if (frac_digits == 0 || i != len)
			return 0;
	}
	return frac_digits <= decimals;
}

static void
check_format_roundtrip(amount_minor v, unsigned decimals)
{
	char out[AMOUNT_FORMAT_MAX_BYTES];
	amount_minor back = 0;
	const char *dot;

	if (amount_format(v, decimals, out, sizeof(out)) != TREASURY_OK)
		fail("format");
	dot = strchr(out, '.');
	if (decimals == 0 ? dot != NULL :
	    (dot == NULL || strlen(dot + 1) != decimals))
		fail("fraction digits of format");
	if (amount_parse_allow_zero(out, strlen(out), decimals, &back) !=
	    TREASURY_OK || back != v)
		fail("format then parse");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char minor[AMOUNT_FORMAT_MAX_BYTES];
	const char *text;
	size_t len;
	unsigned decimals;
	amount_minor v = 0, vz = 0;
	treasury_err err, errz;

	if (size == 0)
		return 0;
	decimals = data[0] % 20;
	text = (const char *)data + 1;
	len = size - 1;

	err = amount_parse(text, len, decimals, &v);
	errz = amount_parse_allow_zero(text, len, decimals, &vz);
	if (decimals > ASSET_DECIMALS_MAX) {
		if (err != TREASURY_ERR_DECIMALS ||
		    errz != TREASURY_ERR_DECIMALS)
			fail("decimals > 18");
		return 0;
	}
	if (err == TREASURY_OK) {
		if (v == 0 || !grammar_ok(text, len, decimals))
			fail("accepted outside the grammar");
		if (errz != TREASURY_OK || vz != v)
			fail("allow_zero disagrees");
		check_format_roundtrip(v, decimals);
	} else if (errz == TREASURY_OK) {
		if (vz != 0 || err != TREASURY_ERR_AMOUNT_ZERO)
			fail("allow_zero accepted what parse refused");
	} else if (err == TREASURY_ERR_AMOUNT_ZERO) {
		fail("zero reported but allow_zero refused");
	}
	if (err == TREASURY_ERR_AMOUNT_OVERFLOW &&
	    !grammar_ok(text, len, decimals))
		fail("overflow reported for text outside the grammar");

	if (amount_from_minor_text(text, len, &v) == TREASURY_OK) {
		amount_to_minor_text(v, minor);
		if (strlen(minor) != len || memcmp(minor, text, len) != 0)
			fail("minor text round trip");
	}

	if (size >= 17) {
		amount_minor raw = 0;
		for (size_t i = 1; i <= 16; i++)
			raw = (raw << 8) | data[i];
		check_format_roundtrip(raw, decimals);
		amount_to_minor_text(raw, minor);
		if (amount_from_minor_text(minor, strlen(minor), &v) !=
		    TREASURY_OK || v != raw)
			fail("minor text of a value");
	}
	return 0;
}
