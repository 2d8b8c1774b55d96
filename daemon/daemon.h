/*
 * daemon.h: what the daemon's files share: subcommands and first-run setup.
 */
#ifndef TREASURYD_DAEMON_H
#define TREASURYD_DAEMON_H

#include "treasury/storage.h"

#include "config.h"

/* `treasuryd token create|list|revoke ...`; argv[0] is "token".
 * Returns the process exit code. */
int token_command(int argc, char *argv[]);

/* On a database without tokens, make an "admin" token and write it to
 * cfg->admin_token_file (0600, fsynced). Returns 0, or -1 after logging. */
int first_run_admin_token(const struct config *cfg, struct store *store);

/* Current UTC time in seconds. */
int64_t now_unix_s(void);

#endif
