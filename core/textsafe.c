/*
 * textsafe.c: terminal-safe escaping of untrusted text (see textsafe.h).
 *
 * The text is read with the memo rule's strict decoder (utf8.c), one code
 * point or one bad byte at a time. Runs of code points that need no escape
 * are copied in one append; every other piece is written as an escape of
 * plain ASCII. On any failure the buffer is cut back to where it was, so
 * a caller never shows half an escaped text.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "treasury/textsafe.h"

#include "canonical_text.h"
#include "utf8.h"

/* "\u{10FFFF}" plus NUL: the longest escape. */
#define ESCAPE_MAX_BYTES (11)
#define UNICODE_MAX (0x10ffffu)

/* U+E000..U+F8FF and planes 15 and 16 but their noncharacters. */
static bool
codepoint_is_private_use(uint32_t cp)
{
	return (cp >= 0xe000 && cp <= 0xf8ff) ||
	    (cp >= 0xf0000 && cp <= UNICODE_MAX && (cp & 0xffff) <= 0xfffd);
}

static bool
codepoint_is_scalar(uint32_t cp)
{
	return cp <= UNICODE_MAX && !(cp >= 0xd800 && cp <= 0xdfff);
}

bool
codepoint_needs_escape(uint32_t cp)
{
	return cp == '\\' || !codepoint_is_scalar(cp) ||
	    codepoint_is_control(cp) || codepoint_is_noncharacter(cp) ||
	    codepoint_is_invisible(cp) || codepoint_is_private_use(cp);
}

/* Append "\u{XXXX}" for a scalar value, with 4 to 6 upper-case hex
 * digits. */
static treasury_err
codepoint_escape_append(struct textbuf *out, uint32_t cp)
{
	char esc[ESCAPE_MAX_BYTES];
	int n;

	assert(codepoint_is_scalar(cp));
	n = snprintf(esc, sizeof(esc), "\\u{%04" PRIX32 "}", cp);
	assert(n >= 8 && (size_t)n < sizeof(esc));
	return textbuf_append(out, esc, (size_t)n);
}

/* Append "\x{XX}" for one byte that does not start a valid sequence. */
static treasury_err
byte_escape_append(struct textbuf *out, unsigned char byte)
{
	char esc[ESCAPE_MAX_BYTES];
	int n;

	n = snprintf(esc, sizeof(esc), "\\x{%02X}", (unsigned)byte);
	assert(n == 6);
	return textbuf_append(out, esc, (size_t)n);
}

/* Append the escape of one code point that codepoint_needs_escape. */
static treasury_err
special_append(struct textbuf *out, uint32_t cp, unsigned flags)
{
	assert(codepoint_needs_escape(cp));
	if (cp == '\\')
		return textbuf_append(out, "\\\\", 2);
	if (cp == '\n')
		return (flags & TEXT_ESCAPE_KEEP_LF) ?
		    textbuf_append(out, "\n", 1) : textbuf_append(out, "\\n", 2);
	return codepoint_escape_append(out, cp);
}

/* Length of the run at s[0..len) of whole code points that are copied as
 * they are (0 when s starts with a bad byte or a code point to escape). */
static size_t
plain_run_bytes(const unsigned char *s, size_t len)
{
	size_t run = 0, n;
	uint32_t cp;

	while (run < len) {
		n = utf8_decode(s + run, len - run, &cp);
		if (n == 0 || codepoint_needs_escape(cp))
			break;
		run += n;
	}
	return run;
}

/* Append the piece at s[0..len), len >= 1: a plain run, one escaped code
 * point or one escaped byte. Out: *used, the bytes of s consumed. */
static treasury_err
piece_append(struct textbuf *out, const unsigned char *s, size_t len,
    unsigned flags, size_t *used)
{
	uint32_t cp;
	size_t n;

	assert(len >= 1);
	n = plain_run_bytes(s, len);
	if (n > 0) {
		*used = n;
		return textbuf_append(out, (const char *)s, n);
	}
	n = utf8_decode(s, len, &cp);
	if (n == 0) {
		*used = 1;
		return byte_escape_append(out, s[0]);
	}
	*used = n;
	return special_append(out, cp, flags);
}

treasury_err
text_escape_append(struct textbuf *out, const char *s, size_t len,
    unsigned flags)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t start_len = out->len, i = 0, used = 0;
	treasury_err err = TREASURY_OK;

	assert(len == 0 || s != NULL);
	assert((flags & ~(unsigned)TEXT_ESCAPE_KEEP_LF) == 0);
	while (i < len && err == TREASURY_OK) {
		err = piece_append(out, u + i, len - i, flags, &used);
		assert(used >= 1 && used <= len - i);
		i += used;
	}
	if (err != TREASURY_OK)
		textbuf_truncate(out, start_len);	/* out unchanged */
	return err;
}
