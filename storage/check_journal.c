/*
 * check_journal.c: the journal's agreement with the engine's tables, a
 * part of `treasuryd check` (check_int.h has the contract).
 *
 * Each check is one SELECT whose rows are findings, the text made in SQL
 * with printf() and escaped in C before anyone sees it (on PostgreSQL the
 * same checks in its SQL: check_journal_pg.c). Payloads are read
 * with SQLite's JSON functions, only from rows whose payload json_valid()
 * accepts (an invalid one is a finding of its own, never an error that
 * stops the check). Each side of a comparison is a MATERIALIZED common
 * table expression joined on its key, so SQLite builds an automatic index
 * instead of scanning the journal once per row (a key compared with an
 * INTEGER column is CAST to INTEGER in the expression: a value without
 * affinity against the ledger's rowid gets no automatic index, and 50000
 * deposits took minutes instead of a fraction of a second).
 *
 * ?1 is the time from which rows must have entries the events table of
 * schema 3..7 never wrote (see journal_since).
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "treasury/journal.h"

#include "check_int.h"

/* A payload member of the journal row in scope. */
#define JX(key) "json_extract(payload, '$." key "')"
/* journal rows of one type whose payload can be read */
#define JROWS(type) "FROM journal WHERE type = '" type "'"		\
	" AND json_valid(payload)"

