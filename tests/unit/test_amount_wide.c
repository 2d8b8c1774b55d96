/*
 * test_amount_wide.c: unit tests of core/amount_wide.c, 256-bit sums.
 *
 * Carries across every limb, overflow at 2^256 and underflow below zero
 * (destination unchanged), comparison, narrowing to amount_minor, small
 * multiplication and division, long division against a multiplication done
 * here, the minor-unit text (parse and print, strict), and the units text
 * byte for byte against amount_format for decimals 0..18.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "treasury/amount_wide.h"

#define U128_MAX_TEXT "340282366920938463463374607431768211455"
#define U128_MAX_PLUS_ONE_TEXT "340282366920938463463374607431768211456"
#define U256_MAX_TEXT \
	"115792089237316195423570985008687907853269984665640564039457584007913129639935"
#define U256_MAX_PLUS_ONE_TEXT \
	"115792089237316195423570985008687907853269984665640564039457584007913129639936"

static const struct amount_wide WIDE_MAX = { { UINT64_MAX, UINT64_MAX,
	UINT64_MAX, UINT64_MAX } };
static const struct amount_wide SENTINEL = { { 0x5eed, 1, 2, 3 } };

/* xorshift64*: a fixed sequence, the same on every run. */
static uint64_t
rand64(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static void
wide_set(struct amount_wide *w, uint64_t l3, uint64_t l2, uint64_t l1,
    uint64_t l0)
{
	w->limb[0] = l0;
	w->limb[1] = l1;
	w->limb[2] = l2;
	w->limb[3] = l3;
}

static void
assert_wide_equal(const struct amount_wide *a, const struct amount_wide *b)
{
	assert_memory_equal(a->limb, b->limb, sizeof(a->limb));
}

static void
assert_text(const struct amount_wide *w, const char *want)
{
	char text[AMOUNT_WIDE_TEXT_MAX_BYTES];
	size_t n;

	n = amount_wide_minor_text(w, text);
	assert_string_equal(text, want);
	assert_int_equal(n, strlen(want));
}

static struct amount_wide
parse_ok(const char *text)
{
	struct amount_wide w;

	assert_int_equal(amount_wide_parse_minor(text, strlen(text), &w),
	    TREASURY_OK);
	return w;
}

static void
test_zero_and_from(void **state)
{
	struct amount_wide w = SENTINEL;
	amount_minor a = 0;

	(void)state;
	amount_wide_zero(&w);
	assert_true(amount_wide_is_zero(&w));
	assert_text(&w, "0");
	amount_wide_from(&w, AMOUNT_MINOR_MAX);
	assert_false(amount_wide_is_zero(&w));
	assert_text(&w, U128_MAX_TEXT);
	assert_true(amount_wide_to_amount(&w, &a));
	assert_true(a == AMOUNT_MINOR_MAX);
	amount_wide_from(&w, 0);
	assert_true(amount_wide_is_zero(&w));
}

static void
test_add_carries(void **state)
{
	struct amount_wide w, want;
	amount_minor a = 7;

	(void)state;
	amount_wide_from(&w, AMOUNT_MINOR_MAX);
	assert_int_equal(amount_wide_add(&w, 1), TREASURY_OK);
	assert_text(&w, U128_MAX_PLUS_ONE_TEXT);
	assert_false(amount_wide_to_amount(&w, &a));
	assert_true(a == 7);			/* unchanged */
	wide_set(&want, 0, 1, 0, 0);
	assert_wide_equal(&w, &want);
	/* a carry through three limbs into the top one */
	wide_set(&w, 0, UINT64_MAX, UINT64_MAX, UINT64_MAX);
	assert_int_equal(amount_wide_add(&w, 1), TREASURY_OK);
	wide_set(&want, 1, 0, 0, 0);
	assert_wide_equal(&w, &want);
	/* up to the maximum exactly, then one more overflows */
	w = WIDE_MAX;
	assert_int_equal(amount_wide_sub(&w, AMOUNT_MINOR_MAX), TREASURY_OK);
	assert_int_equal(amount_wide_add(&w, AMOUNT_MINOR_MAX), TREASURY_OK);
	assert_wide_equal(&w, &WIDE_MAX);
	assert_text(&w, U256_MAX_TEXT);
	assert_int_equal(amount_wide_add(&w, 1), TREASURY_ERR_AMOUNT_OVERFLOW);
	assert_wide_equal(&w, &WIDE_MAX);
	assert_int_equal(amount_wide_add(&w, 0), TREASURY_OK);
}

static void
test_sub_borrows(void **state)
{
	struct amount_wide w, want, x;

	(void)state;
	wide_set(&w, 1, 0, 0, 0);
	assert_int_equal(amount_wide_sub(&w, 1), TREASURY_OK);
	wide_set(&want, 0, UINT64_MAX, UINT64_MAX, UINT64_MAX);
	assert_wide_equal(&w, &want);
	amount_wide_from(&w, 5);
	assert_int_equal(amount_wide_sub(&w, 6), TREASURY_ERR_AMOUNT_UNDERFLOW);
	assert_text(&w, "5");
	assert_int_equal(amount_wide_sub(&w, 5), TREASURY_OK);
	assert_true(amount_wide_is_zero(&w));
	assert_int_equal(amount_wide_sub(&w, 1), TREASURY_ERR_AMOUNT_UNDERFLOW);
	assert_true(amount_wide_is_zero(&w));
	/* wide: equal limbs above, a borrow only from the lowest */
	wide_set(&w, 3, 2, 1, 0);
	wide_set(&x, 3, 2, 1, 1);
	assert_int_equal(amount_wide_sub_wide(&w, &x),
	    TREASURY_ERR_AMOUNT_UNDERFLOW);
	wide_set(&want, 3, 2, 1, 0);
	assert_wide_equal(&w, &want);
	assert_int_equal(amount_wide_sub_wide(&x, &w), TREASURY_OK);
	assert_text(&x, "1");
	/* x - x through the alias */
	w = WIDE_MAX;
	assert_int_equal(amount_wide_sub_wide(&w, &w), TREASURY_OK);
	assert_true(amount_wide_is_zero(&w));
}

static void
test_add_sub_wide_random(void **state)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	struct amount_wide a, b, s, back;
	int i, j;

	(void)state;
	for (i = 0; i < 2000; i++) {
		for (j = 0; j < 4; j++) {
			a.limb[j] = rand64(&seed) >> (i % 3 == 0 ? 1 : 0);
			b.limb[j] = rand64(&seed) >> 1;
		}
		a.limb[3] >>= 1;
		s = a;
		assert_int_equal(amount_wide_add_wide(&s, &b), TREASURY_OK);
		assert_int_equal(amount_wide_cmp(&s, &a), amount_wide_is_zero(&b)
		    ? 0 : 1);
		back = s;
		assert_int_equal(amount_wide_sub_wide(&back, &b), TREASURY_OK);
		assert_wide_equal(&back, &a);
		back = s;
		assert_int_equal(amount_wide_sub_wide(&back, &a), TREASURY_OK);
		assert_wide_equal(&back, &b);
	}
}

