/*
 * check_int.h: the parts of `treasuryd check` (storage/check.c) that other
 * storage code may call on a connection it already holds, inside its own
 * read transaction (`treasuryd audit verify`, storage/audit.c, calls
 * store_check as a whole; these are for a caller that wants only the
 * journal's agreement with the tables).
 */
#ifndef TREASURY_CHECK_INT_H
#define TREASURY_CHECK_INT_H

#include "treasury/maintenance.h"

#include "store_int.h"

/* Called with each finding, already escaped (textsafe.h). */
typedef void (*check_finding_fn)(const char *text, void *ctx);

/* Escape text (at most CHECK_FINDING_MAX_BYTES of it) with
 * text_escape_append and hand it to finding: a finding quotes the
 * database's bytes, which must not drive the operator's terminal. */
enum { CHECK_FINDING_MAX_BYTES = 512 };
void check_finding_emit(check_finding_fn finding, void *ctx,
    const char *text);

/*
 * Whether the journal holds together and agrees with the engine's tables
 * (schema 8), on db in the caller's read transaction. First the hash
 * chain, each link against the stored hash of the entry before: seq 1,
 * 2, 3 ... without a gap, and hash = journal_entry_hash(previous stored
 * hash, entry bytes), so an edited entry is named, and a removed or
 * reordered one breaks the links around it (the first 20 broken links are
 * shown, the rest counted; checkpoint signatures need the daemon's public
 * key and are `treasuryd audit verify`'s). Payloads are read with the
 * engine's JSON functions (docs/api.md, "Journal entry types"); a payload
 * that is not a JSON object is a finding. Both ways, each:
 *   - vetoes row        <-> its veto.recorded entry (proposal, signer);
 *   - proposal status   <-> the status of its last proposal.* entry
 *                           (proposal.awaiting meaning pending), so a
 *                           vetoed, executed, ... proposal has its entries;
 *                           every entry naming a proposal names one that
 *                           exists;
 *   - settlement        <-> its proposal.settled entry's reference;
 *   - freezes row       <-> its treasury.frozen entry (treasury,
 *                           freeze_seq, signer), and a treasury's frozen
 *                           state and freeze number <-> its last
 *                           treasury.frozen / treasury.unfrozen entry;
 *   - deposit ledger row <-> its deposit entry (ledger_seq, treasury,
 *                           asset, amount_minor, reference, and source
 *                           and memo when the entry has them);
 *   - transfer ledger row <-> its item in its proposal.executed entry's
 *                           debits (ledger_seq, proposal, treasury, asset,
 *                           amount_minor, to);
 *   - key_proofs row    <-> its key.proved entry;
 *   - votes row         <-> its proposal.voted entry (decision), and a
 *                           revoked approval <-> its vote.revoked entry;
 *   - assets row        <-> its asset.created entry (chain, decimals);
 *   - config version    <-> its treasury.created / config.changed entry
 *                           (threshold, the signers rows in name order
 *                           with key type and key, the policies row's
 *                           digest, the treasury's name at creation; a
 *                           migrated entry says the threshold only);
 *   - tokens row        <-> its token.created entry, matched by the
 *                           stored hash (name, roles), revoked iff a
 *                           token.revoked entry names it after it, bound
 *                           as its last token.bound (else token.created)
 *                           says.
 * Rows made before the journal began (a database migrated from the events
 * table of schema 3..7, whose migrated entries are recognised by their
 * trigger-made payloads, which begin with {"treasury": and so are not in
 * canonical key order) are not required to have entries the events table
 * never recorded (vetoes, freezes, settlements, debits, revocations): the
 * rows dated before the first entry journal_append wrote (the request
 * clock never steps back, schema 7). Everything the migrated entries do
 * say is compared. A database made at schema 8 or later has no migrated
 * entry, and every row must have its entries.
 * finding is called once per disagreement; *findings and *entries (the
 * journal's entry count) are added to. On PostgreSQL the same checks in
 * PostgreSQL's SQL (check_journal_pg.c).
 * Returns TREASURY_OK (also when db has no journal table) or a database
 * error (then the caller's transaction is still open).
 */
TREASURY_WARN_UNUSED treasury_err
store_check_journal(struct db *db, check_finding_fn finding, void *ctx,
    unsigned long *findings, unsigned long *entries);

/* One agreement check: a SELECT whose rows are findings (one TEXT column),
 * ?1 bound to the time from which rows must have their entries. */
struct journal_check {
	const char *what;	/* for the error message */
	const char *sql;
};

/* PostgreSQL's form of the agreement checks (check_journal_pg.c): the
 * same checks as SQLite's, one for one, in the same order and with the
 * same names. check_journal_pg_begin makes what they read (a temporary
 * copy of the journal with each payload parsed, NULL where it is not
 * JSON) in the caller's transaction; call it once before them. */
TREASURY_WARN_UNUSED treasury_err check_journal_pg_begin(struct db *db);
const struct journal_check *check_journal_pg_checks(size_t *n);

#endif
