/*
 * price.c: price texts and units of account (include/treasury/price.h).
 */
#include <assert.h>
#include <string.h>

#include "treasury/limits.h"
#include "treasury/price.h"

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The grammar, digit by digit: the integer part's and the fraction's
 * lengths, and whether any digit is not zero. */
static treasury_err
price_scan(const char *t, size_t len, size_t *int_len, size_t *frac_len,
    bool *nonzero)
{
	size_t i = 0;

	*nonzero = false;
	if (t[0] == '+' || t[0] == '-')
		return TREASURY_ERR_AMOUNT_SIGN;
	while (i < len && is_digit(t[i]))
		*nonzero |= t[i++] != '0';
	*int_len = i;
	if (i == 0)
		return TREASURY_ERR_AMOUNT_SYNTAX;
	if (i > 1 && t[0] == '0')
		return TREASURY_ERR_AMOUNT_LEADING_ZERO;
	*frac_len = 0;
	if (i == len)
		return TREASURY_OK;
	if (t[i++] != '.' || i == len)
		return TREASURY_ERR_AMOUNT_SYNTAX;
	while (i < len && is_digit(t[i])) {
		*nonzero |= t[i++] != '0';
		(*frac_len)++;
	}
	if (i != len)
		return TREASURY_ERR_AMOUNT_SYNTAX;
	return *frac_len > PRICE_FRACTION_DIGITS_MAX ?
	    TREASURY_ERR_AMOUNT_FRACTION_DIGITS : TREASURY_OK;
}

treasury_err
price_text_normalise(const char *text, size_t len,
    char out[PRICE_TEXT_MAX_BYTES + 1])
{
	size_t int_len, frac_len, n;
	bool nonzero;
	treasury_err err;

	if (len == 0)
		return TREASURY_ERR_AMOUNT_EMPTY;
	if (len > PRICE_TEXT_MAX_BYTES)
		return TREASURY_ERR_AMOUNT_TOO_LONG;
	err = price_scan(text, len, &int_len, &frac_len, &nonzero);
	if (err != TREASURY_OK)
		return err;
	if (!nonzero)
		return TREASURY_ERR_AMOUNT_ZERO;
	while (frac_len > 0 && text[int_len + frac_len] == '0')
		frac_len--;
	n = int_len + (frac_len > 0 ? 1 + frac_len : 0);
	assert(n <= len);
	memcpy(out, text, n);
	out[n] = '\0';
	return TREASURY_OK;
}

treasury_err
price_unit_check(const char *text, size_t len)
{
	if (len < 1 || len > PRICE_UNIT_MAX_BYTES)
		return TREASURY_ERR_INVALID_FIELD;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];

		if (!is_digit(c) && !(c >= 'a' && c <= 'z') &&
		    !(c >= 'A' && c <= 'Z') && c != '.' && c != '_' &&
		    c != '-')
			return TREASURY_ERR_INVALID_FIELD;
	}
	return TREASURY_OK;
}

/* price * 10^18 as an integer. */
static treasury_err
price_e18(const char *price, struct amount_wide *out)
{
	size_t len = strlen(price), int_len, frac_len, i;
	struct amount_wide v;
	bool nonzero;

	if (len == 0 || len > PRICE_TEXT_MAX_BYTES ||
	    price_scan(price, len, &int_len, &frac_len, &nonzero) !=
	    TREASURY_OK)
		return TREASURY_ERR_AMOUNT_SYNTAX;
	amount_wide_zero(&v);
	for (i = 0; i < len; i++) {
		if (price[i] == '.')
			continue;
		if (amount_wide_mul_small(&v, 10) != TREASURY_OK ||
		    amount_wide_add(&v, (amount_minor)(price[i] - '0')) !=
		    TREASURY_OK)
			return TREASURY_ERR_AMOUNT_OVERFLOW;
	}
	for (i = frac_len; i < PRICE_FRACTION_DIGITS_MAX; i++)
		if (amount_wide_mul_small(&v, 10) != TREASURY_OK)
			return TREASURY_ERR_AMOUNT_OVERFLOW;
	*out = v;
	return TREASURY_OK;
}

treasury_err
price_value_exact(const struct amount_wide *amount, const char *price,
    struct amount_wide *out)
{
	struct amount_wide p;
	treasury_err err;

	err = price_e18(price, &p);
	if (err == TREASURY_OK)
		err = amount_wide_mul(amount, &p, out);
	return err;
}

treasury_err
price_value_e18(const struct amount_wide *amount, unsigned decimals,
    const char *price, struct amount_wide *out)
{
	struct amount_wide v;
	treasury_err err;
	unsigned i;

	assert(decimals <= ASSET_DECIMALS_MAX);
	err = price_value_exact(amount, price, &v);
	if (err != TREASURY_OK)
		return err;
	for (i = 0; i < decimals; i++)
		(void)amount_wide_divmod_small(&v, 10);
	*out = v;
	return TREASURY_OK;
}

size_t
price_scaled_text(const struct amount_wide *v, unsigned scale,
    char out[AMOUNT_WIDE_TEXT_MAX_BYTES])
{
	char frac[PRICE_VALUE_SCALE_MAX];
	struct amount_wide w = *v;
	size_t len;
	unsigned i, n = scale;

	assert(scale <= PRICE_VALUE_SCALE_MAX);
	for (i = scale; i > 0; i--)
		frac[i - 1] = (char)('0' + amount_wide_divmod_small(&w, 10));
	while (n > 0 && frac[n - 1] == '0')
		n--;
	len = amount_wide_minor_text(&w, out);
	if (n > 0) {
		/* the integer part and all `scale` digits fit: 78 digits in
		 * all at most, plus the point and the NUL */
		assert(len + 1 + n < AMOUNT_WIDE_TEXT_MAX_BYTES);
		out[len++] = '.';
		memcpy(out + len, frac, n);
		len += n;
		out[len] = '\0';
	}
	return len;
}

size_t
price_value_text(const struct amount_wide *value_e18,
    char out[AMOUNT_WIDE_TEXT_MAX_BYTES])
{
	return price_scaled_text(value_e18, PRICE_FRACTION_DIGITS_MAX, out);
}
