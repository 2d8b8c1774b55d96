/*
 * test_webhook_store.c: unit tests of storage/webhooks.c: the fan-out
 * (filters by type and treasury, disabled endpoints, entries before an
 * endpoint's registration, nothing twice), delivery results (retry, a
 * stale result ignored, delivered rows deleted, dead letters), the
 * redelivery of a range, the deliveries log kept to its last
 * WEBHOOK_DELIVERIES_KEPT attempts, deletion, and the delivery thread's
 * reads (heads, next, entry).
 *
 * Journal entries are appended with journal_append in a transaction the
 * test opens on the fixture's read-write store, then fanned out by
 * webhook_fanout_run as the writer does before its COMMIT.
 */
#include <semaphore.h>

#include "engine_fixture.h"

#include "treasury/webhook_store.h"

#include "../../storage/engine_int.h"
#include "../../storage/journal_int.h"

static int
setup(void **state)
{
	*state = fixture_open("webhooks", true);
	return 0;
}

static int64_t
db_int(struct store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(s->db, sql, -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int64_t
endpoint_create(struct ctx *c, const char *events, const char *treasury)
{
	struct webhook_spec spec;
	struct command cmd;

	memset(&spec, 0, sizeof(spec));
	snprintf(spec.url, sizeof(spec.url), "http://127.0.0.1:9/h");
	snprintf(spec.events, sizeof(spec.events), "%s", events);
	snprintf(spec.treasury, sizeof(spec.treasury), "%s", treasury);
	memset(spec.secret, 7, sizeof(spec.secret));
	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_WEBHOOK_CREATE;
	cmd.now_s = NOW;
	cmd.in.webhook_create.spec = &spec;
	assert_int_equal(writer_submit(c->w, &cmd), TREASURY_OK);
	assert_true(cmd.out.webhook_create.id > 0);
	return cmd.out.webhook_create.id;
}

static treasury_err
endpoint_update(struct ctx *c, int64_t id, enum webhook_op op, int64_t from,
    int64_t to, unsigned *count)
{
	struct command cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_WEBHOOK_UPDATE;
	cmd.now_s = NOW;
	cmd.in.webhook_update.id = id;
	cmd.in.webhook_update.op = op;
	cmd.in.webhook_update.seq_from = from;
	cmd.in.webhook_update.seq_to = to;
	(void)writer_submit(c->w, &cmd);
	if (count != NULL)
		*count = cmd.out.webhook_update.count;
	return cmd.err;
}

/* Append entries (type, treasury or NULL) and fan them out, as a writer
 * group does; *first is the first seq. */
static void
journal_group(struct ctx *c, const char *const types[],
    const char *const treasuries[], size_t n, int64_t *first)
{
	struct journal_who who = { .time_s = NOW };
	struct journal_payload p;
	struct webhook_fanout f;
	int64_t seq;

	assert_int_equal(sqlite3_exec(c->admin->db, "BEGIN IMMEDIATE", NULL,
	    NULL, NULL), SQLITE_OK);
	assert_int_equal(webhook_fanout_begin(c->admin, &f), TREASURY_OK);
	for (size_t i = 0; i < n; i++) {
		journal_payload_begin(&p);
		journal_payload_int(&p, "i", (int64_t)i);
		assert_int_equal(journal_append(c->admin, &who, treasuries[i],
		    types[i], &p, &seq), TREASURY_OK);
		if (i == 0)
			*first = seq;
	}
	assert_int_equal(webhook_fanout_run(c->admin, &f), TREASURY_OK);
	assert_int_equal(sqlite3_exec(c->admin->db, "COMMIT", NULL, NULL,
	    NULL), SQLITE_OK);
}

/* Empty the outbox: the webhook.* journal entries of the admin acts a
 * test makes to set up its endpoints are fanned out like any other, and
 * are not what it counts. */
static void
outbox_clear(struct ctx *c)
{
	assert_int_equal(sqlite3_exec(c->admin->db, "DELETE FROM"
	    " webhook_outbox", NULL, NULL, NULL), SQLITE_OK);
}

static int64_t
outbox_count(struct ctx *c, int64_t id)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM webhook_outbox"
	    " WHERE webhook_id = %lld", (long long)id);
	return db_int(c->admin, sql);
}

