/*
 * amount_wide.c: exact 256-bit unsigned sums of minor units.
 *
 * Four 64-bit limbs, least significant first (see amount_wide.h). Carries
 * and products go through unsigned __int128, the type amount_minor already
 * is. Every operation computes into a local and stores it only on success,
 * so a destination is unchanged on error and may alias a source. There is
 * no floating point in this file.
 */
#include <assert.h>
#include <stdbool.h>
#include <string.h>

#include "treasury/amount_wide.h"
#include "treasury/limits.h"

enum { LIMBS = 4, LIMB_BITS = 64, WIDE_BITS = LIMBS * LIMB_BITS };

typedef unsigned __int128 u128;

void
amount_wide_zero(struct amount_wide *w)
{
	memset(w->limb, 0, sizeof(w->limb));
}

void
amount_wide_from(struct amount_wide *w, amount_minor a)
{
	w->limb[0] = (uint64_t)a;
	w->limb[1] = (uint64_t)(a >> LIMB_BITS);
	w->limb[2] = 0;
	w->limb[3] = 0;
}

/* *sum = *a + *b mod 2^256; returns the carry out (0 or 1). */
static uint64_t
wide_add(struct amount_wide *sum, const struct amount_wide *a,
    const struct amount_wide *b)
{
	u128 carry = 0;
	int i;

	for (i = 0; i < LIMBS; i++) {
		carry += (u128)a->limb[i] + b->limb[i];
		sum->limb[i] = (uint64_t)carry;
		carry >>= LIMB_BITS;
	}
	return (uint64_t)carry;
}

/* *diff = *a - *b mod 2^256; returns the borrow out (0 or 1). */
static uint64_t
wide_sub(struct amount_wide *diff, const struct amount_wide *a,
    const struct amount_wide *b)
{
	uint64_t borrow = 0, x, y;
	int i;

	for (i = 0; i < LIMBS; i++) {
		x = a->limb[i];
		y = b->limb[i];
		diff->limb[i] = x - y - borrow;
		borrow = (x < y || (x == y && borrow != 0)) ? 1 : 0;
	}
	return borrow;
}

treasury_err
amount_wide_add_wide(struct amount_wide *w, const struct amount_wide *x)
{
	struct amount_wide sum;

	if (wide_add(&sum, w, x) != 0)
		return TREASURY_ERR_AMOUNT_OVERFLOW;
	*w = sum;
	return TREASURY_OK;
}

treasury_err
amount_wide_sub_wide(struct amount_wide *w, const struct amount_wide *x)
{
	struct amount_wide diff;

	if (wide_sub(&diff, w, x) != 0)
		return TREASURY_ERR_AMOUNT_UNDERFLOW;
	*w = diff;
	return TREASURY_OK;
}

treasury_err
amount_wide_add(struct amount_wide *w, amount_minor a)
{
	struct amount_wide x;

	amount_wide_from(&x, a);
	return amount_wide_add_wide(w, &x);
}

treasury_err
amount_wide_sub(struct amount_wide *w, amount_minor a)
{
	struct amount_wide x;

	amount_wide_from(&x, a);
	return amount_wide_sub_wide(w, &x);
}

int
amount_wide_cmp(const struct amount_wide *a, const struct amount_wide *b)
{
	int i;

	for (i = LIMBS - 1; i >= 0; i--) {
		if (a->limb[i] != b->limb[i])
			return a->limb[i] < b->limb[i] ? -1 : 1;
	}
	return 0;
}

bool
amount_wide_is_zero(const struct amount_wide *w)
{
	return (w->limb[0] | w->limb[1] | w->limb[2] | w->limb[3]) == 0;
}

bool
amount_wide_to_amount(const struct amount_wide *w, amount_minor *out)
{
	if ((w->limb[2] | w->limb[3]) != 0)
		return false;
	*out = ((amount_minor)w->limb[1] << LIMB_BITS) | w->limb[0];
	return true;
}

treasury_err
amount_wide_mul_small(struct amount_wide *w, uint64_t m)
{
	struct amount_wide prod;
	u128 carry = 0;
	int i;

	for (i = 0; i < LIMBS; i++) {
		carry += (u128)w->limb[i] * m;
		prod.limb[i] = (uint64_t)carry;
		carry >>= LIMB_BITS;
	}
	if (carry != 0)
		return TREASURY_ERR_AMOUNT_OVERFLOW;
	*w = prod;
	return TREASURY_OK;
}

treasury_err
amount_wide_mul(const struct amount_wide *a, const struct amount_wide *b,
    struct amount_wide *out)
{
	uint64_t prod[2 * LIMBS] = { 0 };
	u128 t;
	int i, j;

	for (i = 0; i < LIMBS; i++) {
		uint64_t carry = 0;

		for (j = 0; j < LIMBS; j++) {
			/* (2^64-1)^2 + 2 (2^64-1) = 2^128 - 1: no overflow */
			t = (u128)a->limb[i] * b->limb[j] + prod[i + j] + carry;
			prod[i + j] = (uint64_t)t;
			carry = (uint64_t)(t >> LIMB_BITS);
		}
		prod[i + LIMBS] = carry;
	}
	for (i = LIMBS; i < 2 * LIMBS; i++)
		if (prod[i] != 0)
			return TREASURY_ERR_AMOUNT_OVERFLOW;
	memcpy(out->limb, prod, sizeof(out->limb));
	return TREASURY_OK;
}

