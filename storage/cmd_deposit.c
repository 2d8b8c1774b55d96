/*
 * cmd_deposit.c: CMD_DEPOSIT in the writer.
 *
 * A deposit's reference is unique per treasury (a partial UNIQUE index on
 * the ledger). Repeating a deposit with the same reference and the same
 * asset, amount (by value), source and memo is an idempotent replay: it
 * answers with the first ledger entry and changes nothing. The same
 * reference with other content is a conflict. Otherwise the balance is
 * credited (with an overflow check) and the ledger entry written, both in
 * the command's savepoint.
 */
#include <string.h>

#include "engine_int.h"
#include "ledger_int.h"

/* The first deposit with this reference, if any. */
struct deposit_prior {
	bool found;
	int64_t seq;
	char asset[ASSET_CODE_MAX_BYTES + 1];
	amount_minor amount;
	char source[SOURCE_MAX_BYTES + 1];
	char memo[MEMO_MAX_BYTES + 1];
	char category[CATEGORY_NAME_MAX_BYTES + 1];	/* "" = none */
};

static treasury_err
deposit_prior_find(struct store *s, const struct command *cmd,
    struct deposit_prior *p)
{
	struct db_stmt *st = s->stmt[STMT_LEDGER_BY_REFERENCE];
	treasury_err err = TREASURY_OK;
	int rc;

