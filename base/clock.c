/*
 * clock.c: the wall and request clocks (see clock.h).
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
