/*
 * test_sig.c: unit tests of sig.c (include/treasury/sig.h): key types, key
 * parsing and its error paths, the same x behind 02||X, 03||X and X, and
 * ECDSA (compact, strict DER, low-S, range) and Schnorr verification.
 * Signatures are made here with libsecp256k1 from fixed secret keys.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>

#include "treasury/crypto_init.h"
#include "treasury/hex.h"
#include "treasury/sig.h"

enum { DER_BUF_BYTES = 80 };

/* The group order n. */
static const uint8_t order[32] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
	0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b,
	0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
};

/* The generator's x: a valid key for both types. */
static const char gx_hex[] =
    "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";
static const char gy_hex[] =
    "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8";
/* Not the x of any curve point (BIP-340 vector 5). */
static const char not_on_curve_hex[] =
    "eefdea4cdb677750a420fee807eacf21eb9898ae79b9768766e4faa04a2d4a34";
/* Field size p: not a valid x. */
static const char field_size_hex[] =
    "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f";

struct fixture {
	treasury_verifier *v;
	secp256k1_context *ctx;	/* for signing in tests */
	uint8_t sk[32];
	uint8_t digest[32];
	uint8_t other_digest[32];
	struct signer_key ecdsa;	/* sk's compressed key */
	struct signer_key schnorr;	/* sk's x-only key */
};

/* ---- helpers ---------------------------------------------------------- */

static treasury_err
parse_hex(const struct fixture *f, enum key_type type, const char *hex,
    struct signer_key *key)
{
	return signer_key_parse_hex(f->v, type, hex, strlen(hex), key);
}

/* hex of prefix byte p followed by x_hex (and y_hex when given). */
static void
key_text(char *out, size_t out_len, const char *prefix, const char *x_hex,
    const char *y_hex)
{
	size_t n;

	n = strlen(prefix) + strlen(x_hex) + (y_hex ? strlen(y_hex) : 0);
	assert_true(n < out_len);
	memcpy(out, prefix, strlen(prefix));
	memcpy(out + strlen(prefix), x_hex, strlen(x_hex));
	if (y_hex != NULL)
		memcpy(out + strlen(prefix) + strlen(x_hex), y_hex,
		    strlen(y_hex));
	out[n] = '\0';
}

static void
ecdsa_sign_compact(const struct fixture *f, const uint8_t digest[32],
    uint8_t out[64])
{
	secp256k1_ecdsa_signature s;

	assert_true(secp256k1_ecdsa_sign(f->ctx, &s, digest, f->sk, NULL,
	    NULL));
	assert_true(secp256k1_ecdsa_signature_serialize_compact(f->ctx, out,
	    &s));
}

/* DER of the compact r||s, as libsecp256k1 writes it (minimal). */
static size_t
compact_to_der(const struct fixture *f, const uint8_t compact[64],
    uint8_t out[DER_BUF_BYTES])
{
	secp256k1_ecdsa_signature s;
	size_t len = DER_BUF_BYTES;

	assert_true(secp256k1_ecdsa_signature_parse_compact(f->ctx, &s,
	    compact));
	assert_true(secp256k1_ecdsa_signature_serialize_der(f->ctx, out, &len,
	    &s));
	return len;
}

/* DER built by hand from integer contents taken exactly as given, so that
 * tests can make non-minimal or negative integers. */
static size_t
der_make(uint8_t out[DER_BUF_BYTES], const uint8_t *r, size_t r_len,
    const uint8_t *s, size_t s_len)
{
	size_t n = 0;

	assert_true(6 + r_len + s_len <= DER_BUF_BYTES);
	out[n++] = 0x30;
	out[n++] = (uint8_t)(4 + r_len + s_len);
	out[n++] = 0x02;
	out[n++] = (uint8_t)r_len;
	memcpy(out + n, r, r_len);
	n += r_len;
	out[n++] = 0x02;
	out[n++] = (uint8_t)s_len;
	memcpy(out + n, s, s_len);
	n += s_len;
	return n;
}

/* Minimal DER integer contents of a 32-byte big-endian value. */
static size_t
der_int(uint8_t out[33], const uint8_t v[32])
{
	size_t i = 0;

	while (i < 31 && v[i] == 0 && (v[i + 1] & 0x80) == 0)
		i++;
	if (i == 0 && (v[0] & 0x80) != 0) {
		out[0] = 0x00;
		memcpy(out + 1, v, 32);
		return 33;
	}
	memcpy(out, v + i, 32 - i);
	return 32 - i;
}

