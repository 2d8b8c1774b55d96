/*
 * auth.c: bearer token authentication and role checks for the API.
 *
 * The token is hashed with the database's token key and looked up by hash;
 * the token itself is never stored or logged.
 *
 * Authentication opens the request's read snapshot (store_read_begin), so
 * the token lookup and the handler's reads share one WAL read transaction;
 * dispatch (server.c) ends it. Each MHD thread keeps the last few tokens it
 * found in a small cache, valid only while its reader connection reports
 * the same PRAGMA data_version inside the snapshot: any commit by any other
 * connection, such as `treasuryd token revoke` in another process, changes
 * it, so a revoked token is refused by the very next request.
 *
 * A route_memory route (GET treasury, GET balances, votes) is
 * authenticated from that cache without any read transaction while no
 * token was revoked or bound since the cache was last confirmed in a
 * snapshot (cache.c: the writer counts its groups that did, and
 * `treasuryd token ...` in another process rewrites the changes word,
 * store_changes_note), and for at most memory_answers_ms: a revocation is
 * still refused by the very next request.
 *
 * A token bound to a TLS client certificate (treasuryd token bind) is
 * accepted only on a connection whose client presented that certificate
 * and had it verified against tls_client_ca (tls.c): a second factor, so
 * that a copied token alone is refused 401.
 */
#include <stdint.h>
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

enum { TOKEN_CACHE_SLOTS = 16 };

struct token_cache {
	const struct store *reader;	/* the entries were read through it */
	int64_t data_version;		/* ... at this data_version */
	struct cache_gen gen;		/* and at this generation, */
	uint64_t gen_ms;		/* read then (token_from_memory) */
	unsigned used;
	unsigned next;			/* slot replaced next (round robin) */
	struct {
		uint8_t hash[TOKEN_HASH_BYTES];
		struct token_info info;
	} slot[TOKEN_CACHE_SLOTS];
};

static _Thread_local struct token_cache token_cache;

static void
token_cache_put(struct token_cache *c, const uint8_t hash[TOKEN_HASH_BYTES],
    const struct token_info *info)
{
	unsigned i = c->next;

	c->next = (c->next + 1) % TOKEN_CACHE_SLOTS;
	if (c->used < TOKEN_CACHE_SLOTS)
		c->used++;
	memcpy(c->slot[i].hash, hash, TOKEN_HASH_BYTES);
	c->slot[i].info = *info;
}

static bool
token_cache_find(const struct token_cache *c,
    const uint8_t hash[TOKEN_HASH_BYTES], struct token_info *out)
{
	for (unsigned i = 0; i < c->used; i++) {
		if (sodium_memcmp(c->slot[i].hash, hash, TOKEN_HASH_BYTES) == 0) {
			*out = c->slot[i].info;
			return true;
		}
	}
	return false;
}

/* store_token_find through this thread's cache, in rq's snapshot. */
static treasury_err
token_lookup(struct request *rq, const uint8_t hash[TOKEN_HASH_BYTES],
    struct token_info *out)
{
	struct token_cache *c = &token_cache;
	struct store *s = rq->reader;
	int64_t version;
	treasury_err err;

	err = store_data_version(s, &version);
	if (err != TREASURY_OK)
		return err;
	if (c->reader != s || c->data_version != version) {
		sodium_memzero(c, sizeof(*c));
		c->reader = s;
		c->data_version = version;
	}
	/* every entry is true in this snapshot, so at rq->gen (cache.c) */
	c->gen = rq->gen;
	c->gen_ms = rq->gen_ms;
	if (token_cache_find(c, hash, out))
		return TREASURY_OK;
	err = store_token_find(s, hash, out);
	if (err == TREASURY_OK)
		token_cache_put(c, hash, out);
	return err;
}

/* Without a read transaction (a route_memory route): the token as this
 * thread last found it, when nothing has changed since (cache.c). */
static bool
token_from_memory(struct request *rq, const uint8_t hash[TOKEN_HASH_BYTES])
{
	const struct token_cache *c = &token_cache;
	struct cache_gen now;

	cache_gen_now(rq->srv, &now);
	if (!cache_tokens_fresh(&c->gen, c->gen_ms, &now) ||
	    !token_cache_find(c, hash, &rq->token))
		return false;
	metrics_memory_answer(MEMORY_TOKEN);
	return true;
}

/* Whether the connection presented the certificate the token is bound
 * to (always true for a token that is not bound). */
static bool
token_cert_presented(const struct request *rq)
{
	uint8_t sha256[CLIENT_CERT_SHA256_BYTES];

	if (!rq->token.cert_bound)
		return true;
	return tls_client_cert_sha256(rq->conn, sha256) &&
	    sodium_memcmp(sha256, rq->token.cert_sha256, sizeof(sha256)) == 0;
}

bool
auth_check(struct request *rq, struct reply *rp, unsigned roles)
{
	uint8_t hash[TOKEN_HASH_BYTES];
	const char *token;
	size_t len;
	treasury_err err;

	if (!bearer_token(rq, &token, &len)) {
		reply_err(rp, TREASURY_ERR_UNAUTHORIZED,
		    "an Authorization: Bearer <token> header is required");
		rp->www_authenticate = true;
		return false;
	}
	token_hash(hash, rq->srv->opts.token_hash_key, token, len);
	if (route_memory(rq->matched) && token_from_memory(rq, hash))
		err = TREASURY_OK;
	else if (request_snapshot_begin(rq, rp))
		err = token_lookup(rq, hash, &rq->token);
	else {
		sodium_memzero(hash, sizeof(hash));
		return false;		/* rp holds the 503 */
	}
	sodium_memzero(hash, sizeof(hash));
	if (err == TREASURY_ERR_NOT_FOUND) {
		reply_err(rp, TREASURY_ERR_UNAUTHORIZED,
		    "the bearer token is unknown or revoked");
		rp->www_authenticate = true;
		return false;
	}
	if (err != TREASURY_OK) {
		log_msg(LOG_ERR, "token lookup: %s", treasury_err_text(err));
		reply_error(rp, 503, err, "database unavailable");
		return false;
	}
	if (!token_cert_presented(rq)) {
		reply_err(rp, TREASURY_ERR_UNAUTHORIZED, "token '%s' is bound to "
		    "a TLS client certificate, which this connection did not "
		    "present", rq->token.name);
		rp->www_authenticate = true;
		return false;
	}
	if ((rq->token.roles & roles) == 0) {
		reply_err(rp, TREASURY_ERR_FORBIDDEN,
		    "token '%s' lacks the role this request needs",
		    rq->token.name);
		return false;
	}
	return true;
}
