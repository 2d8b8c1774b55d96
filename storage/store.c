/*
 * store.c: opening and closing a store: file permission checks, the
 * SQLite connection and its settings, migration, the cached meta row and
 * the prepared statements.
 *
 * Order matters in store_open: the file's mode is checked before SQLite
 * touches it, and the schema version is read before anything is written
 * (even the WAL switch writes the header), so a database from a newer
 * treasuryd, or one that is not ours, is left exactly as it was.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "store_int.h"

/* STRICT tables (3.37) and unixepoch() (3.38). */
#define STORE_SQLITE_MIN_VERSION 3038000

void
store_errmsg_set(char errmsg[STORE_ERRMSG_BYTES], const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	vsnprintf(errmsg, STORE_ERRMSG_BYTES, fmt, ap);
	va_end(ap);
	for (p = errmsg; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

treasury_err
store_err_from_sqlite(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return TREASURY_OK;
	case SQLITE_NOMEM:
		return TREASURY_ERR_NOMEM;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return TREASURY_ERR_DB_CORRUPT;
	case SQLITE_CANTOPEN:
		return TREASURY_ERR_DB_OPEN;
	case SQLITE_FULL:
		return TREASURY_ERR_STORAGE_FULL;
	default:
		return TREASURY_ERR_DB;
	}
}

bool
store_db_full(sqlite3 *db)
{
	int rc, sys_errno;

	if (db == NULL)
		return false;
	rc = sqlite3_extended_errcode(db) & 0xff;
	if (rc == SQLITE_FULL)
		return true;
	sys_errno = sqlite3_system_errno(db);
	return rc == SQLITE_IOERR && (sys_errno == ENOSPC ||
	    sys_errno == EDQUOT);
}

treasury_err
store_err_from_db(sqlite3 *db, int rc)
{
	if ((rc & 0xff) == SQLITE_IOERR && store_db_full(db))
		return TREASURY_ERR_STORAGE_FULL;
	return store_err_from_sqlite(rc);
}

/* A failure to open a database on a full file system says so first: the
 * step that failed may have said only "disk I/O error". */
static treasury_err
open_fail_full(struct store *s, const char *path, treasury_err err,
    char errmsg[STORE_ERRMSG_BYTES])
{
	char said[STORE_ERRMSG_BYTES];

	if (s == NULL || !store_db_full(s->db))
		return err;
	memcpy(said, errmsg, sizeof(said));
	store_errmsg_set(errmsg, "disk full: %s (no space left on the file "
	    "system of %s: free space, then try again)", said, path);
	return TREASURY_ERR_STORAGE_FULL;
}

/* An existing file (database, -wal or -shm) must not be open to others. */
static treasury_err
file_check_mode(const char *path, const struct stat *st,
    char errmsg[STORE_ERRMSG_BYTES])
{
	if (!S_ISREG(st->st_mode)) {
		store_errmsg_set(errmsg, "database %s is not a regular file", path);
		return TREASURY_ERR_DB_OPEN;
	}
	if ((st->st_mode & 077) != 0) {
		store_errmsg_set(errmsg, "database file %s has mode %04o, open to"
		    " group or others: run chmod 600 %s", path,
		    (unsigned)(st->st_mode & 07777), path);
		return TREASURY_ERR_DB_PERMISSIONS;
	}
	return TREASURY_OK;
}

/* The -wal and -shm files hold database content too. */
static treasury_err
file_check_side(const char *path, const char *suffix,
    char errmsg[STORE_ERRMSG_BYTES])
{
	char side[PATH_MAX];
	struct stat st;
	int n;

	n = snprintf(side, sizeof(side), "%s%s", path, suffix);
	if (n < 0 || (size_t)n >= sizeof(side)) {
		store_errmsg_set(errmsg, "cannot open database %s: %s", path,
		    strerror(ENAMETOOLONG));
		return TREASURY_ERR_DB_OPEN;
	}
	if (stat(side, &st) != 0) {
		if (errno == ENOENT)
			return TREASURY_OK;
		store_errmsg_set(errmsg, "cannot open database %s: %s", side,
		    strerror(errno));
		return TREASURY_ERR_DB_OPEN;
	}
	return file_check_mode(side, &st, errmsg);
}

static treasury_err
file_check_existing(const char *path, const struct stat *st,
    char errmsg[STORE_ERRMSG_BYTES])
{
	treasury_err err;

	err = file_check_mode(path, st, errmsg);
	if (err == TREASURY_OK)
		err = file_check_side(path, "-wal", errmsg);
	if (err == TREASURY_OK)
		err = file_check_side(path, "-shm", errmsg);
	return err;
}

/* Make an empty database file with mode 0600 whatever the umask. */
static treasury_err
file_create(const char *path, char errmsg[STORE_ERRMSG_BYTES])
{
	struct stat st;
	int fd;

	fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd < 0 && errno == EEXIST && stat(path, &st) == 0)
		return file_check_existing(path, &st, errmsg);	/* lost a race */
	if (fd < 0) {
		store_errmsg_set(errmsg, "cannot create database %s: %s", path,
		    strerror(errno));
		return TREASURY_ERR_DB_OPEN;
	}
	if (fchmod(fd, 0600) != 0) {
		store_errmsg_set(errmsg, "cannot create database %s: chmod: %s",
		    path, strerror(errno));
		close(fd);
		unlink(path);
		return TREASURY_ERR_DB_OPEN;
	}
	close(fd);
	return TREASURY_OK;
}

