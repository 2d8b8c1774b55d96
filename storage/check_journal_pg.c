/*
 * check_journal_pg.c: the journal's agreement with the engine's tables on
 * PostgreSQL, a part of `treasuryd check` (check_int.h has the contract;
 * check_journal.c the SQLite form of the same checks, one for one, in the
 * same order and with the same names and finding texts).
 *
 * What differs from SQLite's SQL, and why:
 *   - payloads: SQLite's json_valid() has no PostgreSQL 15 counterpart
 *     that does not raise an error, and one malformed payload must be a
 *     finding, not the end of the check. check_journal_pg_begin copies
 *     the journal once into a temporary table with each payload parsed by
 *     a temporary function that returns NULL for what jsonb refuses
 *     (pg_temp.check_json), so each check reads j, never payload::jsonb;
 *   - j ->> 'key' for json_extract (text; numbers compared as text with
 *     CAST(column AS TEXT)), PG_INT for CAST(... AS INTEGER) (NULL, not 0
 *     and not an error, for what is not an integer);
 *   - format('%s') for printf('%d'/'%s'), encode(x, 'hex') for
 *     lower(hex(x)), IS DISTINCT FROM for IS NOT;
 *   - DISTINCT ON (key) ... ORDER BY key, seq DESC for SQLite's "the row
 *     of max(seq)" in a GROUP BY;
 *   - jsonb_array_elements for json_each over an array;
 *   - vetoes has no rowid on PostgreSQL: its findings are in (proposal,
 *     signer) order; NULLS FIRST where SQLite's order puts them first.
 * On payloads the daemon never writes (only an edit makes them), the two
 * forms may word or count their findings differently: jsonb refuses
 * \u0000, lone surrogates and out-of-range numbers (SQLite's json_valid
 * takes them), keeps the last of duplicate keys (SQLite the first),
 * compares numbers written as 6.0 as text, and compares signer objects
 * as values, not as text. Every such edit also breaks the hash chain,
 * which both report the same way.
 * Everything runs in the caller's read transaction; the temporary objects
 * end with the maintenance connection.
 */
#include "check_int.h"

/* A member of the parsed payload of the row in scope, as text. */
#define PJ(key) "(j ->> '" key "')"
/* rows of one type whose payload parsed */
#define PROWS(type) "FROM pg_temp.check_journal WHERE type = '" type "'" \
	" AND j IS NOT NULL"
/* expr (text) as a BIGINT, NULL unless it is a decimal integer */
#define PG_INT(expr) "(CASE WHEN " expr " ~ '^-?[0-9]{1,18}$' THEN"	\
	" CAST(" expr " AS BIGINT) END)"
#define HEX(col) "encode(" col ", 'hex')"

static const char pg_begin_sql[] =
    "CREATE FUNCTION pg_temp.check_json(t text) RETURNS jsonb"
    " LANGUAGE plpgsql IMMUTABLE AS $f$ BEGIN RETURN t::jsonb;"
    " EXCEPTION WHEN others THEN RETURN NULL; END $f$;"
    "CREATE TEMP TABLE check_journal AS SELECT seq, type, payload,"
    " pg_temp.check_json(payload) AS j FROM journal;"
    "CREATE INDEX check_journal_type ON pg_temp.check_journal (type);"
    "ANALYZE pg_temp.check_journal;";

