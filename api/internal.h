/*
 * internal.h: what the api/ files share with each other and nothing else:
 * the request and reply of one HTTP exchange, the route table, and the
 * helpers handlers use to answer.
 */
#ifndef TREASURY_API_INTERNAL_H
#define TREASURY_API_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <microhttpd.h>

#include "treasury/api.h"
#include "treasury/storage.h"

enum {
	ROUTE_PARAMS_MAX = 4,
	URL_MAX_BYTES = 2048,
	AUTH_HEADER_MAX_BYTES = 512,
	JSON_DEPTH_MAX = 8,
	PROBLEM_DETAIL_MAX_BYTES = 512,
};

#define ROLE_ANYONE 0u		/* no token needed */
#define ROLE_ANY_TOKEN ROLE_ALL	/* every role can read */

struct api_server {
	struct MHD_Daemon *mhd;
	struct api_options opts;
	char db_path[4096];
};

struct request {
	struct api_server *srv;
	struct MHD_Connection *conn;
	const char *method;
	char path[URL_MAX_BYTES];	/* split in place by the router */
	const char *params[ROUTE_PARAMS_MAX];
	char *body;
	size_t body_len;
	bool body_too_large;
	bool url_too_long;
	struct token_info token;	/* valid when the route needs a token */
	struct store *reader;		/* this thread's read-only store */
};

struct reply {
	unsigned status;
	json_t *json;			/* owned; sent as application/json */
	bool problem;			/* send as application/problem+json */
	const char *allow;		/* Allow header for 405 */
	bool www_authenticate;		/* add WWW-Authenticate: Bearer */
};

typedef void (*route_handler)(struct request *rq, struct reply *rp);

struct route {
	const char *method;
	const char *pattern;		/* "/v1/treasuries/{}/balances" */
	unsigned roles;			/* ROLE_ANYONE, or roles allowed */
	route_handler handler;
};

/* Find the route for method and path; fills rq->params.
 * Returns the route; NULL with *allow set (a static list of methods) when
 * the path exists with other methods (405); NULL with *allow NULL when no
 * route has this path (404). */
const struct route *route_match(struct request *rq, const char **allow);

/* Answer status with body json (reference taken). */
void reply_json(struct reply *rp, unsigned status, json_t *json);

/* Answer an RFC 9457 problem: type "urn:treasuryd:problem:<slug>", title,
 * status and a printf-formatted detail naming the offending field. */
void reply_problem(struct reply *rp, unsigned status, const char *slug,
    const char *title, const char *detail_fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Answer a problem for a treasury_err from core or storage with the given
 * status; the slug and title come from the error table. */
void reply_error(struct reply *rp, unsigned status, treasury_err err,
    const char *detail_fmt, ...) __attribute__((format(printf, 4, 5)));

/* This thread's read-only store, opened on first use. NULL after logging
 * an error when it cannot be opened. */
struct store *reader_get(struct api_server *srv);

/* Authenticate the request's bearer token and check it holds one of
 * `roles`. Returns true when allowed; otherwise answers 401 or 403 in rp.*/
bool auth_check(struct request *rq, struct reply *rp, unsigned roles);

/* Route handlers. */
void handle_health(struct request *rq, struct reply *rp);
void handle_info(struct request *rq, struct reply *rp);

#endif
