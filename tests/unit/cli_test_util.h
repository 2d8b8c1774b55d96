/*
 * cli_test_util.h: what the cli tests (test_cli_util.c,
 * test_cli_policy_file.c, test_cli_address.c) share: ctl_err and json_str
 * in place of main.c's (main.c holds treasuryctl's main()), ctl_err
 * keeping every message for the test to read, and a private temporary
 * directory for files. Static helpers: each program gets its own copy.
 */
#ifndef TREASURY_CLI_TEST_UTIL_H
#define TREASURY_CLI_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctl.h"

/* Every ctl_err message since errs_clear(), each ending in '\n'. */
static char errs[16384];
static unsigned errs_count;

static void
errs_clear(void)
{
	errs[0] = '\0';
	errs_count = 0;
}

/* main.c's ctl_err, unescaped, into errs (and standard error). */
void
ctl_err(const char *fmt, ...)
{
	char msg[2048];
	size_t used = strlen(errs);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(errs + used, sizeof(errs) - used, "%s\n", msg);
	errs_count++;
	fprintf(stderr, "treasuryctl (expected by the test): %s\n", msg);
}

/* main.c's json_str. */
const char *
json_str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* A new private directory (mode 0700) under TMPDIR or /tmp; the caller
 * removes it with tmpdir_remove. */
static char *
tmpdir_make(void)
{
	const char *base = getenv("TMPDIR");
	char *dir = malloc(4096);

	assert_non_null(dir);
	snprintf(dir, 4096, "%s/treasury-cli-test.XXXXXX",
	    base != NULL && *base == '/' ? base : "/tmp");
	assert_non_null(mkdtemp(dir));
	return dir;
}

static void
tmpdir_remove(char *dir)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(dir);
}

/* Write len bytes of text to dir/name with mode; returns the path
 * (static, overwritten by the next call). */
static const char *
file_put(const char *dir, const char *name, const char *text, size_t len,
    mode_t mode)
{
	static char path[4200];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

#endif
