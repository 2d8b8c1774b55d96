/*
 * calendar.c: UTC calendar periods, dates and the time query parameter.
 *
 * Days <-> civil dates use Howard Hinnant's algorithms
 * (http://howardhinnant.github.io/date_algorithms.html), with floor
 * division so that days and years before 1970 (and before year 0) are
 * exact. Integer arithmetic only; no time zone, no libc time functions.
 * canonical.c keeps its own copy for signed timestamps (years >= 0 only);
 * calendar_time_text writes the same text as its timestamp_format.
 */
#include <assert.h>
#include <stdbool.h>
#include <string.h>

#include "treasury/calendar.h"

enum {
	CALENDAR_YEAR_MIN = 1970,
	CALENDAR_YEAR_MAX = 9999,
	UNIX_SECONDS_DIGITS_MAX = 12,	/* CALENDAR_TIME_MAX_S has 12 digits */
};

static const char *const period_names[] = {
	[PERIOD_MONTH] = "month",
	[PERIOD_QUARTER] = "quarter",
	[PERIOD_YEAR] = "year",
};

/* floor(a / b) for b > 0. */
static int64_t
floor_div(int64_t a, int64_t b)
{
	assert(b > 0);
	return a >= 0 ? a / b : -((-(a + 1)) / b) - 1;
}

int64_t
calendar_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	assert(m >= 1 && m <= 12 && d >= 1 && d <= 31);
	y -= m <= 2;
	era = floor_div(y, 400);
	yoe = y - era * 400;				/* [0, 399] */
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;	/* [0, 365] */
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;	/* [0, 146096] */
	return era * 146097 + doe - 719468;
}

void
calendar_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t z, era, doe, yoe, doy, mp;

	z = days + 719468;
	era = floor_div(z, 146097);
	doe = z - era * 146097;				/* [0, 146096] */
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);	/* [0, 365] */
	mp = (5 * doy + 2) / 153;			/* [0, 11] */
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

bool
calendar_period_parse(const char *s, enum calendar_period *out)
{
	enum calendar_period p;

	for (p = PERIOD_MONTH; p <= PERIOD_YEAR; p++) {
		if (strcmp(s, period_names[p]) == 0) {
			*out = p;
			return true;
		}
	}
	return false;
}

const char *
calendar_period_name(enum calendar_period p)
{
	if (p < PERIOD_MONTH || p > PERIOD_YEAR)
		return "unknown";
	return period_names[p];
}

/* The first month of the period of kind p that contains month m. */
static unsigned
period_first_month(enum calendar_period p, unsigned m)
{
	switch (p) {
	case PERIOD_MONTH:
		return m;
	case PERIOD_QUARTER:
		return (m - 1) / 3 * 3 + 1;
	case PERIOD_YEAR:
		return 1;
	}
	assert(!"unknown calendar period");
	return 1;
}

static unsigned
period_months(enum calendar_period p)
{
	return p == PERIOD_MONTH ? 1 : p == PERIOD_QUARTER ? 3 : 12;
}

void
calendar_period_bounds(int64_t t_s, enum calendar_period p, int64_t *from_s,
    int64_t *to_s)
{
	int64_t y, end_y;
	unsigned m, d, first, end_m;

	assert(t_s >= -CALENDAR_BOUNDS_ABS_MAX_S &&
	    t_s <= CALENDAR_BOUNDS_ABS_MAX_S);
	assert(p >= PERIOD_MONTH && p <= PERIOD_YEAR);
	calendar_civil_from_days(floor_div(t_s, CALENDAR_SECONDS_PER_DAY), &y,
	    &m, &d);
	first = period_first_month(p, m);
	end_m = first + period_months(p);	/* 2..13 */
	end_y = y;
	if (end_m > 12) {
		end_m -= 12;
		end_y++;
	}
	*from_s = calendar_days_from_civil(y, first, 1) *
	    CALENDAR_SECONDS_PER_DAY;
	*to_s = calendar_days_from_civil(end_y, end_m, 1) *
	    CALENDAR_SECONDS_PER_DAY;
}

/* ---- parsing ---- */

static bool
year_is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned
month_days(int64_t y, unsigned m)
{
	static const unsigned days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	assert(m >= 1 && m <= 12);
	if (m == 2 && year_is_leap(y))
		return 29;
	return days[m - 1];
}

