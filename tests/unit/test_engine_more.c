/*
 * test_engine_more.c: the engine commands test_engine.c does not drive:
 * CMD_TOKEN_CREATE, CMD_TOKEN_REVOKE (and the
 * Idempotency-Key record of any command, with its purge by
 * CMD_MAINTENANCE), CMD_VETO, CMD_REVOKE, CMD_KEY_PROOF and CMD_FREEZE,
 * and the execution of set-policy and unfreeze proposals.
 *
 * Same fixture as test_engine.c (engine_fixture.h): a fresh database in
 * a mkdtemp directory, the writer driven with writer_submit, queries on a
 * STORE_READ_ONLY store, fixed TEST ONLY secret keys. The writer does not
 * verify the signatures of these acts (the api does, in request threads);
 * they are real signatures over the right digests all the same.
 */
#include "engine_fixture.h"
#include "treasury/auth.h"
#include "treasury/policy.h"

/* ---- fixture ---- */

static int
setup(void **state)
{
	struct ctx *c = fixture_open("engine2", true);
	uint8_t hash[TOKEN_HASH_BYTES];

	memset(hash, 0xa1, sizeof(hash));
	c->token_a = fixture_token(c, "token-a", hash);
	*state = c;
	return 0;
}

/* ---- commands ---- */

/* Asset USDC (6), treasury `id` 2 of alice, bob, carol with policy p
 * (NULL: none), funded with 100 USDC. */
static void
world_make(struct ctx *c, const char *id, struct treasury_policy *p)
{
	char ref[REFERENCE_MAX_BYTES + 1];
	treasury_err err;

	err = asset_create(c, "USDC", 6);
	assert_true(err == TREASURY_OK || err == TREASURY_ERR_ASSET_EXISTS);
	assert_int_equal(treasury_create_policy(c, id, 2, abc, 3, p),
	    TREASURY_OK);
	snprintf(ref, sizeof(ref), "fund-%s", id);
	assert_int_equal(deposit_plain(c, id, "USDC", 100000000, ref),
	    TREASURY_OK);
}

/* Submit f (freed); id out on success. */
static treasury_err
propose(struct ctx *c, struct proposal_fields *f, uint8_t id[PROPOSAL_ID_BYTES])
{
	struct command cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_PROPOSAL_CREATE;
	cmd.now_s = NOW;
	cmd.in.proposal_create.fields = f;
	cmd.in.proposal_create.proposer_token_id = c->token_a;
	(void)submit(c, &cmd);
	if (id != NULL)
		memcpy(id, cmd.out.proposal_create.id, PROPOSAL_ID_BYTES);
	free(f);
	return cmd.err;
}

/* 1 USDC to 0xabc, expiring in a day. */
static treasury_err
propose_usdc(struct ctx *c, const char *t, uint8_t id[PROPOSAL_ID_BYTES])
{
	struct proposal_fields *f = fields_new(KIND_TRANSFER, t, NOW + 24 * HOUR);
	struct transfer_fields *x = &f->transfers[f->transfer_count++];

	snprintf(x->asset, sizeof(x->asset), "USDC");
	x->decimals = 6;
	x->amount = 1000000;
	snprintf(x->to, sizeof(x->to), "0xabc");
	return propose(c, f, id);
}

/* A signed act of signer abc[k] on proposal id: CMD_VOTE (approve),
 * CMD_VETO, CMD_REVOKE; verified at config version c->version, at now_s. */
static treasury_err
act(struct ctx *c, enum command_type type, const uint8_t id[PROPOSAL_ID_BYTES],
    int k, int64_t now_s, struct command *out)
{
	struct command cmd;
	uint8_t digest[DIGEST_BYTES];

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = type;
	cmd.now_s = now_s;
	memcpy(cmd.in.vote.proposal, id, PROPOSAL_ID_BYTES);
	snprintf(cmd.in.vote.signer, sizeof(cmd.in.vote.signer), "%s",
	    abc[k].name);
	if (type == CMD_VOTE) {
		cmd.in.vote.decision = VOTE_APPROVE;
		vote_digest_compute(digest, id, VOTE_APPROVE);
	} else if (type == CMD_VETO)
		veto_digest_compute(digest, id);
	else
		revoke_digest_compute(digest, id);
	cmd.in.vote.signature_len = sign_digest(c, abc[k].key, abc[k].type,
	    digest, cmd.in.vote.signature);
	cmd.in.vote.verified_key = key_of(c, abc[k].key, abc[k].type);
	cmd.in.vote.verified_config_version = c->version;
	(void)submit(c, &cmd);
	if (out != NULL)
		*out = cmd;
	return cmd.err;
}

