/*
 * lifecycle.c: the life cycle of a proposal (include/treasury/lifecycle.h).
 */
#include <string.h>

#include "treasury/lifecycle.h"

static const char *const status_names[] = {
	[STATUS_PENDING] = "pending",
	[STATUS_APPROVED] = "approved",
	[STATUS_EXECUTED] = "executed",
	[STATUS_REJECTED] = "rejected",
	[STATUS_EXPIRED] = "expired",
	[STATUS_STALE] = "stale",
	[STATUS_CANCELLED] = "cancelled",
	[STATUS_VETOED] = "vetoed",
};

#define STATUS_LAST STATUS_VETOED

const char *
proposal_status_name(enum proposal_status st)
{
	if (st < STATUS_PENDING || st > STATUS_LAST)
		return "unknown";
	return status_names[st];
}

treasury_err
proposal_status_parse(const char *s, size_t len, enum proposal_status *out)
{
	int i;

	for (i = STATUS_PENDING; i <= STATUS_LAST; i++) {
		if (strlen(status_names[i]) == len &&
		    memcmp(status_names[i], s, len) == 0) {
			*out = (enum proposal_status)i;
			return TREASURY_OK;
		}
	}
	return TREASURY_ERR_CANONICAL;
}

enum proposal_status
proposal_status_at(enum proposal_status stored, int64_t expires_s,
    int64_t now_s)
{
	if ((stored == STATUS_PENDING || stored == STATUS_APPROVED) &&
	    now_s >= expires_s)
		return STATUS_EXPIRED;
	return stored;
}