static void
test_add_matches_u128(void **state)
{
	uint64_t seed = 42;
	struct amount_wide w;
	amount_minor a, b, out;
	int i;

	(void)state;
	for (i = 0; i < 2000; i++) {
		a = ((amount_minor)rand64(&seed) << 63) | rand64(&seed);
		b = ((amount_minor)rand64(&seed) << 63) | rand64(&seed);
		amount_wide_from(&w, a);
		assert_int_equal(amount_wide_add(&w, b), TREASURY_OK);
		assert_true(amount_wide_to_amount(&w, &out));
		assert_true(out == a + b);	/* both < 2^127 */
		assert_int_equal(amount_wide_sub(&w, a > b ? a : b),
		    TREASURY_OK);
		assert_true(amount_wide_to_amount(&w, &out));
		assert_true(out == (a > b ? b : a));
	}
}

static void
test_cmp(void **state)
{
	struct amount_wide a, b;

	(void)state;
	amount_wide_zero(&a);
	amount_wide_zero(&b);
	assert_int_equal(amount_wide_cmp(&a, &b), 0);
	wide_set(&a, 1, 0, 0, 0);
	wide_set(&b, 0, UINT64_MAX, UINT64_MAX, UINT64_MAX);
	assert_int_equal(amount_wide_cmp(&a, &b), 1);
	assert_int_equal(amount_wide_cmp(&b, &a), -1);
	wide_set(&a, 5, 5, 5, 4);
	wide_set(&b, 5, 5, 5, 5);
	assert_int_equal(amount_wide_cmp(&a, &b), -1);
	assert_int_equal(amount_wide_cmp(&b, &b), 0);
	wide_set(&a, 0, 1, 0, 0);
	wide_set(&b, 0, 0, UINT64_MAX, UINT64_MAX);
	assert_int_equal(amount_wide_cmp(&a, &b), 1);
}

