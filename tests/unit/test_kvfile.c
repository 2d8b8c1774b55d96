/*
 * test_kvfile.c: unit tests of the "key = value" config reader
 * (include/treasury/kvfile.h): syntax, trimming, comments, every error
 * with its FILE:LINE, going on after an error, and kvfile_load's file
 * checks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "treasury/kvfile.h"

enum { SEEN_MAX = 16, SEEN_TEXT_BYTES = 256 };

/* What the reader gave: each setting as "where|key|value", each report. */
struct seen {
	char set[SEEN_MAX][SEEN_TEXT_BYTES];
	unsigned sets;
	char report[SEEN_MAX][SEEN_TEXT_BYTES];
	unsigned reports;
	const char *refuse_key;		/* set returns -1 for this key */
};

static int
record_set(void *ctx, const char *where, const char *key, const char *value)
{
	struct seen *s = ctx;

	assert_true(s->sets < SEEN_MAX);
	snprintf(s->set[s->sets++], SEEN_TEXT_BYTES, "%s|%s|%s", where, key,
	    value);
	return s->refuse_key != NULL && strcmp(key, s->refuse_key) == 0 ?
	    -1 : 0;
}

static void
record_report(void *ctx, const char *msg)
{
	struct seen *s = ctx;

	assert_true(s->reports < SEEN_MAX);
	snprintf(s->report[s->reports++], SEEN_TEXT_BYTES, "%s", msg);
}

static struct kvfile
kv_make(struct seen *s, const char *path, size_t line_max_bytes)
{
	struct kvfile kv = {
		.path = path,
		.syntax = "name = value",
		.line_max_bytes = line_max_bytes,
		.set = record_set,
		.report = record_report,
		.ctx = s,
	};

	return kv;
}

/* Parse a copy of text (len bytes) and return the error count. */
static unsigned
parse(struct seen *s, const char *text, size_t len, size_t line_max_bytes)
{
	struct kvfile kv = kv_make(s, "t.conf", line_max_bytes);
	char *copy = malloc(len + 1);
	unsigned errors;

	assert_non_null(copy);
	memcpy(copy, text, len);
	copy[len] = '\0';
	errors = kvfile_parse(&kv, copy, len);
	free(copy);
	return errors;
}

static void
test_settings_trimmed(void **state)
{
	static const char text[] = "a = 1\n\tb=two words \t\r\nc =\nd= x = y # z";
	struct seen s = { .sets = 0 };

	(void)state;
	assert_int_equal(parse(&s, text, strlen(text), 0), 0);
	assert_int_equal(s.reports, 0);
	assert_int_equal(s.sets, 4);
	assert_string_equal(s.set[0], "t.conf:1|a|1");
	assert_string_equal(s.set[1], "t.conf:2|b|two words");
	assert_string_equal(s.set[2], "t.conf:3|c|");	/* empty value */
	assert_string_equal(s.set[3], "t.conf:4|d|x = y # z");
}

static void
test_comments_and_blank_lines(void **state)
{
	static const char text[] = "# comment\n\n   \n  # indented = 1\r\n"
	    "\r\nk = v\n#\n";
	struct seen s = { .sets = 0 };

	(void)state;
	assert_int_equal(parse(&s, text, strlen(text), 0), 0);
	assert_int_equal(s.sets, 1);
	assert_string_equal(s.set[0], "t.conf:6|k|v");
}

static void
test_empty_text(void **state)
{
	struct seen s = { .sets = 0 };

	(void)state;
	assert_int_equal(parse(&s, "", 0, 0), 0);
	assert_int_equal(parse(&s, "\n\n", 2, 0), 0);
	assert_int_equal(s.sets + s.reports, 0);
}

static void
test_missing_equals_goes_on(void **state)
{
	static const char text[] = "a = 1\nno equals here\nb = 2\n";
	struct seen s = { .sets = 0 };

	(void)state;
	assert_int_equal(parse(&s, text, strlen(text), 0), 1);
	assert_int_equal(s.reports, 1);
	assert_string_equal(s.report[0], "t.conf:2: expected 'name = value'");
	assert_int_equal(s.sets, 2);	/* the line after the error is read */
	assert_string_equal(s.set[1], "t.conf:3|b|2");
}

static void
test_set_refusal_counts(void **state)
{
	static const char text[] = "bad = 1\ngood = 2\nbad = 3\n";
	struct seen s = { .refuse_key = "bad" };

	(void)state;
	assert_int_equal(parse(&s, text, strlen(text), 0), 2);
	assert_int_equal(s.sets, 3);
	assert_int_equal(s.reports, 0);	/* set reports its own errors */
}

