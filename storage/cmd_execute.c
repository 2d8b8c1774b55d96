/*
 * cmd_execute.c: CMD_EXECUTE and CMD_SETTLEMENT in the writer.
 *
 * Execution acts only on the stored canonical text, decoded again with
 * proposal_decode: the text is what the signers signed, so nothing outside
 * it (not even the columns stored beside it, which must agree with it) can
 * change what happens. A spend is all or nothing: every asset is checked
 * and every per-asset total compared with its balance before the first
 * debit. A config change is checked again against the config as it is now
 * and written as the next config version; every other open proposal made
 * for an older version becomes stale (or expired, if its time is up).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget_int.h"
#include "engine_int.h"
#include "ledger_int.h"

/* Per-asset total of a spend. */
struct spend {
	const char *asset;
	unsigned decimals;
	amount_minor total;
	amount_minor balance;	/* running, as debits are made */
};

struct spends {
	unsigned count;
	struct spend by_asset[BATCH_TRANSFERS_MAX];
};

/* The stored columns must be what the text says. */
static int
decoded_matches_row(struct store *s, const struct proposal_record *rec,
    const struct proposal_fields *f)
{
	uint8_t instance[INSTANCE_ID_BYTES];
	uint8_t id[PROPOSAL_ID_BYTES];

	store_instance_id(s, instance);
	proposal_id_compute(id, rec->canonical, rec->canonical_len);
	return memcmp(id, rec->id, sizeof(id)) == 0 &&
	    memcmp(instance, f->instance, sizeof(instance)) == 0 &&
	    strcmp(f->treasury, rec->treasury) == 0 &&
	    f->config_version == rec->config_version &&
	    f->nonce == rec->nonce && f->kind == rec->kind &&
	    f->expires_s == rec->expires_s;
}

static treasury_err
execute_decode(struct store *s, const treasury_verifier *v,
    const struct proposal_record *rec, struct proposal_fields *f,
    struct command *cmd)
{
	treasury_err err;

	err = proposal_decode(v, rec->canonical, rec->canonical_len, f);
	if (err == TREASURY_ERR_MEMO_CHAR) {
		/* made before the memo rule refused every invisible code
		 * point (docs/signing.md §3): what was signed may hide text */
		cmd_detail(cmd, "the proposal's memo holds a character that the "
		    "signing rules now refuse (invisible or default-ignorable); "
		    "propose it again");
		return TREASURY_ERR_STALE;
	}
	if (err != TREASURY_OK) {
		cmd_detail(cmd, "the stored proposal text does not decode: %s",
		    treasury_err_name(err));
		return TREASURY_ERR_DB_CORRUPT;
	}
	if (!decoded_matches_row(s, rec, f)) {
		cmd_detail(cmd, "the stored proposal disagrees with its text");
		return TREASURY_ERR_DB_CORRUPT;
	}
	return TREASURY_OK;
}

/* ---- spends ---- */

static struct spend *
spend_find(struct spends *sp, const char *asset)
{
	unsigned i;

	for (i = 0; i < sp->count; i++)
		if (strcmp(sp->by_asset[i].asset, asset) == 0)
			return &sp->by_asset[i];
	return NULL;
}

static treasury_err
spend_add(struct store *s, struct spends *sp, const struct transfer_fields *t,
    unsigned i, struct command *cmd)
{
	struct spend *x = spend_find(sp, t->asset);
	struct asset a;
	treasury_err err;

	if (x == NULL) {
		err = store_asset_get(s, t->asset, &a);
		if (err == TREASURY_ERR_UNKNOWN_ASSET)
			cmd_detail(cmd, "transfers[%u].asset: asset '%s' is not"
			    " known", i, t->asset);
		if (err != TREASURY_OK)
			return err;
		if (a.decimals != t->decimals) {
			cmd_detail(cmd, "transfers[%u].asset: asset '%s' has %u"
			    " decimals, not %u", i, t->asset, a.decimals,
			    t->decimals);
			return TREASURY_ERR_UNKNOWN_ASSET;
		}
		x = &sp->by_asset[sp->count++];
		x->asset = t->asset;
		x->decimals = t->decimals;
	}
	if (amount_add(x->total, t->amount, &x->total) != TREASURY_OK) {
		cmd_detail(cmd, "the %s transfers add up to more than 2^128-1"
		    " minor units", t->asset);
		return TREASURY_ERR_INSUFFICIENT_BALANCE;
	}
	return TREASURY_OK;
}

