/*
 * buffer.c: the capped, growable text buffer (see buffer.h).
 *
 * Capacity doubles from TEXTBUF_FIRST_CAP and never exceeds max + 1 (the
 * +1 is the NUL), so a buffer near its cap makes one last exact step.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "treasury/buffer.h"

enum { TEXTBUF_FIRST_CAP = 256 };

void
textbuf_init(struct textbuf *b, size_t max_bytes)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max_bytes;
}

void
textbuf_free(struct textbuf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

/* Make room for need bytes plus a NUL; need <= b->max. */
static treasury_err
textbuf_reserve(struct textbuf *b, size_t need)
{
	size_t cap;
	char *p;

	assert(need <= b->max);
	if (need < b->cap)
		return TREASURY_OK;
	cap = b->cap > 0 ? b->cap : TEXTBUF_FIRST_CAP;
	if (cap > b->max)
		cap = b->max + 1;
	while (cap <= need && cap <= b->max / 2)
		cap *= 2;
	if (cap <= need)
		cap = b->max + 1;
	p = realloc(b->data, cap);
	if (p == NULL)
		return TREASURY_ERR_NOMEM;
	b->data = p;
	b->cap = cap;
	return TREASURY_OK;
}

treasury_err
textbuf_append(struct textbuf *b, const char *s, size_t len)
{
	treasury_err err;

	assert(b->len <= b->max);
	if (len == 0)
		return TREASURY_OK;
	assert(s != NULL);
	if (len > b->max - b->len)
		return TREASURY_ERR_TOO_LARGE;
	err = textbuf_reserve(b, b->len + len);
	if (err != TREASURY_OK)
		return err;
	memcpy(b->data + b->len, s, len);
	b->len += len;
	b->data[b->len] = '\0';
	return TREASURY_OK;
}

treasury_err
textbuf_vprintf(struct textbuf *b, const char *fmt, va_list ap)
{
	va_list again;
	treasury_err err;
	int n;

	assert(b->len <= b->max);
	va_copy(again, ap);
	n = vsnprintf(NULL, 0, fmt, ap);	/* measure first: no partial text */
	if (n < 0)
		err = TREASURY_ERR_INTERNAL;
	else if ((size_t)n > b->max - b->len)
		err = TREASURY_ERR_TOO_LARGE;
	else if (n == 0)
		err = TREASURY_OK;
	else
		err = textbuf_reserve(b, b->len + (size_t)n);
	if (err == TREASURY_OK && n > 0) {
		vsnprintf(b->data + b->len, b->cap - b->len, fmt, again);
		b->len += (size_t)n;
	}
	va_end(again);
	return err;
}

treasury_err
textbuf_printf(struct textbuf *b, const char *fmt, ...)
{
	va_list ap;
	treasury_err err;

	va_start(ap, fmt);
	err = textbuf_vprintf(b, fmt, ap);
	va_end(ap);
	return err;
}

void
textbuf_truncate(struct textbuf *b, size_t len)
{
	assert(len <= b->len);
	b->len = len;
	if (b->data != NULL)
		b->data[len] = '\0';
}
