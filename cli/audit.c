/*
 * audit.c: treasuryctl audit export | verify (docs/audit.md).
 *
 *   audit export --out FILE
 *     Every page of GET /v1/journal and GET /v1/journal/checkpoints into
 *     a new file (never over an existing one, mode 0600), as JSON Lines:
 *       {"format":"treasuryd-journal-export/v1","public_key":HEX|null}
 *       {"entry":{...the item of GET /v1/journal...}}      (seq order)
 *       {"checkpoint":{"seq","hash","time_s","signature"}} (seq order)
 *     Each line at most AUDIT_LINE_MAX_BYTES, at most AUDIT_LINES_MAX
 *     lines; every seq must follow the one before (a server cannot keep
 *     it paging in circles). Only the checkpoints of the entries exported
 *     are written (the daemon may sign newer ones meanwhile).
 *
 *   audit verify FILE --pubkey HEX [--checkpoint-entries N]
 *     Offline, no server. Two streaming passes over the file: the first
 *     reads the header and the checkpoints (at most AUDIT_CHECKPOINTS_MAX),
 *     the second the entries. Each entry's hash is recomputed from its
 *     fields and payload_text (core journal_entry_hash) and compared with
 *     its "hash"; its "payload" must be payload_text parsed; seqs run 1,
 *     2, 3 ...; each checkpoint's signature is checked with --pubkey (the
 *     key the auditor trusts; the file's own public_key is only compared
 *     with it) and its hash compared with the recomputed chain at its seq.
 *     N (default 1000: the daemon's checkpoint_entries) or more entries
 *     after the last checkpoint that verified is a finding: the daemon
 *     never leaves that many (storage/checkpoint.c), so checkpoints were
 *     deleted from the export or the database.
 *     Every finding is one escaped line (say) naming the seq; the first
 *     bad seq is summed up. Exit 0 clean, 1 a finding (or an unreadable
 *     file), 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "ctl.h"
#include "treasury/hex.h"
#include "treasury/journal.h"

#define EXPORT_FORMAT "treasuryd-journal-export/v1"

enum {
	AUDIT_LINE_MAX_BYTES = 256 * 1024,	/* an entry: payload twice */
	AUDIT_LINES_MAX = 100000000,
	/* 1e6 checkpoints of 88 bytes in memory: at most 88 MB (one per
	 * 1000 entries by default: a billion entries) */
	AUDIT_CHECKPOINTS_MAX = 1000000,
	AUDIT_UNCOVERED_DEFAULT = 1000,		/* checkpoint_entries' default */
	AUDIT_UNCOVERED_MAX = 1000000,		/* checkpoint_entries' bound */
	AUDIT_PAGE_LIMIT = 500,			/* the server's PAGE_LIMIT_MAX */
	AUDIT_FINDINGS_SHOWN_MAX = 100,		/* then only counted */
};

/* ---- export ---- */

struct exporter {
	struct ctl *c;
	FILE *fp;
	unsigned long lines;
	int64_t entries, checkpoints;
};

/* One JSON line {"<key>": item} (item borrowed). Returns an exit code. */
static int
line_write(struct exporter *x, const char *key, json_t *item)
{
	json_t *wrap = json_pack("{s:O}", key, item);
	char *text;
	size_t len;
	int rc = CTL_OK;

	if (wrap == NULL) {
		ctl_err("out of memory");
		return CTL_ERROR;
	}
	text = json_dumps(wrap, JSON_COMPACT | JSON_ENSURE_ASCII |
	    JSON_SORT_KEYS);
	json_decref(wrap);
	if (text == NULL) {
		ctl_err("out of memory");
		return CTL_ERROR;
	}
	len = strlen(text);
	if (len >= AUDIT_LINE_MAX_BYTES || x->lines >= AUDIT_LINES_MAX) {
		ctl_err("the server's journal has a line longer than %d bytes or"
		    " more than %d lines", AUDIT_LINE_MAX_BYTES, AUDIT_LINES_MAX);
		rc = CTL_NETWORK;
	} else if (fwrite(text, 1, len, x->fp) != len ||
	    fputc('\n', x->fp) == EOF) {
		ctl_err("cannot write the export: %s", strerror(errno));
		rc = CTL_ERROR;
	}
	free(text);
	x->lines++;
	return rc;
}

