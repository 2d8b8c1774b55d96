/*
 * api.h: the HTTP server (libmicrohttpd, internal thread pool on epoll).
 *
 * The daemon fills struct api_options from its config and the opened
 * database, then calls api_start. Request threads open their own read-only
 * database connections lazily.
 */
#ifndef TREASURY_API_H
#define TREASURY_API_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "treasury/auth.h"
#include "treasury/error.h"
#include "treasury/journal.h"
#include "treasury/limits.h"
#include "treasury/sig.h"
#include "treasury/storage.h"

struct writer;

struct api_options {
	/* loopback unless TLS is on (tls_cert_path), checked by config */
	const struct sockaddr *listen_addr;
	socklen_t listen_addr_len;
	/* When use_listen_fd: serve on listen_fd, a listening, non-blocking,
	 * loopback TCP socket the caller checked (systemd socket activation),
	 * and ignore listen_addr (still used for its address family). */
	bool use_listen_fd;
	int listen_fd;
	const char *db_path;			/* for per-thread readers */
	/* the file the daemon locked and opened at db_path: /v1/health
	 * answers 503 storage-unavailable while db_path names another file
	 * or none (store_file_id_check) */
	struct store_file_id db_file_id;
	uint8_t instance[INSTANCE_ID_BYTES];
	uint8_t token_hash_key[TOKEN_HASH_KEY_BYTES];
	const treasury_verifier *verifier;	/* vote checks in request threads */
	struct writer *writer;
	/* the journal key's public half, shown by GET /v1/info and
	 * GET /v1/journal/checkpoints (null there when not set) */
	bool journal_key_set;
	uint8_t journal_public_key[JOURNAL_PUBLIC_KEY_BYTES];
	/* UNSAFE, tests only: serve POST /v1/test/clock, which moves the
	 * request clock forward (see docs/api.md). */
	bool unsafe_test_clock;			/* engine commands (command.h) */
	unsigned threads;			/* 1..64 */
	unsigned max_connections;
	unsigned per_ip_connections;
	unsigned connection_timeout_s;
	unsigned connection_memory_bytes;
	unsigned body_max_bytes;
	unsigned json_depth_max;		/* nesting of objects/arrays */
	unsigned request_timeout_s;		/* whole request, incl. body */
	unsigned sse_max_streams;		/* GET /v1/events streams */
	unsigned sse_heartbeat_s;		/* comment line when idle */
	/* longest a thread answers from memory after its last database
	 * read; 0: every answer is read (api/cache.c) */
	unsigned memory_answers_ms;
	/* TLS (api/tls.c, docs/configuration.md "TLS"): serve HTTPS when
	 * tls_cert_path is not NULL. The key file must give group and others
	 * no permission. tls_client_ca_path (NULL: none) asks clients for a
	 * certificate issued by that CA (tokens may be bound to one). */
	const char *tls_cert_path;		/* PEM chain, server cert first */
	const char *tls_key_path;		/* PEM private key */
	const char *tls_client_ca_path;
	bool tls_allow_1_2;			/* TLS 1.2 besides 1.3 */
	/* webhooks (docs/webhooks.md): the hosts endpoints may name, "" or
	 * NULL for none (webhook_hosts_allow) */
	const char *webhook_hosts;
};

struct api_server;

/* Bind, listen and start serving. The options are copied.
 * Returns: TREASURY_OK; TREASURY_ERR_IO when the address cannot be bound
 *          (logged with the reason); TREASURY_ERR_NOMEM.
 * Out: *out on success. */
TREASURY_WARN_UNUSED treasury_err
api_start(const struct api_options *opts, struct api_server **out);

/* SIGHUP: read the certificate and key files again and serve the new
 * pair to new connections (the listener keeps running). A pair that
 * cannot be read, parsed or does not match keeps the running one; the
 * reason is logged at LOG_ERR. Returns TREASURY_OK (also when TLS is
 * off: nothing to do) or TREASURY_ERR_CONFIG. */
TREASURY_WARN_UNUSED treasury_err api_tls_reload(struct api_server *srv);

/* Change the largest request body accepted, from the next request on
 * (SIGHUP reload). bytes as body_max_bytes in struct api_options. */
void api_body_max_set(struct api_server *srv, unsigned bytes);

/* The daemon's cron (about once a second): heartbeats of idle event
 * streams. Thread-safe. */
void api_cron(struct api_server *srv);

/* Wake every suspended event stream to look at the journal again: a
 * commit of another daemon on the same database was heard
 * (treasury/listener.h). Thread-safe; srv must not be stopped yet. */
void api_events_wake(void *srv);

/* Requests being handled now, all servers together (for status lines). */
unsigned api_requests_in_flight(void);

/* Stop accepting new connections, wait up to drain_timeout_s for the
 * connections in flight to finish, then stop the threads and free the
 * server. NULL is accepted. */
void api_stop(struct api_server *srv, unsigned drain_timeout_s);

#endif
