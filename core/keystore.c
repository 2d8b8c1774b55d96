/*
 * keystore.c: secret keys sealed with a passphrase (Argon2id +
 * XChaCha20-Poly1305), public key derivation and vote signing with
 * libsecp256k1. The text layout is in include/treasury/keystore.h.
 *
 * No I/O. Every temporary copy of a secret (derived key, keypair, secp256k1
 * context state) lives in sodium_malloc memory or is wiped before return.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <sodium.h>

#include "canonical_text.h"
#include "treasury/canonical.h"
#include "treasury/hex.h"
#include "treasury/keystore.h"

#define KEYSTORE_FIRST_LINE "treasuryctl keystore v1"
#define KEYSTORE_KDF "argon2id13"

enum {
	SALT_BYTES = crypto_pwhash_SALTBYTES,
	NONCE_BYTES = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
	AEAD_KEY_BYTES = crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
	TAG_BYTES = crypto_aead_xchacha20poly1305_ietf_ABYTES,
	SEALED_BYTES = SECRET_KEY_BYTES + TAG_BYTES,
	PASS_MAX_BYTES = 1024,
	NUMBER_TEXT_BYTES = 24,
	LINE_COUNT = 10,		/* including the first line */
};

_Static_assert(SALT_BYTES == 16, "Argon2id salt is 16 bytes");
_Static_assert(AEAD_KEY_BYTES == 32, "XChaCha20-Poly1305 key is 32 bytes");

treasury_err
keystore_kdf_level_parse(const char *s, enum keystore_kdf_level *out)
{
	if (strcmp(s, "interactive") == 0)
		*out = KDF_INTERACTIVE;
	else if (strcmp(s, "moderate") == 0)
		*out = KDF_MODERATE;
	else if (strcmp(s, "sensitive") == 0)
		*out = KDF_SENSITIVE;
	else
		return TREASURY_ERR_CONFIG;
	return TREASURY_OK;
}

static void
kdf_limits(enum keystore_kdf_level level, unsigned long long *ops, size_t *mem)
{
	switch (level) {
	case KDF_MODERATE:
		*ops = crypto_pwhash_argon2id_OPSLIMIT_MODERATE;
		*mem = crypto_pwhash_argon2id_MEMLIMIT_MODERATE;
		return;
	case KDF_SENSITIVE:
		*ops = crypto_pwhash_argon2id_OPSLIMIT_SENSITIVE;
		*mem = crypto_pwhash_argon2id_MEMLIMIT_SENSITIVE;
		return;
	case KDF_INTERACTIVE:
		break;
	}
	*ops = crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE;
	*mem = crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE;
}

/* A randomised signing context; NULL on allocation failure. */
static secp256k1_context *
signing_context_create(void)
{
	secp256k1_context *ctx;
	uint8_t seed[32];

	ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
	if (ctx == NULL)
		return NULL;
	randombytes_buf(seed, sizeof(seed));
	if (!secp256k1_context_randomize(ctx, seed)) {
		secp256k1_context_destroy(ctx);
		ctx = NULL;
	}
	sodium_memzero(seed, sizeof(seed));
	return ctx;
}

void
secret_key_generate(uint8_t secret[SECRET_KEY_BYTES])
{
	do {
		randombytes_buf(secret, SECRET_KEY_BYTES);
	} while (!secp256k1_ec_seckey_verify(secp256k1_context_static, secret));
}

static treasury_err
public_ecdsa(const secp256k1_context *ctx, const uint8_t *secret,
    struct signer_key *key)
{
	secp256k1_pubkey pk;
	size_t len = ECDSA_PUBKEY_BYTES;

	if (!secp256k1_ec_pubkey_create(ctx, &pk, secret))
		return TREASURY_ERR_PUBKEY;
	if (!secp256k1_ec_pubkey_serialize(ctx, key->bytes, &len, &pk,
	    SECP256K1_EC_COMPRESSED) || len != ECDSA_PUBKEY_BYTES)
		return TREASURY_ERR_INTERNAL;
	key->type = KEY_ECDSA;
	key->len = len;
	memcpy(key->x, key->bytes + 1, sizeof(key->x));
	return TREASURY_OK;
}