static const struct journal_check pg_checks[] = {
	{ "payloads",
	  "SELECT format('journal entry %s: its payload is not a JSON object',"
	  " seq) FROM pg_temp.check_journal WHERE j IS NULL OR"
	  " jsonb_typeof(j) <> 'object' ORDER BY seq" },
	/* vetoes */
	{ "vetoes",
	  "WITH e AS MATERIALIZED (SELECT " PJ("proposal") " AS pid, "
	  PJ("signer") " AS signer " PROWS("veto.recorded") ")"
	  " SELECT format('proposal %s: the veto of ''%s'' has no veto.recorded"
	  " journal entry', " HEX("v.proposal_id") ", v.signer) FROM vetoes v"
	  " LEFT JOIN e ON e.pid = " HEX("v.proposal_id") " AND e.signer ="
	  " v.signer WHERE e.pid IS NULL AND v.created_at >= ?1"
	  " ORDER BY v.proposal_id, v.signer" },
	{ "veto entries",
	  "WITH e AS MATERIALIZED (SELECT seq, " PJ("proposal") " AS pid, "
	  PJ("signer") " AS signer " PROWS("veto.recorded") "),"
	  " v AS MATERIALIZED (SELECT " HEX("proposal_id") " AS pid, signer"
	  " FROM vetoes)"
	  " SELECT format('journal entry %s: the veto of ''%s'' on proposal %s"
	  " is missing from the vetoes table', e.seq, e.signer, e.pid) FROM e"
	  " LEFT JOIN v ON v.pid = e.pid AND v.signer = e.signer"
	  " WHERE v.pid IS NULL ORDER BY e.seq" },
	/* proposal statuses */
	{ "proposal statuses",
	  "WITH s AS MATERIALIZED (SELECT seq, " PJ("proposal") " AS pid,"
	  " CASE WHEN type = 'proposal.awaiting' THEN 'pending' ELSE "
	  PJ("status") " END AS st FROM pg_temp.check_journal WHERE"
	  " substr(type, 1, 9) = 'proposal.' AND type NOT IN"
	  " ('proposal.voted', 'proposal.settled') AND j IS NOT NULL),"
	  " last AS MATERIALIZED (SELECT DISTINCT ON (pid) pid, st, seq FROM s"
	  " ORDER BY pid, seq DESC)"
	  " SELECT format('proposal %s: status %s, but the journal says %s',"
	  " " HEX("p.id") ", p.status, CASE WHEN last.pid IS NULL THEN"
	  " 'nothing of it (no proposal.created entry)' ELSE format('%s (entry"
	  " %s)', last.st, last.seq) END) FROM proposals p LEFT JOIN last ON"
	  " last.pid = " HEX("p.id") " WHERE last.st IS DISTINCT FROM p.status"
	  " ORDER BY p.rowid" },
	{ "proposal entries",
	  "WITH e AS MATERIALIZED (SELECT seq, type, " PJ("proposal") " AS pid"
	  " FROM pg_temp.check_journal WHERE jsonb_typeof(j -> 'proposal') ="
	  " 'string'),"
	  " ph AS MATERIALIZED (SELECT " HEX("id") " AS pid FROM proposals)"
	  " SELECT format('journal entry %s (%s): proposal %s is missing from"
	  " the proposals table', e.seq, e.type, e.pid) FROM e LEFT JOIN ph"
	  " ON ph.pid = e.pid WHERE ph.pid IS NULL ORDER BY e.seq" },
	/* settlements */
	{ "settlements",
	  "WITH e AS MATERIALIZED (SELECT " PJ("proposal") " AS pid "
	  PROWS("proposal.settled") ")"
	  " SELECT format('proposal %s: settled with reference ''%s'', without"
	  " a proposal.settled journal entry', " HEX("p.id") ", p.settlement)"
	  " FROM proposals p LEFT JOIN e ON e.pid = " HEX("p.id")
	  " WHERE p.settlement IS NOT NULL AND p.settled_at >= ?1"
	  " AND e.pid IS NULL ORDER BY p.rowid" },
	{ "settlement entries",
	  "WITH e AS MATERIALIZED (SELECT seq, " PJ("proposal") " AS pid, "
	  PJ("reference") " AS ref " PROWS("proposal.settled") "),"
	  " ph AS MATERIALIZED (SELECT " HEX("id") " AS pid, settlement"
	  " FROM proposals)"
	  " SELECT format('proposal %s: settlement reference %s, but its"
	  " proposal.settled journal entry %s says ''%s''', e.pid, CASE WHEN"
	  " ph.settlement IS NULL THEN '(none)' ELSE '''' || ph.settlement ||"
	  " '''' END, e.seq, e.ref) FROM e JOIN ph ON ph.pid = e.pid"
	  " WHERE ph.settlement IS DISTINCT FROM e.ref ORDER BY e.seq" },
	/* freezes */
	{ "freezes",
	  "WITH e AS MATERIALIZED (SELECT " PJ("treasury") " AS tid, "
	  PG_INT(PJ("freeze_seq")) " AS fs, " PJ("signer") " AS signer "
	  PROWS("treasury.frozen") ")"
	  " SELECT format('treasury %s: the request of ''%s'' for freeze %s has"
	  " no treasury.frozen journal entry', f.treasury_id, f.signer, f.seq)"
	  " FROM freezes f LEFT JOIN e ON e.tid = f.treasury_id AND e.fs ="
	  " f.seq AND e.signer = f.signer WHERE e.tid IS NULL"
	  " AND f.created_at >= ?1 ORDER BY f.rowid" },
	{ "freeze entries",
	  "WITH e AS MATERIALIZED (SELECT seq, " PJ("treasury") " AS tid, "
	  PG_INT(PJ("freeze_seq")) " AS fs, " PJ("signer") " AS signer "
	  PROWS("treasury.frozen") "),"
	  " f AS MATERIALIZED (SELECT treasury_id AS tid, seq AS fs, signer"
	  " FROM freezes)"
	  " SELECT format('journal entry %s: the request of ''%s'' for freeze"
	  " %s of treasury %s is missing from the freezes table', e.seq,"
	  " e.signer, coalesce(e.fs, 0), e.tid) FROM e LEFT JOIN f ON f.tid = e.tid AND"
	  " f.fs = e.fs AND f.signer = e.signer WHERE f.tid IS NULL"
	  " ORDER BY e.seq" },
	{ "freeze state",
	  "WITH s AS MATERIALIZED (SELECT seq, " PJ("treasury") " AS tid,"
	  " type = 'treasury.frozen' AS frozen, " PG_INT(PJ("freeze_seq"))
	  " AS fs FROM pg_temp.check_journal WHERE type IN"
	  " ('treasury.frozen', 'treasury.unfrozen') AND j IS NOT NULL),"
	  " last AS MATERIALIZED (SELECT DISTINCT ON (tid) tid, frozen, fs, seq"
	  " FROM s ORDER BY tid, seq DESC)"
	  " SELECT format('treasury %s: %s, but the journal says %s', t.id,"
	  " CASE WHEN t.frozen <> 0 THEN format('frozen by freeze %s',"
	  " t.freeze_seq) ELSE 'not frozen' END, CASE WHEN last.tid IS NULL"
	  " THEN 'it was never frozen' WHEN last.frozen THEN format('frozen by"
	  " freeze %s (entry %s)', coalesce(last.fs, 0), last.seq) ELSE"
	  " format('unfrozen"
	  " (entry %s)', last.seq) END) FROM treasuries t LEFT JOIN last ON"
	  " last.tid = t.id WHERE coalesce(t.frozen_at, ?1) >= ?1 AND NOT"
	  " (coalesce(last.frozen, false) = (t.frozen <> 0) AND (t.frozen = 0"
	  " OR last.fs IS NOT DISTINCT FROM t.freeze_seq))"
	  " ORDER BY t.id" },
	/* deposits */
	{ "deposits",
	  "WITH e AS MATERIALIZED (SELECT seq, " PG_INT(PJ("ledger_seq"))
	  " AS ls, " PJ("treasury") " AS tid, " PJ("asset") " AS asset, "
	  PJ("amount_minor") " AS amount, " PJ("reference") " AS ref, "
	  PJ("source") " AS src, " PJ("memo") " AS memo " PROWS("deposit") ")"
	  " SELECT CASE WHEN e.seq IS NULL THEN format('ledger entry %s: a"
	  " deposit without its deposit journal entry', l.seq) ELSE"
	  " format('ledger entry %s: deposit of %s minor units of %s to %s,"
	  " reference ''%s'', but journal entry %s says %s of %s to %s,"
	  " reference ''%s''%s', l.seq, l.amount, l.asset, l.treasury_id,"
	  " l.reference, e.seq, e.amount, e.asset, e.tid, e.ref, CASE WHEN"
	  " (e.src IS NOT NULL AND e.src IS DISTINCT FROM l.source) OR"
	  " (e.memo IS NOT NULL AND e.memo IS DISTINCT FROM l.memo) THEN"
	  " ' (its source or memo differs)' ELSE '' END) END FROM ledger l"
	  " LEFT JOIN e ON e.ls = l.seq WHERE l.kind = 'deposit' AND (e.seq IS"
	  " NULL OR e.tid IS DISTINCT FROM l.treasury_id OR e.asset IS"
	  " DISTINCT FROM l.asset OR e.amount IS DISTINCT FROM l.amount OR"
	  " e.ref IS DISTINCT FROM l.reference OR (e.src IS NOT NULL AND"
	  " e.src IS DISTINCT FROM l.source) OR (e.memo IS NOT NULL AND"
	  " e.memo IS DISTINCT FROM l.memo)) ORDER BY l.seq" },
	{ "deposit entries",
	  "WITH e AS MATERIALIZED (SELECT seq, " PG_INT(PJ("ledger_seq"))
	  " AS ls, " PJ("treasury") " AS tid, " PJ("asset") " AS asset, "
	  PJ("amount_minor") " AS amount, " PJ("reference") " AS ref "
	  PROWS("deposit") ")"
	  " SELECT format('journal entry %s: the deposit ''%s'' of %s minor"
	  " units of %s to treasury %s (ledger entry %s) is missing from the"
	  " ledger', e.seq, e.ref, e.amount, e.asset, e.tid, e.ls) FROM e"
	  " LEFT JOIN ledger l ON l.seq = e.ls AND l.kind = 'deposit'"
	  " WHERE l.seq IS NULL ORDER BY e.seq" },
	/* accounting labels */
	{ "ledger labels",
	  "WITH c AS MATERIALIZED (SELECT seq, " PG_INT(PJ("ledger_seq"))
	  " AS ls, " PJ("category") " AS cat " PROWS("category.changed")
	  " AND " PJ("ledger_seq") " IS NOT NULL),"
	  " last AS MATERIALIZED (SELECT DISTINCT ON (ls) ls, cat, seq FROM c"
	  " ORDER BY ls, seq DESC),"
	  " d AS MATERIALIZED (SELECT seq, " PG_INT(PJ("ledger_seq"))
	  " AS ls, " PJ("category") " AS cat " PROWS("deposit") "),"
	  " w AS (SELECT l.seq AS seq, l.category AS category, CASE WHEN"
	  " last.ls IS NOT NULL THEN last.cat ELSE d.cat END AS want,"
	  " CASE WHEN last.ls IS NOT NULL THEN last.seq ELSE d.seq END AS js"
	  " FROM ledger l LEFT JOIN last ON last.ls = l.seq"
	  " LEFT JOIN d ON d.ls = l.seq AND l.kind = 'deposit')"
	  " SELECT format('ledger entry %s: category %s, but journal entry %s"
	  " says %s', seq, coalesce('''' || category || '''', 'none'), js,"
	  " coalesce('''' || want || '''', 'none')) FROM w"
	  " WHERE js IS NOT NULL AND want IS DISTINCT FROM category"
	  " ORDER BY seq" },
	/* debits */
	{ "debits",
	  "WITH d AS MATERIALIZED (SELECT jj.seq AS seq,"
	  " jj.j ->> 'proposal' AS pid, jj.j ->> 'treasury' AS tid, "
	  PG_INT("(x ->> 'ledger_seq')") " AS ls,"
	  " x ->> 'amount_minor' AS amount, x ->> 'asset' AS asset,"
	  " x ->> 'to' AS dest FROM pg_temp.check_journal jj,"
	  " jsonb_array_elements(CASE WHEN jsonb_typeof(jj.j -> 'debits') ="
	  " 'array' THEN jj.j -> 'debits' ELSE '[]'::jsonb END) x"
	  " WHERE jj.type = 'proposal.executed' AND jsonb_typeof(x) ="
	  " 'object')"
	  " SELECT CASE WHEN d.seq IS NULL THEN format('ledger entry %s: a"
	  " debit of proposal %s without its item in a proposal.executed"
	  " journal entry', l.seq, " HEX("l.proposal_id") ") ELSE"
	  " format('ledger entry %s: debit of %s minor units of %s to ''%s'' by"
	  " proposal %s, but journal entry %s says %s of %s to ''%s'' by"
	  " proposal %s', l.seq, l.amount, l.asset, l.to_dest, "
	  HEX("l.proposal_id") ", d.seq, d.amount, d.asset, d.dest, d.pid)"
	  " END FROM ledger l LEFT JOIN d ON d.ls = l.seq"
	  " WHERE l.kind = 'transfer' AND ((d.seq IS NULL AND"
	  " l.created_at >= ?1) OR (d.seq IS NOT NULL AND (d.pid IS DISTINCT"
	  " FROM " HEX("l.proposal_id") " OR d.tid IS DISTINCT FROM"
	  " l.treasury_id OR d.amount IS DISTINCT FROM l.amount OR d.asset IS"
	  " DISTINCT FROM l.asset OR d.dest IS DISTINCT FROM l.to_dest)))"
	  " ORDER BY l.seq" },
	{ "debit entries",
	  "WITH d AS MATERIALIZED (SELECT jj.seq AS seq,"
	  " jj.j ->> 'proposal' AS pid, "
	  PG_INT("(x ->> 'ledger_seq')") " AS ls,"
	  " x ->> 'amount_minor' AS amount, x ->> 'asset' AS asset,"
	  " x ->> 'to' AS dest FROM pg_temp.check_journal jj,"
	  " jsonb_array_elements(CASE WHEN jsonb_typeof(jj.j -> 'debits') ="
	  " 'array' THEN jj.j -> 'debits' ELSE '[]'::jsonb END) x"
	  " WHERE jj.type = 'proposal.executed' AND jsonb_typeof(x) ="
	  " 'object')"
	  " SELECT format('journal entry %s: the debit of %s minor units of %s"
	  " to ''%s'' by proposal %s (ledger entry %s) is missing from the"
	  " ledger', d.seq, d.amount, d.asset, d.dest, d.pid, d.ls) FROM d"
	  " LEFT JOIN ledger l ON l.seq = d.ls AND l.kind = 'transfer'"
	  " WHERE l.seq IS NULL ORDER BY d.seq" },
	/* key proofs */
	{ "key proofs",
	  "WITH e AS MATERIALIZED (SELECT seq, " PJ("proposal") " AS pid "
	  PROWS("key.proved") "),"
	  " k AS MATERIALIZED (SELECT " HEX("proposal_id") " AS pid,"
	  " created_at FROM key_proofs)"
	  " SELECT CASE WHEN e.seq IS NULL THEN format('proposal %s: its key"
	  " proof has no key.proved journal entry', k.pid) ELSE"
	  " format('journal entry %s: the key proof of proposal %s is missing"
	  " from the key_proofs table', e.seq, e.pid) END FROM k FULL JOIN e"
	  " ON e.pid = k.pid WHERE (e.seq IS NULL AND k.created_at >= ?1)"
	  " OR k.pid IS NULL ORDER BY e.seq NULLS FIRST, k.pid NULLS FIRST" },
	/* votes and revocations */
	{ "votes",
	  "WITH e AS MATERIALIZED (SELECT " PJ("proposal") " AS pid, "
	  PJ("signer") " AS signer, " PJ("decision") " AS decision "
	  PROWS("proposal.voted") ")"
	  " SELECT format('proposal %s: the %s of ''%s'' %s', "
	  HEX("v.proposal_id") ", CASE v.decision WHEN 1 THEN 'approval' ELSE"
	  " 'rejection' END, v.signer, CASE WHEN e.pid IS NULL THEN 'has no"
	  " proposal.voted journal entry' ELSE format('is journaled as %s',"
	  " e.decision) END) FROM votes v LEFT JOIN e ON e.pid = "
	  HEX("v.proposal_id") " AND e.signer = v.signer"
	  " WHERE (e.pid IS NULL AND v.created_at >= ?1) OR (e.pid IS NOT NULL"
	  " AND e.decision IS DISTINCT FROM CASE v.decision WHEN 1 THEN"
	  " 'approve' ELSE 'reject' END) ORDER BY v.rowid" },
	{ "vote entries",
	  "WITH e AS MATERIALIZED (SELECT seq, " PJ("proposal") " AS pid, "
	  PJ("signer") " AS signer " PROWS("proposal.voted") "),"
	  " v AS MATERIALIZED (SELECT " HEX("proposal_id") " AS pid, signer"
	  " FROM votes)"
	  " SELECT format('journal entry %s: the vote of ''%s'' on proposal %s"
	  " is missing from the votes table', e.seq, e.signer, e.pid) FROM e"
	  " LEFT JOIN v ON v.pid = e.pid AND v.signer = e.signer"
	  " WHERE v.pid IS NULL ORDER BY e.seq" },
	{ "revocations",
	  "WITH e AS MATERIALIZED (SELECT seq, " PJ("proposal") " AS pid, "
	  PJ("signer") " AS signer " PROWS("vote.revoked") "),"
	  " v AS MATERIALIZED (SELECT " HEX("proposal_id") " AS pid, signer,"
	  " revoked_at FROM votes)"
	  " SELECT CASE WHEN e.seq IS NULL THEN format('proposal %s: the"
	  " approval of ''%s'' is revoked without a vote.revoked journal"
	  " entry', v.pid, v.signer) ELSE format('journal entry %s: the"
	  " revocation of ''%s'' on proposal %s has no revoked approval in"
	  " the votes table',"
	  " e.seq, e.signer, e.pid) END FROM v FULL JOIN e ON e.pid = v.pid"
	  " AND e.signer = v.signer WHERE (e.seq IS NULL AND v.revoked_at >= ?1)"
	  " OR (e.seq IS NOT NULL AND v.revoked_at IS NULL)"
	  " ORDER BY e.seq NULLS FIRST, v.pid NULLS FIRST" },
	/* assets */
	{ "assets",
	  "WITH e AS MATERIALIZED (SELECT seq, " PJ("asset") " AS code, "
	  PJ("chain") " AS chain, " PJ("decimals") " AS decimals "
	  PROWS("asset.created") ")"
	  " SELECT CASE WHEN e.seq IS NULL THEN format('asset %s: it has no"
	  " asset.created journal entry', a.code) ELSE format('asset %s: %s"
	  " decimals on chain ''%s'', but journal entry %s says %s decimals on"
	  " chain ''%s''', a.code, a.decimals, a.chain, e.seq, e.decimals,"
	  " e.chain) END FROM assets a LEFT JOIN e ON e.code = a.code"
	  " WHERE (e.seq IS NULL AND a.created_at >= ?1) OR (e.seq IS NOT NULL"
	  " AND (e.chain IS DISTINCT FROM a.chain OR e.decimals IS DISTINCT"
	  " FROM CAST(a.decimals AS TEXT))) ORDER BY a.code" },
	{ "asset entries",
	  "WITH e AS MATERIALIZED (SELECT seq, " PJ("asset") " AS code "
	  PROWS("asset.created") ")"
	  " SELECT format('journal entry %s: asset ''%s'' is missing from the"
	  " assets table', e.seq, e.code) FROM e LEFT JOIN assets a"
	  " ON a.code = e.code WHERE a.code IS NULL ORDER BY e.seq" },
	/* config versions */
	{ "config versions",
	  "WITH e AS MATERIALIZED (SELECT seq, type, " PJ("treasury")
	  " AS tid, " PG_INT(PJ("config_version")) " AS ver, "
	  PJ("threshold") " AS th, " PJ("policy_digest") " AS pd,"
	  " j -> 'signers' AS sg, " PJ("name") " AS nm, substr(payload, 1, 12)"
	  " = '{\"treasury\":' AS legacy FROM pg_temp.check_journal WHERE type"
	  " IN ('treasury.created', 'config.changed') AND j IS NOT NULL),"
	  " c AS MATERIALIZED (SELECT tc.treasury_id AS tid, tc.version AS ver,"
	  " tc.threshold AS th, tc.created_at AS created_at, (SELECT "
	  HEX("pol.digest") " FROM policies pol WHERE pol.treasury_id ="
	  " tc.treasury_id AND pol.version = tc.version) AS pd, (SELECT"
	  " coalesce(jsonb_agg(jsonb_build_object('key_type', s.key_type,"
	  " 'name', s.name, 'pubkey', " HEX("s.pubkey") ") ORDER BY s.name),"
	  " '[]'::jsonb) FROM signers s WHERE s.treasury_id = tc.treasury_id"
	  " AND s.version = tc.version) AS sg, (SELECT t.name FROM"
	  " treasuries t WHERE t.id = tc.treasury_id) AS nm"
	  " FROM treasury_configs tc)"
	  " SELECT CASE WHEN e.seq IS NULL THEN format('treasury %s: config"
	  " version %s has no treasury.created or config.changed journal"
	  " entry', c.tid, c.ver) WHEN c.tid IS NULL THEN format('journal"
	  " entry %s (%s): config version %s of treasury %s is missing from"
	  " the treasury_configs table', e.seq, e.type, e.ver, e.tid) ELSE"
	  " format('treasury %s config version %s: its %s disagree with"
	  " journal entry %s (%s)', c.tid, c.ver, rtrim(CASE WHEN e.th IS"
	  " DISTINCT FROM CAST(c.th AS TEXT) THEN format('threshold (%s; the"
	  " journal says %s), ', c.th, e.th) ELSE '' END || CASE WHEN NOT"
	  " e.legacy AND e.sg IS DISTINCT FROM c.sg THEN 'signers, ' ELSE ''"
	  " END || CASE WHEN NOT e.legacy AND e.pd IS DISTINCT FROM c.pd THEN"
	  " 'policy digest, ' ELSE '' END || CASE WHEN NOT e.legacy AND"
	  " e.type = 'treasury.created' AND e.nm IS DISTINCT FROM c.nm THEN"
	  " 'name, ' ELSE '' END, ', '), e.seq, e.type) END"
	  " FROM c FULL JOIN e ON e.tid = c.tid AND e.ver = c.ver"
	  " WHERE (e.seq IS NULL AND c.created_at >= ?1) OR c.tid IS NULL OR"
	  " (e.seq IS NOT NULL AND (e.th IS DISTINCT FROM CAST(c.th AS TEXT)"
	  " OR (NOT e.legacy AND (e.sg IS DISTINCT FROM c.sg OR e.pd IS"
	  " DISTINCT FROM c.pd OR (e.type = 'treasury.created' AND e.nm IS"
	  " DISTINCT FROM c.nm)))))"
	  " ORDER BY c.tid NULLS FIRST, c.ver NULLS FIRST, e.seq NULLS FIRST" },
	/* tokens */
	{ "tokens",
	  "WITH c AS MATERIALIZED (SELECT seq, " PJ("name") " AS nm, "
	  PJ("token_hash") " AS h, " PJ("client_cert_sha256") " AS cert,"
	  " (SELECT string_agg(r.value, ',' ORDER BY r.ord) FROM"
	  " jsonb_array_elements_text(CASE WHEN jsonb_typeof(check_journal.j"
	  " -> 'roles') = 'array' THEN check_journal.j -> 'roles' ELSE"
	  " '[]'::jsonb END) WITH ORDINALITY r(value, ord)) AS roles "
	  PROWS("token.created") "),"
	  " x AS MATERIALIZED (SELECT jj.seq AS seq, jj.type AS type,"
	  " jj.j ->> 'name' AS nm, jj.j ->> 'client_cert_sha256' AS cert,"
	  " (SELECT max(c.seq) FROM c WHERE c.nm = jj.j ->> 'name' AND"
	  " c.seq < jj.seq) AS cseq FROM pg_temp.check_journal jj"
	  " WHERE jj.type IN ('token.revoked', 'token.bound')"
	  " AND jj.j IS NOT NULL),"
	  " st AS MATERIALIZED (SELECT c.seq AS seq, c.nm AS nm, c.h AS h,"
	  " c.roles AS roles, EXISTS (SELECT 1 FROM x WHERE x.cseq = c.seq AND"
	  " x.type = 'token.revoked') AS revoked, CASE WHEN EXISTS (SELECT 1"
	  " FROM x WHERE x.cseq = c.seq AND x.type = 'token.bound') THEN"
	  " (SELECT x.cert FROM x WHERE x.cseq = c.seq AND x.type ="
	  " 'token.bound' ORDER BY x.seq DESC LIMIT 1) ELSE c.cert END AS cert"
	  " FROM c),"
	  " t AS MATERIALIZED (SELECT id, name, " HEX("hash") " AS h,"
	  " rtrim(CASE WHEN roles & 1 <> 0 THEN 'admin,' ELSE '' END || CASE"
	  " WHEN roles & 2 <> 0 THEN 'treasurer,' ELSE '' END || CASE WHEN"
	  " roles & 4 <> 0 THEN 'signer,' ELSE '' END || CASE WHEN roles & 8"
	  " <> 0 THEN 'viewer,' ELSE '' END, ',') AS roles, revoked_at, CASE"
	  " WHEN client_cert_sha256 IS NOT NULL THEN "
	  HEX("client_cert_sha256") " END AS cert, created_at FROM tokens)"
	  " SELECT CASE WHEN st.seq IS NULL THEN format('token %s ''%s'': it"
	  " has no token.created journal entry (or its hash was replaced)',"
	  " t.id, t.name) WHEN t.id IS NULL THEN format('journal entry %s:"
	  " token ''%s'' is missing from the tokens table (or its hash was"
	  " replaced)', st.seq, st.nm) ELSE format('token %s ''%s'': its %s"
	  " disagree with the journal (token.created entry %s)', t.id, t.name,"
	  " rtrim(CASE WHEN st.nm IS DISTINCT FROM t.name THEN 'name, ' ELSE"
	  " '' END || CASE WHEN st.roles IS DISTINCT FROM t.roles THEN"
	  " format('roles (%s; the journal says %s), ', t.roles, st.roles)"
	  " ELSE '' END || CASE WHEN st.revoked IS DISTINCT FROM"
	  " (t.revoked_at IS NOT NULL) THEN format('revocation (%s; the"
	  " journal says %s), ', CASE WHEN t.revoked_at IS NULL THEN 'live'"
	  " ELSE 'revoked' END, CASE WHEN st.revoked THEN 'revoked' ELSE"
	  " 'live' END) ELSE '' END || CASE WHEN st.cert IS DISTINCT FROM"
	  " t.cert THEN 'client certificate binding, ' ELSE '' END, ', '),"
	  " st.seq) END"
	  " FROM t FULL JOIN st ON st.h = t.h"
	  " WHERE (st.seq IS NULL AND (t.created_at >= ?1 OR (t.revoked_at >="
	  " ?1 AND NOT EXISTS (SELECT 1 FROM x WHERE x.cseq IS NULL AND x.type"
	  " = 'token.revoked' AND x.nm = t.name)))) OR t.id IS NULL OR"
	  " (st.seq IS NOT NULL AND t.id IS NOT NULL AND (st.nm IS DISTINCT"
	  " FROM t.name OR st.roles IS DISTINCT FROM t.roles OR st.revoked IS"
	  " DISTINCT FROM (t.revoked_at IS NOT NULL) OR st.cert IS DISTINCT"
	  " FROM t.cert))"
	  " ORDER BY t.id NULLS FIRST, st.seq NULLS FIRST" },
};

#undef PJ
#undef PROWS
#undef PG_INT
#undef HEX

treasury_err
check_journal_pg_begin(struct db *db)
{
	return store_err_from_db(db, db_exec(db, pg_begin_sql));
}

const struct journal_check *
check_journal_pg_checks(size_t *n)
{
	*n = sizeof(pg_checks) / sizeof(pg_checks[0]);
	return pg_checks;
}