static void
test_to_amount(void **state)
{
	struct amount_wide w;
	amount_minor a = 9;

	(void)state;
	wide_set(&w, 0, 0, 3, 4);
	assert_true(amount_wide_to_amount(&w, &a));
	assert_true(a == (((amount_minor)3 << 64) | 4));
	a = 9;
	wide_set(&w, 1, 0, 0, 0);
	assert_false(amount_wide_to_amount(&w, &a));
	assert_true(a == 9);
}

static void
test_mul_small(void **state)
{
	struct amount_wide w, want;

	(void)state;
	amount_wide_from(&w, AMOUNT_MINOR_MAX);
	assert_int_equal(amount_wide_mul_small(&w, 300), TREASURY_OK);
	/* (2^128-1) * 300 */
	assert_text(&w, "102084710076281539039012382229530463436500");
	assert_int_equal(amount_wide_mul_small(&w, 0), TREASURY_OK);
	assert_true(amount_wide_is_zero(&w));
	w = WIDE_MAX;
	assert_int_equal(amount_wide_mul_small(&w, 1), TREASURY_OK);
	assert_wide_equal(&w, &WIDE_MAX);
	assert_int_equal(amount_wide_mul_small(&w, 2),
	    TREASURY_ERR_AMOUNT_OVERFLOW);
	assert_wide_equal(&w, &WIDE_MAX);
	/* 2^255 * 2 overflows, 2^254 * 2 does not */
	wide_set(&w, (uint64_t)1 << 63, 0, 0, 0);
	assert_int_equal(amount_wide_mul_small(&w, 2),
	    TREASURY_ERR_AMOUNT_OVERFLOW);
	wide_set(&w, (uint64_t)1 << 62, 0, 0, 0);
	assert_int_equal(amount_wide_mul_small(&w, 2), TREASURY_OK);
	wide_set(&want, (uint64_t)1 << 63, 0, 0, 0);
	assert_wide_equal(&w, &want);
}

static void
test_divmod_small(void **state)
{
	struct amount_wide w;
	uint64_t seed = 7, d, r;
	struct amount_wide orig;
	int i, j;

	(void)state;
	w = WIDE_MAX;
	assert_int_equal(amount_wide_divmod_small(&w, 10), 5);
	assert_text(&w, "11579208923731619542357098500868790785326998466564056"
	    "403945758400791312963993");
	w = WIDE_MAX;
	assert_int_equal(amount_wide_divmod_small(&w, UINT64_MAX), 0);
	assert_int_equal(amount_wide_divmod_small(&w, 1), 0);
	/* q * d + r == n, r < d */
	for (i = 0; i < 1000; i++) {
		for (j = 0; j < 4; j++)
			orig.limb[j] = rand64(&seed);
		d = rand64(&seed) >> (i % 64);
		if (d == 0)
			d = 1;
		w = orig;
		r = amount_wide_divmod_small(&w, d);
		assert_true(r < d);
		assert_int_equal(amount_wide_mul_small(&w, d), TREASURY_OK);
		assert_int_equal(amount_wide_add(&w, r), TREASURY_OK);
		assert_wide_equal(&w, &orig);
	}
}

