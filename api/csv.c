/*
 * csv.c: CSV answers (docs/api.md "CSV"): an RFC 4180 writer into a
 * bounded buffer, the format negotiation, and the streamed export of the
 * ledger (one page read per MHD callback, each in its own short read
 * transaction, ending at the last entry that existed when the request
 * began: the export terminates and is consistent, the ledger being
 * append-only).
 *
 * Rules: CRLF line ends, a header row; a field containing '"', ',', CR or
 * LF is quoted (inner quotes doubled). A text field starting with '=',
 * '+', '-', '@', TAB or CR is prefixed with a single quote "'" (a
 * spreadsheet would read it as a formula). Amounts are written as they
 * are: exact decimal text, never negative here, never prefixed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "treasury/calendar.h"
#include "treasury/hex.h"
#include "treasury/log.h"

#include "internal.h"

enum {
	CSV_LEDGER_PAGE = 200,		/* entries read per callback */
	CSV_BLOCK_BYTES = 64 * 1024,	/* MHD's buffer of a stream */
};

void
csv_init(struct csv_out *o, char *buf, size_t cap)
{
	o->buf = buf;
	o->cap = cap;
	o->len = 0;
	o->fields = 0;
	o->full = false;
}

static void
put(struct csv_out *o, const char *s, size_t n)
{
	if (o->full || o->cap - o->len < n) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void
field(struct csv_out *o, const char *s, bool guard)
{
	bool quote = strpbrk(s, "\",\r\n") != NULL;

	if (o->fields++ > 0)
		put(o, ",", 1);
	if (quote)
		put(o, "\"", 1);
	if (guard && s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL)
		put(o, "'", 1);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			put(o, "\"", 1);
		put(o, s, 1);
	}
	if (quote)
		put(o, "\"", 1);
}

void
csv_text(struct csv_out *o, const char *s)
{
	field(o, s, true);
}

void
csv_amount(struct csv_out *o, const char *s)
{
	field(o, s, false);
}

void
csv_row_end(struct csv_out *o)
{
	put(o, "\r\n", 2);
	o->fields = 0;
}

/* s contains want, ignoring ASCII case */
static bool
contains_nocase(const char *s, const char *want)
{
	size_t n = strlen(want);

	for (; *s != '\0'; s++)
		if (strncasecmp(s, want, n) == 0)
			return true;
	return false;
}

bool
reply_format(struct request *rq, struct reply *rp, bool *csv)
{
	const char *f = query_get(rq, "format");
	const char *a = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_ACCEPT);

	*csv = false;
	if (f != NULL) {
		if (strcmp(f, "csv") == 0)
			*csv = true;
		else if (strcmp(f, "json") != 0) {
			reply_err(rp, TREASURY_ERR_INVALID_QUERY,
			    "format must be json or csv");
			return false;
		}
		return true;
	}
	/* no content negotiation elsewhere: an Accept naming text/csv and
	 * not application/json asks for CSV; anything else gets JSON */
	if (a != NULL && contains_nocase(a, "text/csv") &&
	    !contains_nocase(a, "application/json"))
		*csv = true;
	return true;
}

void
reply_csv_headers(struct MHD_Response *r, const char *filename)
{
	char disposition[128];

	snprintf(disposition, sizeof(disposition),
	    "attachment; filename=\"%s\"", filename);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/csv; charset=utf-8");
	MHD_add_response_header(r, "Content-Disposition", disposition);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
}

bool
reply_csv(struct reply *rp, struct csv_out *o, const char *filename)
{
	if (o->full) {
		free(o->buf);
		reply_err(rp, TREASURY_ERR_TOO_LARGE, "the CSV answer exceeds"
		    " %zu bytes", o->cap);
		return false;
	}
	rp->stream = MHD_create_response_from_buffer(o->len, o->buf,
	    MHD_RESPMEM_MUST_FREE);
	if (rp->stream == NULL) {
		free(o->buf);
		reply_err(rp, TREASURY_ERR_NOMEM, "out of memory");
		return false;
	}
	rp->status = 200;
	reply_csv_headers(rp->stream, filename);
	return true;
}

/* ---- the ledger, streamed ---- */

struct ledger_stream {
	struct api_server *srv;
	char treasury[TREASURY_ID_MAX_BYTES + 1];
	struct ledger_filter f;
	bool filtered;
	int64_t after;		/* the last entry written */
	int64_t last;		/* the last entry when the request began */
	bool header_done;
	bool done;
	struct csv_out o;	/* over the callback's buffer */
	bool stopped;		/* a row did not fit */
};

