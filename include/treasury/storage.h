/*
 * storage.h: the SQLite store, behind a narrow interface.
 *
 * One struct store is one SQLite connection with its prepared statements.
 * It must be used by one thread at a time. The daemon opens one writer
 * store (which creates and migrates the database) and one read-only store
 * per request thread.
 *
 * Every database is opened with WAL, synchronous=FULL, foreign keys on and
 * a busy timeout. The file must be mode 0600 or stricter (no group/other
 * bits); a new file is created with 0600.
 */
#ifndef TREASURY_STORAGE_H
#define TREASURY_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "treasury/error.h"
#include "treasury/limits.h"
#include "treasury/auth.h"

struct store;

enum store_mode {
	STORE_READ_WRITE_CREATE = 1,	/* create if missing, migrate */
	STORE_READ_WRITE = 2,		/* must exist, migrate */
	STORE_READ_ONLY = 3,		/* must exist and be current */
};

enum {
	STORE_ERRMSG_BYTES = 512,
	STORE_BUSY_TIMEOUT_MS = 5000,
	/* The page cache of a connection that writes (the daemon's writer,
	 * treasuryd token, maintenance), in KiB: SQLite grows it up to this
	 * as pages are read, and a connection's own commits keep it valid,
	 * so the writer reads the tables it works on from memory, not with
	 * pread (issue #16: about a fifth of its CPU per vote at SQLite's
	 * 2 MiB, bench/README.md).
	 * Read-only connections keep SQLite's default (2 MiB): any commit of
	 * another connection empties their cache at their next read. */
	STORE_WRITER_CACHE_KIB = 64 * 1024,
};

/* The schema version this build writes (PRAGMA user_version). */
int store_schema_version(void);

/* Whether path names a PostgreSQL database: a libpq URI, starting
 * "postgresql://" or "postgres://" (issue #17). Anything else is the path
 * of an SQLite file. */
bool store_path_is_postgresql(const char *path);

/* What a PostgreSQL URI holds, as libpq reads it: usable; a secret
 * (password or sslpassword, in the user part or a parameter: it would be
 * in the configuration, the process list and the logs); or nothing libpq
 * can parse. */
enum store_uri { STORE_URI_OK, STORE_URI_SECRET, STORE_URI_MALFORMED };
enum store_uri store_uri_check(const char *uri);

/* uri for a message or a log line, rebuilt from its parsed parts (never
 * a secret): 'PostgreSQL database "d" (host h, port p, user u)'. */
void store_uri_shown(const char *uri, char out[STORE_ERRMSG_BYTES]);

/* Open the database at path: an SQLite file, or a PostgreSQL database
 * (store_path_is_postgresql), whose schema is made when it has none
 * (mode other than STORE_READ_ONLY); what is about files below (the
 * file's identity, its changes word, its quick check) is then moot and
 * succeeds without doing anything.
 * Returns: TREASURY_OK;
 *   TREASURY_ERR_DB_OPEN         the file or its directory is missing (or
 *                                cannot be created/opened);
 *   TREASURY_ERR_DB_PERMISSIONS  the file has group or other permission bits;
 *   TREASURY_ERR_DB_NEWER_SCHEMA user_version is newer than this build
 *                                (the file is not modified);
 *   TREASURY_ERR_STORAGE_FULL    the file system is full (SQLITE_FULL, or an
 *                                I/O error with ENOSPC/EDQUOT); errmsg then
 *                                starts "disk full: ";
 *   TREASURY_ERR_DB / _DB_CORRUPT anything else.
 * Out: *out on success; errmsg (STORE_ERRMSG_BYTES) always holds a one-line
 *      human message naming the path on failure. */
TREASURY_WARN_UNUSED treasury_err
store_open(const char *path, enum store_mode mode, struct store **out,
    char errmsg[STORE_ERRMSG_BYTES]);

/* Finalize statements and close. NULL is accepted. */
void store_close(struct store *s);

/* In a write transaction on PostgreSQL: NOTIFY the journal's channel,
 * heard by every daemon's listener at the COMMIT (treasury/listener.h).
 * On SQLite it does nothing. Returns TREASURY_OK or the database error. */
TREASURY_WARN_UNUSED treasury_err store_journal_notify(struct store *s);

/* Whether no other daemon serves the database: on PostgreSQL, every
 * serving daemon's listener holds the serving lock shared, and this tries
 * it exclusive, held by s's session until store_serving_alone_end (for a
 * start with --new-journal-key). On SQLite *alone is true (the lock file
 * keeps one daemon a file). Returns TREASURY_OK or the database error. */
