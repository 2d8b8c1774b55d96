/*
 * maint_cmd.c: the operator's maintenance commands, safe beside a running
 * daemon except where they say otherwise:
 *
 *   treasuryd backup --db PATH --out FILE    online, consistent copy
 *   treasuryd check --db PATH                integrity and invariants
 *   treasuryd restore --db PATH --from FILE  only while no daemon runs
 *   treasuryd migrate --from FILE --to URI   only while no daemon serves
 *                                            FILE: into a new PostgreSQL
 *                                            database, verified
 *
 * restore holds the database lock (listener.c) for its whole run, so it
 * refuses a database a daemon is serving and no daemon can start on it
 * half-way. It first removes what an interrupted restore left (the staged
 * copy and the backup's temporary files: restore_leftovers_remove; the
 * daemon does the same at start). It stages the copy beside the database,
 * migrates it to this build's schema and checks it, keeps the old
 * database (with its -wal file, which may hold committed transactions)
 * under a dated name that no file has (link(2), with a ".N" counter when
 * the second is taken: never overwriting an earlier restore's copy), and
 * renames the copy into place: at every instant the path names a complete
 * database.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "treasury/crypto_init.h"
#include "treasury/log.h"
#include "treasury/maintenance.h"

#include "config.h"
#include "daemon.h"

struct maint_args {
	const char *db_path;
	const char *file;	/* --out for backup, --from for restore */
};

static void
maint_usage(void)
{
	fprintf(stderr,
	    "usage: treasuryd backup --db PATH --out FILE\n"
	    "       treasuryd check --db PATH\n"
	    "       treasuryd restore --db PATH --from FILE\n"
	    "       treasuryd migrate --from FILE --to postgresql://...\n");
}

/* Parse --db and, when file_opt is not NULL, --<file_opt> (required). */
static int
maint_args_parse(int argc, char *argv[], const char *file_opt,
    struct maint_args *a)
{
	struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ file_opt != NULL ? file_opt : "db", required_argument, NULL,
		  file_opt != NULL ? 'f' : 'd' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	a->db_path = NULL;
	a->file = NULL;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd': a->db_path = optarg; break;
		case 'f': a->file = optarg; break;
		default: return -1;
		}
	}
	if (optind != argc || a->db_path == NULL ||
	    (file_opt != NULL && a->file == NULL)) {
		return -1;
	}
	if (store_path_is_postgresql(a->db_path) &&
	    config_db_uri_refused(a->db_path) != 0)
		return -1;	/* a password in it: why is logged */
	if (file_opt != NULL && store_path_is_postgresql(a->db_path)) {
		fprintf(stderr, "treasuryd: backup and restore work on an "
		    "SQLite database file; a PostgreSQL database is backed "
		    "up and restored with PostgreSQL's tools (pg_dump, "
		    "pg_basebackup): docs/operations.md, \"PostgreSQL\"\n");
		return -1;
	}
	return 0;
}

int
backup_command(int argc, char *argv[])
{
	char errmsg[STORE_ERRMSG_BYTES];
	struct maint_args a;
	int64_t bytes = 0;

	if (maint_args_parse(argc, argv, "out", &a) != 0) {
		maint_usage();
		return 2;
	}
	if (store_backup(a.db_path, a.file, &bytes, errmsg) != TREASURY_OK) {
		log_msg(LOG_ERR, "backup failed: %s", errmsg);
		return 1;
	}
	fprintf(stderr, "backup: %s -> %s (%lld bytes, mode 0600, fsynced, "
	    "integrity_check ok)\n", a.db_path, a.file, (long long)bytes);
	return 0;
}

static void
finding_print(const char *text, void *ctx)
{
	(void)ctx;
	printf("finding: %s\n", text);
}

