/*
 * test_proposal.c: unit tests of core/proposal.c, the canonical text of
 * every proposal kind (docs/signing.md) and its strict decoder.
 *
 * Each kind is encoded from fields and compared with its expected text,
 * written out literally below; these texts are also the worked examples of
 * docs/signing.md, so the documented proposal ids and approve digests are
 * checked here too. The decoder is fed every prefix of every text and
 * every single-byte mutation of it: each must be refused or decode to
 * fields that encode to exactly the mutated text. struct proposal_fields
 * is ~30 KB, so it is always on the heap.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "treasury/canonical.h"
#include "treasury/crypto_init.h"
#include "treasury/hash.h"
#include "treasury/hex.h"
#include "treasury/proposal.h"
#include "treasury/sig.h"

#include "test_util.h"

#define EXPIRES_S (1798675200LL)	/* 2026-12-31T00:00:00Z */
#define DAVE_ECDSA "02531fe6068134503d2723133227c867ac8fa6c83c537e9a44c3c5bdbdcb1fe337"
#define BOB_SCHNORR "4d4b6cd1361032ca9bd2aeb9d900aa4d45d9ead80ac9423374c451a7254d0766"

static treasury_verifier *verifier;

/* ---- the expected texts (docs/signing.md, worked examples) ---- */

static const char text_transfer[] =
    "treasuryd proposal v1\n"
    "instance: 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
    "treasury: grants\n"
    "config: 1\n"
    "kind: transfer\n"
    "nonce: 1\n"
    "expires: 2026-12-31T00:00:00Z\n"
    "asset: USDC\n"
    "amount: 1500.000000\n"
    "to: 0x742d35Cc6634C0532925a3b844Bc454e4438f44e\n"
    "memo: Q4 grants \xe2\x80\x94 caf\xc3\xa9\n";

static const char text_batch[] =
    "treasuryd proposal v1\n"
    "instance: 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
    "treasury: grants\n"
    "config: 1\n"
    "kind: batch\n"
    "nonce: 2\n"
    "expires: 2026-12-31T00:00:00Z\n"
    "transfers: 2\n"
    "transfer.1.asset: USDC\n"
    "transfer.1.amount: 250.500000\n"
    "transfer.1.to: 0x742d35Cc6634C0532925a3b844Bc454e4438f44e\n"
    "transfer.1.memo: March stipend\n"
    "transfer.2.asset: BTC\n"
    "transfer.2.amount: 0.00012345\n"
    "transfer.2.to: bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq\n"
    "transfer.2.memo: \n"
    "memo: Q1 grants payout\n";

static const char text_add_signer[] =
    "treasuryd proposal v1\n"
    "instance: 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
    "treasury: grants\n"
    "config: 1\n"
    "kind: add-signer\n"
    "nonce: 3\n"
    "expires: 2026-12-31T00:00:00Z\n"
    "signer: dave\n"
    "key_type: ecdsa\n"
    "pubkey: " DAVE_ECDSA "\n"
    "threshold: 3\n"
    "signers: 4\n"
    "memo: dave joins; 3 of 4 from now on\n";

static const char text_remove_signer[] =
    "treasuryd proposal v1\n"
    "instance: 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
    "treasury: grants\n"
    "config: 2\n"
    "kind: remove-signer\n"
    "nonce: 4\n"
    "expires: 2026-12-31T00:00:00Z\n"
    "signer: carol\n"
    "threshold: 2\n"
    "signers: 3\n"
    "memo: \n";

static const char text_replace_signer[] =
    "treasuryd proposal v1\n"
    "instance: 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
    "treasury: grants\n"
    "config: 3\n"
    "kind: replace-signer\n"
    "nonce: 5\n"
    "expires: 2026-12-31T00:00:00Z\n"
    "signer: bob\n"
    "key_type: schnorr\n"
    "pubkey: " BOB_SCHNORR "\n"
    "memo: bob's new hardware key\n";

static const char text_set_threshold[] =
    "treasuryd proposal v1\n"
    "instance: 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
    "treasury: grants\n"
    "config: 4\n"
    "kind: set-threshold\n"
    "nonce: 6\n"
    "expires: 2026-12-31T00:00:00Z\n"
    "threshold: 3\n"
    "signers: 3\n"
    "memo: all three must approve\n";

/* ---- fixtures ---- */

static struct proposal_fields *
fields_new(enum proposal_kind kind, uint64_t config, uint64_t nonce)
{
	struct proposal_fields *p = calloc(1, sizeof(*p));
	size_t i;

	assert_non_null(p);
	for (i = 0; i < INSTANCE_ID_BYTES; i++)
		p->instance[i] = (uint8_t)i;
	snprintf(p->treasury, sizeof(p->treasury), "grants");
	p->config_version = config;
	p->kind = kind;
	p->nonce = nonce;
	p->expires_s = EXPIRES_S;
	return p;
}

static void
transfer_set(struct transfer_fields *t, const char *asset, unsigned decimals,
    amount_minor amount, const char *to, const char *memo)
{
	snprintf(t->asset, sizeof(t->asset), "%s", asset);
	t->decimals = decimals;
	t->amount = amount;
	snprintf(t->to, sizeof(t->to), "%s", to);
	snprintf(t->memo, sizeof(t->memo), "%s", memo);
}

static void
key_set(struct signer_key *key, enum key_type type, const char *hex)
{
	assert_int_equal(signer_key_parse_hex(verifier, type, hex, strlen(hex),
	    key), TREASURY_OK);
}

static struct proposal_fields *
fixture_transfer(void)
{
	struct proposal_fields *p = fields_new(KIND_TRANSFER, 1, 1);

	p->transfer_count = 1;
	transfer_set(&p->transfers[0], "USDC", 6, 1500000000,
	    "0x742d35Cc6634C0532925a3b844Bc454e4438f44e",
	    "Q4 grants \xe2\x80\x94 caf\xc3\xa9");
	return p;
}

