/*
 * reading.c: the reading commands (treasuries, balances, ledger,
 * proposals, show, policy) as aligned tables for people, or the server's
 * JSON for scripts (--json), and where people's output goes (human_out).
 *
 * Everything goes through the one output path (out.c: say), so no byte
 * of an answer can move the cursor or rewrite what is on the terminal;
 * the fields a row is made of are checked against their grammar first
 * (ids, kinds, statuses, asset codes, amounts): a row that breaks its
 * grammar refuses the whole listing (exit 5). show verifies the proposal
 * (verify.c) and prints its meaning from the canonical text (screen.c);
 * policy shows the pinned policy lines; allowances and the freeze state
 * are shown as the server's word.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "treasury/canonical.h"
#include "treasury/hex.h"
#include "treasury/signer_set.h"

enum { TABLE_COLUMNS_MAX = 8 };

static FILE *human_stream;	/* NULL: standard output */
void
human_out_set(FILE *fp)
{
	human_stream = fp;
}

FILE *
human_out(void)
{
	return human_stream != NULL ? human_stream : stdout;
}

struct table {
	unsigned columns;
	size_t rows, cap;
	char **cells;		/* rows * columns */
};

void
json_print(json_t *j)
{
	char *s = j != NULL ? json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS |
	    JSON_ENSURE_ASCII) : NULL;

	if (s == NULL) {
		ctl_err("out of memory");
		return;
	}
	puts(s);
	free(s);
}

static int
table_add(struct table *t, const char *const *values)
{
	char **grown;
	unsigned i;

	if (t->rows == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		grown = realloc(t->cells, t->cap * t->columns * sizeof(char *));
		if (grown == NULL)
			return -1;
		t->cells = grown;
	}
	for (i = 0; i < t->columns; i++) {
		t->cells[t->rows * t->columns + i] = say_text(values[i] != NULL
		    ? values[i] : "-", values[i] != NULL ? strlen(values[i]) : 1);
		if (t->cells[t->rows * t->columns + i] == NULL)
			return -1;
	}
	t->rows++;
	return 0;
}

static void
table_print_free(struct table *t)
{
	size_t w[TABLE_COLUMNS_MAX] = { 0 }, r, len;
	unsigned i;

	for (r = 0; r < t->rows; r++)
		for (i = 0; i < t->columns; i++) {
			len = strlen(t->cells[r * t->columns + i]);
			if (len > w[i])
				w[i] = len;
		}
	/* the cells are escaped already (say_text): printed as they are */
	for (r = 0; r < t->rows; r++) {
		for (i = 0; i < t->columns; i++)
			printf(i + 1 < t->columns ? "%-*s  " : "%-*s\n",
			    i + 1 < t->columns ? (int)w[i] : 0,
			    t->cells[r * t->columns + i]);
		for (i = 0; i < t->columns; i++)
			free(t->cells[r * t->columns + i]);
	}
	free(t->cells);
}

static char *
int_text(char *buf, size_t size, json_t *v)
{
	if (json_is_integer(v))
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
	else
		snprintf(buf, size, "-");
	return buf;
}

static int
treasury_arg(struct ctl *c, char *path, size_t size, const char *suffix)
{
	const char *t = c->o.argv[0];

	if (treasury_id_check(t, strlen(t)) != TREASURY_OK) {
		ctl_err("'%s' is not a treasury id", t);
		return CTL_USAGE;
	}
	snprintf(path, size, "/v1/treasuries/%s%s", t, suffix);
	return CTL_OK;
}

/* ---- grammar of the fields a row is made of ---- */

static bool
is_str(json_t *j, const char *key, treasury_err (*check)(const char *,
    size_t))
{
	const char *s = json_str(j, key);

	return s != NULL && check(s, strlen(s)) == TREASURY_OK;
}

static treasury_err
hex64_check(const char *s, size_t len)
{
	uint8_t raw[32];

	return len == 64 ? hex_decode(raw, sizeof(raw), s, len) :
	    TREASURY_ERR_HEX_LENGTH;
}