static treasury_err
public_schnorr(const secp256k1_context *ctx, const uint8_t *secret,
    struct signer_key *key)
{
	secp256k1_keypair *kp;
	secp256k1_xonly_pubkey xpk;
	treasury_err err = TREASURY_ERR_PUBKEY;

	kp = sodium_malloc(sizeof(*kp));
	if (kp == NULL)
		return TREASURY_ERR_NOMEM;
	if (!secp256k1_keypair_create(ctx, kp, secret))
		goto done;
	err = TREASURY_ERR_INTERNAL;
	if (!secp256k1_keypair_xonly_pub(ctx, &xpk, NULL, kp))
		goto done;
	if (!secp256k1_xonly_pubkey_serialize(ctx, key->bytes, &xpk))
		goto done;
	key->type = KEY_SCHNORR;
	key->len = SCHNORR_PUBKEY_BYTES;
	memcpy(key->x, key->bytes, sizeof(key->x));
	err = TREASURY_OK;
done:
	sodium_free(kp);
	return err;
}

treasury_err
secret_key_public(enum key_type type, const uint8_t secret[SECRET_KEY_BYTES],
    struct signer_key *key)
{
	secp256k1_context *ctx;
	treasury_err err;

	memset(key, 0, sizeof(*key));
	ctx = signing_context_create();
	if (ctx == NULL)
		return TREASURY_ERR_NOMEM;
	if (type == KEY_ECDSA)
		err = public_ecdsa(ctx, secret, key);
	else
		err = public_schnorr(ctx, secret, key);
	secp256k1_context_destroy(ctx);
	return err;
}

static treasury_err
sign_ecdsa(const secp256k1_context *ctx, const uint8_t *secret,
    const uint8_t *digest, uint8_t *sig)
{
	secp256k1_ecdsa_signature s;

	if (!secp256k1_ecdsa_sign(ctx, &s, digest, secret, NULL, NULL))
		return TREASURY_ERR_PUBKEY;
	/* libsecp256k1 always makes low-S signatures; normalize says so. */
	if (secp256k1_ecdsa_signature_normalize(ctx, NULL, &s))
		return TREASURY_ERR_INTERNAL;
	if (!secp256k1_ecdsa_signature_serialize_compact(ctx, sig, &s))
		return TREASURY_ERR_INTERNAL;
	return TREASURY_OK;
}

static treasury_err
sign_schnorr(const secp256k1_context *ctx, const uint8_t *secret,
    const uint8_t *digest, uint8_t *sig)
{
	secp256k1_keypair *kp;
	uint8_t aux[32];
	treasury_err err = TREASURY_ERR_PUBKEY;

	kp = sodium_malloc(sizeof(*kp));
	if (kp == NULL)
		return TREASURY_ERR_NOMEM;
	randombytes_buf(aux, sizeof(aux));
	if (!secp256k1_keypair_create(ctx, kp, secret))
		goto done;
	err = TREASURY_ERR_INTERNAL;
	if (!secp256k1_schnorrsig_sign32(ctx, sig, digest, kp, aux))
		goto done;
	err = TREASURY_OK;
done:
	sodium_memzero(aux, sizeof(aux));
	sodium_free(kp);
	return err;
}

treasury_err
vote_sign(enum key_type type, const uint8_t secret[SECRET_KEY_BYTES],
    const uint8_t digest[DIGEST_BYTES], uint8_t sig[VOTE_SIGNATURE_BYTES])
{
	secp256k1_context *ctx;
	treasury_err err;

	ctx = signing_context_create();
	if (ctx == NULL)
		return TREASURY_ERR_NOMEM;
	if (type == KEY_ECDSA)
		err = sign_ecdsa(ctx, secret, digest, sig);
	else
		err = sign_schnorr(ctx, secret, digest, sig);
	secp256k1_context_destroy(ctx);
	if (err != TREASURY_OK)
		sodium_memzero(sig, VOTE_SIGNATURE_BYTES);
	return err;
}

/* ---- the keystore text ---- */

/* Derive the AEAD key from the passphrase. Returns _OK or _NOMEM. */
static treasury_err
kdf_derive(uint8_t *key, const char *pass, size_t pass_len,
    const uint8_t salt[SALT_BYTES], unsigned long long ops, size_t mem)
{
	if (crypto_pwhash(key, AEAD_KEY_BYTES, pass, pass_len, salt, ops, mem,
	    crypto_pwhash_ALG_ARGON2ID13) != 0)
		return TREASURY_ERR_NOMEM;
	return TREASURY_OK;
}

