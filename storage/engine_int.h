/*
 * engine_int.h: what the engine's files in storage/ share and nobody else
 * sees: column layouts of the statements in statements.c, checked column
 * readers (anything the store would not have written is
 * TREASURY_ERR_DB_CORRUPT, never an assert), record loaders, and the apply
 * functions the writer thread runs, one per command type.
 *
 * Apply functions run inside the writer's transaction, each command in its
 * own savepoint. They fill cmd->err and cmd->detail and say whether the
 * writer keeps what they wrote (APPLY_KEEP: success, or a refusal that
 * must still persist a status such as 'expired') or rolls the savepoint
 * back (APPLY_UNDO).
 */
#ifndef TREASURY_ENGINE_INT_H
#define TREASURY_ENGINE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "treasury/command.h"
#include "treasury/queries.h"
#include "treasury/records.h"
#include "treasury/writer.h"

#include "journal_int.h"
#include "store_int.h"

/* Column layouts (statements.c). */
enum { ASSET_COL_CODE, ASSET_COL_DECIMALS, ASSET_COL_CHAIN, ASSET_COL_CREATED };
enum {
	TREASURY_COL_ID, TREASURY_COL_NAME, TREASURY_COL_VERSION,
	TREASURY_COL_NEXT_NONCE, TREASURY_COL_CREATED, TREASURY_COL_FROZEN,
	TREASURY_COL_FREEZE_SEQ, TREASURY_COL_FROZEN_AT
};
enum { SIGNER_COL_NAME, SIGNER_COL_TYPE, SIGNER_COL_PUBKEY, SIGNER_COL_X };
enum {
	LEDGER_COL_SEQ, LEDGER_COL_TREASURY, LEDGER_COL_KIND, LEDGER_COL_ASSET,
	LEDGER_COL_DECIMALS, LEDGER_COL_AMOUNT, LEDGER_COL_BALANCE_AFTER,
	LEDGER_COL_REFERENCE, LEDGER_COL_SOURCE, LEDGER_COL_TO, LEDGER_COL_MEMO,
	LEDGER_COL_PROPOSAL, LEDGER_COL_CREATED, LEDGER_COL_CATEGORY
};
enum {
	PROPOSAL_COL_ID, PROPOSAL_COL_TREASURY, PROPOSAL_COL_NONCE,
	PROPOSAL_COL_VERSION, PROPOSAL_COL_KIND, PROPOSAL_COL_STATUS,
	PROPOSAL_COL_CANONICAL, PROPOSAL_COL_PROPOSER, PROPOSAL_COL_CREATED,
	PROPOSAL_COL_EXPIRES, PROPOSAL_COL_EXECUTED, PROPOSAL_COL_SETTLEMENT,
	PROPOSAL_COL_SETTLED
};
enum {
	PROPOSAL_HEAD_COL_TREASURY, PROPOSAL_HEAD_COL_VERSION,
	PROPOSAL_HEAD_COL_STATUS, PROPOSAL_HEAD_COL_EXPIRES,
	PROPOSAL_HEAD_COL_PROPOSER, PROPOSAL_HEAD_COL_THRESHOLD,
	PROPOSAL_HEAD_COL_SIGNERS, PROPOSAL_HEAD_COL_KIND,
	PROPOSAL_HEAD_COL_CONFIG_EXTRA
};

/* Load the labels of the first `count` transfers of proposal id (records.c).
 * A row for an item >= count is TREASURY_ERR_DB_CORRUPT. */
TREASURY_WARN_UNUSED treasury_err
proposal_categories_load(struct store *s, const uint8_t id[PROPOSAL_ID_BYTES],
    unsigned count, struct proposal_categories *out);

/* ---- statements (records.c) ---- */

/* Step a statement that returns no row, then reset it.
 * Returns TREASURY_OK or the mapped SQLite error. */
TREASURY_WARN_UNUSED treasury_err
store_stmt_run(struct store *s, enum store_stmt i);

/* Bind a NUL-terminated string that outlives the step. */
void bind_str(struct db_stmt *st, int i, const char *text);
/* Bind an amount as decimal TEXT of minor units (copied). */
void bind_amount(struct db_stmt *st, int i, amount_minor value);

