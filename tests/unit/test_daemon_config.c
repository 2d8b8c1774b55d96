/*
 * test_daemon_config.c: unit tests of the daemon's option table and
 * config file reader (daemon/config.c, compiled into this test): the
 * defaults, every numeric range at both ends, the listen address rules,
 * log levels, unknown and repeated options, that a file's every error is
 * reported with FILE:LINE (not only the first), SIGHUP's reload (live
 * options copied, the others reported as needing a restart) and the
 * derived admin token path.
 *
 * Errors are logged to standard error (base/log.c); the tests capture it
 * in a temporary file to check the messages.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"

/* ---- capturing standard error ---- */

struct capture {
	char path[64];
	int fd;
	int saved;
	char text[8192];
};

static void
capture_begin(struct capture *cap)
{
	snprintf(cap->path, sizeof(cap->path), "/tmp/treasury-test-cfg-XXXXXX");
	cap->fd = mkstemp(cap->path);
	assert_true(cap->fd >= 0);
	cap->saved = dup(STDERR_FILENO);
	assert_true(cap->saved >= 0);
	assert_int_equal(dup2(cap->fd, STDERR_FILENO), STDERR_FILENO);
}

static void
capture_end(struct capture *cap)
{
	ssize_t n;

	assert_int_equal(dup2(cap->saved, STDERR_FILENO), STDERR_FILENO);
	close(cap->saved);
	assert_int_equal(lseek(cap->fd, 0, SEEK_SET), 0);
	n = read(cap->fd, cap->text, sizeof(cap->text) - 1);
	assert_true(n >= 0);
	cap->text[n] = '\0';
	close(cap->fd);
	unlink(cap->path);
}

/* Lines in text. */
static unsigned
lines_of(const char *text)
{
	unsigned n = 0;

	for (; *text != '\0'; text++)
		n += *text == '\n';
	return n;
}

/* config_set with stderr captured into cap. */
static int
set_captured(struct config *cfg, const char *name, const char *value,
    struct capture *cap)
{
	int rc;

	capture_begin(cap);
	rc = config_set(cfg, name, value, "test.conf:7");
	capture_end(cap);
	return rc;
}

/* ---- tests ---- */

static void
test_defaults(void **state)
{
	struct config cfg;
	const struct sockaddr_in *in;

	(void)state;
	memset(&cfg, 0x5a, sizeof(cfg));
	config_defaults(&cfg);
	assert_string_equal(cfg.listen, "127.0.0.1:8420");
	in = (const struct sockaddr_in *)&cfg.listen_addr;
	assert_int_equal(in->sin_family, AF_INET);
	assert_int_equal(ntohs(in->sin_port), 8420);
	assert_int_equal(ntohl(in->sin_addr.s_addr), 0x7f000001);
	assert_int_equal(cfg.listen_addr_len, sizeof(struct sockaddr_in));
	assert_string_equal(cfg.db_path, "./var/treasury.db");
	assert_string_equal(cfg.admin_token_file, "");
	assert_int_equal(cfg.threads, 2);
	assert_int_equal(cfg.max_connections, 4096);
	assert_int_equal(cfg.per_ip_connections, 4096);
	assert_int_equal(cfg.connection_timeout_s, 10);
	assert_int_equal(cfg.connection_memory_bytes, 65536);
	assert_int_equal(cfg.body_max_bytes, 65536);
	assert_int_equal(cfg.json_depth_max, 8);
	assert_int_equal(cfg.request_timeout_s, 30);
	assert_int_equal(cfg.sse_max_streams, 64);
	assert_int_equal(cfg.sse_heartbeat_s, 15);
	assert_int_equal(cfg.idempotency_retention_s, 86400);
	assert_int_equal(cfg.maintenance_interval_s, 1);
	assert_int_equal(cfg.shutdown_timeout_s, 10);
	assert_int_equal(cfg.start_check_timeout_s, 30);
	assert_int_equal(cfg.log_level, LOG_INFO);
}

struct range {
	const char *name;
	size_t offset;
	unsigned long min, max;
};

#define R(name, field, min, max) \
	{ name, offsetof(struct config, field), min, max }

