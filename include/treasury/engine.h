/*
 * engine.h: the treasury engine's narrow interface to storage.
 *
 * Writes are commands: the api fills a struct command, hands it to the one
 * writer thread with writer_submit_async (a completion callback; the api
 * suspends the HTTP connection meanwhile) or writer_submit (blocking), and
 * gets the result once the group of commands it was committed with is
 * durable (synchronous=FULL). Reads are
 * queries on the calling thread's read-only store (store_* below).
 *
 * Division of work: the api validates input and verifies vote
 * signatures in request threads; the writer re-checks only cheap state
 * (existence, status, expiry, balances, that the verified key is still the
 * signer's key) inside its transaction, so nothing is ever half-applied.
 *
 * Amounts are amount_minor (unsigned 128-bit); in SQLite they are stored as
 * decimal TEXT of minor units and all arithmetic is done in C.
 */
#ifndef TREASURY_ENGINE_H
#define TREASURY_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "treasury/amount.h"
#include "treasury/error.h"
#include "treasury/hash.h"
#include "treasury/lifecycle.h"
#include "treasury/limits.h"
#include "treasury/proposal.h"
#include "treasury/sig.h"
#include "treasury/storage.h"

enum {
	REFERENCE_MAX_BYTES = 128,
	SOURCE_MAX_BYTES = 128,
	SETTLEMENT_MAX_BYTES = 128,
	ERR_DETAIL_BYTES = 256,
	WRITER_QUEUE_MAX = 4096,		/* commands waiting, then BUSY */
	WRITER_GROUP_MAX_COMMANDS = 256,	/* commands per commit */
	PAGE_LIMIT_DEFAULT = 50,
	PAGE_LIMIT_MAX = 500,
	IDEMPOTENCY_KEY_MAX_BYTES = 128,	/* printable ASCII, no space */
	IDEMPOTENCY_PATH_MAX_BYTES = 256,	/* POST paths are short */
	IDEMPOTENCY_RESPONSE_MAX_BYTES = 256 * 1024,	/* else re-rendered */
	EVENT_TYPE_MAX_BYTES = 32,
	EVENT_DATA_MAX_BYTES = 1024,
};

/* ---- records ---- */

struct asset {
	char code[ASSET_CODE_MAX_BYTES + 1];
	unsigned decimals;
	char chain[CHAIN_MAX_BYTES + 1];
	int64_t created_s;
};

struct signer {
	char name[SIGNER_NAME_MAX_BYTES + 1];
	struct signer_key key;
};

/* A treasury at one config version. */
struct treasury {
	char id[TREASURY_ID_MAX_BYTES + 1];
	char name[TREASURY_NAME_MAX_BYTES + 1];
	uint64_t config_version;
	unsigned threshold;
	unsigned signer_count;
	struct signer signers[SIGNERS_PER_TREASURY_MAX];
	int64_t created_s;
};

enum ledger_kind {
	LEDGER_DEPOSIT = 1,
	LEDGER_TRANSFER,	/* a debit by an executed transfer or batch */
};

struct ledger_entry {
	int64_t seq;				/* global, increasing */
	char treasury[TREASURY_ID_MAX_BYTES + 1];
	enum ledger_kind kind;
	char asset[ASSET_CODE_MAX_BYTES + 1];
	unsigned decimals;
	amount_minor amount;			/* > 0; debit for TRANSFER */
	amount_minor balance_after;
	char reference[REFERENCE_MAX_BYTES + 1];	/* deposits; else "" */
	char source[SOURCE_MAX_BYTES + 1];		/* deposits; may be "" */
	char to[DESTINATION_MAX_BYTES + 1];		/* transfers; else "" */
	char memo[MEMO_MAX_BYTES + 1];
	bool has_proposal;
	uint8_t proposal[PROPOSAL_ID_BYTES];	/* transfers */
	int64_t created_s;
};

struct balance {
	char asset[ASSET_CODE_MAX_BYTES + 1];
	unsigned decimals;
	amount_minor amount;
};

struct vote_record {
	char signer[SIGNER_NAME_MAX_BYTES + 1];
	enum vote_decision decision;
	uint8_t signature[SIG_DER_MAX_BYTES];
	size_t signature_len;
	int64_t created_s;
};

/* A proposal as stored. status is the effective status at the `now_s`
 * given to the query: a pending or approved proposal whose expiry has
 * passed reads as STATUS_EXPIRED. */
