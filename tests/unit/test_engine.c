/*
 * test_engine.c: unit tests of the treasury engine (command.h, writer.h,
 * queries.h): the writer thread and its commands, driven directly with
 * writer_submit, and the reader queries on a separate STORE_READ_ONLY store.
 *
 * Votes carry real signatures made here with libsecp256k1 from fixed TEST
 * ONLY secret keys (32 bytes of one repeated byte), ECDSA and BIP-340, and
 * are checked with vote_signature_verify as the api does before it hands a
 * vote to the writer. The clock is the command's now_s, fixed per test, so
 * expiry is tested by moving it. Each test gets a fresh database in a
 * mkdtemp directory under /tmp (the fixture is engine_fixture.h).
 */
#include <pthread.h>

#include "treasury/clock.h"

#include "engine_fixture.h"

/* ---- fixture ---- */

/* A signer token whose hash is its name, zero-padded. */
static int64_t
token_make(struct ctx *c, const char *name)
{
	uint8_t hash[TOKEN_HASH_BYTES];

	memset(hash, 0, sizeof(hash));
	snprintf((char *)hash, sizeof(hash), "%s", name);
	return fixture_token(c, name, hash);
}

static int
setup(void **state)
{
	struct ctx *c = fixture_open("engine", true);

	c->token_a = token_make(c, "token-a");
	c->token_b = token_make(c, "token-b");
	*state = c;
	return 0;
}

/* Assets USDC (6) and BTC (8), and treasury `id`, 2 of alice, bob, carol. */
static void
world_make(struct ctx *c, const char *id)
{
	treasury_err err;

	err = asset_create(c, "USDC", 6);
	assert_true(err == TREASURY_OK || err == TREASURY_ERR_ASSET_EXISTS);
	err = asset_create(c, "BTC", 8);
	assert_true(err == TREASURY_OK || err == TREASURY_ERR_ASSET_EXISTS);
	assert_int_equal(treasury_create(c, id, 2, abc, 3), TREASURY_OK);
}

static treasury_err
deposit_full(struct ctx *c, const char *t, const char *asset,
    amount_minor amount, const char *ref, const char *memo,
    struct command *out)
{
	struct command cmd;
	treasury_err err;

	deposit_fill(&cmd, t, asset, amount, ref);
	snprintf(cmd.in.deposit.source, sizeof(cmd.in.deposit.source), "acme");
	snprintf(cmd.in.deposit.memo, sizeof(cmd.in.deposit.memo), "%s", memo);
	err = submit(c, &cmd);
	if (out != NULL)
		*out = cmd;
	return err;
}

static treasury_err
deposit(struct ctx *c, const char *t, const char *asset, amount_minor amount,
    const char *ref)
{
	return deposit_full(c, t, asset, amount, ref, "", NULL);
}

static void
fields_transfer(struct proposal_fields *f, const char *asset,
    unsigned decimals, amount_minor amount, const char *to)
{
	struct transfer_fields *x = &f->transfers[f->transfer_count++];

	snprintf(x->asset, sizeof(x->asset), "%s", asset);
	x->decimals = decimals;
	x->amount = amount;
	snprintf(x->to, sizeof(x->to), "%s", to);
	snprintf(x->memo, sizeof(x->memo), "pay %s", to);
}

/* Submit a proposal; id out on success. */
static treasury_err
propose_as(struct ctx *c, struct proposal_fields *f, int64_t token,
    uint8_t id[PROPOSAL_ID_BYTES], struct command *out)
{
	struct command cmd;
	treasury_err err;

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_PROPOSAL_CREATE;
	cmd.now_s = NOW;
	cmd.in.proposal_create.fields = f;
	cmd.in.proposal_create.proposer_token_id = token;
	err = submit(c, &cmd);
	if (id != NULL)
		memcpy(id, cmd.out.proposal_create.id, PROPOSAL_ID_BYTES);
	if (out != NULL)
		*out = cmd;
	free(f);
	return err;
}

static treasury_err
propose(struct ctx *c, struct proposal_fields *f, uint8_t id[PROPOSAL_ID_BYTES])
{
	return propose_as(c, f, c->token_a, id, NULL);
}

/* A transfer of `minor` USDC minor units, expiring in an hour. */
static treasury_err
propose_usdc(struct ctx *c, const char *t, amount_minor minor,
    uint8_t id[PROPOSAL_ID_BYTES])
{
	struct proposal_fields *f = fields_new(KIND_TRANSFER, t, NOW + HOUR);

	fields_transfer(f, "USDC", 6, minor, "0xabc");
	return propose(c, f, id);
}

struct vote_answer {
	treasury_err err;
	enum proposal_status status;
	bool replayed;
};

/* A vote by signer `name` with key (i, type), signed and verified. */
static struct vote_answer
vote_at(struct ctx *c, const uint8_t id[PROPOSAL_ID_BYTES], const char *name,
    int i, enum key_type type, enum vote_decision d, uint64_t version,
    int64_t now_s)
{
	struct command cmd;
	struct vote_answer r;
	uint8_t digest[DIGEST_BYTES];

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_VOTE;
	cmd.now_s = now_s;
	memcpy(cmd.in.vote.proposal, id, PROPOSAL_ID_BYTES);
	snprintf(cmd.in.vote.signer, sizeof(cmd.in.vote.signer), "%s", name);
	cmd.in.vote.decision = d;
	vote_digest_compute(digest, id, d);
	cmd.in.vote.signature_len = sign_digest(c, i, type, digest,
	    cmd.in.vote.signature);
	cmd.in.vote.verified_key = key_of(c, i, type);
	cmd.in.vote.verified_config_version = version;
	assert_int_equal(vote_signature_verify(c->v, &cmd.in.vote.verified_key,
	    digest, cmd.in.vote.signature, cmd.in.vote.signature_len),
	    TREASURY_OK);
	r.err = submit(c, &cmd);
	r.status = cmd.out.vote.status;
	r.replayed = cmd.replayed;
	return r;
}

/* Vote as signer abc[k] at config version 1, now. */
static struct vote_answer
vote(struct ctx *c, const uint8_t id[PROPOSAL_ID_BYTES], int k,
    enum vote_decision d)
{
	return vote_at(c, id, abc[k].name, abc[k].key, abc[k].type, d, 1, NOW);
}

static treasury_err
execute(struct ctx *c, const uint8_t id[PROPOSAL_ID_BYTES], int64_t now_s,
    enum proposal_status *status)
{
	struct command cmd;
	treasury_err err;

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_EXECUTE;
	cmd.now_s = now_s;
	memcpy(cmd.in.execute.proposal, id, PROPOSAL_ID_BYTES);
	err = submit(c, &cmd);
	if (status != NULL)
		*status = cmd.out.execute.status;
	return err;
}

static treasury_err
cancel(struct ctx *c, const uint8_t id[PROPOSAL_ID_BYTES], int64_t token)
{
	struct command cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_CANCEL;
	cmd.now_s = NOW;
	memcpy(cmd.in.cancel.proposal, id, PROPOSAL_ID_BYTES);
	cmd.in.cancel.token_id = token;
	return submit(c, &cmd);
}

/* ---- queries ---- */

static enum proposal_status
status_at(struct ctx *c, const uint8_t id[PROPOSAL_ID_BYTES], int64_t now_s)
{
	struct proposal_record rec;
	enum proposal_status st;

	assert_int_equal(store_proposal_get(c->reader, id, now_s, &rec),
	    TREASURY_OK);
	st = rec.status;
	proposal_record_free(&rec);
	return st;
}