static treasury_err
execute(struct ctx *c, const uint8_t id[PROPOSAL_ID_BYTES], int64_t now_s)
{
	struct command cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_EXECUTE;
	cmd.now_s = now_s;
	memcpy(cmd.in.execute.proposal, id, PROPOSAL_ID_BYTES);
	return submit(c, &cmd);
}

static void
approve_two(struct ctx *c, const uint8_t id[PROPOSAL_ID_BYTES])
{
	struct command r;

	assert_int_equal(act(c, CMD_VOTE, id, 0, NOW, NULL), TREASURY_OK);
	assert_int_equal(act(c, CMD_VOTE, id, 1, NOW, &r), TREASURY_OK);
	assert_int_equal(r.out.vote.status, STATUS_APPROVED);
}

/* A freeze request by signer abc[k] for freeze seq at config `version`. */
static treasury_err
freeze(struct ctx *c, const char *t, int k, uint64_t seq, uint64_t version,
    bool *replayed)
{
	struct command cmd;
	struct freeze_request fr;
	uint8_t digest[DIGEST_BYTES];

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_FREEZE;
	cmd.now_s = NOW;
	snprintf(cmd.in.freeze.treasury, sizeof(cmd.in.freeze.treasury), "%s",
	    t);
	snprintf(cmd.in.freeze.signer, sizeof(cmd.in.freeze.signer), "%s",
	    abc[k].name);
	cmd.in.freeze.seq = seq;
	store_instance_id(c->reader, fr.instance);
	fr.treasury = t;
	fr.config_version = version;
	fr.freeze_seq = seq;
	assert_int_equal(freeze_digest_compute(digest, &fr), TREASURY_OK);
	cmd.in.freeze.signature_len = sign_digest(c, abc[k].key, abc[k].type,
	    digest, cmd.in.freeze.signature);
	cmd.in.freeze.verified_key = key_of(c, abc[k].key, abc[k].type);
	cmd.in.freeze.verified_config_version = version;
	(void)submit(c, &cmd);
	if (replayed != NULL)
		*replayed = cmd.replayed;
	return cmd.err;
}

/* ---- queries ---- */

static enum proposal_status
status_of(struct ctx *c, const uint8_t id[PROPOSAL_ID_BYTES])
{
	struct proposal_record rec;
	enum proposal_status st;

	assert_int_equal(store_proposal_get(c->reader, id, NOW, &rec),
	    TREASURY_OK);
	st = rec.status;
	proposal_record_free(&rec);
	return st;
}

static int
balance_cb(const struct balance *b, void *ctx)
{
	if (strcmp(b->asset, "USDC") == 0)
		*(amount_minor *)ctx = b->amount;
	return 0;
}

static amount_minor
usdc_of(struct ctx *c, const char *t)
{
	amount_minor a = 0;

	assert_int_equal(store_balances(c->reader, t, balance_cb, &a),
	    TREASURY_OK);
	return a;
}

/* The policy view of treasury t (heap: it is large); free with
 * view_free. */
static struct policy_view *
view_of(struct ctx *c, const char *t)
{
	struct policy_view *pv = calloc(1, sizeof(*pv));

	assert_non_null(pv);
	assert_int_equal(store_policy_get(c->reader, t, pv), TREASURY_OK);
	return pv;
}

static void
view_free(struct policy_view *pv)
{
	free(pv->text);
	free(pv);
}

/* ---- tests: tokens ---- */

static treasury_err
token_create(struct ctx *c, const char *name, unsigned roles, uint8_t fill,
    int64_t *id)
{
	struct command cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_TOKEN_CREATE;
	cmd.now_s = NOW;
	snprintf(cmd.in.token_create.name, sizeof(cmd.in.token_create.name),
	    "%s", name);
	cmd.in.token_create.roles = roles;
	memset(cmd.in.token_create.hash, fill, TOKEN_HASH_BYTES);
	(void)submit(c, &cmd);
	if (id != NULL)
		*id = cmd.out.token_create.token_id;
	return cmd.err;
}