/* The "seq" of an item: an integer > *last, which it becomes. */
static int
item_seq_next(json_t *item, int64_t *last, const char *what)
{
	json_t *j = json_object_get(item, "seq");

	if (!json_is_integer(j) || json_integer_value(j) <= *last) {
		ctl_err("the server's %s list is not in increasing seq order "
		    "after seq %" PRId64, what, *last);
		return CTL_NETWORK;
	}
	*last = json_integer_value(j);
	return CTL_OK;
}

/* Every page of path ("/v1/journal" or ".../checkpoints"): list key's
 * items up to seq max_seq (0: all), each written as {"<line_key>": item};
 * *last_out (may be NULL) is the last seq written. */
static int
pages_export(struct exporter *x, const char *path, const char *key,
    const char *line_key, int64_t max_seq, int64_t *count, int64_t *last_out)
{
	char full[PATH_MAX_BYTES];
	int64_t last = 0;
	json_t *page, *items, *item;
	size_t i;
	int rc;

	for (;;) {
		snprintf(full, sizeof(full), "%s?after=%" PRId64 "&limit=%d",
		    path, last, AUDIT_PAGE_LIMIT);
		rc = http_call(x->c, "GET", full, NULL, &page);
		if (rc != CTL_OK)
			return rc;
		items = json_object_get(page, key);
		if (!json_is_array(items)) {
			ctl_err("the server's answer has no '%s' list", key);
			json_decref(page);
			return CTL_NETWORK;
		}
		json_array_foreach(items, i, item) {
			rc = item_seq_next(item, &last, key);
			if (rc != CTL_OK || (max_seq > 0 && last > max_seq))
				break;	/* beyond the entries exported */
			rc = line_write(x, line_key, item);
			if (rc != CTL_OK)
				break;
			(*count)++;
			if (last_out != NULL)
				*last_out = last;
		}
		if (rc == CTL_OK && json_array_size(items) > 0 &&
		    (max_seq == 0 || last < max_seq) &&
		    json_is_string(json_object_get(page, "next_cursor"))) {
			json_decref(page);
			continue;	/* more after `last` */
		}
		json_decref(page);
		return rc;
	}
}

/* The header line: the format and the server's journal public key. */
static int
header_write(struct exporter *x)
{
	json_t *info = NULL, *pk, *head;
	char *text;
	int rc;

	rc = http_call(x->c, "GET", "/v1/info", NULL, &info);
	if (rc != CTL_OK)
		return rc;
	pk = json_object_get(info, "journal_public_key");
	if (pk == NULL || !(json_is_null(pk) || (json_is_string(pk) &&
	    json_string_length(pk) == 2 * JOURNAL_PUBLIC_KEY_BYTES))) {
		ctl_err("the server's /v1/info has no journal_public_key");
		json_decref(info);
		return CTL_NETWORK;
	}
	head = json_pack("{s:s, s:O}", "format", EXPORT_FORMAT, "public_key",
	    pk);
	text = head != NULL ? json_dumps(head, JSON_COMPACT | JSON_ENSURE_ASCII |
	    JSON_SORT_KEYS) : NULL;
	json_decref(head);
	json_decref(info);
	if (text == NULL) {
		ctl_err("out of memory");
		return CTL_ERROR;
	}
	rc = fprintf(x->fp, "%s\n", text) < 0 ? CTL_ERROR : CTL_OK;
	free(text);
	x->lines++;
	return rc;
}

/* A new file for the export (O_EXCL: never over an existing one). */
static int
export_open(const char *path, FILE **out)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);

	if (fd < 0) {
		if (errno == EEXIST)
			ctl_err("%s exists: refusing to overwrite it (choose "
			    "another --out)", path);
		else
			ctl_err("cannot create %s: %s", path, strerror(errno));
		return errno == EEXIST ? CTL_USAGE : CTL_ERROR;
	}
	*out = fdopen(fd, "w");
	if (*out == NULL) {
		ctl_err("cannot write %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return CTL_ERROR;
	}
	return CTL_OK;
}

