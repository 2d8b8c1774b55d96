/*
 * server.c: the libmicrohttpd daemon and the per-request life cycle.
 *
 * MHD runs its own thread pool on epoll. For each request the access
 * handler is called first with no body (we allocate struct request), then
 * with each piece of the body (appended up to body_max_bytes; more gets a
 * 413 at once), then a last time with no data, when the request is routed,
 * authenticated and answered. A handler that queued a command with
 * command_start (submit.c) leaves the connection suspended instead; the
 * writer's completion resumes it and MHD calls us once more with no data,
 * when command_finish answers. The completion callback frees the request.
 *
 * Limits kept here besides MHD's own (docs/configuration.md): the body cap
 * (413 at once from Content-Length; a chunked body that outgrows it is
 * dropped to its end, then answered 413), one Content-Length at most, no
 * %00 decoded into a NUL (url_unescape), strict header syntax
 * (MHD_OPTION_STRICT_FOR_CLIENT), and a whole-request
 * deadline, request_timeout from the first call: MHD's connection timeout
 * only counts idle time, so a client trickling its body would otherwise
 * hold a connection for ever; each piece of body (and the end of it) that
 * arrives past the deadline closes the connection (MHD cannot answer
 * before the body is complete), a body completed late is answered 408.
 * Every answer is counted for /v1/metrics by route pattern and status (a
 * 2xx answer to a POST with an Idempotency-Key was stored already, in the
 * command's transaction: idempotency.c).
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "treasury/clock.h"
#include "treasury/hex.h"
#include "treasury/log.h"

#include "internal.h"

static atomic_int requests_in_flight;

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	/* Mostly a client's malformed request, not the operator's problem;
	 * failures to start are also reported by api_start at LOG_ERR. */
	log_msg(LOG_INFO, "http: %s", line);
}

/* MHD's URL unescaping, except that "%00" is left as it is: a decoded NUL
 * would silently cut the path or a query value short (so that
 * "/v1/health%00/x" would reach /v1/health). Invalid escapes stay as they
 * are. Decodes in place; returns the new length. */
static size_t
url_unescape(void *cls, struct MHD_Connection *conn, char *uri)
{
	char *in = uri, *out = uri;

	(void)cls;
	(void)conn;
	while (*in != '\0') {
		int hi, lo;
		if (in[0] == '%' && (hi = hex_digit_value(in[1])) >= 0 &&
		    (lo = hex_digit_value(in[2])) >= 0 && (hi | lo) != 0) {
			*out++ = (char)(hi * 16 + lo);
			in += 3;
		} else {
			*out++ = *in++;
		}
	}
	*out = '\0';
	return (size_t)(out - uri);
}

static void
response_headers(struct MHD_Response *resp, const struct reply *rp,
    const struct request *rq)
{
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (rp->allow != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, rp->allow);
	if (rp->www_authenticate)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		    "Bearer realm=\"treasuryd\"");
	if (rp->replayed || rq->idem_replayed)
		MHD_add_response_header(resp, "Idempotent-Replayed", "true");
	if (rp->retry_after_s > 0) {
		char secs[16];
		snprintf(secs, sizeof(secs), "%u", rp->retry_after_s);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, secs);
	}
}

/* The body text of rp (malloc'd), or NULL when out of memory. */
static char *
reply_text(struct request *rq, struct reply *rp)
{
	char *text;

	if (rp->raw != NULL) {
		text = rp->raw;
		rp->raw = NULL;
		return text;
	}
	if (rp->json == NULL) {
		log_msg(LOG_ERR, "%s %.200s: handler gave no answer",
		    rq->method, rq->url);
		reply_err_titled(rp, TREASURY_ERR_INTERNAL, "Internal error",
		    "the server could not build an answer");
	}
	return rp->json != NULL ? json_dumps(rp->json, JSON_COMPACT) : NULL;
}

