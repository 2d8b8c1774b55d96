/*
 * test_api_parse.c: api/'s request parsing that needs no running server
 * (linked from treasury_api): ?limit= and the MAC'd opaque cursors
 * (query.c), the body's Content-Type, pre-scan and strict parse, and the
 * typed field getters that name the field at fault (json.c). MHD's
 * MHD_lookup_connection_value is replaced at link time (--wrap, see
 * CMakeLists.txt) by a table of the headers and query arguments a test
 * sets; the connection itself is never used.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../api/internal.h"

/* What the fake connection holds: NULL is absent. */
static struct {
	const char *content_type;
	const char *limit;
	const char *cursor;
} conn;

const char *__wrap_MHD_lookup_connection_value(
    struct MHD_Connection *connection, enum MHD_ValueKind kind,
    const char *key);

const char *
__wrap_MHD_lookup_connection_value(struct MHD_Connection *connection,
    enum MHD_ValueKind kind, const char *key)
{
	(void)connection;
	if (kind == MHD_HEADER_KIND && strcmp(key,
	    MHD_HTTP_HEADER_CONTENT_TYPE) == 0)
		return conn.content_type;
	if (kind == MHD_GET_ARGUMENT_KIND && strcmp(key, "limit") == 0)
		return conn.limit;
	if (kind == MHD_GET_ARGUMENT_KIND && strcmp(key, "cursor") == 0)
		return conn.cursor;
	return NULL;
}

static struct api_server *srv;

static int
setup(void **state)
{
	(void)state;
	srv = calloc(1, sizeof(*srv));
	assert_non_null(srv);
	for (size_t i = 0; i < sizeof(srv->cursor_key); i++)
		srv->cursor_key[i] = (uint8_t)(0x40 + i);
	srv->opts.json_depth_max = 3;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	free(srv);
	return 0;
}

/* A request on the fake connection (large: heap). */
static struct request *
request_new(const char *body, size_t len)
{
	struct request *rq = calloc(1, sizeof(*rq));

	assert_non_null(rq);
	rq->srv = srv;
	rq->body = (char *)body;
	rq->body_len = len;
	return rq;
}

/* The reply must be the problem of err with detail (when not NULL);
 * frees its JSON. */
static void
problem_check(struct reply *rp, treasury_err err, unsigned status,
    const char *detail)
{
	char type[128];

	assert_true(rp->problem);
	assert_int_equal(rp->status, status);
	assert_int_equal(api_err_status(err), status);
	snprintf(type, sizeof(type), "urn:treasuryd:problem:%s",
	    treasury_err_name(err));
	assert_string_equal(json_string_value(json_object_get(rp->json,
	    "type")), type);
	if (detail != NULL)
		assert_string_equal(json_string_value(json_object_get(rp->json,
		    "detail")), detail);
	json_decref(rp->json);
	memset(rp, 0, sizeof(*rp));
}

/* ---- query.c: ?limit= ---- */

static void
test_query_limit(void **state)
{
	static const char *const bad[] = {
		"0", "501", "01", "-1", "+5", "", " 5", "5 ", "1x", "0x10",
		"1e2", "5000", "18446744073709551616", "99999999999999999999",
	};
	static const struct { const char *s; unsigned n; } good[] = {
		{ "1", 1 }, { "9", 9 }, { "50", 50 }, { "499", 499 },
		{ "500", 500 },
	};
	struct request *rq = request_new(NULL, 0);
	struct reply rp;
	unsigned limit;
	size_t i;

	(void)state;
	memset(&rp, 0, sizeof(rp));
	conn.limit = NULL;
	assert_true(query_limit(rq, &rp, &limit));
	assert_int_equal(limit, PAGE_LIMIT_DEFAULT);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		conn.limit = good[i].s;
		limit = 0;
		assert_true(query_limit(rq, &rp, &limit));
		assert_int_equal(limit, good[i].n);
		assert_null(rp.json);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		conn.limit = bad[i];
		assert_false(query_limit(rq, &rp, &limit));
		problem_check(&rp, TREASURY_ERR_INVALID_QUERY, 400,
		    "limit must be an integer from 1 to 500");
	}
	conn.limit = NULL;
	free(rq);
}

/* ---- query.c: cursors ---- */

#define CURSOR_REFUSED "cursor is not one this server gave for this list " \
    "(pass next_cursor back unchanged, with the same filters)"

/* Decode conn.cursor as a u64 cursor of kind and scope: refused as not
 * ours. */
