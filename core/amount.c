/*
 * amount.c: exact money amounts as 128-bit unsigned minor units.
 *
 * Parsing and formatting of decimal amount text (see amount.h and docs/signing.md §3, Field rules).
 * Only integer arithmetic is used; there is no floating point anywhere in
 * this file. Every multiplication and addition is checked for wrap-around.
 */
#include <assert.h>
#include <stdbool.h>
#include <string.h>

#include "treasury/amount.h"

/* The syntax of an amount text, split by the point, once it passed the
 * character checks. */
struct amount_parts {
	const char *int_digits;
	size_t int_len;
	const char *frac_digits;
	size_t frac_len;		/* 0 when there is no point */
};

static bool
char_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The C locale's white space set, without depending on the locale. */
static bool
char_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
	    c == '\r';
}

static bool
text_has_char(const char *text, size_t len, bool (*pred)(char))
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (pred(text[i]))
			return true;
	}
	return false;
}

static bool
char_is_sign(char c)
{
	return c == '+' || c == '-';
}

static bool
char_is_exponent(char c)
{
	return c == 'e' || c == 'E';
}

/* *v = *v * 10 + digit, or false when that exceeds AMOUNT_MINOR_MAX. */
static bool
minor_push_digit(amount_minor *v, unsigned digit)
{
	assert(digit <= 9);
	if (*v > (AMOUNT_MINOR_MAX - digit) / 10)
		return false;
	*v = *v * 10 + digit;
	return true;
}

static bool
minor_push_digits(amount_minor *v, const char *digits, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		assert(char_is_digit(digits[i]));
		if (!minor_push_digit(v, (unsigned)(digits[i] - '0')))
			return false;
	}
	return true;
}

/* Split text by the grammar [0-9]+(\.[0-9]+)?, which is looser than the
 * accepted one only in allowing leading zeros (reported separately). */
static treasury_err
amount_split(const char *text, size_t len, struct amount_parts *p)
{
	size_t i = 0;

	while (i < len && char_is_digit(text[i]))
		i++;
	if (i == 0)
		return TREASURY_ERR_AMOUNT_SYNTAX;
	p->int_digits = text;
	p->int_len = i;
	p->frac_digits = text + len;
	p->frac_len = 0;
	if (i == len)
		return TREASURY_OK;
	if (text[i] != '.')
		return TREASURY_ERR_AMOUNT_SYNTAX;
	i++;
	p->frac_digits = text + i;
	while (i < len && char_is_digit(text[i]))
		i++;
	if (i != len)
		return TREASURY_ERR_AMOUNT_SYNTAX;
	p->frac_len = (size_t)(text + len - p->frac_digits);
	if (p->frac_len == 0)
		return TREASURY_ERR_AMOUNT_SYNTAX;
	return TREASURY_OK;
}

static treasury_err
amount_parse_any(const char *text, size_t len, unsigned decimals,
    amount_minor *out)
{
	struct amount_parts p;
	amount_minor v = 0;
	treasury_err err;
	size_t i;

	if (decimals > ASSET_DECIMALS_MAX)
		return TREASURY_ERR_DECIMALS;
	if (len == 0)
		return TREASURY_ERR_AMOUNT_EMPTY;
	if (len > AMOUNT_TEXT_MAX_BYTES)
		return TREASURY_ERR_AMOUNT_TOO_LONG;
	assert(text != NULL);
	if (text_has_char(text, len, char_is_space))
		return TREASURY_ERR_AMOUNT_SPACE;
	if (text_has_char(text, len, char_is_sign))
		return TREASURY_ERR_AMOUNT_SIGN;
	if (text_has_char(text, len, char_is_exponent))
		return TREASURY_ERR_AMOUNT_EXPONENT;
	err = amount_split(text, len, &p);
	if (err != TREASURY_OK)
		return err;
	if (p.int_len > 1 && p.int_digits[0] == '0')
		return TREASURY_ERR_AMOUNT_LEADING_ZERO;
	if (p.frac_len > decimals)
		return TREASURY_ERR_AMOUNT_FRACTION_DIGITS;
	if (!minor_push_digits(&v, p.int_digits, p.int_len) ||
	    !minor_push_digits(&v, p.frac_digits, p.frac_len))
		return TREASURY_ERR_AMOUNT_OVERFLOW;
	for (i = p.frac_len; i < decimals; i++) {
		if (!minor_push_digit(&v, 0))
			return TREASURY_ERR_AMOUNT_OVERFLOW;
	}
	*out = v;
	return TREASURY_OK;
}

