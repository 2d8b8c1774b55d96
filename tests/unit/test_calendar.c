/*
 * test_calendar.c: unit tests of core/calendar.c, UTC calendar arithmetic.
 *
 * Days <-> civil dates (every day from 1970 to 2400 and back, known dates,
 * days before 1970 and before year 0), period bounds of months, quarters
 * and years (negative times floored), the time parameter in its three
 * forms and its malformed inputs, and the date and time texts (the latter
 * against canonical.h's timestamp_format).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "treasury/calendar.h"
#include "treasury/canonical.h"

static const int64_t DAY_S = CALENDAR_SECONDS_PER_DAY;
static const int64_t SENTINEL_S = 0x5eed;

static void
assert_civil(int64_t days, int64_t y, unsigned m, unsigned d)
{
	int64_t got_y;
	unsigned got_m, got_d;

	calendar_civil_from_days(days, &got_y, &got_m, &got_d);
	if (got_y != y || got_m != m || got_d != d)
		print_error("day %lld: got %lld-%u-%u, want %lld-%u-%u\n",
		    (long long)days, (long long)got_y, got_m, got_d,
		    (long long)y, m, d);
	assert_true(got_y == y && got_m == m && got_d == d);
	assert_int_equal(calendar_days_from_civil(y, m, d), days);
}

static void
test_known_dates(void **state)
{
	(void)state;
	assert_civil(0, 1970, 1, 1);
	assert_civil(-1, 1969, 12, 31);
	assert_civil(59, 1970, 3, 1);
	assert_civil(10957, 2000, 1, 1);
	assert_civil(11016, 2000, 2, 29);
	assert_civil(11017, 2000, 3, 1);
	assert_civil(47540, 2100, 2, 28);
	assert_civil(47541, 2100, 3, 1);	/* 2100 is not leap */
	assert_civil(20544, 2026, 4, 1);
	assert_civil(2932896, 9999, 12, 31);
	assert_civil(-719468, 0, 3, 1);
	assert_civil(-719469, 0, 2, 29);	/* year 0 is leap */
	assert_civil(-719528, 0, 1, 1);
	assert_civil(-719529, -1, 12, 31);
	assert_civil(-141427, 1582, 10, 15);
	assert_civil(-719162, 1, 1, 1);
}

