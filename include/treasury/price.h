/*
 * price.h: operator-supplied prices (issue #14 §9): the price of one unit
 * of an asset in a unit of account ("EUR", "USD", ...) on a UTC day. Exact
 * decimal text, never floating point. Pure: no I/O.
 */
#ifndef TREASURY_PRICE_H
#define TREASURY_PRICE_H

#include <stdbool.h>
#include <stddef.h>

#include "treasury/error.h"

enum {
	PRICE_TEXT_MAX_BYTES = 80,	/* as an amount text */
	PRICE_FRACTION_DIGITS_MAX = 18,
	PRICE_UNIT_MAX_BYTES = 32,
};

/*
 * Check and normalise a price: `(0|[1-9][0-9]*)(\.[0-9]{1,18})?`, greater
 * than zero, at most PRICE_TEXT_MAX_BYTES characters. Written to out in
 * its normal form, trailing fraction zeros (and a point left alone)
 * removed: "1.50" -> "1.5", "2.000" -> "2", so that one price has one text.
 * Returns: TREASURY_OK; TREASURY_ERR_AMOUNT_EMPTY, _AMOUNT_TOO_LONG,
 *          _AMOUNT_SIGN, _AMOUNT_LEADING_ZERO, _AMOUNT_SYNTAX (not of the
 *          grammar), _AMOUNT_FRACTION_DIGITS (more than 18), _AMOUNT_ZERO.
 * In:  text (need not be NUL-terminated), len.
 * Out: out (PRICE_TEXT_MAX_BYTES + 1 bytes), only on success.
 */
TREASURY_WARN_UNUSED treasury_err
price_text_normalise(const char *text, size_t len,
    char out[PRICE_TEXT_MAX_BYTES + 1]);

/* A unit of account: 1..32 of [A-Za-z0-9._-].
 * Returns: TREASURY_OK or TREASURY_ERR_INVALID_FIELD. */
TREASURY_WARN_UNUSED treasury_err
price_unit_check(const char *text, size_t len);

#endif
