/*
 * config.c: the option table and the config file parser (Redis manner:
 * one table holds each option's name, type, default and range).
 *
 * File syntax (read by base's kvfile.h): one "name = value" per line;
 * blank lines and lines starting with '#' are ignored; no quoting, value
 * runs to the end of the line with surrounding blanks trimmed. An unknown
 * option, a duplicate, or a value out of range is an error reported with
 * FILE:LINE.
 *
 * The table also says how each option applies on SIGHUP (main.c's
 * reload): LIVE options take effect at once, RESTART options are reported
 * as needing a restart and keep their running value.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "treasury/kvfile.h"
#include "treasury/log.h"
#include "treasury/storage.h"
#include "treasury/webhook.h"

#include "config.h"

enum opt_type {
	OPT_ADDR,	/* ADDR:PORT (loopback unless TLS: config_finish) */
	OPT_PATH,
	OPT_UINT,
	OPT_LEVEL,	/* syslog level name */
	OPT_TLS_VERSION, /* "1.3" or "1.2", stored as 13 or 12 */
	OPT_HOSTS,	/* webhook_hosts: "host" or "host:port", commas */
};

enum opt_apply {
	LIVE,		/* SIGHUP applies it */
	RESTART,	/* SIGHUP reports it; a restart applies it */
};

struct option_def {
	const char *name;
	enum opt_type type;
	const char *default_text;
	unsigned long min, max;		/* OPT_UINT only */
	size_t offset;
	enum opt_apply apply;
	const char *help;
};

#define OFF(field) offsetof(struct config, field)