/* Run the checks on path. Returns 0 clean, 1 findings or failure. */
static int
check_run(const char *path)
{
	char errmsg[STORE_ERRMSG_BYTES];
	struct check_report r;
	treasury_verifier *v;
	treasury_err err;

	if (treasury_crypto_init() != TREASURY_OK)
		fatalx("libsodium initialisation failed");
	v = treasury_verifier_create();
	if (v == NULL)
		fatalx("cannot create the signature verifier");
	err = store_check(path, v, finding_print, NULL, &r, errmsg);
	treasury_verifier_destroy(v);
	fflush(stdout);
	if (err != TREASURY_OK) {
		log_msg(LOG_ERR, "check failed: %s", errmsg);
		return 1;
	}
	fprintf(stderr, "check: %s: %lu findings (%lu treasuries, %lu "
	    "balances, %lu ledger entries, %lu proposals, %lu executed "
	    "proposals, %lu approvals verified, %lu other signatures "
	    "verified, %lu journal entries)\n", path, r.findings,
	    r.treasuries, r.balances, r.ledger_entries, r.proposals,
	    r.executed, r.votes_verified, r.acts_verified,
	    r.journal_entries);
	if (r.skipped > 0)
		fprintf(stderr, "check: not checked on PostgreSQL: SQLite's "
		    "integrity_check and foreign_key_check (the server keeps "
		    "its own pages and enforces the schema's foreign keys on "
		    "every write)\n");
	return r.findings == 0 ? 0 : 1;
}

int
check_command(int argc, char *argv[])
{
	struct maint_args a;

	if (maint_args_parse(argc, argv, NULL, &a) != 0) {
		maint_usage();
		return 2;
	}
	return check_run(a.db_path);
}

enum { ASIDE_NAMES_MAX = 1000 };	/* "<db>.pre-restore-<time>[.N]" */

/* "<db>.pre-restore-<stamp>", then ".1", ".2", ... for the n-th try. */
static int
aside_name(const char *db, const char *stamp, unsigned n, char *out,
    size_t size)
{
	int len = n == 0 ?
	    snprintf(out, size, "%s.pre-restore-%s", db, stamp) :
	    snprintf(out, size, "%s.pre-restore-%s.%u", db, stamp, n);

	return len < 0 || (size_t)len >= size ? -1 : 0;
}

/* Give the database file a new name "<db>.pre-restore-<time>[.N]" that no
 * file has, neither it nor its "-wal": link(2) never replaces a file, so a
 * second restore in the same second takes ".1" instead of overwriting the
 * first one's copy. Returns 0, or -1 after logging. */
static int
aside_link(const char *db, char *aside, size_t aside_size)
{
	char stamp[32], wal[PATH_MAX + 8];
	time_t now = time(NULL);
	struct stat st;
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	for (unsigned n = 0; n < ASIDE_NAMES_MAX; n++) {
		if (aside_name(db, stamp, n, aside, aside_size) != 0 ||
		    snprintf(wal, sizeof(wal), "%s-wal", aside) >=
		    (int)sizeof(wal)) {
			log_msg(LOG_ERR, "restore: %s: path too long", db);
			return -1;
		}
		if (lstat(wal, &st) == 0)
			continue;		/* its -wal name is taken */
		if (link(db, aside) == 0)
			return 0;
		if (errno != EEXIST) {
			log_msg(LOG_ERR, "restore: cannot link %s to %s: %s", db,
			    aside, strerror(errno));
			return -1;
		}
	}
	log_msg(LOG_ERR, "restore: %d files named %s.pre-restore-%s*: remove "
	    "old ones", ASIDE_NAMES_MAX, db, stamp);
	return -1;
}

/* Keep the database and its -wal (which may hold committed transactions)
 * as "<db>.pre-restore-<time>[.N]" and "...-wal", never replacing a file;
 * then remove the -wal and -shm names of db, which must not meet the
 * restored file. db itself still names the old file until the caller
 * renames the restored copy over it. Returns 0, or -1 after logging (then
 * nothing of db was removed). */
static int
old_database_aside(const char *db, char *aside, size_t aside_size)
{
	char from[PATH_MAX + 8], to[PATH_MAX + 8];

	if (aside_link(db, aside, aside_size) != 0)
		return -1;
	snprintf(from, sizeof(from), "%s-wal", db);
	snprintf(to, sizeof(to), "%s-wal", aside);
	if (link(from, to) != 0 && errno != ENOENT) {
		log_msg(LOG_ERR, "restore: cannot link %s to %s: %s", from, to,
		    strerror(errno));
		unlink(aside);
		return -1;
	}
	if (unlink(from) != 0 && errno != ENOENT) {
		log_msg(LOG_ERR, "restore: cannot remove %s: %s", from,
		    strerror(errno));
		return -1;
	}
	snprintf(from, sizeof(from), "%s-shm", db);
	if (unlink(from) != 0 && errno != ENOENT)
		log_warn("restore: cannot remove %s", from);
	return 0;
}