/* vote_signature_verify over f->digest; the same answer must come with
 * the key's point made once (what api/cache.c keeps). */
static treasury_err
verify(const struct fixture *f, const struct signer_key *key,
    const uint8_t *sig, size_t len)
{
	struct signer_point point;
	treasury_err err;

	err = vote_signature_verify(f->v, key, f->digest, sig, len);
	assert_int_equal(signer_point_make(f->v, key, &point), TREASURY_OK);
	assert_int_equal(vote_signature_verify_point(f->v, &point, f->digest,
	    sig, len), err);
	return err;
}

/* A valid low-S compact signature by sk over f->digest. */
static void
good_compact(const struct fixture *f, uint8_t sig[64])
{
	ecdsa_sign_compact(f, f->digest, sig);
	assert_int_equal(verify(f, &f->ecdsa, sig, 64), TREASURY_OK);
}

/* ---- key types -------------------------------------------------------- */

static void
test_key_type(void **state)
{
	enum key_type t = KEY_SCHNORR;

	(void)state;
	assert_int_equal(key_type_parse("ecdsa", 5, &t), TREASURY_OK);
	assert_int_equal(t, KEY_ECDSA);
	assert_int_equal(key_type_parse("schnorr", 7, &t), TREASURY_OK);
	assert_int_equal(t, KEY_SCHNORR);
	assert_int_equal(key_type_parse("ecdsa2", 5, &t), TREASURY_OK);
	assert_int_equal(t, KEY_ECDSA);
	assert_int_equal(key_type_parse("ECDSA", 5, &t), TREASURY_ERR_KEY_TYPE);
	assert_int_equal(key_type_parse("Schnorr", 7, &t),
	    TREASURY_ERR_KEY_TYPE);
	assert_int_equal(key_type_parse("ecdsa ", 6, &t), TREASURY_ERR_KEY_TYPE);
	assert_int_equal(key_type_parse("schnor", 6, &t), TREASURY_ERR_KEY_TYPE);
	assert_int_equal(key_type_parse("", 0, &t), TREASURY_ERR_KEY_TYPE);
	assert_int_equal(key_type_parse("bip340", 6, &t),
	    TREASURY_ERR_KEY_TYPE);
	assert_int_equal(t, KEY_ECDSA);	/* untouched on error */
	assert_string_equal(key_type_name(KEY_ECDSA), "ecdsa");
	assert_string_equal(key_type_name(KEY_SCHNORR), "schnorr");
}

/* ---- key parsing ------------------------------------------------------ */

static void
test_key_parse_ok(void **state)
{
	const struct fixture *f = *state;
	struct signer_key k;
	char text[140];
	uint8_t x[32];

	assert_int_equal(hex_decode(x, 32, gx_hex, 64), TREASURY_OK);
	key_text(text, sizeof(text), "02", gx_hex, NULL);
	assert_int_equal(parse_hex(f, KEY_ECDSA, text, &k), TREASURY_OK);
	assert_int_equal(k.type, KEY_ECDSA);
	assert_int_equal(k.len, 33);
	assert_int_equal(k.bytes[0], 0x02);
	assert_memory_equal(k.bytes + 1, x, 32);
	assert_memory_equal(k.x, x, 32);
	assert_int_equal(parse_hex(f, KEY_SCHNORR, gx_hex, &k), TREASURY_OK);
	assert_int_equal(k.type, KEY_SCHNORR);
	assert_int_equal(k.len, 32);
	assert_memory_equal(k.bytes, x, 32);
	assert_memory_equal(k.x, x, 32);
}

static void
test_key_parse_upper_case(void **state)
{
	const struct fixture *f = *state;
	struct signer_key lower, upper;
	char text[70];
	size_t i;

	key_text(text, sizeof(text), "02", gx_hex, NULL);
	assert_int_equal(parse_hex(f, KEY_ECDSA, text, &lower), TREASURY_OK);
	for (i = 0; text[i] != '\0'; i++) {
		if (text[i] >= 'a' && text[i] <= 'f')
			text[i] = (char)(text[i] - 'a' + 'A');
	}
	assert_int_equal(parse_hex(f, KEY_ECDSA, text, &upper), TREASURY_OK);
	assert_memory_equal(&lower, &upper, sizeof(lower));
}