static treasury_err
token_revoke(struct ctx *c, const char *name)
{
	struct command cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_TOKEN_REVOKE;
	cmd.now_s = NOW;
	snprintf(cmd.in.token_revoke.name, sizeof(cmd.in.token_revoke.name),
	    "%s", name);
	return submit(c, &cmd);
}

/* A created token is found by its hash with its id, name and roles; a
 * live name cannot be reused; a revoked token no longer matches, its name
 * is free again, and a second revocation names no live token. */
static void
test_token_create_revoke(void **state)
{
	struct ctx *c = *state;
	uint8_t hash[TOKEN_HASH_BYTES];
	struct token_info info;
	int64_t id = 0, id2 = 0;

	assert_int_equal(token_create(c, "ops", ROLE_TREASURER | ROLE_VIEWER,
	    0x42, &id), TREASURY_OK);
	assert_true(id > c->token_a);
	memset(hash, 0x42, sizeof(hash));
	assert_int_equal(store_token_find(c->reader, hash, &info), TREASURY_OK);
	assert_int_equal(info.id, id);
	assert_string_equal(info.name, "ops");
	assert_int_equal(info.roles, ROLE_TREASURER | ROLE_VIEWER);
	assert_int_equal(info.created_s, NOW);

	assert_int_equal(token_create(c, "ops", ROLE_ADMIN, 0x43, NULL),
	    TREASURY_ERR_CONFLICT);
	memset(hash, 0x43, sizeof(hash));
	assert_int_equal(store_token_find(c->reader, hash, &info),
	    TREASURY_ERR_NOT_FOUND);

	assert_int_equal(token_revoke(c, "ops"), TREASURY_OK);
	memset(hash, 0x42, sizeof(hash));
	assert_int_equal(store_token_find(c->reader, hash, &info),
	    TREASURY_ERR_NOT_FOUND);
	assert_int_equal(token_revoke(c, "ops"), TREASURY_ERR_UNKNOWN_TOKEN);
	assert_int_equal(token_revoke(c, "nobody"), TREASURY_ERR_UNKNOWN_TOKEN);
	/* The name is free again; the id is new. */
	assert_int_equal(token_create(c, "ops", ROLE_ADMIN, 0x44, &id2),
	    TREASURY_OK);
	assert_true(id2 > id);
	/* The token the fixture made is untouched. */
	memset(hash, 0xa1, sizeof(hash));
	assert_int_equal(store_token_find(c->reader, hash, &info), TREASURY_OK);
	assert_int_equal(info.id, c->token_a);
}

/* ---- tests: idempotency records ---- */

/* A render callback (command.h): counts its calls, checks it sees the
 * command's effect through the writer's store, answers "{"seq":N}". */
struct render_ctx {
	unsigned calls;
	bool store_none;	/* return false: no response stored */
};

static bool
render_seq(struct store *s, struct command *cmd, void *ctx, unsigned *status,
    char **body)
{
	struct render_ctx *r = ctx;
	struct ledger_entry entry;
	char text[64];

	r->calls++;
	assert_int_equal(cmd->err, TREASURY_OK);
	assert_int_equal(store_ledger_entry_get(s, cmd->out.deposit.ledger_seq,
	    &entry), TREASURY_OK);	/* uncommitted, in the writer's store */
	if (r->store_none)
		return false;
	snprintf(text, sizeof(text), "{\"seq\":%lld}",
	    (long long)cmd->out.deposit.ledger_seq);
	*status = 201;
	*body = strdup(text);
	return *body != NULL;
}