static void
result_submit(struct ctx *c, const struct webhook_result *r, unsigned n)
{
	struct webhook_results *rs = calloc(1, sizeof(*rs));
	struct command cmd;

	assert_non_null(rs);
	assert_true(n <= WEBHOOK_RESULTS_MAX);
	memcpy(rs->r, r, n * sizeof(*r));
	rs->count = n;
	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_WEBHOOK_RESULTS;
	cmd.now_s = NOW;
	cmd.in.webhook_results.results = rs;
	assert_int_equal(writer_submit(c->w, &cmd), TREASURY_OK);
	free(rs);
}

/* Each endpoint gets what its filter matches, from after its
 * registration on, once; a disabled one nothing. */
static void
test_fanout_filters(void **state)
{
	struct ctx *c = *state;
	static const char *const types[] = { "deposit", "asset.created",
		"deposit", "proposal.created" };
	static const char *const treasuries[] = { "t1", NULL, "t2", "t1" };
	int64_t all, dep, t1, off, first = 0, mark;

	all = endpoint_create(c, "", "");
	dep = endpoint_create(c, ",deposit,", "");
	t1 = endpoint_create(c, "", "t1");
	off = endpoint_create(c, "", "");
	assert_int_equal(endpoint_update(c, off, WEBHOOK_OP_DISABLE, 0, 0,
	    NULL), TREASURY_OK);
	outbox_clear(c);
	journal_group(c, types, treasuries, 4, &first);
	assert_int_equal(outbox_count(c, all), 4);
	assert_int_equal(outbox_count(c, dep), 2);
	assert_int_equal(outbox_count(c, t1), 2);
	assert_int_equal(outbox_count(c, off), 0);
	mark = db_int(c->admin, "SELECT seq FROM webhook_fanout");
	assert_int_equal(mark, first + 3);
	/* a group with nothing new adds nothing */
	journal_group(c, types, treasuries, 0, &first);
	assert_int_equal(db_int(c->admin, "SELECT count(*) FROM webhook_outbox"),
	    8);
	/* a later endpoint gets only later entries (its own webhook.created
	 * entry among them, which `all` gets too) */
	off = endpoint_create(c, "", "");
	assert_int_equal(outbox_count(c, off), 1);
	assert_int_equal(outbox_count(c, all), 5);
	outbox_clear(c);
	journal_group(c, types, treasuries, 1, &first);
	assert_int_equal(outbox_count(c, off), 1);
	assert_int_equal(outbox_count(c, all), 1);
	/* unknown endpoints are refused */
	assert_int_equal(endpoint_update(c, 999, WEBHOOK_OP_ENABLE, 0, 0,
	    NULL), TREASURY_ERR_UNKNOWN_WEBHOOK);
}

/* While no endpoint is enabled a group writes nothing for webhooks, the
 * mark included; an endpoint registered or enabled later still gets only
 * the entries made from then on (and its own webhook.* entry). */
static void
test_fanout_idle_mark(void **state)
{
	struct ctx *c = *state;
	static const char *const types[] = { "deposit", "deposit", "deposit" };
	static const char *const treasuries[] = { "t1", "t1", "t1" };
	int64_t mark, first = 0, a, b;

	mark = db_int(c->admin, "SELECT seq FROM webhook_fanout");
	journal_group(c, types, treasuries, 3, &first);
	journal_group(c, types, treasuries, 3, &first);
	assert_int_equal(db_int(c->admin, "SELECT seq FROM webhook_fanout"),
	    mark);
	assert_true(first > mark);
	a = endpoint_create(c, "", "");
	assert_int_equal(outbox_count(c, a), 1);	/* webhook.created */
	assert_true(db_int(c->admin, "SELECT seq FROM webhook_fanout") >=
	    first + 2);
	journal_group(c, types, treasuries, 2, &first);
	assert_int_equal(outbox_count(c, a), 3);
	/* off again: nothing queued, the mark stands still */
	assert_int_equal(endpoint_update(c, a, WEBHOOK_OP_DISABLE, 0, 0,
	    NULL), TREASURY_OK);
	mark = db_int(c->admin, "SELECT seq FROM webhook_fanout");
	journal_group(c, types, treasuries, 3, &first);
	assert_int_equal(db_int(c->admin, "SELECT seq FROM webhook_fanout"),
	    mark);
	/* on again: only what comes after (webhook.enabled, then the next
	 * group), none of the three made while it was off */
	assert_int_equal(endpoint_update(c, a, WEBHOOK_OP_ENABLE, 0, 0, NULL),
	    TREASURY_OK);
	assert_int_equal(outbox_count(c, a), 4);
	journal_group(c, types, treasuries, 1, &first);
	assert_int_equal(outbox_count(c, a), 5);
	assert_int_equal(db_int(c->admin, "SELECT count(*) FROM webhook_outbox"
	    " WHERE seq BETWEEN (SELECT min(seq) FROM journal WHERE type ="
	    " 'webhook.disabled') AND (SELECT max(seq) FROM journal WHERE type"
	    " = 'webhook.enabled') - 1"), 0);
	/* a second endpoint made now starts at its own entry too */
	b = endpoint_create(c, ",deposit,", "");
	assert_int_equal(outbox_count(c, b), 0);
	journal_group(c, types, treasuries, 2, &first);
	assert_int_equal(outbox_count(c, b), 2);
}