int
cmd_audit_export(struct ctl *c)
{
	struct exporter x = { .c = c };
	int64_t last = 0;
	int rc;

	if (c->o.out == NULL) {
		ctl_err("audit export needs --out FILE");
		return CTL_USAGE;
	}
	rc = export_open(c->o.out, &x.fp);
	if (rc != CTL_OK)
		return rc;
	rc = header_write(&x);
	/* the checkpoints of the entries exported: entries appended
	 * meanwhile, and their checkpoints, are left for the next export */
	if (rc == CTL_OK)
		rc = pages_export(&x, "/v1/journal", "entries", "entry", 0,
		    &x.entries, &last);
	if (rc == CTL_OK && last > 0)
		rc = pages_export(&x, "/v1/journal/checkpoints", "checkpoints",
		    "checkpoint", last, &x.checkpoints, NULL);
	if (rc == CTL_OK && (fflush(x.fp) != 0 || fsync(fileno(x.fp)) != 0)) {
		ctl_err("cannot write %s: %s", c->o.out, strerror(errno));
		rc = CTL_ERROR;
	}
	if (fclose(x.fp) != 0 && rc == CTL_OK) {
		ctl_err("cannot write %s: %s", c->o.out, strerror(errno));
		rc = CTL_ERROR;
	}
	if (rc != CTL_OK) {
		unlink(c->o.out);	/* never a partial export */
		return rc;
	}
	say(human_out(), "exported %" PRId64 " journal entries and %" PRId64
	    " checkpoints to %s\n", x.entries, x.checkpoints, c->o.out);
	return CTL_OK;
}

/* ---- verify ---- */

/* Open path for reading: a regular file (a FIFO or device is refused,
 * without blocking on it). Returns an exit code (message printed). */
static int
file_open_regular(const char *path, FILE **out)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		ctl_err("cannot open %s: %s", path, strerror(errno));
		return CTL_ERROR;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    fcntl(fd, F_SETFL, 0) != 0) {
		ctl_err("%s is not a regular file", path);
		close(fd);
		return CTL_ERROR;
	}
	*out = fdopen(fd, "r");
	if (*out == NULL) {
		ctl_err("cannot read %s: %s", path, strerror(errno));
		close(fd);
		return CTL_ERROR;
	}
	return CTL_OK;
}

struct verifier_state {
	FILE *fp;
	const char *path;
	char *line;			/* AUDIT_LINE_MAX_BYTES + 1 */
	unsigned long line_no;
	uint8_t pk[JOURNAL_PUBLIC_KEY_BYTES];
	struct ck {
		int64_t seq, time_s;
		uint8_t hash[DIGEST_BYTES];
		uint8_t sig[JOURNAL_SIGNATURE_BYTES];
	} *cks;
	size_t ck_count, ck_next;
	/* the walk */
	uint8_t chain[DIGEST_BYTES];	/* recomputed from seq 1 */
	uint8_t prev_hash[DIGEST_BYTES];	/* the file's, of the entry before */
	int64_t last_seq;
	int64_t good_ck_seq;		/* the last checkpoint that verified */
	int64_t uncovered_max;		/* --checkpoint-entries */
	bool chain_reported;
	/* the report */
	unsigned long findings;
	int64_t first_bad;
	int64_t entries, verified;
};

