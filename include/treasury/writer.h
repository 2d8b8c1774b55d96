/*
 * writer.h: the one writer thread of the treasury engine. Writes are commands
 * (command.h): the api hands one to the writer with writer_submit_async (a
 * completion callback; the api suspends the HTTP connection meanwhile) or
 * writer_submit (blocking), and gets the result once the group of commands
 * it was committed with is durable (synchronous=FULL).
 *
 * Division of work (GUIDE §4): the api validates input and verifies vote
 * signatures in request threads; the writer re-checks only cheap state
 * (existence, status, expiry, balances, that the verified key is still the
 * signer's key) inside its transaction, so nothing is ever half-applied.
 *
 * Amounts are amount_minor (unsigned 128-bit); in SQLite they are stored as
 * decimal TEXT of minor units and all arithmetic is done in C.
 */
#ifndef TREASURY_WRITER_H
#define TREASURY_WRITER_H

#include <stdint.h>

#include "treasury/command.h"
#include "treasury/error.h"
#include "treasury/sig.h"
#include "treasury/storage.h"

enum {
	WRITER_QUEUE_MAX = 4096,		/* commands waiting, then BUSY */
	WRITER_GROUP_MAX_COMMANDS = 256,	/* commands per commit */
};

struct writer;

/* Open the database (read-write, must exist and be migrated already by a
 * store_open in STORE_READ_WRITE_CREATE mode) and start the writer thread.
 * Returns TREASURY_OK, or the store_open error with errmsg filled. */
TREASURY_WARN_UNUSED treasury_err
writer_start(const char *db_path, const treasury_verifier *v,
    struct writer **out, char errmsg[STORE_ERRMSG_BYTES]);

/* Queue cmd; done(cmd, arg) is called exactly once with the results:
 * by the writer thread after cmd's group is committed (or failed), or, for
 * a refusal (TREASURY_ERR_BUSY, _SHUTTING_DOWN below), on the calling
 * thread before writer_submit_async returns. Until then cmd belongs to the
 * writer: the caller must not touch or free it. done runs without any
 * writer lock held, must not block for long (it delays the next group)
 * and may free cmd. Thread-safe. */
void writer_submit_async(struct writer *w, struct command *cmd,
    void (*done)(struct command *, void *), void *arg);

/* writer_submit_async, then block until done ran (each caller waits on
 * its own semaphore: no caller is woken for another's group).
 * Thread-safe. Always returns cmd->err:
 *   TREASURY_OK, a domain error (cmd->detail says why, nothing changed),
 *   TREASURY_ERR_BUSY when WRITER_QUEUE_MAX commands are waiting,
 *   TREASURY_ERR_SHUTTING_DOWN after writer_stop began,
 *   TREASURY_ERR_STORAGE_UNAVAILABLE when the database file is no longer
 *     the one opened (deleted or replaced; nothing applied),
 *   TREASURY_ERR_STORAGE_FULL when the file system of the database is full
 *   (nothing of the command, or of its group, applied; logged at most once
 *   every 10 s),
 *   TREASURY_ERR_DB when the commit failed (nothing of the group applied). */
treasury_err writer_submit(struct writer *w, struct command *cmd);

/* Liveness, for the daemon's watchdog: how many milliseconds the writer
 * has had work (commands queued or a group being applied) without taking
 * or finishing a group; 0 when it is idle or keeping up. Thread-safe;
 * takes only the queue lock, never waits for a commit. */
uint64_t writer_stalled_ms(struct writer *w);

/* Sign journal checkpoints with policy p (treasury/audit.h; copied, p->sk
 * must outlive the writer) from the next group on. Call it once, after
 * writer_start and before the first command is submitted. Without it the
 * writer signs none. Returns TREASURY_OK or TREASURY_ERR_NOMEM. */
struct checkpoint_policy;
TREASURY_WARN_UNUSED treasury_err
writer_checkpoints_set(struct writer *w, const struct checkpoint_policy *p);

/* Call fn(arg) on the writer thread after every successful COMMIT (the
 * events table may have grown: api/events.c wakes its SSE streams). fn
 * must not block. Thread-safe; one hook, replaced by a later call. */
void writer_commit_hook_set(struct writer *w, void (*fn)(void *), void *arg);

/* A sequence count of this writer's COMMITs: odd while one runs, even
 * otherwise, two more after each (committed or not). Load it (acquire)
 * before opening a read transaction: what that reads may be kept as
 * settled only while the count is even and unchanged, since no COMMIT
 * ran or began since (api/cache.c). Thread-safe, lock-free. */
uint64_t writer_commits(struct writer *w);

/* The same count over the COMMITs of groups that revoked or bound a
 * token: tokens the request threads found stay valid while it is even
 * and unchanged, whatever else is written. */
uint64_t writer_token_commits(struct writer *w);

enum {
	WRITER_GROUP_BUCKETS = 9,	/* group sizes <= 1, 2, 4, ... 256 */
	WRITER_COMMIT_BUCKETS = 10,	/* see writer_commit_bucket_us */
};

/* Upper bounds (microseconds) of the COMMIT-time histogram buckets. */
extern const uint64_t writer_commit_bucket_us[WRITER_COMMIT_BUCKETS];

/* Counters for /v1/metrics, read without stopping the writer (each field
 * is read atomically; the set is not one snapshot). Buckets are not
 * cumulative here. */
struct writer_stats {
	unsigned queued;		/* commands waiting now */
	uint64_t groups;		/* groups committed or failed */
	uint64_t commands;
	uint64_t group_size_buckets[WRITER_GROUP_BUCKETS + 1]; /* +Inf */
	uint64_t commit_buckets[WRITER_COMMIT_BUCKETS + 1];	/* +Inf */
	uint64_t commit_us_sum;		/* time in COMMIT (fsync), total */
	/* the expiry sweep (CMD_MAINTENANCE), committed batches only */
	uint64_t expired;		/* proposals expired by it */
	uint64_t expiry_batches;	/* transactions that expired any */
	unsigned expiry_batch_max;	/* most expired by one, since start */
};

void writer_stats_get(struct writer *w, struct writer_stats *out);

/* Refuse new commands, commit what is queued, stop the thread, close. */
void writer_stop(struct writer *w);

#endif
