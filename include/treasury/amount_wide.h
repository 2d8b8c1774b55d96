/*
 * amount_wide.h: exact sums of money amounts, 256-bit unsigned.
 *
 * A sum of many amounts (inflow over a period, the per-day sums of
 * ledger_days) may exceed 2^128-1 minor units, the range of amount_minor.
 * A struct amount_wide holds an unsigned 256-bit integer of minor units as
 * four 64-bit limbs, least significant first (limb[0] is bits 0..63). It is
 * a plain value: copy it with '=', no allocation, no floating point.
 *
 * Every operation that can fail leaves its destination unchanged on error.
 * Destinations may alias sources.
 */
#ifndef TREASURY_AMOUNT_WIDE_H
#define TREASURY_AMOUNT_WIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "treasury/amount.h"
#include "treasury/error.h"

struct amount_wide {
	uint64_t limb[4];	/* little-endian: value = sum limb[i] * 2^(64 i) */
};

enum {
	AMOUNT_WIDE_DIGITS_MAX = 78,	/* 2^256-1 has 78 decimal digits */
	/* The longest text written is 79 characters (78 digits and a point,
	 * or "0." and 18 digits at most) plus NUL = 80; one byte more so that
	 * a caller may put a '-' in front in a buffer of the same size. */
	AMOUNT_WIDE_TEXT_MAX_BYTES = 81,
};

/* *w = 0. */
void amount_wide_zero(struct amount_wide *w);

/* *w = a. */
void amount_wide_from(struct amount_wide *w, amount_minor a);

/* *w += a.
 * Returns: TREASURY_OK; TREASURY_ERR_AMOUNT_OVERFLOW when the sum exceeds
 *          2^256-1 (*w unchanged). */
TREASURY_WARN_UNUSED treasury_err
amount_wide_add(struct amount_wide *w, amount_minor a);

/* *w -= a.
 * Returns: TREASURY_OK; TREASURY_ERR_AMOUNT_UNDERFLOW when a > *w (*w
 *          unchanged). An underflow means a caller's bug or sums that do
 *          not match their entries: the code answers HTTP 500. A caller
 *          that wants a signed difference compares first (amount_wide_cmp)
 *          and subtracts the smaller from the larger. */
TREASURY_WARN_UNUSED treasury_err
amount_wide_sub(struct amount_wide *w, amount_minor a);

/* *w += *x, as amount_wide_add. x may be w. */
TREASURY_WARN_UNUSED treasury_err
amount_wide_add_wide(struct amount_wide *w, const struct amount_wide *x);

/* *w -= *x, as amount_wide_sub. x may be w. */
TREASURY_WARN_UNUSED treasury_err
amount_wide_sub_wide(struct amount_wide *w, const struct amount_wide *x);

/* Returns: -1, 0 or 1 as *a <, == or > *b. */
int amount_wide_cmp(const struct amount_wide *a, const struct amount_wide *b);

/* Returns: true when *w == 0. */
bool amount_wide_is_zero(const struct amount_wide *w);

/* Narrow *w to an amount_minor.
 * Returns: true and *out = *w when *w <= 2^128-1; false (*out unchanged)
 *          otherwise. */
TREASURY_WARN_UNUSED bool
amount_wide_to_amount(const struct amount_wide *w, amount_minor *out);

/* *w *= m.
 * Returns: TREASURY_OK; TREASURY_ERR_AMOUNT_OVERFLOW when the product
 *          exceeds 2^256-1 (*w unchanged). */
TREASURY_WARN_UNUSED treasury_err
amount_wide_mul_small(struct amount_wide *w, uint64_t m);

/* *out = *a * *b (schoolbook over the limbs).
 * Returns: TREASURY_OK; TREASURY_ERR_AMOUNT_OVERFLOW when the product
 *          exceeds 2^256-1 (*out unchanged). */
TREASURY_WARN_UNUSED treasury_err
amount_wide_mul(const struct amount_wide *a, const struct amount_wide *b,
    struct amount_wide *out);

/* *w = floor(*w / d); returns *w mod d (of the value before).
 * Contract: d > 0 (asserted; 0 gives remainder 0 and *w unchanged when
 * assertions are off). */
uint64_t amount_wide_divmod_small(struct amount_wide *w, uint64_t d);

/* *q = floor(*n / *d) (shift-subtract long division, 256 steps). q may
 * alias n or d.
 * Returns: TREASURY_OK; TREASURY_ERR_INTERNAL when *d == 0 (a caller's
 *          bug; *q unchanged). */
TREASURY_WARN_UNUSED treasury_err
amount_wide_div(const struct amount_wide *n, const struct amount_wide *d,
    struct amount_wide *q);

/* Write *w as a plain decimal integer of minor units, `0|[1-9][0-9]*`
 * ("0" for zero), NUL-terminated: the storage form (ledger_days columns).
 * Returns: the length, without the NUL (1..78). */
size_t amount_wide_minor_text(const struct amount_wide *w,
    char out[AMOUNT_WIDE_TEXT_MAX_BYTES]);

/* Parse the text written by amount_wide_minor_text: `0|[1-9][0-9]*`.
 * Strict (it reads database columns): no sign, no space, no point, no
 * leading zero, not empty.
 * Returns: TREASURY_OK; TREASURY_ERR_AMOUNT_SYNTAX for any text not of the
 *          grammar; TREASURY_ERR_AMOUNT_OVERFLOW for text of the grammar
 *          whose value exceeds 2^256-1 (more than 78 digits included).
 * In:  text (need not be NUL-terminated), len.
 * Out: *out, only on success. */
TREASURY_WARN_UNUSED treasury_err
amount_wide_parse_minor(const char *text, size_t len, struct amount_wide *out);

/* Write *w in units of an asset with `decimals` fraction digits, exactly as
 * amount_format does for an amount_minor: always `decimals` fraction digits
 * (trailing zeros kept), no point at 0 decimals, "0.000001" for 1 at 6.
 * NUL-terminated; no sign (the caller writes one).
 * Contract: decimals <= ASSET_DECIMALS_MAX (18), asserted.
 * Returns: the length, without the NUL. */
size_t amount_wide_units_text(const struct amount_wide *w, unsigned decimals,
    char out[AMOUNT_WIDE_TEXT_MAX_BYTES]);

#endif
