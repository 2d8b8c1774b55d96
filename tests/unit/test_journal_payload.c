/*
 * test_journal_payload.c: unit tests of core/journal.c's payload builder,
 * entry bytes and hash chain (include/treasury/journal.h). The expected
 * texts are written out by hand (what Python's json.dumps(obj,
 * sort_keys=True, separators=(",", ":")) prints); the expected hashes are
 * computed here with libsodium's SHA-256 directly, not with core's
 * tagged_hash.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "treasury/crypto_init.h"
#include "treasury/hex.h"
#include "treasury/journal.h"

/* Finish p and compare its text with want; frees p. */
static void
payload_is(struct journal_payload *p, const char *want)
{
	assert_int_equal(journal_payload_finish(p), TREASURY_OK);
	assert_int_equal(p->buf.len, strlen(want));
	assert_memory_equal(p->buf.data, want, strlen(want));
	journal_payload_free(p);
}

static void
test_payload_scalars(void **state)
{
	struct journal_payload p;

	(void)state;
	journal_payload_begin(&p);
	payload_is(&p, "{}");

	journal_payload_begin(&p);
	journal_payload_amount(&p, "amount_minor", AMOUNT_MINOR_MAX);
	journal_payload_bool(&p, "first", true);
	journal_payload_bool(&p, "last", false);
	journal_payload_int(&p, "max", INT64_MAX);
	journal_payload_int(&p, "min", INT64_MIN);
	journal_payload_null(&p, "none");
	journal_payload_int(&p, "zero", 0);
	payload_is(&p, "{\"amount_minor\":"
	    "\"340282366920938463463374607431768211455\",\"first\":true,"
	    "\"last\":false,\"max\":9223372036854775807,"
	    "\"min\":-9223372036854775808,\"none\":null,\"zero\":0}");
}

/* '"' and '\\' escaped, controls and everything beyond 0x7E as \uXXXX
 * (lowercase hex), UTF-8 decoded, surrogate pairs beyond U+FFFF,
 * malformed bytes as U+FFFD. */
static void
test_payload_escaping(void **state)
{
	struct journal_payload p;

	(void)state;
	journal_payload_begin(&p);
	journal_payload_str(&p, "a", "q\"b\\s/ ~");
	journal_payload_str(&p, "b", "\n\t\x01\x1f\x7f");
	journal_payload_str(&p, "c", "\xc3\xa9\xe2\x82\xac");	/* é € */
	journal_payload_str(&p, "d", "\xf0\x9f\x98\x80");	/* U+1F600 */
	journal_payload_str(&p, "e", "x\xffy\xc3");		/* malformed */
	journal_payload_str(&p, "f", "");
	payload_is(&p, "{\"a\":\"q\\\"b\\\\s/ ~\","
	    "\"b\":\"\\u000a\\u0009\\u0001\\u001f\\u007f\","
	    "\"c\":\"\\u00e9\\u20ac\",\"d\":\"\\ud83d\\ude00\","
	    "\"e\":\"x\\ufffdy\\ufffd\",\"f\":\"\"}");
}

/* Arrays of strings and of objects, nested, and empty ones. */
static void
test_payload_nested(void **state)
{
	static const uint8_t id[4] = { 0x00, 0xab, 0xcd, 0xff };
	struct journal_payload p;

	(void)state;
	journal_payload_begin(&p);
	journal_payload_array(&p, "debits");
	journal_payload_object(&p, NULL);
	journal_payload_amount(&p, "amount_minor", 5);
	journal_payload_array(&p, "tags");
	journal_payload_elem_str(&p, "x");
	journal_payload_elem_str(&p, "y\"");
	journal_payload_end(&p);
	journal_payload_end(&p);
	journal_payload_object(&p, NULL);
	journal_payload_end(&p);
	journal_payload_end(&p);
	journal_payload_array(&p, "empty");
	journal_payload_end(&p);
	journal_payload_hex(&p, "id", id, sizeof(id));
	journal_payload_object(&p, "inner");
	journal_payload_int(&p, "k", 1);
	journal_payload_end(&p);
	payload_is(&p, "{\"debits\":[{\"amount_minor\":\"5\","
	    "\"tags\":[\"x\",\"y\\\"\"]},{}],\"empty\":[],"
	    "\"id\":\"00abcdff\",\"inner\":{\"k\":1}}");
}