static treasury_err
append_line(struct textbuf *b, const char *key, const char *value)
{
	return canonical_line_append(b, key, value, strlen(value));
}

static treasury_err
append_hex_line(struct textbuf *b, const char *key, const uint8_t *bytes,
    size_t len)
{
	char hex[2 * SEALED_BYTES + 1];

	assert(len <= SEALED_BYTES);
	hex_encode(hex, bytes, len);
	return append_line(b, key, hex);
}

/* Everything up to and including the nonce line: the associated data. */
static treasury_err
header_write(struct textbuf *b, const struct keystore_info *info,
    const uint8_t *salt, const uint8_t *nonce)
{
	char num[NUMBER_TEXT_BYTES];
	treasury_err err;

	err = textbuf_append(b, KEYSTORE_FIRST_LINE "\n",
	    strlen(KEYSTORE_FIRST_LINE) + 1);
	if (err == TREASURY_OK)
		err = append_line(b, "name", info->name);
	if (err == TREASURY_OK)
		err = append_line(b, "key_type", key_type_name(info->key.type));
	if (err == TREASURY_OK)
		err = append_line(b, "pubkey", info->pubkey_hex);
	if (err == TREASURY_OK)
		err = append_line(b, "kdf", KEYSTORE_KDF);
	snprintf(num, sizeof(num), "%llu", info->opslimit);
	if (err == TREASURY_OK)
		err = append_line(b, "opslimit", num);
	snprintf(num, sizeof(num), "%zu", info->memlimit);
	if (err == TREASURY_OK)
		err = append_line(b, "memlimit", num);
	if (err == TREASURY_OK)
		err = append_hex_line(b, "salt", salt, SALT_BYTES);
	if (err == TREASURY_OK)
		err = append_hex_line(b, "nonce", nonce, NONCE_BYTES);
	return err;
}

static treasury_err
seal_check(const char *name, const char *pass, size_t pass_len)
{
	if (signer_name_check(name, strlen(name)) != TREASURY_OK)
		return TREASURY_ERR_SIGNER_NAME;
	if (pass == NULL || pass_len == 0 || pass_len > PASS_MAX_BYTES)
		return TREASURY_ERR_TOO_LARGE;
	return TREASURY_OK;
}

treasury_err
keystore_seal(struct textbuf *out, const char *name, enum key_type type,
    const uint8_t secret[SECRET_KEY_BYTES], const char *pass, size_t pass_len,
    enum keystore_kdf_level level)
{
	struct keystore_info info;
	uint8_t salt[SALT_BYTES], nonce[NONCE_BYTES], sealed[SEALED_BYTES];
	uint8_t *key = NULL;
	treasury_err err;

	assert(out->len == 0);
	memset(&info, 0, sizeof(info));
	err = seal_check(name, pass, pass_len);
	if (err != TREASURY_OK)
		return err;
	snprintf(info.name, sizeof(info.name), "%s", name);
	err = secret_key_public(type, secret, &info.key);
	if (err != TREASURY_OK)
		return err;
	hex_encode(info.pubkey_hex, info.key.bytes, info.key.len);
	kdf_limits(level, &info.opslimit, &info.memlimit);
	randombytes_buf(salt, sizeof(salt));
	randombytes_buf(nonce, sizeof(nonce));
	err = TREASURY_ERR_NOMEM;
	key = sodium_malloc(AEAD_KEY_BYTES);
	if (key == NULL)
		goto fail;
	err = kdf_derive(key, pass, pass_len, salt, info.opslimit,
	    info.memlimit);
	if (err != TREASURY_OK)
		goto fail;
	err = header_write(out, &info, salt, nonce);
	if (err != TREASURY_OK)
		goto fail;
	crypto_aead_xchacha20poly1305_ietf_encrypt(sealed, NULL, secret,
	    SECRET_KEY_BYTES, (const uint8_t *)out->data, out->len, NULL,
	    nonce, key);
	err = append_hex_line(out, "ciphertext", sealed, sizeof(sealed));
	if (err != TREASURY_OK)
		goto fail;
	sodium_free(key);
	return TREASURY_OK;
fail:
	sodium_free(key);
	textbuf_free(out);
	return err;
}

/* ---- parsing ---- */

