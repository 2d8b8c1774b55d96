/*
 * fuzz_json_body.c: libFuzzer target for the API's JSON request decoding
 * (api/json.c, api/proposal_body.c) without a network or a database.
 *
 * Byte 0 picks the Content-Type the request claims and whether an empty
 * body is allowed; the rest is the body. It goes through body_parse (the
 * Content-Type check, the pre-scan for NUL bytes and nesting, jansson with
 * JSON_REJECT_DUPLICATES), then through proposal_from_body and the field
 * getters the other handlers use (asset, treasury, deposit and vote
 * shapes). Assets come from a fixed table instead of the database.
 *
 * Invariants:
 *   - a decoder that refuses answers exactly once, with a problem of
 *     status 400..499 (hostile input is never a 5xx); one that accepts
 *     has answered nothing;
 *   - a proposal body the API accepts encodes to a canonical text, and
 *     that text decodes back (what signers are shown always exists).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "treasury/canonical.h"
#include "treasury/proposal.h"

#include "../../api/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { FUZZ_NOW_S = 1767225600 };	/* 2026-01-01T00:00:00Z */

static const char *content_type;
static struct api_server server;
static struct proposal_fields fields, decoded;
static struct proposal_categories cats;	/* issue #14 labels */

/* ---- stand-ins for libmicrohttpd and the database ---- */

const char *
MHD_lookup_connection_value(struct MHD_Connection *connection,
    enum MHD_ValueKind kind, const char *key)
{
	(void)connection;
	(void)kind;
	if (strcmp(key, MHD_HTTP_HEADER_CONTENT_TYPE) == 0)
		return content_type;
	return NULL;
}

treasury_err
store_asset_get(struct store *s, const char *code, struct asset *out)
{
	static const struct asset table[] = {
		{ .code = "USDC", .decimals = 6, .chain = "ethereum" },
		{ .code = "BTC", .decimals = 8, .chain = "bitcoin" },
		{ .code = "JPY", .decimals = 0, .chain = "bank" },
		{ .code = "WEI", .decimals = 18, .chain = "ethereum" },
	};

	(void)s;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (strcmp(code, table[i].code) == 0) {
			*out = table[i];
			return TREASURY_OK;
		}
	}
	return TREASURY_ERR_UNKNOWN_ASSET;
}

/* ---- invariants ---- */

static void
check_answer(bool ok, struct reply *rp)
{
	if (ok) {
		if (rp->json != NULL)
			abort();	/* accepted but answered */
		return;
	}
	if (rp->json == NULL || !rp->problem || rp->status < 400 ||
	    rp->status > 499)
		abort();	/* refused without a 4xx problem */
	json_decref(rp->json);
	memset(rp, 0, sizeof(*rp));
}

static void
check_encodable(struct proposal_fields *p)
{
	struct textbuf tb;

	p->config_version = 1;
	p->nonce = 1;
	switch (p->kind) {
	case KIND_ADD_SIGNER:
		p->threshold_after = 1;
		p->signers_after = 2;
		break;
	case KIND_REMOVE_SIGNER:
		p->threshold_after = 1;
		p->signers_after = 1;
		break;
	case KIND_SET_THRESHOLD:
		p->signers_after = SIGNERS_PER_TREASURY_MAX;
		break;
	default:
		break;
	}
	textbuf_init(&tb, CANONICAL_MAX_BYTES);
	if (proposal_encode(&tb, p) != TREASURY_OK)
		abort();
	if (proposal_decode(server.opts.verifier, tb.data, tb.len, &decoded) !=
	    TREASURY_OK)
		abort();
	textbuf_free(&tb);
}

/* ---- the shapes of the other handlers' bodies ---- */

static bool
asset_shape(struct reply *rp, json_t *body)
{
	static const char *const allowed[] = { "code", "decimals", "chain",
	    NULL };
	const char *code, *chain;
	size_t code_len, chain_len;
	unsigned decimals;

	return fields_only(rp, body, "", allowed) &&
	    field_string(rp, body, "", "code", true, &code, &code_len) &&
	    field_check(rp, asset_code_check, "", "code", code, code_len) &&
	    field_uint(rp, body, "", "decimals", true, 0, ASSET_DECIMALS_MAX,
	    TREASURY_ERR_DECIMALS, &decimals, NULL) &&
	    field_string(rp, body, "", "chain", true, &chain, &chain_len);
}