static void
test_key_parse_ecdsa_errors(void **state)
{
	const struct fixture *f = *state;
	struct signer_key k;
	char text[140];

	memset(&k, 0x5a, sizeof(k));
	/* Uncompressed and hybrid SEC1 forms of a valid point. */
	key_text(text, sizeof(text), "04", gx_hex, gy_hex);
	assert_int_equal(parse_hex(f, KEY_ECDSA, text, &k), TREASURY_ERR_PUBKEY);
	key_text(text, sizeof(text), "06", gx_hex, gy_hex);
	assert_int_equal(parse_hex(f, KEY_ECDSA, text, &k), TREASURY_ERR_PUBKEY);
	key_text(text, sizeof(text), "07", gx_hex, gy_hex);
	assert_int_equal(parse_hex(f, KEY_ECDSA, text, &k), TREASURY_ERR_PUBKEY);
	/* Bad prefixes with 33 bytes. */
	key_text(text, sizeof(text), "04", gx_hex, NULL);
	assert_int_equal(parse_hex(f, KEY_ECDSA, text, &k), TREASURY_ERR_PUBKEY);
	key_text(text, sizeof(text), "00", gx_hex, NULL);
	assert_int_equal(parse_hex(f, KEY_ECDSA, text, &k), TREASURY_ERR_PUBKEY);
	key_text(text, sizeof(text), "05", gx_hex, NULL);
	assert_int_equal(parse_hex(f, KEY_ECDSA, text, &k), TREASURY_ERR_PUBKEY);
	/* Not on the curve; x not below p. */
	key_text(text, sizeof(text), "02", not_on_curve_hex, NULL);
	assert_int_equal(parse_hex(f, KEY_ECDSA, text, &k), TREASURY_ERR_PUBKEY);
	key_text(text, sizeof(text), "03", field_size_hex, NULL);
	assert_int_equal(parse_hex(f, KEY_ECDSA, text, &k), TREASURY_ERR_PUBKEY);
	/* Wrong lengths: x-only, one byte short, one byte long. */
	assert_int_equal(parse_hex(f, KEY_ECDSA, gx_hex, &k),
	    TREASURY_ERR_PUBKEY);
	key_text(text, sizeof(text), "02", gx_hex, NULL);
	text[64] = '\0';
	assert_int_equal(parse_hex(f, KEY_ECDSA, text, &k), TREASURY_ERR_PUBKEY);
	key_text(text, sizeof(text), "02", gx_hex, "00");
	assert_int_equal(parse_hex(f, KEY_ECDSA, text, &k), TREASURY_ERR_PUBKEY);
	/* Hex errors. */
	key_text(text, sizeof(text), "02", gx_hex, NULL);
	text[65] = '\0';
	assert_int_equal(parse_hex(f, KEY_ECDSA, text, &k),
	    TREASURY_ERR_HEX_LENGTH);
	assert_int_equal(parse_hex(f, KEY_ECDSA, "", &k),
	    TREASURY_ERR_HEX_LENGTH);
	key_text(text, sizeof(text), "0400", gx_hex, gy_hex);
	assert_int_equal(parse_hex(f, KEY_ECDSA, text, &k),
	    TREASURY_ERR_HEX_LENGTH);	/* 66 bytes: longer than any SEC1 */
	key_text(text, sizeof(text), "0g", gx_hex, NULL);
	assert_int_equal(parse_hex(f, KEY_ECDSA, text, &k),
	    TREASURY_ERR_HEX_CHAR);
	key_text(text, sizeof(text), "0x", gx_hex, NULL);
	text[60] = ' ';
	assert_int_equal(parse_hex(f, KEY_ECDSA, text, &k),
	    TREASURY_ERR_HEX_CHAR);
	/* *key is written only on success. */
	{
		struct signer_key untouched;

		memset(&untouched, 0x5a, sizeof(untouched));
		assert_memory_equal(&k, &untouched, sizeof(k));
	}
}

