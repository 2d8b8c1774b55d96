/*
 * webhook.c: endpoint URLs, the host allowlist, secrets, signatures and
 * the retry schedule of webhooks (contract in include/treasury/webhook.h,
 * the protocol in docs/webhooks.md). No I/O.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "treasury/webhook.h"

static const char *const event_types[] = {
	"asset.created", "treasury.created", "config.changed", "deposit",
	"proposal.created", "proposal.voted", "proposal.awaiting",
	"proposal.pending",	/* back from approved after a revocation */
	"proposal.approved", "proposal.rejected", "proposal.cancelled",
	"proposal.expired", "proposal.stale", "proposal.vetoed",
	"proposal.executed", "proposal.settled", "veto.recorded",
	"vote.revoked", "key.proved", "treasury.frozen", "treasury.unfrozen",
	"token.created", "token.revoked", "token.bound",
	"webhook.created", "webhook.enabled", "webhook.disabled",
	"webhook.secret_rotated", "webhook.redelivered", "webhook.deleted",
	/* issue #14, accounting */
	"category.created", "category.changed",
	"budget.set", "budget.deleted", "budget.alert",	/* issue #14 */
	"price.set",
	"journal.key_replaced",	/* issue #17: --new-journal-key */
};

bool
webhook_event_type_known(const char *type, size_t len)
{
	for (size_t i = 0; i < sizeof(event_types) / sizeof(event_types[0]);
	    i++)
		if (strlen(event_types[i]) == len &&
		    memcmp(event_types[i], type, len) == 0)
			return true;
	return false;
}

static bool
host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '-';
}

static bool
v6_char(char c)
{
	return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
	    (c >= '0' && c <= '9') || c == ':' || c == '.';
}

/* "1".."65535" of exactly len digits. */
static bool
port_parse(const char *p, size_t len, unsigned *out)
{
	unsigned v = 0;

	if (len == 0 || len > 5)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	if (v == 0 || v > 65535)
		return false;
	*out = v;
	return true;
}

/* host[:port] of len bytes ("[v6]" for an IPv6 literal) into out's host
 * (lower-cased, no brackets), port and port_given. */
