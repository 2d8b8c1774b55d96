/*
 * events.c: GET /v1/events, the journal of changes (schema 8's journal
 * table, appended by storage/journal.c in the transaction of each change,
 * so ids follow commit order and nothing committed is without its event):
 * an event's id is the entry's seq, its data the entry's payload
 * (GET /v1/journal, journal.c, shows the whole entry with its hash).
 *
 * With Accept: text/event-stream the answer is a Server-Sent Events
 * stream: every event after Last-Event-ID (or ?after=, or from now on
 * when neither is given) as "id:", "event:" and "data:" lines. Otherwise
 * it is a JSON page, {"events":[...],"next_cursor"}, for catch-up with
 * ?after=N or ?cursor= and ?limit=.
 *
 * A stream is an MHD response from a content reader callback, which runs
 * on the connection's MHD worker thread and reads with that thread's
 * reader connection. When it has nothing to send it suspends its
 * connection (never blocking a worker); the writer's commit hook
 * (events_wake) resumes every suspended stream, and the daemon's cron
 * (api_cron, about once a second) does too, so that an idle stream sends
 * a heartbeat comment every sse_heartbeat seconds and notices a client
 * that went away. A wake-up counter closes the race between "nothing
 * new" and suspending: a stream suspends only if no commit happened since
 * it looked. At most sse_max_streams streams are open; more get 429
 * before anything is read. Every event read is counted for /v1/metrics
 * (treasuryd_events_read_total).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "treasury/canonical.h"
#include "treasury/clock.h"
#include "treasury/log.h"

#include "internal.h"

enum {
	SSE_STREAMS_LIMIT = 1024,	/* the option's maximum */
	SSE_EVENT_MAX_BYTES = EVENT_DATA_MAX_BYTES + 160,
	SSE_EVENTS_PER_READ = 64,
	RETRY_AFTER_STREAMS_S = 5,
};

struct sse_stream {
	struct api_server *srv;
	struct MHD_Connection *conn;
	int64_t last_id;
	uint64_t last_write_ms;
	bool suspended;			/* guarded by streams_mu */
	size_t slot;
};

static pthread_mutex_t streams_mu = PTHREAD_MUTEX_INITIALIZER;
static struct sse_stream *streams[SSE_STREAMS_LIMIT];
static unsigned streams_open;
static atomic_uint_least64_t wake_seq;

unsigned
events_streams(void)
{
	unsigned n;

	pthread_mutex_lock(&streams_mu);
	n = streams_open;
	pthread_mutex_unlock(&streams_mu);
	return n;
}

void
events_wake(void *arg)
{
	(void)arg;
	atomic_fetch_add(&wake_seq, 1);
	pthread_mutex_lock(&streams_mu);
	for (size_t i = 0; i < SSE_STREAMS_LIMIT; i++) {
		struct sse_stream *st = streams[i];
		if (st == NULL || !st->suspended)
			continue;
		st->suspended = false;
		MHD_resume_connection(st->conn);
	}
	pthread_mutex_unlock(&streams_mu);
}

void
events_tick(struct api_server *srv)
{
	events_wake(srv);
}

/* One event as SSE lines: {"id","type","created_at","data"}; without
 * its data ("data":null,"truncated":true) when whole is false. */
static int
sse_format(char *buf, size_t max, const struct event_record *ev, bool whole)
{
	char when[TIMESTAMP_BYTES + 1];

	timestamp_format(ev->created_s, when);
	return snprintf(buf, max, "id: %" PRId64 "\nevent: %s\ndata: "
	    "{\"id\":%" PRId64 ",\"type\":\"%s\",\"created_at\":\"%s\","
	    "\"data\":%s}\n\n", ev->id, ev->type, ev->id, ev->type, when,
	    whole ? ev->data : "null,\"truncated\":true");
}

struct sse_fill {
	char *buf;
	size_t max, len;
	int64_t last_id;
	unsigned rows;			/* events put in buf */
	bool blocked;			/* an event did not fit in buf */
};

