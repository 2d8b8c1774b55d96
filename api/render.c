/*
 * render.c: records as JSON. Amounts are strings with exactly the asset's
 * decimals, times are YYYY-MM-DDTHH:MM:SSZ, bytes are lowercase hex.
 *
 * Every builder returns a new object, or NULL when memory ran out (the
 * handler then answers 503 through reply_built).
 */
#include <assert.h>

#include "treasury/canonical.h"
#include "treasury/hex.h"

#include "internal.h"

enum { HEX_TEXT_MAX_BYTES = 2 * SIG_DER_MAX_BYTES + 1 };

/* Set key to value (stolen, also on failure, also when obj is NULL);
 * *ok turns false for good on any failure. */
static void
put(json_t *obj, const char *key, json_t *value, bool *ok)
{
	if (json_object_set_new(obj, key, value) != 0)
		*ok = false;
}

static json_t *
built(json_t *obj, bool ok)
{
	if (ok && obj != NULL)
		return obj;
	json_decref(obj);
	return NULL;
}

void
reply_built(struct reply *rp, unsigned status, json_t *json)
{
	if (json == NULL) {
		reply_err(rp, TREASURY_ERR_NOMEM, "out of memory while building "
		    "the answer");
		return;
	}
	reply_json(rp, status, json);
}

json_t *
json_time(int64_t unix_s)
{
	char text[TIMESTAMP_BYTES + 1];

	timestamp_format(unix_s, text);
	return json_string(text);
}

json_t *
json_amount(amount_minor value, unsigned decimals)
{
	char text[AMOUNT_FORMAT_MAX_BYTES];

	if (amount_format(value, decimals, text, sizeof(text)) != TREASURY_OK)
		return NULL;
	return json_string(text);
}

json_t *
json_hex(const uint8_t *bytes, size_t len)
{
	char text[HEX_TEXT_MAX_BYTES];

	assert(2 * len < sizeof(text));
	hex_encode(text, bytes, len);
	return json_string(text);
}

json_t *
asset_json(const struct asset *a)
{
	json_t *o = json_object();
	bool ok = true;

	put(o, "code", json_string(a->code), &ok);
	put(o, "decimals", json_integer(a->decimals), &ok);
	put(o, "chain", json_string(a->chain), &ok);
	put(o, "created_at", json_time(a->created_s), &ok);
	return built(o, ok);
}

static json_t *
signer_json(const struct signer *s)
{
	json_t *o = json_object();
	bool ok = true;

	put(o, "name", json_string(s->name), &ok);
	put(o, "key_type", json_string(key_type_name(s->key.type)), &ok);
	put(o, "pubkey", json_hex(s->key.bytes, s->key.len), &ok);
	return built(o, ok);
}

json_t *
treasury_json(const struct treasury *t)
{
	json_t *o = json_object(), *signers = json_array();
	bool ok = signers != NULL;

	for (unsigned i = 0; ok && i < t->signer_count; i++)
		ok = json_array_append_new(signers, signer_json(&t->signers[i]))
		    == 0;
	put(o, "id", json_string(t->id), &ok);
	put(o, "name", json_string(t->name), &ok);
	put(o, "config_version", json_integer((json_int_t)t->config_version),
	    &ok);
	put(o, "threshold", json_integer(t->threshold), &ok);
	put(o, "signers", signers, &ok);
	put(o, "created_at", json_time(t->created_s), &ok);
	put(o, "frozen", json_boolean(t->frozen), &ok);
	if (t->frozen) {
		put(o, "freeze_seq", json_integer((json_int_t)t->freeze_seq),
		    &ok);
		put(o, "frozen_at", json_time(t->frozen_at_s), &ok);
	}
	return built(o, ok);
}

json_t *
ledger_entry_json(const struct ledger_entry *e)
{
	json_t *o = json_object();
	bool ok = true;

	put(o, "seq", json_integer(e->seq), &ok);
	put(o, "treasury", json_string(e->treasury), &ok);
	put(o, "kind", json_string(e->kind == LEDGER_DEPOSIT ? "deposit" :
	    "transfer"), &ok);
	put(o, "asset", json_string(e->asset), &ok);
	put(o, "amount", json_amount(e->amount, e->decimals), &ok);
	put(o, "balance_after", json_amount(e->balance_after, e->decimals),
	    &ok);
	if (e->reference[0] != '\0')
		put(o, "reference", json_string(e->reference), &ok);
	if (e->source[0] != '\0')
		put(o, "source", json_string(e->source), &ok);
	if (e->to[0] != '\0')
		put(o, "to", json_string(e->to), &ok);
	put(o, "memo", json_string(e->memo), &ok);
	if (e->has_proposal)
		put(o, "proposal", json_hex(e->proposal, PROPOSAL_ID_BYTES),
		    &ok);
	put(o, "created_at", json_time(e->created_s), &ok);
	/* accounting label (not signed) and the other party */
	put(o, "category", e->category[0] != '\0' ?
	    json_string(e->category) : json_null(), &ok);
	put(o, "counterparty", json_string(e->kind == LEDGER_DEPOSIT ?
	    e->source : e->to), &ok);
	return built(o, ok);
}