struct proposal_record {
	uint8_t id[PROPOSAL_ID_BYTES];
	char treasury[TREASURY_ID_MAX_BYTES + 1];
	uint64_t nonce;
	uint64_t config_version;
	enum proposal_kind kind;
	enum proposal_status status;
	char *canonical;		/* malloc'd, NUL-terminated */
	size_t canonical_len;
	int64_t proposer_token_id;
	int64_t created_s;
	int64_t expires_s;
	int64_t executed_s;		/* 0 if not executed */
	unsigned threshold;		/* approvals it needs: M of its config
					 * version, + 1 for a config change
					 * when the policy says M + 1 */
	unsigned signer_count;		/* N of its config version */
	unsigned vote_count;
	struct vote_record votes[SIGNERS_PER_TREASURY_MAX];	/* by time */
	char settlement[SETTLEMENT_MAX_BYTES + 1];	/* "" if none */
	int64_t settled_s;
};

/* Free rec->canonical. */
void proposal_record_free(struct proposal_record *rec);

/* ---- commands ---- */

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
	CMD_IDEMPOTENCY_RESPONSE,	/* store a first response's text */
	CMD_VETO,		/* policies.md §1: in.vote (decision unused) */
	CMD_REVOKE,		/* policies.md §8: in.vote (decision unused) */
	CMD_FREEZE,		/* policies.md §5: in.freeze */
	CMD_KEY_PROOF,		/* policies.md §6: in.vote (proposal, signature) */
};

/* The Idempotency-Key of a POST (docs/api.md "Idempotency"). When
 * `present`, the writer looks (token_id, key) up inside the command's
 * transaction before applying it: a record for another request is
 * TREASURY_ERR_IDEMPOTENCY_MISMATCH; one for the same request fills the
 * results from the stored outcome and applies nothing (`replayed_out`);
 * no record: the command is applied and, when it succeeds, the record
 * with its outcome is written in the same savepoint. */
struct command_idempotency {
	bool present;
	int64_t token_id;
	char key[IDEMPOTENCY_KEY_MAX_BYTES + 1];
	char method[8];
	char path[IDEMPOTENCY_PATH_MAX_BYTES + 1];
	uint8_t body_sha256[32];
	bool replayed_out;		/* result: answered from the record */
};

struct command {
	enum command_type type;
	int64_t now_s;			/* the request's clock */
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
		} deposit;
		struct {
			/* all fields but instance, config_version and nonce,
			 * which the writer assigns; for config kinds also
			 * threshold_after and signers_after, which the writer
			 * computes from the current config. Heap-allocated by
			 * the caller (it is large); not freed by the writer. */
			struct proposal_fields *fields;
			int64_t proposer_token_id;
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
		} maintenance;
		struct {
			int64_t token_id;
			char key[IDEMPOTENCY_KEY_MAX_BYTES + 1];
			unsigned status;
			char *body;	/* heap, NUL-terminated; caller frees */
		} idempotency_response;
	} in;
	struct command_idempotency idem;
	/* CMD_TREASURY_CREATE: the initial policy (docs/policies.md §9), NULL for the
	 * empty one; heap, owned by the caller, normalised by the writer */
	struct treasury_policy *policy;

	/* results, valid after writer_submit returns (or in the callback
	 * of writer_submit_async) */
	treasury_err err;
	char detail[ERR_DETAIL_BYTES];	/* names the field or state at fault */
	bool replayed;			/* idempotent repeat: nothing changed */
	int64_t ledger_seq;		/* CMD_DEPOSIT: the (first) entry */
	uint8_t proposal_id[PROPOSAL_ID_BYTES];	/* CMD_PROPOSAL_CREATE */
	enum proposal_status status;	/* vote/cancel/execute: status after */
	/* CMD_VOTE answered TREASURY_OK (recorded or replayed): the counts
	 * after it, in the same transaction */
	unsigned approvals;
	unsigned rejections;
	int64_t token_id;		/* CMD_TOKEN_CREATE: the new token */
	unsigned expired;		/* CMD_MAINTENANCE: proposals expired */
	unsigned purged;		/* CMD_MAINTENANCE: records purged */
	unsigned vetoes;		/* CMD_VETO: distinct vetoes after it */
	unsigned veto_threshold;	/* CMD_VETO: vetoes that cancel it */

	/* writer-private */
	struct command *next_;
	void (*done_fn_)(struct command *, void *);
	void *done_arg_;
};