struct line_reader {
	const char *p;
	const char *end;
};

/* Take the next line "key: value\n" with exactly this key.
 * Out: *value, *value_len (no NUL). Returns _OK or _KEYSTORE. */
static treasury_err
line_take(struct line_reader *r, const char *key, const char **value,
    size_t *value_len)
{
	size_t klen = strlen(key);
	const char *nl;

	nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
	if (nl == NULL)
		return TREASURY_ERR_KEYSTORE;
	if ((size_t)(nl - r->p) < klen + 2 || memcmp(r->p, key, klen) != 0 ||
	    r->p[klen] != ':' || r->p[klen + 1] != ' ')
		return TREASURY_ERR_KEYSTORE;
	*value = r->p + klen + 2;
	*value_len = (size_t)(nl - *value);
	r->p = nl + 1;
	return TREASURY_OK;
}

/* Plain decimal without sign or leading zero, at most 19 digits. */
static treasury_err
decimal_take(struct line_reader *r, const char *key, unsigned long long *out)
{
	const char *v;
	size_t len, i;
	unsigned long long n = 0;

	if (line_take(r, key, &v, &len) != TREASURY_OK)
		return TREASURY_ERR_KEYSTORE;
	if (len == 0 || len > 19 || (v[0] == '0' && len > 1))
		return TREASURY_ERR_KEYSTORE;
	for (i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return TREASURY_ERR_KEYSTORE;
		n = n * 10 + (unsigned long long)(v[i] - '0');
	}
	*out = n;
	return TREASURY_OK;
}

static treasury_err
hex_take(struct line_reader *r, const char *key, uint8_t *out, size_t len)
{
	const char *v;
	size_t vlen, i;

	if (line_take(r, key, &v, &vlen) != TREASURY_OK)
		return TREASURY_ERR_KEYSTORE;
	for (i = 0; i < vlen; i++)	/* written in lower case only */
		if (v[i] >= 'A' && v[i] <= 'F')
			return TREASURY_ERR_KEYSTORE;
	if (hex_decode(out, len, v, vlen) != TREASURY_OK)
		return TREASURY_ERR_KEYSTORE;
	return TREASURY_OK;
}

static treasury_err
identity_take(struct line_reader *r, struct keystore_info *info)
{
	const char *v;
	size_t len;
	enum key_type type;
	uint8_t pub[ECDSA_PUBKEY_BYTES];
	size_t pub_len;

	if (line_take(r, "name", &v, &len) != TREASURY_OK ||
	    signer_name_check(v, len) != TREASURY_OK)
		return TREASURY_ERR_KEYSTORE;
	memcpy(info->name, v, len);
	info->name[len] = '\0';
	if (line_take(r, "key_type", &v, &len) != TREASURY_OK ||
	    key_type_parse(v, len, &type) != TREASURY_OK)
		return TREASURY_ERR_KEYSTORE;
	pub_len = type == KEY_ECDSA ? ECDSA_PUBKEY_BYTES : SCHNORR_PUBKEY_BYTES;
	if (hex_take(r, "pubkey", pub, pub_len) != TREASURY_OK)
		return TREASURY_ERR_KEYSTORE;
	if (type == KEY_ECDSA && pub[0] != 0x02 && pub[0] != 0x03)
		return TREASURY_ERR_KEYSTORE;
	info->key.type = type;
	info->key.len = pub_len;
	memcpy(info->key.bytes, pub, pub_len);
	memcpy(info->key.x, type == KEY_ECDSA ? pub + 1 : pub, 32);
	hex_encode(info->pubkey_hex, pub, pub_len);
	return TREASURY_OK;
}

static treasury_err
kdf_take(struct line_reader *r, struct keystore_info *info)
{
	const char *v;
	size_t len;
	unsigned long long mem;

	if (line_take(r, "kdf", &v, &len) != TREASURY_OK ||
	    len != strlen(KEYSTORE_KDF) || memcmp(v, KEYSTORE_KDF, len) != 0)
		return TREASURY_ERR_KEYSTORE;
	if (decimal_take(r, "opslimit", &info->opslimit) != TREASURY_OK ||
	    decimal_take(r, "memlimit", &mem) != TREASURY_OK)
		return TREASURY_ERR_KEYSTORE;
	if (info->opslimit < crypto_pwhash_argon2id_OPSLIMIT_MIN ||
	    info->opslimit > crypto_pwhash_argon2id_OPSLIMIT_SENSITIVE ||
	    mem < crypto_pwhash_argon2id_MEMLIMIT_MIN ||
	    mem > crypto_pwhash_argon2id_MEMLIMIT_SENSITIVE)
		return TREASURY_ERR_KEYSTORE;
	info->memlimit = (size_t)mem;
	return TREASURY_OK;
}

