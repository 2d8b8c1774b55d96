/*
 * maint_cmd.c: the operator's maintenance commands, safe beside a running
 * daemon except where they say otherwise:
 *
 *   treasuryd backup --db PATH --out FILE    online, consistent copy
 *   treasuryd check --db PATH                integrity and invariants
 *   treasuryd restore --db PATH --from FILE  only while no daemon runs
 *
 * restore holds the database lock (listener.c) for its whole run, so it
 * refuses a database a daemon is serving and no daemon can start on it
 * half-way. It stages the copy beside the database, migrates it to this
 * build's schema and checks it, moves the old database
 * (with its -wal file, which may hold committed transactions) aside under
 * a dated name, and renames the copy into place: at every instant the
 * path names a complete database.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "treasury/crypto_init.h"
#include "treasury/log.h"
#include "treasury/maintenance.h"

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
	    "       treasuryd restore --db PATH --from FILE\n");
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
	    "balances, %lu ledger entries, %lu executed proposals, %lu "
	    "approvals verified)\n", path, r.findings, r.treasuries,
	    r.balances, r.ledger_entries, r.executed, r.votes_verified);
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

/* Rename from -> to when from exists. Returns 0, or -1 after logging. */
static int
rename_if_exists(const char *from, const char *to)
{
	if (rename(from, to) == 0 || errno == ENOENT)
		return 0;
	log_msg(LOG_ERR, "restore: cannot rename %s to %s: %s", from, to,
	    strerror(errno));
	return -1;
}

/* Move the database and its -wal aside as "<db>.pre-restore-<time>";
 * the -shm index is rebuilt by SQLite and simply removed. */
static int
old_database_aside(const char *db, char *aside, size_t aside_size)
{
	char from[PATH_MAX + 8], to[PATH_MAX + 8], stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	if (snprintf(aside, aside_size, "%s.pre-restore-%s", db, stamp) >=
	    (int)aside_size)
		return -1;
	snprintf(from, sizeof(from), "%s-wal", db);
	snprintf(to, sizeof(to), "%s-wal", aside);
	if (rename_if_exists(db, aside) != 0 || rename_if_exists(from, to) != 0)
		return -1;
	snprintf(from, sizeof(from), "%s-shm", db);
	if (unlink(from) != 0 && errno != ENOENT)
		log_warn("restore: cannot remove %s", from);
	return 0;
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
	if (db_lock_open(a.db_path, &lock) != 0) {
		log_msg(LOG_ERR, "restore refused: stop treasuryd first");
		return 1;
	}
	if (unlink(staged) != 0 && errno != ENOENT)
		log_warn("restore: cannot remove the stale %s", staged);
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
