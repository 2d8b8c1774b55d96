/*
 * cmd_proposal.c: CMD_PROPOSAL_CREATE in the writer.
 *
 * The writer binds the proposal to this database and to the treasury as
 * it is now: it assigns the instance id, the current config version and
 * the next nonce, checks that every asset of a transfer exists with the
 * decimals the amount was parsed with, and for a config change computes
 * the threshold and signer count after it (refusing a change that cannot
 * be made). The canonical text is then encoded, hashed into the id and
 * stored with status pending.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

static treasury_err proposal_categories_check(struct store *s,
    const struct proposal_fields *f, struct command *cmd);

static treasury_err
transfer_asset_check(struct store *s, const struct transfer_fields *t,
    unsigned i, struct command *cmd)
{
	struct asset a;
	treasury_err err;

	err = store_asset_get(s, t->asset, &a);
	if (err == TREASURY_ERR_UNKNOWN_ASSET) {
		cmd_detail(cmd, "transfers[%u].asset: asset '%s' is not known",
		    i, t->asset);
		return err;
	}
	if (err != TREASURY_OK)
		return err;
	if (a.decimals != t->decimals) {
		cmd_detail(cmd, "transfers[%u].asset: asset '%s' has %u decimals,"
		    " not %u", i, t->asset, a.decimals, t->decimals);
		return TREASURY_ERR_UNKNOWN_ASSET;
	}
	return TREASURY_OK;
}

static treasury_err
proposal_assets_check(struct store *s, const struct proposal_fields *f,
    struct command *cmd)
{
	treasury_err err;
	unsigned i;

	/* A count out of range is proposal_encode's to report. */
	for (i = 0; i < f->transfer_count && i < BATCH_TRANSFERS_MAX; i++) {
		err = transfer_asset_check(s, &f->transfers[i], i, cmd);
		if (err != TREASURY_OK)
			return err;
	}
	return TREASURY_OK;
}

/* A set-policy carries the whole policy after it, for the current M and
 * N; a policy equal to the current one changes nothing. */
static treasury_err
set_policy_complete(struct store *s, const struct treasury *cur,
    const struct treasury_policy *now, struct proposal_fields *f,
    struct command *cmd)
{
	struct textbuf a, b;
	treasury_err err;
	int same;

	/* threshold_after carries the absolute config_threshold (api) */
	if (f->threshold_after == 0 || f->threshold_after == cur->threshold)
		f->policy.config_extra = 0;
	else if (f->threshold_after == cur->threshold + 1)
		f->policy.config_extra = 1;
	else {
		cmd_detail(cmd, "policy.config_threshold: %u is neither M (%u)"
		    " nor M + 1", f->threshold_after, cur->threshold);
		return TREASURY_ERR_POLICY_CONFIG_THRESHOLD;
	}
	f->threshold_after = cur->threshold;
	f->signers_after = cur->signer_count;
	err = policy_request_check(s, &f->policy, cur->threshold,
	    cur->signer_count, cmd);
	if (err != TREASURY_OK)
		return err;
	textbuf_init(&a, CANONICAL_MAX_BYTES);
	textbuf_init(&b, CANONICAL_MAX_BYTES);
	err = policy_lines_append(&a, &f->policy, cur->threshold,
	    cur->signer_count);
	if (err == TREASURY_OK)
		err = policy_lines_append(&b, now, cur->threshold,
		    cur->signer_count);
	same = err == TREASURY_OK && a.len == b.len &&
	    memcmp(a.data, b.data, a.len) == 0;
	textbuf_free(&a);
	textbuf_free(&b);
	if (err == TREASURY_OK && same) {
		cmd_detail(cmd, "policy: the policy is already this");
		err = TREASURY_ERR_CONFIG_CHANGE;
	}
	return err;
}

/* An unfreeze names the freeze in force (policies.md §5). */
static treasury_err
unfreeze_complete(struct store *s, const struct treasury *cur,
    struct proposal_fields *f, struct command *cmd)
{
	struct policy_freeze_state st;
	treasury_err err;

	err = treasury_freeze_state(s, cur->id, &st);
	if (err != TREASURY_OK)
		return err;
	err = policy_freeze_gate(&st, true, st.freeze_seq);
	if (err != TREASURY_OK) {
		cmd_detail(cmd, "treasury '%s' is not frozen", cur->id);
		return err;
	}
	f->freeze_seq = st.freeze_seq;
	return TREASURY_OK;
}