static void
finding(struct verifier_state *v, int64_t bad_seq, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One finding line (escaped by say), counted; bad_seq >= 1 is at fault. */
static void
finding(struct verifier_state *v, int64_t bad_seq, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	v->findings++;
	if (bad_seq >= 1 && (v->first_bad == 0 || bad_seq < v->first_bad))
		v->first_bad = bad_seq;
	if (v->findings <= AUDIT_FINDINGS_SHOWN_MAX)
		say(stdout, "finding: %s\n", text);
}

/* The next line into v->line (without its LF). Returns 1 with a line, 0
 * at the end, -1 on an error (printed). */
static int
line_read(struct verifier_state *v, size_t *len)
{
	size_t n = 0;
	int ch;

	while ((ch = getc(v->fp)) != EOF && ch != '\n') {
		if (n == AUDIT_LINE_MAX_BYTES) {
			ctl_err("%s:%lu: line longer than %d bytes", v->path,
			    v->line_no + 1, AUDIT_LINE_MAX_BYTES);
			return -1;
		}
		v->line[n++] = (char)ch;
	}
	if (ferror(v->fp)) {
		ctl_err("cannot read %s: %s", v->path, strerror(errno));
		return -1;
	}
	if (ch == EOF && n == 0)
		return 0;
	v->line[n] = '\0';
	v->line_no++;
	if (v->line_no > AUDIT_LINES_MAX) {
		ctl_err("%s: more than %d lines", v->path, AUDIT_LINES_MAX);
		return -1;
	}
	*len = n;
	return 1;
}

/* The line as a JSON object with exactly one of the keys, or NULL after
 * a finding. *kind: 'h' header, 'e' entry, 'c' checkpoint. */
static json_t *
line_parse(struct verifier_state *v, size_t len, char *kind, json_t **inner)
{
	json_t *j = json_loadb(v->line, len, JSON_REJECT_DUPLICATES, NULL);

	*inner = NULL;
	if (json_is_object(j) && json_object_size(j) == 1) {
		if ((*inner = json_object_get(j, "entry")) != NULL)
			*kind = 'e';
		else if ((*inner = json_object_get(j, "checkpoint")) != NULL)
			*kind = 'c';
	} else if (json_is_object(j) && json_object_get(j, "format") != NULL) {
		*kind = 'h';
		*inner = j;
	}
	if (*inner == NULL || !json_is_object(*inner)) {
		finding(v, 0, "%s:%lu: not a line of a journal export",
		    v->path, v->line_no);
		json_decref(j);
		return NULL;
	}
	return j;
}

static bool
hex_member(json_t *obj, const char *key, uint8_t *out, size_t len)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL && hex_decode(out, len, s, strlen(s)) == TREASURY_OK;
}

static bool
int_member(json_t *obj, const char *key, int64_t min, int64_t *out)
{
	json_t *j = json_object_get(obj, key);

	if (!json_is_integer(j) || json_integer_value(j) < min)
		return false;
	*out = json_integer_value(j);
	return true;
}

/* The header: the format, and its public key compared with --pubkey. */
static void
header_check(struct verifier_state *v, json_t *h)
{
	uint8_t pk[JOURNAL_PUBLIC_KEY_BYTES];
	const char *format = json_str(h, "format");

	if (format == NULL || strcmp(format, EXPORT_FORMAT) != 0)
		finding(v, 0, "%s: the first line is not a %s header", v->path,
		    EXPORT_FORMAT);
	else if (!hex_member(h, "public_key", pk, sizeof(pk)))
		finding(v, 0, "%s: the header has no public_key (the daemon ran "
		    "without a journal key)", v->path);
	else if (sodium_memcmp(pk, v->pk, sizeof(pk)) != 0)
		finding(v, 0, "%s: the header's public_key is not --pubkey: the "
		    "export was made by another daemon, or its header edited; "
		    "signatures are checked with --pubkey", v->path);
}

static int
checkpoint_collect(struct verifier_state *v, json_t *j)
{
	struct ck k;
	void *grown;

	if (!int_member(j, "seq", 1, &k.seq) ||
	    !int_member(j, "time_s", 0, &k.time_s) ||
	    !hex_member(j, "hash", k.hash, sizeof(k.hash)) ||
	    !hex_member(j, "signature", k.sig, sizeof(k.sig))) {
		finding(v, 0, "%s:%lu: malformed checkpoint", v->path,
		    v->line_no);
		return CTL_OK;
	}
	if (v->ck_count > 0 && k.seq <= v->cks[v->ck_count - 1].seq) {
		finding(v, k.seq, "%s:%lu: checkpoint at seq %" PRId64 " is out "
		    "of seq order", v->path, v->line_no, k.seq);
		return CTL_OK;
	}
	if (v->ck_count == AUDIT_CHECKPOINTS_MAX) {
		ctl_err("%s: more than %d checkpoints", v->path,
		    AUDIT_CHECKPOINTS_MAX);
		return CTL_ERROR;
	}
	if ((v->ck_count & (v->ck_count - 1)) == 0) {	/* 0, 1, 2, 4 ... */
		grown = realloc(v->cks, (v->ck_count == 0 ? 1 :
		    2 * v->ck_count) * sizeof(*v->cks));
		if (grown == NULL) {
			ctl_err("out of memory");
			return CTL_ERROR;
		}
		v->cks = grown;
	}
	v->cks[v->ck_count++] = k;
	return CTL_OK;
}

