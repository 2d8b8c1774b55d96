/*
 * test_clock.c: the unsafe test clock's endpoint.
 *
 * Every handler takes "now" from clock_now_s() (base/clock.c). Tests of expiry (minimum one
 * minute, default seven days) cannot wait that long, so a daemon started
 * with --unsafe-test-clock serves POST /v1/test/clock (admin), which moves
 * this clock forward by advance_s seconds. It only ever moves forward.
 * Without the flag the endpoint answers 404 like any unknown path. Never
 * use the flag in production: it lets an admin expire proposals at will.
 */
#include <stdatomic.h>

#include "treasury/canonical.h"
#include "treasury/clock.h"
#include "treasury/log.h"

#include "internal.h"

enum {
	TEST_CLOCK_ADVANCE_MAX_S = 365 * 24 * 3600,
};

static atomic_bool test_clock_enabled;

void
test_clock_enable(void)
{
	atomic_store(&test_clock_enabled, true);
}

void
handle_test_clock(struct request *rq, struct reply *rp)
{
	static const char *const allowed[] = { "advance_s", NULL };
	char now_text[TIMESTAMP_BYTES + 1];
	unsigned advance_s;
	json_t *body;

	if (!atomic_load(&test_clock_enabled)) {
		reply_err_titled(rp, TREASURY_ERR_NOT_FOUND, "Not found",
		    "no such endpoint");
		return;
	}
	body = body_parse(rq, rp, false);
	if (body == NULL)
		return;
	if (fields_only(rp, body, "", allowed) &&
	    field_uint(rp, body, "", "advance_s", true, 1,
	    TEST_CLOCK_ADVANCE_MAX_S, TREASURY_ERR_TOO_LARGE, &advance_s, NULL)) {
		clock_test_advance(advance_s);
		log_msg(LOG_WARNING, "UNSAFE test clock moved forward %u s by "
		    "token '%s'", advance_s, rq->token.name);
		timestamp_format(clock_now_s(), now_text);
		reply_json(rp, 200, json_pack("{s:s}", "now", now_text));
	}
	json_decref(body);
}
