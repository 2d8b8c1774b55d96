/*
 * test_keystore.c: unit tests of the passphrase-sealed keystore and vote
 * signing (include/treasury/keystore.h): round trips for both key types,
 * the secret never in clear in the text, wrong passphrase, every altered
 * line refused, hostile KDF limits refused, and signatures made here
 * verified by the daemon's verifier, including the docs/signing.md key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "treasury/crypto_init.h"
#include "treasury/hash.h"
#include "treasury/hex.h"
#include "treasury/keystore.h"

#define PASS "correct horse battery staple"

static const uint8_t secret_02[SECRET_KEY_BYTES] = {
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

static int
setup(void **state)
{
	(void)state;
	return treasury_crypto_init() == TREASURY_OK ? 0 : -1;
}

/* True when needle[0..n) occurs in hay[0..len). */
static int
contains(const char *hay, size_t len, const uint8_t *needle, size_t n)
{
	size_t i;

	for (i = 0; i + n <= len; i++)
		if (memcmp(hay + i, needle, n) == 0)
			return 1;
	return 0;
}

static void
seal(struct textbuf *b, enum key_type type, const uint8_t *secret)
{
	textbuf_init(b, KEYSTORE_TEXT_MAX_BYTES);
	assert_int_equal(keystore_seal(b, "alice", type, secret, PASS,
	    strlen(PASS), KDF_INTERACTIVE), TREASURY_OK);
}

static void
test_public_key_of_documented_secret(void **state)
{
	struct signer_key k;
	char hex[2 * ECDSA_PUBKEY_BYTES + 1];

	(void)state;
	/* docs/signing.md §7, TEST ONLY secret 02..02 */
	assert_int_equal(secret_key_public(KEY_SCHNORR, secret_02, &k),
	    TREASURY_OK);
	hex_encode(hex, k.bytes, k.len);
	assert_string_equal(hex,
	    "4d4b6cd1361032ca9bd2aeb9d900aa4d45d9ead80ac9423374c451a7254d0766");
	assert_int_equal(secret_key_public(KEY_ECDSA, secret_02, &k),
	    TREASURY_OK);
	assert_int_equal(k.len, ECDSA_PUBKEY_BYTES);
	hex_encode(hex, k.bytes + 1, 32);
	assert_string_equal(hex,
	    "4d4b6cd1361032ca9bd2aeb9d900aa4d45d9ead80ac9423374c451a7254d0766");
}

static void
roundtrip(enum key_type type)
{
	struct textbuf b;
	struct keystore_info info, pub;
	uint8_t secret[SECRET_KEY_BYTES], back[SECRET_KEY_BYTES];
	char secret_hex[2 * SECRET_KEY_BYTES + 1];

	secret_key_generate(secret);
	seal(&b, type, secret);
	/* The secret appears nowhere in the text, neither raw nor as hex. */
	hex_encode(secret_hex, secret, sizeof(secret));
	assert_null(strstr(b.data, secret_hex));
	assert_false(contains(b.data, b.len, secret, sizeof(secret)));
	assert_int_equal(keystore_parse(b.data, b.len, &pub), TREASURY_OK);
	assert_string_equal(pub.name, "alice");
	assert_int_equal(pub.key.type, type);
	assert_int_equal(keystore_open(b.data, b.len, PASS, strlen(PASS), back,
	    &info), TREASURY_OK);
	assert_memory_equal(back, secret, sizeof(secret));
	assert_string_equal(info.pubkey_hex, pub.pubkey_hex);
	textbuf_free(&b);
}

static void
test_roundtrip_ecdsa(void **state)
{
	(void)state;
	roundtrip(KEY_ECDSA);
}

static void
test_roundtrip_schnorr(void **state)
{
	(void)state;
	roundtrip(KEY_SCHNORR);
}

static void
test_wrong_passphrase(void **state)
{
	struct textbuf b;
	struct keystore_info info;
	uint8_t back[SECRET_KEY_BYTES];

	(void)state;
	seal(&b, KEY_ECDSA, secret_02);
	memset(back, 0x55, sizeof(back));
	assert_int_equal(keystore_open(b.data, b.len, "wrong", 5, back, &info),
	    TREASURY_ERR_PASSPHRASE);
	assert_true(sodium_is_zero(back, sizeof(back)));
	assert_int_equal(keystore_open(b.data, b.len, PASS, strlen(PASS) - 1,
	    back, &info), TREASURY_ERR_PASSPHRASE);
	assert_int_equal(keystore_open(b.data, b.len, "", 0, back, &info),
	    TREASURY_ERR_PASSPHRASE);
	textbuf_free(&b);
}

/* Replace the first occurrence of `from` by `to` (same length). */
static void
alter(char *text, const char *from, const char *to)
{
	char *p = strstr(text, from);

	assert_non_null(p);
	assert_int_equal(strlen(from), strlen(to));
	memcpy(p, to, strlen(to));
}

