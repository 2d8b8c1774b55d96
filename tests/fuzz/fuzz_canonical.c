/*
 * fuzz_canonical.c: libFuzzer target for the canonical proposal text
 * decoder and encoder (core/proposal.c, core/canonical.c).
 *
 * Invariant: proposal_decode accepts a text only if proposal_encode of
 * what it decoded gives back exactly the same bytes, and decoding those
 * bytes again succeeds with the same fields. An accepted text is also
 * free of CR, tab and NUL, and ends with LF.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "treasury/proposal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static treasury_verifier *verifier;
static struct proposal_fields fields, again;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct textbuf tb;

	if (verifier == NULL && (verifier = treasury_verifier_create()) == NULL)
		abort();
	if (proposal_decode(verifier, text, size, &fields) != TREASURY_OK)
		return 0;
	if (size == 0 || text[size - 1] != '\n' ||
	    memchr(text, '\r', size) != NULL ||
	    memchr(text, '\t', size) != NULL ||
	    memchr(text, '\0', size) != NULL)
		abort();
	textbuf_init(&tb, CANONICAL_MAX_BYTES);
	if (proposal_encode(&tb, &fields) != TREASURY_OK)
		abort();
	if (tb.len != size || memcmp(tb.data, text, size) != 0)
		abort();
	if (proposal_decode(verifier, tb.data, tb.len, &again) != TREASURY_OK ||
	    memcmp(&fields, &again, sizeof(fields)) != 0)
		abort();
	textbuf_free(&tb);
	/* Without its final LF the same text is refused. */
	if (proposal_decode(verifier, text, size - 1, &again) == TREASURY_OK)
		abort();
	return 0;
}