static const struct option_def options[] = {
	/* name                 type       default              min   max
	 * then the field, how SIGHUP applies it, and the --help text */
	{ "listen",             OPT_ADDR,  "127.0.0.1:8420",    0,    0,
	  OFF(listen), RESTART,
	  "address and port to serve HTTP on (loopback only unless "
	  "tls_cert is set)" },
	{ "db",                 OPT_PATH,  "./var/treasury.db", 0,    0,
	  OFF(db_path), RESTART,
	  "SQLite database file (created 0600 if missing), or a PostgreSQL "
	  "database as a libpq URI postgresql://... without a password "
	  "(use a password file: PGPASSFILE or ~/.pgpass)" },
	{ "admin_token_file",   OPT_PATH,  "",                  0,    0,
	  OFF(admin_token_file), RESTART,
	  "where the first-run admin token is written "
	  "(default: admin.token beside the database)" },
	{ "threads",            OPT_UINT,  "2",                 1,    64,
	  OFF(threads), RESTART,
	  "HTTP worker threads" },
	{ "max_connections",    OPT_UINT,  "4096",              1,    65536,
	  OFF(max_connections), RESTART,
	  "simultaneous HTTP connections" },
	{ "per_ip_connections", OPT_UINT,  "4096",              1,    65536,
	  OFF(per_ip_connections), RESTART,
	  "simultaneous connections from one address (on loopback every "
	  "local client shares 127.0.0.1, so the default equals "
	  "max_connections: a lower value lets one local process holding "
	  "that many idle connections shut out every other one)" },
	{ "connection_timeout", OPT_UINT,  "10",                1,    300,
	  OFF(connection_timeout_s), RESTART,
	  "idle seconds before a connection is closed" },
	{ "connection_memory",  OPT_UINT,  "65536",             8192, 1048576,
	  OFF(connection_memory_bytes), RESTART,
	  "bytes of buffer per connection" },
	{ "body_max_bytes",     OPT_UINT,  "65536",             1024, 1048576,
	  OFF(body_max_bytes), LIVE,
	  "largest request body accepted" },
	{ "json_depth_max",     OPT_UINT,  "8",                 2,    64,
	  OFF(json_depth_max), RESTART,
	  "deepest nesting of JSON objects and arrays in a request body" },
	{ "request_timeout",    OPT_UINT,  "30",                1,    3600,
	  OFF(request_timeout_s), RESTART,
	  "seconds from a request's headers to its complete body (408)" },
	{ "sse_max_streams",    OPT_UINT,  "64",                1,    1024,
	  OFF(sse_max_streams), RESTART,
	  "simultaneous GET /v1/events streams (429 beyond)" },
	{ "memory_answers_ms",  OPT_UINT,  "1000",              0,    60000,
	  OFF(memory_answers_ms), RESTART,
	  "longest a request thread answers from memory without reading "
	  "the database (0: never; docs/operations.md)" },
	{ "sse_heartbeat",      OPT_UINT,  "15",                1,    300,
	  OFF(sse_heartbeat_s), RESTART,
	  "seconds between heartbeat comments on an idle event stream" },
	{ "idempotency_retention", OPT_UINT, "86400",           3600, 2592000,
	  OFF(idempotency_retention_s), LIVE,
	  "seconds an Idempotency-Key record is kept" },
	{ "maintenance_interval", OPT_UINT, "1",                1,    3600,
	  OFF(maintenance_interval_s), LIVE,
	  "seconds between expiry sweeps and idempotency purges" },
	{ "shutdown_timeout",   OPT_UINT,  "10",                1,    300,
	  OFF(shutdown_timeout_s), LIVE,
	  "seconds to drain requests on SIGTERM" },
	{ "start_check_timeout", OPT_UINT, "30",                0,    86400,
	  OFF(start_check_timeout_s), RESTART,
	  "seconds PRAGMA quick_check may run at start (a finding refuses the "
	  "start; when time runs out a warning is logged and the start goes "
	  "on); 0 skips the check" },
	{ "journal_key",        OPT_PATH,  "",                  0,    0,
	  OFF(journal_key), RESTART,
	  "the daemon's Ed25519 key that signs journal checkpoints, made "
	  "0600 at the first start (default: journal.key beside the "
	  "database; docs/audit.md)" },
	{ "checkpoint_entries", OPT_UINT,  "1000",              1,    1000000,
	  OFF(checkpoint_entries), RESTART,
	  "journal entries after which a writer group signs a checkpoint" },
	{ "checkpoint_interval", OPT_UINT, "60",                1,    86400,
	  OFF(checkpoint_interval_s), RESTART,
	  "seconds after which the maintenance job signs a checkpoint of "
	  "entries not yet covered by one" },
	{ "log_level",          OPT_LEVEL, "info",              0,    0,
	  OFF(log_level), LIVE,
	  "err, warning, notice, info or debug" },
	{ "tls_cert",           OPT_PATH,  "",                  0,    0,
	  OFF(tls_cert), RESTART,
	  "PEM certificate chain: serve HTTPS (the files are read again on "
	  "SIGHUP); empty: plain HTTP, loopback only" },
	{ "tls_key",            OPT_PATH,  "",                  0,    0,
	  OFF(tls_key), RESTART,
	  "PEM private key of tls_cert (mode 0600 or stricter)" },
	{ "tls_client_ca",      OPT_PATH,  "",                  0,    0,
	  OFF(tls_client_ca), RESTART,
	  "PEM CA certificates that issue client certificates (tokens can "
	  "be bound to one); empty: none asked for" },
	{ "tls_min_version",    OPT_TLS_VERSION, "1.3",         0,    0,
	  OFF(tls_min_version), RESTART,
	  "oldest TLS version accepted: 1.3 or 1.2" },
	{ "webhook_hosts",      OPT_HOSTS, "",                  0,    0,
	  OFF(webhook_hosts), RESTART,
	  "hosts webhook endpoints may name: comma-separated host or "
	  "host:port (a host alone: any port); empty: no webhook can be "
	  "registered (docs/webhooks.md)" },
	{ "webhook_retry_base_ms", OPT_UINT, "10000",           100,  3600000,
	  OFF(webhook_retry_base_ms), RESTART,
	  "delay before the first webhook retry; it doubles with each "
	  "failed attempt (jitter +-20%, at most a day)" },
	{ "webhook_attempts_max", OPT_UINT, "15",               1,    30,
	  OFF(webhook_attempts_max), RESTART,
	  "delivery attempts of one journal entry to one endpoint before it "
	  "is given up (dead letter; POST .../redeliver queues it again)" },
};

#define OPTIONS_COUNT (sizeof(options) / sizeof(options[0]))

static const struct option_def *
option_find(const char *name)
{
	for (size_t i = 0; i < OPTIONS_COUNT; i++)
		if (strcmp(options[i].name, name) == 0)
			return &options[i];
	return NULL;
}

static int
parse_uint(const char *text, unsigned long min, unsigned long max,
    unsigned *out)
{
	unsigned long v = 0;

	if (*text == '\0')
		return -1;
	for (const char *p = text; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > max)
			return -1;
	}
	if (v < min)
		return -1;
	*out = (unsigned)v;
	return 0;
}

bool
config_addr_is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
	}
	return false;
}

/* Parse "A.B.C.D:PORT" or "[V6]:PORT". Returns 0 or -1 with *why set. */
static int
parse_listen(struct config *cfg, const char *text, const char **why)
{
	char host[CONFIG_TEXT_MAX_BYTES];
	const char *colon = strrchr(text, ':');
	unsigned port;
	size_t host_len;
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	*why = "expected ADDR:PORT, e.g. 127.0.0.1:8420 or [::1]:8420";
	if (colon == NULL || parse_uint(colon + 1, 1, 65535, &port) != 0)
		return -1;
	host_len = (size_t)(colon - text);
	if (host_len == 0 || host_len >= sizeof(host))
		return -1;
	memcpy(host, text, host_len);
	host[host_len] = '\0';
	if (host[0] == '[') {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		if (host_len < 3 || host[host_len - 1] != ']')
			return -1;
		host[host_len - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &in6->sin6_addr) != 1)
			return -1;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		cfg->listen_addr_len = sizeof(*in6);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
			return -1;
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		cfg->listen_addr_len = sizeof(*in);
	}
	cfg->listen_addr = ss;	/* non-loopback needs TLS: config_finish */
	return 0;
}