TREASURY_WARN_UNUSED treasury_err
store_serving_alone(struct store *s, bool *alone);
void store_serving_alone_end(struct store *s);

/* ---- the database file's identity (docs/operations.md, "Database
 * identity") ---- */

/* A file as stat(2) names it, through symbolic links: device and inode.
 * Two paths (hard links, symbolic links) to one file have one identity. */
struct store_file_id {
	uint64_t dev;
	uint64_t ino;
};

/* Check or create the database file at path before anything opens it:
 * an existing file (and its -wal and -shm) must be a regular file of mode
 * 0600 or stricter; a missing one is created empty with mode 0600, unless
 * a -wal or -shm file is there without it (the database was deleted or
 * moved and the -wal may hold committed transactions: refused).
 * Returns TREASURY_OK, _DB_OPEN or _DB_PERMISSIONS with errmsg set. */
TREASURY_WARN_UNUSED treasury_err
store_file_prepare(const char *path, char errmsg[STORE_ERRMSG_BYTES]);

/* The identity of the file s opened (taken when it was opened). */
void store_file_id(const struct store *s, struct store_file_id *out);

/* Whether path still names the file id. Returns TREASURY_OK, or
 * TREASURY_ERR_STORAGE_UNAVAILABLE with detail (STORE_ERRMSG_BYTES) saying
 * that the file was deleted or replaced by another one. The first failure
 * after a success is logged at LOG_ERR (once per process, not once per
 * call), the return to the opened file at LOG_NOTICE. Thread-safe; one
 * stat(2). */
TREASURY_WARN_UNUSED treasury_err
store_file_id_check(const char *path, const struct store_file_id *id,
    char detail[STORE_ERRMSG_BYTES]);

/* store_file_id_check for the file s opened: the writer calls it before
 * each group, and a read-write store also runs it inside every COMMIT
 * (a commit hook: a COMMIT on a deleted or replaced file is rolled back
 * and fails). */
TREASURY_WARN_UNUSED treasury_err
store_file_check(struct store *s, char detail[STORE_ERRMSG_BYTES]);

/* PRAGMA quick_check on s for at most limit_s seconds (0: no limit).
 * Returns TREASURY_OK with *cut_short false when the check found nothing,
 * TREASURY_OK with *cut_short true when the time ran out first (nothing
 * found in what was checked), TREASURY_ERR_DB_CORRUPT with errmsg holding
 * the first finding(s) (up to STORE_QUICK_CHECK_FINDINGS_MAX rows), or
 * another error with errmsg set. */
enum { STORE_QUICK_CHECK_FINDINGS_MAX = 8 };
TREASURY_WARN_UNUSED treasury_err
store_quick_check(struct store *s, unsigned limit_s, bool *cut_short,
    char errmsg[STORE_ERRMSG_BYTES]);

/* The 32-byte instance id made when the database was created. */
void store_instance_id(const struct store *s, uint8_t out[INSTANCE_ID_BYTES]);

/* The per-database key for token hashes. */
void store_token_hash_key(const struct store *s,
    uint8_t out[TOKEN_HASH_KEY_BYTES]);

/* ---- changes made by other processes (issue #16) ----
 *
 * A daemon serves some answers from memory (api/cache.c) while nothing has
 * changed. Its own writer's commits it counts itself (writer_commits); a
 * commit by another process (`treasuryd token ...`) it learns of through
 * "<database>-changes", an 8-byte file beside the database that the daemon
 * makes and maps at start: the other process calls store_changes_note
 * after its COMMIT, which writes a new random value into it. A process
 * that writes the database some other way (the sqlite3 shell) is not
 * seen that way; api/cache.c bounds how long such a change can go unseen.
 */
enum { STORE_CHANGES_FILE_BYTES = 8 };
#define STORE_CHANGES_SUFFIX "-changes"

/* The changes word of db_path, mapped read-only (the file is made, 0600,
 * when missing). A PostgreSQL database has no such file: its word is
 * new at every read, so that nothing is answered from memory (issue #17:
 * LISTEN/NOTIFY is to tell of other processes' commits).
 * Returns TREASURY_OK, TREASURY_ERR_IO with errmsg set. */
