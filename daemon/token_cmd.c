/*
 * token_cmd.c: `treasuryd token create|list|revoke`, the operator's way to
 * manage API tokens. Works while the daemon runs (SQLite WAL and the busy
 * timeout serialise the writes). A new token is printed once, alone on
 * standard output; only its keyed hash is stored. A token can be bound to
 * a TLS client certificate (--client-cert-sha256, at creation or with
 * `token bind`): the daemon then accepts it only on a connection that
 * presented that certificate (docs/operations.md "Remote signers").
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "treasury/auth.h"
#include "treasury/clock.h"
#include "treasury/crypto_init.h"
#include "treasury/hex.h"
#include "treasury/log.h"

#include "daemon.h"

struct token_args {
	const char *db_path;
	const char *name;
	const char *roles;
	const char *cert_sha256;	/* --client-cert-sha256 HEX */
};

enum { CERT_SHA256_TEXT_MAX_BYTES = 128 };	/* 32 bytes "AB:" each */

static void
token_usage(void)
{
	fprintf(stderr,
	    "usage: treasuryd token create --db PATH --role ROLE[,ROLE...] --name NAME\n"
	    "                              [--client-cert-sha256 HEX]\n"
	    "       treasuryd token list [--db PATH]\n"
	    "       treasuryd token revoke --db PATH --name NAME\n"
	    "       treasuryd token bind --db PATH --name NAME --client-cert-sha256 HEX\n"
	    "       treasuryd token unbind --db PATH --name NAME\n"
	    "roles: admin, treasurer, signer, viewer\n"
	    "HEX: SHA-256 of the client certificate's DER, 64 hex digits, colons\n"
	    "allowed (openssl x509 -in client.pem -noout -fingerprint -sha256)\n");
}

