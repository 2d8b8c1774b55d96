/*
 * writer.c: the one writer thread (every write to the database is a
 * command applied by it, one at a time, in order) and its group commit.
 *
 * Request threads queue commands with writer_submit_async (a completion
 * callback) or writer_submit (which blocks on its own semaphore until that
 * callback runs). The writer
 * takes up to WRITER_GROUP_MAX_COMMANDS at a time and applies them in one
 * BEGIN IMMEDIATE transaction, each inside its own savepoint so that a
 * refused command leaves nothing behind while its neighbours go on. One
 * COMMIT (synchronous=FULL: one fsync) makes the whole group durable, and
 * only then is any of its commands completed: each command's callback is
 * called once, by the writer thread, without w->mu held, so every
 * submitter is woken on its own and none for another's group. If BEGIN or COMMIT fails,
 * or SQLite abandons the transaction, the group is rolled back and every
 * command in it reports TREASURY_ERR_DB, or TREASURY_ERR_STORAGE_FULL when
 * the file system is full (store_db_full). Such failures last while their
 * cause does and every group meets them: they are logged at most once
 * every WRITER_FAIL_LOG_INTERVAL_MS (log_limited), and the first group
 * committed after a full disk is logged at LOG_NOTICE.
 *
 * Liveness (for the daemon's watchdog): progress_ms is the monotonic time
 * of the writer's last step (a group taken or finished, or work arriving
 * at an idle writer); writer_stalled_ms reports how long work has waited
 * since then, without waiting for the writer itself.
 *
 * Idempotency keys are checked and recorded around each command inside
 * its savepoint (platform.c: idem_begin, idem_end). After each successful
 * COMMIT the commit hook (writer_commit_hook_set) is called, so that SSE
 * streams wake up for the events the group journalled. Counters for
 * /v1/metrics are atomics, written by the writer thread only.
 *
 * Time (clock.h): no command is applied with a time before the high-water
 * mark of its database. Each command's now_s is brought up to the mark
 * before it is applied, and when the group's latest now_s is beyond the
 * mark, the mark row is raised in the group's own transaction, before
 * COMMIT, so a time is never durable without the mark that covers it.
 * The writer loads the stored mark at start (writer_start), keeps its
 * own copy (mark_s: the database's, whatever else the process opened)
 * and raises the request clock's (clock_mark_raise) with it, so that
 * reads are never evaluated before it either. On PostgreSQL other
 * daemons raise the mark too: it is read again at the start of every
 * group, under the write lock.
 *
 * Several daemons (PostgreSQL): each group that journalled something
 * also NOTIFYs the journal's channel before COMMIT (store_journal_notify),
 * which wakes the event streams of the other daemons on the database
 * (treasury/listener.h).
 *
 * Checkpoints (treasury/audit.h, checkpoint.c): with a key given by
 * writer_checkpoints_set, each group signs a checkpoint of the journal,
 * when one is due, in its own transaction before COMMIT; and the writer
 * signs what is left uncovered when it stops.
 *
 * Locking: w->mu guards the queue, its length, `stopping`, `busy`,
 * `progress_ms` and the commit hook. A command taken off the queue belongs to the writer
 * thread alone until its callback is called; after that the writer never
 * touches it again (the callback may free it).
 */
#define _GNU_SOURCE		/* pthread_setname_np */
#include <assert.h>
#include <errno.h>
#include <stdatomic.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "treasury/clock.h"
#include "treasury/log.h"
#include "treasury/webhook_store.h"

#include "budget_int.h"
#include "checkpoint_int.h"
#include "engine_int.h"
#include "price_int.h"

enum { WRITER_FAIL_LOG_INTERVAL_MS = 10000 };

/* What a client is told of a full disk (the log has SQLite's words). */
static const char writer_full_detail[] = "the server's disk is full; "
    "nothing of this request was applied";

/* A command that meets a full disk on its own (the group goes on). */
static struct log_limit cmd_full_log;

