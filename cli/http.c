/*
 * http.c: treasuryctl's HTTP client (libcurl easy interface).
 *
 * One request at a time, http and https only, no redirects followed,
 * timeouts on connect and on the whole request, answers capped at
 * RESPONSE_MAX_BYTES. https (tls_setup): TLS 1.2 or later; the server's
 * certificate is verified against --cacert (else the system's CAs) with
 * its name, or, with --pin alone, its public key must be the pinned one
 * (the pin is the trust: a self-signed certificate is fine, the CA chain
 * and name are not checked); with both, both must hold. --client-cert
 * and --client-key are presented when the server asks. The Authorization header is built in locked memory
 * and wiped. Problem answers (RFC 9457) are printed with their detail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <sodium.h>

#include "ctl.h"
#include "treasury/canonical.h"

void
http_global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void
http_global_cleanup(void)
{
	curl_global_cleanup();
}

static size_t
body_write(char *data, size_t size, size_t n, void *userdata)
{
	struct textbuf *b = userdata;

	if (textbuf_append(b, data, size * n) != TREASURY_OK)
		return 0;	/* too large: curl stops with a write error */
	return size * n;
}

/* "Authorization: Bearer <token>" in sodium_malloc memory, or NULL. */
static char *
auth_header(const char *token)
{
	static const char prefix[] = "Authorization: Bearer ";
	size_t len = sizeof(prefix) - 1 + strlen(token) + 1;
	char *h;

	h = sodium_malloc(len);
	if (h == NULL)
		return NULL;
	snprintf(h, len, "%s%s", prefix, token);
	return h;
}

static void
problem_print(long status, json_t *j)
{
	const char *type = json_str(j, "type"), *detail = json_str(j, "detail");
	const char *slug = type, *title = json_str(j, "title");

	/* every string is escaped by say() (ctl_err), line feeds too */
	if (type != NULL && strncmp(type, "urn:treasuryd:problem:", 22) == 0)
		slug = type + 22;
	say(stderr, "treasuryctl: the server refused: %ld %.128s: %.256s%s"
	    "%.1024s\n", status, slug != NULL ? slug : "(no type)",
	    title != NULL ? title : "", detail != NULL ? ": " : "",
	    detail != NULL ? detail : "");
}

static int
answer_parse(long status, const struct textbuf *b, json_t **out)
{
	json_error_t jerr;
	json_t *j;

	j = b->len > 0 ? json_loadb(b->data, b->len, JSON_REJECT_DUPLICATES,
	    &jerr) : NULL;
	if (status < 200 || status > 299) {
		if (j != NULL && json_is_object(j))
			problem_print(status, j);
		else
			ctl_err("the server refused: HTTP %ld", status);
		json_decref(j);
		return CTL_REFUSED;
	}
	if (j == NULL || !json_is_object(j)) {
		ctl_err("the server's answer is not a JSON object");
		json_decref(j);
		return CTL_NETWORK;
	}
	*out = j;
	return CTL_OK;
}

static int
tls_setup(const struct ctl *c, CURL *h)
{
	struct curl_blob blob;
	CURLcode e = CURLE_OK;

#define SET(opt, val) if (e == CURLE_OK) e = curl_easy_setopt(h, opt, val)
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (c->pin[0] != '\0') {
		SET(CURLOPT_PINNEDPUBLICKEY, c->pin);
		if (c->cacert_pem == NULL) {
			SET(CURLOPT_SSL_VERIFYPEER, 0L);
			SET(CURLOPT_SSL_VERIFYHOST, 0L);
		}
	}
	if (c->cacert_pem != NULL) {
		blob = (struct curl_blob){ c->cacert_pem, c->cacert_len,
		    CURL_BLOB_COPY };
		SET(CURLOPT_CAINFO_BLOB, &blob);
	}
	if (c->client_cert_pem != NULL) {
		blob = (struct curl_blob){ c->client_cert_pem,
		    c->client_cert_len, CURL_BLOB_COPY };
		SET(CURLOPT_SSLCERT_BLOB, &blob);
		SET(CURLOPT_SSLCERTTYPE, "PEM");
		blob = (struct curl_blob){ c->client_key_pem, c->client_key_len,
		    CURL_BLOB_COPY };
		SET(CURLOPT_SSLKEY_BLOB, &blob);
		SET(CURLOPT_SSLKEYTYPE, "PEM");
	}
#undef SET
	return e == CURLE_OK ? 0 : -1;
}