static const char ledger_header[] =
    "seq,created_at,kind,asset,amount,balance_after,category,"
    "counterparty,reference,source,to,memo,proposal_id\r\n";

static void
ledger_row(struct csv_out *o, const struct ledger_entry *e)
{
	char n[24], t[CALENDAR_TIME_BYTES + 1], a[AMOUNT_FORMAT_MAX_BYTES];
	char b[AMOUNT_FORMAT_MAX_BYTES], id[2 * PROPOSAL_ID_BYTES + 1];
	bool dep = e->kind == LEDGER_DEPOSIT;

	snprintf(n, sizeof(n), "%" PRId64, e->seq);
	calendar_time_text(e->created_s, t);
	if (amount_format(e->amount, e->decimals, a, sizeof(a)) != TREASURY_OK)
		a[0] = '\0';
	if (amount_format(e->balance_after, e->decimals, b, sizeof(b)) !=
	    TREASURY_OK)
		b[0] = '\0';
	id[0] = '\0';
	if (e->has_proposal)
		hex_encode(id, e->proposal, PROPOSAL_ID_BYTES);
	csv_amount(o, n);
	csv_amount(o, t);
	csv_text(o, dep ? "deposit" : "transfer");
	csv_text(o, e->asset);
	csv_amount(o, a);
	csv_amount(o, b);
	csv_text(o, e->category);
	csv_text(o, dep ? e->source : e->to);
	csv_text(o, e->reference);
	csv_text(o, e->source);
	csv_text(o, e->to);
	csv_text(o, e->memo);
	csv_text(o, id);
	csv_row_end(o);
}

static int
ledger_stream_one(const struct ledger_entry *e, void *ctx)
{
	struct ledger_stream *st = ctx;
	size_t before = st->o.len;

	if (e->seq > st->last) {
		st->done = true;
		return 1;
	}
	ledger_row(&st->o, e);
	if (st->o.full) {
		st->o.len = before;	/* the row waits for the next call */
		st->o.full = false;
		st->stopped = true;
		return 1;
	}
	st->after = e->seq;
	return 0;
}

static ssize_t
ledger_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct ledger_stream *st = cls;
	struct store *reader;
	treasury_err err;
	bool more = false;

	(void)pos;
	if (st->done)
		return MHD_CONTENT_READER_END_OF_STREAM;
	csv_init(&st->o, buf, max);
	if (!st->header_done) {
		put(&st->o, ledger_header, sizeof(ledger_header) - 1);
		if (st->o.full)
			return 0;
		st->header_done = true;
	}
	reader = reader_get(st->srv);
	if (reader == NULL)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	st->stopped = false;
	err = store_ledger_page_filtered(reader, st->treasury,
	    st->filtered ? &st->f : NULL, st->after, CSV_LEDGER_PAGE,
	    ledger_stream_one, st, &more);
	if (err != TREASURY_OK) {
		log_msg(LOG_ERR, "ledger export: %s", treasury_err_text(err));
		return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	if (!more && !st->stopped)
		st->done = true;
	if (st->o.len == 0 && st->done)
		return MHD_CONTENT_READER_END_OF_STREAM;
	return (ssize_t)st->o.len;
}

static void
ledger_stream_free(void *cls)
{
	free(cls);
}

void
ledger_csv_stream(struct request *rq, struct reply *rp,
    const struct ledger_filter *f, bool filtered, int64_t after)
{
	struct ledger_stream *st = calloc(1, sizeof(*st));
	char filename[TREASURY_ID_MAX_BYTES + 16];
	treasury_err err;

	if (st == NULL) {
		reply_err(rp, TREASURY_ERR_NOMEM, "out of memory");
		return;
	}
	st->srv = rq->srv;
	snprintf(st->treasury, sizeof(st->treasury), "%s", rq->params[0]);
	st->f = *f;
	st->filtered = filtered;
	st->after = after;
	err = store_ledger_last_seq(rq->reader, rq->params[0], &st->last);
	if (err != TREASURY_OK) {
		free(st);
		reply_err(rp, err, "%s treasury '%s'", err ==
		    TREASURY_ERR_UNKNOWN_TREASURY ? "no" : "reading",
		    rq->params[0]);
		return;
	}
	rp->stream = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN,
	    CSV_BLOCK_BYTES, ledger_stream_read, st, ledger_stream_free);
	if (rp->stream == NULL) {
		free(st);
		reply_err(rp, TREASURY_ERR_NOMEM, "out of memory");
		return;
	}
	rp->status = 200;
	snprintf(filename, sizeof(filename), "ledger-%s.csv", rq->params[0]);
	reply_csv_headers(rp->stream, filename);
}
