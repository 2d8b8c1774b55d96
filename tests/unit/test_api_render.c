/*
 * test_api_render.c: api/'s records as JSON (render.c, from treasury_api):
 * every member of an asset, a treasury with its signers, a ledger entry
 * (optional members present only when set), a proposal (votes split by
 * decision and counted, settlement null or an object) and a page.
 * The renderings are compared whole, keys sorted. Also csv.c's writer:
 * quoting (quotes, commas, CR, LF), the formula guard on text only, times
 * and exact amounts, and the bound.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../api/internal.h"

/* j (reference taken) written compactly with sorted keys equals want. */
static void
rendered_is(json_t *j, const char *want)
{
	char *s;

	assert_non_null(j);
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	assert_non_null(s);
	assert_string_equal(s, want);
	free(s);
	json_decref(j);
}

static void
test_asset_and_treasury(void **state)
{
	struct asset a;
	struct treasury *t = calloc(1, sizeof(*t));

	(void)state;
	assert_non_null(t);
	memset(&a, 0, sizeof(a));
	snprintf(a.code, sizeof(a.code), "USDC");
	a.decimals = 6;
	snprintf(a.chain, sizeof(a.chain), "ethereum");
	a.created_s = 1800000000;
	rendered_is(asset_json(&a), "{\"chain\":\"ethereum\",\"code\":\"USDC\","
	    "\"created_at\":\"2027-01-15T08:00:00Z\",\"decimals\":6}");

	snprintf(t->id, sizeof(t->id), "ops");
	snprintf(t->name, sizeof(t->name), "Operations");
	t->config_version = 3;
	t->threshold = 2;
	t->signer_count = 2;
	snprintf(t->signers[0].name, sizeof(t->signers[0].name), "alice");
	t->signers[0].key.type = KEY_ECDSA;
	t->signers[0].key.len = 3;		/* short: only hex is tested */
	memcpy(t->signers[0].key.bytes, "\x02\xab\xff", 3);
	snprintf(t->signers[1].name, sizeof(t->signers[1].name), "bob");
	t->signers[1].key.type = KEY_SCHNORR;
	t->signers[1].key.len = 2;
	memcpy(t->signers[1].key.bytes, "\x00\x10", 2);
	t->created_s = 0;
	rendered_is(treasury_json(t), "{\"config_version\":3,"
	    "\"created_at\":\"1970-01-01T00:00:00Z\",\"frozen\":false,"
	    "\"id\":\"ops\",\"name\":\"Operations\",\"signers\":["
	    "{\"key_type\":\"ecdsa\",\"name\":\"alice\",\"pubkey\":\"02abff\"},"
	    "{\"key_type\":\"schnorr\",\"name\":\"bob\",\"pubkey\":\"0010\"}],"
	    "\"threshold\":2}");
	t->signer_count = 0;
	rendered_is(treasury_json(t), "{\"config_version\":3,"
	    "\"created_at\":\"1970-01-01T00:00:00Z\",\"frozen\":false,"
	    "\"id\":\"ops\",\"name\":\"Operations\",\"signers\":[],"
	    "\"threshold\":2}");
	/* frozen: the freeze in force and when it was made */
	t->frozen = true;
	t->freeze_seq = 4;
	t->frozen_at_s = 1800000000;
	rendered_is(treasury_json(t), "{\"config_version\":3,"
	    "\"created_at\":\"1970-01-01T00:00:00Z\",\"freeze_seq\":4,"
	    "\"frozen\":true,\"frozen_at\":\"2027-01-15T08:00:00Z\","
	    "\"id\":\"ops\",\"name\":\"Operations\",\"signers\":[],"
	    "\"threshold\":2}");
	free(t);
}

