/*
 * price.h: operator-supplied prices (issue #14 §9): the price of one unit
 * of an asset in a unit of account ("EUR", "USD", ...) on a UTC day. Exact
 * decimal text, never floating point. Pure: no I/O.
 */
#ifndef TREASURY_PRICE_H
#define TREASURY_PRICE_H

#include <stdbool.h>
#include <stddef.h>

#include "treasury/amount_wide.h"
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

/*
 * The value of an amount of an asset at a price, in 10^-18 of the unit of
 * account, rounded down: *out = floor(*amount * price * 10^18 /
 * 10^decimals), exactly (256-bit integers, no floating point).
 * Contract: decimals <= ASSET_DECIMALS_MAX (asserted).
 * Returns: TREASURY_OK; TREASURY_ERR_AMOUNT_SYNTAX when price is not a
 *          price text of price_text_normalise's grammar;
 *          TREASURY_ERR_AMOUNT_OVERFLOW when the product exceeds 2^256-1
 *          (an absurd price times an absurd amount). *out unchanged on
 *          error.
 * In:  amount in minor units of the asset, decimals its decimals, price
 *      (NUL-terminated).
 */
TREASURY_WARN_UNUSED treasury_err
price_value_e18(const struct amount_wide *amount, unsigned decimals,
    const char *price, struct amount_wide *out);

/*
 * The exact value of an amount at a price, unrounded: *out = *amount *
 * price * 10^18, in 10^-(decimals + 18) of the unit of account when amount
 * is in minor units of an asset of `decimals` decimals.
 * Returns: as price_value_e18. *out unchanged on error.
 */
TREASURY_WARN_UNUSED treasury_err
price_value_exact(const struct amount_wide *amount, const char *price,
    struct amount_wide *out);

enum { PRICE_VALUE_SCALE_MAX = 36 };	/* 18 asset decimals + 18 price */

/* Write v, an integer of 10^-scale of a unit, as a decimal without
 * trailing fraction zeros ("1234.5", "0.000000000000000001", "0"),
 * NUL-terminated.
 * Contract: scale <= PRICE_VALUE_SCALE_MAX (asserted).
 * Returns: the length, without the NUL. */
size_t price_scaled_text(const struct amount_wide *v, unsigned scale,
    char out[AMOUNT_WIDE_TEXT_MAX_BYTES]);

/* price_scaled_text(value_e18, 18, out). */
size_t price_value_text(const struct amount_wide *value_e18,
    char out[AMOUNT_WIDE_TEXT_MAX_BYTES]);

/* A unit of account: 1..32 of [A-Za-z0-9._-].
 * Returns: TREASURY_OK or TREASURY_ERR_INVALID_FIELD. */
TREASURY_WARN_UNUSED treasury_err
price_unit_check(const char *text, size_t len);

#endif
