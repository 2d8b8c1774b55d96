/*
 * cmd_category.c: accounting categories in the writer (issue #14):
 * CMD_CATEGORY_CREATE, CMD_CATEGORY_SET (a correction of a ledger entry's
 * or an open proposal's label) and category_check, which every command
 * that stores a label (deposit, proposal_create) runs first.
 *
 * A category is a label, never signed: nothing here touches a canonical
 * text. Every stored change is journalled: "category.created",
 * "category.changed" (one entry per change; a change to the value already
 * held is a no-op with no entry).
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "treasury/canonical.h"

#include "budget_int.h"
#include "engine_int.h"
#include "ledger_int.h"

static const char *
category_kind_name(enum category_kind k)
{
	return k == CATEGORY_INCOME ? "income" : "expense";
}

/* The stored category (treasury, name): TREASURY_OK with *kind (and
 * *created_s, may be NULL), TREASURY_ERR_NOT_FOUND, or an error. */
static treasury_err
category_get(struct store *s, const char *treasury, const char *name,
    enum category_kind *kind, int64_t *created_s)
{
	struct db_stmt *st = s->stmt[STMT_CATEGORY_GET];
	char text[8];
	int64_t at = 0;
	treasury_err err;
	int rc;

	bind_str(st, 1, treasury);
	bind_str(st, 2, name);
	rc = db_step(st);
	if (rc == DB_ROW) {
		err = col_text(st, 0, 6, 7, text);
		if (err == TREASURY_OK)
			err = col_int(st, 1, INT64_MIN, INT64_MAX, &at);
		if (err == TREASURY_OK && strcmp(text, "income") == 0)
			*kind = CATEGORY_INCOME;
		else if (err == TREASURY_OK && strcmp(text, "expense") == 0)
			*kind = CATEGORY_EXPENSE;
		else if (err == TREASURY_OK)
			err = TREASURY_ERR_DB_CORRUPT;
	} else if (rc == DB_DONE)
		err = TREASURY_ERR_NOT_FOUND;
	else
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	if (err == TREASURY_OK && created_s != NULL)
		*created_s = at;
	return err;
}

treasury_err
category_check(struct store *s, struct command *cmd, const char *field,
    const char *treasury, const char *name, enum category_kind want)
{
	enum category_kind kind = CATEGORY_EXPENSE;	/* set on TREASURY_OK */
	treasury_err err;

	assert(field != NULL && name != NULL && name[0] != '\0');
	err = category_get(s, treasury, name, &kind, NULL);
	if (err == TREASURY_ERR_NOT_FOUND) {
		cmd_detail(cmd, "%s: '%s' is not a category of treasury '%s'",
		    field, name, treasury);
		return TREASURY_ERR_UNKNOWN_CATEGORY;
	}
	if (err == TREASURY_OK && kind != want) {
		cmd_detail(cmd, "%s: '%s' is an %s category; a %s takes an %s"
		    " category", field, name, category_kind_name(kind),
		    want == CATEGORY_INCOME ? "deposit" : "transfer",
		    category_kind_name(want));
		return TREASURY_ERR_CATEGORY_KIND;
	}
	return err;
}

/* ---- CMD_CATEGORY_CREATE ---- */

