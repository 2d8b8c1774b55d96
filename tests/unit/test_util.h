/*
 * test_util.h: helpers shared by the unit tests of the canonical texts
 * (test_policy.c, test_proposal.c). Static functions: each test program
 * that includes it gets its own copy.
 */
#ifndef TREASURY_TEST_UTIL_H
#define TREASURY_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "treasury/canonical.h"
#include "treasury/proposal.h"

/*
 * Change each byte of text in turn to each of the repl_count bytes of repl
 * (skipping the byte it already is) and decode the result into q: each
 * change must be refused, or decode to fields that encode to exactly the
 * changed text. Returns how many changes were accepted.
 */
static size_t
byte_mutations_check(treasury_verifier *v, const char *text,
    const char *repl, size_t repl_count, struct proposal_fields *q)
{
	struct textbuf tb;
	size_t pos, r, len, accepted = 0;
	char *buf;

	len = strlen(text);
	buf = malloc(len);
	assert_non_null(buf);
	for (pos = 0; pos < len; pos++) {
		for (r = 0; r < repl_count; r++) {
			if (text[pos] == repl[r])
				continue;
			memcpy(buf, text, len);
			buf[pos] = repl[r];
			if (proposal_decode(v, buf, len, q) != TREASURY_OK)
				continue;
			accepted++;
			textbuf_init(&tb, CANONICAL_MAX_BYTES);
			assert_int_equal(proposal_encode(&tb, q), TREASURY_OK);
			assert_int_equal(tb.len, len);
			assert_memory_equal(tb.data, buf, len);
			textbuf_free(&tb);
		}
	}
	free(buf);
	return accepted;
}

#endif /* TREASURY_TEST_UTIL_H */