/* Beyond JOURNAL_PAYLOAD_MAX_BYTES: the first error sticks. */
static void
test_payload_too_large(void **state)
{
	static char big[JOURNAL_PAYLOAD_MAX_BYTES];
	struct journal_payload p;

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	journal_payload_begin(&p);
	journal_payload_str(&p, "a", big);
	journal_payload_int(&p, "b", 1);
	assert_int_equal(journal_payload_finish(&p), TREASURY_ERR_TOO_LARGE);
	journal_payload_free(&p);
}

static void
entry_init(struct journal_entry *e, const char *payload)
{
	memset(e, 0, sizeof(*e));
	e->seq = 7;
	e->time_s = 1800000000;
	snprintf(e->treasury, sizeof(e->treasury), "ops");
	snprintf(e->type, sizeof(e->type), "proposal.voted");
	snprintf(e->actor_token, sizeof(e->actor_token), "ci-bot");
	snprintf(e->actor_signer, sizeof(e->actor_signer), "alice");
	e->payload = payload;
	e->payload_len = strlen(payload);
}

static void
test_entry_bytes(void **state)
{
	static const char want[] = "seq=7\ntime=1800000000\ntreasury=ops\n"
	    "type=proposal.voted\nactor_token=ci-bot\nactor_signer=alice\n"
	    "payload={\"a\":1}\n";
	static const char want_none[] = "seq=1\ntime=0\ntreasury=\n"
	    "type=token.created\nactor_token=\nactor_signer=\n"
	    "payload={}\n";
	struct journal_entry e;
	struct textbuf b;

	(void)state;
	entry_init(&e, "{\"a\":1}");
	textbuf_init(&b, JOURNAL_ENTRY_MAX_BYTES);
	assert_int_equal(journal_entry_bytes(&b, &e), TREASURY_OK);
	assert_int_equal(b.len, strlen(want));
	assert_memory_equal(b.data, want, b.len);
	textbuf_free(&b);

	memset(&e, 0, sizeof(e));
	e.seq = 1;
	snprintf(e.type, sizeof(e.type), "token.created");
	e.payload = "{}";
	e.payload_len = 2;
	assert_int_equal(journal_entry_bytes(&b, &e), TREASURY_OK);
	assert_int_equal(b.len, strlen(want_none));
	assert_memory_equal(b.data, want_none, b.len);
	textbuf_free(&b);
}

/* What journal_entry_valid refuses, journal_entry_bytes refuses too. */
static void
test_entry_invalid(void **state)
{
	struct journal_entry e;
	struct textbuf b;
	int i;

	(void)state;
	textbuf_init(&b, JOURNAL_ENTRY_MAX_BYTES);
	for (i = 0; i < 9; i++) {
		entry_init(&e, "{\"a\":1}");
		switch (i) {
		case 0: e.seq = 0; break;
		case 1: e.time_s = -1; break;
		case 2: snprintf(e.type, sizeof(e.type), "Proposal"); break;
		case 3: e.type[0] = '\0'; break;
		case 4: snprintf(e.treasury, sizeof(e.treasury), "a\nb"); break;
		case 5: snprintf(e.actor_signer, sizeof(e.actor_signer),
			    "x\n"); break;
		case 6: e.payload = "[1]"; e.payload_len = 3; break;
		case 7: e.payload = "{\"\xc3\xa9\"}"; e.payload_len = 6;
			break;
		case 8: e.payload = "{\n}"; e.payload_len = 3; break;
		}
		assert_false(journal_entry_valid(&e));
		assert_int_equal(journal_entry_bytes(&b, &e),
		    TREASURY_ERR_INVALID_FIELD);
		assert_int_equal(b.len, 0);
	}
}

