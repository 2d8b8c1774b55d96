/*
 * csv.c: CSV answers (docs/api.md "CSV"): an RFC 4180 writer into a
 * bounded buffer, the format negotiation, the answers built in memory
 * (bounded lists), and streamed exports: one page read per MHD callback,
 * each in its own short read transaction, rows written until the block
 * is full (a row that does not fit waits for the next callback). The
 * ledger's export is here; proposals_csv.c and prices.c use the same
 * stream.
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

#include "treasury/canonical.h"
#include "treasury/hex.h"
#include "treasury/log.h"

#include "internal.h"

enum {
	CSV_LEDGER_PAGE = 200,		/* entries read per callback */
	CSV_BLOCK_BYTES = 64 * 1024,	/* MHD's buffer of a stream */
	CSV_NAME_MAX_BYTES = 96,	/* a Content-Disposition filename */
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

void
csv_time(struct csv_out *o, int64_t unix_s)
{
	char t[TIMESTAMP_BYTES + 1];

	timestamp_format(unix_s, t);
	csv_amount(o, t);
}

void
csv_minor(struct csv_out *o, amount_minor v, unsigned decimals)
{
	char a[AMOUNT_FORMAT_MAX_BYTES];

	if (amount_format(v, decimals, a, sizeof(a)) != TREASURY_OK)
		a[0] = '\0';
	csv_amount(o, a);
}

