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
 * The first call decides everything that needs no body (request_first):
 * shutting down, the method, the framing, the route (414/404/405), a
 * declared body over the cap; such an answer is queued before the body.
 *
 * Limits kept here besides MHD's own (docs/configuration.md): the body cap
 * (413 at once from Content-Length; a chunked body that outgrows it is
 * dropped to its end, then answered 413), one unambiguous framing
 * (request_framing_ok), no %00 or %2F decoded (url_unescape), methods that
 * are HTTP tokens, strict header syntax (MHD_OPTION_STRICT_FOR_CLIENT), a
 * deadline on receiving the headers (connections.c), and a whole-request
 * deadline, request_timeout from the first call: MHD's connection timeout
 * only counts idle time, so a client trickling its body would otherwise
 * hold a connection for ever; each piece of body (and the end of it) that
 * arrives past the deadline closes the connection (MHD cannot answer
 * before the body is complete), a body completed late is answered 408.
 * Every answer is counted for /v1/metrics by route pattern and status (a
 * 2xx answer to a POST with an Idempotency-Key was stored already, in the
 * command's transaction: idempotency.c).
 */
#include <assert.h>
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

enum {
	DRAIN_PAUSE_MS = 10,
	/* after the drain, how long a connection between two requests may
	 * still send one (answered 503 shutting-down) before it is closed */
	DRAIN_LINGER_MS = 500,
};

/* Requests from their first call (headers complete) to their end. */
static atomic_int requests_in_flight;
/* Requests being run (request_run) until their answer is sent. */
static atomic_int requests_answering;

static void request_answering_end(struct request *rq);

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

/* MHD's URL unescaping, except that "%00" and "%2F" are left as they are:
 * a decoded NUL would silently cut the path or a query value short (so
 * that "/v1/health%00/x" would reach /v1/health), and a decoded "/" would
 * split a path segment in two ("/v1/treasuries/a%2Fb/ledger" routed as
 * /v1/treasuries/a/b/ledger). MHD uses this for the path and the query
 * values alike; no query value of the API holds a "/" (cursors are
 * base64url). Invalid escapes stay as they are. Decodes in place; returns
 * the new length. */
static size_t
url_unescape(void *cls, struct MHD_Connection *conn, char *uri)
{
	char *in = uri, *out = uri;

	(void)cls;
	(void)conn;
	while (*in != '\0') {
		int hi, lo;
		if (in[0] == '%' && (hi = hex_digit_value(in[1])) >= 0 &&
		    (lo = hex_digit_value(in[2])) >= 0 && (hi | lo) != 0 &&
		    hi * 16 + lo != '/') {
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
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	    rp->cache_control != NULL ? rp->cache_control : "no-store");
	if (rp->etag != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, rp->etag);
	if (rp->location != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION,
		    rp->location);
	if (ui_path(rq->url))	/* the dashboard's paths, errors included */
		ui_headers(resp);
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
	/* a bad framing, or the daemon stopping: no further request on this
	 * connection (MHD closes it after this answer) */
	if (rp->close || atomic_load(&rq->srv->stopping))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION,
		    "close");
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
		request_answering_end(rq);	/* a stream ends on its own */
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
	/* api_stop waits until a write's answer is sent (it is small: the
	 * socket takes it at once). A read's answer may be large and read
	 * slowly; it changed nothing, so the drain need not wait for it and
	 * a slow reader cannot hold the stop. */
	if (strcmp(rq->method, MHD_HTTP_METHOD_GET) == 0 ||
	    strcmp(rq->method, MHD_HTTP_METHOD_HEAD) == 0)
		request_answering_end(rq);
	log_debug("%s %.200s -> %u", rq->method, rq->url, rp->status);
	metrics_request(rq->route, rp->status, clock_mono_us() - rq->start_us);
	return ret;
}

/* The route resolved at the request's first call (request_route). */
static void
dispatch(struct request *rq, struct reply *rp)
{
	const struct route *route = rq->matched;

	assert(route != NULL);
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
	conns_request_begin(conn);
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

/* An answer queued before the body was read (MHD then reads no further
 * request on the connection unless the body was already complete). */
static enum MHD_Result
reply_early(struct request *rq, struct reply *rp)
{
	rq->answered = true;
	return reply_send(rq, rp);
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

/* A method is an HTTP token (RFC 9110 §5.6.2); MHD passes on any bytes. */
static bool
method_is_token(const char *method)
{
	static const char tchar_other[] = "!#$%&'*+-.^_`|~";

	if (method[0] == '\0')
		return false;
	for (const unsigned char *p = (const unsigned char *)method; *p != '\0';
	    p++) {
		bool alnum = (*p >= 'a' && *p <= 'z') ||
		    (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9');
		if (!alnum && strchr(tchar_other, *p) == NULL)
			return false;
	}
	return true;
}

/* The headers that frame the body. */
struct framing {
	unsigned content_length;	/* how many Content-Length headers */
	unsigned transfer_encoding;	/* how many Transfer-Encoding headers */
	const char *coding;		/* the last Transfer-Encoding value */
};

static enum MHD_Result
framing_count(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct framing *f = cls;

	(void)kind;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
		f->content_length++;
	if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
		f->transfer_encoding++;
		f->coding = value;
	}
	return MHD_YES;
}

/* Refuse a body whose length the daemon and a proxy in front of it could
 * read differently (request smuggling, RFC 9112 §6.1 and §6.3): more than
 * one Content-Length (MHD would take the first), Content-Length together
 * with Transfer-Encoding, Transfer-Encoding more than once -> 400; a
 * coding other than chunked -> 501 (MHD frames only chunked). The answer
 * closes the connection: the bytes after the headers are not a request. */
static bool
request_framing_ok(struct request *rq, struct reply *rp)
{
	struct framing f = { 0 };
	char coding[64];

	MHD_get_connection_values(rq->conn, MHD_HEADER_KIND, framing_count, &f);
	if (f.content_length > 1)
		reply_err(rp, TREASURY_ERR_INVALID_HEADER,
		    "Content-Length is given more than once");
	else if (f.content_length > 0 && f.transfer_encoding > 0)
		reply_err(rp, TREASURY_ERR_INVALID_HEADER,
		    "Content-Length and Transfer-Encoding are given together");
	else if (f.transfer_encoding > 1)
		reply_err(rp, TREASURY_ERR_INVALID_HEADER,
		    "Transfer-Encoding is given more than once");
	else if (f.transfer_encoding == 1 &&
	    strcasecmp(f.coding, "chunked") != 0) {
		text_for_detail(coding, sizeof(coding), f.coding);
		reply_err(rp, TREASURY_ERR_NOT_IMPLEMENTED,
		    "Transfer-Encoding '%s' is not implemented (only chunked)",
		    coding);
	} else
		return true;
	rp->close = true;
	return false;
}

/* The route of the path and method: 414, 404 or 405 before the body is
 * read (docs/api.md: these come before 413 and everything else). */
static bool
request_route(struct request *rq, struct reply *rp)
{
	if (rq->url_too_long) {
		reply_err(rp, TREASURY_ERR_URI_TOO_LONG,
		    "the request path is longer than %d bytes", URL_MAX_BYTES - 1);
		return false;
	}
	rq->matched = route_match(rq, &rq->allow);
	if (rq->matched != NULL) {
		rq->route = (int)(rq->matched - route_at(0));
		return true;
	}
	if (rq->allow != NULL) {
		reply_err(rp, TREASURY_ERR_METHOD_NOT_ALLOWED,
		    "%s is not allowed here; allowed: %s", rq->method,
		    rq->allow);
		rp->allow = rq->allow;
		return false;
	}
	reply_err_titled(rp, TREASURY_ERR_NOT_FOUND, "Not found",
	    "no such endpoint");
	return false;
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

/* The first call, headers complete, no body read yet. In this order:
 * the daemon stopping -> 503 shutting-down (the listen socket stays open
 * until MHD_stop_daemon: MHD_quiesce_daemon on an epoll daemon with its
 * own threads races its workers and can abort the process, an open
 * libmicrohttpd defect); a method that is no token -> 400; bad framing;
 * 414/404/405; a declared body over the cap -> 413. */
static enum MHD_Result
request_first(struct request *rq)
{
	struct reply rp = { 0 };

	if (atomic_load(&rq->srv->stopping))
		reply_err(&rp, TREASURY_ERR_SHUTTING_DOWN,
		    "the daemon is stopping; try again");
	else if (!method_is_token(rq->method))
		reply_err(&rp, TREASURY_ERR_INVALID_METHOD,
		    "the request method is not an HTTP token");
	else if (request_framing_ok(rq, &rp) && request_route(rq, &rp)) {
		if (!declared_length_too_large(rq))
			return MHD_YES;	/* on to the body */
		rq->body_too_large = true;
		reply_err(&rp, TREASURY_ERR_BODY_TOO_LARGE,
		    "the request body exceeds %u bytes",
		    atomic_load(&rq->srv->body_max_bytes));
	}
	return reply_early(rq, &rp);
}

static void
request_answering_end(struct request *rq)
{
	if (!rq->answering)
		return;
	rq->answering = false;
	atomic_fetch_sub(&requests_answering, 1);
}

/* The body is complete: run the request, unless api_stop's drain deadline
 * has passed (then it is not applied: 503). Counted as answering from
 * here until its answer is sent, which api_stop always waits for. */
static enum MHD_Result
request_run(struct request *rq)
{
	struct reply rp = { 0 };

	rq->answering = true;
	atomic_fetch_add(&requests_answering, 1);
	if (atomic_load(&rq->srv->cutting)) {
		reply_err(&rp, TREASURY_ERR_SHUTTING_DOWN,
		    "the daemon is stopping; the request was not applied");
		return reply_send(rq, &rp);
	}
	dispatch(rq, &rp);
	if (rq->waiting)
		return MHD_YES;		/* suspended until the commit */
	return reply_send(rq, &rp);
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
		return request_first(rq);
	}
	if (rq->answered || rq->timed_out) {
		*upload_data_size = 0;
		return MHD_YES;		/* an early answer or 408 is queued */
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
	return request_run(rq);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *con_cls;

	(void)cls;
	(void)toe;
	conns_request_end(conn);
	if (rq == NULL)
		return;
	request_answering_end(rq);
	free(rq->job);		/* only if never resumed: not while suspended */
	idempotency_render_drop(rq);
	free(rq->body);
	free(rq);
	*con_cls = NULL;
	atomic_fetch_sub(&requests_in_flight, 1);
}

/* Other processes' commits, for answers from memory (cache.c); without
 * the file every answer is read from the database. */
static void
changes_start(struct api_server *srv)
{
	char errmsg[STORE_ERRMSG_BYTES];

	if (srv->opts.memory_answers_ms == 0)
		return;		/* turned off: nothing to watch */
	if (store_changes_map(srv->db_path, &srv->changes, errmsg) !=
	    TREASURY_OK)
		log_msg(LOG_WARNING, "%s; every answer is read from the "
		    "database", errmsg);
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
	changes_start(srv);
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
		store_changes_unmap(srv->changes);
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
	    MHD_OPTION_NOTIFY_CONNECTION, conns_notify, NULL,
	    MHD_OPTION_UNESCAPE_CALLBACK, url_unescape, NULL,
	    MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
	    MHD_OPTION_END);
	if (srv->mhd == NULL) {
		log_msg(LOG_ERR, "cannot start the HTTP server (address in use "
		    "or not available?)");
		tls_stop(srv);
		store_changes_unmap(srv->changes);
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
	if (srv == NULL)
		return;
	events_tick(srv);
	(void)conns_sweep(srv->opts.request_timeout_s);
}

void
api_events_wake(void *srv)
{
	metrics_events_heard();
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

static void
drain_pause(struct api_server *srv, unsigned long *waited_ms)
{
	struct timespec pause = { 0, DRAIN_PAUSE_MS * 1000 * 1000 };

	events_tick(srv);	/* a stream must not stay suspended */
	nanosleep(&pause, NULL);
	*waited_ms += DRAIN_PAUSE_MS;
}

/*
 * The drain on SIGTERM. Every request whose headers arrived before it is
 * answered, and every later one is answered 503 shutting-down (with
 * Connection: close, as is every answer from now on):
 *  1. wait up to drain_timeout_s for the requests in flight (a body still
 *     arriving then is cut: it was never run);
 *  2. from then on a request whose body completes is answered 503 instead
 *     of being run, and the requests being run are waited for without a
 *     deadline (their commands are in the writer, which still runs: one
 *     committed is always answered);
 *  3. linger up to DRAIN_LINGER_MS while connections are open, so that a
 *     client between two requests on a keep-alive connection gets its 503
 *     rather than a closed socket;
 *  4. end the event streams, stop MHD (closes the listen socket).
 */
void
api_stop(struct api_server *srv, unsigned drain_timeout_s)
{
	unsigned long waited_ms = 0, drain_ms = drain_timeout_s * 1000UL;
	unsigned long linger_ms;

	if (srv == NULL)
		return;
	atomic_store(&srv->stopping, true);
	while (atomic_load(&requests_in_flight) > 0 && waited_ms < drain_ms)
		drain_pause(srv, &waited_ms);
	atomic_store(&srv->cutting, true);
	if (atomic_load(&requests_in_flight) > 0)
		log_warnx("shutdown: %d requests still in flight after %u s",
		    atomic_load(&requests_in_flight), drain_timeout_s);
	while (atomic_load(&requests_answering) > 0)
		drain_pause(srv, &waited_ms);
	linger_ms = waited_ms + DRAIN_LINGER_MS;
	while (conns_count() > events_streams() && waited_ms < linger_ms &&
	    waited_ms < drain_ms)
		drain_pause(srv, &waited_ms);
	while (atomic_load(&requests_answering) > 0)	/* run meanwhile */
		drain_pause(srv, &waited_ms);
	/* MHD must not stop with a suspended connection (requests_answering
	 * covers the commands already; this is the last guard) */
	while (commands_waiting() > 0)
		drain_pause(srv, &waited_ms);
	while (events_streams() > 0 && waited_ms < drain_ms * 2)
		drain_pause(srv, &waited_ms);
	writer_commit_hook_set(srv->opts.writer, NULL, NULL);
	MHD_stop_daemon(srv->mhd);	/* closes the listen socket */
	tls_stop(srv);
	store_changes_unmap(srv->changes);
	free(srv);
}
