/*
 * report.c: treasuryctl report and runway (issue #14 §3): the treasurer's
 * period report (GET /v1/treasuries/{t}/report) as a table per asset, and
 * the runway (GET /v1/treasuries/{t}/runway), both from docs/api.md.
 *
 * The server is not trusted: nothing is printed before the whole answer
 * has been checked. Every field is checked against its grammar (asset
 * codes, category names and kinds, times, amounts with exactly the
 * asset's decimals in canonical form), lists against their order and
 * size, and the figures are recomputed here in exact integer arithmetic
 * (core's amount_wide, 256 bits: sums may exceed 2^128-1 minor units):
 *   - per asset: inflow = sum of the categories' inflow + uncategorised
 *     inflow, the same for outflow, and opening + inflow = closing +
 *     outflow; an income category has no outflow and an expense one no
 *     inflow (deposits take income categories, transfers expense ones:
 *     storage's category_check);
 *   - with --period: the periods cut [from, to) at calendar boundaries,
 *     and an asset's opening is its closing of the period before;
 *   - runway: outflow_30d <= outflow_90d, and runway_months is
 *     floor(balance * 300 / outflow_90d) / 100, or null iff outflow_90d
 *     is zero.
 * Anything else is refused (exit 5) naming the asset and the figure.
 * Amounts are shown as the exact decimal strings the server sent (checked
 * to be canonical), never through floating point; output goes through
 * say() like every other command.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "treasury/amount_wide.h"
#include "treasury/calendar.h"
#include "treasury/canonical.h"
#include "treasury/limits.h"

enum {
	REPORT_ASSETS_MAX = 256,	/* docs/api.md: more is a 400 */
	REPORT_PERIODS_MAX = 240,	/* docs/api.md: more is a 400 */
	RUNWAY_ASSETS_MAX = 256,
	REPORT_PATH_MAX_BYTES = 192,	/* path and query: ids and times */
	/* "uncategorised" is the longest fixed line name */
	LINE_NAME_MIN_WIDTH = 13,
};

/* ---- grammar ---- */

/* Parse s as an amount in units with exactly `decimals` fraction digits
 * (no point at 0), in the canonical form amount_wide_units_text writes
 * (no sign, no leading zero, no space): at most 78 digits. Returns true
 * with *out set; false for anything else. */
static bool
wide_units_parse(const char *s, unsigned decimals, struct amount_wide *out)
{
	char digits[AMOUNT_WIDE_TEXT_MAX_BYTES], back[AMOUNT_WIDE_TEXT_MAX_BYTES];
	size_t len, i, n = 0, start = 0;

	if (s == NULL || decimals > ASSET_DECIMALS_MAX)
		return false;
	len = strnlen(s, AMOUNT_WIDE_TEXT_MAX_BYTES);
	if (len == 0 || len >= AMOUNT_WIDE_TEXT_MAX_BYTES - 1)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits[n++] = s[i];
		else if (s[i] != '.')
			return false;
	}
	while (start + 1 < n && digits[start] == '0')
		start++;
	if (n == 0 || amount_wide_parse_minor(digits + start, n - start, out)
	    != TREASURY_OK)
		return false;
	amount_wide_units_text(out, decimals, back);
	return strcmp(back, s) == 0;	/* the point where it belongs */
}

/* The fraction digits of an amount text (0 without a point), or -1 when
 * there are more than ASSET_DECIMALS_MAX or s is NULL. */
static int
fraction_digits(const char *s)
{
	const char *dot = s != NULL ? strchr(s, '.') : NULL;
	size_t n;

	if (s == NULL)
		return -1;
	if (dot == NULL)
		return 0;
	n = strlen(dot + 1);
	return n <= ASSET_DECIMALS_MAX ? (int)n : -1;
}

static bool
is_time(const char *s, int64_t *t)
{
	return s != NULL && timestamp_parse(s, strlen(s), t) == TREASURY_OK;
}

static bool
is_category_name(const char *s)
{
	size_t len = s != NULL ? strnlen(s, CATEGORY_NAME_MAX_BYTES + 1) : 0;

	return s != NULL && len <= CATEGORY_NAME_MAX_BYTES &&
	    treasury_id_check(s, len) == TREASURY_OK;
}

static bool
is_asset_code(const char *s)
{
	return s != NULL && asset_code_check(s, strnlen(s,
	    ASSET_CODE_MAX_BYTES + 1)) == TREASURY_OK;
}

