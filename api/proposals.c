/*
 * proposals.c: making and reading proposals.
 *
 *   POST /v1/treasuries/{t}/proposals    (signer) 201 pending proposal
 *   GET  /v1/treasuries/{t}/proposals    ?status=&limit=&cursor=&format=
 *        (CSV: proposals_csv.c)
 *   GET  /v1/proposals/{id}              one proposal with its votes
 *   GET  /v1/proposals/{id}/bundle       executed: text + approving sigs
 *
 * Statuses are read as effective at the request's clock: a pending or
 * approved proposal past its expiry reads "expired".
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "treasury/clock.h"
#include "treasury/hash.h"
#include "treasury/hex.h"

#include "internal.h"

bool
proposal_load(struct request *rq, struct reply *rp,
    const uint8_t id[PROPOSAL_ID_BYTES], int64_t now_s,
    struct proposal_record *rec)
{
	char hex[2 * PROPOSAL_ID_BYTES + 1];
	treasury_err err;

	memset(rec, 0, sizeof(*rec));
	err = store_proposal_get(rq->reader, id, now_s, rec);
	if (err == TREASURY_OK)
		return true;
	hex_encode(hex, id, PROPOSAL_ID_BYTES);
	reply_err(rp, err, "%s proposal %s",
	    err == TREASURY_ERR_UNKNOWN_PROPOSAL ? "no" : "reading", hex);
	return false;
}

static json_t *
acts_json(const struct signed_act *acts, unsigned count)
{
	json_t *list = json_array();

	for (unsigned i = 0; list != NULL && i < count; i++)
		json_array_append_new(list, json_pack("{s:s, s:o}", "signer",
		    acts[i].signer, "signature", json_hex(acts[i].signature,
		    acts[i].signature_len)));
	return list;
}

/* The policy members of a proposal (docs/policies.md §12.3): the
 * approvals it needs, when it was approved and when it may execute, its
 * vetoes and the revoked approvals. */
static json_t *
proposal_policy_json(struct request *rq, const struct proposal_record *rec,
    json_t *j)
{
	struct proposal_policy_view *v = malloc(sizeof(*v));

	if (j == NULL || v == NULL || store_proposal_policy(rq->reader,
	    rec->id, rec->threshold, rec->signer_count, v) != TREASURY_OK) {
		free(v);
		json_decref(j);
		return NULL;	/* reply_built answers 503 */
	}
	if (rec->status != STATUS_APPROVED)
		v->executable_s = 0;
	json_object_set_new(j, "required_approvals",
	    json_integer(v->required));
	json_object_set_new(j, "approved_at", v->approved_s != 0 ?
	    json_time(v->approved_s) : json_null());
	json_object_set_new(j, "executable_at", v->executable_s != 0 ?
	    json_time(v->executable_s) : json_null());
	json_object_set_new(j, "vetoes", acts_json(v->vetoes,
	    v->veto_count));
	json_object_set_new(j, "veto_threshold", v->vetoes_apply ?
	    json_integer(v->veto_threshold) : json_null());
	json_object_set_new(j, "revocations", acts_json(v->revocations,
	    v->revocation_count));
	if (rec->kind == KIND_ADD_SIGNER || rec->kind == KIND_REPLACE_SIGNER)
		json_object_set_new(j, "key_proof", json_boolean(v->key_proof));
	free(v);
	return j;
}

void
proposal_answer(struct request *rq, struct reply *rp,
    const uint8_t id[PROPOSAL_ID_BYTES], unsigned status)
{
	struct proposal_record *rec = malloc(sizeof(*rec));

	if (rec == NULL) {
		reply_err(rp, TREASURY_ERR_NOMEM, "out of memory");
		return;
	}
	if (proposal_load(rq, rp, id, clock_now_s(), rec)) {
		/* the votes that follow need not read these again */
		cache_vote_proposal_put(rec->id, rec->treasury,
		    rec->config_version, rec->threshold, rec->signer_count);
		reply_built(rp, status, proposal_policy_json(rq, rec,
		    proposal_json(rec)));
		proposal_record_free(rec);
	}
	free(rec);
}

