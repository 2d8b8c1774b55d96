/*
 * internal.h: what the api/ files share with each other and nothing else:
 * the request and reply of one HTTP exchange, the route table, and the
 * helpers handlers use to answer.
 */
#ifndef TREASURY_API_INTERNAL_H
#define TREASURY_API_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <microhttpd.h>

#include "treasury/api.h"
#include "treasury/command.h"
#include "treasury/queries.h"
#include "treasury/records.h"
#include "treasury/storage.h"
#include "treasury/writer.h"

enum {
	ROUTE_PARAMS_MAX = 4,
	URL_MAX_BYTES = 2048,
	AUTH_HEADER_MAX_BYTES = 512,
	PROBLEM_DETAIL_MAX_BYTES = 512,
	FIELD_PATH_MAX_BYTES = 64,	/* "transfers[63].memo" fits */
	QUERY_PARAMS_MAX = 16,
	CURSOR_MAX_BYTES = 64,
	RETRY_AFTER_BUSY_S = 1,
	RETRY_AFTER_STORAGE_S = 30,	/* storage-unavailable: an operator must act */
	TLS_MHD_OPTIONS = 4,		/* tls_start's items, END included */
	RETRY_AFTER_STORAGE_FULL_S = 30,	/* an operator must free space */
	ERR_LOG_INTERVAL_MS = 10000,	/* one line of a 500 kind per 10 s */
};

#define ROLE_ANYONE 0u		/* no token needed */
#define ROLE_ANY_TOKEN ROLE_ALL	/* every role can read */

struct reply;
struct tls_ctx;

struct api_server {
	struct MHD_Daemon *mhd;
	struct api_options opts;
	atomic_uint body_max_bytes;	/* opts.body_max_bytes, changed live */
	char db_path[4096];
	uint8_t cursor_key[32];		/* derived from token_hash_key */
	atomic_bool stopping;		/* api_stop began: end SSE streams */
	struct tls_ctx *tls;		/* NULL: plain HTTP (tls.c) */
	/* api_stop's drain deadline passed: a request whose body completes
	 * now is answered 503 instead of being run (server.c) */
	atomic_bool cutting;
	/* other processes' commits (cache.c); NULL: nothing from memory */
	struct store_changes *changes;
};

/* ---- cache.c: answers from memory while nothing changed ---- */

/* What is answered from memory: a token found without a read
 * transaction, or a whole GET balances or GET treasury answer. */
enum memory_answer {
	MEMORY_TOKEN, MEMORY_BALANCES, MEMORY_TREASURY, MEMORY_ANSWER_KINDS
};

struct cache_gen {
	bool valid;			/* false: never fresh */
	unsigned trust_ms;		/* opts.memory_answers_ms */
	uint64_t commits;		/* writer_commits */
	uint64_t token_commits;		/* writer_token_commits */
	uint64_t changes;		/* store_changes_read */
};

/* The generation now: load it before opening the read transaction
 * whose answers it is to tag. */
void cache_gen_now(const struct api_server *srv, struct cache_gen *out);

/* Whether what was read under tag (its read transaction opened at
 * tag_ms, clock_mono_ms) is still what the database holds at now. */
bool cache_gen_fresh(const struct cache_gen *tag, uint64_t tag_ms,
    const struct cache_gen *now);

/* The same for the tokens a thread found: no token was revoked or bound
 * since (writer_token_commits, and the changes word). */
bool cache_tokens_fresh(const struct cache_gen *tag, uint64_t tag_ms,
    const struct cache_gen *now);

struct reply;
struct request;
/* Builds the 2xx answer of a command that succeeded (rq->answer_arg may
 * carry what it needs besides cmd). Reads through rq->reader only: it may
 * be called by the writer thread inside the command's transaction, with
 * rq->reader the writer's store (idempotency.c). */
typedef void (*command_answer_fn)(struct request *rq, struct reply *rp,
    const struct command *cmd);

