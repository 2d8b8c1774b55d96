/*
 * clock.h: the clocks of treasuryd (base/clock.c).
 *
 * Three readings, each from one function so that no layer keeps its own:
 *   - the wall clock, UTC seconds (time(2));
 *   - the request clock: the wall clock plus the forward offset of the
 *     unsafe test clock (0 unless the daemon runs with --unsafe-test-clock
 *     and an admin moved it, see api/test_clock.c), but never before the
 *     high-water mark. It is "now" for every request and for the daemon's
 *     periodic commands, so that expiry tests need not wait days;
 *   - the high-water mark: the latest time the database recorded. The
 *     writer loads it at start and raises it with every transaction that
 *     stamps a time (storage/writer.c), so a clock stepped back (NTP, a
 *     VM restored, a restart that drops the test offset) can neither
 *     reopen a spending window nor un-expire a proposal: time as the
 *     daemon sees it never goes backwards. While the clock is behind the
 *     mark, time stands still at the mark and a warning is logged at most
 *     once per CLOCK_BEHIND_WARN_INTERVAL_MS;
 *   - the monotonic clock (CLOCK_MONOTONIC), for durations, timeouts and
 *     liveness; it never jumps with the wall clock.
 * Every function is thread-safe and does no I/O.
 */
#ifndef TREASURY_CLOCK_H
#define TREASURY_CLOCK_H

#include <stdint.h>

/* The wall clock: UTC seconds since 1970-01-01, without the test offset.
 * For what is stored as a fact of the machine (a token's or database's
 * creation time, a backup file's name). */
int64_t clock_wall_s(void);

enum {
	CLOCK_BEHIND_WARN_INTERVAL_MS = 60 * 1000,
};

/* The request clock: clock_wall_s() plus the test offset, or the mark
 * when that is earlier (then logs the rate-limited warning). */
int64_t clock_now_s(void);

/* Raise the mark to t_s (no effect when it is at or above it already).
 * Only the writer calls this: at start with the stored mark, and with the
 * times of each transaction before its COMMIT (the writer also brings
 * each command's time up to its database's mark itself). */
void clock_mark_raise(int64_t t_s);

/* The mark; INT64_MIN before the writer loaded it. */
int64_t clock_mark_s(void);

/* How many seconds the request clock (without the mark) is behind the
 * mark; 0 when it is not. For /v1/metrics. */
int64_t clock_behind_s(void);

/* Move the request clock forward by advance_s seconds. It only ever moves
 * forward; the offset is never reset while the process runs. Only the
 * unsafe test endpoint calls this. */
void clock_test_advance(unsigned advance_s);

/* Monotonic microseconds since an arbitrary start (CLOCK_MONOTONIC). */
uint64_t clock_mono_us(void);

/* The same in milliseconds: clock_mono_us() / 1000. */
uint64_t clock_mono_ms(void);

#endif