static enum MHD_Result
reply_send(struct request *rq, struct reply *rp)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char *text;

	if (rp->stream != NULL) {
		ret = MHD_queue_response(rq->conn, rp->status, rp->stream);
		MHD_destroy_response(rp->stream);
		rp->stream = NULL;
		metrics_request(rq->route, rp->status,
		    clock_mono_us() - rq->start_us);
		return ret;
	}
	text = reply_text(rq, rp);
	if (text == NULL) {
		static const char oom[] = "{\"type\":\"urn:treasuryd:problem:"
		    "out-of-memory\",\"title\":\"out of memory\",\"status\":503,"
		    "\"detail\":\"out of memory\"}";
		resp = MHD_create_response_from_buffer(sizeof(oom) - 1,
		    (void *)oom, MHD_RESPMEM_PERSISTENT);
		rp->status = 503;
		rp->problem = true;
		rp->content_type = NULL;
	} else {
		resp = MHD_create_response_from_buffer(strlen(text), text,
		    MHD_RESPMEM_MUST_FREE);
	}
	json_decref(rp->json);
	json_decref(rp->stored);
	rp->json = rp->stored = NULL;
	if (resp == NULL) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    rp->problem ? "application/problem+json" : rp->content_type != NULL ?
	    rp->content_type : "application/json");
	response_headers(resp, rp, rq);
	ret = MHD_queue_response(rq->conn, rp->status, resp);
	MHD_destroy_response(resp);
	log_debug("%s %.200s -> %u", rq->method, rq->url, rp->status);
	metrics_request(rq->route, rp->status, clock_mono_us() - rq->start_us);
	return ret;
}

static void
dispatch(struct request *rq, struct reply *rp)
{
	const struct route *route;
	const char *allow;

	if (rq->url_too_long) {
		reply_err(rp, TREASURY_ERR_URI_TOO_LONG,
		    "the request path is longer than %d bytes", URL_MAX_BYTES - 1);
		return;
	}
	route = route_match(rq, &allow);
	if (route == NULL && allow != NULL) {
		reply_err(rp, TREASURY_ERR_METHOD_NOT_ALLOWED,
		    "%s is not allowed here; allowed: %s", rq->method, allow);
		rp->allow = allow;
		return;
	}
	if (route == NULL) {
		reply_err_titled(rp, TREASURY_ERR_NOT_FOUND, "Not found",
		    "no such endpoint");
		return;
	}
	rq->route = (int)(route - route_at(0));
	if ((route->roles == ROLE_ANYONE || auth_check(rq, rp, route->roles)) &&
	    (route->handler == handle_test_clock ||
	    idempotency_check(rq, rp)))
		route->handler(rq, rp);
	request_snapshot_end(rq);	/* auth_check may have opened one */
}

static struct request *
request_new(struct api_server *srv, struct MHD_Connection *conn,
    const char *url, const char *method)
{
	struct request *rq = calloc(1, sizeof(*rq));
	size_t len = strlen(url);

	if (rq == NULL)
		return NULL;
	rq->srv = srv;
	rq->conn = conn;
	rq->method = method;
	rq->url = url;
	rq->route = -1;
	rq->start_us = clock_mono_us();
	if (len >= sizeof(rq->path))
		rq->url_too_long = true;
	else
		memcpy(rq->path, url, len + 1);
	atomic_fetch_add(&requests_in_flight, 1);
	return rq;
}

/* Append a piece of the body. Returns false once the body is too large. */
static bool
request_body_append(struct request *rq, const char *data, size_t len)
{
	size_t max = atomic_load(&rq->srv->body_max_bytes);
	char *grown;

	if (rq->body_too_large || len > max - rq->body_len) {
		rq->body_too_large = true;
		free(rq->body);		/* dropped: only its size mattered */
		rq->body = NULL;
		rq->body_len = 0;
		return false;
	}
	grown = realloc(rq->body, rq->body_len + len + 1);
	if (grown == NULL) {
		rq->body_too_large = true;
		return false;
	}
	rq->body = grown;
	memcpy(rq->body + rq->body_len, data, len);
	rq->body_len += len;
	rq->body[rq->body_len] = '\0';
	return true;
}

static enum MHD_Result
reply_too_large(struct request *rq)
{
	struct reply rp = { 0 };

	reply_err(&rp, TREASURY_ERR_BODY_TOO_LARGE,
	    "the request body exceeds %u bytes",
	    atomic_load(&rq->srv->body_max_bytes));
	return reply_send(rq, &rp);
}

/* Past request_timeout since the request's first call? */
static bool
request_late(const struct request *rq)
{
	unsigned timeout_s = rq->srv->opts.request_timeout_s;

	return timeout_s > 0 &&
	    clock_mono_us() - rq->start_us > timeout_s * 1000000ULL;
}

static enum MHD_Result
reply_timeout(struct request *rq)
{
	struct reply rp = { 0 };

	rq->timed_out = true;
	reply_err(&rp, TREASURY_ERR_REQUEST_TIMEOUT,
	    "the request was not complete within %u s (request_timeout)",
	    rq->srv->opts.request_timeout_s);
	return reply_send(rq, &rp);
}

