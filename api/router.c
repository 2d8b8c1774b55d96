/*
 * router.c: the route table. A pattern is a path whose "{}" segments
 * match one non-empty path segment each; those are handed to the handler
 * as rq->params, in order. Handlers validate their params themselves.
 */
#include <string.h>

#include "internal.h"

#define T "/v1/treasuries/{}"
#define P "/v1/proposals/{}"
#define W "/v1/webhooks/{}"

static const struct route routes[] = {
	/* method  pattern                  who may call     handler */
	{ "GET",  "/v1/health",             ROLE_ANYONE,     handle_health },
	{ "GET",  "/v1/info",               ROLE_ANY_TOKEN,  handle_info },
	{ "POST", "/v1/assets",             ROLE_ADMIN,      handle_asset_create },
	{ "GET",  "/v1/assets",             ROLE_ANY_TOKEN,  handle_asset_list },
	{ "POST", "/v1/treasuries",         ROLE_ADMIN,      handle_treasury_create },
	{ "GET",  "/v1/treasuries",         ROLE_ANY_TOKEN,  handle_treasury_list },
	{ "GET",  T,                        ROLE_ANY_TOKEN,  handle_treasury_get },
	{ "POST", T "/deposits",            ROLE_TREASURER,  handle_deposit },
	{ "GET",  T "/balances",            ROLE_ANY_TOKEN,  handle_balances },
	{ "GET",  T "/ledger",              ROLE_ANY_TOKEN,  handle_ledger },
	{ "GET",  T "/ledger/{}",           ROLE_ANY_TOKEN,  handle_ledger_entry_get },
	{ "POST", T "/ledger/{}/category",  ROLE_ADMIN | ROLE_TREASURER,
	    handle_ledger_category_set },
	{ "POST", T "/categories",          ROLE_ADMIN | ROLE_TREASURER,
	    handle_category_create },
	{ "GET",  T "/categories",          ROLE_ANY_TOKEN,  handle_category_list },
	{ "POST", T "/budgets",             ROLE_ADMIN | ROLE_TREASURER,
	  handle_budget_set },
	{ "GET",  T "/budgets",             ROLE_ANY_TOKEN,  handle_budget_list },
	{ "DELETE", T "/budgets/{}/{}",     ROLE_ADMIN | ROLE_TREASURER,
	  handle_budget_delete },
	{ "GET",  T "/report",              ROLE_ANY_TOKEN,  handle_report },
	{ "GET",  T "/runway",              ROLE_ANY_TOKEN,  handle_runway },
	{ "GET",  T "/policy",              ROLE_ANY_TOKEN,  handle_policy_get },
	{ "POST", T "/freeze",              ROLE_SIGNER,     handle_freeze },
	{ "POST", T "/proposals",           ROLE_SIGNER,     handle_proposal_create },
	{ "GET",  T "/proposals",           ROLE_ANY_TOKEN,  handle_proposal_list },
	{ "GET",  P,                        ROLE_ANY_TOKEN,  handle_proposal_get },
	{ "POST", P "/votes",               ROLE_SIGNER,     handle_vote },
	{ "POST", P "/cancel",              ROLE_SIGNER,     handle_cancel },
	{ "POST", P "/vetoes",              ROLE_SIGNER,     handle_veto },
	{ "POST", P "/revocations",         ROLE_SIGNER,     handle_revoke },
	{ "POST", P "/key-proof",           ROLE_SIGNER,     handle_key_proof },
	{ "POST", P "/execute",             ROLE_TREASURER,  handle_execute },
	{ "POST", P "/category",            ROLE_ADMIN | ROLE_TREASURER,
	    handle_proposal_category_set },
	{ "GET",  P "/bundle",              ROLE_ANY_TOKEN,  handle_proposal_bundle },
	{ "GET",  "/v1/signers/{}/pending", ROLE_SIGNER | ROLE_ADMIN,
	  handle_signer_pending },
	{ "POST", P "/settlement",          ROLE_TREASURER,  handle_settlement },
	{ "POST", "/v1/test/clock",         ROLE_ADMIN,      handle_test_clock },
	{ "POST", "/v1/tokens",             ROLE_ADMIN,      handle_token_create },
	{ "GET",  "/v1/tokens",             ROLE_ANY_TOKEN,  handle_token_list },
	{ "POST", "/v1/tokens/{}/revoke",   ROLE_ADMIN,      handle_token_revoke },
	{ "GET",  "/v1/whoami",             ROLE_ANY_TOKEN,  handle_whoami },
	{ "GET",  "/v1/events",             ROLE_ANY_TOKEN,  handle_events },
	{ "GET",  "/v1/journal",            ROLE_ANY_TOKEN,  handle_journal },
	{ "GET",  "/v1/journal/checkpoints", ROLE_ANY_TOKEN, handle_journal_checkpoints },
	{ "POST", "/v1/webhooks",           ROLE_ADMIN,      handle_webhook_create },
	{ "GET",  "/v1/webhooks",           ROLE_ADMIN,      handle_webhook_list },
	{ "GET",  W,                        ROLE_ADMIN,      handle_webhook_get },
	{ "DELETE", W,                      ROLE_ADMIN,      handle_webhook_delete },
	{ "POST", W "/enable",              ROLE_ADMIN,      handle_webhook_enable },
	{ "POST", W "/disable",             ROLE_ADMIN,      handle_webhook_disable },
	{ "POST", W "/rotate-secret",       ROLE_ADMIN,      handle_webhook_rotate },
	{ "POST", W "/redeliver",           ROLE_ADMIN,      handle_webhook_redeliver },
	{ "GET",  W "/deliveries",          ROLE_ADMIN,      handle_webhook_deliveries },
	{ "POST", "/v1/prices",             ROLE_ADMIN | ROLE_TREASURER,
	  handle_price_set },
	{ "GET",  "/v1/prices",             ROLE_ANY_TOKEN,  handle_price_list },
	{ "GET",  "/v1/metrics",            ROLE_ANY_TOKEN,  handle_metrics },
	{ "GET",  "/metrics",               ROLE_ANY_TOKEN,  handle_metrics },
	/* the dashboard (ui.c): static files, no token (they hold no data) */
	{ "GET",  "/",                      ROLE_ANYONE,     handle_ui_root },
	{ "GET",  "/ui",                    ROLE_ANYONE,     handle_ui_redirect },
	{ "GET",  "/ui/",                   ROLE_ANYONE,     handle_ui_index },
	{ "GET",  "/ui/{}",                 ROLE_ANYONE,     handle_ui_file },
};