/* a + b into *sum; false on overflow (2^256: a server's lie). */
static bool
wide_sum(const struct amount_wide *a, const struct amount_wide *b,
    struct amount_wide *sum)
{
	*sum = *a;
	return amount_wide_add_wide(sum, b) == TREASURY_OK;
}

/* ---- the report of one asset ---- */

/* An asset's figures, parsed. */
struct asset_figures {
	const char *code;
	unsigned decimals;
	struct amount_wide opening, inflow, outflow, closing;
};

/* A figure `key` of object j into *out with the asset's decimals. */
static int
figure_get(json_t *j, const char *key, const char *what,
    const struct asset_figures *a, struct amount_wide *out)
{
	if (wide_units_parse(json_str(j, key), a->decimals, out))
		return CTL_OK;
	return refuse("the server's report: asset %s: %s%s is not an amount "
	    "with %u decimals", a->code, what, key, a->decimals);
}

/* Check the categories of asset j and add their flows to *in, *out. */
static int
categories_check(json_t *j, const struct asset_figures *a,
    struct amount_wide *in, struct amount_wide *out)
{
	json_t *cats = json_object_get(j, "categories"), *c;
	struct amount_wide v;
	const char *name, *kind, *prev = NULL;
	size_t i;
	int rc;

	if (!json_is_array(cats) || json_array_size(cats) >
	    CATEGORIES_PER_TREASURY_MAX)
		return refuse("the server's report: asset %s: 'categories' is "
		    "not a list of at most %d", a->code,
		    CATEGORIES_PER_TREASURY_MAX);
	json_array_foreach(cats, i, c) {
		name = json_str(c, "category");
		kind = json_str(c, "kind");
		if (!is_category_name(name))
			return refuse("the server's report: asset %s: category "
			    "%zu has no valid name", a->code, i + 1);
		if (prev != NULL && strcmp(prev, name) >= 0)
			return refuse("the server's report: asset %s: category "
			    "%s is out of name order or twice", a->code, name);
		if (kind == NULL || (strcmp(kind, "income") != 0 &&
		    strcmp(kind, "expense") != 0))
			return refuse("the server's report: asset %s: category "
			    "%s: kind is neither income nor expense", a->code,
			    name);
		rc = figure_get(c, "inflow", name, a, &v);
		if (rc == CTL_OK && !amount_wide_is_zero(&v) &&
		    strcmp(kind, "expense") == 0)
			rc = refuse("the server's report: asset %s: expense "
			    "category %s has inflow", a->code, name);
		if (rc == CTL_OK && !wide_sum(in, &v, in))
			rc = refuse("the server's report: asset %s: the "
			    "categories' inflow overflows", a->code);
		if (rc == CTL_OK)
			rc = figure_get(c, "outflow", name, a, &v);
		if (rc == CTL_OK && !amount_wide_is_zero(&v) &&
		    strcmp(kind, "income") == 0)
			rc = refuse("the server's report: asset %s: income "
			    "category %s has outflow", a->code, name);
		if (rc == CTL_OK && !wide_sum(out, &v, out))
			rc = refuse("the server's report: asset %s: the "
			    "categories' outflow overflows", a->code);
		if (rc != CTL_OK)
			return rc;
		prev = name;
	}
	return CTL_OK;
}

/* Check one asset object of a report: grammar, then the arithmetic. */
static int
asset_check(json_t *j, const char *prev_code, struct asset_figures *a)
{
	json_t *dec = json_object_get(j, "decimals");
	json_t *u = json_object_get(j, "uncategorised");
	struct amount_wide in, out, left, right;
	int rc;

	a->code = json_str(j, "asset");
	if (!is_asset_code(a->code))
		return refuse("the server's report: an asset has no valid code");
	if (prev_code != NULL && strcmp(prev_code, a->code) >= 0)
		return refuse("the server's report: asset %s is out of code "
		    "order or twice", a->code);
	if (!json_is_integer(dec) || json_integer_value(dec) < 0 ||
	    json_integer_value(dec) > ASSET_DECIMALS_MAX)
		return refuse("the server's report: asset %s: decimals is not "
		    "0..%d", a->code, ASSET_DECIMALS_MAX);
	a->decimals = (unsigned)json_integer_value(dec);
	rc = figure_get(j, "opening", "", a, &a->opening);
	if (rc == CTL_OK)
		rc = figure_get(j, "inflow", "", a, &a->inflow);
	if (rc == CTL_OK)
		rc = figure_get(j, "outflow", "", a, &a->outflow);
	if (rc == CTL_OK)
		rc = figure_get(j, "closing", "", a, &a->closing);
	if (rc == CTL_OK)
		rc = figure_get(u, "inflow", "uncategorised ", a, &in);
	if (rc == CTL_OK)
		rc = figure_get(u, "outflow", "uncategorised ", a, &out);
	if (rc == CTL_OK)
		rc = categories_check(j, a, &in, &out);
	if (rc != CTL_OK)
		return rc;
	if (amount_wide_cmp(&in, &a->inflow) != 0)
		return refuse("the server's report: asset %s: inflow is not the "
		    "sum of the categories and uncategorised", a->code);
	if (amount_wide_cmp(&out, &a->outflow) != 0)
		return refuse("the server's report: asset %s: outflow is not the "
		    "sum of the categories and uncategorised", a->code);
	/* opening + inflow - outflow = closing, without a negative */
	if (!wide_sum(&a->opening, &a->inflow, &left) ||
	    !wide_sum(&a->closing, &a->outflow, &right) ||
	    amount_wide_cmp(&left, &right) != 0)
		return refuse("the server's report: asset %s: closing is not "
		    "opening + inflow - outflow", a->code);
	return CTL_OK;
}