static struct proposal_fields *
fixture_batch(void)
{
	struct proposal_fields *p = fields_new(KIND_BATCH, 1, 2);

	p->transfer_count = 2;
	transfer_set(&p->transfers[0], "USDC", 6, 250500000,
	    "0x742d35Cc6634C0532925a3b844Bc454e4438f44e", "March stipend");
	transfer_set(&p->transfers[1], "BTC", 8, 12345,
	    "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "");
	snprintf(p->memo, sizeof(p->memo), "Q1 grants payout");
	return p;
}

static struct proposal_fields *
fixture_add_signer(void)
{
	struct proposal_fields *p = fields_new(KIND_ADD_SIGNER, 1, 3);

	snprintf(p->signer, sizeof(p->signer), "dave");
	key_set(&p->key, KEY_ECDSA, DAVE_ECDSA);
	p->threshold_after = 3;
	p->signers_after = 4;
	snprintf(p->memo, sizeof(p->memo), "dave joins; 3 of 4 from now on");
	return p;
}

static struct proposal_fields *
fixture_remove_signer(void)
{
	struct proposal_fields *p = fields_new(KIND_REMOVE_SIGNER, 2, 4);

	snprintf(p->signer, sizeof(p->signer), "carol");
	p->threshold_after = 2;
	p->signers_after = 3;
	return p;
}

static struct proposal_fields *
fixture_replace_signer(void)
{
	struct proposal_fields *p = fields_new(KIND_REPLACE_SIGNER, 3, 5);

	snprintf(p->signer, sizeof(p->signer), "bob");
	key_set(&p->key, KEY_SCHNORR, BOB_SCHNORR);
	snprintf(p->memo, sizeof(p->memo), "bob's new hardware key");
	return p;
}

static struct proposal_fields *
fixture_set_threshold(void)
{
	struct proposal_fields *p = fields_new(KIND_SET_THRESHOLD, 4, 6);

	p->threshold_after = 3;
	p->signers_after = 3;
	snprintf(p->memo, sizeof(p->memo), "all three must approve");
	return p;
}

/* One documented example per kind. */
static const struct example {
	const char *name;
	enum proposal_kind kind;
	struct proposal_fields *(*fixture)(void);
	const char *text;
	const char *id_hex;
	const char *approve_hex;
} examples[] = {
	{ "transfer", KIND_TRANSFER, fixture_transfer, text_transfer,
	  "b54d7b87200029e8dbbd845bcb8e74db85332e8d306259d2fc487468c639da0a",
	  "0583cb8c519759695b0faf570b85b3c3187a2337db193d51d985331ac00326d1" },
	{ "batch", KIND_BATCH, fixture_batch, text_batch,
	  "b5e52eea34e56545c3164aee98d7c12ad8d3ca886b3646b5a22a023bc612811c",
	  "6e9bd2f4b1aab097999ef9d073743af9966503f05d5710075eeb0f0e054b08f2" },
	{ "add-signer", KIND_ADD_SIGNER, fixture_add_signer, text_add_signer,
	  "2aece2a2c5a19c8a59d2e0d200cdc56ebc99523312fb350e7d6cf4928a954ef2",
	  "da6f49b5aebbe7e4047b38d1e3dd3497d67344d609c21a4deada679c6524f6b3" },
	{ "remove-signer", KIND_REMOVE_SIGNER, fixture_remove_signer,
	  text_remove_signer,
	  "8248972c267980a0e5084c0c743798f23abaf773277f8a3627e2dbba0ed83270",
	  "a79d8443a25571b8e4ce305c9c76fc01546439d5eb58c007f7e2f971f795f829" },
	{ "replace-signer", KIND_REPLACE_SIGNER, fixture_replace_signer,
	  text_replace_signer,
	  "faaf97c46ddb18be7a63567a3086851d1df0635f2850e2119a4efdb6095c30b3",
	  "33e40630e667072d297e65a96a4c23bb9f15a3f35e2f8ff2f66b0d8e50c84805" },
	{ "set-threshold", KIND_SET_THRESHOLD, fixture_set_threshold,
	  text_set_threshold,
	  "c8a873800de841fe3f6ce81731eabe877a9f5897355722ed5882e340fadd9570",
	  "80718e6939b51f67c2a013bca9354ac4973c7c93806f8185695fd215a1fd4873" },
};

#define EXAMPLES_COUNT (sizeof(examples) / sizeof(examples[0]))

/* ---- helpers ---- */

/* Encode p into a fresh buffer; the caller frees it. */
static treasury_err
encode(const struct proposal_fields *p, struct textbuf *tb)
{
	textbuf_init(tb, CANONICAL_MAX_BYTES);
	return proposal_encode(tb, p);
}

/* Decode exactly len bytes copied to the heap (no NUL after them, so the
 * sanitizer build catches any read past len). */
static treasury_err
decode_exact(const char *text, size_t len, struct proposal_fields *p)
{
	char *copy = malloc(len > 0 ? len : 1);
	treasury_err err;

	assert_non_null(copy);
	if (len > 0)
		memcpy(copy, text, len);
	err = proposal_decode(verifier, copy, len, p);
	free(copy);
	return err;
}

static treasury_err
decode_str(const char *text, struct proposal_fields *p)
{
	return decode_exact(text, strlen(text), p);
}

/* Decode text and check that it encodes back to exactly its bytes. */
static struct proposal_fields *
decode_ok(const char *text, size_t len)
{
	struct proposal_fields *p = calloc(1, sizeof(*p));
	struct textbuf tb;
	treasury_err err;

	assert_non_null(p);
	err = decode_exact(text, len, p);
	if (err != TREASURY_OK)
		print_error("decode: %s\n%.*s\n", treasury_err_name(err),
		    (int)len, text);
	assert_int_equal(err, TREASURY_OK);
	assert_int_equal(encode(p, &tb), TREASURY_OK);
	assert_int_equal(tb.len, len);
	assert_memory_equal(tb.data, text, len);
	textbuf_free(&tb);
	return p;
}

/* The result of decoding text with `find` replaced by `repl` (once). */
static treasury_err
decode_edited(const char *text, const char *find, const char *repl)
{
	struct proposal_fields *p = calloc(1, sizeof(*p));
	const char *at = strstr(text, find);
	size_t head, flen = strlen(find), rlen = strlen(repl), len;
	treasury_err err;
	char *buf;

	assert_non_null(p);
	if (at == NULL)
		print_error("fixture lacks \"%s\"\n", find);
	assert_non_null(at);
	head = (size_t)(at - text);
	len = strlen(text) - flen + rlen;
	buf = malloc(len + 1);
	assert_non_null(buf);
	memcpy(buf, text, head);
	memcpy(buf + head, repl, rlen);
	memcpy(buf + head + rlen, at + flen, strlen(at + flen) + 1);
	err = decode_exact(buf, len, p);
	free(buf);
	free(p);
	return err;
}

static void
expect_edit(const char *text, const char *find, const char *repl,
    treasury_err want)
{
	treasury_err err = decode_edited(text, find, repl);

	if (err != want)
		print_error("\"%s\" -> \"%s\": got %s, want %s\n", find, repl,
		    treasury_err_name(err), treasury_err_name(want));
	assert_int_equal(err, want);
}

static void
expect_hex(const uint8_t *bytes, size_t len, const char *want)
{
	char hex[2 * 64 + 1];

	assert_true(len <= 64);
	hex_encode(hex, bytes, len);
	assert_string_equal(hex, want);
}

static void
expect_encode_err(struct proposal_fields *p, treasury_err want)
{
	struct textbuf tb;
	treasury_err err = encode(p, &tb);

	if (err != want)
		print_error("encode: got %s, want %s\n", treasury_err_name(err),
		    treasury_err_name(want));
	assert_int_equal(err, want);
	assert_int_equal(tb.len, 0);	/* nothing half-written */
	textbuf_free(&tb);
}

static void
transfer_fields_equal(const struct transfer_fields *a,
    const struct transfer_fields *b)
{
	assert_string_equal(a->asset, b->asset);
	assert_int_equal(a->decimals, b->decimals);
	assert_true(a->amount == b->amount);
	assert_string_equal(a->to, b->to);
	assert_string_equal(a->memo, b->memo);
}

/* The fields that p's kind uses are equal in a and b. */
static void
fields_equal(const struct proposal_fields *a, const struct proposal_fields *b)
{
	const struct config_lines {
		bool signer, key, threshold;
	} lines[] = {
		[KIND_ADD_SIGNER] = { true, true, true },
		[KIND_REMOVE_SIGNER] = { true, false, true },
		[KIND_REPLACE_SIGNER] = { true, true, false },
		[KIND_SET_THRESHOLD] = { false, false, true },
	};
	unsigned i;

	assert_memory_equal(a->instance, b->instance, INSTANCE_ID_BYTES);
	assert_string_equal(a->treasury, b->treasury);
	assert_int_equal(a->config_version, b->config_version);
	assert_int_equal(a->kind, b->kind);
	assert_int_equal(a->nonce, b->nonce);
	assert_int_equal(a->expires_s, b->expires_s);
	if (!proposal_kind_is_config(a->kind)) {
		assert_int_equal(a->transfer_count, b->transfer_count);
		for (i = 0; i < a->transfer_count; i++)
			transfer_fields_equal(&a->transfers[i], &b->transfers[i]);
		if (a->kind == KIND_BATCH)
			assert_string_equal(a->memo, b->memo);
		return;
	}
	if (lines[a->kind].signer)
		assert_string_equal(a->signer, b->signer);
	if (lines[a->kind].key) {
		assert_int_equal(a->key.type, b->key.type);
		assert_int_equal(a->key.len, b->key.len);
		assert_memory_equal(a->key.bytes, b->key.bytes, a->key.len);
		assert_memory_equal(a->key.x, b->key.x, sizeof(a->key.x));
	}
	if (lines[a->kind].threshold) {
		assert_int_equal(a->threshold_after, b->threshold_after);
		assert_int_equal(a->signers_after, b->signers_after);
	}
	assert_string_equal(a->memo, b->memo);
}

/* A batch of n transfers, n may exceed BATCH_TRANSFERS_MAX only up to it. */
static struct proposal_fields *
fixture_batch_n(unsigned n)
{
	struct proposal_fields *p = fields_new(KIND_BATCH, 9, 77);
	char to[32];
	unsigned i;

	assert_true(n <= BATCH_TRANSFERS_MAX);
	p->transfer_count = n;
	for (i = 0; i < n; i++) {
		snprintf(to, sizeof(to), "dest-%u", i + 1);
		transfer_set(&p->transfers[i], i % 2 ? "BTC" : "USDC",
		    i % 2 ? 8 : 6, (amount_minor)(i + 1) * 1000, to,
		    i % 3 ? "" : "batch line");
	}
	snprintf(p->memo, sizeof(p->memo), "sixty-four at most");
	return p;
}

/* ---- kinds ---- */

static void
test_kind_names(void **state)
{
	static const char *const bad[] = {
		"", "Transfer", "transfer ", " transfer", "transfe", "transfers",
		"add_signer", "set-threshold\n", "unknown", "policy",
	};
	enum proposal_kind k, got;
	const char *name;
	size_t i;

	(void)state;
	for (k = KIND_TRANSFER; k <= KIND_SET_THRESHOLD; k++) {
		name = proposal_kind_name(k);
		assert_int_equal(proposal_kind_parse(name, strlen(name), &got),
		    TREASURY_OK);
		assert_int_equal(got, k);
		assert_int_equal(proposal_kind_is_config(k) != 0,
		    k >= KIND_ADD_SIGNER);
	}
	assert_string_equal(proposal_kind_name(KIND_ADD_SIGNER), "add-signer");
	assert_string_equal(proposal_kind_name(KIND_SET_THRESHOLD),
	    "set-threshold");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(proposal_kind_parse(bad[i], strlen(bad[i]),
		    &got), TREASURY_ERR_KIND);
	/* A prefix of a name, by length, is not the name. */
	assert_int_equal(proposal_kind_parse("batch", 4, &got),
	    TREASURY_ERR_KIND);
	assert_int_equal(proposal_kind_parse(NULL, 0, &got), TREASURY_ERR_KIND);
	assert_string_equal(proposal_kind_name((enum proposal_kind)0), "unknown");
	assert_string_equal(proposal_kind_name((enum proposal_kind)99),
	    "unknown");
	assert_false(proposal_kind_is_config((enum proposal_kind)0));
}

/* ---- encode ---- */

static void
test_encode_each_kind_exact(void **state)
{
	struct proposal_fields *p;
	struct textbuf tb;
	size_t i;

	(void)state;
	for (i = 0; i < EXAMPLES_COUNT; i++) {
		p = examples[i].fixture();
		assert_int_equal(encode(p, &tb), TREASURY_OK);
		if (strcmp(tb.data, examples[i].text) != 0)
			print_error("%s:\n%s", examples[i].name, tb.data);
		assert_string_equal(tb.data, examples[i].text);
		assert_int_equal(tb.len, strlen(examples[i].text));
		textbuf_free(&tb);
		free(p);
	}
}

/* A transfer is exactly what canonical_encode_transfer writes, and its
 * p->memo is ignored. */
static void
test_encode_transfer_is_canonical_transfer(void **state)
{
	struct proposal_fields *p = fixture_transfer();
	struct proposal_header hdr = {
		.treasury = "grants", .config_version = 1, .kind = "transfer",
		.nonce = 1, .expires_s = EXPIRES_S,
	};
	const struct transfer_fields *f = &p->transfers[0];
	struct transfer t = {
		.asset = f->asset, .decimals = f->decimals, .amount = f->amount,
		.to = f->to, .memo = f->memo, .memo_len = strlen(f->memo),
	};
	struct textbuf a, b;

	(void)state;
	memcpy(hdr.instance, p->instance, INSTANCE_ID_BYTES);
	snprintf(p->memo, sizeof(p->memo), "ignored for a transfer");
	assert_int_equal(encode(p, &a), TREASURY_OK);
	textbuf_init(&b, CANONICAL_MAX_BYTES);
	assert_int_equal(canonical_encode_transfer(&b, &hdr, &t), TREASURY_OK);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	assert_string_equal(a.data, text_transfer);
	textbuf_free(&a);
	textbuf_free(&b);
	free(p);
}

static void
test_encode_field_errors(void **state)
{
	struct proposal_fields *p;

	(void)state;
	p = fixture_set_threshold();
	p->config_version = 0;
	expect_encode_err(p, TREASURY_ERR_INTERNAL);
	p->config_version = 4;
	p->nonce = 0;
	expect_encode_err(p, TREASURY_ERR_INTERNAL);
	p->nonce = 6;
	p->kind = (enum proposal_kind)0;
	expect_encode_err(p, TREASURY_ERR_KIND);
	p->kind = (enum proposal_kind)(KIND_UNFREEZE + 1);	/* one past the last */
	expect_encode_err(p, TREASURY_ERR_KIND);
	p->kind = KIND_SET_THRESHOLD;
	snprintf(p->treasury, sizeof(p->treasury), "Grants");
	expect_encode_err(p, TREASURY_ERR_TREASURY_ID);
	memset(p->treasury, 'a', sizeof(p->treasury));	/* no NUL */
	expect_encode_err(p, TREASURY_ERR_TREASURY_ID);
	snprintf(p->treasury, sizeof(p->treasury), "grants");
	p->expires_s = -1;
	expect_encode_err(p, TREASURY_ERR_TIMESTAMP);
	p->expires_s = EXPIRES_S;
	snprintf(p->memo, sizeof(p->memo), "line\nbreak");
	expect_encode_err(p, TREASURY_ERR_MEMO_CHAR);
	memset(p->memo, 'm', sizeof(p->memo));		/* no NUL */
	expect_encode_err(p, TREASURY_ERR_MEMO_TOO_LONG);
	snprintf(p->memo, sizeof(p->memo), "\xc0\x80");
	expect_encode_err(p, TREASURY_ERR_MEMO_UTF8);
	free(p);

	p = fixture_transfer();
	p->transfer_count = 2;
	expect_encode_err(p, TREASURY_ERR_INTERNAL);
	p->transfer_count = 1;
	p->transfers[0].decimals = 19;
	expect_encode_err(p, TREASURY_ERR_DECIMALS);
	p->transfers[0].decimals = 6;
	p->transfers[0].amount = 0;
	expect_encode_err(p, TREASURY_ERR_AMOUNT_ZERO);
	p->transfers[0].amount = 1;
	snprintf(p->transfers[0].to, sizeof(p->transfers[0].to), "a b");
	expect_encode_err(p, TREASURY_ERR_DESTINATION);
	snprintf(p->transfers[0].to, sizeof(p->transfers[0].to), "x");
	memset(p->transfers[0].asset, 'A', sizeof(p->transfers[0].asset));
	expect_encode_err(p, TREASURY_ERR_ASSET_CODE);
	free(p);

	p = fixture_replace_signer();
	snprintf(p->signer, sizeof(p->signer), "-bob");
	expect_encode_err(p, TREASURY_ERR_SIGNER_NAME);
	snprintf(p->signer, sizeof(p->signer), "bob");
	p->key.type = (enum key_type)0;
	expect_encode_err(p, TREASURY_ERR_KEY_TYPE);
	p->key.type = KEY_ECDSA;	/* 32 bytes are not an ECDSA key */
	expect_encode_err(p, TREASURY_ERR_PUBKEY);
	free(p);
}

static void
test_encode_batch_limits(void **state)
{
	struct proposal_fields *p = fixture_batch();

	(void)state;
	p->transfer_count = 0;
	expect_encode_err(p, TREASURY_ERR_CANONICAL);
	p->transfer_count = BATCH_TRANSFERS_MAX + 1;
	expect_encode_err(p, TREASURY_ERR_TOO_LARGE);
	p->transfer_count = 2;
	p->transfers[1].amount = 0;	/* the second transfer is checked too */
	expect_encode_err(p, TREASURY_ERR_AMOUNT_ZERO);
	free(p);
}

/* 1 <= threshold_after <= signers_after <= 32 for every kind with them. */
static void
test_encode_threshold_rules(void **state)
{
	static const struct { unsigned m, n; treasury_err want; } cases[] = {
		{ 0, 3, TREASURY_ERR_THRESHOLD },
		{ 0, 0, TREASURY_ERR_THRESHOLD },
		{ 4, 3, TREASURY_ERR_THRESHOLD },
		{ 1, 33, TREASURY_ERR_THRESHOLD },
		{ 33, 33, TREASURY_ERR_THRESHOLD },
		{ 1, 1, TREASURY_OK },
		{ 32, 32, TREASURY_OK },
		{ 1, 32, TREASURY_OK },
	};
	struct proposal_fields *(*const fixtures[])(void) = {
		fixture_add_signer, fixture_remove_signer, fixture_set_threshold,
	};
	struct proposal_fields *p;
	struct textbuf tb;
	size_t i, j;

	(void)state;
	for (j = 0; j < sizeof(fixtures) / sizeof(fixtures[0]); j++) {
		p = fixtures[j]();
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			p->threshold_after = cases[i].m;
			p->signers_after = cases[i].n;
			assert_int_equal(encode(p, &tb), cases[i].want);
			textbuf_free(&tb);
		}
		free(p);
	}
	/* replace-signer has no threshold lines: the values are ignored. */
	p = fixture_replace_signer();
	p->threshold_after = 99;
	assert_int_equal(encode(p, &tb), TREASURY_OK);
	textbuf_free(&tb);
	free(p);
}