struct balance_find {
	const char *asset;
	amount_minor amount;
	int found;
};

static int
balance_cb(const struct balance *b, void *ctx)
{
	struct balance_find *f = ctx;

	if (strcmp(b->asset, f->asset) == 0) {
		f->amount = b->amount;
		f->found = 1;
	}
	return 0;
}

static amount_minor
balance_of(struct ctx *c, const char *t, const char *asset)
{
	struct balance_find f = { asset, 0, 0 };

	assert_int_equal(store_balances(c->reader, t, balance_cb, &f),
	    TREASURY_OK);
	return f.amount;
}

struct ledger_collect {
	unsigned count;
	struct ledger_entry last;
	int64_t last_seq;
	int ordered;
};

static int
ledger_cb(const struct ledger_entry *e, void *ctx)
{
	struct ledger_collect *lc = ctx;

	if (e->seq <= lc->last_seq)
		lc->ordered = 0;
	lc->last_seq = e->seq;
	lc->last = *e;
	lc->count++;
	return 0;
}

/* Walk a treasury's whole ledger in pages of `limit`. */
static struct ledger_collect
ledger_all(struct ctx *c, const char *t, unsigned limit)
{
	struct ledger_collect lc;
	bool more = true;
	int64_t after = 0;

	memset(&lc, 0, sizeof(lc));
	lc.ordered = 1;
	while (more) {
		assert_int_equal(store_ledger_page(c->reader, t, after, limit,
		    ledger_cb, &lc, &more), TREASURY_OK);
		after = lc.last_seq;
	}
	return lc;
}

/* ---- tests: assets and treasuries ---- */

struct asset_order {
	unsigned count;
	char last[ASSET_CODE_MAX_BYTES + 1];
	int ordered;
};

static int
asset_list_cb(const struct asset *a, void *ctx)
{
	struct asset_order *o = ctx;

	if (strcmp(o->last, a->code) >= 0)
		o->ordered = 0;
	snprintf(o->last, sizeof(o->last), "%s", a->code);
	o->count++;
	return 0;
}

static void
test_assets(void **state)
{
	struct ctx *c = *state;
	struct asset a;

	assert_int_equal(asset_create(c, "USDC", 6), TREASURY_OK);
	assert_int_equal(asset_create(c, "usdc", 2), TREASURY_ERR_ASSET_EXISTS);
	assert_int_equal(asset_create(c, "USDC", 6), TREASURY_ERR_ASSET_EXISTS);
	assert_int_equal(asset_create(c, "BTC", 8), TREASURY_OK);
	assert_int_equal(asset_create(c, "X", 19), TREASURY_ERR_DECIMALS);
	assert_int_equal(asset_create(c, "-X", 2), TREASURY_ERR_ASSET_CODE);
	assert_int_equal(store_asset_get(c->reader, "USDC", &a), TREASURY_OK);
	assert_string_equal(a.code, "USDC");
	assert_int_equal(a.decimals, 6);
	assert_string_equal(a.chain, "ethereum");
	assert_int_equal(a.created_s, NOW);
	assert_int_equal(store_asset_get(c->reader, "usdc", &a),
	    TREASURY_ERR_UNKNOWN_ASSET);
}

static void
test_assets_list_order(void **state)
{
	struct ctx *c = *state;
	struct asset_order o = { 0, "", 1 };

	assert_int_equal(asset_create(c, "b.x", 0), TREASURY_OK);
	assert_int_equal(asset_create(c, "USDC", 6), TREASURY_OK);
	assert_int_equal(asset_create(c, "BTC", 8), TREASURY_OK);
	assert_int_equal(asset_create(c, "B.X", 1), TREASURY_ERR_ASSET_EXISTS);
	assert_int_equal(store_assets_list(c->reader, asset_list_cb, &o),
	    TREASURY_OK);
	assert_int_equal(o.count, 3);
	assert_true(o.ordered);
}

static void
test_treasury_create(void **state)
{
	struct ctx *c = *state;
	static const struct signer_spec dup_name[] = {
		{ "alice", 0, KEY_ECDSA }, { "alice", 1, KEY_ECDSA },
	};
	/* 02||X or 03||X and X are one key, whatever the type. */
	static const struct signer_spec dup_key[] = {
		{ "alice", 0, KEY_ECDSA }, { "bob", 0, KEY_SCHNORR },
	};
	struct treasury *t = malloc(sizeof(*t));
	unsigned i;

	assert_non_null(t);
	assert_int_equal(treasury_create(c, "grants", 2, abc, 3), TREASURY_OK);
	assert_int_equal(treasury_create(c, "grants", 2, abc, 3),
	    TREASURY_ERR_TREASURY_EXISTS);
	assert_int_equal(treasury_create(c, "t2", 1, dup_name, 2),
	    TREASURY_ERR_DUPLICATE_SIGNER);
	assert_int_equal(treasury_create(c, "t2", 1, dup_key, 2),
	    TREASURY_ERR_DUPLICATE_KEY);
	assert_int_equal(treasury_create(c, "t2", 4, abc, 3),
	    TREASURY_ERR_THRESHOLD);
	assert_int_equal(treasury_create(c, "t2", 0, abc, 3),
	    TREASURY_ERR_THRESHOLD);
	assert_int_equal(treasury_create(c, "Bad", 1, abc, 3),
	    TREASURY_ERR_TREASURY_ID);
	assert_int_equal(store_treasury_get(c->reader, "t2", t),
	    TREASURY_ERR_UNKNOWN_TREASURY);
	assert_int_equal(store_treasury_get(c->reader, "grants", t),
	    TREASURY_OK);
	assert_string_equal(t->id, "grants");
	assert_string_equal(t->name, "Treasury grants");
	assert_int_equal(t->config_version, 1);
	assert_int_equal(t->threshold, 2);
	assert_int_equal(t->signer_count, 3);
	for (i = 0; i < 3; i++) {	/* by name: alice, bob, carol */
		struct signer_key k = key_of(c, abc[i].key, abc[i].type);

		assert_string_equal(t->signers[i].name, abc[i].name);
		assert_int_equal(t->signers[i].key.type, k.type);
		assert_int_equal(t->signers[i].key.len, k.len);
		assert_memory_equal(t->signers[i].key.bytes, k.bytes, k.len);
		assert_memory_equal(t->signers[i].key.x, k.x, 32);
	}
	assert_int_equal(store_treasury_at_version(c->reader, "grants", 2, t),
	    TREASURY_ERR_UNKNOWN_TREASURY);
	free(t);
}

/* ---- tests: deposits ---- */

