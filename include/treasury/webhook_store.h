/*
 * webhook_store.h: the stored side of webhooks (storage/webhooks.c,
 * schema 9, docs/webhooks.md).
 *
 *   webhooks            the endpoints (at most WEBHOOK_ENDPOINTS_MAX)
 *   webhook_outbox      (endpoint, journal seq) still to deliver
 *                       ('pending') or given up ('dead'); a delivered
 *                       entry's row is deleted
 *   webhook_deliveries  the last WEBHOOK_DELIVERIES_KEPT attempts of each
 *                       endpoint
 *   webhook_fanout      one row: the last journal seq fanned out (it
 *                       stands still while no endpoint is enabled)
 *
 * Fan-out (webhook_fanout_run) runs in every writer group before COMMIT,
 * so an outbox row is durable exactly when its journal entry is. The
 * writes (create, update, delivery results) are writer commands
 * (command.h); the reads below take any store (the delivery thread and
 * the api use their own read-only ones).
 */
#ifndef TREASURY_WEBHOOK_STORE_H
#define TREASURY_WEBHOOK_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "treasury/error.h"
#include "treasury/limits.h"
#include "treasury/records.h"
#include "treasury/webhook.h"

struct store;

/* What webhook_fanout_begin saw at the start of a group. */
struct webhook_fanout {
	bool idle;		/* no endpoint was enabled */
	int64_t start_seq;	/* then: the journal's last seq */
};

/* In the writer's transaction, right after BEGIN: whether any endpoint
 * is enabled, and if none, the journal's last seq. */
TREASURY_WARN_UNUSED treasury_err webhook_fanout_begin(struct store *s,
    struct webhook_fanout *f);

/* In the same transaction, once per group before COMMIT: queue the
 * journal entries past the fan-out mark for every endpoint enabled now
 * whose filter they match, and raise the mark, as if every entry of the
 * group had been queued in the transaction that journals it. While no
 * endpoint is enabled it writes nothing, not even the mark (one read of
 * the endpoints); a group that starts with none enabled and ends with one
 * first raises the mark to f->start_seq, so the entries made while none
 * was enabled are never queued, and the group's own entries are, as they
 * always were. */
TREASURY_WARN_UNUSED treasury_err webhook_fanout_run(struct store *s,
    const struct webhook_fanout *f);

enum {
	WEBHOOK_DEAD_KEEP_S = 30 * 86400,	/* dead rows kept this long */
	WEBHOOK_DEAD_PURGE_EVERY_S = 3600,	/* the daemon purges as often */
};

/* In the maintenance command's transaction: delete the dead outbox rows
 * that died before before_ms (wall ms); *count how many. */
TREASURY_WARN_UNUSED treasury_err
webhook_dead_purge(struct store *s, int64_t before_ms, unsigned *count);

/* An endpoint as shown (never its secret). */
struct webhook_info {
	int64_t id;
	char url[WEBHOOK_URL_MAX_BYTES + 1];
	char events[WEBHOOK_EVENTS_TEXT_MAX_BYTES];	/* "" or ",a,b," */
	char treasury[TREASURY_ID_MAX_BYTES + 1];	/* "" = every one */
	bool enabled;
	int64_t created_s;
	int64_t after_seq;		/* entries after this are its */
	int64_t pending;		/* outbox rows */
	int64_t dead;
};

/* Every endpoint in id order; fn returns 0 to go on. Returns TREASURY_OK,
 * fn's nonzero as TREASURY_ERR_NOMEM, _DB_CORRUPT or a database error. */
TREASURY_WARN_UNUSED treasury_err
store_webhooks_list(struct store *s,
    int (*fn)(const struct webhook_info *, void *), void *ctx);

/* TREASURY_OK, TREASURY_ERR_UNKNOWN_WEBHOOK or a database error. */
TREASURY_WARN_UNUSED treasury_err
store_webhook_get(struct store *s, int64_t id, struct webhook_info *out);

/* One attempt in the deliveries log. */
struct webhook_attempt {
	int64_t seq;
	unsigned attempt;
	int64_t at_ms;
	unsigned http_status;		/* 0: none */
	char error[128];		/* "" when none */
	char outcome[12];		/* delivered, retry, dead */
	int64_t next_ms;		/* retry only, else 0 */
};

/* The endpoint's last `limit` attempts, newest first. */
TREASURY_WARN_UNUSED treasury_err
store_webhook_attempts(struct store *s, int64_t id, unsigned limit,
    int (*fn)(const struct webhook_attempt *, void *), void *ctx);

/* An outbox row to deliver, with what its endpoint needs. */
struct webhook_due {
	int64_t webhook_id;
	char url[WEBHOOK_URL_MAX_BYTES + 1];
	uint8_t secret[WEBHOOK_SECRET_BYTES];
	size_t secret_len;
	int64_t seq;
	unsigned attempts;		/* made so far */
	int64_t next_ms;		/* due at (wall ms) */
};

/* The oldest pending row of each enabled endpoint (at most max of them,
 * in endpoint order) into out[*n]. */
TREASURY_WARN_UNUSED treasury_err
store_webhook_heads(struct store *s, struct webhook_due *out, unsigned max,
    unsigned *n);

/* Endpoint webhook_id's oldest pending row into *out, as
 * store_webhook_heads reads it (url and secret as they are now); *found
 * false when it has none or is disabled or gone. */
TREASURY_WARN_UNUSED treasury_err
store_webhook_head(struct store *s, int64_t webhook_id,
    struct webhook_due *out, bool *found);

/* The pending row of d->webhook_id after seq `after` into d (seq,
 * attempts, next_ms); *found false when none. */
TREASURY_WARN_UNUSED treasury_err
store_webhook_next(struct store *s, struct webhook_due *d, int64_t after,
    bool *found);

/* A journal entry as a webhook carries it. */
struct webhook_entry {
	char type[WEBHOOK_EVENT_TYPE_MAX_BYTES + 1];
	int64_t created_s;
	char treasury[TREASURY_ID_MAX_BYTES + 1];	/* "" = none */
	bool has_treasury;
	char actor_token[TOKEN_NAME_MAX_BYTES + 1];
	bool has_actor_token;
	char actor_signer[SIGNER_NAME_MAX_BYTES + 1];
	bool has_actor_signer;
	char *payload;			/* malloc'd JSON text */
};

/* Journal entry seq (out->payload malloc'd: free it). Returns
 * TREASURY_OK, TREASURY_ERR_NOT_FOUND, _NOMEM, _DB_CORRUPT or a database
 * error. */
TREASURY_WARN_UNUSED treasury_err
store_webhook_entry(struct store *s, int64_t seq, struct webhook_entry *out);

/* Whether the delivery thread of this store may deliver now. On SQLite,
 * always (one daemon serves a file). On PostgreSQL, several daemons may
 * serve one database and exactly one of them delivers, so that an entry
 * is not sent once by each: the one whose connection holds the
 * deliverer's session advisory lock, taken here when it is free. When
 * that daemon stops or dies, its session ends with the lock, and another
 * daemon's next pass takes it over. Returns TREASURY_OK or a database
 * error (*mine false then). */
TREASURY_WARN_UNUSED treasury_err
store_webhook_deliverer(struct store *s, bool *mine);

/* Pending outbox rows, all endpoints. */
TREASURY_WARN_UNUSED treasury_err
store_webhook_pending_count(struct store *s, int64_t *out);

#endif