/* ---- decode ---- */

static void
test_round_trip_each_kind(void **state)
{
	struct proposal_fields *p, *q;
	struct textbuf tb;
	size_t i;

	(void)state;
	for (i = 0; i < EXAMPLES_COUNT; i++) {
		p = examples[i].fixture();
		assert_int_equal(encode(p, &tb), TREASURY_OK);
		q = decode_ok(tb.data, tb.len);
		fields_equal(p, q);
		assert_int_equal(q->kind, examples[i].kind);
		textbuf_free(&tb);
		free(p);
		free(q);
	}
}

static void
test_decode_transfer_memo_in_both_places(void **state)
{
	struct proposal_fields *q;

	(void)state;
	q = decode_ok(text_transfer, strlen(text_transfer));
	assert_int_equal(q->transfer_count, 1);
	assert_string_equal(q->memo, q->transfers[0].memo);
	assert_int_equal(q->transfers[0].decimals, 6);
	assert_true(q->transfers[0].amount == 1500000000);
	free(q);
}

static void
test_batch_64_round_trip_and_65_refused(void **state)
{
	struct proposal_fields *p = fixture_batch_n(BATCH_TRANSFERS_MAX), *q;
	struct textbuf tb;

	(void)state;
	assert_int_equal(encode(p, &tb), TREASURY_OK);
	assert_non_null(strstr(tb.data, "\ntransfers: 64\n"));
	assert_non_null(strstr(tb.data, "\ntransfer.64.to: dest-64\n"));
	q = decode_ok(tb.data, tb.len);
	fields_equal(p, q);
	assert_int_equal(decode_edited(tb.data, "transfers: 64\n",
	    "transfers: 65\n"), TREASURY_ERR_TOO_LARGE);
	assert_int_equal(decode_edited(tb.data, "transfers: 64\n",
	    "transfers: 63\n"), TREASURY_ERR_CANONICAL);
	textbuf_free(&tb);
	p->transfer_count = BATCH_TRANSFERS_MAX + 1;
	expect_encode_err(p, TREASURY_ERR_TOO_LARGE);
	free(p);
	free(q);
	expect_edit(text_batch, "transfers: 2\n", "transfers: 0\n",
	    TREASURY_ERR_CANONICAL);
	expect_edit(text_batch, "transfers: 2\n", "transfers: 1\n",
	    TREASURY_ERR_CANONICAL);
	expect_edit(text_batch, "transfers: 2\n", "transfers: 3\n",
	    TREASURY_ERR_CANONICAL);
	expect_edit(text_batch, "transfers: 2\n", "transfers: 02\n",
	    TREASURY_ERR_CANONICAL);
	expect_edit(text_batch, "transfer.2.asset", "transfer.02.asset",
	    TREASURY_ERR_CANONICAL);
	expect_edit(text_batch, "transfer.2.asset", "transfer.3.asset",
	    TREASURY_ERR_CANONICAL);
	expect_edit(text_batch, "transfer.1.asset: USDC\n", "asset: USDC\n",
	    TREASURY_ERR_CANONICAL);
}