/* Past the deadline in the middle of the body: MHD cannot queue an
 * answer before the body is complete, so the connection is closed. */
static enum MHD_Result
request_cut(struct request *rq)
{
	rq->timed_out = true;
	log_debug("%s %.200s: body not complete within %u s; connection "
	    "closed", rq->method, rq->url, rq->srv->opts.request_timeout_s);
	metrics_request(rq->route, 408, clock_mono_us() - rq->start_us);
	return MHD_NO;
}

/* Count the Content-Length headers: more than one is refused (RFC 9112
 * §6.3: a message with differing lengths is unrecoverable; MHD would take
 * the first). */
static enum MHD_Result
count_content_length(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	unsigned *n = cls;

	(void)kind;
	(void)value;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
		(*n)++;
	return MHD_YES;
}

static bool
content_length_repeated(struct request *rq)
{
	unsigned n = 0;

	MHD_get_connection_values(rq->conn, MHD_HEADER_KIND,
	    count_content_length, &n);
	return n > 1;
}

static enum MHD_Result
reply_bad_header(struct request *rq)
{
	struct reply rp = { 0 };

	rq->answered = true;
	reply_err(&rp, TREASURY_ERR_INVALID_HEADER,
	    "Content-Length is given more than once");
	return reply_send(rq, &rp);
}

/* A request that arrives while the daemon drains for shutdown: 503
 * shutting-down (Retry-After: 1). The listen socket stays open until
 * MHD_stop_daemon: MHD_quiesce_daemon on an epoll daemon with its own
 * threads races its workers and can abort the process (an open
 * libmicrohttpd defect: both remove the listen FD from the epoll set and
 * the loser panics on ENOENT). */
static enum MHD_Result
reply_shutting_down(struct request *rq)
{
	struct reply rp = { 0 };

	rq->answered = true;
	reply_err(&rp, TREASURY_ERR_SHUTTING_DOWN,
	    "the daemon is stopping; try again");
	return reply_send(rq, &rp);
}

static bool
declared_length_too_large(struct request *rq)
{
	const char *cl = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	unsigned long long n = 0;
	unsigned max = atomic_load(&rq->srv->body_max_bytes);

	if (cl == NULL)
		return false;
	for (const char *p = cl; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || n > max)
			return true;
		n = n * 10 + (unsigned)(*p - '0');
	}
	return n > max;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct request *rq = *con_cls;
	struct reply rp = { 0 };

	(void)version;
	if (rq == NULL) {
		rq = request_new(cls, conn, url, method);
		if (rq == NULL)
			return MHD_NO;
		*con_cls = rq;
		if (atomic_load(&rq->srv->stopping))
			return reply_shutting_down(rq);
		if (content_length_repeated(rq))
			return reply_bad_header(rq);
		if (declared_length_too_large(rq)) {
			rq->body_too_large = rq->answered = true;
			return reply_too_large(rq);
		}
		return MHD_YES;
	}
	if (rq->answered || rq->timed_out) {
		*upload_data_size = 0;
		return MHD_YES;		/* 413 or 408 already queued */
	}
	if (*upload_data_size > 0) {
		/* A body without Content-Length (chunked) that grows past the
		 * cap is read and dropped to its end (bounded by
		 * request_timeout), then answered 413: MHD cannot queue an
		 * answer in the middle of an upload. */
		(void)request_body_append(rq, upload_data, *upload_data_size);
		*upload_data_size = 0;
		if (request_late(rq))
			return request_cut(rq);
		return MHD_YES;
	}
	if (rq->body_too_large)
		return reply_too_large(rq);
	if (!rq->waiting && request_late(rq))
		return reply_timeout(rq);
	if (rq->waiting) {		/* resumed: the command is done */
		command_finish(rq, &rp);
		return reply_send(rq, &rp);
	}
	dispatch(rq, &rp);
	if (rq->waiting)
		return MHD_YES;		/* suspended until the commit */
	return reply_send(rq, &rp);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (rq == NULL)
		return;
	free(rq->job);		/* only if never resumed: not while suspended */
	idempotency_render_drop(rq);
	free(rq->body);
	free(rq);
	*con_cls = NULL;
	atomic_fetch_sub(&requests_in_flight, 1);
}