/* The closing of asset `code` in the assets list `prev` into *out and
 * its decimals into *decimals; false when it is not listed there. The
 * list was checked before. */
static bool
closing_of(json_t *prev, const char *code, struct amount_wide *out,
    unsigned *decimals)
{
	json_t *a;
	size_t i;

	json_array_foreach(prev, i, a) {
		if (strcmp(json_str(a, "asset"), code) != 0)
			continue;
		*decimals = (unsigned)json_integer_value(json_object_get(a,
		    "decimals"));
		return wide_units_parse(json_str(a, "closing"), *decimals,
		    out);
	}
	return false;
}

/* Check an "assets" list; prev (or NULL) is the period before's. */
static int
assets_check(json_t *assets, json_t *prev)
{
	struct asset_figures a;
	struct amount_wide before;
	unsigned decimals;
	const char *prev_code = NULL;
	json_t *j;
	size_t i;
	int rc;

	if (!json_is_array(assets) || json_array_size(assets) >
	    REPORT_ASSETS_MAX)
		return refuse("the server's report: 'assets' is not a list of "
		    "at most %d", REPORT_ASSETS_MAX);
	json_array_foreach(assets, i, j) {
		rc = asset_check(j, prev_code, &a);
		if (rc != CTL_OK)
			return rc;
		if (prev != NULL && closing_of(prev, a.code, &before,
		    &decimals) && (decimals != a.decimals ||
		    amount_wide_cmp(&before, &a.opening) != 0))
			return refuse("the server's report: asset %s: opening "
			    "is not the closing of the period before", a.code);
		prev_code = a.code;
	}
	return CTL_OK;
}

/* ---- the report as a whole ---- */

/* What was asked: [from, to) (to < 0: the server's now) and the period. */
struct report_ask {
	const char *treasury;
	int64_t from, to;
	bool periodic;
	enum calendar_period period;
};

/* The periods of a periodic report: they cut [from, to) at calendar
 * boundaries of the period asked, each checked with its assets. */
static int
periods_check(json_t *answer, const struct report_ask *q, int64_t from,
    int64_t to)
{
	json_t *periods = json_object_get(answer, "periods"), *p, *prev = NULL;
	int64_t pf, pt, bf, bt, at = from;
	size_t i;
	int rc;

	if (!json_is_array(periods) || json_array_size(periods) == 0 ||
	    json_array_size(periods) > REPORT_PERIODS_MAX)
		return refuse("the server's report: 'periods' is not a list of "
		    "1..%d", REPORT_PERIODS_MAX);
	if (strcmp(json_str(answer, "period") ? json_str(answer, "period") :
	    "", calendar_period_name(q->period)) != 0)
		return refuse("the server's report: 'period' is not the period "
		    "asked for");
	json_array_foreach(periods, i, p) {
		if (!is_time(json_str(p, "from"), &pf) ||
		    !is_time(json_str(p, "to"), &pt))
			return refuse("the server's report: period %zu has no "
			    "valid from and to", i + 1);
		calendar_period_bounds(pf, q->period, &bf, &bt);
		if (pf != at || pt != (bt < to ? bt : to) || pt <= pf)
			return refuse("the server's report: period %zu is not "
			    "the next %s of [from, to)", i + 1,
			    calendar_period_name(q->period));
		rc = assets_check(json_object_get(p, "assets"), prev);
		if (rc != CTL_OK)
			return rc;
		prev = json_object_get(p, "assets");
		at = pt;
	}
	if (at != to)
		return refuse("the server's report: the periods end before to");
	return CTL_OK;
}

