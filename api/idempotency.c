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
 * The rendered first response (status and body) is stored right after
 * the commit with a second, asynchronous writer command. A repeat then
 * gets those bytes again (with Idempotent-Replayed: true) without
 * touching the writer. If the daemon died between the commit and that
 * store, the repeat goes to the writer, which answers from the outcome,
 * and the handler renders the answer again (same status; the resource as
 * it is now).
 */
#include <string.h>
#include <stdlib.h>

#include <sodium.h>

#include "treasury/clock.h"
#include "treasury/hash.h"
#include "treasury/log.h"

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
	if (!idem_fill(rq, rp, key))
		return false;
	rq->idem_store = true;
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
	rq->idem_store = false;
	return false;
}

static void
store_done(struct command *cmd, void *arg)
{
	(void)arg;
	if (cmd->err != TREASURY_OK && cmd->err != TREASURY_ERR_BUSY &&
	    cmd->err != TREASURY_ERR_SHUTTING_DOWN)
		log_msg(LOG_WARNING, "storing an idempotent response: %s",
		    treasury_err_text(cmd->err));
	free(cmd->in.idempotency_response.body);
	free(cmd);
}

void
idempotency_store(struct request *rq, unsigned status, const char *text)
{
	struct command *cmd;
	size_t len;

	if (!rq->idem.present || !rq->idem_store || status / 100 != 2 ||
	    text == NULL)
		return;
	len = strlen(text);
	if (len > IDEMPOTENCY_RESPONSE_MAX_BYTES)
		return;		/* re-rendered from the outcome instead */
	cmd = calloc(1, sizeof(*cmd));
	if (cmd == NULL)
		return;
	cmd->in.idempotency_response.body = malloc(len + 1);
	if (cmd->in.idempotency_response.body == NULL) {
		free(cmd);
		return;
	}
	memcpy(cmd->in.idempotency_response.body, text, len + 1);
	cmd->type = CMD_IDEMPOTENCY_RESPONSE;
	cmd->now_s = clock_now_s();
	cmd->in.idempotency_response.token_id = rq->idem.token_id;
	memcpy(cmd->in.idempotency_response.key, rq->idem.key,
	    sizeof(rq->idem.key));
	cmd->in.idempotency_response.status = status;
	rq->idem_store = false;
	writer_submit_async(rq->srv->opts.writer, cmd, store_done, NULL);
}