static void
u64_refused(struct request *rq, enum cursor_kind kind, const char *scope)
{
	struct reply rp;
	uint64_t pos = 99;

	memset(&rp, 0, sizeof(rp));
	assert_false(query_cursor_u64(rq, &rp, kind, scope, &pos));
	problem_check(&rp, TREASURY_ERR_INVALID_QUERY, 400, CURSOR_REFUSED);
}

static void
test_cursor_u64(void **state)
{
	static const uint64_t positions[] = {
		0, 1, 255, 256, 12345, 0x0102030405060708ull,
		0x7fffffffffffffffull,
	};
	struct request *rq = request_new(NULL, 0);
	struct reply rp;
	char text[CURSOR_MAX_BYTES], edited[CURSOR_MAX_BYTES + 8];
	uint64_t pos;
	size_t i, len;

	(void)state;
	memset(&rp, 0, sizeof(rp));
	conn.cursor = NULL;			/* absent: from the start */
	pos = 99;
	assert_true(query_cursor_u64(rq, &rp, CURSOR_LEDGER, "ops", &pos));
	assert_int_equal(pos, 0);
	for (i = 0; i < sizeof(positions) / sizeof(positions[0]); i++) {
		cursor_u64_make(srv, CURSOR_LEDGER, "ops", positions[i], text);
		/* base64url without padding of 2 + 8 + 8 bytes */
		assert_int_equal(strlen(text), 24);
		assert_int_equal(strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789-_"), 24);
		conn.cursor = text;
		pos = 99;
		assert_true(query_cursor_u64(rq, &rp, CURSOR_LEDGER, "ops",
		    &pos));
		assert_true(pos == positions[i]);
		assert_null(rp.json);
	}

	cursor_u64_make(srv, CURSOR_LEDGER, "ops", 12345, text);
	conn.cursor = text;
	/* another list, another scope, another key */
	u64_refused(rq, CURSOR_PROPOSALS, "ops");
	u64_refused(rq, CURSOR_LEDGER, "ops2");
	u64_refused(rq, CURSOR_LEDGER, "op");
	u64_refused(rq, CURSOR_LEDGER, "");
	srv->cursor_key[31] ^= 1;
	u64_refused(rq, CURSOR_LEDGER, "ops");
	srv->cursor_key[31] ^= 1;
	pos = 0;
	assert_true(query_cursor_u64(rq, &rp, CURSOR_LEDGER, "ops", &pos));
	assert_int_equal(pos, 12345);

	/* any one character changed; cut short; padded; lengthened */
	conn.cursor = edited;
	len = strlen(text);
	for (i = 0; i < len; i++) {
		memcpy(edited, text, len + 1);
		edited[i] = edited[i] == 'A' ? 'B' : 'A';
		u64_refused(rq, CURSOR_LEDGER, "ops");
	}
	snprintf(edited, sizeof(edited), "%.*s", (int)len - 1, text);
	u64_refused(rq, CURSOR_LEDGER, "ops");
	snprintf(edited, sizeof(edited), "%s==", text);
	u64_refused(rq, CURSOR_LEDGER, "ops");
	snprintf(edited, sizeof(edited), "%sAAAA", text);
	u64_refused(rq, CURSOR_LEDGER, "ops");
	snprintf(edited, sizeof(edited), "%s", "");
	u64_refused(rq, CURSOR_LEDGER, "ops");
	snprintf(edited, sizeof(edited), "%s", "not a cursor!");
	u64_refused(rq, CURSOR_LEDGER, "ops");
	memset(edited, 'A', CURSOR_MAX_BYTES + 4);
	edited[CURSOR_MAX_BYTES + 4] = '\0';
	u64_refused(rq, CURSOR_LEDGER, "ops");

	/* a position the server never makes (>= 2^63) is its own bug: 500 */
	cursor_u64_make(srv, CURSOR_LEDGER, "ops", 0x8000000000000000ull, text);
	conn.cursor = text;
	assert_false(query_cursor_u64(rq, &rp, CURSOR_LEDGER, "ops", &pos));
	problem_check(&rp, TREASURY_ERR_INTERNAL, 500, NULL);
	conn.cursor = NULL;
	free(rq);
}

static void
test_cursor_id(void **state)
{
	struct request *rq = request_new(NULL, 0);
	struct reply rp;
	char text[CURSOR_MAX_BYTES], id[TREASURY_ID_MAX_BYTES + 1];
	char longest[TREASURY_ID_MAX_BYTES + 1];
	uint64_t pos;

	(void)state;
	memset(&rp, 0, sizeof(rp));
	conn.cursor = NULL;
	id[0] = 'x';
	assert_true(query_cursor_id(rq, &rp, CURSOR_TREASURIES, "", id));
	assert_string_equal(id, "");

	cursor_id_make(srv, CURSOR_TREASURIES, "", "ops-main", text);
	conn.cursor = text;
	assert_true(query_cursor_id(rq, &rp, CURSOR_TREASURIES, "", id));
	assert_string_equal(id, "ops-main");
	memset(longest, 'z', TREASURY_ID_MAX_BYTES);
	longest[TREASURY_ID_MAX_BYTES] = '\0';
	assert_int_equal(treasury_id_check(longest, TREASURY_ID_MAX_BYTES),
	    TREASURY_OK);
	cursor_id_make(srv, CURSOR_TREASURIES, "", longest, text);
	assert_true(strlen(text) < CURSOR_MAX_BYTES);
	assert_true(query_cursor_id(rq, &rp, CURSOR_TREASURIES, "", id));
	assert_string_equal(id, longest);
	assert_null(rp.json);

	/* a treasuries cursor is not a tokens cursor */
	assert_false(query_cursor_id(rq, &rp, CURSOR_TOKENS, "", id));
	problem_check(&rp, TREASURY_ERR_INVALID_QUERY, 400, CURSOR_REFUSED);
	assert_string_equal(id, "");
	/* nor a ledger position of the same kind number */
	assert_false(query_cursor_u64(rq, &rp, CURSOR_LEDGER, "", &pos));
	problem_check(&rp, TREASURY_ERR_INVALID_QUERY, 400, CURSOR_REFUSED);
	/* one the server made with a bad id is its own bug: 500 */
	cursor_id_make(srv, CURSOR_TREASURIES, "", "Bad Id", text);
	assert_false(query_cursor_id(rq, &rp, CURSOR_TREASURIES, "", id));
	problem_check(&rp, TREASURY_ERR_INTERNAL, 500, NULL);
	conn.cursor = NULL;
	free(rq);
}

/* ---- json.c: bodies ---- */

static struct reply last_reply;		/* parse()'s answer when refused */

/* body_parse of text with Content-Type ct: the object, or NULL with the
 * problem checked against err and detail. */
static json_t *
parse(const char *ct, const char *text, size_t len, bool allow_empty)
{
	struct request *rq = request_new(text, len);
	struct reply rp;
	json_t *j;

	memset(&rp, 0, sizeof(rp));
	conn.content_type = ct;
	j = body_parse(rq, &rp, allow_empty);
	if (j != NULL) {
		assert_true(json_is_object(j));
		assert_null(rp.json);
	}
	last_reply = rp;
	free(rq);
	return j;
}

#define JSON_CT "application/json"
#define PARSES(ct, text) do {						\
	json_t *j_ = parse(ct, text, sizeof(text) - 1, false);		\
	assert_non_null(j_);						\
	json_decref(j_);						\
} while (0)
#define REFUSED(ct, text, err, status, detail) do {			\
	assert_null(parse(ct, text, sizeof(text) - 1, false));		\
	problem_check(&last_reply, err, status, detail);		\
} while (0)

