/*
 * metrics.c: GET /v1/metrics in the Prometheus text format (0.0.4).
 *
 * Request counters and latency histograms are kept per route (the route
 * table's pattern, never the raw path, so labels stay bounded) and status,
 * in fixed arrays of relaxed atomics: counting never takes a lock.
 * Writer figures (queue depth, group sizes, COMMIT time, which is the
 * fsync) come from writer_stats_get; proposals by stored status from the
 * reader; connections from libmicrohttpd. The answer is built in a
 * struct textbuf of at most METRICS_TEXT_MAX_BYTES with its NUL.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "treasury/buffer.h"
#include "treasury/clock.h"
#include "treasury/webhook_delivery.h"

#include "internal.h"

enum {
	METRICS_ROUTES_MAX = 64,	/* route table entries counted */
	METRICS_TEXT_MAX_BYTES = 1024 * 1024,
	LATENCY_BUCKETS = 13,
};

static const unsigned short statuses[] = {
	200, 201, 400, 401, 403, 404, 405, 408, 409, 413, 414, 415, 422, 429,
	500, 501, 503,
};
#define STATUSES_COUNT (sizeof(statuses) / sizeof(statuses[0]))

/* Upper bounds in microseconds, and as Prometheus writes them. */
static const uint64_t latency_us[LATENCY_BUCKETS] = {
	500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000,
};
static const char *const latency_le[LATENCY_BUCKETS] = {
	"0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
	"0.25", "0.5", "1", "2.5", "5",
};

struct series {
	atomic_uint_least64_t count;
	atomic_uint_least64_t sum_us;
	atomic_uint_least64_t bucket[LATENCY_BUCKETS + 1];	/* +Inf */
};

/* [route + 1][status index]: row 0 is "no route"; the last status
 * column is "other". */
static struct series requests[METRICS_ROUTES_MAX + 1][STATUSES_COUNT + 1];
static atomic_uint_least64_t sig_verified[2];	/* [ok] */
static atomic_uint_least64_t events_read;	/* rows, pages and streams */
static atomic_uint_least64_t events_heard;	/* other daemons' commits,
						 * or a listener's reconnect */
static atomic_uint_least64_t memory_answers[MEMORY_ANSWER_KINDS];
static const char *const memory_answer_names[MEMORY_ANSWER_KINDS] = {
	[MEMORY_TOKEN] = "token", [MEMORY_BALANCES] = "balances",
	[MEMORY_TREASURY] = "treasury",
};

static size_t
status_index(unsigned status)
{
	for (size_t i = 0; i < STATUSES_COUNT; i++)
		if (statuses[i] == status)
			return i;
	return STATUSES_COUNT;
}

