/*
 * cmd_config.c: a treasury's config (signer set and threshold) checked,
 * and what a config-change proposal makes of the current one, by the
 * rules of core/signer_set.c applied to the engine's records; here only
 * the conversion and the detail texts the API answers with.
 *
 * config_change_compute runs twice for every config change: when the
 * proposal is made (to fill threshold_after and signers_after, which the
 * canonical text shows the signers) and again at execution against the
 * config as it is then, so a change is never applied to a set it was not
 * checked against.
 */
#include <string.h>

#include "treasury/signer_set.h"

#include "engine_int.h"

static void
signer_set_of(const struct treasury *t, struct signer_set *out)
{
	unsigned i;

	memset(out, 0, sizeof(*out));
	out->threshold = t->threshold;
	out->count = t->signer_count;
	for (i = 0; i < t->signer_count && i < SIGNERS_PER_TREASURY_MAX; i++) {
		memcpy(out->signers[i].name, t->signers[i].name,
		    sizeof(out->signers[i].name));
		out->signers[i].key = t->signers[i].key;
	}
}

/* *next: cur at the next config version with set's signers and M. */
static void
treasury_with_set(const struct treasury *cur, const struct signer_set *set,
    struct treasury *next)
{
	unsigned i;

	*next = *cur;
	next->config_version = cur->config_version + 1;
	next->threshold = set->threshold;
	next->signer_count = set->count;
	memset(next->signers, 0, sizeof(next->signers));
	for (i = 0; i < set->count; i++) {
		memcpy(next->signers[i].name, set->signers[i].name,
		    sizeof(next->signers[i].name));
		next->signers[i].key = set->signers[i].key;
	}
}

/* The detail of a signer_set_check_at refusal of t. */
static void
config_check_detail(const struct treasury *t, treasury_err err, unsigned at,
    unsigned other, struct command *cmd)
{
	switch (err) {
	case TREASURY_ERR_THRESHOLD:
		cmd_detail(cmd, "threshold: %u of %u signers is not 1 <= M <= N"
		    " <= %d", t->threshold, t->signer_count,
		    SIGNERS_PER_TREASURY_MAX);
		break;
	case TREASURY_ERR_SIGNER_NAME:
		cmd_detail(cmd, "signers[%u].name: not a signer name", at);
		break;
	case TREASURY_ERR_PUBKEY:
		cmd_detail(cmd, "signers[%u].pubkey: not a parsed key", at);
		break;
	case TREASURY_ERR_DUPLICATE_SIGNER:
		cmd_detail(cmd, "signers[%u].name: '%s' appears twice", at,
		    t->signers[at].name);
		break;
	case TREASURY_ERR_DUPLICATE_KEY:
		cmd_detail(cmd, "signers[%u].pubkey: the key of '%s' is the key"
		    " of '%s'", at, t->signers[at].name, t->signers[other].name);
		break;
	default:
		break;
	}
}

treasury_err
treasury_config_check(const struct treasury *t, struct command *cmd)
{
	struct signer_set set;
	unsigned at, other;
	treasury_err err;

	if (t->signer_count > SIGNERS_PER_TREASURY_MAX) {
		config_check_detail(t, TREASURY_ERR_THRESHOLD, 0, 0, cmd);
		return TREASURY_ERR_THRESHOLD;
	}
	signer_set_of(t, &set);
	err = signer_set_check_at(&set, &at, &other);
	if (err != TREASURY_OK)
		config_check_detail(t, err, at, other, cmd);
	return err;
}

/* The detail of a signer_set_change refusal of f on cur. */
static void
config_change_detail(const struct treasury *cur,
    const struct signer_set *set, const struct proposal_fields *f,
    treasury_err err, struct command *cmd)
{
	int k;

	switch (err) {
	case TREASURY_ERR_KIND:
		cmd_detail(cmd, "kind: not a config change");
		break;
	case TREASURY_ERR_DUPLICATE_SIGNER:
		cmd_detail(cmd, "signer: '%s' is already a signer", f->signer);
		break;
	case TREASURY_ERR_DUPLICATE_KEY:
		k = signer_set_find_key(set, f->key.x);
		cmd_detail(cmd, "pubkey: the key is already the key of '%s'",
		    k >= 0 ? set->signers[k].name : "?");
		break;
	case TREASURY_ERR_UNKNOWN_SIGNER:
		cmd_detail(cmd, "signer: '%s' is not a signer", f->signer);
		break;
	case TREASURY_ERR_CONFIG_CHANGE:
		if (f->kind == KIND_SET_THRESHOLD)
			cmd_detail(cmd, "new_threshold: the threshold is already"
			    " %u", cur->threshold);
		else
			cmd_detail(cmd, "signer: a treasury has at most %d"
			    " signers", SIGNERS_PER_TREASURY_MAX);
		break;
	case TREASURY_ERR_THRESHOLD:
		if (f->kind == KIND_SET_THRESHOLD)
			cmd_detail(cmd, "new_threshold: %u is not between 1 and"
			    " the %u signers", f->threshold_after,
			    cur->signer_count);
		else
			cmd_detail(cmd, "signer: removing '%s' would leave %u"
			    " signers for a threshold of %u", f->signer,
			    cur->signer_count - 1, cur->threshold);
		break;
	default:
		cmd_detail(cmd, "%s: %s", f->kind == KIND_ADD_SIGNER ?
		    "signer" : "kind", treasury_err_text(err));
		break;
	}
}

treasury_err
config_change_compute(const struct treasury *cur,
    const struct proposal_fields *f, struct treasury *next,
    struct command *cmd)
{
	struct signer_set set;
	treasury_err err;

	signer_set_of(cur, &set);
	err = signer_set_change(&set, f);
	if (err != TREASURY_OK) {
		config_change_detail(cur, &set, f, err, cmd);
		return err;
	}
	treasury_with_set(cur, &set, next);
	return TREASURY_OK;
}

treasury_err
config_change_stated(const struct proposal_fields *f,
    const struct treasury *next, struct command *cmd)
{
	struct signer_set set;

	signer_set_of(next, &set);
	if (signer_set_states(&set, f))
		return TREASURY_OK;
	cmd_detail(cmd, "the proposal says %u of %u signers, the change now"
	    " gives %u of %u", f->threshold_after, f->signers_after,
	    next->threshold, next->signer_count);
	return TREASURY_ERR_CONFIG_CHANGE;
}
