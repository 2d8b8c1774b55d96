/*
 * daemon.h: what the daemon's files share: subcommands, first-run setup,
 * the listener (configured or passed by systemd) and the database lock.
 */
#ifndef TREASURYD_DAEMON_H
#define TREASURYD_DAEMON_H

#include <stdbool.h>
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
int check_command(int argc, char *argv[]);

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

/* Take the exclusive lock on "<db_path>.lock" (made 0600 if missing) that
 * marks a database as in use by a running daemon, waiting for it when
 * `wait`, else failing at once. Returns 0 with *fd_out holding the lock
 * (released by close or exit), or -1 after logging (a held lock is
 * reported as "in use by a running treasuryd"). */
int db_lock_open(const char *db_path, bool wait, int *fd_out);

/* On a database without tokens, make an "admin" token and write it to
 * cfg->admin_token_file (0600, fsynced). Returns 0, or -1 after logging. */
int first_run_admin_token(const struct config *cfg, struct store *store);

/* fsync the directory holding path so that a rename in it is durable.
 * Returns 0 or -1 (errno). */
int fsync_parent_dir(const char *path);

#endif
