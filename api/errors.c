/*
 * errors.c: the HTTP status of a treasury_err (the status column of the
 * one error table, include/treasury/error.h), and the helpers that answer
 * an error or run a writer command.
 *
 * Problem types are urn:treasuryd:problem:<treasury_err_name(err)>.
 *
 * Commands go to the writer either blocking the MHD thread (command_run,
 * for rare admin commands) or, for the hot ones, with the connection
 * suspended (command_start) so that one MHD thread keeps many commands in
 * one group commit; the writer's completion resumes the connection and
 * command_finish answers it on its MHD thread.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "treasury/clock.h"
#include "treasury/log.h"

#include "internal.h"

/* The status column of the error table (treasury/error.h). */
static const unsigned short err_status[TREASURY_ERR_COUNT_] = {
#define TREASURY_ERR_STATUS(name, slug, text, status) \
	[TREASURY_ERR_##name] = status,
	TREASURY_ERRORS(TREASURY_ERR_STATUS)
#undef TREASURY_ERR_STATUS
};

unsigned
api_err_status(treasury_err err)
{
	if ((unsigned)err >= TREASURY_ERR_COUNT_)
		return 500;
	return err_status[err];
}

static void
reply_verr(struct reply *rp, treasury_err err, const char *detail_fmt,
    va_list ap)
{
	char detail[PROBLEM_DETAIL_MAX_BYTES];
	unsigned status = api_err_status(err);

	vsnprintf(detail, sizeof(detail), detail_fmt, ap);
	if (status == 500) {
		log_msg(LOG_ERR, "%s: %s", treasury_err_text(err), detail);
		reply_error(rp, status, err, "the server failed (%s); the "
		    "request was not applied", treasury_err_name(err));
		return;
	}
	if (err == TREASURY_ERR_BUSY || err == TREASURY_ERR_SHUTTING_DOWN ||
	    err == TREASURY_ERR_NOMEM)
		rp->retry_after_s = RETRY_AFTER_BUSY_S;
	reply_error(rp, status, err, "%s", detail);
}

void
reply_err(struct reply *rp, treasury_err err, const char *detail_fmt, ...)
{
	va_list ap;

	va_start(ap, detail_fmt);
	reply_verr(rp, err, detail_fmt, ap);
	va_end(ap);
}

static atomic_uint waiting_count;

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
command_run(struct request *rq, struct reply *rp, struct command *cmd)
{
	treasury_err err;

	request_snapshot_end(rq);	/* the answer must see the commit */
	if (cmd->now_s == 0)
		cmd->now_s = clock_now_s();
	if (rq->idem.present)
		cmd->idem = rq->idem;
	err = writer_submit(rq->srv->opts.writer, cmd);
	rq->idem_replayed = cmd->idem.replayed_out;
	if (err == TREASURY_OK)
		return true;
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
	if (rq->idem.present)
		cmd->idem = rq->idem;
	rq->cmd = cmd;
	rq->job = job;
	rq->cmd_answer = answer;
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
	if (cmd->err == TREASURY_OK)
		rq->cmd_answer(rq, rp);
	else
		reply_err(rp, cmd->err, "%s", cmd->detail[0] != '\0' ?
		    cmd->detail : treasury_err_text(cmd->err));
	free(rq->job);
	rq->job = NULL;
	rq->cmd = NULL;
}