/* A signer or threshold change must leave the current policy valid. */
static treasury_err
config_complete(const struct treasury *cur, const struct treasury_policy *now,
    struct proposal_fields *f, struct command *cmd)
{
	struct treasury *next;
	treasury_err err;

	next = malloc(sizeof(*next));
	if (next == NULL)
		return TREASURY_ERR_NOMEM;
	err = config_change_compute(cur, f, next, cmd);
	if (err == TREASURY_OK) {
		f->threshold_after = next->threshold;
		f->signers_after = next->signer_count;
		err = treasury_policy_check(now, next->threshold,
		    next->signer_count);
		if (err != TREASURY_OK)
			cmd_detail(cmd, "%s: change the policy first",
			    treasury_err_text(err));
	}
	free(next);
	return err;
}

/* Assign what the writer assigns and check the kind's state. */
static treasury_err
proposal_complete(struct store *s, const struct treasury *cur,
    const struct treasury_policy *now, uint64_t nonce,
    struct proposal_fields *f, struct command *cmd)
{
	treasury_err err;
	unsigned i;

	store_instance_id(s, f->instance);
	f->config_version = cur->config_version;
	f->nonce = nonce;
	if (f->kind == KIND_TRANSFER || f->kind == KIND_BATCH) {
		for (i = 0; i < f->transfer_count && i < BATCH_TRANSFERS_MAX;
		    i++) {
			err = policy_destination_check(now, f->transfers[i].to,
			    NULL);
			if (err != TREASURY_OK) {
				cmd_detail(cmd, "transfers[%u].to: not on the"
				    " allowlist", i);
				return err;
			}
		}
		err = proposal_categories_check(s, f, cmd);
		if (err != TREASURY_OK)
			return err;
		return proposal_assets_check(s, f, cmd);
	}
	if (f->kind == KIND_SET_POLICY)
		return set_policy_complete(s, cur, now, f, cmd);
	if (f->kind == KIND_UNFREEZE)
		return unfreeze_complete(s, cur, f, cmd);
	if (!proposal_kind_is_config(f->kind)) {
		cmd_detail(cmd, "kind: %s proposals are not available yet",
		    proposal_kind_name(f->kind));
		return TREASURY_ERR_KIND;
	}
	return config_complete(cur, now, f, cmd);
}

/* Does any transfer of f carry a label? */
static bool
proposal_categories_any(const struct proposal_fields *f,
    const struct proposal_categories *cats)
{
	if (cats == NULL ||
	    (f->kind != KIND_TRANSFER && f->kind != KIND_BATCH))
		return false;
	for (unsigned i = 0; i < f->transfer_count; i++)
		if (cats->item[i][0] != '\0')
			return true;
	return false;
}

/* Every label of a transfer or batch names an expense category of its
 * treasury (issue #14). */
static treasury_err
proposal_categories_check(struct store *s, const struct proposal_fields *f,
    struct command *cmd)
{
	const struct proposal_categories *cats =
	    cmd->in.proposal_create.categories;
	char field[40];
	treasury_err err;

	if (!proposal_categories_any(f, cats))
		return TREASURY_OK;
	assert(f->transfer_count <= BATCH_TRANSFERS_MAX);
	for (unsigned i = 0; i < f->transfer_count; i++) {
		if (cats->item[i][0] == '\0')
			continue;
		if (f->kind == KIND_TRANSFER)
			snprintf(field, sizeof(field), "category");
		else
			snprintf(field, sizeof(field), "transfers[%u].category",
			    i);
		err = category_check(s, cmd, field, f->treasury,
		    cats->item[i], CATEGORY_EXPENSE);
		if (err != TREASURY_OK)
			return err;
	}
	return TREASURY_OK;
}