static const struct journal_check journal_checks[] = {
	{ "payloads",
	  "SELECT printf('journal entry %d: its payload is not a JSON object',"
	  " seq) FROM journal WHERE CASE WHEN json_valid(payload) THEN"
	  " json_type(payload) <> 'object' ELSE 1 END ORDER BY seq" },
	/* vetoes */
	{ "vetoes",
	  "WITH e AS MATERIALIZED (SELECT " JX("proposal") " AS pid, "
	  JX("signer") " AS signer " JROWS("veto.recorded") ")"
	  " SELECT printf('proposal %s: the veto of ''%s'' has no veto.recorded"
	  " journal entry', lower(hex(v.proposal_id)), v.signer) FROM vetoes v"
	  " LEFT JOIN e ON e.pid = lower(hex(v.proposal_id)) AND e.signer ="
	  " v.signer WHERE e.pid IS NULL AND v.created_at >= ?1"
	  " ORDER BY v.rowid" },
	{ "veto entries",
	  "WITH e AS MATERIALIZED (SELECT seq, " JX("proposal") " AS pid, "
	  JX("signer") " AS signer " JROWS("veto.recorded") "),"
	  " v AS MATERIALIZED (SELECT lower(hex(proposal_id)) AS pid, signer"
	  " FROM vetoes)"
	  " SELECT printf('journal entry %d: the veto of ''%s'' on proposal %s"
	  " is missing from the vetoes table', e.seq, e.signer, e.pid) FROM e"
	  " LEFT JOIN v ON v.pid = e.pid AND v.signer = e.signer"
	  " WHERE v.pid IS NULL ORDER BY e.seq" },
	/* proposal statuses */
	{ "proposal statuses",
	  "WITH s AS MATERIALIZED (SELECT seq, " JX("proposal") " AS pid,"
	  " CASE WHEN type = 'proposal.awaiting' THEN 'pending' ELSE "
	  JX("status") " END AS st FROM journal WHERE substr(type, 1, 9) ="
	  " 'proposal.' AND type NOT IN ('proposal.voted', 'proposal.settled')"
	  " AND json_valid(payload)),"
	  " last AS MATERIALIZED (SELECT pid, st, max(seq) AS seq FROM s"
	  " GROUP BY pid)"
	  " SELECT printf('proposal %s: status %s, but the journal says %s',"
	  " lower(hex(p.id)), p.status, CASE WHEN last.pid IS NULL THEN"
	  " 'nothing of it (no proposal.created entry)' ELSE printf('%s (entry"
	  " %d)', last.st, last.seq) END) FROM proposals p LEFT JOIN last ON"
	  " last.pid = lower(hex(p.id)) WHERE last.st IS NOT p.status"
	  " ORDER BY p.rowid" },
	{ "proposal entries",
	  "WITH e AS MATERIALIZED (SELECT seq, type, " JX("proposal") " AS pid"
	  " FROM journal WHERE CASE WHEN json_valid(payload) THEN"
	  " json_type(payload, '$.proposal') = 'text' ELSE 0 END),"
	  " ph AS MATERIALIZED (SELECT lower(hex(id)) AS pid FROM proposals)"
	  " SELECT printf('journal entry %d (%s): proposal %s is missing from"
	  " the proposals table', e.seq, e.type, e.pid) FROM e LEFT JOIN ph"
	  " ON ph.pid = e.pid WHERE ph.pid IS NULL ORDER BY e.seq" },
	/* settlements */
	{ "settlements",
	  "WITH e AS MATERIALIZED (SELECT " JX("proposal") " AS pid "
	  JROWS("proposal.settled") ")"
	  " SELECT printf('proposal %s: settled with reference ''%s'', without"
	  " a proposal.settled journal entry', lower(hex(p.id)), p.settlement)"
	  " FROM proposals p LEFT JOIN e ON e.pid = lower(hex(p.id))"
	  " WHERE p.settlement IS NOT NULL AND p.settled_at >= ?1"
	  " AND e.pid IS NULL ORDER BY p.rowid" },
	{ "settlement entries",
	  "WITH e AS MATERIALIZED (SELECT seq, " JX("proposal") " AS pid, "
	  JX("reference") " AS ref " JROWS("proposal.settled") "),"
	  " ph AS MATERIALIZED (SELECT lower(hex(id)) AS pid, settlement"
	  " FROM proposals)"
	  " SELECT printf('proposal %s: settlement reference %s, but its"
	  " proposal.settled journal entry %d says ''%s''', e.pid, CASE WHEN"
	  " ph.settlement IS NULL THEN '(none)' ELSE '''' || ph.settlement ||"
	  " '''' END, e.seq, e.ref) FROM e JOIN ph ON ph.pid = e.pid"
	  " WHERE ph.settlement IS NOT e.ref ORDER BY e.seq" },
	/* freezes */
	{ "freezes",
	  "WITH e AS MATERIALIZED (SELECT " JX("treasury") " AS tid, "
	  "CAST(" JX("freeze_seq") " AS INTEGER) AS fs, " JX("signer")
	  " AS signer " JROWS("treasury.frozen") ")"
	  " SELECT printf('treasury %s: the request of ''%s'' for freeze %d has"
	  " no treasury.frozen journal entry', f.treasury_id, f.signer, f.seq)"
	  " FROM freezes f LEFT JOIN e ON e.tid = f.treasury_id AND e.fs ="
	  " f.seq AND e.signer = f.signer WHERE e.tid IS NULL"
	  " AND f.created_at >= ?1 ORDER BY f.rowid" },
	{ "freeze entries",
	  "WITH e AS MATERIALIZED (SELECT seq, " JX("treasury") " AS tid, "
	  "CAST(" JX("freeze_seq") " AS INTEGER) AS fs, " JX("signer")
	  " AS signer " JROWS("treasury.frozen") "),"
	  " f AS MATERIALIZED (SELECT treasury_id AS tid, seq AS fs, signer"
	  " FROM freezes)"
	  " SELECT printf('journal entry %d: the request of ''%s'' for freeze"
	  " %d of treasury %s is missing from the freezes table', e.seq,"
	  " e.signer, e.fs, e.tid) FROM e LEFT JOIN f ON f.tid = e.tid AND"
	  " f.fs = e.fs AND f.signer = e.signer WHERE f.tid IS NULL"
	  " ORDER BY e.seq" },
	{ "freeze state",
	  "WITH s AS MATERIALIZED (SELECT seq, " JX("treasury") " AS tid,"
	  " type = 'treasury.frozen' AS frozen, CAST(" JX("freeze_seq")
	  " AS INTEGER) AS fs"
	  " FROM journal WHERE type IN ('treasury.frozen', 'treasury.unfrozen')"
	  " AND json_valid(payload)),"
	  " last AS MATERIALIZED (SELECT tid, frozen, fs, max(seq) AS seq FROM s"
	  " GROUP BY tid)"
	  " SELECT printf('treasury %s: %s, but the journal says %s', t.id,"
	  " CASE WHEN t.frozen THEN printf('frozen by freeze %d', t.freeze_seq)"
	  " ELSE 'not frozen' END, CASE WHEN last.tid IS NULL THEN 'it was"
	  " never frozen' WHEN last.frozen THEN printf('frozen by freeze %d"
	  " (entry %d)', last.fs, last.seq) ELSE printf('unfrozen (entry %d)',"
	  " last.seq) END) FROM treasuries t LEFT JOIN last ON last.tid = t.id"
	  " WHERE coalesce(t.frozen_at, ?1) >= ?1 AND NOT (coalesce(last.frozen,"
	  " 0) = t.frozen AND (t.frozen = 0 OR last.fs IS t.freeze_seq))"
	  " ORDER BY t.id" },
	/* deposits */
	{ "deposits",
	  "WITH e AS MATERIALIZED (SELECT seq, CAST(" JX("ledger_seq")
	  " AS INTEGER) AS ls, "
	  JX("treasury") " AS tid, " JX("asset") " AS asset, "
	  JX("amount_minor") " AS amount, " JX("reference") " AS ref, "
	  JX("source") " AS src, " JX("memo") " AS memo " JROWS("deposit") ")"
	  " SELECT CASE WHEN e.seq IS NULL THEN printf('ledger entry %d: a"
	  " deposit without its deposit journal entry', l.seq) ELSE"
	  " printf('ledger entry %d: deposit of %s minor units of %s to %s,"
	  " reference ''%s'', but journal entry %d says %s of %s to %s,"
	  " reference ''%s''%s', l.seq, l.amount, l.asset, l.treasury_id,"
	  " l.reference, e.seq, e.amount, e.asset, e.tid, e.ref, CASE WHEN"
	  " (e.src IS NOT NULL AND e.src IS NOT l.source) OR (e.memo IS NOT"
	  " NULL AND e.memo IS NOT l.memo) THEN ' (its source or memo differs)'"
	  " ELSE '' END) END FROM ledger l LEFT JOIN e ON e.ls = l.seq"
	  " WHERE l.kind = 'deposit' AND (e.seq IS NULL OR e.tid IS NOT"
	  " l.treasury_id OR e.asset IS NOT l.asset OR e.amount IS NOT l.amount"
	  " OR e.ref IS NOT l.reference OR (e.src IS NOT NULL AND e.src IS NOT"
	  " l.source) OR (e.memo IS NOT NULL AND e.memo IS NOT l.memo))"
	  " ORDER BY l.seq" },
	{ "deposit entries",
	  "WITH e AS MATERIALIZED (SELECT seq, CAST(" JX("ledger_seq")
	  " AS INTEGER) AS ls, "
	  JX("treasury") " AS tid, " JX("asset") " AS asset, "
	  JX("amount_minor") " AS amount, " JX("reference") " AS ref "
	  JROWS("deposit") ")"
	  " SELECT printf('journal entry %d: the deposit ''%s'' of %s minor"
	  " units of %s to treasury %s (ledger entry %s) is missing from the"
	  " ledger', e.seq, e.ref, e.amount, e.asset, e.tid, e.ls) FROM e"
	  " LEFT JOIN ledger l ON l.seq = e.ls AND l.kind = 'deposit'"
	  " WHERE l.seq IS NULL ORDER BY e.seq" },
	/* accounting labels (issue #14): a ledger entry's category is the
	 * one of its last category.changed entry, else (a deposit) the one
	 * its deposit entry states (absent: none) */
	{ "ledger labels",
	  "WITH c AS MATERIALIZED (SELECT seq, CAST(" JX("ledger_seq")
	  " AS INTEGER) AS ls, " JX("category") " AS cat "
	  JROWS("category.changed") " AND " JX("ledger_seq") " IS NOT NULL),"
	  " last AS MATERIALIZED (SELECT ls, cat, max(seq) AS seq FROM c"
	  " GROUP BY ls),"
	  " d AS MATERIALIZED (SELECT seq, CAST(" JX("ledger_seq")
	  " AS INTEGER) AS ls, " JX("category") " AS cat " JROWS("deposit") "),"
	  " w AS (SELECT l.seq AS seq, l.category AS category, CASE WHEN"
	  " last.ls IS NOT NULL THEN last.cat ELSE d.cat END AS want,"
	  " CASE WHEN last.ls IS NOT NULL THEN last.seq ELSE d.seq END AS js"
	  " FROM ledger l LEFT JOIN last ON last.ls = l.seq"
	  " LEFT JOIN d ON d.ls = l.seq AND l.kind = 'deposit')"
	  " SELECT printf('ledger entry %d: category %s, but journal entry %d"
	  " says %s', seq, coalesce('''' || category || '''', 'none'), js,"
	  " coalesce('''' || want || '''', 'none')) FROM w"
	  " WHERE js IS NOT NULL AND want IS NOT category ORDER BY seq" },
	/* debits */
	{ "debits",
	  "WITH d AS MATERIALIZED (SELECT j.seq AS seq,"
	  " json_extract(j.payload, '$.proposal') AS pid,"
	  " json_extract(j.payload, '$.treasury') AS tid,"
	  " CAST(json_extract(x.value, '$.ledger_seq') AS INTEGER) AS ls,"
	  " json_extract(x.value, '$.amount_minor') AS amount,"
	  " json_extract(x.value, '$.asset') AS asset,"
	  " json_extract(x.value, '$.to') AS dest FROM journal j,"
	  " json_each(CASE WHEN json_valid(j.payload) THEN j.payload ELSE '{}'"
	  " END, '$.debits') x WHERE j.type = 'proposal.executed'"
	  " AND x.type = 'object')"
	  " SELECT CASE WHEN d.seq IS NULL THEN printf('ledger entry %d: a debit"
	  " of proposal %s without its item in a proposal.executed journal"
	  " entry', l.seq, lower(hex(l.proposal_id))) ELSE printf('ledger entry"
	  " %d: debit of %s minor units of %s to ''%s'' by proposal %s, but"
	  " journal entry %d says %s of %s to ''%s'' by proposal %s', l.seq,"
	  " l.amount, l.asset, l.to_dest, lower(hex(l.proposal_id)), d.seq,"
	  " d.amount, d.asset, d.dest, d.pid) END FROM ledger l LEFT JOIN d"
	  " ON d.ls = l.seq WHERE l.kind = 'transfer' AND ((d.seq IS NULL AND"
	  " l.created_at >= ?1) OR (d.seq IS NOT NULL AND (d.pid IS NOT"
	  " lower(hex(l.proposal_id)) OR d.tid IS NOT l.treasury_id OR d.amount"
	  " IS NOT l.amount OR d.asset IS NOT l.asset OR d.dest IS NOT"
	  " l.to_dest))) ORDER BY l.seq" },
	{ "debit entries",
	  "WITH d AS MATERIALIZED (SELECT j.seq AS seq,"
	  " json_extract(j.payload, '$.proposal') AS pid,"
	  " CAST(json_extract(x.value, '$.ledger_seq') AS INTEGER) AS ls,"
	  " json_extract(x.value, '$.amount_minor') AS amount,"
	  " json_extract(x.value, '$.asset') AS asset,"
	  " json_extract(x.value, '$.to') AS dest FROM journal j,"
	  " json_each(CASE WHEN json_valid(j.payload) THEN j.payload ELSE '{}'"
	  " END, '$.debits') x WHERE j.type = 'proposal.executed'"
	  " AND x.type = 'object')"
	  " SELECT printf('journal entry %d: the debit of %s minor units of %s"
	  " to ''%s'' by proposal %s (ledger entry %s) is missing from the"
	  " ledger', d.seq, d.amount, d.asset, d.dest, d.pid, d.ls) FROM d"
	  " LEFT JOIN ledger l ON l.seq = d.ls AND l.kind = 'transfer'"
	  " WHERE l.seq IS NULL ORDER BY d.seq" },
	/* key proofs */
	{ "key proofs",
	  "WITH e AS MATERIALIZED (SELECT seq, " JX("proposal") " AS pid "
	  JROWS("key.proved") "),"
	  " k AS MATERIALIZED (SELECT lower(hex(proposal_id)) AS pid,"
	  " created_at FROM key_proofs)"
	  " SELECT CASE WHEN e.seq IS NULL THEN printf('proposal %s: its key"
	  " proof has no key.proved journal entry', k.pid) ELSE"
	  " printf('journal entry %d: the key proof of proposal %s is missing"
	  " from the key_proofs table', e.seq, e.pid) END FROM k FULL JOIN e"
	  " ON e.pid = k.pid WHERE (e.seq IS NULL AND k.created_at >= ?1)"
	  " OR k.pid IS NULL ORDER BY e.seq, k.pid" },
	/* votes and revocations */
	{ "votes",
	  "WITH e AS MATERIALIZED (SELECT " JX("proposal") " AS pid, "
	  JX("signer") " AS signer, " JX("decision") " AS decision "
	  JROWS("proposal.voted") ")"
	  " SELECT printf('proposal %s: the %s of ''%s'' %s', lower(hex("
	  "v.proposal_id)), CASE v.decision WHEN 1 THEN 'approval' ELSE"
	  " 'rejection' END, v.signer, CASE WHEN e.pid IS NULL THEN 'has no"
	  " proposal.voted journal entry' ELSE printf('is journaled as %s',"
	  " e.decision) END) FROM votes v LEFT JOIN e ON e.pid ="
	  " lower(hex(v.proposal_id)) AND e.signer = v.signer"
	  " WHERE (e.pid IS NULL AND v.created_at >= ?1) OR (e.pid IS NOT NULL"
	  " AND e.decision IS NOT CASE v.decision WHEN 1 THEN 'approve'"
	  " ELSE 'reject' END) ORDER BY v.rowid" },
	{ "vote entries",
	  "WITH e AS MATERIALIZED (SELECT seq, " JX("proposal") " AS pid, "
	  JX("signer") " AS signer " JROWS("proposal.voted") "),"
	  " v AS MATERIALIZED (SELECT lower(hex(proposal_id)) AS pid, signer"
	  " FROM votes)"
	  " SELECT printf('journal entry %d: the vote of ''%s'' on proposal %s"
	  " is missing from the votes table', e.seq, e.signer, e.pid) FROM e"
	  " LEFT JOIN v ON v.pid = e.pid AND v.signer = e.signer"
	  " WHERE v.pid IS NULL ORDER BY e.seq" },
	{ "revocations",
	  "WITH e AS MATERIALIZED (SELECT seq, " JX("proposal") " AS pid, "
	  JX("signer") " AS signer " JROWS("vote.revoked") "),"
	  " v AS MATERIALIZED (SELECT lower(hex(proposal_id)) AS pid, signer,"
	  " revoked_at FROM votes)"
	  " SELECT CASE WHEN e.seq IS NULL THEN printf('proposal %s: the"
	  " approval of ''%s'' is revoked without a vote.revoked journal"
	  " entry', v.pid, v.signer) ELSE printf('journal entry %d: the"
	  " revocation of ''%s'' on proposal %s has no revoked approval in"
	  " the votes table',"
	  " e.seq, e.signer, e.pid) END FROM v FULL JOIN e ON e.pid = v.pid"
	  " AND e.signer = v.signer WHERE (e.seq IS NULL AND v.revoked_at >= ?1)"
	  " OR (e.seq IS NOT NULL AND v.revoked_at IS NULL)"
	  " ORDER BY e.seq, v.pid" },
	/* assets */
	{ "assets",
	  "WITH e AS MATERIALIZED (SELECT seq, " JX("asset") " AS code, "
	  JX("chain") " AS chain, " JX("decimals") " AS decimals "
	  JROWS("asset.created") ")"
	  " SELECT CASE WHEN e.seq IS NULL THEN printf('asset %s: it has no"
	  " asset.created journal entry', a.code) ELSE printf('asset %s: %d"
	  " decimals on chain ''%s'', but journal entry %d says %s decimals on"
	  " chain ''%s''', a.code, a.decimals, a.chain, e.seq, e.decimals,"
	  " e.chain) END FROM assets a LEFT JOIN e ON e.code = a.code"
	  " WHERE (e.seq IS NULL AND a.created_at >= ?1) OR (e.seq IS NOT NULL"
	  " AND (e.chain IS NOT a.chain OR e.decimals IS NOT a.decimals))"
	  " ORDER BY a.code" },
	{ "asset entries",
	  "WITH e AS MATERIALIZED (SELECT seq, " JX("asset") " AS code "
	  JROWS("asset.created") ")"
	  " SELECT printf('journal entry %d: asset ''%s'' is missing from the"
	  " assets table', e.seq, e.code) FROM e LEFT JOIN assets a"
	  " ON a.code = e.code WHERE a.code IS NULL ORDER BY e.seq" },
	/* config versions: threshold, signer set (name order), policy
	 * digest, and the name at creation; an entry the schema 8 migration
	 * copied says the threshold only */
	{ "config versions",
	  "WITH e AS MATERIALIZED (SELECT seq, type, " JX("treasury")
	  " AS tid, CAST(" JX("config_version") " AS INTEGER) AS ver, "
	  JX("threshold") " AS th, " JX("policy_digest") " AS pd, "
	  JX("signers") " AS sg, " JX("name") " AS nm, substr(payload, 1, 12)"
	  " = '{\"treasury\":' AS legacy FROM journal WHERE type IN"
	  " ('treasury.created', 'config.changed') AND json_valid(payload)),"
	  " c AS MATERIALIZED (SELECT tc.treasury_id AS tid, tc.version AS ver,"
	  " tc.threshold AS th, tc.created_at AS created_at, (SELECT"
	  " lower(hex(pol.digest)) FROM policies pol WHERE pol.treasury_id ="
	  " tc.treasury_id AND pol.version = tc.version) AS pd, (SELECT"
	  " json_group_array(json_object('key_type', sg.key_type, 'name',"
	  " sg.name, 'pubkey', lower(hex(sg.pubkey)))) FROM (SELECT * FROM"
	  " signers s WHERE s.treasury_id = tc.treasury_id AND s.version ="
	  " tc.version ORDER BY s.name) sg) AS sg, (SELECT t.name FROM"
	  " treasuries t WHERE t.id = tc.treasury_id) AS nm"
	  " FROM treasury_configs tc)"
	  " SELECT CASE WHEN e.seq IS NULL THEN printf('treasury %s: config"
	  " version %d has no treasury.created or config.changed journal"
	  " entry', c.tid, c.ver) WHEN c.tid IS NULL THEN printf('journal"
	  " entry %d (%s): config version %s of treasury %s is missing from the"
	  " treasury_configs table', e.seq, e.type, e.ver, e.tid) ELSE"
	  " printf('treasury %s config version %d: its %s disagree with"
	  " journal entry %d (%s)', c.tid, c.ver, rtrim(CASE WHEN e.th IS NOT c.th"
	  " THEN printf('threshold (%d; the journal says %s), ', c.th, e.th)"
	  " ELSE '' END || CASE WHEN NOT e.legacy AND e.sg IS NOT c.sg THEN"
	  " 'signers, ' ELSE '' END || CASE WHEN NOT e.legacy AND e.pd IS NOT"
	  " c.pd THEN 'policy digest, ' ELSE '' END || CASE WHEN NOT e.legacy"
	  " AND e.type = 'treasury.created' AND e.nm IS NOT c.nm THEN 'name, '"
	  " ELSE '' END, ', '), e.seq, e.type) END"
	  " FROM c FULL JOIN e ON e.tid = c.tid AND e.ver = c.ver"
	  " WHERE (e.seq IS NULL AND c.created_at >= ?1) OR c.tid IS NULL OR"
	  " (e.seq IS NOT NULL AND (e.th IS NOT c.th OR (NOT e.legacy AND"
	  " (e.sg IS NOT c.sg OR e.pd IS NOT c.pd OR (e.type ="
	  " 'treasury.created' AND e.nm IS NOT c.nm)))))"
	  " ORDER BY c.tid, c.ver, e.seq" },
	/* tokens: each row <-> its token.created (by the keyed hash: name,
	 * roles, binding), revoked iff a token.revoked entry names it after
	 * it was created (the last token.created of that name before), and
	 * bound as its last token.bound entry says. A row from before the
	 * journal (no token.created) revoked since needs a token.revoked of
	 * its name that follows no token.created of that name. */
	{ "tokens",
	  "WITH c AS MATERIALIZED (SELECT seq, " JX("name") " AS nm, "
	  JX("token_hash") " AS h, " JX("client_cert_sha256") " AS cert,"
	  " (SELECT group_concat(r.value, ',') FROM json_each(journal.payload,"
	  " '$.roles') r) AS roles " JROWS("token.created") "),"
	  " x AS MATERIALIZED (SELECT j.seq AS seq, j.type AS type,"
	  " json_extract(j.payload, '$.name') AS nm, json_extract(j.payload,"
	  " '$.client_cert_sha256') AS cert, (SELECT max(c.seq) FROM c WHERE"
	  " c.nm = json_extract(j.payload, '$.name') AND c.seq < j.seq) AS cseq"
	  " FROM journal j WHERE j.type IN ('token.revoked', 'token.bound')"
	  " AND json_valid(j.payload)),"
	  " st AS MATERIALIZED (SELECT c.seq AS seq, c.nm AS nm, c.h AS h,"
	  " c.roles AS roles, EXISTS (SELECT 1 FROM x WHERE x.cseq = c.seq AND"
	  " x.type = 'token.revoked') AS revoked, CASE WHEN EXISTS (SELECT 1"
	  " FROM x WHERE x.cseq = c.seq AND x.type = 'token.bound') THEN"
	  " (SELECT x.cert FROM x WHERE x.cseq = c.seq AND x.type ="
	  " 'token.bound' ORDER BY x.seq DESC LIMIT 1) ELSE c.cert END AS cert"
	  " FROM c),"
	  " t AS MATERIALIZED (SELECT id, name, lower(hex(hash)) AS h,"
	  " rtrim(CASE WHEN roles & 1 THEN 'admin,' ELSE '' END || CASE WHEN"
	  " roles & 2 THEN 'treasurer,' ELSE '' END || CASE WHEN roles & 4 THEN"
	  " 'signer,' ELSE '' END || CASE WHEN roles & 8 THEN 'viewer,' ELSE ''"
	  " END, ',') AS roles, revoked_at, CASE WHEN client_cert_sha256 IS"
	  " NOT NULL THEN lower(hex(client_cert_sha256)) END AS cert,"
	  " created_at FROM tokens)"
	  " SELECT CASE WHEN st.seq IS NULL THEN printf('token %d ''%s'': it has"
	  " no token.created journal entry (or its hash was replaced)', t.id,"
	  " t.name) WHEN t.id IS NULL THEN printf('journal entry %d: token ''%s''"
	  " is missing from the tokens table (or its hash was replaced)',"
	  " st.seq, st.nm) ELSE printf('token %d ''%s'': its %s disagree with"
	  " the journal (token.created entry %d)', t.id, t.name, rtrim(CASE WHEN"
	  " st.nm IS NOT t.name THEN 'name, ' ELSE '' END || CASE WHEN st.roles"
	  " IS NOT t.roles THEN printf('roles (%s; the journal says %s), ',"
	  " t.roles, st.roles) ELSE '' END || CASE WHEN st.revoked IS NOT"
	  " (t.revoked_at IS NOT NULL) THEN printf('revocation (%s; the journal"
	  " says %s), ', CASE WHEN t.revoked_at IS NULL THEN 'live' ELSE"
	  " 'revoked' END, CASE WHEN st.revoked THEN 'revoked' ELSE 'live' END)"
	  " ELSE '' END || CASE WHEN st.cert IS NOT t.cert THEN 'client"
	  " certificate binding, ' ELSE '' END, ', '), st.seq) END"
	  " FROM t FULL JOIN st ON st.h = t.h"
	  " WHERE (st.seq IS NULL AND (t.created_at >= ?1 OR (t.revoked_at >="
	  " ?1 AND NOT EXISTS (SELECT 1 FROM x WHERE x.cseq IS NULL AND x.type"
	  " = 'token.revoked' AND x.nm = t.name)))) OR t.id IS NULL OR (st.seq IS NOT NULL AND t.id IS NOT NULL"
	  " AND (st.nm IS NOT t.name OR st.roles IS NOT t.roles OR st.revoked"
	  " IS NOT (t.revoked_at IS NOT NULL) OR st.cert IS NOT t.cert))"
	  " ORDER BY t.id, st.seq" },
};