#undef T
#undef P
#undef W

#define ROUTES_COUNT (sizeof(routes) / sizeof(routes[0]))

struct param_span {
	size_t start, len;
};

/* Does path match pattern? On a match, spans[] holds each "{}" segment. */
static bool
pattern_match(const char *pattern, const char *path,
    struct param_span spans[ROUTE_PARAMS_MAX], size_t *nspans)
{
	const char *p = path, *q = pattern;

	*nspans = 0;
	while (*q != '\0') {
		if (q[0] == '{' && q[1] == '}') {
			size_t seg = strcspn(p, "/");
			if (seg == 0 || *nspans == ROUTE_PARAMS_MAX)
				return false;
			spans[*nspans].start = (size_t)(p - path);
			spans[*nspans].len = seg;
			(*nspans)++;
			p += seg;
			q += 2;
			continue;
		}
		if (*p != *q)
			return false;
		p++;
		q++;
	}
	return *p == '\0';
}

/* "GET, POST" (and DELETE) for the routes whose pattern matches path. */
static const char *
allowed_methods(const char *path)
{
	static const char *const lists[8] = {
		NULL, "GET", "POST", "GET, POST", "DELETE", "GET, DELETE",
		"POST, DELETE", "GET, POST, DELETE",
	};
	struct param_span spans[ROUTE_PARAMS_MAX];
	size_t n;
	unsigned set = 0;

	for (size_t i = 0; i < ROUTES_COUNT; i++) {
		if (!pattern_match(routes[i].pattern, path, spans, &n))
			continue;
		if (strcmp(routes[i].method, "GET") == 0)
			set |= 1;
		else if (strcmp(routes[i].method, "DELETE") == 0)
			set |= 4;
		else
			set |= 2;
	}
	return lists[set];
}

const struct route *
route_match(struct request *rq, const char **allow)
{
	struct param_span spans[ROUTE_PARAMS_MAX];
	size_t n;

	*allow = NULL;
	for (size_t i = 0; i < ROUTES_COUNT; i++) {
		const struct route *r = &routes[i];
		if (strcmp(r->method, rq->method) != 0 ||
		    !pattern_match(r->pattern, rq->path, spans, &n))
			continue;
		for (size_t k = 0; k < n; k++) {
			rq->path[spans[k].start + spans[k].len] = '\0';
			rq->params[k] = rq->path + spans[k].start;
		}
		return r;
	}
	*allow = allowed_methods(rq->path);
	return NULL;
}

size_t
route_count(void)
{
	return ROUTES_COUNT;
}

const struct route *
route_at(size_t i)
{
	return i < ROUTES_COUNT ? &routes[i] : NULL;
}

bool
route_memory(const struct route *r)
{
	return r->handler == handle_treasury_get ||
	    r->handler == handle_balances || r->handler == handle_vote;
}