/* ---- checked column readers (records.c): TREASURY_ERR_DB_CORRUPT on a
 * wrong type, size or value ---- */

/* TEXT of min_bytes..max_bytes bytes without NUL, copied NUL-terminated
 * into out (max_bytes + 1 bytes). */
TREASURY_WARN_UNUSED treasury_err
col_text(struct db_stmt *st, int col, size_t min_bytes, size_t max_bytes,
    char *out);
/* A BLOB of exactly len bytes. */
TREASURY_WARN_UNUSED treasury_err
col_blob(struct db_stmt *st, int col, size_t len, uint8_t *out);
/* An INTEGER in [min, max]. */
TREASURY_WARN_UNUSED treasury_err
col_int(struct db_stmt *st, int col, int64_t min, int64_t max, int64_t *out);
/* A decimal TEXT of minor units up to 2^128-1. */
TREASURY_WARN_UNUSED treasury_err
col_amount(struct db_stmt *st, int col, amount_minor *out);

/* ---- records (records.c) ---- */

/* The current row of an asset statement. */
TREASURY_WARN_UNUSED treasury_err
asset_read(struct db_stmt *st, struct asset *out);

/* A treasury at `version` (0: its current version) with its signers and
 * threshold; *next_nonce (may be NULL) is the next proposal nonce.
 * Returns TREASURY_OK, TREASURY_ERR_UNKNOWN_TREASURY (no such treasury or
 * version), _DB_CORRUPT or a database error. */
TREASURY_WARN_UNUSED treasury_err
treasury_fetch(struct store *s, const char *id, uint64_t version,
    struct treasury *out, uint64_t *next_nonce);

/* The current row of a ledger statement. */
/* TREASURY_OK, or TREASURY_ERR_UNKNOWN_TREASURY (queries.c). */
TREASURY_WARN_UNUSED treasury_err
treasury_exists(struct store *s, const char *id);

TREASURY_WARN_UNUSED treasury_err
ledger_read(struct db_stmt *st, struct ledger_entry *out);

/* A treasury's balance of an asset; 0 when never credited. */
TREASURY_WARN_UNUSED treasury_err
balance_get(struct store *s, const char *treasury, const char *asset,
    amount_minor *out);
TREASURY_WARN_UNUSED treasury_err
balance_set(struct store *s, const char *treasury, const char *asset,
    amount_minor amount);

/* The current row of a proposal statement, with its votes and the M and N
 * of its config version; status is the stored one (not effective). On
 * success out->canonical is malloc'd (proposal_record_free). */
TREASURY_WARN_UNUSED treasury_err
proposal_read(struct store *s, struct db_stmt *st, struct proposal_record *out);

/* Load proposal id with proposal_read. Returns TREASURY_OK,
 * TREASURY_ERR_UNKNOWN_PROPOSAL or a database error. */
TREASURY_WARN_UNUSED treasury_err
proposal_fetch(struct store *s, const uint8_t id[PROPOSAL_ID_BYTES],
    struct proposal_record *out);

/* The head of proposal id, by primary key: id, treasury, config_version,
 * stored status, expires_s, proposer_token_id, threshold and
 * signer_count; no canonical text (NULL) and no votes (vote_count 0).
 * Returns TREASURY_OK, TREASURY_ERR_UNKNOWN_PROPOSAL, _DB_CORRUPT or a
 * database error. */
TREASURY_WARN_UNUSED treasury_err
proposal_head_fetch(struct store *s, const uint8_t id[PROPOSAL_ID_BYTES],
    struct proposal_record *out);

/* One signer of treasury id at a config version, by name, with its key
 * checked as treasury_fetch checks keys. Returns TREASURY_OK,
 * TREASURY_ERR_UNKNOWN_SIGNER (no such row), _DB_CORRUPT or a database
 * error. */
TREASURY_WARN_UNUSED treasury_err
signer_fetch(struct store *s, const char *id, uint64_t version,
    const char *name, struct signer *out);

/* The tally of proposal id: its votes counted by lifecycle_tally_vote
 * and its vetoes. Returns TREASURY_OK, _DB_CORRUPT (more than 32 votes)
 * or a database error. */