/* The proposal_categories rows of the new proposal. */
static treasury_err
proposal_categories_insert(struct store *s, const struct proposal_fields *f,
    const struct command *cmd)
{
	const struct proposal_categories *cats =
	    cmd->in.proposal_create.categories;
	struct db_stmt *st = s->stmt[STMT_PROPOSAL_CATEGORY_SET];
	treasury_err err = TREASURY_OK;

	if (!proposal_categories_any(f, cats))
		return TREASURY_OK;
	for (unsigned i = 0; i < f->transfer_count && err == TREASURY_OK;
	    i++) {
		if (cats->item[i][0] == '\0')
			continue;
		db_bind_blob(st, 1, cmd->out.proposal_create.id,
		    PROPOSAL_ID_BYTES, DB_STATIC);
		db_bind_int64(st, 2, i);
		bind_str(st, 3, cats->item[i]);
		err = store_stmt_run(s, STMT_PROPOSAL_CATEGORY_SET);
	}
	return err;
}

static treasury_err
proposal_created_journal(struct store *s, const struct proposal_fields *f,
    const struct command *cmd)
{
	const struct proposal_categories *cats =
	    cmd->in.proposal_create.categories;
	struct journal_payload p;

	journal_payload_begin(&p);
	if (proposal_categories_any(f, cats)) {
		/* one per transfer, string or null: labels, not signed */
		journal_payload_array(&p, "categories");
		for (unsigned i = 0; i < f->transfer_count; i++)
			if (cats->item[i][0] != '\0')
				journal_payload_elem_str(&p, cats->item[i]);
			else
				journal_payload_null(&p, NULL);
		journal_payload_end(&p);
	}
	journal_payload_int(&p, "config_version", (int64_t)f->config_version);
	journal_payload_int(&p, "expires_at", f->expires_s);
	journal_payload_str(&p, "kind", proposal_kind_name(f->kind));
	journal_payload_int(&p, "nonce", (int64_t)f->nonce);
	journal_payload_hex(&p, "proposal", cmd->out.proposal_create.id,
	    PROPOSAL_ID_BYTES);
	journal_payload_str(&p, "status",
	    proposal_status_name(lifecycle_status_created()));
	journal_payload_str(&p, "treasury", f->treasury);
	return journal_cmd(s, cmd, NULL, f->treasury, "proposal.created", &p);
}

static treasury_err
proposal_insert(struct store *s, const struct proposal_fields *f,
    const struct textbuf *text, struct command *cmd)
{
	struct db_stmt *st = s->stmt[STMT_PROPOSAL_INSERT];
	treasury_err err;

	db_bind_blob(st, 1, cmd->out.proposal_create.id,
	    PROPOSAL_ID_BYTES, DB_STATIC);
	bind_str(st, 2, f->treasury);
	db_bind_int64(st, 3, (int64_t)f->nonce);
	db_bind_int64(st, 4, (int64_t)f->config_version);
	bind_str(st, 5, proposal_kind_name(f->kind));
	db_bind_text(st, 6, text->data, (int)text->len, DB_STATIC);
	db_bind_int64(st, 7, cmd->in.proposal_create.proposer_token_id);
	db_bind_int64(st, 8, cmd->now_s);
	db_bind_int64(st, 9, f->expires_s);
	if (f->kind == KIND_UNFREEZE)
		db_bind_int64(st, 10, (int64_t)f->freeze_seq);
	else
		db_bind_null(st, 10);
	bind_str(st, 11, proposal_status_name(lifecycle_status_created()));
	err = store_stmt_run(s, STMT_PROPOSAL_INSERT);
	if (err != TREASURY_OK)
		return err;
	st = s->stmt[STMT_TREASURY_NONCE_BUMP];
	bind_str(st, 1, f->treasury);
	db_bind_int64(st, 2, (int64_t)f->nonce);
	err = store_stmt_run(s, STMT_TREASURY_NONCE_BUMP);
	if (err == TREASURY_OK && db_changes(s->db) != 1)
		err = TREASURY_ERR_INTERNAL;	/* the nonce moved under us */
	if (err == TREASURY_OK)
		err = proposal_categories_insert(s, f, cmd);
	if (err == TREASURY_OK)
		err = proposal_created_journal(s, f, cmd);
	return err;
}

/* The refusal of an expires_at outside policy_expiry_check's window:
 * the bound it broke, in seconds after now and made of what (the delay
 * of the proposal's track and 60 s or 90 days), and that bound as a time
 * (RFC 3339, UTC). */
static void
expiry_detail(struct command *cmd, treasury_err err, int64_t delay_s,
    enum policy_track track)
{
	char at[TIMESTAMP_BYTES + 1], now[TIMESTAMP_BYTES + 1];
	int64_t earliest_s, latest_s;
	bool soon = err == TREASURY_ERR_EXPIRY_TOO_SOON;

