/*
 * reply.c: building JSON answers and RFC 9457 problem answers. Every
 * problem's slug is a treasury_err's (include/treasury/error.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

void
reply_json(struct reply *rp, unsigned status, json_t *json)
{
	if (rp->json != NULL)
		json_decref(rp->json);
	rp->status = status;
	rp->json = json;
	rp->problem = false;
}

static void
reply_vproblem(struct reply *rp, unsigned status, const char *slug,
    const char *title, const char *detail_fmt, va_list ap)
{
	char type[128];
	char detail[PROBLEM_DETAIL_MAX_BYTES];

	snprintf(type, sizeof(type), "urn:treasuryd:problem:%s", slug);
	vsnprintf(detail, sizeof(detail), detail_fmt, ap);
	reply_json(rp, status, json_pack("{s:s, s:s, s:i, s:s}",
	    "type", type, "title", title, "status", (int)status,
	    "detail", detail));
	rp->problem = true;
}

void
reply_err_titled(struct reply *rp, treasury_err err, const char *title,
    const char *detail_fmt, ...)
{
	va_list ap;

	va_start(ap, detail_fmt);
	reply_vproblem(rp, api_err_status(err), treasury_err_name(err), title,
	    detail_fmt, ap);
	va_end(ap);
}

void
reply_error(struct reply *rp, unsigned status, treasury_err err,
    const char *detail_fmt, ...)
{
	va_list ap;

	va_start(ap, detail_fmt);
	reply_vproblem(rp, status, treasury_err_name(err),
	    treasury_err_text(err), detail_fmt, ap);
	va_end(ap);
}