struct request {
	struct api_server *srv;
	struct MHD_Connection *conn;
	const char *method;
	const char *url;		/* MHD's, valid for the request */
	char path[URL_MAX_BYTES];	/* split in place by the router */
	const char *params[ROUTE_PARAMS_MAX];
	char *body;
	size_t body_len;
	bool body_too_large;		/* over body_max_bytes: answer 413 */
	bool answered;			/* an early 413 is already queued */
	bool url_too_long;
	bool timed_out;			/* 408 queued: the deadline passed */
	uint64_t start_us;		/* monotonic, at the first call */
	int route;			/* index in the route table, or -1 */
	const struct route *matched;	/* route_match's, at the first call */
	const char *allow;		/* route_match's Allow for a 405 */
	bool answering;			/* dispatched, answer not yet sent */
	/* Idempotency-Key of a POST, copied into its command (submit.c) */
	struct command_idempotency idem;
	bool idem_replayed;		/* the writer answered from the record */
	/* the answer rendered by the writer thread inside the command's
	 * transaction and stored with its record (idempotency.c) */
	bool idem_rendered;
	struct reply *idem_reply;	/* heap while idem_rendered */
	command_answer_fn answer;	/* command_submit_wait's */
	const void *answer_arg;		/* for answer, set by the handler */
	struct token_info token;	/* valid when the route needs a token */
	struct store *reader;		/* this thread's read-only store */
	bool snapshot;			/* a read snapshot is open on reader */
	struct cache_gen gen;		/* loaded before it was opened */
	uint64_t gen_ms;		/* when, clock_mono_ms */
	/* a command in flight (command_start): the connection is suspended
	 * until the writer's completion sets cmd_done and resumes it */
	bool waiting;
	atomic_bool cmd_done;
	struct command *cmd;		/* inside job */
	void *job;			/* heap, freed after the answer */
	void (*cmd_answer)(struct request *, struct reply *);
};

struct reply {
	unsigned status;
	json_t *json;			/* owned; sent as application/json */
	bool problem;			/* send as application/problem+json */
	const char *allow;		/* Allow header for 405 */
	bool www_authenticate;		/* add WWW-Authenticate: Bearer */
	unsigned retry_after_s;		/* add Retry-After when > 0 */
	char *raw;			/* owned; sent instead of json */
	const char *content_type;	/* of raw; NULL: application/json */
	bool replayed;			/* add Idempotent-Replayed: true */
	json_t *stored;			/* owned; stored instead of json */
	struct MHD_Response *stream;	/* SSE: sent as is (events.c) */
	bool close;			/* add Connection: close */
	const char *cache_control;	/* NULL: no-store */
	const char *etag;		/* add ETag when set */
	const char *location;		/* add Location when set */
};

typedef void (*route_handler)(struct request *rq, struct reply *rp);

struct route {
	const char *method;
	const char *pattern;		/* "/v1/treasuries/{}/balances" */
	unsigned roles;			/* ROLE_ANYONE, or roles allowed */
	route_handler handler;
};

/* Whether auth may answer r from this thread's token cache without a
 * read transaction (cache.c); r's handler opens one when it needs it
 * (request_snapshot_begin): GET treasury, GET balances and votes. */
bool route_memory(const struct route *r);

/* Find the route for method and path; fills rq->params.
 * Returns the route; NULL with *allow set (a static list of methods) when
 * the path exists with other methods (405); NULL with *allow NULL when no
 * route has this path (404). */
const struct route *route_match(struct request *rq, const char **allow);

/* The route table, for /v1/metrics labels. */
size_t route_count(void);
const struct route *route_at(size_t i);

/* Answer status with body json (reference taken). */
void reply_json(struct reply *rp, unsigned status, json_t *json);

/* Answer the RFC 9457 problem of err (type "urn:treasuryd:problem:<slug>"
 * and status from the error table) with title in place of its text, and
 * a printf-formatted detail. Nothing is logged. Only for the few answers
 * whose title is not the table's: "Not found" for an unknown endpoint,
 * "Internal error" for an answer that could not be built, "Invalid signer"
 * and "Invalid freeze". Everything else answers with reply_err. */
void reply_err_titled(struct reply *rp, treasury_err err, const char *title,
    const char *detail_fmt, ...) __attribute__((format(printf, 4, 5)));

/* Answer the problem of err with a status other than the table's (auth
 * answers 503 when the database cannot be read); slug and title come
 * from the error table. */
void reply_error(struct reply *rp, unsigned status, treasury_err err,
    const char *detail_fmt, ...) __attribute__((format(printf, 4, 5)));

/* This thread's read-only store, opened on first use. NULL after logging
 * an error when it cannot be opened. */
struct store *reader_get(struct api_server *srv);

/* Authenticate the request's bearer token and check it holds one of
 * `roles`. Returns true when allowed; otherwise answers 401 or 403 in rp.*/
bool auth_check(struct request *rq, struct reply *rp, unsigned roles);

/* ---- tls.c: HTTPS (GnuTLS through MHD) ---- */

/* When srv->opts.tls_cert_path is set: load the certificate and key (and
 * client CA), set MHD_USE_TLS in *flags and fill items with the MHD
 * options to add (MHD_OPTION_ARRAY; unused entries MHD_OPTION_END).
 * Without TLS, items are all MHD_OPTION_END. Returns TREASURY_OK, or
 * TREASURY_ERR_CONFIG / _NOMEM after logging why. */
