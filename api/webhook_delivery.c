/*
 * webhook_delivery.c: the delivery thread (contract in
 * include/treasury/webhook_delivery.h, protocol in docs/webhooks.md).
 *
 * A pass, in turns: read the enabled endpoints that have a pending
 * entry on the thread's own read-only store; in each turn, for each of
 * them in order, read its head again (url, secret, enabled as they are
 * now) and, when it is due, make one attempt; then hand the turn's results
 * to the writer in one CMD_WEBHOOK_RESULTS command (writer_submit: this
 * thread waits for the commit, the writer never waits for it). Turns go
 * on until one finds nothing due: an endpoint's backlog is sent
 * round-robin with the others', so a disable or a secret rotation takes
 * effect at its next attempt and a slow endpoint delays the others by at
 * most one of its answers per turn. Results the writer did not record
 * (queue full, disk full, database replaced) are kept and submitted again
 * after 100 ms, doubling to 10 s; nothing is sent while they are unsaved,
 * and the stats count only recorded results. Between passes the thread
 * sleeps until the soonest retry is due, at most WEBHOOK_POLL_MS (new
 * entries are found by that poll).
 *
 * Several daemons on one PostgreSQL database: one of them delivers, the
 * one whose connection holds the deliverer's lock (store_webhook_deliverer),
 * asked again before every attempt: a connection lost and made again has
 * lost the lock, and the daemon stops delivering at its next attempt. The
 * others' passes find it taken and sleep WEBHOOK_POLL_MS, so one takes
 * over within that of the deliverer's end. An attempt in flight when the
 * lock moves may be made again by the new deliverer (the same webhook-id:
 * delivery is at least once, docs/webhooks.md).
 *
 * Each request: the URL's host re-checked against webhook_hosts, http or
 * https only, no redirects, no proxy (http_proxy etc. ignored), connect
 * timeout 5 s, whole request 10 s, the answer's body read and dropped; a stop cuts it short (progress
 * callback). Secrets are never logged.
 */
#define _GNU_SOURCE		/* pthread_setname_np */
#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "treasury/command.h"
#include "treasury/log.h"
#include "treasury/webhook.h"
#include "treasury/webhook_delivery.h"
#include "treasury/webhook_store.h"
#include "treasury/writer.h"

enum {
	FAIL_LOG_INTERVAL_MS = 60000,
	FLUSH_RETRY_FIRST_MS = 100,	/* unsaved results: submit again after */
	FLUSH_RETRY_MAX_MS = 10000,	/* ... doubling up to */
	/* the outbox's pending count (a metric) is read at the start of a
	 * pass and then at most this often: it counts every pending row */
	PENDING_COUNT_INTERVAL_MS = 1000,
	MSG_ID_BYTES = 64,
};

struct webhook_delivery {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t wake;
	atomic_bool stopping;
	struct store *store;		/* read-only, this thread's */
	struct writer *writer;
	char *hosts;
	uint64_t retry_base_ms;
	unsigned attempts_max;
	CURL *curl;
	struct webhook_due heads[WEBHOOK_ENDPOINTS_MAX];
	struct webhook_results results;	/* made, not yet recorded */
	uint64_t flush_retry_ms;	/* 0, or the last wait for a resubmit */
	int64_t counted_ms;		/* when stat_pending was last read */
	struct log_limit read_log, submit_log;
};

static atomic_uint_least64_t stat_delivered, stat_failed, stat_dead;
static atomic_int_least64_t stat_pending;
static atomic_bool stat_running;

void
webhook_delivery_stats_get(struct webhook_delivery_stats *out)
{
	out->delivered = atomic_load(&stat_delivered);
	out->failed = atomic_load(&stat_failed);
	out->dead = atomic_load(&stat_dead);
	out->pending = atomic_load(&stat_pending);
	out->running = atomic_load(&stat_running);
}

