/* TEMPORARY (replaced by the core-text branch) */
#include <stdio.h>
#include <string.h>
#include "treasury/textsafe.h"
bool codepoint_needs_escape(uint32_t cp) { return cp < 0x20 || cp >= 0x7f; }
treasury_err
text_escape_append(struct textbuf *out, const char *s, size_t len, unsigned flags)
{
	size_t i; char e[16]; treasury_err err = TREASURY_OK;
	for (i = 0; i < len && err == TREASURY_OK; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '\n' && (flags & TEXT_ESCAPE_KEEP_LF)) err = textbuf_append(out, "\n", 1);
		else if (ch == '\\') err = textbuf_append(out, "\\\\", 2);
		else if (ch < 0x20 || ch == 0x7f) { snprintf(e, sizeof(e), "\\u{%02X}", ch); err = textbuf_append(out, e, strlen(e)); }
		else if (ch >= 0x80) { snprintf(e, sizeof(e), "\\x{%02X}", ch); err = textbuf_append(out, e, strlen(e)); }
		else err = textbuf_append(out, (const char *)&s[i], 1);
	}
	return err;
}