static int
easy_setup(const struct ctl *c, CURL *h, const char *method, const char *url,
    const char *body, struct curl_slist *headers, struct textbuf *b)
{
	CURLcode e = CURLE_OK;

#define SET(opt, val) if (e == CURLE_OK) e = curl_easy_setopt(h, opt, val)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_CONNECTTIMEOUT, (long)HTTP_CONNECT_TIMEOUT_S);
	SET(CURLOPT_TIMEOUT, (long)HTTP_TIMEOUT_S);
	SET(CURLOPT_HTTPHEADER, headers);
	SET(CURLOPT_WRITEFUNCTION, body_write);
	SET(CURLOPT_WRITEDATA, b);
	SET(CURLOPT_USERAGENT, "treasuryctl/" TREASURYD_VERSION);
	if (strcmp(method, "POST") == 0) {
		SET(CURLOPT_POST, 1L);
		SET(CURLOPT_POSTFIELDS, body != NULL ? body : "{}");
	}
#undef SET
	if (e == CURLE_OK && strncmp(url, "https://", 8) == 0)
		return tls_setup(c, h);
	return e == CURLE_OK ? 0 : -1;
}

static int
perform(struct ctl *c, const char *method, const char *url, const char *body,
    json_t **out)
{
	struct curl_slist *headers = NULL, *tmp;
	struct textbuf b;
	char *auth = NULL;
	CURL *h = NULL;
	CURLcode e;
	long status = 0;
	int rc = CTL_ERROR;

	textbuf_init(&b, RESPONSE_MAX_BYTES);
	auth = auth_header(c->token);
	h = curl_easy_init();
	if (auth == NULL || h == NULL)
		goto done;
	headers = curl_slist_append(NULL, auth);
	tmp = headers ? curl_slist_append(headers, "Accept: application/json")
	    : NULL;
	if (tmp != NULL && strcmp(method, "POST") == 0)
		tmp = curl_slist_append(tmp,
		    "Content-Type: application/json");
	if (tmp == NULL || easy_setup(c, h, method, url, body, tmp, &b) != 0)
		goto done;
	e = curl_easy_perform(h);
	if (e != CURLE_OK) {
		ctl_err("%s %s: %s", method, url, curl_easy_strerror(e));
		rc = CTL_NETWORK;
		goto done;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	rc = answer_parse(status, &b, out);
done:
	if (rc == CTL_ERROR)
		ctl_err("out of memory");
	if (h != NULL)
		curl_easy_cleanup(h);
	/* curl copied the header; wipe our list's copy too */
	for (tmp = headers; tmp != NULL; tmp = tmp->next)
		sodium_memzero(tmp->data, strlen(tmp->data));
	curl_slist_free_all(headers);
	sodium_free(auth);
	textbuf_free(&b);
	return rc;
}

int
http_call(struct ctl *c, const char *method, const char *path, json_t *body,
    json_t **out)
{
	char url[URL_MAX_BYTES + PATH_MAX_BYTES];
	char *text = NULL;
	int rc;

	*out = NULL;
	rc = config_token_load(c);
	if (rc != CTL_OK)
		return rc;
	if (snprintf(url, sizeof(url), "%s%s", c->url, path) >=
	    (int)sizeof(url)) {
		ctl_err("request path too long");
		return CTL_USAGE;
	}
	if (body != NULL) {
		text = json_dumps(body, JSON_COMPACT);
		if (text == NULL) {
			ctl_err("out of memory");
			return CTL_ERROR;
		}
	}
	rc = perform(c, method, url, text, out);
	free(text);
	return rc;
}

/* Append "cursor=<escaped>" to path. Returns 0 or -1. */
static int
page_path(char *out, size_t size, const char *path, const char *cursor)
{
	char *esc = NULL;
	int n;
	const char *sep = strchr(path, '?') != NULL ? "&" : "?";

	if (cursor == NULL) {
		n = snprintf(out, size, "%s%slimit=%d", path, sep,
		    LIST_PAGE_LIMIT);
		return n < 0 || (size_t)n >= size ? -1 : 0;
	}
	esc = curl_easy_escape(NULL, cursor, 0);
	if (esc == NULL)
		return -1;
	n = snprintf(out, size, "%s%slimit=%d&cursor=%s", path, sep,
	    LIST_PAGE_LIMIT, esc);
	curl_free(esc);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* Append the page's `key` list to all. Returns CTL_OK or CTL_NETWORK
 * (message printed): no list, or more than LIST_ITEMS_MAX items in all. */
static int
page_items_append(json_t *page, const char *key, json_t *all)
{
	json_t *items = json_object_get(page, key);

	if (!json_is_array(items)) {
		ctl_err("the server's answer has no '%s' list", key);
		return CTL_NETWORK;
	}
	if (json_array_size(items) > LIST_ITEMS_MAX - json_array_size(all)) {
		ctl_err("the server's list holds more than %d items",
		    LIST_ITEMS_MAX);
		return CTL_NETWORK;
	}
	if (json_array_extend(all, items) != 0) {
		ctl_err("out of memory");
		return CTL_ERROR;
	}
	return CTL_OK;
}

/* The page's next_cursor into *next (a string of page's), NULL on the last
 * page (null or absent). A cursor already in seen, or one that is not a
 * string of 1..CURSOR_MAX_BYTES bytes, gives CTL_NETWORK (message
 * printed); a new one is added to seen. */
static int
page_next_cursor(json_t *page, json_t *seen, const char **next)
{
	json_t *j = json_object_get(page, "next_cursor");
	const char *s = json_string_value(j);
	size_t len = json_string_length(j);

	*next = NULL;
	if (j == NULL || json_is_null(j))
		return CTL_OK;
	if (s == NULL || len == 0 || len > CURSOR_MAX_BYTES ||
	    strlen(s) != len) {
		ctl_err("the server's next_cursor is not a string of 1..%d "
		    "bytes", CURSOR_MAX_BYTES);
		return CTL_NETWORK;
	}
	if (json_object_get(seen, s) != NULL) {
		ctl_err("the server repeated a page cursor");
		return CTL_NETWORK;
	}
	if (json_object_set_new(seen, s, json_true()) != 0) {
		ctl_err("out of memory");
		return CTL_ERROR;
	}
	*next = s;
	return CTL_OK;
}

int
http_get_all(struct ctl *c, const char *path, const char *key, json_t **out)
{
	char full[PATH_MAX_BYTES];
	json_t *all, *seen, *page = NULL;
	const char *cursor = NULL;	/* in page */
	int pages = 0, rc = CTL_ERROR;

	all = json_array();
	seen = json_object();
	if (all == NULL || seen == NULL) {
		ctl_err("out of memory");
		goto fail;
	}
	do {
		if (pages == LIST_PAGES_MAX) {
			ctl_err("the server's list did not end after %d pages",
			    LIST_PAGES_MAX);
			rc = CTL_NETWORK;
			goto fail;
		}
		if (page_path(full, sizeof(full), path, cursor) != 0) {
			ctl_err("request path too long");
			rc = CTL_ERROR;
			goto fail;
		}
		json_decref(page);	/* cursor is used up */
		page = NULL;
		pages++;
		rc = http_call(c, "GET", full, NULL, &page);
		if (rc == CTL_OK)
			rc = page_items_append(page, key, all);
		if (rc == CTL_OK)
			rc = page_next_cursor(page, seen, &cursor);
		if (rc != CTL_OK)
			goto fail;
	} while (cursor != NULL);
	json_decref(page);
	json_decref(seen);
	*out = all;
	return CTL_OK;
fail:
	json_decref(page);
	json_decref(seen);
	json_decref(all);
	return rc;
}