/* *p = *a * *b exactly; false when the product exceeds 2^256-1 (a test
 * oracle, independent of the code under test). */
static bool
wide_mul(const struct amount_wide *a, const struct amount_wide *b,
    struct amount_wide *p)
{
	uint64_t r[8] = { 0 };
	unsigned __int128 t;
	int i, j;

	for (i = 0; i < 4; i++) {
		uint64_t carry = 0;

		for (j = 0; j < 4; j++) {
			t = (unsigned __int128)a->limb[i] * b->limb[j] +
			    r[i + j] + carry;
			r[i + j] = (uint64_t)t;
			carry = (uint64_t)(t >> 64);
		}
		r[i + 4] = carry;
	}
	for (i = 4; i < 8; i++)
		if (r[i] != 0)
			return false;
	memcpy(p->limb, r, sizeof(p->limb));
	return true;
}

/* q is floor(n / d): q * d <= n < (q + 1) * d. */
static void
assert_floor_quotient(const struct amount_wide *n, const struct amount_wide *d,
    const struct amount_wide *q)
{
	struct amount_wide p, q1;

	assert_true(wide_mul(q, d, &p));
	assert_true(amount_wide_cmp(&p, n) <= 0);
	q1 = *q;
	assert_int_equal(amount_wide_add(&q1, 1), TREASURY_OK);
	if (wide_mul(&q1, d, &p))
		assert_true(amount_wide_cmp(&p, n) > 0);
}

static void
test_div(void **state)
{
	struct amount_wide n, d, q, want;
	uint64_t seed = 99;
	int i, j, shift;

	(void)state;
	n = WIDE_MAX;
	amount_wide_zero(&d);
	q = SENTINEL;
	assert_int_equal(amount_wide_div(&n, &d, &q), TREASURY_ERR_INTERNAL);
	assert_wide_equal(&q, &SENTINEL);
	/* max / max, max / 1, small / big */
	assert_int_equal(amount_wide_div(&n, &n, &q), TREASURY_OK);
	assert_text(&q, "1");
	amount_wide_from(&d, 1);
	assert_int_equal(amount_wide_div(&n, &d, &q), TREASURY_OK);
	assert_wide_equal(&q, &WIDE_MAX);
	amount_wide_from(&n, 5);
	d = WIDE_MAX;
	assert_int_equal(amount_wide_div(&n, &d, &q), TREASURY_OK);
	assert_true(amount_wide_is_zero(&q));
	/* a divisor above 2^255: the remainder's shift carries out */
	n = WIDE_MAX;
	wide_set(&d, (uint64_t)1 << 63, 0, 0, 1);
	assert_int_equal(amount_wide_div(&n, &d, &q), TREASURY_OK);
	assert_text(&q, "1");
	/* runway: balance * 300 / outflow_90d */
	n = parse_ok("1000000000");
	assert_int_equal(amount_wide_mul_small(&n, 300), TREASURY_OK);
	d = parse_ok("450000000");
	assert_int_equal(amount_wide_div(&n, &d, &q), TREASURY_OK);
	assert_text(&q, "666");
	/* q aliases n, then d */
	n = parse_ok("1000");
	d = parse_ok("7");
	assert_int_equal(amount_wide_div(&n, &d, &n), TREASURY_OK);
	assert_text(&n, "142");
	n = parse_ok("1000");
	assert_int_equal(amount_wide_div(&n, &d, &d), TREASURY_OK);
	assert_text(&d, "142");
	for (i = 0; i < 500; i++) {
		for (j = 0; j < 4; j++) {
			n.limb[j] = rand64(&seed);
			d.limb[j] = rand64(&seed);
		}
		shift = i % 4;		/* divisors of 1..4 limbs */
		for (j = 3; j > 3 - shift; j--)
			d.limb[j] = 0;
		if (amount_wide_is_zero(&d))
			d.limb[0] = 1;
		assert_int_equal(amount_wide_div(&n, &d, &q), TREASURY_OK);
		assert_floor_quotient(&n, &d, &q);
		/* against divmod_small for one-limb divisors (shift 3) */
		if (shift == 3) {
			want = n;
			(void)amount_wide_divmod_small(&want, d.limb[0]);
			assert_int_equal(amount_wide_div(&n, &d, &q),
			    TREASURY_OK);
			assert_wide_equal(&q, &want);
		}
	}
}

