/*
 * test_webhook_equiv.c: the webhook fan-out's outcome for each entry,
 * through the writer only, in the cases where a group starts with no
 * endpoint enabled (the fan-out mark then stands still, storage/
 * webhooks.c): groups that disable, enable, create and delete endpoints
 * together, a rolled-back command, a failed group, a restart, and
 * entries the command line journals between groups. Every outcome is the
 * one of a fan-out run unconditionally at every group's end (as before
 * the idle mark, written by a review against both versions), except one,
 * said at its test: an entry journalled while no endpoint was enabled is
 * never queued.
 */
#include <semaphore.h>

#include "engine_fixture.h"

#include "treasury/webhook_store.h"

#include "../../storage/engine_int.h"

static int
setup(void **state)
{
	*state = fixture_open("whequiv", true);
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

static void
exec_ok(struct ctx *c, const char *sql)
{
	assert_int_equal(sqlite3_exec(c->admin->db, sql, NULL, NULL, NULL),
	    SQLITE_OK);
}

static struct webhook_spec spec_;

static void
create_make(struct command *cmd)
{
	memset(&spec_, 0, sizeof(spec_));
	snprintf(spec_.url, sizeof(spec_.url), "http://127.0.0.1:9/h");
	memset(spec_.secret, 7, sizeof(spec_.secret));
	memset(cmd, 0, sizeof(*cmd));
	cmd->type = CMD_WEBHOOK_CREATE;
	cmd->now_s = NOW;
	cmd->in.webhook_create.spec = &spec_;
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

static int64_t
create(struct ctx *c)
{
	struct command cmd;

	create_make(&cmd);
	assert_int_equal(writer_submit(c->w, &cmd), TREASURY_OK);
	return cmd.out.webhook_create.id;
}

static void
update(struct ctx *c, int64_t id, enum webhook_op op)
{
	struct command cmd;

	update_make(&cmd, id, op);
	assert_int_equal(writer_submit(c->w, &cmd), TREASURY_OK);
}

static int64_t
count(struct ctx *c, int64_t id)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM webhook_outbox"
	    " WHERE webhook_id = %lld", (long long)id);
	return db_int(c->admin, sql);
}

/* `treasuryd token create` on the command line: its own transaction */
static void
cli_token(struct ctx *c, const char *name)
{
	static uint8_t k = 1;
	uint8_t hash[TOKEN_HASH_BYTES];

	memset(hash, k++, sizeof(hash));
	assert_int_equal(store_token_insert(c->admin, name, ROLE_SIGNER, hash,
	    NOW), TREASURY_OK);
}

/* ---- n commands in one writer group ---- */

static sem_t hook_in, hook_release, done_sem;
static volatile int hook_hold;

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
	sem_post(&done_sem);
}

static void
one_group(struct ctx *c, struct command *cmds, int n)
{
	struct command first;
	struct writer_stats ws0, ws1;

	sem_init(&hook_in, 0, 0);
	sem_init(&hook_release, 0, 0);
	sem_init(&done_sem, 0, 0);
	writer_commit_hook_set(c->w, hold_hook, NULL);
	hook_hold = 1;
	static struct webhook_results none;

	memset(&first, 0, sizeof(first));
	first.type = CMD_WEBHOOK_RESULTS;	/* journals nothing */
	first.now_s = NOW;
	first.in.webhook_results.results = &none;
	writer_submit_async(c->w, &first, command_done, NULL);
	assert_int_equal(sem_wait(&hook_in), 0);
	writer_stats_get(c->w, &ws0);
	for (int i = 0; i < n; i++)
		writer_submit_async(c->w, &cmds[i], command_done, NULL);
	assert_int_equal(sem_post(&hook_release), 0);
	for (int i = 0; i < n + 1; i++)
		assert_int_equal(sem_wait(&done_sem), 0);
	writer_commit_hook_set(c->w, NULL, NULL);
	writer_stats_get(c->w, &ws1);
	assert_int_equal(ws1.groups - ws0.groups, n > 0);
}

/* A: an entry made on the command line while the only endpoint is
 * disabled, then a group that enables it. The unconditional fan-out
 * queued the entry when no group ran in between (the mark had not passed
 * it) and not when one did (A2): timing. Now it never is: it was made
 * while no endpoint was enabled (docs/webhooks.md). */
static void
test_cli_entry_then_reenable(void **state)
{
	struct ctx *c = *state;
	int64_t a = create(c);

	update(c, a, WEBHOOK_OP_DISABLE);
	exec_ok(c, "DELETE FROM webhook_outbox");
	cli_token(c, "clitok");
	update(c, a, WEBHOOK_OP_ENABLE);
	/* webhook.enabled only, not token.created */
	assert_int_equal(count(c, a), 1);
}

/* A2: the same with one group (delivery results, maintenance) between
 * the command line and the enable: not queued either (nor was it by the
 * unconditional fan-out). */