static void
test_decode_rejects_layout(void **state)
{
	const char *t = text_add_signer;

	(void)state;
	/* CR, tab */
	expect_edit(t, "config: 1\n", "config: 1\r\n", TREASURY_ERR_CANONICAL);
	expect_edit(t, "memo: dave joins", "memo: dave\rjoins",
	    TREASURY_ERR_CANONICAL);
	expect_edit(t, "memo: dave joins", "memo: dave\tjoins",
	    TREASURY_ERR_CANONICAL);
	expect_edit(t, "memo: ", "memo:\t", TREASURY_ERR_CANONICAL);
	/* extra, missing, swapped, blank lines */
	expect_edit(t, "from now on\n", "from now on\nextra: 1\n",
	    TREASURY_ERR_CANONICAL);
	expect_edit(t, "from now on\n", "from now on\n\n",
	    TREASURY_ERR_CANONICAL);
	expect_edit(t, "from now on\n", "from now on\nmemo: again\n",
	    TREASURY_ERR_CANONICAL);
	expect_edit(t, "signers: 4\n", "", TREASURY_ERR_CANONICAL);
	expect_edit(t, "nonce: 3\n", "", TREASURY_ERR_CANONICAL);
	expect_edit(t, "threshold: 3\nsigners: 4\n", "signers: 4\nthreshold: 3\n",
	    TREASURY_ERR_CANONICAL);
	expect_edit(t, "config: 1\nkind: add-signer\n",
	    "kind: add-signer\nconfig: 1\n", TREASURY_ERR_CANONICAL);
	expect_edit(t, "key_type: ecdsa\npubkey: " DAVE_ECDSA "\n",
	    "pubkey: " DAVE_ECDSA "\nkey_type: ecdsa\n", TREASURY_ERR_CANONICAL);
	expect_edit(t, "\nsigner: dave\n", "\n\nsigner: dave\n",
	    TREASURY_ERR_CANONICAL);
	/* first line */
	expect_edit(t, "treasuryd proposal v1\n", "treasuryd proposal v2\n",
	    TREASURY_ERR_CANONICAL);
	expect_edit(t, "treasuryd proposal v1\n", "Treasuryd proposal v1\n",
	    TREASURY_ERR_CANONICAL);
	expect_edit(t, "treasuryd proposal v1\n",
	    "\xef\xbb\xbftreasuryd proposal v1\n",
	    TREASURY_ERR_CANONICAL);
	expect_edit(t, "treasuryd proposal v1\n", "treasuryd proposal v1 \n",
	    TREASURY_ERR_CANONICAL);
	/* key spelling */
	expect_edit(t, "config: 1", "config:1", TREASURY_ERR_CANONICAL);
	expect_edit(t, "config: 1", "config : 1", TREASURY_ERR_CANONICAL);
	expect_edit(t, "config: 1", "Config: 1", TREASURY_ERR_CANONICAL);
	expect_edit(t, "config: 1", "config:  1", TREASURY_ERR_CANONICAL);
	/* uppercase hex */
	expect_edit(t, "0a0b0c0d0e0f", "0A0B0C0D0E0F", TREASURY_ERR_CANONICAL);
	expect_edit(t, "02531fe6", "02531FE6", TREASURY_ERR_CANONICAL);
	expect_edit(t, "000102", "0x0102", TREASURY_ERR_HEX_CHAR);
	expect_edit(t, "1c1d1e1f\n", "1c1d1e\n", TREASURY_ERR_HEX_LENGTH);
	/* numbers */
	expect_edit(t, "config: 1\n", "config: 01\n", TREASURY_ERR_CANONICAL);
	expect_edit(t, "config: 1\n", "config: 0\n", TREASURY_ERR_CANONICAL);
	expect_edit(t, "config: 1\n", "config: +1\n", TREASURY_ERR_CANONICAL);
	expect_edit(t, "config: 1\n", "config: \n", TREASURY_ERR_CANONICAL);
	expect_edit(t, "nonce: 3\n", "nonce: 03\n", TREASURY_ERR_CANONICAL);
	expect_edit(t, "nonce: 3\n", "nonce: 0\n", TREASURY_ERR_CANONICAL);
	expect_edit(t, "nonce: 3\n", "nonce: 00\n", TREASURY_ERR_CANONICAL);
	expect_edit(t, "nonce: 3\n", "nonce: 3 \n", TREASURY_ERR_CANONICAL);
	expect_edit(t, "nonce: 3\n", "nonce: 18446744073709551616\n",
	    TREASURY_ERR_CANONICAL);
	expect_edit(t, "nonce: 3\n", "nonce: 99999999999999999999\n",
	    TREASURY_ERR_CANONICAL);
	expect_edit(t, "nonce: 3\n", "nonce: 18446744073709551615\n",
	    TREASURY_OK);
	expect_edit(t, "threshold: 3\n", "threshold: 3.0\n",
	    TREASURY_ERR_CANONICAL);
	expect_edit(t, "threshold: 3\n", "threshold: 18446744073709551615\n",
	    TREASURY_ERR_THRESHOLD);
	/* trailing space where the value does not allow it */
	expect_edit(t, "treasury: grants\n", "treasury: grants \n",
	    TREASURY_ERR_TREASURY_ID);
	expect_edit(t, "signer: dave\n", "signer: dave \n",
	    TREASURY_ERR_SIGNER_NAME);
	expect_edit(t, "key_type: ecdsa\n", "key_type: ecdsa \n",
	    TREASURY_ERR_KEY_TYPE);
	expect_edit(t, "e337\n", "e337 \n", TREASURY_ERR_HEX_LENGTH);
	expect_edit(t, "00:00Z\n", "00:00Z \n", TREASURY_ERR_TIMESTAMP);
	expect_edit(t, "kind: add-signer\n", "kind: add-signer \n",
	    TREASURY_ERR_KIND);
	/* in a memo a trailing space is content: it round-trips */
	expect_edit(t, "from now on\n", "from now on \n", TREASURY_OK);
	/* kinds */
	expect_edit(t, "kind: add-signer\n", "kind: add-signers\n",
	    TREASURY_ERR_KIND);
	expect_edit(t, "kind: add-signer\n", "kind: Add-signer\n",
	    TREASURY_ERR_KIND);
	expect_edit(t, "kind: add-signer\n", "kind: policy\n", TREASURY_ERR_KIND);
	expect_edit(t, "kind: add-signer\n", "kind: remove-signer\n",
	    TREASURY_ERR_CANONICAL);
	expect_edit(t, "kind: add-signer\n", "kind: set-threshold\n",
	    TREASURY_ERR_CANONICAL);
	/* field errors keep their codes */
	expect_edit(t, "key_type: ecdsa\n", "key_type: rsa\n",
	    TREASURY_ERR_KEY_TYPE);
	expect_edit(t, "key_type: ecdsa\n", "key_type: schnorr\n",
	    TREASURY_ERR_PUBKEY);	/* 66 hex is no x-only key */
	expect_edit(t, "pubkey: 02", "pubkey: 04", TREASURY_ERR_PUBKEY);
	expect_edit(t, "2026-12-31", "2026-02-30", TREASURY_ERR_TIMESTAMP);
	expect_edit(t, "from now on", "from now on\xe2\x80\x8b",
	    TREASURY_ERR_MEMO_CHAR);
	expect_edit(t, "from now on", "from now on\xff", TREASURY_ERR_MEMO_UTF8);
	/* last line */
	expect_edit(text_remove_signer, "memo: \n", "memo:\n",
	    TREASURY_ERR_CANONICAL);
	expect_edit(text_remove_signer, "memo: \n", "memo: ",
	    TREASURY_ERR_CANONICAL);
	expect_edit(text_remove_signer, "memo: \n", "memo: \n\n",
	    TREASURY_ERR_CANONICAL);
}