static treasury_err
deposit_idem_rendered(struct ctx *c, const char *key, uint8_t fp_fill,
    struct render_ctx *r, struct command *out)
{
	memset(out, 0, sizeof(*out));
	out->type = CMD_DEPOSIT;
	out->now_s = NOW;
	snprintf(out->in.deposit.treasury, sizeof(out->in.deposit.treasury),
	    "t1");
	snprintf(out->in.deposit.asset, sizeof(out->in.deposit.asset), "USDC");
	out->in.deposit.amount = 5000000;
	snprintf(out->in.deposit.reference, sizeof(out->in.deposit.reference),
	    "idem-%s", key);
	out->idem.present = true;
	out->idem.token_id = c->token_a;
	snprintf(out->idem.key, sizeof(out->idem.key), "%s", key);
	memset(out->idem.fingerprint, fp_fill, sizeof(out->idem.fingerprint));
	if (r != NULL) {
		out->idem.render = render_seq;
		out->idem.render_ctx = r;
	}
	return submit(c, out);
}

static treasury_err
deposit_idem(struct ctx *c, const char *key, uint8_t fp_fill,
    struct command *out)
{
	return deposit_idem_rendered(c, key, fp_fill, NULL, out);
}

static unsigned
maintenance(struct ctx *c, int64_t idem_before_s)
{
	struct command cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_MAINTENANCE;
	cmd.now_s = NOW;
	cmd.in.maintenance.idempotency_before_s = idem_before_s;
	assert_int_equal(submit(c, &cmd), TREASURY_OK);
	return cmd.out.maintenance.purged;
}

/* The same key and request is answered from the record (the first
 * result, nothing applied again); the same key with another fingerprint
 * is a mismatch; the answer the render callback gives is stored with the
 * record in the command's transaction (none without a callback or when
 * it declines); CMD_MAINTENANCE purges only records created before its
 * cut-off. */
static void
test_idempotency_record_response_purge(void **state)
{
	struct ctx *c = *state;
	struct idempotency_record rec;
	struct command first, again;
	struct render_ctx r = { 0 };
	char want[64];

	world_make(c, "t1", NULL);
	assert_int_equal(deposit_idem(c, "k1", 0x11, &first), TREASURY_OK);
	assert_false(first.idem.replayed_out);
	assert_true(usdc_of(c, "t1") == 105000000);
	assert_int_equal(deposit_idem(c, "k1", 0x11, &again), TREASURY_OK);
	assert_true(again.idem.replayed_out);
	assert_int_equal(again.out.deposit.ledger_seq, first.out.deposit.ledger_seq);
	assert_true(usdc_of(c, "t1") == 105000000);
	assert_int_equal(deposit_idem(c, "k1", 0x12, &again),
	    TREASURY_ERR_IDEMPOTENCY_MISMATCH);
	assert_true(usdc_of(c, "t1") == 105000000);

	assert_int_equal(store_idempotency_get(c->reader, c->token_a, "k1",
	    &rec), TREASURY_OK);
	assert_int_equal(rec.fingerprint[0], 0x11);
	assert_int_equal(rec.fingerprint[31], 0x11);
	assert_int_equal(rec.created_s, NOW);
	assert_int_equal(rec.response_status, 0);	/* no render callback */
	assert_null(rec.response_body);

	/* With a render callback the answer is stored in the command's
	 * transaction; a replay does not render again. */
	assert_int_equal(deposit_idem_rendered(c, "k3", 0x33, &r, &first),
	    TREASURY_OK);
	assert_int_equal(r.calls, 1);
	assert_int_equal(deposit_idem_rendered(c, "k3", 0x33, &r, &again),
	    TREASURY_OK);
	assert_true(again.idem.replayed_out);
	assert_int_equal(r.calls, 1);
	assert_int_equal(store_idempotency_get(c->reader, c->token_a, "k3",
	    &rec), TREASURY_OK);
	assert_int_equal(rec.response_status, 201);
	assert_non_null(rec.response_body);
	snprintf(want, sizeof(want), "{\"seq\":%lld}",
	    (long long)first.out.deposit.ledger_seq);
	assert_string_equal(rec.response_body, want);
	free(rec.response_body);
	/* A refused command is not rendered and leaves no record. */
	assert_int_equal(deposit_idem_rendered(c, "k3", 0x34, &r, &again),
	    TREASURY_ERR_IDEMPOTENCY_MISMATCH);
	assert_int_equal(r.calls, 1);
	/* false from the callback: the record without a response. */
	r.store_none = true;
	assert_int_equal(deposit_idem_rendered(c, "k4", 0x44, &r, &first),
	    TREASURY_OK);
	assert_int_equal(r.calls, 2);
	assert_int_equal(store_idempotency_get(c->reader, c->token_a, "k4",
	    &rec), TREASURY_OK);
	assert_null(rec.response_body);
	assert_int_equal(rec.response_status, 0);
	assert_int_equal(store_idempotency_get(c->reader, c->token_a, "k2",
	    &rec), TREASURY_ERR_NOT_FOUND);

	assert_int_equal(maintenance(c, NOW), 0);	/* created at NOW */
	assert_int_equal(store_idempotency_get(c->reader, c->token_a, "k1",
	    &rec), TREASURY_OK);
	free(rec.response_body);
	assert_int_equal(maintenance(c, NOW + 1), 3);
	assert_int_equal(store_idempotency_get(c->reader, c->token_a, "k1",
	    &rec), TREASURY_ERR_NOT_FOUND);
	/* Purged, the key is new again: the deposit reference is not. */
	assert_int_equal(deposit_idem(c, "k1", 0x11, &again), TREASURY_OK);
	assert_true(usdc_of(c, "t1") == 115000000);	/* with k3, k4 */
}