/* ---- several webhook commands in one writer group ---- */

static sem_t hook_in, hook_release, group_done;
static volatile int hook_hold;

/* The commit hook: once armed, holds the writer after a COMMIT so that
 * what the test queues meanwhile makes one group. */
static void
hold_hook(void *arg)
{
	(void)arg;
	if (hook_hold) {
		hook_hold = 0;
		sem_post(&hook_in);
		sem_wait(&hook_release);
	}
}

static void
command_done(struct command *cmd, void *arg)
{
	(void)cmd;
	(void)arg;
	sem_post(&group_done);
}

static void
update_make(struct command *cmd, int64_t id, enum webhook_op op)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->type = CMD_WEBHOOK_UPDATE;
	cmd->now_s = NOW;
	cmd->in.webhook_update.id = id;
	cmd->in.webhook_update.op = op;
	memset(cmd->in.webhook_update.secret, 9,
	    sizeof(cmd->in.webhook_update.secret));
}

/* A rotation, a disable and an enable of an enabled endpoint in one
 * group: it was enabled before the group and after it, so every entry of
 * the group is queued for it, as when each command has a group of its
 * own (found by review: a fan-out at the enable lost the first two). */
static void
test_fanout_disable_enable_one_group(void **state)
{
	struct ctx *c = *state;
	struct command first, cmds[3];
	struct writer_stats ws0, ws1;
	int64_t a, before;

	assert_int_equal(sem_init(&hook_in, 0, 0), 0);
	assert_int_equal(sem_init(&hook_release, 0, 0), 0);
	assert_int_equal(sem_init(&group_done, 0, 0), 0);
	a = endpoint_create(c, "", "");
	before = outbox_count(c, a);
	writer_stats_get(c->w, &ws0);
	writer_commit_hook_set(c->w, hold_hook, NULL);
	hook_hold = 1;
	update_make(&first, a, WEBHOOK_OP_ROTATE);
	writer_submit_async(c->w, &first, command_done, NULL);
	assert_int_equal(sem_wait(&hook_in), 0);	/* writer held */
	update_make(&cmds[0], a, WEBHOOK_OP_ROTATE);
	update_make(&cmds[1], a, WEBHOOK_OP_DISABLE);
	update_make(&cmds[2], a, WEBHOOK_OP_ENABLE);
	for (int i = 0; i < 3; i++)
		writer_submit_async(c->w, &cmds[i], command_done, NULL);
	assert_int_equal(sem_post(&hook_release), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(sem_wait(&group_done), 0);
	writer_commit_hook_set(c->w, NULL, NULL);
	for (int i = 0; i < 3; i++)
		assert_int_equal(cmds[i].err, TREASURY_OK);
	writer_stats_get(c->w, &ws1);
	assert_int_equal(ws1.groups - ws0.groups, 2);	/* first, then one */
	/* rotated, rotated, disabled, enabled */
	assert_int_equal(outbox_count(c, a), before + 4);
}

/* The maintenance command deletes dead rows 30 days after they died
 * (their last attempt), not younger ones, not pending ones; the head
 * query reads one endpoint as the heads query does. */
static void
test_dead_purge_and_head(void **state)
{
	struct ctx *c = *state;
	static const char *const types[] = { "deposit", "deposit", "deposit" };
	static const char *const treasuries[] = { "t1", "t1", "t1" };
	struct webhook_result r[2];
	struct webhook_info info;
	struct webhook_due d;
	struct command cmd;
	int64_t id, first = 0;
	bool found;

	id = endpoint_create(c, "", "");
	outbox_clear(c);
	journal_group(c, types, treasuries, 3, &first);
	assert_int_equal(store_webhook_head(c->reader, id, &d, &found),
	    TREASURY_OK);
	assert_true(found);
	assert_int_equal(d.seq, first);
	assert_string_equal(d.url, "http://127.0.0.1:9/h");
	/* two die: one 31 days ago, one a day ago */
	memset(r, 0, sizeof(r));
	r[0] = (struct webhook_result){ .webhook_id = id, .seq = first,
	    .attempt = 1, .at_ms = (NOW - 31 * 86400) * 1000, .dead = true };
	r[1] = (struct webhook_result){ .webhook_id = id, .seq = first + 1,
	    .attempt = 1, .at_ms = (NOW - 86400) * 1000, .dead = true };
	result_submit(c, r, 2);
	assert_int_equal(store_webhook_get(c->reader, id, &info), TREASURY_OK);
	assert_int_equal(info.dead, 2);
	assert_int_equal(info.pending, 1);

	/* a maintenance without the purge's time keeps them */
	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_MAINTENANCE;
	cmd.now_s = NOW;
	assert_int_equal(writer_submit(c->w, &cmd), TREASURY_OK);
	assert_int_equal(cmd.out.maintenance.webhook_dead_purged, 0);
	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_MAINTENANCE;
	cmd.now_s = NOW;
	cmd.in.maintenance.webhook_dead_before_ms = (NOW -
	    WEBHOOK_DEAD_KEEP_S) * 1000;
	assert_int_equal(writer_submit(c->w, &cmd), TREASURY_OK);
	assert_int_equal(cmd.out.maintenance.webhook_dead_purged, 1);
	assert_int_equal(store_webhook_get(c->reader, id, &info), TREASURY_OK);
	assert_int_equal(info.dead, 1);
	assert_int_equal(info.pending, 1);

	/* disabled: no head */
	assert_int_equal(endpoint_update(c, id, WEBHOOK_OP_DISABLE, 0, 0,
	    NULL), TREASURY_OK);
	assert_int_equal(store_webhook_head(c->reader, id, &d, &found),
	    TREASURY_OK);
	assert_false(found);
}

/* The delivery thread's reads, results, dead letters, redelivery. */
static void
test_results_redeliver_delete(void **state)
{
	struct ctx *c = *state;
	static const char *const types[] = { "deposit", "deposit", "deposit" };
	static const char *const treasuries[] = { "t1", "t1", "t1" };
	struct webhook_due heads[4], d;
	struct webhook_result r[2];
	struct webhook_entry e;
	struct webhook_info info;
	unsigned n = 0, count = 0;
	int64_t id, first = 0;
	bool found;

	id = endpoint_create(c, "", "");
	outbox_clear(c);
	journal_group(c, types, treasuries, 3, &first);
	assert_int_equal(store_webhook_heads(c->reader, heads, 4, &n),
	    TREASURY_OK);
	assert_int_equal(n, 1);
	assert_int_equal(heads[0].webhook_id, id);
	assert_int_equal(heads[0].seq, first);
	assert_int_equal(heads[0].attempts, 0);
	assert_int_equal(heads[0].secret_len, WEBHOOK_SECRET_BYTES);
	assert_string_equal(heads[0].url, "http://127.0.0.1:9/h");
	d = heads[0];
	assert_int_equal(store_webhook_next(c->reader, &d, first, &found),
	    TREASURY_OK);
	assert_true(found);
	assert_int_equal(d.seq, first + 1);
	assert_int_equal(store_webhook_entry(c->reader, first, &e), TREASURY_OK);
	assert_string_equal(e.type, "deposit");
	assert_string_equal(e.treasury, "t1");
	assert_false(e.has_actor_token);
	assert_string_equal(e.payload, "{\"i\":0}");
	free(e.payload);

	/* attempt 1 fails; a stale result for attempt 1 (a 2xx here)
	 * changes nothing: the row moved on to attempt 2 */
	memset(r, 0, sizeof(r));
	r[0] = (struct webhook_result){ .webhook_id = id, .seq = first,
	    .attempt = 1, .at_ms = 1000, .http_status = 500, .next_ms = 5000 };
	result_submit(c, r, 1);
	r[0].delivered = true;
	r[0].http_status = 200;
	result_submit(c, r, 1);
	assert_int_equal(store_webhook_heads(c->reader, heads, 4, &n),
	    TREASURY_OK);
	assert_int_equal(n, 1);
	assert_int_equal(heads[0].seq, first);
	assert_int_equal(heads[0].attempts, 1);
	assert_int_equal(heads[0].next_ms, 5000);
	/* attempt 2 delivered: the row goes; the next one dies */
	r[0].attempt = 2;
	r[0].http_status = 204;
	r[0].delivered = true;
	r[1] = (struct webhook_result){ .webhook_id = id, .seq = first + 1,
	    .attempt = 1, .at_ms = 2000, .dead = true };
	snprintf(r[1].error, sizeof(r[1].error), "refused");
	result_submit(c, r, 2);
	assert_int_equal(store_webhook_get(c->reader, id, &info), TREASURY_OK);
	assert_int_equal(info.pending, 1);
	assert_int_equal(info.dead, 1);
	assert_int_equal(store_webhook_heads(c->reader, heads, 4, &n),
	    TREASURY_OK);
	assert_int_equal(heads[0].seq, first + 2);

	/* redeliver all three: the delivered one and the dead one come
	 * back as new, the pending one is reset (due now, attempts 0): all
	 * three counted; the redelivery's own webhook.redelivered entry is
	 * queued behind them */
	assert_int_equal(endpoint_update(c, id, WEBHOOK_OP_REDELIVER, first,
	    first + 2, &count), TREASURY_OK);
	assert_int_equal(count, 3);
	assert_int_equal(store_webhook_get(c->reader, id, &info), TREASURY_OK);
	assert_int_equal(info.pending, 4);
	assert_int_equal(info.dead, 0);
	assert_int_equal(store_webhook_heads(c->reader, heads, 4, &n),
	    TREASURY_OK);
	assert_int_equal(heads[0].seq, first);
	assert_int_equal(heads[0].attempts, 0);

	/* the log holds the four attempts; delete takes everything */
	assert_int_equal(db_int(c->admin, "SELECT count(*) FROM"
	    " webhook_deliveries"), 4);
	assert_int_equal(endpoint_update(c, id, WEBHOOK_OP_DELETE, 0, 0, NULL),
	    TREASURY_OK);
	assert_int_equal(store_webhook_get(c->reader, id, &info),
	    TREASURY_ERR_UNKNOWN_WEBHOOK);
	assert_int_equal(outbox_count(c, id), 0);
	assert_int_equal(db_int(c->admin, "SELECT count(*) FROM"
	    " webhook_deliveries"), 0);
	/* a result for a deleted endpoint is dropped */
	result_submit(c, r, 1);
	assert_int_equal(db_int(c->admin, "SELECT count(*) FROM"
	    " webhook_deliveries"), 0);
}

static int
attempt_count(const struct webhook_attempt *a, void *ctx)
{
	unsigned *n = ctx;

	assert_true(a->attempt >= 1);
	(*n)++;
	return 0;
}

/* The log keeps the last WEBHOOK_DELIVERIES_KEPT attempts. */
static void
test_log_trim(void **state)
{
	struct ctx *c = *state;
	static const char *const types[] = { "deposit" };
	static const char *const treasuries[] = { NULL };
	struct webhook_result r[WEBHOOK_RESULTS_MAX];
	int64_t id, first = 0;
	unsigned n = 0, k = 1;

	id = endpoint_create(c, "", "");
	journal_group(c, types, treasuries, 1, &first);
	for (int round = 0; round < 2; round++) {
		for (unsigned i = 0; i < WEBHOOK_RESULTS_MAX; i++, k++)
			r[i] = (struct webhook_result){ .webhook_id = id,
			    .seq = first, .attempt = k, .at_ms = k,
			    .http_status = 503, .next_ms = 1 };
		result_submit(c, r, WEBHOOK_RESULTS_MAX);
	}
	assert_int_equal(store_webhook_attempts(c->reader, id, 500,
	    attempt_count, &n), TREASURY_OK);
	assert_int_equal(n, WEBHOOK_DELIVERIES_KEPT);
	assert_int_equal(db_int(c->admin, "SELECT min(attempt) FROM"
	    " webhook_deliveries"), 2 * WEBHOOK_RESULTS_MAX -
	    WEBHOOK_DELIVERIES_KEPT + 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fanout_filters, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fanout_idle_mark, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_fanout_disable_enable_one_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dead_purge_and_head,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_results_redeliver_delete,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_trim, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