treasury_err
amount_parse(const char *text, size_t len, unsigned decimals, amount_minor *out)
{
	amount_minor v;
	treasury_err err;

	err = amount_parse_any(text, len, decimals, &v);
	if (err != TREASURY_OK)
		return err;
	if (v == 0)
		return TREASURY_ERR_AMOUNT_ZERO;
	*out = v;
	return TREASURY_OK;
}

treasury_err
amount_parse_allow_zero(const char *text, size_t len, unsigned decimals,
    amount_minor *out)
{
	return amount_parse_any(text, len, decimals, out);
}

/* Write the decimal digits of value, most significant first, padded with
 * leading zeros to at least min_digits, into digits (no NUL). Returns the
 * number written. digits must hold AMOUNT_FORMAT_MAX_BYTES. */
static size_t
minor_digits(amount_minor value, size_t min_digits,
    char digits[AMOUNT_FORMAT_MAX_BYTES])
{
	char rev[AMOUNT_FORMAT_MAX_BYTES];
	size_t n = 0, i;

	assert(min_digits < AMOUNT_FORMAT_MAX_BYTES);
	do {
		rev[n++] = (char)('0' + (unsigned)(value % 10));
		value /= 10;
	} while (value != 0);
	while (n < min_digits)
		rev[n++] = '0';
	assert(n < AMOUNT_FORMAT_MAX_BYTES);
	for (i = 0; i < n; i++)
		digits[i] = rev[n - 1 - i];
	return n;
}

treasury_err
amount_format(amount_minor value, unsigned decimals, char *out, size_t out_size)
{
	char digits[AMOUNT_FORMAT_MAX_BYTES];
	size_t n, int_len, need;

	if (out_size > 0)
		out[0] = '\0';
	if (decimals > ASSET_DECIMALS_MAX)
		return TREASURY_ERR_DECIMALS;
	n = minor_digits(value, (size_t)decimals + 1, digits);
	int_len = n - decimals;
	need = n + (decimals > 0 ? 1 : 0) + 1;
	if (out_size < need)
		return TREASURY_ERR_TOO_LARGE;
	memcpy(out, digits, int_len);
	if (decimals > 0) {
		out[int_len] = '.';
		memcpy(out + int_len + 1, digits + int_len, decimals);
	}
	out[need - 1] = '\0';
	return TREASURY_OK;
}

void
amount_to_minor_text(amount_minor value, char out[AMOUNT_FORMAT_MAX_BYTES])
{
	size_t n;

	n = minor_digits(value, 1, out);
	out[n] = '\0';
}

treasury_err
amount_from_minor_text(const char *text, size_t len, amount_minor *out)
{
	amount_minor v = 0;
	size_t i;

	if (len == 0)
		return TREASURY_ERR_AMOUNT_SYNTAX;
	for (i = 0; i < len; i++) {
		if (!char_is_digit(text[i]))
			return TREASURY_ERR_AMOUNT_SYNTAX;
	}
	if (len > 1 && text[0] == '0')
		return TREASURY_ERR_AMOUNT_SYNTAX;
	if (!minor_push_digits(&v, text, len))
		return TREASURY_ERR_AMOUNT_OVERFLOW;
	*out = v;
	return TREASURY_OK;
}

treasury_err
amount_add(amount_minor a, amount_minor b, amount_minor *sum)
{
	if (a > AMOUNT_MINOR_MAX - b)
		return TREASURY_ERR_AMOUNT_OVERFLOW;
	*sum = a + b;
	return TREASURY_OK;
}