/* ---- tests: veto, revoke, key proof ---- */

static struct treasury_policy *
policy_new(int64_t delay_s)
{
	struct treasury_policy *p = malloc(sizeof(*p));

	assert_non_null(p);
	policy_init(p);
	p->timelock_spend_s = delay_s;
	p->timelock_config_s = delay_s;
	return p;
}

/* With a delay and veto count 2: a veto is counted once per signer, the
 * second signer's vetoes the proposal, which then takes no vote and does
 * not execute. Without a delay there is no veto window. */
static void
test_veto(void **state)
{
	struct ctx *c = *state;
	struct treasury_policy *p = policy_new(HOUR);
	uint8_t id[PROPOSAL_ID_BYTES], plain[PROPOSAL_ID_BYTES];
	struct proposal_policy_view *pv = calloc(1, sizeof(*pv));
	struct command r;

	assert_non_null(pv);
	p->veto_count = 2;
	world_make(c, "t1", p);
	world_make(c, "t2", NULL);
	assert_int_equal(propose_usdc(c, "t1", id), TREASURY_OK);
	approve_two(c, id);

	assert_int_equal(act(c, CMD_VETO, id, 2, NOW, &r), TREASURY_OK);
	assert_false(r.replayed);
	assert_int_equal(r.out.veto.vetoes, 1);
	assert_int_equal(r.out.veto.veto_threshold, 2);
	assert_int_equal(status_of(c, id), STATUS_APPROVED);
	assert_int_equal(act(c, CMD_VETO, id, 2, NOW, &r), TREASURY_OK);
	assert_true(r.replayed);
	assert_int_equal(r.out.veto.vetoes, 1);
	assert_int_equal(status_of(c, id), STATUS_APPROVED);
	assert_int_equal(act(c, CMD_VETO, id, 0, NOW, &r), TREASURY_OK);
	assert_int_equal(r.out.veto.vetoes, 2);
	assert_int_equal(r.out.veto.status, STATUS_VETOED);
	assert_int_equal(status_of(c, id), STATUS_VETOED);

	assert_int_equal(store_proposal_policy(c->reader, id, 2, 3, pv),
	    TREASURY_OK);
	assert_true(pv->vetoes_apply);
	assert_int_equal(pv->veto_threshold, 2);
	assert_int_equal(pv->veto_count, 2);
	assert_int_equal(execute(c, id, NOW + 2 * HOUR), TREASURY_ERR_VETOED);
	assert_int_equal(act(c, CMD_VOTE, id, 2, NOW, NULL), TREASURY_ERR_VETOED);
	assert_true(usdc_of(c, "t1") == 100000000);

	/* No delay, no veto. */
	assert_int_equal(propose_usdc(c, "t2", plain), TREASURY_OK);
	assert_int_equal(act(c, CMD_VETO, plain, 0, NOW, NULL),
	    TREASURY_ERR_VETO_CLOSED);
	assert_int_equal(status_of(c, plain), STATUS_PENDING);
	free(pv);
	free(p);
}

/* A revocation takes an approved proposal back to pending (it does not
 * execute), counts once, needs an approval to withdraw; approved again,
 * the proposal executes. */