static int
sse_fill_one(const struct event_record *ev, void *ctx)
{
	struct sse_fill *f = ctx;
	int n = sse_format(f->buf + f->len, f->max - f->len, ev, true);

	/* An event larger than all the buffer MHD gives (a small
	 * connection_memory and a big batch's debits) goes without its data,
	 * which GET /v1/journal?after=<id - 1> has: else the stream would
	 * stall on it. */
	if (f->len == 0 && (n < 0 || (size_t)n >= f->max))
		n = sse_format(f->buf, f->max, ev, false);
	if (n < 0 || (size_t)n >= f->max - f->len) {
		f->blocked = true;	/* does not fit: next time */
		return 1;
	}
	f->len += (size_t)n;
	f->last_id = ev->id;
	f->rows++;
	return 0;
}

/* Suspend unless a commit came after seq0 or the server is stopping. */
static void
sse_suspend(struct sse_stream *st, uint64_t seq0)
{
	pthread_mutex_lock(&streams_mu);
	if (atomic_load(&wake_seq) == seq0 &&
	    !atomic_load(&st->srv->stopping)) {
		st->suspended = true;
		MHD_suspend_connection(st->conn);
	}
	pthread_mutex_unlock(&streams_mu);
}

static ssize_t
sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct sse_stream *st = cls;
	struct sse_fill f = { buf, max, 0, st->last_id, 0, false };
	uint64_t seq0 = atomic_load(&wake_seq);
	struct store *reader;
	bool more;
	treasury_err err;

	(void)pos;
	if (atomic_load(&st->srv->stopping))
		return MHD_CONTENT_READER_END_OF_STREAM;
	reader = reader_get(st->srv);
	if (reader == NULL)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	err = store_events_page(reader, st->last_id, SSE_EVENTS_PER_READ,
	    sse_fill_one, &f, &more);
	metrics_events_read(f.rows);
	if (err != TREASURY_OK) {
		log_msg(LOG_ERR, "event stream: %s", treasury_err_text(err));
		return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	if (f.len == 0 && clock_mono_ms() - st->last_write_ms >=
	    st->srv->opts.sse_heartbeat_s * 1000ULL)
		f.len = (size_t)snprintf(buf, max, ": heartbeat\n\n");
	if (f.len > 0) {
		st->last_id = f.last_id;
		st->last_write_ms = clock_mono_ms();
		return (ssize_t)f.len;
	}
	if (f.blocked)
		return 0;	/* MHD calls again once its buffer drained */
	sse_suspend(st, seq0);
	return 0;
}

static void
sse_free(void *cls)
{
	struct sse_stream *st = cls;

	pthread_mutex_lock(&streams_mu);
	streams[st->slot] = NULL;
	streams_open--;
	pthread_mutex_unlock(&streams_mu);
	free(st);
}

/* A slot for a new stream; false when sse_max_streams are open. */
static bool
sse_register(struct sse_stream *st)
{
	bool ok = false;

	pthread_mutex_lock(&streams_mu);
	if (streams_open < st->srv->opts.sse_max_streams &&
	    streams_open < SSE_STREAMS_LIMIT) {
		for (size_t i = 0; i < SSE_STREAMS_LIMIT; i++) {
			if (streams[i] != NULL)
				continue;
			streams[i] = st;
			st->slot = i;
			streams_open++;
			ok = true;
			break;
		}
	}
	pthread_mutex_unlock(&streams_mu);
	return ok;
}

/* A plain non-negative decimal event id; false when malformed. */
static bool
event_id_parse(const char *s, int64_t *out)
{
	int64_t n = 0;

	if (s[0] == '\0' || strlen(s) > 18)
		return false;
	for (const char *p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return false;
		n = n * 10 + (*p - '0');
	}
	*out = n;
	return true;
}

/* Where to start: ?after=, else Last-Event-ID, else -1 (from now). */
static bool
events_start(struct request *rq, struct reply *rp, int64_t *after)
{
	const char *q = MHD_lookup_connection_value(rq->conn,
	    MHD_GET_ARGUMENT_KIND, "after");
	const char *h = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
	    "Last-Event-ID");

	*after = -1;
	if (q != NULL && !event_id_parse(q, after)) {
		reply_err(rp, TREASURY_ERR_INVALID_QUERY,
		    "after must be an event id (a decimal integer >= 0)");
		return false;
	}
	if (q == NULL && h != NULL && !event_id_parse(h, after)) {
		reply_err(rp, TREASURY_ERR_INVALID_HEADER,
		    "header 'Last-Event-ID' must be an event id this server "
		    "sent (a decimal integer)");
		return false;
	}
	return true;
}