static void
test_minor_text_round_trip(void **state)
{
	char text[AMOUNT_WIDE_TEXT_MAX_BYTES];
	struct amount_wide w, back;
	uint64_t seed = 12345;
	size_t n;
	int i, j;

	(void)state;
	w = parse_ok(U256_MAX_TEXT);
	assert_wide_equal(&w, &WIDE_MAX);
	w = parse_ok("0");
	assert_true(amount_wide_is_zero(&w));
	w = parse_ok(U128_MAX_PLUS_ONE_TEXT);
	assert_text(&w, U128_MAX_PLUS_ONE_TEXT);
	for (i = 0; i < 1000; i++) {
		for (j = 0; j < 4; j++)
			w.limb[j] = rand64(&seed) >> (i % 64);
		n = amount_wide_minor_text(&w, text);
		assert_int_equal(n, strlen(text));
		assert_true(n <= AMOUNT_WIDE_DIGITS_MAX);
		assert_int_equal(amount_wide_parse_minor(text, n, &back),
		    TREASURY_OK);
		assert_wide_equal(&back, &w);
	}
}

static void
test_minor_text_matches_amount(void **state)
{
	char want[AMOUNT_FORMAT_MAX_BYTES];
	char text[AMOUNT_WIDE_TEXT_MAX_BYTES];
	uint64_t seed = 5;
	struct amount_wide w;
	amount_minor a;
	int i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		a = ((amount_minor)rand64(&seed) << 64 | rand64(&seed)) >>
		    (i % 128);
		amount_to_minor_text(a, want);
		amount_wide_from(&w, a);
		(void)amount_wide_minor_text(&w, text);
		assert_string_equal(text, want);
	}
}

static void
expect_parse_err(const char *text, size_t len, treasury_err want)
{
	struct amount_wide w = SENTINEL;
	treasury_err err;

	err = amount_wide_parse_minor(text, len, &w);
	if (err != want)
		print_error("\"%.*s\": got %s, want %s\n", (int)len, text,
		    treasury_err_name(err), treasury_err_name(want));
	assert_int_equal(err, want);
	assert_wide_equal(&w, &SENTINEL);
}

static void
test_parse_minor_errors(void **state)
{
	static const char *const syntax[] = {
		"", "00", "01", "+1", "-1", " 1", "1 ", "1.0", "1e3", "0x10",
		"1,000", "１", "12a", "a",
	};
	char long_text[200];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(syntax) / sizeof(syntax[0]); i++)
		expect_parse_err(syntax[i], strlen(syntax[i]),
		    TREASURY_ERR_AMOUNT_SYNTAX);
	expect_parse_err("12\0" "3", 4, TREASURY_ERR_AMOUNT_SYNTAX);
	expect_parse_err(U256_MAX_PLUS_ONE_TEXT, strlen(U256_MAX_PLUS_ONE_TEXT),
	    TREASURY_ERR_AMOUNT_OVERFLOW);
	expect_parse_err("999999999999999999999999999999999999999999999999999"
	    "999999999999999999999999999", 78, TREASURY_ERR_AMOUNT_OVERFLOW);
	memset(long_text, '1', sizeof(long_text));
	expect_parse_err(long_text, 79, TREASURY_ERR_AMOUNT_OVERFLOW);
	expect_parse_err(long_text, sizeof(long_text),
	    TREASURY_ERR_AMOUNT_OVERFLOW);
	long_text[150] = 'x';
	expect_parse_err(long_text, sizeof(long_text),
	    TREASURY_ERR_AMOUNT_SYNTAX);
	expect_parse_err(NULL, 0, TREASURY_ERR_AMOUNT_SYNTAX);
	/* len bounds the text: "12" of "123" */
	assert_int_equal(amount_wide_parse_minor("123", 2, &(struct amount_wide){
	    { 0 } }), TREASURY_OK);
}