static treasury_err
spend_check_balance(struct store *s, const char *treasury, struct spend *x,
    struct command *cmd)
{
	char have[AMOUNT_FORMAT_MAX_BYTES], need[AMOUNT_FORMAT_MAX_BYTES];
	treasury_err err;

	err = balance_get(s, treasury, x->asset, &x->balance);
	if (err != TREASURY_OK || x->balance >= x->total)
		return err;
	if (amount_format(x->balance, x->decimals, have, sizeof(have)) !=
	    TREASURY_OK || amount_format(x->total, x->decimals, need,
	    sizeof(need)) != TREASURY_OK)
		return TREASURY_ERR_INTERNAL;
	cmd_detail(cmd, "the %s balance is %s, the proposal spends %s",
	    x->asset, have, need);
	return TREASURY_ERR_INSUFFICIENT_BALANCE;
}

/* A ledger debit in the executed entry's debits (journal.h). */
static void
debit_journal(struct journal_payload *debits, const struct transfer_fields *t,
    int64_t ledger_seq)
{
	journal_payload_object(debits, NULL);
	journal_payload_amount(debits, "amount_minor", t->amount);
	journal_payload_str(debits, "asset", t->asset);
	journal_payload_int(debits, "ledger_seq", ledger_seq);
	journal_payload_str(debits, "to", t->to);
	journal_payload_end(debits);
}

static treasury_err
transfer_debit(struct store *s, const struct proposal_record *rec,
    struct spend *x, const struct transfer_fields *t, const char *category,
    int64_t now_s, struct journal_payload *debits)
{
	struct ledger_new e = {
		.treasury = rec->treasury,
		.kind = LEDGER_TRANSFER,
		.asset = t->asset,
		.amount = t->amount,
		.reference = "",
		.source = "",
		.to = t->to,
		.memo = t->memo,
		.proposal = rec->id,
		.category = category,
		.created_s = now_s,
	};
	int64_t seq;
	treasury_err err;

	x->balance -= t->amount;	/* checked: balance >= total */
	e.balance_after = x->balance;
	err = balance_set(s, rec->treasury, t->asset, x->balance);
	if (err == TREASURY_OK)
		err = ledger_append(s, &e, &seq);
	if (err == TREASURY_OK)
		debit_journal(debits, t, seq);
	return err;
}

/* Why a spend may not execute: the detail of a policy verdict. */
static void
spend_verdict_detail(const struct treasury_policy *p,
    const struct policy_spend_asset *assets, const struct spends *sp,
    const struct policy_spend_verdict *v, unsigned approvals,
    struct command *cmd)
{
	const struct policy_spend_asset *a = &assets[v->asset_index];
	unsigned decimals = sp->by_asset[v->asset_index].decimals;
	char left[AMOUNT_FORMAT_MAX_BYTES], spend[AMOUNT_FORMAT_MAX_BYTES];
	char what[2 * AMOUNT_FORMAT_MAX_BYTES + ASSET_CODE_MAX_BYTES + 96];
	char need[96];
	amount_minor rem = 0;
	bool unlimited;