/* The restore failed after old_database_aside: give the old database its
 * -wal again (db still names the old file), so that nothing committed is
 * missing from it. */
static void
wal_put_back(const char *db, const char *aside)
{
	char from[PATH_MAX + 8], to[PATH_MAX + 8];

	snprintf(from, sizeof(from), "%s-wal", aside);
	snprintf(to, sizeof(to), "%s-wal", db);
	if (link(from, to) != 0 && errno != ENOENT)
		log_msg(LOG_ERR, "restore: cannot link %s back to %s: %s; do it "
		    "by hand before starting treasuryd", from, to,
		    strerror(errno));
}

/* Whether name (in the database's directory) is a file an interrupted
 * restore of the database whose file name is base leaves: the staged copy
 * "<base>.restoring", its "-wal", "-shm" and "-journal", and the backup's
 * temporary "<base>.restoring.tmp-XXXXXX" (mkstemp) with its "-journal". */
static bool
restore_leftover_name(const char *name, const char *base)
{
	static const char staged[] = ".restoring", tmp[] = ".tmp-";
	static const char *const suffixes[] = { "", "-wal", "-shm",
	    "-journal" };
	size_t base_len = strlen(base);
	const char *rest;

	if (strncmp(name, base, base_len) != 0 ||
	    strncmp(name + base_len, staged, sizeof(staged) - 1) != 0)
		return false;
	rest = name + base_len + sizeof(staged) - 1;
	if (strncmp(rest, tmp, sizeof(tmp) - 1) == 0) {
		rest += sizeof(tmp) - 1;
		/* mkstemp's six characters */
		if (strspn(rest, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789") != 6)
			return false;
		rest += 6;
	}
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
		if (strcmp(rest, suffixes[i]) == 0)
			return true;
	return false;
}

int
restore_leftovers_remove(const char *db_path)
{
	char dir[PATH_MAX], path[PATH_MAX];
	const char *slash = strrchr(db_path, '/'), *base;
	struct dirent *e;
	struct stat st;
	DIR *d;
	int n, removed = 0;

	base = slash != NULL ? slash + 1 : db_path;
	n = slash == NULL ? snprintf(dir, sizeof(dir), ".") :
	    snprintf(dir, sizeof(dir), "%.*s", (int)(slash - db_path) > 0 ?
	    (int)(slash - db_path) : 1, db_path);
	if (n < 0 || (size_t)n >= sizeof(dir) || *base == '\0')
		return 0;
	d = opendir(dir);
	if (d == NULL) {
		log_warn("cannot look for the leftovers of a restore in %s", dir);
		return 0;
	}
	while ((e = readdir(d)) != NULL) {
		if (!restore_leftover_name(e->d_name, base))
			continue;
		n = snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (n < 0 || (size_t)n >= sizeof(path) ||
		    lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;	/* never a link, directory or device */
		if (unlink(path) != 0) {
			log_warn("cannot remove %s, left by an interrupted "
			    "restore", path);
			continue;
		}
		log_msg(LOG_NOTICE, "removed %s (%lld bytes), left by an "
		    "interrupted restore", path, (long long)st.st_size);
		removed++;
	}
	closedir(d);
	return removed;
}

/* The check's read-only connection leaves an empty -wal and a -shm beside
 * the staged copy (it may not delete them); the copy itself is complete,
 * its last writer having checkpointed on close. */
static void
side_files_remove(const char *staged)
{
	char side[PATH_MAX + 8];
	struct stat st;

	snprintf(side, sizeof(side), "%s-wal", staged);
	if (stat(side, &st) == 0 && st.st_size == 0)
		unlink(side);
	snprintf(side, sizeof(side), "%s-shm", staged);
	unlink(side);
}

int
restore_command(int argc, char *argv[])
{
	char errmsg[STORE_ERRMSG_BYTES];
	char staged[PATH_MAX], aside[PATH_MAX] = "";
	uint8_t instance[INSTANCE_ID_BYTES];
	struct maint_args a;
	struct store *s = NULL;
	struct db_lock lock;
	struct stat st;
	int rc = 1;

	if (maint_args_parse(argc, argv, "from", &a) != 0) {
		maint_usage();
		return 2;
	}
	if (snprintf(staged, sizeof(staged), "%s.restoring", a.db_path) >=
	    (int)sizeof(staged))
		return 1;
	/* link(2) and rename(2) below act on the name itself: through a
	 * symbolic link they would replace the link, not the database */
	if (lstat(a.db_path, &st) == 0 && S_ISLNK(st.st_mode)) {
		log_msg(LOG_ERR, "restore refused: %s is a symbolic link; give"
		    " the path of the database itself", a.db_path);
		return 1;
	}
	if (db_lock_open(a.db_path, &lock) != 0) {
		log_msg(LOG_ERR, "restore refused: stop treasuryd first");
		return 1;
	}
	(void)restore_leftovers_remove(a.db_path);
	if (store_backup(a.file, staged, NULL, errmsg) != TREASURY_OK) {
		log_msg(LOG_ERR, "restore failed: %s", errmsg);
		goto done;
	}
	/* Bring an older backup to this build's schema, as a start would. */
	if (store_open(staged, STORE_READ_WRITE, &s, errmsg) != TREASURY_OK) {
		log_msg(LOG_ERR, "restore failed: %s", errmsg);
		unlink(staged);
		goto done;
	}
	store_instance_id(s, instance);	/* recorded in the lock file below */
	store_close(s);
	if (check_run(staged) != 0) {
		log_msg(LOG_ERR, "restore refused: %s does not pass treasuryd "
		    "check; %s is unchanged", a.file, a.db_path);
		unlink(staged);
		goto done;
	}
	side_files_remove(staged);
	if (stat(a.db_path, &st) == 0 &&
	    old_database_aside(a.db_path, aside, sizeof(aside)) != 0) {
		unlink(staged);
		goto done;
	}
	if (rename(staged, a.db_path) != 0) {
		log_msg(LOG_ERR, "restore: cannot rename %s to %s: %s", staged,
		    a.db_path, strerror(errno));
		if (aside[0] != '\0')
			wal_put_back(a.db_path, aside);
		unlink(staged);
		goto done;
	}
	if (fsync_parent_dir(a.db_path) != 0)
		log_warn("restore: cannot fsync the directory of %s", a.db_path);
	if (db_lock_record(&lock, instance) != 0)	/* the instance served here */
		goto done;
	fprintf(stderr, "restore: %s restored to %s%s%s\n", a.file, a.db_path,
	    aside[0] != '\0' ? "; the previous database is kept as " : "",
	    aside);
	rc = 0;
done:
	db_lock_close(&lock);	/* releases the locks */
	return rc;
}

/* treasuryd migrate --from FILE --to URI: FILE (no daemon serving it:
 * its lock is held throughout) copied into the new PostgreSQL database
 * URI and verified (storage/migrate.c). */
int
migrate_command(int argc, char *argv[])
{
	struct option longopts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	char errmsg[STORE_ERRMSG_BYTES];
	const char *from = NULL, *to = NULL;
	struct migrate_report r;
	struct db_lock lock;
	int ch, rc = 1;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f': from = optarg; break;
		case 't': to = optarg; break;
		default: maint_usage(); return 2;
		}
	}
	if (optind != argc || from == NULL || to == NULL ||
	    store_path_is_postgresql(from) || !store_path_is_postgresql(to)) {
		maint_usage();
		return 2;
	}
	if (config_db_uri_refused(to) != 0)
		return 2;	/* why is logged */
	if (treasury_crypto_init() != TREASURY_OK)
		return 1;
	if (db_lock_open(from, &lock) != 0) {
		log_msg(LOG_ERR, "migrate refused: stop the treasuryd serving "
		    "%s first", from);
		return 1;
	}
	if (store_migrate_to_pg(from, to, &r, errmsg) != TREASURY_OK)
		log_msg(LOG_ERR, "migrate failed: %s", errmsg);
	else {
		fprintf(stderr, "migrate: %s copied and verified: %u tables, "
		    "%lld rows, identical on both sides. Copy its journal.key "
		    "to where the daemon serving the new database reads it "
		    "(journal_key; ./var/journal.key by default), then start "
		    "treasuryd with db = the URI\n", from, r.tables,
		    (long long)r.rows);
		rc = 0;
	}
	db_lock_close(&lock);
	return rc;
}
