/*
 * backup.c: the online backup (maintenance.h), and the read-only
 * connection that backup and check (check.c) open on a database.
 *
 * The SQLite backup API copies every page of the source in one step, that
 * is, inside one read transaction: in WAL mode a consistent snapshot that
 * the daemon's writer never waits for. The copy goes to a temporary file
 * (mkstemp, 0600) in the destination's directory, is made a self-contained
 * rollback-journal database, verified with integrity_check and fsynced
 * before it is linked into place, so a backup that exists is complete.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "treasury/maintenance.h"

#include "db_sqlite.h"
#include "store_int.h"

treasury_err
store_open_maintenance(const char *path, enum store_mode mode, struct db **out,
    char errmsg[STORE_ERRMSG_BYTES])
{
	int flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX |
	    SQLITE_OPEN_EXRESCODE;
	struct stat st;
	treasury_err err;
	int rc, version = 0;

	*out = NULL;
	if (store_path_is_postgresql(path)) {
		if (mode == STORE_READ_ONLY)	/* check, audit verify */
			return store_pg_open_maintenance(path, out, errmsg);
		store_errmsg_set(errmsg, "this command works on an SQLite "
		    "database file; a PostgreSQL database is backed up and "
		    "restored with PostgreSQL's own tools "
		    "(docs/operations.md, \"PostgreSQL\")");
		return TREASURY_ERR_DB_OPEN;
	}
	if (stat(path, &st) != 0) {
		store_errmsg_set(errmsg, "cannot open database %s: %s", path,
		    strerror(errno));
		return TREASURY_ERR_DB_OPEN;
	}
	if (!S_ISREG(st.st_mode)) {
		store_errmsg_set(errmsg, "database %s is not a regular file",
		    path);
		return TREASURY_ERR_DB_OPEN;
	}
	rc = db_sqlite_open(path, flags, out);
	if (rc == DB_OK)
		rc = sqlite3_busy_timeout(db_sqlite(*out), STORE_BUSY_TIMEOUT_MS);
	if (rc == DB_OK)
		rc = sqlite3_db_config(db_sqlite(*out), SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0,
		    NULL);
	if (rc != DB_OK) {
		store_errmsg_set(errmsg, "cannot open database %s: %s", path,
		    *out != NULL ? db_errmsg(*out) : db_errstr(rc));
		err = TREASURY_ERR_DB_OPEN;
		goto fail;
	}
	err = store_schema_check(*out, path, mode, &version, errmsg);
	if (err == TREASURY_OK && version == 0) {
		store_errmsg_set(errmsg, "database %s is empty", path);
		err = TREASURY_ERR_DB_CORRUPT;
	}
	if (err != TREASURY_OK)
		goto fail;
	return TREASURY_OK;
fail:
	db_close(*out);
	*out = NULL;
	return err;
}

treasury_err
store_integrity_check(struct db *db, void (*finding)(const char *, void *),
    void *ctx, unsigned long *findings)
{
	struct db_stmt *st = NULL;
	const char *row;
	int rc;

	rc = db_prepare(db, "PRAGMA integrity_check", &st);
	while (rc == DB_OK && (rc = db_step(st)) == DB_ROW) {
		row = (const char *)db_column_text(st, 0);
		if (row != NULL && strcmp(row, "ok") == 0)
			continue;
		(*findings)++;
		if (finding != NULL)
			finding(row != NULL ? row : "(null)", ctx);
		rc = DB_OK;
	}
	db_finalize(st);
	return rc == DB_DONE ? TREASURY_OK : store_err_from_rc(rc);
}

/* fsync the directory that holds path. */
static int
dir_fsync(const char *path)
{
	char copy[PATH_MAX];
	int fd, rc;

	if (snprintf(copy, sizeof(copy), "%s", path) >= (int)sizeof(copy))
		return -1;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* fsync a closed regular file by name; *bytes gets its size. O_NONBLOCK:
 * whatever took the name meanwhile, opening it never waits. */
static int
file_fsync(const char *path, int64_t *bytes)
{
	struct stat st;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0)
		goto done;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto done;
	}
	rc = fsync(fd);
	if (rc == 0)
		*bytes = (int64_t)st.st_size;
