/*
 * submit.c: how a request hands its command to the writer.
 *
 * Commands go to the writer either blocking the MHD thread
 * (command_submit_wait, for rare admin commands) or, for the hot ones, with
 * the connection suspended (command_start) so that one MHD thread keeps
 * many commands in one group commit; the writer's completion resumes the connection and
 * command_finish answers it on its MHD thread.
 *
 * Both stamp the command with the request's clock and its actor, the
 * authenticated token's name (command_actor_set): every journal entry
 * the command appends names it (every write route needs a token).
 */
#include <assert.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "treasury/clock.h"
#include "treasury/log.h"

#include "internal.h"

static atomic_uint waiting_count;

/* The token that authenticated rq acts: the journal's actor_token. */
static void
command_actor_set(const struct request *rq, struct command *cmd)
{
	_Static_assert(sizeof(cmd->actor_token) == sizeof(rq->token.name),
	    "actor_token holds a token name");
	memcpy(cmd->actor_token, rq->token.name, sizeof(cmd->actor_token));
	cmd->actor_token[sizeof(cmd->actor_token) - 1] = '\0';
}

bool
request_snapshot_begin(struct request *rq, struct reply *rp)
{
	treasury_err err;

	if (rq->snapshot)
		return true;
	if (rq->reader == NULL)
		rq->reader = reader_get(rq->srv);
	if (rq->reader == NULL) {
		reply_error(rp, 503, TREASURY_ERR_DB, "database unavailable");
		return false;
	}
	cache_gen_now(rq->srv, &rq->gen);	/* before: see cache.c */
	rq->gen_ms = clock_mono_ms();
	err = store_read_begin(rq->reader);
	if (err == TREASURY_ERR_DATABASE_UNREACHABLE) {
		reply_err(rp, err, "a read could not begin");
		/* logged (at most every 10 s), with Retry-After */
		return false;
	}
	if (err != TREASURY_OK) {
		log_msg(LOG_ERR, "read snapshot: %s", treasury_err_text(err));
		reply_error(rp, 503, err, "database unavailable");
		return false;
	}
	rq->snapshot = true;
	return true;
}

void
request_snapshot_end(struct request *rq)
{
	if (!rq->snapshot)
		return;
	store_read_end(rq->reader);
	rq->snapshot = false;
}

unsigned
commands_waiting(void)
{
	return atomic_load(&waiting_count);
}

bool
command_submit_wait(struct request *rq, struct reply *rp, struct command *cmd,
    command_answer_fn answer)
{
	treasury_err err;

	request_snapshot_end(rq);	/* the answer must see the commit */
	if (cmd->now_s == 0)
		cmd->now_s = clock_now_s();
	command_actor_set(rq, cmd);
	if (rq->idem.present) {
		cmd->idem = rq->idem;
		idempotency_render_set(rq, cmd, answer);
	}
	err = writer_submit(rq->srv->opts.writer, cmd);
	rq->idem_replayed = cmd->idem.replayed_out;
	if (err == TREASURY_OK) {
		if (!idempotency_rendered(rq, rp))
			answer(rq, rp, cmd);
		return true;
	}
	idempotency_render_drop(rq);
	reply_err(rp, err, "%s", cmd->detail[0] != '\0' ? cmd->detail :
	    treasury_err_text(err));
	return false;
}

/* The writer's completion (writer thread, or the submitting thread for a
 * refusal). After MHD_resume_connection the request may be answered and
 * freed at once by its MHD thread: touch nothing of it after that. The
 * count drops only then, so api_stop never sees a suspended connection. */
static void
command_resume(struct command *cmd, void *arg)
{
	struct request *rq = arg;

	(void)cmd;
	atomic_store(&rq->cmd_done, true);
	MHD_resume_connection(rq->conn);
	atomic_fetch_sub(&waiting_count, 1);
}

void
command_start(struct request *rq, struct command *cmd, void *job,
    void (*answer)(struct request *, struct reply *))
{
	assert(!rq->waiting && job != NULL);
	request_snapshot_end(rq);
	if (cmd->now_s == 0)
		cmd->now_s = clock_now_s();
	command_actor_set(rq, cmd);
	rq->cmd = cmd;
	rq->job = job;
	rq->cmd_answer = answer;
	if (rq->idem.present) {
		cmd->idem = rq->idem;
		idempotency_render_set(rq, cmd, NULL);
	}
	rq->waiting = true;
	atomic_store(&rq->cmd_done, false);
	atomic_fetch_add(&waiting_count, 1);
	/* suspend first: the completion may resume it before we return */
	MHD_suspend_connection(rq->conn);
	writer_submit_async(rq->srv->opts.writer, cmd, command_resume, rq);
}

void
command_finish(struct request *rq, struct reply *rp)
{
	struct command *cmd = rq->cmd;

	assert(rq->waiting && atomic_load(&rq->cmd_done));
	rq->waiting = false;
	rq->idem_replayed = cmd->idem.replayed_out;
	if (cmd->err == TREASURY_OK) {
		if (!idempotency_rendered(rq, rp))
			rq->cmd_answer(rq, rp);
	} else {
		idempotency_render_drop(rq);
		reply_err(rp, cmd->err, "%s", cmd->detail[0] != '\0' ?
		    cmd->detail : treasury_err_text(cmd->err));
	}
	free(rq->job);
	rq->job = NULL;
	rq->cmd = NULL;
}
