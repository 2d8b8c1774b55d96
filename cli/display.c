/*
 * display.c: what treasuryctl shows people: aligned tables for the reading
 * commands, and the meaning of a proposal, from its decoded canonical text
 * only (never from the server's JSON fields), with the signer set before
 * and after a config change. --json prints the server's JSON for scripts.
 *
 * Strings that come from the server's JSON (names, references, ledger
 * memos) are shown with control characters replaced by '?', so that no
 * answer can move the cursor or rewrite what is on the terminal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "treasury/canonical.h"
#include "treasury/hex.h"

enum { TABLE_COLUMNS_MAX = 8 };

static FILE *human_stream;	/* NULL: standard output */
static const struct treasury_policy *shown_policy;	/* NULL: unknown */

void
display_policy_set(const struct treasury_policy *p)
{
	shown_policy = p;
}

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

/* A copy of s for the terminal: C0, DEL and C1 (UTF-8 C2 80..9F) become '?'. */
static char *
term_clean(const char *s)
{
	char *out = strdup(s != NULL ? s : "-");
	unsigned char *p;

	if (out == NULL)
		return NULL;
	for (p = (unsigned char *)out; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
		else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			p[0] = '?';
			p[1] = '?';
		}
	}
	return out;
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
		t->cells[t->rows * t->columns + i] = term_clean(values[i]);
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

/* Print a list as JSON {"<key>": [...]} or as a table via row(). */
static int
list_print(struct ctl *c, json_t *items, const char *key, unsigned columns,
    const char *const *header, void (*row)(json_t *, struct table *))
{
	struct table t = { columns, 0, 0, NULL };
	json_t *item;
	size_t i;

	if (c->o.json) {
		json_t *wrap = json_pack("{s:O}", key, items);

		json_print(wrap);
		json_decref(wrap);
		return CTL_OK;
	}
	if (table_add(&t, header) != 0)
		goto nomem;
	json_array_foreach(items, i, item) {
		row(item, &t);
	}
	table_print_free(&t);
	return CTL_OK;
nomem:
	table_print_free(&t);
	ctl_err("out of memory");
	return CTL_ERROR;
}

