/*
 * sig.c: signer public keys and vote signature verification.
 *
 * One libsecp256k1 context, made and randomised once by
 * treasury_verifier_create(), is shared read-only by every thread.
 *
 * ECDSA signatures come as 64-byte compact r||s or as strict DER (BIP-66
 * rules, no sighash byte). A DER signature is first checked byte by byte
 * here, then its two integers are laid out as r||s and parsed like a compact
 * one: secp256k1_ecdsa_signature_parse_der is not used because it accepts
 * out-of-range numbers (its documentation says so), while the compact parser
 * rejects r or s >= n. Zero r or s and high s are refused before verifying;
 * a high-S signature is never normalised. Schnorr is BIP-340 over the
 * message as given.
 */
#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <sodium.h>

#include "treasury/crypto_init.h"
#include "treasury/hex.h"
#include "treasury/sig.h"

enum {
	SCALAR_BYTES = 32,
	SEED_BYTES = 32,
	SEC1_UNCOMPRESSED_BYTES = 65,	/* largest key text we decode */
	DER_SEQUENCE = 0x30,
	DER_INTEGER = 0x02,
	SEC1_EVEN = 0x02,
	SEC1_ODD = 0x03,
};

struct treasury_verifier {
	secp256k1_context *ctx;
};

treasury_verifier *
treasury_verifier_create(void)
{
	treasury_verifier *v;
	uint8_t seed[SEED_BYTES];

	if (treasury_crypto_init() != TREASURY_OK)
		return NULL;
	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return NULL;
	v->ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
	if (v->ctx == NULL)
		goto fail;
	randombytes_buf(seed, sizeof(seed));
	if (!secp256k1_context_randomize(v->ctx, seed))
		goto fail;
	sodium_memzero(seed, sizeof(seed));
	return v;
fail:
	sodium_memzero(seed, sizeof(seed));
	treasury_verifier_destroy(v);
	return NULL;
}

void
treasury_verifier_destroy(treasury_verifier *v)
{
	if (v == NULL)
		return;
	if (v->ctx != NULL)
		secp256k1_context_destroy(v->ctx);
	free(v);
}

treasury_err
key_type_parse(const char *s, size_t len, enum key_type *out)
{
	if (len == 5 && memcmp(s, "ecdsa", 5) == 0) {
		*out = KEY_ECDSA;
		return TREASURY_OK;
	}
	if (len == 7 && memcmp(s, "schnorr", 7) == 0) {
		*out = KEY_SCHNORR;
		return TREASURY_OK;
	}
	return TREASURY_ERR_KEY_TYPE;
}

const char *
key_type_name(enum key_type type)
{
	switch (type) {
	case KEY_ECDSA:
		return "ecdsa";
	case KEY_SCHNORR:
		return "schnorr";
	}
	return "unknown";
}

/* 33-byte compressed SEC1 only: 02||X or 03||X with X on the curve. */
static treasury_err
ecdsa_key_parse(const secp256k1_context *ctx, const uint8_t *bytes,
    size_t len, struct signer_key *key)
{
	secp256k1_pubkey pk;

	if (len != ECDSA_PUBKEY_BYTES)
		return TREASURY_ERR_PUBKEY;	/* uncompressed, hybrid, ... */
	if (bytes[0] != SEC1_EVEN && bytes[0] != SEC1_ODD)
		return TREASURY_ERR_PUBKEY;
	if (!secp256k1_ec_pubkey_parse(ctx, &pk, bytes, len))
		return TREASURY_ERR_PUBKEY;
	key->type = KEY_ECDSA;
	memcpy(key->bytes, bytes, len);
	key->len = len;
	memcpy(key->x, bytes + 1, sizeof(key->x));
	return TREASURY_OK;
}