TREASURY_WARN_UNUSED treasury_err
proposal_tally_read(struct store *s, const uint8_t id[PROPOSAL_ID_BYTES],
    struct policy_tally *out);

/* The tally of a proposal and who voted on it (revoked votes too), by
 * signer name in BINARY order (the votes' primary key). */
struct proposal_voters {
	struct policy_tally tally;
	unsigned count;
	char names[SIGNERS_PER_TREASURY_MAX][SIGNER_NAME_MAX_BYTES + 1];
};

/* proposal_tally_read, and the names of the signers that voted, from the
 * same one scan of the proposal's votes. Same returns. */
TREASURY_WARN_UNUSED treasury_err
proposal_voters_read(struct store *s, const uint8_t id[PROPOSAL_ID_BYTES],
    struct proposal_voters *out);

/* ---- the journal of a command (journal.c, journal_int.h) ---- */

/* The who of an entry cmd appends: its now_s and actor_token, and signer
 * (NULL: none) for a signed act. */
struct journal_who journal_who_cmd(const struct command *cmd,
    const char *signer);

/* journal_append with journal_who_cmd(cmd, signer). */
TREASURY_WARN_UNUSED treasury_err
journal_cmd(struct store *s, const struct command *cmd, const char *signer,
    const char *treasury, const char *type, struct journal_payload *p);

/* ---- proposal statuses: every change is journalled here ---- */

/* Set a proposal's stored status on behalf of cmd: nothing when it is
 * already st; else the UPDATE and its proposal.<st> journal entry
 * (proposal_status_journal). Returns TREASURY_OK,
 * TREASURY_ERR_UNKNOWN_PROPOSAL, _DB_CORRUPT or a database error. */
TREASURY_WARN_UNUSED treasury_err
proposal_status_set(struct store *s, const struct command *cmd,
    const uint8_t id[PROPOSAL_ID_BYTES], enum proposal_status st);

/* The journal entry of a status change of proposal id (treasury) from
 * previous to next, that the caller stored: type "proposal.<next>",
 * payload {previous, proposal, status, treasury} after the members p
 * already holds (keys sorting before "previous": an executed proposal's
 * debits), p begun by the caller, or NULL for none. The one function that
 * writes proposal.<status> entries; p is freed. */
TREASURY_WARN_UNUSED treasury_err
proposal_status_journal(struct store *s, const struct command *cmd,
    const uint8_t id[PROPOSAL_ID_BYTES], const char *treasury,
    enum proposal_status previous, enum proposal_status next,
    struct journal_payload *p);

/* ---- writer side ---- */

enum apply_outcome {
	APPLY_KEEP,	/* release the command's savepoint */
	APPLY_UNDO,	/* roll it back first */
};

/* The proposal's status in the result of a command on one proposal
 * (create, vote, cancel, execute, settlement, veto, revoke, key proof);
 * NULL for any other type (writer.c). */
enum proposal_status *cmd_status(struct command *cmd);

