/*
 * test_policy.c: unit tests of core/policy.c and core/policy_text.c, the
 * treasury policies of docs/policies.md and the texts and
 * digests of docs/signing.md §9.
 *
 * Decisions are tested at their edges: window boundaries (a debit exactly
 * one window old no longer counts), exactly at a limit versus one minor
 * unit over, sums at 2^128-1, reserves to the unit, veto counts for every
 * N from 1 to 32, delays of 0 and 90 days, every validation error. The
 * set-policy and unfreeze texts are compared byte for byte with the worked
 * examples of docs/signing.md §9, decoded back, cut at every length and
 * mutated at every byte; the documented digests and signatures are
 * checked too. struct proposal_fields is ~45 KB, so it is on the heap.
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

#include "treasury/crypto_init.h"
#include "treasury/hash.h"
#include "treasury/hex.h"
#include "treasury/policy.h"
#include "treasury/proposal.h"
#include "treasury/sig.h"

#include "test_util.h"

#define DAY_S (86400LL)
#define NOW_S (1798675200LL)		/* 2026-12-31T00:00:00Z */
#define USDC(units) ((amount_minor)(units) * 1000000)

static treasury_verifier *verifier;

/* ---- the worked examples of docs/signing.md §9 ---- */

static const char text_set_policy[] =
    "treasuryd proposal v1\n"
    "instance: 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
    "treasury: ops\n"
    "config: 2\n"
    "kind: set-policy\n"
    "nonce: 9\n"
    "expires: 2026-12-31T00:00:00Z\n"
    "threshold: 2\n"
    "signers: 4\n"
    "timelock_spend_s: 172800\n"
    "timelock_config_s: 604800\n"
    "veto_count: default\n"
    "config_threshold: 3\n"
    "high_threshold: 3\n"
    "key_proof: required\n"
    "limits: 2\n"
    "limit.1.asset: BTC\n"
    "limit.1.day: 0.50000000\n"
    "limit.1.week: none\n"
    "limit.1.month: 5.00000000\n"
    "limit.2.asset: USDC\n"
    "limit.2.day: 100000.000000\n"
    "limit.2.week: 250000.000000\n"
    "limit.2.month: 500000.000000\n"
    "reserves: 1\n"
    "reserve.1.asset: USDC\n"
    "reserve.1.amount: 1000000.000000\n"
    "allowlist: on\n"
    "destinations: 2\n"
    "destination.1.to: 0x742d35Cc6634C0532925a3b844Bc454e4438f44e\n"
    "destination.1.label: Payroll \xe2\x80\x94 Coinbase Prime\n"
    "destination.2.to: bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq\n"
    "destination.2.label: \n"
    "memo: 2-day delay, 7 for config; limits; allowlist\n";

static const char text_empty_policy[] =
    "treasuryd proposal v1\n"
    "instance: 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
    "treasury: ops\n"
    "config: 3\n"
    "kind: set-policy\n"
    "nonce: 10\n"
    "expires: 2026-12-31T00:00:00Z\n"
    "threshold: 2\n"
    "signers: 4\n"
    "timelock_spend_s: 0\n"
    "timelock_config_s: 0\n"
    "veto_count: default\n"
    "config_threshold: 2\n"
    "high_threshold: none\n"
    "key_proof: none\n"
    "limits: 0\n"
    "reserves: 0\n"
    "allowlist: off\n"
    "destinations: 0\n"
    "memo: \n";

static const char text_unfreeze[] =
    "treasuryd proposal v1\n"
    "instance: 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
    "treasury: ops\n"
    "config: 3\n"
    "kind: unfreeze\n"
    "nonce: 11\n"
    "expires: 2026-12-31T00:00:00Z\n"
    "freeze: 1\n"
    "memo: false alarm: proposal 10 is ours\n";

static const char text_freeze[] =
    "treasuryd freeze v1\n"
    "instance: 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
    "treasury: ops\n"
    "config: 3\n"
    "freeze: 1\n";

static const struct example {
	const char *name;
	const char *text;
	const char *id;
	const char *approve;
	const char *veto;
	const char *revoke;
} examples[] = {
	{ "set-policy-full", text_set_policy,
	  "5905f79cf78896f5286145d3d404a43589cbb7b55fe6d3ba7597bdeaf79c657b",
	  "ac8dedfc55afb306e89c3f3b9f70329f145d3bbe49859552cd25fdeb7fb8c8b9",
	  "3658edfea5eb9de3b956d31bd0720c102098fee8811175ef6664ee5d74da054f",
	  "a56cead2f658529e59e315a9a47d4f331e7cb919e87eb422ff01d5acfed2fd29" },
	{ "set-policy-empty", text_empty_policy,
	  "5b4854e9bd1492bc806cb5d0caad88402295ee8de26dbef66c6296a4f77bbeb5",
	  "abcc8f5ebc2d59bc1058fcbe4266e7204831f5ba24ff49dbdb05367cc615c47d",
	  "428e2f88a5f89f5368d1d4177a3dff67f734aed4c8e038f5120f89b09aa01d09",
	  "393d4211f045babc0eca251408486125266bd65c3ee0d8f9a3daadd6838082ae" },
	{ "unfreeze", text_unfreeze,
	  "01a3979fb7f0af3248dbc1f39562ab5a6536f810c61f5f530c24b46042b5dcbe",
	  "48493ce945beade22de69a2851bfcee9e10b5441592039565767328b95a94c90",
	  "e73e3c228649004a68bf5323bf6dd48a03294c5aa5ccd67edd842bf4d1150d0d",
	  "71f240dca4ad9a531792aa630e7f7f463d56480ea4fe1609a4aaa4152e5ab91d" },
};
#define EXAMPLES_COUNT (sizeof(examples) / sizeof(examples[0]))

/* ---- helpers ---- */

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
	return 0;
}

static void
instance_set(uint8_t instance[INSTANCE_ID_BYTES])
{
	unsigned i;

	for (i = 0; i < INSTANCE_ID_BYTES; i++)
		instance[i] = (uint8_t)i;
}

static void
limit_set(struct policy_limit *l, const char *asset, unsigned decimals,
    amount_minor day, amount_minor week, amount_minor month)
{
	snprintf(l->asset, sizeof(l->asset), "%s", asset);
	l->decimals = decimals;
	l->limit_minor[WINDOW_DAY] = day;
	l->limit_minor[WINDOW_WEEK] = week;
	l->limit_minor[WINDOW_MONTH] = month;
}

static void
destination_set(struct policy_destination *d, const char *to,
    const char *label)
{
	snprintf(d->to, sizeof(d->to), "%s", to);
	snprintf(d->label, sizeof(d->label), "%s", label);
}

