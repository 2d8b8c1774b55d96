/*
 * cmd_lifecycle.c: the statuses that the clock and config changes give
 * open proposals, stored by the writer: the expiry sweep of
 * CMD_MAINTENANCE and, after an executed config change, the other
 * proposals of the treasury (lifecycle_after_config_change).
 *
 * Storage only loads and stores here; core says what each proposal
 * becomes, and the ones that change are stored one by one by
 * proposal_status_set, each with its proposal.<status> journal entry.
 *
 * The sweep reads only what is due, through the partial index
 * proposals_expiring (STMT_PROPOSALS_DUE), soonest expiry first, then by
 * rowid, and at most a batch (MAINTENANCE_EXPIRE_BATCH_MAX) per
 * transaction: the daemon submits the next batch behind the commands
 * queued meanwhile, so a mass expiry never holds the writer for long.
 *
 * A config change reads the treasury's open proposals by stored status
 * (the statuses proposal_status_is_open names, through the proposals_open
 * index on (treasury_id, status)) and stores them by stored status name,
 * then by rowid.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

/* An open proposal whose status changes. */
struct catch_up {
	int64_t rowid;
	uint8_t id[PROPOSAL_ID_BYTES];
	struct lifecycle_proposal p;
	enum proposal_status next;
};

struct catch_ups {
	size_t count;
	size_t cap;
	struct catch_up *v;
};

/* What a proposal becomes after a config change: core's answer. */
struct catch_up_rule {
	uint64_t new_version;
	int64_t now_s;
};

static enum proposal_status
catch_up_next(const struct catch_up_rule *rule,
    const struct lifecycle_proposal *p)
{
	return lifecycle_after_config_change(p, rule->new_version,
	    rule->now_s);
}

static treasury_err
catch_up_push(struct catch_ups *c, const struct catch_up *x)
{
	struct catch_up *v;
	size_t cap;

	if (c->count == c->cap) {
		cap = c->cap == 0 ? 16 : 2 * c->cap;
		v = realloc(c->v, cap * sizeof(*v));
		if (v == NULL)
			return TREASURY_ERR_NOMEM;
		c->v = v;
		c->cap = cap;
	}
	c->v[c->count++] = *x;
	return TREASURY_OK;
}

/* The current row of STMT_PROPOSALS_BY_STATUS or _DUE. */
static treasury_err
catch_up_read(struct db_stmt *st, struct catch_up *x)
{
	int64_t version = 0;
	char status[16];
	treasury_err err;

	memset(x, 0, sizeof(*x));
	err = col_int(st, 0, 1, INT64_MAX, &x->rowid);
	if (err == TREASURY_OK)
		err = col_blob(st, 1, PROPOSAL_ID_BYTES, x->id);
	if (err == TREASURY_OK)
		err = col_text(st, 2, 1, sizeof(status) - 1, status);
	if (err == TREASURY_OK && proposal_status_parse(status, strlen(status),
	    &x->p.stored) != TREASURY_OK)
		err = TREASURY_ERR_DB_CORRUPT;
	if (err == TREASURY_OK)
		err = col_int(st, 3, INT64_MIN, INT64_MAX, &x->p.expires_s);
	if (err == TREASURY_OK)
		err = col_int(st, 4, 1, INT64_MAX, &version);
	x->p.config_version = (uint64_t)version;
	return err;
}

/* Collect the proposals of treasury with one stored status that rule
 * changes. */
static treasury_err
catch_up_collect(struct store *s, const char *treasury,
    enum proposal_status stored, const struct catch_up_rule *rule,
    struct catch_ups *out)
{
	struct db_stmt *st = s->stmt[STMT_PROPOSALS_BY_STATUS];
	treasury_err err = TREASURY_OK;
	struct catch_up x;
	int rc = DB_DONE;

