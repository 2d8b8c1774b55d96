/*
 * test_signing_examples.c: the worked examples of docs/signing.md, checked
 * byte for byte.
 *
 * For each documented example: the canonical text made by
 * canonical_encode_transfer from its fields, the proposal id, both vote
 * digests, and each documented signature, which must verify with
 * vote_signature_verify and be reproduced exactly by signing again with
 * libsecp256k1 from the documented TEST-ONLY secret key (ECDSA with RFC 6979
 * nonces; BIP-340 with aux_rand of 32 zero bytes). The same examples are in
 * tests/functional/signing_examples.json; keep the three in step.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <sodium.h>

#include "treasury/amount.h"
#include "treasury/canonical.h"
#include "treasury/hash.h"
#include "treasury/hex.h"
#include "treasury/sig.h"

enum {
	EXAMPLE_SIGS_MAX = 2,
	SECRET_KEY_BYTES = 32,
};

struct example_sig {
	enum vote_decision decision;
	enum key_type type;
	const char *secret_hex;		/* TEST ONLY, published in the doc */
	const char *pubkey_hex;
	const char *sig_hex;
};

struct example {
	const char *name;
	const char *instance_hex;
	const char *treasury;
	uint64_t config;
	uint64_t nonce;
	const char *expires;
	const char *asset;
	unsigned decimals;
	const char *amount;		/* as a client would send it */
	const char *to;
	const char *memo;
	const char *canonical;
	const char *id_hex;
	const char *approve_hex;
	const char *reject_hex;
	struct example_sig sigs[EXAMPLE_SIGS_MAX];
	size_t nsigs;
};