static int
option_apply(struct config *cfg, const struct option_def *o, const char *value,
    const char **why)
{
	char *field = (char *)cfg + o->offset;
	size_t len = strlen(value);

	switch (o->type) {
	case OPT_ADDR:
		if (len >= CONFIG_TEXT_MAX_BYTES || parse_listen(cfg, value, why) != 0)
			return -1;
		memcpy(field, value, len + 1);
		return 0;
	case OPT_PATH:
		*why = "path is longer than PATH_MAX";
		if (len >= PATH_MAX)
			return -1;
		memcpy(field, value, len + 1);
		return 0;
	case OPT_UINT:
		*why = "not a whole number within the allowed range";
		return parse_uint(value, o->min, o->max, (unsigned *)field);
	case OPT_LEVEL:
		*why = "expected err, warning, notice, info or debug";
		return log_level_parse(value, (int *)field) ? 0 : -1;
	case OPT_HOSTS:
		if (len >= CONFIG_LINE_MAX_BYTES) {
			*why = "the list is too long";
			return -1;
		}
		if (!webhook_hosts_valid(value, why))
			return -1;
		memcpy(field, value, len + 1);
		return 0;
	case OPT_TLS_VERSION:
		*why = "expected 1.3 or 1.2";
		if (strcmp(value, "1.3") != 0 && strcmp(value, "1.2") != 0)
			return -1;
		*(unsigned *)(void *)field = value[2] == '3' ? 13 : 12;
		return 0;
	}
	return -1;
}

void
config_defaults(struct config *cfg)
{
	const char *why;

	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < OPTIONS_COUNT; i++) {
		if (option_apply(cfg, &options[i], options[i].default_text, &why) != 0)
			fatalx("bad default for option %s: %s", options[i].name, why);
	}
}

int
config_set(struct config *cfg, const char *name, const char *value,
    const char *where)
{
	const struct option_def *o = option_find(name);
	const char *why = "";

	if (o == NULL) {
		log_msg(LOG_ERR, "%s: unknown option '%s'", where, name);
		return -1;
	}
	if (option_apply(cfg, o, value, &why) != 0) {
		if (o->type == OPT_UINT)
			log_msg(LOG_ERR, "%s: %s = '%s': %s %lu..%lu", where, name,
			    value, why, o->min, o->max);
		else
			log_msg(LOG_ERR, "%s: %s = '%s': %s", where, name, value, why);
		return -1;
	}
	return 0;
}

/* The config file being read: which options it has set so far. */
struct file_ctx {
	struct config *cfg;
	bool seen[OPTIONS_COUNT];
};

/* One "name = value" of the file (kvfile_set_fn): an option given twice
 * is an error, then config_set. Returns 0 or -1 (logged). */
static int
config_file_set(void *ctx, const char *where, const char *name,
    const char *value)
{
	struct file_ctx *fc = ctx;
	const struct option_def *o = option_find(name);

	if (o != NULL) {
		size_t i = (size_t)(o - options);
		if (fc->seen[i]) {
			log_msg(LOG_ERR, "%s: option '%s' given twice", where, name);
			return -1;
		}
		fc->seen[i] = true;
	}
	return config_set(fc->cfg, name, value, where);
}

int
config_load_file(struct config *cfg, const char *path)
{
	struct file_ctx fc = { .cfg = cfg };
	const struct kvfile kv = {
		.path = path,
		.syntax = "name = value",
		.line_max_bytes = CONFIG_LINE_MAX_BYTES,
		.set = config_file_set,
		.report = NULL,		/* logged at LOG_ERR */
		.ctx = &fc,
	};

	return (int)kvfile_load(&kv, CONFIG_FILE_MAX_BYTES);
}

/* TLS needs both files; a client CA needs TLS; an address other than
 * loopback needs TLS. Returns 0, or -1 after logging. */
static int
config_tls_check(const struct config *cfg)
{
	bool tls = cfg->tls_cert[0] != '\0';

	if (tls != (cfg->tls_key[0] != '\0')) {
		log_msg(LOG_ERR, "tls_cert and tls_key must be set together");
		return -1;
	}
	if (!tls && cfg->tls_client_ca[0] != '\0') {
		log_msg(LOG_ERR, "tls_client_ca needs tls_cert and tls_key");
		return -1;
	}
	if (!tls && !config_addr_is_loopback(&cfg->listen_addr)) {
		log_msg(LOG_ERR, "listen = %s: refusing a non-loopback address "
		    "without TLS: set tls_cert and tls_key (docs/operations.md "
		    "\"Remote signers\"), or listen on 127.0.0.0/8 or [::1]",
		    cfg->listen);
		return -1;
	}
	return 0;
}