static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The body: {"type","timestamp","data":{"seq","treasury","actor",
 * "payload"}}, compact JSON (malloc'd), or NULL. */
static char *
body_build(int64_t seq, const struct webhook_entry *e)
{
	char ts[32];
	struct tm tm;
	time_t t = (time_t)e->created_s;
	json_t *payload, *o;
	char *text;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return NULL;
	payload = json_loads(e->payload, JSON_DECODE_ANY, NULL);
	if (payload == NULL)
		payload = json_string(e->payload);
	o = json_pack("{s:s, s:s, s:{s:I, s:o, s:{s:o, s:o}, s:I, s:o}}",
	    "type", e->type, "timestamp", ts, "data", "seq", (json_int_t)seq,
	    "treasury", e->has_treasury ? json_string(e->treasury) :
	    json_null(), "actor", "token", e->has_actor_token ?
	    json_string(e->actor_token) : json_null(), "signer",
	    e->has_actor_signer ? json_string(e->actor_signer) : json_null(),
	    "time_s", (json_int_t)e->created_s, "payload", payload);
	if (o == NULL)
		return NULL;
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

static size_t
body_drop(char *ptr, size_t size, size_t n, void *arg)
{
	(void)ptr;
	(void)arg;
	return size * n;
}

static int
progress_check(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct webhook_delivery *wd = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return atomic_load(&wd->stopping) ? 1 : 0;	/* nonzero aborts */
}

static void
curl_setup(struct webhook_delivery *wd, const char *url,
    struct curl_slist *headers, const char *body, char *errbuf)
{
	CURL *c = wd->curl;

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP |
	    CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	/* never a proxy from http_proxy / ALL_PROXY: the allowlist is
	 * checked against the URL's own host */
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)WEBHOOK_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)WEBHOOK_TOTAL_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_drop);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress_check);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, wd);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "treasuryd-webhooks");
}

static struct curl_slist *
headers_build(const char *msg_id, int64_t ts, const char *signature)
{
	char line[160];
	struct curl_slist *h = NULL, *next;
	const char *fixed[] = { "Content-Type: application/json", "Expect:" };

	for (size_t i = 0; i < 2; i++) {
		next = curl_slist_append(h, fixed[i]);
		if (next == NULL)
			goto fail;
		h = next;
	}
	snprintf(line, sizeof(line), "webhook-id: %s", msg_id);
	if ((next = curl_slist_append(h, line)) == NULL)
		goto fail;
	h = next;
	snprintf(line, sizeof(line), "webhook-timestamp: %lld", (long long)ts);
	if ((next = curl_slist_append(h, line)) == NULL)
		goto fail;
	h = next;
	snprintf(line, sizeof(line), "webhook-signature: %s", signature);
	if ((next = curl_slist_append(h, line)) == NULL)
		goto fail;
	return next;
fail:
	curl_slist_free_all(h);
	return NULL;
}