void
metrics_request(int route, unsigned status, uint64_t elapsed_us)
{
	struct series *s;
	size_t b = 0;

	if (route < -1 || route >= METRICS_ROUTES_MAX)
		route = -1;
	s = &requests[route + 1][status_index(status)];
	while (b < LATENCY_BUCKETS && elapsed_us > latency_us[b])
		b++;
	atomic_fetch_add_explicit(&s->bucket[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->sum_us, elapsed_us, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->count, 1, memory_order_relaxed);
}

void
metrics_sig_verify(bool ok)
{
	atomic_fetch_add_explicit(&sig_verified[ok ? 1 : 0], 1,
	    memory_order_relaxed);
}

void
metrics_memory_answer(enum memory_answer what)
{
	atomic_fetch_add_explicit(&memory_answers[what], 1,
	    memory_order_relaxed);
}

void
metrics_events_read(unsigned rows)
{
	atomic_fetch_add_explicit(&events_read, rows, memory_order_relaxed);
}

void
metrics_events_heard(void)
{
	atomic_fetch_add_explicit(&events_heard, 1, memory_order_relaxed);
}

/* The answer being built; err keeps the first failure, after which every
 * other line is skipped (the answer is then refused as a whole). */
struct mtext {
	struct textbuf tb;
	treasury_err err;
};

static void
mt_printf(struct mtext *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
mt_printf(struct mtext *m, const char *fmt, ...)
{
	va_list ap;

	if (m->err != TREASURY_OK)
		return;
	va_start(ap, fmt);
	m->err = textbuf_vprintf(&m->tb, fmt, ap);
	va_end(ap);
}

static void
series_labels(char *out, size_t size, size_t r, size_t k)
{
	const struct route *route = r == 0 ? NULL : route_at(r - 1);
	char status[8];

	if (k < STATUSES_COUNT)
		snprintf(status, sizeof(status), "%u", statuses[k]);
	else
		snprintf(status, sizeof(status), "other");
	snprintf(out, size, "method=\"%s\",route=\"%s\",status=\"%s\"",
	    route != NULL ? route->method : "", route != NULL ?
	    route->pattern : "unmatched", status);
}

static void
requests_write(struct mtext *b)
{
	size_t routes = route_count() + 1;
	char labels[256];

	mt_printf(b, "# HELP treasuryd_http_requests_total HTTP requests "
	    "answered, by route pattern and status.\n"
	    "# TYPE treasuryd_http_requests_total counter\n");
	for (size_t r = 0; r < routes; r++)
		for (size_t k = 0; k <= STATUSES_COUNT; k++) {
			uint64_t n = atomic_load(&requests[r][k].count);
			if (n == 0)
				continue;
			series_labels(labels, sizeof(labels), r, k);
			mt_printf(b, "treasuryd_http_requests_total{%s} %" PRIu64
			    "\n", labels, n);
		}
	mt_printf(b, "# HELP treasuryd_http_request_duration_seconds Time "
	    "from the first byte of the body to the answer.\n"
	    "# TYPE treasuryd_http_request_duration_seconds histogram\n");
	for (size_t r = 0; r < routes; r++)
		for (size_t k = 0; k <= STATUSES_COUNT; k++) {
			struct series *s = &requests[r][k];
			uint64_t n = atomic_load(&s->count), cum = 0;
			if (n == 0)
				continue;
			series_labels(labels, sizeof(labels), r, k);
			for (size_t i = 0; i <= LATENCY_BUCKETS; i++) {
				cum += atomic_load(&s->bucket[i]);
				mt_printf(b, "treasuryd_http_request_duration_seconds_"
				    "bucket{%s,le=\"%s\"} %" PRIu64 "\n", labels,
				    i < LATENCY_BUCKETS ? latency_le[i] : "+Inf", cum);
			}
			mt_printf(b, "treasuryd_http_request_duration_seconds_sum"
			    "{%s} %.6f\ntreasuryd_http_request_duration_seconds_"
			    "count{%s} %" PRIu64 "\n", labels,
			    (double)atomic_load(&s->sum_us) / 1e6, labels, cum);
		}
}

static void
writer_write(struct mtext *b, struct writer *w)
{
	struct writer_stats ws;
	uint64_t cum = 0;

	writer_stats_get(w, &ws);
	mt_printf(b, "# HELP treasuryd_writer_queue_depth Commands waiting "
	    "for the writer.\n# TYPE treasuryd_writer_queue_depth gauge\n"
	    "treasuryd_writer_queue_depth %u\n", ws.queued);
	mt_printf(b, "# HELP treasuryd_writer_group_size Commands per group "
	    "commit.\n# TYPE treasuryd_writer_group_size histogram\n");
	for (size_t i = 0; i <= WRITER_GROUP_BUCKETS; i++) {
		cum += ws.group_size_buckets[i];
		if (i < WRITER_GROUP_BUCKETS)
			mt_printf(b, "treasuryd_writer_group_size_bucket{le=\"%u\"} "
			    "%" PRIu64 "\n", 1u << i, cum);
		else
			mt_printf(b, "treasuryd_writer_group_size_bucket{le=\"+Inf\"}"
			    " %" PRIu64 "\n", cum);
	}
	mt_printf(b, "treasuryd_writer_group_size_sum %" PRIu64 "\n"
	    "treasuryd_writer_group_size_count %" PRIu64 "\n", ws.commands,
	    ws.groups);
	mt_printf(b, "# HELP treasuryd_writer_commit_seconds Time in COMMIT "
	    "(the fsync of a group).\n"
	    "# TYPE treasuryd_writer_commit_seconds histogram\n");
	cum = 0;
	for (size_t i = 0; i <= WRITER_COMMIT_BUCKETS; i++) {
		cum += ws.commit_buckets[i];
		if (i < WRITER_COMMIT_BUCKETS)
			mt_printf(b, "treasuryd_writer_commit_seconds_bucket{le=\"%g\"}"
			    " %" PRIu64 "\n", (double)writer_commit_bucket_us[i] / 1e6,
			    cum);
		else
			mt_printf(b, "treasuryd_writer_commit_seconds_bucket{le="
			    "\"+Inf\"} %" PRIu64 "\n", cum);
	}
	mt_printf(b, "treasuryd_writer_commit_seconds_sum %.6f\n"
	    "treasuryd_writer_commit_seconds_count %" PRIu64 "\n",
	    (double)ws.commit_us_sum / 1e6, cum);
	mt_printf(b, "# HELP treasuryd_proposals_expired_total Proposals "
	    "the expiry sweep expired.\n"
	    "# TYPE treasuryd_proposals_expired_total counter\n"
	    "treasuryd_proposals_expired_total %" PRIu64 "\n", ws.expired);
	mt_printf(b, "# HELP treasuryd_expiry_batches_total Writer "
	    "transactions in which the expiry sweep expired proposals.\n"
	    "# TYPE treasuryd_expiry_batches_total counter\n"
	    "treasuryd_expiry_batches_total %" PRIu64 "\n", ws.expiry_batches);
	mt_printf(b, "# HELP treasuryd_expiry_batch_max Most proposals one "
	    "sweep transaction expired since start (at most %u).\n"
	    "# TYPE treasuryd_expiry_batch_max gauge\n"
	    "treasuryd_expiry_batch_max %u\n", MAINTENANCE_EXPIRE_BATCH_MAX,
	    ws.expiry_batch_max);
}

static void
clock_write(struct mtext *b)
{
	int64_t mark = clock_mark_s();

	mt_printf(b, "# HELP treasuryd_clock_behind_seconds How far the "
	    "system clock is behind the latest time the database recorded "
	    "(time stands still at that mark meanwhile; 0 normally).\n"
	    "# TYPE treasuryd_clock_behind_seconds gauge\n"
	    "treasuryd_clock_behind_seconds %" PRId64 "\n", clock_behind_s());
	mt_printf(b, "# HELP treasuryd_clock_mark_seconds The latest time "
	    "the database recorded (Unix seconds).\n"
	    "# TYPE treasuryd_clock_mark_seconds gauge\n"
	    "treasuryd_clock_mark_seconds %" PRId64 "\n",
	    mark > 0 ? mark : 0);
}

/* The webhook delivery thread's counters (webhook_delivery.c). */
static void
webhooks_write(struct mtext *b)
{
	struct webhook_delivery_stats st;

	webhook_delivery_stats_get(&st);
	mt_printf(b, "# HELP treasuryd_webhook_deliveries_total Webhook "
	    "delivery attempts by outcome (ok: a 2xx; failed: to be retried; "
	    "dead: given up).\n"
	    "# TYPE treasuryd_webhook_deliveries_total counter\n"
	    "treasuryd_webhook_deliveries_total{result=\"ok\"} %" PRIu64 "\n"
	    "treasuryd_webhook_deliveries_total{result=\"failed\"} %" PRIu64
	    "\ntreasuryd_webhook_deliveries_total{result=\"dead\"} %" PRIu64
	    "\n", st.delivered, st.failed, st.dead);
	mt_printf(b, "# HELP treasuryd_webhook_outbox_pending Webhook outbox "
	    "entries waiting for delivery (as of the delivery thread's last "
	    "pass).\n# TYPE treasuryd_webhook_outbox_pending gauge\n"
	    "treasuryd_webhook_outbox_pending %" PRId64 "\n", st.pending);
}

static int
status_count_write(const char *status, int64_t count, void *ctx)
{
	mt_printf(ctx, "treasuryd_proposals{status=\"%s\"} %" PRId64 "\n",
	    status, count);
	return 0;
}

static treasury_err
gauges_write(struct mtext *b, struct request *rq)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(rq->srv->mhd,
	    MHD_DAEMON_INFO_CURRENT_CONNECTIONS);

	mt_printf(b, "# HELP treasuryd_signature_verifications_total Vote "
	    "signatures verified in request threads.\n"
	    "# TYPE treasuryd_signature_verifications_total counter\n"
	    "treasuryd_signature_verifications_total{result=\"valid\"} %"
	    PRIu64 "\ntreasuryd_signature_verifications_total{result="
	    "\"invalid\"} %" PRIu64 "\n", (uint64_t)atomic_load(&sig_verified[1]),
	    (uint64_t)atomic_load(&sig_verified[0]));
	mt_printf(b, "# HELP treasuryd_events_read_total Events read from "
	    "the journal for GET /v1/events pages and streams.\n"
	    "# TYPE treasuryd_events_read_total counter\n"
	    "treasuryd_events_read_total %" PRIu64 "\n",
	    (uint64_t)atomic_load(&events_read));
	mt_printf(b, "# HELP treasuryd_events_heard_total Commits of other "
	    "daemons on the same PostgreSQL database heard (LISTEN/NOTIFY), "
	    "each waking the event streams; 0 on SQLite.\n"
	    "# TYPE treasuryd_events_heard_total counter\n"
	    "treasuryd_events_heard_total %" PRIu64 "\n",
	    (uint64_t)atomic_load(&events_heard));
	mt_printf(b, "# HELP treasuryd_answers_from_memory_total Tokens and "
	    "whole answers (GET treasury, GET balances) served from memory, "
	    "without a database read (nothing changed since they were read).\n"
	    "# TYPE treasuryd_answers_from_memory_total counter\n");
	for (int i = 0; i < MEMORY_ANSWER_KINDS; i++)
		mt_printf(b, "treasuryd_answers_from_memory_total{what=\"%s\"} %"
		    PRIu64 "\n", memory_answer_names[i],
		    (uint64_t)atomic_load(&memory_answers[i]));
	mt_printf(b, "# HELP treasuryd_connections Open HTTP connections.\n"
	    "# TYPE treasuryd_connections gauge\ntreasuryd_connections %u\n",
	    info != NULL ? info->num_connections : 0);
	mt_printf(b, "# HELP treasuryd_requests_in_flight Requests being "
	    "handled.\n# TYPE treasuryd_requests_in_flight gauge\n"
	    "treasuryd_requests_in_flight %u\n", api_requests_in_flight());
	mt_printf(b, "# HELP treasuryd_event_streams Open GET /v1/events "
	    "streams.\n# TYPE treasuryd_event_streams gauge\n"
	    "treasuryd_event_streams %u\n", events_streams());
	mt_printf(b, "# HELP treasuryd_proposals Proposals by stored status."
	    "\n# TYPE treasuryd_proposals gauge\n");
	return store_proposal_status_counts(rq->reader, status_count_write, b);
}

void
handle_metrics(struct request *rq, struct reply *rp)
{
	static const char *const params[] = { NULL };
	struct mtext m = { .err = TREASURY_OK };
	treasury_err err;

	static_assert(sizeof(statuses) / sizeof(statuses[0]) < 32, "statuses");
	assert(route_count() <= METRICS_ROUTES_MAX);
	if (!query_only(rq, rp, params))
		return;
	textbuf_init(&m.tb, METRICS_TEXT_MAX_BYTES - 1);	/* + NUL */
	requests_write(&m);
	writer_write(&m, rq->srv->opts.writer);
	clock_write(&m);
	webhooks_write(&m);
	err = gauges_write(&m, rq);
	if (err != TREASURY_OK || m.err != TREASURY_OK) {
		textbuf_free(&m.tb);
		reply_err(rp, err != TREASURY_OK ? err : TREASURY_ERR_NOMEM,
		    "building the metrics");
		return;
	}
	rp->status = 200;
	rp->raw = m.tb.data;	/* freed with free() once sent */
	rp->content_type = "text/plain; version=0.0.4; charset=utf-8";
}
