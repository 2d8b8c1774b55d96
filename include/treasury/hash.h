/*
 * hash.h: BIP-340 style tagged hashes and the signing-contract digests.
 *
 * H_tag(msg) = SHA256(SHA256(tag) || SHA256(tag) || msg), tag as ASCII.
 * See docs/signing.md.
 */
#ifndef TREASURY_HASH_H
#define TREASURY_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "treasury/limits.h"

#define PROPOSAL_TAG "treasuryd/proposal/v1"
#define VOTE_TAG "treasuryd/vote/v1"
#define IDEMPOTENCY_TAG "treasuryd/idempotency/v1"

enum vote_decision {
	VOTE_APPROVE = 0x01,
	VOTE_REJECT = 0x02,
};

/* out = H_tag(msg[0..len)). tag is a NUL-terminated ASCII string. */
void tagged_hash(uint8_t out[DIGEST_BYTES], const char *tag, const uint8_t *msg,
    size_t len);

/* Proposal id = H_"treasuryd/proposal/v1"(canonical bytes). */
void proposal_id_compute(uint8_t id[PROPOSAL_ID_BYTES], const char *canonical,
    size_t len);

/* Vote digest = H_"treasuryd/vote/v1"(id || decision byte).
 * decision must be VOTE_APPROVE or VOTE_REJECT (asserted). */
void vote_digest_compute(uint8_t digest[DIGEST_BYTES],
    const uint8_t id[PROPOSAL_ID_BYTES], enum vote_decision decision);

/* The fingerprint of a request with an Idempotency-Key (docs/api.md
 * "Idempotency"): two requests with one key are the same request when
 * their fingerprints are equal. Storage keeps it as opaque bytes.
 *
 * fp = H_"treasuryd/idempotency/v1"(method || 0x00 || path || 0x00 ||
 *      SHA256(body) || token_id as 8 bytes big-endian)
 *
 * The body enters by its SHA-256 so that records written before the
 * fingerprint (schema 4: method, path, body hash) convert exactly.
 * In: method, path: NUL-terminated; body_sha256: SHA-256 of the body bytes. */
void idempotency_fingerprint(uint8_t fp[DIGEST_BYTES], const char *method,
    const char *path, const uint8_t body_sha256[DIGEST_BYTES],
    int64_t token_id);

#endif