/* Pass 1: the header, then every checkpoint line. */
static int
pass_checkpoints(struct verifier_state *v)
{
	json_t *j, *inner;
	size_t len;
	char kind = 0;
	int r, rc = CTL_OK;

	while (rc == CTL_OK && (r = line_read(v, &len)) == 1) {
		j = line_parse(v, len, &kind, &inner);
		if (j == NULL)
			continue;
		if (v->line_no == 1 && kind == 'h')
			header_check(v, inner);
		else if (v->line_no == 1)
			finding(v, 0, "%s: the first line is not a %s header",
			    v->path, EXPORT_FORMAT);
		else if (kind == 'c')
			rc = checkpoint_collect(v, inner);
		else if (kind == 'h')
			finding(v, 0, "%s:%lu: a second header", v->path,
			    v->line_no);
		json_decref(j);
	}
	if (v->line_no == 0)
		finding(v, 0, "%s: empty file", v->path);
	return rc != CTL_OK ? rc : r < 0 ? CTL_ERROR : CTL_OK;
}

/* A string member (null: "") of at most max bytes without NUL. */
static bool
str_member(json_t *obj, const char *key, bool nullable, char *out, size_t max)
{
	json_t *j = json_object_get(obj, key);
	size_t len;

	out[0] = '\0';
	if (nullable && json_is_null(j))
		return true;
	if (!json_is_string(j))
		return false;
	len = json_string_length(j);
	if (len > max || strlen(json_string_value(j)) != len)
		return false;
	memcpy(out, json_string_value(j), len + 1);
	return true;
}

/* The journal entry of an export item (strings into e, payload borrowed
 * from item) and its "hash". */
static bool
entry_from_item(json_t *item, struct journal_entry *e,
    uint8_t hash[DIGEST_BYTES])
{
	json_t *actor = json_object_get(item, "actor");
	json_t *text = json_object_get(item, "payload_text");

	memset(e, 0, sizeof(*e));
	if (!int_member(item, "seq", 1, &e->seq) ||
	    !int_member(item, "time_s", 0, &e->time_s) ||
	    !str_member(item, "treasury", true, e->treasury,
	    TREASURY_ID_MAX_BYTES) ||
	    !str_member(item, "type", false, e->type, JOURNAL_TYPE_MAX_BYTES) ||
	    !json_is_object(actor) ||
	    !str_member(actor, "token", true, e->actor_token,
	    TOKEN_NAME_MAX_BYTES) ||
	    !str_member(actor, "signer", true, e->actor_signer,
	    SIGNER_NAME_MAX_BYTES) ||
	    !json_is_string(text) ||
	    !hex_member(item, "hash", hash, DIGEST_BYTES))
		return false;
	e->payload = json_string_value(text);
	e->payload_len = json_string_length(text);
	return strlen(e->payload) == e->payload_len && journal_entry_valid(e);
}

/* The item's "payload" must be its payload_text, parsed. */
static void
payload_agrees(struct verifier_state *v, json_t *item,
    const struct journal_entry *e)
{
	json_t *parsed = json_loadb(e->payload, e->payload_len,
	    JSON_REJECT_DUPLICATES, NULL);

	if (parsed == NULL || !json_equal(parsed, json_object_get(item,
	    "payload")))
		finding(v, e->seq, "seq %" PRId64 " (%s): its payload differs "
		    "from its payload_text (the hashed bytes): the payload was "
		    "edited", e->seq, e->type);
	json_decref(parsed);
}

static void
checkpoint_verify(struct verifier_state *v, const struct ck *k)
{
	int64_t from = v->good_ck_seq + 1;

	if (!journal_checkpoint_verify(k->sig, v->pk, k->seq, k->hash,
	    k->time_s)) {
		finding(v, from, "checkpoint at seq %" PRId64 ": the signature "
		    "does not verify with --pubkey (the checkpoint was edited, "
		    "or signed by another key); entries %" PRId64 "..%" PRId64
		    " are not proven", k->seq, from, k->seq);
		return;
	}
	if (sodium_memcmp(k->hash, v->chain, DIGEST_BYTES) != 0) {
		if (!v->chain_reported)
			finding(v, from, "checkpoint at seq %" PRId64 ": its "
			    "signed hash differs from the chain recomputed from "
			    "the entries: entries %" PRId64 "..%" PRId64 " were "
			    "rewritten", k->seq, from, k->seq);
		v->chain_reported = true;
		return;
	}
	v->verified++;
	v->good_ck_seq = k->seq;
}

