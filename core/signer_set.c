/*
 * signer_set.c: a treasury's signer set and the config changes that make
 * its next version (include/treasury/signer_set.h).
 */
#include <assert.h>
#include <string.h>

#include "treasury/canonical.h"
#include "treasury/signer_set.h"

int
signer_set_find_name(const struct signer_set *s, const char *name)
{
	unsigned i;

	for (i = 0; i < s->count; i++)
		if (strcmp(s->signers[i].name, name) == 0)
			return (int)i;
	return -1;
}

int
signer_set_find_key(const struct signer_set *s, const uint8_t x[32])
{
	unsigned i;

	for (i = 0; i < s->count; i++)
		if (memcmp(s->signers[i].key.x, x, 32) == 0)
			return (int)i;
	return -1;
}

/* The key's bytes must agree with its type and x coordinate. */
static bool
key_is_consistent(const struct signer_key *k)
{
	if (k->type == KEY_ECDSA)
		return k->len == ECDSA_PUBKEY_BYTES &&
		    (k->bytes[0] == 0x02 || k->bytes[0] == 0x03) &&
		    memcmp(k->bytes + 1, k->x, sizeof(k->x)) == 0;
	if (k->type == KEY_SCHNORR)
		return k->len == SCHNORR_PUBKEY_BYTES &&
		    memcmp(k->bytes, k->x, sizeof(k->x)) == 0;
	return false;
}

/* Signer i against itself and the ones before it. */
static treasury_err
entry_check(const struct signer_set *s, unsigned i, unsigned *other)
{
	const struct signer_entry *e = &s->signers[i];
	unsigned j;

	if (signer_name_check(e->name, strnlen(e->name, sizeof(e->name))) !=
	    TREASURY_OK)
		return TREASURY_ERR_SIGNER_NAME;
	if (!key_is_consistent(&e->key))
		return TREASURY_ERR_PUBKEY;
	for (j = 0; j < i; j++) {
		*other = j;
		if (strcmp(s->signers[j].name, e->name) == 0)
			return TREASURY_ERR_DUPLICATE_SIGNER;
		if (memcmp(s->signers[j].key.x, e->key.x, 32) == 0)
			return TREASURY_ERR_DUPLICATE_KEY;
	}
	*other = 0;
	return TREASURY_OK;
}

treasury_err
signer_set_check_at(const struct signer_set *s, unsigned *at,
    unsigned *other)
{
	treasury_err err;
	unsigned i;

	*at = 0;
	*other = 0;
	if (s->count < 1 || s->count > SIGNERS_PER_TREASURY_MAX ||
	    s->threshold < 1 || s->threshold > s->count)
		return TREASURY_ERR_THRESHOLD;
	for (i = 0; i < s->count; i++) {
		*at = i;
		err = entry_check(s, i, other);
		if (err != TREASURY_OK)
			return err;
	}
	*at = 0;
	return TREASURY_OK;
}

treasury_err
signer_set_check(const struct signer_set *s)
{
	unsigned at, other;

	return signer_set_check_at(s, &at, &other);
}

static bool
key_equal(const struct signer_key *a, const struct signer_key *b)
{
	return a->type == b->type && a->len == b->len &&
	    memcmp(a->bytes, b->bytes, a->len) == 0;
}

bool
signer_set_equal(const struct signer_set *a, const struct signer_set *b)
{
	unsigned i;
	int j;

	if (a->threshold != b->threshold || a->count != b->count)
		return false;
	for (i = 0; i < a->count; i++) {
		j = signer_set_find_name(b, a->signers[i].name);
		if (j < 0 || !key_equal(&a->signers[i].key,
		    &b->signers[j].key))
			return false;
	}
	return true;
}

static treasury_err
change_add(struct signer_set *s, const struct proposal_fields *f)
{
	struct signer_entry *e;

	if (signer_set_find_name(s, f->signer) >= 0)
		return TREASURY_ERR_DUPLICATE_SIGNER;
	if (signer_set_find_key(s, f->key.x) >= 0)
		return TREASURY_ERR_DUPLICATE_KEY;
	if (s->count == SIGNERS_PER_TREASURY_MAX)
		return TREASURY_ERR_CONFIG_CHANGE;
	e = &s->signers[s->count++];
	memset(e, 0, sizeof(*e));
	memcpy(e->name, f->signer, sizeof(e->name));
	e->key = f->key;
	return TREASURY_OK;
}

static treasury_err
change_remove(struct signer_set *s, const struct proposal_fields *f)
{
	int i = signer_set_find_name(s, f->signer);

	if (i < 0)
		return TREASURY_ERR_UNKNOWN_SIGNER;
	memmove(&s->signers[i], &s->signers[i + 1],
	    (s->count - (unsigned)i - 1) * sizeof(s->signers[0]));
	s->count--;
	return TREASURY_OK;
}

static treasury_err
change_replace(struct signer_set *s, const struct proposal_fields *f)
{
	int i = signer_set_find_name(s, f->signer);

	if (i < 0)
		return TREASURY_ERR_UNKNOWN_SIGNER;
	if (signer_set_find_key(s, f->key.x) >= 0)
		return TREASURY_ERR_DUPLICATE_KEY;
	s->signers[i].key = f->key;
	return TREASURY_OK;
}

treasury_err
signer_set_change(struct signer_set *s, const struct proposal_fields *f)
{
	struct signer_set next = *s;
	treasury_err err;

	assert(signer_set_check(s) == TREASURY_OK);
	switch (f->kind) {
	case KIND_ADD_SIGNER:
		err = change_add(&next, f);
		break;
	case KIND_REMOVE_SIGNER:
		err = change_remove(&next, f);
		break;
	case KIND_REPLACE_SIGNER:
		err = change_replace(&next, f);
		break;
	case KIND_SET_THRESHOLD:
		next.threshold = f->threshold_after;
		err = TREASURY_OK;
		break;
	case KIND_SET_POLICY:
		err = TREASURY_OK;	/* same signers and M: a new policy */
		break;
	default:
		return TREASURY_ERR_KIND;
	}
	if (err == TREASURY_OK)
		err = signer_set_check(&next);
	if (err == TREASURY_OK && f->kind == KIND_SET_THRESHOLD &&
	    next.threshold == s->threshold)
		err = TREASURY_ERR_CONFIG_CHANGE;
	if (err == TREASURY_OK)
		*s = next;
	return err;
}

bool
signer_set_states(const struct signer_set *s, const struct proposal_fields *f)
{
	if (f->kind == KIND_REPLACE_SIGNER)
		return true;	/* its text has no threshold lines */
	return f->threshold_after == s->threshold &&
	    f->signers_after == s->count;
}

treasury_err
signer_set_apply(struct signer_set *s, const struct proposal_fields *f)
{
	struct signer_set next = *s;
	treasury_err err;

	err = signer_set_change(&next, f);
	if (err == TREASURY_OK && !signer_set_states(&next, f))
		err = TREASURY_ERR_CONFIG_CHANGE;
	if (err == TREASURY_OK)
		*s = next;
	return err;
}
