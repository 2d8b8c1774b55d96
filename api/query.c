/*
 * query.c: ids in the path and the query string (?status=&limit=&cursor=).
 *
 * A path id that cannot name anything (wrong charset, wrong length) is a
 * 404 like an unknown one, answered before any lookup. Query parameters
 * are strict: unknown or repeated names are a 400.
 *
 * Cursors are opaque to clients: pass back next_cursor unchanged. Inside
 * (see "Opaque cursors" below) the ledger's is the last entry's sequence
 * number, the proposals' the last nonce, the treasuries' the last id,
 * the tokens' and events' the last id, each authenticated.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

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
	size_t n = 0;

	while (allowed[n] != NULL)
		n++;
	assert(n <= QUERY_PARAMS_MAX);	/* qs.seen has one slot each */
	if (n > QUERY_PARAMS_MAX) {
		reply_err(rp, TREASURY_ERR_INTERNAL, "too many parameters");
		return false;
	}

	MHD_get_connection_values(rq->conn, MHD_GET_ARGUMENT_KIND,
	    query_scan_one, &qs);
	if (qs.bad == NULL)
		return true;
	text_for_detail(shown, sizeof(shown), qs.bad);
	reply_err(rp, TREASURY_ERR_INVALID_QUERY,
	    "query parameter '%s' is unknown or repeated", shown);
	return false;
}

const char *
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
query_after(struct request *rq, struct reply *rp, uint64_t *after)
{
	const char *s = query_get(rq, "after");

	*after = 0;
	if (s == NULL || decimal_parse(s, INT64_MAX, after))
		return true;
	reply_err(rp, TREASURY_ERR_INVALID_QUERY,
	    "after must be a sequence number (a decimal integer >= 0)");
	return false;
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
	reply_err(rp, TREASURY_ERR_INVALID_QUERY,
	    "limit must be an integer from 1 to %d", PAGE_LIMIT_MAX);
	return false;
}

/*
 * Opaque cursors: base64url (no padding) of
 *   version (1 byte, CURSOR_VERSION) | kind (1 byte) | position | MAC
 * where position is a big-endian u64 (ledger seq, proposal nonce, token
 * or event id) or the last treasury id, and MAC is the first
 * CURSOR_MAC_BYTES of a BLAKE2b keyed with the server's cursor key over
 * version, kind, position and the list's scope (treasury id, status
 * filter), so a cursor edited, made up, or taken from another list is a
 * 400 invalid-query, never a silently different page.
 */
enum {
	CURSOR_VERSION = 1,
	CURSOR_MAC_BYTES = 8,
	CURSOR_DATA_MAX_BYTES = TREASURY_ID_MAX_BYTES,
	CURSOR_RAW_MAX_BYTES = 2 + CURSOR_DATA_MAX_BYTES + CURSOR_MAC_BYTES,
};

static_assert(CURSOR_MAX_BYTES > (CURSOR_RAW_MAX_BYTES + 2) / 3 * 4,
    "a cursor's text fits CURSOR_MAX_BYTES");

static void
cursor_mac(const struct api_server *srv, const uint8_t *raw, size_t len,
    const char *scope, uint8_t mac[CURSOR_MAC_BYTES])
{
	crypto_generichash_state st;
	uint8_t full[crypto_generichash_BYTES_MIN];

	static_assert(CURSOR_MAC_BYTES <= crypto_generichash_BYTES_MIN,
	    "MAC fits");
	crypto_generichash_init(&st, srv->cursor_key, sizeof(srv->cursor_key),
	    sizeof(full));
	crypto_generichash_update(&st, raw, len);
	crypto_generichash_update(&st, (const uint8_t *)"\n", 1);
	crypto_generichash_update(&st, (const uint8_t *)scope, strlen(scope));
	crypto_generichash_final(&st, full, sizeof(full));
	memcpy(mac, full, CURSOR_MAC_BYTES);
}

