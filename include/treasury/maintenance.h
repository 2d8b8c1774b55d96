/*
 * maintenance.h: operator tasks on a database file, safe while the daemon
 * serves it: an online backup and the integrity and invariant check.
 * (`treasuryd backup`, `restore` and `check` in daemon/maint_cmd.c.)
 *
 * Both read the database in one read transaction on their own read-only
 * connection. In WAL mode that is a consistent snapshot and never blocks
 * the daemon's writer.
 */
#ifndef TREASURY_MAINTENANCE_H
#define TREASURY_MAINTENANCE_H

#include <stdint.h>

#include "treasury/error.h"
#include "treasury/sig.h"
#include "treasury/storage.h"

/* Copy the treasuryd database at src_path into a new file dst_path.
 *
 * The copy is a consistent snapshot made with the SQLite online backup API
 * in a single step (one read transaction). It is written to a temporary
 * file beside dst_path (mode 0600), switched to journal_mode DELETE so
 * that it is one self-contained file, checked with PRAGMA integrity_check,
 * fsynced, then linked to dst_path (never replacing an existing file) and
 * the directory fsynced. On any failure the temporary file is removed.
 *
 * Returns: TREASURY_OK;
 *   TREASURY_ERR_CONFLICT     dst_path exists;
 *   TREASURY_ERR_DB_OPEN      src_path cannot be opened;
 *   TREASURY_ERR_DB_NEWER_SCHEMA / _DB_CORRUPT the source is not a current
 *                             treasuryd database, or the copy failed
 *                             integrity_check;
 *   TREASURY_ERR_IO / _DB     writing the copy failed.
 * Out: *bytes_out (may be NULL): the size of the copy; errmsg
 *      (STORE_ERRMSG_BYTES) holds a one-line message on failure. */
TREASURY_WARN_UNUSED treasury_err
store_backup(const char *src_path, const char *dst_path, int64_t *bytes_out,
    char errmsg[STORE_ERRMSG_BYTES]);

/* ---- migrate (storage/migrate.c; issue #17) ---- */

struct migrate_report {
	unsigned tables;	/* copied and verified */
	int64_t rows;
};

/* Copy the SQLite database at from_path (at this build's schema; no
 * daemon may write it meanwhile: the caller holds its lock) into the new,
 * empty PostgreSQL database to_uri, in one transaction: every row of
 * every table as stored, the instance id and token hash key included;
 * then read both again and compare every table's rows (count and
 * SHA-256 of every value, ordered by every column).
 * Returns: TREASURY_OK (copied and identical);
 *   TREASURY_ERR_DB_OPEN       either side cannot be opened, or from_path
 *                              is not an SQLite file or to_uri not a
 *                              PostgreSQL URI;
 *   TREASURY_ERR_CONFLICT      the destination is not empty (nothing
 *                              written);
 *   TREASURY_ERR_DB_CORRUPT    a table differs after the copy (the
 *                              destination holds the copy: drop it);
 *   TREASURY_ERR_DB / others   the copy failed (rolled back).
 * Out: *r; errmsg (STORE_ERRMSG_BYTES) holds a one-line message on
 *      failure, naming the destination without its password. */
TREASURY_WARN_UNUSED treasury_err
store_migrate_to_pg(const char *from_path, const char *to_uri,
    struct migrate_report *r, char errmsg[STORE_ERRMSG_BYTES]);

struct check_report {
	unsigned long treasuries;
	unsigned long balances;
	unsigned long ledger_entries;
	unsigned long proposals;	/* proposals checked */
	unsigned long executed;		/* of which executed */
	unsigned long votes_verified;	/* approval signatures checked */
	unsigned long acts_verified;	/* other signatures checked:
					 * rejections, revocations, vetoes,
					 * freeze requests */
	unsigned long journal_entries;	/* journal entries compared */
	unsigned long skipped;		/* checks this engine has not: on
					 * PostgreSQL, integrity_check and
					 * foreign_key_check */
	unsigned long findings;
};

/* Check the database at path, read-only, in one read transaction, for
 * meaning and not only arithmetic:
 *   - PRAGMA integrity_check and foreign_key_check;
 *   - every balance equals the sum of its ledger entries (deposits minus
 *     transfers, in order), each entry's balance_after is the running
 *     sum and never negative, and every ledger (treasury, asset) has a
 *     balance;
 *   - every proposal's id is the hash of its canonical text, the text
 *     decodes (proposal_decode, core's strict parser) and agrees with the
 *     columns stored beside it (instance, treasury, config version, nonce,
 *     kind, expiry);
 *   - every vote, revocation and veto signature verifies, over the digest
 *     of the id recomputed from the canonical text (an edited text fails
 *     them), with the key of its signer at the proposal's config version;
 *   - every executed proposal has at least M approvals (M of that version,
 *     plus the policy's extra one for a config change) that verify, stand
 *     (not revoked) and are made by distinct keys, and exactly the debits
 *     its text says: one per transfer, in order, with its treasury, asset,
 *     amount, destination and memo (none for the other kinds); every
 *     transfer ledger entry belongs to an executed proposal;
 *   - a vetoed proposal has its veto count of valid vetoes; every freeze
 *     request verifies with its signer's key at its config version, and a
 *     frozen treasury has the request of the freeze in force;
 *   - when the database has a journal (schema 8): its hash chain, and its
 *     agreement with the tables both ways (vetoes, proposal statuses,
 *     settlements, freezes, deposits, debits, votes, revocations):
 *     store_check_journal (storage/check_int.h), on the same snapshot.
 * path may be a PostgreSQL URI: the same checks in one repeatable-read
 * transaction, but for integrity_check and foreign_key_check (the server
 * keeps its pages and enforces its foreign keys), counted in
 * out->skipped.
 * finding(text, ctx) is called with a one-line description of each
 * violation (text is valid during the call only). The text is escaped
 * with text_escape_append (textsafe.h): bytes quoted from the database
 * (ids, names, integrity_check's rows) can neither drive a terminal nor
 * break the line, whatever the file holds.
 * Returns: TREASURY_OK when the checks ran to the end (out->findings may
 *          be > 0); TREASURY_ERR_DB_OPEN, _DB_NEWER_SCHEMA, _DB_CORRUPT
 *          (not a current treasuryd database) or _DB when they could not,
 *          with errmsg set.
 * In:  v from treasury_verifier_create(). */
TREASURY_WARN_UNUSED treasury_err
store_check(const char *path, const treasury_verifier *v,
    void (*finding)(const char *text, void *ctx), void *ctx,
    struct check_report *out, char errmsg[STORE_ERRMSG_BYTES]);

#endif
