/*
 * amount.h: exact money amounts.
 *
 * An amount is an unsigned 128-bit integer of an asset's minor units
 * (10^-decimals of one unit). It is never a floating point number. On the
 * wire it is a decimal string in the asset's units.
 */
#ifndef TREASURY_AMOUNT_H
#define TREASURY_AMOUNT_H

#include <stddef.h>

#include "treasury/error.h"
#include "treasury/limits.h"

typedef unsigned __int128 amount_minor;

#define AMOUNT_MINOR_MAX (~(amount_minor)0)

/* Parse a decimal amount `(0|[1-9][0-9]*)(\.[0-9]+)?` in units of an asset
 * with `decimals` fraction digits into minor units.
 *
 * Rules: at most AMOUNT_TEXT_MAX_BYTES characters; at most `decimals`
 * digits after the point (trailing zeros count); a point must have at least
 * one digit on each side; zero is refused (amounts are > 0).
 * Returns: TREASURY_OK, or the first failing rule, checked in this order:
 *   TREASURY_ERR_DECIMALS       decimals > 18;
 *   TREASURY_ERR_AMOUNT_EMPTY   len == 0;
 *   TREASURY_ERR_AMOUNT_TOO_LONG len > 80;
 *   TREASURY_ERR_AMOUNT_SPACE   any white space character;
 *   TREASURY_ERR_AMOUNT_SIGN    any '+' or '-';
 *   TREASURY_ERR_AMOUNT_EXPONENT any 'e' or 'E';
 *   TREASURY_ERR_AMOUNT_SYNTAX  anything else not of the grammar;
 *   TREASURY_ERR_AMOUNT_LEADING_ZERO an integer part like "01";
 *   TREASURY_ERR_AMOUNT_FRACTION_DIGITS more than `decimals` fraction digits;
 *   TREASURY_ERR_AMOUNT_OVERFLOW value > 2^128-1 minor units;
 *   TREASURY_ERR_AMOUNT_ZERO    value is zero.
 * In:  text (need not be NUL-terminated), len, decimals.
 * Out: *out, only on success. */
TREASURY_WARN_UNUSED treasury_err
amount_parse(const char *text, size_t len, unsigned decimals, amount_minor *out);

/* Same as amount_parse but zero is accepted (for limits and balances). */
TREASURY_WARN_UNUSED treasury_err
amount_parse_allow_zero(const char *text, size_t len, unsigned decimals,
    amount_minor *out);

/* Format value with exactly `decimals` fraction digits ("1500.000000" for
 * 1500000000 at 6; "7" at 0; "0.000001" for 1 at 6), NUL-terminated.
 * Returns: TREASURY_OK; TREASURY_ERR_DECIMALS when decimals > 18;
 *          TREASURY_ERR_TOO_LARGE when out_size is too small (at most
 *          AMOUNT_FORMAT_MAX_BYTES is ever needed).
 * Out:     out[0..out_size). */
TREASURY_WARN_UNUSED treasury_err
amount_format(amount_minor value, unsigned decimals, char *out, size_t out_size);

/* Format value as a plain decimal integer of minor units (for storage). */
void amount_to_minor_text(amount_minor value, char out[AMOUNT_FORMAT_MAX_BYTES]);

/* Parse a plain decimal integer of minor units, as written by
 * amount_to_minor_text ("0" allowed, no leading zeros).
 * Returns: TREASURY_OK, TREASURY_ERR_AMOUNT_SYNTAX or _OVERFLOW. */
TREASURY_WARN_UNUSED treasury_err
amount_from_minor_text(const char *text, size_t len, amount_minor *out);

/* *sum = a + b. Returns TREASURY_ERR_AMOUNT_OVERFLOW if it would wrap. */
TREASURY_WARN_UNUSED treasury_err
amount_add(amount_minor a, amount_minor b, amount_minor *sum);

#endif