/* The policy of example 9, built in the order a client might send it. */
static void
policy_example(struct treasury_policy *p)
{
	policy_init(p);
	p->timelock_spend_s = 2 * DAY_S;
	p->timelock_config_s = 7 * DAY_S;
	p->config_extra = 1;
	p->high_threshold = 3;
	p->key_proof = true;
	p->limit_count = 2;
	limit_set(&p->limits[0], "USDC", 6, USDC(100000), USDC(250000),
	    USDC(500000));
	limit_set(&p->limits[1], "BTC", 8, 50000000, 0, 500000000);
	p->reserve_count = 1;
	snprintf(p->reserves[0].asset, sizeof(p->reserves[0].asset), "USDC");
	p->reserves[0].decimals = 6;
	p->reserves[0].reserve_minor = USDC(1000000);
	p->allowlist_on = true;
	p->allowlist_count = 2;
	destination_set(&p->allowlist[0],
	    "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "");
	destination_set(&p->allowlist[1],
	    "0x742d35Cc6634C0532925a3b844Bc454e4438f44e",
	    "Payroll \xe2\x80\x94 Coinbase Prime");
	policy_normalize(p);
}

static struct proposal_fields *
fields_new(enum proposal_kind kind, uint64_t config, uint64_t nonce)
{
	struct proposal_fields *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	instance_set(p->instance);
	snprintf(p->treasury, sizeof(p->treasury), "ops");
	p->config_version = config;
	p->kind = kind;
	p->nonce = nonce;
	p->expires_s = NOW_S;
	p->threshold_after = 2;
	p->signers_after = 4;
	return p;
}

static struct proposal_fields *
fixture_set_policy(void)
{
	struct proposal_fields *p = fields_new(KIND_SET_POLICY, 2, 9);

	policy_example(&p->policy);
	snprintf(p->memo, sizeof(p->memo),
	    "2-day delay, 7 for config; limits; allowlist");
	return p;
}

static struct proposal_fields *
fixture_empty_policy(void)
{
	struct proposal_fields *p = fields_new(KIND_SET_POLICY, 3, 10);

	policy_init(&p->policy);
	return p;
}

static struct proposal_fields *
fixture_unfreeze(void)
{
	struct proposal_fields *p = fields_new(KIND_UNFREEZE, 3, 11);

	p->threshold_after = 0;
	p->signers_after = 0;
	p->freeze_seq = 1;
	snprintf(p->memo, sizeof(p->memo), "false alarm: proposal 10 is ours");
	return p;
}

static treasury_err
encode(const struct proposal_fields *p, struct textbuf *tb)
{
	textbuf_init(tb, CANONICAL_MAX_BYTES);
	return proposal_encode(tb, p);
}

static void
expect_text(const struct proposal_fields *p, const char *want)
{
	struct textbuf tb;

	assert_int_equal(encode(p, &tb), TREASURY_OK);
	assert_int_equal(tb.len, strlen(want));
	assert_memory_equal(tb.data, want, tb.len);
	textbuf_free(&tb);
}

static void
expect_encode_err(const struct proposal_fields *p, treasury_err want)
{
	struct textbuf tb;
	treasury_err err = encode(p, &tb);

	if (err != want)
		print_error("encode: got %s, want %s\n", treasury_err_name(err),
		    treasury_err_name(want));
	assert_int_equal(err, want);
	assert_int_equal(tb.len, 0);
	textbuf_free(&tb);
}

static void
expect_hex(const uint8_t *bytes, const char *want)
{
	char hex[2 * DIGEST_BYTES + 1];

	hex_encode(hex, bytes, DIGEST_BYTES);
	assert_string_equal(hex, want);
}

static treasury_err
decode_str(const char *text)
{
	struct proposal_fields *q = calloc(1, sizeof(*q));
	treasury_err err;

	assert_non_null(q);
	err = proposal_decode(verifier, text, strlen(text), q);
	free(q);
	return err;
}

/* Decode text with its first occurrence of find replaced by repl. */
static void
expect_edit(const char *text, const char *find, const char *repl,
    treasury_err want)
{
	const char *at = strstr(text, find);
	size_t head, len;
	char *buf;
	treasury_err err;

	assert_non_null(at);
	head = (size_t)(at - text);
	len = strlen(text) - strlen(find) + strlen(repl);
	buf = malloc(len + 1);
	assert_non_null(buf);
	memcpy(buf, text, head);
	memcpy(buf + head, repl, strlen(repl));
	memcpy(buf + head + strlen(repl), at + strlen(find),
	    strlen(at + strlen(find)) + 1);
	err = decode_str(buf);
	if (err != want)
		print_error("\"%s\" -> \"%s\": got %s, want %s\n", find, repl,
		    treasury_err_name(err), treasury_err_name(want));
	assert_int_equal(err, want);
	free(buf);
}

static void
expect_policy(const struct treasury_policy *p, unsigned m, unsigned n,
    treasury_err want)
{
	treasury_err err = treasury_policy_check(p, m, n);

	if (err != want)
		print_error("check %u of %u: got %s, want %s\n", m, n,
		    treasury_err_name(err), treasury_err_name(want));
	assert_int_equal(err, want);
}

/* ---- validation ---- */

static void
test_empty_policy(void **state)
{
	struct treasury_policy p;
	unsigned m, n;

	(void)state;
	policy_init(&p);
	assert_true(policy_is_empty(&p));
	for (n = 1; n <= SIGNERS_PER_TREASURY_MAX; n++)
		for (m = 1; m <= n; m++)
			expect_policy(&p, m, n, TREASURY_OK);
	expect_policy(&p, 0, 1, TREASURY_ERR_THRESHOLD);
	expect_policy(&p, 2, 1, TREASURY_ERR_THRESHOLD);
	expect_policy(&p, 1, 33, TREASURY_ERR_THRESHOLD);
	p.key_proof = true;
	assert_false(policy_is_empty(&p));
	policy_example(&p);
	assert_false(policy_is_empty(&p));
	expect_policy(&p, 2, 4, TREASURY_OK);
}

static void
test_check_scalars(void **state)
{
	struct treasury_policy p;

	(void)state;
	policy_init(&p);
	p.timelock_spend_s = POLICY_TIMELOCK_MAX_S;
	p.timelock_config_s = POLICY_TIMELOCK_MAX_S;
	expect_policy(&p, 2, 3, TREASURY_OK);		/* 90 days */
	p.timelock_config_s = POLICY_TIMELOCK_MAX_S + 1;
	expect_policy(&p, 2, 3, TREASURY_ERR_POLICY_TIMELOCK);
	p.timelock_config_s = POLICY_TIMELOCK_MAX_S - 1;	/* < spend */
	expect_policy(&p, 2, 3, TREASURY_ERR_POLICY_TIMELOCK);
	p.timelock_spend_s = -1;
	p.timelock_config_s = 0;
	expect_policy(&p, 2, 3, TREASURY_ERR_POLICY_TIMELOCK);
	p.timelock_spend_s = 0;
	expect_policy(&p, 2, 3, TREASURY_OK);		/* 0 and 0 */

	p.veto_count = 3;
	expect_policy(&p, 2, 3, TREASURY_OK);
	p.veto_count = 4;
	expect_policy(&p, 2, 3, TREASURY_ERR_POLICY_VETO_COUNT);
	p.veto_count = 0;

	p.config_extra = 1;
	expect_policy(&p, 2, 3, TREASURY_OK);
	expect_policy(&p, 3, 3, TREASURY_ERR_POLICY_CONFIG_THRESHOLD);
	p.config_extra = 2;
	expect_policy(&p, 1, 3, TREASURY_ERR_POLICY_CONFIG_THRESHOLD);
	p.config_extra = 0;

	p.high_threshold = 1;
	expect_policy(&p, 2, 3, TREASURY_ERR_POLICY_HIGH_THRESHOLD);
	p.high_threshold = 2;
	expect_policy(&p, 2, 3, TREASURY_OK);		/* M itself */
	p.high_threshold = 3;
	expect_policy(&p, 2, 3, TREASURY_OK);		/* N */
	p.high_threshold = 4;
	expect_policy(&p, 2, 3, TREASURY_ERR_POLICY_HIGH_THRESHOLD);
	p.high_threshold = 0;

	p.limit_count = POLICY_LIMITS_MAX + 1;
	expect_policy(&p, 2, 3, TREASURY_ERR_TOO_LARGE);
	p.limit_count = 0;
	p.reserve_count = POLICY_RESERVES_MAX + 1;
	expect_policy(&p, 2, 3, TREASURY_ERR_TOO_LARGE);
	p.reserve_count = 0;
	p.allowlist_on = true;
	p.allowlist_count = POLICY_ALLOWLIST_MAX + 1;
	expect_policy(&p, 2, 3, TREASURY_ERR_TOO_LARGE);
	p.allowlist_count = 0;
	expect_policy(&p, 2, 3, TREASURY_OK);		/* on and empty */
}

static void
test_check_lists(void **state)
{
	struct treasury_policy p;

	(void)state;
	policy_example(&p);
	limit_set(&p.limits[0], "BTC", 8, 0, 0, 0);
	expect_policy(&p, 2, 4, TREASURY_ERR_POLICY_LIMIT);
	limit_set(&p.limits[0], "BTC", 19, 1, 0, 0);
	expect_policy(&p, 2, 4, TREASURY_ERR_DECIMALS);
	limit_set(&p.limits[0], "-BTC", 8, 1, 0, 0);
	expect_policy(&p, 2, 4, TREASURY_ERR_ASSET_CODE);
	memset(p.limits[0].asset, 'B', sizeof(p.limits[0].asset));	/* no NUL */
	expect_policy(&p, 2, 4, TREASURY_ERR_ASSET_CODE);
	limit_set(&p.limits[0], "usdc", 6, 1, 0, 0);	/* USDC ignoring case */
	expect_policy(&p, 2, 4, TREASURY_ERR_POLICY_ORDER);
	limit_set(&p.limits[0], "WBTC", 8, 1, 0, 0);	/* after USDC */
	expect_policy(&p, 2, 4, TREASURY_ERR_POLICY_ORDER);
	policy_normalize(&p);
	expect_policy(&p, 2, 4, TREASURY_OK);
	assert_string_equal(p.limits[0].asset, "USDC");

	policy_example(&p);
	p.reserves[0].reserve_minor = 0;
	expect_policy(&p, 2, 4, TREASURY_ERR_POLICY_RESERVE);
	p.reserves[0].reserve_minor = 1;
	p.reserves[0].decimals = 8;			/* the limit says 6 */
	expect_policy(&p, 2, 4, TREASURY_ERR_POLICY_DECIMALS);
	p.reserves[0].decimals = 6;
	p.reserve_count = 2;
	p.reserves[1] = p.reserves[0];
	snprintf(p.reserves[1].asset, sizeof(p.reserves[1].asset), "Usdc");
	expect_policy(&p, 2, 4, TREASURY_ERR_POLICY_ORDER);

	policy_example(&p);
	p.allowlist_on = false;
	expect_policy(&p, 2, 4, TREASURY_ERR_POLICY_ALLOWLIST);
	p.allowlist_on = true;
	snprintf(p.allowlist[1].label, sizeof(p.allowlist[1].label),
	    "bidi \xe2\x80\xae");				/* U+202E */
	expect_policy(&p, 2, 4, TREASURY_ERR_POLICY_LABEL);
	memset(p.allowlist[1].label, 'x', sizeof(p.allowlist[1].label));
	expect_policy(&p, 2, 4, TREASURY_ERR_POLICY_LABEL);	/* 65 bytes */
	memset(p.allowlist[1].label, 'x', POLICY_LABEL_MAX_BYTES);
	p.allowlist[1].label[POLICY_LABEL_MAX_BYTES] = '\0';
	expect_policy(&p, 2, 4, TREASURY_OK);			/* 64 bytes */
	snprintf(p.allowlist[1].to, sizeof(p.allowlist[1].to), "a b");
	expect_policy(&p, 2, 4, TREASURY_ERR_DESTINATION);
	snprintf(p.allowlist[1].to, sizeof(p.allowlist[1].to), "%s",
	    p.allowlist[0].to);				/* a duplicate */
	expect_policy(&p, 2, 4, TREASURY_ERR_POLICY_ORDER);
	/* destinations are ordered by bytes, case included: 'B' < 'b' */
	destination_set(&p.allowlist[0], "bc1", "");
	destination_set(&p.allowlist[1], "Bc1", "");
	expect_policy(&p, 2, 4, TREASURY_ERR_POLICY_ORDER);
	policy_normalize(&p);
	expect_policy(&p, 2, 4, TREASURY_OK);
	assert_string_equal(p.allowlist[0].to, "Bc1");
}

/* ---- thresholds ---- */

static void
test_veto_threshold_every_n(void **state)
{
	struct treasury_policy p;
	unsigned n, k, want;

	(void)state;
	policy_init(&p);
	for (n = 1; n <= SIGNERS_PER_TREASURY_MAX; n++) {
		for (want = 1; 3 * want < n; want++)
			;				/* smallest 3k >= n */
		assert_int_equal(policy_veto_threshold(&p, n), want);
	}
	assert_int_equal(policy_veto_threshold(&p, 1), 1);
	assert_int_equal(policy_veto_threshold(&p, 3), 1);
	assert_int_equal(policy_veto_threshold(&p, 4), 2);
	assert_int_equal(policy_veto_threshold(&p, 32), 11);
	for (n = 1; n <= SIGNERS_PER_TREASURY_MAX; n++) {
		for (k = 1; k <= n; k++) {
			p.veto_count = k;
			assert_int_equal(policy_veto_threshold(&p, n), k);
		}
	}
}

static void
test_base_and_rejection_thresholds(void **state)
{
	struct treasury_policy p;

	(void)state;
	policy_init(&p);
	assert_int_equal(policy_base_threshold(&p, TRACK_SPEND, 2), 2);
	assert_int_equal(policy_base_threshold(&p, TRACK_CONFIG, 2), 2);
	p.config_extra = 1;
	assert_int_equal(policy_base_threshold(&p, TRACK_SPEND, 2), 2);
	assert_int_equal(policy_base_threshold(&p, TRACK_CONFIG, 2), 3);
	/* the same rules from the stored columns alone */
	assert_int_equal(policy_track_threshold(TRACK_SPEND, 2, 1), 2);
	assert_int_equal(policy_track_threshold(TRACK_CONFIG, 2, 1), 3);
	assert_int_equal(policy_track_threshold(TRACK_CONFIG, 2, 0), 2);
	assert_int_equal(policy_track_delay_s(TRACK_SPEND, 60, 3600), 60);
	assert_int_equal(policy_track_delay_s(TRACK_CONFIG, 60, 3600), 3600);
	assert_int_equal(policy_rejection_threshold(2, 3), 2);
	assert_int_equal(policy_rejection_threshold(3, 3), 1);
	assert_int_equal(policy_rejection_threshold(1, 1), 1);
	assert_int_equal(policy_rejection_threshold(1, 32), 32);
	assert_int_equal(proposal_kind_track(KIND_TRANSFER), TRACK_SPEND);
	assert_int_equal(proposal_kind_track(KIND_BATCH), TRACK_SPEND);
	assert_int_equal(proposal_kind_track(KIND_UNFREEZE), TRACK_SPEND);
	assert_int_equal(proposal_kind_track(KIND_ADD_SIGNER), TRACK_CONFIG);
	assert_int_equal(proposal_kind_track(KIND_REMOVE_SIGNER), TRACK_CONFIG);
	assert_int_equal(proposal_kind_track(KIND_REPLACE_SIGNER), TRACK_CONFIG);
	assert_int_equal(proposal_kind_track(KIND_SET_THRESHOLD), TRACK_CONFIG);
	assert_int_equal(proposal_kind_track(KIND_SET_POLICY), TRACK_CONFIG);
	assert_true(proposal_kind_is_config(KIND_SET_POLICY));
	assert_false(proposal_kind_is_config(KIND_UNFREEZE));
}

/* ---- windows, limits, reserves ---- */

static void
test_window_boundaries(void **state)
{
	enum policy_window w;
	int64_t len;

	(void)state;
	assert_int_equal(policy_window_s(WINDOW_DAY), 86400);
	assert_int_equal(policy_window_s(WINDOW_WEEK), 604800);
	assert_int_equal(policy_window_s(WINDOW_MONTH), 2592000);
	assert_string_equal(policy_window_name(WINDOW_MONTH), "month");
	assert_string_equal(policy_window_name((enum policy_window)3),
	    "unknown");
	for (w = WINDOW_DAY; w <= WINDOW_MONTH; w++) {
		len = policy_window_s(w);
		assert_true(policy_window_contains(w, NOW_S, NOW_S));
		assert_true(policy_window_contains(w, NOW_S - len + 1, NOW_S));
		assert_false(policy_window_contains(w, NOW_S - len, NOW_S));
		assert_false(policy_window_contains(w, NOW_S + 1, NOW_S));
		assert_false(policy_window_contains(w, INT64_MIN, INT64_MAX));
		assert_true(policy_window_contains(w, INT64_MAX, INT64_MAX));
		assert_false(policy_window_contains(w, INT64_MAX, INT64_MIN));
	}
}

static void
spend_set(struct policy_spend_asset *a, const char *asset, amount_minor spend,
    amount_minor balance, amount_minor day, amount_minor week,
    amount_minor month)
{
	a->asset = asset;
	a->spend_minor = spend;
	a->balance_minor = balance;
	a->outflow_minor[WINDOW_DAY] = day;
	a->outflow_minor[WINDOW_WEEK] = week;
	a->outflow_minor[WINDOW_MONTH] = month;
}

static treasury_err
evaluate_one(const struct treasury_policy *p,
    const struct policy_spend_asset *a, struct policy_spend_verdict *v)
{
	return policy_spend_evaluate(p, 2, a, 1, v);
}

static void
test_limits_exactly_and_one_over(void **state)
{
	struct treasury_policy p;
	struct policy_spend_asset a;
	struct policy_spend_verdict v;

	(void)state;
	policy_example(&p);			/* USDC day limit 100000 */
	/* 40000 already out today: 60000 more is exactly at the limit */
	spend_set(&a, "USDC", USDC(60000), USDC(5000000), USDC(40000),
	    USDC(40000), USDC(40000));
	assert_int_equal(evaluate_one(&p, &a, &v), TREASURY_OK);
	assert_int_equal(v.required, 2);
	assert_int_equal(v.reason, SPEND_WITHIN_POLICY);
	/* one minor unit more needs the high threshold */
	a.spend_minor += 1;
	assert_int_equal(evaluate_one(&p, &a, &v), TREASURY_OK);
	assert_int_equal(v.required, 3);
	assert_int_equal(v.reason, SPEND_OVER_LIMIT);
	assert_int_equal(v.window, WINDOW_DAY);
	/* without a high threshold it waits for the window */
	p.high_threshold = 0;
	assert_int_equal(evaluate_one(&p, &a, &v), TREASURY_ERR_LIMIT_EXCEEDED);
	assert_int_equal(v.required, 0);
	assert_int_equal(v.window, WINDOW_DAY);
	/* a day later the day window is empty; the week still counts */
	spend_set(&a, "USDC", USDC(60001), USDC(5000000), 0, USDC(40000),
	    USDC(40000));
	assert_int_equal(evaluate_one(&p, &a, &v), TREASURY_OK);
	assert_int_equal(v.required, 2);
	/* the week: 250000 */
	spend_set(&a, "USDC", USDC(60000), USDC(5000000), 0, USDC(190000) + 1,
	    0);
	assert_int_equal(evaluate_one(&p, &a, &v), TREASURY_ERR_LIMIT_EXCEEDED);
	assert_int_equal(v.window, WINDOW_WEEK);
	/* the month: 500000 */
	spend_set(&a, "USDC", USDC(60000), USDC(5000000), 0, 0, USDC(440000));
	assert_int_equal(evaluate_one(&p, &a, &v), TREASURY_OK);
	a.outflow_minor[WINDOW_MONTH] += 1;
	assert_int_equal(evaluate_one(&p, &a, &v), TREASURY_ERR_LIMIT_EXCEEDED);
	assert_int_equal(v.window, WINDOW_MONTH);
	/* BTC has no week limit ("none"): any week outflow is fine */
	spend_set(&a, "BTC", 1, 10, 0, AMOUNT_MINOR_MAX - 1, 0);
	assert_int_equal(evaluate_one(&p, &a, &v), TREASURY_OK);
	/* an asset without limits or reserve */
	spend_set(&a, "ETH", AMOUNT_MINOR_MAX, AMOUNT_MINOR_MAX,
	    AMOUNT_MINOR_MAX, AMOUNT_MINOR_MAX, AMOUNT_MINOR_MAX);
	assert_int_equal(evaluate_one(&p, &a, &v), TREASURY_OK);
	/* limits match asset codes ignoring case, as the registry does */
	spend_set(&a, "usdc", USDC(100001), USDC(5000000), 0, 0, 0);
	assert_int_equal(evaluate_one(&p, &a, &v), TREASURY_ERR_LIMIT_EXCEEDED);
}

static void
test_limits_overflow(void **state)
{
	struct treasury_policy p;
	struct policy_spend_asset a;
	struct policy_spend_verdict v;

	(void)state;
	policy_init(&p);
	p.limit_count = 1;
	limit_set(&p.limits[0], "X", 0, AMOUNT_MINOR_MAX, 0, 0);
	expect_policy(&p, 1, 1, TREASURY_OK);
	/* exactly 2^128-1 in the window: at the limit, allowed */
	spend_set(&a, "X", 1, AMOUNT_MINOR_MAX, AMOUNT_MINOR_MAX - 1, 0, 0);
	assert_int_equal(evaluate_one(&p, &a, &v), TREASURY_OK);
	/* the sum would pass 2^128-1: exceeded, never wrapped to small */
	spend_set(&a, "X", 2, AMOUNT_MINOR_MAX, AMOUNT_MINOR_MAX - 1, 0, 0);
	assert_int_equal(evaluate_one(&p, &a, &v), TREASURY_ERR_LIMIT_EXCEEDED);
	spend_set(&a, "X", AMOUNT_MINOR_MAX, AMOUNT_MINOR_MAX, AMOUNT_MINOR_MAX,
	    0, 0);
	assert_int_equal(evaluate_one(&p, &a, &v), TREASURY_ERR_LIMIT_EXCEEDED);
	/* a limit of one minor unit */
	limit_set(&p.limits[0], "X", 0, 1, 0, 0);
	spend_set(&a, "X", 1, 1, 0, 0, 0);
	assert_int_equal(evaluate_one(&p, &a, &v), TREASURY_OK);
	spend_set(&a, "X", 1, 1, 1, 0, 0);
	assert_int_equal(evaluate_one(&p, &a, &v), TREASURY_ERR_LIMIT_EXCEEDED);
}

static void
test_reserve_edges(void **state)
{
	struct treasury_policy p;
	struct policy_spend_asset a;
	struct policy_spend_verdict v;

	(void)state;
	policy_example(&p);			/* USDC reserve 1000000 */
	/* balance - spend == reserve: allowed */
	spend_set(&a, "USDC", USDC(50000), USDC(1050000), 0, 0, 0);
	assert_int_equal(evaluate_one(&p, &a, &v), TREASURY_OK);
	assert_int_equal(v.required, 2);
	/* one minor unit into the reserve */
	a.spend_minor += 1;
	assert_int_equal(evaluate_one(&p, &a, &v), TREASURY_OK);
	assert_int_equal(v.required, 3);
	assert_int_equal(v.reason, SPEND_INTO_RESERVE);
	p.high_threshold = 0;
	assert_int_equal(evaluate_one(&p, &a, &v), TREASURY_ERR_RESERVE);
	assert_int_equal(v.required, 0);
	/* a balance already below the reserve: every spend needs it */
	spend_set(&a, "USDC", 1, USDC(999999), 0, 0, 0);
	assert_int_equal(evaluate_one(&p, &a, &v), TREASURY_ERR_RESERVE);
	/* spending everything */
	spend_set(&a, "USDC", USDC(2000000), USDC(2000000), 0, 0, 0);
	assert_int_equal(evaluate_one(&p, &a, &v), TREASURY_ERR_LIMIT_EXCEEDED);
	/* more than the balance is reported first */
	spend_set(&a, "USDC", USDC(1) + 1, USDC(1), 0, 0, 0);
	assert_int_equal(evaluate_one(&p, &a, &v),
	    TREASURY_ERR_INSUFFICIENT_BALANCE);
}

static void
test_spend_several_assets(void **state)
{
	struct treasury_policy p;
	struct policy_spend_asset a[3];
	struct policy_spend_verdict v;

	(void)state;
	policy_example(&p);
	spend_set(&a[0], "ETH", 5, 10, 0, 0, 0);
	spend_set(&a[1], "BTC", 50000000, 100000000, 0, 0, 0);	/* at limit */
	spend_set(&a[2], "USDC", USDC(10), USDC(2000000), 0, 0, 0);
	assert_int_equal(policy_spend_evaluate(&p, 2, a, 3, &v), TREASURY_OK);
	assert_int_equal(v.required, 2);
	a[2].spend_minor = USDC(1000001);		/* reserve */
	a[1].spend_minor += 1;				/* and limit */
	assert_int_equal(policy_spend_evaluate(&p, 2, a, 3, &v), TREASURY_OK);
	assert_int_equal(v.required, 3);
	assert_int_equal(v.asset_index, 1);		/* the first breach */
	assert_int_equal(v.reason, SPEND_OVER_LIMIT);
	a[0].spend_minor = 11;				/* more than held */
	assert_int_equal(policy_spend_evaluate(&p, 2, a, 3, &v),
	    TREASURY_ERR_INSUFFICIENT_BALANCE);
	assert_int_equal(v.asset_index, 0);
	assert_int_equal(policy_spend_evaluate(&p, 2, a, 0, &v), TREASURY_OK);
}

static void
test_remaining(void **state)
{
	struct treasury_policy p;
	amount_minor left;
	bool unlimited;

	(void)state;
	policy_example(&p);
	policy_remaining(&p, "USDC", WINDOW_DAY, USDC(40000), &unlimited, &left);
	assert_false(unlimited);
	assert_true(left == USDC(60000));
	policy_remaining(&p, "USDC", WINDOW_DAY, USDC(100000), &unlimited,
	    &left);
	assert_true(left == 0);				/* exactly used up */
	policy_remaining(&p, "USDC", WINDOW_DAY, AMOUNT_MINOR_MAX, &unlimited,
	    &left);
	assert_true(left == 0);				/* over: never negative */
	policy_remaining(&p, "BTC", WINDOW_WEEK, 123, &unlimited, &left);
	assert_true(unlimited);				/* "none" */
	assert_true(left == AMOUNT_MINOR_MAX);
	policy_remaining(&p, "ETH", WINDOW_MONTH, 0, &unlimited, &left);
	assert_true(unlimited);				/* no entry */
	policy_remaining(&p, "btc", WINDOW_MONTH, 1, &unlimited, &left);
	assert_false(unlimited);
	assert_true(left == 499999999);
}

static void
test_allowlist(void **state)
{
	struct treasury_policy p;
	const char *label = NULL;

	(void)state;
	policy_init(&p);
	assert_int_equal(policy_destination_check(&p, "anything", &label),
	    TREASURY_OK);
	assert_string_equal(label, "");
	p.allowlist_on = true;				/* on and empty */
	assert_int_equal(policy_destination_check(&p, "anything", NULL),
	    TREASURY_ERR_NOT_ALLOWLISTED);
	policy_example(&p);
	assert_int_equal(policy_destination_check(&p,
	    "0x742d35Cc6634C0532925a3b844Bc454e4438f44e", &label), TREASURY_OK);
	assert_string_equal(label, "Payroll \xe2\x80\x94 Coinbase Prime");
	assert_int_equal(policy_destination_check(&p,
	    "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", &label), TREASURY_OK);
	assert_string_equal(label, "");
	/* exact bytes: another spelling of the same address is not listed */
	assert_int_equal(policy_destination_check(&p,
	    "0x742d35cc6634c0532925a3b844bc454e4438f44e", &label),
	    TREASURY_ERR_NOT_ALLOWLISTED);
	assert_int_equal(policy_destination_check(&p,
	    "0x742d35Cc6634C0532925a3b844Bc454e4438f44", NULL),
	    TREASURY_ERR_NOT_ALLOWLISTED);
}

/* ---- timelock, vetoes, state ---- */

static void
test_timelock(void **state)
{
	struct treasury_policy p;

	(void)state;
	policy_init(&p);
	assert_int_equal(policy_delay_s(&p, TRACK_SPEND), 0);
	assert_int_equal(policy_executable_at(NOW_S, 0), NOW_S);
	assert_int_equal(policy_timelock_check(NOW_S, 0, NOW_S), TREASURY_OK);
	assert_false(policy_vetoes_apply(&p, TRACK_SPEND));
	assert_false(policy_vetoes_apply(&p, TRACK_CONFIG));

	p.timelock_spend_s = 2 * DAY_S;
	p.timelock_config_s = POLICY_TIMELOCK_MAX_S;
	assert_int_equal(policy_delay_s(&p, TRACK_SPEND), 2 * DAY_S);
	assert_int_equal(policy_delay_s(&p, TRACK_CONFIG), 90 * DAY_S);
	assert_true(policy_vetoes_apply(&p, TRACK_SPEND));
	assert_int_equal(policy_timelock_check(NOW_S, 2 * DAY_S,
	    NOW_S + 2 * DAY_S - 1), TREASURY_ERR_TIMELOCKED);
	assert_int_equal(policy_timelock_check(NOW_S, 2 * DAY_S,
	    NOW_S + 2 * DAY_S), TREASURY_OK);
	assert_int_equal(policy_timelock_check(NOW_S, 90 * DAY_S,
	    NOW_S + 90 * DAY_S - 1), TREASURY_ERR_TIMELOCKED);
	assert_int_equal(policy_timelock_check(NOW_S, 90 * DAY_S,
	    NOW_S + 90 * DAY_S), TREASURY_OK);
	assert_int_equal(policy_executable_at(INT64_MAX - 5, 90 * DAY_S),
	    INT64_MAX);
	assert_int_equal(policy_timelock_check(INT64_MAX - 5, 90 * DAY_S,
	    INT64_MAX - 1), TREASURY_ERR_TIMELOCKED);
}

static void
test_expiry_with_delay(void **state)
{
	const int64_t d = 90 * DAY_S;

	(void)state;
	assert_int_equal(policy_expiry_check(NOW_S + 60, NOW_S, 0), TREASURY_OK);
	assert_int_equal(policy_expiry_check(NOW_S + 59, NOW_S, 0),
	    TREASURY_ERR_EXPIRY_TOO_SOON);
	assert_int_equal(policy_expiry_check(NOW_S + d, NOW_S, 0), TREASURY_OK);
	assert_int_equal(policy_expiry_check(NOW_S + d + 1, NOW_S, 0),
	    TREASURY_ERR_EXPIRY_TOO_LATE);
	/* a 90-day delay: expiry between 90 days + 60 s and 180 days */
	assert_int_equal(policy_expiry_check(NOW_S + d + 59, NOW_S, d),
	    TREASURY_ERR_EXPIRY_TOO_SOON);
	assert_int_equal(policy_expiry_check(NOW_S + d + 60, NOW_S, d),
	    TREASURY_OK);
	assert_int_equal(policy_expiry_check(NOW_S + 2 * d, NOW_S, d),
	    TREASURY_OK);
	assert_int_equal(policy_expiry_check(NOW_S + 2 * d + 1, NOW_S, d),
	    TREASURY_ERR_EXPIRY_TOO_LATE);
	assert_int_equal(policy_expiry_check(INT64_MIN, INT64_MAX, d),
	    TREASURY_ERR_EXPIRY_TOO_SOON);
	assert_int_equal(policy_expiry_check(INT64_MAX, INT64_MIN, d),
	    TREASURY_ERR_EXPIRY_TOO_LATE);
	assert_int_equal(policy_expiry_check(INT64_MIN + 5, 0, d),
	    TREASURY_ERR_EXPIRY_TOO_SOON);
}

/* The bounds a refusal states are the ones the check applies. */
static void
test_expiry_bounds(void **state)
{
	int64_t lo, hi;

	(void)state;
	policy_expiry_bounds(NOW_S, 0, &lo, &hi);
	assert_int_equal(lo, NOW_S + 60);
	assert_int_equal(hi, NOW_S + 90 * DAY_S);
	policy_expiry_bounds(NOW_S, 3600, &lo, &hi);
	assert_int_equal(lo, NOW_S + 3660);
	assert_int_equal(hi, NOW_S + 3600 + 90 * DAY_S);
	assert_int_equal(policy_expiry_check(lo, NOW_S, 3600), TREASURY_OK);
	assert_int_equal(policy_expiry_check(lo - 1, NOW_S, 3600),
	    TREASURY_ERR_EXPIRY_TOO_SOON);
	assert_int_equal(policy_expiry_check(hi, NOW_S, 3600), TREASURY_OK);
	assert_int_equal(policy_expiry_check(hi + 1, NOW_S, 3600),
	    TREASURY_ERR_EXPIRY_TOO_LATE);
	policy_expiry_bounds(INT64_MAX - 5, 90 * DAY_S, &lo, &hi);
	assert_int_equal(lo, INT64_MAX);
	assert_int_equal(hi, INT64_MAX);
}

static enum policy_state
state_of(const struct treasury_policy *p, enum policy_track track,
    unsigned m, unsigned n, unsigned a, unsigned r, unsigned v)
{
	struct policy_tally t = { a, r, v };

	return policy_state_of(p, track, m, n, &t);
}

static void
test_state_of(void **state)
{
	struct treasury_policy p;

	(void)state;
	policy_init(&p);
	/* no delay: vetoes do not apply, today's rules */
	assert_int_equal(state_of(&p, TRACK_SPEND, 2, 3, 0, 0, 3), STATE_PENDING);
	assert_int_equal(state_of(&p, TRACK_SPEND, 2, 3, 2, 0, 0),
	    STATE_APPROVED);
	assert_int_equal(state_of(&p, TRACK_SPEND, 2, 3, 1, 1, 0), STATE_PENDING);
	assert_int_equal(state_of(&p, TRACK_SPEND, 2, 3, 0, 2, 0),
	    STATE_REJECTED);
	/* a revocation from 2 approvals to 1: back to pending */
	assert_int_equal(state_of(&p, TRACK_SPEND, 2, 3, 1, 0, 0), STATE_PENDING);

	policy_example(&p);			/* 2-day delay, config M+1 */
	/* 2 of 4: default vetoes ceil(4/3) = 2; a veto beats approvals */
	assert_int_equal(state_of(&p, TRACK_SPEND, 2, 4, 2, 0, 1),
	    STATE_APPROVED);
	assert_int_equal(state_of(&p, TRACK_SPEND, 2, 4, 2, 0, 2), STATE_VETOED);
	assert_int_equal(state_of(&p, TRACK_SPEND, 2, 4, 4, 0, 2), STATE_VETOED);
	/* config track: 3 approvals; rejected at 4 - 3 + 1 = 2 */
	assert_int_equal(state_of(&p, TRACK_CONFIG, 2, 4, 2, 0, 0),
	    STATE_PENDING);
	assert_int_equal(state_of(&p, TRACK_CONFIG, 2, 4, 3, 0, 0),
	    STATE_APPROVED);
	assert_int_equal(state_of(&p, TRACK_CONFIG, 2, 4, 2, 2, 0),
	    STATE_REJECTED);
	p.veto_count = 1;
	assert_int_equal(state_of(&p, TRACK_CONFIG, 2, 4, 3, 0, 1),
	    STATE_VETOED);
	/* a spend delay of 0 with a config delay: spends are not vetoable */
	p.timelock_spend_s = 0;
	assert_int_equal(state_of(&p, TRACK_SPEND, 2, 4, 2, 0, 4),
	    STATE_APPROVED);
	assert_int_equal(state_of(&p, TRACK_CONFIG, 2, 4, 0, 0, 1),
	    STATE_VETOED);
}

/* ---- freeze ---- */

static void
test_freeze_rules(void **state)
{
	struct policy_freeze_state st = { false, 0 };
	bool replayed;

	(void)state;
	assert_int_equal(policy_freeze_gate(&st, false, 0), TREASURY_OK);
	assert_int_equal(policy_freeze_gate(&st, true, 1),
	    TREASURY_ERR_NOT_FROZEN);
	assert_int_equal(policy_freeze_apply(&st, 0, &replayed),
	    TREASURY_ERR_FREEZE_SEQUENCE);
	assert_int_equal(policy_freeze_apply(&st, 2, &replayed),
	    TREASURY_ERR_FREEZE_SEQUENCE);
	assert_int_equal(policy_freeze_apply(&st, 1, &replayed), TREASURY_OK);
	assert_false(replayed);
	assert_true(st.frozen);
	assert_int_equal(st.freeze_seq, 1);
	/* a second signer's request for the same freeze: nothing changes */
	assert_int_equal(policy_freeze_apply(&st, 1, &replayed), TREASURY_OK);
	assert_true(replayed);
	assert_int_equal(policy_freeze_apply(&st, 2, &replayed),
	    TREASURY_ERR_FREEZE_SEQUENCE);
	assert_int_equal(policy_freeze_gate(&st, false, 0), TREASURY_ERR_FROZEN);
	assert_int_equal(policy_freeze_gate(&st, true, 2),
	    TREASURY_ERR_FREEZE_SEQUENCE);
	assert_int_equal(policy_freeze_gate(&st, true, 1), TREASURY_OK);
	st.frozen = false;			/* the unfreeze executed */
	/* the old freeze cannot be replayed; the next one is 2 */
	assert_int_equal(policy_freeze_apply(&st, 1, &replayed),
	    TREASURY_ERR_FREEZE_SEQUENCE);
	assert_int_equal(policy_freeze_gate(&st, true, 1),
	    TREASURY_ERR_NOT_FROZEN);
	assert_int_equal(policy_freeze_apply(&st, 2, &replayed), TREASURY_OK);
	st.frozen = false;
	st.freeze_seq = UINT64_MAX;
	assert_int_equal(policy_freeze_apply(&st, 0, &replayed),
	    TREASURY_ERR_FREEZE_SEQUENCE);		/* no wrap to 0 */
}

static void
test_freeze_request_text(void **state)
{
	struct freeze_request r;
	struct textbuf tb;
	uint8_t digest[DIGEST_BYTES];

	(void)state;
	instance_set(r.instance);
	r.treasury = "ops";
	r.config_version = 3;
	r.freeze_seq = 1;
	textbuf_init(&tb, CANONICAL_MAX_BYTES);
	assert_int_equal(freeze_request_encode(&tb, &r), TREASURY_OK);
	assert_int_equal(tb.len, strlen(text_freeze));
	assert_memory_equal(tb.data, text_freeze, tb.len);
	textbuf_free(&tb);
	assert_int_equal(freeze_digest_compute(digest, &r), TREASURY_OK);
	expect_hex(digest,
	    "ba39b920e50aa847f31ff228f54952e5002f229ca151b4e10ec87fb2436ee371");
	r.freeze_seq = 0;
	assert_int_equal(freeze_digest_compute(digest, &r),
	    TREASURY_ERR_INTERNAL);
	r.freeze_seq = 1;
	r.config_version = 0;
	assert_int_equal(freeze_digest_compute(digest, &r),
	    TREASURY_ERR_INTERNAL);
	r.config_version = 3;
	r.treasury = "Ops";
	assert_int_equal(freeze_digest_compute(digest, &r),
	    TREASURY_ERR_TREASURY_ID);
	r.treasury = NULL;
	assert_int_equal(freeze_digest_compute(digest, &r),
	    TREASURY_ERR_TREASURY_ID);
}

/* ---- texts ---- */

static void
test_encode_exact(void **state)
{
	struct proposal_fields *p;

	(void)state;
	p = fixture_set_policy();
	expect_text(p, text_set_policy);
	free(p);
	p = fixture_empty_policy();
	expect_text(p, text_empty_policy);
	free(p);
	p = fixture_unfreeze();
	expect_text(p, text_unfreeze);
	free(p);
}

static void
policy_equal(const struct treasury_policy *a, const struct treasury_policy *b)
{
	unsigned i, w;

	assert_int_equal(a->timelock_spend_s, b->timelock_spend_s);
	assert_int_equal(a->timelock_config_s, b->timelock_config_s);
	assert_int_equal(a->veto_count, b->veto_count);
	assert_int_equal(a->config_extra, b->config_extra);
	assert_int_equal(a->high_threshold, b->high_threshold);
	assert_int_equal(a->key_proof, b->key_proof);
	assert_int_equal(a->limit_count, b->limit_count);
	for (i = 0; i < a->limit_count; i++) {
		assert_string_equal(a->limits[i].asset, b->limits[i].asset);
		assert_int_equal(a->limits[i].decimals, b->limits[i].decimals);
		for (w = 0; w < POLICY_WINDOWS; w++)
			assert_true(a->limits[i].limit_minor[w] ==
			    b->limits[i].limit_minor[w]);
	}
	assert_int_equal(a->reserve_count, b->reserve_count);
	for (i = 0; i < a->reserve_count; i++) {
		assert_string_equal(a->reserves[i].asset, b->reserves[i].asset);
		assert_int_equal(a->reserves[i].decimals,
		    b->reserves[i].decimals);
		assert_true(a->reserves[i].reserve_minor ==
		    b->reserves[i].reserve_minor);
	}
	assert_int_equal(a->allowlist_on, b->allowlist_on);
	assert_int_equal(a->allowlist_count, b->allowlist_count);
	for (i = 0; i < a->allowlist_count; i++) {
		assert_string_equal(a->allowlist[i].to, b->allowlist[i].to);
		assert_string_equal(a->allowlist[i].label,
		    b->allowlist[i].label);
	}
}

static void
round_trip(struct proposal_fields *p)
{
	struct proposal_fields *q = calloc(1, sizeof(*q));
	struct textbuf tb;

	assert_non_null(q);
	assert_int_equal(encode(p, &tb), TREASURY_OK);
	assert_int_equal(proposal_decode(verifier, tb.data, tb.len, q),
	    TREASURY_OK);
	assert_int_equal(q->kind, p->kind);
	assert_string_equal(q->memo, p->memo);
	if (p->kind == KIND_UNFREEZE) {
		assert_int_equal(q->freeze_seq, p->freeze_seq);
	} else {
		assert_int_equal(q->threshold_after, p->threshold_after);
		assert_int_equal(q->signers_after, p->signers_after);
		policy_equal(&q->policy, &p->policy);
	}
	textbuf_free(&tb);
	free(q);
}

static void
test_round_trips(void **state)
{
	struct proposal_fields *p;
	unsigned i;

	(void)state;
	p = fixture_set_policy();
	round_trip(p);
	free(p);
	p = fixture_empty_policy();
	round_trip(p);
	free(p);
	p = fixture_unfreeze();
	round_trip(p);
	p->freeze_seq = UINT64_MAX;
	round_trip(p);
	free(p);

	/* every list at its maximum, every value at its edge */
	p = fields_new(KIND_SET_POLICY, 1, 1);
	p->threshold_after = 31;
	p->signers_after = 32;
	p->policy.timelock_spend_s = POLICY_TIMELOCK_MAX_S;
	p->policy.timelock_config_s = POLICY_TIMELOCK_MAX_S;
	p->policy.veto_count = 32;
	p->policy.config_extra = 1;
	p->policy.high_threshold = 32;
	p->policy.limit_count = POLICY_LIMITS_MAX;
	p->policy.reserve_count = POLICY_RESERVES_MAX;
	for (i = 0; i < POLICY_LIMITS_MAX; i++) {
		char code[8];

		snprintf(code, sizeof(code), "A%02u", i);
		limit_set(&p->policy.limits[i], code, i % 2 ? 18 : 0,
		    AMOUNT_MINOR_MAX, 1, i % 3 ? 0 : AMOUNT_MINOR_MAX);
		snprintf(p->policy.reserves[i].asset,
		    sizeof(p->policy.reserves[i].asset), "%s", code);
		p->policy.reserves[i].decimals = i % 2 ? 18 : 0;
		p->policy.reserves[i].reserve_minor = AMOUNT_MINOR_MAX - i;
	}
	p->policy.allowlist_on = true;
	p->policy.allowlist_count = POLICY_ALLOWLIST_MAX;
	for (i = 0; i < POLICY_ALLOWLIST_MAX; i++) {
		struct policy_destination *d = &p->policy.allowlist[i];

		memset(d->to, 'a' + (char)(i % 26), DESTINATION_MAX_BYTES);
		d->to[0] = (char)('0' + i / 26);
		d->to[DESTINATION_MAX_BYTES] = '\0';
		memset(d->label, 'L', POLICY_LABEL_MAX_BYTES);
		d->label[POLICY_LABEL_MAX_BYTES] = '\0';
	}
	policy_normalize(&p->policy);
	memset(p->memo, 'm', MEMO_MAX_BYTES);
	p->memo[MEMO_MAX_BYTES] = '\0';
	round_trip(p);
	free(p);
}

static void
test_policy_lines_decode(void **state)
{
	struct treasury_policy p, q;
	struct textbuf tb;
	const char *lines;
	unsigned m, n;

	(void)state;
	policy_example(&p);
	textbuf_init(&tb, CANONICAL_MAX_BYTES);
	assert_int_equal(policy_lines_append(&tb, &p, 2, 4), TREASURY_OK);
	lines = strstr(text_set_policy, "threshold: ");
	assert_non_null(lines);
	/* the lines are the set-policy body, without its memo */
	assert_int_equal(tb.len, strlen(lines) - strlen(strstr(lines,
	    "memo: ")));
	assert_memory_equal(tb.data, lines, tb.len);
	assert_int_equal(policy_lines_decode(tb.data, tb.len, &q, &m, &n),
	    TREASURY_OK);
	assert_int_equal(m, 2);
	assert_int_equal(n, 4);
	policy_equal(&p, &q);
	assert_int_equal(policy_lines_decode(tb.data, tb.len - 1, &q, &m, &n),
	    TREASURY_ERR_CANONICAL);
	assert_int_equal(policy_lines_decode(lines, strlen(lines), &q, &m, &n),
	    TREASURY_ERR_CANONICAL);		/* a memo line too many */
	assert_int_equal(policy_lines_decode(NULL, 0, &q, &m, &n),
	    TREASURY_ERR_CANONICAL);
	tb.data[tb.len - 1] = '\r';
	assert_int_equal(policy_lines_decode(tb.data, tb.len, &q, &m, &n),
	    TREASURY_ERR_CANONICAL);
	textbuf_free(&tb);
	p.high_threshold = 1;
	textbuf_init(&tb, CANONICAL_MAX_BYTES);
	assert_int_equal(policy_lines_append(&tb, &p, 2, 4),
	    TREASURY_ERR_POLICY_HIGH_THRESHOLD);
	textbuf_free(&tb);
}

static void
test_encode_errors(void **state)
{
	struct proposal_fields *p;

	(void)state;
	p = fixture_set_policy();
	p->threshold_after = 5;
	expect_encode_err(p, TREASURY_ERR_THRESHOLD);
	p->threshold_after = 2;
	p->signers_after = 2;				/* high 3 > N */
	expect_encode_err(p, TREASURY_ERR_POLICY_CONFIG_THRESHOLD);
	p->signers_after = 4;
	p->policy.timelock_config_s = 0;
	expect_encode_err(p, TREASURY_ERR_POLICY_TIMELOCK);
	free(p);
	p = fixture_set_policy();
	p->policy.allowlist_count = 1;
	p->policy.allowlist[0] = p->policy.allowlist[1];
	p->policy.allowlist_count = 2;			/* a duplicate */
	expect_encode_err(p, TREASURY_ERR_POLICY_ORDER);
	free(p);
	p = fixture_set_policy();
	snprintf(p->memo, sizeof(p->memo), "tab\there");
	expect_encode_err(p, TREASURY_ERR_MEMO_CHAR);
	free(p);
	p = fixture_unfreeze();
	p->freeze_seq = 0;
	expect_encode_err(p, TREASURY_ERR_CANONICAL);
	free(p);
}

static void
test_decode_errors(void **state)
{
	const char *t = text_set_policy;

	(void)state;
	assert_int_equal(decode_str(t), TREASURY_OK);
	expect_edit(t, "veto_count: default", "veto_count: 0",
	    TREASURY_ERR_CANONICAL);
	expect_edit(t, "veto_count: default", "veto_count: 2", TREASURY_OK);
	expect_edit(t, "veto_count: default", "veto_count: 02",
	    TREASURY_ERR_CANONICAL);
	expect_edit(t, "veto_count: default", "veto_count: 5",
	    TREASURY_ERR_POLICY_VETO_COUNT);
	expect_edit(t, "veto_count: default", "veto_count: 99999999999",
	    TREASURY_ERR_POLICY_VETO_COUNT);
	expect_edit(t, "veto_count: default", "veto_count: Default",
	    TREASURY_ERR_CANONICAL);
	expect_edit(t, "high_threshold: 3", "high_threshold: 0",
	    TREASURY_ERR_CANONICAL);
	expect_edit(t, "high_threshold: 3", "high_threshold: 1",
	    TREASURY_ERR_POLICY_HIGH_THRESHOLD);
	expect_edit(t, "high_threshold: 3", "high_threshold: none",
	    TREASURY_OK);
	expect_edit(t, "config_threshold: 3", "config_threshold: 4",
	    TREASURY_ERR_POLICY_CONFIG_THRESHOLD);
	expect_edit(t, "config_threshold: 3", "config_threshold: 1",
	    TREASURY_ERR_POLICY_CONFIG_THRESHOLD);
	expect_edit(t, "config_threshold: 3", "config_threshold: 2",
	    TREASURY_OK);
	expect_edit(t, "timelock_spend_s: 172800", "timelock_spend_s: 7776001",
	    TREASURY_ERR_POLICY_TIMELOCK);
	expect_edit(t, "timelock_config_s: 604800", "timelock_config_s: 1",
	    TREASURY_ERR_POLICY_TIMELOCK);
	expect_edit(t, "timelock_spend_s: 172800",
	    "timelock_spend_s: 18446744073709551615",
	    TREASURY_ERR_POLICY_TIMELOCK);
	expect_edit(t, "key_proof: required", "key_proof: yes",
	    TREASURY_ERR_CANONICAL);
	expect_edit(t, "allowlist: on", "allowlist: ON", TREASURY_ERR_CANONICAL);
	expect_edit(t, "allowlist: on", "allowlist: off",
	    TREASURY_ERR_POLICY_ALLOWLIST);
	expect_edit(t, "limits: 2", "limits: 17", TREASURY_ERR_TOO_LARGE);
	expect_edit(t, "limits: 2", "limits: 1", TREASURY_ERR_CANONICAL);
	expect_edit(t, "limits: 2", "limits: 02", TREASURY_ERR_CANONICAL);
	expect_edit(t, "destinations: 2", "destinations: 65",
	    TREASURY_ERR_TOO_LARGE);
	expect_edit(t, "limit.1.week: none", "limit.1.week: 0.00000000",
	    TREASURY_ERR_AMOUNT_ZERO);
	expect_edit(t, "limit.1.week: none", "limit.1.week: 1.0000000",
	    TREASURY_ERR_CANONICAL);			/* 7 vs 8 digits */
	expect_edit(t, "limit.1.week: none", "limit.1.week: 1.00000000",
	    TREASURY_OK);
	expect_edit(t, "limit.1.week: none", "limit.1.week: None",
	    TREASURY_ERR_CANONICAL);			/* 0 fraction digits */
	expect_edit(t, "limit.1.day: 0.50000000", "limit.1.day: nOnO",
	    TREASURY_ERR_AMOUNT_SYNTAX);
	expect_edit(t, "limit.1.day: 0.50000000", "limit.1.day: none",
	    TREASURY_OK);
	expect_edit(t, "limit.1.asset: BTC", "limit.1.asset: ZZZ",
	    TREASURY_ERR_POLICY_ORDER);
	expect_edit(t, "limit.1.asset: BTC", "limit.1.asset: usdc",
	    TREASURY_ERR_POLICY_ORDER);
	expect_edit(t, "limit.2.asset: USDC", "limit.3.asset: USDC",
	    TREASURY_ERR_CANONICAL);
	expect_edit(t, "reserve.1.amount: 1000000.000000",
	    "reserve.1.amount: none", TREASURY_ERR_POLICY_RESERVE);
	expect_edit(t, "reserve.1.amount: 1000000.000000",
	    "reserve.1.amount: 1000000.00000000", TREASURY_ERR_POLICY_DECIMALS);
	expect_edit(t, "destination.1.to: 0x7", "destination.1.to: x7",
	    TREASURY_ERR_POLICY_ORDER);
	expect_edit(t, "Payroll \xe2\x80\x94", "Payroll \xe2\x80\x8f",
	    TREASURY_ERR_POLICY_LABEL);			/* U+200F RLM */
	expect_edit(t, "Payroll \xe2\x80\x94", "Payroll \xc0\x80",
	    TREASURY_ERR_POLICY_LABEL);
	expect_edit(t, "destination.1.label: Payroll",
	    "destination.1.label: 0123456789012345678901234567890123456789"
	    "012345678901234567890123456789 Payroll",
	    TREASURY_ERR_POLICY_LABEL);			/* > 64 bytes */
	expect_edit(t, "destination.2.label: \n", "destination.2.label:\n",
	    TREASURY_ERR_CANONICAL);
	expect_edit(t, "signers: 4", "signers: 2",
	    TREASURY_ERR_POLICY_CONFIG_THRESHOLD);	/* M+1 > N first */
	expect_edit(t, "config_threshold: 3\nhigh_threshold: 3",
	    "config_threshold: 2\nhigh_threshold: 5",
	    TREASURY_ERR_POLICY_HIGH_THRESHOLD);
	expect_edit(t, "threshold: 2\nsigners: 4", "threshold: 5\nsigners: 4",
	    TREASURY_ERR_THRESHOLD);
	expect_edit(t, "key_proof: required\n", "", TREASURY_ERR_CANONICAL);
	expect_edit(text_unfreeze, "freeze: 1", "freeze: 0",
	    TREASURY_ERR_CANONICAL);
	expect_edit(text_unfreeze, "freeze: 1", "freeze: 01",
	    TREASURY_ERR_CANONICAL);
	expect_edit(text_unfreeze, "freeze: 1", "freeze: 18446744073709551616",
	    TREASURY_ERR_CANONICAL);
	expect_edit(text_unfreeze, "freeze: 1\n", "", TREASURY_ERR_CANONICAL);
	expect_edit(text_unfreeze, "kind: unfreeze", "kind: Unfreeze",
	    TREASURY_ERR_KIND);
	expect_edit(text_empty_policy, "destinations: 0\n",
	    "destinations: 0\nextra: 1\n", TREASURY_ERR_CANONICAL);
}

static void
test_decode_every_truncation(void **state)
{
	struct proposal_fields *q = calloc(1, sizeof(*q));
	size_t i, cut, len;

	(void)state;
	assert_non_null(q);
	for (i = 0; i < EXAMPLES_COUNT; i++) {
		len = strlen(examples[i].text);
		for (cut = 0; cut < len; cut++)
			assert_int_not_equal(proposal_decode(verifier,
			    examples[i].text, cut, q), TREASURY_OK);
		assert_int_equal(proposal_decode(verifier, examples[i].text,
		    len, q), TREASURY_OK);
	}
	free(q);
}

/* Every single-byte change is refused, or decodes to fields that encode
 * to exactly the changed text. */
static void
test_decode_every_byte_mutation(void **state)
{
	static const char repl[] = {
		'\0', '\n', '\r', '\t', ' ', ':', '.', '-', '0', '1', '9', 'a',
		'd', 'n', 'A', 'z', (char)0x7f, (char)0x80, (char)0xc3,
		(char)0xff,
	};
	struct proposal_fields *q = calloc(1, sizeof(*q));
	size_t i, accepted = 0;

	(void)state;
	assert_non_null(q);
	for (i = 0; i < EXAMPLES_COUNT; i++)
		accepted += byte_mutations_check(verifier, examples[i].text,
		    repl, sizeof(repl), q);
	assert_true(accepted > 0);
	free(q);
}

/* ---- digests: docs/signing.md §9 ---- */

static void
test_documented_digests(void **state)
{
	uint8_t id[PROPOSAL_ID_BYTES], d[DIGEST_BYTES];
	struct treasury_policy p;
	size_t i;

	(void)state;
	for (i = 0; i < EXAMPLES_COUNT; i++) {
		proposal_id_compute(id, examples[i].text,
		    strlen(examples[i].text));
		expect_hex(id, examples[i].id);
		vote_digest_compute(d, id, VOTE_APPROVE);
		expect_hex(d, examples[i].approve);
		veto_digest_compute(d, id);
		expect_hex(d, examples[i].veto);
		revoke_digest_compute(d, id);
		expect_hex(d, examples[i].revoke);
	}
	policy_example(&p);
	assert_int_equal(policy_digest_compute(d, &p, 2, 4), TREASURY_OK);
	expect_hex(d,
	    "e1c101523f48fb1b8dac972b6982f6d08e00bd9a190b28276287eab4a6285a6c");
	policy_init(&p);
	assert_int_equal(policy_digest_compute(d, &p, 2, 4), TREASURY_OK);
	expect_hex(d,
	    "e819791ab8a87316f79fd58dd00ae3a3b0f2448bd132d304d5553c110cd8345c");
	p.high_threshold = 1;
	assert_int_equal(policy_digest_compute(d, &p, 2, 4),
	    TREASURY_ERR_POLICY_HIGH_THRESHOLD);
	/* the tags, on the empty message */
	tagged_hash(d, VETO_TAG, NULL, 0);
	expect_hex(d,
	    "1adf43580668470cf7c1fc84fd953baadb56303c82eb974621434899ea95661f");
	tagged_hash(d, REVOKE_TAG, NULL, 0);
	expect_hex(d,
	    "bf6578012dccea4bcf94fdff0847dac047731fe63cc2a93261b282be1bf32e79");
	tagged_hash(d, POSSESSION_TAG, NULL, 0);
	expect_hex(d,
	    "44829daa8760c7a21e34fc590c9e641f610ecb029b1f489576e29f5e1a7e8b46");
	tagged_hash(d, FREEZE_TAG, NULL, 0);
	expect_hex(d,
	    "7bbf92f2f4e5f58185024564b378014f1d7cd04a6d694fc257f73e7a11276284");
	tagged_hash(d, POLICY_TAG, NULL, 0);
	expect_hex(d,
	    "0293ce2c721ed4ac693f4c38b19386c346cf81e1ee255eed9c74123b4d792e04");
}

static void
verify_hex(enum key_type type, const char *pub, const uint8_t d[DIGEST_BYTES],
    const char *sig_hex)
{
	struct signer_key key;
	uint8_t sig[64];

	assert_int_equal(signer_key_parse_hex(verifier, type, pub, strlen(pub),
	    &key), TREASURY_OK);
	assert_int_equal(hex_decode(sig, sizeof(sig), sig_hex, strlen(sig_hex)),
	    TREASURY_OK);
	assert_int_equal(vote_signature_verify(verifier, &key, d, sig,
	    sizeof(sig)), TREASURY_OK);
	sig[10] ^= 1;
	assert_int_not_equal(vote_signature_verify(verifier, &key, d, sig,
	    sizeof(sig)), TREASURY_OK);
}

/* The signed examples of docs/signing.md §9.4 (TEST ONLY keys). */
static void
test_documented_signatures(void **state)
{
	static const char ex1_id[] =
	    "b54d7b87200029e8dbbd845bcb8e74db85332e8d306259d2fc487468c639da0a";
	static const char ex7_id[] =
	    "faaf97c46ddb18be7a63567a3086851d1df0635f2850e2119a4efdb6095c30b3";
	static const char key1[] =
	    "031b84c5567b126440995d3ed5aaba0565d71e1834604819ff9c17f5e9d5dd078f";
	static const char key2[] =
	    "4d4b6cd1361032ca9bd2aeb9d900aa4d45d9ead80ac9423374c451a7254d0766";
	struct freeze_request r;
	uint8_t id[PROPOSAL_ID_BYTES], d[DIGEST_BYTES];

	(void)state;
	assert_int_equal(hex_decode(id, sizeof(id), ex1_id, 64), TREASURY_OK);
	veto_digest_compute(d, id);
	expect_hex(d,
	    "0820199bcc8084b5842be522ad821a7c1e050338bce64c1857d3f4e3715af3ee");
	verify_hex(KEY_ECDSA, key1, d,
	    "73f342478ba473e07150d57b0c5c645fd910dcc8b7c0bbf34a16aceda06f0d7b"
	    "25da6afb00ac840d72173682d57fab96b2ad197f9dcab2b4c5741952dc74d96a");
	revoke_digest_compute(d, id);
	expect_hex(d,
	    "2d99ced713178ec7ecf8a520ce58745c803a04030ed7e733614ffa11d9ad1d0a");
	verify_hex(KEY_ECDSA, key1, d,
	    "e2334131252d5be6f45c31fb911026647e69b9d31842b51afbad4802fd78eba5"
	    "434294d7672b5f83006ad8714e885e604aee9f38ec0cd5a843db43bd1b598a00");
	assert_int_equal(hex_decode(id, sizeof(id), ex7_id, 64), TREASURY_OK);
	possession_digest_compute(d, id);
	expect_hex(d,
	    "94bd1faf706b29a1016403de59dace9b268c2526ad940b7464faf68f566d27a6");
	verify_hex(KEY_SCHNORR, key2, d,
	    "9a6c0715006ac3f9a6b3603412f6b4f76495083bb677c9d2c6de34f1eccd73d2"
	    "2eaa714534dc5dc321f42e633a1902748245a7cee9758e6c96cb1caaba6ebd78");
	instance_set(r.instance);
	r.treasury = "ops";
	r.config_version = 3;
	r.freeze_seq = 1;
	assert_int_equal(freeze_digest_compute(d, &r), TREASURY_OK);
	verify_hex(KEY_ECDSA, key1, d,
	    "fd77ed44378cd8fd64aa1eca9568b41aae35caceed11a06e6680a239043536fe"
	    "0ffa05d88fb07279e5e954753babc2ae1d1cd8cb9fd0f08e8387331f0e464230");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_policy),
		cmocka_unit_test(test_check_scalars),
		cmocka_unit_test(test_check_lists),
		cmocka_unit_test(test_veto_threshold_every_n),
		cmocka_unit_test(test_base_and_rejection_thresholds),
		cmocka_unit_test(test_window_boundaries),
		cmocka_unit_test(test_limits_exactly_and_one_over),
		cmocka_unit_test(test_limits_overflow),
		cmocka_unit_test(test_reserve_edges),
		cmocka_unit_test(test_spend_several_assets),
		cmocka_unit_test(test_remaining),
		cmocka_unit_test(test_allowlist),
		cmocka_unit_test(test_timelock),
		cmocka_unit_test(test_expiry_with_delay),
		cmocka_unit_test(test_expiry_bounds),
		cmocka_unit_test(test_state_of),
		cmocka_unit_test(test_freeze_rules),
		cmocka_unit_test(test_freeze_request_text),
		cmocka_unit_test(test_encode_exact),
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_policy_lines_decode),
		cmocka_unit_test(test_encode_errors),
		cmocka_unit_test(test_decode_errors),
		cmocka_unit_test(test_decode_every_truncation),
		cmocka_unit_test(test_decode_every_byte_mutation),
		cmocka_unit_test(test_documented_digests),
		cmocka_unit_test(test_documented_signatures),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