static const struct example examples[] = {
	{
		.name = "ecdsa-nonascii-memo",
		.instance_hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		.treasury = "grants",
		.config = 1,
		.nonce = 1,
		.expires = "2026-12-31T00:00:00Z",
		.asset = "USDC",
		.decimals = 6,
		.amount = "1500",
		.to = "0x742d35Cc6634C0532925a3b844Bc454e4438f44e",
		.memo = "Q4 grants \xe2\x80\x94 caf\xc3\xa9",
		.canonical =
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
	    "memo: Q4 grants \xe2\x80\x94 caf\xc3\xa9\n",
		.id_hex = "b54d7b87200029e8dbbd845bcb8e74db85332e8d306259d2fc487468c639da0a",
		.approve_hex = "0583cb8c519759695b0faf570b85b3c3187a2337db193d51d985331ac00326d1",
		.reject_hex = "209bf18b3df5f469784ce77f7865d7358923089faeb53da8152cb0109afeb56a",
		.sigs = {
			{
				.decision = VOTE_APPROVE,
				.type = KEY_ECDSA,
				.secret_hex = "0101010101010101010101010101010101010101010101010101010101010101",
				.pubkey_hex = "031b84c5567b126440995d3ed5aaba0565d71e1834604819ff9c17f5e9d5dd078f",
				.sig_hex = "1bc97e479ffc2554d187a3434c7114bcd68bf6e838b870f506107f4336949844"
				    "4e8ca07401c0b73d609295c534e76ea2f2acd9d848957fd7a789df9f98039d14",
			},
			{
				.decision = VOTE_REJECT,
				.type = KEY_ECDSA,
				.secret_hex = "0101010101010101010101010101010101010101010101010101010101010101",
				.pubkey_hex = "031b84c5567b126440995d3ed5aaba0565d71e1834604819ff9c17f5e9d5dd078f",
				.sig_hex = "1f3834ef2b3e985cac477aa3093e2d756dd373fbc994e2caa2f253af5734a90c"
				    "44d6e8c04ad84249897242edec9ffaffcbfc062974d729228777954669724544",
			},
		},
		.nsigs = 2,
	},
	{
		.name = "schnorr-empty-memo",
		.instance_hex = "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf",
		.treasury = "ops-eu",
		.config = 3,
		.nonce = 42,
		.expires = "2027-02-28T23:59:59Z",
		.asset = "BTC",
		.decimals = 8,
		.amount = "0.00012345",
		.to = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
		.memo = "",
		.canonical =
	    "treasuryd proposal v1\n"
	    "instance: a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf\n"
	    "treasury: ops-eu\n"
	    "config: 3\n"
	    "kind: transfer\n"
	    "nonce: 42\n"
	    "expires: 2027-02-28T23:59:59Z\n"
	    "asset: BTC\n"
	    "amount: 0.00012345\n"
	    "to: bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq\n"
	    "memo: \n",
		.id_hex = "acc097a545a7e49c1bc26499cc51b269caae4595f195b5ac4fd816259f9c3823",
		.approve_hex = "000fc11f02d90cf793acefbba8a1e48c4f4e309fa1a3c6a5edfc1af9c413d6b2",
		.reject_hex = "c36b55c07928322e5394a094d28ca84d32af41bc89d48d7e2484459089e7555b",
		.sigs = {
			{
				.decision = VOTE_APPROVE,
				.type = KEY_SCHNORR,
				.secret_hex = "0202020202020202020202020202020202020202020202020202020202020202",
				.pubkey_hex = "4d4b6cd1361032ca9bd2aeb9d900aa4d45d9ead80ac9423374c451a7254d0766",
				.sig_hex = "79a4db2abb8ebdb9400c87b98e08fb57d8eef29be2a5c44fc4c28a5b3df3cd31"
				    "3a911404c558a64589796124e26b29947030311533596cfb37e2227935fc8f33",
			},
		},
		.nsigs = 1,
	},
	{
		.name = "max-amount-zero-decimals",
		.instance_hex = "5a5b5c5d5e5f606162636465666768696a6b6c6d6e6f70717273747576777879",
		.treasury = "reserve_2",
		.config = 7,
		.nonce = 1000,
		.expires = "2028-02-29T12:00:00Z",
		.asset = "gold.bar_1",
		.decimals = 0,
		.amount = "340282366920938463463374607431768211455",
		.to = "acct:vault-7/slot#3",
		.memo = "invoice 2024-17: net 30 days",
		.canonical =
	    "treasuryd proposal v1\n"
	    "instance: 5a5b5c5d5e5f606162636465666768696a6b6c6d6e6f70717273747576777879\n"
	    "treasury: reserve_2\n"
	    "config: 7\n"
	    "kind: transfer\n"
	    "nonce: 1000\n"
	    "expires: 2028-02-29T12:00:00Z\n"
	    "asset: gold.bar_1\n"
	    "amount: 340282366920938463463374607431768211455\n"
	    "to: acct:vault-7/slot#3\n"
	    "memo: invoice 2024-17: net 30 days\n",
		.id_hex = "1c96c16b04f4210769fa965f7f60adfd701103e25da43f360ac0b41b6351a4de",
		.approve_hex = "fe5ef40c695bd56768b378315ac9fecdecac4f9c4bc618b3f4dc9f7ea2e5eff1",
		.reject_hex = "3a58f58770690e7d90e56b888fb3c11b9b8caa88f78fba1e2534b0b53d9cd6c4",
		.sigs = {
			{
				.decision = VOTE_REJECT,
				.type = KEY_SCHNORR,
				.secret_hex = "0303030303030303030303030303030303030303030303030303030303030303",
				.pubkey_hex = "531fe6068134503d2723133227c867ac8fa6c83c537e9a44c3c5bdbdcb1fe337",
				.sig_hex = "49918a5ae440776d33f2b954e0e67478c4b73b60030419f17e050822a7f4b449"
				    "0bdd49da7f2d26432c3a08cc4715034b2caab08187585cc4f10b2938f377fec8",
			},
			{
				.decision = VOTE_APPROVE,
				.type = KEY_ECDSA,
				.secret_hex = "0303030303030303030303030303030303030303030303030303030303030303",
				.pubkey_hex = "02531fe6068134503d2723133227c867ac8fa6c83c537e9a44c3c5bdbdcb1fe337",
				.sig_hex = "ceb73e105f71488de35c79d9621f521a8f193277ed831a3fff5dbb120dee8dba"
				    "551ad707116d14d39fab647f57f7cd8d6f058f8c9998ed7ddac3efe07bae604a",
			},
		},
		.nsigs = 2,
	},
};

