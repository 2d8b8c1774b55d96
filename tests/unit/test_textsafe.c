/*
 * test_textsafe.c: unit tests of core/textsafe.c, the terminal-safe
 * escaping of untrusted text (include/treasury/textsafe.h
 * states the rule).
 *
 * Every class is checked with its exact escaped output: each C0 control,
 * DEL, each C1 control, the bidi, zero-width and default-ignorable ranges
 * at both ends with their neighbours, noncharacters, private use, every
 * kind of malformed UTF-8 byte by byte, the backslash, and plain text that
 * must come out unchanged. Then two properties: every scalar value comes
 * out either as itself or as its escape, as codepoint_needs_escape says;
 * and the output of any bytes at all passes the memo rule. A failing
 * append (TOO_LARGE) leaves the buffer as it was.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "treasury/canonical.h"
#include "treasury/textsafe.h"

#include "test_utf8.h"

#define ESCAPED_MAX_BYTES (64 * 1024)

/* ---- helpers ---- */

/* Escape in[0..in_len) into a fresh buffer and compare with want. */
static void
expect_escape_flags(const char *in, size_t in_len, unsigned flags,
    const char *want)
{
	struct textbuf out;
	const char *got;

	textbuf_init(&out, ESCAPED_MAX_BYTES);
	assert_int_equal(text_escape_append(&out, in, in_len, flags),
	    TREASURY_OK);
	got = out.len > 0 ? out.data : "";
	if (out.len != strlen(want) || memcmp(got, want, out.len) != 0)
		print_error("escape of %zu bytes: got \"%s\", want \"%s\"\n",
		    in_len, got, want);
	assert_int_equal(out.len, strlen(want));
	assert_memory_equal(got, want, out.len);
	textbuf_free(&out);
}

#define EXPECT_ESCAPE(lit, want) \
	expect_escape_flags(lit, sizeof(lit) - 1, 0, want)
#define EXPECT_ESCAPE_KEEP_LF(lit, want) \
	expect_escape_flags(lit, sizeof(lit) - 1, TEXT_ESCAPE_KEEP_LF, want)

/* Write "a<cp>b" and a NUL into in; returns its length. */
static size_t
codepoint_between_a_b(uint32_t cp, char in[UTF8_MAX_BYTES + 3])
{
	size_t n;

	in[0] = 'a';
	n = utf8_put(cp, in + 1);
	in[1 + n] = 'b';
	in[2 + n] = '\0';
	return n + 2;
}

static void
expect_needs_escape(uint32_t cp, bool want)
{
	if (codepoint_needs_escape(cp) != want)
		print_error("U+%04X: codepoint_needs_escape is %d\n",
		    (unsigned)cp, !want);
	assert_int_equal(codepoint_needs_escape(cp), want);
}

/* "a<cp>b" must come out as "a\u{XXXX}b". */
static void
expect_codepoint_escaped(uint32_t cp)
{
	char in[UTF8_MAX_BYTES + 3], want[16];
	size_t n;

	n = codepoint_between_a_b(cp, in);
	snprintf(want, sizeof(want), "a\\u{%04X}b", (unsigned)cp);
	expect_needs_escape(cp, true);
	expect_escape_flags(in, n, 0, want);
}

static void
expect_codepoint_range_escaped(uint32_t first, uint32_t last)
{
	uint32_t cp;

	for (cp = first; cp <= last; cp++)
		expect_codepoint_escaped(cp);
}

/* "a<cp>b" must come out unchanged. */
static void
expect_codepoint_plain(uint32_t cp)
{
	char in[UTF8_MAX_BYTES + 3];
	size_t n;

	n = codepoint_between_a_b(cp, in);
	expect_needs_escape(cp, false);
	expect_escape_flags(in, n, 0, in);
}

/* ---- plain text ---- */

