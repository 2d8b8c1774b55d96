/*
 * journal_int.h: appending to the journal (storage/journal.c), the one
 * place every state change of the engine is recorded.
 *
 * Every function in storage/ that changes state calls journal_append in
 * the same transaction (the writer's, or the caller's own for
 * `treasuryd token ...`), once per change, with the entry type and the
 * payload keys of docs/api.md "Journal entry types". The entry's hash
 * chains it to the entry before (include/treasury/journal.h). A reader
 * looking for who writes an entry type: grep journal_append and
 * proposal_status_journal (every proposal.<status> entry).
 */
#ifndef TREASURY_JOURNAL_INT_H
#define TREASURY_JOURNAL_INT_H

#include <stdint.h>

#include "treasury/journal.h"

#include "store_int.h"

/* Who and when: the fields of an entry that are not its subject. */
struct journal_who {
	int64_t time_s;			/* >= 0: the command's now_s */
	const char *actor_token;	/* NULL or "": none (the daemon's own) */
	const char *actor_signer;	/* NULL or "": none */
};

/*
 * Append one entry: seq = the last entry's seq + 1 (1 for the first; the
 * last one read by primary key), hash = journal_entry_hash(the last one's
 * hash or 32 zero bytes, the entry). treasury NULL or "": none. p is a
 * payload begun with journal_payload_begin whose outer object is still
 * open: it is finished here and freed, whatever happens. Must run inside
 * a write transaction. *seq_out (may be NULL) is the new entry's seq.
 * Returns TREASURY_OK, the payload's error (TOO_LARGE, NOMEM),
 * TREASURY_ERR_INVALID_FIELD (a field journal_entry_valid refuses),
 * _DB_CORRUPT (the last entry's hash is not 32 bytes) or a database error.
 */
TREASURY_WARN_UNUSED treasury_err
journal_append(struct store *s, const struct journal_who *who,
    const char *treasury, const char *type, struct journal_payload *p,
    int64_t *seq_out);

/* Schema 8 (schema.c): copy the rows of the old `events` table into the
 * journal in id order (seq = id, payload = data, no actor, the hash chain
 * computed here), then drop `events` and its five triggers. Inside the
 * migration's transaction. */
TREASURY_WARN_UNUSED treasury_err store_schema_8_after(struct db *db);

#endif