static void
test_revoke(void **state)
{
	struct ctx *c = *state;
	uint8_t id[PROPOSAL_ID_BYTES];
	struct command r;

	world_make(c, "t1", NULL);
	assert_int_equal(propose_usdc(c, "t1", id), TREASURY_OK);
	assert_int_equal(act(c, CMD_REVOKE, id, 0, NOW, NULL),
	    TREASURY_ERR_NO_APPROVAL);
	approve_two(c, id);
	assert_int_equal(act(c, CMD_REVOKE, id, 0, NOW, &r), TREASURY_OK);
	assert_false(r.replayed);
	assert_int_equal(r.out.revoke.status, STATUS_PENDING);
	assert_int_equal(r.out.revoke.approvals, 1);
	assert_int_equal(status_of(c, id), STATUS_PENDING);
	assert_int_equal(act(c, CMD_REVOKE, id, 0, NOW, &r), TREASURY_OK);
	assert_true(r.replayed);
	assert_int_equal(r.out.revoke.approvals, 1);
	assert_int_equal(act(c, CMD_REVOKE, id, 2, NOW, NULL),
	    TREASURY_ERR_NO_APPROVAL);
	assert_int_equal(execute(c, id, NOW), TREASURY_ERR_NOT_APPROVED);
	assert_true(usdc_of(c, "t1") == 100000000);

	assert_int_equal(act(c, CMD_VOTE, id, 2, NOW, &r), TREASURY_OK);
	assert_int_equal(r.out.vote.status, STATUS_APPROVED);
	assert_int_equal(execute(c, id, NOW), TREASURY_OK);
	assert_true(usdc_of(c, "t1") == 99000000);
	assert_int_equal(act(c, CMD_REVOKE, id, 1, NOW, NULL),
	    TREASURY_ERR_ALREADY_EXECUTED);
}

static treasury_err
key_proof(struct ctx *c, const uint8_t id[PROPOSAL_ID_BYTES], int key,
    bool *replayed)
{
	struct command cmd;
	uint8_t digest[DIGEST_BYTES];

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_KEY_PROOF;
	cmd.now_s = NOW;
	memcpy(cmd.in.vote.proposal, id, PROPOSAL_ID_BYTES);
	possession_digest_compute(digest, id);
	cmd.in.vote.signature_len = sign_digest(c, key, KEY_ECDSA, digest,
	    cmd.in.vote.signature);
	(void)submit(c, &cmd);
	if (replayed != NULL)
		*replayed = cmd.replayed;
	return cmd.err;
}

/* With key_proof in the policy an approved add-signer does not execute
 * until the new key proved possession; the proof is stored once and only
 * add-/replace-signer proposals take one. */
static void
test_key_proof(void **state)
{
	struct ctx *c = *state;
	struct treasury_policy *p = policy_new(0);
	uint8_t id[PROPOSAL_ID_BYTES], tr[PROPOSAL_ID_BYTES];
	struct proposal_policy_view *pv = calloc(1, sizeof(*pv));
	struct proposal_fields *f;
	struct treasury *t = calloc(1, sizeof(*t));
	bool replayed = true;

	assert_non_null(pv);
	assert_non_null(t);
	p->key_proof = true;
	world_make(c, "t1", p);
	f = fields_new(KIND_ADD_SIGNER, "t1", NOW + 24 * HOUR);
	snprintf(f->signer, sizeof(f->signer), "dave");
	f->key = key_of(c, 3, KEY_ECDSA);
	assert_int_equal(propose(c, f, id), TREASURY_OK);
	approve_two(c, id);
	assert_int_equal(execute(c, id, NOW), TREASURY_ERR_KEY_PROOF);
	assert_int_equal(store_proposal_policy(c->reader, id, 2, 3, pv),
	    TREASURY_OK);
	assert_false(pv->key_proof);

	assert_int_equal(propose_usdc(c, "t1", tr), TREASURY_OK);
	assert_int_equal(key_proof(c, tr, 3, NULL), TREASURY_ERR_KIND);

	assert_int_equal(key_proof(c, id, 3, &replayed), TREASURY_OK);
	assert_false(replayed);
	assert_int_equal(key_proof(c, id, 3, &replayed), TREASURY_OK);
	assert_true(replayed);
	assert_int_equal(store_proposal_policy(c->reader, id, 2, 3, pv),
	    TREASURY_OK);
	assert_true(pv->key_proof);
	assert_int_equal(pv->approved_s, NOW);

	assert_int_equal(execute(c, id, NOW), TREASURY_OK);
	assert_int_equal(store_treasury_get(c->reader, "t1", t), TREASURY_OK);
	assert_int_equal(t->config_version, 2);
	assert_int_equal(t->signer_count, 4);
	assert_int_equal(status_of(c, tr), STATUS_STALE);
	free(t);
	free(pv);
	free(p);
}

