/*
 * test_cli_util.c: treasuryctl's small helpers (cli/util.c): line_next
 * splitting text in place (LF, CRLF, no final LF, a NUL ending the text),
 * user_config_path's precedence (variable, absolute XDG_CONFIG_HOME,
 * HOME) and its refusal of a path that does not fit, and file_read_text
 * refusing a NUL byte. cli/config.c (file_read_all) is compiled in.
 */
#include "cli_test_util.h"

/* Every line of text (a copy) joined with '|', ending in '$'. */
static void
lines_check(const char *text, size_t len, const char *want)
{
	char *buf = malloc(len + 1), *cursor, *line, got[256] = "";
	size_t used = 0;

	assert_non_null(buf);
	memcpy(buf, text, len);
	buf[len] = '\0';
	cursor = buf;
	while ((line = line_next(&cursor)) != NULL) {
		assert_true(line >= buf && line <= buf + len);
		used += (size_t)snprintf(got + used, sizeof(got) - used, "%s|",
		    line);
		assert_true(used < sizeof(got));
	}
	snprintf(got + used, sizeof(got) - used, "$");
	assert_string_equal(got, want);
	/* the end stays the end */
	assert_null(line_next(&cursor));
	free(buf);
}

#define LINES(text, want) lines_check(text, sizeof(text) - 1, want)

static void
test_line_next(void **state)
{
	char *null_cursor = NULL;

	(void)state;
	LINES("a\nb\nc\n", "a|b|c|$");
	LINES("a\r\nb\r\n", "a|b|$");
	LINES("a\nlast", "a|last|$");		/* no final LF */
	LINES("last\r", "last\r|$");		/* a CR alone is kept */
	LINES("a\rb\n", "a\rb|$");		/* a CR inside is kept */
	LINES("a\r\r\n", "a\r|$");		/* only the CR before LF goes */
	LINES("\n\n", "||$");			/* two empty lines */
	LINES("\r\n", "|$");
	LINES("", "$");
	LINES("\nx", "|x|$");
	/* a NUL ends the text: nothing after it is a line */
	LINES("a\nb\0c\nd\n", "a|b|$");
	LINES("\0a\n", "$");
	assert_null(line_next(&null_cursor));
}

/* Set or (value NULL) unset name. */
static void
env(const char *name, const char *value)
{
	if (value != NULL)
		assert_int_equal(setenv(name, value, 1), 0);
	else
		assert_int_equal(unsetenv(name), 0);
}

static void
test_user_config_path_precedence(void **state)
{
	char out[256];

	(void)state;
	env("TREASURYCTL_TEST_FILE", "/etc/mine");
	env("XDG_CONFIG_HOME", "/xdg");
	env("HOME", "/home/u");
	assert_int_equal(user_config_path(out, sizeof(out),
	    "TREASURYCTL_TEST_FILE", "addresses"), 0);
	assert_string_equal(out, "/etc/mine");	/* the variable, verbatim */

	env("TREASURYCTL_TEST_FILE", "");	/* empty: as if unset */
	assert_int_equal(user_config_path(out, sizeof(out),
	    "TREASURYCTL_TEST_FILE", "addresses"), 0);
	assert_string_equal(out, "/xdg/treasuryctl/addresses");

	env("TREASURYCTL_TEST_FILE", NULL);
	env("XDG_CONFIG_HOME", "relative/xdg");	/* not absolute: ignored */
	assert_int_equal(user_config_path(out, sizeof(out),
	    "TREASURYCTL_TEST_FILE", "config"), 0);
	assert_string_equal(out, "/home/u/.config/treasuryctl/config");
	env("XDG_CONFIG_HOME", "");
	assert_int_equal(user_config_path(out, sizeof(out),
	    "TREASURYCTL_TEST_FILE", "config"), 0);
	assert_string_equal(out, "/home/u/.config/treasuryctl/config");

	env("HOME", NULL);			/* no HOME: no path */
	assert_int_equal(user_config_path(out, sizeof(out),
	    "TREASURYCTL_TEST_FILE", "config"), -1);
	env("XDG_CONFIG_HOME", "/xdg");		/* XDG needs no HOME */
	assert_int_equal(user_config_path(out, sizeof(out),
	    "TREASURYCTL_TEST_FILE", "config"), 0);
	assert_string_equal(out, "/xdg/treasuryctl/config");
	env("TREASURYCTL_TEST_FILE", "/v");	/* nor does the variable */
	env("XDG_CONFIG_HOME", NULL);
	assert_int_equal(user_config_path(out, sizeof(out),
	    "TREASURYCTL_TEST_FILE", "config"), 0);
	assert_string_equal(out, "/v");
	env("TREASURYCTL_TEST_FILE", NULL);
}

