/*
 * fuzz_signature.c: libFuzzer target for hex decoding, signer key parsing
 * and vote signature verification (core/hex.c, core/sig.c).
 *
 * Byte 0 picks what the rest of the input is:
 *   0  hex text: hex_decode_var and hex_decode round trip to lowercase;
 *   1  an ECDSA key (raw, then as hex text): a parsed key is 33 bytes
 *      starting 02/03 and its x is bytes 1..32;
 *   2  a Schnorr key, the same way (x is the 32 bytes);
 *   3  an ECDSA signature over a fixed digest with a fixed key: the
 *      encoding verdict must agree with an independent strict DER (BIP-66)
 *      parser and range check written here, and a 64-byte high-S
 *      signature must be refused as high-S, never verified;
 *   4  a Schnorr signature over a fixed digest: only 64 bytes get past
 *      the encoding check;
 *   5  first 32 bytes a digest, signed here with libsecp256k1: the low-S
 *      compact and DER forms verify, the high-S form is SIG_HIGH_S, and
 *      the BIP-340 signature verifies.
 * Anything else must not crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>

#include "treasury/hex.h"
#include "treasury/sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* secp256k1 order n, big endian. */
static const uint8_t ORDER[32] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
	0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b,
	0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
};
static const uint8_t SECRET[32] = { [31] = 7 };

static treasury_verifier *verifier;
static secp256k1_context *sign_ctx;
static struct signer_key ecdsa_key, schnorr_key;

static int
cmp32(const uint8_t a[32], const uint8_t b[32])
{
	return memcmp(a, b, 32);
}

static int
is_zero32(const uint8_t a[32])
{
	for (size_t i = 0; i < 32; i++)
		if (a[i] != 0)
			return 0;
	return 1;
}

/* n - s into out (s in 1..n-1). */
static void
negate32(const uint8_t s[32], uint8_t out[32])
{
	int borrow = 0;

	for (int i = 31; i >= 0; i--) {
		int d = (int)ORDER[i] - (int)s[i] - borrow;
		borrow = d < 0;
		out[i] = (uint8_t)(d + (borrow ? 256 : 0));
	}
}

/* s > n/2, compared as 2s > n. */
static int
is_high(const uint8_t s[32])
{
	uint8_t twice[33];
	unsigned carry = 0;

	for (int i = 31; i >= 0; i--) {
		unsigned d = 2u * s[i] + carry;
		twice[i + 1] = (uint8_t)d;
		carry = d >> 8;
	}
	twice[0] = (uint8_t)carry;
	if (twice[0] != 0)
		return 1;
	return cmp32(twice + 1, ORDER) > 0;
}

/* Independent strict DER: 30 L 02 lr R 02 ls S, all lengths short form,
 * minimal positive integers of at most 33 bytes (32 + a sign pad). */
static int
der_parse(const uint8_t *p, size_t n, uint8_t r[32], uint8_t s[32])
{
	size_t pos = 0;
	uint8_t *outs[2] = { r, s };

	if (n < 8 || n > 72 || p[0] != 0x30 || p[1] != n - 2)
		return 0;
	pos = 2;
	for (int k = 0; k < 2; k++) {
		size_t l;
		if (pos + 2 > n || p[pos] != 0x02)
			return 0;
		l = p[pos + 1];
		pos += 2;
		if (l == 0 || pos + l > n || (p[pos] & 0x80) != 0)
			return 0;
		if (l > 1 && p[pos] == 0 && (p[pos + 1] & 0x80) == 0)
			return 0;
		if (p[pos] == 0 && l > 1) {
			pos++;
			l--;
		}
		if (l > 32) {
			return 0;
		}
		memset(outs[k], 0, 32);
		memcpy(outs[k] + 32 - l, p + pos, l);
		pos += l;
	}
	return pos == n;
}

