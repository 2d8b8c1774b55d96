/* TEMPORARY (replaced by the core-text branch) */
#ifndef TREASURY_TEXTSAFE_H
#define TREASURY_TEXTSAFE_H
#include <stdbool.h>
#include <stdint.h>
#include "treasury/canonical.h"
enum { TEXT_ESCAPE_KEEP_LF = 1 };
TREASURY_WARN_UNUSED treasury_err
text_escape_append(struct textbuf *out, const char *s, size_t len, unsigned flags);
bool codepoint_needs_escape(uint32_t cp);
#endif
