/*
 * policy_text.h: the hooks through which proposal.c reaches the bodies of
 * the policy kinds (set-policy, unfreeze) written and read in
 * policy_text.c. Private to core/.
 *
 * Each hook handles the lines between the seven common lines and the final
 * memo line, which proposal.c writes and reads for every kind.
 */
#ifndef TREASURY_CORE_POLICY_TEXT_H
#define TREASURY_CORE_POLICY_TEXT_H

#include "treasury/error.h"
#include "treasury/proposal.h"

#include "canonical_text.h"

/* Check the body fields of a KIND_SET_POLICY or KIND_UNFREEZE proposal.
 * Returns TREASURY_OK; for set-policy TREASURY_ERR_THRESHOLD (threshold_after
 * and signers_after not 1 <= M <= N <= 32) or the treasury_policy_check
 * error; for unfreeze TREASURY_ERR_CANONICAL when freeze_seq is 0. */
TREASURY_WARN_UNUSED treasury_err
policy_body_check(const struct proposal_fields *p);

/* Append the body lines of a checked set-policy or unfreeze proposal (not
 * the memo). Returns TREASURY_OK, _NOMEM or _TOO_LARGE. */
TREASURY_WARN_UNUSED treasury_err
policy_body_append(struct textbuf *out, const struct proposal_fields *p);

/* Read the body lines of a set-policy or unfreeze proposal (p->kind) at
 * the cursor into p (not the memo). Returns TREASURY_OK, a field error,
 * or TREASURY_ERR_CANONICAL for any layout deviation. The caller
 * re-encodes what was read and compares, so a value written another way
 * than policy_body_append writes it is refused there. */
TREASURY_WARN_UNUSED treasury_err
policy_body_take(struct cursor *c, struct proposal_fields *p);

#endif