static void
test_decode_threshold_rules(void **state)
{
	const char *t = text_set_threshold;

	(void)state;
	expect_edit(t, "threshold: 3\nsigners: 3\n", "threshold: 4\nsigners: 3\n",
	    TREASURY_ERR_THRESHOLD);
	expect_edit(t, "threshold: 3\n", "threshold: 0\n",
	    TREASURY_ERR_THRESHOLD);
	expect_edit(t, "signers: 3\n", "signers: 33\n", TREASURY_ERR_THRESHOLD);
	expect_edit(t, "threshold: 3\nsigners: 3\n",
	    "threshold: 33\nsigners: 33\n", TREASURY_ERR_THRESHOLD);
	expect_edit(t, "threshold: 3\nsigners: 3\n",
	    "threshold: 32\nsigners: 32\n", TREASURY_OK);
	expect_edit(t, "threshold: 3\nsigners: 3\n",
	    "threshold: 1\nsigners: 1\n", TREASURY_OK);
	expect_edit(text_remove_signer, "signers: 3\n", "signers: 1\n",
	    TREASURY_ERR_THRESHOLD);
	expect_edit(text_add_signer, "threshold: 3\n", "threshold: 5\n",
	    TREASURY_ERR_THRESHOLD);
}

/* Decimals come from the text; the value must be in the grammar. */
static void
test_decode_amounts(void **state)
{
	struct proposal_fields *q;
	const char *t = text_transfer;

	(void)state;
	expect_edit(t, "amount: 1500.000000\n", "amount: 1.50\n", TREASURY_OK);
	expect_edit(t, "amount: 1500.000000\n", "amount: 7\n", TREASURY_OK);
	expect_edit(t, "amount: 1500.000000\n", "amount: 01.50\n",
	    TREASURY_ERR_AMOUNT_LEADING_ZERO);
	expect_edit(t, "amount: 1500.000000\n", "amount: 0.00\n",
	    TREASURY_ERR_AMOUNT_ZERO);
	expect_edit(t, "amount: 1500.000000\n", "amount: 0\n",
	    TREASURY_ERR_AMOUNT_ZERO);
	expect_edit(t, "amount: 1500.000000\n", "amount: 1e3\n",
	    TREASURY_ERR_AMOUNT_EXPONENT);
	expect_edit(t, "amount: 1500.000000\n", "amount: -1\n",
	    TREASURY_ERR_AMOUNT_SIGN);
	expect_edit(t, "amount: 1500.000000\n", "amount: 1500.000000 \n",
	    TREASURY_ERR_AMOUNT_SPACE);
	expect_edit(t, "amount: 1500.000000\n", "amount: \n",
	    TREASURY_ERR_AMOUNT_EMPTY);
	expect_edit(t, "amount: 1500.000000\n", "amount: 1.\n",
	    TREASURY_ERR_AMOUNT_SYNTAX);
	expect_edit(t, "amount: 1500.000000\n", "amount: .5\n",
	    TREASURY_ERR_AMOUNT_SYNTAX);
	expect_edit(t, "amount: 1500.000000\n", "amount: 1,500\n",
	    TREASURY_ERR_AMOUNT_SYNTAX);
	expect_edit(t, "amount: 1500.000000\n", "amount: 1.5.0\n",
	    TREASURY_ERR_AMOUNT_SYNTAX);
	expect_edit(t, "amount: 1500.000000\n",
	    "amount: 1.0000000000000000000\n", TREASURY_ERR_DECIMALS);
	expect_edit(t, "amount: 1500.000000\n",
	    "amount: 1.000000000000000000\n", TREASURY_OK);
	expect_edit(t, "amount: 1500.000000\n",
	    "amount: 340282366920938463463374607431768211456\n",
	    TREASURY_ERR_AMOUNT_OVERFLOW);
	expect_edit(t, "asset: USDC\n", "asset: usdc!\n",
	    TREASURY_ERR_ASSET_CODE);
	expect_edit(t, "to: 0x742d", "to: 0x 742d", TREASURY_ERR_DESTINATION);
	expect_edit(t, "to: 0x742d35Cc6634C0532925a3b844Bc454e4438f44e\n",
	    "to: \n", TREASURY_ERR_DESTINATION);

	/* "1.50" is 150 minor units of a 2-decimal asset, not 1.5 of a
	 * 1-decimal one: decimals are the digits written. */
	q = calloc(1, sizeof(*q));
	assert_non_null(q);
	assert_int_equal(decode_str("treasuryd proposal v1\n"
	    "instance: 000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f\n"
	    "treasury: grants\nconfig: 1\nkind: transfer\nnonce: 1\n"
	    "expires: 2026-12-31T00:00:00Z\nasset: EUR\namount: 1.50\n"
	    "to: x\nmemo: \n", q), TREASURY_OK);
	assert_int_equal(q->transfers[0].decimals, 2);
	assert_true(q->transfers[0].amount == 150);
	free(q);
}

