/*
 * proposals_csv.c: GET /v1/treasuries/{t}/proposals as CSV (docs/api.md
 * "CSV"), streamed by csv.c's stream: one page of proposals read per MHD
 * callback, each in its own short read transaction, up to the newest
 * proposal that existed when the request began (nonces only grow, so the
 * export ends and never shows a proposal twice).
 *
 * One row per transfer item (a transfer has one, a batch 1..64: the
 * proposal's columns repeated on each), one row for every other kind
 * with the item columns empty:
 *
 *   id,treasury,nonce,kind,status,proposer,created_at,expires_at,
 *   executed_at,settlement,memo,item,asset,amount,to,item_memo,category
 *
 * The items are read from the canonical text (proposal_decode), the
 * labels from the record. A proposal whose rows do not all fit in one
 * block is continued at its next item in the next callback (it is read
 * again there, in that callback's transaction).
 */
#include <stdlib.h>
#include <string.h>

#include "treasury/hex.h"

#include "internal.h"

enum {
	CSV_PROPOSALS_PAGE = 50,	/* proposals read per callback */
	ITEM_COLUMNS = 6,		/* item,asset,amount,to,item_memo,
					 * category */
};

struct proposal_stream {
	struct csv_stream cs;	/* first: the stream frees the whole */
	char treasury[TREASURY_ID_MAX_BYTES + 1];
	enum proposal_status status;	/* the filter; 0 for none */
	int64_t now_s;		/* statuses as at the request's time */
	uint64_t after;		/* the last proposal written whole */
	uint64_t last;		/* the newest when the request began */
	uint64_t part;		/* a proposal written in part, 0 if none */
	unsigned item;		/* ... and its next item */
	struct store *reader;	/* of the current callback */
	treasury_err err;	/* of the current callback's rows */
	struct proposal_fields f;	/* the current proposal, decoded */
};

static const char *const proposal_cols[] = { "id", "treasury", "nonce",
    "kind", "status", "proposer", "created_at", "expires_at",
    "executed_at", "settlement", "memo", "item", "asset", "amount", "to",
    "item_memo", "category", NULL };

static bool
has_items(enum proposal_kind kind)
{
	return kind == KIND_TRANSFER || kind == KIND_BATCH;
}

/* The proposal's columns, then those of transfer item i (i < 0: none). */
static void
proposal_row(struct csv_out *o, const struct proposal_record *rec,
    const struct proposal_fields *f, const char *proposer, int i)
{
	char id[2 * PROPOSAL_ID_BYTES + 1];
	const struct transfer_fields *t;

	hex_encode(id, rec->id, PROPOSAL_ID_BYTES);
	csv_text(o, id);
	csv_text(o, rec->treasury);
	csv_int(o, (int64_t)rec->nonce);
	csv_text(o, proposal_kind_name(rec->kind));
	csv_text(o, proposal_status_name(rec->status));
	csv_text(o, proposer);
	csv_time(o, rec->created_s);
	csv_time(o, rec->expires_s);
	if (rec->executed_s != 0)
		csv_time(o, rec->executed_s);
	else
		csv_amount(o, "");
	csv_text(o, rec->settlement);
	csv_text(o, f->memo);
	if (i < 0) {
		for (unsigned k = 0; k < ITEM_COLUMNS; k++)
			csv_amount(o, "");
	} else {
		t = &f->transfers[i];
		csv_int(o, i);
		csv_text(o, t->asset);
		csv_minor(o, t->amount, t->decimals);
		csv_text(o, t->to);
		csv_text(o, rec->kind == KIND_BATCH ? t->memo : "");
		csv_text(o, rec->categories.item[i]);
	}
	csv_row_end(o);
}

/* The proposer's name and the decoded text of rec into st->f. */
static treasury_err
proposal_read_more(struct proposal_stream *st,
    const struct proposal_record *rec, char proposer[TOKEN_NAME_MAX_BYTES + 1])
{
	treasury_err err;

	err = store_token_name(st->reader, rec->proposer_token_id, proposer);
	if (err == TREASURY_ERR_NOT_FOUND)
		return TREASURY_ERR_DB_CORRUPT;
	if (err != TREASURY_OK)
		return err;
	memset(&st->f, 0, sizeof(st->f));
	if (proposal_decode(st->cs.srv->opts.verifier, rec->canonical,
	    rec->canonical_len, &st->f) != TREASURY_OK)
		return TREASURY_ERR_DB_CORRUPT;
	if (has_items(rec->kind) && (st->f.transfer_count == 0 ||
	    st->f.transfer_count > BATCH_TRANSFERS_MAX))
		return TREASURY_ERR_DB_CORRUPT;
	return TREASURY_OK;
}

/* Every row of rec from the item it stopped at: false when stopped (a
 * row did not fit) or failed (st->err). */
static bool
proposal_rows(struct proposal_stream *st, const struct proposal_record *rec)
{
	char proposer[TOKEN_NAME_MAX_BYTES + 1];
	unsigned i = st->part == rec->nonce ? st->item : 0;
	unsigned n;
	size_t before;

	st->err = proposal_read_more(st, rec, proposer);
	if (st->err != TREASURY_OK)
		return false;
	n = has_items(rec->kind) ? st->f.transfer_count : 1;
	for (; i < n; i++) {
		before = st->cs.o.len;
		proposal_row(&st->cs.o, rec, &st->f, proposer,
		    has_items(rec->kind) ? (int)i : -1);
		if (!csv_stream_row_fits(&st->cs, before)) {
			st->part = rec->nonce;
			st->item = i;
			return false;
		}
	}
	return true;
}

static int
proposal_stream_one(const struct proposal_record *rec, void *ctx)
{
	struct proposal_stream *st = ctx;

	if (rec->nonce > st->last) {
		st->cs.done = true;
		return 1;
	}
	if (!proposal_rows(st, rec))
		return 1;
	st->after = rec->nonce;
	st->part = 0;
	st->item = 0;
	return 0;
}

static treasury_err
proposal_stream_page(struct csv_stream *cs, struct store *reader,
    bool *more)
{
	struct proposal_stream *st = (struct proposal_stream *)cs;
	treasury_err err;

	st->reader = reader;
	st->err = TREASURY_OK;
	err = store_proposals_page(reader, st->treasury, st->status,
	    st->after, CSV_PROPOSALS_PAGE, st->now_s, proposal_stream_one, st,
	    more);
	return err != TREASURY_OK ? err : st->err;
}

void
proposal_csv_stream(struct request *rq, struct reply *rp,
    enum proposal_status status, uint64_t after, int64_t now_s)
{
	struct proposal_stream *st = calloc(1, sizeof(*st));
	treasury_err err;

	if (st == NULL) {
		reply_err(rp, TREASURY_ERR_NOMEM, "out of memory");
		return;
	}
	st->cs.cols = proposal_cols;
	st->cs.page = proposal_stream_page;
	st->cs.what = "proposals";
	snprintf(st->treasury, sizeof(st->treasury), "%s", rq->params[0]);
	st->status = status;
	st->now_s = now_s;
	st->after = after;
	err = store_proposals_last_nonce(rq->reader, rq->params[0], &st->last);
	if (err != TREASURY_OK) {
		free(st);
		reply_treasury_err(rp, err, rq->params[0]);
		return;
	}
	csv_stream_reply(rq, rp, &st->cs, rq->params[0]);
}