static const struct range ranges[] = {
	R("threads", threads, 1, 64),
	R("max_connections", max_connections, 1, 65536),
	R("per_ip_connections", per_ip_connections, 1, 65536),
	R("connection_timeout", connection_timeout_s, 1, 300),
	R("connection_memory", connection_memory_bytes, 8192, 1048576),
	R("body_max_bytes", body_max_bytes, 1024, 1048576),
	R("json_depth_max", json_depth_max, 2, 64),
	R("request_timeout", request_timeout_s, 1, 3600),
	R("sse_max_streams", sse_max_streams, 1, 1024),
	R("sse_heartbeat", sse_heartbeat_s, 1, 300),
	R("idempotency_retention", idempotency_retention_s, 3600, 2592000),
	R("maintenance_interval", maintenance_interval_s, 1, 3600),
	R("shutdown_timeout", shutdown_timeout_s, 1, 300),
	R("start_check_timeout", start_check_timeout_s, 0, 86400),
};

static unsigned
field_of(const struct config *cfg, const struct range *r)
{
	unsigned v;

	memcpy(&v, (const char *)cfg + r->offset, sizeof(v));
	return v;
}

/* Each numeric option takes its min and max, refuses one beyond either
 * end (keeping its value) with "FILE:LINE: name = 'v': ... min..max". */
static void
test_ranges(void **state)
{
	struct capture cap;
	struct config cfg;
	char text[32], want[160];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		const struct range *r = &ranges[i];
		unsigned before;

		config_defaults(&cfg);
		snprintf(text, sizeof(text), "%lu", r->min);
		assert_int_equal(config_set(&cfg, r->name, text, "t"), 0);
		assert_int_equal(field_of(&cfg, r), r->min);
		snprintf(text, sizeof(text), "%lu", r->max);
		assert_int_equal(config_set(&cfg, r->name, text, "t"), 0);
		assert_int_equal(field_of(&cfg, r), r->max);
		before = field_of(&cfg, r);

		snprintf(text, sizeof(text), "%lu", r->max + 1);
		assert_int_equal(set_captured(&cfg, r->name, text, &cap), -1);
		assert_int_equal(field_of(&cfg, r), before);
		snprintf(want, sizeof(want), "test.conf:7: %s = '%s': ", r->name,
		    text);
		assert_non_null(strstr(cap.text, want));
		snprintf(want, sizeof(want), " %lu..%lu\n", r->min, r->max);
		assert_non_null(strstr(cap.text, want));
		assert_int_equal(lines_of(cap.text), 1);

		snprintf(text, sizeof(text), "%lu", r->min - 1);
		assert_int_equal(set_captured(&cfg, r->name, text, &cap), -1);
		assert_int_equal(field_of(&cfg, r), before);
	}
}

/* Only plain decimal digits: no sign, blank, suffix, empty, or a number
 * that overflows on the way. */
static void
test_uint_syntax(void **state)
{
	static const char *bad[] = {
		"", "-1", "+2", " 2", "2 ", "2s", "0x10", "1e1", "2.0",
		"99999999999999999999999999", "18446744073709551618",
	};
	struct capture cap;
	struct config cfg;
	size_t i;

	(void)state;
	config_defaults(&cfg);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(set_captured(&cfg, "threads", bad[i], &cap), -1);
		assert_int_equal(cfg.threads, 2);
	}
	assert_int_equal(config_set(&cfg, "threads", "007", "t"), 0);
	assert_int_equal(cfg.threads, 7);
}

