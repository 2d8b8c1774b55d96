/*
 * test_log.c: unit tests of log_limited (include/treasury/log.h): the
 * first line of a kind is written, repeats within the interval are only
 * counted, and the next line written says how many were dropped.
 * Standard error is redirected to a temporary file and read back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "treasury/log.h"

enum { LOG_TEXT_MAX_BYTES = 4096, TEST_INTERVAL_MS = 1000 };

/* Standard error goes to a temporary file until log_capture_end. */
struct capture {
	char path[64];
	int saved_fd;
};

static void
log_capture_begin(struct capture *c)
{
	int fd;

	snprintf(c->path, sizeof(c->path), "/tmp/test_log.XXXXXX");
	fd = mkstemp(c->path);
	assert_true(fd >= 0);
	c->saved_fd = dup(STDERR_FILENO);
	assert_true(c->saved_fd >= 0);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	close(fd);
}

/* Restore standard error; text gets what was written meanwhile. */
static void
log_capture_end(struct capture *c, char text[LOG_TEXT_MAX_BYTES])
{
	FILE *f;
	size_t n;

	assert_true(dup2(c->saved_fd, STDERR_FILENO) >= 0);
	close(c->saved_fd);
	f = fopen(c->path, "r");
	assert_non_null(f);
	n = fread(text, 1, LOG_TEXT_MAX_BYTES - 1, f);
	text[n] = '\0';
	fclose(f);
	unlink(c->path);
}

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

static void
test_repeats_are_counted_then_reported(void **state)
{
	static struct log_limit limit;	/* zero: ready */
	char text[LOG_TEXT_MAX_BYTES];
	struct capture c;

	(void)state;
	log_init(LOG_INFO);
	log_capture_begin(&c);
	assert_true(log_limited(&limit, TEST_INTERVAL_MS, LOG_ERR, "full %d",
	    1));
	for (int i = 2; i <= 5; i++)
		assert_false(log_limited(&limit, TEST_INTERVAL_MS, LOG_ERR,
		    "full %d", i));
	sleep_ms(TEST_INTERVAL_MS + 100);
	assert_true(log_limited(&limit, TEST_INTERVAL_MS, LOG_ERR, "full %d",
	    6));
	assert_false(log_limited(&limit, TEST_INTERVAL_MS, LOG_ERR, "full %d",
	    7));
	log_capture_end(&c, text);
	assert_string_equal(text, "<3>full 1\n"
	    "<3>full 6: 4 similar lines not logged\n");
}

static void
test_limits_are_independent_and_respect_the_level(void **state)
{
	static struct log_limit a, b;
	char text[LOG_TEXT_MAX_BYTES];
	struct capture c;

	(void)state;
	log_init(LOG_NOTICE);
	log_capture_begin(&c);
	assert_true(log_limited(&a, TEST_INTERVAL_MS, LOG_ERR, "a"));
	assert_true(log_limited(&b, TEST_INTERVAL_MS, LOG_ERR, "b"));
	/* below the level: neither written nor counted */
	assert_false(log_limited(&a, TEST_INTERVAL_MS, LOG_DEBUG, "quiet"));
	sleep_ms(TEST_INTERVAL_MS + 100);
	assert_true(log_limited(&a, TEST_INTERVAL_MS, LOG_ERR, "a again"));
	log_capture_end(&c, text);
	assert_string_equal(text, "<3>a\n<3>b\n<3>a again\n");
	log_init(LOG_INFO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_repeats_are_counted_then_reported),
		cmocka_unit_test(test_limits_are_independent_and_respect_the_level),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
