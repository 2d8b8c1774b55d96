/*
 * buffer.h: the capped, growable text buffer (base/buffer.c, curl's
 * dynbuf manner), used by core for every canonical text and by api/ for
 * answers it builds piece by piece (GET /v1/metrics).
 *
 * Contract:
 *   - a buffer never holds more than its max bytes; an append that would
 *     pass max fails with TREASURY_ERR_TOO_LARGE and leaves the buffer as
 *     it was (no partial append);
 *   - data is NUL-terminated whenever len > 0 (data may be NULL while
 *     nothing was appended), so it can be used as a C string when the
 *     appended bytes hold no NUL;
 *   - memory is allocated on the first append and freed by textbuf_free;
 *     a struct textbuf is used by one thread at a time.
 * No I/O. The codes are those of treasury/error.h (a header only: base
 * links nothing of core).
 */
#ifndef TREASURY_BUFFER_H
#define TREASURY_BUFFER_H

#include <stdarg.h>
#include <stddef.h>

#include "treasury/error.h"

struct textbuf {
	char *data;		/* NUL-terminated when len > 0 */
	size_t len;
	size_t cap;
	size_t max;		/* never grows beyond this many bytes */
};

/* Start an empty buffer that may grow to max_bytes. No allocation yet. */
void textbuf_init(struct textbuf *b, size_t max_bytes);

/* Free the buffer's memory and reset it to empty (max is kept). */
void textbuf_free(struct textbuf *b);

/* Append len bytes of s (s may be NULL when len is 0).
 * Returns TREASURY_OK, TREASURY_ERR_NOMEM or TREASURY_ERR_TOO_LARGE (then
 * b is unchanged). */
TREASURY_WARN_UNUSED treasury_err
textbuf_append(struct textbuf *b, const char *s, size_t len);

/* Append printf-formatted text (without its NUL). Same returns as
 * textbuf_append, and the same all-or-nothing rule; an encoding error of
 * vsnprintf is TREASURY_ERR_INTERNAL. */
TREASURY_WARN_UNUSED treasury_err
textbuf_printf(struct textbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
TREASURY_WARN_UNUSED treasury_err
textbuf_vprintf(struct textbuf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Cut b back to its first len bytes (len <= b->len), keeping its memory:
 * undoes the appends made since b->len was len. */
void textbuf_truncate(struct textbuf *b, size_t len);

#endif