	if (amount_format(a->spend_minor, decimals, spend, sizeof(spend)) !=
	    TREASURY_OK)
		snprintf(spend, sizeof(spend), "?");
	policy_remaining(p, a->asset, v->window, a->outflow_minor[v->window],
	    &unlimited, &rem);
	if (amount_format(rem, decimals, left, sizeof(left)) != TREASURY_OK)
		snprintf(left, sizeof(left), "?");
	if (v->reason == SPEND_OVER_LIMIT)
		snprintf(what, sizeof(what), "spending %s %s exceeds the %s"
		    " limit (remaining %s)", spend, a->asset,
		    policy_window_name(v->window), left);
	else
		snprintf(what, sizeof(what), "spending %s %s would leave less"
		    " than its reserve", spend, a->asset);
	if (v->required == 0)
		snprintf(need, sizeof(need), "no high threshold: %s",
		    v->reason == SPEND_OVER_LIMIT ? "it waits for the window"
		    " to move on" : "a set-policy must lower the reserve");
	else
		snprintf(need, sizeof(need), "needs %u approvals (high"
		    " threshold), has %u", v->required, approvals);
	cmd_detail(cmd, "%s; %s", what, need);
}

/* Limits and reserves (docs/policies.md §2-3), after the balances. */
static treasury_err
spend_policy_check(struct store *s, const struct proposal_record *rec,
    const struct treasury_policy *p, const struct spends *sp,
    struct command *cmd)
{
	struct policy_spend_asset assets[BATCH_TRANSFERS_MAX];
	struct policy_spend_verdict v;
	struct policy_tally t = { 0, 0, 0 };
	treasury_err err = TREASURY_OK;
	unsigned i;

	if (p->limit_count == 0 && p->reserve_count == 0)
		return TREASURY_OK;
	for (i = 0; err == TREASURY_OK && i < sp->count; i++) {
		assets[i].asset = sp->by_asset[i].asset;
		assets[i].spend_minor = sp->by_asset[i].total;
		assets[i].balance_minor = sp->by_asset[i].balance;
		err = store_outflow(s, rec->treasury, assets[i].asset,
		    cmd->now_s, assets[i].outflow_minor);
	}
	if (err == TREASURY_OK)
		err = proposal_tally_read(s, rec->id, &t);
	if (err != TREASURY_OK)
		return err;
	memset(&v, 0, sizeof(v));
	err = policy_spend_evaluate(p, rec->threshold, assets, sp->count, &v);
	if (err == TREASURY_OK && v.required <= t.approvals)
		return TREASURY_OK;
	if (err != TREASURY_OK && err != TREASURY_ERR_LIMIT_EXCEEDED &&
	    err != TREASURY_ERR_RESERVE)
		return err;
	spend_verdict_detail(p, assets, sp, &v, t.approvals, cmd);
	return v.reason == SPEND_OVER_LIMIT ? TREASURY_ERR_LIMIT_EXCEEDED :
	    TREASURY_ERR_RESERVE;
}

/* The allowlist, again at execution (the list cannot have changed: a
 * set-policy makes older proposals stale). */
static treasury_err
spend_destinations_check(const struct treasury_policy *p,
    const struct proposal_fields *f, struct command *cmd)
{
	unsigned i;

	for (i = 0; i < f->transfer_count; i++) {
		if (policy_destination_check(p, f->transfers[i].to, NULL) !=
		    TREASURY_OK) {
			cmd_detail(cmd, "transfers[%u].to: not on the allowlist",
			    i);
			return TREASURY_ERR_NOT_ALLOWLISTED;
		}
	}
	return TREASURY_OK;
}

static treasury_err
execute_spend(struct store *s, const struct proposal_record *rec,
    const struct proposal_fields *f, struct command *cmd,
    struct journal_payload *debits)
{
	struct treasury_policy *p;
	struct spends *sp;
	struct proposal_categories *cats;
	treasury_err err = TREASURY_OK;
	unsigned i;

