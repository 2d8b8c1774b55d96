/*
 * webhook.h: the pure parts of webhooks (docs/webhooks.md): the endpoint
 * URL and the operator's host allowlist, the Standard Webhooks secret and
 * signature, the retry schedule, and the event types a filter may name.
 * No I/O (core); the secret's random bytes come from libsodium.
 */
#ifndef TREASURY_WEBHOOK_H
#define TREASURY_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "treasury/error.h"

enum {
	WEBHOOK_URL_MAX_BYTES = 2048,
	WEBHOOK_HOST_MAX_BYTES = 253,
	WEBHOOK_ENDPOINTS_MAX = 64,		/* registered at a time */
	WEBHOOK_SECRET_BYTES = 32,		/* random; >= 24 */
	/* "whsec_" + base64 of the secret, with its NUL */
	WEBHOOK_SECRET_TEXT_BYTES = 6 + 4 * ((WEBHOOK_SECRET_BYTES + 2) / 3) + 1,
	/* "v1," + base64 of a SHA-256, with its NUL */
	WEBHOOK_SIGNATURE_TEXT_BYTES = 3 + 44 + 1,
	WEBHOOK_ATTEMPTS_DEFAULT = 15,		/* then the entry is dead */
	WEBHOOK_ATTEMPTS_MAX = 30,		/* the option's upper bound */
	WEBHOOK_EVENT_TYPE_MAX_BYTES = 40,	/* journal.type CHECK */
	WEBHOOK_EVENTS_MAX = 32,		/* types in one filter */
	/* ",type,type,...," as stored (webhook_events_join) */
	WEBHOOK_EVENTS_TEXT_MAX_BYTES =
	    WEBHOOK_EVENTS_MAX * (WEBHOOK_EVENT_TYPE_MAX_BYTES + 1) + 1,
	WEBHOOK_DELIVERIES_KEPT = 100,		/* attempts logged per endpoint */
};

/* The cap of one retry delay: a day. */
#define WEBHOOK_BACKOFF_CAP_MS (86400ULL * 1000ULL)

/* A parsed endpoint URL. host is lower-cased, without brackets for an
 * IPv6 literal; port is the explicit one or the scheme's default. */
struct webhook_url {
	bool https;
	char host[WEBHOOK_HOST_MAX_BYTES + 1];
	unsigned port;
	bool port_given;
};

/* Parse an endpoint URL of len bytes: "http://" or "https://" (any case),
 * no userinfo ('@' before the path), a host of [A-Za-z0-9.-] or a
 * bracketed IPv6 literal, an optional port 1..65535, then nothing or a
 * path starting with '/' of printable ASCII without spaces or '#'. At
 * most WEBHOOK_URL_MAX_BYTES. Returns TREASURY_OK, or
 * TREASURY_ERR_WEBHOOK_URL with *why a static reason. */
TREASURY_WARN_UNUSED treasury_err
webhook_url_parse(const char *url, size_t len, struct webhook_url *out,
    const char **why);

/* Check the syntax of the config option webhook_hosts: empty, or
 * comma-separated entries "host" or "host:port" ("[v6]" or "[v6]:port"),
 * blanks around entries allowed. Returns true, or false with *why. */
bool webhook_hosts_valid(const char *list, const char **why);

/* Whether u's host (and port) is allowed by the list: an entry "host"
 * allows that host on any port, "host:port" that port only; hosts are
 * compared ignoring case. An empty list allows nothing. */
bool webhook_hosts_allow(const char *list, const struct webhook_url *u);

/* A fresh random secret (libsodium; treasury_crypto_init first). */
void webhook_secret_generate(uint8_t secret[WEBHOOK_SECRET_BYTES]);

/* "whsec_" + standard base64 (with padding) of the secret. */
void webhook_secret_text(const uint8_t *secret, size_t len,
    char out[WEBHOOK_SECRET_TEXT_BYTES]);

/* The webhook-signature header value for one message:
 * "v1," + base64(HMAC-SHA256(secret, msg_id "." timestamp "." body)). */
void webhook_sign(const uint8_t *secret, size_t secret_len,
    const char *msg_id, int64_t timestamp_s, const char *body,
    size_t body_len, char out[WEBHOOK_SIGNATURE_TEXT_BYTES]);

/* The delay before the next attempt after attempt number `attempt`
 * (1 = the first) failed: base_ms * 2^(attempt-1), capped at a day, then
 * jittered by a factor in [0.8, 1.2) taken from `random` (any 32 bits),
 * and capped at a day again. attempt >= 1. */
uint64_t webhook_backoff_ms(unsigned attempt, uint64_t base_ms,
    uint32_t random);

/* Whether type is a journal entry type a filter may name. */
bool webhook_event_type_known(const char *type, size_t len);

#endif