static void
test_ledger_entry(void **state)
{
	struct ledger_entry e;

	(void)state;
	memset(&e, 0, sizeof(e));
	e.seq = 7;
	snprintf(e.treasury, sizeof(e.treasury), "ops");
	e.kind = LEDGER_DEPOSIT;
	snprintf(e.asset, sizeof(e.asset), "USDC");
	e.decimals = 6;
	e.amount = 1500500000;
	e.balance_after = 2000000000;
	snprintf(e.reference, sizeof(e.reference), "tx-1");
	e.created_s = 1800000000;
	/* a deposit without a source: no source, to or proposal member */
	rendered_is(ledger_entry_json(&e), "{\"amount\":\"1500.500000\","
	    "\"asset\":\"USDC\",\"balance_after\":\"2000.000000\","
	    "\"category\":null,\"counterparty\":\"\","
	    "\"created_at\":\"2027-01-15T08:00:00Z\",\"kind\":\"deposit\","
	    "\"memo\":\"\",\"reference\":\"tx-1\",\"seq\":7,"
	    "\"treasury\":\"ops\"}");
	snprintf(e.source, sizeof(e.source), "exchange");
	snprintf(e.category, sizeof(e.category), "donations");
	rendered_is(ledger_entry_json(&e), "{\"amount\":\"1500.500000\","
	    "\"asset\":\"USDC\",\"balance_after\":\"2000.000000\","
	    "\"category\":\"donations\",\"counterparty\":\"exchange\","
	    "\"created_at\":\"2027-01-15T08:00:00Z\",\"kind\":\"deposit\","
	    "\"memo\":\"\",\"reference\":\"tx-1\",\"seq\":7,"
	    "\"source\":\"exchange\",\"treasury\":\"ops\"}");

	memset(&e, 0, sizeof(e));
	e.seq = 8;
	snprintf(e.treasury, sizeof(e.treasury), "ops");
	e.kind = LEDGER_TRANSFER;
	snprintf(e.asset, sizeof(e.asset), "BTC");
	e.decimals = 8;
	e.amount = 1;
	e.balance_after = 0;
	snprintf(e.to, sizeof(e.to), "bc1q");
	snprintf(e.memo, sizeof(e.memo), "rent");
	e.has_proposal = true;
	memset(e.proposal, 0xab, sizeof(e.proposal));
	rendered_is(ledger_entry_json(&e), "{\"amount\":\"0.00000001\","
	    "\"asset\":\"BTC\",\"balance_after\":\"0.00000000\","
	    "\"category\":null,\"counterparty\":\"bc1q\","
	    "\"created_at\":\"1970-01-01T00:00:00Z\",\"kind\":\"transfer\","
	    "\"memo\":\"rent\",\"proposal\":\"abababababababababababababababab"
	    "abababababababababababababababab\",\"seq\":8,\"to\":\"bc1q\","
	    "\"treasury\":\"ops\"}");
}