/* ---- tests: freeze, unfreeze, set-policy ---- */

/* A freeze stops every execution but its unfreeze; a second signer's
 * request for the same freeze is a replay; a used or future number, or a
 * request for another config version, is refused; the executed unfreeze
 * lifts it and transfers execute again. */
static void
test_freeze_unfreeze(void **state)
{
	struct ctx *c = *state;
	uint8_t tr[PROPOSAL_ID_BYTES], un[PROPOSAL_ID_BYTES];
	struct policy_view *pv;
	bool replayed = true;

	world_make(c, "t1", NULL);
	assert_int_equal(propose_usdc(c, "t1", tr), TREASURY_OK);
	approve_two(c, tr);
	/* Not frozen: an unfreeze cannot be proposed. */
	assert_int_equal(propose(c, fields_new(KIND_UNFREEZE, "t1",
	    NOW + 24 * HOUR), NULL), TREASURY_ERR_NOT_FROZEN);

	assert_int_equal(freeze(c, "t1", 2, 2, 1, NULL),
	    TREASURY_ERR_FREEZE_SEQUENCE);
	assert_int_equal(freeze(c, "t1", 2, 1, 2, NULL), TREASURY_ERR_STALE);
	assert_int_equal(freeze(c, "nope", 2, 1, 1, NULL),
	    TREASURY_ERR_UNKNOWN_TREASURY);
	pv = view_of(c, "t1");
	assert_false(pv->frozen);
	view_free(pv);

	assert_int_equal(freeze(c, "t1", 2, 1, 1, &replayed), TREASURY_OK);
	assert_false(replayed);
	assert_int_equal(freeze(c, "t1", 1, 1, 1, &replayed), TREASURY_OK);
	assert_true(replayed);
	assert_int_equal(freeze(c, "t1", 0, 2, 1, NULL),
	    TREASURY_ERR_FREEZE_SEQUENCE);
	pv = view_of(c, "t1");
	assert_true(pv->frozen);
	assert_int_equal(pv->freeze_seq, 1);
	assert_int_equal(pv->frozen_at_s, NOW);
	view_free(pv);

	assert_int_equal(execute(c, tr, NOW), TREASURY_ERR_FROZEN);
	assert_true(usdc_of(c, "t1") == 100000000);
	assert_int_equal(status_of(c, tr), STATUS_APPROVED);

	assert_int_equal(propose(c, fields_new(KIND_UNFREEZE, "t1",
	    NOW + 24 * HOUR), un), TREASURY_OK);
	approve_two(c, un);
	assert_int_equal(execute(c, un, NOW), TREASURY_OK);
	pv = view_of(c, "t1");
	assert_false(pv->frozen);
	assert_int_equal(pv->freeze_seq, 1);
	assert_int_equal(pv->config_version, 1);	/* not a config change */
	view_free(pv);
	assert_int_equal(execute(c, tr, NOW), TREASURY_OK);
	assert_true(usdc_of(c, "t1") == 99000000);
	/* The next freeze is number 2. */
	assert_int_equal(freeze(c, "t1", 0, 1, 1, NULL),
	    TREASURY_ERR_FREEZE_SEQUENCE);
	assert_int_equal(freeze(c, "t1", 0, 2, 1, &replayed), TREASURY_OK);
	assert_false(replayed);
}

/* An executed set-policy moves the treasury to the next config version
 * with the new policy (open proposals of the old version go stale); its
 * delay then holds back the next approved transfer until it has passed.
 * Proposing the policy already in force is refused. */