static void
test_cli_entry_results_group_then_reenable(void **state)
{
	struct ctx *c = *state;
	int64_t a = create(c);

	update(c, a, WEBHOOK_OP_DISABLE);
	exec_ok(c, "DELETE FROM webhook_outbox");
	cli_token(c, "clitok");
	one_group(c, NULL, 0);
	update(c, a, WEBHOOK_OP_ENABLE);
	assert_int_equal(count(c, a), 1);
}

/* B: a group that starts idle: [rotate b (disabled), an unknown id
 * (rolled back), enable b]: both kept entries queued. */
static void
test_idle_group_rollback_enable(void **state)
{
	struct ctx *c = *state;
	struct command cmds[3];
	int64_t b = create(c);

	update(c, b, WEBHOOK_OP_DISABLE);
	update(c, b, WEBHOOK_OP_ROTATE);	/* idle groups */
	exec_ok(c, "DELETE FROM webhook_outbox");
	update_make(&cmds[0], b, WEBHOOK_OP_ROTATE);
	update_make(&cmds[1], 999, WEBHOOK_OP_ROTATE);
	update_make(&cmds[2], b, WEBHOOK_OP_ENABLE);
	one_group(c, cmds, 3);
	assert_int_equal(cmds[0].err, TREASURY_OK);
	assert_int_equal(cmds[1].err, TREASURY_ERR_UNKNOWN_WEBHOOK);
	assert_int_equal(cmds[2].err, TREASURY_OK);
	assert_int_equal(count(c, b), 2);
}

/* C: [delete a (last enabled), create b] and [create d, delete b]. */
static void
test_delete_create_one_group(void **state)
{
	struct ctx *c = *state;
	struct command cmds[2];
	int64_t a = create(c), b, d;

	update_make(&cmds[0], a, WEBHOOK_OP_DELETE);
	create_make(&cmds[1]);
	one_group(c, cmds, 2);
	b = cmds[1].out.webhook_create.id;
	assert_int_equal(count(c, b), 1);	/* its webhook.created */
	create_make(&cmds[0]);
	update_make(&cmds[1], b, WEBHOOK_OP_DELETE);
	one_group(c, cmds, 2);
	d = cmds[0].out.webhook_create.id;
	assert_int_equal(count(c, d), 2);	/* created d, deleted b */
}

/* D: idle groups, a restart, then an enable: only webhook.enabled;
 * then a command-line entry while one is enabled and a group that
 * disables it: never queued, not after a re-enable either. */
static void
test_restart_and_cli_then_disable(void **state)
{
	struct ctx *c = *state;
	char errmsg[STORE_ERRMSG_BYTES];
	int64_t a = create(c);

	update(c, a, WEBHOOK_OP_DISABLE);
	update(c, a, WEBHOOK_OP_ROTATE);
	update(c, a, WEBHOOK_OP_ROTATE);
	exec_ok(c, "DELETE FROM webhook_outbox");
	writer_stop(c->w);
	cli_token(c, "whiledown");
	assert_int_equal(writer_start(c->db, c->v, &c->w, errmsg),
	    TREASURY_OK);
	/* not the command line's entry: a group ran first (the
	 * unconditional fan-out raised the mark in it too) */
	update(c, a, WEBHOOK_OP_ROTATE);
	update(c, a, WEBHOOK_OP_ENABLE);
	assert_int_equal(count(c, a), 1);
	exec_ok(c, "DELETE FROM webhook_outbox");
	cli_token(c, "whileon");
	update(c, a, WEBHOOK_OP_DISABLE);
	update(c, a, WEBHOOK_OP_ENABLE);
	assert_int_equal(count(c, a), 1);	/* webhook.enabled */
}

/* E: a command-line entry while a is enabled and b disabled, then a group
 * enabling b: b gets it (and its webhook.enabled). */
static void
test_cli_entry_second_endpoint(void **state)
{
	struct ctx *c = *state;
	int64_t a = create(c), b = create(c);

	update(c, b, WEBHOOK_OP_DISABLE);
	exec_ok(c, "DELETE FROM webhook_outbox");
	cli_token(c, "clitok2");
	update(c, b, WEBHOOK_OP_ENABLE);
	assert_int_equal(count(c, b), 2);
	assert_int_equal(count(c, a), 2);
}

/* F: a group that starts idle and ends enabled fails at its fan-out and
 * rolls back; the same commands again: both queued, nothing lost. */
static void
test_group_fail_then_retry(void **state)
{
	struct ctx *c = *state;
	struct command cmds[2];
	int64_t b = create(c);

	update(c, b, WEBHOOK_OP_DISABLE);
	exec_ok(c, "DELETE FROM webhook_outbox");
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
	assert_int_equal(count(c, b), 2);
	assert_int_equal(db_int(c->admin, "SELECT seq FROM webhook_fanout"),
	    db_int(c->admin, "SELECT max(seq) FROM journal"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cli_entry_then_reenable,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_cli_entry_results_group_then_reenable, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_idle_group_rollback_enable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_create_one_group,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_restart_and_cli_then_disable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli_entry_second_endpoint,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_fail_then_retry,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
