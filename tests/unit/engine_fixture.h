/*
 * engine_fixture.h: the fixture shared by the unit tests of the engine
 * (test_engine.c, test_engine_more.c, test_backup_check.c). Static
 * functions: each test program that includes it gets its own copy (and
 * FIXTURE_UNUSED keeps -Wunused quiet where a program calls a helper not).
 *
 * fixture_open makes a fresh database in a mkdtemp directory under /tmp,
 * opens it read-write (admin: tokens) and, if asked, read-only (reader:
 * queries), starts the writer (driven with writer_submit) and makes the
 * verifier and a secp256k1 context. The KEYS secret keys are TEST ONLY:
 * key i is 32 bytes of i + 1. teardown stops it all and removes the
 * directory.
 */
#ifndef TREASURY_ENGINE_FIXTURE_H
#define TREASURY_ENGINE_FIXTURE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>

#include "treasury/crypto_init.h"
#include "treasury/command.h"
#include "treasury/queries.h"
#include "treasury/records.h"
#include "treasury/writer.h"

#define FIXTURE_UNUSED __attribute__((unused))

#define NOW ((int64_t)1800000000)	/* 2027-01-15T08:00:00Z */
#define HOUR ((int64_t)3600)

enum { KEYS = 6 };

struct ctx {
	char dir[64];
	char db[128];
	char dst[128];			/* dir/copy.db: a backup's path */
	struct store *admin;		/* read-write: tokens */
	struct store *reader;		/* read-only: queries (or NULL) */
	struct writer *w;
	treasury_verifier *v;
	secp256k1_context *secp;
	uint8_t secret[KEYS][32];
	int64_t token_a;		/* proposes */
	int64_t token_b;		/* another signer's token */
	uint64_t version;		/* config version of acts */
};

/* ---- fixture ---- */

/* A fresh fixture in /tmp/treasury-test-<name>-XXXXXX; with_reader: open
 * the read-only store too. */
static FIXTURE_UNUSED struct ctx *
fixture_open(const char *name, bool with_reader)
{
	struct ctx *c = calloc(1, sizeof(*c));
	char errmsg[STORE_ERRMSG_BYTES];
	int i;

	assert_non_null(c);
	assert_int_equal(treasury_crypto_init(), TREASURY_OK);
	snprintf(c->dir, sizeof(c->dir), "/tmp/treasury-test-%s-XXXXXX", name);
	assert_non_null(mkdtemp(c->dir));
	snprintf(c->db, sizeof(c->db), "%s/t.db", c->dir);
	snprintf(c->dst, sizeof(c->dst), "%s/copy.db", c->dir);
	assert_int_equal(store_open(c->db, STORE_READ_WRITE_CREATE, &c->admin,
	    errmsg), TREASURY_OK);
	if (with_reader)
		assert_int_equal(store_open(c->db, STORE_READ_ONLY, &c->reader,
		    errmsg), TREASURY_OK);
	c->v = treasury_verifier_create();
	assert_non_null(c->v);
	assert_int_equal(writer_start(c->db, c->v, &c->w, errmsg), TREASURY_OK);
	c->secp = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
	assert_non_null(c->secp);
	for (i = 0; i < KEYS; i++)
		memset(c->secret[i], i + 1, 32);	/* TEST ONLY keys */
	c->version = 1;
	return c;
}

/* Stop the writer and close the stores (again: nothing). */
static FIXTURE_UNUSED void
fixture_close(struct ctx *c)
{
	if (c->w != NULL)
		writer_stop(c->w);
	c->w = NULL;
	if (c->reader != NULL)
		store_close(c->reader);
	c->reader = NULL;
	if (c->admin != NULL)
		store_close(c->admin);
	c->admin = NULL;
}

static FIXTURE_UNUSED int
teardown(void **state)
{
	struct ctx *c = *state;
	struct dirent *e;
	DIR *d;

	fixture_close(c);
	treasury_verifier_destroy(c->v);
	secp256k1_context_destroy(c->secp);
	d = opendir(c->dir);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	assert_int_equal(rmdir(c->dir), 0);
	free(c);
	return 0;
}

/* A signer token `name` with this hash, inserted by admin; its id. */
static FIXTURE_UNUSED int64_t
fixture_token(struct ctx *c, const char *name,
    const uint8_t hash[TOKEN_HASH_BYTES])
{
	struct token_info info;

	assert_int_equal(store_token_insert(c->admin, name, ROLE_SIGNER, hash,
	    NOW), TREASURY_OK);
	assert_int_equal(store_token_find(c->admin, hash, &info), TREASURY_OK);
	return info.id;
}

/* ---- keys and signatures ---- */

static FIXTURE_UNUSED struct signer_key
key_of(struct ctx *c, int i, enum key_type type)
{
	secp256k1_pubkey pub;
	secp256k1_keypair kp;
	secp256k1_xonly_pubkey xonly;
	uint8_t bytes[33];
	size_t len = sizeof(bytes);
	struct signer_key k;

	if (type == KEY_ECDSA) {
		assert_int_equal(secp256k1_ec_pubkey_create(c->secp, &pub,
		    c->secret[i]), 1);
		assert_int_equal(secp256k1_ec_pubkey_serialize(c->secp, bytes,
		    &len, &pub, SECP256K1_EC_COMPRESSED), 1);
	} else {
		assert_int_equal(secp256k1_keypair_create(c->secp, &kp,
		    c->secret[i]), 1);
		assert_int_equal(secp256k1_keypair_xonly_pub(c->secp, &xonly,
		    NULL, &kp), 1);
		assert_int_equal(secp256k1_xonly_pubkey_serialize(c->secp, bytes,
		    &xonly), 1);
		len = 32;
	}
	assert_int_equal(signer_key_parse(c->v, type, bytes, len, &k),
	    TREASURY_OK);
	return k;
}