/* A file beside the database: "<dir of db_path>/name" into out, unless
 * out is set already; beside a PostgreSQL database means in ./var, the
 * embedded default's directory. Returns 0, or -1 after logging. */
static int
beside_db(const struct config *cfg, const char *name, char out[PATH_MAX],
    const char *what)
{
	const char *slash;
	int n;

	if (out[0] != '\0')
		return 0;
	slash = strrchr(cfg->db_path, '/');
	if (store_path_is_postgresql(cfg->db_path)) {
		snprintf(out, PATH_MAX, "./var/%s", name);
		return 0;
	}
	if (slash == NULL)
		n = snprintf(out, PATH_MAX, "%s", name);
	else
		n = snprintf(out, PATH_MAX, "%.*s/%s",
		    (int)(slash - cfg->db_path), cfg->db_path, name);
	if (n < 0 || n >= PATH_MAX) {
		log_msg(LOG_ERR, "%s path is too long", what);
		return -1;
	}
	return 0;
}

int
config_db_uri_refused(const char *uri)
{
	switch (store_uri_check(uri)) {
	case STORE_URI_OK:
		return 0;
	case STORE_URI_SECRET:
		log_msg(LOG_ERR, "db: the PostgreSQL URI holds a password; it "
		    "would be in the configuration, the process list and the "
		    "logs. Put it in a password file (PGPASSFILE, ~/.pgpass, or "
		    "the URI's passfile parameter) and remove it from the URI");
		return -1;
	default:	/* libpq's own words may quote it: not repeated */
		log_msg(LOG_ERR, "db: not a PostgreSQL URI that libpq can "
		    "read (postgresql://[user@]host[:port]/dbname[?param=value"
		    "&...])");
		return -1;
	}
}

int
config_finish(struct config *cfg)
{
	if (config_tls_check(cfg) != 0)
		return -1;
	if (store_path_is_postgresql(cfg->db_path) &&
	    config_db_uri_refused(cfg->db_path))
		return -1;
	if (beside_db(cfg, "admin.token", cfg->admin_token_file,
	    "admin token file") != 0)
		return -1;
	return beside_db(cfg, "journal.key", cfg->journal_key,
	    "journal key file");
}

void
config_print_options(void)
{
	printf("Options (config file 'name = value', or --name VALUE);\n"
	    "'live' ones change on SIGHUP, the others need a restart:\n");
	for (size_t i = 0; i < OPTIONS_COUNT; i++) {
		const struct option_def *o = &options[i];
		const char *how = o->apply == LIVE ? "live" : "restart";
		if (o->type == OPT_UINT)
			printf("  %-20s default %-18s range %lu..%lu, %s\n"
			    "      %s\n", o->name, o->default_text, o->min, o->max,
			    how, o->help);
		else
			printf("  %-20s default %-18s %s\n      %s\n", o->name,
			    o->default_text[0] ? o->default_text :
			    o->offset == OFF(admin_token_file) ||
			    o->offset == OFF(journal_key) ? "(derived)" :
			    "(none)",
			    how, o->help);
	}
}

/* Whether option o has the same value in a and b. */
static bool
option_equal(const struct option_def *o, const struct config *a,
    const struct config *b)
{
	const char *fa = (const char *)a + o->offset;
	const char *fb = (const char *)b + o->offset;

	switch (o->type) {
	case OPT_ADDR:
	case OPT_PATH:
	case OPT_HOSTS:
		return strcmp(fa, fb) == 0;
	case OPT_UINT:
	case OPT_TLS_VERSION:
		return *(const unsigned *)(const void *)fa ==
		    *(const unsigned *)(const void *)fb;
	case OPT_LEVEL:
		return *(const int *)(const void *)fa ==
		    *(const int *)(const void *)fb;
	}
	return false;
}

unsigned
config_reload(struct config *running, const struct config *next,
    void (*changed)(const char *name, bool live, void *ctx), void *ctx)
{
	unsigned restart = 0;

	for (size_t i = 0; i < OPTIONS_COUNT; i++) {
		const struct option_def *o = &options[i];
		if (option_equal(o, running, next))
			continue;
		if (o->apply == LIVE) {
			size_t size = o->type == OPT_UINT ? sizeof(unsigned) :
			    sizeof(int);
			assert(o->type == OPT_UINT || o->type == OPT_LEVEL);
			memcpy((char *)running + o->offset,
			    (const char *)next + o->offset, size);
		} else {
			restart++;
		}
		changed(o->name, o->apply == LIVE, ctx);
	}
	return restart;
}
