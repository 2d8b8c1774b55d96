/*
 * error.h: the one error enum of treasuryd, shared by core, storage, api
 * and daemon.
 *
 * Every failure a function can report is one of these codes, and every
 * problem answer of the HTTP API is one of them: there is no other list
 * of slugs. Each code has a stable lowercase name (the slug: the last part
 * of the problem "type" URI in HTTP errors, and in log lines), a one-line
 * English description (the problem's title) and the HTTP status api/
 * answers it with (api_err_status). docs/api.md lists them by status;
 * tests/unit/test_errors.c checks that list against this table.
 * Add new codes at the end of their group; never renumber in a release.
 */
#ifndef TREASURY_ERROR_H
#define TREASURY_ERROR_H

#define TREASURY_WARN_UNUSED __attribute__((warn_unused_result))

/* X(ENUM_SUFFIX, "slug", "text", HTTP status)
 *
 * HTTP status of each code, the one table api/ answers with (the slug is
 * the problem type urn:treasuryd:problem:<slug>, the text its title):
 * 400: the request itself is malformed (syntax of a field, header, query);
 * 401, 403: no valid token, or a token without the role;
 * 404: the treasury, proposal, token or endpoint named does not exist;
 * 405, 408, 413, 414, 415, 429: HTTP-level refusals;
 * 409: the request conflicts with the current state;
 * 422: well-formed, but the value does not fit what exists (unknown asset
 *      or signer, threshold out of range, a signature that does not verify);
 * 500: our fault, logged (database, I/O, internal, config, keystore);
 * 501: a Transfer-Encoding treasuryd does not implement;
 * 503: overloaded, shutting down, the disk is full, or the
 * database file is gone (retry).
 * The last group is the HTTP layer's own: api/ alone answers with it. */