static bool
treasury_shape(struct request *rq, struct reply *rp, json_t *body)
{
	static const char *const allowed[] = { "id", "name", "threshold",
	    "signers", NULL };
	static const char *const signer_fields[] = { "name", "key_type",
	    "pubkey", NULL };
	char prefix[FIELD_PATH_MAX_BYTES];
	struct signer_key key;
	const char *id, *name;
	size_t id_len, name_len;
	unsigned threshold;
	json_t *list, *item;

	if (!fields_only(rp, body, "", allowed) ||
	    !field_string(rp, body, "", "id", true, &id, &id_len) ||
	    !field_check(rp, treasury_id_check, "", "id", id, id_len) ||
	    !field_array(rp, body, "", "signers", 1, SIGNERS_PER_TREASURY_MAX,
	    &list))
		return false;
	for (size_t i = 0; i < json_array_size(list); i++) {
		snprintf(prefix, sizeof(prefix), "signers[%zu]", i);
		item = json_array_get(list, i);
		if (!json_is_object(item)) {
			reply_err(rp, TREASURY_ERR_FIELD_TYPE,
			    "field '%s' must be an object", prefix);
			return false;
		}
		if (!fields_only(rp, item, prefix, signer_fields) ||
		    !field_string(rp, item, prefix, "name", true, &name,
		    &name_len) ||
		    !field_check(rp, signer_name_check, prefix, "name", name,
		    name_len) ||
		    !field_signer_key(rq, rp, item, prefix, &key))
			return false;
	}
	return field_uint(rp, body, "", "threshold", true, 1,
	    (unsigned)json_array_size(list), TREASURY_ERR_THRESHOLD, &threshold,
	    NULL);
}

static bool
deposit_shape(struct request *rq, struct reply *rp, json_t *body)
{
	static const char *const allowed[] = { "asset", "amount", "reference",
	    "source", "memo", NULL };
	struct asset asset;
	amount_minor amount;
	const char *ref, *memo;
	size_t ref_len, memo_len;

	return fields_only(rp, body, "", allowed) &&
	    field_asset(rq, rp, body, "", &asset) &&
	    field_amount(rp, body, "", &asset, &amount) &&
	    field_string(rp, body, "", "reference", true, &ref, &ref_len) &&
	    field_printable(rp, TREASURY_ERR_REFERENCE, "", "reference", ref,
	    ref_len, 128, true) &&
	    field_string(rp, body, "", "memo", false, &memo, &memo_len) &&
	    (memo == NULL || field_check(rp, memo_check, "", "memo", memo,
	    memo_len));
}

/* ---- the target ---- */

/* A valid body must get through: a harness that refuses everything (say,
 * a new api_options limit left at 0) would otherwise pass silently. */
static void
self_check(void)
{
	static const char good[] = "{\"kind\":\"batch\",\"transfers\":[{"
	    "\"asset\":\"USDC\",\"amount\":\"1.5\",\"to\":\"d\"}]}";
	struct request rq;
	struct reply rp;
	json_t *body;

	memset(&rq, 0, sizeof(rq));
	memset(&rp, 0, sizeof(rp));
	content_type = "application/json";
	rq.srv = &server;
	rq.params[0] = "grants";
	rq.body = (char *)good;
	rq.body_len = sizeof(good) - 1;
	body = body_parse(&rq, &rp, false);
	if (body == NULL || !proposal_from_body(&rq, &rp, body, FUZZ_NOW_S,
	    &fields, &cats)) {
		fprintf(stderr, "fuzz_json_body: a valid body is refused: %s\n",
		    rp.json != NULL ? json_string_value(json_object_get(rp.json,
		    "detail")) : "?");
		abort();
	}
	json_decref(body);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = { "application/json",
	    "Application/JSON; charset=utf-8", NULL, "text/plain",
	    "application/jsonx", "application/json\t;", "", "application/j" };
	struct request rq;
	struct reply rp;
	json_t *body;
	bool ok;

	if (server.opts.verifier == NULL) {
		if ((server.opts.verifier = treasury_verifier_create()) == NULL)
			abort();
#ifdef FUZZ_HAVE_JSON_DEPTH_MAX
		server.opts.json_depth_max = 8;	/* the config default */
#endif
		self_check();
	}
	if (size == 0)
		return 0;
	memset(&rq, 0, sizeof(rq));
	memset(&rp, 0, sizeof(rp));
	content_type = types[(data[0] >> 1) % 8];
	rq.srv = &server;
	rq.method = "POST";
	rq.url = "/v1/treasuries/grants/proposals";
	rq.params[0] = "grants";
	rq.body_len = size - 1;
	rq.body = malloc(rq.body_len + 1);
	if (rq.body == NULL)
		return 0;
	memcpy(rq.body, data + 1, rq.body_len);
	rq.body[rq.body_len] = '\0';

	body = body_parse(&rq, &rp, (data[0] & 1) != 0);
	check_answer(body != NULL, &rp);
	if (body == NULL)
		goto done;
	if (!json_is_object(body))
		abort();

	memset(&fields, 0, sizeof(fields));
	memset(&cats, 0, sizeof(cats));
	ok = proposal_from_body(&rq, &rp, body, FUZZ_NOW_S, &fields, &cats);
	check_answer(ok, &rp);
	if (ok)
		check_encodable(&fields);
	check_answer(asset_shape(&rp, body), &rp);
	check_answer(treasury_shape(&rq, &rp, body), &rp);
	check_answer(deposit_shape(&rq, &rp, body), &rp);
	json_decref(body);
done:
	free(rq.body);
	return 0;
}