static void
test_decode_size_and_null(void **state)
{
	struct proposal_fields *q = calloc(1, sizeof(*q));
	char long_memo[6 + MEMO_MAX_BYTES + 1 + 2];
	char *big;

	(void)state;
	assert_non_null(q);
	assert_int_equal(proposal_decode(verifier, NULL, 0, q),
	    TREASURY_ERR_CANONICAL);
	assert_int_equal(proposal_decode(verifier, "", 0, q),
	    TREASURY_ERR_CANONICAL);
	big = malloc(CANONICAL_MAX_BYTES + 1);
	assert_non_null(big);
	memset(big, 'a', CANONICAL_MAX_BYTES + 1);
	assert_int_equal(proposal_decode(verifier, big, CANONICAL_MAX_BYTES + 1,
	    q), TREASURY_ERR_TOO_LARGE);
	/* A memo line longer than any memo, within the size limit. */
	memcpy(long_memo, "memo: ", 6);
	memset(long_memo + 6, 'a', MEMO_MAX_BYTES + 1);
	memcpy(long_memo + 6 + MEMO_MAX_BYTES + 1, "\n", 2);
	assert_int_equal(decode_edited(text_remove_signer, "memo: \n",
	    long_memo), TREASURY_ERR_MEMO_TOO_LONG);
	long_memo[6 + MEMO_MAX_BYTES] = '\n';
	long_memo[6 + MEMO_MAX_BYTES + 1] = '\0';
	assert_int_equal(decode_edited(text_remove_signer, "memo: \n",
	    long_memo), TREASURY_OK);
	/* A NUL inside a value is not text. */
	assert_int_equal(decode_exact("treasuryd proposal v1\n"
	    "instance: 000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f\n"
	    "treasury: grants\nconfig: 4\nkind: set-threshold\nnonce: 6\n"
	    "expires: 2026-12-31T00:00:00Z\nthreshold: 3\nsigners: 3\n"
	    "memo: a\0b\n", strlen(text_set_threshold) - 22 + 3, q),
	    TREASURY_ERR_MEMO_CHAR);
	free(big);
	free(q);
}