static treasury_err
timestamp_check(const char *s, size_t len)
{
	int64_t t;

	return timestamp_parse(s, len, &t);
}

static treasury_err
amount_text_check(const char *s, size_t len)
{
	const char *dot = memchr(s, '.', len);
	amount_minor v;

	return amount_parse_allow_zero(s, len, dot != NULL ?
	    (unsigned)(len - (size_t)(dot - s) - 1) : 0, &v);
}

static treasury_err
status_name_check(const char *s, size_t len)
{
	static const char *const names[] = { "pending", "approved", "executed",
	    "rejected", "expired", "stale", "cancelled", "vetoed" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && memcmp(s, names[i], len) == 0)
			return TREASURY_OK;
	return TREASURY_ERR_CANONICAL;
}

static treasury_err
kind_name_check(const char *s, size_t len)
{
	enum proposal_kind k;

	return proposal_kind_parse(s, len, &k);
}

static bool
is_count(json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);

	return json_is_integer(v) && json_integer_value(v) >= 0;
}

static int
row_refuse(const char *what, size_t i)
{
	return refuse("item %zu of the server's %s breaks its grammar", i + 1,
	    what);
}

/* Print a list as JSON {"<key>": [...]} or as a table via row(), which
 * returns false for an item that breaks its grammar (exit 5). */
static int
list_print(struct ctl *c, json_t *items, const char *key, unsigned columns,
    const char *const *header, bool (*row)(json_t *, struct table *))
{
	struct table t = { columns, 0, 0, NULL };
	json_t *item;
	size_t i;

	json_array_foreach(items, i, item) {
		if (!row(item, NULL))
			return row_refuse(key, i);
	}

	if (c->o.json) {
		json_t *wrap = json_pack("{s:O}", key, items);

		json_print(wrap);
		json_decref(wrap);
		return CTL_OK;
	}
	if (table_add(&t, header) != 0)
		goto nomem;
	json_array_foreach(items, i, item) {
		if (!row(item, &t))
			goto nomem;
	}
	table_print_free(&t);
	return CTL_OK;
nomem:
	table_print_free(&t);
	ctl_err("out of memory");
	return CTL_ERROR;
}

/* Each row function checks its item (t == NULL) or adds it (false: out
 * of memory). */
static bool
treasury_row(json_t *j, struct table *t)
{
	char cv[24], m[24], n[24];
	const char *v[5];

	if (t == NULL)
		return is_str(j, "id", treasury_id_check) &&
		    json_is_string(json_object_get(j, "name")) &&
		    is_count(j, "config_version") && is_count(j, "threshold");

	snprintf(n, sizeof(n), "%zu", json_array_size(json_object_get(j,
	    "signers")));
	v[0] = json_str(j, "id");
	v[1] = json_str(j, "name");
	v[2] = int_text(cv, sizeof(cv), json_object_get(j, "config_version"));
	v[3] = int_text(m, sizeof(m), json_object_get(j, "threshold"));
	v[4] = n;
	return table_add(t, v) == 0;
}

int
cmd_treasuries(struct ctl *c)
{
	static const char *const header[] = { "ID", "NAME", "CONFIG",
	    "THRESHOLD", "SIGNERS" };
	json_t *items = NULL;
	int rc;

	rc = http_get_all(c, "/v1/treasuries", "treasuries", &items);
	if (rc == CTL_OK)
		rc = list_print(c, items, "treasuries", 5, header, treasury_row);
	json_decref(items);
	return rc;
}

static bool
balance_row(json_t *j, struct table *t)
{
	const char *v[2] = { json_str(j, "asset"), json_str(j, "amount") };

	if (t == NULL)
		return is_str(j, "asset", asset_code_check) &&
		    is_str(j, "amount", amount_text_check);
	return table_add(t, v) == 0;
}