static treasury_err
category_count(struct store *s, const char *treasury, int64_t *n)
{
	struct db_stmt *st = s->stmt[STMT_CATEGORY_COUNT];
	treasury_err err;
	int rc;

	bind_str(st, 1, treasury);
	rc = db_step(st);
	err = rc == DB_ROW ? col_int(st, 0, 0, INT64_MAX, n) :
	    store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

static treasury_err
category_insert(struct store *s, struct command *cmd)
{
	const char *treasury = cmd->in.category_create.treasury;
	const char *name = cmd->in.category_create.name;
	const char *kind = category_kind_name(cmd->in.category_create.kind);
	struct db_stmt *st = s->stmt[STMT_CATEGORY_INSERT];
	struct journal_payload p;
	treasury_err err;

	bind_str(st, 1, treasury);
	bind_str(st, 2, name);
	bind_str(st, 3, kind);
	db_bind_int64(st, 4, cmd->now_s);
	bind_str(st, 5, cmd->actor_token);
	err = store_stmt_run(s, STMT_CATEGORY_INSERT);
	if (err != TREASURY_OK)
		return err;
	cmd->out.category_create.created_s = cmd->now_s;
	journal_payload_begin(&p);
	journal_payload_str(&p, "category", name);
	journal_payload_str(&p, "kind", kind);
	journal_payload_str(&p, "treasury", treasury);
	return journal_cmd(s, cmd, NULL, treasury, "category.created", &p);
}

static treasury_err
category_create(struct store *s, struct command *cmd)
{
	const char *treasury = cmd->in.category_create.treasury;
	const char *name = cmd->in.category_create.name;
	enum category_kind kind = CATEGORY_EXPENSE;	/* set on TREASURY_OK */
	struct treasury t;
	int64_t n;
	treasury_err err;

	if (treasury_id_check(name, strnlen(name, CATEGORY_NAME_MAX_BYTES +
	    1)) != TREASURY_OK) {
		cmd_detail(cmd, "name: not a category name");
		return TREASURY_ERR_CATEGORY_NAME;
	}
	err = treasury_fetch(s, treasury, 0, &t, NULL);
	if (err == TREASURY_ERR_UNKNOWN_TREASURY)
		cmd_detail(cmd, "treasury '%s' is not known", treasury);
	if (err != TREASURY_OK)
		return err;
	err = category_get(s, treasury, name, &kind,
	    &cmd->out.category_create.created_s);
	if (err == TREASURY_OK && kind != cmd->in.category_create.kind) {
		cmd_detail(cmd, "name: '%s' is an %s category of treasury"
		    " '%s'", name, category_kind_name(kind), treasury);
		return TREASURY_ERR_CATEGORY_EXISTS;
	}
	if (err == TREASURY_OK) {
		cmd->out.category_create.existed = true;
		cmd->replayed = true;
		return TREASURY_OK;
	}
	if (err != TREASURY_ERR_NOT_FOUND)
		return err;
	err = category_count(s, treasury, &n);
	if (err == TREASURY_OK && n >= CATEGORIES_PER_TREASURY_MAX) {
		cmd_detail(cmd, "name: treasury '%s' has %d categories, the"
		    " most allowed", treasury, CATEGORIES_PER_TREASURY_MAX);
		return TREASURY_ERR_CATEGORY_LIMIT;
	}
	if (err == TREASURY_OK)
		err = category_insert(s, cmd);
	return err;
}

enum apply_outcome
apply_category_create(struct store *s, struct command *cmd)
{
	return cmd_finish(s, cmd, category_create(s, cmd));
}

/* ---- CMD_CATEGORY_SET ---- */

static void
bind_category(struct db_stmt *st, int i, const char *name)
{
	if (name[0] == '\0')
		db_bind_null(st, i);
	else
		bind_str(st, i, name);
}

/* The category_changes row and the "category.changed" entry of a change
 * from previous to cmd's category. */
static treasury_err
category_change_record(struct store *s, struct command *cmd,
    const char *previous)
{
	const char *treasury = cmd->in.category_set.treasury;
	const char *next = cmd->in.category_set.category;
	bool ledger = cmd->in.category_set.ledger_seq > 0;
	struct db_stmt *st = s->stmt[STMT_CATEGORY_CHANGE_INSERT];
	struct journal_payload p;
	treasury_err err;

	bind_str(st, 1, treasury);
	if (ledger)
		db_bind_int64(st, 2, cmd->in.category_set.ledger_seq);
	else {
		db_bind_blob(st, 3, cmd->in.category_set.proposal,
		    PROPOSAL_ID_BYTES, DB_STATIC);
		db_bind_int64(st, 4, cmd->in.category_set.item);
	}
	bind_category(st, 5, previous);
	bind_category(st, 6, next);
	bind_str(st, 7, cmd->actor_token);
	db_bind_int64(st, 8, cmd->now_s);
	err = store_stmt_run(s, STMT_CATEGORY_CHANGE_INSERT);
	if (err != TREASURY_OK)
		return err;
	journal_payload_begin(&p);
	if (next[0] != '\0')
		journal_payload_str(&p, "category", next);
	else
		journal_payload_null(&p, "category");
	if (!ledger)
		journal_payload_int(&p, "item", cmd->in.category_set.item);
	else
		journal_payload_int(&p, "ledger_seq",
		    cmd->in.category_set.ledger_seq);
	if (previous[0] != '\0')
		journal_payload_str(&p, "previous", previous);
	else
		journal_payload_null(&p, "previous");
	if (!ledger)
		journal_payload_hex(&p, "proposal",
		    cmd->in.category_set.proposal, PROPOSAL_ID_BYTES);
	journal_payload_str(&p, "treasury", treasury);
	return journal_cmd(s, cmd, NULL, treasury, "category.changed", &p);
}

static treasury_err
ledger_category_set(struct store *s, struct command *cmd)
{
	const char *next = cmd->in.category_set.category;
	struct db_stmt *st = s->stmt[STMT_LEDGER_GET];
	struct ledger_entry e;
	treasury_err err;
	int rc;

	db_bind_int64(st, 1, cmd->in.category_set.ledger_seq);
	rc = db_step(st);
	err = rc == DB_ROW ? ledger_read(st, &e) : rc == DB_DONE ?
	    TREASURY_ERR_NOT_FOUND : store_err_from_rc(rc);
	store_stmt_done(st);
	if (err == TREASURY_ERR_NOT_FOUND || (err == TREASURY_OK &&
	    strcmp(e.treasury, cmd->in.category_set.treasury) != 0))
		err = TREASURY_ERR_UNKNOWN_LEDGER_ENTRY;
	if (err == TREASURY_ERR_UNKNOWN_LEDGER_ENTRY)
		cmd_detail(cmd, "treasury '%s' has no ledger entry %lld",
		    cmd->in.category_set.treasury,
		    (long long)cmd->in.category_set.ledger_seq);
	if (err != TREASURY_OK)
		return err;
	if (next[0] != '\0') {
		err = category_check(s, cmd, "category", e.treasury, next,
		    e.kind == LEDGER_DEPOSIT ? CATEGORY_INCOME :
		    CATEGORY_EXPENSE);
		if (err != TREASURY_OK)
			return err;
	}
	if (strcmp(e.category, next) == 0)
		return TREASURY_OK;
	st = s->stmt[STMT_LEDGER_CATEGORY_SET];
	db_bind_int64(st, 1, e.seq);
	bind_category(st, 2, next);
	err = store_stmt_run(s, STMT_LEDGER_CATEGORY_SET);
	if (err == TREASURY_OK)
		err = ledger_days_move(s, &e, e.category, next);
	if (err == TREASURY_OK)
		err = category_change_record(s, cmd, e.category);
	/* the category the entry joined may cross a budget level */
	if (err == TREASURY_OK)
		err = budget_alerts_check(s, cmd, e.treasury, next,
		    cmd->now_s);
	if (err == TREASURY_OK)
		cmd->out.category_set.changed = true;
	return err;
}

static treasury_err
proposal_category_write(struct store *s, struct command *cmd)
{
	const char *next = cmd->in.category_set.category;
	enum store_stmt i = next[0] != '\0' ? STMT_PROPOSAL_CATEGORY_SET :
	    STMT_PROPOSAL_CATEGORY_DELETE;
	struct db_stmt *st = s->stmt[i];

	db_bind_blob(st, 1, cmd->in.category_set.proposal,
	    PROPOSAL_ID_BYTES, DB_STATIC);
	db_bind_int64(st, 2, cmd->in.category_set.item);
	if (next[0] != '\0')
		bind_str(st, 3, next);
	return store_stmt_run(s, i);
}

static treasury_err
proposal_category_set(struct store *s, struct command *cmd)
{
	const char *next = cmd->in.category_set.category;
	unsigned item = cmd->in.category_set.item;
	struct proposal_record *rec = NULL;
	treasury_err err;

	rec = calloc(1, sizeof(*rec));
	if (rec == NULL)
		return TREASURY_ERR_NOMEM;
	/* with its transfer count and labels (proposal_read) */
	err = proposal_fetch(s, cmd->in.category_set.proposal, rec);
	if (err != TREASURY_OK)
		goto done;
	static_assert(sizeof(cmd->in.category_set.treasury) ==
	    sizeof(rec->treasury), "treasury id sizes");
	memcpy(cmd->in.category_set.treasury, rec->treasury,
	    sizeof(rec->treasury));
	if (rec->kind != KIND_TRANSFER && rec->kind != KIND_BATCH) {
		cmd_detail(cmd, "item: the proposal moves no funds");
		err = TREASURY_ERR_INVALID_FIELD;
		goto done;
	}
	if (item >= rec->transfer_count) {
		cmd_detail(cmd, "item: %u is not a transfer of the proposal"
		    " (it has %u)", item, rec->transfer_count);
		err = TREASURY_ERR_INVALID_FIELD;
		goto done;
	}
	/* the stored status; an open proposal past its expiry is closed
	 * too (the sweep stores expired later) */
	if ((rec->status == STATUS_PENDING || rec->status == STATUS_APPROVED) &&
	    rec->expires_s <= cmd->now_s)
		rec->status = STATUS_EXPIRED;
	if (rec->status != STATUS_PENDING && rec->status != STATUS_APPROVED) {
		cmd_detail(cmd, "the proposal is %s%s", proposal_status_name(
		    rec->status), rec->status == STATUS_EXECUTED ? ": correct "
		    "its ledger entries (POST /v1/treasuries/{t}/ledger/{seq}/"
		    "category, the entries with this proposal)" : "");
		err = TREASURY_ERR_CATEGORY_CLOSED;
		goto done;
	}
	if (next[0] != '\0') {
		err = category_check(s, cmd, "category", rec->treasury, next,
		    CATEGORY_EXPENSE);
		if (err != TREASURY_OK)
			goto done;
	}
	if (strcmp(rec->categories.item[item], next) == 0)
		goto done;
	err = proposal_category_write(s, cmd);
	if (err == TREASURY_OK)
		err = category_change_record(s, cmd,
		    rec->categories.item[item]);
	if (err == TREASURY_OK)
		cmd->out.category_set.changed = true;
done:
	proposal_record_free(rec);
	free(rec);
	return err;
}

enum apply_outcome
apply_category_set(struct store *s, struct command *cmd)
{
	treasury_err err;

	if (cmd->in.category_set.category[0] != '\0' &&
	    treasury_id_check(cmd->in.category_set.category,
	    strlen(cmd->in.category_set.category)) != TREASURY_OK) {
		cmd_detail(cmd, "category: not a category name");
		return cmd_finish(s, cmd, TREASURY_ERR_CATEGORY_NAME);
	}
	if (cmd->in.category_set.ledger_seq > 0)
		err = ledger_category_set(s, cmd);
	else
		err = proposal_category_set(s, cmd);
	return cmd_finish(s, cmd, err);
}
