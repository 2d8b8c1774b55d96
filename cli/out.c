/*
 * out.c: the one output path of treasuryctl. Everything it prints for
 * people goes through say(), a printf whose format is trusted (it is in
 * this program) and whose every argument is not: each string argument is
 * escaped whole by core's text_escape_append, line feeds included, so no
 * byte from a server (or a file) can move the cursor, erase or forge a
 * line, reorder text (bidi) or hide a character. Only the format's own
 * line feeds start new lines.
 * JSON output (--json) is written with JSON_ENSURE_ASCII instead: every
 * control and non-ASCII character is a \u escape there.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "treasury/textsafe.h"

enum {
	SPEC_MAX_BYTES = 32,		/* one conversion, e.g. "%-*.*s" */
	NUMBER_MAX_BYTES = 64,		/* one formatted number */
	ESCAPED_PER_BYTE_MAX = 8,	/* "\u{10FFFF}" for 4 bytes, "\x{FF}" */
};

/* Append len bytes of s to b, escaped (flags: TEXT_ESCAPE_KEEP_LF). */
static bool
escaped_append(struct textbuf *b, const char *s, size_t len, unsigned flags)
{
	return text_escape_append(b, s, len, flags) == TREASURY_OK;
}

/* One %s conversion: the argument escaped, then padded to width. */
static bool
string_append(struct textbuf *b, const char *s, int width, int precision,
    bool left)
{
	struct textbuf esc;
	size_t len, pad = 0;
	bool ok;

	if (s == NULL)
		s = "(null)";
	len = precision >= 0 ? strnlen(s, (size_t)precision) : strlen(s);
	textbuf_init(&esc, ESCAPED_PER_BYTE_MAX * OUTPUT_LINE_MAX_BYTES);
	ok = escaped_append(&esc, s, len, 0);
	if (ok && width > 0 && esc.len < (size_t)width)
		pad = (size_t)width - esc.len;	/* bytes, as printf counts */
	while (ok && !left && pad-- > 0)
		ok = textbuf_append(b, " ", 1) == TREASURY_OK;
	if (ok && esc.len > 0)
		ok = textbuf_append(b, esc.data, esc.len) == TREASURY_OK;
	while (ok && left && pad-- > 0)
		ok = textbuf_append(b, " ", 1) == TREASURY_OK;
	textbuf_free(&esc);
	return ok;
}

/* Copy the conversion starting at fmt ('%') into spec; *end after it.
 * Returns the conversion character, or 0 for one say() does not know. */
static char
spec_parse(const char *fmt, char spec[SPEC_MAX_BYTES], const char **end,
    int *length)
{
	const char *p = fmt + 1;
	size_t n;

	*length = 0;
	p += strspn(p, "-+ #0");
	p += *p == '*' ? 1 : strspn(p, "0123456789");
	if (*p == '.') {
		p++;
		p += *p == '*' ? 1 : strspn(p, "0123456789");
	}
	while (*p == 'l' || *p == 'z' || *p == 'h') {
		*length = *p == 'z' ? 'z' : *length == 'l' ? 'L' : *p;
		p++;
	}
	if (*p == '\0' || strchr("diouxXcs%", *p) == NULL)
		return 0;
	n = (size_t)(p + 1 - fmt);
	if (n >= SPEC_MAX_BYTES)
		return 0;
	memcpy(spec, fmt, n);
	spec[n] = '\0';
	*end = p + 1;
	return *p;
}

/* A '*' width or precision of spec, taken from ap in order. */
static void
stars_take(const char *spec, va_list *ap, int *width, int *precision)
{
	const char *dot = strchr(spec, '.');
	const char *star = strchr(spec, '*');

	*width = 0;
	*precision = -1;
	if (star != NULL && (dot == NULL || star < dot)) {
		*width = va_arg(*ap, int);
		star = strchr(star + 1, '*');
	} else {
		const char *w = spec + 1 + strspn(spec + 1, "-+ #0");

		*width = (int)strtol(w, NULL, 10);	/* digits only: spec_parse */
	}
	if (dot != NULL)
		*precision = star != NULL ? va_arg(*ap, int) :
		    (int)strtol(dot + 1, NULL, 10);
}

/* The digits of an integer conversion (no width, no precision). */
static int
digits_format(char *out, size_t size, char conv, int length, va_list *ap)
{
	unsigned long long u;
	long long v;

	if (conv == 'd' || conv == 'i') {
		v = length == 'L' ? va_arg(*ap, long long) : length == 'l' ?
		    va_arg(*ap, long) : length == 'z' ?
		    (long long)va_arg(*ap, size_t) : va_arg(*ap, int);
		return snprintf(out, size, "%lld", v);
	}
	u = length == 'L' ? va_arg(*ap, unsigned long long) : length == 'l' ?
	    va_arg(*ap, unsigned long) : length == 'z' ? va_arg(*ap, size_t) :
	    va_arg(*ap, unsigned);
	if (conv == 'o')
		return snprintf(out, size, "%llo", u);
	if (conv == 'x')
		return snprintf(out, size, "%llx", u);
	if (conv == 'X')
		return snprintf(out, size, "%llX", u);
	return snprintf(out, size, "%llu", u);
}