static int
report_check(json_t *answer, const struct report_ask *q)
{
	int64_t from, to;

	if (strcmp(json_str(answer, "treasury") ? json_str(answer,
	    "treasury") : "", q->treasury) != 0)
		return refuse("the server's report is not of treasury %s",
		    q->treasury);
	if (!is_time(json_str(answer, "from"), &from) ||
	    !is_time(json_str(answer, "to"), &to) || from >= to)
		return refuse("the server's report has no valid [from, to)");
	if (from != q->from || (q->to >= 0 && to != q->to))
		return refuse("the server's report is not of the range asked "
		    "for");
	if (q->periodic)
		return periods_check(answer, q, from, to);
	return assets_check(json_object_get(answer, "assets"), NULL);
}

/* ---- the report as a table ---- */

/* The widths of an asset's table: the line names, then the amounts. */
struct widths {
	int name, kind, in, out, bal;
};

static int
max_int(int a, size_t b)
{
	return (size_t)a > b ? a : (int)b;
}

static void
widths_of(json_t *a, struct widths *w)
{
	json_t *u = json_object_get(a, "uncategorised"), *c;
	size_t i;

	w->name = LINE_NAME_MIN_WIDTH;
	w->kind = (int)strlen("expense");
	w->in = max_int((int)strlen("INFLOW"), strlen(json_str(a, "inflow")));
	w->out = max_int((int)strlen("OUTFLOW"), strlen(json_str(a,
	    "outflow")));
	w->in = max_int(w->in, strlen(json_str(u, "inflow")));
	w->out = max_int(w->out, strlen(json_str(u, "outflow")));
	w->bal = max_int(max_int((int)strlen("BALANCE"), strlen(json_str(a,
	    "opening"))), strlen(json_str(a, "closing")));
	json_array_foreach(json_object_get(a, "categories"), i, c) {
		w->name = max_int(w->name, strlen(json_str(c, "category")));
		w->in = max_int(w->in, strlen(json_str(c, "inflow")));
		w->out = max_int(w->out, strlen(json_str(c, "outflow")));
	}
}

static void
flow_line(FILE *fp, const struct widths *w, const char *name,
    const char *kind, json_t *j)
{
	say(fp, "  %-*s  %-*s  %*s  %*s\n", w->name, name, w->kind, kind,
	    w->in, json_str(j, "inflow"), w->out, json_str(j, "outflow"));
}

static void
balance_line(FILE *fp, const struct widths *w, const char *name,
    const char *amount)
{
	say(fp, "  %-*s  %-*s  %*s  %*s  %*s\n", w->name, name, w->kind, "",
	    w->in, "", w->out, "", w->bal, amount);
}

/* One asset's table (all of it checked by asset_check). */
static void
asset_print(FILE *fp, json_t *a)
{
	struct widths w;
	json_t *c;
	size_t i;

	widths_of(a, &w);
	say(fp, "%s (%lld decimals)\n", json_str(a, "asset"),
	    (long long)json_integer_value(json_object_get(a, "decimals")));
	say(fp, "  %-*s  %-*s  %*s  %*s  %*s\n", w.name, "LINE", w.kind,
	    "KIND", w.in, "INFLOW", w.out, "OUTFLOW", w.bal, "BALANCE");
	balance_line(fp, &w, "opening", json_str(a, "opening"));
	json_array_foreach(json_object_get(a, "categories"), i, c)
		flow_line(fp, &w, json_str(c, "category"), json_str(c, "kind"),
		    c);
	flow_line(fp, &w, "uncategorised", "", json_object_get(a,
	    "uncategorised"));
	flow_line(fp, &w, "total", "", a);
	balance_line(fp, &w, "closing", json_str(a, "closing"));
}

static void
assets_print(FILE *fp, json_t *assets)
{
	json_t *a;
	size_t i;

	if (json_array_size(assets) == 0)
		say(fp, "  (no assets)\n");
	json_array_foreach(assets, i, a) {
		if (i > 0)
			say(fp, "\n");
		asset_print(fp, a);
	}
}

