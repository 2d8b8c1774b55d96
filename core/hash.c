/*
 * hash.c: BIP-340 style tagged SHA-256 and the two digests of the signing
 * contract, the proposal id and the vote digest (docs/signing.md
 * §1, §4, §5).
 *
 * Uses libsodium's SHA-256; the program must have called sodium_init()
 * (treasury_crypto_init()) before the first hash.
 */
#include <assert.h>
#include <string.h>

#include <sodium.h>

#include "treasury/hash.h"

_Static_assert(DIGEST_BYTES == crypto_hash_sha256_BYTES,
    "a digest is one SHA-256 output");
_Static_assert(PROPOSAL_ID_BYTES == DIGEST_BYTES, "an id is one digest");

void
tagged_hash(uint8_t out[DIGEST_BYTES], const char *tag, const uint8_t *msg,
    size_t len)
{
	crypto_hash_sha256_state st;
	uint8_t tag_hash[crypto_hash_sha256_BYTES];

	assert(out != NULL);
	assert(tag != NULL);
	assert(msg != NULL || len == 0);
	crypto_hash_sha256(tag_hash, (const unsigned char *)tag, strlen(tag));
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, tag_hash, sizeof(tag_hash));
	crypto_hash_sha256_update(&st, tag_hash, sizeof(tag_hash));
	if (len > 0)
		crypto_hash_sha256_update(&st, msg, len);
	crypto_hash_sha256_final(&st, out);
}

void
proposal_id_compute(uint8_t id[PROPOSAL_ID_BYTES], const char *canonical,
    size_t len)
{
	tagged_hash(id, PROPOSAL_TAG, (const uint8_t *)canonical, len);
}

void
vote_digest_compute(uint8_t digest[DIGEST_BYTES],
    const uint8_t id[PROPOSAL_ID_BYTES], enum vote_decision decision)
{
	uint8_t msg[PROPOSAL_ID_BYTES + 1];

	assert(decision == VOTE_APPROVE || decision == VOTE_REJECT);
	memcpy(msg, id, PROPOSAL_ID_BYTES);
	msg[PROPOSAL_ID_BYTES] = (uint8_t)decision;
	tagged_hash(digest, VOTE_TAG, msg, sizeof(msg));
}

void
idempotency_fingerprint(uint8_t fp[DIGEST_BYTES], const char *method,
    const char *path, const uint8_t body_sha256[DIGEST_BYTES],
    int64_t token_id)
{
	uint8_t tag[DIGEST_BYTES], id[8];
	crypto_hash_sha256_state st;
	uint64_t v = (uint64_t)token_id;

	for (int i = 7; i >= 0; i--, v >>= 8)
		id[i] = (uint8_t)v;
	crypto_hash_sha256(tag, (const unsigned char *)IDEMPOTENCY_TAG,
	    strlen(IDEMPOTENCY_TAG));
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, tag, sizeof(tag));
	crypto_hash_sha256_update(&st, tag, sizeof(tag));
	crypto_hash_sha256_update(&st, (const unsigned char *)method,
	    strlen(method) + 1);
	crypto_hash_sha256_update(&st, (const unsigned char *)path,
	    strlen(path) + 1);
	crypto_hash_sha256_update(&st, body_sha256, DIGEST_BYTES);
	crypto_hash_sha256_update(&st, id, sizeof(id));
	crypto_hash_sha256_final(&st, fp);
}