static void
test_deposit_idempotency(void **state)
{
	struct ctx *c = *state;
	struct command first, again;
	struct ledger_entry e;

	world_make(c, "t1");
	assert_int_equal(deposit_full(c, "t1", "USDC", 1500500000, "inv-1",
	    "first", &first), TREASURY_OK);
	assert_false(first.replayed);
	assert_true(first.out.deposit.ledger_seq > 0);
	assert_int_equal(deposit_full(c, "t1", "USDC", 1500500000, "inv-1",
	    "first", &again), TREASURY_OK);
	assert_true(again.replayed);
	assert_int_equal(again.out.deposit.ledger_seq,
	    first.out.deposit.ledger_seq);
	assert_int_equal(deposit_full(c, "t1", "USDC", 1500500001, "inv-1",
	    "first", NULL), TREASURY_ERR_REFERENCE_CONFLICT);
	assert_int_equal(deposit_full(c, "t1", "USDC", 1500500000, "inv-1",
	    "second", NULL), TREASURY_ERR_REFERENCE_CONFLICT);
	assert_int_equal(deposit_full(c, "t1", "BTC", 1500500000, "inv-1",
	    "first", NULL), TREASURY_ERR_REFERENCE_CONFLICT);
	assert_int_equal(deposit(c, "t1", "usdc", 1, "inv-2"),
	    TREASURY_ERR_UNKNOWN_ASSET);
	assert_int_equal(deposit(c, "nope", "USDC", 1, "inv-2"),
	    TREASURY_ERR_UNKNOWN_TREASURY);
	assert_int_equal(deposit(c, "t1", "USDC", 0, "inv-2"),
	    TREASURY_ERR_AMOUNT_ZERO);
	assert_true(balance_of(c, "t1", "USDC") == 1500500000);
	assert_int_equal(ledger_all(c, "t1", 10).count, 1);
	assert_int_equal(store_ledger_entry_get(c->reader,
	    first.out.deposit.ledger_seq, &e), TREASURY_OK);
	assert_int_equal(e.kind, LEDGER_DEPOSIT);
	assert_string_equal(e.reference, "inv-1");
	assert_string_equal(e.source, "acme");
	assert_string_equal(e.memo, "first");
	assert_int_equal(e.decimals, 6);
	assert_true(e.amount == 1500500000 && e.balance_after == 1500500000);
	assert_false(e.has_proposal);
	assert_int_equal(store_ledger_entry_get(c->reader, 999, &e),
	    TREASURY_ERR_NOT_FOUND);
	/* The reference is unique per treasury, not globally. */
	assert_int_equal(treasury_create(c, "t2", 1, abc, 1), TREASURY_OK);
	assert_int_equal(deposit(c, "t2", "USDC", 7, "inv-1"), TREASURY_OK);
	assert_true(balance_of(c, "t2", "USDC") == 7);
}

static void
test_deposit_overflow(void **state)
{
	struct ctx *c = *state;

	world_make(c, "t1");
	assert_int_equal(deposit(c, "t1", "BTC", AMOUNT_MINOR_MAX - 1, "a"),
	    TREASURY_OK);
	assert_int_equal(deposit(c, "t1", "BTC", 1, "b"), TREASURY_OK);
	assert_true(balance_of(c, "t1", "BTC") == AMOUNT_MINOR_MAX);
	assert_int_equal(deposit(c, "t1", "BTC", 1, "c"),
	    TREASURY_ERR_BALANCE_OVERFLOW);
	assert_true(balance_of(c, "t1", "BTC") == AMOUNT_MINOR_MAX);
	assert_int_equal(ledger_all(c, "t1", 10).count, 2);
	assert_true(ledger_all(c, "t1", 10).last.balance_after ==
	    AMOUNT_MINOR_MAX);
}

/* ---- tests: proposals, votes, execution ---- */

static void
test_lifecycle_two_of_three(void **state)
{
	struct ctx *c = *state;
	uint8_t id[PROPOSAL_ID_BYTES], check[PROPOSAL_ID_BYTES];
	struct proposal_record rec;
	struct ledger_collect lc;
	enum proposal_status st;
	struct vote_answer r;
	struct command cmd;

	world_make(c, "t1");
	assert_int_equal(deposit(c, "t1", "USDC", 100000000, "d1"), TREASURY_OK);
	assert_int_equal(propose_usdc(c, "t1", 60000000, id), TREASURY_OK);
	assert_int_equal(store_proposal_get(c->reader, id, NOW, &rec),
	    TREASURY_OK);
	assert_int_equal(rec.status, STATUS_PENDING);
	assert_int_equal(rec.nonce, 1);
	assert_int_equal(rec.config_version, 1);
	assert_int_equal(rec.kind, KIND_TRANSFER);
	assert_int_equal(rec.threshold, 2);
	assert_int_equal(rec.signer_count, 3);
	assert_int_equal(rec.proposer_token_id, c->token_a);
	assert_int_equal(rec.expires_s, NOW + HOUR);
	proposal_id_compute(check, rec.canonical, rec.canonical_len);
	assert_memory_equal(check, id, PROPOSAL_ID_BYTES);
	assert_non_null(strstr(rec.canonical, "\namount: 60.000000\n"));
	assert_non_null(strstr(rec.canonical, "\nnonce: 1\n"));
	proposal_record_free(&rec);

	assert_int_equal(execute(c, id, NOW, &st), TREASURY_ERR_NOT_APPROVED);
	r = vote(c, id, 0, VOTE_APPROVE);
	assert_int_equal(r.err, TREASURY_OK);
	assert_int_equal(r.status, STATUS_PENDING);
	r = vote(c, id, 1, VOTE_APPROVE);	/* schnorr */
	assert_int_equal(r.err, TREASURY_OK);
	assert_int_equal(r.status, STATUS_APPROVED);
	assert_int_equal(execute(c, id, NOW, &st), TREASURY_OK);
	assert_int_equal(st, STATUS_EXECUTED);
	assert_true(balance_of(c, "t1", "USDC") == 40000000);
	lc = ledger_all(c, "t1", 1);
	assert_int_equal(lc.count, 2);
	assert_true(lc.ordered);
	assert_int_equal(lc.last.kind, LEDGER_TRANSFER);
	assert_true(lc.last.amount == 60000000);
	assert_true(lc.last.balance_after == 40000000);
	assert_string_equal(lc.last.to, "0xabc");
	assert_string_equal(lc.last.memo, "pay 0xabc");
	assert_string_equal(lc.last.reference, "");
	assert_true(lc.last.has_proposal);
	assert_memory_equal(lc.last.proposal, id, PROPOSAL_ID_BYTES);

	assert_int_equal(execute(c, id, NOW, &st), TREASURY_ERR_ALREADY_EXECUTED);
	assert_true(balance_of(c, "t1", "USDC") == 40000000);
	assert_int_equal(store_proposal_get(c->reader, id, NOW + 10 * HOUR, &rec),
	    TREASURY_OK);
	assert_int_equal(rec.status, STATUS_EXECUTED);	/* never expires */
	assert_int_equal(rec.executed_s, NOW);
	assert_int_equal(rec.vote_count, 2);
	assert_string_equal(rec.votes[0].signer, "alice");
	assert_int_equal(rec.votes[0].decision, VOTE_APPROVE);
	assert_int_equal(rec.votes[0].signature_len, 64);
	assert_string_equal(rec.votes[1].signer, "bob");
	proposal_record_free(&rec);
	/* A late vote by carol: not pending. */
	assert_int_equal(vote(c, id, 2, VOTE_APPROVE).err,
	    TREASURY_ERR_NOT_PENDING);

	/* Settlement: once; the same again is a replay. */
	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_SETTLEMENT;
	cmd.now_s = NOW;
	memcpy(cmd.in.settlement.proposal, id, PROPOSAL_ID_BYTES);
	snprintf(cmd.in.settlement.reference, sizeof(cmd.in.settlement.reference),
	    "0xtxhash");
	assert_int_equal(submit(c, &cmd), TREASURY_OK);
	assert_false(cmd.replayed);
	assert_int_equal(submit(c, &cmd), TREASURY_OK);
	assert_true(cmd.replayed);
	snprintf(cmd.in.settlement.reference, sizeof(cmd.in.settlement.reference),
	    "0xother");
	assert_int_equal(submit(c, &cmd), TREASURY_ERR_SETTLEMENT_CONFLICT);
	assert_int_equal(store_proposal_get(c->reader, id, NOW, &rec),
	    TREASURY_OK);
	assert_string_equal(rec.settlement, "0xtxhash");
	proposal_record_free(&rec);
}