static void
test_key_parse_schnorr_errors(void **state)
{
	const struct fixture *f = *state;
	struct signer_key k;
	char text[140];
	uint8_t x[33];

	assert_int_equal(parse_hex(f, KEY_SCHNORR, not_on_curve_hex, &k),
	    TREASURY_ERR_PUBKEY);
	assert_int_equal(parse_hex(f, KEY_SCHNORR, field_size_hex, &k),
	    TREASURY_ERR_PUBKEY);
	key_text(text, sizeof(text), "02", gx_hex, NULL);
	assert_int_equal(parse_hex(f, KEY_SCHNORR, text, &k),
	    TREASURY_ERR_PUBKEY);	/* compressed SEC1 is not x-only */
	key_text(text, sizeof(text), "", gx_hex, NULL);
	text[62] = '\0';
	assert_int_equal(parse_hex(f, KEY_SCHNORR, text, &k),
	    TREASURY_ERR_PUBKEY);
	text[61] = '\0';
	assert_int_equal(parse_hex(f, KEY_SCHNORR, text, &k),
	    TREASURY_ERR_HEX_LENGTH);
	key_text(text, sizeof(text), "", gx_hex, NULL);
	text[10] = 'z';
	assert_int_equal(parse_hex(f, KEY_SCHNORR, text, &k),
	    TREASURY_ERR_HEX_CHAR);
	/* Raw bytes: empty, and an unknown key type. */
	assert_int_equal(signer_key_parse(f->v, KEY_SCHNORR, x, 0, &k),
	    TREASURY_ERR_PUBKEY);
	assert_int_equal(hex_decode(x, 32, gx_hex, 64), TREASURY_OK);
	assert_int_equal(signer_key_parse(f->v, (enum key_type)0, x, 32, &k),
	    TREASURY_ERR_KEY_TYPE);
	assert_int_equal(signer_key_parse(f->v, (enum key_type)3, x, 32, &k),
	    TREASURY_ERR_KEY_TYPE);
}

/* 02||X, 03||X (the negated point) and X share x; the bytes differ. */
static void
test_key_same_x(void **state)
{
	const struct fixture *f = *state;
	struct signer_key other, xonly;
	uint8_t flipped[33];

	memcpy(flipped, f->ecdsa.bytes, 33);
	flipped[0] = f->ecdsa.bytes[0] == 0x02 ? 0x03 : 0x02;
	assert_int_equal(signer_key_parse(f->v, KEY_ECDSA, flipped, 33, &other),
	    TREASURY_OK);
	assert_int_equal(signer_key_parse(f->v, KEY_SCHNORR, f->ecdsa.bytes + 1,
	    32, &xonly), TREASURY_OK);
	assert_memory_equal(f->ecdsa.x, other.x, 32);
	assert_memory_equal(f->ecdsa.x, xonly.x, 32);
	assert_memory_equal(f->ecdsa.x, f->schnorr.x, 32);
	assert_memory_not_equal(f->ecdsa.bytes, other.bytes, 33);
}

/* ---- ECDSA ------------------------------------------------------------ */

static void
test_ecdsa_compact_and_der(void **state)
{
	const struct fixture *f = *state;
	uint8_t compact[64], der[DER_BUF_BYTES], r[33], s[33], mine[80];
	size_t der_len, r_len, s_len, mine_len;

	good_compact(f, compact);
	der_len = compact_to_der(f, compact, der);
	assert_true(der_len >= 8 && der_len <= 72 && der_len != 64);
	assert_int_equal(verify(f, &f->ecdsa, der, der_len), TREASURY_OK);
	/* The test's own DER builder agrees with libsecp256k1. */
	r_len = der_int(r, compact);
	s_len = der_int(s, compact + 32);
	mine_len = der_make(mine, r, r_len, s, s_len);
	assert_int_equal(mine_len, der_len);
	assert_memory_equal(mine, der, der_len);
}

static void
test_ecdsa_small_r_s_der(void **state)
{
	const struct fixture *f = *state;
	uint8_t der[DER_BUF_BYTES];
	const uint8_t one = 0x01;
	size_t len;

	/* Shortest well-formed DER (8 bytes), r = s = 1: encoded fine, in
	 * range, low S, just not a signature. */
	len = der_make(der, &one, 1, &one, 1);
	assert_int_equal(len, 8);
	assert_int_equal(verify(f, &f->ecdsa, der, len),
	    TREASURY_ERR_SIG_INVALID);
}