treasury_err tls_start(struct api_server *srv,
    struct MHD_OptionItem items[TLS_MHD_OPTIONS], unsigned *flags);

/* Free what tls_start loaded, once MHD has stopped. */
void tls_stop(struct api_server *srv);

/* The SHA-256 of the DER certificate the client presented on conn, when
 * it verified against tls_client_ca. false: plain HTTP, no certificate,
 * or one that does not verify. */
bool tls_client_cert_sha256(struct MHD_Connection *conn,
    uint8_t out[CLIENT_CERT_SHA256_BYTES]);

/* ---- errors.c: answers from the error table (treasury/error.h) ---- */

/* The HTTP status of err in the error table (500 for a value outside
 * it). */
unsigned api_err_status(treasury_err err);

/* Answer err with its status from the table and a detail naming the field
 * or state. 500 answers are logged at LOG_ERR with the detail (at most one
 * line per error code every ERR_LOG_INTERVAL_MS, log_limited: a failure
 * that lasts meets every request) and answered without internals; BUSY,
 * SHUTTING_DOWN and NOMEM add Retry-After: RETRY_AFTER_BUSY_S,
 * STORAGE_FULL Retry-After: RETRY_AFTER_STORAGE_FULL_S (the writer logs
 * the full disk itself). */
void reply_err(struct reply *rp, treasury_err err, const char *detail_fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- submit.c: a request's command to the writer ---- */

/* Submit cmd to the writer with the request's clock (cmd->now_s, set to
 * clock_now_s() when 0) and block this MHD thread until its group commits.
 * Ends the request's read snapshot first. On TREASURY_OK answers with
 * answer (called in the command's transaction when the request has an
 * Idempotency-Key, see idempotency_render_set) and returns true;
 * otherwise answers the error with cmd->detail and returns false. For rare commands; hot ones use command_start. */
bool command_submit_wait(struct request *rq, struct reply *rp,
    struct command *cmd, command_answer_fn answer);

/* Submit cmd (inside job, both heap; the request owns job from now on)
 * without blocking this thread: ends the read snapshot, suspends the
 * connection and queues cmd. When the writer completes it (after its
 * group's COMMIT), the connection is resumed and command_finish answers:
 * answer(rq, rp) on TREASURY_OK, else the error with cmd->detail. The
 * handler must not answer rp itself after calling this. */
void command_start(struct request *rq, struct command *cmd, void *job,
    void (*answer)(struct request *, struct reply *));

/* On the MHD thread, once the resumed request is called again: answer
 * as command_start says, then free the job. */
void command_finish(struct request *rq, struct reply *rp);

/* Connections suspended for a command and not yet resumed (api_stop
 * waits for 0: MHD must not be stopped with a suspended connection). */
unsigned commands_waiting(void);

/* Open the request's read snapshot on this thread's reader unless one is
 * open (auth_check opens one, except on a route answered from memory),
 * rq->gen loaded first. Returns false with a 503 in rp when the database
 * cannot be read. */
bool request_snapshot_begin(struct request *rq, struct reply *rp);

/* End the request's read snapshot, if one is open. */
void request_snapshot_end(struct request *rq);

/* The text of the `what` answer (MEMORY_BALANCES: GET balances,
 * MEMORY_TREASURY: GET treasury) for treasury as this thread last read
 * it, malloc'd, when still fresh (cache_gen_fresh); NULL otherwise. */
char *cache_answer_get(const struct request *rq, enum memory_answer what,
    const char *treasury);

/* The vote context of (proposal id, signer) as some thread last read it
 * (nothing in it ever changes, treasury/queries.h), with the point of
 * its key; false when the process-wide memo has none. Thread-safe. */
bool cache_vote_context_get(const uint8_t id[PROPOSAL_ID_BYTES],
    const char *signer, struct vote_context *out, struct signer_point *point);

/* Keep the fixed facts of proposal id (its treasury, config version, M
 * and N, as read from the database) for every thread's votes on it; the
 * signer's part is kept by the first vote of each signer. Thread-safe. */
void cache_vote_proposal_put(const uint8_t id[PROPOSAL_ID_BYTES],
    const char *treasury, uint64_t config_version, unsigned threshold,
    unsigned signer_count);

/* Keep vc, read for (id, signer), and its key's point (made by
 * signer_point_make from vc->key), for every thread; one with
 * signer_found false or no point is not kept. Thread-safe. */
void cache_vote_context_put(const uint8_t id[PROPOSAL_ID_BYTES],
    const char *signer, const struct vote_context *vc,
    const struct signer_point *point);

/* Keep text (a 200 answer read in rq's snapshot, tagged rq->gen) for the
 * next such GET on this thread; a text of 4 KiB or more is not kept. */
void cache_answer_put(const struct request *rq, enum memory_answer what,
    const char *treasury, const char *text);

/* ---- test_clock.c (the request clock is clock_now_s, clock.h) ---- */

/* Enable POST /v1/test/clock (api_start does, from the options). */
void test_clock_enable(void);

/* ---- policy_json.c: a treasury policy as JSON (docs/policies.md) ---- */

/* The "policy" object obj into *p (policy_init first; lists as given, the
 * writer sorts them); *config_threshold is the absolute member, 0 when
 * absent or null. Answers 400/422 and returns false when invalid. */
bool policy_from_json(struct request *rq, struct reply *rp, json_t *obj,
    struct treasury_policy *p, unsigned *config_threshold);
/* Map config_threshold (0, m or m + 1) to p->config_extra. Returns
 * TREASURY_OK or TREASURY_ERR_POLICY_CONFIG_THRESHOLD. */
treasury_err policy_config_threshold(struct treasury_policy *p,
    unsigned config_threshold, unsigned m);
/* Refuse what this daemon does not enforce yet (docs/api.md). */
treasury_err policy_supported(const struct treasury_policy *p);
/* The policy as JSON, config_threshold shown as m + config_extra. */
json_t *policy_json(const struct treasury_policy *p, unsigned m);

/* ---- json.c: request bodies ---- */

/* Check Content-Type, pre-scan (NUL bytes, nesting beyond json_depth_max)
 * and parse the body with duplicate keys rejected. The top level must be
 * an object. Returns the object (caller decrefs), or NULL after answering
 * 415 or 400. When allow_empty, an empty body gives an empty object. */
json_t *body_parse(struct request *rq, struct reply *rp, bool allow_empty);

/* Answer 400 unknown-field unless every member of obj is named in
 * allowed (NULL-terminated). prefix names obj itself ("" at the top). */
bool fields_only(struct reply *rp, json_t *obj, const char *prefix,
    const char *const allowed[]);

/* prefix "." name, or name when prefix is "". */
void field_path(char out[FIELD_PATH_MAX_BYTES], const char *prefix,
    const char *name);

/* Get string member `name`. On success returns true with *s (NUL-free,
 * valid UTF-8, owned by obj) and *len, or *s = NULL when absent and not
 * required. Answers 400 missing-field or field-type and returns false. */
bool field_string(struct reply *rp, json_t *obj, const char *prefix,
    const char *name, bool required, const char **s, size_t *len);

/* Get integer member `name` (a JSON integer, not a real, a string or a
 * boolean) within [min, max]. Out of range is answered with range_err
 * (422 THRESHOLD, 400 DECIMALS, ...). *present says whether it was given
 * when not required. */
bool field_uint(struct reply *rp, json_t *obj, const char *prefix,
    const char *name, bool required, unsigned min, unsigned max,
    treasury_err range_err, unsigned *out, bool *present);

/* Get array member `name` holding min..max items. */
bool field_array(struct reply *rp, json_t *obj, const char *prefix,
    const char *name, size_t min, size_t max, json_t **out);

/* Run a core field checker (treasury_id_check, memo_check, ...) on s and
 * answer its error naming the field. Returns true when valid. */
bool field_check(struct reply *rp, treasury_err (*check)(const char *, size_t),
    const char *prefix, const char *name, const char *s, size_t len);

/* Copy len bytes and a NUL into dst; len < dst_size is an invariant the
 * caller's checks establish. */
void text_copy(char *dst, size_t dst_size, const char *s, size_t len);

/* Client text (a path segment, a JSON key, a parser message) for a
 * problem detail: at most dst_size - 1 bytes of s, each byte outside
 * printable ASCII 0x20..0x7e replaced by '?', so that a detail is always
 * valid UTF-8 (json_pack refuses anything else) and free of controls. */
void text_for_detail(char *dst, size_t dst_size, const char *s);

/* 1..max printable ASCII characters: 0x20..0x7e when spaces (deposit
 * references and sources, docs/api.md "Limits") but never a leading or trailing space
 * (so "abc" and "abc " cannot be two references for one deposit), else
 * 0x21..0x7e like destinations.
 * Answers 400 with err (or invalid-field when err is OK) naming the field. */
bool field_printable(struct reply *rp, treasury_err err, const char *prefix,
    const char *name, const char *s, size_t len, size_t max, bool spaces);

/* An amount string of the asset's decimals; number or other type -> 400. */
bool field_amount(struct reply *rp, json_t *obj, const char *prefix,
    const struct asset *asset, amount_minor *out);

/* Look up an asset code field (string, checked) in the reader. Unknown
 * asset -> 422 naming the field. */
bool field_asset(struct request *rq, struct reply *rp, json_t *obj,
    const char *prefix, struct asset *out);

/* A signer key from key_type and pubkey members of obj. */
bool field_signer_key(struct request *rq, struct reply *rp, json_t *obj,
    const char *prefix, struct signer_key *out);

/* ---- proposal_body.c ---- */

/* Fill p from a proposal body for the treasury in path param 0: kind, the
 * kind's fields, memo and expires_at (checked against now_s); cats: the
 * optional "category" of a transfer or of each batch item (issue #14). Unknown
 * fields, unknown assets and bad values are answered naming the field. */
bool proposal_from_body(struct request *rq, struct reply *rp, json_t *body,
    int64_t now_s, struct proposal_fields *p,
    struct proposal_categories *cats);

/* ---- json.c: categories (issue #14) ---- */

/* A category name ([a-z0-9][a-z0-9_-]{0,31}), else CATEGORY_NAME. */
treasury_err category_name_check(const char *s, size_t len);
/* The optional member "category" of obj: a category name into out, ""
 * when absent. Answers 400 naming the field and returns false when bad. */
bool field_category(struct reply *rp, json_t *obj, const char *prefix,
    char out[CATEGORY_NAME_MAX_BYTES + 1]);

/* ---- proposals.c ---- */

/* Read the proposal back and answer it with status. */
void proposal_answer(struct request *rq, struct reply *rp,
    const uint8_t id[PROPOSAL_ID_BYTES], unsigned status);

/* Load the proposal into *rec (caller frees with proposal_record_free).
 * Answers 404/500 and returns false on failure. */
bool proposal_load(struct request *rq, struct reply *rp,
    const uint8_t id[PROPOSAL_ID_BYTES], int64_t now_s,
    struct proposal_record *rec);

/* ---- votes.c ---- */

/* Read the vote context of cmd->in.vote's proposal and signer into *vc,
 * with the point of the signer's key (point->type 0 when it could not be
 * made), and put the signer's key at the proposal's config version into
 * cmd (votes, vetoes and revocations). Answers 404/500 naming the
 * proposal, or 404 unknown-signer, and returns false on failure. */
bool vote_key_find(struct request *rq, struct reply *rp, struct command *cmd,
    struct vote_context *vc, struct signer_point *point);

/* vote_signature_verify of cmd->in.vote's signature over digest with the
 * key vote_key_find found (its point when made), counted in the metrics. */
treasury_err vote_key_verify(const struct request *rq,
    const struct command *cmd, const struct vote_context *vc,
    const struct signer_point *point, const uint8_t digest[DIGEST_BYTES]);

/* ---- query.c: path ids and query strings ---- */

/* Validate rq->params[i] as a treasury id; 404 unknown-treasury if not. */
bool param_treasury(struct request *rq, struct reply *rp, size_t i);

/* Decode rq->params[i] as a 64-hex proposal id; 404 if malformed. */
bool param_proposal(struct request *rq, struct reply *rp, size_t i,
    uint8_t id[PROPOSAL_ID_BYTES]);

/* Answer 400 invalid-query unless every query parameter is in allowed
 * (NULL-terminated) and given at most once. */
bool query_only(struct request *rq, struct reply *rp,
    const char *const allowed[]);

/* The value of query parameter name, NULL when absent. */
const char *query_get(struct request *rq, const char *name);

/* ?after=N, a journal sequence number (a decimal integer 0..INT64_MAX);
 * 0 when absent. Anything else -> 400 invalid-query. */
bool query_after(struct request *rq, struct reply *rp, uint64_t *after);

/* ?limit= (1..PAGE_LIMIT_MAX, default PAGE_LIMIT_DEFAULT). */
bool query_limit(struct request *rq, struct reply *rp, unsigned *limit);

/* What a cursor pages through; part of its authenticated text. */
enum cursor_kind {
	CURSOR_LEDGER = 1,
	CURSOR_PROPOSALS,
	CURSOR_TREASURIES,
	CURSOR_TOKENS,
	CURSOR_EVENTS,
	CURSOR_JOURNAL,
	CURSOR_CHECKPOINTS,
	CURSOR_PENDING,		/* GET /v1/signers/{name}/pending */
};

/* ?cursor= made by cursor_u64_make for this kind and scope (the list's
 * treasury and filters): the position after which the page starts; 0
 * when absent. Anything else -> 400 invalid-query. */
bool query_cursor_u64(struct request *rq, struct reply *rp,
    enum cursor_kind kind, const char *scope, uint64_t *out);

/* ?cursor= made by cursor_id_make: a treasury id; "" when absent. */
bool query_cursor_id(struct request *rq, struct reply *rp,
    enum cursor_kind kind, const char *scope,
    char out[TREASURY_ID_MAX_BYTES + 1]);

/* The opaque next_cursor text for a position (NUL-terminated). */
void cursor_u64_make(const struct api_server *srv, enum cursor_kind kind,
    const char *scope, uint64_t pos, char out[CURSOR_MAX_BYTES]);
void cursor_id_make(const struct api_server *srv, enum cursor_kind kind,
    const char *scope, const char *id, char out[CURSOR_MAX_BYTES]);

/* ---- render.c: records as JSON (NULL on allocation failure) ---- */

/* reply_json(rp, status, json), or 503 out-of-memory when json is NULL. */
void reply_built(struct reply *rp, unsigned status, json_t *json);

json_t *json_time(int64_t unix_s);
json_t *json_amount(amount_minor value, unsigned decimals);
json_t *json_hex(const uint8_t *bytes, size_t len);
json_t *asset_json(const struct asset *a);
json_t *treasury_json(const struct treasury *t);
json_t *ledger_entry_json(const struct ledger_entry *e);
json_t *proposal_json(const struct proposal_record *p);
/* Items gathered by a store walker; oom is set when an item could not be
 * built (the walk then stops and the handler answers 503). */
struct collect {
	json_t *items;
	bool oom;
};

/* Append item (stolen) to c->items. Returns 0 to go on, 1 to stop. */
int collect_add(struct collect *c, json_t *item);

/* Answer 503 when c->oom or err is TREASURY_ERR_NOMEM, err otherwise.
 * Returns true when the walk succeeded. Frees c->items on failure. */
bool collect_done(struct collect *c, struct reply *rp, treasury_err err,
    const char *what);

/* collect_done for a walk over one treasury's rows: UNKNOWN_TREASURY is
 * answered 404 naming it. */
bool treasury_walk_done(struct collect *c, struct reply *rp,
    treasury_err err, const char *treasury);

/* {"<items>": items, "next_cursor": cursor or null}; steals items. */
json_t *page_json(const char *items_name, json_t *items, const char *cursor);

/* ---- idempotency.c ---- */

/* For a POST with an Idempotency-Key header: check the key, and answer
 * from the stored first response (or 422 when the key was used for
 * another request) -- returns false after answering. Otherwise fills
 * rq->idem for the command and returns true. No header: true. */
bool idempotency_check(struct request *rq, struct reply *rp);

/* Before submitting cmd for a request with a key: let the writer render
 * the answer inside the command's transaction and store it with the
 * record. answer NULL: rq->cmd_answer (command_start). */
void idempotency_render_set(struct request *rq, struct command *cmd,
    command_answer_fn answer);

/* After the command succeeded: move the answer rendered in its
 * transaction into rp; false when there is none (answer it then). */
bool idempotency_rendered(struct request *rq, struct reply *rp);

/* Drop a rendered answer (the command was not committed). */
void idempotency_render_drop(struct request *rq);

/* ---- metrics.c ---- */

/* Count one answered request: route index (-1: none), status, time. */
void metrics_request(int route, unsigned status, uint64_t elapsed_us);
/* Count one signature verification. */
void metrics_sig_verify(bool ok);
/* Count events read from the journal (events.c). */
void metrics_events_read(unsigned rows);
/* A commit of another daemon heard (api_events_wake). */
void metrics_events_heard(void);
/* Count one answer from memory (cache.c). */
void metrics_memory_answer(enum memory_answer what);

/* ---- connections.c: open connections and the header deadline ---- */

/* MHD_OPTION_NOTIFY_CONNECTION: keeps the list of open connections. */
void conns_notify(void *cls, struct MHD_Connection *conn,
    void **socket_context, enum MHD_ConnectionNotificationCode code);
/* A request's headers are complete (its first call). */
void conns_request_begin(struct MHD_Connection *conn);
/* Its answer was sent (or it ended): the connection waits for the next
 * request's headers from now on. */
void conns_request_end(struct MHD_Connection *conn);
/* Shut down each connection without a request in progress whose headers
 * have not been complete within deadline_s of its opening or of its last
 * answer. Returns how many were cut. */
unsigned conns_sweep(unsigned deadline_s);
/* Connections open now. */
unsigned conns_count(void);

/* ---- events.c ---- */

/* Wake the SSE streams (the writer's commit hook; any thread). */
void events_wake(void *srv);
/* Resume every suspended stream (heartbeats, api_stop). */
void events_tick(struct api_server *srv);
/* Streams open now. */
unsigned events_streams(void);

/* ---- route handlers ---- */

void handle_health(struct request *rq, struct reply *rp);
void handle_info(struct request *rq, struct reply *rp);
void handle_test_clock(struct request *rq, struct reply *rp);

void handle_asset_create(struct request *rq, struct reply *rp);
void handle_report(struct request *rq, struct reply *rp);
void handle_runway(struct request *rq, struct reply *rp);
void handle_asset_list(struct request *rq, struct reply *rp);

void handle_treasury_create(struct request *rq, struct reply *rp);
void handle_policy_get(struct request *rq, struct reply *rp);
void handle_veto(struct request *rq, struct reply *rp);
void handle_revoke(struct request *rq, struct reply *rp);
void handle_freeze(struct request *rq, struct reply *rp);
void handle_key_proof(struct request *rq, struct reply *rp);
void handle_treasury_list(struct request *rq, struct reply *rp);
void handle_treasury_get(struct request *rq, struct reply *rp);
void handle_balances(struct request *rq, struct reply *rp);
void handle_ledger(struct request *rq, struct reply *rp);

void handle_deposit(struct request *rq, struct reply *rp);
void handle_category_create(struct request *rq, struct reply *rp);
void handle_category_list(struct request *rq, struct reply *rp);
void handle_ledger_entry_get(struct request *rq, struct reply *rp);
void handle_ledger_category_set(struct request *rq, struct reply *rp);
void handle_proposal_category_set(struct request *rq, struct reply *rp);
/* budgets.c (issue #14 §8) */
void handle_budget_set(struct request *rq, struct reply *rp);
void handle_budget_list(struct request *rq, struct reply *rp);
void handle_budget_delete(struct request *rq, struct reply *rp);
/* prices.c (issue #14 §9) */
void handle_price_set(struct request *rq, struct reply *rp);
void handle_price_list(struct request *rq, struct reply *rp);

void handle_proposal_create(struct request *rq, struct reply *rp);
void handle_proposal_list(struct request *rq, struct reply *rp);
/* signers.c */
void handle_signer_pending(struct request *rq, struct reply *rp);
void handle_proposal_get(struct request *rq, struct reply *rp);
void handle_proposal_bundle(struct request *rq, struct reply *rp);

void handle_vote(struct request *rq, struct reply *rp);
void handle_cancel(struct request *rq, struct reply *rp);
void handle_execute(struct request *rq, struct reply *rp);
void handle_settlement(struct request *rq, struct reply *rp);

void handle_token_create(struct request *rq, struct reply *rp);
void handle_token_list(struct request *rq, struct reply *rp);
void handle_token_revoke(struct request *rq, struct reply *rp);
void handle_whoami(struct request *rq, struct reply *rp);
void handle_events(struct request *rq, struct reply *rp);
void handle_journal(struct request *rq, struct reply *rp);
void handle_metrics(struct request *rq, struct reply *rp);
/* checkpoints.c */
void handle_journal_checkpoints(struct request *rq, struct reply *rp);
/* The daemon's journal public key: hex, or JSON null without one. */
json_t *journal_public_key_json(const struct api_server *srv);

/* ui.c: the dashboard under /ui/ */
void handle_ui_root(struct request *rq, struct reply *rp);
void handle_ui_redirect(struct request *rq, struct reply *rp);
void handle_ui_index(struct request *rq, struct reply *rp);
void handle_ui_file(struct request *rq, struct reply *rp);
/* Is url "/", "/ui" or under "/ui/"? Every answer there gets ui_headers. */
bool ui_path(const char *url);
/* Content-Security-Policy and the other browser hardening headers. */
void ui_headers(struct MHD_Response *resp);

void handle_webhook_create(struct request *rq, struct reply *rp);
void handle_webhook_list(struct request *rq, struct reply *rp);
void handle_webhook_get(struct request *rq, struct reply *rp);
void handle_webhook_delete(struct request *rq, struct reply *rp);
void handle_webhook_enable(struct request *rq, struct reply *rp);
void handle_webhook_disable(struct request *rq, struct reply *rp);
void handle_webhook_rotate(struct request *rq, struct reply *rp);
void handle_webhook_redeliver(struct request *rq, struct reply *rp);
void handle_webhook_deliveries(struct request *rq, struct reply *rp);


/* ---- csv.c: CSV answers (docs/api.md "CSV") ---- */

/* An RFC 4180 writer into buf[cap]: full is set (and nothing more
 * written) once a write does not fit. */
struct csv_out {
	char *buf;
	size_t cap, len;
	unsigned fields;	/* of the current row */
	bool full;
};

void csv_init(struct csv_out *o, char *buf, size_t cap);
/* A text field: quoted when it holds '"', ',', CR or LF; prefixed with
 * "'" when it starts with '=', '+', '-', '@', TAB or CR. */
void csv_text(struct csv_out *o, const char *s);
/* An amount, a number or a time: quoted if needed, never prefixed. */
void csv_amount(struct csv_out *o, const char *s);
/* CRLF. */
void csv_row_end(struct csv_out *o);
/* A time YYYY-MM-DDTHH:MM:SSZ, as json_time. */
void csv_time(struct csv_out *o, int64_t unix_s);
/* An amount of minor units with the asset's decimals, as json_amount. */
void csv_minor(struct csv_out *o, amount_minor v, unsigned decimals);
/* A decimal integer. */
void csv_int(struct csv_out *o, int64_t v);

/* The bound of a list answered as CSV from memory (categories, budgets,
 * balances: each at most a few hundred rows). */
enum { CSV_LIST_MAX_BYTES = 1024 * 1024 };

/* ?format=csv|json (other: 400 naming format), else Accept: text/csv
 * (without application/json) -> *csv. */
bool reply_format(struct request *rq, struct reply *rp, bool *csv);

/* Content-Type text/csv; charset=utf-8, Content-Disposition attachment
 * with filename, Cache-Control no-store. */
void reply_csv_headers(struct MHD_Response *r, const char *filename);

/* Answer 200 with o's text (o->buf malloc'd, taken); a full o is a 400
 * too-large naming its bound. Returns false after answering an error. */
bool reply_csv(struct reply *rp, struct csv_out *o, const char *filename);

/* The header row: cols, NULL-terminated. */
void csv_header(struct csv_out *o, const char *const cols[]);

/* A CSV answer built in memory: o over a malloc'd buffer of cap bytes
 * with the header row written (false after answering 503). */
bool csv_memory_begin(struct reply *rp, struct csv_out *o, size_t cap,
    const char *const cols[]);
/* reply_csv with the filename "<what>-<rq->params[0]>.csv" when err is
 * TREASURY_OK; else o's buffer is freed and err answered (about the
 * treasury rq->params[0]). */
void csv_memory_reply(struct request *rq, struct reply *rp, struct csv_out *o,
    treasury_err err, const char *what);

/* A CSV export streamed through MHD's content reader: the header row, then
 * page() once per block of CSV_BLOCK_BYTES, on a reader of its own (its own
 * short read transaction), writing rows into o until a row does not fit
 * (csv_stream_row_fits) or the rows end. page() sets *more when rows
 * follow what it read; done ends the stream. An export embeds this as its
 * first member: the stream frees the whole with free(). */
struct csv_stream {
	struct api_server *srv;
	const char *const *cols;	/* the header, NULL-terminated */
	treasury_err (*page)(struct csv_stream *cs, struct store *reader,
	    bool *more);
	const char *what;	/* "ledger": the log and "<what>-<t>.csv" */
	bool header_done;
	bool done;
	bool stopped;		/* a row did not fit: the rest next call */
	struct csv_out o;	/* over the callback's buffer */
};

/* After writing one row that began at byte `before`: true when it fit;
 * otherwise the row is taken back, cs is stopped, and false. */
bool csv_stream_row_fits(struct csv_stream *cs, size_t before);

/* Answer 200 with cs streamed as "<cs->what>-<subject>.csv" (cs
 * malloc'd, taken, also on failure). */
void csv_stream_reply(struct request *rq, struct reply *rp,
    struct csv_stream *cs, const char *subject);

/* Answer the ledger of rq->params[0] as a CSV stream: entries after
 * `after` kept by f (when filtered), up to the last entry that exists
 * now. */
void ledger_csv_stream(struct request *rq, struct reply *rp,
    const struct ledger_filter *f, bool filtered, int64_t after);

/* proposals_csv.c: answer the proposals of rq->params[0] as a CSV stream:
 * those after nonce `after` with status (0: any) as effective at now_s, up
 * to the newest that exists now. */
void proposal_csv_stream(struct request *rq, struct reply *rp,
    enum proposal_status status, uint64_t after, int64_t now_s);

/* 404 "no treasury 't'" for TREASURY_ERR_UNKNOWN_TREASURY, else err
 * "reading treasury 't'". */
void reply_treasury_err(struct reply *rp, treasury_err err,
    const char *treasury);

#endif