static void
test_user_config_path_overflow(void **state)
{
	/* "/h/.config/treasuryctl/f" is 24 bytes */
	char out[26];

	(void)state;
	env("TREASURYCTL_TEST_FILE", NULL);
	env("XDG_CONFIG_HOME", NULL);
	env("HOME", "/h");
	assert_int_equal(user_config_path(out, 25, "TREASURYCTL_TEST_FILE",
	    "f"), 0);
	assert_string_equal(out, "/h/.config/treasuryctl/f");
	assert_int_equal(user_config_path(out, 24, "TREASURYCTL_TEST_FILE",
	    "f"), -1);
	env("XDG_CONFIG_HOME", "/x");		/* "/x/treasuryctl/f": 16 */
	assert_int_equal(user_config_path(out, 17, "TREASURYCTL_TEST_FILE",
	    "f"), 0);
	assert_int_equal(user_config_path(out, 16, "TREASURYCTL_TEST_FILE",
	    "f"), -1);
	env("TREASURYCTL_TEST_FILE", "/12345");	/* 6 */
	assert_int_equal(user_config_path(out, 7, "TREASURYCTL_TEST_FILE",
	    "f"), 0);
	assert_string_equal(out, "/12345");
	assert_int_equal(user_config_path(out, 6, "TREASURYCTL_TEST_FILE",
	    "f"), -1);
	env("TREASURYCTL_TEST_FILE", NULL);
	env("XDG_CONFIG_HOME", NULL);
}

static void
test_file_read_text(void **state)
{
	char *dir = tmpdir_make(), *text = (char *)"x", want[4200];
	const char *path;
	size_t len = 99;

	(void)state;
	path = file_put(dir, "ok", "one\ntwo\n", 8, 0644);
	assert_int_equal(file_read_text(path, 64, false, &text, &len), CTL_OK);
	assert_int_equal(len, 8);
	assert_string_equal(text, "one\ntwo\n");
	free(text);

	path = file_put(dir, "empty", "", 0, 0644);
	assert_int_equal(file_read_text(path, 64, false, &text, &len), CTL_OK);
	assert_int_equal(len, 0);
	assert_string_equal(text, "");
	free(text);

	/* a NUL byte anywhere, the last byte included */
	errs_clear();
	path = file_put(dir, "nul", "one\0two\n", 8, 0644);
	snprintf(want, sizeof(want), "%s: contains a NUL byte\n", path);
	text = (char *)"x";
	assert_int_equal(file_read_text(path, 64, false, &text, &len),
	    CTL_USAGE);
	assert_null(text);
	assert_string_equal(errs, want);
	errs_clear();
	path = file_put(dir, "nul-last", "one\n\0", 5, 0644);
	snprintf(want, sizeof(want), "%s: contains a NUL byte\n", path);
	assert_int_equal(file_read_text(path, 64, false, &text, &len),
	    CTL_USAGE);
	assert_null(text);
	assert_string_equal(errs, want);

	/* file_read_all's refusals pass through: missing, too large,
	 * a private file readable by others */
	errs_clear();
	snprintf(want, sizeof(want), "%s/missing", dir);
	assert_int_not_equal(file_read_text(want, 64, false, &text, &len),
	    CTL_OK);
	assert_int_equal(errs_count, 1);
	path = file_put(dir, "big", "0123456789", 10, 0644);
	assert_int_not_equal(file_read_text(path, 9, false, &text, &len),
	    CTL_OK);
	assert_int_not_equal(file_read_text(path, 64, true, &text, &len),
	    CTL_OK);
	path = file_put(dir, "private", "0123456789", 10, 0600);
	assert_int_equal(file_read_text(path, 64, true, &text, &len), CTL_OK);
	free(text);
	tmpdir_remove(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_next),
		cmocka_unit_test(test_user_config_path_precedence),
		cmocka_unit_test(test_user_config_path_overflow),
		cmocka_unit_test(test_file_read_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