static void
test_line_too_long(void **state)
{
	char text[64];
	struct seen s = { .sets = 0 };

	(void)state;
	/* "k = 12345678" is 12 bytes: at the limit; with a CR, one over */
	snprintf(text, sizeof(text), "k = 12345678\nk = 12345678\r\nk = 1\n");
	assert_int_equal(parse(&s, text, strlen(text), 12), 1);
	assert_int_equal(s.sets, 2);
	assert_int_equal(s.reports, 1);
	assert_string_equal(s.report[0], "t.conf:2: line is longer than 12 bytes");
	/* 0: no limit */
	memset(&s, 0, sizeof(s));
	assert_int_equal(parse(&s, text, strlen(text), 0), 0);
	assert_int_equal(s.sets, 3);
}

static void
test_nul_byte(void **state)
{
	static const char text[] = "a = 1\nb\0 = 2\nc = 3";
	struct seen s = { .sets = 0 };

	(void)state;
	assert_int_equal(parse(&s, text, sizeof(text) - 1, 0), 1);
	assert_int_equal(s.reports, 1);
	assert_string_equal(s.report[0], "t.conf:2: line contains a NUL byte");
	assert_int_equal(s.sets, 2);
	assert_string_equal(s.set[1], "t.conf:3|c|3");
}

static void
test_syntax_word_is_the_callers(void **state)
{
	char text[] = "x\n";
	struct seen s = { .sets = 0 };
	struct kvfile kv = kv_make(&s, "ctl", 0);

	(void)state;
	kv.syntax = "key = value";
	assert_int_equal(kvfile_parse(&kv, text, strlen(text)), 1);
	assert_string_equal(s.report[0], "ctl:1: expected 'key = value'");
}

/* Write text to a new temporary file; its path into path[size]. */
static void
temp_file(char *path, size_t size, const char *text, size_t len)
{
	FILE *f;
	int fd;

	snprintf(path, size, "/tmp/test_kvfile.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void
test_load_file(void **state)
{
	static const char text[] = "# a file\nk = v\nk2 = v2";
	char path[64] = "", where[160];
	struct seen s = { .sets = 0 };
	struct kvfile kv = kv_make(&s, path, 0);

	(void)state;
	temp_file(path, sizeof(path), text, strlen(text));
	assert_int_equal(kvfile_load(&kv, 1024), 0);
	assert_int_equal(s.sets, 2);
	snprintf(where, sizeof(where), "%s:3|k2|v2", path);
	assert_string_equal(s.set[1], where);
	/* one byte over the cap: refused whole, nothing set */
	memset(&s, 0, sizeof(s));
	assert_int_equal(kvfile_load(&kv, strlen(text) - 1), 1);
	assert_int_equal(s.sets, 0);
	snprintf(where, sizeof(where), "%s: larger than %zu bytes", path,
	    strlen(text) - 1);
	assert_string_equal(s.report[0], where);
	unlink(path);
}

static void
test_load_errors(void **state)
{
	struct seen s = { .sets = 0 };
	struct kvfile kv = kv_make(&s, "/nonexistent/dir/t.conf", 0);

	(void)state;
	assert_int_equal(kvfile_load(&kv, 1024), 1);
	assert_string_equal(s.report[0], "/nonexistent/dir/t.conf: cannot open "
	    "config file: No such file or directory");
	kv.path = "/tmp";		/* a directory is not a regular file */
	assert_int_equal(kvfile_load(&kv, 1024), 1);
	assert_string_equal(s.report[1], "/tmp: not a regular file (a FIFO, "
	    "device, socket or directory is never read)");
	kv.path = "/dev/zero";		/* endless: refused, never read */
	assert_int_equal(kvfile_load(&kv, 1024), 1);
	assert_string_equal(s.report[2], "/dev/zero: not a regular file (a "
	    "FIFO, device, socket or directory is never read)");
	assert_int_equal(s.sets, 0);
}

/* A FIFO without a writer: open(2) must not wait for one. */
static void
test_load_fifo_does_not_block(void **state)
{
	char dir[] = "/tmp/test_kvfile.XXXXXX", path[64] = "";
	struct seen s = { .sets = 0 };
	struct kvfile kv = kv_make(&s, path, 0);

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo.conf", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(10);			/* a hang fails the test */
	assert_int_equal(kvfile_load(&kv, 1024), 1);
	alarm(0);
	assert_int_equal(s.sets, 0);
	assert_non_null(strstr(s.report[0], "fifo.conf: not a regular file"));
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_settings_trimmed),
		cmocka_unit_test(test_comments_and_blank_lines),
		cmocka_unit_test(test_empty_text),
		cmocka_unit_test(test_missing_equals_goes_on),
		cmocka_unit_test(test_set_refusal_counts),
		cmocka_unit_test(test_line_too_long),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_syntax_word_is_the_callers),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_load_fifo_does_not_block),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