	if (f->transfer_count < 1 || f->transfer_count > BATCH_TRANSFERS_MAX)
		return TREASURY_ERR_DB_CORRUPT;	/* decode guarantees it */
	sp = calloc(1, sizeof(*sp));
	p = malloc(sizeof(*p));
	cats = malloc(sizeof(*cats));
	if (sp == NULL || p == NULL || cats == NULL) {
		free(sp);
		free(p);
		free(cats);
		return TREASURY_ERR_NOMEM;
	}
	err = proposal_categories_load(s, rec->id, f->transfer_count, cats);
	if (err == TREASURY_OK)
		err = policy_row_read(s, rec->treasury, rec->config_version,
		    rec->threshold, rec->signer_count, p);
	if (err == TREASURY_OK)
		err = spend_destinations_check(p, f, cmd);
	for (i = 0; err == TREASURY_OK && i < f->transfer_count; i++)
		err = spend_add(s, sp, &f->transfers[i], i, cmd);
	for (i = 0; err == TREASURY_OK && i < sp->count; i++)
		err = spend_check_balance(s, rec->treasury, &sp->by_asset[i], cmd);
	if (err == TREASURY_OK)
		err = spend_policy_check(s, rec, p, sp, cmd);
	free(p);
	for (i = 0; err == TREASURY_OK && i < f->transfer_count; i++)
		err = transfer_debit(s, rec, spend_find(sp,
		    f->transfers[i].asset), &f->transfers[i], cats->item[i],
		    cmd->now_s, debits);
	free(cats);
	free(sp);
	return err;
}

/* After the executed entry of a spend: the budget alerts of each
 * distinct category its transfers were debited under (budget_int.h),
 * in the order of first appearance. Budgets never block a spend. */
static treasury_err
execute_budget_alerts(struct store *s, const struct proposal_record *rec,
    const struct proposal_fields *f, struct command *cmd)
{
	struct proposal_categories *cats;
	treasury_err err;
	unsigned i, j;

	if (f->kind != KIND_TRANSFER && f->kind != KIND_BATCH)
		return TREASURY_OK;
	cats = malloc(sizeof(*cats));
	if (cats == NULL)
		return TREASURY_ERR_NOMEM;
	err = proposal_categories_load(s, rec->id, f->transfer_count, cats);
	for (i = 0; err == TREASURY_OK && i < f->transfer_count; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(cats->item[j], cats->item[i]) == 0)
				break;
		if (j == i)	/* first time: "" is skipped by the callee */
			err = budget_alerts_check(s, cmd, rec->treasury,
			    cats->item[i], cmd->now_s);
	}
	free(cats);
	return err;
}

/* ---- config changes ---- */

static treasury_err
config_switch(struct store *s, const struct command *cmd,
    const struct treasury *next, const uint8_t proposal[PROPOSAL_ID_BYTES],
    const struct treasury_policy *policy)
{
	struct db_stmt *st = s->stmt[STMT_TREASURY_VERSION_BUMP];
	treasury_err err;

	err = config_version_write(s, cmd, next, proposal, policy);
	if (err != TREASURY_OK)
		return err;
	bind_str(st, 1, next->id);
	db_bind_int64(st, 2, (int64_t)next->config_version);
	err = store_stmt_run(s, STMT_TREASURY_VERSION_BUMP);
	if (err == TREASURY_OK && db_changes(s->db) != 1)
		err = TREASURY_ERR_INTERNAL;	/* the version moved under us */
	return err;
}

/* The policy of the next config version into *p: a set-policy's own,
 * else the current one carried over, which must hold for the new M and
 * N. */
static treasury_err
config_policy_next(struct store *s, const struct treasury *cur,
    const struct treasury *next, const struct proposal_fields *f,
    struct command *cmd, struct treasury_policy *p)
{
	treasury_err err;

	if (f->kind == KIND_SET_POLICY) {
		*p = f->policy;
		return TREASURY_OK;
	}
	err = policy_row_read(s, cur->id, cur->config_version, cur->threshold,
	    cur->signer_count, p);
	if (err == TREASURY_OK) {
		err = treasury_policy_check(p, next->threshold,
		    next->signer_count);
		if (err != TREASURY_OK)
			cmd_detail(cmd, "%s: change the policy first",
			    treasury_err_text(err));
	}
	return err;
}

