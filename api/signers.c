/*
 * signers.c: "needs your signature".
 *
 *   GET /v1/signers/{name}/pending    ?limit=&cursor=   (signer or admin)
 *
 * The proposals, across every treasury, that wait for the signer of that
 * name: pending at the request's clock, made for a config version whose
 * signer set holds the name, and not voted on by it (store_pending_for_
 * signer, queries.h). A signer name is per treasury: the answer gathers
 * every treasury's signer of that name, which is what a bot pinging a
 * person by name wants. Items are proposal objects, in creation order.
 */
#include <string.h>

#include "treasury/clock.h"

#include "internal.h"

struct pending_page {
	struct collect c;
};

static int
pending_append(const struct proposal_record *rec, void *ctx)
{
	struct pending_page *pg = ctx;

	return collect_add(&pg->c, proposal_json(rec));
}

static bool
param_signer(struct request *rq, struct reply *rp, size_t i)
{
	const char *name = rq->params[i];
	char shown[65];

	if (signer_name_check(name, strlen(name)) == TREASURY_OK)
		return true;
	text_for_detail(shown, sizeof(shown), name);
	reply_err(rp, TREASURY_ERR_SIGNER_NAME, "'%s' is not a signer name",
	    shown);
	return false;
}

void
handle_signer_pending(struct request *rq, struct reply *rp)
{
	static const char *const params[] = { "limit", "cursor", NULL };
	char cursor[CURSOR_MAX_BYTES];
	struct pending_page pg = { { NULL, false } };
	uint64_t after, last = 0;
	unsigned limit;
	bool more = false;
	treasury_err err;

	if (!query_only(rq, rp, params) || !param_signer(rq, rp, 0) ||
	    !query_limit(rq, rp, &limit) ||
	    !query_cursor_u64(rq, rp, CURSOR_PENDING, rq->params[0], &after))
		return;
	pg.c.items = json_array();
	err = store_pending_for_signer(rq->reader, rq->params[0], after, limit,
	    clock_now_s(), pending_append, &pg, &last, &more);
	if (!collect_done(&pg.c, rp, err, "reading the pending proposals"))
		return;
	cursor_u64_make(rq->srv, CURSOR_PENDING, rq->params[0], last, cursor);
	reply_built(rp, 200, page_json("proposals", pg.c.items,
	    more ? cursor : NULL));
}