static void
test_settlement_needs_execution(void **state)
{
	struct ctx *c = *state;
	uint8_t id[PROPOSAL_ID_BYTES];
	struct command cmd;

	world_make(c, "t1");
	assert_int_equal(propose_usdc(c, "t1", 1, id), TREASURY_OK);
	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_SETTLEMENT;
	cmd.now_s = NOW;
	memcpy(cmd.in.settlement.proposal, id, PROPOSAL_ID_BYTES);
	snprintf(cmd.in.settlement.reference, sizeof(cmd.in.settlement.reference),
	    "0xtxhash");
	assert_int_equal(submit(c, &cmd), TREASURY_ERR_NOT_EXECUTED);
	cmd.in.settlement.proposal[0] ^= 1;
	assert_int_equal(submit(c, &cmd), TREASURY_ERR_UNKNOWN_PROPOSAL);
}

static void
test_insufficient_balance_changes_nothing(void **state)
{
	struct ctx *c = *state;
	uint8_t id[PROPOSAL_ID_BYTES];
	enum proposal_status st;

	world_make(c, "t1");
	assert_int_equal(deposit(c, "t1", "USDC", 10000000, "d1"), TREASURY_OK);
	assert_int_equal(propose_usdc(c, "t1", 60000000, id), TREASURY_OK);
	assert_int_equal(vote(c, id, 0, VOTE_APPROVE).err, TREASURY_OK);
	assert_int_equal(vote(c, id, 2, VOTE_APPROVE).status, STATUS_APPROVED);
	assert_int_equal(execute(c, id, NOW, &st),
	    TREASURY_ERR_INSUFFICIENT_BALANCE);
	assert_true(balance_of(c, "t1", "USDC") == 10000000);
	assert_int_equal(ledger_all(c, "t1", 10).count, 1);
	assert_int_equal(status_at(c, id, NOW), STATUS_APPROVED);
	/* Funded later, it goes through. */
	assert_int_equal(deposit(c, "t1", "USDC", 50000000, "d2"), TREASURY_OK);
	assert_int_equal(execute(c, id, NOW, &st), TREASURY_OK);
	assert_true(balance_of(c, "t1", "USDC") == 0);
}

static void
approve_two(struct ctx *c, const uint8_t id[PROPOSAL_ID_BYTES])
{
	assert_int_equal(vote(c, id, 0, VOTE_APPROVE).err, TREASURY_OK);
	assert_int_equal(vote(c, id, 1, VOTE_APPROVE).status, STATUS_APPROVED);
}

static void
test_batch_all_or_nothing(void **state)
{
	struct ctx *c = *state;
	uint8_t id[PROPOSAL_ID_BYTES];
	struct proposal_fields *f;
	struct ledger_collect lc;

	world_make(c, "t1");
	assert_int_equal(deposit(c, "t1", "USDC", 100000000, "d1"), TREASURY_OK);
	assert_int_equal(deposit(c, "t1", "BTC", 100000000, "d2"), TREASURY_OK);
	/* Enough of each asset alone, but two USDC transfers add up to more. */
	f = fields_new(KIND_BATCH, "t1", NOW + HOUR);
	fields_transfer(f, "USDC", 6, 60000000, "0xa");
	fields_transfer(f, "BTC", 8, 50000000, "bc1q");
	fields_transfer(f, "USDC", 6, 60000000, "0xb");
	assert_int_equal(propose(c, f, id), TREASURY_OK);
	approve_two(c, id);
	assert_int_equal(execute(c, id, NOW, NULL),
	    TREASURY_ERR_INSUFFICIENT_BALANCE);
	assert_true(balance_of(c, "t1", "USDC") == 100000000);
	assert_true(balance_of(c, "t1", "BTC") == 100000000);
	assert_int_equal(ledger_all(c, "t1", 10).count, 2);

	f = fields_new(KIND_BATCH, "t1", NOW + HOUR);
	fields_transfer(f, "USDC", 6, 60000000, "0xa");
	fields_transfer(f, "BTC", 8, 50000000, "bc1q");
	fields_transfer(f, "USDC", 6, 40000000, "0xb");
	assert_int_equal(propose(c, f, id), TREASURY_OK);
	approve_two(c, id);
	assert_int_equal(execute(c, id, NOW, NULL), TREASURY_OK);
	assert_true(balance_of(c, "t1", "USDC") == 0);
	assert_true(balance_of(c, "t1", "BTC") == 50000000);
	lc = ledger_all(c, "t1", 2);
	assert_int_equal(lc.count, 5);
	assert_string_equal(lc.last.to, "0xb");
	assert_true(lc.last.balance_after == 0);

	/* Unknown assets and wrong decimals are refused at proposal time. */
	f = fields_new(KIND_BATCH, "t1", NOW + HOUR);
	fields_transfer(f, "USDC", 6, 1, "0xa");
	fields_transfer(f, "NOPE", 6, 1, "0xa");
	assert_int_equal(propose(c, f, NULL), TREASURY_ERR_UNKNOWN_ASSET);
	f = fields_new(KIND_TRANSFER, "t1", NOW + HOUR);
	fields_transfer(f, "USDC", 2, 1, "0xa");
	assert_int_equal(propose(c, f, NULL), TREASURY_ERR_UNKNOWN_ASSET);
	assert_int_equal(propose_usdc(c, "nope", 1, NULL),
	    TREASURY_ERR_UNKNOWN_TREASURY);
}

static void
test_votes_conflict_replay_reject(void **state)
{
	struct ctx *c = *state;
	uint8_t id[PROPOSAL_ID_BYTES], other[PROPOSAL_ID_BYTES];
	struct proposal_record rec;
	struct vote_answer r;

	world_make(c, "t1");
	assert_int_equal(propose_usdc(c, "t1", 1, id), TREASURY_OK);
	assert_int_equal(vote(c, id, 0, VOTE_APPROVE).err, TREASURY_OK);
	r = vote(c, id, 0, VOTE_APPROVE);
	assert_int_equal(r.err, TREASURY_OK);
	assert_true(r.replayed);
	assert_int_equal(r.status, STATUS_PENDING);
	assert_int_equal(vote(c, id, 0, VOTE_REJECT).err,
	    TREASURY_ERR_VOTE_CONFLICT);
	assert_int_equal(store_proposal_get(c->reader, id, NOW, &rec),
	    TREASURY_OK);
	assert_int_equal(rec.vote_count, 1);	/* counted once */
	assert_int_equal(rec.status, STATUS_PENDING);
	proposal_record_free(&rec);

	/* 2 of 3: rejected at N - M + 1 = 2 rejections. */
	assert_int_equal(propose_usdc(c, "t1", 2, other), TREASURY_OK);
	r = vote(c, other, 1, VOTE_REJECT);
	assert_int_equal(r.status, STATUS_PENDING);
	r = vote(c, other, 2, VOTE_REJECT);
	assert_int_equal(r.err, TREASURY_OK);
	assert_int_equal(r.status, STATUS_REJECTED);
	assert_int_equal(vote(c, other, 0, VOTE_APPROVE).err,
	    TREASURY_ERR_NOT_PENDING);
	r = vote(c, other, 2, VOTE_REJECT);	/* a repeat stays idempotent */
	assert_int_equal(r.err, TREASURY_OK);
	assert_true(r.replayed);
	assert_int_equal(r.status, STATUS_REJECTED);
	assert_int_equal(execute(c, other, NOW, NULL), TREASURY_ERR_NOT_APPROVED);
}