/* Minimal DER of r and s (both 1..n-1). */
static size_t
der_write(const uint8_t r[32], const uint8_t s[32], uint8_t out[72])
{
	const uint8_t *ins[2] = { r, s };
	size_t pos = 2;

	out[0] = 0x30;
	for (int k = 0; k < 2; k++) {
		size_t skip = 0;
		while (skip < 31 && ins[k][skip] == 0)
			skip++;
		out[pos++] = 0x02;
		if (ins[k][skip] & 0x80) {
			out[pos++] = (uint8_t)(33 - skip);
			out[pos++] = 0;
		} else {
			out[pos++] = (uint8_t)(32 - skip);
		}
		memcpy(out + pos, ins[k] + skip, 32 - skip);
		pos += 32 - skip;
	}
	out[1] = (uint8_t)(pos - 2);
	return pos;
}

static void
setup(void)
{
	secp256k1_pubkey pk;
	secp256k1_keypair kp;
	secp256k1_xonly_pubkey xpk;
	uint8_t ser[33];
	size_t ser_len = sizeof(ser);

	verifier = treasury_verifier_create();
	sign_ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
	if (verifier == NULL || sign_ctx == NULL ||
	    !secp256k1_ec_pubkey_create(sign_ctx, &pk, SECRET) ||
	    !secp256k1_ec_pubkey_serialize(sign_ctx, ser, &ser_len, &pk,
	    SECP256K1_EC_COMPRESSED) ||
	    signer_key_parse(verifier, KEY_ECDSA, ser, ser_len, &ecdsa_key) !=
	    TREASURY_OK ||
	    !secp256k1_keypair_create(sign_ctx, &kp, SECRET) ||
	    !secp256k1_keypair_xonly_pub(sign_ctx, &xpk, NULL, &kp) ||
	    !secp256k1_xonly_pubkey_serialize(sign_ctx, ser, &xpk) ||
	    signer_key_parse(verifier, KEY_SCHNORR, ser, 32, &schnorr_key) !=
	    TREASURY_OK)
		abort();
}

static void
fuzz_hex(const uint8_t *p, size_t n)
{
	uint8_t out[80];
	char back[161];
	size_t out_len;

	if (hex_decode_var(out, sizeof(out), &out_len, (const char *)p, n) ==
	    TREASURY_OK) {
		if (out_len * 2 != n || n == 0)
			abort();
		hex_encode(back, out, out_len);
		for (size_t i = 0; i < n; i++) {
			char c = (char)p[i];
			if (c >= 'A' && c <= 'F')
				c = (char)(c - 'A' + 'a');
			if (back[i] != c)
				abort();
		}
	}
	if (n > 0 && n % 2 == 0 && n / 2 <= sizeof(out) &&
	    (hex_decode(out, n / 2, (const char *)p, n) == TREASURY_OK) !=
	    (hex_decode_var(out, sizeof(out), &out_len, (const char *)p, n) ==
	    TREASURY_OK))
		abort();
}

static void
fuzz_key(enum key_type type, const uint8_t *p, size_t n)
{
	struct signer_key key;

	if (signer_key_parse(verifier, type, p, n, &key) == TREASURY_OK) {
		if (type == KEY_ECDSA && (n != 33 || (p[0] != 2 && p[0] != 3) ||
		    key.len != 33 || memcmp(key.x, p + 1, 32) != 0))
			abort();
		if (type == KEY_SCHNORR && (n != 32 || key.len != 32 ||
		    memcmp(key.x, p, 32) != 0))
			abort();
	}
	(void)signer_key_parse_hex(verifier, type, (const char *)p, n, &key);
}