static void
test_body_content_type(void **state)
{
	json_t *j;

	(void)state;
	PARSES(JSON_CT, "{}");
	PARSES("application/json; charset=utf-8", "{}");
	PARSES("Application/JSON", "{}");
	PARSES("application/json\t;x=y", "{}");
	PARSES("application/json ", "{}");
	REFUSED(NULL, "{}", TREASURY_ERR_UNSUPPORTED_MEDIA_TYPE, 415,
	    "the request body must be sent with Content-Type: "
	    "application/json");
	REFUSED("application/jsonx", "{}",
	    TREASURY_ERR_UNSUPPORTED_MEDIA_TYPE, 415, NULL);
	REFUSED("text/plain", "{}", TREASURY_ERR_UNSUPPORTED_MEDIA_TYPE, 415,
	    NULL);
	REFUSED("application/jso", "{}", TREASURY_ERR_UNSUPPORTED_MEDIA_TYPE,
	    415, NULL);
	REFUSED("application/problem+json", "{}",
	    TREASURY_ERR_UNSUPPORTED_MEDIA_TYPE, 415, NULL);
	/* an empty body: {} when allowed, whatever the type; else 400 */
	j = parse(NULL, "", 0, true);
	assert_non_null(j);
	assert_int_equal(json_object_size(j), 0);
	json_decref(j);
	REFUSED(JSON_CT, "", TREASURY_ERR_INVALID_JSON, 400,
	    "the request body is empty; a JSON object is required");
}

