/*
 * auth.h: roles and API tokens (pure logic, no storage).
 *
 * A token is "trd_" followed by 64 lowercase hex characters (32 random
 * bytes). Only a keyed BLAKE2b hash of the whole token text is stored; the
 * key is a per-database secret (see storage.h).
 */
#ifndef TREASURY_AUTH_H
#define TREASURY_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "treasury/error.h"
#include "treasury/limits.h"

enum role {
	ROLE_ADMIN = 1u << 0,
	ROLE_TREASURER = 1u << 1,
	ROLE_SIGNER = 1u << 2,
	ROLE_VIEWER = 1u << 3,
};
#define ROLE_ALL (ROLE_ADMIN | ROLE_TREASURER | ROLE_SIGNER | ROLE_VIEWER)

enum {
	TOKEN_HASH_BYTES = 32,
	TOKEN_HASH_KEY_BYTES = 32,
	ROLES_TEXT_MAX_BYTES = 64,
	/* a token may be bound to a TLS client certificate: the SHA-256 of
	 * its DER encoding (docs/operations.md "Remote signers") */
	CLIENT_CERT_SHA256_BYTES = 32,
};

/* Parse a comma-separated list of role names ("treasurer,signer"); no
 * spaces, no empty items, duplicates allowed once each.
 * Returns TREASURY_OK or TREASURY_ERR_ROLE. Out: *roles (bit set, != 0). */
TREASURY_WARN_UNUSED treasury_err
roles_parse(const char *s, size_t len, unsigned *roles);

/* Write roles as "admin,treasurer,signer,viewer" order, NUL-terminated.
 * roles must be a non-empty subset of ROLE_ALL (asserted). */
void roles_format(unsigned roles, char out[ROLES_TEXT_MAX_BYTES]);

/* Token names: 1..64 printable ASCII characters without spaces.
 * Returns TREASURY_OK or TREASURY_ERR_TOKEN_NAME. */
TREASURY_WARN_UNUSED treasury_err token_name_check(const char *s, size_t len);

/* Make a new random token text (NUL-terminated) with libsodium randombytes. */
void token_generate(char out[TOKEN_TEXT_BYTES + 1]);

/* hash = BLAKE2b-256 keyed with key over the token text. Any text is
 * accepted (an unknown token simply hashes to something not stored). */
void token_hash(uint8_t hash[TOKEN_HASH_BYTES],
    const uint8_t key[TOKEN_HASH_KEY_BYTES], const char *token, size_t len);

#endif