/* 32-byte BIP-340 x-only key: X must be the x of a curve point. */
static treasury_err
schnorr_key_parse(const secp256k1_context *ctx, const uint8_t *bytes,
    size_t len, struct signer_key *key)
{
	secp256k1_xonly_pubkey pk;

	if (len != SCHNORR_PUBKEY_BYTES)
		return TREASURY_ERR_PUBKEY;
	if (!secp256k1_xonly_pubkey_parse(ctx, &pk, bytes))
		return TREASURY_ERR_PUBKEY;
	key->type = KEY_SCHNORR;
	memcpy(key->bytes, bytes, len);
	key->len = len;
	memcpy(key->x, bytes, sizeof(key->x));
	return TREASURY_OK;
}

treasury_err
signer_key_parse(const treasury_verifier *v, enum key_type type,
    const uint8_t *bytes, size_t len, struct signer_key *key)
{
	struct signer_key parsed;
	treasury_err err;

	assert(v != NULL);
	memset(&parsed, 0, sizeof(parsed));
	switch (type) {
	case KEY_ECDSA:
		err = ecdsa_key_parse(v->ctx, bytes, len, &parsed);
		break;
	case KEY_SCHNORR:
		err = schnorr_key_parse(v->ctx, bytes, len, &parsed);
		break;
	default:
		err = TREASURY_ERR_KEY_TYPE;
		break;
	}
	if (err == TREASURY_OK)
		*key = parsed;
	return err;
}

treasury_err
signer_key_parse_hex(const treasury_verifier *v, enum key_type type,
    const char *hex, size_t hex_len, struct signer_key *key)
{
	uint8_t bytes[SEC1_UNCOMPRESSED_BYTES];
	size_t len;
	treasury_err err;

	/* Decode up to an uncompressed key's size so that one is reported as
	 * TREASURY_ERR_PUBKEY (a key we refuse), not as a hex error. */
	err = hex_decode_var(bytes, sizeof(bytes), &len, hex, hex_len);
	if (err != TREASURY_OK)
		return err;
	return signer_key_parse(v, type, bytes, len, key);
}

/* Bitcoin Core's IsValidSignatureEncoding (BIP-66) without the sighash
 * byte: 0x30 len 0x02 lenR R 0x02 lenS S, minimal positive integers. */
static treasury_err
der_check_strict(const uint8_t *sig, size_t len)
{
	size_t len_r, len_s;

	if (len < SIG_DER_MIN_BYTES || len > SIG_DER_MAX_BYTES)
		return TREASURY_ERR_SIG_ENCODING;
	if (sig[0] != DER_SEQUENCE || sig[1] != len - 2)
		return TREASURY_ERR_SIG_ENCODING;
	len_r = sig[3];
	if (5 + len_r >= len)
		return TREASURY_ERR_SIG_ENCODING;
	len_s = sig[5 + len_r];
	if (len_r + len_s + 6 != len)
		return TREASURY_ERR_SIG_ENCODING;
	if (sig[2] != DER_INTEGER || len_r == 0 || (sig[4] & 0x80) != 0)
		return TREASURY_ERR_SIG_ENCODING;
	if (len_r > 1 && sig[4] == 0x00 && (sig[5] & 0x80) == 0)
		return TREASURY_ERR_SIG_ENCODING;
	if (sig[len_r + 4] != DER_INTEGER || len_s == 0 ||
	    (sig[len_r + 6] & 0x80) != 0)
		return TREASURY_ERR_SIG_ENCODING;
	if (len_s > 1 && sig[len_r + 6] == 0x00 && (sig[len_r + 7] & 0x80) == 0)
		return TREASURY_ERR_SIG_ENCODING;
	return TREASURY_OK;
}

/* Copy a minimal DER INTEGER (checked by der_check_strict) as a 32-byte
 * big-endian number. One that does not fit is >= 2^256 > n. */
static treasury_err
der_integer_to_scalar(const uint8_t *p, size_t len, uint8_t out[SCALAR_BYTES])
{
	if (len > 1 && p[0] == 0x00) {
		p++;
		len--;
	}
	if (len > SCALAR_BYTES)
		return TREASURY_ERR_SIG_ENCODING;
	memset(out, 0, SCALAR_BYTES);
	memcpy(out + SCALAR_BYTES - len, p, len);
	return TREASURY_OK;
}

