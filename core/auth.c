/*
 * auth.c: roles and API tokens, without storage.
 *
 * A token is "trd_" and the lowercase hex of 32 random bytes. The database
 * keeps only BLAKE2b-256 of the token text keyed with a per-database secret,
 * so a stolen database does not give working tokens. A role list is
 * comma-separated with each role named at most once.
 */
#include <assert.h>
#include <string.h>

#include <sodium.h>

#include "treasury/auth.h"
#include "treasury/hex.h"

#define TOKEN_PREFIX "trd_"
enum { TOKEN_PREFIX_BYTES = sizeof(TOKEN_PREFIX) - 1 };

struct role_name {
	unsigned role;
	const char *name;
};

/* In the order roles_format writes them. */
static const struct role_name role_names[] = {
	{ ROLE_ADMIN, "admin" },
	{ ROLE_TREASURER, "treasurer" },
	{ ROLE_SIGNER, "signer" },
	{ ROLE_VIEWER, "viewer" },
};
enum { ROLE_COUNT = sizeof(role_names) / sizeof(role_names[0]) };

/* The role bit named by s[0..len), or 0 when there is none. */
static unsigned
role_lookup(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < ROLE_COUNT; i++) {
		if (strlen(role_names[i].name) == len &&
		    memcmp(role_names[i].name, s, len) == 0)
			return role_names[i].role;
	}
	return 0;
}

treasury_err
roles_parse(const char *s, size_t len, unsigned *roles)
{
	unsigned set = 0, role;
	size_t start = 0, end;

	if (len == 0 || len >= ROLES_TEXT_MAX_BYTES)
		return TREASURY_ERR_ROLE;
	while (start <= len) {
		end = start;
		while (end < len && s[end] != ',')
			end++;
		role = role_lookup(s + start, end - start);
		if (role == 0 || (set & role) != 0)
			return TREASURY_ERR_ROLE;	/* unknown, empty, twice */
		set |= role;
		start = end + 1;
	}
	*roles = set;
	return TREASURY_OK;
}

void
roles_format(unsigned roles, char out[ROLES_TEXT_MAX_BYTES])
{
	size_t i, used = 0, n;

	assert(roles != 0);
	assert((roles & ~(unsigned)ROLE_ALL) == 0);
	for (i = 0; i < ROLE_COUNT; i++) {
		if ((roles & role_names[i].role) == 0)
			continue;
		n = strlen(role_names[i].name);
		if (used != 0)
			out[used++] = ',';
		assert(used + n < ROLES_TEXT_MAX_BYTES);
		memcpy(out + used, role_names[i].name, n);
		used += n;
	}
	out[used] = '\0';
}

treasury_err
token_name_check(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > TOKEN_NAME_MAX_BYTES)
		return TREASURY_ERR_TOKEN_NAME;
	for (i = 0; i < len; i++) {
		if (s[i] <= ' ' || s[i] > '~')
			return TREASURY_ERR_TOKEN_NAME;
	}
	return TREASURY_OK;
}

void
token_generate(char out[TOKEN_TEXT_BYTES + 1])
{
	uint8_t secret[TOKEN_SECRET_BYTES];

	_Static_assert(TOKEN_TEXT_BYTES ==
	    TOKEN_PREFIX_BYTES + 2 * TOKEN_SECRET_BYTES, "token layout");
	randombytes_buf(secret, sizeof(secret));
	memcpy(out, TOKEN_PREFIX, TOKEN_PREFIX_BYTES);
	hex_encode(out + TOKEN_PREFIX_BYTES, secret, sizeof(secret));
	sodium_memzero(secret, sizeof(secret));
}

void
token_hash(uint8_t hash[TOKEN_HASH_BYTES],
    const uint8_t key[TOKEN_HASH_KEY_BYTES], const char *token, size_t len)
{
	int rc;

	_Static_assert(TOKEN_HASH_BYTES >= crypto_generichash_BYTES_MIN &&
	    TOKEN_HASH_BYTES <= crypto_generichash_BYTES_MAX, "hash size");
	_Static_assert(TOKEN_HASH_KEY_BYTES >= crypto_generichash_KEYBYTES_MIN &&
	    TOKEN_HASH_KEY_BYTES <= crypto_generichash_KEYBYTES_MAX, "key size");
	rc = crypto_generichash(hash, TOKEN_HASH_BYTES,
	    (const unsigned char *)token, len, key, TOKEN_HASH_KEY_BYTES);
	assert(rc == 0);	/* fails only on sizes, checked above */
	(void)rc;
}
