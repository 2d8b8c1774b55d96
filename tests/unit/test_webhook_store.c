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
 * webhook_fanout_run as the writer does before its COMMIT; the tests of
 * the idle mark hold the writer so that several commands make one group.
 */
#include <semaphore.h>

#include "engine_fixture.h"

#include "treasury/webhook_store.h"

#include "../../storage/db_sqlite.h"
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

	assert_int_equal(sqlite3_prepare_v2(db_sqlite(s->db), sql, -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* A CMD_WEBHOOK_CREATE of an endpoint with events and treasury ("" for
 * all), its spec in *spec. */
static void
create_make(struct command *cmd, struct webhook_spec *spec,
    const char *events, const char *treasury)
{
	memset(spec, 0, sizeof(*spec));
	snprintf(spec->url, sizeof(spec->url), "http://127.0.0.1:9/h");
	snprintf(spec->events, sizeof(spec->events), "%s", events);
	snprintf(spec->treasury, sizeof(spec->treasury), "%s", treasury);
	memset(spec->secret, 7, sizeof(spec->secret));
	memset(cmd, 0, sizeof(*cmd));
	cmd->type = CMD_WEBHOOK_CREATE;
	cmd->now_s = NOW;
	cmd->in.webhook_create.spec = spec;
}

static int64_t
endpoint_create(struct ctx *c, const char *events, const char *treasury)
{
	struct webhook_spec spec;
	struct command cmd;

	create_make(&cmd, &spec, events, treasury);
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

	assert_int_equal(sqlite3_exec(db_sqlite(c->admin->db), "BEGIN IMMEDIATE", NULL,
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
	assert_int_equal(sqlite3_exec(db_sqlite(c->admin->db), "COMMIT", NULL, NULL,
	    NULL), SQLITE_OK);
}

static void
exec_ok(struct ctx *c, const char *sql)
{
	assert_int_equal(sqlite3_exec(db_sqlite(c->admin->db), sql, NULL, NULL, NULL),
	    SQLITE_OK);
}

/* Empty the outbox: the webhook.* journal entries of the admin acts a
 * test makes to set up its endpoints are fanned out like any other, and
 * are not what it counts. */
static void
outbox_clear(struct ctx *c)
{
	exec_ok(c, "DELETE FROM webhook_outbox");
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

static void
update_ok(struct ctx *c, int64_t id, enum webhook_op op)
{
	assert_int_equal(endpoint_update(c, id, op, 0, 0, NULL), TREASURY_OK);
}

/* Apply the n commands as one writer group (none: an empty group): the
 * writer is held after the group of a delivery-results command, which
 * journals nothing, while they are queued. */
static void
one_group(struct ctx *c, struct command *cmds, int n)
{
	static struct webhook_results none;
	struct command first;
	struct writer_stats ws0, ws1;

	assert_int_equal(sem_init(&hook_in, 0, 0), 0);
	assert_int_equal(sem_init(&hook_release, 0, 0), 0);
	assert_int_equal(sem_init(&group_done, 0, 0), 0);
	writer_commit_hook_set(c->w, hold_hook, NULL);
	hook_hold = 1;
	memset(&first, 0, sizeof(first));
	first.type = CMD_WEBHOOK_RESULTS;
	first.now_s = NOW;
	first.in.webhook_results.results = &none;
	writer_submit_async(c->w, &first, command_done, NULL);
	assert_int_equal(sem_wait(&hook_in), 0);	/* writer held */
	writer_stats_get(c->w, &ws0);
	for (int i = 0; i < n; i++)
		writer_submit_async(c->w, &cmds[i], command_done, NULL);
	assert_int_equal(sem_post(&hook_release), 0);
	for (int i = 0; i < n + 1; i++)
		assert_int_equal(sem_wait(&group_done), 0);
	writer_commit_hook_set(c->w, NULL, NULL);
	writer_stats_get(c->w, &ws1);
	assert_int_equal(ws1.groups - ws0.groups, n > 0);
}

/* `treasuryd token create` on the command line: its own transaction. */
static void
cli_token(struct ctx *c, const char *name)
{
	static uint8_t k = 1;
	uint8_t hash[TOKEN_HASH_BYTES];

	memset(hash, k++, sizeof(hash));
	assert_int_equal(store_token_insert(c->admin, name, ROLE_SIGNER, hash,
	    NOW), TREASURY_OK);
}

/*
 * While no endpoint is enabled the fan-out mark stands still
 * (storage/webhooks.c). The tests below check that every entry still has
 * the outcome of a fan-out run unconditionally at every group's end (as
 * before the idle mark; written by a review against both versions):
 * groups that disable, enable, create and delete endpoints together, a
 * rolled-back command, a failed group, a restart, and entries the command
 * line journals between groups. One outcome differs, said at its test:
 * an entry journalled while no endpoint was enabled is never queued.
 */

/* A rotation, a disable and an enable of an enabled endpoint in one
 * group: it was enabled before the group and after it, so every entry of
 * the group is queued for it, as when each command has a group of its
 * own (found by review: a fan-out at the enable lost the first two). */
static void
test_fanout_disable_enable_one_group(void **state)
{
	struct ctx *c = *state;
	struct command cmds[3];
	int64_t a, before;

	a = endpoint_create(c, "", "");
	before = outbox_count(c, a);
	update_make(&cmds[0], a, WEBHOOK_OP_ROTATE);
	update_make(&cmds[1], a, WEBHOOK_OP_DISABLE);
	update_make(&cmds[2], a, WEBHOOK_OP_ENABLE);
	one_group(c, cmds, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(cmds[i].err, TREASURY_OK);
	/* rotated, disabled, enabled */
	assert_int_equal(outbox_count(c, a), before + 3);
}

/* An entry made on the command line while the only endpoint is disabled,
 * then a group that enables it. The unconditional fan-out queued the
 * entry when no group ran in between (the mark had not passed it) and not
 * when one did (next test): timing. Now it never is: it was made while no
 * endpoint was enabled (docs/webhooks.md). */
static void
test_fanout_cli_entry_then_reenable(void **state)
{
	struct ctx *c = *state;
	int64_t a = endpoint_create(c, "", "");

	update_ok(c, a, WEBHOOK_OP_DISABLE);
	outbox_clear(c);
	cli_token(c, "clitok");
	update_ok(c, a, WEBHOOK_OP_ENABLE);
	/* webhook.enabled only, not token.created */
	assert_int_equal(outbox_count(c, a), 1);
}

/* The same with one group (delivery results, maintenance) between the
 * command line and the enable: not queued either (nor was it by the
 * unconditional fan-out). */
static void
test_fanout_cli_entry_group_then_reenable(void **state)
{
	struct ctx *c = *state;
	int64_t a = endpoint_create(c, "", "");

	update_ok(c, a, WEBHOOK_OP_DISABLE);
	outbox_clear(c);
	cli_token(c, "clitok");
	one_group(c, NULL, 0);
	update_ok(c, a, WEBHOOK_OP_ENABLE);
	assert_int_equal(outbox_count(c, a), 1);
}

/* A group that starts idle: [rotate b (disabled), an unknown id (rolled
 * back), enable b]: both kept entries queued. */
static void
test_fanout_idle_group_rollback_enable(void **state)
{
	struct ctx *c = *state;
	struct command cmds[3];
	int64_t b = endpoint_create(c, "", "");

	update_ok(c, b, WEBHOOK_OP_DISABLE);
	update_ok(c, b, WEBHOOK_OP_ROTATE);	/* idle groups */
	outbox_clear(c);
	update_make(&cmds[0], b, WEBHOOK_OP_ROTATE);
	update_make(&cmds[1], 999, WEBHOOK_OP_ROTATE);
	update_make(&cmds[2], b, WEBHOOK_OP_ENABLE);
	one_group(c, cmds, 3);
	assert_int_equal(cmds[0].err, TREASURY_OK);
	assert_int_equal(cmds[1].err, TREASURY_ERR_UNKNOWN_WEBHOOK);
	assert_int_equal(cmds[2].err, TREASURY_OK);
	assert_int_equal(outbox_count(c, b), 2);
}

/* [delete a (the last enabled), create b] and [create d, delete b]. */
static void
test_fanout_delete_create_one_group(void **state)
{
	struct ctx *c = *state;
	struct webhook_spec spec;
	struct command cmds[2];
	int64_t a = endpoint_create(c, "", ""), b, d;

	update_make(&cmds[0], a, WEBHOOK_OP_DELETE);
	create_make(&cmds[1], &spec, "", "");
	one_group(c, cmds, 2);
	b = cmds[1].out.webhook_create.id;
	assert_int_equal(outbox_count(c, b), 1);	/* its webhook.created */
	create_make(&cmds[0], &spec, "", "");
	update_make(&cmds[1], b, WEBHOOK_OP_DELETE);
	one_group(c, cmds, 2);
	d = cmds[0].out.webhook_create.id;
	assert_int_equal(outbox_count(c, d), 2);	/* created d, deleted b */
}

/* Idle groups, a restart, then an enable: only webhook.enabled; then a
 * command-line entry while one is enabled and a group that disables it:
 * never queued, not after a re-enable either. */
static void
test_fanout_restart_and_cli_then_disable(void **state)
{
	struct ctx *c = *state;
	char errmsg[STORE_ERRMSG_BYTES];
	int64_t a = endpoint_create(c, "", "");

	update_ok(c, a, WEBHOOK_OP_DISABLE);
	update_ok(c, a, WEBHOOK_OP_ROTATE);
	update_ok(c, a, WEBHOOK_OP_ROTATE);
	outbox_clear(c);
	writer_stop(c->w);
	cli_token(c, "whiledown");
	assert_int_equal(writer_start(c->db, c->v, &c->w, errmsg),
	    TREASURY_OK);
	/* not the command line's entry: a group ran first (the
	 * unconditional fan-out raised the mark in it too) */
	update_ok(c, a, WEBHOOK_OP_ROTATE);
	update_ok(c, a, WEBHOOK_OP_ENABLE);
	assert_int_equal(outbox_count(c, a), 1);
	outbox_clear(c);
	cli_token(c, "whileon");
	update_ok(c, a, WEBHOOK_OP_DISABLE);
	update_ok(c, a, WEBHOOK_OP_ENABLE);
	assert_int_equal(outbox_count(c, a), 1);	/* webhook.enabled */
}

/* A command-line entry while a is enabled and b disabled, then a group
 * enabling b: b gets it (and its webhook.enabled). */
static void
test_fanout_cli_entry_second_endpoint(void **state)
{
	struct ctx *c = *state;
	int64_t a = endpoint_create(c, "", ""), b = endpoint_create(c, "", "");

	update_ok(c, b, WEBHOOK_OP_DISABLE);
	outbox_clear(c);
	cli_token(c, "clitok2");
	update_ok(c, b, WEBHOOK_OP_ENABLE);
	assert_int_equal(outbox_count(c, b), 2);
	assert_int_equal(outbox_count(c, a), 2);
}

/* A group that starts idle and ends enabled fails at its fan-out and
 * rolls back; the same commands again: both queued, nothing lost. */
static void
test_fanout_group_fail_then_retry(void **state)
{
	struct ctx *c = *state;
	struct command cmds[2];
	int64_t b = endpoint_create(c, "", "");

	update_ok(c, b, WEBHOOK_OP_DISABLE);
	outbox_clear(c);
	exec_ok(c, "CREATE TRIGGER boom BEFORE INSERT ON webhook_outbox"
	    " BEGIN SELECT RAISE(ABORT, 'boom'); END");
	update_make(&cmds[0], b, WEBHOOK_OP_ROTATE);
	update_make(&cmds[1], b, WEBHOOK_OP_ENABLE);
	one_group(c, cmds, 2);
	assert_int_equal(cmds[0].err, TREASURY_ERR_DB);
	assert_int_equal(db_int(c->admin, "SELECT enabled FROM webhooks"), 0);
	exec_ok(c, "DROP TRIGGER boom");
	update_make(&cmds[0], b, WEBHOOK_OP_ROTATE);
	update_make(&cmds[1], b, WEBHOOK_OP_ENABLE);
	one_group(c, cmds, 2);
	assert_int_equal(outbox_count(c, b), 2);
	assert_int_equal(db_int(c->admin, "SELECT seq FROM webhook_fanout"),
	    db_int(c->admin, "SELECT max(seq) FROM journal"));
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
		cmocka_unit_test_setup_teardown(
		    test_fanout_cli_entry_then_reenable, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_fanout_cli_entry_group_then_reenable, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_fanout_idle_group_rollback_enable, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_fanout_delete_create_one_group, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_fanout_restart_and_cli_then_disable, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_fanout_cli_entry_second_endpoint, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_fanout_group_fail_then_retry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dead_purge_and_head,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_results_redeliver_delete,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_trim, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
