/*
 * screen.c: what a proposal means, shown to the person about to sign it.
 *
 * Everything here is rebuilt from the decoded canonical text (never from
 * the server's JSON fields) and from context the client has pinned
 * (trust.c) or the signer's own address book: signer sets before and
 * after a config change, allowlist labels, the policy a set-policy is
 * compared with. The server's counts (approvals, status) are shown as
 * the server's word. Every line goes through say() (out.c).
 *
 * final_summary_print() is the last screen before the question: short,
 * from the canonical text only, and it refuses a text that has expired
 * by the local clock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "treasury/canonical.h"
#include "treasury/hex.h"
#include "treasury/signer_set.h"

/* The pinned policy, when pin is the text's own config version. */
static const struct treasury_policy *
policy_of(const struct proposal_fields *f, const struct pinned *pin)
{
	return pin != NULL && pin->config_version == f->config_version ?
	    &pin->policy : NULL;
}

static void
amount_text(amount_minor v, unsigned decimals, char out[AMOUNT_FORMAT_MAX_BYTES])
{
	if (amount_format(v, decimals, out, AMOUNT_FORMAT_MAX_BYTES) !=
	    TREASURY_OK)
		snprintf(out, AMOUNT_FORMAT_MAX_BYTES, "?");
}

static void
expiry_print(int64_t expires_s)
{
	char ts[TIMESTAMP_BYTES + 1];
	int64_t left = expires_s - (int64_t)time(NULL);

	timestamp_format(expires_s, ts);
	if (left <= 0)
		say(human_out(), "  expires    %s (EXPIRED by this machine's "
		    "clock)\n", ts);
	else
		say(human_out(), "  expires    %s (in %lldd %lldh %lldm)\n", ts,
		    (long long)(left / 86400), (long long)(left % 86400 / 3600),
		    (long long)(left % 3600 / 60));
}

/* What the signer knows of a destination: the own address book's label,
 * the pinned allowlist's, or that it is new. */
static void
destination_label_print(struct ctl *c, const char *to,
    const struct treasury_policy *pol, const char *indent)
{
	const char *mine = address_book_label(c, to), *label = NULL;
	bool allowed = false;

	if (mine != NULL)
		say(human_out(), "%s       your address book: \"%s\"\n", indent,
		    mine);
	if (pol != NULL && pol->allowlist_on) {
		if (policy_destination_check(pol, to, &label) == TREASURY_OK) {
			allowed = true;
			say(human_out(), "%s       allowlisted: \"%s\" (label "
			    "verified: pinned policy)\n", indent, label);
		} else
			say(human_out(), "%s       NOT on the pinned allowlist: "
			    "the daemon will refuse it\n", indent);
	} else if (pol == NULL)
		say(human_out(), "%s       (allowlist not checked: no pinned "
		    "policy for this config version)\n", indent);
	if (mine == NULL && !allowed)
		say(human_out(), "%s       NEW DESTINATION: not in your address "
		    "book%s\n", indent, pol != NULL && pol->allowlist_on ? "" :
		    ", no allowlist");
}

static void
transfer_print(struct ctl *c, const struct transfer_fields *t,
    const struct treasury_policy *pol, const char *indent)
{
	char amount[AMOUNT_FORMAT_MAX_BYTES];

	amount_text(t->amount, t->decimals, amount);
	say(human_out(), "%spay    %s %s  (asset %s, %u decimals)\n", indent,
	    amount, t->asset, t->asset, t->decimals);
	say(human_out(), "%sto     %s\n", indent, t->to);
	destination_label_print(c, t->to, pol, indent);
	say(human_out(), "%smemo   \"%s\"\n", indent, t->memo);
}

static void
signer_line(char mark, const struct signer_entry *e)
{
	char pub[2 * ECDSA_PUBKEY_BYTES + 1];

	hex_encode(pub, e->key.bytes, e->key.len);
	say(human_out(), "    %c %-20s %-8s %s\n", mark, e->name,
	    key_type_name(e->key.type), pub);
}

