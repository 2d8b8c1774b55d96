/*
 * test_pending.c: store_pending_for_signer (queries.h), the query behind
 * GET /v1/signers/{name}/pending: the proposals of every treasury that are
 * pending at the given time, made for a config version whose signer set
 * holds the name, and without a vote of that name; in creation order,
 * paged by position. TEST ONLY keys (engine_fixture.h).
 */
#include "engine_fixture.h"
#include "treasury/hash.h"

enum { IDS_MAX = 16 };

struct ids {
	unsigned n;
	uint8_t id[IDS_MAX][PROPOSAL_ID_BYTES];
};

static int
collect(const struct proposal_record *rec, void *ctx)
{
	struct ids *out = ctx;

	assert_true(out->n < IDS_MAX);
	assert_int_equal(rec->status, STATUS_PENDING);
	memcpy(out->id[out->n++], rec->id, PROPOSAL_ID_BYTES);
	return 0;
}

/* A 1-unit USDC transfer proposal in treasury t expiring at expires_s. */
static void
propose(struct ctx *c, const char *t, int64_t expires_s,
    uint8_t id[PROPOSAL_ID_BYTES])
{
	struct command *cmd = calloc(1, sizeof(*cmd));
	struct proposal_fields *f = fields_new(KIND_TRANSFER, t, expires_s);

	assert_non_null(cmd);
	f->transfer_count = 1;
	snprintf(f->transfers[0].asset, sizeof(f->transfers[0].asset), "USDC");
	f->transfers[0].decimals = 6;
	f->transfers[0].amount = 1;
	snprintf(f->transfers[0].to, sizeof(f->transfers[0].to), "0xabc");
	cmd->type = CMD_PROPOSAL_CREATE;
	cmd->now_s = NOW;
	cmd->in.proposal_create.fields = f;
	cmd->in.proposal_create.proposer_token_id = c->token_a;
	assert_int_equal(submit(c, cmd), TREASURY_OK);
	memcpy(id, cmd->out.proposal_create.id, PROPOSAL_ID_BYTES);
	free(cmd);
	free(f);
}

static void
vote(struct ctx *c, const uint8_t id[PROPOSAL_ID_BYTES], const char *name,
    int key, enum key_type type, enum vote_decision decision)
{
	struct command *cmd = calloc(1, sizeof(*cmd));
	uint8_t digest[DIGEST_BYTES];

	assert_non_null(cmd);
	cmd->type = CMD_VOTE;
	cmd->now_s = NOW;
	memcpy(cmd->in.vote.proposal, id, PROPOSAL_ID_BYTES);
	snprintf(cmd->in.vote.signer, sizeof(cmd->in.vote.signer), "%s", name);
	cmd->in.vote.decision = decision;
	vote_digest_compute(digest, id, decision);
	cmd->in.vote.signature_len = sign_digest(c, key, type, digest,
	    cmd->in.vote.signature);
	cmd->in.vote.verified_key = key_of(c, key, type);
	cmd->in.vote.verified_config_version = 1;
	assert_int_equal(submit(c, cmd), TREASURY_OK);
	free(cmd);
}

static const struct signer_spec abd[] = {
	{ "alice", 0, KEY_ECDSA },
	{ "bob", 1, KEY_SCHNORR },
	{ "dave", 3, KEY_ECDSA },
};

/* t1: 2 of alice, bob, carol; t2: 2 of alice, bob, dave.
 * p[0] t1 no votes; p[1] t2 no votes; p[2] t1 approved by alice;
 * p[3] t1 rejected by bob, expires at NOW + 2 h; p[4] t1 approved by
 * alice and bob (approved, not pending). */
struct world {
	uint8_t p[5][PROPOSAL_ID_BYTES];
};