static void
test_vote_signer_checks(void **state)
{
	struct ctx *c = *state;
	uint8_t id[PROPOSAL_ID_BYTES], bad[PROPOSAL_ID_BYTES];

	world_make(c, "t1");
	assert_int_equal(propose_usdc(c, "t1", 1, id), TREASURY_OK);
	/* Not a signer; a signer with another key; the wrong version. */
	assert_int_equal(vote_at(c, id, "mallory", 4, KEY_ECDSA, VOTE_APPROVE,
	    1, NOW).err, TREASURY_ERR_UNKNOWN_SIGNER);
	assert_int_equal(vote_at(c, id, "alice", 4, KEY_ECDSA, VOTE_APPROVE,
	    1, NOW).err, TREASURY_ERR_UNKNOWN_SIGNER);
	assert_int_equal(vote_at(c, id, "alice", 0, KEY_ECDSA, VOTE_APPROVE,
	    2, NOW).err, TREASURY_ERR_UNKNOWN_SIGNER);
	memcpy(bad, id, sizeof(bad));
	bad[31] ^= 0x80;
	assert_int_equal(vote(c, bad, 0, VOTE_APPROVE).err,
	    TREASURY_ERR_UNKNOWN_PROPOSAL);
	assert_int_equal(execute(c, bad, NOW, NULL),
	    TREASURY_ERR_UNKNOWN_PROPOSAL);
}

static void
test_cancel(void **state)
{
	struct ctx *c = *state;
	uint8_t id[PROPOSAL_ID_BYTES];

	world_make(c, "t1");
	assert_int_equal(propose_usdc(c, "t1", 1, id), TREASURY_OK);
	assert_int_equal(cancel(c, id, c->token_b), TREASURY_ERR_NOT_PROPOSER);
	assert_int_equal(status_at(c, id, NOW), STATUS_PENDING);
	assert_int_equal(cancel(c, id, c->token_a), TREASURY_OK);
	assert_int_equal(status_at(c, id, NOW), STATUS_CANCELLED);
	assert_int_equal(cancel(c, id, c->token_a), TREASURY_ERR_NOT_PENDING);
	assert_int_equal(vote(c, id, 0, VOTE_APPROVE).err,
	    TREASURY_ERR_NOT_PENDING);
}

static void
test_expiry(void **state)
{
	struct ctx *c = *state;
	uint8_t id[PROPOSAL_ID_BYTES], ok[PROPOSAL_ID_BYTES];
	struct proposal_fields *f;
	enum proposal_status st;
	struct vote_answer r;

	world_make(c, "t1");
	assert_int_equal(deposit(c, "t1", "USDC", 10, "d1"), TREASURY_OK);
	f = fields_new(KIND_TRANSFER, "t1", NOW + 59);
	fields_transfer(f, "USDC", 6, 1, "0xa");
	assert_int_equal(propose(c, f, NULL), TREASURY_ERR_EXPIRY_TOO_SOON);
	f = fields_new(KIND_TRANSFER, "t1", NOW + 120);
	fields_transfer(f, "USDC", 6, 1, "0xa");
	assert_int_equal(propose(c, f, id), TREASURY_OK);
	/* (made now: the writer's time never goes back, see test_clock_mark) */
	f = fields_new(KIND_TRANSFER, "t1", NOW + 120);
	fields_transfer(f, "USDC", 6, 1, "0xa");
	assert_int_equal(propose(c, f, ok), TREASURY_OK);
	approve_two(c, ok);
	assert_int_equal(status_at(c, id, NOW + 119), STATUS_PENDING);
	assert_int_equal(status_at(c, id, NOW + 120), STATUS_EXPIRED);
	r = vote_at(c, id, "alice", 0, KEY_ECDSA, VOTE_APPROVE, 1, NOW + 120);
	assert_int_equal(r.err, TREASURY_ERR_EXPIRED);
	assert_int_equal(r.status, STATUS_EXPIRED);
	/* Persisted: it reads expired even at an earlier clock. */
	assert_int_equal(status_at(c, id, NOW), STATUS_EXPIRED);

	/* Approved, then the clock passes its expiry before execution. */
	assert_int_equal(status_at(c, ok, NOW + 200), STATUS_EXPIRED);
	assert_int_equal(execute(c, ok, NOW + 200, &st), TREASURY_ERR_EXPIRED);
	assert_int_equal(st, STATUS_EXPIRED);
	assert_int_equal(status_at(c, ok, NOW), STATUS_EXPIRED);
	assert_true(balance_of(c, "t1", "USDC") == 10);
}

static unsigned
maintenance_at(struct ctx *c, int64_t now_s)
{
	struct command cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_MAINTENANCE;
	cmd.now_s = now_s;
	cmd.in.maintenance.idempotency_before_s = 0;
	assert_int_equal(submit(c, &cmd), TREASURY_OK);
	return cmd.out.maintenance.expired;
}

/* The sweep stores expired for the open proposals past their expiry, and
 * only for those: the others, and the final ones, keep their status. */
static void
test_expiry_sweep(void **state)
{
	struct ctx *c = *state;
	uint8_t early[PROPOSAL_ID_BYTES], approved[PROPOSAL_ID_BYTES];
	uint8_t late[PROPOSAL_ID_BYTES], gone[PROPOSAL_ID_BYTES];
	struct proposal_fields *f;

	world_make(c, "t1");
	f = fields_new(KIND_TRANSFER, "t1", NOW + 120);
	fields_transfer(f, "USDC", 6, 1, "0xa");
	assert_int_equal(propose(c, f, early), TREASURY_OK);
	f = fields_new(KIND_TRANSFER, "t1", NOW + 120);
	fields_transfer(f, "USDC", 6, 1, "0xb");
	assert_int_equal(propose(c, f, approved), TREASURY_OK);
	approve_two(c, approved);
	f = fields_new(KIND_TRANSFER, "t1", NOW + 120);
	fields_transfer(f, "USDC", 6, 1, "0xc");
	assert_int_equal(propose(c, f, gone), TREASURY_OK);
	assert_int_equal(cancel(c, gone, c->token_a), TREASURY_OK);
	f = fields_new(KIND_TRANSFER, "t1", NOW + 600);
	fields_transfer(f, "USDC", 6, 1, "0xd");
	assert_int_equal(propose(c, f, late), TREASURY_OK);

	assert_int_equal(maintenance_at(c, NOW + 119), 0);
	assert_int_equal(maintenance_at(c, NOW + 120), 2);
	assert_int_equal(maintenance_at(c, NOW + 120), 0);	/* stored */
	assert_int_equal(status_at(c, early, NOW), STATUS_EXPIRED);
	assert_int_equal(status_at(c, approved, NOW), STATUS_EXPIRED);
	assert_int_equal(status_at(c, gone, NOW), STATUS_CANCELLED);
	assert_int_equal(status_at(c, late, NOW), STATUS_PENDING);
	assert_int_equal(maintenance_at(c, NOW + 600), 1);
	assert_int_equal(status_at(c, late, NOW), STATUS_EXPIRED);
}

static unsigned
maintenance_more(struct ctx *c, int64_t now_s, bool *more)
{
	struct command cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_MAINTENANCE;
	cmd.now_s = now_s;
	assert_int_equal(submit(c, &cmd), TREASURY_OK);
	*more = cmd.out.maintenance.more;
	return cmd.out.maintenance.expired;
}