static void
test_body_prescan_and_parse(void **state)
{
	(void)state;
	/* nesting: json_depth_max is 3 in setup() */
	PARSES(JSON_CT, "{\"a\": [[1]]}");
	PARSES(JSON_CT, "{\"a\": [1], \"b\": [[2]], \"c\": {\"d\": [3]}}");
	REFUSED(JSON_CT, "{\"a\": [[[1]]]}", TREASURY_ERR_INVALID_JSON, 400,
	    "nesting deeper than 3 levels at offset 8");
	/* brackets in strings do not count, escaped quotes included */
	PARSES(JSON_CT, "{\"a\": \"[[[[{{{{\"}");
	PARSES(JSON_CT, "{\"a\": \"\\\"[[[[\\\\\", \"b\": [[\"]]]]\"]]}");
	REFUSED(JSON_CT, "{\"a\": \"\\\\\", \"b\": [[[1]]]}",
	    TREASURY_ERR_INVALID_JSON, 400,
	    "nesting deeper than 3 levels at offset 19");
	/* NUL bytes, even in a string */
	REFUSED(JSON_CT, "{\"a\": \"x\0\"}", TREASURY_ERR_INVALID_JSON, 400,
	    "NUL byte at offset 8");
	/* strict parse: duplicate keys, not an object, trailing text */
	REFUSED(JSON_CT, "{\"a\": 1, \"a\": 1}", TREASURY_ERR_INVALID_JSON,
	    400, NULL);
	REFUSED(JSON_CT, "[1]", TREASURY_ERR_INVALID_JSON, 400,
	    "the request body must be a JSON object");
	REFUSED(JSON_CT, "{} x", TREASURY_ERR_INVALID_JSON, 400, NULL);
	/* jansson's message quotes bad bytes: the detail stays printable */
	assert_null(parse(JSON_CT, "{\"a\": \xff\xfe}", 9, false));
	{
		const char *d = json_string_value(json_object_get(
		    last_reply.json, "detail"));

		assert_non_null(d);
		assert_int_equal(strncmp(d, "line 1 column ", 14), 0);
		for (; *d != '\0'; d++)
			assert_true(*d >= 0x20 && *d <= 0x7e);
	}
	problem_check(&last_reply, TREASURY_ERR_INVALID_JSON, 400, NULL);
}

/* ---- json.c: fields ---- */

static json_t *
obj(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);

	assert_non_null(j);
	return j;
}

static void
test_fields_only_and_path(void **state)
{
	static const char *const allowed[] = { "kind", "memo", NULL };
	char path[FIELD_PATH_MAX_BYTES], shown[8];
	struct reply rp;
	json_t *j;

	(void)state;
	memset(&rp, 0, sizeof(rp));
	field_path(path, "", "memo");
	assert_string_equal(path, "memo");
	field_path(path, "transfers[3]", "memo");
	assert_string_equal(path, "transfers[3].memo");

	j = obj("{\"kind\": 1, \"memo\": 2}");
	assert_true(fields_only(&rp, j, "", allowed));
	assert_null(rp.json);
	json_decref(j);
	j = obj("{}");
	assert_true(fields_only(&rp, j, "x", allowed));
	json_decref(j);
	j = obj("{\"kind\": 1, \"Memo\": 2}");
	assert_false(fields_only(&rp, j, "", allowed));
	problem_check(&rp, TREASURY_ERR_UNKNOWN_FIELD, 400,
	    "unknown field 'Memo'");
	assert_false(fields_only(&rp, j, "transfers[0]", allowed));
	problem_check(&rp, TREASURY_ERR_UNKNOWN_FIELD, 400,
	    "unknown field 'transfers[0].Memo'");
	json_decref(j);
	/* a key with controls or non-ASCII is shown with '?' */
	j = obj("{\"a\\u001bb\\u00e9\": 1}");
	assert_false(fields_only(&rp, j, "", allowed));
	problem_check(&rp, TREASURY_ERR_UNKNOWN_FIELD, 400,
	    "unknown field 'a?b?" "?'");
	json_decref(j);

	text_for_detail(shown, sizeof(shown), "abc\x7f\x1f" "defgh");
	assert_string_equal(shown, "abc??de");	/* 7 bytes and the NUL */
	text_for_detail(shown, 1, "abc");
	assert_string_equal(shown, "");
}

