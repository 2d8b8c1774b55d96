/*
 * keys.c: treasuryctl key new|import|show|export-public, and loading the
 * keystore for signing.
 *
 * The keystore file (default ~/.config/treasuryctl/keystore) holds one
 * signer's secret key sealed with a passphrase (include/treasury/keystore.h).
 * It is created mode 0600 with O_EXCL (or replaced atomically with
 * --force) and refused when group or others may read or write it. A new
 * keystore's KDF level is moderate unless --kdf or TREASURYCTL_KDF says
 * otherwise; its passphrase must be PASSPHRASE_MIN_BYTES long, and a weak
 * one is warned about (passphrase_strength_check).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "ctl.h"
#include "treasury/hex.h"

static int
err_exit(treasury_err err)
{
	if (err == TREASURY_ERR_PASSPHRASE) {
		ctl_err("cannot open the keystore: wrong passphrase, or the "
		    "file was altered");
		return CTL_PASSPHRASE;
	}
	ctl_err("keystore: %s", treasury_err_text(err));
	return CTL_ERROR;
}

int
keystore_load_info(struct ctl *c, struct keystore_info *info)
{
	char *text = NULL;
	size_t len;
	treasury_err err;
	int rc;

	rc = file_read_all(c->keystore_path, KEYSTORE_TEXT_MAX_BYTES, true,
	    &text, &len);
	if (rc != CTL_OK)
		return rc;
	err = keystore_parse(text, len, info);
	free(text);
	if (err != TREASURY_OK) {
		ctl_err("%s: not a treasuryctl keystore", c->keystore_path);
		return CTL_ERROR;
	}
	return CTL_OK;
}

int
keystore_unlock(struct ctl *c, struct keystore_info *info, uint8_t **secret)
{
	char *text = NULL, *pass = NULL;
	size_t len, pass_len;
	treasury_err err;
	int rc;

	*secret = NULL;
	rc = file_read_all(c->keystore_path, KEYSTORE_TEXT_MAX_BYTES, true,
	    &text, &len);
	if (rc != CTL_OK)
		return rc;
	rc = passphrase_read(c, "Keystore passphrase: ", false, &pass,
	    &pass_len);
	if (rc != CTL_OK)
		goto done;
	*secret = sodium_malloc(SECRET_KEY_BYTES);
	if (*secret == NULL) {
		rc = err_exit(TREASURY_ERR_NOMEM);
		goto done;
	}
	err = keystore_open(text, len, pass, pass_len, *secret, info);
	if (err != TREASURY_OK) {
		rc = err_exit(err);
		sodium_free(*secret);
		*secret = NULL;
	}
done:
	sodium_free(pass);
	free(text);
	return rc;
}

/* Write the sealed keystore text mode 0600; replace an existing one only
 * with --force. */
static int
keystore_write(struct ctl *c, const char *text, size_t len)
{
	return file_write_private(c->keystore_path, text, len, c->o.force);
}

static void
key_print(struct ctl *c, const struct keystore_info *info)
{
	json_t *j;

	if (!c->o.json) {
		printf("keystore  %s\nsigner    %s\nkey type  %s\npubkey    "
		    "%s\nkdf       argon2id, ops %llu, memory %zu MiB\n",
		    c->keystore_path, info->name, key_type_name(info->key.type),
		    info->pubkey_hex, info->opslimit, info->memlimit >> 20);
		return;
	}
	j = json_pack("{s:s, s:s, s:s, s:s}", "keystore", c->keystore_path,
	    "name", info->name, "key_type", key_type_name(info->key.type),
	    "pubkey", info->pubkey_hex);
	json_print(j);
	json_decref(j);
}

/* The secret of `key import`: 64 hex from --secret-fd or the terminal. */
static int
secret_import_read(struct ctl *c, uint8_t *secret)
{
	char *hex = NULL;
	size_t len;
	int rc;

	if (c->o.secret_fd >= 0)
		rc = secret_line_read(c->o.secret_fd, 2 * SECRET_KEY_BYTES + 2,
		    &hex, &len);
	else {
		struct ctl_opts saved = c->o;

		/* reuse the hidden terminal prompt */
		c->o.passphrase_fd = -1;
		rc = passphrase_read(c, "Secret key (64 hex): ", false, &hex,
		    &len);
		c->o = saved;
	}
	if (rc != CTL_OK)
		return rc;
	if (hex_decode(secret, SECRET_KEY_BYTES, hex, len) != TREASURY_OK) {
		ctl_err("the secret key must be 64 hex digits");
		rc = CTL_USAGE;
	}
	sodium_free(hex);
	return rc;
}