static void
test_set_policy_execution(void **state)
{
	struct ctx *c = *state;
	uint8_t id[PROPOSAL_ID_BYTES], old[PROPOSAL_ID_BYTES];
	uint8_t tr[PROPOSAL_ID_BYTES];
	struct proposal_fields *f;
	struct policy_view *pv;
	uint8_t digest[DIGEST_BYTES];

	world_make(c, "t1", NULL);
	assert_int_equal(propose_usdc(c, "t1", old), TREASURY_OK);
	f = fields_new(KIND_SET_POLICY, "t1", NOW + 24 * HOUR);
	policy_init(&f->policy);
	assert_int_equal(propose(c, f, NULL), TREASURY_ERR_CONFIG_CHANGE);

	f = fields_new(KIND_SET_POLICY, "t1", NOW + 24 * HOUR);
	policy_init(&f->policy);
	f->policy.timelock_spend_s = HOUR;
	f->policy.timelock_config_s = 2 * HOUR;
	f->policy.veto_count = 1;
	assert_int_equal(propose(c, f, id), TREASURY_OK);
	approve_two(c, id);
	assert_int_equal(execute(c, id, NOW), TREASURY_OK);

	pv = view_of(c, "t1");
	assert_int_equal(pv->config_version, 2);
	assert_int_equal(pv->threshold, 2);
	assert_int_equal(pv->signer_count, 3);
	assert_int_equal(pv->policy.timelock_spend_s, HOUR);
	assert_int_equal(pv->policy.timelock_config_s, 2 * HOUR);
	assert_int_equal(pv->policy.veto_count, 1);
	assert_non_null(pv->text);
	assert_int_equal(policy_digest_compute(digest, &pv->policy, 2, 3),
	    TREASURY_OK);
	assert_memory_equal(digest, pv->digest, DIGEST_BYTES);
	view_free(pv);
	assert_int_equal(status_of(c, old), STATUS_STALE);

	/* Votes now name config version 2; the delay runs from approval. */
	assert_int_equal(propose_usdc(c, "t1", tr), TREASURY_OK);
	assert_int_equal(act(c, CMD_VOTE, tr, 0, NOW, NULL),
	    TREASURY_ERR_UNKNOWN_SIGNER);	/* verified at version 1 */
	c->version = 2;
	approve_two(c, tr);
	assert_int_equal(execute(c, tr, NOW + HOUR - 1), TREASURY_ERR_TIMELOCKED);
	assert_true(usdc_of(c, "t1") == 100000000);
	assert_int_equal(execute(c, tr, NOW + HOUR), TREASURY_OK);
	assert_true(usdc_of(c, "t1") == 99000000);
}

static int
event_id_keep(const struct event_record *ev, void *ctx)
{
	*(int64_t *)ctx = ev->id;
	return 0;
}

/* The newest event id by walking the journal (store_events_page). */
static int64_t
events_walk_last(struct ctx *c)
{
	int64_t last = 0, after;
	bool more = true;

	while (more) {
		after = last;
		assert_int_equal(store_events_page(c->reader, after, 7,
		    event_id_keep, &last, &more), TREASURY_OK);
	}
	return last;
}

/* store_events_last_id (where an event stream without a start begins)
 * is the newest id the journal walk ends on, after every commit. */
static void
test_events_last_id(void **state)
{
	struct ctx *c = *state;
	int64_t last = -1;
	char ref[16];

	assert_int_equal(store_events_last_id(c->reader, &last), TREASURY_OK);
	assert_true(last == events_walk_last(c));
	assert_int_equal(asset_create(c, "USDC", 6), TREASURY_OK);
	assert_int_equal(treasury_create(c, "t1", 2, abc, 3), TREASURY_OK);
	for (int i = 0; i < 20; i++) {
		snprintf(ref, sizeof(ref), "ev-%d", i);
		assert_int_equal(deposit_plain(c, "t1", "USDC", 1, ref),
		    TREASURY_OK);
		assert_int_equal(store_events_last_id(c->reader, &last),
		    TREASURY_OK);
		assert_true(last > 0);
		assert_true(last == events_walk_last(c));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_token_create_revoke, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_idempotency_record_response_purge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_veto, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoke, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_proof, setup, teardown),
		cmocka_unit_test_setup_teardown(test_freeze_unfreeze, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_set_policy_execution, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_events_last_id, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