static void
report_print(FILE *fp, json_t *answer)
{
	json_t *periods = json_object_get(answer, "periods"), *p;
	size_t i;

	say(fp, "Report of treasury %s, [%s, %s) (figures verified: each "
	    "adds up)\n", json_str(answer, "treasury"), json_str(answer,
	    "from"), json_str(answer, "to"));
	if (periods == NULL) {
		say(fp, "\n");
		assets_print(fp, json_object_get(answer, "assets"));
		return;
	}
	json_array_foreach(periods, i, p) {
		say(fp, "\n== %s [%s, %s)\n\n", json_str(answer, "period"),
		    json_str(p, "from"), json_str(p, "to"));
		assets_print(fp, json_object_get(p, "assets"));
	}
}

/* ---- treasuryctl report ---- */

/* A time option (calendar_time_parse) into *out; absent: -1. */
static int
time_option(const char *name, const char *s, int64_t *out)
{
	*out = -1;
	if (s == NULL)
		return CTL_OK;
	if (calendar_time_parse(s, strlen(s), out) == TREASURY_OK)
		return CTL_OK;
	ctl_err("--%s must be a date (YYYY-MM-DD), a time "
	    "(YYYY-MM-DDTHH:MM:SSZ) or unix seconds", name);
	return CTL_USAGE;
}

/* The options of report, checked, into *q and the request's path. */
static int
report_ask_read(struct ctl *c, struct report_ask *q, char *path,
    size_t size)
{
	int rc;
	int n;

	q->treasury = c->o.argv[0];
	if (treasury_id_check(q->treasury, strlen(q->treasury)) !=
	    TREASURY_OK) {
		ctl_err("'%s' is not a treasury id", q->treasury);
		return CTL_USAGE;
	}
	if (c->o.from == NULL) {
		ctl_err("report needs --from");
		return CTL_USAGE;
	}
	rc = time_option("from", c->o.from, &q->from);
	if (rc == CTL_OK)
		rc = time_option("to", c->o.to, &q->to);
	if (rc != CTL_OK)
		return rc;
	if (q->to >= 0 && q->to <= q->from) {
		ctl_err("--to must be after --from");
		return CTL_USAGE;
	}
	q->periodic = c->o.period != NULL;
	if (q->periodic && !calendar_period_parse(c->o.period, &q->period)) {
		ctl_err("--period must be month, quarter or year");
		return CTL_USAGE;
	}
	/* the values are checked: digits, '-', ':', 'T', 'Z' need no
	 * escaping in a query */
	n = snprintf(path, size, "/v1/treasuries/%s/report?from=%s%s%s%s%s",
	    q->treasury, c->o.from, c->o.to ? "&to=" : "", c->o.to ? c->o.to :
	    "", q->periodic ? "&period=" : "", q->periodic ? c->o.period : "");
	if (n < 0 || (size_t)n >= size) {
		ctl_err("the report's request does not fit %zu bytes", size);
		return CTL_USAGE;
	}
	return CTL_OK;
}

int
cmd_report(struct ctl *c)
{
	char path[REPORT_PATH_MAX_BYTES];
	struct report_ask q;
	json_t *answer = NULL;
	int rc;

	rc = report_ask_read(c, &q, path, sizeof(path));
	if (rc == CTL_OK)
		rc = http_call(c, "GET", path, NULL, &answer);
	if (rc == CTL_OK)
		rc = report_check(answer, &q);
	if (rc == CTL_OK && c->o.json)
		json_print(answer);
	else if (rc == CTL_OK)
		report_print(human_out(), answer);
	json_decref(answer);
	return rc;
}

/* ---- treasuryctl runway ---- */

/* Check one runway item: grammar, outflow_30d <= outflow_90d and the
 * months recomputed. */