/* printf into cmd->detail. */
void cmd_detail(struct command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Set cmd->err (and a detail naming the database error when err is one
 * and no detail is set yet); APPLY_KEEP only for TREASURY_OK. */
enum apply_outcome cmd_finish(struct store *s, struct command *cmd,
    treasury_err err);

/* Write config version next->config_version of treasury next->id: its
 * threshold, every signer and its policy (which must pass
 * treasury_policy_check for next's M and N), and its journal entry with
 * all three (the signers' key types, names and keys, the threshold, the
 * policy's digest): treasury.created for version 1, else config.changed
 * by the executed proposal `proposal` (not NULL then). */
TREASURY_WARN_UNUSED treasury_err
config_version_write(struct store *s, const struct command *cmd,
    const struct treasury *next, const uint8_t *proposal,
    const struct treasury_policy *policy);

/* The treasury config that config-change proposal f makes of cur
 * (signer_set_change: its errors), at config version cur's + 1. The
 * detail goes into cmd. */
TREASURY_WARN_UNUSED treasury_err
config_change_compute(const struct treasury *cur,
    const struct proposal_fields *f, struct treasury *next,
    struct command *cmd);

/* At execution: next must have the M and N that f's text states
 * (signer_set_states), else TREASURY_ERR_CONFIG_CHANGE with the detail. */
TREASURY_WARN_UNUSED treasury_err
config_change_stated(const struct proposal_fields *f,
    const struct treasury *next, struct command *cmd);

/* Check a signer set and threshold as a treasury may have them
 * (signer_set_check: THRESHOLD, SIGNER_NAME, PUBKEY, DUPLICATE_SIGNER,
 * DUPLICATE_KEY). The detail, naming the signer, goes into cmd. */
TREASURY_WARN_UNUSED treasury_err
treasury_config_check(const struct treasury *t, struct command *cmd);

/* Index of the signer named name, or -1. */
int treasury_find_signer(const struct treasury *t, const char *name);

/* The gate of an action on proposal rec (lifecycle_gate) at cmd->now_s,
 * against its treasury's current config version: cmd->status is the
 * status the verdict gives, stored (and *keep set, so the writer keeps
 * it even when the action is refused) when the clock or a config change
 * moved it; a refusal's detail goes into cmd. Returns lifecycle_gate's
 * answer or a database error. */
TREASURY_WARN_UNUSED treasury_err
proposal_gate(struct store *s, struct proposal_record *rec,
    const struct lifecycle_act *act, struct command *cmd, bool *keep);

/* A writer command on one proposal: it fills rec (zeroed before, freed
 * after) and sets *keep to keep what it wrote even when it fails. */
typedef treasury_err (*proposal_apply_fn)(struct store *s,
    struct proposal_record *rec, struct command *cmd, bool *keep);

/* Run apply on a zeroed record, free the record and finish cmd with what
 * apply returned (cmd_finish); APPLY_KEEP also when apply set *keep. */
enum apply_outcome proposal_cmd_apply(struct store *s, struct command *cmd,
    proposal_apply_fn apply);

/* ---- what the clock and config changes do (cmd_lifecycle.c) ---- */

/* One batch of the expiry sweep: store expired for the open proposals
 * due at cmd->now_s (expires_at <= now_s, by the proposals_expiring index,
 * soonest first), at most batch_max (>= 1) of them; *expired counts them
 * and *more says the batch was full, so more may be due. */
TREASURY_WARN_UNUSED treasury_err
proposals_expire(struct store *s, const struct command *cmd,
    unsigned batch_max, unsigned *expired, bool *more);

/* After a config change of treasury moved it to new_version: store what
 * lifecycle_after_config_change makes of each of its open proposals at
 * cmd->now_s (the executing command's). */
TREASURY_WARN_UNUSED treasury_err
proposals_after_config_change(struct store *s, const struct command *cmd,
    const char *treasury, uint64_t new_version);

/* ---- policies (cmd_policy.c, docs/policies.md) ---- */

/* Write the policy row of config version `version` of treasury id, whose
 * threshold is m of n signers; p must pass treasury_policy_check.
 * digest_out (may be NULL): the policy's digest, as stored. */
TREASURY_WARN_UNUSED treasury_err
policy_row_write(struct store *s, const char *id, uint64_t version,
    const struct treasury_policy *p, unsigned m, unsigned n,
    uint8_t digest_out[DIGEST_BYTES]);

/* Read the policy of a config version (lines decoded; M and N in them
 * must be m and n, else DB_CORRUPT). */
TREASURY_WARN_UNUSED treasury_err
policy_row_read(struct store *s, const char *id, uint64_t version,
    unsigned m, unsigned n, struct treasury_policy *out);

/* Normalise and check a policy given in a request for a treasury of m of
 * n signers, and that every asset in it is registered with exactly that
 * code (UNKNOWN_ASSET) and those decimals (POLICY_DECIMALS). */
TREASURY_WARN_UNUSED treasury_err
policy_request_check(struct store *s, struct treasury_policy *p, unsigned m,
    unsigned n, struct command *cmd);

/* What a proposal's policy says about it (its config version's policy
 * row, read without decoding the lines). */
struct proposal_policy {
	int64_t approved_s;		/* 0 unless approved or executed */
	enum proposal_kind kind;
	enum policy_track track;	/* proposal_kind_track(kind) */
	unsigned m;			/* threshold of its config version */
	int64_t timelock_spend_s;	/* the policy's delays */
	int64_t timelock_config_s;
	int64_t delay_s;		/* the delay of its track */
	unsigned config_extra;		/* the policy's */
	unsigned extra;			/* config_extra on the config track */
	unsigned veto_count;		/* the policy's: 0 = default */
	unsigned high_threshold;	/* 0 = none */
	bool key_proof_required;	/* the policy's key_proof */
	bool key_proof;			/* a key proof is stored for it */
};

/* A proposal's policy and the same as a struct treasury_policy whose
 * scalars are the row's and whose lists are empty: what the decisions of
 * lifecycle.h and policy.h about one proposal read. Large: allocated by
 * proposal_rules_load, freed with free(). */
struct proposal_rules {
	struct proposal_policy pp;
	struct treasury_policy policy;
};

/* Returns TREASURY_OK (*out malloc'd), TREASURY_ERR_UNKNOWN_PROPOSAL,
 * _DB_CORRUPT, _NOMEM or a database error (*out NULL). */
TREASURY_WARN_UNUSED treasury_err
proposal_rules_load(struct store *s, const uint8_t id[PROPOSAL_ID_BYTES],
    struct proposal_rules **out);

/* proposal.awaiting for the pending proposal id of treasury, made at
 * config_version: its approvals (v->tally), the approvals it needs
 * (threshold) and the signers of that version that have not voted (by
 * name: those not in v, which proposal_voters_read read in this
 * transaction). Appended after proposal.created and by
 * proposal_tally_apply after a vote or revocation that leaves the
 * proposal pending. */
TREASURY_WARN_UNUSED treasury_err
proposal_awaiting_journal(struct store *s, const struct command *cmd,
    const uint8_t id[PROPOSAL_ID_BYTES], const char *treasury,
    uint64_t config_version, const struct proposal_voters *v,
    unsigned threshold);

/* After a vote, veto or revocation on an open proposal rec whose status
 * is cmd->status: read its tally into *t, take the step lifecycle_tally_step
 * gives it under rules r, store the status and approved_at it changes
 * and set cmd->status; after a vote or revocation that leaves it pending,
 * journal proposal.awaiting. */
TREASURY_WARN_UNUSED treasury_err
proposal_tally_apply(struct store *s, const struct proposal_record *rec,
    const struct proposal_rules *r, struct command *cmd,
    struct policy_tally *t);

/* Returns TREASURY_OK, TREASURY_ERR_UNKNOWN_PROPOSAL, _DB_CORRUPT or a
 * database error. */
TREASURY_WARN_UNUSED treasury_err
proposal_policy_get(struct store *s, const uint8_t id[PROPOSAL_ID_BYTES],
    struct proposal_policy *out);


/* A treasury's freeze state (TREASURY_ERR_UNKNOWN_TREASURY if none). */
TREASURY_WARN_UNUSED treasury_err
treasury_freeze_state(struct store *s, const char *id,
    struct policy_freeze_state *out);

/* At execution: the freeze gate (policy_freeze_gate) with the detail. */
TREASURY_WARN_UNUSED treasury_err
proposal_freeze_gate(struct store *s, const struct proposal_record *rec,
    const struct proposal_fields *f, struct command *cmd);

/* Execute an unfreeze: lift the freeze it names (and journal
 * treasury.unfrozen). */
TREASURY_WARN_UNUSED treasury_err
unfreeze_apply(struct store *s, const struct command *cmd,
    const struct proposal_record *rec, const struct proposal_fields *f);

/* Set or clear (approved_s 0) a proposal's approved_at. */
TREASURY_WARN_UNUSED treasury_err
proposal_approved_set(struct store *s, const uint8_t id[PROPOSAL_ID_BYTES],
    int64_t approved_s);

/* At execution, steps 3 and 4 of docs/policies.md §12.2:
 * TREASURY_ERR_TIMELOCKED (detail with executable_at) while the delay of
 * the proposal's track has not passed since it was approved; then
 * TREASURY_ERR_KEY_PROOF for an add- or replace-signer without the key
 * proof the policy requires; TREASURY_OK after. */
TREASURY_WARN_UNUSED treasury_err
proposal_timelock_gate(struct store *s, const struct proposal_record *rec,
    struct command *cmd);

enum apply_outcome apply_asset_create(struct store *s, struct command *cmd);
enum apply_outcome apply_treasury_create(struct store *s, struct command *cmd);
enum apply_outcome apply_deposit(struct store *s, struct command *cmd);
enum apply_outcome apply_proposal_create(struct store *s, struct command *cmd);
enum apply_outcome apply_vote(struct store *s, struct command *cmd);
enum apply_outcome apply_cancel(struct store *s, struct command *cmd);
enum apply_outcome apply_execute(struct store *s, const treasury_verifier *v,
    struct command *cmd);
enum apply_outcome apply_settlement(struct store *s, struct command *cmd);
enum apply_outcome apply_veto(struct store *s, struct command *cmd);
enum apply_outcome apply_revoke(struct store *s, struct command *cmd);
enum apply_outcome apply_freeze(struct store *s, struct command *cmd);
enum apply_outcome apply_key_proof(struct store *s, struct command *cmd);

/* ---- the API platform (platform.c) ---- */

/* Before applying cmd, in its savepoint: look its Idempotency-Key up.
 * *handled is set when a record exists: then either the results are the
 * stored outcome (cmd->idem.replayed_out) and TREASURY_OK is returned, or
 * TREASURY_ERR_IDEMPOTENCY_MISMATCH (another request used the key) or a
 * database error; nothing is to be applied in either case. */
TREASURY_WARN_UNUSED treasury_err
idem_begin(struct store *s, struct command *cmd, bool *handled);

/* After a successful apply, in the same savepoint: write the record with
 * cmd's outcome (nothing when cmd has no key or failed). */
TREASURY_WARN_UNUSED treasury_err idem_end(struct store *s, struct command *cmd);

/* A token's insert / revocation and its journal entry (token.created,
 * token.revoked) inside the caller's transaction, by who (tokens.c; the
 * public store_token_insert / _revoke of storage.h are these in their own
 * transaction, without an actor). Same returns as those; *id (may be
 * NULL), the new token's id. */
TREASURY_WARN_UNUSED treasury_err
store_token_insert_by(struct store *s, const struct journal_who *who,
    const char *name, unsigned roles, const uint8_t hash[TOKEN_HASH_BYTES],
    int64_t *id);

/* Step the INSERT ... RETURNING <integer key> of statement i (bound),
 * then reset it and clear its bindings: *id is the new row's key, or 0
 * when the statement inserted nothing (its WHERE said no). Returns
 * TREASURY_OK or the mapped error (records.c). */
TREASURY_WARN_UNUSED treasury_err
store_stmt_insert(struct store *s, enum store_stmt i, int64_t *id);
TREASURY_WARN_UNUSED treasury_err
store_token_revoke_by(struct store *s, const struct journal_who *who,
    const char *name);

enum apply_outcome apply_token_create(struct store *s, struct command *cmd);
enum apply_outcome apply_token_revoke(struct store *s, struct command *cmd);
enum apply_outcome apply_maintenance(struct store *s, struct command *cmd);

/* ---- webhooks (webhooks.c) ---- */

enum apply_outcome apply_webhook_create(struct store *s, struct command *cmd);
/* issue #14, accounting categories (cmd_category.c) */
enum apply_outcome apply_category_create(struct store *s, struct command *cmd);
enum apply_outcome apply_category_set(struct store *s, struct command *cmd);
/* Is name (not "") a category of treasury of kind want? Else
 * TREASURY_ERR_UNKNOWN_CATEGORY or _CATEGORY_KIND with a detail naming
 * `field` in cmd, or a database error. */
TREASURY_WARN_UNUSED treasury_err
category_check(struct store *s, struct command *cmd, const char *field,
    const char *treasury, const char *name, enum category_kind want);
enum apply_outcome apply_webhook_update(struct store *s, struct command *cmd);
enum apply_outcome apply_webhook_results(struct store *s,
    struct command *cmd);

#endif