static treasury_err
der_to_compact(const uint8_t *sig, size_t len, uint8_t out[SIG_COMPACT_BYTES])
{
	size_t len_r, len_s;
	treasury_err err;

	err = der_check_strict(sig, len);
	if (err != TREASURY_OK)
		return err;
	len_r = sig[3];
	len_s = sig[5 + len_r];
	err = der_integer_to_scalar(sig + 4, len_r, out);
	if (err != TREASURY_OK)
		return err;
	return der_integer_to_scalar(sig + 6 + len_r, len_s, out + SCALAR_BYTES);
}

static int
scalar_is_zero(const uint8_t s[SCALAR_BYTES])
{
	uint8_t acc = 0;
	size_t i;

	for (i = 0; i < SCALAR_BYTES; i++)
		acc |= s[i];
	return acc == 0;
}

/* Parse compact (64 bytes) or strict DER into *out, with 1 <= r, s < n.
 * Does not look at the size of s. */
static treasury_err
ecdsa_sig_parse(const secp256k1_context *ctx, const uint8_t *sig,
    size_t sig_len, secp256k1_ecdsa_signature *out)
{
	uint8_t compact[SIG_COMPACT_BYTES];
	treasury_err err;

	if (sig_len == SIG_COMPACT_BYTES) {
		memcpy(compact, sig, sizeof(compact));	/* 64 is always compact */
	} else {
		err = der_to_compact(sig, sig_len, compact);
		if (err != TREASURY_OK)
			return err;
	}
	if (!secp256k1_ecdsa_signature_parse_compact(ctx, out, compact))
		return TREASURY_ERR_SIG_ENCODING;	/* r or s >= n */
	if (scalar_is_zero(compact) || scalar_is_zero(compact + SCALAR_BYTES))
		return TREASURY_ERR_SIG_ENCODING;
	return TREASURY_OK;
}

_Static_assert(sizeof(secp256k1_pubkey) == SIGNER_POINT_BYTES &&
    sizeof(secp256k1_xonly_pubkey) == SIGNER_POINT_BYTES,
    "libsecp256k1 keeps a parsed key in 64 bytes");

treasury_err
signer_point_make(const treasury_verifier *v, const struct signer_key *key,
    struct signer_point *out)
{
	secp256k1_pubkey pk;
	secp256k1_xonly_pubkey xonly;

	assert(v != NULL && key != NULL && out != NULL);
	memset(out, 0, sizeof(*out));
	switch (key->type) {
	case KEY_ECDSA:
		if (key->len != ECDSA_PUBKEY_BYTES ||
		    !secp256k1_ec_pubkey_parse(v->ctx, &pk, key->bytes, key->len))
			return TREASURY_ERR_PUBKEY;
		memcpy(out->opaque, &pk, sizeof(pk));
		break;
	case KEY_SCHNORR:
		if (key->len != SCHNORR_PUBKEY_BYTES ||
		    !secp256k1_xonly_pubkey_parse(v->ctx, &xonly, key->bytes))
			return TREASURY_ERR_PUBKEY;
		memcpy(out->opaque, &xonly, sizeof(xonly));
		break;
	default:
		return TREASURY_ERR_KEY_TYPE;
	}
	out->type = key->type;
	return TREASURY_OK;
}

/* The key's libsecp256k1 form: point's when given (made from key), else
 * parsed now. */
static bool
ecdsa_point(const secp256k1_context *ctx, const struct signer_key *key,
    const struct signer_point *point, secp256k1_pubkey *pk)
{
	if (point != NULL) {
		memcpy(pk, point->opaque, sizeof(*pk));
		return true;
	}
	return key->len == ECDSA_PUBKEY_BYTES &&
	    secp256k1_ec_pubkey_parse(ctx, pk, key->bytes, key->len);
}