static void
test_plain_text(void **state)
{
	unsigned c;

	(void)state;
	expect_escape_flags(NULL, 0, 0, "");
	EXPECT_ESCAPE("", "");
	EXPECT_ESCAPE("payroll: March (net 30) ~ #42 \"ok\"",
	    "payroll: March (net 30) ~ #42 \"ok\"");
	EXPECT_ESCAPE("caf\xc3\xa9", "caf\xc3\xa9");
	EXPECT_ESCAPE("Q4 grants \xe2\x80\x94 caf\xc3\xa9",
	    "Q4 grants \xe2\x80\x94 caf\xc3\xa9");
	EXPECT_ESCAPE("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",	/* CJK */
	    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
	EXPECT_ESCAPE("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");	/* U+1F600 */
	EXPECT_ESCAPE("cafe\xcc\x81", "cafe\xcc\x81");	/* combining acute */
	for (c = 0x20; c <= 0x7e; c++) {
		if (c != '\\')
			expect_codepoint_plain(c);
	}
	expect_codepoint_plain(0xa0);		/* no-break space */
	expect_codepoint_plain(0xe9);
	expect_codepoint_plain(0x7ff);
	expect_codepoint_plain(0x800);
	expect_codepoint_plain(0x3000);		/* ideographic space */
	expect_codepoint_plain(0xd7ff);
	expect_codepoint_plain(0xfffd);		/* replacement character */
	expect_codepoint_plain(0x10000);
	expect_codepoint_plain(0x1f600);
	expect_codepoint_plain(0x20000);
	expect_codepoint_plain(0xefffd);	/* unassigned: copied */
}

/* ---- controls ---- */

static void
test_c0_controls(void **state)
{
	uint32_t cp;

	(void)state;
	for (cp = 0x00; cp <= 0x1f; cp++) {
		if (cp != '\n')
			expect_codepoint_escaped(cp);
	}
	EXPECT_ESCAPE("\0", "\\u{0000}");
	EXPECT_ESCAPE("a\tb", "a\\u{0009}b");
	EXPECT_ESCAPE("a\rb", "a\\u{000D}b");
	EXPECT_ESCAPE("\x07", "\\u{0007}");
	EXPECT_ESCAPE("\x1f", "\\u{001F}");
	/* LF: escaped, or kept with TEXT_ESCAPE_KEEP_LF (CR and tab still
	 * escaped then). */
	assert_true(codepoint_needs_escape('\n'));
	EXPECT_ESCAPE("a\nb", "a\\nb");
	EXPECT_ESCAPE("a\nto: evil\n", "a\\nto: evil\\n");
	EXPECT_ESCAPE_KEEP_LF("a\nb\n", "a\nb\n");
	EXPECT_ESCAPE_KEEP_LF("a\r\nb\t", "a\\u{000D}\nb\\u{0009}");
}

static void
test_del_and_c1_controls(void **state)
{
	(void)state;
	expect_codepoint_escaped(0x7f);
	EXPECT_ESCAPE("\x7f", "\\u{007F}");
	expect_codepoint_range_escaped(0x80, 0x9f);
	expect_codepoint_plain(0xa0);
	EXPECT_ESCAPE("\xc2\x9b" "2J", "\\u{009B}2J");		/* CSI */
	EXPECT_ESCAPE("\xc2\x85", "\\u{0085}");			/* NEL */
	EXPECT_ESCAPE("\xc2\x9d" "52;c;AAAA\xc2\x9c",	/* OSC .. ST */
	    "\\u{009D}52;c;AAAA\\u{009C}");
}

static void
test_terminal_sequences(void **state)
{
	(void)state;
	/* Cursor up and erase line: would overwrite what was shown. */
	EXPECT_ESCAPE("\x1b[1A\x1b[2K", "\\u{001B}[1A\\u{001B}[2K");
	/* Window title and clipboard (OSC 0, OSC 52). */
	EXPECT_ESCAPE("\x1b]0;pwned\x07", "\\u{001B}]0;pwned\\u{0007}");
	EXPECT_ESCAPE("\x1b]52;c;ZWNobw==\x1b\\",
	    "\\u{001B}]52;c;ZWNobw==\\u{001B}\\\\");
	/* Carriage return to rewrite the line. */
	EXPECT_ESCAPE("to: 0xgood\rto: 0xevil", "to: 0xgood\\u{000D}to: 0xevil");
	EXPECT_ESCAPE("1000\b\b\b9", "1000\\u{0008}\\u{0008}\\u{0008}9");
}

/* ---- invisible code points ---- */

static void
test_bidi_and_zero_width(void **state)
{
	(void)state;
	/* Bidi controls. */
	expect_codepoint_escaped(0x061c);
	expect_codepoint_range_escaped(0x200e, 0x200f);
	expect_codepoint_range_escaped(0x202a, 0x202e);
	expect_codepoint_range_escaped(0x2066, 0x2069);
	/* Zero-width characters. */
	expect_codepoint_range_escaped(0x200b, 0x200d);
	expect_codepoint_escaped(0x2060);
	expect_codepoint_escaped(0xfeff);
	/* Line and paragraph separators. */
	expect_codepoint_range_escaped(0x2028, 0x2029);
	/* Neighbours. */
	expect_codepoint_plain(0x061b);
	expect_codepoint_plain(0x061d);
	expect_codepoint_plain(0x200a);
	expect_codepoint_plain(0x2010);
	expect_codepoint_plain(0x2027);
	expect_codepoint_plain(0x202f);
	expect_codepoint_plain(0xfefe);
	expect_codepoint_plain(0xff00);
	/* "Trojan source": RLO reverses what follows on screen. */
	EXPECT_ESCAPE("pay \xe2\x80\xae" "0001", "pay \\u{202E}0001");
	EXPECT_ESCAPE("\xef\xbb\xbfhello", "\\u{FEFF}hello");
	EXPECT_ESCAPE("0x\xe2\x80\x8b" "ab", "0x\\u{200B}ab");
}

static void
test_default_ignorable(void **state)
{
	const struct invisible_range_case *r;
	size_t i;

	(void)state;
	for (i = 0; i < INVISIBLE_RANGE_CASE_COUNT; i++) {
		r = &INVISIBLE_RANGE_CASES[i];
		expect_codepoint_plain(r->below);
		expect_codepoint_range_escaped(r->first, r->last);
		expect_codepoint_plain(r->above);
	}
	EXPECT_ESCAPE("\xc2\xad", "\\u{00AD}");
	EXPECT_ESCAPE("\xf3\xa0\x80\x81", "\\u{E0001}");	/* 5 digits */
	EXPECT_ESCAPE("\xe2\x9d\xa4\xef\xb8\x8f",		/* heart + VS16 */
	    "\xe2\x9d\xa4\\u{FE0F}");
}

static void
test_noncharacters(void **state)
{
	uint32_t plane;

	(void)state;
	expect_codepoint_plain(0xfdcf);
	expect_codepoint_range_escaped(0xfdd0, 0xfdef);
	expect_codepoint_plain(0xfdf0);
	for (plane = 0; plane <= 0x10; plane++) {
		expect_codepoint_escaped((plane << 16) | 0xfffe);
		expect_codepoint_escaped((plane << 16) | 0xffff);
	}
	for (plane = 0; plane <= 0x0e; plane++)
		expect_codepoint_plain((plane << 16) | 0xfffd);
	EXPECT_ESCAPE("\xef\xbf\xbe", "\\u{FFFE}");
	EXPECT_ESCAPE("\xf4\x8f\xbf\xbf", "\\u{10FFFF}");	/* 6 digits */
}

static void
test_private_use(void **state)
{
	(void)state;
	expect_codepoint_plain(0xd7ff);		/* below it: surrogates */
	expect_codepoint_escaped(0xe000);
	expect_codepoint_escaped(0xf8ff);
	expect_codepoint_plain(0xf900);
	expect_codepoint_plain(0xefffd);
	expect_codepoint_escaped(0xf0000);
	expect_codepoint_escaped(0xffffd);
	expect_codepoint_escaped(0x100000);
	expect_codepoint_escaped(0x10fffd);
	EXPECT_ESCAPE("\xee\x80\x80", "\\u{E000}");
	EXPECT_ESCAPE("\xf3\xb0\x80\x80", "\\u{F0000}");
	EXPECT_ESCAPE("\xf4\x8f\xbf\xbd", "\\u{10FFFD}");
}

/* ---- malformed UTF-8 ---- */

static void
test_malformed_utf8(void **state)
{
	char in[1];
	char want[8];
	unsigned b;

	(void)state;
	/* Lone continuation bytes. */
	EXPECT_ESCAPE("\x80", "\\x{80}");
	EXPECT_ESCAPE("a\xbf" "b", "a\\x{BF}b");
	/* Truncated sequences, at the end and before ASCII. */
	EXPECT_ESCAPE("\xe2\x82", "\\x{E2}\\x{82}");
	EXPECT_ESCAPE("\xe2\x82" "a", "\\x{E2}\\x{82}a");
	EXPECT_ESCAPE("\xf0\x9f\x98", "\\x{F0}\\x{9F}\\x{98}");
	EXPECT_ESCAPE("\xc3", "\\x{C3}");
	EXPECT_ESCAPE("\xc3\xc3\xa9", "\\x{C3}\xc3\xa9");
	/* Overlong forms. */
	EXPECT_ESCAPE("\xc0\xaf", "\\x{C0}\\x{AF}");
	EXPECT_ESCAPE("\xc1\xbf", "\\x{C1}\\x{BF}");
	EXPECT_ESCAPE("\xe0\x80\xaf", "\\x{E0}\\x{80}\\x{AF}");
	EXPECT_ESCAPE("\xf0\x80\x80\xaf", "\\x{F0}\\x{80}\\x{80}\\x{AF}");
	/* Encoded surrogates (CESU-8). */
	EXPECT_ESCAPE("\xed\xa0\x80", "\\x{ED}\\x{A0}\\x{80}");
	EXPECT_ESCAPE("\xed\xbf\xbf", "\\x{ED}\\x{BF}\\x{BF}");
	EXPECT_ESCAPE("\xed\x9f\xbf", "\xed\x9f\xbf");		/* U+D7FF */
	/* Beyond U+10FFFF. */
	EXPECT_ESCAPE("\xf4\x90\x80\x80", "\\x{F4}\\x{90}\\x{80}\\x{80}");
	/* Bytes that never start a sequence. */
	for (b = 0xf5; b <= 0xff; b++) {
		in[0] = (char)b;
		snprintf(want, sizeof(want), "\\x{%02X}", b);
		expect_escape_flags(in, 1, 0, want);
	}
	/* An escape of a C1 control is not mistaken for a raw C1 byte. */
	EXPECT_ESCAPE("\x9b", "\\x{9B}");
}

/* ---- the backslash ---- */

static void
test_backslash(void **state)
{
	(void)state;
	assert_true(codepoint_needs_escape('\\'));
	EXPECT_ESCAPE("\\", "\\\\");
	EXPECT_ESCAPE("C:\\path", "C:\\\\path");
	/* A server cannot forge an escape: its text "\u{202E}" shows with a
	 * doubled backslash, unlike a real U+202E. */
	EXPECT_ESCAPE("\\u{202E}", "\\\\u{202E}");
	EXPECT_ESCAPE("\\x{FF}\\n", "\\\\x{FF}\\\\n");
}

/* ---- codepoint_needs_escape outside the scalar values ---- */

static void
test_needs_escape_non_scalars(void **state)
{
	(void)state;
	assert_true(codepoint_needs_escape(0xd800));
	assert_true(codepoint_needs_escape(0xdfff));
	assert_true(codepoint_needs_escape(0x110000));
	assert_true(codepoint_needs_escape(UINT32_MAX));
	assert_false(codepoint_needs_escape('a'));
	assert_false(codepoint_needs_escape(' '));
}

/* ---- properties ---- */

/* Every scalar value comes out as itself or as its one escape, exactly as
 * codepoint_needs_escape says. */
static void
test_every_scalar_value(void **state)
{
	char in[UTF8_MAX_BYTES], want[16];
	struct textbuf out;
	uint32_t cp;
	size_t n;

	(void)state;
	textbuf_init(&out, 64);
	for (cp = 0; cp <= 0x10ffff; cp++) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		n = utf8_put(cp, in);
		out.len = 0;
		assert_int_equal(text_escape_append(&out, in, n, 0),
		    TREASURY_OK);
		if (cp == '\\')
			snprintf(want, sizeof(want), "\\\\");
		else if (cp == '\n')
			snprintf(want, sizeof(want), "\\n");
		else if (codepoint_needs_escape(cp))
			snprintf(want, sizeof(want), "\\u{%04X}", (unsigned)cp);
		else {
			memcpy(want, in, n);
			want[n] = '\0';
		}
		if (out.len != strlen(want) || memcmp(out.data, want, out.len))
			print_error("U+%04X: got \"%s\", want \"%s\"\n",
			    (unsigned)cp, out.data, want);
		assert_int_equal(out.len, strlen(want));
		assert_memory_equal(out.data, want, out.len);
	}
	textbuf_free(&out);
}