/* The pinned set before and the set after (signer_set_apply). */
static void
signer_sets_print(const struct proposal_fields *f, const struct pinned *pin)
{
	struct signer_set after = pin->set;
	unsigned i;
	int j;

	if (signer_set_apply(&after, f) != TREASURY_OK)
		return;		/* config_change_check refuses it */
	say(human_out(), "  signers before (config %llu, pinned): %u of %u\n",
	    (unsigned long long)f->config_version, pin->set.threshold,
	    pin->set.count);
	for (i = 0; i < pin->set.count; i++)
		signer_line(' ', &pin->set.signers[i]);
	say(human_out(), "  signers after (config %llu): %u of %u"
	    "   (- removed, + added, ~ new key)\n",
	    (unsigned long long)f->config_version + 1, after.threshold,
	    after.count);
	for (i = 0; i < pin->set.count; i++) {
		j = signer_set_find_name(&after, pin->set.signers[i].name);
		if (j < 0)
			signer_line('-', &pin->set.signers[i]);
		else
			signer_line(memcmp(after.signers[j].key.x,
			    pin->set.signers[i].key.x, 32) != 0 ? '~' : ' ',
			    &after.signers[j]);
	}
	for (i = 0; i < after.count; i++)
		if (signer_set_find_name(&pin->set, after.signers[i].name) < 0)
			signer_line('+', &after.signers[i]);
}

int
config_change_check(const struct proposal_fields *f, const struct pinned *pin)
{
	struct signer_set after = pin->set;
	treasury_err err;

	if (!proposal_kind_is_config(f->kind))
		return CTL_OK;
	err = signer_set_apply(&after, f);
	if (err == TREASURY_OK)
		return CTL_OK;
	return refuse("the config change does not apply to the pinned signer "
	    "set of version %llu (%s)", (unsigned long long)pin->config_version,
	    treasury_err_text(err));
}