	policy_expiry_bounds(cmd->now_s, delay_s, &earliest_s, &latest_s);
	timestamp_format(soon ? earliest_s : latest_s, at);
	timestamp_format(cmd->now_s, now);
	if (delay_s == 0)
		cmd_detail(cmd, "expires_at: must be at %s %s after now (%s): "
		    "the %s allowed is %s", soon ? "least" : "most",
		    soon ? "60 s" : "90 days", now, soon ? "earliest" : "latest",
		    at);
	else
		cmd_detail(cmd, "expires_at: must be at %s %lld s after now (%s):"
		    " the policy's %s delay of %lld s + %s; the %s allowed is %s",
		    soon ? "least" : "most",
		    (long long)((soon ? earliest_s : latest_s) - cmd->now_s), now,
		    track == TRACK_SPEND ? "spend" : "config", (long long)delay_s,
		    soon ? "60 s" : "90 days", soon ? "earliest" : "latest", at);
}

static treasury_err
proposal_create(struct store *s, struct proposal_fields *f,
    struct treasury *cur, struct treasury_policy *now, struct command *cmd)
{
	struct proposal_voters voters;
	struct textbuf text;
	uint64_t nonce = 0;
	int64_t delay_s;
	treasury_err err;

	err = treasury_fetch(s, f->treasury, 0, cur, &nonce);
	if (err == TREASURY_ERR_UNKNOWN_TREASURY)
		cmd_detail(cmd, "treasury '%s' is not known", f->treasury);
	if (err == TREASURY_OK)
		err = policy_row_read(s, cur->id, cur->config_version,
		    cur->threshold, cur->signer_count, now);
	if (err != TREASURY_OK)
		return err;
	/* expires_s 0: the default, now + the track's delay + 7 days */
	delay_s = policy_delay_s(now, proposal_kind_track(f->kind));
	if (f->expires_s == 0)
		f->expires_s = cmd->now_s + delay_s +
		    PROPOSAL_EXPIRY_DEFAULT_S;
	err = policy_expiry_check(f->expires_s, cmd->now_s, delay_s);
	if (err != TREASURY_OK) {
		expiry_detail(cmd, err, delay_s, proposal_kind_track(f->kind));
		return err;
	}
	err = proposal_complete(s, cur, now, nonce, f, cmd);
	if (err != TREASURY_OK)
		return err;
	textbuf_init(&text, CANONICAL_MAX_BYTES);
	err = proposal_encode(&text, f);
	if (err != TREASURY_OK) {
		cmd_detail(cmd, "proposal: %s", treasury_err_text(err));
		goto done;
	}
	proposal_id_compute(cmd->out.proposal_create.id, text.data, text.len);
	err = proposal_insert(s, f, &text, cmd);
	if (err == TREASURY_OK)
		err = proposal_voters_read(s, cmd->out.proposal_create.id,
		    &voters);	/* none: the proposal is new */
	if (err == TREASURY_OK)
		err = proposal_awaiting_journal(s, cmd,
		    cmd->out.proposal_create.id, f->treasury, f->config_version,
		    &voters, policy_base_threshold(now, proposal_kind_track(f->kind),
		    cur->threshold));
	if (err == TREASURY_OK)
		cmd->out.proposal_create.status = lifecycle_status_created();
done:
	textbuf_free(&text);
	return err;
}

enum apply_outcome
apply_proposal_create(struct store *s, struct command *cmd)
{
	struct proposal_fields *f = cmd->in.proposal_create.fields;
	struct treasury_policy *now;
	struct treasury *cur;
	treasury_err err;

	if (f == NULL) {
		cmd_detail(cmd, "proposal: no fields");
		return cmd_finish(s, cmd, TREASURY_ERR_INTERNAL);
	}
	cur = malloc(sizeof(*cur));
	now = malloc(sizeof(*now));
	if (cur == NULL || now == NULL)
		err = TREASURY_ERR_NOMEM;
	else
		err = proposal_create(s, f, cur, now, cmd);
	free(now);
	free(cur);
	if (err != TREASURY_OK)
		memset(&cmd->out, 0, sizeof(cmd->out));
	return cmd_finish(s, cmd, err);
}