	bind_str(st, 1, treasury);
	bind_str(st, 2, proposal_status_name(stored));
	while (err == TREASURY_OK && (rc = db_step(st)) == DB_ROW) {
		err = catch_up_read(st, &x);
		if (err != TREASURY_OK)
			break;
		x.next = catch_up_next(rule, &x.p);
		if (x.next != x.p.stored)
			err = catch_up_push(out, &x);
	}
	if (err == TREASURY_OK && rc != DB_DONE)
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

static int
by_rowid(int64_t a, int64_t b)
{
	return (a > b) - (a < b);
}

static int
by_status_name(const void *a, const void *b)
{
	const struct catch_up *x = a, *y = b;
	int c = strcmp(proposal_status_name(x->p.stored),
	    proposal_status_name(y->p.stored));

	return c != 0 ? c : by_rowid(x->rowid, y->rowid);
}

/* Store what rule makes of every open proposal of treasury. */
static treasury_err
catch_up_run(struct store *s, const struct command *cmd, const char *treasury,
    const struct catch_up_rule *rule)
{
	struct catch_ups c = { 0, 0, NULL };
	treasury_err err = TREASURY_OK;
	int st;
	size_t i;

	for (st = STATUS_PENDING; err == TREASURY_OK &&
	    st <= PROPOSAL_STATUS_LAST; st++)
		if (proposal_status_is_open((enum proposal_status)st))
			err = catch_up_collect(s, treasury,
			    (enum proposal_status)st, rule, &c);
	if (err == TREASURY_OK && c.count > 1)
		qsort(c.v, c.count, sizeof(c.v[0]), by_status_name);
	for (i = 0; err == TREASURY_OK && i < c.count; i++)
		err = proposal_status_set(s, cmd, c.v[i].id, c.v[i].next);
	free(c.v);
	return err;
}

/* Read up to batch_max due proposals (they stay in st's order) and the
 * ones core expires at now_s into out; *read counts the rows. */
static treasury_err
due_collect(struct store *s, int64_t now_s, unsigned batch_max,
    struct catch_ups *out, unsigned *read)
{
	struct db_stmt *st = s->stmt[STMT_PROPOSALS_DUE];
	treasury_err err = TREASURY_OK;
	struct catch_up x;
	int rc = DB_DONE;

	*read = 0;
	db_bind_int64(st, 1, now_s);
	db_bind_int64(st, 2, (int64_t)batch_max);
	while (err == TREASURY_OK && (rc = db_step(st)) == DB_ROW) {
		err = catch_up_read(st, &x);
		if (err != TREASURY_OK)
			break;
		(*read)++;
		x.next = proposal_status_at(x.p.stored, x.p.expires_s, now_s);
		if (x.next != x.p.stored)
			err = catch_up_push(out, &x);
	}
	if (err == TREASURY_OK && rc != DB_DONE)
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	assert(*read <= batch_max);
	return err;
}

treasury_err
proposals_expire(struct store *s, const struct command *cmd,
    unsigned batch_max, unsigned *expired, bool *more)
{
	struct catch_ups c = { 0, 0, NULL };
	treasury_err err;
	unsigned read = 0;
	size_t i;

	assert(batch_max >= 1);
	*expired = 0;
	*more = false;
	err = due_collect(s, cmd->now_s, batch_max, &c, &read);
	for (i = 0; err == TREASURY_OK && i < c.count; i++)
		err = proposal_status_set(s, cmd, c.v[i].id, c.v[i].next);
	if (err == TREASURY_OK) {
		*expired = (unsigned)c.count;
		/* a full batch that expired something: maybe more are due */
		*more = read == batch_max && c.count > 0;
	}
	free(c.v);
	return err;
}

treasury_err
proposals_after_config_change(struct store *s, const struct command *cmd,
    const char *treasury, uint64_t new_version)
{
	const struct catch_up_rule rule = { new_version, cmd->now_s };

	assert(treasury != NULL);
	return catch_up_run(s, cmd, treasury, &rule);
}