struct writer {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t wake;		/* to the writer: work or stop */
	struct command *head;		/* FIFO of queued commands */
	struct command *tail;
	unsigned queued;
	bool stopping;
	bool busy;			/* a group is being applied */
	uint64_t progress_ms;		/* see "Liveness" above */
	struct store *store;		/* read-write, writer thread only */
	int64_t mark_s;			/* clock_mark.high_s; writer only */
	const treasury_verifier *verifier;
	struct checkpointer *ckpt;	/* NULL: no checkpoints; see
					 * writer_checkpoints_set */
	void (*hook_fn)(void *);	/* after each COMMIT */
	void *hook_arg;
	bool full;			/* the last group met a full disk */
	struct log_limit fail_log;	/* group_fail's lines */
	struct log_limit rollback_log;
	/* metrics (writer_stats_get) */
	atomic_uint_least64_t groups;
	atomic_uint_least64_t committed;	/* writer_commits */
	atomic_uint_least64_t token_commits;	/* writer_token_commits */
	atomic_uint_least64_t commands;
	atomic_uint_least64_t group_size[WRITER_GROUP_BUCKETS + 1];
	atomic_uint_least64_t commit_time[WRITER_COMMIT_BUCKETS + 1];
	atomic_uint_least64_t commit_us_sum;
	atomic_uint queued_now;
	atomic_uint_least64_t expired;
	atomic_uint_least64_t expiry_batches;
	atomic_uint expiry_batch_max;
};

const uint64_t writer_commit_bucket_us[WRITER_COMMIT_BUCKETS] = {
	500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 1000000,
};

void
cmd_detail(struct command *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd->detail, sizeof(cmd->detail), fmt, ap);
	va_end(ap);
}

enum apply_outcome
cmd_finish(struct store *s, struct command *cmd, treasury_err err)
{
	if (err == TREASURY_ERR_DB && store_db_full(s->db))
		err = TREASURY_ERR_STORAGE_FULL;
	cmd->err = err;
	if (err == TREASURY_OK)
		return APPLY_KEEP;
	if (err == TREASURY_ERR_STORAGE_FULL) {
		log_limited(&cmd_full_log, WRITER_FAIL_LOG_INTERVAL_MS, LOG_ERR,
		    "writer: a command was refused (disk full): %s",
		    db_errmsg(s->db));
		cmd_detail(cmd, "%s", writer_full_detail);
	} else if (cmd->detail[0] == '\0' && (err == TREASURY_ERR_DB ||
	    err == TREASURY_ERR_DB_CORRUPT || err == TREASURY_ERR_NOMEM))
		cmd_detail(cmd, "%s: %s", treasury_err_text(err),
		    db_errmsg(s->db));
	return APPLY_UNDO;
}

static void
command_results_clear(struct command *cmd)
{
	cmd->err = TREASURY_OK;
	cmd->detail[0] = '\0';
	cmd->replayed = false;
	memset(&cmd->out, 0, sizeof(cmd->out));
	cmd->idem.replayed_out = false;
}

enum proposal_status *
cmd_status(struct command *cmd)
{
	switch (cmd->type) {
	case CMD_PROPOSAL_CREATE:
		return &cmd->out.proposal_create.status;
	case CMD_VOTE:
		return &cmd->out.vote.status;
	case CMD_CANCEL:
		return &cmd->out.cancel.status;
	case CMD_EXECUTE:
		return &cmd->out.execute.status;
	case CMD_SETTLEMENT:
		return &cmd->out.settlement.status;
	case CMD_VETO:
		return &cmd->out.veto.status;
	case CMD_REVOKE:
		return &cmd->out.revoke.status;
	case CMD_KEY_PROOF:
		return &cmd->out.key_proof.status;
	default:
		return NULL;
	}
}

