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
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "treasury/clock.h"
#include "treasury/log.h"

#include "db_sqlite.h"
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
store_prepare_once(struct store *s, const char *sql, struct db_stmt **st)
{
	int rc = db_prepare(s->db, sql, st);

	if (rc != DB_OK) {
		db_finalize(*st);
		*st = NULL;
		return store_err_from_rc(rc);
	}
	return TREASURY_OK;
}

treasury_err
store_err_from_rc(int rc)
{
	if (rc == DB_CONSTRAINT_COMMITHOOK)
		return TREASURY_ERR_STORAGE_UNAVAILABLE;  /* commit_guard said no */
	if (rc == DB_IOERR_CONNECTION)
		return TREASURY_ERR_DATABASE_UNREACHABLE;  /* PostgreSQL */
	switch (rc & 0xff) {
	case DB_OK:
	case DB_ROW:
	case DB_DONE:
		return TREASURY_OK;
	case DB_NOMEM:
		return TREASURY_ERR_NOMEM;
	case DB_CORRUPT:
	case DB_NOTADB:
		return TREASURY_ERR_DB_CORRUPT;
	case DB_CANTOPEN:
		return TREASURY_ERR_DB_OPEN;
	case DB_FULL:
		return TREASURY_ERR_STORAGE_FULL;
	default:
		return TREASURY_ERR_DB;
	}
}

bool
store_db_full(struct db *db)
{
	int rc, sys_errno;

	if (db == NULL)
		return false;
	rc = db_extended_errcode(db) & 0xff;
	if (rc == DB_FULL)
		return true;
	sys_errno = db_system_errno(db);
	return rc == DB_IOERR && (sys_errno == ENOSPC ||
	    sys_errno == EDQUOT);
}

treasury_err
store_err_from_db(struct db *db, int rc)
{
	if ((rc & 0xff) == DB_IOERR && store_db_full(db))
		return TREASURY_ERR_STORAGE_FULL;
	return store_err_from_rc(rc);
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

/* A -wal or -shm file without its database: the database was deleted or
 * moved, and the -wal may hold committed transactions. SQLite would
 * apply a stray -wal to a new empty file, so nothing is created. */
static treasury_err
file_check_orphans(const char *path, char errmsg[STORE_ERRMSG_BYTES])
{
	static const char *const suffixes[] = { "-wal", "-shm" };
	char side[PATH_MAX];
	struct stat st;
	int n;

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		n = snprintf(side, sizeof(side), "%s%s", path, suffixes[i]);
		if (n < 0 || (size_t)n >= sizeof(side)) {
			store_errmsg_set(errmsg, "cannot create database %s: %s",
			    path, strerror(ENAMETOOLONG));
			return TREASURY_ERR_DB_OPEN;
		}
		if (lstat(side, &st) == 0) {
			store_errmsg_set(errmsg, "database %s is missing but %s "
			    "exists: the database was deleted or moved (its -wal "
			    "may hold committed transactions); put it back or "
			    "restore it (treasuryd restore), or move %s-wal and "
			    "%s-shm aside to start a new, empty database", path,
			    side, path, path);
			return TREASURY_ERR_DB_OPEN;
		}
	}
	return TREASURY_OK;
}

/* Check or create the file before SQLite sees it. */
static treasury_err
file_prepare(const char *path, enum store_mode mode,
    char errmsg[STORE_ERRMSG_BYTES])
{
	struct stat st;
	treasury_err err;

	if (stat(path, &st) == 0)
		return file_check_existing(path, &st, errmsg);
	if (errno == ENOENT && mode == STORE_READ_WRITE_CREATE) {
		err = file_check_orphans(path, errmsg);
		return err != TREASURY_OK ? err : file_create(path, errmsg);
	}
	store_errmsg_set(errmsg, "cannot open database %s: %s", path,
	    strerror(errno));
	return TREASURY_ERR_DB_OPEN;
}

