/*
 * query.c: ids in the path and the query string (?status=&limit=&cursor=).
 *
 * A path id that cannot name anything (wrong charset, wrong length) is a
 * 404 like an unknown one, answered before any lookup. Query parameters
 * are strict: unknown or repeated names are a 400.
 *
 * Cursors are opaque to clients: pass back next_cursor unchanged. Today
 * the ledger's is the last entry's sequence number, the proposals' the
 * last nonce, and the treasuries' the last id.
 */
#include <stdint.h>
#include <string.h>

#include "treasury/canonical.h"
#include "treasury/hex.h"

#include "internal.h"

bool
param_treasury(struct request *rq, struct reply *rp, size_t i)
{
	const char *t = rq->params[i];
	char shown[65];

	if (treasury_id_check(t, strlen(t)) == TREASURY_OK)
		return true;
	text_for_detail(shown, sizeof(shown), t);
	reply_err(rp, TREASURY_ERR_UNKNOWN_TREASURY, "no treasury '%s'", shown);
	return false;
}

bool
param_proposal(struct request *rq, struct reply *rp, size_t i,
    uint8_t id[PROPOSAL_ID_BYTES])
{
	const char *p = rq->params[i];
	char shown[81];

	if (hex_decode(id, PROPOSAL_ID_BYTES, p, strlen(p)) == TREASURY_OK)
		return true;
	text_for_detail(shown, sizeof(shown), p);
	reply_err(rp, TREASURY_ERR_UNKNOWN_PROPOSAL, "no proposal '%s' "
	    "(a proposal id is 64 hex digits)", shown);
	return false;
}

struct query_scan {
	const char *const *allowed;
	const char *bad;		/* first unknown or repeated name */
	unsigned seen[QUERY_PARAMS_MAX];
};

static enum MHD_Result
query_scan_one(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct query_scan *qs = cls;

	(void)kind;
	(void)value;
	for (size_t i = 0; qs->allowed[i] != NULL; i++) {
		if (strcmp(key, qs->allowed[i]) != 0)
			continue;
		if (++qs->seen[i] == 1)
			return MHD_YES;
		break;
	}
	qs->bad = key;
	return MHD_NO;
}

bool
query_only(struct request *rq, struct reply *rp, const char *const allowed[])
{
	struct query_scan qs = { .allowed = allowed };
	char shown[65];

	MHD_get_connection_values(rq->conn, MHD_GET_ARGUMENT_KIND,
	    query_scan_one, &qs);
	if (qs.bad == NULL)
		return true;
	text_for_detail(shown, sizeof(shown), qs.bad);
	reply_problem(rp, 400, "invalid-query", "Invalid query parameter",
	    "query parameter '%s' is unknown or repeated", shown);
	return false;
}

static const char *
query_get(struct request *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND,
	    name);
}

/* Plain decimal without sign or leading zeros, at most max. */
static bool
decimal_parse(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t n = 0;

	if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0'))
		return false;
	for (const char *p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return false;
		if (n > (max - (uint64_t)(*p - '0')) / 10)
			return false;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	*out = n;
	return true;
}

bool
query_limit(struct request *rq, struct reply *rp, unsigned *limit)
{
	const char *s = query_get(rq, "limit");
	uint64_t n;

	*limit = PAGE_LIMIT_DEFAULT;
	if (s == NULL)
		return true;
	if (decimal_parse(s, PAGE_LIMIT_MAX, &n) && n >= 1) {
		*limit = (unsigned)n;
		return true;
	}
	reply_problem(rp, 400, "invalid-query", "Invalid query parameter",
	    "limit must be an integer from 1 to %d", PAGE_LIMIT_MAX);
	return false;
}

bool
query_cursor_u64(struct request *rq, struct reply *rp, uint64_t *out)
{
	const char *s = query_get(rq, "cursor");

	*out = 0;
	if (s == NULL || decimal_parse(s, INT64_MAX, out))
		return true;
	reply_problem(rp, 400, "invalid-query", "Invalid query parameter",
	    "cursor is not one this server gave (pass next_cursor back "
	    "unchanged)");
	return false;
}

bool
query_cursor_id(struct request *rq, struct reply *rp,
    char out[TREASURY_ID_MAX_BYTES + 1])
{
	const char *s = query_get(rq, "cursor");
	size_t len;

	out[0] = '\0';
	if (s == NULL)
		return true;
	len = strlen(s);
	if (treasury_id_check(s, len) == TREASURY_OK) {
		text_copy(out, TREASURY_ID_MAX_BYTES + 1, s, len);
		return true;
	}
	reply_problem(rp, 400, "invalid-query", "Invalid query parameter",
	    "cursor is not one this server gave (pass next_cursor back "
	    "unchanged)");
	return false;
}
