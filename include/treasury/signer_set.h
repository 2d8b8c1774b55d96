/*
 * signer_set.h: a treasury's signer set and threshold at one config
 * version, and what an executed config-change proposal makes of it.
 *
 * Pure functions over plain structs (no I/O). treasuryctl uses them to
 * advance its pinned signer sets only through config changes it has
 * verified itself (docs/signing.md §11); they are the rules the engine
 * applies at execution (storage/cmd_config.c states the same rules over
 * its own records).
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

/* Check 1 <= M <= N <= 32, every name, and that no name and no key (by x
 * coordinate: 02||X, 03||X and X are one key) appears twice.
 * Returns TREASURY_OK, TREASURY_ERR_THRESHOLD, _SIGNER_NAME,
 * _DUPLICATE_SIGNER or _DUPLICATE_KEY. */
TREASURY_WARN_UNUSED treasury_err signer_set_check(const struct signer_set *s);

/* Index of the signer named name, or -1. */
int signer_set_find_name(const struct signer_set *s, const char *name);

/* Index of the signer whose key has x coordinate x, or -1. */
int signer_set_find_key(const struct signer_set *s, const uint8_t x[32]);

/* Whether a and b hold the same threshold and the same signers (name, key
 * type and key bytes), in any order. */
bool signer_set_equal(const struct signer_set *a, const struct signer_set *b);

/* Apply the config change f (add-, remove-, replace-signer, set-threshold,
 * set-policy) to *s, as its execution does, and check the result against
 * the M and N that f's text states. On any error *s is unchanged.
 * Returns: TREASURY_OK;
 *          TREASURY_ERR_KIND for a kind that is not a config change;
 *          TREASURY_ERR_DUPLICATE_SIGNER / _DUPLICATE_KEY (add, replace);
 *          TREASURY_ERR_UNKNOWN_SIGNER (remove, replace);
 *          TREASURY_ERR_THRESHOLD when the result is not 1 <= M <= N <= 32;
 *          TREASURY_ERR_CONFIG_CHANGE when the text's threshold or signer
 *          count is not what the change makes of s, or a set-threshold
 *          keeps the threshold. */
TREASURY_WARN_UNUSED treasury_err
signer_set_apply(struct signer_set *s, const struct proposal_fields *f);

#endif
