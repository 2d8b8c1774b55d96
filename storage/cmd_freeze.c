/*
 * cmd_freeze.c: CMD_FREEZE in the writer (docs/policies.md §5, §12.2).
 *
 * Any one signer of the current config version can freeze a treasury by
 * signing a freeze request for the next freeze number; the api verified
 * the signature with that signer's key at the version it read. Here the
 * version must still be current (else stale: sign again) and the key
 * still the signer's; then policy_freeze_apply decides. A second signer's
 * request for the freeze in force is an idempotent success, recorded in
 * the freezes history like the first.
 */
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

static treasury_err
freeze_signer_check(const struct treasury *t, struct command *cmd)
{
	const struct signer *sg;
	int i;

	if (t->config_version != cmd->in.freeze.verified_config_version) {
		cmd_detail(cmd, "the freeze request is for config version %llu,"
		    " the treasury is at %llu: sign it again",
		    (unsigned long long)cmd->in.freeze.verified_config_version,
		    (unsigned long long)t->config_version);
		return TREASURY_ERR_STALE;
	}
	i = treasury_find_signer(t, cmd->in.freeze.signer);
	sg = i >= 0 ? &t->signers[i] : NULL;
	if (sg == NULL || sg->key.type != cmd->in.freeze.verified_key.type ||
	    sg->key.len != cmd->in.freeze.verified_key.len ||
	    memcmp(sg->key.bytes, cmd->in.freeze.verified_key.bytes,
	    sg->key.len) != 0) {
		cmd_detail(cmd, "signer: '%s' is not a signer of treasury '%s'"
		    " with the key the request was verified with",
		    cmd->in.freeze.signer, t->id);
		return TREASURY_ERR_UNKNOWN_SIGNER;
	}
	if (cmd->in.freeze.signature_len < SIG_DER_MIN_BYTES ||
	    cmd->in.freeze.signature_len > SIG_DER_MAX_BYTES) {
		cmd_detail(cmd, "signature: %zu bytes",
		    cmd->in.freeze.signature_len);
		return TREASURY_ERR_SIG_ENCODING;
	}
	return TREASURY_OK;
}

/* treasury.frozen: first when this request froze the treasury, false
 * for another signer's request for the freeze in force. */
static treasury_err
freeze_journal(struct store *s, const struct treasury *t, bool first,
    const struct command *cmd)
{
	struct journal_payload p;

	journal_payload_begin(&p);
	journal_payload_bool(&p, "first", first);
	journal_payload_int(&p, "freeze_seq", (int64_t)cmd->in.freeze.seq);
	journal_payload_str(&p, "signer", cmd->in.freeze.signer);
	journal_payload_str(&p, "treasury", t->id);
	return journal_cmd(s, cmd, cmd->in.freeze.signer, t->id,
	    "treasury.frozen", &p);
}

static treasury_err
freeze_write(struct store *s, const struct treasury *t, bool replayed,
    struct command *cmd)
{
	struct db_stmt *st;
	treasury_err err = TREASURY_OK;

	if (!replayed) {
		st = s->stmt[STMT_FREEZE_SET];
		bind_str(st, 1, t->id);
		db_bind_int64(st, 2, (int64_t)cmd->in.freeze.seq);
		db_bind_int64(st, 3, cmd->now_s);
		err = store_stmt_run(s, STMT_FREEZE_SET);
		if (err == TREASURY_OK && db_changes(s->db) != 1)
			err = TREASURY_ERR_INTERNAL;
	}
	if (err != TREASURY_OK)
		return err;
	st = s->stmt[STMT_FREEZE_LOG];
	bind_str(st, 1, t->id);
	db_bind_int64(st, 2, (int64_t)cmd->in.freeze.seq);
	bind_str(st, 3, cmd->in.freeze.signer);
	db_bind_int64(st, 4, (int64_t)t->config_version);
	db_bind_blob(st, 5, cmd->in.freeze.signature,
	    (int)cmd->in.freeze.signature_len, DB_STATIC);
	db_bind_int64(st, 6, cmd->now_s);
	err = store_stmt_run(s, STMT_FREEZE_LOG);
	/* a signer's repeat of its own request changes nothing */
	if (err != TREASURY_OK || db_changes(s->db) == 0)
		return err;
	return freeze_journal(s, t, !replayed, cmd);
}

static treasury_err
freeze_apply(struct store *s, struct treasury *t, struct command *cmd)
{
	struct policy_freeze_state st;
	bool replayed = false;
	treasury_err err;

	err = treasury_fetch(s, cmd->in.freeze.treasury, 0, t, NULL);
	if (err == TREASURY_ERR_UNKNOWN_TREASURY)
		cmd_detail(cmd, "treasury '%s' is not known",
		    cmd->in.freeze.treasury);
	if (err == TREASURY_OK)
		err = freeze_signer_check(t, cmd);
	if (err == TREASURY_OK)
		err = treasury_freeze_state(s, t->id, &st);
	if (err != TREASURY_OK)
		return err;
	err = policy_freeze_apply(&st, cmd->in.freeze.seq, &replayed);
	if (err != TREASURY_OK) {
		cmd_detail(cmd, "freeze %llu is not the treasury's next freeze"
		    " (%llu) nor the one in force: fetch the state and sign"
		    " again", (unsigned long long)cmd->in.freeze.seq,
		    (unsigned long long)st.freeze_seq + (st.frozen ? 0 : 1));
		return err;
	}
	cmd->replayed = replayed;
	return freeze_write(s, t, replayed, cmd);
}

enum apply_outcome
apply_freeze(struct store *s, struct command *cmd)
{
	struct treasury *t = malloc(sizeof(*t));
	treasury_err err;

	if (t == NULL)
		return cmd_finish(s, cmd, TREASURY_ERR_NOMEM);
	err = freeze_apply(s, t, cmd);
	free(t);
	return cmd_finish(s, cmd, err);
}
