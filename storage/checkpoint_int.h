/*
 * checkpoint_int.h: the writer's side of the journal's signed checkpoints
 * (storage/checkpoint.c; the rules in treasury/audit.h and docs/audit.md).
 */
#ifndef TREASURY_CHECKPOINT_INT_H
#define TREASURY_CHECKPOINT_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "treasury/audit.h"

#include "store_int.h"

/* The policy and the statements the writer thread prepares on its own
 * connection at first use (the journal tables exist only from schema 8). */
struct checkpointer;

/* A checkpointer for policy p (copied; p->sk is kept as a pointer).
 * Returns NULL when out of memory. */
struct checkpointer *checkpointer_new(const struct checkpoint_policy *p);

/* Finalize its statements (before the store is closed) and free it.
 * NULL is accepted. */
void checkpointer_free(struct checkpointer *cp);

/* Why checkpoint_group_end is called. */
enum checkpoint_when {
	CHECKPOINT_GROUP,	/* any group: every_entries */
	CHECKPOINT_MAINTENANCE,	/* a group with the maintenance command:
				 * also interval_s */
	CHECKPOINT_FINAL,	/* the writer stops: any entry not covered */
};

/*
 * In a writer transaction, before COMMIT: sign a checkpoint of the
 * journal's last entry when
 *   - every_entries entries or more were appended since the last
 *     checkpoint (or since the start of the journal), or
 *   - when is CHECKPOINT_MAINTENANCE and the oldest entry not covered by a
 *     checkpoint is interval_s or more older than now_s, or
 *   - when is CHECKPOINT_FINAL and any entry is not covered.
 * The checkpoint's time is now_s. *signed_seq is its seq, 0 when none
 * was due. Returns TREASURY_OK, _DB_CORRUPT or the database error.
 */
TREASURY_WARN_UNUSED treasury_err
checkpoint_group_end(struct store *s, struct checkpointer *cp, int64_t now_s,
    enum checkpoint_when when, int64_t *signed_seq);

#endif