/* Checkpoints before seq (exclusive) name entries not in the file. */
static void
checkpoints_until(struct verifier_state *v, int64_t seq)
{
	while (v->ck_next < v->ck_count && v->cks[v->ck_next].seq < seq) {
		finding(v, v->cks[v->ck_next].seq, "checkpoint at seq %" PRId64
		    ": its entry is not in the file (deleted)",
		    v->cks[v->ck_next].seq);
		v->ck_next++;
	}
}

static void
entry_check(struct verifier_state *v, json_t *item)
{
	struct journal_entry e;
	uint8_t hash[DIGEST_BYTES], local[DIGEST_BYTES];
	int64_t expected;

	v->entries++;
	if (v->last_seq == INT64_MAX) {	/* no seq can follow it */
		finding(v, INT64_MAX, "%s:%lu: malformed entry after seq %"
		    PRId64 " (no sequence number can follow it)", v->path,
		    v->line_no, v->last_seq);
		v->chain_reported = true;
		return;
	}
	expected = v->last_seq + 1;
	if (!entry_from_item(item, &e, hash)) {
		finding(v, expected, "%s:%lu: malformed entry (after seq %" PRId64
		    "): a field is missing or not what the daemon writes",
		    v->path, v->line_no, v->last_seq);
		v->chain_reported = true;
		memset(v->chain, 0xff, DIGEST_BYTES);
		return;
	}
	if (e.seq != expected) {
		finding(v, e.seq < expected ? e.seq : expected, "seq %" PRId64
		    ": expected seq %" PRId64 " (entries %s)", e.seq, expected,
		    e.seq < expected ? "repeated or out of order" :
		    "deleted, or moved");
		v->chain_reported = true;
	}
	checkpoints_until(v, e.seq);
	if (journal_entry_hash(local, v->prev_hash, &e) != TREASURY_OK ||
	    journal_entry_hash(v->chain, v->chain, &e) != TREASURY_OK) {
		finding(v, e.seq, "seq %" PRId64 ": cannot hash (out of memory)",
		    e.seq);
		return;
	}
	if (e.seq == expected && sodium_memcmp(local, hash, DIGEST_BYTES) != 0) {
		finding(v, e.seq, "seq %" PRId64 " (%s): its hash does not match "
		    "its fields: the entry was edited, or moved here from "
		    "another seq", e.seq, e.type);
		v->chain_reported = true;
	}
	payload_agrees(v, item, &e);
	if (v->ck_next < v->ck_count && v->cks[v->ck_next].seq == e.seq)
		checkpoint_verify(v, &v->cks[v->ck_next++]);
	memcpy(v->prev_hash, hash, DIGEST_BYTES);
	if (e.seq > v->last_seq)
		v->last_seq = e.seq;
}

/* The entries after the last valid checkpoint: fewer than
 * --checkpoint-entries unless checkpoints were deleted. */
static void
uncovered_check(struct verifier_state *v)
{
	int64_t n;

	if (v->last_seq <= v->good_ck_seq)
		return;
	n = v->last_seq - v->good_ck_seq;	/* both >= 0: no overflow */
	if (n < v->uncovered_max)
		return;
	finding(v, v->good_ck_seq + 1, "seq %" PRId64 "..%" PRId64 ": %" PRId64
	    " entries are not covered by a valid checkpoint, but the daemon "
	    "leaves fewer than checkpoint_entries (%" PRId64 ") uncovered "
	    "after every commit: the checkpoints that covered them were "
	    "deleted, or the entries rewritten (verify with "
	    "--checkpoint-entries set to the daemon's checkpoint_entries)",
	    v->good_ck_seq + 1, v->last_seq, n, v->uncovered_max);
}