/* xorshift32: a fixed pseudo-random byte source, so failures repeat. */
static uint32_t
rand_next(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Whatever the bytes, the escaped text passes the memo rule: valid UTF-8
 * with no control, noncharacter or invisible code point left. Inputs of
 * up to 24 bytes give at most 24 * 6 bytes, under MEMO_MAX_BYTES. */
static void
test_output_is_memo_safe(void **state)
{
	/* Bytes weighted toward what breaks decoders and terminals. */
	static const unsigned char pick[] = {
		'a', ' ', '\\', '\n', '\r', '\t', 0x00, 0x1b, 0x7f, 0x80, 0x9b,
		0xbf, 0xc0, 0xc2, 0xc3, 0xa9, 0xad, 0xe0, 0xe2, 0x80, 0x8b,
		0xae, 0xed, 0xa0, 0xef, 0xbb, 0xbf, 0xb8, 0x8f, 0xf0, 0xf3,
		0xf4, 0x8f, 0x90, 0xf5, 0xff,
	};
	unsigned char in[24];
	struct textbuf out;
	uint32_t seed = 0x2545f491;
	size_t len, i;
	int round;

	(void)state;
	textbuf_init(&out, MEMO_MAX_BYTES);
	for (round = 0; round < 200000; round++) {
		len = rand_next(&seed) % (sizeof(in) + 1);
		for (i = 0; i < len; i++) {
			uint32_t r = rand_next(&seed);

			in[i] = (r & 1) ? (unsigned char)(r >> 8) :
			    pick[(r >> 8) % sizeof(pick)];
		}
		out.len = 0;
		assert_int_equal(text_escape_append(&out, (const char *)in,
		    len, 0), TREASURY_OK);
		assert_int_equal(memo_check(out.data, out.len), TREASURY_OK);
	}
	textbuf_free(&out);
}

/* ---- failures leave the buffer as it was ---- */

static void
expect_too_large_unchanged(size_t max_bytes, const char *in, size_t in_len)
{
	struct textbuf out;

	textbuf_init(&out, max_bytes);
	assert_int_equal(textbuf_append(&out, "abc", 3), TREASURY_OK);
	assert_int_equal(text_escape_append(&out, in, in_len, 0),
	    TREASURY_ERR_TOO_LARGE);
	assert_int_equal(out.len, 3);
	assert_string_equal(out.data, "abc");
	textbuf_free(&out);
}

static void
test_too_large_leaves_out_unchanged(void **state)
{
	struct textbuf out;

	(void)state;
	/* The first piece does not fit. */
	expect_too_large_unchanged(3, "x", 1);
	expect_too_large_unchanged(10, "\x1b", 1);	/* needs 8 */
	expect_too_large_unchanged(8, "\xff", 1);	/* needs 6 */
	/* Plain text fits, the escape after it does not. */
	expect_too_large_unchanged(15, "plain\x1b", 6);	/* needs 16 */
	/* Escapes fit, the text after them does not. */
	expect_too_large_unchanged(20, "\\\\\\\\\x1bzzzzzz", 11);
	/* An exact fit is fine; appending to it then fails. */
	textbuf_init(&out, 11);
	assert_int_equal(textbuf_append(&out, "abc", 3), TREASURY_OK);
	assert_int_equal(text_escape_append(&out, "\x1b", 1, 0), TREASURY_OK);
	assert_string_equal(out.data, "abc\\u{001B}");
	assert_int_equal(text_escape_append(&out, "a", 1, 0),
	    TREASURY_ERR_TOO_LARGE);
	assert_string_equal(out.data, "abc\\u{001B}");
	assert_int_equal(text_escape_append(&out, "", 0, 0), TREASURY_OK);
	textbuf_free(&out);
}

static void
test_appends_after_existing_text(void **state)
{
	struct textbuf out;

	(void)state;
	textbuf_init(&out, 256);
	assert_int_equal(textbuf_append(&out, "memo: ", 6), TREASURY_OK);
	assert_int_equal(text_escape_append(&out, "a\xe2\x80\xae" "b", 5, 0),
	    TREASURY_OK);
	assert_int_equal(text_escape_append(&out, "\n", 1,
	    TEXT_ESCAPE_KEEP_LF), TREASURY_OK);
	assert_string_equal(out.data, "memo: a\\u{202E}b\n");
	textbuf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_text),
		cmocka_unit_test(test_c0_controls),
		cmocka_unit_test(test_del_and_c1_controls),
		cmocka_unit_test(test_terminal_sequences),
		cmocka_unit_test(test_bidi_and_zero_width),
		cmocka_unit_test(test_default_ignorable),
		cmocka_unit_test(test_noncharacters),
		cmocka_unit_test(test_private_use),
		cmocka_unit_test(test_malformed_utf8),
		cmocka_unit_test(test_backslash),
		cmocka_unit_test(test_needs_escape_non_scalars),
		cmocka_unit_test(test_every_scalar_value),
		cmocka_unit_test(test_output_is_memo_safe),
		cmocka_unit_test(test_too_large_leaves_out_unchanged),
		cmocka_unit_test(test_appends_after_existing_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
