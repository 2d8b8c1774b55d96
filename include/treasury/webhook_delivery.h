/*
 * webhook_delivery.h: the webhook delivery thread (api/webhook_delivery.c,
 * docs/webhooks.md).
 *
 * One thread, its own read-only connection, libcurl. Each pass goes in
 * turns: in a turn, every enabled endpoint whose oldest pending outbox
 * entry is due gets one POST of it (Standard Webhooks headers and
 * signature; url, secret and enabled read again just before), and the
 * turn's outcomes are committed before the next turn; turns go on while
 * anything was due. One endpoint's entries leave in journal order, each
 * only after the one before it was delivered or given up. Outcomes go
 * back to the database as CMD_WEBHOOK_RESULTS writer commands (up to
 * WEBHOOK_RESULTS_MAX per command); the writer never waits for the
 * network. Outcomes the writer refuses are kept and submitted again with
 * a backoff (100 ms doubling to 10 s), nothing being sent meanwhile. A
 * result that is lost (the daemon stops or dies first) leaves the entry
 * pending: it is sent again, with the same webhook-id (at least once).
 */
#ifndef TREASURY_WEBHOOK_DELIVERY_H
#define TREASURY_WEBHOOK_DELIVERY_H

#include <stdint.h>

#include "treasury/error.h"
#include "treasury/storage.h"

struct writer;
struct webhook_delivery;

enum {
	WEBHOOK_CONNECT_TIMEOUT_MS = 5000,
	WEBHOOK_TOTAL_TIMEOUT_MS = 10000,
	WEBHOOK_POLL_MS = 200,		/* outbox read at least this often */
};

struct webhook_delivery_options {
	const char *db_path;
	struct writer *writer;
	const char *hosts;		/* webhook_hosts, copied */
	unsigned retry_base_ms;		/* webhook_backoff_ms's base */
	unsigned attempts_max;		/* 1..WEBHOOK_ATTEMPTS_MAX, then dead */
};

/* Start the thread (curl_global_init first: call before other threads
 * use libcurl). Returns TREASURY_OK with *out, or TREASURY_ERR_NOMEM /
 * _INTERNAL / a store_open error after logging. */
TREASURY_WARN_UNUSED treasury_err
webhook_delivery_start(const struct webhook_delivery_options *o,
    struct webhook_delivery **out);

/* Stop: an attempt in flight is cut short (its entry stays pending), the
 * thread joined, everything freed. NULL is accepted. */
void webhook_delivery_stop(struct webhook_delivery *wd);

/* For /v1/metrics: counters since start (all threads' view). */
struct webhook_delivery_stats {
	uint64_t delivered;		/* 2xx answers */
	uint64_t failed;		/* attempts that will be retried */
	uint64_t dead;			/* entries given up */
	int64_t pending;		/* outbox entries pending, last pass */
	bool running;
};

void webhook_delivery_stats_get(struct webhook_delivery_stats *out);

#endif