/* One sweep transaction expires at most MAINTENANCE_EXPIRE_BATCH_MAX
 * proposals, the soonest first, and says when more may be due. */
static void
test_expiry_sweep_batches(void **state)
{
	struct ctx *c = *state;
	uint8_t first[PROPOSAL_ID_BYTES], id[PROPOSAL_ID_BYTES];
	struct proposal_fields *f;
	const unsigned n = MAINTENANCE_EXPIRE_BATCH_MAX + 3;
	bool more;

	world_make(c, "t1");
	for (unsigned i = 0; i < n; i++) {
		f = fields_new(KIND_TRANSFER, "t1", NOW + 120);
		fields_transfer(f, "USDC", 6, 1, "0xa");
		assert_int_equal(propose(c, f, id), TREASURY_OK);
	}
	f = fields_new(KIND_TRANSFER, "t1", NOW + 60);	/* made last */
	fields_transfer(f, "USDC", 6, 1, "0xb");
	assert_int_equal(propose(c, f, first), TREASURY_OK);

	assert_int_equal(maintenance_more(c, NOW + 119, &more), 1);
	assert_false(more);
	assert_int_equal(status_at(c, first, NOW), STATUS_EXPIRED);
	assert_int_equal(maintenance_more(c, NOW + 120, &more),
	    MAINTENANCE_EXPIRE_BATCH_MAX);
	assert_true(more);
	assert_int_equal(status_at(c, id, NOW), STATUS_PENDING); /* last made */
	assert_int_equal(maintenance_more(c, NOW + 120, &more), 3);
	assert_false(more);
	assert_int_equal(status_at(c, id, NOW), STATUS_EXPIRED);
	assert_int_equal(maintenance_more(c, NOW + 120, &more), 0);
	assert_false(more);
}

/* The writer's time never goes back: a command stamped before the latest
 * time the database recorded is applied at that time, and the mark
 * survives a restart of the writer. */
static void
test_clock_mark(void **state)
{
	struct ctx *c = *state;
	char errmsg[STORE_ERRMSG_BYTES];
	uint8_t id[PROPOSAL_ID_BYTES];
	struct proposal_record rec;
	struct proposal_fields *f;
	struct command cmd;
	bool more;

	world_make(c, "t1");
	assert_int_equal(maintenance_more(c, NOW + 1000, &more), 0);
	/* At NOW it would be fine; at the mark it is too soon. */
	f = fields_new(KIND_TRANSFER, "t1", NOW + 120);
	fields_transfer(f, "USDC", 6, 1, "0xa");
	assert_int_equal(propose(c, f, NULL), TREASURY_ERR_EXPIRY_TOO_SOON);
	f = fields_new(KIND_TRANSFER, "t1", NOW + 1060);
	fields_transfer(f, "USDC", 6, 1, "0xa");
	assert_int_equal(propose_as(c, f, c->token_a, id, &cmd), TREASURY_OK);
	assert_int_equal(cmd.now_s, NOW + 1000);
	assert_int_equal(store_proposal_get(c->reader, id, NOW, &rec),
	    TREASURY_OK);
	assert_int_equal(rec.created_s, NOW + 1000);
	proposal_record_free(&rec);

	writer_stop(c->w);
	c->w = NULL;
	assert_int_equal(writer_start(c->db, c->v, &c->w, errmsg), TREASURY_OK);
	f = fields_new(KIND_TRANSFER, "t1", NOW + 1059);
	fields_transfer(f, "USDC", 6, 1, "0xa");
	assert_int_equal(propose(c, f, NULL), TREASURY_ERR_EXPIRY_TOO_SOON);
	/* A later time moves it on (and expires the one made at the mark). */
	assert_int_equal(maintenance_more(c, NOW + 2000, &more), 1);
	assert_int_equal(status_at(c, id, NOW), STATUS_EXPIRED);
	f = fields_new(KIND_TRANSFER, "t1", NOW + 2059);
	fields_transfer(f, "USDC", 6, 1, "0xa");
	assert_int_equal(propose(c, f, NULL), TREASURY_ERR_EXPIRY_TOO_SOON);
	assert_true(clock_mark_s() >= NOW + 2000);
}

static struct proposal_fields *
fields_add_signer(struct ctx *c, const char *t, const char *name, int key,
    enum key_type type)
{
	struct proposal_fields *f = fields_new(KIND_ADD_SIGNER, t, NOW + HOUR);

	snprintf(f->signer, sizeof(f->signer), "%s", name);
	f->key = key_of(c, key, type);
	return f;
}

static void
test_add_signer_makes_others_stale(void **state)
{
	struct ctx *c = *state;
	uint8_t spend[PROPOSAL_ID_BYTES], add[PROPOSAL_ID_BYTES];
	uint8_t late[PROPOSAL_ID_BYTES];
	struct treasury *t = malloc(sizeof(*t));
	struct proposal_record rec;
	enum proposal_status st;
	struct vote_answer r;

	assert_non_null(t);
	world_make(c, "t1");
	assert_int_equal(deposit(c, "t1", "USDC", 100, "d1"), TREASURY_OK);
	assert_int_equal(propose_usdc(c, "t1", 5, spend), TREASURY_OK);
	assert_int_equal(vote(c, spend, 0, VOTE_APPROVE).err, TREASURY_OK);
	/* Name or key already present. */
	assert_int_equal(propose(c, fields_add_signer(c, "t1", "bob", 4,
	    KEY_ECDSA), NULL), TREASURY_ERR_DUPLICATE_SIGNER);
	assert_int_equal(propose(c, fields_add_signer(c, "t1", "dave", 1,
	    KEY_ECDSA), NULL), TREASURY_ERR_DUPLICATE_KEY);

	assert_int_equal(propose(c, fields_add_signer(c, "t1", "dave", 3,
	    KEY_SCHNORR), add), TREASURY_OK);
	assert_int_equal(store_proposal_get(c->reader, add, NOW, &rec),
	    TREASURY_OK);
	assert_int_equal(rec.kind, KIND_ADD_SIGNER);
	assert_int_equal(rec.nonce, 2);
	assert_non_null(strstr(rec.canonical, "\nthreshold: 2\nsigners: 4\n"));
	proposal_record_free(&rec);
	approve_two(c, add);
	assert_int_equal(execute(c, add, NOW, &st), TREASURY_OK);
	assert_int_equal(st, STATUS_EXECUTED);

	assert_int_equal(store_treasury_get(c->reader, "t1", t), TREASURY_OK);
	assert_int_equal(t->config_version, 2);
	assert_int_equal(t->signer_count, 4);
	assert_int_equal(t->threshold, 2);
	assert_string_equal(t->signers[3].name, "dave");
	assert_int_equal(t->signers[3].key.type, KEY_SCHNORR);
	assert_int_equal(store_treasury_at_version(c->reader, "t1", 1, t),
	    TREASURY_OK);
	assert_int_equal(t->config_version, 1);
	assert_int_equal(t->signer_count, 3);

	/* The older open proposal is stale now, for votes and execution. */
	assert_int_equal(status_at(c, spend, NOW), STATUS_STALE);
	r = vote(c, spend, 1, VOTE_APPROVE);
	assert_int_equal(r.err, TREASURY_ERR_STALE);
	assert_int_equal(execute(c, spend, NOW, NULL), TREASURY_ERR_STALE);
	assert_true(balance_of(c, "t1", "USDC") == 100);

	/* New proposals are made for version 2; dave may vote on them. */
	assert_int_equal(propose_usdc(c, "t1", 5, late), TREASURY_OK);
	assert_int_equal(store_proposal_get(c->reader, late, NOW, &rec),
	    TREASURY_OK);
	assert_int_equal(rec.config_version, 2);
	assert_int_equal(rec.signer_count, 4);
	proposal_record_free(&rec);
	r = vote_at(c, late, "dave", 3, KEY_SCHNORR, VOTE_APPROVE, 2, NOW);
	assert_int_equal(r.err, TREASURY_OK);
	r = vote_at(c, late, "alice", 0, KEY_ECDSA, VOTE_APPROVE, 2, NOW);
	assert_int_equal(r.status, STATUS_APPROVED);
	assert_int_equal(execute(c, late, NOW, NULL), TREASURY_OK);
	assert_true(balance_of(c, "t1", "USDC") == 95);
	free(t);
}

