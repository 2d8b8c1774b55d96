/*
 * test_auth.c: unit tests of roles, token names, token generation and token
 * hashing (include/treasury/auth.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "treasury/auth.h"
#include "treasury/crypto_init.h"

static unsigned
parse_ok(const char *s)
{
	unsigned roles = 0;

	assert_int_equal(roles_parse(s, strlen(s), &roles), TREASURY_OK);
	return roles;
}

static void
test_roles_parse(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("admin"), ROLE_ADMIN);
	assert_int_equal(parse_ok("treasurer"), ROLE_TREASURER);
	assert_int_equal(parse_ok("signer"), ROLE_SIGNER);
	assert_int_equal(parse_ok("viewer"), ROLE_VIEWER);
	assert_int_equal(parse_ok("treasurer,signer"),
	    ROLE_TREASURER | ROLE_SIGNER);
	assert_int_equal(parse_ok("viewer,signer,treasurer,admin"), ROLE_ALL);
}

static void
test_roles_parse_length_bound(void **state)
{
	unsigned roles = 0;

	(void)state;
	/* Only the first len bytes count. */
	assert_int_equal(roles_parse("admin,bogus", 5, &roles), TREASURY_OK);
	assert_int_equal(roles, ROLE_ADMIN);
}

static void
test_roles_parse_errors(void **state)
{
	static const char *const bad[] = {
		"", ",", "admin,", ",admin", "admin,,signer", "Admin", "ADMIN",
		"admin ", " admin", "admin, signer", "root", "admins", "admi",
		"admin,admin", "signer,viewer,signer", "admin;signer",
		"admin\n", "viewer,signer,treasurer,admin,viewer",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	unsigned roles = 12345;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(roles_parse(bad[i], strlen(bad[i]), &roles),
		    TREASURY_ERR_ROLE);
	assert_int_equal(roles_parse("admin\0", 6, &roles), TREASURY_ERR_ROLE);
	assert_int_equal(roles, 12345);	/* untouched on error */
}

static void
test_roles_format(void **state)
{
	char out[ROLES_TEXT_MAX_BYTES];
	unsigned r;

	(void)state;
	roles_format(ROLE_ADMIN, out);
	assert_string_equal(out, "admin");
	roles_format(ROLE_SIGNER | ROLE_TREASURER, out);
	assert_string_equal(out, "treasurer,signer");
	roles_format(ROLE_ALL, out);
	assert_string_equal(out, "admin,treasurer,signer,viewer");
	/* Every non-empty set survives format then parse. */
	for (r = 1; r <= ROLE_ALL; r++) {
		roles_format(r, out);
		assert_int_equal(parse_ok(out), r);
	}
}

static void
test_token_name_check(void **state)
{
	char name[TOKEN_NAME_MAX_BYTES + 1];

	(void)state;
	assert_int_equal(token_name_check("ci-deploy", 9), TREASURY_OK);
	assert_int_equal(token_name_check("!~", 2), TREASURY_OK);
	assert_int_equal(token_name_check("x", 1), TREASURY_OK);
	memset(name, 'a', sizeof(name));
	assert_int_equal(token_name_check(name, TOKEN_NAME_MAX_BYTES),
	    TREASURY_OK);
	assert_int_equal(token_name_check(name, TOKEN_NAME_MAX_BYTES + 1),
	    TREASURY_ERR_TOKEN_NAME);
	assert_int_equal(token_name_check("", 0), TREASURY_ERR_TOKEN_NAME);
	assert_int_equal(token_name_check("a b", 3), TREASURY_ERR_TOKEN_NAME);
	assert_int_equal(token_name_check("a\tb", 3), TREASURY_ERR_TOKEN_NAME);
	assert_int_equal(token_name_check("a\nb", 3), TREASURY_ERR_TOKEN_NAME);
	assert_int_equal(token_name_check("a\0b", 3), TREASURY_ERR_TOKEN_NAME);
	assert_int_equal(token_name_check("a\x7f", 2), TREASURY_ERR_TOKEN_NAME);
	assert_int_equal(token_name_check("caf\xc3\xa9", 5),
	    TREASURY_ERR_TOKEN_NAME);
}

static void
test_token_generate(void **state)
{
	char a[TOKEN_TEXT_BYTES + 1], b[TOKEN_TEXT_BYTES + 1];
	size_t i;

	(void)state;
	token_generate(a);
	token_generate(b);
	assert_int_equal(strlen(a), TOKEN_TEXT_BYTES);
	assert_int_equal(strlen(a), 68);
	assert_memory_equal(a, "trd_", 4);
	for (i = 4; i < TOKEN_TEXT_BYTES; i++)
		assert_true((a[i] >= '0' && a[i] <= '9') ||
		    (a[i] >= 'a' && a[i] <= 'f'));
	assert_string_not_equal(a, b);
}

static void
test_token_hash(void **state)
{
	uint8_t key1[TOKEN_HASH_KEY_BYTES], key2[TOKEN_HASH_KEY_BYTES];
	uint8_t h1[TOKEN_HASH_BYTES], h2[TOKEN_HASH_BYTES];
	uint8_t h3[TOKEN_HASH_BYTES], h4[TOKEN_HASH_BYTES];
	const char *tok = "trd_00112233445566778899aabbccddeeff"
	    "00112233445566778899aabbccddeeff";
	const char *tok2 = "trd_00112233445566778899aabbccddeeff"
	    "00112233445566778899aabbccddeefe";

	(void)state;
	memset(key1, 0x11, sizeof(key1));
	memset(key2, 0x11, sizeof(key2));
	key2[31] = 0x12;
	token_hash(h1, key1, tok, strlen(tok));
	token_hash(h2, key1, tok, strlen(tok));
	assert_memory_equal(h1, h2, sizeof(h1));		/* deterministic */
	token_hash(h3, key2, tok, strlen(tok));
	assert_memory_not_equal(h1, h3, sizeof(h1));	/* keyed */
	token_hash(h4, key1, tok2, strlen(tok2));
	assert_memory_not_equal(h1, h4, sizeof(h1));	/* text matters */
	token_hash(h4, key1, tok, strlen(tok) - 1);
	assert_memory_not_equal(h1, h4, sizeof(h1));	/* length matters */
	token_hash(h4, key1, "", 0);			/* any text hashes */
	assert_memory_not_equal(h1, h4, sizeof(h1));
}

static void
test_token_hash_known(void **state)
{
	/* BLAKE2b-256 keyed with 32 zero bytes over "abc", computed with
	 * Python hashlib.blake2b(b"abc", digest_size=32, key=bytes(32)). */
	static const uint8_t want[TOKEN_HASH_BYTES] = {
		0xba, 0xd7, 0x05, 0xff, 0x15, 0x5a, 0xf6, 0x31,
		0xf3, 0x8d, 0xc6, 0xca, 0xfd, 0xda, 0x82, 0x7a,
		0x31, 0x59, 0x5c, 0x80, 0x2f, 0x3f, 0xf5, 0x85,
		0xc1, 0x06, 0x91, 0xc5, 0x89, 0x44, 0xd8, 0x9b,
	};
	uint8_t key[TOKEN_HASH_KEY_BYTES] = { 0 };
	uint8_t h[TOKEN_HASH_BYTES];

	(void)state;
	token_hash(h, key, "abc", 3);
	assert_memory_equal(h, want, sizeof(h));
}

static int
setup(void **state)
{
	(void)state;
	return treasury_crypto_init() == TREASURY_OK ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roles_parse),
		cmocka_unit_test(test_roles_parse_length_bound),
		cmocka_unit_test(test_roles_parse_errors),
		cmocka_unit_test(test_roles_format),
		cmocka_unit_test(test_token_name_check),
		cmocka_unit_test(test_token_generate),
		cmocka_unit_test(test_token_hash),
		cmocka_unit_test(test_token_hash_known),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