#undef JX
#undef JROWS

enum { JOURNAL_CHECKS = sizeof(journal_checks) / sizeof(journal_checks[0]) };

static treasury_err
journal_exists(struct db *db, bool *exists)
{
	struct db_stmt *st = NULL;
	int rc;

	*exists = false;
	rc = db_prepare(db, db_is_postgresql(db) ?
	    "SELECT 1 WHERE to_regclass('journal') IS NOT NULL" :
	    "SELECT 1 FROM sqlite_schema WHERE"
	    " type = 'table' AND name = 'journal'", &st);
	if (rc == DB_OK && (rc = db_step(st)) == DB_ROW) {
		*exists = true;
		rc = DB_DONE;
	}
	db_finalize(st);
	return rc == DB_DONE ? TREASURY_OK : store_err_from_rc(rc);
}

/*
 * The time from which rows must have the entries the old events table
 * never recorded. The entries the schema 8 migration copied keep the
 * events' payloads, made by triggers that began each with {"treasury":
 * (never in canonical key order, so journal_payload_* cannot have made
 * one); they are a prefix of the journal. With none, every row must have
 * its entries (INT64_MIN); else the rows from the first native entry's
 * time on (INT64_MAX while there is none: nothing was journaled yet).
 */
static treasury_err
journal_since(struct db *db, int64_t *since_s, unsigned long *entries)
{
	static const char sql[] =
	    "SELECT (SELECT count(*) FROM journal),"
	    " (SELECT max(seq) FROM journal WHERE substr(payload, 1, 12) ="
	    "  '{\"treasury\":'),"
	    " (SELECT created_at FROM journal WHERE seq > coalesce((SELECT"
	    "  max(seq) FROM journal WHERE substr(payload, 1, 12) ="
	    "  '{\"treasury\":'), 0) ORDER BY seq LIMIT 1)";
	struct db_stmt *st = NULL;
	int rc;

	rc = db_prepare(db, sql, &st);
	if (rc == DB_OK && (rc = db_step(st)) == DB_ROW) {
		*entries += (unsigned long)db_column_int64(st, 0);
		if (db_column_type(st, 1) == DB_NULL)
			*since_s = INT64_MIN;
		else if (db_column_type(st, 2) == DB_NULL)
			*since_s = INT64_MAX;
		else
			*since_s = db_column_int64(st, 2);
		rc = DB_DONE;
	}
	db_finalize(st);
	return rc == DB_DONE ? TREASURY_OK : store_err_from_rc(rc);
}

