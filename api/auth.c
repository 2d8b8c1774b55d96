/*
 * auth.c: bearer token authentication and role checks for the API.
 *
 * The token is hashed with the database's token key and looked up by hash;
 * the token itself is never stored or logged.
 */
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "treasury/log.h"

#include "internal.h"

static bool
bearer_token(struct request *rq, const char **token, size_t *len)
{
	const char *h = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	size_t hlen;

	if (h == NULL)
		return false;
	hlen = strlen(h);
	if (hlen > AUTH_HEADER_MAX_BYTES || hlen <= 7 ||
	    strncasecmp(h, "Bearer ", 7) != 0)
		return false;
	*token = h + 7;
	*len = hlen - 7;
	return true;
}

bool
auth_check(struct request *rq, struct reply *rp, unsigned roles)
{
	uint8_t hash[TOKEN_HASH_BYTES];
	const char *token;
	size_t len;
	treasury_err err;

	if (!bearer_token(rq, &token, &len)) {
		reply_problem(rp, 401, "unauthorized", "Unauthorized",
		    "an Authorization: Bearer <token> header is required");
		rp->www_authenticate = true;
		return false;
	}
	token_hash(hash, rq->srv->opts.token_hash_key, token, len);
	rq->reader = reader_get(rq->srv);
	if (rq->reader == NULL) {
		reply_error(rp, 503, TREASURY_ERR_DB, "database unavailable");
		return false;
	}
	err = store_token_find(rq->reader, hash, &rq->token);
	sodium_memzero(hash, sizeof(hash));
	if (err == TREASURY_ERR_NOT_FOUND) {
		reply_problem(rp, 401, "unauthorized", "Unauthorized",
		    "the bearer token is unknown or revoked");
		rp->www_authenticate = true;
		return false;
	}
	if (err != TREASURY_OK) {
		log_msg(LOG_ERR, "token lookup: %s", treasury_err_text(err));
		reply_error(rp, 503, err, "database unavailable");
		return false;
	}
	if ((rq->token.roles & roles) == 0) {
		reply_problem(rp, 403, "forbidden", "Forbidden",
		    "token '%s' lacks the role this request needs",
		    rq->token.name);
		return false;
	}
	return true;
}
