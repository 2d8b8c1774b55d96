/*
 * test_api_router.c: unit tests of the pure parts of api/ (linked from
 * treasury_api): route matching (router.c: methods, "{}" parameters cut
 * out of the path in place, 404 versus 405 with its Allow list) and the
 * JSON renderings of times, amounts and hex (render.c).
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

/* Match method and path; the request is static-sized (large). */
static const struct route *
match(struct request *rq, const char *method, const char *path,
    const char **allow)
{
	memset(rq, 0, sizeof(*rq));
	rq->method = method;
	snprintf(rq->path, sizeof(rq->path), "%s", path);
	return route_match(rq, allow);
}

static void
test_route_params(void **state)
{
	struct request *rq = calloc(1, sizeof(*rq));
	const struct route *r;
	const char *allow = "x";

	(void)state;
	assert_non_null(rq);
	r = match(rq, "GET", "/v1/health", &allow);
	assert_non_null(r);
	assert_string_equal(r->pattern, "/v1/health");
	assert_int_equal(r->roles, ROLE_ANYONE);
	assert_null(allow);

	r = match(rq, "POST", "/v1/treasuries/ops/deposits", &allow);
	assert_non_null(r);
	assert_string_equal(r->pattern, "/v1/treasuries/{}/deposits");
	assert_int_equal(r->roles, ROLE_TREASURER);
	assert_string_equal(rq->params[0], "ops");

	r = match(rq, "GET", "/v1/treasuries/ops", &allow);
	assert_non_null(r);
	assert_string_equal(r->pattern, "/v1/treasuries/{}");
	assert_string_equal(rq->params[0], "ops");

	r = match(rq, "POST", "/v1/proposals/abcd/votes", &allow);
	assert_non_null(r);
	assert_int_equal(r->roles, ROLE_SIGNER);
	assert_string_equal(rq->params[0], "abcd");
	r = match(rq, "POST", "/v1/proposals/abcd/execute", &allow);
	assert_non_null(r);
	assert_int_equal(r->roles, ROLE_TREASURER);
	r = match(rq, "POST", "/v1/tokens/bot-1/revoke", &allow);
	assert_non_null(r);
	assert_int_equal(r->roles, ROLE_ADMIN);
	assert_string_equal(rq->params[0], "bot-1");
	free(rq);
}

/* 405 with the methods the path has; 404 (allow NULL) for no path: an
 * empty parameter, a trailing slash, an extra segment, a prefix. */
static void
test_route_405_404(void **state)
{
	static const char *none[] = {
		"/v1/treasuries//balances", "/v1/treasuries/ops/", "/v1/health/",
		"/v1/healthz", "/v1", "", "/v1/treasuries/ops/balances/x",
		"/V1/health", "/v1/proposals/abc/votes/1", "/ui//", "/ui/a/b",
		"/uix", "//",
	};
	struct request *rq = calloc(1, sizeof(*rq));
	const char *allow;
	size_t i;

	(void)state;
	assert_non_null(rq);
	assert_null(match(rq, "DELETE", "/v1/treasuries", &allow));
	assert_string_equal(allow, "GET, POST");
	assert_null(match(rq, "POST", "/v1/treasuries/ops/balances", &allow));
	assert_string_equal(allow, "GET");
	assert_null(match(rq, "GET", "/v1/proposals/abc/votes", &allow));
	assert_string_equal(allow, "POST");
	assert_null(match(rq, "get", "/v1/health", &allow));
	assert_string_equal(allow, "GET");
	for (i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		allow = "x";
		if (match(rq, "GET", none[i], &allow) != NULL)
			fail_msg("%s matched a route", none[i]);
		if (allow != NULL)
			fail_msg("%s: Allow %s", none[i], allow);
	}
	free(rq);
}

/* The table: every route is reachable by its own method and a path made
 * from its pattern, and no (method, pattern) is listed twice. */
static void
test_route_table(void **state)
{
	struct request *rq = calloc(1, sizeof(*rq));
	char path[URL_MAX_BYTES];
	const struct route *r, *got;
	const char *allow, *p;
	size_t i, j, n = route_count();

	(void)state;
	assert_non_null(rq);
	assert_true(n > 20);
	assert_null(route_at(n));
	for (i = 0; i < n; i++) {
		r = route_at(i);
		assert_non_null(r);
		j = 0;
		for (p = r->pattern; *p != '\0' && j + 2 < sizeof(path); p++) {
			if (p[0] == '{' && p[1] == '}') {
				path[j++] = 'x';
				p++;
			} else
				path[j++] = *p;
		}
		path[j] = '\0';
		got = match(rq, r->method, path, &allow);
		if (got != r)
			fail_msg("%s %s does not reach its route", r->method,
			    path);
		for (j = 0; j < i; j++)
			if (strcmp(route_at(j)->method, r->method) == 0 &&
			    strcmp(route_at(j)->pattern, r->pattern) == 0)
				fail_msg("%s %s listed twice", r->method,
				    r->pattern);
	}
	free(rq);
}

static void
json_is(json_t *j, const char *want)
{
	assert_non_null(j);
	assert_true(json_is_string(j));
	assert_string_equal(json_string_value(j), want);
	json_decref(j);
}

static void
test_render_scalars(void **state)
{
	static const uint8_t bytes[] = { 0x00, 0xab, 0xff, 0x10 };

	(void)state;
	json_is(json_time(0), "1970-01-01T00:00:00Z");
	json_is(json_time(1800000000), "2027-01-15T08:00:00Z");
	json_is(json_amount(0, 6), "0.000000");
	json_is(json_amount(60000000, 6), "60.000000");
	json_is(json_amount(1, 0), "1");
	json_is(json_amount(5, 2), "0.05");
	json_is(json_amount(AMOUNT_MINOR_MAX, 0),
	    "340282366920938463463374607431768211455");
	json_is(json_hex(bytes, sizeof(bytes)), "00abff10");
	json_is(json_hex(bytes, 0), "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route_params),
		cmocka_unit_test(test_route_405_404),
		cmocka_unit_test(test_route_table),
		cmocka_unit_test(test_render_scalars),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
