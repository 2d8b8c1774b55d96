/*
 * canonical.h: field validation and the canonical proposal text of the
 * signing contract (docs/signing.md §3, §8, §9).
 *
 * The canonical text is UTF-8, one "key: value\n" line per field, keys in a
 * fixed order. It is what signers see and what the proposal id hashes, so
 * every encoder here validates every field first and never writes a text
 * that a strict decoder would not give back field for field.
 */
#ifndef TREASURY_CANONICAL_H
#define TREASURY_CANONICAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "treasury/amount.h"
#include "treasury/buffer.h"
#include "treasury/error.h"
#include "treasury/limits.h"

/* ---- field validation: each takes text and length (no NUL needed) ---- */

/* [a-z0-9][a-z0-9_-]{0,31}. Returns TREASURY_OK or TREASURY_ERR_TREASURY_ID. */
TREASURY_WARN_UNUSED treasury_err treasury_id_check(const char *s, size_t len);

/* Same charset as treasury ids. Returns TREASURY_OK or TREASURY_ERR_SIGNER_NAME. */
TREASURY_WARN_UNUSED treasury_err signer_name_check(const char *s, size_t len);

/* An asset's chain label: 1..32 of [a-z0-9._-].
 * Returns TREASURY_OK or TREASURY_ERR_CHAIN. */
TREASURY_WARN_UNUSED treasury_err chain_check(const char *s, size_t len);

/* A treasury's display name: 1..128 bytes passing memo_check.
 * Returns TREASURY_OK or TREASURY_ERR_TREASURY_NAME. */
TREASURY_WARN_UNUSED treasury_err treasury_name_check(const char *s, size_t len);

/* [A-Za-z0-9][A-Za-z0-9._-]{0,31}. Returns TREASURY_OK or TREASURY_ERR_ASSET_CODE. */
TREASURY_WARN_UNUSED treasury_err asset_code_check(const char *s, size_t len);

/* 1..128 printable ASCII characters (0x21..0x7e), no spaces.
 * Returns TREASURY_OK or TREASURY_ERR_DESTINATION. */
TREASURY_WARN_UNUSED treasury_err destination_check(const char *s, size_t len);

/* 0..256 bytes of shortest-form UTF-8, no C0/C1 controls, DEL, surrogates,
 * noncharacters (U+FDD0-FDEF, U+xxFFFE-F), U+2028-9, or any
 * default-ignorable code point (Unicode Default_Ignorable_Code_Point, which
 * holds every bidi control): U+00AD, U+034F, U+061C, U+115F-60, U+17B4-5,
 * U+180B-F, U+200B-F, U+202A-E, U+2060-6F, U+3164, U+FE00-F, U+FEFF,
 * U+FFA0, U+FFF0-8, U+1BCA0-3, U+1D173-A, U+E0000-E0FFF (tags, variation
 * selectors 17..256). Private-use and unassigned code points are allowed.
 * Returns: TREASURY_OK; TREASURY_ERR_MEMO_TOO_LONG; TREASURY_ERR_MEMO_UTF8
 *          for malformed, overlong or out-of-range sequences;
 *          TREASURY_ERR_MEMO_CHAR for a well-formed but forbidden character. */
TREASURY_WARN_UNUSED treasury_err memo_check(const char *s, size_t len);

/* ---- timestamps: UTC, exactly YYYY-MM-DDTHH:MM:SSZ ---- */

/* Parse a timestamp into seconds since the Unix epoch. Checks field ranges
 * (month 1..12, day within the month with leap years, hour 0..23, minute
 * and second 0..59), years 1970..9999.
 * Returns TREASURY_OK or TREASURY_ERR_TIMESTAMP. Out: *unix_s on success. */
TREASURY_WARN_UNUSED treasury_err
timestamp_parse(const char *s, size_t len, int64_t *unix_s);

/* Format unix_s (0 .. 253402300799) as YYYY-MM-DDTHH:MM:SSZ plus NUL. */
void timestamp_format(int64_t unix_s, char out[TIMESTAMP_BYTES + 1]);

/* Check that expires_s lies in [now_s + 60 s, now_s + 90 days].
 * Returns TREASURY_OK, TREASURY_ERR_EXPIRY_TOO_SOON or _TOO_LATE. */
TREASURY_WARN_UNUSED treasury_err
expiry_check(int64_t expires_s, int64_t now_s);

/* ---- canonical text ---- */

/* The texts are written into a struct textbuf (treasury/buffer.h). */

/* Fields shared by every proposal kind (the first seven lines). */
struct proposal_header {
	uint8_t instance[INSTANCE_ID_BYTES];
	const char *treasury;		/* NUL-terminated, checked */
	uint64_t config_version;	/* >= 1 */
	const char *kind;		/* "transfer", "batch", ... */
	uint64_t nonce;			/* >= 1 */
	int64_t expires_s;		/* unix seconds */
};

/* One transfer: the body of a "transfer" proposal. */
struct transfer {
	const char *asset;		/* NUL-terminated, checked */
	unsigned decimals;		/* the asset's, 0..18 */
	amount_minor amount;		/* > 0 */
	const char *to;			/* NUL-terminated, checked */
	const char *memo;		/* memo_len bytes, may be NULL if 0 */
	size_t memo_len;
};

/* Write the canonical text of a transfer proposal into out (which must be
 * initialised and empty) after validating every field.
 * Returns: TREASURY_OK; a field error (TREASURY_ERR_TREASURY_ID,
 *          _ASSET_CODE, _DECIMALS, _AMOUNT_ZERO, _DESTINATION, _MEMO_*,
 *          _TIMESTAMP for an unformattable expiry, TREASURY_ERR_KIND when
 *          hdr->kind is not "transfer", TREASURY_ERR_INTERNAL when
 *          config_version or nonce is 0); _NOMEM; _TOO_LARGE. Expiry is
 *          not checked against the clock here (see expiry_check). */
TREASURY_WARN_UNUSED treasury_err
canonical_encode_transfer(struct textbuf *out, const struct proposal_header *hdr,
    const struct transfer *t);

#endif