static int
token_args_parse(int argc, char *argv[], struct token_args *a)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "name", required_argument, NULL, 'n' },
		{ "role", required_argument, NULL, 'r' },
		{ "client-cert-sha256", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	a->db_path = "./var/treasury.db";
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd': a->db_path = optarg; break;
		case 'n': a->name = optarg; break;
		case 'r': a->roles = optarg; break;
		case 'C': a->cert_sha256 = optarg; break;
		default: return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

/* A certificate fingerprint: 64 hex digits, either case, with or without
 * a colon between bytes (as openssl prints it). Returns 0 or -1 (logged). */
static int
cert_sha256_parse(const char *text, uint8_t out[CLIENT_CERT_SHA256_BYTES])
{
	char digits[2 * CLIENT_CERT_SHA256_BYTES];
	size_t n = 0, len = strnlen(text, CERT_SHA256_TEXT_MAX_BYTES + 1);

	for (size_t i = 0; i < len && len <= CERT_SHA256_TEXT_MAX_BYTES; i++) {
		if (text[i] == ':')
			continue;
		if (n == sizeof(digits)) {
			n++;		/* too many: refused below */
			break;
		}
		digits[n++] = text[i];
	}
	if (n != sizeof(digits) ||
	    hex_decode(out, CLIENT_CERT_SHA256_BYTES, digits, n) != TREASURY_OK) {
		log_msg(LOG_ERR, "--client-cert-sha256: expected the SHA-256 of "
		    "the certificate, 64 hex digits (colons allowed)");
		return -1;
	}
	return 0;
}

static int
token_bind(struct store *s, const struct token_args *a, bool bind)
{
	uint8_t sha256[CLIENT_CERT_SHA256_BYTES];
	treasury_err err;

	if (a->name == NULL || (bind != (a->cert_sha256 != NULL))) {
		token_usage();
		return 2;
	}
	if (bind && cert_sha256_parse(a->cert_sha256, sha256) != 0)
		return 2;
	err = store_token_bind(s, a->name, bind ? sha256 : NULL);
	if (err == TREASURY_ERR_NOT_FOUND) {
		log_msg(LOG_ERR, "no token named '%s'", a->name);
		return 1;
	}
	if (err != TREASURY_OK) {
		log_msg(LOG_ERR, "cannot %s: %s", bind ? "bind" : "unbind",
		    treasury_err_text(err));
		return 1;
	}
	fprintf(stderr, bind ? "token '%s' is bound to the client certificate; "
	    "it is accepted only over TLS with that certificate\n" :
	    "token '%s' is no longer bound to a client certificate\n",
	    a->name);
	return 0;
}

static int
token_create(struct store *s, const struct token_args *a)
{
	char token[TOKEN_TEXT_BYTES + 1];
	uint8_t key[TOKEN_HASH_KEY_BYTES], hash[TOKEN_HASH_BYTES];
	uint8_t cert[CLIENT_CERT_SHA256_BYTES];
	char roles_text[ROLES_TEXT_MAX_BYTES];
	unsigned roles;
	treasury_err err;

	if (a->name == NULL || a->roles == NULL) {
		token_usage();
		return 2;
	}
	if (token_name_check(a->name, strlen(a->name)) != TREASURY_OK) {
		log_msg(LOG_ERR, "token name must be 1..%d printable ASCII "
		    "characters without spaces", TOKEN_NAME_MAX_BYTES);
		return 2;
	}
	if (roles_parse(a->roles, strlen(a->roles), &roles) != TREASURY_OK) {
		log_msg(LOG_ERR, "unknown role in '%s' (admin, treasurer, "
		    "signer, viewer)", a->roles);
		return 2;
	}
	if (a->cert_sha256 != NULL && cert_sha256_parse(a->cert_sha256,
	    cert) != 0)
		return 2;
	token_generate(token);
	store_token_hash_key(s, key);
	token_hash(hash, key, token, strlen(token));
	/* created bound, in one transaction: it never exists unbound */
	err = store_token_create(s, a->name, roles, hash, a->cert_sha256 !=
	    NULL ? cert : NULL, clock_wall_s());
	sodium_memzero(key, sizeof(key));
	if (err == TREASURY_ERR_CONFLICT) {
		log_msg(LOG_ERR, "a token named '%s' already exists", a->name);
		sodium_memzero(token, sizeof(token));
		return 1;
	}
	if (err != TREASURY_OK) {
		log_msg(LOG_ERR, "cannot store token: %s", treasury_err_text(err));
		sodium_memzero(token, sizeof(token));
		return 1;
	}
	roles_format(roles, roles_text);
	fprintf(stderr, "created token '%s' with roles %s%s; it is shown "
	    "once:\n", a->name, roles_text, a->cert_sha256 != NULL ?
	    ", bound to the client certificate" : "");
	printf("%s\n", token);
	sodium_memzero(token, sizeof(token));
	return fflush(stdout) == 0 ? 0 : 1;
}

static int
token_print(const struct token_info *t, void *ctx)
{
	char roles_text[ROLES_TEXT_MAX_BYTES];
	char cert[2 * CLIENT_CERT_SHA256_BYTES + 1] = "-";

	(void)ctx;
	roles_format(t->roles, roles_text);
	if (t->cert_bound)
		hex_encode(cert, t->cert_sha256, sizeof(t->cert_sha256));
	printf("%-6lld %-24s %-32s %-11lld %s\n", (long long)t->id, t->name,
	    roles_text, (long long)t->created_s, cert);
	return 0;
}

static int
token_list(struct store *s)
{
	printf("%-6s %-24s %-32s %-11s %s\n", "ID", "NAME", "ROLES", "CREATED",
	    "CLIENT-CERT-SHA256");
	if (store_token_list(s, token_print, NULL) != TREASURY_OK) {
		log_msg(LOG_ERR, "cannot list tokens");
		return 1;
	}
	return 0;
}

static int
token_revoke(struct store *s, const struct token_args *a)
{
	treasury_err err;

	if (a->name == NULL) {
		token_usage();
		return 2;
	}
	err = store_token_revoke(s, a->name);
	if (err == TREASURY_ERR_NOT_FOUND) {
		log_msg(LOG_ERR, "no token named '%s'", a->name);
		return 1;
	}
	if (err != TREASURY_OK) {
		log_msg(LOG_ERR, "cannot revoke: %s", treasury_err_text(err));
		return 1;
	}
	fprintf(stderr, "revoked token '%s'\n", a->name);
	return 0;
}

int
token_command(int argc, char *argv[])
{
	char errmsg[STORE_ERRMSG_BYTES];
	struct token_args a = { 0 };
	struct store *s = NULL;
	const char *verb;
	int rc;

	if (argc < 2) {
		token_usage();
		return 2;
	}
	verb = argv[1];
	if (token_args_parse(argc - 1, argv + 1, &a) != 0) {
		token_usage();
		return 2;
	}
	if (strcmp(verb, "create") != 0 && strcmp(verb, "list") != 0 &&
	    strcmp(verb, "revoke") != 0 && strcmp(verb, "bind") != 0 &&
	    strcmp(verb, "unbind") != 0) {
		token_usage();
		return 2;
	}
	if (treasury_crypto_init() != TREASURY_OK)
		fatalx("libsodium initialisation failed");
	if (store_open(a.db_path, STORE_READ_WRITE_CREATE, &s, errmsg) !=
	    TREASURY_OK) {
		log_msg(LOG_ERR, "%s", errmsg);
		return 1;
	}
	if (strcmp(verb, "create") == 0)
		rc = token_create(s, &a);
	else if (strcmp(verb, "list") == 0)
		rc = token_list(s);
	else if (strcmp(verb, "bind") == 0 || strcmp(verb, "unbind") == 0)
		rc = token_bind(s, &a, strcmp(verb, "bind") == 0);
	else
		rc = token_revoke(s, &a);
	store_close(s);
	return rc;
}
