/*
 * errors.c: the HTTP status of a treasury_err (the status column of the
 * one error table, include/treasury/error.h), and the helper that answers
 * an error with it.
 *
 * Problem types are urn:treasuryd:problem:<treasury_err_name(err)>.
 */
#include <stdarg.h>
#include <stdio.h>

#include "treasury/log.h"

#include "internal.h"

/* The status column of the error table (treasury/error.h). */
static const unsigned short err_status[TREASURY_ERR_COUNT_] = {
#define TREASURY_ERR_STATUS(name, slug, text, status) \
	[TREASURY_ERR_##name] = status,
	TREASURY_ERRORS(TREASURY_ERR_STATUS)
#undef TREASURY_ERR_STATUS
};

/* 500 lines, one limit per code. */
static struct log_limit err_log_limit[TREASURY_ERR_COUNT_];

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
		log_limited(&err_log_limit[(unsigned)err < TREASURY_ERR_COUNT_ ?
		    err : TREASURY_ERR_INTERNAL], ERR_LOG_INTERVAL_MS, LOG_ERR,
		    "%s: %s", treasury_err_text(err), detail);
		reply_error(rp, status, err, "the server failed (%s); the "
		    "request was not applied", treasury_err_name(err));
		return;
	}
	if (err == TREASURY_ERR_BUSY || err == TREASURY_ERR_SHUTTING_DOWN ||
	    err == TREASURY_ERR_NOMEM)
		rp->retry_after_s = RETRY_AFTER_BUSY_S;
	else if (err == TREASURY_ERR_STORAGE_UNAVAILABLE ||
	    err == TREASURY_ERR_JOURNAL_KEY)
		rp->retry_after_s = RETRY_AFTER_STORAGE_S;
	else if (err == TREASURY_ERR_DATABASE_UNREACHABLE) {
		/* PostgreSQL: the operator should know, once in a while */
		log_limited(&err_log_limit[err], ERR_LOG_INTERVAL_MS, LOG_ERR,
		    "%s: %s", treasury_err_text(err), detail);
		rp->retry_after_s = RETRY_AFTER_STORAGE_S;
	}
	else if (err == TREASURY_ERR_STORAGE_FULL)
		rp->retry_after_s = RETRY_AFTER_STORAGE_FULL_S;
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