struct keystore_parsed {
	struct keystore_info info;
	uint8_t salt[SALT_BYTES];
	uint8_t nonce[NONCE_BYTES];
	uint8_t sealed[SEALED_BYTES];
	size_t header_len;	/* bytes of associated data */
};

static treasury_err
keystore_parse_all(const char *text, size_t len, struct keystore_parsed *k)
{
	struct line_reader r = { text, text + len };
	const size_t first = strlen(KEYSTORE_FIRST_LINE) + 1;

	memset(k, 0, sizeof(*k));
	if (len > KEYSTORE_TEXT_MAX_BYTES || len < first ||
	    memcmp(text, KEYSTORE_FIRST_LINE "\n", first) != 0)
		return TREASURY_ERR_KEYSTORE;
	r.p += first;
	if (identity_take(&r, &k->info) != TREASURY_OK ||
	    kdf_take(&r, &k->info) != TREASURY_OK ||
	    hex_take(&r, "salt", k->salt, SALT_BYTES) != TREASURY_OK ||
	    hex_take(&r, "nonce", k->nonce, NONCE_BYTES) != TREASURY_OK)
		return TREASURY_ERR_KEYSTORE;
	k->header_len = (size_t)(r.p - text);
	if (hex_take(&r, "ciphertext", k->sealed, SEALED_BYTES) != TREASURY_OK)
		return TREASURY_ERR_KEYSTORE;
	if (r.p != r.end)
		return TREASURY_ERR_KEYSTORE;	/* anything after the last line */
	return TREASURY_OK;
}

treasury_err
keystore_parse(const char *text, size_t len, struct keystore_info *info)
{
	struct keystore_parsed k;
	treasury_err err;

	err = keystore_parse_all(text, len, &k);
	if (err == TREASURY_OK)
		*info = k.info;
	return err;
}

static treasury_err
open_decrypt(const struct keystore_parsed *k, const char *text,
    const uint8_t *key, uint8_t *secret)
{
	struct signer_key derived;

	if (crypto_aead_xchacha20poly1305_ietf_decrypt(secret, NULL, NULL,
	    k->sealed, SEALED_BYTES, (const uint8_t *)text, k->header_len,
	    k->nonce, key) != 0)
		return TREASURY_ERR_PASSPHRASE;
	if (secret_key_public(k->info.key.type, secret, &derived) !=
	    TREASURY_OK)
		return TREASURY_ERR_PASSPHRASE;
	if (derived.len != k->info.key.len ||
	    sodium_memcmp(derived.bytes, k->info.key.bytes, derived.len) != 0)
		return TREASURY_ERR_PASSPHRASE;
	return TREASURY_OK;
}

treasury_err
keystore_open(const char *text, size_t len, const char *pass, size_t pass_len,
    uint8_t secret[SECRET_KEY_BYTES], struct keystore_info *info)
{
	struct keystore_parsed k;
	uint8_t *key = NULL;
	treasury_err err;

	err = keystore_parse_all(text, len, &k);
	if (err != TREASURY_OK)
		goto fail;
	err = TREASURY_ERR_PASSPHRASE;
	if (pass == NULL || pass_len == 0 || pass_len > PASS_MAX_BYTES)
		goto fail;
	err = TREASURY_ERR_NOMEM;
	key = sodium_malloc(AEAD_KEY_BYTES);
	if (key == NULL)
		goto fail;
	err = kdf_derive(key, pass, pass_len, k.salt, k.info.opslimit,
	    k.info.memlimit);
	if (err != TREASURY_OK)
		goto fail;
	err = open_decrypt(&k, text, key, secret);
	if (err != TREASURY_OK)
		goto fail;
	sodium_free(key);
	*info = k.info;
	return TREASURY_OK;
fail:
	sodium_free(key);
	sodium_memzero(secret, SECRET_KEY_BYTES);
	return err;
}