static void
test_listen(void **state)
{
	/* not loopback: parsed here, refused by config_finish without TLS
	 * (test_finish_tls) */
	static const char *bad[] = {
		"127.0.0.1", "127.0.0.1:", ":8420", "127.0.0.1:0",
		"127.0.0.1:65536", "127.0.0.1:80x", "localhost:80",
		"[::1:80", "::1:80", "[]:80",
	};
	const struct sockaddr_in6 *in6;
	const struct sockaddr_in *in;
	struct capture cap;
	struct config cfg;
	size_t i;

	(void)state;
	config_defaults(&cfg);
	assert_int_equal(config_set(&cfg, "listen", "[::1]:9000", "t"), 0);
	assert_string_equal(cfg.listen, "[::1]:9000");
	in6 = (const struct sockaddr_in6 *)&cfg.listen_addr;
	assert_int_equal(in6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(in6->sin6_port), 9000);
	assert_int_equal(cfg.listen_addr_len, sizeof(struct sockaddr_in6));

	assert_int_equal(config_set(&cfg, "listen", "127.1.2.3:65535", "t"), 0);
	in = (const struct sockaddr_in *)&cfg.listen_addr;
	assert_int_equal(in->sin_family, AF_INET);
	assert_int_equal(ntohs(in->sin_port), 65535);
	assert_int_equal(cfg.listen_addr_len, sizeof(struct sockaddr_in));

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (set_captured(&cfg, "listen", bad[i], &cap) != -1)
			fail_msg("listen = %s was accepted", bad[i]);
		assert_string_equal(cfg.listen, "127.1.2.3:65535");
		assert_int_equal(in->sin_family, AF_INET);
		assert_int_equal(ntohs(in->sin_port), 65535);
	}
	/* any address parses; config_finish refuses one that is not
	 * loopback unless TLS is on (test_finish_tls) */
	assert_int_equal(set_captured(&cfg, "listen", "0.0.0.0:8420", &cap), 0);
}

static void
test_loopback(void **state)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

	(void)state;
	memset(&ss, 0, sizeof(ss));
	in->sin_family = AF_INET;
	in->sin_addr.s_addr = htonl(0x7fff0001);
	assert_true(config_addr_is_loopback(&ss));
	in->sin_addr.s_addr = htonl(0x80000001);
	assert_false(config_addr_is_loopback(&ss));
	in->sin_addr.s_addr = htonl(0x7e000001);
	assert_false(config_addr_is_loopback(&ss));
	memset(&ss, 0, sizeof(ss));
	in6->sin6_family = AF_INET6;
	in6->sin6_addr = in6addr_loopback;
	assert_true(config_addr_is_loopback(&ss));
	in6->sin6_addr = in6addr_any;
	assert_false(config_addr_is_loopback(&ss));
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	assert_false(config_addr_is_loopback(&ss));
}

static void
test_log_level_and_paths(void **state)
{
	static const struct { const char *name; int level; } levels[] = {
		{ "err", LOG_ERR }, { "warning", LOG_WARNING },
		{ "notice", LOG_NOTICE }, { "info", LOG_INFO },
		{ "debug", LOG_DEBUG },
	};
	char *long_path;
	struct capture cap;
	struct config cfg;
	size_t i;

	(void)state;
	config_defaults(&cfg);
	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		assert_int_equal(config_set(&cfg, "log_level", levels[i].name,
		    "t"), 0);
		assert_int_equal(cfg.log_level, levels[i].level);
	}
	assert_int_equal(set_captured(&cfg, "log_level", "verbose", &cap), -1);
	assert_int_equal(cfg.log_level, LOG_DEBUG);
	assert_int_equal(set_captured(&cfg, "log_level", "ERR", &cap), -1);

	assert_int_equal(config_set(&cfg, "db", "/srv/t/x.db", "t"), 0);
	assert_string_equal(cfg.db_path, "/srv/t/x.db");
	long_path = malloc(PATH_MAX + 1);
	assert_non_null(long_path);
	memset(long_path, 'a', PATH_MAX);
	long_path[PATH_MAX] = '\0';
	assert_int_equal(set_captured(&cfg, "db", long_path, &cap), -1);
	assert_string_equal(cfg.db_path, "/srv/t/x.db");
	long_path[PATH_MAX - 1] = '\0';		/* PATH_MAX - 1 bytes fit */
	assert_int_equal(config_set(&cfg, "db", long_path, "t"), 0);
	free(long_path);

	assert_int_equal(set_captured(&cfg, "no_such_option", "1", &cap), -1);
	assert_non_null(strstr(cap.text,
	    "test.conf:7: unknown option 'no_such_option'"));
}

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

/* Every bad line of a file is reported with FILE:LINE and counted; the
 * good lines around them are still applied; comments and blank lines are
 * skipped. */