static enum apply_outcome
command_apply(struct writer *w, struct command *cmd)
{
	struct store *s = w->store;

	switch (cmd->type) {
	case CMD_ASSET_CREATE:
		return apply_asset_create(s, cmd);
	case CMD_TREASURY_CREATE:
		return apply_treasury_create(s, cmd);
	case CMD_DEPOSIT:
		return apply_deposit(s, cmd);
	case CMD_PROPOSAL_CREATE:
		return apply_proposal_create(s, cmd);
	case CMD_VOTE:
		return apply_vote(s, cmd);
	case CMD_CANCEL:
		return apply_cancel(s, cmd);
	case CMD_EXECUTE:
		return apply_execute(s, w->verifier, cmd);
	case CMD_SETTLEMENT:
		return apply_settlement(s, cmd);
	case CMD_TOKEN_CREATE:
		return apply_token_create(s, cmd);
	case CMD_TOKEN_REVOKE:
		return apply_token_revoke(s, cmd);
	case CMD_MAINTENANCE:
		return apply_maintenance(s, cmd);
	case CMD_VETO:
		return apply_veto(s, cmd);
	case CMD_REVOKE:
		return apply_revoke(s, cmd);
	case CMD_FREEZE:
		return apply_freeze(s, cmd);
	case CMD_KEY_PROOF:
		return apply_key_proof(s, cmd);
	case CMD_WEBHOOK_CREATE:
		return apply_webhook_create(s, cmd);
	case CMD_WEBHOOK_UPDATE:
		return apply_webhook_update(s, cmd);
	case CMD_WEBHOOK_RESULTS:
		return apply_webhook_results(s, cmd);
	case CMD_CATEGORY_CREATE:
		return apply_category_create(s, cmd);
	case CMD_CATEGORY_SET:
		return apply_category_set(s, cmd);
	case CMD_BUDGET_SET:
		return apply_budget_set(s, cmd);
	case CMD_BUDGET_DELETE:
		return apply_budget_delete(s, cmd);
	case CMD_PRICE_SET:
		return apply_price_set(s, cmd);
	}
	cmd_detail(cmd, "unknown command type %d", (int)cmd->type);
	return cmd_finish(s, cmd, TREASURY_ERR_INTERNAL);
}

/* The command, unless its Idempotency-Key says it was applied already;
 * with its idempotency record when it succeeds. */
static enum apply_outcome
command_apply_once(struct writer *w, struct command *cmd)
{
	struct store *s = w->store;
	enum apply_outcome outcome;
	bool handled;
	treasury_err err;

	err = idem_begin(s, cmd, &handled);
	if (err != TREASURY_OK || handled) {
		(void)cmd_finish(s, cmd, err);
		return APPLY_UNDO;	/* a replay wrote nothing either */
	}
	outcome = command_apply(w, cmd);
	if (outcome != APPLY_KEEP || cmd->err != TREASURY_OK)
		return outcome;
	err = idem_end(s, cmd);
	if (err != TREASURY_OK) {
		cmd_detail(cmd, "recording the Idempotency-Key: %s",
		    db_errmsg(s->db));
		return cmd_finish(s, cmd, err);
	}
	return APPLY_KEEP;
}

/* One command in its savepoint. Returns TREASURY_OK unless the
 * transaction itself is lost (then the whole group fails). */
static treasury_err
command_apply_in_savepoint(struct writer *w, struct command *cmd)
{
	struct store *s = w->store;
	enum apply_outcome outcome;
	treasury_err err;

	command_results_clear(cmd);
	err = store_stmt_run(s, STMT_SAVEPOINT);
	if (err != TREASURY_OK)
		return err;
	outcome = command_apply_once(w, cmd);
	if (db_get_autocommit(s->db))	/* SQLite rolled it all back */
		return cmd->err == TREASURY_ERR_STORAGE_FULL ?
		    TREASURY_ERR_STORAGE_FULL : TREASURY_ERR_DB;
	if (outcome == APPLY_UNDO) {
		err = store_stmt_run(s, STMT_ROLLBACK_TO);
		if (err != TREASURY_OK)
			return err;
	}
	return store_stmt_run(s, STMT_RELEASE);
}