#define TREASURY_ERRORS(X)						\
	X(OK, "ok", "success", 200)					\
	X(NOMEM, "out-of-memory", "out of memory", 503)			\
	X(INTERNAL, "internal", "internal error", 500)			\
	X(TOO_LARGE, "too-large", "value exceeds its size limit", 400)	\
	X(HEX_CHAR, "hex-char", "invalid hexadecimal character", 400)	\
	X(HEX_LENGTH, "hex-length", "hexadecimal string has the wrong length", 400) \
	X(AMOUNT_EMPTY, "amount-empty", "amount is empty", 400)		\
	X(AMOUNT_SIGN, "amount-sign", "amount must not carry a sign", 400) \
	X(AMOUNT_EXPONENT, "amount-exponent", "amount must not use an exponent", 400) \
	X(AMOUNT_SPACE, "amount-space", "amount must not contain white space", 400) \
	X(AMOUNT_LEADING_ZERO, "amount-leading-zero", "amount has a leading zero", 400) \
	X(AMOUNT_SYNTAX, "amount-syntax", "amount is not a decimal number", 400) \
	X(AMOUNT_FRACTION_DIGITS, "amount-fraction-digits", "amount has more fraction digits than the asset allows", 422) \
	X(AMOUNT_OVERFLOW, "amount-overflow", "amount exceeds 2^128-1 minor units", 422) \
	X(AMOUNT_TOO_LONG, "amount-too-long", "amount is longer than 80 characters", 400) \
	X(AMOUNT_ZERO, "amount-zero", "amount must be greater than zero", 422) \
	X(DECIMALS, "decimals", "asset decimals must be between 0 and 18", 400) \
	X(TREASURY_ID, "treasury-id", "invalid treasury id", 400)	\
	X(SIGNER_NAME, "signer-name", "invalid signer name", 400)	\
	X(ASSET_CODE, "asset-code", "invalid asset code", 400)		\
	X(DESTINATION, "destination", "invalid destination", 400)	\
	X(MEMO_TOO_LONG, "memo-too-long", "memo is longer than 256 bytes", 400) \
	X(MEMO_UTF8, "memo-utf8", "memo is not valid UTF-8", 400)	\
	X(MEMO_CHAR, "memo-char", "memo contains a forbidden character", 400) \
	X(TIMESTAMP, "timestamp", "timestamp is not YYYY-MM-DDTHH:MM:SSZ", 400) \
	X(EXPIRY_TOO_SOON, "expiry-too-soon", "expiry is too soon", 422) \
	X(EXPIRY_TOO_LATE, "expiry-too-late", "expiry is too far ahead", 422) \
	X(KIND, "kind", "unknown proposal kind", 400)			\
	X(KEY_TYPE, "key-type", "key type must be ecdsa or schnorr", 400) \
	X(PUBKEY, "pubkey", "invalid public key", 400)			\
	X(SIG_ENCODING, "signature-encoding", "signature is not validly encoded", 400) \
	X(SIG_HIGH_S, "signature-high-s", "ECDSA signature has a high S value", 422) \
	X(SIG_INVALID, "signature-invalid", "signature does not verify", 422) \
	X(DB, "database", "database error", 500)			\
	X(DB_OPEN, "database-open", "cannot open database", 500)	\
	X(DB_PERMISSIONS, "database-permissions", "database file is readable or writable by others", 500) \
	X(DB_NEWER_SCHEMA, "database-newer-schema", "database was made by a newer treasuryd", 500) \
	X(DB_CORRUPT, "database-corrupt", "database content is not as treasuryd wrote it", 500) \
	X(NOT_FOUND, "not-found", "not found", 404)			\
	X(CONFLICT, "conflict", "conflicts with existing state", 409)	\
	X(CONFIG, "config", "invalid configuration", 500)		\
	X(IO, "io", "input/output error", 500)				\
	X(ROLE, "role", "invalid role", 400)				\
	X(TOKEN_NAME, "token-name", "invalid token name", 400)		\
	X(CANONICAL, "canonical", "text is not a canonical proposal", 500) \
	X(REFERENCE, "reference", "reference must be 1..128 printable ASCII characters", 400) \
	X(CHAIN, "chain", "chain label must be 1..32 characters [a-z0-9._-]", 400) \
	X(TREASURY_NAME, "treasury-name", "treasury name must be 1..128 bytes of UTF-8 text", 400) \
	X(THRESHOLD, "threshold", "threshold must satisfy 1 <= M <= N <= 32", 422) \
	X(DUPLICATE_SIGNER, "duplicate-signer", "a signer name appears twice", 422) \
	X(DUPLICATE_KEY, "duplicate-key", "a public key appears twice in one treasury", 422) \
	X(ASSET_EXISTS, "asset-exists", "an asset with this code exists (codes are unique ignoring case)", 409) \
	X(TREASURY_EXISTS, "treasury-exists", "a treasury with this id exists", 409) \
	X(UNKNOWN_TREASURY, "unknown-treasury", "no such treasury", 404) \
	X(UNKNOWN_ASSET, "unknown-asset", "no such asset", 422)		\
	X(UNKNOWN_PROPOSAL, "unknown-proposal", "no such proposal", 404) \
	X(UNKNOWN_SIGNER, "unknown-signer", "not a signer of this proposal's treasury and config version", 422) \
	X(REFERENCE_CONFLICT, "reference-conflict", "this reference was used for a different deposit", 409) \
	X(BALANCE_OVERFLOW, "balance-overflow", "the balance would exceed 2^128-1 minor units", 409) \
	X(INSUFFICIENT_BALANCE, "insufficient-balance", "the balance is too low for this spend", 409) \
	X(VOTE_CONFLICT, "vote-conflict", "this signer already voted the other way", 409) \
	X(NOT_PENDING, "not-pending", "the proposal is no longer pending", 409) \
	X(NOT_APPROVED, "not-approved", "the proposal is not approved", 409) \
	X(ALREADY_EXECUTED, "already-executed", "the proposal was already executed", 409) \
	X(EXPIRED, "expired", "the proposal has expired", 409)		\
	X(STALE, "stale", "the treasury's configuration changed since the proposal was made", 409) \
	X(NOT_PROPOSER, "not-proposer", "only the token that made the proposal may cancel it", 403) \
	X(NOT_EXECUTED, "not-executed", "the proposal has not been executed", 409) \
	X(SETTLEMENT_CONFLICT, "settlement-conflict", "a different settlement is already recorded", 409) \
	X(CONFIG_CHANGE, "config-change", "the configuration change is not possible", 422) \
	X(BUSY, "busy", "the server is overloaded; retry later", 503)	\
	X(SHUTTING_DOWN, "shutting-down", "the server is shutting down", 503) \
	X(KEYSTORE, "keystore", "the keystore file is malformed", 500)	\
	X(PASSPHRASE, "passphrase", "wrong passphrase, or the keystore was altered", 500) \
	X(POLICY_TIMELOCK, "policy-timelock", "delays must satisfy 0 <= spend delay <= config delay <= 90 days", 422) \
	X(POLICY_VETO_COUNT, "policy-veto-count", "veto count must be default or 1..N", 422) \
	X(POLICY_CONFIG_THRESHOLD, "policy-config-threshold", "config threshold must be M, or M+1 when M < N", 422) \
	X(POLICY_HIGH_THRESHOLD, "policy-high-threshold", "high threshold must be none or between M and N", 422) \
	X(POLICY_LIMIT, "policy-limit", "a spending limit must set at least one window", 422) \
	X(POLICY_RESERVE, "policy-reserve", "a reserve must be greater than zero", 422) \
	X(POLICY_LABEL, "policy-label", "label must be 0..64 bytes of memo-safe UTF-8", 422) \
	X(POLICY_ALLOWLIST, "policy-allowlist", "destinations are listed only while the allowlist is on", 422) \
	X(POLICY_ORDER, "policy-order", "policy entries must be in canonical order without duplicates", 422) \
	X(POLICY_DECIMALS, "policy-decimals", "an asset appears with two different decimals in the policy", 422) \
	X(LIMIT_EXCEEDED, "limit-exceeded", "the spend exceeds a spending limit", 409) \
	X(RESERVE, "reserve", "the spend would take the balance below the reserve", 409) \
	X(NOT_ALLOWLISTED, "not-allowlisted", "the destination is not on the allowlist", 422) \
	X(TIMELOCKED, "timelocked", "the proposal's delay has not passed", 409) \
	X(VETOED, "vetoed", "the proposal was vetoed", 409)		\
	X(VETO_CLOSED, "veto-closed", "vetoes are accepted only before execution of a proposal with a delay", 409) \
	X(FROZEN, "frozen", "the treasury is frozen", 409)		\
	X(NOT_FROZEN, "not-frozen", "the treasury is not frozen", 409)	\
	X(FREEZE_SEQUENCE, "freeze-sequence", "the freeze number is not the treasury's next freeze", 409) \
	X(NO_APPROVAL, "no-approval", "this signer has no approval to revoke", 409) \
	X(APPROVAL_REVOKED, "approval-revoked", "this signer revoked its approval of the proposal", 409) \
	X(KEY_PROOF, "key-proof", "the new key has not proved possession", 409) \
	X(IDEMPOTENCY_KEY, "idempotency-key", "Idempotency-Key must be 1..128 printable ASCII characters without spaces", 400) \
	X(IDEMPOTENCY_MISMATCH, "idempotency-key-reuse", "this Idempotency-Key was used with a different request", 422) \
	X(UNKNOWN_TOKEN, "unknown-token", "no live token has this name", 404) \
	X(STORAGE_FULL, "storage-full", "the disk holding the database is full", 503) \
	X(STORAGE_UNAVAILABLE, "storage-unavailable", "the database file was deleted or replaced; writes are refused", 503) \
	X(UNKNOWN_WEBHOOK, "unknown-webhook", "no such webhook endpoint", 404) \
	X(WEBHOOK_URL, "webhook-url", "the webhook URL is not allowed", 422) \
	X(WEBHOOK_LIMIT, "webhook-limit", "too many webhook endpoints are registered", 409) \
	X(AMOUNT_UNDERFLOW, "amount-underflow", "an exact sum would fall below zero", 500) \
	X(TIME_SYNTAX, "time-syntax", "time must be YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or unix seconds", 400) \
	/* issue #14, accounting categories */				\
	X(CATEGORY_NAME, "category-name", "category name must be 1..32 characters [a-z0-9_-], starting with [a-z0-9]", 400) \
	X(CATEGORY_EXISTS, "category-exists", "this category exists with the other kind", 409) \
	X(CATEGORY_LIMIT, "category-limit", "the treasury has the most categories allowed", 409) \
	X(UNKNOWN_CATEGORY, "unknown-category", "not a category of this treasury", 422) \
	X(CATEGORY_KIND, "category-kind", "the category is of the wrong kind: deposits take income categories, transfers and budgets expense ones", 422) \
	X(UNKNOWN_LEDGER_ENTRY, "unknown-ledger-entry", "no such ledger entry in this treasury", 404) \
	X(CATEGORY_CLOSED, "category-closed", "the proposal was executed or closed: correct its ledger entries instead", 409) \
	X(BUDGET_LIMIT, "budget-limit", "the treasury has the most budgets it may have", 409) \
	X(UNKNOWN_BUDGET, "unknown-budget", "no such budget", 404) \
	/* the HTTP layer (api/) */					\
	X(INVALID_JSON, "invalid-json", "Invalid JSON", 400)		\
	X(UNKNOWN_FIELD, "unknown-field", "Unknown field", 400)		\
	X(MISSING_FIELD, "missing-field", "Missing field", 400)		\
	X(FIELD_TYPE, "field-type", "Wrong field type", 400)		\
	X(LIST_LENGTH, "list-length", "Wrong list length", 400)		\
	X(INVALID_FIELD, "invalid-field", "Invalid field", 400)		\
	X(INVALID_QUERY, "invalid-query", "Invalid query parameter", 400) \
	X(INVALID_HEADER, "invalid-header", "Invalid header", 400)	\
	X(INVALID_METHOD, "invalid-method", "Invalid method", 400)	\
	X(UNAUTHORIZED, "unauthorized", "Unauthorized", 401)		\
	X(FORBIDDEN, "forbidden", "Forbidden", 403)			\
	X(METHOD_NOT_ALLOWED, "method-not-allowed", "Method not allowed", 405) \
	X(REQUEST_TIMEOUT, "request-timeout", "Request timeout", 408)	\
	X(BODY_TOO_LARGE, "body-too-large", "Request body too large", 413) \
	X(URI_TOO_LONG, "uri-too-long", "URI too long", 414)		\
	X(UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type", "Unsupported media type", 415) \
	X(TOO_MANY_STREAMS, "too-many-streams", "Too many event streams", 429) \
	X(NOT_IMPLEMENTED, "not-implemented", "Not implemented", 501)	\
	/* issue #17: a database server */				\
	X(DATABASE_UNREACHABLE, "database-unreachable", "the database server cannot be reached; nothing was applied", 503) \
	X(JOURNAL_KEY, "journal-key", "another journal key signs this database's journal; this daemon's writes are refused", 503)

typedef enum {
#define TREASURY_ERR_ENUM(name, slug, text, status) TREASURY_ERR_##name,
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
