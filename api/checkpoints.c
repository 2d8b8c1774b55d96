/*
 * checkpoints.c: GET /v1/journal/checkpoints, the journal's signed
 * checkpoints (docs/audit.md), a page at a time:
 *
 *   {"public_key": hex | null, "checkpoints": [{"seq", "hash", "time_s",
 *    "signature"}], "next_cursor"}
 *
 * ?after=SEQ starts after a checkpoint's seq, ?cursor= continues a
 * listing, ?limit= as every list. public_key is the daemon's journal key
 * (null when it runs without one), the key the signatures verify with; an
 * auditor compares it with the key obtained out of band.
 */
#include "treasury/audit.h"

#include "internal.h"

struct checkpoint_page {
	struct collect c;
	int64_t last;
};

static int
checkpoint_append(const struct checkpoint_record *r, void *ctx)
{
	struct checkpoint_page *pg = ctx;

	pg->last = r->seq;
	return collect_add(&pg->c, json_pack("{s:I, s:o, s:I, s:o}", "seq",
	    (json_int_t)r->seq, "hash", json_hex(r->hash, DIGEST_BYTES),
	    "time_s", (json_int_t)r->time_s, "signature",
	    json_hex(r->signature, JOURNAL_SIGNATURE_BYTES)));
}

/* The journal public key as JSON: hex, or null without one. */
json_t *
journal_public_key_json(const struct api_server *srv)
{
	if (!srv->opts.journal_key_set)
		return json_null();
	return json_hex(srv->opts.journal_public_key, JOURNAL_PUBLIC_KEY_BYTES);
}

void
handle_journal_checkpoints(struct request *rq, struct reply *rp)
{
	static const char *const params[] = { "after", "limit", "cursor",
	    NULL };
	char cursor[CURSOR_MAX_BYTES];
	struct checkpoint_page pg = { 0 };
	uint64_t from, after;
	unsigned limit;
	bool more = false;
	treasury_err err;
	json_t *page;

	if (!query_only(rq, rp, params) || !query_limit(rq, rp, &limit) ||
	    !query_after(rq, rp, &after) ||
	    !query_cursor_u64(rq, rp, CURSOR_CHECKPOINTS, "", &from))
		return;
	if (from == 0)
		from = after;
	pg.c.items = json_array();
	err = store_checkpoints_page(rq->reader, (int64_t)from, limit,
	    checkpoint_append, &pg, &more);
	if (!collect_done(&pg.c, rp, err, "listing journal checkpoints"))
		return;
	cursor_u64_make(rq->srv, CURSOR_CHECKPOINTS, "", (uint64_t)pg.last,
	    cursor);
	page = page_json("checkpoints", pg.c.items, more ? cursor : NULL);
	if (page != NULL && json_object_set_new(page, "public_key",
	    journal_public_key_json(rq->srv)) != 0) {
		json_decref(page);
		page = NULL;
	}
	reply_built(rp, 200, page);
}
