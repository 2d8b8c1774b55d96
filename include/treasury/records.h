/*
 * records.h: the engine's rows as the store gives them back: assets, treasuries
 * and their signers, ledger entries, balances, proposals with their votes,
 * idempotency records and events. Filled by the queries (queries.h).
 */
#ifndef TREASURY_RECORDS_H
#define TREASURY_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "treasury/amount.h"
#include "treasury/lifecycle.h"
#include "treasury/limits.h"
#include "treasury/proposal.h"
#include "treasury/sig.h"

enum {
	REFERENCE_MAX_BYTES = 128,
	SOURCE_MAX_BYTES = 128,
	SETTLEMENT_MAX_BYTES = 128,
	IDEMPOTENCY_KEY_MAX_BYTES = 128,	/* printable ASCII, no space */
	IDEMPOTENCY_FINGERPRINT_BYTES = 32,	/* opaque request fingerprint */
	IDEMPOTENCY_RESPONSE_MAX_BYTES = 256 * 1024,	/* else re-rendered */
	/* an event is a journal entry (journal.h): its type and payload */
	EVENT_TYPE_MAX_BYTES = 40,
	EVENT_DATA_MAX_BYTES = 32768,
};

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
	/* the freeze state (docs/policies.md §5) */
	bool frozen;
	uint64_t freeze_seq;		/* the last freeze number, 0 if none */
	int64_t frozen_at_s;		/* when frozen; 0 when not */
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
	/* accounting label, not signed; "" = uncategorised */
	char category[CATEGORY_NAME_MAX_BYTES + 1];
};

/* An accounting category of a treasury (issue #14): a label, not
 * signed. */
enum category_kind {
	CATEGORY_EXPENSE = 1,	/* for transfers */
	CATEGORY_INCOME,	/* for deposits */
};

struct category {
	char name[CATEGORY_NAME_MAX_BYTES + 1];
	enum category_kind kind;
	int64_t created_s;
};

/* One change of a ledger entry's category; "" = none. */
struct category_change {
	char previous[CATEGORY_NAME_MAX_BYTES + 1];
	char category[CATEGORY_NAME_MAX_BYTES + 1];
	char actor[TOKEN_NAME_MAX_BYTES + 1];
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

/* The accounting labels of a proposal's transfers (schema 10): item[i]
 * is transfer i's category, "" when it has none. */
struct proposal_categories {
	char item[BATCH_TRANSFERS_MAX][CATEGORY_NAME_MAX_BYTES + 1];
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
	/* transfer and batch: the number of transfers and their accounting
	 * labels (issue #14; not signed, not in canonical); 0 otherwise */
	unsigned transfer_count;
	struct proposal_categories categories;
};

/* Free rec->canonical. */
void proposal_record_free(struct proposal_record *rec);

/* An idempotency record (schema 5). response_body is malloc'd or NULL
 * when the first response was not stored; free it. */
struct idempotency_record {
	uint8_t fingerprint[IDEMPOTENCY_FINGERPRINT_BYTES];
	int64_t created_s;
	unsigned response_status;	/* 0 when not stored */
	char *response_body;
};

struct event_record {
	int64_t id;
	char type[EVENT_TYPE_MAX_BYTES + 1];
	char data[EVENT_DATA_MAX_BYTES + 1];	/* a JSON object */
	int64_t created_s;
};

#endif