static void
test_file_every_error(void **state)
{
	char path[64], want[128];
	struct capture cap;
	struct config cfg;
	int fd, errors;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/treasury-test-cfgfile-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	write_file(path,
	    "threads = 8\n"				/* 1 */
	    "frobnicate = 1\n"				/* 2: unknown */
	    "# a comment\n"				/* 3 */
	    "max_connections = 0\n"			/* 4: range */
	    "threads = 9\n"				/* 5: twice */
	    "\n"					/* 6 */
	    "log_level = loud\n"			/* 7: level */
	    "  shutdown_timeout   =   42  \n"		/* 8 */
	    "listen = 0.0.0.0:80\n"			/* 9: not loopback */
	    "body_max_bytes = 2048\n");			/* 10 */
	config_defaults(&cfg);
	capture_begin(&cap);
	errors = config_load_file(&cfg, path);
	capture_end(&cap);
	/* line 9 is refused by config_finish, without TLS */
	assert_int_equal(errors, 4);
	assert_int_equal(lines_of(cap.text), 4);
	snprintf(want, sizeof(want), "%s:2: unknown option 'frobnicate'", path);
	assert_non_null(strstr(cap.text, want));
	snprintf(want, sizeof(want), "%s:4: max_connections = '0'", path);
	assert_non_null(strstr(cap.text, want));
	snprintf(want, sizeof(want), "%s:5: option 'threads' given twice",
	    path);
	assert_non_null(strstr(cap.text, want));
	snprintf(want, sizeof(want), "%s:7: log_level = 'loud'", path);
	assert_non_null(strstr(cap.text, want));
	assert_int_equal(cfg.threads, 8);		/* the first one */
	assert_int_equal(cfg.max_connections, 4096);
	assert_int_equal(cfg.log_level, LOG_INFO);
	assert_int_equal(cfg.shutdown_timeout_s, 42);
	assert_int_equal(cfg.body_max_bytes, 2048);
	assert_string_equal(cfg.listen, "0.0.0.0:80");

	/* A clean file: no error, nothing logged. */
	write_file(path, "# only\n\nsse_heartbeat = 30\n");
	capture_begin(&cap);
	errors = config_load_file(&cfg, path);
	capture_end(&cap);
	assert_int_equal(errors, 0);
	assert_string_equal(cap.text, "");
	assert_int_equal(cfg.sse_heartbeat_s, 30);

	/* A line that is not "name = value". */
	write_file(path, "threads 4\nthreads = 3\n");
	capture_begin(&cap);
	errors = config_load_file(&cfg, path);
	capture_end(&cap);
	assert_int_equal(errors, 1);
	snprintf(want, sizeof(want), "%s:1", path);
	assert_non_null(strstr(cap.text, want));
	assert_int_equal(cfg.threads, 3);
	unlink(path);

	capture_begin(&cap);
	errors = config_load_file(&cfg, path);		/* gone */
	capture_end(&cap);
	assert_int_equal(errors, 1);
	assert_non_null(strstr(cap.text, path));
}

struct changes {
	unsigned count;
	char names[8][32];
	bool live[8];
};

static void
changed_cb(const char *name, bool live, void *ctx)
{
	struct changes *ch = ctx;

	assert_true(ch->count < 8);
	snprintf(ch->names[ch->count], sizeof(ch->names[0]), "%s", name);
	ch->live[ch->count] = live;
	ch->count++;
}

/* Whether the reload reported name, and how. */
static int
change_of(const struct changes *ch, const char *name, bool *live)
{
	unsigned i;

	for (i = 0; i < ch->count; i++)
		if (strcmp(ch->names[i], name) == 0) {
			*live = ch->live[i];
			return 1;
		}
	return 0;
}

/* SIGHUP: the live options (log_level, body_max_bytes, shutdown_timeout,
 * idempotency_retention, maintenance_interval) are copied, each other
 * change is reported and counted as needing a restart and keeps its
 * running value; an unchanged config reports nothing. */