/* H_tag(prev || bytes) with SHA-256 by hand. */
static void
hash_by_hand(uint8_t out[32], const uint8_t prev[32], const char *bytes)
{
	uint8_t t[32];
	crypto_hash_sha256_state st;

	crypto_hash_sha256(t, (const unsigned char *)"treasuryd/journal/v1",
	    strlen("treasuryd/journal/v1"));
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, t, 32);
	crypto_hash_sha256_update(&st, t, 32);
	crypto_hash_sha256_update(&st, prev, 32);
	crypto_hash_sha256_update(&st, (const unsigned char *)bytes,
	    strlen(bytes));
	crypto_hash_sha256_final(&st, out);
}

/* A chain of two entries, each hash recomputed by hand; a changed
 * field or a changed previous hash changes the hash. */
static void
test_entry_hash_chain(void **state)
{
	uint8_t zero[32], h1[32], h2[32], want[32], other[32];
	struct journal_entry e;

	(void)state;
	assert_int_equal(treasury_crypto_init(), TREASURY_OK);
	memset(zero, 0, sizeof(zero));
	entry_init(&e, "{\"a\":1}");
	e.seq = 1;
	assert_int_equal(journal_entry_hash(h1, zero, &e), TREASURY_OK);
	hash_by_hand(want, zero, "seq=1\ntime=1800000000\ntreasury=ops\n"
	    "type=proposal.voted\nactor_token=ci-bot\nactor_signer=alice\n"
	    "payload={\"a\":1}\n");
	assert_memory_equal(h1, want, 32);

	memset(&e, 0, sizeof(e));
	e.seq = 2;
	e.time_s = 5;
	snprintf(e.type, sizeof(e.type), "asset.created");
	e.payload = "{\"asset\":\"USDC\"}";
	e.payload_len = strlen(e.payload);
	assert_int_equal(journal_entry_hash(h2, h1, &e), TREASURY_OK);
	hash_by_hand(want, h1, "seq=2\ntime=5\ntreasury=\ntype=asset.created\n"
	    "actor_token=\nactor_signer=\npayload={\"asset\":\"USDC\"}\n");
	assert_memory_equal(h2, want, 32);

	assert_int_equal(journal_entry_hash(other, zero, &e), TREASURY_OK);
	assert_memory_not_equal(other, h2, 32);	/* the previous hash */
	e.time_s = 6;
	assert_int_equal(journal_entry_hash(other, h1, &e), TREASURY_OK);
	assert_memory_not_equal(other, h2, 32);	/* a field */
	/* an invalid entry leaves the hash untouched */
	memcpy(other, h2, 32);
	e.seq = 0;
	assert_int_equal(journal_entry_hash(other, h1, &e),
	    TREASURY_ERR_INVALID_FIELD);
	assert_memory_equal(other, h2, 32);
}

/* The builder's output is a valid payload of an entry. */
static void
test_payload_in_entry(void **state)
{
	struct journal_payload p;
	struct journal_entry e;

	(void)state;
	journal_payload_begin(&p);
	journal_payload_str(&p, "memo", "caf\xc3\xa9\n\"");
	assert_int_equal(journal_payload_finish(&p), TREASURY_OK);
	entry_init(&e, p.buf.data);
	e.payload_len = p.buf.len;
	assert_true(journal_entry_valid(&e));
	journal_payload_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_payload_scalars),
		cmocka_unit_test(test_payload_escaping),
		cmocka_unit_test(test_payload_nested),
		cmocka_unit_test(test_payload_too_large),
		cmocka_unit_test(test_entry_bytes),
		cmocka_unit_test(test_entry_invalid),
		cmocka_unit_test(test_entry_hash_chain),
		cmocka_unit_test(test_payload_in_entry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