static void
test_proposal(void **state)
{
	struct proposal_record *p = calloc(1, sizeof(*p));
	char text[] = "treasuryd proposal v1\n";
	json_t *j;

	(void)state;
	assert_non_null(p);
	memset(p->id, 0x01, sizeof(p->id));
	snprintf(p->treasury, sizeof(p->treasury), "ops");
	p->nonce = 5;
	p->config_version = 2;
	p->kind = KIND_TRANSFER;
	p->status = STATUS_PENDING;
	p->canonical = text;
	p->canonical_len = strlen(text);
	p->created_s = 0;
	p->expires_s = 1800000000;
	p->threshold = 2;
	p->signer_count = 3;
	p->vote_count = 3;
	snprintf(p->votes[0].signer, sizeof(p->votes[0].signer), "alice");
	p->votes[0].decision = VOTE_APPROVE;
	p->votes[0].signature_len = 2;
	memcpy(p->votes[0].signature, "\x30\x01", 2);
	snprintf(p->votes[1].signer, sizeof(p->votes[1].signer), "bob");
	p->votes[1].decision = VOTE_REJECT;
	p->votes[1].signature_len = 1;
	p->votes[1].signature[0] = 0xff;
	p->votes[1].created_s = 60;
	snprintf(p->votes[2].signer, sizeof(p->votes[2].signer), "carol");
	p->votes[2].decision = VOTE_APPROVE;
	p->votes[2].signature_len = 1;
	p->votes[2].signature[0] = 0x0f;
	p->votes[2].created_s = 120;
	rendered_is(proposal_json(p), "{\"approval_count\":2,\"approvals\":["
	    "{\"signature\":\"3001\",\"signer\":\"alice\","
	    "\"voted_at\":\"1970-01-01T00:00:00Z\"},"
	    "{\"signature\":\"0f\",\"signer\":\"carol\","
	    "\"voted_at\":\"1970-01-01T00:02:00Z\"}],"
	    "\"canonical\":\"treasuryd proposal v1\\n\",\"category\":null,"
	    "\"config_version\":2,"
	    "\"created_at\":\"1970-01-01T00:00:00Z\",\"executed_at\":null,"
	    "\"expires_at\":\"2027-01-15T08:00:00Z\",\"id\":\""
	    "0101010101010101010101010101010101010101010101010101010101010101"
	    "\",\"kind\":\"transfer\",\"nonce\":5,\"rejection_count\":1,"
	    "\"rejections\":[{\"signature\":\"ff\",\"signer\":\"bob\","
	    "\"voted_at\":\"1970-01-01T00:01:00Z\"}],\"settlement\":null,"
	    "\"signer_count\":3,\"status\":\"pending\",\"threshold\":2,"
	    "\"treasury\":\"ops\"}");

	/* executed and settled; canonical bytes as stored (length given) */
	p->status = STATUS_EXECUTED;
	p->executed_s = 3600;
	snprintf(p->settlement, sizeof(p->settlement), "chain-tx-9");
	p->settled_s = 7200;
	p->canonical_len = 9;
	p->vote_count = 0;
	j = proposal_json(p);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "status")),
	    "executed");
	assert_string_equal(json_string_value(json_object_get(j, "canonical")),
	    "treasuryd");
	assert_string_equal(json_string_value(json_object_get(j,
	    "executed_at")), "1970-01-01T01:00:00Z");
	rendered_is(json_incref(json_object_get(j, "settlement")),
	    "{\"recorded_at\":\"1970-01-01T02:00:00Z\","
	    "\"reference\":\"chain-tx-9\"}");
	rendered_is(json_incref(json_object_get(j, "approvals")), "[]");
	assert_int_equal(json_integer_value(json_object_get(j,
	    "approval_count")), 0);
	json_decref(j);
	free(p);
}

static void
test_page(void **state)
{
	(void)state;
	rendered_is(page_json("items", json_pack("[i]", 1), "abc"),
	    "{\"items\":[1],\"next_cursor\":\"abc\"}");
	rendered_is(page_json("ledger", json_array(), NULL),
	    "{\"ledger\":[],\"next_cursor\":null}");
	/* no items (out of memory upstream): no page */
	assert_null(page_json("items", NULL, "abc"));
}

static void
test_csv_writer(void **state)
{
	static const char *const cols[] = { "a", "b", NULL };
	char buf[512];
	struct csv_out o;

	(void)state;
	csv_init(&o, buf, sizeof(buf));
	csv_header(&o, cols);
	csv_text(&o, "=1+2");
	csv_text(&o, "say \"hi\", then\r\nbye");
	csv_text(&o, "-x,y");
	csv_text(&o, "\tTAB");
	csv_text(&o, "@");
	csv_text(&o, "");
	csv_row_end(&o);
	csv_amount(&o, "-40.000000");	/* amounts never guarded */
	csv_minor(&o, 1, 18);
	csv_minor(&o, 150000000, 6);
	csv_time(&o, 86400);
	csv_int(&o, -7);
	csv_row_end(&o);
	assert_false(o.full);
	buf[o.len] = '\0';
	assert_string_equal(buf, "a,b\r\n"
	    "'=1+2,\"say \"\"hi\"\", then\r\nbye\",\"'-x,y\",'\tTAB,'@,\r\n"
	    "-40.000000,0.000000000000000001,150.000000,"
	    "1970-01-02T00:00:00Z,-7\r\n");
	/* past the bound: full, nothing written beyond cap (a row cut short
	 * is taken back by its caller: reply_csv, csv_stream_row_fits) */
	csv_init(&o, buf, 4);
	csv_text(&o, "abc");
	assert_false(o.full);
	csv_text(&o, "d");
	assert_true(o.full);
	assert_true(o.len <= 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_asset_and_treasury),
		cmocka_unit_test(test_ledger_entry),
		cmocka_unit_test(test_proposal),
		cmocka_unit_test(test_page),
		cmocka_unit_test(test_csv_writer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