static void
test_field_getters(void **state)
{
	struct reply rp;
	const char *s;
	size_t len;
	unsigned u = 7;
	bool present = true;
	json_t *j = obj("{\"s\": \"h\\u00e9\", \"n\": 5, \"r\": 5.0,"
	    " \"t\": true, \"neg\": -1, \"big\": 4294967296,"
	    " \"a\": [1, 2], \"nul\": null}"), *a;

	(void)state;
	memset(&rp, 0, sizeof(rp));
	assert_true(field_string(&rp, j, "", "s", true, &s, &len));
	assert_string_equal(s, "h\xc3\xa9");
	assert_int_equal(len, 3);
	assert_true(field_string(&rp, j, "", "absent", false, &s, &len));
	assert_null(s);
	assert_int_equal(len, 0);
	assert_false(field_string(&rp, j, "p", "absent", true, &s, &len));
	problem_check(&rp, TREASURY_ERR_MISSING_FIELD, 400,
	    "field 'p.absent' is required");
	assert_false(field_string(&rp, j, "", "n", false, &s, &len));
	problem_check(&rp, TREASURY_ERR_FIELD_TYPE, 400,
	    "field 'n' must be a string");
	assert_false(field_string(&rp, j, "", "nul", false, &s, &len));
	problem_check(&rp, TREASURY_ERR_FIELD_TYPE, 400, NULL);

	assert_true(field_uint(&rp, j, "", "n", true, 5, 5,
	    TREASURY_ERR_THRESHOLD, &u, &present));
	assert_int_equal(u, 5);
	assert_true(present);
	assert_true(field_uint(&rp, j, "", "absent", false, 1, 9,
	    TREASURY_ERR_THRESHOLD, &u, &present));
	assert_false(present);
	assert_false(field_uint(&rp, j, "", "n", true, 6, 9,
	    TREASURY_ERR_THRESHOLD, &u, NULL));
	problem_check(&rp, TREASURY_ERR_THRESHOLD,
	    api_err_status(TREASURY_ERR_THRESHOLD),
	    "field 'n' must be between 6 and 9");
	assert_false(field_uint(&rp, j, "", "n", true, 1, 4,
	    TREASURY_ERR_DECIMALS, &u, NULL));
	problem_check(&rp, TREASURY_ERR_DECIMALS,
	    api_err_status(TREASURY_ERR_DECIMALS),
	    "field 'n' must be between 1 and 4");
	assert_false(field_uint(&rp, j, "", "neg", true, 0, 9,
	    TREASURY_ERR_THRESHOLD, &u, NULL));
	problem_check(&rp, TREASURY_ERR_THRESHOLD,
	    api_err_status(TREASURY_ERR_THRESHOLD), NULL);
	assert_false(field_uint(&rp, j, "", "big", true, 0, 4294967295u,
	    TREASURY_ERR_THRESHOLD, &u, NULL));
	problem_check(&rp, TREASURY_ERR_THRESHOLD,
	    api_err_status(TREASURY_ERR_THRESHOLD), NULL);
	assert_false(field_uint(&rp, j, "", "r", true, 0, 9,
	    TREASURY_ERR_THRESHOLD, &u, NULL));
	problem_check(&rp, TREASURY_ERR_FIELD_TYPE, 400,
	    "field 'r' must be an integer");
	assert_false(field_uint(&rp, j, "", "t", true, 0, 9,
	    TREASURY_ERR_THRESHOLD, &u, NULL));
	problem_check(&rp, TREASURY_ERR_FIELD_TYPE, 400, NULL);
	assert_false(field_uint(&rp, j, "q", "absent", true, 0, 9,
	    TREASURY_ERR_THRESHOLD, &u, NULL));
	problem_check(&rp, TREASURY_ERR_MISSING_FIELD, 400,
	    "field 'q.absent' is required");

	assert_true(field_array(&rp, j, "", "a", 2, 2, &a));
	assert_int_equal(json_array_size(a), 2);
	assert_false(field_array(&rp, j, "", "a", 3, 8, &a));
	problem_check(&rp, TREASURY_ERR_LIST_LENGTH, 400,
	    "field 'a' must hold 3 to 8 items, not 2");
	assert_false(field_array(&rp, j, "", "a", 0, 1, &a));
	problem_check(&rp, TREASURY_ERR_LIST_LENGTH, 400, NULL);
	assert_false(field_array(&rp, j, "", "s", 0, 1, &a));
	problem_check(&rp, TREASURY_ERR_FIELD_TYPE, 400,
	    "field 's' must be an array");
	assert_false(field_array(&rp, j, "", "absent", 0, 1, &a));
	problem_check(&rp, TREASURY_ERR_MISSING_FIELD, 400, NULL);
	json_decref(j);
}