static struct world *
world_make(struct ctx *c)
{
	struct world *w = calloc(1, sizeof(*w));
	uint8_t hash[TOKEN_HASH_BYTES];

	assert_non_null(w);
	memset(hash, 0x5b, sizeof(hash));
	c->token_a = fixture_token(c, "tok", hash);
	assert_int_equal(asset_create(c, "USDC", 6), TREASURY_OK);
	assert_int_equal(treasury_create(c, "t1", 2, abc, 3), TREASURY_OK);
	assert_int_equal(treasury_create(c, "t2", 2, abd, 3), TREASURY_OK);
	propose(c, "t1", NOW + 24 * HOUR, w->p[0]);
	propose(c, "t2", NOW + 24 * HOUR, w->p[1]);
	propose(c, "t1", NOW + 24 * HOUR, w->p[2]);
	vote(c, w->p[2], "alice", 0, KEY_ECDSA, VOTE_APPROVE);
	propose(c, "t1", NOW + 2 * HOUR, w->p[3]);
	vote(c, w->p[3], "bob", 1, KEY_SCHNORR, VOTE_REJECT);
	propose(c, "t1", NOW + 24 * HOUR, w->p[4]);
	vote(c, w->p[4], "alice", 0, KEY_ECDSA, VOTE_APPROVE);
	vote(c, w->p[4], "bob", 1, KEY_SCHNORR, VOTE_APPROVE);
	return w;
}

static int
setup(void **state)
{
	struct ctx *c = fixture_open("pending", true);

	*state = c;
	return 0;
}

/* Whether the list is exactly the proposals p[idx[0..n)] in order. */
static void
assert_ids(const struct ids *got, const struct world *w, const int *idx,
    unsigned n)
{
	assert_int_equal(got->n, n);
	for (unsigned i = 0; i < n; i++)
		assert_memory_equal(got->id[i], w->p[idx[i]],
		    PROPOSAL_ID_BYTES);
}

static struct ids
pending(struct ctx *c, const char *name, int64_t now_s)
{
	struct ids got = { 0 };
	uint64_t last = 0;
	bool more = true;

	assert_int_equal(store_pending_for_signer(c->reader, name, 0, 50,
	    now_s, collect, &got, &last, &more), TREASURY_OK);
	assert_false(more);
	return got;
}

static void
test_pending_per_signer(void **state)
{
	struct ctx *c = *state;
	struct world *w = world_make(c);
	static const int alice[] = { 0, 1, 3 }, bob[] = { 0, 1, 2 };
	static const int carol[] = { 0, 2, 3 }, dave[] = { 1 };
	struct ids got;

	got = pending(c, "alice", NOW);
	assert_ids(&got, w, alice, 3);
	got = pending(c, "bob", NOW);
	assert_ids(&got, w, bob, 3);
	got = pending(c, "carol", NOW);		/* not in t2 */
	assert_ids(&got, w, carol, 3);
	got = pending(c, "dave", NOW);
	assert_ids(&got, w, dave, 1);
	got = pending(c, "erin", NOW);
	assert_int_equal(got.n, 0);
	/* p[3] has expired two hours later: no longer anyone's */
	got = pending(c, "alice", NOW + 2 * HOUR);
	assert_ids(&got, w, alice, 2);
	free(w);
}

/* Pages of one: each page's last position starts the next. */
static void
test_pending_pages(void **state)
{
	struct ctx *c = *state;
	struct world *w = world_make(c);
	static const int alice[] = { 0, 1, 3 };
	struct ids all = { 0 };
	uint64_t pos = 0, last;
	bool more = true;
	unsigned pages = 0;

	while (more) {
		assert_int_equal(store_pending_for_signer(c->reader, "alice",
		    pos, 1, NOW, collect, &all, &last, &more), TREASURY_OK);
		assert_true(last > pos);
		pos = last;
		pages++;
		assert_true(pages <= 3);
	}
	assert_int_equal(pages, 3);
	assert_ids(&all, w, alice, 3);
	/* past the end: nothing, and the position stays */
	assert_int_equal(store_pending_for_signer(c->reader, "alice", pos, 1,
	    NOW, collect, &all, &last, &more), TREASURY_OK);
	assert_int_equal(last, pos);
	assert_false(more);
	assert_int_equal(all.n, 3);
	free(w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pending_per_signer, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pending_pages, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