/* Every proper prefix of every valid text is refused, without reading
 * past its end. */
static void
test_decode_every_truncation(void **state)
{
	struct proposal_fields *q = calloc(1, sizeof(*q));
	size_t i, cut, len;

	(void)state;
	assert_non_null(q);
	for (i = 0; i < EXAMPLES_COUNT; i++) {
		len = strlen(examples[i].text);
		for (cut = 0; cut < len; cut++) {
			if (decode_exact(examples[i].text, cut, q) == TREASURY_OK)
				print_error("%s: prefix of %zu bytes accepted\n",
				    examples[i].name, cut);
			assert_int_not_equal(decode_exact(examples[i].text, cut,
			    q), TREASURY_OK);
		}
		assert_int_equal(decode_exact(examples[i].text, len, q),
		    TREASURY_OK);
	}
	free(q);
}

/* Every single-byte change of every valid text is refused, or decodes to
 * fields that encode to exactly the changed text. */
static void
test_decode_every_byte_mutation(void **state)
{
	static const char repl[] = {
		'\0', '\n', '\r', '\t', ' ', ':', '.', '-', '0', '1', '9', 'a',
		'f', 'A', 'F', 'z', (char)0x7f, (char)0x80, (char)0xc3,
		(char)0xff,
	};
	struct proposal_fields *q = calloc(1, sizeof(*q));
	size_t i, accepted = 0;

	(void)state;
	assert_non_null(q);
	for (i = 0; i < EXAMPLES_COUNT; i++)
		accepted += byte_mutations_check(verifier, examples[i].text,
		    repl, sizeof(repl), q);
	/* Digits in numbers, memos, ...: some changes are other valid texts. */
	assert_true(accepted > 0);
	free(q);
}