static json_t *
vote_json(const struct vote_record *v)
{
	json_t *o = json_object();
	bool ok = true;

	put(o, "signer", json_string(v->signer), &ok);
	put(o, "signature", json_hex(v->signature, v->signature_len), &ok);
	put(o, "voted_at", json_time(v->created_s), &ok);
	return built(o, ok);
}

/* Append the votes with this decision to a new array. */
static json_t *
votes_json(const struct proposal_record *p, enum vote_decision decision,
    size_t *count)
{
	json_t *a = json_array();
	bool ok = a != NULL;

	*count = 0;
	for (unsigned i = 0; ok && i < p->vote_count; i++) {
		if (p->votes[i].decision != decision)
			continue;
		ok = json_array_append_new(a, vote_json(&p->votes[i])) == 0;
		(*count)++;
	}
	return built(a, ok);
}

static void
proposal_put_settlement(json_t *o, const struct proposal_record *p, bool *ok)
{
	put(o, "executed_at", p->executed_s != 0 ? json_time(p->executed_s) :
	    json_null(), ok);
	if (p->settlement[0] == '\0') {
		put(o, "settlement", json_null(), ok);
		return;
	}
	put(o, "settlement", json_pack("{s:s, s:o}", "reference",
	    p->settlement, "recorded_at", json_time(p->settled_s)), ok);
}

static json_t *
label_json(const char *category)
{
	return category[0] != '\0' ? json_string(category) : json_null();
}

/* The accounting labels (not signed): a transfer's "category", a batch's
 * "categories", one per transfer in order, each a name or null. */
static void
proposal_put_categories(json_t *o, const struct proposal_record *p, bool *ok)
{
	json_t *list;

	if (p->kind == KIND_TRANSFER) {
		put(o, "category", label_json(p->categories.item[0]), ok);
		return;
	}
	if (p->kind != KIND_BATCH)
		return;
	list = json_array();
	for (unsigned i = 0; list != NULL && i < p->transfer_count; i++)
		if (json_array_append_new(list,
		    label_json(p->categories.item[i])) != 0)
			*ok = false;
	put(o, "categories", list, ok);
}

json_t *
proposal_json(const struct proposal_record *p)
{
	json_t *o = json_object(), *approvals, *rejections;
	size_t approved, rejected;
	bool ok = true;

	approvals = votes_json(p, VOTE_APPROVE, &approved);
	rejections = votes_json(p, VOTE_REJECT, &rejected);
	put(o, "id", json_hex(p->id, PROPOSAL_ID_BYTES), &ok);
	put(o, "treasury", json_string(p->treasury), &ok);
	put(o, "kind", json_string(proposal_kind_name(p->kind)), &ok);
	put(o, "status", json_string(proposal_status_name(p->status)), &ok);
	put(o, "canonical", json_stringn(p->canonical, p->canonical_len), &ok);
	put(o, "config_version", json_integer((json_int_t)p->config_version),
	    &ok);
	put(o, "nonce", json_integer((json_int_t)p->nonce), &ok);
	put(o, "expires_at", json_time(p->expires_s), &ok);
	put(o, "created_at", json_time(p->created_s), &ok);
	put(o, "threshold", json_integer(p->threshold), &ok);
	put(o, "signer_count", json_integer(p->signer_count), &ok);
	put(o, "approval_count", json_integer((json_int_t)approved), &ok);
	put(o, "rejection_count", json_integer((json_int_t)rejected), &ok);
	put(o, "approvals", approvals, &ok);
	put(o, "rejections", rejections, &ok);
	proposal_put_settlement(o, p, &ok);
	proposal_put_categories(o, p, &ok);
	return built(o, ok);
}

json_t *
page_json(const char *items_name, json_t *items, const char *cursor)
{
	json_t *o = json_object();
	bool ok = items != NULL;

	put(o, items_name, items, &ok);
	put(o, "next_cursor", cursor != NULL ? json_string(cursor) :
	    json_null(), &ok);
	return built(o, ok);
}

int
collect_add(struct collect *c, json_t *item)
{
	if (json_array_append_new(c->items, item) == 0)
		return 0;
	c->oom = true;
	return 1;
}

bool
collect_done(struct collect *c, struct reply *rp, treasury_err err,
    const char *what)
{
	if (c->items == NULL || c->oom)
		err = TREASURY_ERR_NOMEM;
	if (err == TREASURY_OK)
		return true;
	json_decref(c->items);
	c->items = NULL;
	reply_err(rp, err, "%s", what);
	return false;
}
