/*
 * clock.c: the wall, request and monotonic clocks (see clock.h).
 *
 * The test offset is one atomic: request threads read it while the test
 * endpoint adds to it.
 */
#include <stdatomic.h>
#include <time.h>

#include "treasury/clock.h"

static atomic_llong test_offset_s;

int64_t
clock_wall_s(void)
{
	return (int64_t)time(NULL);
}

int64_t
clock_now_s(void)
{
	return clock_wall_s() + (int64_t)atomic_load(&test_offset_s);
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