static void
test_reload(void **state)
{
	struct config running, next;
	struct changes ch;
	bool live = false;

	(void)state;
	config_defaults(&running);
	config_defaults(&next);
	memset(&ch, 0, sizeof(ch));
	assert_int_equal(config_reload(&running, &next, changed_cb, &ch), 0);
	assert_int_equal(ch.count, 0);

	assert_int_equal(config_set(&next, "log_level", "debug", "t"), 0);
	assert_int_equal(config_set(&next, "body_max_bytes", "2048", "t"), 0);
	assert_int_equal(config_set(&next, "shutdown_timeout", "5", "t"), 0);
	assert_int_equal(config_set(&next, "idempotency_retention", "7200",
	    "t"), 0);
	assert_int_equal(config_set(&next, "maintenance_interval", "60", "t"),
	    0);
	assert_int_equal(config_set(&next, "threads", "4", "t"), 0);
	assert_int_equal(config_set(&next, "listen", "127.0.0.2:9", "t"), 0);
	assert_int_equal(config_set(&next, "db", "/elsewhere.db", "t"), 0);
	assert_int_equal(config_reload(&running, &next, changed_cb, &ch), 3);
	assert_int_equal(ch.count, 8);
	assert_true(change_of(&ch, "log_level", &live) && live);
	assert_true(change_of(&ch, "body_max_bytes", &live) && live);
	assert_true(change_of(&ch, "shutdown_timeout", &live) && live);
	assert_true(change_of(&ch, "idempotency_retention", &live) && live);
	assert_true(change_of(&ch, "maintenance_interval", &live) && live);
	assert_true(change_of(&ch, "threads", &live) && !live);
	assert_true(change_of(&ch, "listen", &live) && !live);
	assert_true(change_of(&ch, "db", &live) && !live);

	assert_int_equal(running.log_level, LOG_DEBUG);
	assert_int_equal(running.body_max_bytes, 2048);
	assert_int_equal(running.shutdown_timeout_s, 5);
	assert_int_equal(running.idempotency_retention_s, 7200);
	assert_int_equal(running.maintenance_interval_s, 60);
	assert_int_equal(running.threads, 2);
	assert_string_equal(running.listen, "127.0.0.1:8420");
	assert_string_equal(running.db_path, "./var/treasury.db");

	/* Again: only the restart options still differ. */
	memset(&ch, 0, sizeof(ch));
	assert_int_equal(config_reload(&running, &next, changed_cb, &ch), 3);
	assert_int_equal(ch.count, 3);
}

static void
test_finish_admin_token_path(void **state)
{
	struct capture cap;
	struct config cfg;
	char *long_path;
	int rc;

	(void)state;
	config_defaults(&cfg);
	assert_int_equal(config_finish(&cfg), 0);
	assert_string_equal(cfg.admin_token_file, "./var/admin.token");

	config_defaults(&cfg);
	assert_int_equal(config_set(&cfg, "db", "t.db", "t"), 0);
	assert_int_equal(config_finish(&cfg), 0);
	assert_string_equal(cfg.admin_token_file, "admin.token");

	config_defaults(&cfg);
	assert_int_equal(config_set(&cfg, "db", "/t.db", "t"), 0);
	assert_int_equal(config_finish(&cfg), 0);
	assert_string_equal(cfg.admin_token_file, "/admin.token");

	config_defaults(&cfg);
	assert_int_equal(config_set(&cfg, "admin_token_file", "/run/a.tok",
	    "t"), 0);
	assert_int_equal(config_finish(&cfg), 0);
	assert_string_equal(cfg.admin_token_file, "/run/a.tok");

	/* A database path so long that admin.token beside it does not fit. */
	config_defaults(&cfg);
	long_path = malloc(PATH_MAX);
	assert_non_null(long_path);
	memset(long_path, 'a', PATH_MAX - 1);
	long_path[0] = '/';
	long_path[PATH_MAX - 10] = '/';
	long_path[PATH_MAX - 1] = '\0';
	assert_int_equal(config_set(&cfg, "db", long_path, "t"), 0);
	free(long_path);
	capture_begin(&cap);
	rc = config_finish(&cfg);
	capture_end(&cap);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(cap.text, "too long"));
}

/* config_finish's TLS rules: both files or neither, a client CA only
 * with TLS, a non-loopback address only with TLS; tls_min_version. */