static void
cursor_encode(const struct api_server *srv, enum cursor_kind kind,
    const char *scope, const uint8_t *data, size_t len,
    char out[CURSOR_MAX_BYTES])
{
	uint8_t raw[CURSOR_RAW_MAX_BYTES];

	assert(len <= CURSOR_DATA_MAX_BYTES);
	raw[0] = CURSOR_VERSION;
	raw[1] = (uint8_t)kind;
	memcpy(raw + 2, data, len);
	cursor_mac(srv, raw, 2 + len, scope, raw + 2 + len);
	sodium_bin2base64(out, CURSOR_MAX_BYTES, raw, 2 + len + CURSOR_MAC_BYTES,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* Decode and check ?cursor=; *len 0 and true when absent. */
static bool
cursor_decode(struct request *rq, struct reply *rp, enum cursor_kind kind,
    const char *scope, uint8_t data[CURSOR_DATA_MAX_BYTES], size_t *len)
{
	const char *s = query_get(rq, "cursor");
	uint8_t raw[CURSOR_RAW_MAX_BYTES], mac[CURSOR_MAC_BYTES];
	size_t raw_len = 0;

	*len = 0;
	if (s == NULL)
		return true;
	if (strlen(s) >= CURSOR_MAX_BYTES ||
	    sodium_base642bin(raw, sizeof(raw), s, strlen(s), NULL, &raw_len,
	    NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    raw_len < 2 + 1 + CURSOR_MAC_BYTES || raw[0] != CURSOR_VERSION ||
	    raw[1] != (uint8_t)kind)
		goto fail;
	cursor_mac(rq->srv, raw, raw_len - CURSOR_MAC_BYTES, scope, mac);
	if (sodium_memcmp(mac, raw + raw_len - CURSOR_MAC_BYTES,
	    CURSOR_MAC_BYTES) != 0)
		goto fail;
	*len = raw_len - 2 - CURSOR_MAC_BYTES;
	memcpy(data, raw + 2, *len);
	return true;
fail:
	reply_err(rp, TREASURY_ERR_INVALID_QUERY,
	    "cursor is not one this server gave for this list (pass "
	    "next_cursor back unchanged, with the same filters)");
	return false;
}

void
cursor_u64_make(const struct api_server *srv, enum cursor_kind kind,
    const char *scope, uint64_t pos, char out[CURSOR_MAX_BYTES])
{
	uint8_t be[8];

	for (size_t i = 0; i < 8; i++)
		be[i] = (uint8_t)(pos >> (56 - 8 * i));
	cursor_encode(srv, kind, scope, be, sizeof(be), out);
}

void
cursor_id_make(const struct api_server *srv, enum cursor_kind kind,
    const char *scope, const char *id, char out[CURSOR_MAX_BYTES])
{
	cursor_encode(srv, kind, scope, (const uint8_t *)id, strlen(id), out);
}

bool
query_cursor_u64(struct request *rq, struct reply *rp, enum cursor_kind kind,
    const char *scope, uint64_t *out)
{
	uint8_t data[CURSOR_DATA_MAX_BYTES];
	size_t len;

	*out = 0;
	if (!cursor_decode(rq, rp, kind, scope, data, &len))
		return false;
	if (len == 0)
		return true;
	if (len != 8 || data[0] >= 0x80) {	/* our MAC, our bug */
		reply_err(rp, TREASURY_ERR_INTERNAL, "cursor of %zu bytes", len);
		return false;
	}
	for (size_t i = 0; i < 8; i++)
		*out = (*out << 8) | data[i];
	return true;
}

bool
query_cursor_id(struct request *rq, struct reply *rp, enum cursor_kind kind,
    const char *scope, char out[TREASURY_ID_MAX_BYTES + 1])
{
	uint8_t data[CURSOR_DATA_MAX_BYTES];
	size_t len;

	out[0] = '\0';
	if (!cursor_decode(rq, rp, kind, scope, data, &len))
		return false;
	memcpy(out, data, len);
	out[len] = '\0';
	if (len == 0 || treasury_id_check(out, len) == TREASURY_OK)
		return true;
	reply_err(rp, TREASURY_ERR_INTERNAL, "cursor holds a bad id");
	return false;
}
