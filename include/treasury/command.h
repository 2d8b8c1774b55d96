/*
 * command.h: a write to the treasury engine: the command the api fills, its
 * inputs and, once the writer has run it (writer.h), its results.
 */
#ifndef TREASURY_COMMAND_H
#define TREASURY_COMMAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "treasury/amount.h"
#include "treasury/calendar.h"
#include "treasury/error.h"
#include "treasury/price.h"
#include "treasury/policy.h"
#include "treasury/records.h"
#include "treasury/storage.h"
#include "treasury/webhook.h"

enum {
	ERR_DETAIL_BYTES = 256,
};

enum command_type {
	CMD_ASSET_CREATE = 1,
	CMD_TREASURY_CREATE,
	CMD_DEPOSIT,
	CMD_PROPOSAL_CREATE,
	CMD_VOTE,
	CMD_CANCEL,
	CMD_EXECUTE,
	CMD_SETTLEMENT,
	CMD_TOKEN_CREATE,		/* POST /v1/tokens */
	CMD_TOKEN_REVOKE,		/* POST /v1/tokens/{name}/revoke */
	CMD_MAINTENANCE,		/* the daemon's cron: expiry sweep, purge */
	CMD_VETO,		/* issue #8: in.vote (decision unused) */
	CMD_REVOKE,		/* issue #8: in.vote (decision unused) */
	CMD_FREEZE,		/* issue #8: in.freeze */
	CMD_KEY_PROOF,		/* issue #8: in.vote (proposal, signature) */
	/* issue #13, webhooks (storage/webhooks.c, docs/webhooks.md) */
	CMD_WEBHOOK_CREATE,	/* in.webhook_create */
	CMD_WEBHOOK_UPDATE,	/* in.webhook_update */
	CMD_WEBHOOK_RESULTS,	/* in.webhook_results: delivery outcomes */
	/* issue #14, accounting (storage/cmd_category.c) */
	CMD_CATEGORY_CREATE,	/* in.category_create */
	CMD_CATEGORY_SET,	/* in.category_set: a correction */
	/* issue #14, budgets (storage/budget.c, docs/api.md "Budgets") */
	CMD_BUDGET_SET,		/* in.budget */
	CMD_BUDGET_DELETE,	/* in.budget (category, period) */
	CMD_PRICE_SET,		/* in.price (issue #14 §9, storage/prices.c) */
};

struct command;
struct store;

/* ---- webhooks (issue #13) ---- */

/* A new endpoint, checked by the api (URL, allowlist, filter). Heap,
 * owned by the caller. */
struct webhook_spec {
	char url[WEBHOOK_URL_MAX_BYTES + 1];
	/* "" for every type, else ",type,type," (sorted, no duplicate) */
	char events[WEBHOOK_EVENTS_TEXT_MAX_BYTES];
	char treasury[TREASURY_ID_MAX_BYTES + 1];	/* "" = every one */
	uint8_t secret[WEBHOOK_SECRET_BYTES];
};

enum webhook_op {
	WEBHOOK_OP_ENABLE = 1,
	WEBHOOK_OP_DISABLE,
	WEBHOOK_OP_DELETE,	/* with its outbox and deliveries log */
	WEBHOOK_OP_ROTATE,	/* secret */
	WEBHOOK_OP_REDELIVER,	/* seq_from..seq_to back to pending */
};

/* One delivery attempt, as the delivery thread saw it. */
struct webhook_result {
	int64_t webhook_id;
	int64_t seq;
	unsigned attempt;		/* 1 = the first */
	int64_t at_ms;			/* wall clock, when it was made */
	unsigned http_status;		/* 0: no answer (error says why) */
	char error[128];		/* "" when an HTTP status came */
	bool delivered;			/* a 2xx */
	int64_t next_ms;		/* when not delivered: next attempt
					 * (wall ms); ignored when dead */
	bool dead;			/* attempt was the last one */
};

enum { WEBHOOK_RESULTS_MAX = 64 };	/* per command */

struct webhook_results {
	unsigned count;
	struct webhook_result r[WEBHOOK_RESULTS_MAX];
};

/* The Idempotency-Key of a POST (docs/api.md "Idempotency"). When
 * `present`, the writer looks (token_id, key) up inside the command's
 * transaction before applying it: a record for another request is
 * TREASURY_ERR_IDEMPOTENCY_MISMATCH; one for the same request fills the
 * results from the stored outcome and applies nothing (`replayed_out`);
 * no record: the command is applied and, when it succeeds, the record
 * with its outcome is written in the same savepoint, with the answer
 * `render` gives (if any), so the answer is stored in the same
 * transaction as the effect. */
