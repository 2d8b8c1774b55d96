/*
 * config.h: the daemon's configuration.
 *
 * Every option is defined once, in the table in config.c, with its name,
 * type, default and range. Values come from the defaults, then the config
 * file, then the command line, each overriding the one before.
 */
#ifndef TREASURYD_CONFIG_H
#define TREASURYD_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

enum {
	CONFIG_FILE_MAX_BYTES = 64 * 1024,
	CONFIG_LINE_MAX_BYTES = 1024,
	CONFIG_TEXT_MAX_BYTES = 256,	/* addresses and levels */
};

struct config {
	char listen[CONFIG_TEXT_MAX_BYTES];	/* ADDR:PORT as given */
	struct sockaddr_storage listen_addr;	/* parsed from listen */
	socklen_t listen_addr_len;
	char db_path[PATH_MAX];
	char admin_token_file[PATH_MAX];	/* "" = beside the database */
	unsigned threads;
	unsigned max_connections;
	unsigned per_ip_connections;
	unsigned connection_timeout_s;
	unsigned connection_memory_bytes;
	unsigned body_max_bytes;
	unsigned json_depth_max;
	unsigned request_timeout_s;
	unsigned sse_max_streams;
	unsigned sse_heartbeat_s;
	unsigned memory_answers_ms;	/* api/cache.c's trust bound */
	unsigned idempotency_retention_s;
	unsigned maintenance_interval_s;
	unsigned shutdown_timeout_s;
	unsigned start_check_timeout_s;		/* 0: no quick_check */
	char journal_key[PATH_MAX];		/* "" = beside the database */
	unsigned checkpoint_entries;
	unsigned checkpoint_interval_s;
	int log_level;				/* syslog priority */
	char tls_cert[PATH_MAX];		/* "" = plain HTTP */
	char tls_key[PATH_MAX];
	char tls_client_ca[PATH_MAX];		/* "" = no client certs */
	unsigned tls_min_version;		/* 13 (TLS 1.3) or 12 */
	/* webhooks (docs/webhooks.md): "" = no endpoint may be registered */
	char webhook_hosts[CONFIG_LINE_MAX_BYTES];
	unsigned webhook_retry_base_ms;
	unsigned webhook_attempts_max;
};

/* Fill cfg with every option's default (always valid). */
void config_defaults(struct config *cfg);

/* Set option `name` from text. `where` ("FILE:LINE" or "command line")
 * prefixes any error message, which is logged at LOG_ERR.
 * Returns 0 on success, -1 on error. */
int config_set(struct config *cfg, const char *name, const char *value,
    const char *where);

/* Read `path` and apply each "name = value" line. Every error is logged
 * with file:line; parsing goes on after an error so that all are reported.
 * Returns the number of errors (0 = success). */
int config_load_file(struct config *cfg, const char *path);

/* Print every option with its default and range (for --help). */
void config_print_options(void);

/* Whether ss is an IPv4 address in 127.0.0.0/8 or the IPv6 ::1. */
bool config_addr_is_loopback(const struct sockaddr_storage *ss);

/* SIGHUP: compare a freshly loaded config `next` with the `running` one.
 * Options that apply live (the table says which: log_level,
 * body_max_bytes, shutdown_timeout, idempotency_retention,
 * maintenance_interval) are copied into running; the others
 * keep their running value. changed(name, live, ctx) is called for each
 * option whose value differs. The caller then applies the live values.
 * Returns the number of changed options that need a restart. */
unsigned config_reload(struct config *running, const struct config *next,
    void (*changed)(const char *name, bool live, void *ctx), void *ctx);

/* Resolve derived values (the admin token file and the journal key
 * beside the database) and
 * check what single options cannot: tls_cert and tls_key together, and a
 * non-loopback listen address only with TLS. Returns 0, or -1 after
 * logging an error. */
int config_finish(struct config *cfg);

/* A PostgreSQL URI that holds a secret (a password, as libpq reads it:
 * the URI is in the configuration, the process list and the logs;
 * secrets go in a password file) or that libpq cannot read: -1 after
 * logging why, never the URI itself; else 0. */
int config_db_uri_refused(const char *uri);

#endif
