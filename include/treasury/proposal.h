/*
 * proposal.h: every proposal kind as plain fields, and its canonical text
 * (encode and strict decode). See docs/signing.md for the text of each kind.
 *
 * The canonical text is the proposal: the engine stores it, signers sign
 * its id, and execution decodes it again (proposal_decode) and acts only on
 * what the text says. proposal_decode accepts exactly the texts that
 * proposal_encode writes: decode(encode(p)) == p and encode(decode(t)) == t.
 *
 * Text layout after the seven common lines (docs/signing.md §3, §8, §9):
 *   transfer:        asset, amount, to, memo
 *   batch:           transfers: <n>, then for i = 1..n:
 *                    transfer.<i>.asset, transfer.<i>.amount,
 *                    transfer.<i>.to, transfer.<i>.memo; then memo
 *   add-signer:      signer, key_type, pubkey, threshold, signers, memo
 *   remove-signer:   signer, threshold, signers, memo
 *   replace-signer:  signer, key_type, pubkey, memo
 *   set-threshold:   threshold, signers, memo
 *   set-policy:      threshold, signers, then the policy lines of
 *                    policy_lines_append (policy.h), then memo
 *   unfreeze:        freeze, memo
 * where for config changes `threshold` and `signers` are the threshold M and
 * the signer count N the treasury will have after execution (for
 * set-policy: the current ones, which it does not change).
 */
#ifndef TREASURY_PROPOSAL_H
#define TREASURY_PROPOSAL_H

#include <stddef.h>
#include <stdint.h>

#include "treasury/canonical.h"
#include "treasury/error.h"
#include "treasury/limits.h"
#include "treasury/policy.h"
#include "treasury/sig.h"

enum proposal_kind {
	KIND_TRANSFER = 1,
	KIND_BATCH,
	KIND_ADD_SIGNER,
	KIND_REMOVE_SIGNER,
	KIND_REPLACE_SIGNER,
	KIND_SET_THRESHOLD,
	KIND_SET_POLICY,	/* policy.h, docs/policies.md */
	KIND_UNFREEZE,
};

/* Parse "transfer", "batch", "add-signer", "remove-signer",
 * "replace-signer", "set-threshold", "set-policy", "unfreeze".
 * Returns TREASURY_OK or _KIND. */
TREASURY_WARN_UNUSED treasury_err
proposal_kind_parse(const char *s, size_t len, enum proposal_kind *out);
const char *proposal_kind_name(enum proposal_kind kind);
/* True for add-/remove-/replace-signer, set-threshold and set-policy:
 * the kinds whose execution makes the next config version. */
int proposal_kind_is_config(enum proposal_kind kind);
/* TRACK_CONFIG for the config kinds, TRACK_SPEND for transfer, batch and
 * unfreeze (policy.h: which delay and base threshold apply). */
enum policy_track proposal_kind_track(enum proposal_kind kind);

/* One transfer line group. amount is the canonical decimal text (exactly
 * `decimals` fraction digits); amount_minor is its value. */
struct transfer_fields {
	char asset[ASSET_CODE_MAX_BYTES + 1];
	unsigned decimals;
	amount_minor amount;
	char to[DESTINATION_MAX_BYTES + 1];
	char memo[MEMO_MAX_BYTES + 1];	/* NUL-terminated, no NUL inside */
};

struct proposal_fields {
	/* common lines */
	uint8_t instance[INSTANCE_ID_BYTES];
	char treasury[TREASURY_ID_MAX_BYTES + 1];
	uint64_t config_version;	/* >= 1 */
	enum proposal_kind kind;
	uint64_t nonce;			/* >= 1 */
	int64_t expires_s;
	/* transfer (count 1) and batch (1..BATCH_TRANSFERS_MAX) */
	unsigned transfer_count;
	struct transfer_fields transfers[BATCH_TRANSFERS_MAX];
	/* config changes */
	char signer[SIGNER_NAME_MAX_BYTES + 1];	/* add/remove/replace */
	struct signer_key key;			/* add/replace */
	unsigned threshold_after;		/* add/remove/set-threshold */
	unsigned signers_after;			/* add/remove/set-threshold */
	/* set-policy (with threshold_after and signers_after: the current M
	 * and N); the whole policy after execution, in canonical order */
	struct treasury_policy policy;
	/* unfreeze: the number of the freeze it lifts, >= 1 */
	uint64_t freeze_seq;
	/* every kind; for transfer it is the transfer's memo (transfers[0]) */
	char memo[MEMO_MAX_BYTES + 1];
};

/* Encode p's canonical text into out (initialised, empty) after validating
 * every field (ids, codes, amounts > 0, destinations, memos, 1 <=
 * threshold_after <= signers_after <= SIGNERS_PER_TREASURY_MAX, batch count
 * 1..64, decimals <= 18, for set-policy treasury_policy_check against
 * threshold_after and signers_after, for unfreeze freeze_seq >= 1 else
 * TREASURY_ERR_CANONICAL). For KIND_TRANSFER the memo line is
 * transfers[0].memo and p->memo is ignored.
 * Returns TREASURY_OK, the first field error, _NOMEM or _TOO_LARGE. */
TREASURY_WARN_UNUSED treasury_err
proposal_encode(struct textbuf *out, const struct proposal_fields *p);

/* Strictly decode a canonical text into *p. Amount decimals are taken
 * from the number of fraction digits in the text; key bytes are parsed with
 * v (which must not be NULL).
 * Returns TREASURY_OK or a field error; TREASURY_ERR_CANONICAL for any
 * deviation in layout (missing/extra/out-of-order line, CR, tab, missing
 * final LF, non-canonical number, uppercase hex, ...). */
TREASURY_WARN_UNUSED treasury_err
proposal_decode(const treasury_verifier *v, const char *text, size_t len,
    struct proposal_fields *p);

#endif