static treasury_err
journal_check_run(struct db *db, const struct journal_check *jc,
    int64_t since_s, check_finding_fn finding, void *ctx,
    unsigned long *findings)
{
	struct db_stmt *st = NULL;
	int rc;

	rc = db_prepare(db, jc->sql, &st);
	if (rc == DB_OK && db_bind_parameter_count(st) >= 1)
		rc = db_bind_int64(st, 1, since_s);
	while (rc == DB_OK && (rc = db_step(st)) == DB_ROW) {
		const unsigned char *text = db_column_text(st, 0);

		(*findings)++;
		check_finding_emit(finding, ctx, text != NULL ?
		    (const char *)text : "(a finding without text)");
		rc = DB_OK;
	}
	db_finalize(st);
	return rc == DB_DONE ? TREASURY_OK : store_err_from_rc(rc);
}

enum { CHAIN_FINDINGS_MAX = 20 };

/* Copy a TEXT column (NULL is "") into dst; false when it does not fit. */
static bool
col_copy(struct db_stmt *st, int i, char *dst, size_t size)
{
	const unsigned char *t = db_column_text(st, i);
	int n = snprintf(dst, size, "%s", t != NULL ? (const char *)t : "");

	return n >= 0 && (size_t)n < size;
}

/* The entry's hash, chained to the stored hash of the entry before, as
 * journal_append made it: false (after a finding) when it differs. */
