/*
 * signer_set.h: a treasury's signer set and threshold at one config
 * version, and what an executed config-change proposal makes of it.
 *
 * Pure functions over plain structs (no I/O). They are the engine's
 * rules: storage/cmd_config.c applies them to its records when a
 * treasury is made, when a config change is proposed and again when it
 * executes; treasuryctl uses them to advance its pinned signer sets only
 * through config changes it has verified itself (docs/signing.md §11).
 */
#ifndef TREASURY_SIGNER_SET_H
#define TREASURY_SIGNER_SET_H

#include <stdbool.h>
#include <stdint.h>

#include "treasury/error.h"
#include "treasury/limits.h"
#include "treasury/proposal.h"
#include "treasury/sig.h"

struct signer_entry {
	char name[SIGNER_NAME_MAX_BYTES + 1];	/* signer_name_check */
	struct signer_key key;
};

/* M of N: 1 <= threshold <= count <= SIGNERS_PER_TREASURY_MAX. The order
 * of signers is the engine's (an added signer comes last, a removed one
 * leaves a gap that closes); comparisons ignore it. */
struct signer_set {
	unsigned threshold;
	unsigned count;
	struct signer_entry signers[SIGNERS_PER_TREASURY_MAX];
};

/* Check 1 <= M <= N <= 32, then signer by signer: its name, that its key
 * bytes agree with its type and x coordinate, and that neither its name
 * nor its key (by x coordinate: 02||X, 03||X and X are one key) is one of
 * a signer before it.
 * Returns TREASURY_OK, TREASURY_ERR_THRESHOLD, _SIGNER_NAME, _PUBKEY,
 * _DUPLICATE_SIGNER or _DUPLICATE_KEY. */
TREASURY_WARN_UNUSED treasury_err signer_set_check(const struct signer_set *s);

/* signer_set_check, saying where: *at is the index of the signer at
 * fault and, for a duplicate, *other the earlier signer it repeats; both
 * 0 otherwise. */
TREASURY_WARN_UNUSED treasury_err
signer_set_check_at(const struct signer_set *s, unsigned *at,
    unsigned *other);

/* Index of the signer named name, or -1. */
int signer_set_find_name(const struct signer_set *s, const char *name);

/* Index of the signer whose key has x coordinate x, or -1. */
int signer_set_find_key(const struct signer_set *s, const uint8_t x[32]);

/* Whether a and b hold the same threshold and the same signers (name, key
 * type and key bytes), in any order. */
bool signer_set_equal(const struct signer_set *a, const struct signer_set *b);

/* What the config change f (add-, remove-, replace-signer,
 * set-threshold, set-policy) makes of *s, as the engine computes it when
 * the change is proposed: add-, remove- and replace-signer keep the
 * threshold, set-threshold sets f->threshold_after, set-policy keeps
 * both; f's signers_after (and threshold_after but for set-threshold) are
 * not read. On any error *s is unchanged.
 * Returns: TREASURY_OK;
 *          TREASURY_ERR_KIND for a kind that is not a config change;
 *          TREASURY_ERR_DUPLICATE_SIGNER / _DUPLICATE_KEY (add, replace:
 *          the name or the key is one of the set's already);
 *          TREASURY_ERR_UNKNOWN_SIGNER (remove, replace);
 *          TREASURY_ERR_CONFIG_CHANGE for an add to a set of 32 signers,
 *          or a set-threshold that keeps the threshold;
 *          TREASURY_ERR_THRESHOLD when the result is not 1 <= M <= N;
 *          a signer_set_check error for any other fault of the result. */
TREASURY_WARN_UNUSED treasury_err
signer_set_change(struct signer_set *s, const struct proposal_fields *f);

/* Whether the M and N that f's text states (threshold_after and
 * signers_after; a replace-signer states none) are those of s. */
bool signer_set_states(const struct signer_set *s,
    const struct proposal_fields *f);

/* Execute the config change f on *s: signer_set_change, then the result
 * must be what f's text states (signer_set_states), else
 * TREASURY_ERR_CONFIG_CHANGE. On any error *s is unchanged. */
TREASURY_WARN_UNUSED treasury_err
signer_set_apply(struct signer_set *s, const struct proposal_fields *f);

#endif