/* Sign digest with key (i, type); 64 bytes into sig, checked with
 * vote_signature_verify. */
static FIXTURE_UNUSED size_t
sign_digest(struct ctx *c, int i, enum key_type type,
    const uint8_t digest[DIGEST_BYTES], uint8_t sig[64])
{
	secp256k1_ecdsa_signature es;
	secp256k1_keypair kp;
	uint8_t aux[32] = { 0 };
	struct signer_key k = key_of(c, i, type);

	if (type == KEY_ECDSA) {
		assert_int_equal(secp256k1_ecdsa_sign(c->secp, &es, digest,
		    c->secret[i], NULL, NULL), 1);
		assert_int_equal(secp256k1_ecdsa_signature_serialize_compact(
		    c->secp, sig, &es), 1);
	} else {
		assert_int_equal(secp256k1_keypair_create(c->secp, &kp,
		    c->secret[i]), 1);
		assert_int_equal(secp256k1_schnorrsig_sign32(c->secp, sig, digest,
		    &kp, aux), 1);
	}
	assert_int_equal(vote_signature_verify(c->v, &k, digest, sig, 64),
	    TREASURY_OK);
	return 64;
}

/* ---- commands ---- */

static FIXTURE_UNUSED treasury_err
submit(struct ctx *c, struct command *cmd)
{
	return writer_submit(c->w, cmd);
}

/* Asset `code` on ethereum. */
static FIXTURE_UNUSED treasury_err
asset_create(struct ctx *c, const char *code, unsigned decimals)
{
	struct command cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_ASSET_CREATE;
	cmd.now_s = NOW;
	snprintf(cmd.in.asset_create.code, sizeof(cmd.in.asset_create.code),
	    "%s", code);
	cmd.in.asset_create.decimals = decimals;
	snprintf(cmd.in.asset_create.chain, sizeof(cmd.in.asset_create.chain),
	    "ethereum");
	return submit(c, &cmd);
}

/* Fill cmd with a deposit of `amount` minor units of asset into treasury
 * t, with reference ref (no source, no memo). */
static FIXTURE_UNUSED void
deposit_fill(struct command *cmd, const char *t, const char *asset,
    amount_minor amount, const char *ref)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->type = CMD_DEPOSIT;
	cmd->now_s = NOW;
	snprintf(cmd->in.deposit.treasury, sizeof(cmd->in.deposit.treasury),
	    "%s", t);
	snprintf(cmd->in.deposit.asset, sizeof(cmd->in.deposit.asset), "%s",
	    asset);
	cmd->in.deposit.amount = amount;
	snprintf(cmd->in.deposit.reference, sizeof(cmd->in.deposit.reference),
	    "%s", ref);
}

static FIXTURE_UNUSED treasury_err
deposit_plain(struct ctx *c, const char *t, const char *asset,
    amount_minor amount, const char *ref)
{
	struct command cmd;

	deposit_fill(&cmd, t, asset, amount, ref);
	return submit(c, &cmd);
}

struct signer_spec {
	const char *name;
	int key;
	enum key_type type;
};

static FIXTURE_UNUSED const struct signer_spec abc[] = {
	{ "alice", 0, KEY_ECDSA },
	{ "bob", 1, KEY_SCHNORR },
	{ "carol", 2, KEY_ECDSA },
};

/* Treasury `id` ("Treasury <id>"), m of the n signers sg, with policy p
 * (NULL: none). */
static FIXTURE_UNUSED treasury_err
treasury_create_policy(struct ctx *c, const char *id, unsigned m,
    const struct signer_spec *sg, unsigned n, struct treasury_policy *p)
{
	struct command *cmd = calloc(1, sizeof(*cmd));
	struct treasury *t;
	treasury_err err;
	unsigned i;

	assert_non_null(cmd);
	t = &cmd->in.treasury_create;
	cmd->type = CMD_TREASURY_CREATE;
	cmd->now_s = NOW;
	cmd->policy = p;
	snprintf(t->id, sizeof(t->id), "%s", id);
	snprintf(t->name, sizeof(t->name), "Treasury %s", id);
	t->threshold = m;
	t->signer_count = n;
	for (i = 0; i < n; i++) {
		snprintf(t->signers[i].name, sizeof(t->signers[i].name), "%s",
		    sg[i].name);
		t->signers[i].key = key_of(c, sg[i].key, sg[i].type);
	}
	err = submit(c, cmd);
	free(cmd);
	return err;
}

static FIXTURE_UNUSED treasury_err
treasury_create(struct ctx *c, const char *id, unsigned m,
    const struct signer_spec *sg, unsigned n)
{
	return treasury_create_policy(c, id, m, sg, n, NULL);
}

static FIXTURE_UNUSED struct proposal_fields *
fields_new(enum proposal_kind kind, const char *t, int64_t expires_s)
{
	struct proposal_fields *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->kind = kind;
	snprintf(f->treasury, sizeof(f->treasury), "%s", t);
	f->expires_s = expires_s;
	return f;
}

#endif /* TREASURY_ENGINE_FIXTURE_H */