/* Whether the text holds this line (with its LF) as a whole line. */
static bool
text_has_line(const char *text, size_t text_len, const char *line,
    size_t len)
{
	const char *p = text, *e = text + text_len, *nl;

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

/* Print the lines of `from` that `other` lacks (mark) or all of them with
 * mark / same_mark. */
static void
lines_diff_print(const char *from, size_t from_len, const char *other,
    size_t other_len, char mark, char same_mark)
{
	const char *line, *end;
	bool same;

	for (line = from; line < from + from_len; line = end + 1) {
		end = memchr(line, '\n', (size_t)(from + from_len - line));
		if (end == NULL)
			break;
		same = other != NULL && text_has_line(other, other_len, line,
		    (size_t)(end - line + 1));
		if (same && same_mark == 0)
			continue;
		say(human_out(), "    %c %.*s\n", same ? same_mark : mark,
		    (int)(end - line), line);
	}
}

static void
delay_print(const char *what, int64_t s)
{
	say(human_out(), "    %-22s %lld s (%lldd %lldh %lldm)\n", what,
	    (long long)s, (long long)(s / 86400), (long long)(s % 86400 / 3600),
	    (long long)(s % 3600 / 60));
}

/* A set-policy: the whole policy after execution, its values that are
 * easy to misread spelled out, and its lines against the PINNED policy. */
static void
set_policy_print(const struct proposal_fields *f, const struct pinned *pin)
{
	const struct treasury_policy *p = &f->policy, *now = policy_of(f, pin);
	const char *pinned = now != NULL ? pin->policy_text : NULL;
	struct textbuf text;
	unsigned i;

	say(human_out(), "  SET POLICY: the whole policy after execution "
	    "(threshold %u of %u unchanged)\n", f->threshold_after,
	    f->signers_after);
	delay_print("spend delay", p->timelock_spend_s);
	delay_print("config delay", p->timelock_config_s);
	say(human_out(), "    %-22s %u%s\n", "veto count",
	    policy_veto_threshold(p, f->signers_after), p->veto_count == 0 ?
	    " (default: ceil(N/3))" : "");
	say(human_out(), "    %-22s %u\n", "config approvals",
	    f->threshold_after + p->config_extra);
	if (p->high_threshold != 0)
		say(human_out(), "    %-22s %u\n", "high threshold",
		    p->high_threshold);
	else
		say(human_out(), "    %-22s none\n", "high threshold");
	say(human_out(), "    %-22s %s\n", "key proof", p->key_proof ?
	    "required" : "not required");
	for (i = 0; i < p->allowlist_count; i++)
		say(human_out(), "    allow %s  label \"%s\"\n",
		    p->allowlist[i].to, p->allowlist[i].label);
	say(human_out(), "  policy lines as signed (+ new, - removed, | "
	    "unchanged, against the %s):\n", pinned != NULL ?
	    "PINNED current policy" : "current policy, which is not pinned "
	    "for this version: every line is shown as new");
	textbuf_init(&text, CANONICAL_MAX_BYTES);
	if (policy_lines_append(&text, p, f->threshold_after,
	    f->signers_after) != TREASURY_OK) {
		say(human_out(), "    (cannot be written: invalid policy)\n");
		textbuf_free(&text);
		return;
	}
	if (pinned != NULL)
		lines_diff_print(pinned, strlen(pinned), text.data, text.len,
		    '-', 0);
	lines_diff_print(text.data, text.len, pinned, pinned != NULL ?
	    strlen(pinned) : 0, '+', '|');
	textbuf_free(&text);
}

static void
config_kind_print(const struct proposal_fields *f, const struct pinned *pin)
{
	if (f->kind == KIND_ADD_SIGNER)
		say(human_out(), "  ADD signer %s, threshold becomes %u of %u\n",
		    f->signer, f->threshold_after, f->signers_after);
	else if (f->kind == KIND_REMOVE_SIGNER)
		say(human_out(), "  REMOVE signer %s, threshold becomes %u of "
		    "%u\n", f->signer, f->threshold_after, f->signers_after);
	else if (f->kind == KIND_REPLACE_SIGNER)
		say(human_out(), "  REPLACE the key of signer %s\n", f->signer);
	else
		say(human_out(), "  SET THRESHOLD to %u of %u\n",
		    f->threshold_after, f->signers_after);
	if (policy_of(f, pin) != NULL)
		signer_sets_print(f, pin);
	else
		say(human_out(), "  (signer set before and after not shown: no "
		    "pinned config for version %llu)\n",
		    (unsigned long long)f->config_version);
}

static void
kind_print(struct ctl *c, const struct proposal_fields *f,
    const struct pinned *pin)
{
	const struct treasury_policy *pol = policy_of(f, pin);
	unsigned i;

	say(human_out(), "\nWhat it does:\n");
	switch (f->kind) {
	case KIND_TRANSFER:
		transfer_print(c, &f->transfers[0], pol, "  ");
		return;
	case KIND_BATCH:
		say(human_out(), "  %u transfers, all or none:\n",
		    f->transfer_count);
		for (i = 0; i < f->transfer_count; i++) {
			say(human_out(), "  transfer %u of %u\n", i + 1,
			    f->transfer_count);
			transfer_print(c, &f->transfers[i], pol, "    ");
		}
		break;
	case KIND_SET_POLICY:
		set_policy_print(f, pin);
		break;
	case KIND_UNFREEZE:
		say(human_out(), "  UNFREEZE: lift freeze number %llu (and no "
		    "other)\n", (unsigned long long)f->freeze_seq);
		break;
	case KIND_ADD_SIGNER:
	case KIND_REMOVE_SIGNER:
	case KIND_REPLACE_SIGNER:
	case KIND_SET_THRESHOLD:
		config_kind_print(f, pin);
		break;
	default:
		say(human_out(), "  UNKNOWN KIND: not shown\n");
		return;
	}
	say(human_out(), "  memo \"%s\"\n", f->memo);
}

/* One accounting label from the server: a category name, shown escaped;
 * anything else is not shown. */
static void
label_print(const char *what, json_t *v)
{
	const char *s = json_string_value(v);

	if (json_is_null(v))
		return;
	if (s == NULL || treasury_id_check(s, json_string_length(v)) !=
	    TREASURY_OK || json_string_length(v) > CATEGORY_NAME_MAX_BYTES)
		say(human_out(), "  category (unsigned label)%s: (malformed, "
		    "not shown)\n", what);
	else
		say(human_out(), "  category (unsigned label)%s: %s\n", what, s);
}

/* The server's accounting labels of a transfer or batch (issue #14):
 * after the signed content, marked as not signed (they are not in the
 * canonical text and a vote does not cover them). */
static void
labels_print(const struct proposal_fields *f, json_t *proposal)
{
	char what[40];
	json_t *list;

	if (proposal == NULL)
		return;
	if (f->kind == KIND_TRANSFER) {
		label_print("", json_object_get(proposal, "category"));
		return;
	}
	list = json_object_get(proposal, "categories");
	if (f->kind != KIND_BATCH || !json_is_array(list))
		return;
	for (unsigned i = 0; i < f->transfer_count; i++) {
		snprintf(what, sizeof(what), " of transfer %u", i + 1);
		label_print(what, json_array_get(list, i));
	}
}

static char *
int_text(char *buf, size_t size, json_t *v)
{
	if (json_is_integer(v) && json_integer_value(v) >= 0)
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
	else
		snprintf(buf, size, "?");
	return buf;
}

void
proposal_print(struct ctl *c, const struct proposal_fields *f,
    const char *id_hex, const struct pinned *pin, const char *status,
    json_t *proposal)
{
	char inst[2 * INSTANCE_ID_BYTES + 1], a[24], m[24], r[24];

	hex_encode(inst, f->instance, INSTANCE_ID_BYTES);
	say(human_out(), "Proposal %s\n", id_hex);
	say(human_out(), "  id         recomputed from the canonical text: "
	    "matches\n");
	say(human_out(), "  instance   %s%s\n", inst, pin != NULL ?
	    " (pinned)" : " (not checked: offline)");
	say(human_out(), "  treasury   %s\n", f->treasury);
	say(human_out(), "  kind       %s\n", proposal_kind_name(f->kind));
	if (pin == NULL)
		say(human_out(), "  config     version %llu (not checked: "
		    "offline)\n", (unsigned long long)f->config_version);
	else if (pin->config_version == f->config_version)
		say(human_out(), "  config     version %llu (current, pinned)\n",
		    (unsigned long long)f->config_version);
	else
		say(human_out(), "  config     version %llu (STALE: the treasury "
		    "is at pinned version %llu)\n",
		    (unsigned long long)f->config_version,
		    (unsigned long long)pin->config_version);
	say(human_out(), "  nonce      %llu\n", (unsigned long long)f->nonce);
	expiry_print(f->expires_s);
	if (status != NULL && proposal != NULL)
		say(human_out(), "  status     %s (%s of %s approvals, %s "
		    "rejections; the server's word)\n", status, int_text(a,
		    sizeof(a), json_object_get(proposal, "approval_count")),
		    int_text(m, sizeof(m), json_object_get(proposal,
		    "threshold")), int_text(r, sizeof(r), json_object_get(
		    proposal, "rejection_count")));
	kind_print(c, f, pin);
	labels_print(f, proposal);
}

/* ---- the final summary ---- */

/* Per-asset totals and the largest item of each asset. */
struct asset_total {
	const struct transfer_fields *largest;
	amount_minor total;
	bool overflow;
};

static void
totals_print(const struct proposal_fields *f)
{
	struct asset_total tot[BATCH_TRANSFERS_MAX];
	char amount[AMOUNT_FORMAT_MAX_BYTES];
	const struct transfer_fields *t;
	unsigned i, k, n = 0;

	for (i = 0; i < f->transfer_count; i++) {
		t = &f->transfers[i];
		for (k = 0; k < n && strcmp(tot[k].largest->asset, t->asset);
		    k++)
			;
		if (k == n) {
			tot[n].largest = t;
			tot[n].total = 0;
			tot[n++].overflow = false;
		}
		if (amount_add(tot[k].total, t->amount, &tot[k].total) !=
		    TREASURY_OK)
			tot[k].overflow = true;
		if (t->amount > tot[k].largest->amount)
			tot[k].largest = t;
	}
	for (k = 0; k < n; k++) {
		amount_text(tot[k].total, tot[k].largest->decimals, amount);
		say(human_out(), "  total      %s %s%s\n", tot[k].overflow ?
		    "MORE THAN 2^128-1 minor units of" : amount,
		    tot[k].largest->asset, tot[k].overflow ? " (cannot execute)"
		    : "");
		amount_text(tot[k].largest->amount, tot[k].largest->decimals,
		    amount);
		say(human_out(), "  largest    %s %s to %s\n", amount,
		    tot[k].largest->asset, tot[k].largest->to);
	}
}

static void
destinations_print(struct ctl *c, const struct proposal_fields *f,
    const struct treasury_policy *pol)
{
	unsigned i, j, distinct = 0;

	for (i = 0; i < f->transfer_count; i++) {
		for (j = 0; j < i && strcmp(f->transfers[j].to,
		    f->transfers[i].to); j++)
			;
		if (j == i)
			distinct++;
	}
	say(human_out(), "  to         %u distinct destination%s:\n", distinct,
	    distinct == 1 ? "" : "s");
	for (i = 0; i < f->transfer_count; i++) {
		for (j = 0; j < i && strcmp(f->transfers[j].to,
		    f->transfers[i].to); j++)
			;
		if (j < i)
			continue;
		say(human_out(), "    %s\n", f->transfers[i].to);
		destination_label_print(c, f->transfers[i].to, pol, "    ");
	}
}

static void
config_result_print(const struct proposal_fields *f, const struct pinned *pin)
{
	struct signer_set after;
	unsigned i;

	if (f->kind == KIND_SET_POLICY)
		say(human_out(), "  result     the whole policy above; threshold "
		    "stays %u of %u\n", f->threshold_after, f->signers_after);
	if (policy_of(f, pin) == NULL) {
		say(human_out(), "  result     threshold %u of %u (signer set "
		    "not pinned for this version)\n", f->threshold_after,
		    f->signers_after);
		return;
	}
	after = pin->set;
	if (signer_set_apply(&after, f) != TREASURY_OK)
		return;
	say(human_out(), "  result     threshold %u of %u signers:\n",
	    after.threshold, after.count);
	for (i = 0; i < after.count; i++)
		signer_line(' ', &after.signers[i]);
}

int
final_summary_print(struct ctl *c, const struct proposal_fields *f,
    const char *id_hex, const struct pinned *pin, const char *action)
{
	char ts[TIMESTAMP_BYTES + 1];

	say(human_out(), "\n==== FINAL CHECK: rebuilt from the canonical text "
	    "only ====\n");
	say(human_out(), "  sign       %s\n", action);
	say(human_out(), "  proposal   %.16s... %s, treasury %s, config %llu, "
	    "nonce %llu\n", id_hex, proposal_kind_name(f->kind), f->treasury,
	    (unsigned long long)f->config_version,
	    (unsigned long long)f->nonce);
	if (f->transfer_count > 0) {
		totals_print(f);
		destinations_print(c, f, policy_of(f, pin));
	} else if (f->kind == KIND_UNFREEZE)
		say(human_out(), "  result     lifts freeze number %llu\n",
		    (unsigned long long)f->freeze_seq);
	else
		config_result_print(f, pin);
	expiry_print(f->expires_s);
	say(human_out(), "====\n");
	fflush(human_out());
	if (f->expires_s <= (int64_t)time(NULL)) {
		timestamp_format(f->expires_s, ts);
		return refuse("the text expired at %s by this machine's clock, "
		    "whatever the server says", ts);
	}
	return CTL_OK;
}