treasury_err
store_file_prepare(const char *path, char errmsg[STORE_ERRMSG_BYTES])
{
	assert(path != NULL && errmsg != NULL);
	errmsg[0] = '\0';
	if (store_path_is_postgresql(path))
		return TREASURY_OK;	/* no file */
	return file_prepare(path, STORE_READ_WRITE_CREATE, errmsg);
}

/* Set while store_file_id_check finds the file gone: its first failure
 * is logged at err, not every refused write (process-wide, like the one
 * database a daemon serves). */
static atomic_bool file_lost;

treasury_err
store_file_id_check(const char *path, const struct store_file_id *id,
    char detail[STORE_ERRMSG_BYTES])
{
	struct stat st;

	assert(path != NULL && id != NULL && detail != NULL);
	detail[0] = '\0';
	if (store_path_is_postgresql(path))
		return TREASURY_OK;	/* no file to lose */
	if (stat(path, &st) != 0)
		store_errmsg_set(detail, "database file %s %s", path,
		    errno == ENOENT ? "was deleted" : strerror(errno));
	else if ((uint64_t)st.st_dev != id->dev ||
	    (uint64_t)st.st_ino != id->ino)
		store_errmsg_set(detail, "database file %s was replaced by "
		    "another file (device/inode %llu/%llu, opened %llu/%llu)",
		    path, (unsigned long long)st.st_dev,
		    (unsigned long long)st.st_ino,
		    (unsigned long long)id->dev, (unsigned long long)id->ino);
	if (detail[0] == '\0') {
		if (atomic_exchange(&file_lost, false))
			log_msg(LOG_NOTICE, "database file %s is the opened file "
			    "again; writes are accepted", path);
		return TREASURY_OK;
	}
	if (!atomic_exchange(&file_lost, true))
		log_msg(LOG_ERR, "%s: every write is refused (503 "
		    "storage-unavailable) and /v1/health answers 503 until it is "
		    "back; on stop treasuryd saves what it holds as "
		    "<database>.rescued-<time> (operations.md, \"Database "
		    "identity\")", detail);
	return TREASURY_ERR_STORAGE_UNAVAILABLE;
}

void
store_file_id(const struct store *s, struct store_file_id *out)
{
	assert(s != NULL && out != NULL);
	*out = s->file_id;
}

treasury_err
store_file_check(struct store *s, char detail[STORE_ERRMSG_BYTES])
{
	assert(s != NULL);
	if (s->postgresql) {
		detail[0] = '\0';
		return TREASURY_OK;	/* no file to lose */
	}
	return store_file_id_check(s->path, &s->file_id, detail);
}

/* SQLite's commit hook of a read-write store: a non-zero answer turns the
 * COMMIT into a rollback (DB_CONSTRAINT_COMMITHOOK), so nothing is
 * acknowledged on a file that is no longer the database at the path. */
static int
commit_guard(void *arg)
{
	char detail[STORE_ERRMSG_BYTES];

	return store_file_check(arg, detail) != TREASURY_OK;
}

/* Remember which file was opened (after SQLite opened it). */
static treasury_err
file_id_take(struct store *s, const char *path,
    char errmsg[STORE_ERRMSG_BYTES])
{
	struct stat st;
	int n;

	n = snprintf(s->path, sizeof(s->path), "%s", path);
	if (n < 0 || (size_t)n >= sizeof(s->path)) {
		store_errmsg_set(errmsg, "cannot open database %s: %s", path,
		    strerror(ENAMETOOLONG));
		return TREASURY_ERR_DB_OPEN;
	}
	if (stat(path, &st) != 0) {
		store_errmsg_set(errmsg, "cannot open database %s: %s", path,
		    strerror(errno));
		return TREASURY_ERR_DB_OPEN;
	}
	s->file_id.dev = (uint64_t)st.st_dev;
	s->file_id.ino = (uint64_t)st.st_ino;
	if (s->mode != STORE_READ_ONLY)
		sqlite3_commit_hook(db_sqlite(s->db), commit_guard, s);
	return TREASURY_OK;
}