struct writer;

/* Open the database (read-write, must exist and be migrated already by a
 * store_open in STORE_READ_WRITE_CREATE mode) and start the writer thread.
 * Returns TREASURY_OK, or the store_open error with errmsg filled. */
TREASURY_WARN_UNUSED treasury_err
writer_start(const char *db_path, const treasury_verifier *v,
    struct writer **out, char errmsg[STORE_ERRMSG_BYTES]);

/* Queue cmd; done(cmd, arg) is called exactly once with the results:
 * by the writer thread after cmd's group is committed (or failed), or, for
 * a refusal (TREASURY_ERR_BUSY, _SHUTTING_DOWN below), on the calling
 * thread before writer_submit_async returns. Until then cmd belongs to the
 * writer: the caller must not touch or free it. done runs without any
 * writer lock held, must not block for long (it delays the next group)
 * and may free cmd. Thread-safe. */
void writer_submit_async(struct writer *w, struct command *cmd,
    void (*done)(struct command *, void *), void *arg);

/* writer_submit_async, then block until done ran (each caller waits on
 * its own semaphore: no caller is woken for another's group).
 * Thread-safe. Always returns cmd->err:
 *   TREASURY_OK, a domain error (cmd->detail says why, nothing changed),
 *   TREASURY_ERR_BUSY when WRITER_QUEUE_MAX commands are waiting,
 *   TREASURY_ERR_SHUTTING_DOWN after writer_stop began,
 *   TREASURY_ERR_DB when the commit failed (nothing of the group applied). */
treasury_err writer_submit(struct writer *w, struct command *cmd);

/* Liveness, for the daemon's watchdog: how many milliseconds the writer
 * has had work (commands queued or a group being applied) without taking
 * or finishing a group; 0 when it is idle or keeping up. Thread-safe;
 * takes only the queue lock, never waits for a commit. */
uint64_t writer_stalled_ms(struct writer *w);

/* Call fn(arg) on the writer thread after every successful COMMIT (the
 * events table may have grown: api/events.c wakes its SSE streams). fn
 * must not block. Thread-safe; one hook, replaced by a later call. */
void writer_commit_hook_set(struct writer *w, void (*fn)(void *), void *arg);

enum {
	WRITER_GROUP_BUCKETS = 9,	/* group sizes <= 1, 2, 4, ... 256 */
	WRITER_COMMIT_BUCKETS = 10,	/* see writer_commit_bucket_us */
};

/* Upper bounds (microseconds) of the COMMIT-time histogram buckets. */
extern const uint64_t writer_commit_bucket_us[WRITER_COMMIT_BUCKETS];

/* Counters for /v1/metrics, read without stopping the writer (each field
 * is read atomically; the set is not one snapshot). Buckets are not
 * cumulative here. */
struct writer_stats {
	unsigned queued;		/* commands waiting now */
	uint64_t groups;		/* groups committed or failed */
	uint64_t commands;
	uint64_t group_size_buckets[WRITER_GROUP_BUCKETS + 1]; /* +Inf */
	uint64_t commit_buckets[WRITER_COMMIT_BUCKETS + 1];	/* +Inf */
	uint64_t commit_us_sum;		/* time in COMMIT (fsync), total */
};

void writer_stats_get(struct writer *w, struct writer_stats *out);

/* Refuse new commands, commit what is queued, stop the thread, close. */
void writer_stop(struct writer *w);

/* ---- queries on a reader store (any struct store) ---- */

/* Open a read snapshot on s (a deferred BEGIN): every query until
 * store_read_end sees one committed state, and pays for one WAL read
 * transaction instead of one per statement. Queries run inside join it.
 * Nothing the writer commits after the snapshot began is visible in it:
 * end it before waiting for a command. Returns TREASURY_OK or a database
 * error (then no snapshot is open). */
TREASURY_WARN_UNUSED treasury_err store_read_begin(struct store *s);

/* End the snapshot store_read_begin opened; nothing when none is open. */
void store_read_end(struct store *s);

/* PRAGMA data_version of s: it changes when any other connection, in this
 * process or another, has committed since s last looked (inside a
 * snapshot: as of the snapshot). For caches of rows read through s.
 * Returns TREASURY_OK or a database error. */
