/*
 * tokens.c: token management over HTTP, and who the caller is.
 *
 *   POST /v1/tokens                (admin) {"name","roles":[...]} -> 201
 *                                  with the token, shown this once
 *   GET  /v1/tokens                (any token) live tokens, paginated;
 *                                  never a token or its hash
 *   POST /v1/tokens/{name}/revoke  (admin) -> 200
 *   GET  /v1/whoami                (any token) {"name","roles"}
 *
 * Creating and revoking are writer commands like every other write. The
 * token text is made here, hashed with the database's key, and only the
 * hash goes to the writer; the text is wiped after the answer is built.
 * The answer stored for an Idempotency-Key replay leaves the token out:
 * a secret is never stored (docs/api.md).
 */
#include <string.h>

#include <sodium.h>

#include "treasury/auth.h"

#include "internal.h"

static const struct {
	unsigned role;
	const char *name;
} role_names[] = {
	{ ROLE_ADMIN, "admin" },
	{ ROLE_TREASURER, "treasurer" },
	{ ROLE_SIGNER, "signer" },
	{ ROLE_VIEWER, "viewer" },
};

#define ROLE_NAMES_COUNT (sizeof(role_names) / sizeof(role_names[0]))

static json_t *
roles_json(unsigned roles)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < ROLE_NAMES_COUNT; i++)
		if ((roles & role_names[i].role) != 0 &&
		    json_array_append_new(a, json_string(role_names[i].name)) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *
token_json(const struct token_info *t)
{
	return json_pack("{s:s, s:o, s:o}", "name", t->name, "roles",
	    roles_json(t->roles), "created_at", json_time(t->created_s));
}

/* "roles": 1..4 role names. */
static bool
roles_field(struct reply *rp, json_t *body, unsigned *roles)
{
	json_t *list, *item;
	size_t i;
	unsigned one;

	*roles = 0;
	if (!field_array(rp, body, "", "roles", 1, ROLE_NAMES_COUNT, &list))
		return false;
	json_array_foreach(list, i, item) {
		const char *s = json_string_value(item);
		if (s == NULL || roles_parse(s, json_string_length(item), &one) !=
		    TREASURY_OK || strchr(s, ',') != NULL) {
			reply_err(rp, TREASURY_ERR_ROLE, "field 'roles[%zu]' must "
			    "be admin, treasurer, signer or viewer", i);
			return false;
		}
		*roles |= one;
	}
	return true;
}

static bool
token_from_body(struct reply *rp, json_t *body, struct command *cmd)
{
	static const char *const fields[] = { "name", "roles", NULL };
	const char *name;
	size_t len;

	if (!fields_only(rp, body, "", fields) ||
	    !field_string(rp, body, "", "name", true, &name, &len) ||
	    !field_check(rp, token_name_check, "", "name", name, len) ||
	    !roles_field(rp, body, &cmd->in.token_create.roles))
		return false;
	text_copy(cmd->in.token_create.name, sizeof(cmd->in.token_create.name),
	    name, len);
	return true;
}

/* 201 {"name","roles","created_at","token"}; stored without the token. */
static void
token_created_answer(struct request *rq, struct reply *rp,
    const struct command *cmd)
{
	const char *token = rq->answer_arg;
	struct token_info t = { 0 };
	json_t *o;

	text_copy(t.name, sizeof(t.name), cmd->in.token_create.name,
	    strlen(cmd->in.token_create.name));
	t.roles = cmd->in.token_create.roles;
	t.created_s = cmd->now_s;
	o = token_json(&t);
	if (o != NULL)
		rp->stored = json_deep_copy(o);
	/* a replay answered by the writer made no token: show none */
	if (o != NULL && !rq->idem_replayed &&
	    json_object_set_new(o, "token", json_string(token)) != 0) {
		json_decref(o);
		o = NULL;
	}
	reply_built(rp, 201, o);
}

void
handle_token_create(struct request *rq, struct reply *rp)
{
	char token[TOKEN_TEXT_BYTES + 1];
	struct command cmd;
	json_t *body;

	body = body_parse(rq, rp, false);
	if (body == NULL)
		return;
	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_TOKEN_CREATE;
	if (!token_from_body(rp, body, &cmd))
		goto done;
	token_generate(token);
	token_hash(cmd.in.token_create.hash, rq->srv->opts.token_hash_key,
	    token, strlen(token));
	rq->answer_arg = token;
	(void)command_submit_wait(rq, rp, &cmd, token_created_answer);
	rq->answer_arg = NULL;
	sodium_memzero(token, sizeof(token));
done:
	json_decref(body);
}

struct token_page {
	struct collect c;
	int64_t last;
};

static int
token_append(const struct token_info *t, void *ctx)
{
	struct token_page *pg = ctx;

	pg->last = t->id;
	return collect_add(&pg->c, token_json(t));
}

void
handle_token_list(struct request *rq, struct reply *rp)
{
	static const char *const params[] = { "limit", "cursor", NULL };
	char cursor[CURSOR_MAX_BYTES];
	struct token_page pg = { 0 };
	uint64_t after;
	unsigned limit;
	bool more = false;
	treasury_err err;

	if (!query_only(rq, rp, params) || !query_limit(rq, rp, &limit) ||
	    !query_cursor_u64(rq, rp, CURSOR_TOKENS, "", &after))
		return;
	pg.c.items = json_array();
	err = store_tokens_page(rq->reader, (int64_t)after, limit,
	    token_append, &pg, &more);
	if (!collect_done(&pg.c, rp, err, "listing tokens"))
		return;
	cursor_u64_make(rq->srv, CURSOR_TOKENS, "", (uint64_t)pg.last, cursor);
	reply_built(rp, 200, page_json("tokens", pg.c.items,
	    more ? cursor : NULL));
}

static void
token_revoked_answer(struct request *rq, struct reply *rp,
    const struct command *cmd)
{
	(void)rq;
	reply_built(rp, 200, json_pack("{s:s, s:b}", "name",
	    cmd->in.token_revoke.name, "revoked", 1));
}

void
handle_token_revoke(struct request *rq, struct reply *rp)
{
	static const char *const fields[] = { NULL };
	const char *name = rq->params[0];
	char shown[TOKEN_NAME_MAX_BYTES + 1];
	struct command cmd;
	json_t *body;

	if (token_name_check(name, strlen(name)) != TREASURY_OK) {
		text_for_detail(shown, sizeof(shown), name);
		reply_err(rp, TREASURY_ERR_UNKNOWN_TOKEN, "no live token named "
		    "'%s'", shown);
		return;
	}
	body = body_parse(rq, rp, true);
	if (body == NULL)
		return;
	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_TOKEN_REVOKE;
	text_copy(cmd.in.token_revoke.name, sizeof(cmd.in.token_revoke.name),
	    name, strlen(name));
	if (fields_only(rp, body, "", fields))
		(void)command_submit_wait(rq, rp, &cmd, token_revoked_answer);
	json_decref(body);
}

void
handle_whoami(struct request *rq, struct reply *rp)
{
	static const char *const params[] = { NULL };

	if (!query_only(rq, rp, params))
		return;
	reply_built(rp, 200, json_pack("{s:s, s:o}", "name", rq->token.name,
	    "roles", roles_json(rq->token.roles)));
}
