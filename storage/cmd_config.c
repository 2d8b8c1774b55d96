/*
 * cmd_config.c: the rules of a treasury's config (signer set and
 * threshold), and what a config-change proposal makes of the current one.
 *
 * config_change_compute runs twice for every config change: when the
 * proposal is made (to fill threshold_after and signers_after, which the
 * canonical text shows the signers) and again at execution against the
 * config as it is then, so a change is never applied to a set it was not
 * checked against.
 */
#include <string.h>

#include "engine_int.h"

/* The key's bytes must agree with its type and x coordinate. */
static int
signer_key_is_consistent(const struct signer_key *k)
{
	if (k->type == KEY_ECDSA)
		return k->len == ECDSA_PUBKEY_BYTES &&
		    (k->bytes[0] == 0x02 || k->bytes[0] == 0x03) &&
		    memcmp(k->bytes + 1, k->x, sizeof(k->x)) == 0;
	if (k->type == KEY_SCHNORR)
		return k->len == SCHNORR_PUBKEY_BYTES &&
		    memcmp(k->bytes, k->x, sizeof(k->x)) == 0;
	return 0;
}

static treasury_err
signer_check(const struct treasury *t, unsigned i, struct command *cmd)
{
	const struct signer *sg = &t->signers[i];
	unsigned j;

	if (signer_name_check(sg->name, strnlen(sg->name,
	    SIGNER_NAME_MAX_BYTES + 1)) != TREASURY_OK) {
		cmd_detail(cmd, "signers[%u].name: not a signer name", i);
		return TREASURY_ERR_SIGNER_NAME;
	}
	if (!signer_key_is_consistent(&sg->key)) {
		cmd_detail(cmd, "signers[%u].pubkey: not a parsed key", i);
		return TREASURY_ERR_PUBKEY;
	}
	for (j = 0; j < i; j++) {
		if (strcmp(t->signers[j].name, sg->name) == 0) {
			cmd_detail(cmd, "signers[%u].name: '%s' appears twice",
			    i, sg->name);
			return TREASURY_ERR_DUPLICATE_SIGNER;
		}
		if (memcmp(t->signers[j].key.x, sg->key.x, 32) == 0) {
			cmd_detail(cmd, "signers[%u].pubkey: the key of '%s' is"
			    " the key of '%s'", i, sg->name, t->signers[j].name);
			return TREASURY_ERR_DUPLICATE_KEY;
		}
	}
	return TREASURY_OK;
}

treasury_err
treasury_config_check(const struct treasury *t, struct command *cmd)
{
	treasury_err err;
	unsigned i;

	if (t->signer_count < 1 || t->signer_count > SIGNERS_PER_TREASURY_MAX ||
	    t->threshold < 1 || t->threshold > t->signer_count) {
		cmd_detail(cmd, "threshold: %u of %u signers is not 1 <= M <= N"
		    " <= %d", t->threshold, t->signer_count,
		    SIGNERS_PER_TREASURY_MAX);
		return TREASURY_ERR_THRESHOLD;
	}
	for (i = 0; i < t->signer_count; i++) {
		err = signer_check(t, i, cmd);
		if (err != TREASURY_OK)
			return err;
	}
	return TREASURY_OK;
}

static treasury_err
change_add(struct treasury *next, const struct proposal_fields *f,
    struct command *cmd)
{
	int i;

	if (treasury_find_signer(next, f->signer) >= 0) {
		cmd_detail(cmd, "signer: '%s' is already a signer", f->signer);
		return TREASURY_ERR_DUPLICATE_SIGNER;
	}
	i = treasury_find_key(next, f->key.x);
	if (i >= 0) {
		cmd_detail(cmd, "pubkey: the key is already the key of '%s'",
		    next->signers[i].name);
		return TREASURY_ERR_DUPLICATE_KEY;
	}
	if (next->signer_count == SIGNERS_PER_TREASURY_MAX) {
		cmd_detail(cmd, "signer: a treasury has at most %d signers",
		    SIGNERS_PER_TREASURY_MAX);
		return TREASURY_ERR_CONFIG_CHANGE;
	}
	memset(&next->signers[next->signer_count], 0, sizeof(struct signer));
	memcpy(next->signers[next->signer_count].name, f->signer,
	    sizeof(f->signer));
	next->signers[next->signer_count].key = f->key;
	next->signer_count++;
	return TREASURY_OK;
}

static treasury_err
change_remove(struct treasury *next, const struct proposal_fields *f,
    struct command *cmd)
{
	int i = treasury_find_signer(next, f->signer);

	if (i < 0) {
		cmd_detail(cmd, "signer: '%s' is not a signer", f->signer);
		return TREASURY_ERR_UNKNOWN_SIGNER;
	}
	if (next->signer_count - 1 < next->threshold) {
		cmd_detail(cmd, "signer: removing '%s' would leave %u signers"
		    " for a threshold of %u", f->signer, next->signer_count - 1,
		    next->threshold);
		return TREASURY_ERR_THRESHOLD;
	}
	memmove(&next->signers[i], &next->signers[i + 1],
	    (next->signer_count - (unsigned)i - 1) * sizeof(struct signer));
	next->signer_count--;
	return TREASURY_OK;
}

static treasury_err
change_replace(struct treasury *next, const struct proposal_fields *f,
    struct command *cmd)
{
	int i = treasury_find_signer(next, f->signer);
	int k;

	if (i < 0) {
		cmd_detail(cmd, "signer: '%s' is not a signer", f->signer);
		return TREASURY_ERR_UNKNOWN_SIGNER;
	}
	k = treasury_find_key(next, f->key.x);
	if (k >= 0) {
		cmd_detail(cmd, "pubkey: the key is already the key of '%s'",
		    next->signers[k].name);
		return TREASURY_ERR_DUPLICATE_KEY;
	}
	next->signers[i].key = f->key;
	return TREASURY_OK;
}

static treasury_err
change_threshold(struct treasury *next, const struct proposal_fields *f,
    struct command *cmd)
{
	if (f->threshold_after < 1 || f->threshold_after > next->signer_count) {
		cmd_detail(cmd, "new_threshold: %u is not between 1 and the %u"
		    " signers", f->threshold_after, next->signer_count);
		return TREASURY_ERR_THRESHOLD;
	}
	if (f->threshold_after == next->threshold) {
		cmd_detail(cmd, "new_threshold: the threshold is already %u",
		    next->threshold);
		return TREASURY_ERR_CONFIG_CHANGE;
	}
	next->threshold = f->threshold_after;
	return TREASURY_OK;
}

treasury_err
config_change_compute(const struct treasury *cur,
    const struct proposal_fields *f, struct treasury *next,
    struct command *cmd)
{
	treasury_err err;

	*next = *cur;
	next->config_version = cur->config_version + 1;
	switch (f->kind) {
	case KIND_ADD_SIGNER:
		err = change_add(next, f, cmd);
		break;
	case KIND_REMOVE_SIGNER:
		err = change_remove(next, f, cmd);
		break;
	case KIND_REPLACE_SIGNER:
		err = change_replace(next, f, cmd);
		break;
	case KIND_SET_THRESHOLD:
		err = change_threshold(next, f, cmd);
		break;
	case KIND_SET_POLICY:
		err = TREASURY_OK;	/* same signers and M: a new policy */
		break;
	default:
		cmd_detail(cmd, "kind: not a config change");
		return TREASURY_ERR_KIND;
	}
	if (err == TREASURY_OK)
		err = treasury_config_check(next, cmd);
	return err;
}
