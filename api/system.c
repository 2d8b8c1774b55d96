/*
 * system.c: handlers for the daemon's own endpoints (health, info).
 * Health is the database file's identity (store_file_id_check), and on
 * PostgreSQL whether the server answers.
 */
#include "treasury/hex.h"

#include "internal.h"

/* Healthy while the database file is the one the daemon opened; the
 * detail names no path (no token is needed here), the log does. */
void
handle_health(struct request *rq, struct reply *rp)
{
	char detail[STORE_ERRMSG_BYTES];

	if (store_file_id_check(rq->srv->db_path, &rq->srv->opts.db_file_id,
	    detail) != TREASURY_OK) {
		reply_err(rp, TREASURY_ERR_STORAGE_UNAVAILABLE, "the database "
		    "file was deleted or replaced; writes are refused (the "
		    "daemon's log says more)");
		return;
	}
	/* PostgreSQL: a read transaction begins, or 503 database-unreachable
	 * (a load balancer stops sending requests that would fail) */
	if (store_path_is_postgresql(rq->srv->db_path)) {
		if (!request_snapshot_begin(rq, rp))
			return;
		request_snapshot_end(rq);
	}
	reply_json(rp, 200, json_pack("{s:s}", "status", "ok"));
}

void
handle_info(struct request *rq, struct reply *rp)
{
	char instance[2 * INSTANCE_ID_BYTES + 1];

	hex_encode(instance, rq->srv->opts.instance, INSTANCE_ID_BYTES);
	reply_built(rp, 200, json_pack("{s:s, s:s, s:o}", "instance", instance,
	    "version", TREASURYD_VERSION, "journal_public_key",
	    journal_public_key_json(rq->srv)));
}
