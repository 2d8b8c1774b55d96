/*
 * system.c: handlers for the daemon's own endpoints (health, info).
 */
#include "treasury/hex.h"

#include "internal.h"

void
handle_health(struct request *rq, struct reply *rp)
{
	(void)rq;
	reply_json(rp, 200, json_pack("{s:s}", "status", "ok"));
}

void
handle_info(struct request *rq, struct reply *rp)
{
	char instance[2 * INSTANCE_ID_BYTES + 1];

	hex_encode(instance, rq->srv->opts.instance, INSTANCE_ID_BYTES);
	reply_json(rp, 200, json_pack("{s:s, s:s}", "instance", instance,
	    "version", TREASURYD_VERSION));
}
