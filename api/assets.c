/*
 * assets.c: POST /v1/assets (admin) and GET /v1/assets.
 *
 * An asset is a code ([A-Za-z0-9][A-Za-z0-9._-]{0,31}, unique ignoring
 * case), its number of decimals (0..18) and a chain label (1..32 of
 * [a-z0-9._-]). Assets are never changed or deleted.
 */
#include <string.h>

#include "treasury/canonical.h"

#include "internal.h"

/* Fill a from the body. */
static bool
asset_from_body(struct reply *rp, json_t *body, struct asset *a)
{
	static const char *const fields[] = { "code", "decimals", "chain",
	    NULL };
	const char *code, *chain;
	size_t code_len, chain_len;

	if (!fields_only(rp, body, "", fields) ||
	    !field_string(rp, body, "", "code", true, &code, &code_len) ||
	    !field_check(rp, asset_code_check, "", "code", code, code_len) ||
	    !field_uint(rp, body, "", "decimals", true, 0, ASSET_DECIMALS_MAX,
	    TREASURY_ERR_DECIMALS, &a->decimals, NULL) ||
	    !field_string(rp, body, "", "chain", true, &chain, &chain_len) ||
	    !field_check(rp, chain_check, "", "chain", chain, chain_len))
		return false;
	text_copy(a->code, sizeof(a->code), code, code_len);
	text_copy(a->chain, sizeof(a->chain), chain, chain_len);
	return true;
}

static void
asset_created_answer(struct request *rq, struct reply *rp,
    const struct command *cmd)
{
	struct asset a = cmd->in.asset_create;

	(void)rq;
	a.created_s = cmd->now_s;
	reply_built(rp, 201, asset_json(&a));
}

void
handle_asset_create(struct request *rq, struct reply *rp)
{
	struct command cmd;
	json_t *body = body_parse(rq, rp, false);

	if (body == NULL)
		return;
	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_ASSET_CREATE;
	if (asset_from_body(rp, body, &cmd.in.asset_create))
		(void)command_submit_wait(rq, rp, &cmd, asset_created_answer);
	json_decref(body);
}

static int
asset_append(const struct asset *a, void *ctx)
{
	return collect_add(ctx, asset_json(a));
}

void
handle_asset_list(struct request *rq, struct reply *rp)
{
	static const char *const params[] = { NULL };
	struct collect c = { 0 };
	treasury_err err;

	if (!query_only(rq, rp, params))
		return;
	c.items = json_array();
	err = store_assets_list(rq->reader, asset_append, &c);
	if (collect_done(&c, rp, err, "listing assets"))
		reply_built(rp, 200, json_pack("{s:o}", "assets", c.items));
}