void
csv_int(struct csv_out *o, int64_t v)
{
	char n[24];

	snprintf(n, sizeof(n), "%" PRId64, v);
	csv_amount(o, n);
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

void
reply_treasury_err(struct reply *rp, treasury_err err, const char *treasury)
{
	reply_err(rp, err, "%s treasury '%s'", err ==
	    TREASURY_ERR_UNKNOWN_TREASURY ? "no" : "reading", treasury);
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

void
csv_header(struct csv_out *o, const char *const cols[])
{
	for (size_t i = 0; cols[i] != NULL; i++)
		csv_text(o, cols[i]);
	csv_row_end(o);
}

bool
csv_memory_begin(struct reply *rp, struct csv_out *o, size_t cap,
    const char *const cols[])
{
	char *buf = malloc(cap);

	if (buf == NULL) {
		reply_err(rp, TREASURY_ERR_NOMEM, "out of memory");
		return false;
	}
	csv_init(o, buf, cap);
	csv_header(o, cols);
	return true;
}

void
csv_memory_reply(struct request *rq, struct reply *rp, struct csv_out *o,
    treasury_err err, const char *what)
{
	char name[CSV_NAME_MAX_BYTES];

	if (err != TREASURY_OK) {
		free(o->buf);
		reply_treasury_err(rp, err, rq->params[0]);
		return;
	}
	snprintf(name, sizeof(name), "%s-%s.csv", what, rq->params[0]);
	(void)reply_csv(rp, o, name);
}

/* ---- streamed exports ---- */

bool
csv_stream_row_fits(struct csv_stream *cs, size_t before)
{
	if (!cs->o.full)
		return true;
	cs->o.len = before;	/* the row waits for the next call */
	cs->o.full = false;
	cs->stopped = true;
	return false;
}

static ssize_t
csv_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct csv_stream *cs = cls;
	struct store *reader;
	treasury_err err;
	bool more = false;

	(void)pos;
	if (cs->done)
		return MHD_CONTENT_READER_END_OF_STREAM;
	csv_init(&cs->o, buf, max);
	if (!cs->header_done) {
		csv_header(&cs->o, cs->cols);
		if (cs->o.full)
			return 0;
		cs->header_done = true;
	}
	reader = reader_get(cs->srv);
	if (reader == NULL)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	cs->stopped = false;
	err = cs->page(cs, reader, &more);
	if (err != TREASURY_OK) {
		log_msg(LOG_ERR, "%s export: %s", cs->what,
		    treasury_err_text(err));
		return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	if (!more && !cs->stopped)
		cs->done = true;
	if (cs->o.len == 0 && cs->done)
		return MHD_CONTENT_READER_END_OF_STREAM;
	return (ssize_t)cs->o.len;
}

static void
csv_stream_free(void *cls)
{
	free(cls);
}

void
csv_stream_reply(struct request *rq, struct reply *rp, struct csv_stream *cs,
    const char *subject)
{
	char name[CSV_NAME_MAX_BYTES];

	cs->srv = rq->srv;
	rp->stream = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN,
	    CSV_BLOCK_BYTES, csv_stream_read, cs, csv_stream_free);
	if (rp->stream == NULL) {
		free(cs);
		reply_err(rp, TREASURY_ERR_NOMEM, "out of memory");
		return;
	}
	rp->status = 200;
	snprintf(name, sizeof(name), "%s-%s.csv", cs->what, subject);
	reply_csv_headers(rp->stream, name);
}

/* ---- the ledger, streamed ---- */

/* Ends at the last entry that existed when the request began: the
 * export terminates and is consistent, the ledger being append-only. */
struct ledger_stream {
	struct csv_stream cs;	/* first: the stream frees the whole */
	char treasury[TREASURY_ID_MAX_BYTES + 1];
	struct ledger_filter f;
	bool filtered;
	int64_t after;		/* the last entry written */
	int64_t last;		/* the last entry when the request began */
};

static const char *const ledger_cols[] = { "seq", "created_at", "kind",
    "asset", "amount", "balance_after", "category", "counterparty",
    "reference", "source", "to", "memo", "proposal_id", NULL };

static void
ledger_row(struct csv_out *o, const struct ledger_entry *e)
{
	char id[2 * PROPOSAL_ID_BYTES + 1];
	bool dep = e->kind == LEDGER_DEPOSIT;

	id[0] = '\0';
	if (e->has_proposal)
		hex_encode(id, e->proposal, PROPOSAL_ID_BYTES);
	csv_int(o, e->seq);
	csv_time(o, e->created_s);
	csv_text(o, dep ? "deposit" : "transfer");
	csv_text(o, e->asset);
	csv_minor(o, e->amount, e->decimals);
	csv_minor(o, e->balance_after, e->decimals);
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
	size_t before = st->cs.o.len;

	if (e->seq > st->last) {
		st->cs.done = true;
		return 1;
	}
	ledger_row(&st->cs.o, e);
	if (!csv_stream_row_fits(&st->cs, before))
		return 1;
	st->after = e->seq;
	return 0;
}

static treasury_err
ledger_stream_page(struct csv_stream *cs, struct store *reader, bool *more)
{
	struct ledger_stream *st = (struct ledger_stream *)cs;

	return store_ledger_page_filtered(reader, st->treasury,
	    st->filtered ? &st->f : NULL, st->after, CSV_LEDGER_PAGE,
	    ledger_stream_one, st, more);
}

void
ledger_csv_stream(struct request *rq, struct reply *rp,
    const struct ledger_filter *f, bool filtered, int64_t after)
{
	struct ledger_stream *st = calloc(1, sizeof(*st));
	treasury_err err;

	if (st == NULL) {
		reply_err(rp, TREASURY_ERR_NOMEM, "out of memory");
		return;
	}
	st->cs.cols = ledger_cols;
	st->cs.page = ledger_stream_page;
	st->cs.what = "ledger";
	snprintf(st->treasury, sizeof(st->treasury), "%s", rq->params[0]);
	st->f = *f;
	st->filtered = filtered;
	st->after = after;
	err = store_ledger_last_seq(rq->reader, rq->params[0], &st->last);
	if (err != TREASURY_OK) {
		free(st);
		reply_treasury_err(rp, err, rq->params[0]);
		return;
	}
	csv_stream_reply(rq, rp, &st->cs, rq->params[0]);
}