static void
test_config_change_refusals(void **state)
{
	struct ctx *c = *state;
	static const struct signer_spec three[] = {
		{ "alice", 0, KEY_ECDSA }, { "bob", 1, KEY_ECDSA },
		{ "carol", 2, KEY_ECDSA },
	};
	uint8_t id[PROPOSAL_ID_BYTES];
	struct treasury *t = malloc(sizeof(*t));
	struct proposal_fields *f;

	assert_non_null(t);
	assert_int_equal(treasury_create(c, "full", 3, three, 3), TREASURY_OK);
	/* 3 of 3: removing anyone would leave M > N. */
	f = fields_new(KIND_REMOVE_SIGNER, "full", NOW + HOUR);
	snprintf(f->signer, sizeof(f->signer), "carol");
	assert_int_equal(propose(c, f, NULL), TREASURY_ERR_THRESHOLD);
	f = fields_new(KIND_REMOVE_SIGNER, "full", NOW + HOUR);
	snprintf(f->signer, sizeof(f->signer), "zed");
	assert_int_equal(propose(c, f, NULL), TREASURY_ERR_UNKNOWN_SIGNER);
	f = fields_new(KIND_SET_THRESHOLD, "full", NOW + HOUR);
	f->threshold_after = 3;
	assert_int_equal(propose(c, f, NULL), TREASURY_ERR_CONFIG_CHANGE);
	f = fields_new(KIND_SET_THRESHOLD, "full", NOW + HOUR);
	f->threshold_after = 4;
	assert_int_equal(propose(c, f, NULL), TREASURY_ERR_THRESHOLD);
	f = fields_new(KIND_REPLACE_SIGNER, "full", NOW + HOUR);
	snprintf(f->signer, sizeof(f->signer), "carol");
	f->key = key_of(c, 1, KEY_SCHNORR);	/* bob's key */
	assert_int_equal(propose(c, f, NULL), TREASURY_ERR_DUPLICATE_KEY);

	/* Lower the threshold to 2, then remove carol. */
	f = fields_new(KIND_SET_THRESHOLD, "full", NOW + HOUR);
	f->threshold_after = 2;
	assert_int_equal(propose(c, f, id), TREASURY_OK);
	assert_int_equal(vote_at(c, id, "alice", 0, KEY_ECDSA, VOTE_APPROVE, 1,
	    NOW).err, TREASURY_OK);
	assert_int_equal(vote_at(c, id, "bob", 1, KEY_ECDSA, VOTE_APPROVE, 1,
	    NOW).err, TREASURY_OK);
	assert_int_equal(vote_at(c, id, "carol", 2, KEY_ECDSA, VOTE_APPROVE, 1,
	    NOW).status, STATUS_APPROVED);
	assert_int_equal(execute(c, id, NOW, NULL), TREASURY_OK);
	f = fields_new(KIND_REMOVE_SIGNER, "full", NOW + HOUR);
	snprintf(f->signer, sizeof(f->signer), "carol");
	assert_int_equal(propose(c, f, id), TREASURY_OK);
	assert_int_equal(vote_at(c, id, "alice", 0, KEY_ECDSA, VOTE_APPROVE, 2,
	    NOW).err, TREASURY_OK);
	assert_int_equal(vote_at(c, id, "carol", 2, KEY_ECDSA, VOTE_APPROVE, 2,
	    NOW).status, STATUS_APPROVED);
	assert_int_equal(execute(c, id, NOW, NULL), TREASURY_OK);
	assert_int_equal(store_treasury_get(c->reader, "full", t), TREASURY_OK);
	assert_int_equal(t->config_version, 3);
	assert_int_equal(t->threshold, 2);
	assert_int_equal(t->signer_count, 2);
	/* Now 2 of 2: removing another would leave M > N. */
	f = fields_new(KIND_REMOVE_SIGNER, "full", NOW + HOUR);
	snprintf(f->signer, sizeof(f->signer), "bob");
	assert_int_equal(propose(c, f, NULL), TREASURY_ERR_THRESHOLD);

	/* Replace bob's key: same name, new key, version 4. */
	f = fields_new(KIND_REPLACE_SIGNER, "full", NOW + HOUR);
	snprintf(f->signer, sizeof(f->signer), "bob");
	f->key = key_of(c, 5, KEY_SCHNORR);
	assert_int_equal(propose(c, f, id), TREASURY_OK);
	assert_int_equal(vote_at(c, id, "alice", 0, KEY_ECDSA, VOTE_APPROVE, 3,
	    NOW).err, TREASURY_OK);
	assert_int_equal(vote_at(c, id, "bob", 1, KEY_ECDSA, VOTE_APPROVE, 3,
	    NOW).status, STATUS_APPROVED);
	assert_int_equal(execute(c, id, NOW, NULL), TREASURY_OK);
	assert_int_equal(store_treasury_get(c->reader, "full", t), TREASURY_OK);
	assert_int_equal(t->config_version, 4);
	assert_string_equal(t->signers[1].name, "bob");
	assert_int_equal(t->signers[1].key.type, KEY_SCHNORR);
	free(t);
}

/* A command that fails inside the database is rolled back to its
 * savepoint: nothing of it remains (here: the nonce it took). */
static void
test_failed_command_leaves_nothing(void **state)
{
	struct ctx *c = *state;
	uint8_t id[PROPOSAL_ID_BYTES];
	struct proposal_record rec;
	struct proposal_fields *f;
	struct command cmd;

	world_make(c, "t1");
	f = fields_new(KIND_TRANSFER, "t1", NOW + HOUR);
	fields_transfer(f, "USDC", 6, 1, "0xa");
	/* No such token: the foreign key refuses the row. */
	assert_int_equal(propose_as(c, f, 9999, NULL, &cmd), TREASURY_ERR_DB);
	assert_true(cmd.detail[0] != '\0');
	assert_int_equal(propose_usdc(c, "t1", 1, id), TREASURY_OK);
	assert_int_equal(store_proposal_get(c->reader, id, NOW, &rec),
	    TREASURY_OK);
	assert_int_equal(rec.nonce, 1);
	proposal_record_free(&rec);
}

/* ---- tests: concurrency (group commit) ---- */

enum { THREADS = 8, DEPOSITS_PER_THREAD = 200 };

struct worker {
	struct ctx *c;
	int n;
	int ok;
};

static void *
worker_main(void *arg)
{
	struct worker *wk = arg;
	char ref[64];
	int i;

	for (i = 0; i < DEPOSITS_PER_THREAD; i++) {
		snprintf(ref, sizeof(ref), "w%d-%d", wk->n, i);
		if (deposit(wk->c, "t1", "USDC", (amount_minor)(wk->n + 1),
		    ref) == TREASURY_OK)
			wk->ok++;
	}
	return NULL;
}

