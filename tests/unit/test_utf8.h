/*
 * test_utf8.h: a UTF-8 encoder for the unit tests that feed code points to
 * core (test_canonical.c, test_textsafe.c). Core itself only decodes.
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

#endif /* TREASURY_TEST_UTF8_H */