/* Append n bytes of ch. */
static bool
fill_append(struct textbuf *b, char ch, size_t n)
{
	bool ok = true;

	while (ok && n-- > 0)
		ok = textbuf_append(b, &ch, 1) == TREASURY_OK;
	return ok;
}

/* A number or %c conversion, padded as printf would ('-' left, '0'
 * zeros, width, precision as the minimum digit count). Digits need no
 * escape; a %c argument may be anything, so it is escaped. */
static bool
number_append(struct textbuf *b, const char *spec, char conv, int length,
    int width, int precision, va_list *ap)
{
	char digits[NUMBER_MAX_BYTES];
	size_t nflags = strspn(spec + 1, "-+ #0"), mlen, zeros = 0, core;
	size_t pad = 0;
	bool left = memchr(spec + 1, '-', nflags) != NULL;
	bool zero = !left && precision < 0 &&
	    memchr(spec + 1, '0', nflags) != NULL;
	bool neg, ok;
	int n;

	if (conv == 'c') {
		digits[0] = (char)va_arg(*ap, int);
		digits[1] = '\0';
		n = 1;
	} else
		n = digits_format(digits, sizeof(digits), conv, length, ap);
	if (n < 0 || (size_t)n >= sizeof(digits))
		return false;
	neg = conv != 'c' && digits[0] == '-';
	mlen = (size_t)n - neg;
	if (precision > 0 && (size_t)precision > mlen)
		zeros = (size_t)precision - mlen;
	core = neg + zeros + mlen;
	if (width > 0 && (size_t)width > core)
		pad = (size_t)width - core;
	if (zero) {
		zeros += pad;
		pad = 0;
	}
	ok = left || fill_append(b, ' ', pad);
	if (ok && neg)
		ok = textbuf_append(b, "-", 1) == TREASURY_OK;
	if (ok)
		ok = fill_append(b, '0', zeros);
	if (ok)
		ok = escaped_append(b, digits + neg, mlen, 0);
	if (ok && left)
		ok = fill_append(b, ' ', pad);
	return ok;
}

/* Format fmt with ap into b: literal text as it is, every argument
 * escaped. Returns false when out of room or for an unknown conversion
 * (a programming error: asserted in debug builds by the format attribute
 * and the tests). */
static bool
format_escaped(struct textbuf *b, const char *fmt, va_list ap_in)
{
	char spec[SPEC_MAX_BYTES], conv;
	const char *p = fmt, *pct, *end;
	int width, precision, length;
	va_list ap;
	bool ok = true;

	va_copy(ap, ap_in);
	while (ok && *p != '\0') {
		pct = strchr(p, '%');
		if (pct == NULL)
			pct = p + strlen(p);
		if (pct > p)
			ok = textbuf_append(b, p, (size_t)(pct - p)) ==
			    TREASURY_OK;
		if (!ok || *pct == '\0')
			break;
		conv = spec_parse(pct, spec, &end, &length);
		if (conv == 0) {
			ok = false;
			break;
		}
		p = end;
		if (conv == '%') {
			ok = textbuf_append(b, "%", 1) == TREASURY_OK;
			continue;
		}
		stars_take(spec, &ap, &width, &precision);
		if (conv == 's')
			ok = string_append(b, va_arg(ap, const char *), width,
			    precision, strchr(spec, '-') != NULL);
		else
			ok = number_append(b, spec, conv, length, width,
			    precision, &ap);
	}
	va_end(ap);
	return ok;
}

void
say(FILE *fp, const char *fmt, ...)
{
	struct textbuf b;
	va_list ap;
	bool ok;

	textbuf_init(&b, ESCAPED_PER_BYTE_MAX * OUTPUT_LINE_MAX_BYTES);
	va_start(ap, fmt);
	ok = format_escaped(&b, fmt, ap);
	va_end(ap);
	if (b.len > 0)
		fwrite(b.data, 1, b.len, fp);
	if (!ok)
		fputs("...(output cut)\n", fp);
	textbuf_free(&b);
}

void
say_lines(FILE *fp, const char *indent, const char *text)
{
	const char *line = text, *nl;

	while (line != NULL && *line != '\0') {
		nl = strchr(line, '\n');
		say(fp, "%s%.*s\n", indent, (int)(nl != NULL ?
		    (size_t)(nl - line) : strlen(line)), line);
		line = nl != NULL ? nl + 1 : NULL;
	}
}

char *
say_text(const char *s, size_t len)
{
	struct textbuf b;

	textbuf_init(&b, ESCAPED_PER_BYTE_MAX * OUTPUT_LINE_MAX_BYTES + 1);
	if (s == NULL || !escaped_append(&b, s, len, 0) ||
	    textbuf_append(&b, "", 1) != TREASURY_OK) {
		textbuf_free(&b);
		return NULL;
	}
	return b.data;	/* NUL-terminated: the appended "" */
}
