/*
 * clock.c: the wall, request and monotonic clocks (see clock.h).
 *
 * The test offset and the high-water mark are atomics: request threads
 * read them while the test endpoint and the writer raise them. The
 * warning that the clock is behind the mark is rate-limited by one
 * atomic too (the monotonic time it may next be logged).
 */
#include <stdatomic.h>
#include <time.h>

#include "treasury/clock.h"
#include "treasury/log.h"

static atomic_llong test_offset_s;
static atomic_llong mark_s = INT64_MIN;
static atomic_ullong behind_warn_next_ms;

int64_t
clock_wall_s(void)
{
	return (int64_t)time(NULL);
}

/* The wall clock plus the test offset, without the mark. */
static int64_t
clock_raw_s(void)
{
	return clock_wall_s() + (int64_t)atomic_load(&test_offset_s);
}

/* At most once per CLOCK_BEHIND_WARN_INTERVAL_MS, whichever thread
 * notices first. */
static void
behind_warn(int64_t raw_s, int64_t mark)
{
	unsigned long long next = atomic_load(&behind_warn_next_ms);
	uint64_t now_ms = clock_mono_ms();

	if (now_ms < next || !atomic_compare_exchange_strong(
	    &behind_warn_next_ms, &next, now_ms + CLOCK_BEHIND_WARN_INTERVAL_MS))
		return;
	log_msg(LOG_WARNING, "clock: the system clock is %lld s behind the "
	    "latest time this database recorded; every time is taken as that "
	    "time (%lld) until the clock catches up: check the host's time "
	    "synchronisation", (long long)(mark - raw_s), (long long)mark);
}

int64_t
clock_now_s(void)
{
	int64_t raw_s = clock_raw_s();
	int64_t mark = (int64_t)atomic_load(&mark_s);

	if (raw_s >= mark)
		return raw_s;
	behind_warn(raw_s, mark);
	return mark;
}

void
clock_mark_raise(int64_t t_s)
{
	long long cur = atomic_load(&mark_s);

	while (cur < t_s && !atomic_compare_exchange_weak(&mark_s, &cur,
	    (long long)t_s))
		;
}

int64_t
clock_mark_s(void)
{
	return (int64_t)atomic_load(&mark_s);
}

int64_t
clock_behind_s(void)
{
	int64_t raw_s = clock_raw_s();
	int64_t mark = (int64_t)atomic_load(&mark_s);

	return raw_s >= mark ? 0 : mark - raw_s;
}

void
clock_test_advance(unsigned advance_s)
{
	atomic_fetch_add(&test_offset_s, (long long)advance_s);
}

uint64_t
clock_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t
clock_mono_ms(void)
{
	return clock_mono_us() / 1000;
}
