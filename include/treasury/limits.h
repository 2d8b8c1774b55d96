/*
 * limits.h: every size and count limit of treasuryd in one place.
 *
 * Units are at the end of each name. A limit that an operator may tune
 * lives in the daemon's option table (daemon/config.c) instead; these are
 * the fixed ones that the signing contract or the schema depends on.
 */
#ifndef TREASURY_LIMITS_H
#define TREASURY_LIMITS_H

enum {
	TREASURY_ID_MAX_BYTES = 32,		/* [a-z0-9][a-z0-9_-]{0,31} */
	SIGNER_NAME_MAX_BYTES = 32,		/* same charset as treasury ids */
	ASSET_CODE_MAX_BYTES = 32,		/* [A-Za-z0-9][A-Za-z0-9._-]{0,31} */
	ASSET_DECIMALS_MAX = 18,
	CHAIN_MAX_BYTES = 32,			/* [a-z0-9._-]{1,32} */
	TREASURY_NAME_MAX_BYTES = 128,		/* UTF-8, memo rules */
	AMOUNT_TEXT_MAX_BYTES = 80,		/* decimal text accepted on input */
	AMOUNT_FORMAT_MAX_BYTES = 64,		/* 39 digits + '.' + 18 + NUL fits */
	DESTINATION_MAX_BYTES = 128,
	MEMO_MAX_BYTES = 256,
	TIMESTAMP_BYTES = 20,			/* YYYY-MM-DDTHH:MM:SSZ, no NUL */
	INSTANCE_ID_BYTES = 32,
	PROPOSAL_ID_BYTES = 32,
	DIGEST_BYTES = 32,
	SIGNERS_PER_TREASURY_MAX = 32,
	BATCH_TRANSFERS_MAX = 64,
	CANONICAL_MAX_BYTES = 64 * 1024,	/* largest canonical proposal text */
	TOKEN_NAME_MAX_BYTES = 64,
	TOKEN_SECRET_BYTES = 32,		/* random bytes behind a token */
	TOKEN_TEXT_BYTES = 4 + 64,		/* "trd_" + 64 hex, no NUL */
	TOKENS_MAX = 10000,			/* live tokens per database */
	/* accounting (docs/accounting.md) */
	CATEGORY_NAME_MAX_BYTES = 32,		/* same charset as treasury ids */
	CATEGORIES_PER_TREASURY_MAX = 256,
	CATEGORY_HISTORY_MAX = 1000,		/* changes shown per entry */
	BUDGETS_PER_TREASURY_MAX = 256,
};

/* Expiry window of a proposal, seconds from now. */
#define PROPOSAL_EXPIRY_MIN_S (60LL)
#define PROPOSAL_EXPIRY_MAX_S (90LL * 24 * 3600)
#define PROPOSAL_EXPIRY_DEFAULT_S (7LL * 24 * 3600)

#endif
