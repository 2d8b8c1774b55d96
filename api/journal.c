/*
 * journal.c: GET /v1/journal, the journal's entries whole, with their
 * hashes (docs/api.md "GET /v1/journal", docs/audit.md): what an auditor
 * recomputes the hash chain from.
 *
 * A page of entries with seq > after (?after=N, or the ?cursor= of the
 * page before), at most ?limit=, in seq order:
 *
 *   {"entries":[{"seq","time_s","created_at","treasury","type",
 *     "actor":{"token","signer"},"payload":{...},"payload_text":"...",
 *     "hash":"<hex>"}],"next_cursor"}
 *
 * payload_text is the payload exactly as stored and hashed (the entry
 * bytes use it); payload is the same parsed, for reading. A missing
 * treasury, token or signer is null (the empty string in the entry
 * bytes). Any token may read it, as GET /v1/events.
 */
#include <string.h>

#include "treasury/hex.h"

#include "internal.h"

struct journal_page {
	struct collect c;
	int64_t last;
};

/* A string field of an entry: null for "". */
static json_t *
json_opt(const char *s)
{
	return s[0] == '\0' ? json_null() : json_string(s);
}

static json_t *
journal_item(const struct journal_entry *e, const uint8_t hash[DIGEST_BYTES])
{
	json_t *payload, *text;

	/* stored bytes are printable ASCII (journal_entry_valid) */
	text = json_stringn(e->payload, e->payload_len);
	payload = json_loadb(e->payload, e->payload_len,
	    JSON_REJECT_DUPLICATES, NULL);
	if (payload == NULL)		/* not JSON: shown as text only */
		payload = json_null();
	return json_pack("{s:I, s:I, s:o, s:o, s:s, s:{s:o, s:o}, s:o, s:o,"
	    " s:o}", "seq", (json_int_t)e->seq, "time_s",
	    (json_int_t)e->time_s, "created_at", json_time(e->time_s),
	    "treasury", json_opt(e->treasury), "type", e->type,
	    "actor", "token", json_opt(e->actor_token), "signer",
	    json_opt(e->actor_signer), "payload", payload,
	    "payload_text", text, "hash", json_hex(hash, DIGEST_BYTES));
}

static int
journal_append_item(const struct journal_entry *e,
    const uint8_t hash[DIGEST_BYTES], void *ctx)
{
	struct journal_page *pg = ctx;

	pg->last = e->seq;
	return collect_add(&pg->c, journal_item(e, hash));
}

void
handle_journal(struct request *rq, struct reply *rp)
{
	static const char *const params[] = { "after", "limit", "cursor",
	    NULL };
	char cursor[CURSOR_MAX_BYTES];
	struct journal_page pg = { 0 };
	uint64_t from, after;
	unsigned limit;
	bool more = false;
	treasury_err err;

	if (!query_only(rq, rp, params) || !query_after(rq, rp, &after) ||
	    !query_limit(rq, rp, &limit) ||
	    !query_cursor_u64(rq, rp, CURSOR_JOURNAL, "", &from))
		return;
	if (from == 0)
		from = after;
	pg.c.items = json_array();
	err = store_journal_page(rq->reader, (int64_t)from, limit,
	    journal_append_item, &pg, &more);
	if (!collect_done(&pg.c, rp, err, "reading the journal"))
		return;
	cursor_u64_make(rq->srv, CURSOR_JOURNAL, "", (uint64_t)pg.last,
	    cursor);
	reply_built(rp, 200, page_json("entries", pg.c.items,
	    more ? cursor : NULL));
}
