/*
 * audit.h: the journal's signed checkpoints and its verifier (storage
 * side; the bytes, hashes and signatures are core's journal.h, the rules
 * docs/audit.md).
 *
 * Checkpoints (storage/checkpoint.c) are written by the writer thread in
 * the transaction of the entries they cover: at the end of a group when
 * checkpoint_entries entries have been appended since the last
 * checkpoint, and at the end of a group holding the maintenance command
 * when checkpoint_interval seconds have passed since the last one and
 * entries are not covered yet. Without a key (writer_checkpoints_set not
 * called: unit tests, tools) no checkpoint is written.
 *
 * The verifier (storage/audit.c) reads the journal and its checkpoints on
 * its own read-only connection, in one read transaction.
 */
#ifndef TREASURY_AUDIT_H
#define TREASURY_AUDIT_H

#include <stdbool.h>
#include <stdint.h>

#include "treasury/error.h"
#include "treasury/journal.h"
#include "treasury/limits.h"
#include "treasury/storage.h"

/* When and with what the writer signs checkpoints. */
struct checkpoint_policy {
	/* libsodium's secret key (seed || pk); the memory is the caller's
	 * and must outlive the writer */
	const uint8_t *sk;
	unsigned every_entries;		/* >= 1: checkpoint_entries */
	unsigned interval_s;		/* >= 1: checkpoint_interval */
};

/* One stored checkpoint. */
struct checkpoint_record {
	int64_t seq;
	uint8_t hash[DIGEST_BYTES];
	int64_t time_s;
	uint8_t signature[JOURNAL_SIGNATURE_BYTES];
};

/*
 * Several daemons on one PostgreSQL database sign with one key (docs/
 * operations.md section 12); the daemon calls this at start, after its
 * other start checks, with its key. In one write transaction (under the
 * database's write lock, so that daemons starting together take turns):
 * when the last checkpoint does not verify with pk, *other_key is set and
 * nothing is written (unless replace: a new key, every copy of the old one
 * lost: a journal.key_replaced entry naming it is appended, and signed as
 * below); otherwise every entry not covered yet is signed
 * with p->sk now (at now_s, or the stored clock mark when later; none
 * when the journal is empty or covered), so that a daemon started later
 * with another key finds a checkpoint it cannot verify. *seq is the new
 * checkpoint's seq (0 when none), or with *other_key the seq of the
 * checkpoint it could not verify. Returns TREASURY_OK or a database
 * error (nothing written).
 */
TREASURY_WARN_UNUSED treasury_err
store_journal_claim(struct store *s, const struct checkpoint_policy *p,
    const uint8_t pk[JOURNAL_PUBLIC_KEY_BYTES], bool replace, int64_t now_s,
    bool *other_key, int64_t *seq);

/* Call fn for each checkpoint with seq > after_seq in seq order, at most
 * limit (>= 1); *more says a further one exists. fn returns non-zero to
 * stop. s is a read store (its read snapshot, if any, is used).
 * Returns TREASURY_OK, TREASURY_ERR_DB_CORRUPT (a row the writer would
 * not have written) or a database error. */
TREASURY_WARN_UNUSED treasury_err
store_checkpoints_page(struct store *s, int64_t after_seq, unsigned limit,
    int (*fn)(const struct checkpoint_record *, void *), void *ctx,
    bool *more);

/* The last checkpoint into *out; *found false when there is none.
 * Returns as store_checkpoints_page. */
TREASURY_WARN_UNUSED treasury_err
store_checkpoint_last(struct store *s, struct checkpoint_record *out,
    bool *found);

enum { JOURNAL_PUBKEYS_MAX = 4 };	/* store_journal_verify's keys */

