/*
 * error.h: the one error enum of treasuryd, shared by core, storage, api
 * and daemon.
 *
 * Every failure a function can report is one of these codes. Each code has
 * a stable lowercase name (used as the last part of the problem "type" URI
 * in HTTP errors and in log lines) and a one-line English description.
 * Add new codes at the end of their group; never renumber in a release.
 */
#ifndef TREASURY_ERROR_H
#define TREASURY_ERROR_H

#define TREASURY_WARN_UNUSED __attribute__((warn_unused_result))

/* X(ENUM_SUFFIX, "stable-name", "description") */
#define TREASURY_ERRORS(X)						\
	X(OK, "ok", "success")						\
	X(NOMEM, "out-of-memory", "out of memory")			\
	X(INTERNAL, "internal", "internal error")			\
	X(TOO_LARGE, "too-large", "value exceeds its size limit")	\
	X(HEX_CHAR, "hex-char", "invalid hexadecimal character")	\
	X(HEX_LENGTH, "hex-length", "hexadecimal string has the wrong length") \
	X(AMOUNT_EMPTY, "amount-empty", "amount is empty")		\
	X(AMOUNT_SIGN, "amount-sign", "amount must not carry a sign")	\
	X(AMOUNT_EXPONENT, "amount-exponent", "amount must not use an exponent") \
	X(AMOUNT_SPACE, "amount-space", "amount must not contain white space") \
	X(AMOUNT_LEADING_ZERO, "amount-leading-zero", "amount has a leading zero") \
	X(AMOUNT_SYNTAX, "amount-syntax", "amount is not a decimal number") \
	X(AMOUNT_FRACTION_DIGITS, "amount-fraction-digits", "amount has more fraction digits than the asset allows") \
	X(AMOUNT_OVERFLOW, "amount-overflow", "amount exceeds 2^128-1 minor units") \
	X(AMOUNT_TOO_LONG, "amount-too-long", "amount is longer than 80 characters") \
	X(AMOUNT_ZERO, "amount-zero", "amount must be greater than zero") \
	X(DECIMALS, "decimals", "asset decimals must be between 0 and 18") \
	X(TREASURY_ID, "treasury-id", "invalid treasury id")		\
	X(SIGNER_NAME, "signer-name", "invalid signer name")		\
	X(ASSET_CODE, "asset-code", "invalid asset code")		\
	X(DESTINATION, "destination", "invalid destination")		\
	X(MEMO_TOO_LONG, "memo-too-long", "memo is longer than 256 bytes") \
	X(MEMO_UTF8, "memo-utf8", "memo is not valid UTF-8")		\
	X(MEMO_CHAR, "memo-char", "memo contains a forbidden character") \
	X(TIMESTAMP, "timestamp", "timestamp is not YYYY-MM-DDTHH:MM:SSZ") \
	X(EXPIRY_TOO_SOON, "expiry-too-soon", "expiry is less than 1 minute ahead") \
	X(EXPIRY_TOO_LATE, "expiry-too-late", "expiry is more than 90 days ahead") \
	X(KIND, "kind", "unknown proposal kind")			\
	X(KEY_TYPE, "key-type", "key type must be ecdsa or schnorr")	\
	X(PUBKEY, "pubkey", "invalid public key")			\
	X(SIG_ENCODING, "signature-encoding", "signature is not validly encoded") \
	X(SIG_HIGH_S, "signature-high-s", "ECDSA signature has a high S value") \
	X(SIG_INVALID, "signature-invalid", "signature does not verify") \
	X(DB, "database", "database error")				\
	X(DB_OPEN, "database-open", "cannot open database")		\
	X(DB_PERMISSIONS, "database-permissions", "database file is readable or writable by others") \
	X(DB_NEWER_SCHEMA, "database-newer-schema", "database was made by a newer treasuryd") \
	X(DB_CORRUPT, "database-corrupt", "database content is not as treasuryd wrote it") \
	X(NOT_FOUND, "not-found", "not found")				\
	X(CONFLICT, "conflict", "conflicts with existing state")	\
	X(CONFIG, "config", "invalid configuration")			\
	X(IO, "io", "input/output error")				\
	X(ROLE, "role", "invalid role")					\
	X(TOKEN_NAME, "token-name", "invalid token name")		\
	X(CANONICAL, "canonical", "text is not a canonical proposal")	\
	X(REFERENCE, "reference", "reference must be 1..128 printable ASCII characters") \
	X(CHAIN, "chain", "chain label must be 1..32 characters [a-z0-9._-]") \
	X(TREASURY_NAME, "treasury-name", "treasury name must be 1..128 bytes of UTF-8 text") \
	X(THRESHOLD, "threshold", "threshold must satisfy 1 <= M <= N <= 32") \
	X(DUPLICATE_SIGNER, "duplicate-signer", "a signer name appears twice") \
	X(DUPLICATE_KEY, "duplicate-key", "a public key appears twice in one treasury") \
	X(ASSET_EXISTS, "asset-exists", "an asset with this code exists (codes are unique ignoring case)") \
	X(TREASURY_EXISTS, "treasury-exists", "a treasury with this id exists") \
	X(UNKNOWN_TREASURY, "unknown-treasury", "no such treasury")	\
	X(UNKNOWN_ASSET, "unknown-asset", "no such asset")		\
	X(UNKNOWN_PROPOSAL, "unknown-proposal", "no such proposal")	\
	X(UNKNOWN_SIGNER, "unknown-signer", "not a signer of this proposal's treasury and config version") \
	X(REFERENCE_CONFLICT, "reference-conflict", "this reference was used for a different deposit") \
	X(BALANCE_OVERFLOW, "balance-overflow", "the balance would exceed 2^128-1 minor units") \
	X(INSUFFICIENT_BALANCE, "insufficient-balance", "the balance is too low for this spend") \
	X(VOTE_CONFLICT, "vote-conflict", "this signer already voted the other way") \
	X(NOT_PENDING, "not-pending", "the proposal is no longer pending") \
	X(NOT_APPROVED, "not-approved", "the proposal is not approved") \
	X(ALREADY_EXECUTED, "already-executed", "the proposal was already executed") \
	X(EXPIRED, "expired", "the proposal has expired")		\
	X(STALE, "stale", "the treasury's configuration changed since the proposal was made") \
	X(NOT_PROPOSER, "not-proposer", "only the token that made the proposal may cancel it") \
	X(NOT_EXECUTED, "not-executed", "the proposal has not been executed") \
	X(SETTLEMENT_CONFLICT, "settlement-conflict", "a different settlement is already recorded") \
	X(CONFIG_CHANGE, "config-change", "the configuration change is not possible") \
	X(BUSY, "busy", "the server is overloaded; retry later")	\
	X(SHUTTING_DOWN, "shutting-down", "the server is shutting down") \
	X(KEYSTORE, "keystore", "the keystore file is malformed")	\
	X(PASSPHRASE, "passphrase", "wrong passphrase, or the keystore was altered") \
	X(POLICY_TIMELOCK, "policy-timelock", "delays must satisfy 0 <= spend delay <= config delay <= 90 days") \
	X(POLICY_VETO_COUNT, "policy-veto-count", "veto count must be default or 1..N") \
	X(POLICY_CONFIG_THRESHOLD, "policy-config-threshold", "config threshold must be M, or M+1 when M < N") \
	X(POLICY_HIGH_THRESHOLD, "policy-high-threshold", "high threshold must be none or between M and N") \
	X(POLICY_LIMIT, "policy-limit", "a spending limit must set at least one window") \
	X(POLICY_RESERVE, "policy-reserve", "a reserve must be greater than zero") \
	X(POLICY_LABEL, "policy-label", "label must be 0..64 bytes of memo-safe UTF-8") \
	X(POLICY_ALLOWLIST, "policy-allowlist", "destinations are listed only while the allowlist is on") \
	X(POLICY_ORDER, "policy-order", "policy entries must be in canonical order without duplicates") \
	X(POLICY_DECIMALS, "policy-decimals", "an asset appears with two different decimals in the policy") \
	X(LIMIT_EXCEEDED, "limit-exceeded", "the spend exceeds a spending limit") \
	X(RESERVE, "reserve", "the spend would take the balance below the reserve") \
	X(NOT_ALLOWLISTED, "not-allowlisted", "the destination is not on the allowlist") \
	X(TIMELOCKED, "timelocked", "the proposal's delay has not passed") \
	X(VETOED, "vetoed", "the proposal was vetoed") \
	X(VETO_CLOSED, "veto-closed", "vetoes are accepted only before execution of a proposal with a delay") \
	X(FROZEN, "frozen", "the treasury is frozen") \
	X(NOT_FROZEN, "not-frozen", "the treasury is not frozen") \
	X(FREEZE_SEQUENCE, "freeze-sequence", "the freeze number is not the treasury's next freeze") \
	X(NO_APPROVAL, "no-approval", "this signer has no approval to revoke") \
	X(APPROVAL_REVOKED, "approval-revoked", "this signer revoked its approval of the proposal") \
	X(KEY_PROOF, "key-proof", "the new key has not proved possession") \
	X(IDEMPOTENCY_KEY, "idempotency-key", "Idempotency-Key must be 1..128 printable ASCII characters without spaces") \
	X(IDEMPOTENCY_MISMATCH, "idempotency-key-reuse", "this Idempotency-Key was used with a different request") \
	X(UNKNOWN_TOKEN, "unknown-token", "no live token has this name")

typedef enum {
#define TREASURY_ERR_ENUM(name, slug, text) TREASURY_ERR_##name,
	TREASURY_ERRORS(TREASURY_ERR_ENUM)
#undef TREASURY_ERR_ENUM
	TREASURY_ERR_COUNT_
} treasury_err;

#define TREASURY_OK TREASURY_ERR_OK

/* Stable lowercase name of err, e.g. "signature-high-s". Never NULL; an
 * out-of-range value gives "unknown". */
const char *treasury_err_name(treasury_err err);

/* One-line English description of err. Never NULL. */
const char *treasury_err_text(treasury_err err);

#endif