/* Pass 2: every entry line, in file order. */
static int
pass_entries(struct verifier_state *v)
{
	json_t *j, *inner;
	size_t len;
	int r;

	v->line_no = 0;
	while ((r = line_read(v, &len)) == 1) {
		/* pass 1 reported the lines that are not an export's */
		j = json_loadb(v->line, len, JSON_REJECT_DUPLICATES, NULL);
		inner = json_object_get(j, "entry");
		if (json_is_object(inner) && json_object_size(j) == 1)
			entry_check(v, inner);
		json_decref(j);
	}
	if (r < 0)
		return CTL_ERROR;
	while (v->ck_next < v->ck_count) {
		const struct ck *k = &v->cks[v->ck_next++];
		/* left over: k->seq > last_seq (or the walk stopped at
		 * INT64_MAX, reported), so last_seq + 1 cannot overflow */
		if (v->last_seq == INT64_MAX)
			continue;
		finding(v, v->last_seq + 1, "checkpoint at seq %" PRId64 ": the "
		    "entries end at seq %" PRId64 ": entries %" PRId64 "..%"
		    PRId64 " were deleted", k->seq, v->last_seq,
		    v->last_seq + 1, k->seq);
	}
	uncovered_check(v);
	return CTL_OK;
}

static void
verify_summary(const struct verifier_state *v)
{
	int64_t last_ck = v->ck_count > 0 ? v->cks[v->ck_count - 1].seq : 0;

	if (v->findings > AUDIT_FINDINGS_SHOWN_MAX)
		say(stdout, "(%lu more findings not shown)\n",
		    v->findings - AUDIT_FINDINGS_SHOWN_MAX);
	say(human_out(), "%s: %lu findings; %" PRId64 " entries (last seq %"
	    PRId64 "), %zu checkpoints of which %" PRId64 " verify with "
	    "--pubkey; signed up to seq %" PRId64 "; %" PRId64 " entries after "
	    "the last checkpoint are not signed\n", v->path, v->findings,
	    v->entries, v->last_seq, v->ck_count, v->verified, v->good_ck_seq,
	    v->last_seq > last_ck ? v->last_seq - last_ck : 0);
	if (v->first_bad > 0)
		say(human_out(), "%s: the first bad sequence number is %" PRId64
		    "\n", v->path, v->first_bad);
}

/* --checkpoint-entries N: 1..AUDIT_UNCOVERED_MAX, default 1000. */
static int
uncovered_max_parse(const char *text, int64_t *out)
{
	char *end;
	long long n;

	*out = AUDIT_UNCOVERED_DEFAULT;
	if (text == NULL)
		return CTL_OK;
	errno = 0;
	n = strtoll(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || text[0] == '-' ||
	    n < 1 || n > AUDIT_UNCOVERED_MAX) {
		ctl_err("--checkpoint-entries must be an integer 1..%d (the "
		    "daemon's checkpoint_entries)", AUDIT_UNCOVERED_MAX);
		return CTL_USAGE;
	}
	*out = n;
	return CTL_OK;
}

int
cmd_audit_verify(struct ctl *c)
{
	struct verifier_state v;
	int rc;

	memset(&v, 0, sizeof(v));
	v.path = c->o.argv[0];
	rc = uncovered_max_parse(c->o.checkpoint_entries, &v.uncovered_max);
	if (rc != CTL_OK)
		return rc;
	if (c->o.pubkey == NULL || hex_decode(v.pk, sizeof(v.pk), c->o.pubkey,
	    strlen(c->o.pubkey)) != TREASURY_OK) {
		ctl_err("audit verify needs --pubkey HEX: the daemon's journal "
		    "public key (%d hex digits), obtained from a source you "
		    "trust", 2 * JOURNAL_PUBLIC_KEY_BYTES);
		return CTL_USAGE;
	}
	rc = file_open_regular(v.path, &v.fp);
	if (rc != CTL_OK)
		return rc;
	v.line = malloc(AUDIT_LINE_MAX_BYTES + 1);
	if (v.line == NULL) {
		ctl_err("out of memory");
		fclose(v.fp);
		return CTL_ERROR;
	}
	rc = pass_checkpoints(&v);
	if (rc == CTL_OK && fseek(v.fp, 0, SEEK_SET) != 0) {
		ctl_err("cannot read %s again: %s", v.path, strerror(errno));
		rc = CTL_ERROR;
	}
	if (rc == CTL_OK)
		rc = pass_entries(&v);
	fclose(v.fp);
	free(v.line);
	if (rc == CTL_OK)
		verify_summary(&v);
	free(v.cks);
	if (rc != CTL_OK)
		return rc;
	return v.findings == 0 ? CTL_OK : CTL_ERROR;
}
