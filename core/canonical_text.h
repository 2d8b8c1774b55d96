/*
 * canonical_text.h: the canonical-text line writer shared inside core by
 * canonical.c (transfer) and proposal.c (every other kind), so that each
 * line of the signing contract is written by exactly one piece of code;
 * also the one fixed-array string length that policy.c and proposal.c
 * check their fields with.
 *
 * Private to core/: not installed, not for storage/ or api/ (they use
 * canonical.h and proposal.h).
 */
#ifndef TREASURY_CORE_CANONICAL_TEXT_H
#define TREASURY_CORE_CANONICAL_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "treasury/canonical.h"
#include "treasury/error.h"

/* Length of the NUL-terminated string in a fixed array s[size] (a field
 * of proposal_fields or of a policy). Returns false when the array holds
 * no NUL (then *len is untouched). */
bool array_strlen(const char *s, size_t size, size_t *len);

/* Append "key: value\n". Returns TREASURY_OK, _NOMEM or _TOO_LARGE. */
TREASURY_WARN_UNUSED treasury_err
canonical_line_append(struct textbuf *b, const char *key, const char *value,
    size_t value_len);

/* Append "key: <value in decimal>\n". Same returns. */
TREASURY_WARN_UNUSED treasury_err
canonical_line_append_u64(struct textbuf *b, const char *key, uint64_t value);

/* Check the header fields: treasury id, config and nonce >= 1 (else
 * TREASURY_ERR_INTERNAL), hdr->kind equal to kind (else _KIND), expiry
 * formattable (else _TIMESTAMP). */
TREASURY_WARN_UNUSED treasury_err
canonical_header_check(const struct proposal_header *hdr, const char *kind);

/* Check one transfer: asset code, decimals, amount > 0, destination, memo. */
TREASURY_WARN_UNUSED treasury_err
canonical_transfer_check(const struct transfer *t);

/* Append the seven common lines of a checked header. */
TREASURY_WARN_UNUSED treasury_err
canonical_header_append(struct textbuf *out, const struct proposal_header *hdr);

/* Append the asset, amount, to and memo lines of a checked transfer, each
 * key preceded by key_prefix ("" for a transfer, "transfer.<i>." in a
 * batch). */
TREASURY_WARN_UNUSED treasury_err
canonical_transfer_append(struct textbuf *out, const char *key_prefix,
    const struct transfer *t);

/* Empty out after a failed encode: never leave half a text behind. */
void canonical_text_reset(struct textbuf *out);

/* ---- decoding (proposal.c), for the bodies in policy_text.c ---- */

/* Read position in a text of len bytes; s[pos..len) is what is left. */
struct cursor {
	const char *s;
	size_t len;
	size_t pos;
};

/* Take the line "<prefix><key>: <value>\n" at the cursor and move past it.
 * Returns TREASURY_OK or TREASURY_ERR_CANONICAL (another key, no ": ", no
 * final LF). Out: *value (not NUL-terminated, inside c->s), *value_len. */
TREASURY_WARN_UNUSED treasury_err
canonical_line_take(struct cursor *c, const char *prefix, const char *key,
    const char **value, size_t *value_len);

/* Parse decimal `0|[1-9][0-9]*` that fits in 64 bits.
 * Returns TREASURY_OK or TREASURY_ERR_CANONICAL. */
TREASURY_WARN_UNUSED treasury_err
canonical_u64_parse(const char *s, size_t len, uint64_t *out);

#endif
