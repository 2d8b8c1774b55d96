/*
 * test_cli_out.c: treasuryctl's one output path (cli/out.c): the format is
 * trusted, every argument is escaped whole (line feeds included), and the
 * printf conversions treasuryctl uses keep their printf meaning.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctl.h"

/* say() into a string: the caller frees it. */
static char *
said(void (*fn)(FILE *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	assert_non_null(fp);
	fn(fp);
	fclose(fp);
	return buf;
}

#define SAID_EQUAL(want, ...) do {					\
	char *b_ = NULL;						\
	size_t l_ = 0;							\
	FILE *f_ = open_memstream(&b_, &l_);				\
	assert_non_null(f_);						\
	say(f_, __VA_ARGS__);						\
	fclose(f_);							\
	assert_string_equal(b_, want);					\
	free(b_);							\
} while (0)

static void
test_arguments_are_escaped_whole(void **state)
{
	(void)state;
	/* a line feed in an argument never starts a line */
	SAID_EQUAL("name: alice\\n  pay 10 USDC\n", "name: %s\n",
	    "alice\n  pay 10 USDC");
	/* cursor save, up, erase, restore */
	SAID_EQUAL("x \\u{001B}7\\u{001B}[5A\\u{001B}[2K\\u{001B}8 y", "x %s y",
	    "\x1b" "7\x1b[5A\x1b[2K\x1b" "8");
	/* C1 CSI and a bidi override */
	SAID_EQUAL("\\u{009B}2J \\u{202E}dlrow", "%s %s", "\xc2\x9b" "2J",
	    "\xe2\x80\xae" "dlrow");
	SAID_EQUAL("a\\\\b", "%s", "a\\b");

	/* the format's own line feeds pass */
	SAID_EQUAL("one\ntwo\n", "one\n%s\n", "two");
}

static void
test_conversions(void **state)
{
	(void)state;
	SAID_EQUAL("[ab      ] [      ab]", "[%-8s] [%8s]", "ab", "ab");
	SAID_EQUAL("0123456789abcdef", "%.16s", "0123456789abcdefXYZ");
	SAID_EQUAL("abc|", "%.*s|", 3, "abcdef");
	/* width counts escaped bytes, as printf counts bytes */
	SAID_EQUAL("\\n   |", "%-5s|", "\n");
	SAID_EQUAL("600 -7 18446744073709551615 42 ff FF", "%03o %lld %llu %zu "
	    "%x %X", 0600u, -7LL, 18446744073709551615ULL, (size_t)42, 255u,
	    255u);
	SAID_EQUAL("[  5] [5  ] [005] [-05]", "[%3u] [%-3u] [%03u] [%03d]",
	    5u, 5u, 5u, -5);
	SAID_EQUAL("+ x", "%c %s", '+', "x");
	SAID_EQUAL("\\u{001B}", "%c", '\x1b');
	SAID_EQUAL("100%", "%d%%", 100);
	SAID_EQUAL("-9223372036854775808 4294967295", "%lld %u",
	    (long long)-9223372036854775807LL - 1, 4294967295u);
}

static void
lines(FILE *fp)
{
	say_lines(fp, "  > ", "first\nsecond \x1b[2K\nthird");
}

static void
test_say_lines_and_text(void **state)
{
	char *s;

	(void)state;
	s = said(lines);
	assert_string_equal(s, "  > first\n  > second \\u{001B}[2K\n"
	    "  > third\n");
	free(s);
	s = say_text("a\nb\x7f", 4);
	assert_string_equal(s, "a\\nb\\u{007F}");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arguments_are_escaped_whole),
		cmocka_unit_test(test_conversions),
		cmocka_unit_test(test_say_lines_and_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