TREASURY_WARN_UNUSED treasury_err
store_data_version(struct store *s, int64_t *out);

/* What POST /v1/proposals/{id}/votes needs before it verifies the
 * signature, read in one snapshot by point reads (the proposal's head and
 * the one signer's row, not every signer or vote). */
struct vote_context {
	char treasury[TREASURY_ID_MAX_BYTES + 1];
	uint64_t config_version;
	unsigned threshold;		/* M of its config version */
	unsigned signer_count;		/* N of its config version */
	enum proposal_status status;	/* effective at now_s */
	bool signer_found;		/* signer is in that config version */
	struct signer_key key;		/* the signer's key, when found */
};

/* Returns TREASURY_OK (signer_found says whether `signer` is one),
 * TREASURY_ERR_UNKNOWN_PROPOSAL or a database error. */
TREASURY_WARN_UNUSED treasury_err
store_vote_context(struct store *s, const uint8_t id[PROPOSAL_ID_BYTES],
    const char *signer, int64_t now_s, struct vote_context *out);

/* Returns TREASURY_OK or TREASURY_ERR_UNKNOWN_ASSET (exact code match). */
TREASURY_WARN_UNUSED treasury_err
store_asset_get(struct store *s, const char *code, struct asset *out);

/* Assets in code order. fn returning non-zero stops the walk. */
TREASURY_WARN_UNUSED treasury_err
store_assets_list(struct store *s, int (*fn)(const struct asset *, void *),
    void *ctx);

/* The treasury at its current config version.
 * Returns TREASURY_OK or TREASURY_ERR_UNKNOWN_TREASURY. */
TREASURY_WARN_UNUSED treasury_err
store_treasury_get(struct store *s, const char *id, struct treasury *out);

/* The treasury's signer set and threshold at an older or current version.
 * Returns TREASURY_OK or TREASURY_ERR_UNKNOWN_TREASURY. */
TREASURY_WARN_UNUSED treasury_err
store_treasury_at_version(struct store *s, const char *id, uint64_t version,
    struct treasury *out);

/* Treasuries in id order after `after_id` ("" = from the start), at most
 * limit; *more is set when further rows exist. */
TREASURY_WARN_UNUSED treasury_err
store_treasuries_page(struct store *s, const char *after_id, unsigned limit,
    int (*fn)(const struct treasury *, void *), void *ctx, bool *more);

/* Balances of a treasury in asset code order, only assets ever credited.
 * Returns TREASURY_OK or TREASURY_ERR_UNKNOWN_TREASURY. */
TREASURY_WARN_UNUSED treasury_err
store_balances(struct store *s, const char *treasury,
    int (*fn)(const struct balance *, void *), void *ctx);

/* Ledger entries of a treasury with seq > after_seq in seq order (newest
 * last), at most limit; *more is set when further entries exist.
 * Returns TREASURY_OK or TREASURY_ERR_UNKNOWN_TREASURY. */
TREASURY_WARN_UNUSED treasury_err
store_ledger_page(struct store *s, const char *treasury, int64_t after_seq,
    unsigned limit, int (*fn)(const struct ledger_entry *, void *), void *ctx,
    bool *more);

/* Proposals of a treasury with nonce > after_nonce in nonce order, at most
 * limit, filtered by effective status at now_s when status != 0. Records
 * are freed by the walker after fn returns (fn must copy what it keeps).
 * Returns TREASURY_OK or TREASURY_ERR_UNKNOWN_TREASURY. */
TREASURY_WARN_UNUSED treasury_err
store_proposals_page(struct store *s, const char *treasury,
    enum proposal_status status, uint64_t after_nonce, unsigned limit,
    int64_t now_s, int (*fn)(const struct proposal_record *, void *),
    void *ctx, bool *more);

/* One proposal with its votes, effective status at now_s. The caller
 * frees with proposal_record_free.
 * Returns TREASURY_OK or TREASURY_ERR_UNKNOWN_PROPOSAL. */
TREASURY_WARN_UNUSED treasury_err
store_proposal_get(struct store *s, const uint8_t id[PROPOSAL_ID_BYTES],
    int64_t now_s, struct proposal_record *out);