	memset(p, 0, sizeof(*p));
	bind_str(st, 1, cmd->in.deposit.treasury);
	bind_str(st, 2, cmd->in.deposit.reference);
	rc = db_step(st);
	if (rc == DB_ROW) {
		p->found = true;
		err = col_int(st, 0, 1, INT64_MAX, &p->seq);
		if (err == TREASURY_OK)
			err = col_text(st, 1, 1, ASSET_CODE_MAX_BYTES, p->asset);
		if (err == TREASURY_OK)
			err = col_amount(st, 2, &p->amount);
		if (err == TREASURY_OK)
			err = col_text(st, 3, 0, SOURCE_MAX_BYTES, p->source);
		if (err == TREASURY_OK)
			err = col_text(st, 4, 0, MEMO_MAX_BYTES, p->memo);
		if (err == TREASURY_OK &&
		    db_column_type(st, 5) != DB_NULL)
			err = col_text(st, 5, 1, CATEGORY_NAME_MAX_BYTES,
			    p->category);
	} else
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

/* Replay, conflict, or (p->found false) a new deposit. */
static treasury_err
deposit_prior_compare(const struct deposit_prior *p, struct command *cmd)
{
	const char *what = NULL;

	if (strcmp(p->asset, cmd->in.deposit.asset) != 0)
		what = "asset";
	else if (p->amount != cmd->in.deposit.amount)
		what = "amount";
	else if (strcmp(p->source, cmd->in.deposit.source) != 0)
		what = "source";
	else if (strcmp(p->memo, cmd->in.deposit.memo) != 0)
		what = "memo";
	else if (strcmp(p->category, cmd->in.deposit.category) != 0)
		what = "category";
	if (what != NULL) {
		cmd_detail(cmd, "reference: '%s' was used for deposit %lld with"
		    " a different %s", cmd->in.deposit.reference,
		    (long long)p->seq, what);
		return TREASURY_ERR_REFERENCE_CONFLICT;
	}
	cmd->replayed = true;
	cmd->out.deposit.ledger_seq = p->seq;
	return TREASURY_OK;
}

static treasury_err
deposit_journal(struct store *s, const struct command *cmd)
{
	struct journal_payload p;

	journal_payload_begin(&p);
	journal_payload_amount(&p, "amount_minor", cmd->in.deposit.amount);
	journal_payload_str(&p, "asset", cmd->in.deposit.asset);
	if (cmd->in.deposit.category[0] != '\0')
		journal_payload_str(&p, "category", cmd->in.deposit.category);
	journal_payload_int(&p, "ledger_seq", cmd->out.deposit.ledger_seq);
	journal_payload_str(&p, "memo", cmd->in.deposit.memo);
	journal_payload_str(&p, "reference", cmd->in.deposit.reference);
	journal_payload_str(&p, "source", cmd->in.deposit.source);
	journal_payload_str(&p, "treasury", cmd->in.deposit.treasury);
	return journal_cmd(s, cmd, NULL, cmd->in.deposit.treasury, "deposit",
	    &p);
}

static treasury_err
deposit_ledger_insert(struct store *s, struct command *cmd,
    amount_minor balance_after)
{
	const struct ledger_new e = {
		.treasury = cmd->in.deposit.treasury,
		.kind = LEDGER_DEPOSIT,
		.asset = cmd->in.deposit.asset,
		.amount = cmd->in.deposit.amount,
		.balance_after = balance_after,
		.reference = cmd->in.deposit.reference,
		.source = cmd->in.deposit.source,
		.to = "",
		.memo = cmd->in.deposit.memo,
		.proposal = NULL,
		.category = cmd->in.deposit.category,
		.created_s = cmd->now_s,
	};
	treasury_err err;

	err = ledger_append(s, &e, &cmd->out.deposit.ledger_seq);
	if (err == TREASURY_OK)
		err = deposit_journal(s, cmd);
	return err;
}

static treasury_err
deposit_credit(struct store *s, struct command *cmd)
{
	const char *asset = cmd->in.deposit.asset;
	const char *treasury = cmd->in.deposit.treasury;
	amount_minor balance;
	treasury_err err;

	err = balance_get(s, treasury, asset, &balance);
	if (err != TREASURY_OK)
		return err;
	if (amount_add(balance, cmd->in.deposit.amount, &balance) !=
	    TREASURY_OK) {
		cmd_detail(cmd, "amount: the %s balance of '%s' would exceed"
		    " 2^128-1 minor units", asset, treasury);
		return TREASURY_ERR_BALANCE_OVERFLOW;
	}
	err = balance_set(s, treasury, asset, balance);
	if (err == TREASURY_OK)
		err = deposit_ledger_insert(s, cmd, balance);
	return err;
}

static treasury_err
deposit_check_refs(struct store *s, struct command *cmd)
{
	struct asset a;
	struct db_stmt *st = s->stmt[STMT_TREASURY_GET];
	treasury_err err;
	int rc;

	bind_str(st, 1, cmd->in.deposit.treasury);
	rc = db_step(st);
	store_stmt_done(st);
	if (rc == DB_DONE) {
		cmd_detail(cmd, "treasury '%s' is not known",
		    cmd->in.deposit.treasury);
		return TREASURY_ERR_UNKNOWN_TREASURY;
	}
	if (rc != DB_ROW)
		return store_err_from_rc(rc);
	err = store_asset_get(s, cmd->in.deposit.asset, &a);
	if (err == TREASURY_ERR_UNKNOWN_ASSET)
		cmd_detail(cmd, "asset: '%s' is not known", cmd->in.deposit.asset);
	if (err == TREASURY_OK && cmd->in.deposit.category[0] != '\0')
		err = category_check(s, cmd, "category",
		    cmd->in.deposit.treasury, cmd->in.deposit.category,
		    CATEGORY_INCOME);
	return err;
}

enum apply_outcome
apply_deposit(struct store *s, struct command *cmd)
{
	struct deposit_prior prior;
	treasury_err err;

	if (cmd->in.deposit.amount == 0) {
		cmd_detail(cmd, "amount: must be greater than zero");
		return cmd_finish(s, cmd, TREASURY_ERR_AMOUNT_ZERO);
	}
	if (cmd->in.deposit.reference[0] == '\0') {
		cmd_detail(cmd, "reference: must not be empty");
		return cmd_finish(s, cmd, TREASURY_ERR_REFERENCE);
	}
	err = deposit_check_refs(s, cmd);
	if (err == TREASURY_OK)
		err = deposit_prior_find(s, cmd, &prior);
	if (err == TREASURY_OK && prior.found)
		return cmd_finish(s, cmd, deposit_prior_compare(&prior, cmd));
	if (err == TREASURY_OK)
		err = deposit_credit(s, cmd);
	return cmd_finish(s, cmd, err);
}
