/*
 * cmd_treasury.c: CMD_TREASURY_CREATE in the writer, and writing one
 * config version (threshold plus signer set) of a treasury.
 *
 * A treasury's signers, threshold and policy are never updated in place:
 * version 1 is written here, every later one by an executed config-change
 * proposal (cmd_execute.c), each as a whole new set.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

static treasury_err
signer_insert(struct store *s, const struct treasury *t,
    const struct signer *sg)
{
	struct db_stmt *st = s->stmt[STMT_SIGNER_INSERT];

	bind_str(st, 1, t->id);
	db_bind_int64(st, 2, (int64_t)t->config_version);
	bind_str(st, 3, sg->name);
	bind_str(st, 4, key_type_name(sg->key.type));
	db_bind_blob(st, 5, sg->key.bytes, (int)sg->key.len, DB_STATIC);
	db_bind_blob(st, 6, sg->key.x, sizeof(sg->key.x), DB_STATIC);
	return store_stmt_run(s, STMT_SIGNER_INSERT);
}

/* The signers of t in name order (the journal's order), as indexes. */
static void
signers_by_name(const struct treasury *t,
    unsigned order[SIGNERS_PER_TREASURY_MAX])
{
	unsigned i, j, k;

	assert(t->signer_count <= SIGNERS_PER_TREASURY_MAX);
	for (i = 0; i < t->signer_count; i++) {
		k = i;
		for (j = i; j > 0 && strcmp(t->signers[order[j - 1]].name,
		    t->signers[k].name) > 0; j--)
			order[j] = order[j - 1];
		order[j] = k;
	}
}

/* treasury.created (version 1) or config.changed by proposal: the whole
 * config, so that `treasuryd check` can compare every row of it. */
static treasury_err
config_version_journal(struct store *s, const struct command *cmd,
    const struct treasury *next, const uint8_t *proposal,
    const uint8_t policy_digest[DIGEST_BYTES])
{
	unsigned order[SIGNERS_PER_TREASURY_MAX];
	struct journal_payload p;
	bool created = next->config_version == 1;
	unsigned i;

	assert(created || proposal != NULL);
	signers_by_name(next, order);
	journal_payload_begin(&p);
	journal_payload_int(&p, "config_version",
	    (int64_t)next->config_version);
	if (created)
		journal_payload_str(&p, "name", next->name);
	journal_payload_hex(&p, "policy_digest", policy_digest, DIGEST_BYTES);
	if (!created)
		journal_payload_hex(&p, "proposal", proposal,
		    PROPOSAL_ID_BYTES);
	journal_payload_array(&p, "signers");
	for (i = 0; i < next->signer_count; i++) {
		const struct signer *sg = &next->signers[order[i]];

		journal_payload_object(&p, NULL);
		journal_payload_str(&p, "key_type", key_type_name(sg->key.type));
		journal_payload_str(&p, "name", sg->name);
		journal_payload_hex(&p, "pubkey", sg->key.bytes, sg->key.len);
		journal_payload_end(&p);
	}
	journal_payload_end(&p);
	journal_payload_int(&p, "threshold", (int64_t)next->threshold);
	journal_payload_str(&p, "treasury", next->id);
	return journal_cmd(s, cmd, NULL, next->id, created ?
	    "treasury.created" : "config.changed", &p);
}

treasury_err
config_version_write(struct store *s, const struct command *cmd,
    const struct treasury *next, const uint8_t *proposal,
    const struct treasury_policy *policy)
{
	struct db_stmt *st = s->stmt[STMT_CONFIG_INSERT];
	uint8_t digest[DIGEST_BYTES];
	treasury_err err;
	unsigned i;

	bind_str(st, 1, next->id);
	db_bind_int64(st, 2, (int64_t)next->config_version);
	db_bind_int(st, 3, (int)next->threshold);
	db_bind_int64(st, 4, cmd->now_s);
	err = store_stmt_run(s, STMT_CONFIG_INSERT);
	for (i = 0; err == TREASURY_OK && i < next->signer_count; i++)
		err = signer_insert(s, next, &next->signers[i]);
	if (err == TREASURY_OK)
		err = policy_row_write(s, next->id, next->config_version, policy,
		    next->threshold, next->signer_count, digest);
	if (err == TREASURY_OK)
		err = config_version_journal(s, cmd, next, proposal, digest);
	return err;
}

static treasury_err
treasury_fields_check(const struct treasury *t, struct command *cmd)
{
	size_t name_len = strnlen(t->name, TREASURY_NAME_MAX_BYTES + 1);

	if (treasury_id_check(t->id, strnlen(t->id, TREASURY_ID_MAX_BYTES + 1))
	    != TREASURY_OK) {
		cmd_detail(cmd, "id: not a treasury id");
		return TREASURY_ERR_TREASURY_ID;
	}
	if (name_len == 0 || name_len > TREASURY_NAME_MAX_BYTES) {
		cmd_detail(cmd, "name: must be 1..%d bytes",
		    TREASURY_NAME_MAX_BYTES);
		return TREASURY_ERR_TREASURY_NAME;
	}
	return treasury_config_check(t, cmd);
}

enum apply_outcome
apply_treasury_create(struct store *s, struct command *cmd)
{
	struct treasury *t = &cmd->in.treasury_create;
	struct db_stmt *st = s->stmt[STMT_TREASURY_INSERT];
	struct treasury_policy *empty = NULL;
	treasury_err err;

	t->config_version = 1;
	err = treasury_fields_check(t, cmd);
	if (err == TREASURY_OK && cmd->policy != NULL)
		err = policy_request_check(s, cmd->policy, t->threshold,
		    t->signer_count, cmd);
	if (err != TREASURY_OK)
		return cmd_finish(s, cmd, err);
	bind_str(st, 1, t->id);
	bind_str(st, 2, t->name);
	db_bind_int64(st, 3, cmd->now_s);
	err = store_stmt_run(s, STMT_TREASURY_INSERT);
	if (err != TREASURY_OK &&
	    db_extended_errcode(s->db) == DB_CONSTRAINT_PRIMARYKEY) {
		cmd_detail(cmd, "id: treasury '%s' exists", t->id);
		return cmd_finish(s, cmd, TREASURY_ERR_TREASURY_EXISTS);
	}
	if (err == TREASURY_OK && cmd->policy == NULL) {
		empty = malloc(sizeof(*empty));
		if (empty == NULL)
			err = TREASURY_ERR_NOMEM;
		else
			policy_init(empty);
	}
	if (err == TREASURY_OK)
		err = config_version_write(s, cmd, t, NULL, cmd->policy != NULL ?
		    cmd->policy : empty);
	free(empty);
	return cmd_finish(s, cmd, err);
}