/* A treasury's current policy (storage/cmd_policy.c, docs/policies.md). */
struct policy_view {
	uint64_t config_version;
	unsigned threshold;		/* M */
	unsigned signer_count;		/* N */
	struct treasury_policy policy;
	char *text;			/* malloc'd policy lines */
	uint8_t digest[DIGEST_BYTES];
	bool frozen;
	uint64_t freeze_seq;
	int64_t frozen_at_s;		/* 0 when not frozen */
};

/* Returns TREASURY_OK (free out->text), TREASURY_ERR_UNKNOWN_TREASURY,
 * _DB_CORRUPT or a database error. out is large: heap-allocate it. */
TREASURY_WARN_UNUSED treasury_err
store_policy_get(struct store *s, const char *treasury,
    struct policy_view *out);

/* The executed transfer outflow of asset from treasury in each window
 * (policy_window_contains) at now_s, each sum saturating at
 * AMOUNT_MINOR_MAX. Returns TREASURY_OK or a database error. */
TREASURY_WARN_UNUSED treasury_err
store_outflow(struct store *s, const char *treasury, const char *asset,
    int64_t now_s, amount_minor out[POLICY_WINDOWS]);

/* A signed act on a proposal other than a vote (a veto, a revocation). */
struct signed_act {
	char signer[SIGNER_NAME_MAX_BYTES + 1];
	uint8_t signature[SIG_DER_MAX_BYTES];
	size_t signature_len;
};

/* What the policy makes of a proposal (GET /v1/proposals/{id}). */
struct proposal_policy_view {
	unsigned required;		/* base threshold: M or M + 1 */
	int64_t approved_s;		/* 0 unless approved or executed */
	int64_t executable_s;		/* 0 unless approved_s */
	bool vetoes_apply;		/* its track has a delay */
	unsigned veto_threshold;
	unsigned veto_count;
	struct signed_act vetoes[SIGNERS_PER_TREASURY_MAX];
	unsigned revocation_count;
	struct signed_act revocations[SIGNERS_PER_TREASURY_MAX];
	bool key_proof;			/* add-/replace-signer: proved */
};

/* For proposal id whose config version has n signers and base threshold
 * `base` (proposal_record.threshold). Returns TREASURY_OK,
 * TREASURY_ERR_UNKNOWN_PROPOSAL, _DB_CORRUPT or a database error. */
TREASURY_WARN_UNUSED treasury_err
store_proposal_policy(struct store *s, const uint8_t id[PROPOSAL_ID_BYTES],
    unsigned base, unsigned n, struct proposal_policy_view *out);

/* ---- platform queries (storage/platform.c) ---- */

/* An idempotency record (schema 3). response_body is malloc'd or NULL
 * when the first response was not stored (yet); free it. */
struct idempotency_record {
	char method[8];
	char path[IDEMPOTENCY_PATH_MAX_BYTES + 1];
	uint8_t body_sha256[32];
	int64_t created_s;
	unsigned response_status;	/* 0 when not stored */
	char *response_body;
};

/* Returns TREASURY_OK, TREASURY_ERR_NOT_FOUND or a database error. */
TREASURY_WARN_UNUSED treasury_err
store_idempotency_get(struct store *s, int64_t token_id, const char *key,
    struct idempotency_record *out);

struct event_record {
	int64_t id;
	char type[EVENT_TYPE_MAX_BYTES + 1];
	char data[EVENT_DATA_MAX_BYTES + 1];	/* a JSON object */
	int64_t created_s;
};

/* Events with id > after_id in id order, at most limit; *more is set
 * when further events exist. */
TREASURY_WARN_UNUSED treasury_err
store_events_page(struct store *s, int64_t after_id, unsigned limit,
    int (*fn)(const struct event_record *, void *), void *ctx, bool *more);

/* Live tokens with id > after_id in id order, at most limit. */
TREASURY_WARN_UNUSED treasury_err
store_tokens_page(struct store *s, int64_t after_id, unsigned limit,
    int (*fn)(const struct token_info *, void *), void *ctx, bool *more);

/* Stored proposal statuses and how many proposals have each. */
TREASURY_WARN_UNUSED treasury_err
store_proposal_status_counts(struct store *s,
    int (*fn)(const char *status, int64_t count, void *), void *ctx);

/* One ledger entry by seq. Returns TREASURY_OK or TREASURY_ERR_NOT_FOUND. */
TREASURY_WARN_UNUSED treasury_err
store_ledger_entry_get(struct store *s, int64_t seq, struct ledger_entry *out);

#endif