static int
key_create(struct ctl *c, bool import)
{
	enum key_type type;
	enum keystore_kdf_level level = KDF_MODERATE;
	struct keystore_info info;
	struct textbuf b;
	uint8_t *secret = NULL;
	char *pass = NULL;
	size_t pass_len;
	const char *kdf = c->o.kdf ? c->o.kdf : getenv("TREASURYCTL_KDF");
	treasury_err err;
	int rc = CTL_USAGE;

	textbuf_init(&b, KEYSTORE_TEXT_MAX_BYTES);
	if (c->o.key_type == NULL || key_type_parse(c->o.key_type,
	    strlen(c->o.key_type), &type) != TREASURY_OK) {
		ctl_err("--type must be ecdsa or schnorr");
		goto done;
	}
	if (c->o.name == NULL || signer_name_check(c->o.name,
	    strlen(c->o.name)) != TREASURY_OK) {
		ctl_err("--name must be a signer name [a-z0-9][a-z0-9_-]{0,31}");
		goto done;
	}
	if (kdf != NULL && *kdf != '\0' &&
	    keystore_kdf_level_parse(kdf, &level) != TREASURY_OK) {
		ctl_err("--kdf must be interactive, moderate or sensitive");
		goto done;
	}
	if (!c->o.force && access(c->keystore_path, F_OK) == 0) {
		ctl_err("%s exists (use --force to replace it)",
		    c->keystore_path);
		rc = CTL_ERROR;
		goto done;
	}
	rc = CTL_ERROR;
	secret = sodium_malloc(SECRET_KEY_BYTES);
	if (secret == NULL)
		goto done;
	if (import)
		rc = secret_import_read(c, secret);
	else {
		secret_key_generate(secret);
		rc = CTL_OK;
	}
	if (rc == CTL_OK)
		rc = passphrase_read(c, "New keystore passphrase: ", true,
		    &pass, &pass_len);
	if (rc == CTL_OK)
		rc = passphrase_strength_check(pass, pass_len);
	if (rc != CTL_OK)
		goto done;
	err = keystore_seal(&b, c->o.name, type, secret, pass, pass_len, level);
	if (err != TREASURY_OK) {
		rc = CTL_ERROR;
		ctl_err("cannot seal the key: %s", err == TREASURY_ERR_PUBKEY ?
		    "not a valid secp256k1 secret key" :
		    err == TREASURY_ERR_TOO_LARGE ?
		    "the passphrase is too long" :
		    treasury_err_text(err));
		goto done;
	}
	rc = keystore_write(c, b.data, b.len);
	if (rc == CTL_OK && keystore_parse(b.data, b.len, &info) == TREASURY_OK)
		key_print(c, &info);
done:
	sodium_free(secret);
	sodium_free(pass);
	textbuf_free(&b);
	return rc;
}

int
cmd_key_export_public(struct ctl *c)
{
	struct keystore_info info;
	json_t *j;
	int rc;

	rc = keystore_load_info(c, &info);
	if (rc != CTL_OK)
		return rc;
	j = json_pack("{s:s, s:s, s:s}", "name", info.name, "key_type",
	    key_type_name(info.key.type), "pubkey", info.pubkey_hex);
	json_print(j);
	json_decref(j);
	return CTL_OK;
}

int
cmd_key_new(struct ctl *c)
{
	return key_create(c, false);
}

int
cmd_key_import(struct ctl *c)
{
	return key_create(c, true);
}

int
cmd_key_show(struct ctl *c)
{
	struct keystore_info info;
	int rc;

	rc = keystore_load_info(c, &info);
	if (rc == CTL_OK)
		key_print(c, &info);
	return rc;
}