static void
test_concurrent_deposits(void **state)
{
	struct ctx *c = *state;
	pthread_t th[THREADS];
	struct worker wk[THREADS];
	struct ledger_collect lc;
	amount_minor want = 0;
	int i;

	world_make(c, "t1");
	for (i = 0; i < THREADS; i++) {
		wk[i].c = c;
		wk[i].n = i;
		wk[i].ok = 0;
		assert_int_equal(pthread_create(&th[i], NULL, worker_main,
		    &wk[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(wk[i].ok, DEPOSITS_PER_THREAD);
		want += (amount_minor)(i + 1) * DEPOSITS_PER_THREAD;
	}
	assert_true(balance_of(c, "t1", "USDC") == want);
	lc = ledger_all(c, "t1", PAGE_LIMIT_MAX);
	assert_int_equal(lc.count, THREADS * DEPOSITS_PER_THREAD);
	assert_true(lc.ordered);
	assert_true(lc.last.balance_after == want);
}

/* ---- tests: pages ---- */

struct id_collect {
	unsigned count;
	char last[TREASURY_ID_MAX_BYTES + 1];
	uint64_t last_nonce;
	int stop_after;
};

static int
treasury_cb(const struct treasury *t, void *ctx)
{
	struct id_collect *ic = ctx;

	assert_true(strcmp(ic->last, t->id) < 0);
	snprintf(ic->last, sizeof(ic->last), "%s", t->id);
	ic->count++;
	return ic->stop_after != 0 && (int)ic->count >= ic->stop_after;
}

static int
proposal_cb(const struct proposal_record *p, void *ctx)
{
	struct id_collect *ic = ctx;

	assert_true(p->nonce > ic->last_nonce);
	assert_non_null(p->canonical);
	ic->last_nonce = p->nonce;
	ic->count++;
	return 0;
}

static unsigned
proposals_count(struct ctx *c, enum proposal_status st, unsigned limit,
    int64_t now_s)
{
	struct id_collect ic;
	bool more = true;

	memset(&ic, 0, sizeof(ic));
	while (more)
		assert_int_equal(store_proposals_page(c->reader, "t1", st,
		    ic.last_nonce, limit, now_s, proposal_cb, &ic, &more),
		    TREASURY_OK);
	return ic.count;
}

static void
test_pages(void **state)
{
	struct ctx *c = *state;
	uint8_t ids[7][PROPOSAL_ID_BYTES];
	struct balance_find bf = { "USDC", 0, 0 };
	struct ledger_collect lc;
	struct id_collect ic;
	char name[16], token[TOKEN_NAME_MAX_BYTES + 1];
	uint64_t last;
	bool more;
	int i;

	world_make(c, "t1");
	for (i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		assert_int_equal(treasury_create(c, name, 1, abc, 2), TREASURY_OK);
	}
	memset(&ic, 0, sizeof(ic));
	assert_int_equal(store_treasuries_page(c->reader, "", 4, treasury_cb,
	    &ic, &more), TREASURY_OK);
	assert_int_equal(ic.count, 4);
	assert_true(more);
	assert_int_equal(store_treasuries_page(c->reader, ic.last, 4,
	    treasury_cb, &ic, &more), TREASURY_OK);
	assert_int_equal(ic.count, 6);
	assert_false(more);
	memset(&ic, 0, sizeof(ic));
	ic.stop_after = 2;		/* the callback stops the walk */
	assert_int_equal(store_treasuries_page(c->reader, "", 10, treasury_cb,
	    &ic, &more), TREASURY_OK);
	assert_int_equal(ic.count, 2);
	assert_true(more);

	for (i = 0; i < 7; i++)
		assert_int_equal(propose_usdc(c, "t1", (amount_minor)i + 1, ids[i]),
		    TREASURY_OK);
	assert_int_equal(cancel(c, ids[1], c->token_a), TREASURY_OK);
	approve_two(c, ids[2]);
	assert_int_equal(proposals_count(c, 0, 2, NOW), 7);
	assert_int_equal(proposals_count(c, STATUS_PENDING, 2, NOW), 5);
	assert_int_equal(proposals_count(c, STATUS_CANCELLED, 1, NOW), 1);
	assert_int_equal(proposals_count(c, STATUS_APPROVED, 3, NOW), 1);
	assert_int_equal(proposals_count(c, STATUS_EXPIRED, 3, NOW), 0);
	/* Past expiry, pending and approved read as expired. */
	assert_int_equal(proposals_count(c, STATUS_PENDING, 3, NOW + HOUR), 0);
	assert_int_equal(proposals_count(c, STATUS_APPROVED, 3, NOW + HOUR), 0);
	assert_int_equal(proposals_count(c, STATUS_EXPIRED, 3, NOW + HOUR), 6);
	/* A filtered page says "more" only when a further row matches:
	 * the rows of other statuses after the last match do not count. */
	memset(&ic, 0, sizeof(ic));
	assert_int_equal(store_proposals_page(c->reader, "t1", STATUS_PENDING,
	    0, 5, NOW, proposal_cb, &ic, &more), TREASURY_OK);
	assert_int_equal(ic.count, 5);
	assert_false(more);
	memset(&ic, 0, sizeof(ic));
	assert_int_equal(store_proposals_page(c->reader, "t1", STATUS_PENDING,
	    0, 4, NOW, proposal_cb, &ic, &more), TREASURY_OK);
	assert_int_equal(ic.count, 4);
	assert_true(more);
	memset(&ic, 0, sizeof(ic));
	memset(&lc, 0, sizeof(lc));
	assert_int_equal(store_proposals_page(c->reader, "nope", 0, 0, 10, NOW,
	    proposal_cb, &ic, &more), TREASURY_ERR_UNKNOWN_TREASURY);
	assert_int_equal(store_ledger_page(c->reader, "nope", 0, 10, ledger_cb,
	    &lc, &more), TREASURY_ERR_UNKNOWN_TREASURY);
	assert_int_equal(store_balances(c->reader, "nope", balance_cb, &bf),
	    TREASURY_ERR_UNKNOWN_TREASURY);
	/* Nonces run 1..7 in this treasury. */
	memset(&ic, 0, sizeof(ic));
	assert_int_equal(store_proposals_page(c->reader, "t1", 0, 5, 10, NOW,
	    proposal_cb, &ic, &more), TREASURY_OK);
	assert_int_equal(ic.count, 2);
	assert_int_equal(ic.last_nonce, 7);
	assert_false(more);
	/* The CSV export's bound and its proposer column. */
	assert_int_equal(store_proposals_last_nonce(c->reader, "t1", &last),
	    TREASURY_OK);
	assert_int_equal(last, 7);
	assert_int_equal(store_proposals_last_nonce(c->reader, "nope", &last),
	    TREASURY_ERR_UNKNOWN_TREASURY);
	assert_int_equal(store_token_name(c->reader, c->token_a, token),
	    TREASURY_OK);
	assert_string_equal(token, "token-a");
	assert_int_equal(store_token_name(c->reader, c->token_b + 1000, token),
	    TREASURY_ERR_NOT_FOUND);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_assets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_assets_list_order, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_treasury_create, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_deposit_idempotency, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_deposit_overflow, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_lifecycle_two_of_three,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_settlement_needs_execution,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_insufficient_balance_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_all_or_nothing, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_votes_conflict_replay_reject,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_vote_signer_checks, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry_sweep_batches, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_clock_mark, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry_sweep, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_add_signer_makes_others_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_change_refusals,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_failed_command_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_deposits, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pages, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