/* Nothing of the group is applied: every command says so. */
static void
group_fail(struct writer *w, struct command *group, unsigned n,
    const char *stage, treasury_err err)
{
	struct store *s = w->store;
	char why[ERR_DETAIL_BYTES];
	struct command *c;

	if (err != TREASURY_ERR_STORAGE_FULL && store_db_full(s->db))
		err = TREASURY_ERR_STORAGE_FULL;
	/* storage-unavailable: the commit guard found the file gone;
	 * database-unreachable: PostgreSQL's server is; journal-key:
	 * another daemon's key signed the last checkpoint (503, all) */
	if (err != TREASURY_ERR_STORAGE_FULL &&
	    err != TREASURY_ERR_STORAGE_UNAVAILABLE &&
	    err != TREASURY_ERR_DATABASE_UNREACHABLE &&
	    err != TREASURY_ERR_JOURNAL_KEY)
		err = TREASURY_ERR_DB;
	snprintf(why, sizeof(why), "%s failed%s: %s", stage,
	    err == TREASURY_ERR_STORAGE_FULL ? " (disk full)" : "",
	    db_errmsg(s->db));
	if (!db_get_autocommit(s->db) &&
	    store_stmt_run(s, STMT_ROLLBACK) != TREASURY_OK)
		log_limited(&w->rollback_log, WRITER_FAIL_LOG_INTERVAL_MS,
		    LOG_ERR, "writer: ROLLBACK failed: %s", db_errmsg(s->db));
	log_limited(&w->fail_log, WRITER_FAIL_LOG_INTERVAL_MS, LOG_ERR,
	    "writer: group of %u commands not committed (%s): %s%s", n,
	    treasury_err_name(err), why, err == TREASURY_ERR_STORAGE_FULL ?
	    "; every write is refused (503 storage-full) until space is freed" :
	    "");
	w->full = err == TREASURY_ERR_STORAGE_FULL;
	for (c = group; c != NULL; c = c->next_) {
		command_results_clear(c);
		c->err = err;
		snprintf(c->detail, sizeof(c->detail), "%s",
		    err == TREASURY_ERR_STORAGE_FULL ? writer_full_detail : why);
	}
}

/* The database file is no longer the one opened (store_file_check): the
 * group is refused before BEGIN, nothing is written or acknowledged. */
static void
group_refuse(struct command *group, treasury_err err)
{
	struct command *c;

	for (c = group; c != NULL; c = c->next_) {
		command_results_clear(c);
		c->err = err;
		snprintf(c->detail, sizeof(c->detail), "the database file was "
		    "deleted or replaced; the request was not applied (the "
		    "daemon's log says more)");
	}
}

static void
commit_time_count(struct writer *w, uint64_t us)
{
	size_t i = 0;

	while (i < WRITER_COMMIT_BUCKETS && us > writer_commit_bucket_us[i])
		i++;
	atomic_fetch_add(&w->commit_time[i], 1);
	atomic_fetch_add(&w->commit_us_sum, us);
}

static void
group_size_count(struct writer *w, unsigned n)
{
	size_t i = 0;

	while (i < WRITER_GROUP_BUCKETS && n > (1u << i))
		i++;
	atomic_fetch_add(&w->group_size[i], 1);
	atomic_fetch_add(&w->groups, 1);
	atomic_fetch_add(&w->commands, n);
}