static void
fuzz_ecdsa_sig(const uint8_t *p, size_t n)
{
	static const uint8_t digest[32] = { 1, 2, 3 };
	uint8_t r[32], s[32];
	treasury_err err = vote_signature_verify(verifier, &ecdsa_key, digest,
	    p, n);
	int shape;

	if (n == 64) {
		memcpy(r, p, 32);
		memcpy(s, p + 32, 32);
		shape = 1;
	} else {
		shape = der_parse(p, n, r, s);
	}
	if (shape && (is_zero32(r) || is_zero32(s) || cmp32(r, ORDER) >= 0 ||
	    cmp32(s, ORDER) >= 0))
		shape = 0;
	if (!shape) {
		if (err != TREASURY_ERR_SIG_ENCODING)
			abort();
		return;
	}
	if (is_high(s)) {
		if (err != TREASURY_ERR_SIG_HIGH_S)
			abort();
		return;
	}
	if (err != TREASURY_OK && err != TREASURY_ERR_SIG_INVALID)
		abort();
	/* the other encoding of the same (r, s) gets the same verdict */
	if (n == 64) {
		uint8_t der[72];
		size_t der_len = der_write(r, s, der);
		/* a DER text of 64 bytes reads as compact (docs/signing.md §6) */
		if (der_len != SIG_COMPACT_BYTES &&
		    vote_signature_verify(verifier, &ecdsa_key, digest, der,
		    der_len) != err)
			abort();
	}
}

static void
fuzz_schnorr_sig(const uint8_t *p, size_t n)
{
	static const uint8_t digest[32] = { 9, 8, 7 };
	treasury_err err = vote_signature_verify(verifier, &schnorr_key, digest,
	    p, n);

	if (n != 64 && err != TREASURY_ERR_SIG_ENCODING)
		abort();
	if (n == 64 && err != TREASURY_OK && err != TREASURY_ERR_SIG_INVALID)
		abort();
}

static void
fuzz_sign_verify(const uint8_t *p, size_t n)
{
	secp256k1_ecdsa_signature sig;
	secp256k1_keypair kp;
	uint8_t digest[32] = { 0 }, compact[64], high[64], der[72], bip340[64];
	size_t der_len = sizeof(der);

	memcpy(digest, p, n < 32 ? n : 32);
	if (!secp256k1_ecdsa_sign(sign_ctx, &sig, digest, SECRET, NULL, NULL) ||
	    !secp256k1_ecdsa_signature_serialize_compact(sign_ctx, compact,
	    &sig) ||
	    !secp256k1_ecdsa_signature_serialize_der(sign_ctx, der, &der_len,
	    &sig))
		abort();
	if (vote_signature_verify(verifier, &ecdsa_key, digest, compact, 64) !=
	    TREASURY_OK ||
	    vote_signature_verify(verifier, &ecdsa_key, digest, der, der_len) !=
	    TREASURY_OK)
		abort();
	memcpy(high, compact, 32);
	negate32(compact + 32, high + 32);
	if (vote_signature_verify(verifier, &ecdsa_key, digest, high, 64) !=
	    TREASURY_ERR_SIG_HIGH_S)
		abort();
	digest[31] ^= 1;
	if (vote_signature_verify(verifier, &ecdsa_key, digest, compact, 64) !=
	    TREASURY_ERR_SIG_INVALID)
		abort();
	digest[31] ^= 1;
	if (!secp256k1_keypair_create(sign_ctx, &kp, SECRET) ||
	    !secp256k1_schnorrsig_sign32(sign_ctx, bip340, digest, &kp, NULL))
		abort();
	if (vote_signature_verify(verifier, &schnorr_key, digest, bip340, 64) !=
	    TREASURY_OK)
		abort();
	bip340[63] ^= 1;
	if (vote_signature_verify(verifier, &schnorr_key, digest, bip340, 64) !=
	    TREASURY_ERR_SIG_INVALID)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (verifier == NULL)
		setup();
	if (size == 0)
		return 0;
	switch (data[0] % 6) {
	case 0:
		fuzz_hex(data + 1, size - 1);
		break;
	case 1:
		fuzz_key(KEY_ECDSA, data + 1, size - 1);
		break;
	case 2:
		fuzz_key(KEY_SCHNORR, data + 1, size - 1);
		break;
	case 3:
		fuzz_ecdsa_sig(data + 1, size - 1);
		break;
	case 4:
		fuzz_schnorr_sig(data + 1, size - 1);
		break;
	default:
		fuzz_sign_verify(data + 1, size - 1);
		break;
	}
	return 0;
}
