/*
 * daemon.h: what the daemon's files share: subcommands, first-run setup,
 * the listener (configured or passed by systemd) and the database lock.
 */
#ifndef TREASURYD_DAEMON_H
#define TREASURYD_DAEMON_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "treasury/storage.h"

#include "config.h"

/* `treasuryd token create|list|revoke ...`; argv[0] is "token".
 * Returns the process exit code. */
int token_command(int argc, char *argv[]);

/* `treasuryd backup|restore|check ...`; argv[0] is the subcommand.
 * Returns the process exit code (0 success, 1 failure or findings,
 * 2 usage). */
int backup_command(int argc, char *argv[]);
int restore_command(int argc, char *argv[]);
int migrate_command(int argc, char *argv[]);
int check_command(int argc, char *argv[]);

/* `treasuryd audit verify --db PATH [--pubkey HEX | --key FILE]
 * [--config FILE] [--checkpoint-entries N]` (audit_cmd.c); argv[0] is "audit". Returns 0 when the
 * journal and the database pass, 1 on a finding or failure, 2 usage. */
int audit_command(int argc, char *argv[]);

/* Remove, from the directory of db_path, the files an interrupted restore
 * of that database leaves ("<db>.restoring", its -wal/-shm/-journal, and
 * "<db>.restoring.tmp-XXXXXX" with its -journal): regular files only, each
 * logged at LOG_NOTICE with its size. Call it only while holding the
 * database lock (db_lock_open), as restore and the daemon do, so that no
 * restore is running. Returns the number of files removed. */
int restore_leftovers_remove(const char *db_path);

/* Where HTTP is served: a socket passed by systemd, or the configured
 * address. */
struct listener {
	int fd;				/* passed listening socket, or -1 */
	struct sockaddr_storage addr;	/* its address, or cfg->listen_addr */
	char text[CONFIG_TEXT_MAX_BYTES];	/* the address for log lines */
};

/* Take a socket passed by systemd (sd_listen_fds) if there is one: it must
 * be exactly one listening TCP socket, on a loopback address unless TLS
 * is configured; it is made
 * non-blocking. Otherwise fill l from cfg's listen address.
 * Returns 0, or -1 after logging why the passed sockets are refused. */
int listener_setup(const struct config *cfg, struct listener *l);

/* The database lock (listener.c): held for the life of the process. */
struct db_lock {
	int name_fd;			/* "<db>.lock", locked: the path */
	int file_fd;			/* the database file, locked: its
					 * identity; -1 while it does not exist */
	struct store_file_id id;	/* of file_fd */
	char db_path[PATH_MAX];		/* as configured */
	char lock_path[PATH_MAX];	/* "<db, links resolved>.lock" */
	bool recorded;			/* the lock file names an instance: */
	uint8_t instance[INSTANCE_ID_BYTES];
};

/* Take the exclusive lock on "<db_path>.lock" (symbolic links in db_path
 * resolved; made 0600 if missing), read the instance it records, and,
 * when the database file exists, lock the file itself (db_lock_file).
 * Fails at once when either is held. Returns 0 with *l holding the locks
 * (released by db_lock_close or exit), or -1 after logging (a held lock is
 * reported as "in use by a running treasuryd", naming the other daemon's
 * path when it reached the file by another name). */
int db_lock_open(const char *db_path, struct db_lock *l);

/* Lock the database file (it must exist now), keyed on its identity.
 * Returns 0 with l->file_fd and l->id set, or -1 after logging. */
int db_lock_file(struct db_lock *l);

/* Record instance in the lock file (fsynced). Returns 0, or -1 after
 * logging. */
int db_lock_record(struct db_lock *l, const uint8_t instance[INSTANCE_ID_BYTES]);

/* Release both locks. Only after every database connection of the
 * process is closed (see listener.c). */
void db_lock_close(struct db_lock *l);

/* On a database without tokens, make an "admin" token and write it to
 * cfg->admin_token_file (0600, fsynced). Returns 0, or -1 after logging. */
int first_run_admin_token(const struct config *cfg, struct store *store);

/* fsync the directory holding path so that a rename in it is durable.
 * Returns 0 or -1 (errno). */
int fsync_parent_dir(const char *path);

#endif