/* Check or create the file before SQLite sees it. */
static treasury_err
file_prepare(const char *path, enum store_mode mode,
    char errmsg[STORE_ERRMSG_BYTES])
{
	struct stat st;

	if (stat(path, &st) == 0)
		return file_check_existing(path, &st, errmsg);
	if (errno == ENOENT && mode == STORE_READ_WRITE_CREATE)
		return file_create(path, errmsg);
	store_errmsg_set(errmsg, "cannot open database %s: %s", path,
	    strerror(errno));
	return TREASURY_ERR_DB_OPEN;
}

static treasury_err
db_fail(struct store *s, int rc, const char *what, const char *path,
    char errmsg[STORE_ERRMSG_BYTES])
{
	store_errmsg_set(errmsg, "%s %s: %s", what, path,
	    s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
	return store_err_from_db(s->db, rc);
}

/* The connection, before any read or write of the database. */
static treasury_err
db_connect(struct store *s, const char *path, char errmsg[STORE_ERRMSG_BYTES])
{
	int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
	int rc;

	if (sqlite3_libversion_number() < STORE_SQLITE_MIN_VERSION) {
		store_errmsg_set(errmsg, "cannot open database %s: SQLite %s is"
		    " older than 3.38", path, sqlite3_libversion());
		return TREASURY_ERR_DB_OPEN;
	}
	/* Never SQLITE_OPEN_CREATE: file_prepare made the file. */
	flags |= s->mode == STORE_READ_ONLY ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE;
	rc = sqlite3_open_v2(path, &s->db, flags, NULL);
	if (rc != SQLITE_OK) {
		db_fail(s, rc, "cannot open database", path, errmsg);
		return TREASURY_ERR_DB_OPEN;
	}
	rc = sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
	if (rc == SQLITE_OK)
		rc = sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_db_config(s->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0,
		    NULL);
	if (rc != SQLITE_OK)
		return db_fail(s, rc, "cannot configure database", path, errmsg);
	return TREASURY_OK;
}

/* Run a statement whose first row's first column is the answer. */
static int
db_answer(sqlite3 *db, const char *sql, char *text, size_t text_size,
    int *value)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *t;
	int rc;

	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		t = sqlite3_column_text(st, 0);
		snprintf(text, text_size, "%s", t != NULL ? (const char *)t : "");
		*value = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE)
		rc = SQLITE_INTERNAL;	/* compiled without this pragma */
	sqlite3_finalize(st);
	return rc;
}

/* WAL (set by writers, required of readers), synchronous=FULL, foreign
 * keys; each read back, since SQLite ignores what it cannot do. */
