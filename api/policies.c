/*
 * policies.c: GET /v1/treasuries/{t}/policy (docs/policies.md §12.3): the
 * treasury's current policy as JSON and as the policy lines signers sign,
 * its digest, the freeze state and, per limited asset, what may still be
 * spent in each window at the daemon's clock.
 */
#include <stdlib.h>

#include "treasury/clock.h"
#include "treasury/hex.h"
#include "treasury/policy.h"

#include "internal.h"

/* {"asset","day","week","month"} per limited asset: the remaining
 * allowance, or null for no limit in that window. */
static json_t *
remaining_json(struct request *rq, const struct policy_view *v,
    int64_t now_s, treasury_err *err)
{
	const struct treasury_policy *p = &v->policy;
	amount_minor outflow[POLICY_WINDOWS], left;
	json_t *list = json_array(), *item;
	bool unlimited;
	unsigned i;
	int w;

	for (i = 0; list != NULL && i < p->limit_count; i++) {
		const struct policy_limit *l = &p->limits[i];

		*err = store_outflow(rq->reader, rq->params[0], l->asset, now_s,
		    outflow);
		if (*err != TREASURY_OK)
			break;
		item = json_pack("{s:s}", "asset", l->asset);
		for (w = 0; item != NULL && w < POLICY_WINDOWS; w++) {
			policy_remaining(p, l->asset, w, outflow[w], &unlimited,
			    &left);
			json_object_set_new(item, policy_window_name(w),
			    unlimited ? json_null() : json_amount(left,
			    l->decimals));
		}
		json_array_append_new(list, item);
	}
	return list;
}

static json_t *
policy_view_json(struct request *rq, const struct policy_view *v,
    treasury_err *err)
{
	char digest[2 * DIGEST_BYTES + 1];
	int64_t now_s = clock_now_s();

	hex_encode(digest, v->digest, DIGEST_BYTES);
	return json_pack("{s:I, s:o, s:s, s:s, s:b, s:I, s:I, s:o, s:o}",
	    "config_version", (json_int_t)v->config_version,
	    "policy", policy_json(&v->policy, v->threshold),
	    "text", v->text, "digest", digest,
	    "frozen", v->frozen,
	    "freeze_seq", (json_int_t)v->freeze_seq,
	    "next_freeze", (json_int_t)v->freeze_seq + 1,
	    "frozen_at", v->frozen ? json_time(v->frozen_at_s) : json_null(),
	    "remaining", remaining_json(rq, v, now_s, err));
}

void
handle_policy_get(struct request *rq, struct reply *rp)
{
	static const char *const params[] = { NULL };
	struct policy_view *v;
	treasury_err err;
	json_t *j;

	if (!query_only(rq, rp, params) || !param_treasury(rq, rp, 0))
		return;
	v = malloc(sizeof(*v));
	if (v == NULL) {
		reply_err(rp, TREASURY_ERR_NOMEM, "out of memory");
		return;
	}
	err = store_policy_get(rq->reader, rq->params[0], v);
	if (err != TREASURY_OK) {
		reply_err(rp, err, "no treasury '%s'", rq->params[0]);
		free(v);
		return;
	}
	j = policy_view_json(rq, v, &err);
	if (err != TREASURY_OK) {
		json_decref(j);
		reply_err(rp, err, "reading the outflow of '%s'", rq->params[0]);
	} else
		reply_built(rp, 200, j);
	free(v->text);
	free(v);
}