#define EXAMPLES_COUNT (sizeof(examples) / sizeof(examples[0]))

static void
hex_to_bytes(uint8_t *out, size_t out_len, const char *hex)
{
	assert_int_equal(hex_decode(out, out_len, hex, strlen(hex)), TREASURY_OK);
}

static void
expect_hex(const uint8_t *bytes, size_t len, const char *want_hex)
{
	char got[2 * 64 + 1];

	assert_true(len <= 64);
	hex_encode(got, bytes, len);
	assert_string_equal(got, want_hex);
}

/* Build the canonical text of example e from its fields, as the daemon
 * would from a request. */
static void
example_encode(const struct example *e, struct textbuf *out)
{
	struct proposal_header hdr;
	struct transfer t;

	memset(&hdr, 0, sizeof(hdr));
	memset(&t, 0, sizeof(t));
	hex_to_bytes(hdr.instance, sizeof(hdr.instance), e->instance_hex);
	hdr.treasury = e->treasury;
	hdr.config_version = e->config;
	hdr.kind = "transfer";
	hdr.nonce = e->nonce;
	assert_int_equal(timestamp_parse(e->expires, strlen(e->expires),
	    &hdr.expires_s), TREASURY_OK);
	t.asset = e->asset;
	t.decimals = e->decimals;
	assert_int_equal(amount_parse(e->amount, strlen(e->amount), e->decimals,
	    &t.amount), TREASURY_OK);
	t.to = e->to;
	t.memo = e->memo;
	t.memo_len = strlen(e->memo);
	textbuf_init(out, CANONICAL_MAX_BYTES);
	assert_int_equal(canonical_encode_transfer(out, &hdr, &t), TREASURY_OK);
}

static void
example_digests(const struct example *e, uint8_t id[PROPOSAL_ID_BYTES],
    uint8_t approve[DIGEST_BYTES], uint8_t reject[DIGEST_BYTES])
{
	proposal_id_compute(id, e->canonical, strlen(e->canonical));
	vote_digest_compute(approve, id, VOTE_APPROVE);
	vote_digest_compute(reject, id, VOTE_REJECT);
}

/* Sign digest again with the documented secret key. */
static void
example_resign(const struct example_sig *s, const uint8_t digest[DIGEST_BYTES],
    uint8_t pub[ECDSA_PUBKEY_BYTES], size_t *pub_len,
    uint8_t sig[SIG_COMPACT_BYTES])
{
	static const uint8_t aux_rand[32];	/* 32 zero bytes, documented */
	uint8_t sk[SECRET_KEY_BYTES];
	secp256k1_context *ctx;
	secp256k1_pubkey pk;
	secp256k1_ecdsa_signature es;
	secp256k1_keypair kp;
	secp256k1_xonly_pubkey xpk;

	ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
	assert_non_null(ctx);
	hex_to_bytes(sk, sizeof(sk), s->secret_hex);
	if (s->type == KEY_ECDSA) {
		*pub_len = ECDSA_PUBKEY_BYTES;
		assert_true(secp256k1_ec_pubkey_create(ctx, &pk, sk));
		assert_true(secp256k1_ec_pubkey_serialize(ctx, pub, pub_len, &pk,
		    SECP256K1_EC_COMPRESSED));
		/* NULL nonce function: RFC 6979, always low-S. */
		assert_true(secp256k1_ecdsa_sign(ctx, &es, digest, sk, NULL,
		    NULL));
		assert_true(secp256k1_ecdsa_signature_serialize_compact(ctx, sig,
		    &es));
	} else {
		*pub_len = SCHNORR_PUBKEY_BYTES;
		assert_true(secp256k1_keypair_create(ctx, &kp, sk));
		assert_true(secp256k1_keypair_xonly_pub(ctx, &xpk, NULL, &kp));
		assert_true(secp256k1_xonly_pubkey_serialize(ctx, pub, &xpk));
		assert_true(secp256k1_schnorrsig_sign32(ctx, sig, digest, &kp,
		    aux_rand));
	}
	sodium_memzero(sk, sizeof(sk));
	secp256k1_context_destroy(ctx);
}