static treasury_err
db_fail(struct store *s, int rc, const char *what, const char *path,
    char errmsg[STORE_ERRMSG_BYTES])
{
	store_errmsg_set(errmsg, "%s %s: %s", what, path,
	    s->db != NULL ? db_errmsg(s->db) : db_errstr(rc));
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
	rc = db_sqlite_open(path, flags, &s->db);
	if (rc != DB_OK) {
		db_fail(s, rc, "cannot open database", path, errmsg);
		return TREASURY_ERR_DB_OPEN;
	}
	rc = sqlite3_busy_timeout(db_sqlite(s->db), STORE_BUSY_TIMEOUT_MS);
	if (rc == DB_OK)
		rc = sqlite3_db_config(db_sqlite(s->db), SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	if (rc == DB_OK)
		rc = sqlite3_db_config(db_sqlite(s->db), SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0,
		    NULL);
	if (rc != DB_OK)
		return db_fail(s, rc, "cannot configure database", path, errmsg);
	return TREASURY_OK;
}

/* Run a statement whose first row's first column is the answer. */
static int
db_answer(struct db *db, const char *sql, char *text, size_t text_size,
    int *value)
{
	struct db_stmt *st = NULL;
	const unsigned char *t;
	int rc;

	rc = db_prepare(db, sql, &st);
	if (rc != DB_OK)
		return rc;
	rc = db_step(st);
	if (rc == DB_ROW) {
		t = db_column_text(st, 0);
		snprintf(text, text_size, "%s", t != NULL ? (const char *)t : "");
		*value = db_column_int(st, 0);
		rc = DB_OK;
	} else if (rc == DB_DONE)
		rc = DB_INTERNAL;	/* compiled without this pragma */
	db_finalize(st);
	return rc;
}

/* PRAGMA cache_size in KiB (a negative count), read back. */
static int
cache_set(struct db *db, int cache_kib)
{
	char sql[64], answer[32];
	int value = 0, rc;

	/* our own integer, not input: a PRAGMA value cannot be bound */
	snprintf(sql, sizeof(sql), "PRAGMA cache_size = %d", -cache_kib);
	rc = db_exec(db, sql);
	if (rc == DB_OK)
		rc = db_answer(db, "PRAGMA cache_size", answer, sizeof(answer),
		    &value);
	if (rc == DB_OK && value != -cache_kib)
		rc = DB_INTERNAL;
	return rc;
}

/* WAL (set by writers, required of readers), synchronous=FULL, foreign
 * keys, and a writer's page cache; each read back, since SQLite ignores
 * what it cannot do. */
static treasury_err
db_settings(struct store *s, const char *path, char errmsg[STORE_ERRMSG_BYTES])
{
	char answer[32];
	int value = 0;
	int rc;

	rc = db_answer(s->db, s->mode == STORE_READ_ONLY ?
	    "PRAGMA journal_mode" : "PRAGMA journal_mode = WAL",
	    answer, sizeof(answer), &value);
	if (rc != DB_OK)
		return db_fail(s, rc, "cannot set WAL mode on database", path,
		    errmsg);
	if (strcmp(answer, "wal") != 0) {
		store_errmsg_set(errmsg, "database %s is in journal mode %s, not"
		    " wal%s", path, answer, s->mode == STORE_READ_ONLY ?
		    ": run the daemon once to migrate" : "");
		return TREASURY_ERR_DB;
	}
	rc = db_exec(s->db, "PRAGMA synchronous = FULL;"
	    " PRAGMA foreign_keys = ON");
	if (rc == DB_OK)
		rc = db_answer(s->db, "PRAGMA synchronous", answer,
		    sizeof(answer), &value);
	if (rc == DB_OK && value != 2)
		rc = DB_INTERNAL;
	if (rc == DB_OK)
		rc = db_answer(s->db, "PRAGMA foreign_keys", answer,
		    sizeof(answer), &value);
	if (rc == DB_OK && value != 1)
		rc = DB_INTERNAL;
	if (rc == DB_OK && s->mode != STORE_READ_ONLY)
		rc = cache_set(s->db, STORE_WRITER_CACHE_KIB);
	if (rc != DB_OK)
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
column_is_blob(struct db_stmt *st, int col, int bytes)
{
	return db_column_type(st, col) == DB_BLOB &&
	    db_column_bytes(st, col) == bytes;
}

/* Cache the one meta row; anything but exactly one well-formed row is
 * corruption. */
static treasury_err
meta_load(struct store *s, const char *path, char errmsg[STORE_ERRMSG_BYTES])
{
	static const char sql[] =
	    "SELECT instance_id, token_hash_key, created_at FROM meta";
	struct db_stmt *st = NULL;
	treasury_err err;
	int rc;

	rc = db_prepare(s->db, sql, &st);
	if ((rc & 0xff) == DB_ERROR) {	/* no such table */
		err = meta_malformed(path, errmsg);
		goto done;
	}
	if (rc == DB_OK)
		rc = db_step(st);
	if (rc != DB_ROW && rc != DB_DONE) {
		err = db_fail(s, rc, "cannot read database", path, errmsg);
		goto done;
	}
	if (rc != DB_ROW ||
	    !column_is_blob(st, 0, INSTANCE_ID_BYTES) ||
	    !column_is_blob(st, 1, TOKEN_HASH_KEY_BYTES) ||
	    db_column_type(st, 2) != DB_INTEGER) {
		err = meta_malformed(path, errmsg);
		goto done;
	}
	memcpy(s->instance_id, db_column_blob(st, 0), INSTANCE_ID_BYTES);
	memcpy(s->token_hash_key, db_column_blob(st, 1),
	    TOKEN_HASH_KEY_BYTES);
	err = TREASURY_OK;
	if (db_step(st) != DB_DONE)	/* exactly one row */
		err = meta_malformed(path, errmsg);
done:
	db_finalize(st);
	return err;
}

static treasury_err
stmts_prepare(struct store *s, const char *path,
    char errmsg[STORE_ERRMSG_BYTES])
{
	int i, rc;

	for (i = 0; i < STMT_COUNT_; i++) {
		assert(store_stmt_sql[i] != NULL);
		/* SQLite's own (data_version): left NULL, see its user */
		if (s->postgresql && strncmp(store_stmt_sql[i], "PRAGMA", 6) == 0)
			continue;
		rc = db_prepare_persistent(s->db, store_stmt_sql[i], &s->stmt[i]);
		if (rc != DB_OK)
			return db_fail(s, rc, "cannot prepare statements for"
			    " database", path, errmsg);
	}
	return TREASURY_OK;
}

/* The SQLite file at path (file_prepare made or checked it): connect,
 * remember its identity, check its schema, settings, migrate. */
static treasury_err
file_open(struct store *s, const char *path, char errmsg[STORE_ERRMSG_BYTES])
{
	treasury_err err;
	int version = 0;

	err = db_connect(s, path, errmsg);
	if (err == TREASURY_OK)
		err = file_id_take(s, path, errmsg);
	if (err == TREASURY_OK)
		err = store_schema_check(s->db, path, s->mode, &version, errmsg);
	if (err == TREASURY_OK)
		err = db_settings(s, path, errmsg);
	if (err == TREASURY_OK && s->mode != STORE_READ_ONLY)
		err = store_migrate(s->db, path, errmsg);
	return err;
}

treasury_err
store_open(const char *path, enum store_mode mode, struct store **out,
    char errmsg[STORE_ERRMSG_BYTES])
{
	char local[STORE_ERRMSG_BYTES], where[STORE_ERRMSG_BYTES];
	struct store *s = NULL;
	treasury_err err;

	assert(path != NULL);
	assert(out != NULL);
	assert(mode == STORE_READ_WRITE_CREATE || mode == STORE_READ_WRITE ||
	    mode == STORE_READ_ONLY);
	if (errmsg == NULL)
		errmsg = local;
	errmsg[0] = '\0';
	*out = NULL;
	if (!store_path_is_postgresql(path)) {
		err = file_prepare(path, mode, errmsg);
		if (err != TREASURY_OK)
			return err;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		store_errmsg_set(errmsg, "cannot open database %s: %s", path,
		    strerror(ENOMEM));
		return TREASURY_ERR_NOMEM;
	}
	s->mode = mode;
	if (store_path_is_postgresql(path)) {
		store_uri_shown(path, where);	/* never a password */
		err = store_pg_connect(s, path, errmsg);
	} else {
		snprintf(where, sizeof(where), "%s", path);
		err = file_open(s, path, errmsg);
	}
	if (err != TREASURY_OK)
		goto fail;
	err = meta_load(s, where, errmsg);
	if (err != TREASURY_OK)
		goto fail;
	err = stmts_prepare(s, where, errmsg);
	if (err != TREASURY_OK)
		goto fail;
	*out = s;
	return TREASURY_OK;
fail:
	err = open_fail_full(s, path, err, errmsg);
	store_close(s);
	return err;
}

/* Copy what connection db still reads (the deleted or replaced file and
 * its -wal, through descriptors SQLite holds) into a new 0600 file. */
static treasury_err
rescue_copy(struct db *db, const char *to, char errmsg[STORE_ERRMSG_BYTES])
{
	sqlite3_backup *b;
	struct db *dst = NULL;
	int fd, rc;

	fd = open(to, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd < 0) {
		store_errmsg_set(errmsg, "cannot create %s: %s", to,
		    strerror(errno));
		return TREASURY_ERR_IO;
	}
	close(fd);
	rc = db_sqlite_open(to, SQLITE_OPEN_READWRITE, &dst);
	if (rc == DB_OK) {
		b = sqlite3_backup_init(db_sqlite(dst), "main",
		    db_sqlite(db), "main");
		if (b == NULL)
			rc = db_extended_errcode(dst);
		else {
			rc = sqlite3_backup_step(b, -1);	/* all pages */
			if (sqlite3_backup_finish(b) != DB_OK &&
			    rc == DB_DONE)
				rc = db_extended_errcode(dst);
			if (rc == DB_DONE)
				rc = DB_OK;
		}
	}
	if (rc != DB_OK)
		store_errmsg_set(errmsg, "cannot copy into %s: %s", to,
		    dst != NULL ? db_errmsg(dst) : db_errstr(rc));
	if (db_close(dst) != DB_OK && rc == DB_OK)
		rc = DB_IOERR;
	return rc == DB_OK ? TREASURY_OK : TREASURY_ERR_IO;
}

/* Closing a read-write store whose file is no longer at its path would
 * lose what only this process still reads (SQLite checkpoints into the
 * unlinked file and removes the -wal): copy it to "<path>.rescued-<UTC>"
 * first, once per process. */
static void
rescue_if_lost(struct store *s)
{
	static atomic_bool rescued;
	char detail[STORE_ERRMSG_BYTES], to[PATH_MAX + 48], stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	if (s->mode == STORE_READ_ONLY || s->path[0] == '\0' ||
	    s->postgresql ||
	    store_file_check(s, detail) == TREASURY_OK ||
	    atomic_exchange(&rescued, true))
		return;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(to, sizeof(to), "%s.rescued-%s", s->path, stamp);
	if (rescue_copy(s->db, to, detail) != TREASURY_OK) {
		log_msg(LOG_ERR, "database file %s is gone and its content could "
		    "not be saved: %s", s->path, detail);
		unlink(to);
		return;
	}
	log_msg(LOG_ERR, "database file %s is gone: what treasuryd held open "
	    "(every acknowledged write) is saved as %s; check it (treasuryd "
	    "check) and restore it (treasuryd restore)", s->path, to);
}

void
store_close(struct store *s)
{
	int i, rc;

	if (s == NULL)
		return;
	if (s->db != NULL)
		rescue_if_lost(s);
	for (i = 0; i < STMT_COUNT_; i++)
		db_finalize(s->stmt[i]);
	rc = db_close(s->db);
	assert(rc == DB_OK);	/* every statement is finalized */
	(void)rc;
	sodium_memzero(s, sizeof(*s));
	free(s);
}

/* Progress handler of store_quick_check: stop once the deadline passed. */
static int
quick_check_progress(void *arg)
{
	const uint64_t *deadline_ms = arg;

	return clock_mono_ms() >= *deadline_ms;
}

/* Append one finding of quick_check to errmsg. */
static void
quick_check_finding(char errmsg[STORE_ERRMSG_BYTES], const char *path,
    const unsigned char *text, unsigned n)
{
	char prev[STORE_ERRMSG_BYTES];

	snprintf(prev, sizeof(prev), "%s", errmsg);
	if (n == 0)
		store_errmsg_set(errmsg, "database %s fails PRAGMA quick_check: "
		    "%s", path, text != NULL ? (const char *)text : "?");
	else
		store_errmsg_set(errmsg, "%s; %s", prev,
		    text != NULL ? (const char *)text : "?");
}

treasury_err
store_quick_check(struct store *s, unsigned limit_s, bool *cut_short,
    char errmsg[STORE_ERRMSG_BYTES])
{
	char sql[64];	/* a pragma's argument cannot be bound */
	uint64_t deadline_ms = clock_mono_ms() + (uint64_t)limit_s * 1000;
	const unsigned char *text;
	struct db_stmt *st = NULL;
	treasury_err err;
	unsigned n = 0;
	int rc;

	assert(s != NULL && cut_short != NULL && errmsg != NULL);
	*cut_short = false;
	errmsg[0] = '\0';
	if (s->postgresql)
		return TREASURY_OK;	/* the server checks its own pages */
	snprintf(sql, sizeof(sql), "PRAGMA quick_check(%d)",
	    STORE_QUICK_CHECK_FINDINGS_MAX);
	rc = db_prepare(s->db, sql, &st);
	if (rc != DB_OK) {
		err = db_fail(s, rc, "cannot check database", s->path, errmsg);
		goto done;
	}
	if (limit_s > 0)	/* every 10000 virtual machine steps */
		sqlite3_progress_handler(db_sqlite(s->db), 10000, quick_check_progress,
		    &deadline_ms);
	while ((rc = db_step(st)) == DB_ROW) {
		text = db_column_text(st, 0);
		if (n == 0 && text != NULL && strcmp((const char *)text, "ok") == 0)
			continue;
		quick_check_finding(errmsg, s->path, text, n++);
	}
	sqlite3_progress_handler(db_sqlite(s->db), 0, NULL, NULL);
	if (rc == DB_INTERRUPT && n == 0) {
		*cut_short = true;
		err = TREASURY_OK;
	} else if (n > 0 || (rc & 0xff) == DB_CORRUPT ||
	    (rc & 0xff) == DB_NOTADB) {
		if (n == 0)
			store_errmsg_set(errmsg, "database %s fails PRAGMA "
			    "quick_check: %s", s->path, db_errmsg(s->db));
		err = TREASURY_ERR_DB_CORRUPT;
	} else if (rc != DB_DONE)
		err = db_fail(s, rc, "cannot check database", s->path, errmsg);
	else
		err = TREASURY_OK;
done:
	db_finalize(st);
	return err;
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