/* ---- documented examples (docs/signing.md) ---- */

static void
test_documented_examples(void **state)
{
	uint8_t id[PROPOSAL_ID_BYTES], digest[DIGEST_BYTES];
	struct proposal_fields *q;
	size_t i;

	(void)state;
	for (i = 0; i < EXAMPLES_COUNT; i++) {
		q = decode_ok(examples[i].text, strlen(examples[i].text));
		assert_int_equal(q->kind, examples[i].kind);
		assert_string_equal(proposal_kind_name(q->kind),
		    examples[i].name);
		proposal_id_compute(id, examples[i].text,
		    strlen(examples[i].text));
		expect_hex(id, sizeof(id), examples[i].id_hex);
		vote_digest_compute(digest, id, VOTE_APPROVE);
		expect_hex(digest, sizeof(digest), examples[i].approve_hex);
		free(q);
	}
}

static int
group_setup(void **state)
{
	(void)state;
	if (treasury_crypto_init() != TREASURY_OK)
		return -1;
	verifier = treasury_verifier_create();
	return verifier == NULL ? -1 : 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	treasury_verifier_destroy(verifier);
	verifier = NULL;
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_encode_each_kind_exact),
		cmocka_unit_test(test_encode_transfer_is_canonical_transfer),
		cmocka_unit_test(test_encode_field_errors),
		cmocka_unit_test(test_encode_batch_limits),
		cmocka_unit_test(test_encode_threshold_rules),
		cmocka_unit_test(test_round_trip_each_kind),
		cmocka_unit_test(test_decode_transfer_memo_in_both_places),
		cmocka_unit_test(test_batch_64_round_trip_and_65_refused),
		cmocka_unit_test(test_decode_rejects_layout),
		cmocka_unit_test(test_decode_threshold_rules),
		cmocka_unit_test(test_decode_amounts),
		cmocka_unit_test(test_decode_size_and_null),
		cmocka_unit_test(test_decode_every_truncation),
		cmocka_unit_test(test_decode_every_byte_mutation),
		cmocka_unit_test(test_documented_examples),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