/* Read exactly width decimal digits at s; false on any non-digit. */
static bool
digits_read(const char *s, size_t width, unsigned *out)
{
	unsigned v = 0;
	size_t i;

	for (i = 0; i < width; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return true;
}

/* "YYYY-MM-DD" at s (at least CALENDAR_DATE_BYTES readable) to days. */
static bool
date_parse(const char *s, int64_t *days)
{
	unsigned y, m, d;

	if (s[4] != '-' || s[7] != '-')
		return false;
	if (!digits_read(s, 4, &y) || !digits_read(s + 5, 2, &m) ||
	    !digits_read(s + 8, 2, &d))
		return false;
	if (y < CALENDAR_YEAR_MIN || y > CALENDAR_YEAR_MAX || m < 1 || m > 12)
		return false;
	if (d < 1 || d > month_days(y, m))
		return false;
	*days = calendar_days_from_civil(y, m, d);
	return true;
}

/* "THH:MM:SSZ" at s (10 characters readable) to seconds of the day. */
static bool
clock_parse(const char *s, int64_t *secs)
{
	unsigned h, mi, se;

	if (s[0] != 'T' || s[3] != ':' || s[6] != ':' || s[9] != 'Z')
		return false;
	if (!digits_read(s + 1, 2, &h) || !digits_read(s + 4, 2, &mi) ||
	    !digits_read(s + 7, 2, &se))
		return false;
	if (h > 23 || mi > 59 || se > 59)
		return false;
	*secs = (int64_t)h * 3600 + mi * 60 + se;
	return true;
}

/* `0|[1-9][0-9]*` up to CALENDAR_TIME_MAX_S. */
static bool
unix_seconds_parse(const char *s, size_t len, int64_t *out_s)
{
	int64_t v = 0;
	size_t i;

	if (len == 0 || len > UNIX_SECONDS_DIGITS_MAX)
		return false;
	if (len > 1 && s[0] == '0')
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	if (v > CALENDAR_TIME_MAX_S)
		return false;
	*out_s = v;
	return true;
}

treasury_err
calendar_time_parse(const char *text, size_t len, int64_t *out_s)
{
	int64_t days, secs = 0, v;

	if (text == NULL || len == 0)
		return TREASURY_ERR_TIME_SYNTAX;
	if (len == CALENDAR_DATE_BYTES && text[4] == '-') {
		if (!date_parse(text, &days))
			return TREASURY_ERR_TIME_SYNTAX;
		*out_s = days * CALENDAR_SECONDS_PER_DAY;
		return TREASURY_OK;
	}
	if (len == CALENDAR_TIME_BYTES && text[4] == '-') {
		if (!date_parse(text, &days) ||
		    !clock_parse(text + CALENDAR_DATE_BYTES, &secs))
			return TREASURY_ERR_TIME_SYNTAX;
		*out_s = days * CALENDAR_SECONDS_PER_DAY + secs;
		return TREASURY_OK;
	}
	if (!unix_seconds_parse(text, len, &v))
		return TREASURY_ERR_TIME_SYNTAX;
	*out_s = v;
	return TREASURY_OK;
}

/* ---- formatting ---- */

/* Write v as exactly width decimal digits (v < 10^width). */
static void
digits_write(char *out, unsigned v, size_t width)
{
	size_t i;

	for (i = width; i > 0; i--) {
		out[i - 1] = (char)('0' + v % 10);
		v /= 10;
	}
	assert(v == 0);
}

static bool
time_in_text_range(int64_t t_s)
{
	return t_s >= 0 && t_s <= CALENDAR_TIME_MAX_S;
}

/* "YYYY-MM-DD" of t_s (in range) at out, no NUL. */
static void
date_write(int64_t t_s, char *out)
{
	int64_t y;
	unsigned m, d;

	calendar_civil_from_days(t_s / CALENDAR_SECONDS_PER_DAY, &y, &m, &d);
	digits_write(out, (unsigned)y, 4);
	out[4] = '-';
	digits_write(out + 5, m, 2);
	out[7] = '-';
	digits_write(out + 8, d, 2);
}

size_t
calendar_date_text(int64_t t_s, char out[CALENDAR_DATE_BYTES + 1])
{
	assert(time_in_text_range(t_s));
	if (!time_in_text_range(t_s)) {
		memcpy(out, "0000-00-00", CALENDAR_DATE_BYTES + 1);
		return CALENDAR_DATE_BYTES;
	}
	date_write(t_s, out);
	out[CALENDAR_DATE_BYTES] = '\0';
	return CALENDAR_DATE_BYTES;
}

size_t
calendar_time_text(int64_t t_s, char out[CALENDAR_TIME_BYTES + 1])
{
	int64_t secs;

	assert(time_in_text_range(t_s));
	if (!time_in_text_range(t_s)) {
		memcpy(out, "0000-00-00T00:00:00Z", CALENDAR_TIME_BYTES + 1);
		return CALENDAR_TIME_BYTES;
	}
	date_write(t_s, out);
	secs = t_s % CALENDAR_SECONDS_PER_DAY;
	out[10] = 'T';
	digits_write(out + 11, (unsigned)(secs / 3600), 2);
	out[13] = ':';
	digits_write(out + 14, (unsigned)(secs / 60 % 60), 2);
	out[16] = ':';
	digits_write(out + 17, (unsigned)(secs % 60), 2);
	out[19] = 'Z';
	out[20] = '\0';
	return CALENDAR_TIME_BYTES;
}