/* What store_journal_verify found. */
struct journal_report {
	int64_t entries;		/* journal rows read */
	int64_t last_seq;		/* highest seq read (0: none) */
	int64_t checkpoints;		/* checkpoint rows read */
	int64_t checkpoints_verified;	/* signature and chain both good */
	int64_t signed_seq;		/* highest seq of a verified checkpoint */
	int64_t unsigned_entries;	/* entries after the last checkpoint */
	int64_t uncovered_entries;	/* entries after signed_seq */
	int64_t first_bad_seq;		/* lowest seq of a finding; 0: none */
	bool signatures_checked;	/* a public key was given */
	unsigned long findings;
};

/* Verify the journal of the database at path, read-only:
 *   - seq runs 1, 2, 3 ... without a gap (a gap: entries deleted);
 *   - every entry's hash is H(hash of the entry before || its entry
 *     bytes) recomputed from its stored fields (a mismatch: the entry
 *     was edited, or moved to another seq);
 *   - every checkpoint names an entry that exists, its hash is the
 *     recomputed chain's hash at its seq (else entries up to it were
 *     rewritten, hashes recomputed), and, when pk is not NULL, its
 *     signature verifies with one of the npk (1..JOURNAL_PUBKEYS_MAX)
 *     public keys at pk, one after the other in memory (else the
 *     checkpoint was edited or made by another key; several keys: a
 *     journal whose key was replaced, journal.key_replaced).
 *   - when uncovered_max >= 1 (the daemon's checkpoint_entries): fewer
 *     than uncovered_max entries follow the last checkpoint that
 *     verified (signed_seq). The writer keeps that true after every
 *     commit (storage/checkpoint.c), so more means checkpoints were
 *     deleted (or their entries rewritten): a finding naming the first
 *     uncovered seq. 0: not checked.
 * finding(text, ctx) gets one line per finding ("seq N: ..."; stored
 * strings escaped by text_escape_append); out->first_bad_seq is the
 * first sequence number at fault.
 * Returns TREASURY_OK when the walk ran to the end (findings may be > 0),
 * else an error with errmsg set (the database cannot be read, or has no
 * journal). */
TREASURY_WARN_UNUSED treasury_err
store_journal_verify(const char *path, const uint8_t *pk, unsigned npk,
    int64_t uncovered_max,
    void (*finding)(const char *text, void *ctx), void *ctx,
    struct journal_report *out, char errmsg[STORE_ERRMSG_BYTES]);

/* What store_journal_tail_check found. */
enum journal_tail_state {
	JOURNAL_TAIL_OK,		/* the daemon may sign on top of it */
	JOURNAL_TAIL_TOO_LONG,		/* uncovered >= uncovered_max */
	JOURNAL_TAIL_CHECKPOINT_MISMATCH, /* the last checkpoint's hash is not
					 * the stored hash at its seq, or its
					 * entry is missing */
	JOURNAL_TAIL_BROKEN,		/* bad_seq: missing, malformed, or its
					 * stored hash does not recompute */
};

struct journal_tail {
	enum journal_tail_state state;
	bool checkpoint_found;
	struct checkpoint_record checkpoint;	/* the last one, if found */
	int64_t last_seq;		/* the journal's last seq (0: empty) */
	int64_t uncovered;		/* entries after the last checkpoint */
	int64_t bad_seq;		/* JOURNAL_TAIL_BROKEN, _TOO_LONG: the
					 * first seq at fault / uncovered */
};

/*
 * The daemon's start check, before it signs anything (docs/audit.md 6):
 * the last checkpoint (its signature is the caller's to check) must name
 * an existing entry whose stored hash is the signed one; fewer than
 * uncovered_max (>= 1) entries may follow it; and these must run
 * seq + 1, seq + 2 ... with each stored hash equal to the chain
 * recomputed from the checkpoint's hash (32 zero bytes without one).
 * At most uncovered_max - 1 entries are hashed. s is the daemon's store,
 * outside a transaction (one read transaction is used).
 * Returns TREASURY_OK with *out filled (any state), or a database error.
 */
TREASURY_WARN_UNUSED treasury_err
store_journal_tail_check(struct store *s, int64_t uncovered_max,
    struct journal_tail *out);

#endif