static int
runway_item_check(json_t *j, const char *prev_code)
{
	static const char *const keys[] = { "balance", "outflow_30d",
	    "outflow_90d" };
	struct amount_wide v[3], q;
	char months[AMOUNT_WIDE_TEXT_MAX_BYTES];
	const char *code = json_str(j, "asset");
	json_t *m = json_object_get(j, "runway_months");
	int dec;
	size_t i;

	if (!is_asset_code(code))
		return refuse("the server's runway: an asset has no valid code");
	if (prev_code != NULL && strcmp(prev_code, code) >= 0)
		return refuse("the server's runway: asset %s is out of code "
		    "order or twice", code);
	dec = fraction_digits(json_str(j, "balance"));
	for (i = 0; i < 3; i++)
		if (dec < 0 || !wide_units_parse(json_str(j, keys[i]),
		    (unsigned)dec, &v[i]))
			return refuse("the server's runway: asset %s: %s is not "
			    "an amount with the balance's decimals", code,
			    keys[i]);
	if (amount_wide_cmp(&v[1], &v[2]) > 0)
		return refuse("the server's runway: asset %s: outflow_30d is "
		    "more than outflow_90d", code);
	if (amount_wide_is_zero(&v[2]))
		return json_is_null(m) ? CTL_OK : refuse("the server's runway: "
		    "asset %s: runway_months is not null without outflow",
		    code);
	q = v[0];
	if (amount_wide_mul_small(&q, 300) != TREASURY_OK ||
	    amount_wide_div(&q, &v[2], &q) != TREASURY_OK)
		return refuse("the server's runway: asset %s: the balance is "
		    "too large", code);
	amount_wide_units_text(&q, 2, months);
	if (!json_is_string(m) || strcmp(json_string_value(m), months) != 0)
		return refuse("the server's runway: asset %s: runway_months is "
		    "not floor(balance * 300 / outflow_90d) / 100 = %s", code,
		    months);
	return CTL_OK;
}

static int
runway_check(json_t *answer, const char *treasury)
{
	json_t *assets = json_object_get(answer, "assets"), *j;
	const char *prev = NULL;
	int64_t at;
	size_t i;
	int rc;

	if (strcmp(json_str(answer, "treasury") ? json_str(answer,
	    "treasury") : "", treasury) != 0)
		return refuse("the server's runway is not of treasury %s",
		    treasury);
	if (!is_time(json_str(answer, "at"), &at))
		return refuse("the server's runway has no valid 'at'");
	if (!json_is_array(assets) || json_array_size(assets) >
	    RUNWAY_ASSETS_MAX)
		return refuse("the server's runway: 'assets' is not a list of "
		    "at most %d", RUNWAY_ASSETS_MAX);
	json_array_foreach(assets, i, j) {
		rc = runway_item_check(j, prev);
		if (rc != CTL_OK)
			return rc;
		prev = json_str(j, "asset");
	}
	return CTL_OK;
}

static const char *
months_text(json_t *j)
{
	const char *m = json_str(j, "runway_months");

	return m != NULL ? m : "-";
}

static void
runway_print(FILE *fp, json_t *answer)
{
	static const char *const keys[] = { "asset", "balance", "outflow_30d",
	    "outflow_90d" };
	json_t *assets = json_object_get(answer, "assets"), *j;
	int w[5] = { 5, 7, 11, 11, 13 };	/* the headers' lengths */
	size_t i, k;

	json_array_foreach(assets, i, j) {
		for (k = 0; k < 4; k++)
			w[k] = max_int(w[k], strlen(json_str(j, keys[k])));
		w[4] = max_int(w[4], strlen(months_text(j)));
	}
	say(fp, "Runway of treasury %s at %s (figures verified; months = "
	    "balance / (outflow 90d / 3), rounded down)\n\n", json_str(answer,
	    "treasury"), json_str(answer, "at"));
	say(fp, "%-*s  %*s  %*s  %*s  %*s\n", w[0], "ASSET", w[1], "BALANCE",
	    w[2], "OUTFLOW 30D", w[3], "OUTFLOW 90D", w[4], "RUNWAY MONTHS");
	json_array_foreach(assets, i, j)
		say(fp, "%-*s  %*s  %*s  %*s  %*s\n", w[0], json_str(j, keys[0]),
		    w[1], json_str(j, keys[1]), w[2], json_str(j, keys[2]),
		    w[3], json_str(j, keys[3]), w[4], months_text(j));
	if (json_array_size(assets) == 0)
		say(fp, "(no assets with a balance)\n");
}

int
cmd_runway(struct ctl *c)
{
	char path[REPORT_PATH_MAX_BYTES];
	const char *t = c->o.argv[0];
	json_t *answer = NULL;
	int rc;

	if (treasury_id_check(t, strlen(t)) != TREASURY_OK) {
		ctl_err("'%s' is not a treasury id", t);
		return CTL_USAGE;
	}
	snprintf(path, sizeof(path), "/v1/treasuries/%s/runway", t);
	rc = http_call(c, "GET", path, NULL, &answer);
	if (rc == CTL_OK)
		rc = runway_check(answer, t);
	if (rc == CTL_OK && c->o.json)
		json_print(answer);
	else if (rc == CTL_OK)
		runway_print(human_out(), answer);
	json_decref(answer);
	return rc;
}