struct command_idempotency {
	bool present;
	int64_t token_id;
	char key[IDEMPOTENCY_KEY_MAX_BYTES + 1];
	/* what decides "the same request": opaque here, made by the api
	 * (hash.h idempotency_fingerprint) */
	uint8_t fingerprint[IDEMPOTENCY_FINGERPRINT_BYTES];
	/* NULL, or called by the writer thread in the command's savepoint
	 * once the command succeeded; s is the writer's store (it sees the
	 * effect, read only). True with *status (2xx) and *body (malloc'd
	 * text, at most IDEMPOTENCY_RESPONSE_MAX_BYTES; the writer frees
	 * it) to store with the record; false to store none (a repeat is
	 * then answered from the outcome). Storage reads nothing else. */
	bool (*render)(struct store *s, struct command *cmd, void *ctx,
	    unsigned *status, char **body);
	void *render_ctx;
	bool replayed_out;		/* result: answered from the record */
};

/* ---- results, one struct per command (struct command, out) ---- */

struct deposit_result {
	int64_t ledger_seq;		/* the (first) ledger entry */
};

struct proposal_create_result {
	uint8_t id[PROPOSAL_ID_BYTES];
	enum proposal_status status;	/* STATUS_PENDING */
};

/* CMD_CANCEL, CMD_EXECUTE, CMD_SETTLEMENT, CMD_KEY_PROOF. */
struct proposal_act_result {
	enum proposal_status status;	/* the proposal's, after the act */
};

/* CMD_VOTE and CMD_REVOKE. */
struct vote_result {
	enum proposal_status status;	/* the proposal's, after the act */
	/* answered TREASURY_OK (recorded or replayed): the counts after
	 * it, in the same transaction */
	unsigned approvals;
	unsigned rejections;
};

struct veto_result {
	enum proposal_status status;	/* the proposal's, after the veto */
	unsigned vetoes;		/* distinct vetoes after it */
	unsigned veto_threshold;	/* vetoes that cancel it */
};

struct token_create_result {
	int64_t token_id;		/* the new token */
};

enum {
	/* proposals one maintenance command (one writer transaction)
	 * expires at most; the daemon submits another, behind whatever
	 * was queued meanwhile, while `more` says the batch was full */
	MAINTENANCE_EXPIRE_BATCH_MAX = 500,
};

struct maintenance_result {
	unsigned expired;		/* proposals expired, at most
					 * MAINTENANCE_EXPIRE_BATCH_MAX */
	bool more;			/* more may be due: submit again */
	unsigned purged;		/* idempotency records purged */
	unsigned webhook_dead_purged;	/* dead outbox rows purged */
};