static bool
chain_link_check(struct db_stmt *st, const uint8_t prev[DIGEST_BYTES],
    struct journal_entry *e, uint8_t hash[DIGEST_BYTES])
{
	const void *stored = db_column_blob(st, 7);

	e->seq = db_column_int64(st, 0);
	e->time_s = db_column_int64(st, 1);
	e->payload = (const char *)db_column_text(st, 6);
	e->payload_len = (size_t)db_column_bytes(st, 6);
	if (e->payload == NULL || !col_copy(st, 2, e->treasury,
	    sizeof(e->treasury)) || !col_copy(st, 3, e->type, sizeof(e->type)) ||
	    !col_copy(st, 4, e->actor_token, sizeof(e->actor_token)) ||
	    !col_copy(st, 5, e->actor_signer, sizeof(e->actor_signer)) ||
	    journal_entry_hash(hash, prev, e) != TREASURY_OK)
		return false;
	return db_column_bytes(st, 7) == DIGEST_BYTES &&
	    memcmp(stored, hash, DIGEST_BYTES) == 0;
}

/*
 * The hash chain, each link against the stored hash of the entry before
 * (so that a finding names the entry that was edited, and a removed or
 * reordered entry breaks the links around it): seq 1, 2, 3 ... without a
 * gap, hash = journal_entry_hash(previous hash, entry). Checkpoint
 * signatures need the daemon's public key: `treasuryd audit verify`.
 */