static void
test_ecdsa_wrong_digest_or_key(void **state)
{
	const struct fixture *f = *state;
	uint8_t sig[64], der[DER_BUF_BYTES];
	struct signer_key other;
	size_t der_len;

	good_compact(f, sig);
	der_len = compact_to_der(f, sig, der);
	assert_int_equal(vote_signature_verify(f->v, &f->ecdsa,
	    f->other_digest, sig, 64), TREASURY_ERR_SIG_INVALID);
	assert_int_equal(vote_signature_verify(f->v, &f->ecdsa,
	    f->other_digest, der, der_len), TREASURY_ERR_SIG_INVALID);
	/* 03||X when the key is 02||X (or the reverse) is another key. */
	memcpy(other.bytes, f->ecdsa.bytes, 33);
	other.bytes[0] ^= 0x01;
	assert_int_equal(signer_key_parse(f->v, KEY_ECDSA, other.bytes, 33,
	    &other), TREASURY_OK);
	assert_int_equal(verify(f, &other, sig, 64), TREASURY_ERR_SIG_INVALID);
	/* A flipped bit in r. */
	sig[31] ^= 0x01;
	assert_int_equal(verify(f, &f->ecdsa, sig, 64),
	    TREASURY_ERR_SIG_INVALID);
	sig[31] ^= 0x01;
	/* ECDSA takes a 32-byte message only. */
	assert_int_equal(signature_verify_msg(f->v, &f->ecdsa, f->digest, 31,
	    sig, 64), TREASURY_ERR_SIG_INVALID);
	assert_int_equal(signature_verify_msg(f->v, &f->ecdsa, f->digest, 32,
	    sig, 64), TREASURY_OK);
}

static void
test_ecdsa_high_s(void **state)
{
	const struct fixture *f = *state;
	uint8_t sig[64], der[DER_BUF_BYTES];
	size_t der_len;

	good_compact(f, sig);
	/* s -> n - s: the same signature for plain ECDSA, high here. */
	assert_true(secp256k1_ec_seckey_negate(f->ctx, sig + 32));
	assert_int_equal(verify(f, &f->ecdsa, sig, 64),
	    TREASURY_ERR_SIG_HIGH_S);
	der_len = compact_to_der(f, sig, der);
	assert_int_equal(verify(f, &f->ecdsa, der, der_len),
	    TREASURY_ERR_SIG_HIGH_S);
	/* Also when the digest is wrong: high S is reported first. */
	assert_int_equal(vote_signature_verify(f->v, &f->ecdsa,
	    f->other_digest, sig, 64), TREASURY_ERR_SIG_HIGH_S);
}

static void
test_ecdsa_range_compact(void **state)
{
	const struct fixture *f = *state;
	uint8_t good[64], sig[64];

	good_compact(f, good);
	memcpy(sig, good, 64);
	memset(sig, 0, 32);				/* r = 0 */
	assert_int_equal(verify(f, &f->ecdsa, sig, 64),
	    TREASURY_ERR_SIG_ENCODING);
	memcpy(sig, good, 64);
	memset(sig + 32, 0, 32);			/* s = 0 */
	assert_int_equal(verify(f, &f->ecdsa, sig, 64),
	    TREASURY_ERR_SIG_ENCODING);
	memset(sig, 0, 64);				/* both */
	assert_int_equal(verify(f, &f->ecdsa, sig, 64),
	    TREASURY_ERR_SIG_ENCODING);
	memcpy(sig, good, 64);
	memcpy(sig, order, 32);				/* r = n */
	assert_int_equal(verify(f, &f->ecdsa, sig, 64),
	    TREASURY_ERR_SIG_ENCODING);
	sig[31]++;					/* r = n + 1 */
	assert_int_equal(verify(f, &f->ecdsa, sig, 64),
	    TREASURY_ERR_SIG_ENCODING);
	memset(sig, 0xff, 32);				/* r = 2^256 - 1 */
	assert_int_equal(verify(f, &f->ecdsa, sig, 64),
	    TREASURY_ERR_SIG_ENCODING);
	memcpy(sig, good, 64);
	memcpy(sig + 32, order, 32);			/* s = n */
	assert_int_equal(verify(f, &f->ecdsa, sig, 64),
	    TREASURY_ERR_SIG_ENCODING);
}

static void
test_ecdsa_range_der(void **state)
{
	const struct fixture *f = *state;
	uint8_t good[64], der[DER_BUF_BYTES], r[33], s[33], n_int[33];
	uint8_t big[33];
	const uint8_t zero = 0x00;
	size_t r_len, s_len, n_len, len;

	good_compact(f, good);
	r_len = der_int(r, good);
	s_len = der_int(s, good + 32);
	n_len = der_int(n_int, order);
	assert_int_equal(n_len, 33);

	len = der_make(der, &zero, 1, s, s_len);	/* r = 0 */
	assert_int_equal(verify(f, &f->ecdsa, der, len),
	    TREASURY_ERR_SIG_ENCODING);
	len = der_make(der, r, r_len, &zero, 1);	/* s = 0 */
	assert_int_equal(verify(f, &f->ecdsa, der, len),
	    TREASURY_ERR_SIG_ENCODING);
	len = der_make(der, n_int, n_len, s, s_len);	/* r = n */
	assert_int_equal(verify(f, &f->ecdsa, der, len),
	    TREASURY_ERR_SIG_ENCODING);
	len = der_make(der, r, r_len, n_int, n_len);	/* s = n */
	assert_int_equal(verify(f, &f->ecdsa, der, len),
	    TREASURY_ERR_SIG_ENCODING);
	/* r = 2^256 + small: a minimal 33-byte integer that is not 00||... */
	memset(big, 0, sizeof(big));
	big[0] = 0x01;
	big[32] = 0x05;
	len = der_make(der, big, 33, s, s_len);
	assert_int_equal(verify(f, &f->ecdsa, der, len),
	    TREASURY_ERR_SIG_ENCODING);
}