done:
	close(fd);
	return rc;
}

/* Copy src into the (empty) database file tmp and verify the copy. */
static treasury_err
backup_copy(struct db *src, const char *tmp, char errmsg[STORE_ERRMSG_BYTES])
{
	struct db *dst = NULL;
	sqlite3_backup *b;
	unsigned long findings = 0;
	treasury_err err = TREASURY_ERR_IO;
	int rc;

	rc = db_sqlite_open(tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
	    SQLITE_OPEN_EXRESCODE, &dst);
	if (rc != DB_OK)
		goto sqlite_fail;
	b = sqlite3_backup_init(db_sqlite(dst), "main", db_sqlite(src),
	    "main");
	if (b == NULL)
		goto sqlite_fail;
	rc = sqlite3_backup_step(b, -1);	/* every page, one snapshot */
	sqlite3_backup_finish(b);
	if (rc != DB_DONE)
		goto sqlite_fail;
	rc = db_exec(dst, "PRAGMA journal_mode = DELETE;"
	    " PRAGMA synchronous = FULL");
	if (rc != DB_OK)
		goto sqlite_fail;
	err = store_integrity_check(dst, NULL, NULL, &findings);
	if (err == TREASURY_OK && findings > 0) {
		store_errmsg_set(errmsg, "the copy failed integrity_check (%lu "
		    "problems): run treasuryd check on the source", findings);
		err = TREASURY_ERR_DB_CORRUPT;
	} else if (err != TREASURY_OK) {
		store_errmsg_set(errmsg, "cannot verify the copy: %s",
		    db_errmsg(dst));
	}
	rc = db_close(dst);
	assert(rc == DB_OK);
	return err;
sqlite_fail:
	store_errmsg_set(errmsg, "cannot copy the database: %s",
	    dst != NULL ? db_errmsg(dst) : db_errstr(rc));
	db_close(dst);
	return store_err_from_rc(rc) == TREASURY_ERR_DB_CORRUPT ?
	    TREASURY_ERR_DB_CORRUPT : TREASURY_ERR_IO;
}

treasury_err
store_backup(const char *src_path, const char *dst_path, int64_t *bytes_out,
    char errmsg[STORE_ERRMSG_BYTES])
{
	char tmp[PATH_MAX];
	struct db *src = NULL;
	struct stat st;
	treasury_err err;
	int64_t bytes = 0;
	int fd;

	errmsg[0] = '\0';
	if (lstat(dst_path, &st) == 0) {
		store_errmsg_set(errmsg, "%s exists: a backup never replaces a "
		    "file; choose a new name", dst_path);
		return TREASURY_ERR_CONFLICT;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", dst_path) >=
	    (int)sizeof(tmp)) {
		store_errmsg_set(errmsg, "%s: path too long", dst_path);
		return TREASURY_ERR_IO;
	}
	err = store_open_maintenance(src_path, STORE_READ_WRITE, &src, errmsg);
	if (err != TREASURY_OK)
		return err;
	fd = mkstemp(tmp);		/* 0600 */
	if (fd < 0) {
		store_errmsg_set(errmsg, "cannot create %s: %s", tmp,
		    strerror(errno));
		db_close(src);
		return TREASURY_ERR_IO;
	}
	close(fd);
	err = backup_copy(src, tmp, errmsg);
	db_close(src);
	if (err != TREASURY_OK)
		goto fail;
	err = TREASURY_ERR_IO;
	if (file_fsync(tmp, &bytes) != 0 || link(tmp, dst_path) != 0) {
		store_errmsg_set(errmsg, "cannot write %s: %s", dst_path,
		    strerror(errno));
		goto fail;
	}
	unlink(tmp);
	if (dir_fsync(dst_path) != 0) {
		store_errmsg_set(errmsg, "cannot fsync the directory of %s: %s",
		    dst_path, strerror(errno));
		return TREASURY_ERR_IO;
	}
	if (bytes_out != NULL)
		*bytes_out = bytes;
	return TREASURY_OK;
fail:
	unlink(tmp);
	return err;
}
