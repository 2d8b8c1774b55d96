/*
 * utf8.h: the strict UTF-8 decoder and the code point classes of the
 * signing contract, shared inside core by canonical.c (memo_check, the
 * signed-text rule) and textsafe.c (text_escape_append, the terminal rule),
 * so that both read text the same way and forbid from one table.
 *
 * Private to core/: not installed, not for storage/, api/ or cli/ (they use
 * canonical.h and textsafe.h).
 */
#ifndef TREASURY_CORE_UTF8_H
#define TREASURY_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decode one shortest-form UTF-8 scalar value at s[0..len), len >= 1.
 * Returns the number of bytes used (1..4), or 0 for a malformed, truncated,
 * overlong, surrogate or beyond-U+10FFFF sequence (then *cp is untouched). */
size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);

/* C0 controls U+0000..U+001F, DEL U+007F and C1 controls U+0080..U+009F. */
bool codepoint_is_control(uint32_t cp);

/* U+FDD0..U+FDEF and the last two code points of every plane
 * (U+xxFFFE, U+xxFFFF). */
bool codepoint_is_noncharacter(uint32_t cp);

/* The Unicode Default_Ignorable_Code_Point set (format and zero-width
 * characters, fillers, variation selectors, tags and the ranges reserved
 * for more of them), which holds every bidi control, plus the line and
 * paragraph separators U+2028..U+2029. Part of the signed-text rules: the
 * list is in docs/signing.md section 3 and in canonical.h (memo_check). */
bool codepoint_is_invisible(uint32_t cp);

#endif