/* Variants of a valid DER signature that break one BIP-66 rule each. */
static void
test_ecdsa_der_not_strict(void **state)
{
	const struct fixture *f = *state;
	uint8_t good[64], der[DER_BUF_BYTES], bad[DER_BUF_BYTES];
	uint8_t r[34], s[34], neg[32];
	size_t der_len, r_len, s_len, len;

	good_compact(f, good);
	der_len = compact_to_der(f, good, der);
	r_len = der_int(r, good);
	s_len = der_int(s, good + 32);
	assert_int_equal(verify(f, &f->ecdsa, der, der_len), TREASURY_OK);

	/* Extra 00 padding before r, then before s. */
	memmove(r + 1, r, r_len);
	r[0] = 0x00;
	len = der_make(bad, r, r_len + 1, s, s_len);
	assert_int_equal(verify(f, &f->ecdsa, bad, len),
	    TREASURY_ERR_SIG_ENCODING);
	memmove(r, r + 1, r_len);
	memmove(s + 1, s, s_len);
	s[0] = 0x00;
	len = der_make(bad, r, r_len, s, s_len + 1);
	assert_int_equal(verify(f, &f->ecdsa, bad, len),
	    TREASURY_ERR_SIG_ENCODING);
	memmove(s, s + 1, s_len);

	/* Negative integers (high bit set, no 00 before it). */
	memset(neg, 0x11, sizeof(neg));
	neg[0] = 0x81;
	len = der_make(bad, neg, 32, s, s_len);
	assert_int_equal(verify(f, &f->ecdsa, bad, len),
	    TREASURY_ERR_SIG_ENCODING);
	len = der_make(bad, r, r_len, neg, 32);
	assert_int_equal(verify(f, &f->ecdsa, bad, len),
	    TREASURY_ERR_SIG_ENCODING);

	/* Wrong total length byte, both ways. */
	memcpy(bad, der, der_len);
	bad[1]++;
	assert_int_equal(verify(f, &f->ecdsa, bad, der_len),
	    TREASURY_ERR_SIG_ENCODING);
	bad[1] -= 2;
	assert_int_equal(verify(f, &f->ecdsa, bad, der_len),
	    TREASURY_ERR_SIG_ENCODING);

	/* Wrong r length byte, both ways. */
	memcpy(bad, der, der_len);
	bad[3]++;
	assert_int_equal(verify(f, &f->ecdsa, bad, der_len),
	    TREASURY_ERR_SIG_ENCODING);
	bad[3] -= 2;
	assert_int_equal(verify(f, &f->ecdsa, bad, der_len),
	    TREASURY_ERR_SIG_ENCODING);

	/* Wrong s length byte. */
	memcpy(bad, der, der_len);
	bad[5 + bad[3]]--;
	assert_int_equal(verify(f, &f->ecdsa, bad, der_len),
	    TREASURY_ERR_SIG_ENCODING);

	/* Wrong tags. */
	memcpy(bad, der, der_len);
	bad[0] = 0x31;
	assert_int_equal(verify(f, &f->ecdsa, bad, der_len),
	    TREASURY_ERR_SIG_ENCODING);
	memcpy(bad, der, der_len);
	bad[2] = 0x03;
	assert_int_equal(verify(f, &f->ecdsa, bad, der_len),
	    TREASURY_ERR_SIG_ENCODING);
	memcpy(bad, der, der_len);
	bad[4 + bad[3]] = 0x03;
	assert_int_equal(verify(f, &f->ecdsa, bad, der_len),
	    TREASURY_ERR_SIG_ENCODING);

	/* A trailing byte (total length unchanged, then fixed). */
	memcpy(bad, der, der_len);
	bad[der_len] = 0x00;
	assert_int_equal(verify(f, &f->ecdsa, bad, der_len + 1),
	    TREASURY_ERR_SIG_ENCODING);
	bad[1]++;
	assert_int_equal(verify(f, &f->ecdsa, bad, der_len + 1),
	    TREASURY_ERR_SIG_ENCODING);

	/* Long-form length (BER): 30 81 len ... */
	bad[0] = 0x30;
	bad[1] = 0x81;
	bad[2] = der[1];
	memcpy(bad + 3, der + 2, der_len - 2);
	assert_int_equal(verify(f, &f->ecdsa, bad, der_len + 1),
	    TREASURY_ERR_SIG_ENCODING);

	/* Empty integers. */
	len = der_make(bad, r, 0, s, s_len);
	assert_int_equal(verify(f, &f->ecdsa, bad, len),
	    TREASURY_ERR_SIG_ENCODING);
	len = der_make(bad, r, r_len, s, 0);
	assert_int_equal(verify(f, &f->ecdsa, bad, len),
	    TREASURY_ERR_SIG_ENCODING);

	/* Truncated. */
	assert_int_equal(verify(f, &f->ecdsa, der, der_len - 1),
	    TREASURY_ERR_SIG_ENCODING);
}