static treasury_err
execute_config(struct store *s, const struct proposal_record *rec,
    const struct proposal_fields *f, struct command *cmd,
    uint64_t *new_version)
{
	struct treasury *cur, *next;
	struct treasury_policy *policy;
	treasury_err err;

	cur = malloc(sizeof(*cur));
	next = malloc(sizeof(*next));
	policy = malloc(sizeof(*policy));
	if (cur == NULL || next == NULL || policy == NULL) {
		err = TREASURY_ERR_NOMEM;
		goto done;
	}
	err = treasury_fetch(s, rec->treasury, 0, cur, NULL);
	if (err == TREASURY_ERR_UNKNOWN_TREASURY)
		err = TREASURY_ERR_DB_CORRUPT;
	if (err == TREASURY_OK)
		err = config_change_compute(cur, f, next, cmd);
	if (err == TREASURY_OK)
		err = config_change_stated(f, next, cmd);
	if (err == TREASURY_OK)
		err = config_policy_next(s, cur, next, f, cmd, policy);
	if (err == TREASURY_OK)
		err = config_switch(s, cmd, next, rec->id, policy);
	if (err == TREASURY_OK)
		*new_version = next->config_version;
done:
	free(policy);
	free(next);
	free(cur);
	return err;
}

/* Store the executed status and journal it with the debits (the
 * payload p, its debits array still open; freed here). */
static treasury_err
proposal_mark_executed(struct store *s, const struct proposal_record *rec,
    const struct command *cmd, struct journal_payload *p)
{
	struct db_stmt *st = s->stmt[STMT_PROPOSAL_EXECUTED_SET];
	enum proposal_status next = lifecycle_status_after(ACTION_EXECUTE,
	    rec->status);
	treasury_err err;

	db_bind_blob(st, 1, rec->id, PROPOSAL_ID_BYTES, DB_STATIC);
	db_bind_int64(st, 2, cmd->now_s);
	bind_str(st, 3, proposal_status_name(next));
	bind_str(st, 4, proposal_status_name(rec->status));
	err = store_stmt_run(s, STMT_PROPOSAL_EXECUTED_SET);
	if (err == TREASURY_OK && db_changes(s->db) != 1)
		err = TREASURY_ERR_INTERNAL;
	if (err != TREASURY_OK) {
		journal_payload_free(p);
		return err;
	}
	journal_payload_end(p);		/* debits */
	return proposal_status_journal(s, cmd, rec->id, rec->treasury,
	    rec->status, next, p);
}

/* Execute what f says: a config change (*new_version set), an unfreeze
 * or a spend (its debits into the open array of p). */
static treasury_err
execute_effect(struct store *s, const struct proposal_record *rec,
    const struct proposal_fields *f, struct command *cmd,
    struct journal_payload *p, uint64_t *new_version)
{
	if (proposal_kind_is_config(f->kind))
		return execute_config(s, rec, f, cmd, new_version);
	if (f->kind == KIND_UNFREEZE)
		return unfreeze_apply(s, cmd, rec, f);
	return execute_spend(s, rec, f, cmd, p);
}

static treasury_err
execute_apply(struct store *s, const treasury_verifier *v,
    struct proposal_record *rec, struct proposal_fields *f,
    struct command *cmd, bool *keep)
{
	static const struct lifecycle_act act = { .action = ACTION_EXECUTE };
	struct journal_payload p;	/* the executed entry's */
	uint64_t new_version = 0;
	treasury_err err;

