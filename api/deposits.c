/*
 * deposits.c: POST /v1/treasuries/{t}/deposits (treasurer).
 *
 * {"asset","amount","reference"} and optional "source", "memo", "category"
 * (an income category of the treasury, issue #14; not signed) credit the
 * treasury: 201 with the new ledger entry. The reference is unique per
 * treasury: the same reference with the same asset, amount (by value),
 * source and memo is an idempotent replay, 200 with the first entry and no
 * second credit; with other content it is a 409 reference-conflict.
 */
#include <string.h>

#include "treasury/canonical.h"

#include "internal.h"

static bool
deposit_optional_fields(struct reply *rp, json_t *body, struct command *cmd)
{
	const char *source, *memo;
	size_t source_len, memo_len;

	if (!field_string(rp, body, "", "source", false, &source,
	    &source_len) ||
	    (source != NULL && !field_printable(rp, TREASURY_OK, "", "source",
	    source, source_len, SOURCE_MAX_BYTES, true)) ||
	    !field_string(rp, body, "", "memo", false, &memo, &memo_len) ||
	    (memo != NULL && !field_check(rp, memo_check, "", "memo", memo,
	    memo_len)))
		return false;
	text_copy(cmd->in.deposit.source, sizeof(cmd->in.deposit.source),
	    source, source_len);
	text_copy(cmd->in.deposit.memo, sizeof(cmd->in.deposit.memo), memo,
	    memo_len);
	return true;
}

static bool
deposit_from_body(struct request *rq, struct reply *rp, json_t *body,
    struct command *cmd)
{
	static const char *const fields[] = { "asset", "amount", "reference",
	    "source", "memo", "category", NULL };
	struct asset asset;
	const char *ref;
	size_t ref_len;

	if (!fields_only(rp, body, "", fields) ||
	    !field_asset(rq, rp, body, "", &asset) ||
	    !field_amount(rp, body, "", &asset, &cmd->in.deposit.amount) ||
	    !field_string(rp, body, "", "reference", true, &ref, &ref_len) ||
	    !field_printable(rp, TREASURY_ERR_REFERENCE, "", "reference", ref,
	    ref_len, REFERENCE_MAX_BYTES, true) ||
	    !deposit_optional_fields(rp, body, cmd) ||
	    !field_category(rp, body, "", cmd->in.deposit.category))
		return false;
	text_copy(cmd->in.deposit.treasury, sizeof(cmd->in.deposit.treasury),
	    rq->params[0], strlen(rq->params[0]));
	text_copy(cmd->in.deposit.asset, sizeof(cmd->in.deposit.asset),
	    asset.code, strlen(asset.code));
	text_copy(cmd->in.deposit.reference,
	    sizeof(cmd->in.deposit.reference), ref, ref_len);
	return true;
}

static void
deposit_answer(struct request *rq, struct reply *rp, const struct command *cmd)
{
	struct ledger_entry entry;
	treasury_err err;

	err = store_ledger_entry_get(rq->reader, cmd->out.deposit.ledger_seq,
	    &entry);
	if (err != TREASURY_OK) {
		reply_err(rp, err == TREASURY_ERR_NOT_FOUND ?
		    TREASURY_ERR_INTERNAL : err, "reading back ledger entry "
		    "%lld", (long long)cmd->out.deposit.ledger_seq);
		return;
	}
	reply_built(rp, cmd->replayed ? 200 : 201, ledger_entry_json(&entry));
}

void
handle_deposit(struct request *rq, struct reply *rp)
{
	struct command cmd;
	json_t *body;

	if (!param_treasury(rq, rp, 0))
		return;
	body = body_parse(rq, rp, false);
	if (body == NULL)
		return;
	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_DEPOSIT;
	if (deposit_from_body(rq, rp, body, &cmd))
		(void)command_submit_wait(rq, rp, &cmd, deposit_answer);
	json_decref(body);
}
