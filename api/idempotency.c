/*
 * idempotency.c: the Idempotency-Key header of POST requests (RFC draft
 * "The Idempotency-Key HTTP Header Field"; docs/api.md "Idempotency").
 *
 * Exactly once, also across crashes: the record (token, key, request
 * fingerprint, outcome) is written by the writer in the
 * same transaction as the command's effect (storage/platform.c), so a
 * command is never applied without its record nor the reverse, and two
 * requests with one key never both apply: the writer, which runs one
 * command at a time, finds the first one's record for the second and
 * answers it from that outcome.
 *
 * The first response (status and body) is stored in that same
 * transaction too: the writer calls idem_render once the command
 * succeeded, which builds the handler's answer from the writer's store
 * (it sees the effect); the request is then answered with exactly those
 * bytes. A repeat gets them again (with Idempotent-Replayed: true)
 * without touching the writer. A record without a response (none
 * rendered, over IDEMPOTENCY_RESPONSE_MAX_BYTES, or written before
 * schema 5 by a daemon that died before storing it) sends the repeat to
 * the writer, which answers from the outcome, and the handler renders
 * the answer again (same status; the resource as it is now).
 */
#include <string.h>
#include <stdlib.h>

#include <sodium.h>

#include "treasury/hash.h"

#include "internal.h"

static bool
key_valid(const char *k, size_t len)
{
	if (len < 1 || len > IDEMPOTENCY_KEY_MAX_BYTES)
		return false;
	for (size_t i = 0; i < len; i++)
		if (k[i] < 0x21 || k[i] > 0x7e)
			return false;
	return true;
}

/* Fill rq->idem from the request; false after answering 400. The
 * fingerprint covers what docs/api.md says makes two requests the same:
 * method, path, body bytes (by SHA-256) and the token. */
static bool
idem_fill(struct request *rq, struct reply *rp, const char *key)
{
	struct command_idempotency *id = &rq->idem;
	uint8_t body_sha256[DIGEST_BYTES];
	size_t key_len = strlen(key);

	if (!key_valid(key, key_len)) {
		reply_err(rp, TREASURY_ERR_IDEMPOTENCY_KEY, "header "
		    "'Idempotency-Key' must be 1..%d printable ASCII characters "
		    "without spaces", IDEMPOTENCY_KEY_MAX_BYTES);
		return false;
	}
	memset(id, 0, sizeof(*id));
	id->present = true;
	id->token_id = rq->token.id;
	memcpy(id->key, key, key_len + 1);
	crypto_hash_sha256(body_sha256, rq->body != NULL ?
	    (const unsigned char *)rq->body : (const unsigned char *)"",
	    rq->body_len);
	idempotency_fingerprint(id->fingerprint, rq->method, rq->url,
	    body_sha256, id->token_id);
	return true;
}

bool
idempotency_check(struct request *rq, struct reply *rp)
{
	struct idempotency_record rec;
	const char *key;
	treasury_err err;

	if (strcmp(rq->method, "POST") != 0)
		return true;
	key = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
	    "Idempotency-Key");
	if (key == NULL)
		return true;
	if (!idem_fill(rq, rp, key) || !request_snapshot_begin(rq, rp))
		return false;
	err = store_idempotency_get(rq->reader, rq->idem.token_id,
	    rq->idem.key, &rec);
	if (err == TREASURY_ERR_NOT_FOUND)
		return true;
	if (err != TREASURY_OK) {
		reply_err(rp, err, "reading the idempotency record");
		return false;
	}
	if (memcmp(rec.fingerprint, rq->idem.fingerprint,
	    sizeof(rec.fingerprint)) != 0) {
		free(rec.response_body);
		reply_err(rp, TREASURY_ERR_IDEMPOTENCY_MISMATCH, "header "
		    "'Idempotency-Key': '%.128s' was used with another method, "
		    "path or body", rq->idem.key);
		return false;
	}
	if (rec.response_body == NULL)
		return true;	/* the writer answers from the outcome */
	rp->status = rec.response_status;
	rp->raw = rec.response_body;
	rp->replayed = true;
	return false;
}

/* The writer's render callback (command.h): the handler's answer, built
 * by the writer thread in the command's savepoint, reading the writer's
 * store. The request's MHD thread waits (blocked or suspended) until the
 * command completes, so nothing else touches rq meanwhile. */
static bool
idem_render(struct store *s, struct command *cmd, void *ctx,
    unsigned *status, char **body)
{
	struct request *rq = ctx;
	struct store *reader = rq->reader;
	struct reply *rp;
	json_t *j;

	idempotency_render_drop(rq);
	rp = calloc(1, sizeof(*rp));
	if (rp == NULL)
		return false;	/* answered after the commit instead */
	rq->reader = s;
	if (rq->answer != NULL)
		rq->answer(rq, rp, cmd);
	else
		rq->cmd_answer(rq, rp);
	rq->reader = reader;
	rq->idem_reply = rp;
	rq->idem_rendered = true;
	if (rp->problem || rp->raw != NULL || rp->status / 100 != 2)
		return false;
	j = rp->stored != NULL ? rp->stored : rp->json;
	*body = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	*status = rp->status;
	return *body != NULL;
}

void
idempotency_render_set(struct request *rq, struct command *cmd,
    command_answer_fn answer)
{
	rq->answer = answer;
	cmd->idem.render = idem_render;
	cmd->idem.render_ctx = rq;
}

bool
idempotency_rendered(struct request *rq, struct reply *rp)
{
	if (!rq->idem_rendered)
		return false;
	*rp = *rq->idem_reply;
	free(rq->idem_reply);
	rq->idem_reply = NULL;
	rq->idem_rendered = false;
	return true;
}

void
idempotency_render_drop(struct request *rq)
{
	struct reply *rp = rq->idem_reply;

	if (!rq->idem_rendered)
		return;
	json_decref(rp->json);
	json_decref(rp->stored);
	free(rp->raw);
	free(rp);
	rq->idem_reply = NULL;
	rq->idem_rendered = false;
}