/* The stored high-water mark of time (schema 7). */
static treasury_err
mark_load(struct store *s, int64_t *out)
{
	struct db_stmt *st = s->stmt[STMT_CLOCK_MARK_GET];
	treasury_err err;
	int rc;

	rc = db_step(st);
	if (rc == DB_ROW)
		err = col_int(st, 0, INT64_MIN, INT64_MAX, out);
	else if (rc == DB_DONE)
		err = TREASURY_ERR_DB_CORRUPT;	/* the migration wrote it */
	else
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

/* In the group's transaction: raise the stored mark to now_s. */
static treasury_err
mark_store(struct writer *w, int64_t now_s)
{
	struct db_stmt *st = w->store->stmt[STMT_CLOCK_MARK_RAISE];

	if (now_s <= w->mark_s)
		return TREASURY_OK;
	db_bind_int64(st, 1, now_s);
	return store_stmt_run(w->store, STMT_CLOCK_MARK_RAISE);
}

/* After a COMMIT: what the group's expiry sweep did (metrics). */
static void
expiry_count(struct writer *w, const struct command *group)
{
	const struct command *c;
	unsigned n;

	for (c = group; c != NULL; c = c->next_) {
		if (c->type != CMD_MAINTENANCE || c->err != TREASURY_OK ||
		    c->out.maintenance.expired == 0)
			continue;
		n = c->out.maintenance.expired;
		atomic_fetch_add(&w->expired, n);
		atomic_fetch_add(&w->expiry_batches, 1);
		if (n > atomic_load(&w->expiry_batch_max))
			atomic_store(&w->expiry_batch_max, n);	/* writer only */
	}
}

/* In the group's transaction, after its commands: a signed checkpoint
 * of the journal when one is due (checkpoint_group_end); by time only in
 * a group that holds the maintenance command. */
static treasury_err
group_checkpoint(struct writer *w, const struct command *group,
    int64_t group_now_s)
{
	enum checkpoint_when when = CHECKPOINT_GROUP;
	const struct command *c;
	int64_t seq;

	if (w->ckpt == NULL)
		return TREASURY_OK;
	for (c = group; c != NULL; c = c->next_)
		if (c->type == CMD_MAINTENANCE)
			when = CHECKPOINT_MAINTENANCE;
	return checkpoint_group_end(w->store, w->ckpt, group_now_s, when,
	    &seq);
}

/* The writer stops, its queue drained: sign the entries no checkpoint
 * covers yet, in a transaction of its own (at the clock, never before
 * the mark). A failure is logged; the entries stay unsigned. */
static void
final_checkpoint(struct writer *w)
{
	int64_t now_s = clock_now_s(), seq = 0;
	char why[STORE_ERRMSG_BYTES];
	treasury_err err;

	if (w->ckpt == NULL || store_file_check(w->store, why) != TREASURY_OK)
		return;		/* a deleted or replaced file: logged once */
	err = store_stmt_run(w->store, STMT_BEGIN_IMMEDIATE);
	if (err == TREASURY_OK && w->store->postgresql)
		err = mark_load(w->store, &w->mark_s);	/* other daemons' */
	if (now_s < w->mark_s)
		now_s = w->mark_s;
	if (err == TREASURY_OK)
		err = checkpoint_group_end(w->store, w->ckpt, now_s,
		    CHECKPOINT_FINAL, &seq);
	if (err == TREASURY_OK && seq > 0)
		err = mark_store(w, now_s);	/* nothing after it earlier */
	if (err == TREASURY_OK)
		err = store_stmt_run(w->store, STMT_COMMIT);
	if (err != TREASURY_OK) {
		if (!db_get_autocommit(w->store->db) &&
		    store_stmt_run(w->store, STMT_ROLLBACK) != TREASURY_OK)
			log_msg(LOG_ERR, "writer: ROLLBACK failed: %s",
			    db_errmsg(w->store->db));
		log_msg(LOG_WARNING, "writer: the final journal checkpoint was "
		    "not written (%s: %s); the entries after the last one stay "
		    "unsigned until the next start", treasury_err_name(err),
		    db_errmsg(w->store->db));
	} else if (seq > 0) {
		log_debug("writer: final journal checkpoint at seq %lld",
		    (long long)seq);
	}
}

/* Around each COMMIT (writer_commits, writer_token_commits): called
 * once before, where it makes the counts odd, and once after, where it
 * makes them even; the token count only for a group that revoked or bound
 * a token. The first step is ordered before anything COMMIT makes
 * visible (a sequentially consistent add and fence), so a request thread
 * that could see the commit's data sees an odd or a later count, and
 * takes nothing it read for settled (api/cache.c). */
static void
commit_seq_step(struct writer *w)
{
	if (w->store->tokens_changed)
		atomic_fetch_add(&w->token_commits, 1);
	atomic_fetch_add(&w->committed, 1);
	atomic_thread_fence(memory_order_seq_cst);
}

/* Apply and commit one group. */
static void
group_run(struct writer *w, struct command *group, unsigned n)
{
	void (*hook)(void *);
	void *hook_arg;
	struct command *c;
	struct webhook_fanout fanout;
	int64_t group_now_s = INT64_MIN;
	treasury_err err;
	char why[STORE_ERRMSG_BYTES];
	uint64_t t0, appends0 = w->store->journal_appends;

	group_size_count(w, n);
	w->store->tokens_changed = false;
	err = store_file_check(w->store, why);	/* and again inside COMMIT */
	if (err != TREASURY_OK) {
		group_refuse(group, err);	/* why is logged once */
		return;
	}
	err = store_stmt_run(w->store, STMT_BEGIN_IMMEDIATE);
	if (err != TREASURY_OK) {
		group_fail(w, group, n, "BEGIN IMMEDIATE", err);
		return;
	}
	if (w->store->postgresql) {
		err = mark_load(w->store, &w->mark_s);
		if (err != TREASURY_OK) {
			group_fail(w, group, n, "reading the clock mark", err);
			return;
		}
		clock_mark_raise(w->mark_s);
	}
	err = webhook_fanout_begin(w->store, &fanout);
	if (err != TREASURY_OK) {
		group_fail(w, group, n, "the webhook fan-out", err);
		return;
	}
	for (c = group; c != NULL; c = c->next_) {
		if (c->now_s < w->mark_s)
			c->now_s = w->mark_s;
		if (c->now_s > group_now_s)
			group_now_s = c->now_s;
		err = command_apply_in_savepoint(w, c);
		if (err != TREASURY_OK) {
			group_fail(w, group, n, "a command's transaction", err);
			return;
		}
	}
	err = mark_store(w, group_now_s);
	if (err != TREASURY_OK) {
		group_fail(w, group, n, "raising the clock mark", err);
		return;
	}
	err = group_checkpoint(w, group, group_now_s);
	if (err != TREASURY_OK) {
		group_fail(w, group, n, "signing a journal checkpoint", err);
		return;
	}
	/* the group's journal entries into the webhook outbox, durable
	 * with them (storage/webhooks.c) */
	err = webhook_fanout_run(w->store, &fanout);
	if (err != TREASURY_OK) {
		group_fail(w, group, n, "the webhook fan-out", err);
		return;
	}
	if (w->store->journal_appends != appends0)
		err = store_journal_notify(w->store);
	if (err != TREASURY_OK) {
		group_fail(w, group, n, "NOTIFY", err);
		return;
	}
	/* Before COMMIT: no reader may see these times with an earlier now. */
	clock_mark_raise(group_now_s);
	t0 = clock_mono_us();
	commit_seq_step(w);		/* odd: a COMMIT runs */
	err = store_stmt_run(w->store, STMT_COMMIT);
	commit_seq_step(w);		/* even again, whatever it did */
	if (err != TREASURY_OK) {
		group_fail(w, group, n, "COMMIT", err);
		return;
	}
	commit_time_count(w, clock_mono_us() - t0);
	if (w->full) {
		w->full = false;
		log_msg(LOG_NOTICE, "writer: a group committed again: the disk "
		    "has room, writes are accepted");
	}
	if (group_now_s > w->mark_s)
		w->mark_s = group_now_s;
	expiry_count(w, group);
	pthread_mutex_lock(&w->mu);
	hook = w->hook_fn;
	hook_arg = w->hook_arg;
	pthread_mutex_unlock(&w->mu);
	if (hook != NULL)
		hook(hook_arg);
}

/* Take up to WRITER_GROUP_MAX_COMMANDS off the queue (w->mu held). */
static struct command *
queue_take(struct writer *w, unsigned *n)
{
	struct command *group = w->head;
	struct command *last = NULL;
	struct command *c = w->head;

	*n = 0;
	while (c != NULL && *n < WRITER_GROUP_MAX_COMMANDS) {
		last = c;
		c = c->next_;
		(*n)++;
	}
	assert(last != NULL);
	last->next_ = NULL;
	w->head = c;
	if (c == NULL)
		w->tail = NULL;
	assert(w->queued >= *n);
	w->queued -= *n;
	atomic_store(&w->queued_now, w->queued);
	return group;
}

/* Hand the group back (w->mu not held): a command belongs to its
 * submitter again once its callback is called, so read next_ first. */
static void
group_done(struct command *group)
{
	struct command *c, *next;

	for (c = group; c != NULL; c = next) {
		next = c->next_;
		c->next_ = NULL;
		c->done_fn_(c, c->done_arg_);
	}
}

static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	struct command *group;
	unsigned n;

	/* Named for top -H and bench/run.sh's per-thread CPU roles. */
	pthread_setname_np(pthread_self(), "td-writer");
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->head == NULL && !w->stopping)
			pthread_cond_wait(&w->wake, &w->mu);
		if (w->head == NULL)
			break;		/* stopping, queue drained */
		group = queue_take(w, &n);
		w->busy = true;
		w->progress_ms = clock_mono_ms();
		pthread_mutex_unlock(&w->mu);
		group_run(w, group, n);
		group_done(group);
		pthread_mutex_lock(&w->mu);
		w->busy = false;
		w->progress_ms = clock_mono_ms();
	}
	pthread_mutex_unlock(&w->mu);
	final_checkpoint(w);
	return NULL;
}