struct command {
	enum command_type type;
	int64_t now_s;			/* the request's clock */
	/* the name of the token that authenticated the request: the actor of
	 * the journal entries the command appends (journal.h); "" for the
	 * daemon's own commands (the cron's maintenance) */
	char actor_token[TOKEN_NAME_MAX_BYTES + 1];
	union {
		struct asset asset_create;	/* created_s ignored */
		struct treasury treasury_create; /* config_version ignored */
		struct {
			char treasury[TREASURY_ID_MAX_BYTES + 1];
			char asset[ASSET_CODE_MAX_BYTES + 1];
			amount_minor amount;	/* > 0 */
			char reference[REFERENCE_MAX_BYTES + 1];
			char source[SOURCE_MAX_BYTES + 1];
			char memo[MEMO_MAX_BYTES + 1];
			/* accounting label ("" = none): an income category
			 * of the treasury, checked by the writer */
			char category[CATEGORY_NAME_MAX_BYTES + 1];
		} deposit;
		struct {
			/* all fields but instance, config_version and nonce,
			 * which the writer assigns; for config kinds also
			 * threshold_after and signers_after, which the writer
			 * computes from the current config. Heap-allocated by
			 * the caller (it is large); not freed by the writer. */
			struct proposal_fields *fields;
			int64_t proposer_token_id;
			/* the transfers' accounting labels (expense
			 * categories, not signed), or NULL for none; heap,
			 * caller's, like fields */
			struct proposal_categories *categories;
		} proposal_create;
		struct {
			uint8_t proposal[PROPOSAL_ID_BYTES];
			char signer[SIGNER_NAME_MAX_BYTES + 1];
			enum vote_decision decision;
			uint8_t signature[SIG_DER_MAX_BYTES];
			size_t signature_len;
			/* the key the caller verified the signature with; the
			 * writer refuses the vote unless it is still the signer's
			 * key at the proposal's config version */
			struct signer_key verified_key;
			uint64_t verified_config_version;
		} vote;
		struct {
			uint8_t proposal[PROPOSAL_ID_BYTES];
			int64_t token_id;
		} cancel;
		struct {
			/* a freeze request (policy.h), verified by the caller
			 * with verified_key, the signer's key at
			 * verified_config_version, which must still be the
			 * treasury's current version */
			char treasury[TREASURY_ID_MAX_BYTES + 1];
			char signer[SIGNER_NAME_MAX_BYTES + 1];
			uint64_t seq;
			uint8_t signature[SIG_DER_MAX_BYTES];
			size_t signature_len;
			struct signer_key verified_key;
			uint64_t verified_config_version;
		} freeze;
		struct {
			uint8_t proposal[PROPOSAL_ID_BYTES];
		} execute;
		struct {
			uint8_t proposal[PROPOSAL_ID_BYTES];
			char reference[SETTLEMENT_MAX_BYTES + 1];
		} settlement;
		struct {
			char name[TOKEN_NAME_MAX_BYTES + 1];
			unsigned roles;
			uint8_t hash[TOKEN_HASH_BYTES];	/* of the new token */
		} token_create;
		struct {
			char name[TOKEN_NAME_MAX_BYTES + 1];
		} token_revoke;
		struct {
			/* idempotency records created before this go */
			int64_t idempotency_before_s;
			/* dead webhook outbox rows that died before this
			 * (wall ms) go; 0: none this time (the scan is
			 * done about hourly, not every second) */
			int64_t webhook_dead_before_ms;
		} maintenance;
		struct {
			struct webhook_spec *spec;	/* heap, caller's */
		} webhook_create;
		struct {
			int64_t id;
			enum webhook_op op;
			uint8_t secret[WEBHOOK_SECRET_BYTES];	/* ROTATE */
			int64_t seq_from, seq_to;		/* REDELIVER */
		} webhook_update;
		struct {
			char treasury[TREASURY_ID_MAX_BYTES + 1];
			/* an expense category of the treasury, checked by
			 * the writer */
			char category[CATEGORY_NAME_MAX_BYTES + 1];
			enum calendar_period period;	/* MONTH or QUARTER */
			char asset[ASSET_CODE_MAX_BYTES + 1];	/* SET only */
			amount_minor amount;	/* SET only: > 0 */
		} budget;
		struct {
			char asset[ASSET_CODE_MAX_BYTES + 1];	/* registered */
			char unit[PRICE_UNIT_MAX_BYTES + 1];	/* checked */
			int64_t day;		/* UTC day (days since 1970) */
			/* price_text_normalise's form */
			char price[PRICE_TEXT_MAX_BYTES + 1];
		} price;
		struct {
			/* heap, caller's; results of unknown (deleted)
			 * endpoints or rows are ignored */
			struct webhook_results *results;
		} webhook_results;
		struct {
			char treasury[TREASURY_ID_MAX_BYTES + 1];
			char name[CATEGORY_NAME_MAX_BYTES + 1];
			enum category_kind kind;
		} category_create;
		struct {
			/* a ledger entry (ledger_seq > 0, of treasury) or a
			 * proposal's transfer (ledger_seq 0: proposal, item) */
			char treasury[TREASURY_ID_MAX_BYTES + 1];
			int64_t ledger_seq;
			uint8_t proposal[PROPOSAL_ID_BYTES];
			unsigned item;
			char category[CATEGORY_NAME_MAX_BYTES + 1]; /* "" none */
		} category_set;
	} in;
	struct command_idempotency idem;
	/* CMD_TREASURY_CREATE: the initial policy (issue #8), NULL for the
	 * empty one; heap, owned by the caller, normalised by the writer */
	struct treasury_policy *policy;

	/* results, valid after writer_submit returns (or in the callback
	 * of writer_submit_async); the writer zeroes them first */
	treasury_err err;
	char detail[ERR_DETAIL_BYTES];	/* names the field or state at fault */
	bool replayed;			/* idempotent repeat: nothing changed */
	union {				/* by type; the others have none */
		struct deposit_result deposit;
		struct proposal_create_result proposal_create;
		struct vote_result vote;
		struct proposal_act_result cancel;
		struct proposal_act_result execute;
		struct proposal_act_result settlement;
		struct veto_result veto;
		struct vote_result revoke;
		struct proposal_act_result key_proof;
		struct token_create_result token_create;
		struct maintenance_result maintenance;
		struct {
			int64_t id;		/* the new endpoint */
		} webhook_create;
		struct {
			unsigned count;		/* REDELIVER: entries queued */
		} webhook_update;
		struct {
			bool existed;		/* same name and kind: 200 */
			int64_t created_s;	/* the category's */
		} category_create;
		struct {
			bool changed;		/* false: already that value */
		} category_set;
		struct {
			bool replaced;		/* SET: an existing budget */
		} budget;
		struct {
			bool replaced;		/* an existing day's price */
		} price;
	} out;

	/* writer-private */
	struct command *next_;
	void (*done_fn_)(struct command *, void *);
	void *done_arg_;
};

#endif