static void
test_field_printable_and_amount(void **state)
{
	struct asset usdc;
	struct reply rp;
	amount_minor v = 0;
	json_t *j;

	(void)state;
	memset(&rp, 0, sizeof(rp));
	assert_true(field_printable(&rp, TREASURY_OK, "", "reference",
	    "a b", 3, 3, true));
	assert_true(field_printable(&rp, TREASURY_OK, "", "to", "~!", 2, 2,
	    false));
	assert_false(field_printable(&rp, TREASURY_OK, "", "to", "a b", 3, 9,
	    false));
	problem_check(&rp, TREASURY_ERR_INVALID_FIELD, 400,
	    "field 'to' must be 1..9 printable ASCII characters without "
	    "spaces");
	assert_false(field_printable(&rp, TREASURY_ERR_DESTINATION, "t[1]",
	    "to", "abcd", 4, 3, false));
	problem_check(&rp, TREASURY_ERR_DESTINATION,
	    api_err_status(TREASURY_ERR_DESTINATION),
	    "field 't[1].to' must be 1..3 printable ASCII characters without "
	    "spaces");
	assert_false(field_printable(&rp, TREASURY_OK, "", "reference", " ab",
	    3, 9, true));
	problem_check(&rp, TREASURY_ERR_INVALID_FIELD, 400,
	    "field 'reference' must be 1..9 printable ASCII characters, not "
	    "starting or ending with a space");
	assert_false(field_printable(&rp, TREASURY_OK, "", "reference", "ab ",
	    3, 9, true));
	problem_check(&rp, TREASURY_ERR_INVALID_FIELD, 400, NULL);
	assert_false(field_printable(&rp, TREASURY_OK, "", "r", "", 0, 9,
	    true));
	problem_check(&rp, TREASURY_ERR_INVALID_FIELD, 400, NULL);
	assert_false(field_printable(&rp, TREASURY_OK, "", "r", "a\x7f", 2, 9,
	    true));
	problem_check(&rp, TREASURY_ERR_INVALID_FIELD, 400, NULL);
	assert_false(field_printable(&rp, TREASURY_OK, "", "r", "a\tb", 3, 9,
	    true));
	problem_check(&rp, TREASURY_ERR_INVALID_FIELD, 400, NULL);

	memset(&usdc, 0, sizeof(usdc));
	snprintf(usdc.code, sizeof(usdc.code), "USDC");
	usdc.decimals = 6;
	j = obj("{\"amount\": \"1500.5\"}");
	assert_true(field_amount(&rp, j, "", &usdc, &v));
	assert_true(v == (amount_minor)1500500000);
	json_decref(j);
	j = obj("{\"amount\": 1500}");
	assert_false(field_amount(&rp, j, "transfers[0]", &usdc, &v));
	problem_check(&rp, TREASURY_ERR_FIELD_TYPE, 400,
	    "field 'transfers[0].amount' must be a decimal string such as "
	    "\"1500.5\" (JSON numbers are not accepted)");
	json_decref(j);
	j = obj("{\"amount\": \"1.0000001\"}");
	assert_false(field_amount(&rp, j, "", &usdc, &v));
	snprintf(usdc.code, sizeof(usdc.code), "%s", "USDC");
	{
		char want[256];

		snprintf(want, sizeof(want), "field 'amount': %s (USDC has 6 "
		    "decimals)", treasury_err_text(
		    TREASURY_ERR_AMOUNT_FRACTION_DIGITS));
		problem_check(&rp, TREASURY_ERR_AMOUNT_FRACTION_DIGITS,
		    api_err_status(TREASURY_ERR_AMOUNT_FRACTION_DIGITS), want);
	}
	json_decref(j);
	j = obj("{}");
	assert_false(field_amount(&rp, j, "", &usdc, &v));
	problem_check(&rp, TREASURY_ERR_MISSING_FIELD, 400,
	    "field 'amount' is required");
	json_decref(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_limit),
		cmocka_unit_test(test_cursor_u64),
		cmocka_unit_test(test_cursor_id),
		cmocka_unit_test(test_body_content_type),
		cmocka_unit_test(test_body_prescan_and_parse),
		cmocka_unit_test(test_fields_only_and_path),
		cmocka_unit_test(test_field_getters),
		cmocka_unit_test(test_field_printable_and_amount),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