	err = proposal_fetch(s, cmd->in.execute.proposal, rec);
	if (err == TREASURY_ERR_UNKNOWN_PROPOSAL)
		cmd_detail(cmd, "proposal is not known");
	if (err == TREASURY_OK)
		err = proposal_gate(s, rec, &act, cmd, keep);
	if (err == TREASURY_OK)
		err = execute_decode(s, v, rec, f, cmd);
	if (err == TREASURY_OK)
		err = proposal_freeze_gate(s, rec, f, cmd);
	if (err == TREASURY_OK)
		err = proposal_timelock_gate(s, rec, cmd);
	if (err != TREASURY_OK)
		return err;
	journal_payload_begin(&p);
	journal_payload_array(&p, "debits");
	err = execute_effect(s, rec, f, cmd, &p, &new_version);
	if (err == TREASURY_OK)
		err = proposal_mark_executed(s, rec, cmd, &p);	/* frees p */
	else
		journal_payload_free(&p);
	if (err == TREASURY_OK && new_version != 0)
		err = proposals_after_config_change(s, cmd, rec->treasury,
		    new_version);
	if (err == TREASURY_OK)
		err = execute_budget_alerts(s, rec, f, cmd);
	if (err == TREASURY_OK)
		cmd->out.execute.status = lifecycle_status_after(ACTION_EXECUTE,
		    rec->status);
	return err;
}

enum apply_outcome
apply_execute(struct store *s, const treasury_verifier *v,
    struct command *cmd)
{
	struct proposal_record rec;
	struct proposal_fields *f;
	enum apply_outcome outcome;
	bool keep = false;
	treasury_err err;

	memset(&rec, 0, sizeof(rec));
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return cmd_finish(s, cmd, TREASURY_ERR_NOMEM);
	err = execute_apply(s, v, &rec, f, cmd, &keep);
	free(f);
	proposal_record_free(&rec);
	outcome = cmd_finish(s, cmd, err);
	return keep ? APPLY_KEEP : outcome;
}

/* ---- settlement ---- */

static treasury_err
settlement_apply(struct store *s, struct proposal_record *rec,
    struct command *cmd)
{
	static const struct lifecycle_act act = { .action = ACTION_SETTLE };
	const char *ref = cmd->in.settlement.reference;
	bool keep = false;		/* a settlement stores no status */
	struct db_stmt *st = s->stmt[STMT_PROPOSAL_SETTLE];
	struct journal_payload p;
	treasury_err err;

	if (ref[0] == '\0') {
		cmd_detail(cmd, "reference: must not be empty");
		return TREASURY_ERR_REFERENCE;
	}
	err = proposal_fetch(s, cmd->in.settlement.proposal, rec);
	if (err == TREASURY_ERR_UNKNOWN_PROPOSAL)
		cmd_detail(cmd, "proposal is not known");
	if (err != TREASURY_OK)
		return err;
	err = proposal_gate(s, rec, &act, cmd, &keep);
	if (err != TREASURY_OK)
		return err;
	if (rec->settlement[0] != '\0') {
		if (strcmp(rec->settlement, ref) == 0) {
			cmd->replayed = true;
			return TREASURY_OK;
		}
		cmd_detail(cmd, "settlement '%s' is already recorded",
		    rec->settlement);
		return TREASURY_ERR_SETTLEMENT_CONFLICT;
	}
	db_bind_blob(st, 1, rec->id, PROPOSAL_ID_BYTES, DB_STATIC);
	bind_str(st, 2, ref);
	db_bind_int64(st, 3, cmd->now_s);
	bind_str(st, 4, proposal_status_name(rec->status));
	err = store_stmt_run(s, STMT_PROPOSAL_SETTLE);
	if (err == TREASURY_OK && db_changes(s->db) != 1)
		err = TREASURY_ERR_INTERNAL;
	if (err != TREASURY_OK)
		return err;
	journal_payload_begin(&p);
	journal_payload_hex(&p, "proposal", rec->id, PROPOSAL_ID_BYTES);
	journal_payload_str(&p, "reference", ref);
	journal_payload_str(&p, "treasury", rec->treasury);
	return journal_cmd(s, cmd, NULL, rec->treasury, "proposal.settled",
	    &p);
}

enum apply_outcome
apply_settlement(struct store *s, struct command *cmd)
{
	struct proposal_record rec;
	treasury_err err;

	memset(&rec, 0, sizeof(rec));
	err = settlement_apply(s, &rec, cmd);
	proposal_record_free(&rec);
	return cmd_finish(s, cmd, err);
}
