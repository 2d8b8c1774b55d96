/*
 * keystore.h: a signer's secret key, sealed with a passphrase, and the
 * signing half of the signing contract (docs/signing.md §5, §6).
 *
 * Used by treasuryctl (cli/). No I/O here: a keystore is a short text that
 * the caller reads from or writes to a file (mode 0600):
 *
 *   treasuryctl keystore v1
 *   name: <signer name>
 *   key_type: <ecdsa | schnorr>
 *   pubkey: <public key, lowercase hex>
 *   kdf: argon2id13
 *   opslimit: <decimal>
 *   memlimit: <decimal bytes>
 *   salt: <16 bytes, hex>
 *   nonce: <24 bytes, hex>
 *   ciphertext: <32-byte secret key + 16-byte tag, hex>
 *
 * The secret key is encrypted with XChaCha20-Poly1305 (IETF AEAD) under a
 * key derived from the passphrase with Argon2id (crypto_pwhash). Every line
 * before `ciphertext` is the associated data, so a changed name, key type,
 * public key or KDF parameter makes opening fail like a wrong passphrase.
 * After decryption the public key is derived again and compared.
 *
 * Secrets (passphrase, derived key, secret key) should live in memory from
 * sodium_malloc; the functions here wipe every temporary copy they make.
 * treasury_crypto_init() must have been called first.
 */
#ifndef TREASURY_KEYSTORE_H
#define TREASURY_KEYSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "treasury/canonical.h"
#include "treasury/error.h"
#include "treasury/limits.h"
#include "treasury/sig.h"

enum {
	SECRET_KEY_BYTES = 32,
	KEYSTORE_TEXT_MAX_BYTES = 2048,
	PUBKEY_HEX_MAX_BYTES = 2 * ECDSA_PUBKEY_BYTES,	/* no NUL */
	VOTE_SIGNATURE_BYTES = 64,	/* compact r||s, or BIP-340 */
};

/* Argon2id cost of a new keystore. */
enum keystore_kdf_level {
	KDF_INTERACTIVE = 1,	/* ops 2, 64 MiB */
	KDF_MODERATE,		/* ops 3, 256 MiB: treasuryctl's default */
	KDF_SENSITIVE,		/* ops 4, 1 GiB */
};

/* The public part of a keystore, readable without the passphrase. */
struct keystore_info {
	char name[SIGNER_NAME_MAX_BYTES + 1];
	struct signer_key key;
	char pubkey_hex[PUBKEY_HEX_MAX_BYTES + 1];
	unsigned long long opslimit;
	size_t memlimit;
};

/* Parse "interactive", "moderate" or "sensitive".
 * Returns TREASURY_OK or TREASURY_ERR_CONFIG. */
TREASURY_WARN_UNUSED treasury_err
keystore_kdf_level_parse(const char *s, enum keystore_kdf_level *out);

/* Fill secret with a fresh random valid secp256k1 secret key. */
void secret_key_generate(uint8_t secret[SECRET_KEY_BYTES]);

/* Derive the public key of secret for the key type (33-byte compressed
 * SEC1 for ecdsa, 32-byte x-only for schnorr).
 * Returns TREASURY_OK; TREASURY_ERR_PUBKEY when secret is not a valid
 * secret key (zero or >= n); TREASURY_ERR_NOMEM.
 * Out: *key on success. */
TREASURY_WARN_UNUSED treasury_err
secret_key_public(enum key_type type, const uint8_t secret[SECRET_KEY_BYTES],
    struct signer_key *key);

/* Sign a 32-byte vote digest: ECDSA (RFC 6979 nonce, always low-S) written
 * as 64-byte compact r||s, or BIP-340 with fresh auxiliary randomness.
 * Returns TREASURY_OK; TREASURY_ERR_PUBKEY for an invalid secret;
 * TREASURY_ERR_NOMEM; TREASURY_ERR_INTERNAL if signing fails.
 * Out: sig (64 bytes). */
TREASURY_WARN_UNUSED treasury_err
vote_sign(enum key_type type, const uint8_t secret[SECRET_KEY_BYTES],
    const uint8_t digest[DIGEST_BYTES], uint8_t sig[VOTE_SIGNATURE_BYTES]);

/* Seal secret under passphrase into out (initialised, empty).
 * In: name (a signer name, checked), type, secret, pass[0..pass_len)
 *     (any bytes, 1..1024 of them), level.
 * Returns TREASURY_OK; TREASURY_ERR_SIGNER_NAME; TREASURY_ERR_PUBKEY for
 *   an invalid secret; TREASURY_ERR_TOO_LARGE for an empty or too long
 *   passphrase; TREASURY_ERR_NOMEM (also when Argon2id cannot get its
 *   memory). */
TREASURY_WARN_UNUSED treasury_err
keystore_seal(struct textbuf *out, const char *name, enum key_type type,
    const uint8_t secret[SECRET_KEY_BYTES], const char *pass, size_t pass_len,
    enum keystore_kdf_level level);

/* Parse the public lines of a keystore text (no passphrase needed). The
 * KDF limits must be within libsodium's Argon2id range and at most the
 * "sensitive" level (a hostile file cannot make us allocate more).
 * Returns TREASURY_OK or TREASURY_ERR_KEYSTORE (naming no detail).
 * Out: *info on success. */
TREASURY_WARN_UNUSED treasury_err
keystore_parse(const char *text, size_t len, struct keystore_info *info);

/* Open a keystore: parse it, derive the key from the passphrase, decrypt
 * and check that the secret gives the stored public key.
 * Returns TREASURY_OK; TREASURY_ERR_KEYSTORE for a malformed text;
 *   TREASURY_ERR_PASSPHRASE when decryption fails (wrong passphrase or an
 *   altered file); TREASURY_ERR_NOMEM.
 * Out: secret (32 bytes, best in sodium_malloc memory) and *info on
 *   success; secret is wiped on failure. */
TREASURY_WARN_UNUSED treasury_err
keystore_open(const char *text, size_t len, const char *pass, size_t pass_len,
    uint8_t secret[SECRET_KEY_BYTES], struct keystore_info *info);

#endif
