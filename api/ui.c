/*
 * ui.c: the treasurer's dashboard, GET /ui/ (docs/api.md "Dashboard").
 *
 * The page is static: HTML, CSS and JavaScript from api/ui/, embedded in
 * the binary at build time (api/ui/embed.cmake writes ui_files.c), so
 * nothing is installed or fetched from elsewhere. It carries no data and
 * needs no token; the page asks the user for one and calls the API with
 * it (Authorization: Bearer), like any other client.
 *
 * GET /ui/ is index.html, GET /ui/<name> a file of the table (one path
 * segment: "/ui/a/b", "..", "%2e%2e" and the like never match a name and
 * are 404; no file system is read). GET /ui and GET / redirect to /ui/
 * (relative Location, so that a proxy serving the daemon under a prefix
 * keeps it). Files are sent with their ETag and Cache-Control: no-cache
 * (the browser revalidates each time and gets a 304 while the binary is
 * the same). Every answer on these paths, errors included (server.c
 * calls ui_headers), carries a strict Content-Security-Policy and the
 * other browser hardening headers.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "ui_files.h"

#define UI_CSP "default-src 'self'; script-src 'self'; style-src 'self'; " \
	"img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; " \
	"base-uri 'none'; form-action 'self'"

bool
ui_path(const char *url)
{
	if (url == NULL)
		return false;
	if (strcmp(url, "/") == 0)
		return true;
	return strncmp(url, "/ui", 3) == 0 && (url[3] == '\0' || url[3] == '/');
}

void
ui_headers(struct MHD_Response *resp)
{
	MHD_add_response_header(resp, "Content-Security-Policy", UI_CSP);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Cross-Origin-Opener-Policy",
	    "same-origin");
	MHD_add_response_header(resp, "Cross-Origin-Resource-Policy",
	    "same-origin");
	MHD_add_response_header(resp, "Permissions-Policy",
	    "camera=(), microphone=(), geolocation=(), payment=()");
}

static const struct ui_file *
ui_file_find(const char *name)
{
	for (size_t i = 0; i < ui_files_count; i++)
		if (strcmp(ui_files[i].name, name) == 0)
			return &ui_files[i];
	return NULL;
}

/* Does If-None-Match name etag (or "*")? */
static bool
ui_not_modified(struct request *rq, const char *etag)
{
	const char *h = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_IF_NONE_MATCH);

	if (h == NULL)
		return false;
	if (strcmp(h, "*") == 0)
		return true;
	/* a list of entity tags; ours are quoted hex, so a substring match
	 * cannot hit a different tag */
	return strstr(h, etag) != NULL;
}

static void
ui_send(struct request *rq, struct reply *rp, const struct ui_file *f)
{
	bool same = ui_not_modified(rq, f->etag);
	char *body = malloc(same ? 1 : f->len + 1);

	if (body == NULL) {
		reply_err(rp, TREASURY_ERR_NOMEM, "out of memory");
		return;
	}
	if (same) {
		body[0] = '\0';
	} else {
		memcpy(body, f->data, f->len);
		body[f->len] = '\0';
	}
	rp->status = same ? 304 : 200;
	rp->raw = body;
	rp->content_type = f->content_type;
	rp->cache_control = "no-cache";
	rp->etag = f->etag;
}

static void
ui_redirect(struct reply *rp, const char *location)
{
	char *body = strdup("see /ui/\n");

	if (body == NULL) {
		reply_err(rp, TREASURY_ERR_NOMEM, "out of memory");
		return;
	}
	rp->status = 302;
	rp->raw = body;
	rp->content_type = "text/plain; charset=utf-8";
	rp->location = location;
}

/* GET /: the dashboard. */
void
handle_ui_root(struct request *rq, struct reply *rp)
{
	(void)rq;
	ui_redirect(rp, "ui/");
}

/* GET /ui: the dashboard's address ends in a slash (its files are
 * relative to it). */
void
handle_ui_redirect(struct request *rq, struct reply *rp)
{
	(void)rq;
	ui_redirect(rp, "ui/");
}

/* GET /ui/ */
void
handle_ui_index(struct request *rq, struct reply *rp)
{
	const struct ui_file *f = ui_file_find("index.html");

	if (f == NULL) {
		reply_err_titled(rp, TREASURY_ERR_NOT_FOUND, "Not found",
		    "no such file");
		return;
	}
	ui_send(rq, rp, f);
}

/* GET /ui/{name} */
void
handle_ui_file(struct request *rq, struct reply *rp)
{
	const struct ui_file *f = ui_file_find(rq->params[0]);

	if (f == NULL) {
		reply_err_titled(rp, TREASURY_ERR_NOT_FOUND, "Not found",
		    "no such file");
		return;
	}
	ui_send(rq, rp, f);
}
