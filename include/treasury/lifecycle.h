/*
 * lifecycle.h: the life cycle of a proposal: its statuses.
 *
 * Pure functions over plain values (no I/O, no clock).
 */
#ifndef TREASURY_LIFECYCLE_H
#define TREASURY_LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>

#include "treasury/error.h"

enum proposal_status {
	STATUS_PENDING = 1,
	STATUS_APPROVED,
	STATUS_EXECUTED,
	STATUS_REJECTED,
	STATUS_EXPIRED,
	STATUS_STALE,
	STATUS_CANCELLED,
	STATUS_VETOED,		/* final: vetoes reached the veto count */
};

/* "pending", "approved", ... */
const char *proposal_status_name(enum proposal_status st);
/* Returns TREASURY_OK or TREASURY_ERR_CANONICAL for an unknown name. */
TREASURY_WARN_UNUSED treasury_err
proposal_status_parse(const char *s, size_t len, enum proposal_status *out);

/* The status at now_s of a proposal stored with status `stored` that
 * expires at expires_s: a pending or approved one at or past its expiry
 * (now_s >= expires_s) is expired; any other status is what is stored. */
enum proposal_status proposal_status_at(enum proposal_status stored,
    int64_t expires_s, int64_t now_s);

#endif