static treasury_err
check_journal_chain(struct db *db, check_finding_fn finding, void *ctx,
    unsigned long *findings)
{
	static const char sql[] = "SELECT seq, created_at, treasury_id, type,"
	    " actor_token, actor_signer, payload, hash FROM journal"
	    " ORDER BY seq";
	uint8_t prev[DIGEST_BYTES], hash[DIGEST_BYTES];
	unsigned long bad = 0;
	struct journal_entry *e = malloc(sizeof(*e));
	char text[CHECK_FINDING_MAX_BYTES];
	struct db_stmt *st = NULL;
	int64_t want = 1;
	int rc;

	if (e == NULL)
		return TREASURY_ERR_NOMEM;
	memset(prev, 0, sizeof(prev));
	rc = db_prepare(db, sql, &st);
	while (rc == DB_OK && (rc = db_step(st)) == DB_ROW) {
		int64_t seq = db_column_int64(st, 0);

		rc = DB_OK;
		memset(e, 0, sizeof(*e));
		text[0] = '\0';
		if (seq != want)
			snprintf(text, sizeof(text), "journal entry %lld: "
			    "entries %lld..%lld are missing", (long long)seq,
			    (long long)want, (long long)seq - 1);
		else if (!chain_link_check(st, prev, e, hash))
			snprintf(text, sizeof(text), "journal entry %lld: its "
			    "hash does not chain to the entry before (it, or "
			    "its place, was changed)", (long long)seq);
		if (text[0] != '\0') {
			(*findings)++;
			if (++bad <= CHAIN_FINDINGS_MAX)
				check_finding_emit(finding, ctx, text);
		}
		want = seq + 1;
		if (db_column_bytes(st, 7) == DIGEST_BYTES)
			memcpy(prev, db_column_blob(st, 7), DIGEST_BYTES);
	}
	db_finalize(st);
	free(e);
	if (bad > CHAIN_FINDINGS_MAX) {
		snprintf(text, sizeof(text), "the journal's hash chain: %lu "
		    "more broken links not shown", bad - CHAIN_FINDINGS_MAX);
		check_finding_emit(finding, ctx, text);
	}
	return rc == DB_DONE ? TREASURY_OK : store_err_from_rc(rc);
}

treasury_err
store_check_journal(struct db *db, check_finding_fn finding, void *ctx,
    unsigned long *findings, unsigned long *entries)
{
	const struct journal_check *checks = journal_checks;
	size_t n = JOURNAL_CHECKS;
	int64_t since_s = INT64_MIN;
	treasury_err err;
	bool exists;
	size_t i;

	err = journal_exists(db, &exists);
	if (err != TREASURY_OK || !exists)
		return err;
	err = journal_since(db, &since_s, entries);
	if (err == TREASURY_OK)
		err = check_journal_chain(db, finding, ctx, findings);
	if (err == TREASURY_OK && db_is_postgresql(db)) {
		checks = check_journal_pg_checks(&n);
		assert(n == JOURNAL_CHECKS);
		err = check_journal_pg_begin(db);
	}
	for (i = 0; err == TREASURY_OK && i < n; i++) {
		assert(strcmp(checks[i].what, journal_checks[i].what) == 0);
		err = journal_check_run(db, &checks[i], since_s, finding, ctx,
		    findings);
	}
	return err;
}
