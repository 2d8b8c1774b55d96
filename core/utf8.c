/*
 * utf8.c: strict UTF-8 decoding and the code point classes that the memo
 * rule (canonical.c) and the terminal escaper (textsafe.c) share.
 *
 * The invisible set is one table of sorted ranges searched by bisection:
 * adding a range here changes both what a memo may hold and what
 * treasuryctl escapes, and docs/signing.md section 3 lists the same set.
 */
#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "utf8.h"

#define UNICODE_MAX (0x10ffffu)

/* An inclusive range of code points. */
struct codepoint_range {
	uint32_t first;
	uint32_t last;
};

/* Default_Ignorable_Code_Point (Unicode 15.1 DerivedCoreProperties.txt)
 * plus U+2028..U+2029. Sorted, disjoint and not adjacent. */
static const struct codepoint_range invisible_ranges[] = {
	{ 0x00ad, 0x00ad },	/* soft hyphen */
	{ 0x034f, 0x034f },	/* combining grapheme joiner */
	{ 0x061c, 0x061c },	/* Arabic letter mark (bidi) */
	{ 0x115f, 0x1160 },	/* Hangul choseong and jungseong fillers */
	{ 0x17b4, 0x17b5 },	/* Khmer inherent vowels */
	{ 0x180b, 0x180f },	/* Mongolian variation selectors, vowel sep. */
	{ 0x200b, 0x200f },	/* ZWSP, ZWNJ, ZWJ, LRM, RLM */
	{ 0x2028, 0x202e },	/* LS, PS, LRE..RLO */
	{ 0x2060, 0x206f },	/* WJ..invisible plus, LRI..PDI, deprecated */
	{ 0x3164, 0x3164 },	/* Hangul filler */
	{ 0xfe00, 0xfe0f },	/* variation selectors 1..16 */
	{ 0xfeff, 0xfeff },	/* zero-width no-break space (BOM) */
	{ 0xffa0, 0xffa0 },	/* halfwidth Hangul filler */
	{ 0xfff0, 0xfff8 },	/* reserved before the specials */
	{ 0x1bca0, 0x1bca3 },	/* shorthand format controls */
	{ 0x1d173, 0x1d17a },	/* musical symbol beam and phrase controls */
	{ 0xe0000, 0xe0fff },	/* tags, variation selectors 17..256, reserved */
};

enum {
	INVISIBLE_RANGE_COUNT =
	    sizeof(invisible_ranges) / sizeof(invisible_ranges[0]),
};

static bool
byte_is_continuation(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

size_t
utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	uint32_t v, min;
	size_t n, i;

	assert(len >= 1);
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2, v = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3, v = s[0] & 0x0f, min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4, v = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;	/* continuation byte, C0, C1 or F5..FF */
	}
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if (!byte_is_continuation(s[i]))
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > UNICODE_MAX || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

bool
codepoint_is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

bool
codepoint_is_noncharacter(uint32_t cp)
{
	return (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe;
}

bool
codepoint_is_invisible(uint32_t cp)
{
	size_t lo = 0, hi = INVISIBLE_RANGE_COUNT, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		assert(mid == 0 || invisible_ranges[mid - 1].last + 1 <
		    invisible_ranges[mid].first);
		if (cp < invisible_ranges[mid].first)
			hi = mid;
		else if (cp > invisible_ranges[mid].last)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}