static void
expect_units_match(amount_minor a, unsigned decimals)
{
	char want[AMOUNT_FORMAT_MAX_BYTES];
	char text[AMOUNT_WIDE_TEXT_MAX_BYTES];
	struct amount_wide w;
	size_t n;

	assert_int_equal(amount_format(a, decimals, want, sizeof(want)),
	    TREASURY_OK);
	amount_wide_from(&w, a);
	n = amount_wide_units_text(&w, decimals, text);
	if (strcmp(text, want) != 0)
		print_error("decimals %u: got \"%s\", want \"%s\"\n", decimals,
		    text, want);
	assert_string_equal(text, want);
	assert_int_equal(n, strlen(want));
}

static void
test_units_text_matches_amount_format(void **state)
{
	uint64_t seed = 2024;
	amount_minor p;
	unsigned dec;
	int i;

	(void)state;
	for (dec = 0; dec <= ASSET_DECIMALS_MAX; dec++) {
		expect_units_match(0, dec);
		expect_units_match(AMOUNT_MINOR_MAX, dec);
		for (p = 1, i = 0; i <= 38; i++, p *= 10) {
			expect_units_match(p, dec);
			expect_units_match(p - 1, dec);
			expect_units_match(p + 1, dec);
			expect_units_match(p * 125, dec);
		}
		for (i = 0; i < 300; i++)
			expect_units_match(((amount_minor)rand64(&seed) << 64 |
			    rand64(&seed)) >> (i % 128), dec);
	}
}

static void
test_units_text_wide(void **state)
{
	char text[AMOUNT_WIDE_TEXT_MAX_BYTES];
	struct amount_wide w;
	size_t n;

	(void)state;
	w = parse_ok("12500000");
	n = amount_wide_units_text(&w, 6, text);
	assert_string_equal(text, "12.500000");
	assert_int_equal(n, 9);
	w = WIDE_MAX;
	n = amount_wide_units_text(&w, 18, text);
	assert_string_equal(text, "115792089237316195423570985008687907853269"
	    "984665640564039457.584007913129639935");
	assert_int_equal(n, 79);
	n = amount_wide_units_text(&w, 0, text);
	assert_string_equal(text, U256_MAX_TEXT);
	assert_int_equal(n, 78);
	w = parse_ok(U128_MAX_PLUS_ONE_TEXT);
	(void)amount_wide_units_text(&w, 6, text);
	assert_string_equal(text, "340282366920938463463374607431768.211456");
	amount_wide_from(&w, 1);
	(void)amount_wide_units_text(&w, 18, text);
	assert_string_equal(text, "0.000000000000000001");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zero_and_from),
		cmocka_unit_test(test_add_carries),
		cmocka_unit_test(test_sub_borrows),
		cmocka_unit_test(test_add_sub_wide_random),
		cmocka_unit_test(test_add_matches_u128),
		cmocka_unit_test(test_cmp),
		cmocka_unit_test(test_to_amount),
		cmocka_unit_test(test_mul_small),
		cmocka_unit_test(test_divmod_small),
		cmocka_unit_test(test_div),
		cmocka_unit_test(test_minor_text_round_trip),
		cmocka_unit_test(test_minor_text_matches_amount),
		cmocka_unit_test(test_parse_minor_errors),
		cmocka_unit_test(test_units_text_matches_amount_format),
		cmocka_unit_test(test_units_text_wide),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