static void
test_every_day_1970_to_2400(void **state)
{
	int64_t days, end, y = 1970, got_y;
	unsigned m = 1, d = 1, got_m, got_d, len;
	static const unsigned month_len[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	(void)state;
	end = calendar_days_from_civil(2401, 1, 1);
	/* walk the calendar by hand alongside the day count */
	for (days = 0; days < end; days++) {
		calendar_civil_from_days(days, &got_y, &got_m, &got_d);
		assert_true(got_y == y && got_m == m && got_d == d);
		assert_int_equal(calendar_days_from_civil(y, m, d), days);
		len = month_len[m - 1];
		if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
			len = 29;
		if (++d > len) {
			d = 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
	}
	assert_true(y == 2401 && m == 1 && d == 1);
}

static void
test_round_trip_wide_range(void **state)
{
	int64_t days, y;
	unsigned m, d;

	(void)state;
	for (days = -3000000; days <= 3000000; days += 7) {
		calendar_civil_from_days(days, &y, &m, &d);
		assert_true(m >= 1 && m <= 12 && d >= 1 && d <= 31);
		assert_int_equal(calendar_days_from_civil(y, m, d), days);
	}
}

static void
test_period_names(void **state)
{
	enum calendar_period p = PERIOD_YEAR;

	(void)state;
	assert_true(calendar_period_parse("month", &p));
	assert_int_equal(p, PERIOD_MONTH);
	assert_true(calendar_period_parse("quarter", &p));
	assert_int_equal(p, PERIOD_QUARTER);
	assert_true(calendar_period_parse("year", &p));
	assert_int_equal(p, PERIOD_YEAR);
	assert_false(calendar_period_parse("Month", &p));
	assert_false(calendar_period_parse("months", &p));
	assert_false(calendar_period_parse("", &p));
	assert_false(calendar_period_parse("week", &p));
	assert_int_equal(p, PERIOD_YEAR);
	assert_string_equal(calendar_period_name(PERIOD_MONTH), "month");
	assert_string_equal(calendar_period_name(PERIOD_QUARTER), "quarter");
	assert_string_equal(calendar_period_name(PERIOD_YEAR), "year");
	assert_string_equal(calendar_period_name((enum calendar_period)0),
	    "unknown");
}

static int64_t
at(int64_t y, unsigned m, unsigned d)
{
	return calendar_days_from_civil(y, m, d) * DAY_S;
}

static void
assert_bounds(int64_t t_s, enum calendar_period p, int64_t from_s,
    int64_t to_s)
{
	int64_t f = SENTINEL_S, t = SENTINEL_S;

	calendar_period_bounds(t_s, p, &f, &t);
	if (f != from_s || t != to_s)
		print_error("%lld %s: got [%lld, %lld), want [%lld, %lld)\n",
		    (long long)t_s, calendar_period_name(p), (long long)f,
		    (long long)t, (long long)from_s, (long long)to_s);
	assert_true(f == from_s && t == to_s);
	assert_true(f <= t_s && t_s < t);
}

static void
test_month_bounds(void **state)
{
	(void)state;
	assert_bounds(0, PERIOD_MONTH, 0, at(1970, 2, 1));
	assert_bounds(at(2024, 2, 29) + 3600, PERIOD_MONTH, at(2024, 2, 1),
	    at(2024, 3, 1));
	assert_bounds(at(2024, 3, 1) - 1, PERIOD_MONTH, at(2024, 2, 1),
	    at(2024, 3, 1));
	assert_bounds(at(2024, 12, 31) + DAY_S - 1, PERIOD_MONTH,
	    at(2024, 12, 1), at(2025, 1, 1));
	assert_bounds(at(2025, 1, 1), PERIOD_MONTH, at(2025, 1, 1),
	    at(2025, 2, 1));
}

static void
test_quarter_bounds(void **state)
{
	static const unsigned first[4] = { 1, 4, 7, 10 };
	unsigned q, m;

	(void)state;
	for (q = 0; q < 4; q++) {
		for (m = first[q]; m < first[q] + 3; m++) {
			int64_t from = at(2026, first[q], 1);
			int64_t to = q == 3 ? at(2027, 1, 1) :
			    at(2026, first[q] + 3, 1);

			assert_bounds(at(2026, m, 1), PERIOD_QUARTER, from, to);
			assert_bounds(at(2026, m, 15) + 12345, PERIOD_QUARTER,
			    from, to);
		}
	}
	assert_bounds(at(2026, 4, 1) - 1, PERIOD_QUARTER, at(2026, 1, 1),
	    at(2026, 4, 1));
	assert_bounds(at(2027, 1, 1) - 1, PERIOD_QUARTER, at(2026, 10, 1),
	    at(2027, 1, 1));
	assert_bounds(CALENDAR_TIME_MAX_S, PERIOD_QUARTER, at(9999, 10, 1),
	    at(10000, 1, 1));
}

static void
test_year_bounds(void **state)
{
	(void)state;
	assert_bounds(0, PERIOD_YEAR, 0, at(1971, 1, 1));
	assert_bounds(at(2024, 12, 31) + DAY_S - 1, PERIOD_YEAR,
	    at(2024, 1, 1), at(2025, 1, 1));
	assert_bounds(at(2025, 1, 1), PERIOD_YEAR, at(2025, 1, 1),
	    at(2026, 1, 1));
	assert_bounds(CALENDAR_TIME_MAX_S, PERIOD_YEAR, at(9999, 1, 1),
	    at(10000, 1, 1));
}

static void
test_negative_bounds(void **state)
{
	(void)state;
	assert_bounds(-1, PERIOD_MONTH, at(1969, 12, 1), 0);
	assert_bounds(-1, PERIOD_QUARTER, at(1969, 10, 1), 0);
	assert_bounds(-1, PERIOD_YEAR, at(1969, 1, 1), 0);
	assert_bounds(-DAY_S, PERIOD_MONTH, at(1969, 12, 1), 0);
	assert_bounds(-DAY_S - 1, PERIOD_MONTH, at(1969, 12, 1), 0);
	assert_bounds(at(1969, 12, 1) - 1, PERIOD_MONTH, at(1969, 11, 1),
	    at(1969, 12, 1));
	assert_bounds(at(1900, 3, 1) - 1, PERIOD_MONTH, at(1900, 2, 1),
	    at(1900, 3, 1));
	assert_bounds(at(-5, 7, 4), PERIOD_QUARTER, at(-5, 7, 1),
	    at(-5, 10, 1));
}

/* At the ends of the contract, the year around t_s is [Jan 1, Jan 1). */
static void
test_bounds_at_limits(void **state)
{
	static const int64_t limits[2] = {
		-CALENDAR_BOUNDS_ABS_MAX_S, CALENDAR_BOUNDS_ABS_MAX_S
	};
	int64_t f, t, y, y2;
	unsigned m, d, i;

	(void)state;
	for (i = 0; i < 2; i++) {
		calendar_period_bounds(limits[i], PERIOD_YEAR, &f, &t);
		assert_true(f <= limits[i] && limits[i] < t);
		assert_int_equal(f % DAY_S, 0);
		assert_int_equal(t % DAY_S, 0);
		calendar_civil_from_days(f / DAY_S, &y, &m, &d);
		assert_true(m == 1 && d == 1);
		calendar_civil_from_days(t / DAY_S, &y2, &m, &d);
		assert_true(m == 1 && d == 1 && y2 == y + 1);
	}
}

static void
expect_time(const char *text, int64_t want)
{
	int64_t t = SENTINEL_S;
	treasury_err err;

	err = calendar_time_parse(text, strlen(text), &t);
	if (err != TREASURY_OK)
		print_error("\"%s\": %s\n", text, treasury_err_name(err));
	assert_int_equal(err, TREASURY_OK);
	assert_int_equal(t, want);
}

static void
expect_time_err(const char *text, size_t len)
{
	int64_t t = SENTINEL_S;
	treasury_err err;

	err = calendar_time_parse(text, len, &t);
	if (err != TREASURY_ERR_TIME_SYNTAX)
		print_error("\"%.*s\" accepted (%s)\n", (int)len,
		    text == NULL ? "" : text, treasury_err_name(err));
	assert_int_equal(err, TREASURY_ERR_TIME_SYNTAX);
	assert_int_equal(t, SENTINEL_S);
}

static void
test_time_parse(void **state)
{
	(void)state;
	expect_time("1970-01-01", 0);
	expect_time("1970-01-01T00:00:00Z", 0);
	expect_time("0", 0);
	expect_time("1", 1);
	expect_time("2000-02-29", at(2000, 2, 29));
	expect_time("2024-02-29T23:59:59Z", at(2024, 3, 1) - 1);
	expect_time("2100-02-28", at(2100, 2, 28));
	expect_time("2026-04-01T12:34:56Z", at(2026, 4, 1) + 45296);
	expect_time("9999-12-31", at(9999, 12, 31));
	expect_time("9999-12-31T23:59:59Z", CALENDAR_TIME_MAX_S);
	expect_time("253402300799", CALENDAR_TIME_MAX_S);
	expect_time("1700000000", 1700000000);
	expect_time("1234567890", 1234567890);	/* 10 characters, no '-' */
	/* len bounds the text */
	expect_time_err("2026-01-01", 9);
	{
		int64_t t = 0;

		assert_int_equal(calendar_time_parse("2026-01-01junk", 10, &t),
		    TREASURY_OK);
		assert_int_equal(t, at(2026, 1, 1));
	}
}

static void
test_time_parse_errors(void **state)
{
	static const char *const bad[] = {
		"", "2026-02-29", "2100-02-29", "1900-02-29", "2026-13-01",
		"2026-00-10", "2026-01-00", "2026-04-31", "2026-1-01",
		"2026-01-1", "26-01-01", "2026/01/01", "2026-01-01 ",
		" 2026-01-01", "2026-01-01x", "2026-01-01T", "2026-01-01T00:00Z",
		"2026-01-01T00:00:00", "2026-01-01T00:00:00z",
		"2026-01-01t00:00:00Z", "2026-01-01 00:00:00Z",
		"2026-01-01T24:00:00Z", "2026-01-01T23:60:00Z",
		"2026-01-01T23:59:60Z", "2026-01-01T00:00:00.5Z",
		"2026-01-01T00:00:00+00:00", "2026-01-01T00:00:00ZZ",
		"1969-12-31", "1969-12-31T23:59:59Z", "0000-01-01",
		"+1", "-1", "01", "00", "1.5", "1e9", "0x10", " 1", "1 ",
		"253402300800", "999999999999", "1000000000000",
		"99999999999999999999999999999999999999",
		"18446744073709551617", "9223372036854775808",
		"-2026-01-01", "+2026-01-01", "10000-01-01", "2026-01-01Z",
		"２０２６-01-01", "abcdefghij", "today",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_time_err(bad[i], strlen(bad[i]));
	expect_time_err("2026-01-01\0", 11);
	expect_time_err("12\0" "34", 5);
	expect_time_err(NULL, 0);
}

static void
test_every_date_text_parses(void **state)
{
	char date[CALENDAR_DATE_BYTES + 1];
	int64_t t_s, back;

	(void)state;
	for (t_s = 0; t_s <= CALENDAR_TIME_MAX_S; t_s += 7 * DAY_S + 3601) {
		assert_int_equal(calendar_date_text(t_s, date),
		    CALENDAR_DATE_BYTES);
		assert_int_equal(calendar_time_parse(date, CALENDAR_DATE_BYTES,
		    &back), TREASURY_OK);
		assert_int_equal(back, t_s - t_s % DAY_S);
	}
}

static void
test_texts(void **state)
{
	char date[CALENDAR_DATE_BYTES + 1];
	char text[CALENDAR_TIME_BYTES + 1];
	char want[TIMESTAMP_BYTES + 1];
	int64_t t_s, back;

	(void)state;
	assert_int_equal(calendar_date_text(0, date), 10);
	assert_string_equal(date, "1970-01-01");
	assert_int_equal(calendar_time_text(0, text), 20);
	assert_string_equal(text, "1970-01-01T00:00:00Z");
	(void)calendar_date_text(CALENDAR_TIME_MAX_S, date);
	assert_string_equal(date, "9999-12-31");
	(void)calendar_time_text(CALENDAR_TIME_MAX_S, text);
	assert_string_equal(text, "9999-12-31T23:59:59Z");
	(void)calendar_time_text(at(2000, 2, 29) + 3723, text);
	assert_string_equal(text, "2000-02-29T01:02:03Z");
	(void)calendar_date_text(at(2100, 3, 1) - 1, date);
	assert_string_equal(date, "2100-02-28");
	/* the same text as timestamp_format, and back through the parser */
	for (t_s = 0; t_s <= CALENDAR_TIME_MAX_S; t_s += 86399 * 13 + 17) {
		(void)calendar_time_text(t_s, text);
		timestamp_format(t_s, want);
		assert_string_equal(text, want);
		assert_int_equal(calendar_time_parse(text, CALENDAR_TIME_BYTES,
		    &back), TREASURY_OK);
		assert_int_equal(back, t_s);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_dates),
		cmocka_unit_test(test_every_day_1970_to_2400),
		cmocka_unit_test(test_round_trip_wide_range),
		cmocka_unit_test(test_period_names),
		cmocka_unit_test(test_month_bounds),
		cmocka_unit_test(test_quarter_bounds),
		cmocka_unit_test(test_year_bounds),
		cmocka_unit_test(test_negative_bounds),
		cmocka_unit_test(test_bounds_at_limits),
		cmocka_unit_test(test_time_parse),
		cmocka_unit_test(test_time_parse_errors),
		cmocka_unit_test(test_every_date_text_parses),
		cmocka_unit_test(test_texts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
