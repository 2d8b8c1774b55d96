/*
 * sig.h: signer public keys and vote signature verification
 * (libsecp256k1). ECDSA low-S only, compact or strict DER; BIP-340 Schnorr.
 */
#ifndef TREASURY_SIG_H
#define TREASURY_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "treasury/error.h"
#include "treasury/limits.h"

enum key_type {
	KEY_ECDSA = 1,		/* 33-byte compressed SEC1 */
	KEY_SCHNORR = 2,	/* 32-byte x-only (BIP-340) */
};

enum {
	ECDSA_PUBKEY_BYTES = 33,
	SCHNORR_PUBKEY_BYTES = 32,
	SIG_COMPACT_BYTES = 64,
	SIG_DER_MIN_BYTES = 8,
	SIG_DER_MAX_BYTES = 72,
};

/* A parsed signer key: the type plus the serialized bytes it was made from
 * (33 for ECDSA, 32 for Schnorr) and the x coordinate that identifies the
 * key whatever its type (docs/signing.md §6: 02||X, 03||X and X are the same key). */
struct signer_key {
	enum key_type type;
	uint8_t bytes[ECDSA_PUBKEY_BYTES];
	size_t len;
	uint8_t x[32];
};

typedef struct treasury_verifier treasury_verifier;

/* Make the verification context once at start-up (randomised with
 * libsodium). Returns NULL on allocation failure. Thread-safe to share
 * read-only between threads afterwards. */
treasury_verifier *treasury_verifier_create(void);
void treasury_verifier_destroy(treasury_verifier *v);

/* Parse "ecdsa" or "schnorr" (exact, lower case).
 * Returns TREASURY_OK or TREASURY_ERR_KEY_TYPE. */
TREASURY_WARN_UNUSED treasury_err
key_type_parse(const char *s, size_t len, enum key_type *out);

/* "ecdsa" or "schnorr". */
const char *key_type_name(enum key_type type);

/* Parse a public key given in hex (either case) for the given type and
 * check that it is a valid curve point.
 * Returns: TREASURY_OK; TREASURY_ERR_HEX_LENGTH / _HEX_CHAR; TREASURY_ERR_PUBKEY
 *          for a non-point, an uncompressed or hybrid SEC1 key, or a
 *          wrong prefix.
 * Out: *key on success. */
TREASURY_WARN_UNUSED treasury_err
signer_key_parse_hex(const treasury_verifier *v, enum key_type type,
    const char *hex, size_t hex_len, struct signer_key *key);

/* Verify one vote signature over a 32-byte digest.
 * ECDSA: sig is 64-byte compact r||s, or strict DER (BIP-66) of 8..72
 * bytes; r and s must be in [1, n-1]; s must be <= n/2.
 * Schnorr: sig is 64 bytes, BIP-340 over the digest as a 32-byte message.
 * Returns: TREASURY_OK when valid;
 *          TREASURY_ERR_SIG_ENCODING for a wrong length, bad DER or r/s out
 *          of range; TREASURY_ERR_SIG_HIGH_S for an ECDSA s > n/2;
 *          TREASURY_ERR_SIG_INVALID when it does not verify. */
TREASURY_WARN_UNUSED treasury_err
vote_signature_verify(const treasury_verifier *v, const struct signer_key *key,
    const uint8_t digest[DIGEST_BYTES], const uint8_t *sig, size_t sig_len);

/* A signer key as libsecp256k1 verifies with it. Making one takes a
 * square root for an ECDSA key (several µs, a seventh of a verify), so
 * a caller that verifies often with one key keeps its point. Opaque, and
 * valid only in the process (and libsecp256k1 version) that made it. */
enum { SIGNER_POINT_BYTES = 64 };

struct signer_point {
	enum key_type type;		/* the key's; 0 until made */
	uint8_t opaque[SIGNER_POINT_BYTES];
};

/* The point of key (a key signer_key_parse accepted, or one read back
 * from the database). Returns TREASURY_OK or TREASURY_ERR_PUBKEY. */
TREASURY_WARN_UNUSED treasury_err
signer_point_make(const treasury_verifier *v, const struct signer_key *key,
    struct signer_point *out);

/* vote_signature_verify with key's point, made by signer_point_make from
 * that same key; the answers are those of vote_signature_verify. */
TREASURY_WARN_UNUSED treasury_err
vote_signature_verify_point(const treasury_verifier *v,
    const struct signer_point *point, const uint8_t digest[DIGEST_BYTES],
    const uint8_t *sig, size_t sig_len);

/* As vote_signature_verify, but the message is msg_len bytes (BIP-340
 * allows any length; ECDSA requires exactly 32). Used by the vector tests.*/
TREASURY_WARN_UNUSED treasury_err
signature_verify_msg(const treasury_verifier *v, const struct signer_key *key,
    const uint8_t *msg, size_t msg_len, const uint8_t *sig, size_t sig_len);

/* Parse a raw public key (no hex) of the given type. Same errors as
 * signer_key_parse_hex without the hex ones. */
TREASURY_WARN_UNUSED treasury_err
signer_key_parse(const treasury_verifier *v, enum key_type type,
    const uint8_t *bytes, size_t len, struct signer_key *key);

#endif