/* POST body to d's endpoint; fills r's http_status / error / delivered. */
static void
post_one(struct webhook_delivery *wd, const struct webhook_due *d,
    const char *body, struct webhook_result *r)
{
	char msg_id[MSG_ID_BYTES], sig[WEBHOOK_SIGNATURE_TEXT_BYTES];
	char errbuf[CURL_ERROR_SIZE];
	struct curl_slist *headers;
	struct webhook_url u;
	const char *why;
	int64_t ts = wall_ms() / 1000;
	long status = 0;
	CURLcode rc;

	if (webhook_url_parse(d->url, strlen(d->url), &u, &why) !=
	    TREASURY_OK || !webhook_hosts_allow(wd->hosts, &u)) {
		snprintf(r->error, sizeof(r->error), "the URL's host is not in "
		    "webhook_hosts (now)");
		return;
	}
	snprintf(msg_id, sizeof(msg_id), "msg_%lld_%lld",
	    (long long)d->webhook_id, (long long)d->seq);
	webhook_sign(d->secret, d->secret_len, msg_id, ts, body, strlen(body),
	    sig);
	headers = headers_build(msg_id, ts, sig);
	if (headers == NULL) {
		snprintf(r->error, sizeof(r->error), "out of memory");
		return;
	}
	errbuf[0] = '\0';
	curl_setup(wd, d->url, headers, body, errbuf);
	rc = curl_easy_perform(wd->curl);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(wd->curl, CURLINFO_RESPONSE_CODE, &status);
		r->http_status = status > 0 && status < 1000 ?
		    (unsigned)status : 0;
		r->delivered = status >= 200 && status <= 299;
		if (r->http_status == 0)
			snprintf(r->error, sizeof(r->error), "no HTTP status");
	} else
		snprintf(r->error, sizeof(r->error), "%.*s",
		    (int)sizeof(r->error) - 1,
		    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
	curl_easy_setopt(wd->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(headers);
}

/* One attempt at d: its result appended to wd->results. False when the
 * attempt was cut short by a stop (nothing recorded). */
static bool
attempt(struct webhook_delivery *wd, const struct webhook_due *d)
{
	struct webhook_result *r = &wd->results.r[wd->results.count];
	struct webhook_entry e;
	char *body = NULL;
	treasury_err err;

	assert(wd->results.count < WEBHOOK_RESULTS_MAX);
	memset(r, 0, sizeof(*r));
	r->webhook_id = d->webhook_id;
	r->seq = d->seq;
	r->attempt = d->attempts + 1;
	r->at_ms = wall_ms();
	err = store_webhook_entry(wd->store, d->seq, &e);
	if (err == TREASURY_OK) {
		body = body_build(d->seq, &e);
		free(e.payload);
		if (body == NULL)
			snprintf(r->error, sizeof(r->error), "out of memory");
	} else
		snprintf(r->error, sizeof(r->error), "journal entry %lld: %.80s",
		    (long long)d->seq, treasury_err_text(err));
	if (body != NULL)
		post_one(wd, d, body, r);
	free(body);
	if (atomic_load(&wd->stopping) && !r->delivered)
		return false;
	if (!r->delivered && r->attempt >= wd->attempts_max)
		r->dead = true;
	else if (!r->delivered)
		r->next_ms = wall_ms() + (int64_t)webhook_backoff_ms(r->attempt,
		    wd->retry_base_ms, randombytes_random());
	if (!r->delivered)
		log_msg(LOG_INFO, "webhook %lld: entry %lld attempt %u failed "
		    "(%u%s%s)%s", (long long)d->webhook_id, (long long)d->seq,
		    r->attempt, r->http_status, r->error[0] ? ", " : "",
		    r->error, r->dead ? "; given up (dead letter)" : "");
	wd->results.count++;
	return true;
}

/* The stats of committed results (never of results not recorded). */
static void
stats_count(const struct webhook_results *rs)
{
	for (unsigned i = 0; i < rs->count; i++) {
		if (rs->r[i].delivered)
			atomic_fetch_add(&stat_delivered, 1);
		else if (rs->r[i].dead)
			atomic_fetch_add(&stat_dead, 1);
		else
			atomic_fetch_add(&stat_failed, 1);
	}
}

/* The results so far to the writer (waits for their commit). True when
 * they are recorded (or there were none); false leaves them in
 * wd->results, to be submitted again before anything else is sent. */
static bool
results_flush(struct webhook_delivery *wd)
{
	struct command cmd;
	treasury_err err;

	if (wd->results.count == 0)
		return true;
	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_WEBHOOK_RESULTS;
	cmd.in.webhook_results.results = &wd->results;
	err = writer_submit(wd->writer, &cmd);
	if (err != TREASURY_OK) {
		if (err != TREASURY_ERR_SHUTTING_DOWN)
			log_limited(&wd->submit_log, FAIL_LOG_INTERVAL_MS,
			    LOG_WARNING, "webhooks: %u delivery results not "
			    "recorded (%s: %s); nothing is sent until they are",
			    wd->results.count, treasury_err_name(err),
			    cmd.detail);
		return false;
	}
	stats_count(&wd->results);
	wd->results.count = 0;
	wd->flush_retry_ms = 0;
	return true;
}

/* How long to wait before submitting unsaved results again. */
static uint64_t
flush_backoff(struct webhook_delivery *wd)
{
	if (wd->flush_retry_ms == 0)
		wd->flush_retry_ms = FLUSH_RETRY_FIRST_MS;
	else if (wd->flush_retry_ms < FLUSH_RETRY_MAX_MS)
		wd->flush_retry_ms *= 2;
	if (wd->flush_retry_ms > FLUSH_RETRY_MAX_MS)
		wd->flush_retry_ms = FLUSH_RETRY_MAX_MS;
	return wd->flush_retry_ms;
}

/* Whether this daemon delivers (store_webhook_deliverer): asked before
 * every attempt, not once a pass, so that a daemon whose connection was
 * lost (and the lock with it, to another daemon) stops at once. False
 * when it cannot tell. */
static bool
deliverer(struct webhook_delivery *wd)
{
	treasury_err err;
	bool mine;

	err = store_webhook_deliverer(wd->store, &mine);
	if (err != TREASURY_OK)
		log_limited(&wd->read_log, FAIL_LOG_INTERVAL_MS, LOG_WARNING,
		    "webhooks: cannot tell which daemon delivers: %s",
		    treasury_err_text(err));
	return err == TREASURY_OK && mine;
}

/* stat_pending, read again when PENDING_COUNT_INTERVAL_MS have passed
 * (a count is O(backlog), a turn one POST). */
static treasury_err
pending_refresh(struct webhook_delivery *wd)
{
	int64_t now = wall_ms(), pending;
	treasury_err err;

	if (wd->counted_ms != 0 &&
	    now - wd->counted_ms < PENDING_COUNT_INTERVAL_MS)
		return TREASURY_OK;
	err = store_webhook_pending_count(wd->store, &pending);
	wd->counted_ms = now;
	if (err == TREASURY_OK)
		atomic_store(&stat_pending, pending);
	return err;
}

/* One turn: at most one attempt per endpoint, in endpoint order, each
 * endpoint's head read again just before its attempt (its url, secret and
 * enabled state as they are now, after the previous turn's commit). *sent
 * tells whether any attempt was made. False when results could not be
 * recorded (they stay in wd->results). */
static bool
turn_run(struct webhook_delivery *wd, const int64_t *ids, unsigned n,
    bool *sent)
{
	struct webhook_due d;
	bool found;
	treasury_err err;

	*sent = false;
	for (unsigned i = 0; i < n && !atomic_load(&wd->stopping); i++) {
		if (wd->results.count == WEBHOOK_RESULTS_MAX &&
		    !results_flush(wd))
			return false;
		if (!deliverer(wd))
			break;		/* another daemon took over */
		err = store_webhook_head(wd->store, ids[i], &d, &found);
		if (err == TREASURY_OK && found && d.next_ms <= wall_ms() &&
		    attempt(wd, &d))
			*sent = true;
		sodium_memzero(&d, sizeof(d));
	}
	return results_flush(wd);
}

/* One pass; returns how long to sleep (ms). Round-robin: turns of one
 * attempt per due endpoint, each turn's results committed before the
 * next, until a turn finds nothing due. */
static uint64_t
pass_run(struct webhook_delivery *wd)
{
	int64_t ids[WEBHOOK_ENDPOINTS_MAX];
	int64_t soonest = INT64_MAX, now;
	unsigned n = 0;
	bool sent = true;
	treasury_err err;

	if (!results_flush(wd))
		return flush_backoff(wd);
	if (!deliverer(wd)) {		/* another daemon on the database */
		(void)pending_refresh(wd);	/* the gauge, once a second */
		return WEBHOOK_POLL_MS;
	}
	wd->counted_ms = 0;		/* a count at each pass's start */
	while (sent && !atomic_load(&wd->stopping)) {
		err = store_webhook_heads(wd->store, wd->heads,
		    WEBHOOK_ENDPOINTS_MAX, &n);
		if (err == TREASURY_OK)
			err = pending_refresh(wd);
		if (err != TREASURY_OK) {
			log_limited(&wd->read_log, FAIL_LOG_INTERVAL_MS,
			    LOG_WARNING, "webhooks: reading the outbox: %s",
			    treasury_err_text(err));
			return WEBHOOK_POLL_MS;
		}
		if (n == 0)
			return WEBHOOK_POLL_MS;
		for (unsigned i = 0; i < n; i++)
			ids[i] = wd->heads[i].webhook_id;
		if (!turn_run(wd, ids, n, &sent))
			return flush_backoff(wd);
	}
	/* the soonest retry still waiting, as the last turn left it */
	now = wall_ms();
	for (unsigned i = 0; i < n; i++)
		if (wd->heads[i].next_ms < soonest)
			soonest = wd->heads[i].next_ms;
	sodium_memzero(wd->heads, sizeof(wd->heads));
	if (soonest <= now)
		return 1;
	return soonest - now < WEBHOOK_POLL_MS ? (uint64_t)(soonest - now) :
	    WEBHOOK_POLL_MS;
}

static void
sleep_ms(struct webhook_delivery *wd, uint64_t ms)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += (time_t)(ms / 1000);
	until.tv_nsec += (long)(ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&wd->mu);
	while (!atomic_load(&wd->stopping) &&
	    pthread_cond_timedwait(&wd->wake, &wd->mu, &until) == 0)
		;
	pthread_mutex_unlock(&wd->mu);
}

