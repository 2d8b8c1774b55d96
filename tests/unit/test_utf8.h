/*
 * test_utf8.h: for the unit tests that feed code points to core
 * (test_canonical.c, test_textsafe.c): a UTF-8 encoder (core itself only
 * decodes), and the invisible ranges that memos refuse and the terminal
 * escaper escapes, written out independently of core/utf8.c.
 */
#ifndef TREASURY_TEST_UTF8_H
#define TREASURY_TEST_UTF8_H

#include <stddef.h>
#include <stdint.h>

enum { UTF8_MAX_BYTES = 4 };

/* Encode code point cp (<= U+10FFFF; surrogates are encoded too, as
 * CESU-8 would) in shortest form into out; returns the length. */
static inline size_t
utf8_put(uint32_t cp, char out[UTF8_MAX_BYTES])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* One invisible range of docs/signing.md section 3, with a code point
 * just below and one just above it that are in no forbidden class. */
struct invisible_range_case {
	uint32_t below, first, last, above;
};

/* Default_Ignorable_Code_Point (bidi controls included) and U+2028..9. */
static const struct invisible_range_case INVISIBLE_RANGE_CASES[] = {
	{ 0x00ac, 0x00ad, 0x00ad, 0x00ae },	/* soft hyphen */
	{ 0x034e, 0x034f, 0x034f, 0x0350 },	/* combining grapheme joiner */
	{ 0x061b, 0x061c, 0x061c, 0x061d },	/* Arabic letter mark */
	{ 0x115e, 0x115f, 0x1160, 0x1161 },	/* Hangul fillers */
	{ 0x17b3, 0x17b4, 0x17b5, 0x17b6 },	/* Khmer inherent vowels */
	{ 0x180a, 0x180b, 0x180f, 0x1810 },	/* Mongolian FVS1..4, MVS */
	{ 0x200a, 0x200b, 0x200f, 0x2010 },	/* ZWSP, ZWNJ, ZWJ, LRM, RLM */
	{ 0x2027, 0x2028, 0x202e, 0x202f },	/* LS, PS, LRE..RLO */
	{ 0x205f, 0x2060, 0x206f, 0x2070 },	/* WJ..., LRI..PDI, deprecated */
	{ 0x3163, 0x3164, 0x3164, 0x3165 },	/* Hangul filler */
	{ 0xfdff, 0xfe00, 0xfe0f, 0xfe10 },	/* VS1..VS16 */
	{ 0xfefe, 0xfeff, 0xfeff, 0xff00 },	/* ZWNBSP (BOM) */
	{ 0xff9f, 0xffa0, 0xffa0, 0xffa1 },	/* halfwidth Hangul filler */
	{ 0xffef, 0xfff0, 0xfff8, 0xfff9 },	/* reserved */
	{ 0x1bc9f, 0x1bca0, 0x1bca3, 0x1bca4 },	/* shorthand format controls */
	{ 0x1d172, 0x1d173, 0x1d17a, 0x1d17b },	/* musical format controls */
	/* Tags, VS17..VS256, reserved; U+DFFFE..F are noncharacters. */
	{ 0xdfffd, 0xe0000, 0xe0fff, 0xe1000 },
};

enum {
	INVISIBLE_RANGE_CASE_COUNT =
	    sizeof(INVISIBLE_RANGE_CASES) / sizeof(INVISIBLE_RANGE_CASES[0]),
};

#endif /* TREASURY_TEST_UTF8_H */