struct store_changes;
TREASURY_WARN_UNUSED treasury_err
store_changes_map(const char *db_path, struct store_changes **out,
    char errmsg[STORE_ERRMSG_BYTES]);

/* The word now (any change of it is a change). Thread-safe, no syscall;
 * load it before opening the read transaction whose answers it tags. */
uint64_t store_changes_read(const struct store_changes *c);

void store_changes_unmap(struct store_changes *c);

/* After a COMMIT on s by a process other than the daemon: a new value in
 * s's changes file, when there is one (no file: no daemon ever served the
 * database; nothing to tell). A failure is logged at LOG_WARNING and is
 * not an error: the change is committed, a daemon sees it within
 * api/cache.c's bound. */
void store_changes_note(const struct store *s);

/* ---- tokens ---- */

struct token_info {
	int64_t id;
	char name[TOKEN_NAME_MAX_BYTES + 1];
	unsigned roles;
	int64_t created_s;
	/* bound to a TLS client certificate: only a connection presenting
	 * it may use the token (api/auth.c) */
	bool cert_bound;
	uint8_t cert_sha256[CLIENT_CERT_SHA256_BYTES];	/* of its DER */
};

/* Store a new token's hash. Names are unique among live tokens.
 * Returns TREASURY_OK; TREASURY_ERR_CONFLICT when the name is taken;
 * TREASURY_ERR_TOO_LARGE when TOKENS_MAX live tokens exist;
 * TREASURY_ERR_TOKEN_NAME when name is empty or longer than
 * TOKEN_NAME_MAX_BYTES (the character set is the caller's to check, with
 * token_name_check); TREASURY_ERR_ROLE when roles is 0 or outside
 * ROLE_ALL; _DB. */
TREASURY_WARN_UNUSED treasury_err
store_token_insert(struct store *s, const char *name, unsigned roles,
    const uint8_t hash[TOKEN_HASH_BYTES], int64_t now_s);

/* store_token_insert, the token bound to a TLS client certificate (the
 * SHA-256 of its DER encoding; NULL: not bound) in the same transaction
 * and the same token.created entry, so that it never exists unbound.
 * Both stamp the token and its entry with now_s, or the database's clock
 * mark when that is later (and raise the mark to it). Same returns. */
TREASURY_WARN_UNUSED treasury_err
store_token_create(struct store *s, const char *name, unsigned roles,
    const uint8_t hash[TOKEN_HASH_BYTES],
    const uint8_t cert_sha256[CLIENT_CERT_SHA256_BYTES], int64_t now_s);

/* Find the live token with this hash (compared in constant time after the
 * indexed lookup). Returns TREASURY_OK, TREASURY_ERR_NOT_FOUND or _DB. */
TREASURY_WARN_UNUSED treasury_err
store_token_find(struct store *s, const uint8_t hash[TOKEN_HASH_BYTES],
    struct token_info *out);

/* Call fn for each live token in id order; stops early if fn returns
 * non-zero. fn must not call store_token_list on the same store.
 * Returns TREASURY_OK or _DB. */
TREASURY_WARN_UNUSED treasury_err
store_token_list(struct store *s,
    int (*fn)(const struct token_info *t, void *ctx), void *ctx);

/* Revoke the live token with this name: the row is kept, marked revoked
 * (its id is never reused; its name and hash no longer match anything).
 * Returns TREASURY_OK, TREASURY_ERR_NOT_FOUND or _DB. */
TREASURY_WARN_UNUSED treasury_err
store_token_revoke(struct store *s, const char *name);

/* Bind the live token with this name to a TLS client certificate (the
 * SHA-256 of its DER encoding), or unbind it when cert_sha256 is NULL.
 * Returns TREASURY_OK, TREASURY_ERR_NOT_FOUND or _DB. */
TREASURY_WARN_UNUSED treasury_err
store_token_bind(struct store *s, const char *name,
    const uint8_t cert_sha256[CLIENT_CERT_SHA256_BYTES]);

/* The name of token id, live or revoked (a proposal's proposer; names of
 * revoked tokens may have been taken again since).
 * Returns TREASURY_OK, TREASURY_ERR_NOT_FOUND or a database error. */
TREASURY_WARN_UNUSED treasury_err
store_token_name(struct store *s, int64_t id,
    char out[TOKEN_NAME_MAX_BYTES + 1]);

/* Number of live tokens, for the first-run admin token decision. */
TREASURY_WARN_UNUSED treasury_err
store_token_count(struct store *s, int64_t *count);

#endif