static void
treasury_row(json_t *j, struct table *t)
{
	char cv[24], m[24], n[24];
	const char *v[5];

	snprintf(n, sizeof(n), "%zu", json_array_size(json_object_get(j,
	    "signers")));
	v[0] = json_str(j, "id");
	v[1] = json_str(j, "name");
	v[2] = int_text(cv, sizeof(cv), json_object_get(j, "config_version"));
	v[3] = int_text(m, sizeof(m), json_object_get(j, "threshold"));
	v[4] = n;
	(void)table_add(t, v);
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

static void
balance_row(json_t *j, struct table *t)
{
	const char *v[2] = { json_str(j, "asset"), json_str(j, "amount") };

	(void)table_add(t, v);
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

static void
ledger_row(json_t *j, struct table *t)
{
	char seq[24];
	const char *kind = json_str(j, "kind");
	const char *v[7];

	v[0] = int_text(seq, sizeof(seq), json_object_get(j, "seq"));
	v[1] = json_str(j, "created_at");
	v[2] = kind;
	v[3] = json_str(j, "asset");
	v[4] = json_str(j, "amount");
	v[5] = json_str(j, "balance_after");
	v[6] = kind != NULL && strcmp(kind, "deposit") == 0 ?
	    json_str(j, "reference") : json_str(j, "to");
	(void)table_add(t, v);
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

static void
proposal_row(json_t *j, struct table *t)
{
	char nonce[24], votes[96], a[24], m[24], r[24];
	const char *v[6];

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
	(void)table_add(t, v);
}

static int
status_check(const char *s)
{
	static const char *const names[] = { "pending", "approved", "executed",
	    "rejected", "expired", "stale", "cancelled", "vetoed" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0)
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

/* ---- a proposal's meaning ---- */

static void
expiry_print(int64_t expires_s)
{
	char ts[TIMESTAMP_BYTES + 1];
	int64_t left = expires_s - (int64_t)time(NULL);

	timestamp_format(expires_s, ts);
	if (left <= 0)
		fprintf(human_out(), "  expires    %s (EXPIRED)\n", ts);
	else
		fprintf(human_out(), "  expires    %s (in %lldd %lldh %lldm)\n", ts,
		    (long long)(left / 86400), (long long)(left % 86400 / 3600),
		    (long long)(left % 3600 / 60));
}

/* The allowlist label of a destination, from the verified policy. */
static void
destination_label_print(const char *to, const char *indent)
{
	const char *label = NULL;

	if (shown_policy == NULL)
		fprintf(human_out(), "%slabel  (the treasury's allowlist was not"
		    " checked)\n", indent);
	else if (!shown_policy->allowlist_on)
		fprintf(human_out(), "%slabel  (the treasury has no allowlist)\n",
		    indent);
	else if (policy_destination_check(shown_policy, to, &label) !=
	    TREASURY_OK)
		fprintf(human_out(), "%slabel  NOT on the allowlist: the daemon"
		    " will refuse it\n", indent);
	else
		fprintf(human_out(), "%slabel  \"%s\" (allowlisted)\n", indent,
		    label);
}

static void
transfer_print(const struct transfer_fields *t, const char *indent)
{
	char amount[AMOUNT_FORMAT_MAX_BYTES];

	if (amount_format(t->amount, t->decimals, amount, sizeof(amount)) !=
	    TREASURY_OK)
		snprintf(amount, sizeof(amount), "?");
	fprintf(human_out(), "%spay    %s %s  (asset %s, %u decimals)\n", indent, amount,
	    t->asset, t->asset, t->decimals);
	fprintf(human_out(), "%sto     %s\n", indent, t->to);
	destination_label_print(t->to, indent);
	fprintf(human_out(), "%smemo   \"%s\"\n", indent, t->memo);
}

static void
signer_line(char mark, const char *name, const char *type, const char *pub)
{
	fprintf(human_out(), "    %c %-20s %-8s %s\n", mark, name, type, pub);
}

/* Does the current set hold this name / this key (by x)? */
static json_t *
signer_by_name(json_t *treasury, const char *name)
{
	json_t *s;
	size_t i;

	json_array_foreach(json_object_get(treasury, "signers"), i, s) {
		const char *n = json_str(s, "name");

		if (n != NULL && strcmp(n, name) == 0)
			return s;
	}
	return NULL;
}

static void
signer_set_print(const struct proposal_fields *f, json_t *treasury,
    json_int_t m, size_t n)
{
	char pub[2 * ECDSA_PUBKEY_BYTES + 1];
	json_t *s;
	size_t i;

	fprintf(human_out(), "  signers before (config %llu): %lld of %zu\n",
	    (unsigned long long)f->config_version, (long long)m, n);
	json_array_foreach(json_object_get(treasury, "signers"), i, s) {
		signer_line(' ', json_str(s, "name"), json_str(s, "key_type"),
		    json_str(s, "pubkey"));
	}
	hex_encode(pub, f->key.bytes, f->key.len);
	fprintf(human_out(), "  signers after (config %llu): %u of %u\n",
	    (unsigned long long)f->config_version + 1,
	    f->kind == KIND_REPLACE_SIGNER ? (unsigned)m : f->threshold_after,
	    f->kind == KIND_REPLACE_SIGNER ? (unsigned)n : f->signers_after);
	json_array_foreach(json_object_get(treasury, "signers"), i, s) {
		const char *name = json_str(s, "name");
		int same = strcmp(name, f->signer) == 0;

		if (same && f->kind == KIND_REMOVE_SIGNER)
			signer_line('-', name, json_str(s, "key_type"),
			    json_str(s, "pubkey"));
		else if (same && f->kind == KIND_REPLACE_SIGNER)
			signer_line('~', name, key_type_name(f->key.type), pub);
		else
			signer_line(' ', name, json_str(s, "key_type"),
			    json_str(s, "pubkey"));
	}
	if (f->kind == KIND_ADD_SIGNER)
		signer_line('+', f->signer, key_type_name(f->key.type), pub);
}

static int
config_refuse(const char *why, const char *name)
{
	fprintf(stderr, "treasuryctl: REFUSED, nothing signed: %s%s%s\n", why,
	    name ? ": " : "", name ? name : "");
	return CTL_VERIFY;
}

int
config_change_check(const struct proposal_fields *f, json_t *treasury,
    bool print)
{
	json_int_t m = json_integer_value(json_object_get(treasury,
	    "threshold"));
	size_t n = json_array_size(json_object_get(treasury, "signers"));
	bool named = signer_by_name(treasury, f->signer) != NULL;

	switch (f->kind) {
	case KIND_ADD_SIGNER:
		if (named)
			return config_refuse("the signer to add is already a "
			    "signer", f->signer);
		if (treasury_signer_by_key(treasury, &f->key) != NULL)
			return config_refuse("the key to add is already a "
			    "signer's key", f->signer);
		if (f->signers_after != n + 1)
			return config_refuse("the text's signer count is not "
			    "the current count plus one", NULL);
		break;
	case KIND_REMOVE_SIGNER:
		if (!named)
			return config_refuse("the signer to remove is not a "
			    "signer", f->signer);
		if (f->signers_after + 1 != n)
			return config_refuse("the text's signer count is not "
			    "the current count minus one", NULL);
		break;
	case KIND_REPLACE_SIGNER:
		if (!named)
			return config_refuse("the signer to replace is not a "
			    "signer", f->signer);
		break;
	case KIND_SET_THRESHOLD:
		if (f->signers_after != n)
			return config_refuse("the text's signer count is not "
			    "the current count", NULL);
		break;
	case KIND_SET_POLICY:
		if (f->signers_after != n || (json_int_t)f->threshold_after != m)
			return config_refuse("the text's threshold or signer "
			    "count is not the treasury's current one", NULL);
		return CTL_OK;
	case KIND_TRANSFER:
	case KIND_BATCH:
	case KIND_UNFREEZE:
		return CTL_OK;
	default:
		return config_refuse("unknown proposal kind", NULL);
	}
	if (print)
		signer_set_print(f, treasury, m, n);
	return CTL_OK;
}

/* Whether the text holds this line (with its LF) as a whole line. */
static bool
text_has_line(const struct textbuf *t, const char *line, size_t len)
{
	const char *p = t->data, *e = t->data + t->len, *nl;

	while (p < e) {
		nl = memchr(p, '\n', (size_t)(e - p));
		if (nl == NULL)
			return false;
		if ((size_t)(nl - p + 1) == len && memcmp(p, line, len) == 0)
			return true;
		p = nl + 1;
	}
	return false;
}

/* A delay as days, hours and minutes. */
static void
delay_print(const char *what, int64_t s)
{
	fprintf(human_out(), "    %-22s %lld s (%lldd %lldh %lldm)\n", what,
	    (long long)s, (long long)(s / 86400), (long long)(s % 86400 / 3600),
	    (long long)(s % 3600 / 60));
}

/* A set-policy proposal: the whole policy after execution, line by line
 * as signed, and the values that are easy to misread spelled out. */
static void
set_policy_print(const struct proposal_fields *f)
{
	const struct treasury_policy *p = &f->policy;
	struct textbuf text, now;
	const char *line, *end;
	unsigned i;

	fprintf(human_out(), "  SET POLICY: the whole policy after execution"
	    " (threshold %u of %u unchanged)\n", f->threshold_after,
	    f->signers_after);
	delay_print("spend delay", p->timelock_spend_s);
	delay_print("config delay", p->timelock_config_s);
	fprintf(human_out(), "    %-22s %u%s\n", "veto count",
	    policy_veto_threshold(p, f->signers_after),
	    p->veto_count == 0 ? " (default: ceil(N/3))" : "");
	fprintf(human_out(), "    %-22s %u\n", "config approvals",
	    f->threshold_after + p->config_extra);
	if (p->high_threshold != 0)
		fprintf(human_out(), "    %-22s %u\n", "high threshold",
		    p->high_threshold);
	else
		fprintf(human_out(), "    %-22s none\n", "high threshold");
	fprintf(human_out(), "    %-22s %s\n", "key proof",
	    p->key_proof ? "required" : "not required");
	for (i = 0; i < p->allowlist_count; i++)
		fprintf(human_out(), "    allow %s  label \"%s\"\n",
		    p->allowlist[i].to, p->allowlist[i].label);
	fprintf(human_out(), "  policy lines as signed (+ new, - removed,"
	    " against the current policy%s):\n", shown_policy == NULL ?
	    ", which was not checked" : "");
	textbuf_init(&text, CANONICAL_MAX_BYTES);
	textbuf_init(&now, CANONICAL_MAX_BYTES);
	if (policy_lines_append(&text, p, f->threshold_after,
	    f->signers_after) != TREASURY_OK || (shown_policy != NULL &&
	    policy_lines_append(&now, shown_policy, f->threshold_after,
	    f->signers_after) != TREASURY_OK)) {
		fprintf(human_out(), "    (cannot be written: invalid policy)\n");
		goto done;
	}
	for (line = now.data; now.len > 0 && line < now.data + now.len;
	    line = end + 1) {
		end = memchr(line, '\n', (size_t)(now.data + now.len - line));
		if (end == NULL)
			break;
		if (!text_has_line(&text, line, (size_t)(end - line + 1)))
			fprintf(human_out(), "    - %.*s\n", (int)(end - line),
			    line);
	}
	for (line = text.data; line < text.data + text.len; line = end + 1) {
		end = memchr(line, '\n', (size_t)(text.data + text.len - line));
		if (end == NULL)
			break;
		fprintf(human_out(), "    %c %.*s\n", shown_policy == NULL ||
		    text_has_line(&now, line, (size_t)(end - line + 1)) ? '|' :
		    '+', (int)(end - line), line);
	}
done:
	textbuf_free(&text);
	textbuf_free(&now);
}

static void
kind_print(const struct proposal_fields *f, json_t *treasury)
{
	unsigned i;

	fprintf(human_out(), "\nWhat it does:\n");
	switch (f->kind) {
	case KIND_TRANSFER:
		transfer_print(&f->transfers[0], "  ");
		return;
	case KIND_BATCH:
		fprintf(human_out(), "  %u transfers, all or none:\n", f->transfer_count);
		for (i = 0; i < f->transfer_count; i++) {
			fprintf(human_out(), "  transfer %u of %u\n", i + 1,
			    f->transfer_count);
			transfer_print(&f->transfers[i], "    ");
		}
		fprintf(human_out(), "  batch memo \"%s\"\n", f->memo);
		return;
	case KIND_SET_POLICY:
		set_policy_print(f);
		fprintf(human_out(), "  memo \"%s\"\n", f->memo);
		return;
	case KIND_UNFREEZE:
		fprintf(human_out(), "  UNFREEZE: lift freeze number %llu (and no"
		    " other)\n", (unsigned long long)f->freeze_seq);
		fprintf(human_out(), "  memo \"%s\"\n", f->memo);
		return;
	default:
		break;
	}
	if (f->kind == KIND_ADD_SIGNER)
		fprintf(human_out(), "  ADD signer %s, threshold becomes %u of %u\n",
		    f->signer, f->threshold_after, f->signers_after);
	else if (f->kind == KIND_REMOVE_SIGNER)
		fprintf(human_out(), "  REMOVE signer %s, threshold becomes %u of %u\n",
		    f->signer, f->threshold_after, f->signers_after);
	else if (f->kind == KIND_REPLACE_SIGNER)
		fprintf(human_out(), "  REPLACE the key of signer %s\n", f->signer);
	else if (f->kind == KIND_SET_THRESHOLD)
		fprintf(human_out(), "  SET THRESHOLD to %u of %u\n", f->threshold_after,
		    f->signers_after);
	else {
		fprintf(human_out(), "  UNKNOWN KIND: not shown\n");
		return;
	}
	if (treasury != NULL)
		(void)config_change_check(f, treasury, true);
	else
		fprintf(human_out(), "  (signer set before and after not shown: the config "
		    "version is not the treasury's current one)\n");
	fprintf(human_out(), "  memo \"%s\"\n", f->memo);
}

void
proposal_print(const struct proposal_fields *f, const char *id_hex,
    json_t *treasury, const char *status, json_t *proposal)
{
	char inst[2 * INSTANCE_ID_BYTES + 1], a[24], m[24], r[24];
	json_int_t tv = json_integer_value(json_object_get(treasury,
	    "config_version"));

	hex_encode(inst, f->instance, INSTANCE_ID_BYTES);
	fprintf(human_out(), "Proposal %s\n", id_hex);
	fprintf(human_out(), "  id         recomputed from the canonical text: matches\n");
	fprintf(human_out(), "  instance   %s\n", inst);
	fprintf(human_out(), "  treasury   %s\n", f->treasury);
	fprintf(human_out(), "  kind       %s\n", proposal_kind_name(f->kind));
	if (treasury == NULL)
		fprintf(human_out(), "  config     version %llu (not checked: offline)\n",
		    (unsigned long long)f->config_version);
	else if ((uint64_t)tv == f->config_version)
		fprintf(human_out(), "  config     version %llu (current)\n",
		    (unsigned long long)f->config_version);
	else
		fprintf(human_out(), "  config     version %llu (STALE: the treasury is at "
		    "version %lld)\n", (unsigned long long)f->config_version,
		    (long long)tv);
	fprintf(human_out(), "  nonce      %llu\n", (unsigned long long)f->nonce);
	expiry_print(f->expires_s);
	if (status != NULL && proposal != NULL)
		fprintf(human_out(), "  status     %s (%s of %s approvals, %s rejections)\n",
		    status, int_text(a, sizeof(a), json_object_get(proposal,
		    "approval_count")), int_text(m, sizeof(m),
		    json_object_get(proposal, "threshold")), int_text(r,
		    sizeof(r), json_object_get(proposal, "rejection_count")));
	kind_print(f, treasury != NULL && (uint64_t)tv == f->config_version ?
	    treasury : NULL);
}

int
cmd_show(struct ctl *c)
{
	struct verified v;
	uint8_t id[PROPOSAL_ID_BYTES];
	int rc;

	rc = proposal_id_arg(c->o.argv[0], id);
	if (rc != CTL_OK)
		return rc;
	rc = proposal_fetch_verified(c, id, &v);
	if (rc == CTL_OK && v.config_current && proposal_kind_is_config(
	    v.f->kind))
		rc = config_change_check(v.f, v.treasury, false);
	if (rc == CTL_OK) {
		if (c->o.json)
			json_print(v.proposal);
		else
			proposal_print(v.f, v.id_hex, v.treasury, v.status,
			    v.proposal);
	}
	verified_free(&v);
	return rc;
}

/* One row of the remaining allowances. */
static void
remaining_row(json_t *j, struct table *t)
{
	const char *v[4];
	const char *names[] = { "day", "week", "month" };
	int i;

	v[0] = json_str(j, "asset");
	for (i = 0; i < 3; i++) {
		v[i + 1] = json_str(j, names[i]);
		if (v[i + 1] == NULL)
			v[i + 1] = "unlimited";
	}
	(void)table_add(t, v);
}

int
cmd_policy(struct ctl *c)
{
	static const char *const header[] = { "ASSET", "DAY", "WEEK",
	    "MONTH" };
	struct treasury_policy *p = NULL;
	json_t *answer = NULL;
	char tv[24], *at;
	int rc;

	rc = policy_fetch_verified(c, c->o.argv[0], NULL, &answer, &p);
	if (rc == CTL_OK && c->o.json)
		json_print(answer);
	else if (rc == CTL_OK) {
		/* text and digest were verified: they decode strictly (no
		 * control character but LF) and match */
		fprintf(human_out(), "Policy of treasury %s at config version %s"
		    " (digest %s, verified)\n", c->o.argv[0],
		    int_text(tv, sizeof(tv), json_object_get(answer,
		    "config_version")), json_str(answer, "digest"));
		fprintf(human_out(), "%s", json_str(answer, "text"));
		if (json_is_true(json_object_get(answer, "frozen"))) {
			at = term_clean(json_str(answer, "frozen_at"));
			fprintf(human_out(), "FROZEN since %s (freeze %s)\n",
			    at != NULL ? at : "?", int_text(tv, sizeof(tv),
			    json_object_get(answer, "freeze_seq")));
			free(at);
		} else
			fprintf(human_out(), "not frozen (the next freeze is"
			    " number %s)\n", int_text(tv, sizeof(tv),
			    json_object_get(answer, "next_freeze")));
		fprintf(human_out(), "Remaining allowances now:\n");
		fflush(human_out());
		rc = list_print(c, json_object_get(answer, "remaining"),
		    "remaining", 4, header, remaining_row);
	}
	free(p);
	json_decref(answer);
	return rc;
}