int
cmd_balances(struct ctl *c)
{
	static const char *const header[] = { "ASSET", "AMOUNT" };
	char path[96];
	json_t *answer = NULL;
	int rc;

	rc = treasury_arg(c, path, sizeof(path), "/balances");
	if (rc == CTL_OK)
		rc = http_call(c, "GET", path, NULL, &answer);
	if (rc != CTL_OK)
		return rc;
	if (c->o.json)
		json_print(answer);
	else
		rc = list_print(c, json_object_get(answer, "balances"),
		    "balances", 2, header, balance_row);
	json_decref(answer);
	return rc;
}

static bool
ledger_row(json_t *j, struct table *t)
{
	char seq[24];
	const char *kind = json_str(j, "kind");
	const char *v[7];
	bool deposit = kind != NULL && strcmp(kind, "deposit") == 0;

	if (t == NULL)
		return is_count(j, "seq") && is_str(j, "created_at",
		    timestamp_check) && (deposit || (kind != NULL &&
		    strcmp(kind, "transfer") == 0)) && is_str(j, "asset",
		    asset_code_check) && is_str(j, "amount", amount_text_check)
		    && is_str(j, "balance_after", amount_text_check) &&
		    (deposit || is_str(j, "to", destination_check));

	v[0] = int_text(seq, sizeof(seq), json_object_get(j, "seq"));
	v[1] = json_str(j, "created_at");
	v[2] = kind;
	v[3] = json_str(j, "asset");
	v[4] = json_str(j, "amount");
	v[5] = json_str(j, "balance_after");
	v[6] = deposit ? json_str(j, "reference") : json_str(j, "to");
	return table_add(t, v) == 0;
}

int
cmd_ledger(struct ctl *c)
{
	static const char *const header[] = { "SEQ", "TIME", "KIND", "ASSET",
	    "AMOUNT", "BALANCE", "REFERENCE/TO" };
	char path[96];
	json_t *items = NULL;
	int rc;

	rc = treasury_arg(c, path, sizeof(path), "/ledger");
	if (rc == CTL_OK)
		rc = http_get_all(c, path, "entries", &items);
	if (rc == CTL_OK)
		rc = list_print(c, items, "entries", 7, header, ledger_row);
	json_decref(items);
	return rc;
}

static bool
proposal_row(json_t *j, struct table *t)
{
	char nonce[24], votes[96], a[24], m[24], r[24];
	const char *v[6];

	if (t == NULL)
		return is_str(j, "id", hex64_check) && is_count(j, "nonce") &&
		    is_str(j, "kind", kind_name_check) && is_str(j, "status",
		    status_name_check) && is_str(j, "expires_at",
		    timestamp_check) && is_count(j, "approval_count") &&
		    is_count(j, "threshold") && is_count(j, "rejection_count");

	snprintf(votes, sizeof(votes), "%s/%s approve, %s reject",
	    int_text(a, sizeof(a), json_object_get(j, "approval_count")),
	    int_text(m, sizeof(m), json_object_get(j, "threshold")),
	    int_text(r, sizeof(r), json_object_get(j, "rejection_count")));
	v[0] = json_str(j, "id");
	v[1] = int_text(nonce, sizeof(nonce), json_object_get(j, "nonce"));
	v[2] = json_str(j, "kind");
	v[3] = json_str(j, "status");
	v[4] = votes;
	v[5] = json_str(j, "expires_at");
	return table_add(t, v) == 0;
}

static int
status_check(const char *s)
{
	if (status_name_check(s, strlen(s)) == TREASURY_OK)
		return CTL_OK;
	ctl_err("--status must be pending, approved, executed, rejected, "
	    "expired, stale, cancelled or vetoed");
	return CTL_USAGE;
}

int
cmd_proposals(struct ctl *c)
{
	static const char *const header[] = { "ID", "NONCE", "KIND", "STATUS",
	    "VOTES", "EXPIRES" };
	char path[128], query[48] = "";
	json_t *items = NULL;
	int rc = CTL_OK;

	if (c->o.status != NULL) {
		rc = status_check(c->o.status);
		snprintf(query, sizeof(query), "?status=%s", c->o.status);
	}
	if (rc == CTL_OK)
		rc = treasury_arg(c, path, sizeof(path), "/proposals");
	if (rc == CTL_OK && strlen(path) + strlen(query) < sizeof(path))
		memcpy(path + strlen(path), query, strlen(query) + 1);
	if (rc == CTL_OK)
		rc = http_get_all(c, path, "proposals", &items);
	if (rc == CTL_OK)
		rc = list_print(c, items, "proposals", 6, header, proposal_row);
	json_decref(items);
	return rc;
}