static void
test_finish_tls(void **state)
{
	struct capture cap;
	struct config cfg;
	int rc;

	static const char *not_loopback[] = {
		"0.0.0.0:8420", "10.0.0.1:80", "192.168.1.1:8420", "[::2]:80",
		"[::]:80", "[::ffff:127.0.0.1]:80",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(not_loopback) / sizeof(not_loopback[0]);
	    i++) {
		config_defaults(&cfg);
		assert_int_equal(config_set(&cfg, "listen", not_loopback[i],
		    "t"), 0);
		capture_begin(&cap);
		rc = config_finish(&cfg);
		capture_end(&cap);
		if (rc != -1)
			fail_msg("listen = %s accepted without TLS",
			    not_loopback[i]);
	}
	config_defaults(&cfg);
	assert_int_equal(cfg.tls_min_version, 13);
	assert_int_equal(config_set(&cfg, "listen", "0.0.0.0:8443", "t"), 0);
	capture_begin(&cap);
	rc = config_finish(&cfg);
	capture_end(&cap);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(cap.text, "non-loopback address without TLS"));

	assert_int_equal(config_set(&cfg, "tls_cert", "/etc/c.pem", "t"), 0);
	capture_begin(&cap);
	rc = config_finish(&cfg);
	capture_end(&cap);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(cap.text, "tls_cert and tls_key"));

	assert_int_equal(config_set(&cfg, "tls_key", "/etc/k.pem", "t"), 0);
	assert_int_equal(config_finish(&cfg), 0);

	config_defaults(&cfg);
	assert_int_equal(config_set(&cfg, "tls_client_ca", "/etc/ca.pem", "t"),
	    0);
	capture_begin(&cap);
	rc = config_finish(&cfg);
	capture_end(&cap);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(cap.text, "tls_client_ca needs"));

	assert_int_equal(config_set(&cfg, "tls_min_version", "1.2", "t"), 0);
	assert_int_equal(cfg.tls_min_version, 12);
	capture_begin(&cap);
	rc = config_set(&cfg, "tls_min_version", "1.1", "t");
	capture_end(&cap);
	assert_int_equal(rc, -1);
	assert_int_equal(cfg.tls_min_version, 12);
}

/* A PostgreSQL URI: accepted without a password, refused with one in
 * either place libpq would take it from; its files go to ./var. */
static void
test_finish_postgresql_uri(void **state)
{
	static const char *const refused[] = {
		"postgresql://treasury:s3cret@db/treasury",
		"postgresql://u@db/t?sslmode=require&password=s3cret",
		"postgresql:///t?password=s3cret",
		"postgresql://u@db/t?sslkey=/k&sslpassword=s3cret",
		"postgresql://u:s3cr?t@db/t",
		"postgresql://u@db/t?%70assword=s3cret",
	};
	static const char *const accepted[] = {
		"postgresql://treasury@db.example/treasury?sslmode=verify-full",
		"postgresql:///t?host=/run/postgresql&passfile=/etc/td/pgpass",
		"postgresql://db:5432,db2:5432/t?target_session_attrs=read-write",
	};
	struct capture cap;
	struct config cfg;
	int rc;

	(void)state;
	for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
		config_defaults(&cfg);
		assert_int_equal(config_set(&cfg, "db", accepted[i], "t"), 0);
		assert_int_equal(config_finish(&cfg), 0);
		assert_string_equal(cfg.admin_token_file, "./var/admin.token");
		assert_string_equal(cfg.journal_key, "./var/journal.key");
	}
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		config_defaults(&cfg);
		assert_int_equal(config_set(&cfg, "db", refused[i], "t"), 0);
		capture_begin(&cap);
		rc = config_finish(&cfg);
		capture_end(&cap);
		assert_int_equal(rc, -1);
		assert_non_null(strstr(cap.text, "holds a password"));
		assert_null(strstr(cap.text, "s3cret"));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_uint_syntax),
		cmocka_unit_test(test_listen),
		cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_log_level_and_paths),
		cmocka_unit_test(test_file_every_error),
		cmocka_unit_test(test_reload),
		cmocka_unit_test(test_finish_admin_token_path),
		cmocka_unit_test(test_finish_tls),
		cmocka_unit_test(test_finish_postgresql_uri),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
