/*
 * out.c: the one output path of treasuryctl. Everything it prints for
 * people goes through say(): the formatted text is escaped by core's
 * text_escape_append, so that no byte from a server (or a file) can move
 * the cursor, erase a line, reorder text (bidi) or hide a character.
 * Only the line feeds of the format itself pass; strings that may hold
 * their own line feeds are escaped whole first with say_text().
 * JSON output (--json) is written with JSON_ENSURE_ASCII instead: every
 * control and non-ASCII character is a \u escape there.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "treasury/textsafe.h"

/* Write len bytes of s escaped to fp (flags: TEXT_ESCAPE_KEEP_LF). */
static void
escaped_write(FILE *fp, const char *s, size_t len, unsigned flags)
{
	struct textbuf b;

	textbuf_init(&b, 8 * OUTPUT_LINE_MAX_BYTES + 16);
	if (text_escape_append(&b, s, len, flags) == TREASURY_OK)
		fwrite(b.data, 1, b.len, fp);
	else
		fputs("(output not shown: out of memory)\n", fp);
	textbuf_free(&b);
}

void
say(FILE *fp, const char *fmt, ...)
{
	va_list ap;
	char *buf;
	int n;

	buf = malloc(OUTPUT_LINE_MAX_BYTES);
	if (buf == NULL) {
		fputs("(output not shown: out of memory)\n", fp);
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(buf, OUTPUT_LINE_MAX_BYTES, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= OUTPUT_LINE_MAX_BYTES) {
		escaped_write(fp, buf, OUTPUT_LINE_MAX_BYTES - 1,
		    TEXT_ESCAPE_KEEP_LF);
		fputs("...\n", fp);
	} else
		escaped_write(fp, buf, (size_t)n, TEXT_ESCAPE_KEEP_LF);
	free(buf);
}

void
say_lines(FILE *fp, const char *indent, const char *text)
{
	const char *line = text, *nl;

	while (line != NULL && *line != '\0') {
		nl = strchr(line, '\n');
		fputs(indent, fp);
		escaped_write(fp, line, nl != NULL ? (size_t)(nl - line) :
		    strlen(line), 0);
		fputc('\n', fp);
		line = nl != NULL ? nl + 1 : NULL;
	}
}

char *
say_text(const char *s, size_t len)
{
	struct textbuf b;
	char *out;

	textbuf_init(&b, 8 * OUTPUT_LINE_MAX_BYTES + 16);
	if (s == NULL || text_escape_append(&b, s, len, 0) != TREASURY_OK ||
	    textbuf_append(&b, "", 1) != TREASURY_OK) {
		textbuf_free(&b);
		return NULL;
	}
	out = b.data;	/* NUL-terminated: the appended "" */
	return out;
}