static treasury_err
db_settings(struct store *s, const char *path, char errmsg[STORE_ERRMSG_BYTES])
{
	char answer[32];
	int value = 0;
	int rc;

	rc = db_answer(s->db, s->mode == STORE_READ_ONLY ?
	    "PRAGMA journal_mode" : "PRAGMA journal_mode = WAL",
	    answer, sizeof(answer), &value);
	if (rc != SQLITE_OK)
		return db_fail(s, rc, "cannot set WAL mode on database", path,
		    errmsg);
	if (strcmp(answer, "wal") != 0) {
		store_errmsg_set(errmsg, "database %s is in journal mode %s, not"
		    " wal%s", path, answer, s->mode == STORE_READ_ONLY ?
		    ": run the daemon once to migrate" : "");
		return TREASURY_ERR_DB;
	}
	rc = sqlite3_exec(s->db, "PRAGMA synchronous = FULL;"
	    " PRAGMA foreign_keys = ON", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = db_answer(s->db, "PRAGMA synchronous", answer,
		    sizeof(answer), &value);
	if (rc == SQLITE_OK && value != 2)
		rc = SQLITE_INTERNAL;
	if (rc == SQLITE_OK)
		rc = db_answer(s->db, "PRAGMA foreign_keys", answer,
		    sizeof(answer), &value);
	if (rc == SQLITE_OK && value != 1)
		rc = SQLITE_INTERNAL;
	if (rc != SQLITE_OK)
		return db_fail(s, rc, "cannot configure database", path, errmsg);
	return TREASURY_OK;
}

static treasury_err
meta_malformed(const char *path, char errmsg[STORE_ERRMSG_BYTES])
{
	store_errmsg_set(errmsg, "database %s: the meta row is missing or"
	    " malformed", path);
	return TREASURY_ERR_DB_CORRUPT;
}

static int
column_is_blob(sqlite3_stmt *st, int col, int bytes)
{
	return sqlite3_column_type(st, col) == SQLITE_BLOB &&
	    sqlite3_column_bytes(st, col) == bytes;
}

/* Cache the one meta row; anything but exactly one well-formed row is
 * corruption. */
static treasury_err
meta_load(struct store *s, const char *path, char errmsg[STORE_ERRMSG_BYTES])
{
	static const char sql[] =
	    "SELECT instance_id, token_hash_key, created_at FROM meta";
	sqlite3_stmt *st = NULL;
	treasury_err err;
	int rc;

	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if ((rc & 0xff) == SQLITE_ERROR) {	/* no such table */
		err = meta_malformed(path, errmsg);
		goto done;
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		err = db_fail(s, rc, "cannot read database", path, errmsg);
		goto done;
	}
	if (rc != SQLITE_ROW ||
	    !column_is_blob(st, 0, INSTANCE_ID_BYTES) ||
	    !column_is_blob(st, 1, TOKEN_HASH_KEY_BYTES) ||
	    sqlite3_column_type(st, 2) != SQLITE_INTEGER) {
		err = meta_malformed(path, errmsg);
		goto done;
	}
	memcpy(s->instance_id, sqlite3_column_blob(st, 0), INSTANCE_ID_BYTES);
	memcpy(s->token_hash_key, sqlite3_column_blob(st, 1),
	    TOKEN_HASH_KEY_BYTES);
	err = TREASURY_OK;
	if (sqlite3_step(st) != SQLITE_DONE)	/* exactly one row */
		err = meta_malformed(path, errmsg);
done:
	sqlite3_finalize(st);
	return err;
}

static treasury_err
stmts_prepare(struct store *s, const char *path,
    char errmsg[STORE_ERRMSG_BYTES])
{
	int i, rc;

	for (i = 0; i < STMT_COUNT_; i++) {
		assert(store_stmt_sql[i] != NULL);
		rc = sqlite3_prepare_v3(s->db, store_stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->stmt[i], NULL);
		if (rc != SQLITE_OK)
			return db_fail(s, rc, "cannot prepare statements for"
			    " database", path, errmsg);
	}
	return TREASURY_OK;
}

treasury_err
store_open(const char *path, enum store_mode mode, struct store **out,
    char errmsg[STORE_ERRMSG_BYTES])
{
	char local[STORE_ERRMSG_BYTES];
	struct store *s = NULL;
	treasury_err err;
	int version = 0;

	assert(path != NULL);
	assert(out != NULL);
	assert(mode == STORE_READ_WRITE_CREATE || mode == STORE_READ_WRITE ||
	    mode == STORE_READ_ONLY);
	if (errmsg == NULL)
		errmsg = local;
	errmsg[0] = '\0';
	*out = NULL;
	err = file_prepare(path, mode, errmsg);
	if (err != TREASURY_OK)
		return err;
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		store_errmsg_set(errmsg, "cannot open database %s: %s", path,
		    strerror(ENOMEM));
		return TREASURY_ERR_NOMEM;
	}
	s->mode = mode;
	err = db_connect(s, path, errmsg);
	if (err != TREASURY_OK)
		goto fail;
	err = store_schema_check(s->db, path, mode, &version, errmsg);
	if (err != TREASURY_OK)
		goto fail;
	err = db_settings(s, path, errmsg);
	if (err != TREASURY_OK)
		goto fail;
	if (mode != STORE_READ_ONLY) {
		err = store_migrate(s->db, path, errmsg);
		if (err != TREASURY_OK)
			goto fail;
	}
	err = meta_load(s, path, errmsg);
	if (err != TREASURY_OK)
		goto fail;
	err = stmts_prepare(s, path, errmsg);
	if (err != TREASURY_OK)
		goto fail;
	*out = s;
	return TREASURY_OK;
fail:
	err = open_fail_full(s, path, err, errmsg);
	store_close(s);
	return err;
}

void
store_close(struct store *s)
{
	int i, rc;

	if (s == NULL)
		return;
	for (i = 0; i < STMT_COUNT_; i++)
		sqlite3_finalize(s->stmt[i]);
	rc = sqlite3_close(s->db);
	assert(rc == SQLITE_OK);	/* every statement is finalized */
	(void)rc;
	sodium_memzero(s, sizeof(*s));
	free(s);
}

void
store_instance_id(const struct store *s, uint8_t out[INSTANCE_ID_BYTES])
{
	assert(s != NULL);
	memcpy(out, s->instance_id, INSTANCE_ID_BYTES);
}

void
store_token_hash_key(const struct store *s, uint8_t out[TOKEN_HASH_KEY_BYTES])
{
	assert(s != NULL);
	memcpy(out, s->token_hash_key, TOKEN_HASH_KEY_BYTES);
}