treasury_err
writer_start(const char *db_path, const treasury_verifier *v,
    struct writer **out, char errmsg[STORE_ERRMSG_BYTES])
{
	struct writer *w;
	treasury_err err;
	int rc;

	assert(db_path != NULL && v != NULL && out != NULL);
	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		store_errmsg_set(errmsg, "cannot start the writer: out of memory");
		return TREASURY_ERR_NOMEM;
	}
	w->verifier = v;
	err = store_open(db_path, STORE_READ_WRITE, &w->store, errmsg);
	if (err != TREASURY_OK)
		goto fail;
	err = mark_load(w->store, &w->mark_s);
	if (err != TREASURY_OK) {
		store_errmsg_set(errmsg, "cannot read the clock mark of %s: %s",
		    db_path, treasury_err_text(err));
		goto fail;
	}
	clock_mark_raise(w->mark_s);	/* clock_now_s warns if behind it */
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->wake, NULL);
	rc = pthread_create(&w->thread, NULL, writer_main, w);
	if (rc != 0) {
		store_errmsg_set(errmsg, "cannot start the writer thread: %s",
		    strerror(rc));
		err = TREASURY_ERR_INTERNAL;
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->mu);
		goto fail;
	}
	*out = w;
	return TREASURY_OK;
fail:
	store_close(w->store);
	free(w);
	return err;
}

