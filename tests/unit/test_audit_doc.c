/*
 * test_audit_doc.c: the worked example of docs/audit.md, section 4,
 * recomputed from the code (core/journal.c): the entry bytes, both
 * hashes, the checkpoint message, the public key of the TEST ONLY seed
 * (32 bytes of 0x01) and the signature must appear in the page exactly
 * as the code makes them, so that the page cannot drift from the code.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "treasury/crypto_init.h"
#include "treasury/hex.h"
#include "treasury/journal.h"

static const char payload1[] =
    "{\"asset\":\"USDC\",\"chain\":\"ethereum\",\"decimals\":6}";
static const char payload2[] = "{\"decision\":\"approve\",\"proposal\":"
    "\"5f3a9c01e2d4b6a8907c1e3f5a7b9d0c2e4f6a8b0c1d3e5f7a9b1c3d5e7f9a0b\","
    "\"signer\":\"alice\",\"treasury\":\"grants\"}";

static char *
doc_read(void)
{
	FILE *fp = fopen(TREASURY_DOCS_DIR "/audit.md", "r");
	char *text = calloc(1, 65536);
	size_t n;

	assert_non_null(fp);
	assert_non_null(text);
	n = fread(text, 1, 65535, fp);
	assert_true(n > 0 && n < 65535);
	fclose(fp);
	return text;
}

/* The payload as the builder makes it (the canonical form). */
static void
payloads_are_canonical(void)
{
	struct journal_payload p;

	journal_payload_begin(&p);
	journal_payload_str(&p, "asset", "USDC");
	journal_payload_str(&p, "chain", "ethereum");
	journal_payload_int(&p, "decimals", 6);
	assert_int_equal(journal_payload_finish(&p), TREASURY_OK);
	assert_int_equal(p.buf.len, strlen(payload1));
	assert_memory_equal(p.buf.data, payload1, p.buf.len);
	journal_payload_free(&p);
}

/* Entry bytes in a code block of the page. */
static void
bytes_in_doc(const char *doc, const struct journal_entry *e)
{
	struct textbuf b, block;

	textbuf_init(&b, JOURNAL_ENTRY_MAX_BYTES);
	textbuf_init(&block, JOURNAL_ENTRY_MAX_BYTES + 16);
	assert_int_equal(journal_entry_bytes(&b, e), TREASURY_OK);
	assert_int_equal(textbuf_printf(&block, "```\n%.*s```\n", (int)b.len,
	    b.data), TREASURY_OK);
	if (strstr(doc, block.data) == NULL)
		fail_msg("docs/audit.md lacks the entry bytes:\n%s", block.data);
	textbuf_free(&b);
	textbuf_free(&block);
}

static void
hex_in_doc(const char *doc, const char *what, const uint8_t *bytes,
    size_t len)
{
	char hex[2 * 64 + 1];

	hex_encode(hex, bytes, len);
	if (strstr(doc, hex) == NULL)
		fail_msg("docs/audit.md lacks %s %s", what, hex);
}

static void
test_worked_example_matches_the_code(void **state)
{
	uint8_t h0[DIGEST_BYTES] = { 0 }, h1[DIGEST_BYTES], h2[DIGEST_BYTES];
	uint8_t seed[JOURNAL_KEY_SEED_BYTES], pk[JOURNAL_PUBLIC_KEY_BYTES];
	uint8_t sk[JOURNAL_SECRET_KEY_BYTES], sig[JOURNAL_SIGNATURE_BYTES];
	char msg[JOURNAL_CHECKPOINT_MESSAGE_BYTES], block[256];
	struct journal_entry e1, e2;
	char *doc = doc_read();

	(void)state;
	assert_int_equal(treasury_crypto_init(), TREASURY_OK);
	payloads_are_canonical();
	memset(&e1, 0, sizeof(e1));
	e1.seq = 1;
	e1.time_s = 1800000000;
	snprintf(e1.type, sizeof(e1.type), "%s", "asset.created");
	snprintf(e1.actor_token, sizeof(e1.actor_token), "%s", "admin");
	e1.payload = payload1;
	e1.payload_len = strlen(payload1);
	memset(&e2, 0, sizeof(e2));
	e2.seq = 2;
	e2.time_s = 1800000060;
	snprintf(e2.treasury, sizeof(e2.treasury), "%s", "grants");
	snprintf(e2.type, sizeof(e2.type), "%s", "proposal.voted");
	snprintf(e2.actor_token, sizeof(e2.actor_token), "%s", "team");
	snprintf(e2.actor_signer, sizeof(e2.actor_signer), "%s", "alice");
	e2.payload = payload2;
	e2.payload_len = strlen(payload2);
	bytes_in_doc(doc, &e1);
	bytes_in_doc(doc, &e2);
	assert_int_equal(journal_entry_hash(h1, h0, &e1), TREASURY_OK);
	assert_int_equal(journal_entry_hash(h2, h1, &e2), TREASURY_OK);
	hex_in_doc(doc, "hash(1)", h1, sizeof(h1));
	hex_in_doc(doc, "hash(2)", h2, sizeof(h2));
	journal_checkpoint_message(msg, 2, h2, 1800000120);
	snprintf(block, sizeof(block), "```\n%s```\n", msg);
	if (strstr(doc, block) == NULL)
		fail_msg("docs/audit.md lacks the checkpoint message:\n%s", block);
	memset(seed, 1, sizeof(seed));
	journal_keypair_from_seed(pk, sk, seed);
	hex_in_doc(doc, "the public key", pk, sizeof(pk));
	journal_checkpoint_sign(sig, sk, 2, h2, 1800000120);
	hex_in_doc(doc, "the signature", sig, sizeof(sig));
	assert_true(journal_checkpoint_verify(sig, pk, 2, h2, 1800000120));
	assert_false(journal_checkpoint_verify(sig, pk, 2, h2, 1800000121));
	free(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_worked_example_matches_the_code),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
