/*
 * test_backup_check.c: unit tests of the operator tasks of maintenance.h:
 * store_backup (storage/backup.c) and store_check (storage/check.c).
 *
 * Each test builds a small real database through the writer (an asset, a
 * 1-of-1 treasury with an ECDSA signer, a deposit and an executed,
 * signed transfer), with the writer still running while the backup is
 * made. Invariants are then broken with raw SQL on the file, through a
 * separate sqlite3 connection, as damage or tampering would, and check
 * must name each one. TEST ONLY secret key (32 bytes of 0x01).
 */
#include <sys/stat.h>

#include <sqlite3.h>

#include "engine_fixture.h"
#include "treasury/maintenance.h"

#include "../../storage/store_int.h"	/* store_err_from_rc */

/* Findings collected by store_check. */
struct findings {
	unsigned count;
	char text[8][256];
};

static void
finding_cb(const char *text, void *arg)
{
	struct findings *f = arg;

	if (f->count < 8)
		snprintf(f->text[f->count], sizeof(f->text[0]), "%s", text);
	f->count++;
}

/* Whether some finding contains needle. */
static int
found(const struct findings *f, const char *needle)
{
	unsigned i;

	for (i = 0; i < f->count && i < 8; i++)
		if (strstr(f->text[i], needle) != NULL)
			return 1;
	return 0;
}

/* USDC; t1, 1 of alice; 100 USDC in; 40 USDC out by a signed transfer. */
static void
world_make(struct ctx *c, int64_t token)
{
	struct command *cmd = calloc(1, sizeof(*cmd));
	struct proposal_fields *f = fields_new(KIND_TRANSFER, "t1", NOW + HOUR);
	uint8_t digest[DIGEST_BYTES], id[PROPOSAL_ID_BYTES];

	assert_non_null(cmd);
	assert_int_equal(asset_create(c, "USDC", 6), TREASURY_OK);
	assert_int_equal(treasury_create(c, "t1", 1, abc, 1), TREASURY_OK);

	assert_int_equal(deposit_plain(c, "t1", "USDC", 100000000, "d1"),
	    TREASURY_OK);

	f->transfer_count = 1;
	snprintf(f->transfers[0].asset, sizeof(f->transfers[0].asset), "USDC");
	f->transfers[0].decimals = 6;
	f->transfers[0].amount = 40000000;
	snprintf(f->transfers[0].to, sizeof(f->transfers[0].to), "0xabc");
	memset(cmd, 0, sizeof(*cmd));
	cmd->type = CMD_PROPOSAL_CREATE;
	cmd->now_s = NOW;
	cmd->in.proposal_create.fields = f;
	cmd->in.proposal_create.proposer_token_id = token;
	assert_int_equal(submit(c, cmd), TREASURY_OK);
	memcpy(id, cmd->out.proposal_create.id, sizeof(id));

	memset(cmd, 0, sizeof(*cmd));
	cmd->type = CMD_VOTE;
	cmd->now_s = NOW;
	memcpy(cmd->in.vote.proposal, id, sizeof(id));
	snprintf(cmd->in.vote.signer, sizeof(cmd->in.vote.signer), "alice");
	cmd->in.vote.decision = VOTE_APPROVE;
	vote_digest_compute(digest, id, VOTE_APPROVE);
	cmd->in.vote.signature_len = sign_digest(c, 0, KEY_ECDSA, digest,
	    cmd->in.vote.signature);
	cmd->in.vote.verified_key = key_of(c, 0, KEY_ECDSA);
	cmd->in.vote.verified_config_version = 1;
	assert_int_equal(submit(c, cmd), TREASURY_OK);
	assert_int_equal(cmd->out.vote.status, STATUS_APPROVED);

	memset(cmd, 0, sizeof(*cmd));
	cmd->type = CMD_EXECUTE;
	cmd->now_s = NOW;
	memcpy(cmd->in.execute.proposal, id, sizeof(id));
	assert_int_equal(submit(c, cmd), TREASURY_OK);
	free(cmd);
	free(f);
}

static int
setup(void **state)
{
	struct ctx *c = fixture_open("backup", false);
	uint8_t hash[TOKEN_HASH_BYTES];

	memset(hash, 0x5a, sizeof(hash));
	world_make(c, fixture_token(c, "tok", hash));
	*state = c;
	return 0;
}