static void *
delivery_main(void *arg)
{
	struct webhook_delivery *wd = arg;

	/* Named for top -H and bench/run.sh's per-thread CPU roles. */
	pthread_setname_np(pthread_self(), "td-webhooks");
	while (!atomic_load(&wd->stopping))
		sleep_ms(wd, pass_run(wd));
	return NULL;
}

static void
delivery_free(struct webhook_delivery *wd)
{
	if (wd->curl != NULL)
		curl_easy_cleanup(wd->curl);
	store_close(wd->store);
	free(wd->hosts);
	sodium_memzero(wd->heads, sizeof(wd->heads));
	free(wd);
}

treasury_err
webhook_delivery_start(const struct webhook_delivery_options *o,
    struct webhook_delivery **out)
{
	char errmsg[STORE_ERRMSG_BYTES];
	pthread_condattr_t ca;
	struct webhook_delivery *wd;
	treasury_err err;
	int rc;

	*out = NULL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_msg(LOG_ERR, "webhooks: libcurl initialisation failed");
		return TREASURY_ERR_INTERNAL;
	}
	wd = calloc(1, sizeof(*wd));
	if (wd == NULL)
		return TREASURY_ERR_NOMEM;
	wd->writer = o->writer;
	wd->retry_base_ms = o->retry_base_ms;
	wd->attempts_max = o->attempts_max;
	assert(o->attempts_max >= 1 && o->attempts_max <= WEBHOOK_ATTEMPTS_MAX);
	wd->hosts = strdup(o->hosts != NULL ? o->hosts : "");
	wd->curl = curl_easy_init();
	if (wd->hosts == NULL || wd->curl == NULL) {
		delivery_free(wd);
		return TREASURY_ERR_NOMEM;
	}
	err = store_open(o->db_path, STORE_READ_ONLY, &wd->store, errmsg);
	if (err != TREASURY_OK) {
		log_msg(LOG_ERR, "webhooks: %s", errmsg);
		delivery_free(wd);
		return err;
	}
	pthread_mutex_init(&wd->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&wd->wake, &ca);
	pthread_condattr_destroy(&ca);
	rc = pthread_create(&wd->thread, NULL, delivery_main, wd);
	if (rc != 0) {
		log_msg(LOG_ERR, "webhooks: cannot start the delivery thread: %s",
		    strerror(rc));
		pthread_cond_destroy(&wd->wake);
		pthread_mutex_destroy(&wd->mu);
		delivery_free(wd);
		return TREASURY_ERR_INTERNAL;
	}
	atomic_store(&stat_running, true);
	*out = wd;
	return TREASURY_OK;
}

void
webhook_delivery_stop(struct webhook_delivery *wd)
{
	if (wd == NULL)
		return;
	pthread_mutex_lock(&wd->mu);
	atomic_store(&wd->stopping, true);
	pthread_cond_signal(&wd->wake);
	pthread_mutex_unlock(&wd->mu);
	pthread_join(wd->thread, NULL);
	pthread_cond_destroy(&wd->wake);
	pthread_mutex_destroy(&wd->mu);
	delivery_free(wd);
	atomic_store(&stat_running, false);
	curl_global_cleanup();
}
