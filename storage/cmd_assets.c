/*
 * cmd_assets.c: CMD_ASSET_CREATE in the writer.
 *
 * Asset codes are unique ignoring case: the row keeps the code as given
 * and its ASCII lower-case fold under a UNIQUE constraint, so "usdc" is
 * refused beside "USDC". The api validates fields; the cheap invariants
 * are checked again here with the same core checkers.
 */
#include <string.h>

#include "engine_int.h"

static void
code_fold(const char *code, char out[ASSET_CODE_MAX_BYTES + 1])
{
	size_t i;

	for (i = 0; code[i] != '\0' && i < ASSET_CODE_MAX_BYTES; i++)
		out[i] = code[i] >= 'A' && code[i] <= 'Z' ?
		    (char)(code[i] - 'A' + 'a') : code[i];
	out[i] = '\0';
}

static treasury_err
asset_check(const struct asset *a, struct command *cmd)
{
	if (asset_code_check(a->code, strnlen(a->code,
	    ASSET_CODE_MAX_BYTES + 1)) != TREASURY_OK) {
		cmd_detail(cmd, "code: not an asset code");
		return TREASURY_ERR_ASSET_CODE;
	}
	if (a->decimals > ASSET_DECIMALS_MAX) {
		cmd_detail(cmd, "decimals: %u is more than %d", a->decimals,
		    ASSET_DECIMALS_MAX);
		return TREASURY_ERR_DECIMALS;
	}
	if (chain_check(a->chain, strnlen(a->chain, CHAIN_MAX_BYTES + 1)) !=
	    TREASURY_OK) {
		cmd_detail(cmd, "chain: not a chain label");
		return TREASURY_ERR_CHAIN;
	}
	return TREASURY_OK;
}

/* ASSET_EXISTS when a code equal ignoring case is registered. */
static treasury_err
asset_check_unique(struct store *s, const char *fold, const char *code,
    struct command *cmd)
{
	struct db_stmt *st = s->stmt[STMT_ASSET_FIND_FOLD];
	char existing[ASSET_CODE_MAX_BYTES + 1];
	treasury_err err;
	int rc;

	bind_str(st, 1, fold);
	rc = db_step(st);
	if (rc == DB_ROW) {
		err = col_text(st, 0, 1, ASSET_CODE_MAX_BYTES, existing);
		if (err == TREASURY_OK) {
			cmd_detail(cmd, "code: asset '%s' exists%s", existing,
			    strcmp(existing, code) == 0 ? "" :
			    " (codes are unique ignoring case)");
			err = TREASURY_ERR_ASSET_EXISTS;
		}
	} else
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

static treasury_err
asset_journal(struct store *s, const struct command *cmd,
    const struct asset *a)
{
	struct journal_payload p;

	journal_payload_begin(&p);
	journal_payload_str(&p, "asset", a->code);
	journal_payload_str(&p, "chain", a->chain);
	journal_payload_int(&p, "decimals", (int64_t)a->decimals);
	return journal_cmd(s, cmd, NULL, NULL, "asset.created", &p);
}

enum apply_outcome
apply_asset_create(struct store *s, struct command *cmd)
{
	const struct asset *a = &cmd->in.asset_create;
	struct db_stmt *st = s->stmt[STMT_ASSET_INSERT];
	char fold[ASSET_CODE_MAX_BYTES + 1];
	treasury_err err;

	err = asset_check(a, cmd);
	if (err != TREASURY_OK)
		return cmd_finish(s, cmd, err);
	code_fold(a->code, fold);
	err = asset_check_unique(s, fold, a->code, cmd);
	if (err != TREASURY_OK)
		return cmd_finish(s, cmd, err);
	bind_str(st, 1, a->code);
	bind_str(st, 2, fold);
	db_bind_int(st, 3, (int)a->decimals);
	bind_str(st, 4, a->chain);
	db_bind_int64(st, 5, cmd->now_s);
	err = store_stmt_run(s, STMT_ASSET_INSERT);
	if (err == TREASURY_OK)
		err = asset_journal(s, cmd, a);
	return cmd_finish(s, cmd, err);
}