treasury_err
api_start(const struct api_options *opts, struct api_server **out)
{
	struct api_server *srv = calloc(1, sizeof(*srv));
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_USE_ERROR_LOG | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME;
	size_t path_len = strlen(opts->db_path);
	struct MHD_OptionItem listen_opt[2] = {
		{ MHD_OPTION_END, 0, NULL }, { MHD_OPTION_END, 0, NULL },
	};
	struct MHD_OptionItem tls_opt[TLS_MHD_OPTIONS];
	treasury_err err;

	if (srv == NULL)
		return TREASURY_ERR_NOMEM;
	if (path_len >= sizeof(srv->db_path)) {
		free(srv);
		return TREASURY_ERR_TOO_LARGE;
	}
	srv->opts = *opts;
	if (opts->unsafe_test_clock)
		test_clock_enable();
	memcpy(srv->db_path, opts->db_path, path_len + 1);
	srv->opts.db_path = srv->db_path;
	atomic_store(&srv->body_max_bytes, opts->body_max_bytes);
	crypto_generichash(srv->cursor_key, sizeof(srv->cursor_key),
	    (const uint8_t *)"treasuryd cursor key v1", 23,
	    opts->token_hash_key, TOKEN_HASH_KEY_BYTES);
	/* a socket passed by systemd, else bind listen_addr ourselves */
	if (opts->use_listen_fd)
		listen_opt[0] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET,
		    opts->listen_fd, NULL };
	else
		listen_opt[0] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0,
		    (void *)(uintptr_t)opts->listen_addr };
	if (opts->listen_addr->sa_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	err = tls_start(srv, tls_opt, &flags);	/* HTTPS when configured */
	if (err != TREASURY_OK) {
		free(srv);
		return err;
	}
	srv->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_ARRAY, listen_opt,
	    MHD_OPTION_ARRAY, tls_opt,
	    MHD_OPTION_THREAD_POOL_SIZE, opts->threads,
	    MHD_OPTION_CONNECTION_LIMIT, opts->max_connections,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, opts->per_ip_connections,
	    MHD_OPTION_CONNECTION_TIMEOUT, opts->connection_timeout_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)opts->connection_memory_bytes,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
	    MHD_OPTION_UNESCAPE_CALLBACK, url_unescape, NULL,
	    MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
	    MHD_OPTION_END);
	if (srv->mhd == NULL) {
		log_msg(LOG_ERR, "cannot start the HTTP server (address in use "
		    "or not available?)");
		tls_stop(srv);
		free(srv);
		return TREASURY_ERR_IO;
	}
	writer_commit_hook_set(opts->writer, events_wake, srv);
	*out = srv;
	return TREASURY_OK;
}

void
api_cron(struct api_server *srv)
{
	if (srv != NULL)
		events_tick(srv);
}

void
api_body_max_set(struct api_server *srv, unsigned bytes)
{
	atomic_store(&srv->body_max_bytes, bytes);
}

unsigned
api_requests_in_flight(void)
{
	int n = atomic_load(&requests_in_flight);

	return n > 0 ? (unsigned)n : 0;
}

void
api_stop(struct api_server *srv, unsigned drain_timeout_s)
{
	struct timespec pause = { 0, 10 * 1000 * 1000 };
	unsigned long waited_ms = 0;

	if (srv == NULL)
		return;
	/* new requests are answered 503 shutting-down (reply_shutting_down
	 * says why MHD_quiesce_daemon is not used); event streams end */
	atomic_store(&srv->stopping, true);
	while (atomic_load(&requests_in_flight) > 0 &&
	    waited_ms < drain_timeout_s * 1000UL) {
		events_tick(srv);
		nanosleep(&pause, NULL);
		waited_ms += 10;
	}
	if (atomic_load(&requests_in_flight) > 0)
		log_warnx("shutdown: %d requests still in flight after %u s",
		    atomic_load(&requests_in_flight), drain_timeout_s);
	/* MHD must not stop with a suspended connection; the writer (still
	 * running) resumes each one when its group is done */
	while (commands_waiting() > 0)
		nanosleep(&pause, NULL);
	while (events_streams() > 0 && waited_ms < drain_timeout_s * 2000UL) {
		events_tick(srv);	/* a stream must not stay suspended */
		nanosleep(&pause, NULL);
		waited_ms += 10;
	}
	writer_commit_hook_set(srv->opts.writer, NULL, NULL);
	MHD_stop_daemon(srv->mhd);	/* closes the listen socket */
	tls_stop(srv);
	free(srv);
}