static void
test_altered_lines_refused(void **state)
{
	static const char *const lines[][2] = {
		{ "name: alice", "name: alicf" },
		{ "key_type: ecdsa", "key_type: ecdsb" },
		{ "opslimit: 2", "opslimit: 3" },
		{ "memlimit: 67108864", "memlimit: 67108865" },
		{ "salt: ", "salx: " },
	};
	struct textbuf b;
	struct keystore_info info;
	uint8_t back[SECRET_KEY_BYTES];
	char *copy;
	size_t i;
	treasury_err err;

	(void)state;
	seal(&b, KEY_ECDSA, secret_02);
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		copy = strdup(b.data);
		assert_non_null(copy);
		alter(copy, lines[i][0], lines[i][1]);
		err = keystore_open(copy, b.len, PASS, strlen(PASS), back, &info);
		assert_true(err == TREASURY_ERR_PASSPHRASE ||
		    err == TREASURY_ERR_KEYSTORE);
		free(copy);
	}
	/* A changed public key is authenticated data: wrong passphrase. */
	copy = strdup(b.data);
	assert_non_null(copy);
	alter(copy, "pubkey: 02", "pubkey: 03");
	assert_int_equal(keystore_open(copy, b.len, PASS, strlen(PASS), back,
	    &info), TREASURY_ERR_PASSPHRASE);
	/* A flipped ciphertext bit. */
	memcpy(copy, b.data, b.len);
	copy[b.len - 2] = copy[b.len - 2] == '0' ? '1' : '0';
	assert_int_equal(keystore_open(copy, b.len, PASS, strlen(PASS), back,
	    &info), TREASURY_ERR_PASSPHRASE);
	/* Trailing garbage, truncation. */
	assert_int_equal(keystore_parse(b.data, b.len - 1, &info),
	    TREASURY_ERR_KEYSTORE);
	free(copy);
	textbuf_free(&b);
}

/* A copy of text with the first `from` replaced by `to` (any lengths). */
static char *
replaced(const char *text, const char *from, const char *to)
{
	const char *p = strstr(text, from);
	size_t head, out_len;
	char *out;

	assert_non_null(p);
	head = (size_t)(p - text);
	out_len = strlen(text) - strlen(from) + strlen(to);
	out = malloc(out_len + 1);
	assert_non_null(out);
	memcpy(out, text, head);
	memcpy(out + head, to, strlen(to));
	memcpy(out + head + strlen(to), p + strlen(from),
	    strlen(p + strlen(from)) + 1);
	return out;
}

static void
test_hostile_kdf_limits_refused(void **state)
{
	struct textbuf b;
	struct keystore_info info;
	char *copy;

	(void)state;
	seal(&b, KEY_SCHNORR, secret_02);
	copy = replaced(b.data, "memlimit: 67108864", "memlimit: 99999999999");
	assert_int_equal(keystore_parse(copy, strlen(copy), &info),
	    TREASURY_ERR_KEYSTORE);
	free(copy);
	copy = replaced(b.data, "opslimit: 2", "opslimit: 9");
	assert_int_equal(keystore_parse(copy, strlen(copy), &info),
	    TREASURY_ERR_KEYSTORE);
	free(copy);
	copy = replaced(b.data, "opslimit: 2", "opslimit: 02");
	assert_int_equal(keystore_parse(copy, strlen(copy), &info),
	    TREASURY_ERR_KEYSTORE);
	free(copy);
	textbuf_free(&b);
}

static void
sign_and_verify(enum key_type type)
{
	treasury_verifier *v = treasury_verifier_create();
	struct signer_key key;
	uint8_t id[PROPOSAL_ID_BYTES], digest[DIGEST_BYTES];
	uint8_t sig[VOTE_SIGNATURE_BYTES];

	assert_non_null(v);
	proposal_id_compute(id, "x", 1);
	vote_digest_compute(digest, id, VOTE_APPROVE);
	assert_int_equal(secret_key_public(type, secret_02, &key), TREASURY_OK);
	assert_int_equal(vote_sign(type, secret_02, digest, sig), TREASURY_OK);
	assert_int_equal(vote_signature_verify(v, &key, digest, sig,
	    sizeof(sig)), TREASURY_OK);
	digest[0] ^= 1;
	assert_int_equal(vote_signature_verify(v, &key, digest, sig,
	    sizeof(sig)), TREASURY_ERR_SIG_INVALID);
	treasury_verifier_destroy(v);
}

static void
test_sign_ecdsa_verifies(void **state)
{
	(void)state;
	sign_and_verify(KEY_ECDSA);
}

static void
test_sign_schnorr_verifies(void **state)
{
	(void)state;
	sign_and_verify(KEY_SCHNORR);
}

static void
test_invalid_secret_refused(void **state)
{
	uint8_t zero[SECRET_KEY_BYTES] = { 0 };
	struct signer_key k;
	struct textbuf b;

	(void)state;
	assert_int_equal(secret_key_public(KEY_ECDSA, zero, &k),
	    TREASURY_ERR_PUBKEY);
	textbuf_init(&b, KEYSTORE_TEXT_MAX_BYTES);
	assert_int_equal(keystore_seal(&b, "alice", KEY_ECDSA, zero, PASS,
	    strlen(PASS), KDF_INTERACTIVE), TREASURY_ERR_PUBKEY);
	assert_int_equal(keystore_seal(&b, "Alice", KEY_ECDSA, secret_02, PASS,
	    strlen(PASS), KDF_INTERACTIVE), TREASURY_ERR_SIGNER_NAME);
	assert_int_equal(keystore_seal(&b, "alice", KEY_ECDSA, secret_02, "",
	    0, KDF_INTERACTIVE), TREASURY_ERR_TOO_LARGE);
	textbuf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_public_key_of_documented_secret),
		cmocka_unit_test(test_roundtrip_ecdsa),
		cmocka_unit_test(test_roundtrip_schnorr),
		cmocka_unit_test(test_wrong_passphrase),
		cmocka_unit_test(test_altered_lines_refused),
		cmocka_unit_test(test_hostile_kdf_limits_refused),
		cmocka_unit_test(test_sign_ecdsa_verifies),
		cmocka_unit_test(test_sign_schnorr_verifies),
		cmocka_unit_test(test_invalid_secret_refused),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