static bool
accepts_event_stream(struct request *rq)
{
	const char *a = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_ACCEPT);

	static const char want[] = "text/event-stream";

	for (; a != NULL && *a != '\0'; a++)
		if (strncasecmp(a, want, sizeof(want) - 1) == 0)
			return true;
	return false;
}

/* A stream: its slot first (nothing is read when sse_max_streams are
 * open), then its start, the newest event id when the client gave none
 * (one index lookup: the table is never walked to find it). */
static void
events_stream(struct request *rq, struct reply *rp, int64_t after)
{
	struct sse_stream *st = calloc(1, sizeof(*st));
	treasury_err err;

	if (st == NULL) {
		reply_err(rp, TREASURY_ERR_NOMEM, "out of memory");
		return;
	}
	st->srv = rq->srv;
	st->conn = rq->conn;
	st->last_write_ms = clock_mono_ms();
	st->last_id = after;
	if (!sse_register(st)) {
		free(st);
		reply_err(rp, TREASURY_ERR_TOO_MANY_STREAMS, "%u event "
		    "streams are open (sse_max_streams)",
		    rq->srv->opts.sse_max_streams);
		rp->retry_after_s = RETRY_AFTER_STREAMS_S;
		return;
	}
	if (after < 0 && (err = store_events_last_id(rq->reader,
	    &st->last_id)) != TREASURY_OK) {
		sse_free(st);
		reply_err(rp, err, "finding the newest event");
		return;
	}
	rp->stream = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN,
	    SSE_EVENT_MAX_BYTES + 4096, sse_read, st, sse_free);
	if (rp->stream == NULL) {
		sse_free(st);
		reply_err(rp, TREASURY_ERR_NOMEM, "out of memory");
		return;
	}
	rp->status = 200;
	MHD_add_response_header(rp->stream, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/event-stream");
	MHD_add_response_header(rp->stream, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "no-store");
}

struct event_page {
	struct collect c;
	int64_t last;
};

static int
event_append(const struct event_record *ev, void *ctx)
{
	struct event_page *pg = ctx;
	json_t *data = json_loads(ev->data, JSON_REJECT_DUPLICATES, NULL);

	pg->last = ev->id;
	if (data == NULL)
		data = json_object();
	return collect_add(&pg->c, json_pack("{s:I, s:s, s:o, s:o}", "id",
	    (json_int_t)ev->id, "type", ev->type, "created_at",
	    json_time(ev->created_s), "data", data));
}

static void
events_page(struct request *rq, struct reply *rp, int64_t after)
{
	char cursor[CURSOR_MAX_BYTES];
	struct event_page pg = { 0 };
	uint64_t from;
	unsigned limit;
	bool more = false;
	treasury_err err;

	if (!query_limit(rq, rp, &limit) ||
	    !query_cursor_u64(rq, rp, CURSOR_EVENTS, "", &from))
		return;
	if (from == 0 && after > 0)
		from = (uint64_t)after;
	pg.c.items = json_array();
	err = store_events_page(rq->reader, (int64_t)from, limit, event_append,
	    &pg, &more);
	metrics_events_read((unsigned)json_array_size(pg.c.items));
	if (!collect_done(&pg.c, rp, err, "listing events"))
		return;
	cursor_u64_make(rq->srv, CURSOR_EVENTS, "", (uint64_t)pg.last, cursor);
	reply_built(rp, 200, page_json("events", pg.c.items,
	    more ? cursor : NULL));
}

void
handle_events(struct request *rq, struct reply *rp)
{
	static const char *const params[] = { "after", "limit", "cursor",
	    NULL };
	int64_t after;

	if (!query_only(rq, rp, params) || !events_start(rq, rp, &after))
		return;
	if (accepts_event_stream(rq))
		events_stream(rq, rp, after);
	else
		events_page(rq, rp, after);
}