static void
proposal_created_answer(struct request *rq, struct reply *rp,
    const struct command *cmd)
{
	proposal_answer(rq, rp, cmd->out.proposal_create.id, 201);
}

void
handle_proposal_create(struct request *rq, struct reply *rp)
{
	struct command cmd;
	struct proposal_fields *p = NULL;
	struct proposal_categories *cats = NULL;
	json_t *body;

	if (!param_treasury(rq, rp, 0))
		return;
	body = body_parse(rq, rp, false);
	if (body == NULL)
		return;
	p = calloc(1, sizeof(*p));	/* ~30 KiB with 64 transfers */
	cats = calloc(1, sizeof(*cats));
	if (p == NULL || cats == NULL) {
		reply_err(rp, TREASURY_ERR_NOMEM, "out of memory");
		goto done;
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_PROPOSAL_CREATE;
	cmd.now_s = clock_now_s();
	cmd.in.proposal_create.fields = p;
	cmd.in.proposal_create.proposer_token_id = rq->token.id;
	cmd.in.proposal_create.categories = cats;
	if (proposal_from_body(rq, rp, body, cmd.now_s, p, cats))
		(void)command_submit_wait(rq, rp, &cmd,
		    proposal_created_answer);
done:
	free(cats);
	free(p);
	json_decref(body);
}

struct proposal_page {
	struct collect c;
	uint64_t last;
};

static int
proposal_append(const struct proposal_record *rec, void *ctx)
{
	struct proposal_page *pg = ctx;

	pg->last = rec->nonce;
	return collect_add(&pg->c, proposal_json(rec));
}

/* ?status= : 0 when absent. */
static bool
query_status(struct request *rq, struct reply *rp, enum proposal_status *out)
{
	const char *s = MHD_lookup_connection_value(rq->conn,
	    MHD_GET_ARGUMENT_KIND, "status");

	*out = 0;
	if (s == NULL || proposal_status_parse(s, strlen(s), out) ==
	    TREASURY_OK)
		return true;
	reply_err(rp, TREASURY_ERR_INVALID_QUERY,
	    "status must be one of pending, approved, executed, rejected, "
	    "expired, stale, cancelled");
	return false;
}

void
handle_proposal_list(struct request *rq, struct reply *rp)
{
	static const char *const params[] = { "status", "limit", "cursor",
	    "format", NULL };
	char cursor[CURSOR_MAX_BYTES];
	char scope[TREASURY_ID_MAX_BYTES + 32];
	struct proposal_page pg = { 0 };
	enum proposal_status status;
	uint64_t after;
	unsigned limit;
	bool more = false, csv;
	treasury_err err;

	if (!query_only(rq, rp, params) || !param_treasury(rq, rp, 0) ||
	    !query_status(rq, rp, &status) || !query_limit(rq, rp, &limit) ||
	    !reply_format(rq, rp, &csv))
		return;
	snprintf(scope, sizeof(scope), "%s\n%s", rq->params[0],
	    status != 0 ? proposal_status_name(status) : "");
	if (!query_cursor_u64(rq, rp, CURSOR_PROPOSALS, scope, &after))
		return;
	if (csv) {	/* everything after the cursor; limit is ignored */
		proposal_csv_stream(rq, rp, status, after, clock_now_s());
		return;
	}
	pg.c.items = json_array();
	err = store_proposals_page(rq->reader, rq->params[0], status, after,
	    limit, clock_now_s(), proposal_append, &pg, &more);
	if (!treasury_walk_done(&pg.c, rp, err, rq->params[0]))
		return;
	cursor_u64_make(rq->srv, CURSOR_PROPOSALS, scope, pg.last, cursor);
	reply_built(rp, 200, page_json("proposals", pg.c.items,
	    more ? cursor : NULL));
}

void
handle_proposal_get(struct request *rq, struct reply *rp)
{
	static const char *const params[] = { NULL };
	uint8_t id[PROPOSAL_ID_BYTES];

	if (query_only(rq, rp, params) && param_proposal(rq, rp, 0, id))
		proposal_answer(rq, rp, id, 200);
}

static const struct signer *
signer_find(const struct treasury *t, const char *name)
{
	for (unsigned i = 0; i < t->signer_count; i++)
		if (strcmp(t->signers[i].name, name) == 0)
			return &t->signers[i];
	return NULL;
}

/* {"signer","key_type","pubkey","signature"} for each approval. */
static json_t *
bundle_approvals(const struct proposal_record *rec, const struct treasury *t)
{
	json_t *a = json_array();
	const struct signer *s;

	for (unsigned i = 0; a != NULL && i < rec->vote_count; i++) {
		const struct vote_record *v = &rec->votes[i];
		if (v->decision != VOTE_APPROVE)
			continue;
		s = signer_find(t, v->signer);
		if (s == NULL || json_array_append_new(a, json_pack(
		    "{s:s, s:s, s:o, s:o}", "signer", v->signer, "key_type",
		    key_type_name(s->key.type), "pubkey", json_hex(s->key.bytes,
		    s->key.len), "signature", json_hex(v->signature,
		    v->signature_len))) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *
bundle_json(struct request *rq, const struct proposal_record *rec,
    const struct treasury *t)
{
	uint8_t digest[DIGEST_BYTES];

	vote_digest_compute(digest, rec->id, VOTE_APPROVE);
	return json_pack("{s:o, s:o, s:s, s:s, s:I, s:i, s:s%, s:o, s:o, s:o}",
	    "id", json_hex(rec->id, PROPOSAL_ID_BYTES),
	    "instance", json_hex(rq->srv->opts.instance, INSTANCE_ID_BYTES),
	    "treasury", rec->treasury,
	    "kind", proposal_kind_name(rec->kind),
	    "config_version", (json_int_t)rec->config_version,
	    "threshold", (int)rec->threshold,
	    "canonical", rec->canonical, rec->canonical_len,
	    "approve_digest", json_hex(digest, DIGEST_BYTES),
	    "executed_at", json_time(rec->executed_s),
	    "approvals", bundle_approvals(rec, t));
}

static void
bundle_answer(struct request *rq, struct reply *rp,
    const struct proposal_record *rec)
{
	struct treasury *t;
	treasury_err err;

	if (rec->status != STATUS_EXECUTED) {
		reply_err(rp, TREASURY_ERR_NOT_EXECUTED, "the proposal is %s, "
		    "not executed", proposal_status_name(rec->status));
		return;
	}
	t = malloc(sizeof(*t));
	if (t == NULL) {
		reply_err(rp, TREASURY_ERR_NOMEM, "out of memory");
		return;
	}
	err = store_treasury_at_version(rq->reader, rec->treasury,
	    rec->config_version, t);
	if (err != TREASURY_OK)
		reply_err(rp, err == TREASURY_ERR_UNKNOWN_TREASURY ?
		    TREASURY_ERR_DB_CORRUPT : err, "treasury '%s' at config "
		    "version %" PRIu64, rec->treasury, rec->config_version);
	else
		reply_built(rp, 200, bundle_json(rq, rec, t));
	free(t);
}

void
handle_proposal_bundle(struct request *rq, struct reply *rp)
{
	static const char *const params[] = { NULL };
	uint8_t id[PROPOSAL_ID_BYTES];
	struct proposal_record *rec;

	if (!query_only(rq, rp, params) || !param_proposal(rq, rp, 0, id))
		return;
	rec = malloc(sizeof(*rec));
	if (rec == NULL) {
		reply_err(rp, TREASURY_ERR_NOMEM, "out of memory");
		return;
	}
	if (proposal_load(rq, rp, id, clock_now_s(), rec)) {
		bundle_answer(rq, rp, rec);
		proposal_record_free(rec);
	}
	free(rec);
}