/* ---- tagged hashes: known answers computed independently (Python
 * hashlib) ---- */

static void
test_tagged_hash_known_answers(void **state)
{
	static const uint8_t zero_id[PROPOSAL_ID_BYTES];
	uint8_t out[DIGEST_BYTES];

	(void)state;
	tagged_hash(out, "BIP0340/challenge", NULL, 0);
	expect_hex(out, sizeof(out),
	    "c216d352f5818b7b4beacd4ae0a26fe888080823d2a598856661bcd54f1b3713");
	tagged_hash(out, "", NULL, 0);
	expect_hex(out, sizeof(out),
	    "2dba5dbc339e7316aea2683faf839c1b7b1ee2313db792112588118df066aa35");
	proposal_id_compute(out, "", 0);
	expect_hex(out, sizeof(out),
	    "82b3a684496d4bb4ff9d45b45f4b5c9a8c18b1ecd8dc773fac3062e350249a6a");
	proposal_id_compute(out, "abc", 3);
	expect_hex(out, sizeof(out),
	    "4a5034a9d3b1bf260dbf3fa4ada2b73610c0bac283e6ca3859f14cf4663afdf0");
	tagged_hash(out, PROPOSAL_TAG, (const uint8_t *)"abc", 3);
	expect_hex(out, sizeof(out),
	    "4a5034a9d3b1bf260dbf3fa4ada2b73610c0bac283e6ca3859f14cf4663afdf0");
	vote_digest_compute(out, zero_id, VOTE_APPROVE);
	expect_hex(out, sizeof(out),
	    "4d23166bc1473d0769efc5234569fa4fafc8c60d413a820202b75cdff3f1af0d");
	vote_digest_compute(out, zero_id, VOTE_REJECT);
	expect_hex(out, sizeof(out),
	    "0959b7f4a2fcce4dea70fe212ca10380201b6085609543514550a92425a4eec8");
}

static void
test_tags(void **state)
{
	(void)state;
	assert_string_equal(PROPOSAL_TAG, "treasuryd/proposal/v1");
	assert_string_equal(VOTE_TAG, "treasuryd/vote/v1");
	assert_int_equal(VOTE_APPROVE, 0x01);
	assert_int_equal(VOTE_REJECT, 0x02);
}

/* ---- the documented examples ---- */

static void
test_examples_canonical_text(void **state)
{
	struct textbuf out;
	size_t i;

	(void)state;
	for (i = 0; i < EXAMPLES_COUNT; i++) {
		example_encode(&examples[i], &out);
		assert_int_equal(out.len, strlen(examples[i].canonical));
		assert_memory_equal(out.data, examples[i].canonical, out.len);
		textbuf_free(&out);
	}
}

static void
test_examples_id_and_digests(void **state)
{
	uint8_t id[PROPOSAL_ID_BYTES], approve[DIGEST_BYTES], reject[DIGEST_BYTES];
	size_t i;

	(void)state;
	for (i = 0; i < EXAMPLES_COUNT; i++) {
		example_digests(&examples[i], id, approve, reject);
		expect_hex(id, sizeof(id), examples[i].id_hex);
		expect_hex(approve, sizeof(approve), examples[i].approve_hex);
		expect_hex(reject, sizeof(reject), examples[i].reject_hex);
	}
}