/* Run raw SQL on the database file, as damage would (the writer is
 * stopped first: nothing caches the rows). */
static void
tamper(struct ctx *c, const char *path, const char *sql)
{
	sqlite3 *db;
	char *msg = NULL;

	fixture_close(c);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("tamper: %s: %s", sql, msg);
	assert_int_equal(sqlite3_changes(db) > 0, 1);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static struct findings
check(struct ctx *c, const char *path, struct check_report *r)
{
	struct findings f;
	char errmsg[STORE_ERRMSG_BYTES];

	memset(&f, 0, sizeof(f));
	assert_int_equal(store_check(path, c->v, finding_cb, &f, r, errmsg),
	    TREASURY_OK);
	assert_int_equal(r->findings, f.count);
	return f;
}

/* Break the database with sql (tamper), then check it: some finding
 * contains needle; the findings out. */
static struct findings
damaged(void **state, const char *sql, const char *needle,
    struct check_report *r)
{
	struct ctx *c = *state;
	struct findings f;

	tamper(c, c->db, sql);
	f = check(c, c->db, r);
	assert_true(found(&f, needle));
	return f;
}

/* What check finds in the good world of world_make: nothing, and counts. */
static void
assert_good(const struct findings *f, const struct check_report *r)
{
	assert_int_equal(f->count, 0);
	assert_int_equal(r->treasuries, 1);
	assert_int_equal(r->balances, 1);
	assert_int_equal(r->ledger_entries, 2);
	assert_int_equal(r->executed, 1);
	assert_int_equal(r->votes_verified, 1);
}

static int
balance_cb(const struct balance *b, void *ctx)
{
	*(amount_minor *)ctx = b->amount;
	return 0;
}

/* Files in the directory, for "no temporary file left behind". */
static unsigned
dir_entries(const char *dir)
{
	struct dirent *e;
	unsigned n = 0;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* ---- tests ---- */

/* A backup of the live database (writer running) is a 0600 file of the
 * reported size that opens as a treasuryd store with the same data and
 * passes check; a second backup never replaces it. */
static void
test_backup_live(void **state)
{
	struct ctx *c = *state;
	char errmsg[STORE_ERRMSG_BYTES];
	struct check_report r;
	struct findings f;
	struct store *copy;
	struct stat st;
	amount_minor bal = 0;
	int64_t bytes = 0;
	unsigned before;

	before = dir_entries(c->dir);
	assert_int_equal(store_backup(c->db, c->dst, &bytes, errmsg),
	    TREASURY_OK);
	assert_int_equal(stat(c->dst, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(bytes, st.st_size);
	assert_true(bytes > 0);
	assert_int_equal(dir_entries(c->dir), before + 1);	/* no temp */

	f = check(c, c->dst, &r);
	assert_good(&f, &r);

	/* Never replaced: the second backup is refused, nothing is left. */
	assert_int_equal(store_backup(c->db, c->dst, NULL, errmsg),
	    TREASURY_ERR_CONFLICT);
	assert_true(errmsg[0] != '\0');
	assert_int_equal(dir_entries(c->dir), before + 1);

	/* A restored copy is opened read-write (it is a rollback-journal
	 * file: store_open moves it to WAL, as the daemon does). */
	if (store_open(c->dst, STORE_READ_WRITE_CREATE, &copy, errmsg) !=
	    TREASURY_OK)
		fail_msg("%s", errmsg);
	assert_int_equal(store_balances(copy, "t1", balance_cb, &bal),
	    TREASURY_OK);
	assert_true(bal == 60000000);
	store_close(copy);
}

/* A source that is missing or is not a treasuryd database is refused and
 * leaves no file behind. */
static void
test_backup_bad_source(void **state)
{
	struct ctx *c = *state;
	char errmsg[STORE_ERRMSG_BYTES], path[160];
	unsigned before = dir_entries(c->dir);
	FILE *fp;

	snprintf(path, sizeof(path), "%s/missing.db", c->dir);
	assert_int_equal(store_backup(path, c->dst, NULL, errmsg),
	    TREASURY_ERR_DB_OPEN);
	assert_non_null(strstr(errmsg, "missing.db"));
	assert_int_equal(access(c->dst, F_OK), -1);

	snprintf(path, sizeof(path), "%s/text.db", c->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("this is not a database, but it is long enough to look at\n", fp);
	fclose(fp);
	assert_int_not_equal(store_backup(path, c->dst, NULL, errmsg),
	    TREASURY_OK);
	assert_int_equal(access(c->dst, F_OK), -1);
	assert_int_equal(dir_entries(c->dir), before + 1);	/* text.db */
}

/* check passes a good live database and counts what it looked at. */
static void
test_check_good(void **state)
{
	struct ctx *c = *state;
	struct check_report r;
	struct findings f;

	f = check(c, c->db, &r);
	assert_good(&f, &r);
}

static void
test_check_balance_changed(void **state)
{
	struct check_report r;

	assert_int_equal(damaged(state, "UPDATE balances SET amount ="
	    " '60000001'", "is not the sum of its ledger entries",
	    &r).count, 1);
}

/* A hostile file's bytes reach the finding escaped: no control byte, one
 * line, each character visible. */
static void
test_check_escapes_database_bytes(void **state)
{
	struct check_report r;
	struct findings f = damaged(state, "PRAGMA ignore_check_constraints ="
	    " ON; UPDATE balances SET amount = char(27) || '[2J' || char(10) ||"
	    " 'x' || char(8238)", "malformed amount", &r);

	assert_true(found(&f, "'\\u{001B}[2J\\nx\\u{202E}'"));
	for (unsigned i = 0; i < f.count && i < 8; i++)
		for (const char *p = f.text[i]; *p != '\0'; p++)
			assert_true((unsigned char)*p >= 0x20 && *p != 0x7f);
}

/* A full file system is storage-full, not a database error. */
static void
test_full_disk_error_mapping(void **state)
{
	(void)state;
	assert_int_equal(store_err_from_rc(SQLITE_FULL),
	    TREASURY_ERR_STORAGE_FULL);
	assert_int_equal(store_err_from_rc(SQLITE_IOERR_WRITE),
	    TREASURY_ERR_DB);
	assert_int_equal(store_err_from_db(NULL, SQLITE_IOERR_SHMSIZE),
	    TREASURY_ERR_DB);		/* no errno to tell */
	assert_false(store_db_full(NULL));
}

/* The deposit grows: its balance_after and the balance disagree. */
static void
test_check_ledger_changed(void **state)
{
	struct check_report r;
	struct findings f = damaged(state, "UPDATE ledger SET amount ="
	    " '100000005' WHERE kind = 'deposit'", "balance_after differs", &r);

	assert_true(f.count >= 1);
	assert_true(found(&f, "is not the sum"));
}

static void
test_check_vote_signature_changed(void **state)
{
	struct check_report r;
	struct findings f = damaged(state, "UPDATE votes SET signature ="
	    " zeroblob(64)", "signature of 'alice' does not verify", &r);

	assert_int_equal(r.executed, 1);
	assert_true(found(&f, "executed with 0 valid approvals"));
}

static void
test_check_canonical_changed(void **state)
{
	struct check_report r;

	(void)damaged(state, "UPDATE proposals SET canonical ="
	    " replace(canonical, '0xabc', '0xabd')",
	    "id is not the hash of its canonical text", &r);
}

/* A transfer whose proposal is not executed: money left without one. */
static void
test_check_debit_without_execution(void **state)
{
	struct check_report r;
	struct findings f = damaged(state, "UPDATE proposals SET status ="
	    " 'approved', executed_at = NULL",
	    "a transfer without an executed proposal", &r);

	/* and the journal says it was executed */
	assert_int_equal(f.count, 2);
	assert_true(found(&f, "status approved, but the journal says executed"));
	assert_int_equal(r.executed, 0);
}

/* The debit goes elsewhere than the signed text says. */
static void
test_check_debit_destination_changed(void **state)
{
	struct check_report r;
	struct findings f = damaged(state, "UPDATE ledger SET to_dest ="
	    " '0xevil' WHERE kind = 'transfer'", "destination '0xevil', but"
	    " proposal ", &r);

	/* the canonical text and the journal's debit both disagree */
	assert_int_equal(f.count, 2);
	assert_true(found(&f, "transfer 1 says '0xabc'"));
	assert_true(found(&f, "but journal entry"));
}

/* Less is debited than signed, and the balances are raised to match:
 * the arithmetic holds, the meaning does not. */
static void
test_check_debit_amount_lowered_balances_adjusted(void **state)
{
	struct check_report r;
	struct findings f = damaged(state, "UPDATE ledger SET amount ="
	    " '30000000', balance_after = '70000000' WHERE kind = 'transfer';"
	    " UPDATE balances SET amount = '70000000'", "amount 30000000 minor"
	    " units, but proposal ", &r);

	/* and the day sums (ledger_days) no longer match the ledger */
	assert_int_equal(f.count, 3);
	assert_true(found(&f, "debit of 30000000 minor units of USDC to"
	    " '0xabc'"));
	assert_true(found(&f, "the ledger gives in 100000000 out 30000000"));
}

/* A debit of the executed proposal is gone (and the balance raised). */
static void
test_check_debit_missing(void **state)
{
	struct check_report r;
	struct findings f = damaged(state, "DELETE FROM ledger WHERE kind ="
	    " 'transfer'; UPDATE balances SET amount = '100000000'",
	    "its text makes 1 debits, the ledger holds 0", &r);

	/* and the debit's day row has no entry left (ledger_days) */
	assert_int_equal(f.count, 3);
	assert_true(found(&f, "is missing from the ledger"));
	assert_true(found(&f, "ledger_days: treasury"));
}

/* The memo of the debit is not the signed one. */
static void
test_check_debit_memo_changed(void **state)
{
	struct check_report r;

	(void)damaged(state, "UPDATE ledger SET memo = 'other' WHERE kind ="
	    " 'transfer'", "its memo differs from proposal", &r);
}

/* A treasury marked frozen without any signed freeze request. */
static void
test_check_freeze_without_request(void **state)
{
	struct check_report r;

	(void)damaged(state, "UPDATE treasuries SET frozen = 1, freeze_seq ="
	    " 1, frozen_at = 1", "is frozen by freeze 1, which has no signed"
	    " request", &r);
}

/* A stored column that the canonical text contradicts. */
static void
test_check_row_disagrees_with_text(void **state)
{
	struct check_report r;

	(void)damaged(state, "UPDATE proposals SET expires_at = expires_at"
	    " + 1", "disagree with its canonical text", &r);
}

/* ---- the journal's agreement with the tables (store_check_journal) ---- */

static void
test_check_journal_counted(void **state)
{
	struct ctx *c = *state;
	struct check_report r;
	struct findings f = check(c, c->db, &r);

	assert_int_equal(f.count, 0);
	assert_true(r.journal_entries >= 5);	/* asset, treasury, deposit,
						 * proposal, vote, ... */
}

static void
test_check_journal_deposit_entry_deleted(void **state)
{
	struct check_report r;
	struct findings f = damaged(state, "DELETE FROM journal WHERE type ="
	    " 'deposit'", "a deposit without its deposit journal entry", &r);

	assert_int_equal(f.count, 2);
	assert_true(found(&f, "are missing"));	/* the hash chain's gap */
}

/* Two entries trade places: both break the hash chain. */
static void
test_check_journal_reordered(void **state)
{
	struct check_report r;
	struct findings f = damaged(state, "UPDATE journal SET seq = seq +"
	    " 1000 WHERE seq IN (2, 3); UPDATE journal SET seq = 1005 - seq"
	    " WHERE seq > 1000", "journal entry 2: its hash does not chain", &r);

	assert_true(found(&f, "journal entry 3: its hash does not chain"));
}

static void
test_check_journal_payload_not_json(void **state)
{
	struct check_report r;

	(void)damaged(state, "UPDATE journal SET payload = '[1]' WHERE seq ="
	    " (SELECT max(seq) FROM journal)", "its payload is not a JSON"
	    " object", &r);
}

/* A payload's escaped control character becomes a raw one in SQL; the
 * finding shows it escaped. */
static void
test_check_journal_escapes(void **state)
{
	struct check_report r;
	struct findings f = damaged(state, "UPDATE journal SET payload ="
	    " replace(payload, '\"d1\"', '\"d1\\u001b[2J\"') WHERE type ="
	    " 'deposit'", "reference 'd1\\u{001B}[2J'", &r);

	for (unsigned i = 0; i < f.count && i < 8; i++)
		for (const char *p = f.text[i]; *p != '\0'; p++)
			assert_true((unsigned char)*p >= 0x20 && *p != 0x7f);
}

/* The world of world_make as schema 7 held it: no journal, and the events
 * its triggers wrote (payloads beginning {"treasury":, no debits, no
 * actor), so that reopening migrates them into the journal (schema 8). */
#define BACK_TO_SCHEMA_7						\
	"DROP TABLE prices; DROP TABLE budget_alerts; DROP TABLE budgets;"	\
	"DROP TABLE ledger_days; DROP TABLE category_changes;"		\
	"DROP TABLE proposal_categories; DROP INDEX ledger_time;"	\
	"ALTER TABLE ledger DROP COLUMN category; DROP TABLE categories;"	\
	"DROP TABLE webhooks; DROP TABLE webhook_outbox;"		\
	"DROP TABLE webhook_deliveries; DROP TABLE webhook_fanout;"	\
	"DROP TABLE journal; DROP TABLE journal_checkpoints;"		\
	"CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT,"	\
	" type TEXT NOT NULL, treasury_id TEXT, data TEXT NOT NULL,"	\
	" created_at INTEGER NOT NULL) STRICT;"				\
	"CREATE TRIGGER events_proposal_created AFTER INSERT ON proposals"	\
	" BEGIN SELECT 1; END;"						\
	"CREATE TRIGGER events_proposal_status AFTER UPDATE OF status"	\
	" ON proposals BEGIN SELECT 1; END;"				\
	"CREATE TRIGGER events_vote AFTER INSERT ON votes"		\
	" BEGIN SELECT 1; END;"						\
	"CREATE TRIGGER events_deposit AFTER INSERT ON ledger"		\
	" BEGIN SELECT 1; END;"						\
	"CREATE TRIGGER events_config AFTER INSERT ON treasury_configs"	\
	" BEGIN SELECT 1; END;"						\
	"INSERT INTO events (type, treasury_id, data, created_at)"	\
	" SELECT 'treasury.created', treasury_id, '{\"treasury\":\"' ||"	\
	" treasury_id || '\",\"config_version\":1,\"threshold\":' ||"	\
	" threshold || '}', created_at FROM treasury_configs;"		\
	"INSERT INTO events (type, treasury_id, data, created_at)"	\
	" SELECT 'deposit', treasury_id, '{\"treasury\":\"' || treasury_id"	\
	" || '\",\"ledger_seq\":' || seq || ',\"asset\":\"' || asset ||"	\
	" '\",\"amount_minor\":\"' || amount || '\",\"reference\":\"' ||"	\
	" reference || '\"}', created_at FROM ledger WHERE kind = 'deposit';"	\
	"INSERT INTO events (type, treasury_id, data, created_at)"	\
	" SELECT 'proposal.created', treasury_id, '{\"treasury\":\"' ||"	\
	" treasury_id || '\",\"proposal\":\"' || lower(hex(id)) ||"	\
	" '\",\"nonce\":' || nonce || ',\"kind\":\"transfer\",\"status\""	\
	" :\"pending\"}', created_at FROM proposals;"			\
	"INSERT INTO events (type, treasury_id, data, created_at)"	\
	" SELECT 'proposal.voted', p.treasury_id, '{\"treasury\":\"' ||"	\
	" p.treasury_id || '\",\"proposal\":\"' || lower(hex(p.id)) ||"	\
	" '\",\"signer\":\"' || v.signer || '\",\"decision\":\"approve\"}',"	\
	" v.created_at FROM votes v JOIN proposals p ON p.id ="		\
	" v.proposal_id;"							\
	"INSERT INTO events (type, treasury_id, data, created_at)"	\
	" SELECT 'proposal.' || s.st, treasury_id, '{\"treasury\":\"' ||"	\
	" treasury_id || '\",\"proposal\":\"' || lower(hex(id)) ||"	\
	" '\",\"status\":\"' || s.st || '\",\"previous\":\"' || s.prev ||"	\
	" '\"}', created_at FROM proposals, (SELECT 'approved' AS st,"	\
	" 'pending' AS prev UNION ALL SELECT 'executed', 'approved') s"	\
	" ORDER BY s.st;"							\
	"PRAGMA user_version = 7;"

/* A database migrated from schema 7 checks clean: what its events never
 * recorded (the debits of a proposal executed before) is not asked of
 * it, what they did record is compared, and what happens afterwards is
 * journaled and compared in full. */
static void
test_check_migrated_journal(void **state)
{
	struct ctx *c = *state;
	char errmsg[STORE_ERRMSG_BYTES];
	struct check_report r;
	struct findings f;
	struct command cmd;
	struct store *s = NULL;
	sqlite3 *db;

	fixture_close(c);
	assert_int_equal(sqlite3_open(c->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, BACK_TO_SCHEMA_7, NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	/* the writer's store migrates it; then, an hour later, a deposit */
	assert_int_equal(writer_start(c->db, c->v, &c->w, errmsg),
	    TREASURY_OK);
	deposit_fill(&cmd, "t1", "USDC", 5, "after");
	cmd.now_s = NOW + HOUR;
	assert_int_equal(submit(c, &cmd), TREASURY_OK);
	/* a token from before the journal (its token.created went with
	 * the events' world) revoked after it: its token.revoked suffices */
	assert_int_equal(store_open(c->db, STORE_READ_WRITE, &s, errmsg),
	    TREASURY_OK);
	assert_int_equal(store_token_revoke(s, "tok"), TREASURY_OK);
	store_close(s);
	f = check(c, c->db, &r);
	if (f.count > 0)
		fail_msg("%u findings, the first: %s", f.count, f.text[0]);
	assert_true(r.journal_entries >= 8);
	/* a migrated entry still speaks for what it recorded */
	f = damaged(state, "UPDATE ledger SET reference = 'other' WHERE"
	    " reference = 'd1'", "reference 'other', but journal entry", &r);
	assert_int_equal(f.count, 1);
	/* and a debit after the upgrade must have its entry: a transfer row
	 * dated after it, without one, is found */
	f = damaged(state, "UPDATE ledger SET created_at = created_at +"
	    " 2 * 3600 WHERE kind = 'transfer'", "without its item in a"
	    " proposal.executed journal entry", &r);
}

/* A backup of a damaged database copies the damage: check on the copy
 * finds it too (the backup does not launder invariants). */
static void
test_check_backup_of_damage(void **state)
{
	struct ctx *c = *state;
	char errmsg[STORE_ERRMSG_BYTES];
	struct check_report r;
	struct findings f;

	tamper(c, c->db, "UPDATE balances SET amount = '1'");
	assert_int_equal(store_backup(c->db, c->dst, NULL, errmsg),
	    TREASURY_OK);
	f = check(c, c->dst, &r);
	assert_int_equal(f.count, 1);
	assert_true(found(&f, "not the sum"));
}

static void
test_check_not_a_database(void **state)
{
	struct ctx *c = *state;
	char errmsg[STORE_ERRMSG_BYTES], path[160];
	struct check_report r;
	struct findings f;

	memset(&f, 0, sizeof(f));
	snprintf(path, sizeof(path), "%s/missing.db", c->dir);
	assert_int_equal(store_check(path, c->v, finding_cb, &f, &r, errmsg),
	    TREASURY_ERR_DB_OPEN);
	assert_true(errmsg[0] != '\0');
	assert_int_equal(store_check(c->dir, c->v, finding_cb, &f, &r, errmsg),
	    TREASURY_ERR_DB_OPEN);		/* a directory */
	assert_int_equal(f.count, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_backup_live, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup_bad_source, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_check_good, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_balance_changed,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_ledger_changed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_check_escapes_database_bytes,
		    setup, teardown),
		cmocka_unit_test(test_full_disk_error_mapping),
		cmocka_unit_test_setup_teardown(
		    test_check_vote_signature_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_canonical_changed,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_check_debit_without_execution, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_check_debit_destination_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_check_debit_amount_lowered_balances_adjusted, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_check_debit_missing, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_check_debit_memo_changed,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_check_freeze_without_request, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_check_row_disagrees_with_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_journal_counted,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_check_journal_deposit_entry_deleted, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_check_journal_payload_not_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_journal_reordered,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_journal_escapes,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_migrated_journal,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_backup_of_damage,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_not_a_database, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