int
cmd_show(struct ctl *c)
{
	struct verified v;
	uint8_t id[PROPOSAL_ID_BYTES];
	int rc;

	rc = proposal_id_arg(c, c->o.argv[0], id);
	if (rc != CTL_OK)
		return rc;
	rc = proposal_fetch_verified(c, id, &v);
	if (rc == CTL_OK && v.config_current && proposal_kind_is_config(
	    v.f->kind))
		rc = config_change_check(v.f, v.trust.pin);
	if (rc == CTL_OK) {
		if (c->o.json)
			json_print(v.proposal);
		else
			proposal_print(c, v.f, v.id_hex, v.trust.pin, v.status,
			    v.proposal);
	}
	verified_free(&v);
	return rc;
}

/* One row of the remaining allowances. */
static bool
remaining_row(json_t *j, struct table *t)
{
	static const char *const names[] = { "day", "week", "month" };
	const char *v[4];
	int i;

	if (t == NULL) {
		if (!is_str(j, "asset", asset_code_check))
			return false;
		for (i = 0; i < 3; i++)
			if (!json_is_null(json_object_get(j, names[i])) &&
			    !is_str(j, names[i], amount_text_check))
				return false;
		return true;
	}
	v[0] = json_str(j, "asset");
	for (i = 0; i < 3; i++) {
		v[i + 1] = json_str(j, names[i]);
		if (v[i + 1] == NULL)
			v[i + 1] = "unlimited";
	}
	return table_add(t, v) == 0;
}

int
cmd_policy(struct ctl *c)
{
	static const char *const header[] = { "ASSET", "DAY", "WEEK",
	    "MONTH" };
	char digest[2 * DIGEST_BYTES + 1], tv[24];
	struct trust_ctx trust;
	json_t *answer = NULL;
	int rc;

	if (treasury_id_check(c->o.argv[0], strlen(c->o.argv[0])) !=
	    TREASURY_OK) {
		ctl_err("'%s' is not a treasury id", c->o.argv[0]);
		return CTL_USAGE;
	}
	rc = trust_context(c, c->o.argv[0], &trust);
	if (rc != CTL_OK)
		return rc;
	rc = policy_fetch_verified(c, c->o.argv[0], trust.pin, &answer);
	if (rc == CTL_OK && !is_str(answer, "frozen_at", timestamp_check) &&
	    !json_is_null(json_object_get(answer, "frozen_at")))
		rc = refuse("the server's frozen_at is not a timestamp");
	if (rc == CTL_OK && c->o.json)
		json_print(answer);
	else if (rc == CTL_OK) {
		hex_encode(digest, trust.pin->policy_digest, DIGEST_BYTES);
		say(human_out(), "Policy of treasury %s at config version %llu"
		    " (digest %s, pinned)\n", c->o.argv[0],
		    (unsigned long long)trust.pin->config_version, digest);
		say_lines(human_out(), "", trust.pin->policy_text);
		if (json_is_true(json_object_get(answer, "frozen")))
			say(human_out(), "FROZEN since %s (freeze %s; the "
			    "server's word)\n", json_str(answer, "frozen_at") ?
			    json_str(answer, "frozen_at") : "?", int_text(tv,
			    sizeof(tv), json_object_get(answer, "freeze_seq")));
		else
			say(human_out(), "not frozen (the next freeze is number "
			    "%s; the server's word)\n", int_text(tv, sizeof(tv),
			    json_object_get(answer, "next_freeze")));
		say(human_out(), "Remaining allowances now (the server's "
		    "word):\n");
		fflush(human_out());
		rc = list_print(c, json_object_get(answer, "remaining"),
		    "remaining", 4, header, remaining_row);
	}
	trust_ctx_free(&trust);
	json_decref(answer);
	return rc;
}