void
writer_submit_async(struct writer *w, struct command *cmd,
    void (*done)(struct command *, void *), void *arg)
{
	assert(w != NULL && cmd != NULL && done != NULL);
	cmd->done_fn_ = done;
	cmd->done_arg_ = arg;
	pthread_mutex_lock(&w->mu);
	if (w->stopping || w->queued >= WRITER_QUEUE_MAX) {
		command_results_clear(cmd);
		cmd->err = w->stopping ? TREASURY_ERR_SHUTTING_DOWN :
		    TREASURY_ERR_BUSY;
		snprintf(cmd->detail, sizeof(cmd->detail), "%s",
		    w->stopping ? "the writer is stopping" :
		    "the writer queue is full");
		pthread_mutex_unlock(&w->mu);
		done(cmd, arg);		/* refused: at once, on this thread */
		return;
	}
	cmd->next_ = NULL;
	if (w->head == NULL && !w->busy)
		w->progress_ms = clock_mono_ms();	/* idle until now */
	if (w->tail != NULL)
		w->tail->next_ = cmd;
	else
		w->head = cmd;
	w->tail = cmd;
	w->queued++;
	atomic_store(&w->queued_now, w->queued);
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->mu);
}

static void
submit_wake(struct command *cmd, void *arg)
{
	(void)cmd;
	if (sem_post(arg) != 0)
		abort();	/* only EOVERFLOW or EINVAL: impossible here */
}

