/*
 * textsafe.h: terminal-safe escaping of untrusted text.
 *
 * Whatever a server sends (memos, names, labels, problem details) reaches
 * the user's terminal only through text_escape_append, so that a hostile
 * server can neither drive the terminal (cursor moves, line erasure, title
 * or clipboard sequences) nor hide, reorder or fake characters (bidi
 * controls, zero-width characters, fillers). The code point classes are
 * those of the memo rule (canonical.h, docs/signing.md section 3), read by
 * the same strict UTF-8 decoder.
 */
#ifndef TREASURY_TEXTSAFE_H
#define TREASURY_TEXTSAFE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "treasury/canonical.h"   /* struct textbuf */
#include "treasury/error.h"

enum { TEXT_ESCAPE_KEEP_LF = 1 };

/* Append s[0..len) to out so that a terminal shows every character and is
 * driven by none: printable ASCII and visible UTF-8 code points are copied;
 * a backslash becomes "\\"; LF becomes "\n" unless flags has
 * TEXT_ESCAPE_KEEP_LF; every C0 control, DEL, C1 control (U+0080..U+009F),
 * bidi control, zero-width, line/paragraph separator, noncharacter,
 * private-use, and every other invisible or default-ignorable code point
 * (codepoint_is_invisible) becomes "\u{XXXX}" (upper-case hex, 4..6
 * digits); each byte of malformed, overlong, surrogate or out-of-range
 * UTF-8 becomes "\x{XX}".
 *
 * Private use (U+E000..U+F8FF, U+F0000..U+FFFFD, U+100000..U+10FFFD) is
 * escaped: its glyph is whatever the font says, so it could pass for any
 * character. Unassigned code points are copied (core has no character
 * database; the default-ignorable ranges reserved for future invisible
 * characters are escaped). A tab is a C0 control, so it is escaped; with
 * TEXT_ESCAPE_KEEP_LF, LF is copied as is and CR is still escaped. The
 * output is valid UTF-8 and holds no byte below 0x20 but kept LFs, and no
 * DEL. s may be NULL when len is 0.
 * Returns TREASURY_OK, TREASURY_ERR_NOMEM or TREASURY_ERR_TOO_LARGE
 * (then out is unchanged). */
TREASURY_WARN_UNUSED treasury_err
text_escape_append(struct textbuf *out, const char *s, size_t len, unsigned flags);

/* Whether the code point would be escaped by text_escape_append (LF counted
 * as escaped; the backslash too, as it is doubled). True as well for
 * surrogates and values above U+10FFFF, which are never copied. */
bool codepoint_needs_escape(uint32_t cp);

#endif