static bool
hostport_parse(const char *p, size_t len, struct webhook_url *out,
    const char **why)
{
	const char *host = p, *colon;
	size_t host_len;

	*why = "the host must be a name, an IPv4 address or a bracketed IPv6 "
	    "address, optionally followed by :PORT (1..65535)";
	out->port_given = false;
	if (len > 0 && p[0] == '[') {
		const char *close = memchr(p, ']', len);
		if (close == NULL)
			return false;
		host = p + 1;
		host_len = (size_t)(close - host);
		if (host_len < 2)
			return false;
		for (size_t i = 0; i < host_len; i++)
			if (!v6_char(host[i]))
				return false;
		colon = close + 1 < p + len ? close + 1 : NULL;
		if (colon != NULL && *colon != ':')
			return false;
	} else {
		colon = memchr(p, ':', len);
		host_len = colon != NULL ? (size_t)(colon - p) : len;
		for (size_t i = 0; i < host_len; i++)
			if (!host_char(host[i]))
				return false;
	}
	if (host_len == 0 || host_len > WEBHOOK_HOST_MAX_BYTES)
		return false;
	for (size_t i = 0; i < host_len; i++) {
		char c = host[i];
		out->host[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	out->host[host_len] = '\0';
	if (colon != NULL) {
		if (!port_parse(colon + 1, (size_t)(p + len - colon - 1),
		    &out->port))
			return false;
		out->port_given = true;
	}
	return true;
}

treasury_err
webhook_url_parse(const char *url, size_t len, struct webhook_url *out,
    const char **why)
{
	size_t skip, auth_len;
	const char *auth, *path;

	memset(out, 0, sizeof(*out));
	if (len == 0 || len > WEBHOOK_URL_MAX_BYTES) {
		*why = "the URL must be 1..2048 bytes";
		return TREASURY_ERR_WEBHOOK_URL;
	}
	if (len >= 7 && strncasecmp(url, "http://", 7) == 0)
		skip = 7;
	else if (len >= 8 && strncasecmp(url, "https://", 8) == 0) {
		skip = 8;
		out->https = true;
	} else {
		*why = "the URL must start with http:// or https://";
		return TREASURY_ERR_WEBHOOK_URL;
	}
	for (size_t i = 0; i < len; i++)
		if (url[i] <= ' ' || url[i] >= 0x7f || url[i] == '#' ||
		    url[i] == '\\') {
			*why = "the URL must be printable ASCII without spaces, "
			    "backslashes or a fragment";
			return TREASURY_ERR_WEBHOOK_URL;
		}
	auth = url + skip;
	path = memchr(auth, '/', len - skip);
	auth_len = path != NULL ? (size_t)(path - auth) : len - skip;
	if (memchr(auth, '?', auth_len) != NULL) {
		*why = "a query must follow a path ('/')";
		return TREASURY_ERR_WEBHOOK_URL;
	}
	if (memchr(auth, '@', auth_len) != NULL) {
		*why = "the URL must not carry a user name or password";
		return TREASURY_ERR_WEBHOOK_URL;
	}
	if (!hostport_parse(auth, auth_len, out, why))
		return TREASURY_ERR_WEBHOOK_URL;
	if (!out->port_given)
		out->port = out->https ? 443 : 80;
	return TREASURY_OK;
}

/* Call each(entry, len, ctx) for every entry of the list, blanks around
 * it trimmed; stops at the first that returns true (and returns true). */
static bool
hosts_each(const char *list, bool (*each)(const char *, size_t, void *),
    void *ctx)
{
	const char *p = list;

	if (*p == '\0')
		return false;
	for (;;) {
		const char *end = strchr(p, ',');
		size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
		const char *e = p;
		size_t m = n;
		while (m > 0 && (*e == ' ' || *e == '\t')) {
			e++;
			m--;
		}
		while (m > 0 && (e[m - 1] == ' ' || e[m - 1] == '\t'))
			m--;
		if (each(e, m, ctx))
			return true;
		if (end == NULL)
			break;
		p = end + 1;
	}
	return false;
}

struct hosts_check {
	const char *why;
	bool bad;
};

static bool
entry_check(const char *e, size_t n, void *ctx)
{
	struct hosts_check *c = ctx;
	struct webhook_url u;

	if (n == 0) {
		c->why = "an entry is empty (two commas, or a comma at an end)";
		c->bad = true;
	} else if (!hostport_parse(e, n, &u, &c->why))
		c->bad = true;
	return c->bad;
}

bool
webhook_hosts_valid(const char *list, const char **why)
{
	struct hosts_check c = { .why = "", .bad = false };

	(void)hosts_each(list, entry_check, &c);
	*why = c.why;
	return !c.bad;
}

static bool
entry_allows(const char *e, size_t n, void *ctx)
{
	const struct webhook_url *u = ctx;
	struct webhook_url w;
	const char *why;

	if (n == 0 || !hostport_parse(e, n, &w, &why))
		return false;
	return strcmp(w.host, u->host) == 0 &&
	    (!w.port_given || w.port == u->port);
}

bool
webhook_hosts_allow(const char *list, const struct webhook_url *u)
{
	return hosts_each(list, entry_allows, (void *)(uintptr_t)u);
}

void
webhook_secret_generate(uint8_t secret[WEBHOOK_SECRET_BYTES])
{
	randombytes_buf(secret, WEBHOOK_SECRET_BYTES);
}

void
webhook_secret_text(const uint8_t *secret, size_t len,
    char out[WEBHOOK_SECRET_TEXT_BYTES])
{
	assert(len <= WEBHOOK_SECRET_BYTES);
	memcpy(out, "whsec_", 6);
	sodium_bin2base64(out + 6, WEBHOOK_SECRET_TEXT_BYTES - 6, secret, len,
	    sodium_base64_VARIANT_ORIGINAL);
}

void
webhook_sign(const uint8_t *secret, size_t secret_len, const char *msg_id,
    int64_t timestamp_s, const char *body, size_t body_len,
    char out[WEBHOOK_SIGNATURE_TEXT_BYTES])
{
	crypto_auth_hmacsha256_state st;
	uint8_t mac[crypto_auth_hmacsha256_BYTES];
	char ts[24];
	int n;

	n = snprintf(ts, sizeof(ts), "%lld", (long long)timestamp_s);
	assert(n > 0 && (size_t)n < sizeof(ts));
	crypto_auth_hmacsha256_init(&st, secret, secret_len);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)msg_id,
	    strlen(msg_id));
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)".", 1);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)ts, (size_t)n);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)".", 1);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)body, body_len);
	crypto_auth_hmacsha256_final(&st, mac);
	memcpy(out, "v1,", 3);
	sodium_bin2base64(out + 3, WEBHOOK_SIGNATURE_TEXT_BYTES - 3, mac,
	    sizeof(mac), sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(&st, sizeof(st));
}

uint64_t
webhook_backoff_ms(unsigned attempt, uint64_t base_ms, uint32_t random)
{
	uint64_t d = base_ms;

	assert(attempt >= 1);
	for (unsigned i = 1; i < attempt && d < WEBHOOK_BACKOFF_CAP_MS; i++)
		d *= 2;
	if (d > WEBHOOK_BACKOFF_CAP_MS)
		d = WEBHOOK_BACKOFF_CAP_MS;
	/* factor (800 + random % 400) / 1000: [0.8, 1.2) */
	d = d / 1000 * (800 + random % 400) + d % 1000 * (800 + random % 400) /
	    1000;
	return d > WEBHOOK_BACKOFF_CAP_MS ? WEBHOOK_BACKOFF_CAP_MS : d;
}