static void
test_ecdsa_lengths(void **state)
{
	const struct fixture *f = *state;
	uint8_t buf[128];

	memset(buf, 0x30, sizeof(buf));
	assert_int_equal(verify(f, &f->ecdsa, buf, 0),
	    TREASURY_ERR_SIG_ENCODING);
	assert_int_equal(verify(f, &f->ecdsa, buf, 7),
	    TREASURY_ERR_SIG_ENCODING);
	assert_int_equal(verify(f, &f->ecdsa, buf, 63),
	    TREASURY_ERR_SIG_ENCODING);
	assert_int_equal(verify(f, &f->ecdsa, buf, 65),
	    TREASURY_ERR_SIG_ENCODING);
	assert_int_equal(verify(f, &f->ecdsa, buf, 73),
	    TREASURY_ERR_SIG_ENCODING);
	assert_int_equal(verify(f, &f->ecdsa, buf, sizeof(buf)),
	    TREASURY_ERR_SIG_ENCODING);
}

/* ---- Schnorr ---------------------------------------------------------- */

static void
schnorr_sign(const struct fixture *f, const uint8_t digest[32],
    uint8_t sig[64])
{
	secp256k1_keypair kp;
	uint8_t aux[32];

	memset(aux, 0x42, sizeof(aux));
	assert_true(secp256k1_keypair_create(f->ctx, &kp, f->sk));
	assert_true(secp256k1_schnorrsig_sign32(f->ctx, sig, digest, &kp, aux));
}

static void
test_schnorr(void **state)
{
	const struct fixture *f = *state;
	uint8_t sig[64], ecdsa_sig[65];

	schnorr_sign(f, f->digest, sig);
	assert_int_equal(verify(f, &f->schnorr, sig, 64), TREASURY_OK);
	assert_int_equal(signature_verify_msg(f->v, &f->schnorr, f->digest,
	    32, sig, 64), TREASURY_OK);
	assert_int_equal(vote_signature_verify(f->v, &f->schnorr,
	    f->other_digest, sig, 64), TREASURY_ERR_SIG_INVALID);
	assert_int_equal(signature_verify_msg(f->v, &f->schnorr, f->digest,
	    31, sig, 64), TREASURY_ERR_SIG_INVALID);
	sig[63] ^= 0x01;
	assert_int_equal(verify(f, &f->schnorr, sig, 64),
	    TREASURY_ERR_SIG_INVALID);
	sig[63] ^= 0x01;
	sig[0] ^= 0x01;
	assert_int_equal(verify(f, &f->schnorr, sig, 64),
	    TREASURY_ERR_SIG_INVALID);
	sig[0] ^= 0x01;
	/* Lengths other than 64 are not Schnorr signatures. */
	assert_int_equal(verify(f, &f->schnorr, sig, 63),
	    TREASURY_ERR_SIG_ENCODING);
	assert_int_equal(verify(f, &f->schnorr, sig, 0),
	    TREASURY_ERR_SIG_ENCODING);
	memcpy(ecdsa_sig, sig, 64);
	ecdsa_sig[64] = 0;
	assert_int_equal(verify(f, &f->schnorr, ecdsa_sig, 65),
	    TREASURY_ERR_SIG_ENCODING);
	/* The key types do not mix: the same x, other algorithm. */
	assert_int_equal(verify(f, &f->ecdsa, sig, 64),
	    TREASURY_ERR_SIG_INVALID);
	ecdsa_sign_compact(f, f->digest, ecdsa_sig);
	assert_int_equal(verify(f, &f->schnorr, ecdsa_sig, 64),
	    TREASURY_ERR_SIG_INVALID);
}

