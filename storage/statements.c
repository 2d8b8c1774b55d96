/*
 * statements.c: the SQL text of every statement a store prepares once, at
 * open, on its connection (see enum store_stmt in store_int.h).
 *
 * Only bound parameters carry values; no SQL is built from input. A new
 * statement is one enum entry and one line here.
 */
#include "store_int.h"

const char *const store_stmt_sql[STMT_COUNT_] = {
	/* ?1 name, ?2 roles, ?3 hash, ?4 created_at, ?5 TOKENS_MAX: no row
	 * is inserted (changes() == 0) when the live-token limit is reached. */
	[STMT_TOKEN_INSERT] =
	    "INSERT INTO tokens (name, roles, hash, created_at,"
	    " client_cert_sha256) SELECT ?1, ?2, ?3, ?4, ?6"
	    " WHERE (SELECT count(*) FROM tokens WHERE revoked_at IS NULL) < ?5"
	    " RETURNING id",
	[STMT_TOKEN_FIND] =
	    "SELECT id, name, roles, created_at, client_cert_sha256, hash"
	    " FROM tokens WHERE hash = ?1 AND revoked_at IS NULL",
	[STMT_TOKEN_LIST] =
	    "SELECT id, name, roles, created_at, client_cert_sha256"
	    " FROM tokens WHERE revoked_at IS NULL ORDER BY id",
	[STMT_TOKEN_REVOKE] =
	    "UPDATE tokens SET revoked_at = ?2"
	    " WHERE name = ?1 AND revoked_at IS NULL",
	[STMT_TOKEN_COUNT] =
	    "SELECT count(*) FROM tokens WHERE revoked_at IS NULL",
	/* ?1 name, ?2 certificate SHA-256 or NULL (schema 6) */
	[STMT_TOKEN_BIND] =
	    "UPDATE tokens SET client_cert_sha256 = ?2"
	    " WHERE name = ?1 AND revoked_at IS NULL",
	/* a token's name by id, live or revoked (a proposal's proposer) */
	[STMT_TOKEN_NAME] =
	    "SELECT name FROM tokens WHERE id = ?1",

	[STMT_BEGIN_READ] = "BEGIN",
	[STMT_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
	[STMT_COMMIT] = "COMMIT",
	[STMT_ROLLBACK] = "ROLLBACK",
	[STMT_SAVEPOINT] = "SAVEPOINT c",
	[STMT_ROLLBACK_TO] = "ROLLBACK TO c",
	[STMT_RELEASE] = "RELEASE c",
	[STMT_DATA_VERSION] = "PRAGMA data_version",

	/* Columns of an asset: see ASSET_COL_* in engine_int.h. */
	[STMT_ASSET_GET] =
	    "SELECT code, decimals, chain, created_at FROM assets WHERE code = ?1",
	[STMT_ASSET_FIND_FOLD] =
	    "SELECT code FROM assets WHERE code_fold = ?1",
	[STMT_ASSET_INSERT] =
	    "INSERT INTO assets (code, code_fold, decimals, chain, created_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5)",
	[STMT_ASSET_LIST] =
	    "SELECT code, decimals, chain, created_at FROM assets ORDER BY code",

	/* Columns of a treasury: see TREASURY_COL_*. */
	[STMT_TREASURY_GET] =
	    "SELECT id, name, config_version, next_nonce, created_at, frozen,"
	    " freeze_seq, frozen_at FROM treasuries WHERE id = ?1",
	[STMT_TREASURY_INSERT] =
	    "INSERT INTO treasuries (id, name, config_version, next_nonce,"
	    " created_at) VALUES (?1, ?2, 1, 1, ?3)",
	/* ?1 after id, ?2 limit + 1 */
	[STMT_TREASURY_PAGE] =
	    "SELECT id, name, config_version, next_nonce, created_at, frozen,"
	    " freeze_seq, frozen_at FROM treasuries WHERE id > ?1 ORDER BY id"
	    " LIMIT ?2",
	[STMT_TREASURY_NONCE_BUMP] =
	    "UPDATE treasuries SET next_nonce = next_nonce + 1"
	    " WHERE id = ?1 AND next_nonce = ?2",
	/* ?2 the new version: moves only from the version before it */
	[STMT_TREASURY_VERSION_BUMP] =
	    "UPDATE treasuries SET config_version = ?2"
	    " WHERE id = ?1 AND config_version = ?2 - 1",
	[STMT_CONFIG_GET] =
	    "SELECT threshold FROM treasury_configs"
	    " WHERE treasury_id = ?1 AND version = ?2",
	[STMT_CONFIG_INSERT] =
	    "INSERT INTO treasury_configs (treasury_id, version, threshold,"
	    " created_at) VALUES (?1, ?2, ?3, ?4)",
	/* Columns of a signer: see SIGNER_COL_*. */
	[STMT_SIGNERS_GET] =
	    "SELECT name, key_type, pubkey, key_x FROM signers"
	    " WHERE treasury_id = ?1 AND version = ?2 ORDER BY name",
	/* One signer by primary key: ?3 its name. */
	[STMT_SIGNER_GET] =
	    "SELECT name, key_type, pubkey, key_x FROM signers"
	    " WHERE treasury_id = ?1 AND version = ?2 AND name = ?3",
	/* M and N of a config version: N counted on the signers' primary
	 * key, without reading their rows. */
	[STMT_CONFIG_COUNTS] =
	    "SELECT threshold, (SELECT count(*) FROM signers"
	    "  WHERE treasury_id = ?1 AND version = ?2)"
	    " FROM treasury_configs WHERE treasury_id = ?1 AND version = ?2",
	/* The signers of config version ?2 of treasury ?1 that have no vote
	 * (of any kind) on proposal ?3: proposal.awaiting. */
	/* The names of a config version's signers, in BINARY order; those
	 * that voted are left out in C (proposal_awaiting_journal: one
	 * pass over them and the STMT_VOTES_TALLY rows, not one probe of
	 * votes per signer). */
	[STMT_SIGNERS_AWAITING] =
	    "SELECT name FROM signers WHERE treasury_id = ?1 AND version = ?2"
	    " ORDER BY name",
	[STMT_SIGNER_INSERT] =
	    "INSERT INTO signers (treasury_id, version, name, key_type, pubkey,"
	    " key_x) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",

	[STMT_BALANCE_GET] =
	    "SELECT amount FROM balances WHERE treasury_id = ?1 AND asset = ?2",
	[STMT_BALANCE_SET] =
	    "INSERT INTO balances (treasury_id, asset, amount) VALUES (?1, ?2, ?3)"
	    " ON CONFLICT (treasury_id, asset) DO UPDATE SET amount = excluded.amount",
	[STMT_BALANCES_LIST] =
	    "SELECT b.asset, a.decimals, b.amount FROM balances b"
	    " JOIN assets a ON a.code = b.asset"
	    " WHERE b.treasury_id = ?1 ORDER BY b.asset",
	[STMT_LEDGER_INSERT] =
	    "INSERT INTO ledger (treasury_id, kind, asset, amount, balance_after,"
	    " reference, source, to_dest, memo, proposal_id, created_at,"
	    " category)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
	    " RETURNING seq",
	[STMT_LEDGER_BY_REFERENCE] =
	    "SELECT seq, asset, amount, source, memo, category FROM ledger"
	    " WHERE treasury_id = ?1 AND kind = 'deposit' AND reference = ?2",
	/* Columns of a ledger entry: see LEDGER_COL_*. ?3 limit + 1 */
	[STMT_LEDGER_PAGE] =
	    "SELECT l.seq, l.treasury_id, l.kind, l.asset, a.decimals, l.amount,"
	    " l.balance_after, l.reference, l.source, l.to_dest, l.memo,"
	    " l.proposal_id, l.created_at, l.category FROM ledger l"
	    " JOIN assets a ON a.code = l.asset"
	    " WHERE l.treasury_id = ?1 AND l.seq > ?2 ORDER BY l.seq LIMIT ?3",
	/* The filtered page (queries.h struct ledger_filter) by the ledger_time
	 * index, in (created_at, seq) order, after the cursor's entry ?2
	 * (0: from the start). ?4 from ?5 to (seconds), ?6 kind, ?7 asset,
	 * ?8 category ('' = uncategorised), ?9 counterparty: NULL = any (the
	 * CASTs give PostgreSQL a type to test for NULL). */
	[STMT_LEDGER_PAGE_FILTERED] =
	    "SELECT l.seq, l.treasury_id, l.kind, l.asset, a.decimals, l.amount,"
	    " l.balance_after, l.reference, l.source, l.to_dest, l.memo,"
	    " l.proposal_id, l.created_at, l.category FROM ledger l"
	    " INDEXED BY ledger_time JOIN assets a ON a.code = l.asset"
	    " WHERE l.treasury_id = ?1 AND l.created_at >= ?4"
	    " AND l.created_at < ?5 AND (l.created_at, l.seq) >"
	    " (COALESCE((SELECT created_at FROM ledger WHERE seq = ?2"
	    " AND treasury_id = ?1), -9223372036854775807 - 1), ?2)"
	    " AND (CAST(?6 AS TEXT) IS NULL OR l.kind = ?6)"
	    " AND (CAST(?7 AS TEXT) IS NULL OR l.asset = ?7)"
	    " AND (CAST(?8 AS TEXT) IS NULL OR (?8 = '' AND l.category IS NULL)"
	    " OR l.category = ?8)"
	    " AND (CAST(?9 AS TEXT) IS NULL"
	    " OR (l.kind = 'deposit' AND l.source = ?9)"
	    " OR (l.kind = 'transfer' AND l.to_dest = ?9))"
	    " ORDER BY l.created_at, l.seq LIMIT ?3",
	[STMT_LEDGER_LAST_SEQ] =
	    "SELECT coalesce(max(seq), 0) FROM ledger WHERE treasury_id = ?1",
	[STMT_LEDGER_GET] =
	    "SELECT l.seq, l.treasury_id, l.kind, l.asset, a.decimals, l.amount,"
	    " l.balance_after, l.reference, l.source, l.to_dest, l.memo,"
	    " l.proposal_id, l.created_at, l.category FROM ledger l"
	    " JOIN assets a ON a.code = l.asset WHERE l.seq = ?1",
	/* ledger_days (ledger.c): ?1 treasury ?2 asset ?3 category ?4 day */
	[STMT_LEDGER_DAY_GET] =
	    "SELECT inflow, outflow, entries FROM ledger_days WHERE"
	    " treasury_id = ?1 AND asset = ?2 AND category = ?3 AND day = ?4",
	[STMT_LEDGER_DAY_SET] =
	    "INSERT INTO ledger_days (treasury_id, asset, category, day, inflow,"
	    " outflow, entries) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
	    " ON CONFLICT (treasury_id, asset, category, day) DO UPDATE SET"
	    " inflow = excluded.inflow, outflow = excluded.outflow,"
	    " entries = excluded.entries",
	[STMT_LEDGER_DAY_DELETE] =
	    "DELETE FROM ledger_days WHERE treasury_id = ?1 AND asset = ?2"
	    " AND category = ?3 AND day = ?4",
	/* report.c: the day sums of a treasury's days [?2, ?3) */
	[STMT_REPORT_DAYS] =
	    "SELECT asset, category, inflow, outflow, entries FROM ledger_days"
	    " WHERE treasury_id = ?1 AND day >= ?2 AND day < ?3",
	/* report.c: one (asset, category)'s days [?4, ?5), by the primary key */
	[STMT_REPORT_DAYS_KEY] =
	    "SELECT inflow, outflow, entries FROM ledger_days"
	    " WHERE treasury_id = ?1 AND asset = ?2 AND category = ?3"
	    " AND day >= ?4 AND day < ?5",
	/* report.c: the entries of [?2, ?3) seconds, by the ledger_time index */
	[STMT_REPORT_SCAN] =
	    "SELECT asset, category, kind, amount FROM ledger"
	    " INDEXED BY ledger_time"
	    " WHERE treasury_id = ?1 AND created_at >= ?2 AND created_at < ?3",
	[STMT_REPORT_CATEGORIES] =
	    "SELECT name, kind FROM categories WHERE treasury_id = ?1"
	    " ORDER BY name",
	/* the labels of a proposal's transfers, by item */
	[STMT_PROPOSAL_CATEGORIES] =
	    "SELECT item, category FROM proposal_categories"
	    " WHERE proposal_id = ?1 ORDER BY item",
	/* categories (cmd_category.c): ?1 treasury ?2 name */
	[STMT_CATEGORY_GET] =
	    "SELECT kind, created_at FROM categories"
	    " WHERE treasury_id = ?1 AND name = ?2",
	[STMT_CATEGORY_INSERT] =
	    "INSERT INTO categories (treasury_id, name, kind, created_at,"
	    " created_by) VALUES (?1, ?2, ?3, ?4, ?5)",
	[STMT_CATEGORY_COUNT] =
	    "SELECT count(*) FROM categories WHERE treasury_id = ?1",
	[STMT_CATEGORY_LIST] =
	    "SELECT name, kind, created_at FROM categories"
	    " WHERE treasury_id = ?1 ORDER BY name",
	/* ?1 seq ?2 category (NULL = none) */
	[STMT_LEDGER_CATEGORY_SET] =
	    "UPDATE ledger SET category = ?2 WHERE seq = ?1",
	/* ?1 proposal ?2 item ?3 category */
	[STMT_PROPOSAL_CATEGORY_SET] =
	    "INSERT INTO proposal_categories (proposal_id, item, category)"
	    " VALUES (?1, ?2, ?3) ON CONFLICT (proposal_id, item)"
	    " DO UPDATE SET category = excluded.category",
	[STMT_PROPOSAL_CATEGORY_DELETE] =
	    "DELETE FROM proposal_categories WHERE proposal_id = ?1"
	    " AND item = ?2",
	/* ?1 treasury ?2 seq ?3 proposal ?4 item ?5 previous ?6 category
	 * ?7 actor ?8 at; NULL where none */
	[STMT_CATEGORY_CHANGE_INSERT] =
	    "INSERT INTO category_changes (treasury_id, ledger_seq,"
	    " proposal_id, item, previous, category, actor, created_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	/* a ledger entry's changes, oldest first */
	[STMT_CATEGORY_HISTORY] =
	    "SELECT previous, category, actor, created_at FROM category_changes"
	    " WHERE ledger_seq = ?1 ORDER BY id",

	/* ?10 freeze_seq: the freeze an unfreeze lifts, else NULL */
	[STMT_PROPOSAL_INSERT] =
	    "INSERT INTO proposals (id, treasury_id, nonce, config_version, kind,"
	    " status, canonical, proposer_token_id, created_at, expires_at,"
	    " freeze_seq)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?11, ?6, ?7, ?8, ?9, ?10)",
	/* Columns of a proposal: see PROPOSAL_COL_*. */
	[STMT_PROPOSAL_GET] =
	    "SELECT id, treasury_id, nonce, config_version, kind, status,"
	    " canonical, proposer_token_id, created_at, expires_at, executed_at,"
	    " settlement, settled_at FROM proposals WHERE id = ?1",
	/* The columns of PROPOSAL_HEAD_COL_* (engine_int.h): what votes and
	 * their checks need, without the canonical text or the votes. A NULL
	 * threshold means the config row is missing (corrupt). */
	/* The base threshold is core's (policy_track_threshold): this only
	 * reads the kind, M and the policy's config_extra. */
	[STMT_PROPOSAL_HEAD] =
	    "SELECT p.treasury_id, p.config_version, p.status, p.expires_at,"
	    " p.proposer_token_id, c.threshold,"
	    " (SELECT count(*) FROM signers s"
	    "  WHERE s.treasury_id = p.treasury_id"
	    "  AND s.version = p.config_version),"
	    " p.kind, (SELECT pol.config_extra FROM policies pol"
	    "  WHERE pol.treasury_id = p.treasury_id"
	    "  AND pol.version = p.config_version)"
	    " FROM proposals p LEFT JOIN treasury_configs c"
	    " ON c.treasury_id = p.treasury_id AND c.version = p.config_version"
	    " WHERE p.id = ?1",
	/* ?3 the status it had (proposal_status_set read it) */
	[STMT_PROPOSAL_STATUS_SET] =
	    "UPDATE proposals SET status = ?2 WHERE id = ?1 AND status = ?3",
	[STMT_PROPOSAL_STATUS_GET] =
	    "SELECT treasury_id, status FROM proposals WHERE id = ?1",
	[STMT_PROPOSAL_EXECUTED_SET] =
	    /* ?3 the status core gives it, ?4 the one the gate saw (a guard
	     * against a change between the two) */
	    "UPDATE proposals SET status = ?3, executed_at = ?2"
	    " WHERE id = ?1 AND status = ?4",
	[STMT_PROPOSAL_SETTLE] =
	    "UPDATE proposals SET settlement = ?2, settled_at = ?3"
	    " WHERE id = ?1 AND status = ?4 AND settlement IS NULL",
	/* The proposals of a treasury (?1) with stored status ?2, by the
	 * proposals_open index; columns: rowid, id, status, expires_at,
	 * config_version (cmd_lifecycle.c). */
	[STMT_PROPOSALS_BY_STATUS] =
	    "SELECT rowid, id, status, expires_at, config_version FROM proposals"
	    " WHERE treasury_id = ?1 AND status = ?2",
	/* The expiry sweep: the open proposals due at ?1 (expires_at <= ?1),
	 * at most ?2 of them, soonest first, by the partial index
	 * proposals_expiring (its WHERE names exactly the statuses
	 * proposal_status_is_open names; INDEXED BY makes the statement fail
	 * to prepare, at open, if the index could not serve it); the same
	 * columns as STMT_PROPOSALS_BY_STATUS. */
	[STMT_PROPOSALS_DUE] =
	    "SELECT rowid, id, status, expires_at, config_version FROM proposals"
	    " INDEXED BY proposals_expiring"
	    " WHERE status IN ('pending', 'approved') AND expires_at <= ?1"
	    " ORDER BY expires_at, rowid LIMIT ?2",
	/* ?2 after nonce, ?3 limit + 1, or -1 (no limit) when the caller
	 * filters the rows by the status core gives them (queries.c). */
	[STMT_PROPOSALS_PAGE] =
	    "SELECT id, treasury_id, nonce, config_version, kind, status,"
	    " canonical, proposer_token_id, created_at, expires_at, executed_at,"
	    " settlement, settled_at FROM proposals"
	    " WHERE treasury_id = ?1 AND nonce > ?2 ORDER BY nonce LIMIT ?3",
	[STMT_PROPOSALS_LAST_NONCE] =
	    "SELECT coalesce(max(nonce), 0) FROM proposals"
	    " WHERE treasury_id = ?1",
	/* The proposals awaiting signer ?1 (store_pending_for_signer):
	 * the PROPOSAL_COL_* columns, then the rowid (the page position).
	 * ?2 after rowid, ?3 now_s, ?4 limit + 1. */
	[STMT_PROPOSALS_PENDING_FOR] =
	    "SELECT p.id, p.treasury_id, p.nonce, p.config_version, p.kind,"
	    " p.status, p.canonical, p.proposer_token_id, p.created_at,"
	    " p.expires_at, p.executed_at, p.settlement, p.settled_at, p.rowid"
	    " FROM proposals p WHERE p.rowid > ?2 AND p.status = 'pending'"
	    " AND p.expires_at > ?3 AND EXISTS (SELECT 1 FROM signers s"
	    "  WHERE s.treasury_id = p.treasury_id"
	    "  AND s.version = p.config_version AND s.name = ?1)"
	    " AND NOT EXISTS (SELECT 1 FROM votes v"
	    "  WHERE v.proposal_id = p.id AND v.signer = ?1)"
	    " ORDER BY p.rowid LIMIT ?4",
	/* column 1: the approval was revoked (schema 4) */
	[STMT_VOTE_GET] =
	    "SELECT decision, revoked_at IS NOT NULL FROM votes"
	    " WHERE proposal_id = ?1 AND signer = ?2",
	[STMT_VOTE_INSERT] =
	    "INSERT INTO votes (proposal_id, signer, decision, signature,"
	    " created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
	[STMT_VOTES_LIST] =
	    "SELECT signer, decision, signature, created_at FROM votes"
	    " WHERE proposal_id = ?1 AND revoked_at IS NULL"
	    " ORDER BY created_at, rowid",
	/* Each signer's vote, for the tally (lifecycle_tally_vote) and
	 * proposal.awaiting: in signer order (the primary key's). */
	[STMT_VOTES_TALLY] =
	    "SELECT signer, decision, revoked_at IS NOT NULL FROM votes"
	    " WHERE proposal_id = ?1 ORDER BY signer",

	/* Idempotency records: ?1 token id, ?2 key. */
	[STMT_IDEM_GET] =
	    "SELECT fingerprint, created_at, outcome_seq,"
	    " outcome_proposal, outcome_status, outcome_approvals,"
	    " outcome_rejections, outcome_replayed, outcome_token,"
	    " response_status, response_body"
	    " FROM idempotency WHERE token_id = ?1 AND key = ?2",
	[STMT_IDEM_INSERT] =
	    "INSERT INTO idempotency (token_id, key, fingerprint, created_at,"
	    " outcome_seq, outcome_proposal, outcome_status, outcome_approvals,"
	    " outcome_rejections, outcome_replayed, outcome_token,"
	    " response_status, response_body)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	[STMT_IDEM_PURGE] =
	    "DELETE FROM idempotency WHERE created_at < ?1",
	/* ?1 after id, ?2 limit + 1 */
	/* GET /v1/events reads the journal (schema 8): id = seq,
	 * data = payload */
	[STMT_EVENTS_PAGE] =
	    "SELECT seq, type, payload, created_at FROM journal WHERE seq > ?1"
	    " ORDER BY seq LIMIT ?2",
	/* the newest event id, 0 when there is none (the primary key's
	 * last entry: no scan) */
	[STMT_EVENTS_LAST] =
	    "SELECT coalesce(max(seq), 0) FROM journal",
	/* Columns as STMT_TOKEN_LIST; ?1 after id, ?2 limit + 1 */
	[STMT_TOKEN_PAGE] =
	    "SELECT id, name, roles, created_at, client_cert_sha256 FROM tokens"
	    " WHERE revoked_at IS NULL AND id > ?1 ORDER BY id LIMIT ?2",
	[STMT_PROPOSAL_STATUS_COUNTS] =
	    "SELECT status, count(*) FROM proposals GROUP BY status"
	    " ORDER BY status",

	/* Policies (schema 4): a config version's policy lines. */
	[STMT_POLICY_GET] =
	    "SELECT lines, digest FROM policies"
	    " WHERE treasury_id = ?1 AND version = ?2",
	[STMT_POLICY_INSERT] =
	    "INSERT INTO policies (treasury_id, version, lines, digest,"
	    " config_extra, timelock_spend_s, timelock_config_s, veto_count,"
	    " high_threshold, key_proof)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	/* What the decisions about a proposal need of its config version:
	 * approved_at (NULL unless approved), M, the policy's scalars, its
	 * kind (for its track) and whether its key proof is stored. */
	[STMT_PROPOSAL_POLICY] =
	    "SELECT p.approved_at, c.threshold,"
	    " pol.config_extra, pol.timelock_spend_s, pol.timelock_config_s,"
	    " pol.veto_count, pol.high_threshold, p.kind, pol.key_proof,"
	    " (SELECT count(*) FROM key_proofs k WHERE k.proposal_id = p.id)"
	    " FROM proposals p JOIN policies pol"
	    " ON pol.treasury_id = p.treasury_id AND pol.version = p.config_version"
	    " JOIN treasury_configs c"
	    " ON c.treasury_id = p.treasury_id AND c.version = p.config_version"
	    " WHERE p.id = ?1",
	[STMT_PROPOSAL_APPROVED_SET] =
	    "UPDATE proposals SET approved_at = ?2 WHERE id = ?1",
	[STMT_FREEZE_GET] =
	    "SELECT frozen, freeze_seq, frozen_at FROM treasuries WHERE id = ?1",
	/* Executed transfer debits of an asset with ?3 < created_at <= ?4
	 * (the longest window), for the spending limits; index ledger_window */
	[STMT_VETO_INSERT] =
	    "INSERT INTO vetoes (proposal_id, signer, signature, created_at)"
	    " VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
	[STMT_VETOES_COUNT] =
	    "SELECT count(*) FROM vetoes WHERE proposal_id = ?1",
	[STMT_VETOES_LIST] =
	    "SELECT signer, signature FROM vetoes WHERE proposal_id = ?1"
	    " ORDER BY created_at, signer",
	/* An approval not yet revoked: ?3 now, ?4 the revoke signature. */
	[STMT_VOTE_REVOKE] =
	    "UPDATE votes SET revoked_at = ?3, revoke_signature = ?4"
	    " WHERE proposal_id = ?1 AND signer = ?2 AND decision = 1"
	    " AND revoked_at IS NULL",
	[STMT_REVOCATIONS_LIST] =
	    "SELECT signer, revoke_signature FROM votes WHERE proposal_id = ?1"
	    " AND revoked_at IS NOT NULL ORDER BY revoked_at, signer",
	/* ?2 the freeze number, ?3 now: freezes only an unfrozen treasury */
	[STMT_FREEZE_SET] =
	    "UPDATE treasuries SET frozen = 1, freeze_seq = ?2, frozen_at = ?3"
	    " WHERE id = ?1 AND frozen = 0 AND freeze_seq = ?2 - 1",
	[STMT_FREEZE_LOG] =
	    "INSERT INTO freezes (treasury_id, seq, signer, config_version,"
	    " signature, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
	    " ON CONFLICT DO NOTHING",
	/* An executed unfreeze lifts only the freeze it names (?2). */
	[STMT_UNFREEZE] =
	    "UPDATE treasuries SET frozen = 0, frozen_at = NULL"
	    " WHERE id = ?1 AND frozen = 1 AND freeze_seq = ?2",
	[STMT_KEY_PROOF_INSERT] =
	    "INSERT INTO key_proofs (proposal_id, signature, created_at)"
	    " VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
	[STMT_OUTFLOW] =
	    "SELECT amount, created_at FROM ledger WHERE treasury_id = ?1"
	    " AND asset = ?2 AND kind = 'transfer' AND created_at > ?3"
	    " AND created_at <= ?4",

	/* The high-water mark of time (schema 7, clock.h). */
	[STMT_CLOCK_MARK_GET] =
	    "SELECT high_s FROM clock_mark WHERE id = 1",
	[STMT_CLOCK_MARK_RAISE] =
	    "UPDATE clock_mark SET high_s = ?1 WHERE id = 1 AND high_s < ?1",

	/* GET /v1/journal: ?1 after seq, ?2 limit + 1 */
	[STMT_JOURNAL_PAGE] =
	    "SELECT seq, created_at, treasury_id, type, actor_token,"
	    " actor_signer, payload, hash FROM journal WHERE seq > ?1"
	    " ORDER BY seq LIMIT ?2",
	/* The last entry, by primary key (journal_append). */
	[STMT_JOURNAL_LAST] =
	    "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1",
	[STMT_JOURNAL_INSERT] =
	    "INSERT INTO journal (seq, created_at, treasury_id, type,"
	    " actor_token, actor_signer, payload, hash)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	/* Webhooks (schema 9, storage/webhooks.c, docs/webhooks.md). The
	 * filter: w.events is '' (every type) or ",type,type,". */
#define WEBHOOK_MATCH							\
	"(w.treasury_id IS NULL OR w.treasury_id = j.treasury_id) AND"	\
	" (w.events = '' OR instr(w.events, ',' || j.type || ',') > 0)"
	/* the journal entries past the fan-out mark, into the outbox of
	 * every enabled endpoint registered before them that they match */
	[STMT_WEBHOOK_FANOUT] =
	    "INSERT INTO webhook_outbox (webhook_id, seq, state, attempts,"
	    " next_at_ms) SELECT w.id, j.seq, 'pending', 0, 0"
	    " FROM journal j JOIN webhooks w ON w.enabled = 1"
	    " AND j.seq > w.after_seq AND " WEBHOOK_MATCH
	    " WHERE j.seq > (SELECT seq FROM webhook_fanout WHERE id = 1)"
	    " ON CONFLICT DO NOTHING",
	[STMT_WEBHOOK_ANY_ENABLED] =
	    "SELECT 1 FROM webhooks WHERE enabled = 1 LIMIT 1",
	[STMT_WEBHOOK_JOURNAL_END] =
	    "SELECT coalesce(max(seq), 0) FROM journal",
	/* ?1 a seq the mark has to reach */
	[STMT_WEBHOOK_MARK_SET] =
	    "UPDATE webhook_fanout SET seq = ?1 WHERE id = 1 AND seq < ?1",
	[STMT_WEBHOOK_MARK_RAISE] =
	    "UPDATE webhook_fanout SET seq = (SELECT max(seq) FROM journal)"
	    " WHERE id = 1 AND seq < (SELECT max(seq) FROM journal)",
	/* ?1 url, ?2 events, ?3 treasury or NULL, ?4 secret, ?5 now_s,
	 * ?6 WEBHOOK_ENDPOINTS_MAX: no row when that many exist */
	[STMT_WEBHOOK_INSERT] =
	    "INSERT INTO webhooks (url, events, treasury_id, secret, enabled,"
	    " after_seq, created_at, updated_at) SELECT ?1, ?2, ?3, ?4, 1,"
	    " (SELECT coalesce(max(seq), 0) FROM journal), ?5, ?5"
	    " WHERE (SELECT count(*) FROM webhooks) < ?6 RETURNING id",
	[STMT_WEBHOOK_ENABLE] =
	    "UPDATE webhooks SET enabled = ?2, updated_at = ?3 WHERE id = ?1",
	[STMT_WEBHOOK_ROTATE] =
	    "UPDATE webhooks SET secret = ?2, updated_at = ?3 WHERE id = ?1",
	[STMT_WEBHOOK_DELETE] = "DELETE FROM webhooks WHERE id = ?1",
	[STMT_WEBHOOK_OUTBOX_DELETE] =
	    "DELETE FROM webhook_outbox WHERE webhook_id = ?1",
	[STMT_WEBHOOK_LOG_DELETE] =
	    "DELETE FROM webhook_deliveries WHERE webhook_id = ?1",
	/* ?1 endpoint, ?2..?3 seq range: dead or absent (delivered)
	 * entries it matches back to pending, and pending ones due now with
	 * their attempts counted from 0 again (a head waiting its backoff) */
	[STMT_WEBHOOK_REDELIVER] =
	    "INSERT INTO webhook_outbox (webhook_id, seq, state, attempts,"
	    " next_at_ms) SELECT w.id, j.seq, 'pending', 0, 0"
	    " FROM webhooks w JOIN journal j ON j.seq BETWEEN ?2 AND ?3"
	    " AND " WEBHOOK_MATCH " WHERE w.id = ?1"
	    " ON CONFLICT (webhook_id, seq) DO UPDATE SET state = 'pending',"
	    " attempts = 0, next_at_ms = 0, last_status = NULL,"
	    " last_error = NULL",
	[STMT_WEBHOOK_EXISTS] = "SELECT 1 FROM webhooks WHERE id = ?1",
	/* a failed attempt: ?1 endpoint, ?2 seq, ?3 attempt, ?4 next_at_ms,
	 * ?5 state, ?6 HTTP status or NULL, ?7 error or NULL; only when the
	 * row is still at the attempt before (not redelivered meanwhile) */
	[STMT_WEBHOOK_ROW_SET] =
	    "UPDATE webhook_outbox SET attempts = ?3, next_at_ms = ?4,"
	    " state = ?5, last_status = ?6, last_error = ?7"
	    " WHERE webhook_id = ?1 AND seq = ?2 AND state = 'pending'"
	    " AND attempts = ?3 - 1",
	/* delivered: the row goes (the deliveries log keeps the attempt) */
	[STMT_WEBHOOK_ROW_DONE] =
	    "DELETE FROM webhook_outbox WHERE webhook_id = ?1 AND seq = ?2"
	    " AND state = 'pending' AND attempts = ?3 - 1",
	[STMT_WEBHOOK_LOG_INSERT] =
	    "INSERT INTO webhook_deliveries (webhook_id, seq, attempt, at_ms,"
	    " http_status, error, outcome, next_at_ms)"
	    " SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8"
	    " WHERE EXISTS (SELECT 1 FROM webhooks WHERE id = ?1)",
	/* keep the last ?2 attempts of endpoint ?1 */
	[STMT_WEBHOOK_LOG_TRIM] =
	    "DELETE FROM webhook_deliveries WHERE webhook_id = ?1 AND id <="
	    " (SELECT id FROM webhook_deliveries WHERE webhook_id = ?1"
	    " ORDER BY id DESC LIMIT 1 OFFSET ?2)",
	/* Columns: see WEBHOOK_COL_* in webhooks.c. */
	[STMT_WEBHOOK_LIST] =
	    "SELECT w.id, w.url, w.events, w.treasury_id, w.enabled,"
	    " w.created_at, w.after_seq, (SELECT count(*) FROM webhook_outbox o"
	    " WHERE o.webhook_id = w.id AND o.state = 'pending'),"
	    " (SELECT count(*) FROM webhook_outbox o WHERE o.webhook_id = w.id"
	    " AND o.state = 'dead') FROM webhooks w ORDER BY w.id",
	[STMT_WEBHOOK_GET] =
	    "SELECT w.id, w.url, w.events, w.treasury_id, w.enabled,"
	    " w.created_at, w.after_seq, (SELECT count(*) FROM webhook_outbox o"
	    " WHERE o.webhook_id = w.id AND o.state = 'pending'),"
	    " (SELECT count(*) FROM webhook_outbox o WHERE o.webhook_id = w.id"
	    " AND o.state = 'dead') FROM webhooks w WHERE w.id = ?1",
	[STMT_WEBHOOK_LOG_PAGE] =
	    "SELECT seq, attempt, at_ms, http_status, error, outcome,"
	    " next_at_ms FROM webhook_deliveries WHERE webhook_id = ?1"
	    " ORDER BY id DESC LIMIT ?2",
	/* each enabled endpoint's oldest pending entry */
	[STMT_WEBHOOK_HEADS] =
	    "SELECT w.id, w.url, w.secret, o.seq, o.attempts, o.next_at_ms"
	    " FROM webhooks w JOIN webhook_outbox o ON o.webhook_id = w.id"
	    " AND o.seq = (SELECT min(p.seq) FROM webhook_outbox p"
	    " INDEXED BY webhook_outbox_pending"
	    " WHERE p.webhook_id = w.id AND p.state = 'pending')"
	    " WHERE w.enabled = 1 ORDER BY w.id",
	/* endpoint ?1's oldest pending entry, when it is enabled (read again
	 * before each attempt: url, secret and enabled as they are now) */
	[STMT_WEBHOOK_HEAD] =
	    "SELECT w.id, w.url, w.secret, o.seq, o.attempts, o.next_at_ms"
	    " FROM webhooks w JOIN webhook_outbox o ON o.webhook_id = w.id"
	    " AND o.seq = (SELECT min(p.seq) FROM webhook_outbox p"
	    " INDEXED BY webhook_outbox_pending"
	    " WHERE p.webhook_id = w.id AND p.state = 'pending')"
	    " WHERE w.id = ?1 AND w.enabled = 1",
	/* dead rows that died (next_at_ms) before ?1 */
	[STMT_WEBHOOK_DEAD_PURGE] =
	    "DELETE FROM webhook_outbox WHERE state = 'dead'"
	    " AND next_at_ms < ?1",
	[STMT_WEBHOOK_NEXT] =
	    "SELECT seq, attempts, next_at_ms FROM webhook_outbox"
	    " INDEXED BY webhook_outbox_pending"
	    " WHERE webhook_id = ?1 AND state = 'pending' AND seq > ?2"
	    " ORDER BY seq LIMIT 1",
	[STMT_WEBHOOK_ENTRY] =
	    "SELECT type, created_at, treasury_id, actor_token, actor_signer,"
	    " payload FROM journal WHERE seq = ?1",
	[STMT_WEBHOOK_PENDING_COUNT] =
	    "SELECT count(*) FROM webhook_outbox WHERE state = 'pending'",
#undef WEBHOOK_MATCH
};