static void
test_examples_signatures_verify(void **state)
{
	uint8_t id[PROPOSAL_ID_BYTES], digests[3][DIGEST_BYTES];
	uint8_t sig[SIG_COMPACT_BYTES];
	const struct example_sig *s;
	struct signer_key key;
	treasury_verifier *v;
	const uint8_t *good, *other;
	size_t i, j;

	(void)state;
	v = treasury_verifier_create();
	assert_non_null(v);
	for (i = 0; i < EXAMPLES_COUNT; i++) {
		example_digests(&examples[i], id, digests[VOTE_APPROVE],
		    digests[VOTE_REJECT]);
		for (j = 0; j < examples[i].nsigs; j++) {
			s = &examples[i].sigs[j];
			good = digests[s->decision];
			other = digests[s->decision == VOTE_APPROVE ?
			    VOTE_REJECT : VOTE_APPROVE];
			assert_int_equal(signer_key_parse_hex(v, s->type,
			    s->pubkey_hex, strlen(s->pubkey_hex), &key),
			    TREASURY_OK);
			hex_to_bytes(sig, sizeof(sig), s->sig_hex);
			assert_int_equal(vote_signature_verify(v, &key, good, sig,
			    sizeof(sig)), TREASURY_OK);
			/* The same signature is not a vote the other way. */
			assert_int_equal(vote_signature_verify(v, &key, other, sig,
			    sizeof(sig)), TREASURY_ERR_SIG_INVALID);
			/* Nor over the proposal id itself. */
			assert_int_equal(vote_signature_verify(v, &key, id, sig,
			    sizeof(sig)), TREASURY_ERR_SIG_INVALID);
		}
	}
	treasury_verifier_destroy(v);
}

static void
test_examples_signatures_reproduce(void **state)
{
	uint8_t id[PROPOSAL_ID_BYTES], digests[3][DIGEST_BYTES];
	uint8_t pub[ECDSA_PUBKEY_BYTES], sig[SIG_COMPACT_BYTES];
	const struct example_sig *s;
	size_t i, j, pub_len;

	(void)state;
	for (i = 0; i < EXAMPLES_COUNT; i++) {
		example_digests(&examples[i], id, digests[VOTE_APPROVE],
		    digests[VOTE_REJECT]);
		for (j = 0; j < examples[i].nsigs; j++) {
			s = &examples[i].sigs[j];
			example_resign(s, digests[s->decision], pub, &pub_len, sig);
			expect_hex(pub, pub_len, s->pubkey_hex);
			expect_hex(sig, sizeof(sig), s->sig_hex);
		}
	}
}

/* The doc's claims about the examples themselves. */
static void
test_examples_cover_the_brief(void **state)
{
	bool ecdsa = false, schnorr = false, empty_memo = false;
	bool non_ascii = false, reject = false;
	size_t i, j;

	(void)state;
	assert_true(EXAMPLES_COUNT >= 3);
	for (i = 0; i < EXAMPLES_COUNT; i++) {
		empty_memo |= examples[i].memo[0] == '\0';
		for (j = 0; examples[i].memo[j] != '\0'; j++)
			non_ascii |= (unsigned char)examples[i].memo[j] >= 0x80;
		for (j = 0; j < examples[i].nsigs; j++) {
			ecdsa |= examples[i].sigs[j].type == KEY_ECDSA;
			schnorr |= examples[i].sigs[j].type == KEY_SCHNORR;
			reject |= examples[i].sigs[j].decision == VOTE_REJECT;
		}
		/* An empty memo still has its line, with the trailing space. */
		assert_non_null(strstr(examples[i].canonical, "\nmemo: "));
	}
	assert_true(ecdsa && schnorr && empty_memo && non_ascii && reject);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_tagged_hash_known_answers),
		cmocka_unit_test(test_examples_canonical_text),
		cmocka_unit_test(test_examples_id_and_digests),
		cmocka_unit_test(test_examples_signatures_verify),
		cmocka_unit_test(test_examples_signatures_reproduce),
		cmocka_unit_test(test_examples_cover_the_brief),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
