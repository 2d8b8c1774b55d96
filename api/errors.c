/*
 * errors.c: the one table that maps a treasury_err to an HTTP status, and
 * the helpers that answer an error or run a writer command.
 *
 * 400: the request itself is malformed (syntax of a field).
 * 422: well-formed, but the value does not fit what exists (unknown asset
 *      or signer, threshold out of range, a signature that does not verify).
 * 404: the treasury or proposal named in the path does not exist.
 * 409: the request conflicts with the current state.
 * 503: overloaded or shutting down (retry); 500: our fault, logged.
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

#define E(name) TREASURY_ERR_##name

static const unsigned short err_status[TREASURY_ERR_COUNT_] = {
	[E(OK)] = 200,
	/* 400: field syntax */
	[E(TOO_LARGE)] = 400,
	[E(HEX_CHAR)] = 400,
	[E(HEX_LENGTH)] = 400,
	[E(AMOUNT_EMPTY)] = 400,
	[E(AMOUNT_SIGN)] = 400,
	[E(AMOUNT_EXPONENT)] = 400,
	[E(AMOUNT_SPACE)] = 400,
	[E(AMOUNT_LEADING_ZERO)] = 400,
	[E(AMOUNT_SYNTAX)] = 400,
	[E(AMOUNT_TOO_LONG)] = 400,
	[E(DECIMALS)] = 400,
	[E(TREASURY_ID)] = 400,
	[E(SIGNER_NAME)] = 400,
	[E(ASSET_CODE)] = 400,
	[E(DESTINATION)] = 400,
	[E(MEMO_TOO_LONG)] = 400,
	[E(MEMO_UTF8)] = 400,
	[E(MEMO_CHAR)] = 400,
	[E(TIMESTAMP)] = 400,
	[E(KIND)] = 400,
	[E(KEY_TYPE)] = 400,
	[E(PUBKEY)] = 400,
	[E(SIG_ENCODING)] = 400,
	[E(ROLE)] = 400,
	[E(TOKEN_NAME)] = 400,
	[E(REFERENCE)] = 400,
	[E(CHAIN)] = 400,
	[E(TREASURY_NAME)] = 400,
	[E(IDEMPOTENCY_KEY)] = 400,
	/* 422: well-formed but not acceptable here */
	[E(AMOUNT_FRACTION_DIGITS)] = 422,
	[E(AMOUNT_OVERFLOW)] = 422,
	[E(AMOUNT_ZERO)] = 422,
	[E(EXPIRY_TOO_SOON)] = 422,
	[E(EXPIRY_TOO_LATE)] = 422,
	[E(THRESHOLD)] = 422,
	[E(DUPLICATE_SIGNER)] = 422,
	[E(DUPLICATE_KEY)] = 422,
	[E(UNKNOWN_ASSET)] = 422,
	[E(UNKNOWN_SIGNER)] = 422,
	[E(SIG_HIGH_S)] = 422,
	[E(SIG_INVALID)] = 422,
	[E(CONFIG_CHANGE)] = 422,
	[E(IDEMPOTENCY_MISMATCH)] = 422,
	/* policies (docs/policies.md §12.3) */
	[E(POLICY_TIMELOCK)] = 422,
	[E(POLICY_VETO_COUNT)] = 422,
	[E(POLICY_CONFIG_THRESHOLD)] = 422,
	[E(POLICY_HIGH_THRESHOLD)] = 422,
	[E(POLICY_LIMIT)] = 422,
	[E(POLICY_RESERVE)] = 422,
	[E(POLICY_LABEL)] = 422,
	[E(POLICY_ALLOWLIST)] = 422,
	[E(POLICY_ORDER)] = 422,
	[E(POLICY_DECIMALS)] = 422,
	[E(NOT_ALLOWLISTED)] = 422,	/* 409 at execute: see reply_verr */
	/* 403 */
	[E(NOT_PROPOSER)] = 403,
	/* 404 */
	[E(NOT_FOUND)] = 404,
	[E(UNKNOWN_TREASURY)] = 404,
	[E(UNKNOWN_PROPOSAL)] = 404,
	[E(UNKNOWN_TOKEN)] = 404,
	/* 409: state */
	[E(CONFLICT)] = 409,
	[E(ASSET_EXISTS)] = 409,
	[E(TREASURY_EXISTS)] = 409,
	[E(REFERENCE_CONFLICT)] = 409,
	[E(BALANCE_OVERFLOW)] = 409,
	[E(INSUFFICIENT_BALANCE)] = 409,
	[E(VOTE_CONFLICT)] = 409,
	[E(NOT_PENDING)] = 409,
	[E(NOT_APPROVED)] = 409,
	[E(ALREADY_EXECUTED)] = 409,
	[E(EXPIRED)] = 409,
	[E(STALE)] = 409,
	[E(NOT_EXECUTED)] = 409,
	[E(SETTLEMENT_CONFLICT)] = 409,
	[E(LIMIT_EXCEEDED)] = 409,
	[E(RESERVE)] = 409,
	[E(TIMELOCKED)] = 409,
	[E(VETOED)] = 409,
	[E(VETO_CLOSED)] = 409,
	[E(FROZEN)] = 409,
	[E(NOT_FROZEN)] = 409,
	[E(FREEZE_SEQUENCE)] = 409,
	[E(NO_APPROVAL)] = 409,
	[E(APPROVAL_REVOKED)] = 409,
	[E(KEY_PROOF)] = 409,
	/* 503: come back later */
	[E(NOMEM)] = 503,
	[E(BUSY)] = 503,
	[E(SHUTTING_DOWN)] = 503,
	/* everything else (INTERNAL, DB*, IO, CONFIG, CANONICAL) is 500 */
};

#undef E

unsigned
api_err_status(treasury_err err)
{
	if ((unsigned)err >= TREASURY_ERR_COUNT_ || err_status[err] == 0)
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