treasury_err
writer_submit(struct writer *w, struct command *cmd)
{
	sem_t done;

	assert(w != NULL && cmd != NULL);
	if (sem_init(&done, 0, 0) != 0)
		abort();
	writer_submit_async(w, cmd, submit_wake, &done);
	while (sem_wait(&done) != 0)
		assert(errno == EINTR);
	sem_destroy(&done);
	return cmd->err;
}

treasury_err
writer_checkpoints_set(struct writer *w, const struct checkpoint_policy *p)
{
	struct checkpointer *cp;

	assert(w != NULL && p != NULL);
	cp = checkpointer_new(p);
	if (cp == NULL)
		return TREASURY_ERR_NOMEM;
	pthread_mutex_lock(&w->mu);
	assert(w->ckpt == NULL && w->head == NULL && !w->busy);
	w->ckpt = cp;
	pthread_mutex_unlock(&w->mu);
	return TREASURY_OK;
}

void
writer_commit_hook_set(struct writer *w, void (*fn)(void *), void *arg)
{
	pthread_mutex_lock(&w->mu);
	w->hook_fn = fn;
	w->hook_arg = arg;
	pthread_mutex_unlock(&w->mu);
}

void
writer_stats_get(struct writer *w, struct writer_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->queued = atomic_load(&w->queued_now);
	out->groups = atomic_load(&w->groups);
	out->commands = atomic_load(&w->commands);
	for (size_t i = 0; i <= WRITER_GROUP_BUCKETS; i++)
		out->group_size_buckets[i] = atomic_load(&w->group_size[i]);
	for (size_t i = 0; i <= WRITER_COMMIT_BUCKETS; i++)
		out->commit_buckets[i] = atomic_load(&w->commit_time[i]);
	out->commit_us_sum = atomic_load(&w->commit_us_sum);
	out->expired = atomic_load(&w->expired);
	out->expiry_batches = atomic_load(&w->expiry_batches);
	out->expiry_batch_max = atomic_load(&w->expiry_batch_max);
}

uint64_t
writer_commits(struct writer *w)
{
	return atomic_load_explicit(&w->committed, memory_order_acquire);
}

uint64_t
writer_token_commits(struct writer *w)
{
	return atomic_load_explicit(&w->token_commits, memory_order_acquire);
}

uint64_t
writer_stalled_ms(struct writer *w)
{
	uint64_t now = clock_mono_ms(), stalled = 0;

	assert(w != NULL);
	pthread_mutex_lock(&w->mu);
	if ((w->busy || w->head != NULL) && now > w->progress_ms)
		stalled = now - w->progress_ms;
	pthread_mutex_unlock(&w->mu);
	return stalled;
}

void
writer_stop(struct writer *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stopping = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	assert(w->head == NULL && w->queued == 0);
	checkpointer_free(w->ckpt);	/* its statements, before the close */
	store_close(w->store);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
