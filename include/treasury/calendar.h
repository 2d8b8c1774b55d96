/*
 * calendar.h: UTC calendar arithmetic for reports and budgets.
 *
 * Times are unix seconds (int64_t, UTC, no leap seconds). A day is
 * floor(t / 86400), counted from 1970-01-01 (day 0); dates are proleptic
 * Gregorian. Months, quarters and years are UTC calendar periods, always
 * half-open [from, to). Pure: no clock, no time zone, no allocation.
 */
#ifndef TREASURY_CALENDAR_H
#define TREASURY_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "treasury/error.h"

#define CALENDAR_SECONDS_PER_DAY 86400LL
/* 9999-12-31T23:59:59Z, the last time calendar_time_parse accepts and the
 * text functions write (same as canonical.h's timestamps). */
#define CALENDAR_TIME_MAX_S 253402300799LL
/* calendar_period_bounds is defined for |t_s| <= this (about 5.7 * 10^8
 * years, inside the range of the civil functions below). */
#define CALENDAR_BOUNDS_ABS_MAX_S ((int64_t)1 << 54)

enum {
	CALENDAR_DATE_BYTES = 10,	/* YYYY-MM-DD, no NUL */
	CALENDAR_TIME_BYTES = 20,	/* YYYY-MM-DDTHH:MM:SSZ, no NUL */
};

enum calendar_period { PERIOD_MONTH = 1, PERIOD_QUARTER, PERIOD_YEAR };

/* Days since 1970-01-01 of the date y-m-d (H. Hinnant's days_from_civil),
 * negative before 1970.
 * Contract: 1 <= m <= 12, 1 <= d <= 31 (asserted; the day is not checked
 * against the month's length: 2026-02-31 is 2026-03-03);
 * |y| <= 10^9. */
int64_t calendar_days_from_civil(int64_t y, unsigned m, unsigned d);

/* The inverse of calendar_days_from_civil (H. Hinnant's civil_from_days).
 * Contract: |days| <= 365 * 10^9.
 * Out: *y, *m (1..12), *d (1..31). */
void calendar_civil_from_days(int64_t days, int64_t *y, unsigned *m,
    unsigned *d);

/* Parse a period name: "month", "quarter" or "year" (exactly; s is
 * NUL-terminated).
 * Returns: true and *out on success; false (*out unchanged) otherwise. */
TREASURY_WARN_UNUSED bool
calendar_period_parse(const char *s, enum calendar_period *out);

/* Returns: "month", "quarter" or "year"; "unknown" for any other value.
 * Never NULL. */
const char *calendar_period_name(enum calendar_period p);

/* The UTC calendar period of kind p containing t_s: [*from_s, *to_s), so
 * *from_s <= t_s < *to_s. Times before 1970 are floored (-1 is in
 * 1969-12). Quarters start on January, April, July and October 1.
 * Contract: |t_s| <= CALENDAR_BOUNDS_ABS_MAX_S, p one of the enum
 * (asserted). */
void calendar_period_bounds(int64_t t_s, enum calendar_period p,
    int64_t *from_s, int64_t *to_s);

/* Parse a time query parameter, one of:
 *   "YYYY-MM-DD"            midnight UTC of that date;
 *   "YYYY-MM-DDTHH:MM:SSZ"  RFC 3339, 'T' and 'Z' upper case, no fraction,
 *                           no offset other than Z;
 *   `0|[1-9][0-9]*`         unix seconds, at most CALENDAR_TIME_MAX_S.
 * Dates: years 1970..9999, months 1..12, the day within the month (Feb 29
 * only in leap years), hour 0..23, minute and second 0..59; every field
 * has exactly its width of digits.
 * Returns: TREASURY_OK; TREASURY_ERR_TIME_SYNTAX for anything else (empty,
 *          a sign, white space, trailing characters, out of range).
 * In:  text (need not be NUL-terminated), len.
 * Out: *out_s, only on success. */
TREASURY_WARN_UNUSED treasury_err
calendar_time_parse(const char *text, size_t len, int64_t *out_s);

/* Write the UTC date of t_s as "YYYY-MM-DD" plus NUL.
 * Contract: 0 <= t_s <= CALENDAR_TIME_MAX_S (asserted; outside it,
 * "0000-00-00" is written, which calendar_time_parse refuses).
 * Returns: CALENDAR_DATE_BYTES (10). */
size_t calendar_date_text(int64_t t_s, char out[CALENDAR_DATE_BYTES + 1]);

/* Write t_s as "YYYY-MM-DDTHH:MM:SSZ" plus NUL, the same text as
 * timestamp_format (canonical.h) and api's json_time.
 * Contract: as calendar_date_text (outside it, "0000-00-00T00:00:00Z").
 * Returns: CALENDAR_TIME_BYTES (20). */
size_t calendar_time_text(int64_t t_s, char out[CALENDAR_TIME_BYTES + 1]);

#endif
