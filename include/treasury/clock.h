/*
 * clock.h: the clocks of treasuryd (base/clock.c).
 *
 * Three readings, each from one function so that no layer keeps its own:
 *   - the wall clock, UTC seconds (time(2));
 *   - the request clock: the wall clock plus the forward offset of the
 *     unsafe test clock (0 unless the daemon runs with --unsafe-test-clock
 *     and an admin moved it, see api/test_clock.c). It is "now" for every
 *     request and for the daemon's periodic commands, so that expiry tests
 *     need not wait days;
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

/* The request clock: clock_wall_s() plus the test offset. */
int64_t clock_now_s(void);

/* Move the request clock forward by advance_s seconds. It only ever moves
 * forward; the offset is never reset while the process runs. Only the
 * unsafe test endpoint calls this. */
void clock_test_advance(unsigned advance_s);

/* Monotonic microseconds since an arbitrary start (CLOCK_MONOTONIC). */
uint64_t clock_mono_us(void);

/* The same in milliseconds: clock_mono_us() / 1000. */
uint64_t clock_mono_ms(void);

#endif