uint64_t
amount_wide_divmod_small(struct amount_wide *w, uint64_t d)
{
	u128 rem = 0;
	int i;

	assert(d > 0);
	if (d == 0)
		return 0;
	for (i = LIMBS - 1; i >= 0; i--) {
		rem = (rem << LIMB_BITS) | w->limb[i];
		w->limb[i] = (uint64_t)(rem / d);
		rem %= d;
	}
	return (uint64_t)rem;
}

/* Bit i (0 = least significant) of *w. */
static unsigned
wide_bit(const struct amount_wide *w, unsigned i)
{
	return (unsigned)(w->limb[i / LIMB_BITS] >> (i % LIMB_BITS)) & 1u;
}

/* *w = (*w << 1) | low mod 2^256; returns the bit shifted out. */
static unsigned
wide_shl1(struct amount_wide *w, unsigned low)
{
	uint64_t out = low;
	uint64_t next;
	int i;

	for (i = 0; i < LIMBS; i++) {
		next = w->limb[i] >> (LIMB_BITS - 1);
		w->limb[i] = (w->limb[i] << 1) | out;
		out = next;
	}
	return (unsigned)out;
}

treasury_err
amount_wide_div(const struct amount_wide *n, const struct amount_wide *d,
    struct amount_wide *q)
{
	struct amount_wide quot, rem;
	unsigned i, top;

	if (amount_wide_is_zero(d))
		return TREASURY_ERR_INTERNAL;
	amount_wide_zero(&quot);
	amount_wide_zero(&rem);
	for (i = WIDE_BITS; i > 0; i--) {
		/* rem < d before the shift, so a bit shifted out means the
		 * true remainder (2^256 + rem) exceeds d: subtracting mod
		 * 2^256 then gives the exact (smaller than d) result. */
		top = wide_shl1(&rem, wide_bit(n, i - 1));
		if (top != 0 || amount_wide_cmp(&rem, d) >= 0) {
			(void)wide_sub(&rem, &rem, d);
			quot.limb[(i - 1) / LIMB_BITS] |=
			    (uint64_t)1 << ((i - 1) % LIMB_BITS);
		}
	}
	*q = quot;
	return TREASURY_OK;
}

/* Write the decimal digits of *w, most significant first, padded with
 * leading zeros to at least min_digits, into out (no NUL). Returns the
 * number written (at most AMOUNT_WIDE_DIGITS_MAX or min_digits). */
static size_t
wide_digits(const struct amount_wide *w, size_t min_digits,
    char out[AMOUNT_WIDE_TEXT_MAX_BYTES])
{
	char rev[AMOUNT_WIDE_TEXT_MAX_BYTES];
	struct amount_wide v = *w;
	size_t n = 0, i;

	assert(min_digits < AMOUNT_WIDE_TEXT_MAX_BYTES);
	do {
		rev[n++] = (char)('0' + amount_wide_divmod_small(&v, 10));
	} while (!amount_wide_is_zero(&v));
	while (n < min_digits)
		rev[n++] = '0';
	assert(n < AMOUNT_WIDE_TEXT_MAX_BYTES);
	for (i = 0; i < n; i++)
		out[i] = rev[n - 1 - i];
	return n;
}

size_t
amount_wide_minor_text(const struct amount_wide *w,
    char out[AMOUNT_WIDE_TEXT_MAX_BYTES])
{
	size_t n;

	n = wide_digits(w, 1, out);
	out[n] = '\0';
	return n;
}

size_t
amount_wide_units_text(const struct amount_wide *w, unsigned decimals,
    char out[AMOUNT_WIDE_TEXT_MAX_BYTES])
{
	char digits[AMOUNT_WIDE_TEXT_MAX_BYTES];
	size_t n, int_len;

	assert(decimals <= ASSET_DECIMALS_MAX);
	n = wide_digits(w, (size_t)decimals + 1, digits);
	int_len = n - decimals;
	memcpy(out, digits, int_len);
	if (decimals == 0) {
		out[n] = '\0';
		return n;
	}
	out[int_len] = '.';
	memcpy(out + int_len + 1, digits + int_len, decimals);
	out[n + 1] = '\0';
	return n + 1;
}

static bool
char_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* True when text is `0|[1-9][0-9]*`. */
static bool
minor_text_is_syntax(const char *text, size_t len)
{
	size_t i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++) {
		if (!char_is_digit(text[i]))
			return false;
	}
	return len == 1 || text[0] != '0';
}

treasury_err
amount_wide_parse_minor(const char *text, size_t len, struct amount_wide *out)
{
	struct amount_wide v;
	size_t i;

	if (len == 0 || text == NULL)
		return TREASURY_ERR_AMOUNT_SYNTAX;
	if (!minor_text_is_syntax(text, len))
		return TREASURY_ERR_AMOUNT_SYNTAX;
	if (len > AMOUNT_WIDE_DIGITS_MAX)
		return TREASURY_ERR_AMOUNT_OVERFLOW;
	amount_wide_zero(&v);
	for (i = 0; i < len; i++) {
		if (amount_wide_mul_small(&v, 10) != TREASURY_OK ||
		    amount_wide_add(&v, (amount_minor)(text[i] - '0')) !=
		    TREASURY_OK)
			return TREASURY_ERR_AMOUNT_OVERFLOW;
	}
	*out = v;
	return TREASURY_OK;
}