static bool
schnorr_point(const secp256k1_context *ctx, const struct signer_key *key,
    const struct signer_point *point, secp256k1_xonly_pubkey *pk)
{
	if (point != NULL) {
		memcpy(pk, point->opaque, sizeof(*pk));
		return true;
	}
	return key->len == SCHNORR_PUBKEY_BYTES &&
	    secp256k1_xonly_pubkey_parse(ctx, pk, key->bytes);
}

static treasury_err
ecdsa_verify(const secp256k1_context *ctx, const struct signer_key *key,
    const struct signer_point *point, const uint8_t digest[DIGEST_BYTES],
    const uint8_t *sig, size_t sig_len)
{
	secp256k1_ecdsa_signature s;
	secp256k1_pubkey pk;
	treasury_err err;

	err = ecdsa_sig_parse(ctx, sig, sig_len, &s);
	if (err != TREASURY_OK)
		return err;
	/* Returns 1 when s was high; we only ask, never use the result. */
	if (secp256k1_ecdsa_signature_normalize(ctx, NULL, &s))
		return TREASURY_ERR_SIG_HIGH_S;
	if (!ecdsa_point(ctx, key, point, &pk))
		return TREASURY_ERR_PUBKEY;
	if (!secp256k1_ecdsa_verify(ctx, &s, digest, &pk))
		return TREASURY_ERR_SIG_INVALID;
	return TREASURY_OK;
}

static treasury_err
schnorr_verify(const secp256k1_context *ctx, const struct signer_key *key,
    const struct signer_point *point, const uint8_t *msg, size_t msg_len,
    const uint8_t *sig, size_t sig_len)
{
	secp256k1_xonly_pubkey pk;

	if (sig_len != SIG_COMPACT_BYTES)
		return TREASURY_ERR_SIG_ENCODING;
	if (!schnorr_point(ctx, key, point, &pk))
		return TREASURY_ERR_PUBKEY;
	if (!secp256k1_schnorrsig_verify(ctx, sig, msg, msg_len, &pk))
		return TREASURY_ERR_SIG_INVALID;
	return TREASURY_OK;
}

/* signature_verify_msg; with point (made from key) when not NULL. */
static treasury_err
verify_msg(const treasury_verifier *v, const struct signer_key *key,
    const struct signer_point *point, const uint8_t *msg, size_t msg_len,
    const uint8_t *sig, size_t sig_len)
{
	enum key_type type = point != NULL ? point->type : key->type;

	assert(v != NULL);
	assert(msg != NULL || msg_len == 0);
	if (sig == NULL || sig_len == 0)
		return TREASURY_ERR_SIG_ENCODING;
	switch (type) {
	case KEY_ECDSA:
		if (msg_len != DIGEST_BYTES)
			return TREASURY_ERR_SIG_INVALID;
		return ecdsa_verify(v->ctx, key, point, msg, sig, sig_len);
	case KEY_SCHNORR:
		return schnorr_verify(v->ctx, key, point, msg, msg_len, sig,
		    sig_len);
	}
	return TREASURY_ERR_KEY_TYPE;
}

treasury_err
signature_verify_msg(const treasury_verifier *v, const struct signer_key *key,
    const uint8_t *msg, size_t msg_len, const uint8_t *sig, size_t sig_len)
{
	assert(key != NULL);
	return verify_msg(v, key, NULL, msg, msg_len, sig, sig_len);
}

treasury_err
vote_signature_verify(const treasury_verifier *v, const struct signer_key *key,
    const uint8_t digest[DIGEST_BYTES], const uint8_t *sig, size_t sig_len)
{
	return signature_verify_msg(v, key, digest, DIGEST_BYTES, sig, sig_len);
}

treasury_err
vote_signature_verify_point(const treasury_verifier *v,
    const struct signer_point *point, const uint8_t digest[DIGEST_BYTES],
    const uint8_t *sig, size_t sig_len)
{
	assert(point != NULL && digest != NULL);
	return verify_msg(v, NULL, point, digest, DIGEST_BYTES, sig, sig_len);
}