/* A key's point is made only from a key of a known type whose bytes are
 * a point; a point of one key never verifies another's signature. */
static void
test_signer_point(void **state)
{
	const struct fixture *f = *state;
	struct signer_key bad;
	struct signer_point point;
	uint8_t sig[64];

	bad = f->ecdsa;
	assert_int_equal(hex_decode(bad.bytes + 1, 32, field_size_hex, 64),
	    TREASURY_OK);
	assert_int_equal(signer_point_make(f->v, &bad, &point),
	    TREASURY_ERR_PUBKEY);
	assert_int_equal(point.type, 0);
	bad = f->schnorr;
	bad.len = 33;
	assert_int_equal(signer_point_make(f->v, &bad, &point),
	    TREASURY_ERR_PUBKEY);
	bad.type = (enum key_type)7;
	assert_int_equal(signer_point_make(f->v, &bad, &point),
	    TREASURY_ERR_KEY_TYPE);

	assert_int_equal(signer_point_make(f->v, &f->schnorr, &point),
	    TREASURY_OK);
	ecdsa_sign_compact(f, f->digest, sig);
	assert_int_equal(vote_signature_verify_point(f->v, &point, f->digest,
	    sig, 64), TREASURY_ERR_SIG_INVALID);
	assert_int_equal(vote_signature_verify_point(f->v, &point, f->digest,
	    NULL, 0), TREASURY_ERR_SIG_ENCODING);
	assert_int_equal(signer_point_make(f->v, &f->ecdsa, &point),
	    TREASURY_OK);
	assert_int_equal(point.type, KEY_ECDSA);
	assert_int_equal(vote_signature_verify_point(f->v, &point, f->digest,
	    sig, 64), TREASURY_OK);
	assert_int_equal(vote_signature_verify_point(f->v, &point,
	    f->other_digest, sig, 64), TREASURY_ERR_SIG_INVALID);
}

/* ---- fixture ---------------------------------------------------------- */

static int
setup(void **state)
{
	static struct fixture f;
	secp256k1_pubkey pk;
	uint8_t ser[33];
	size_t ser_len = sizeof(ser), i;

	if (treasury_crypto_init() != TREASURY_OK)
		return -1;
	f.v = treasury_verifier_create();
	f.ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
	if (f.v == NULL || f.ctx == NULL)
		return -1;
	for (i = 0; i < 32; i++) {
		f.sk[i] = (uint8_t)(i + 1);
		f.digest[i] = (uint8_t)(0xa0 + i);
		f.other_digest[i] = (uint8_t)(0xa0 + i);
	}
	f.other_digest[31] ^= 0x01;
	if (!secp256k1_ec_pubkey_create(f.ctx, &pk, f.sk) ||
	    !secp256k1_ec_pubkey_serialize(f.ctx, ser, &ser_len, &pk,
	    SECP256K1_EC_COMPRESSED))
		return -1;
	if (signer_key_parse(f.v, KEY_ECDSA, ser, ser_len, &f.ecdsa) !=
	    TREASURY_OK)
		return -1;
	if (signer_key_parse(f.v, KEY_SCHNORR, ser + 1, 32, &f.schnorr) !=
	    TREASURY_OK)
		return -1;
	*state = &f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	treasury_verifier_destroy(f->v);
	secp256k1_context_destroy(f->ctx);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_type),
		cmocka_unit_test(test_key_parse_ok),
		cmocka_unit_test(test_key_parse_upper_case),
		cmocka_unit_test(test_key_parse_ecdsa_errors),
		cmocka_unit_test(test_key_parse_schnorr_errors),
		cmocka_unit_test(test_key_same_x),
		cmocka_unit_test(test_ecdsa_compact_and_der),
		cmocka_unit_test(test_ecdsa_small_r_s_der),
		cmocka_unit_test(test_ecdsa_wrong_digest_or_key),
		cmocka_unit_test(test_ecdsa_high_s),
		cmocka_unit_test(test_ecdsa_range_compact),
		cmocka_unit_test(test_ecdsa_range_der),
		cmocka_unit_test(test_ecdsa_der_not_strict),
		cmocka_unit_test(test_ecdsa_lengths),
		cmocka_unit_test(test_schnorr),
		cmocka_unit_test(test_signer_point),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
