/*
 * audit_cmd.c: `treasuryd audit verify`, the journal's verification on a
 * database file, safe beside a running daemon (one read transaction on a
 * read-only connection):
 *
 *   treasuryd audit verify --db PATH [--pubkey HEX | --key FILE]
 *                          [--config FILE] [--checkpoint-entries N]
 *
 * The checkpoints' signatures are checked with --pubkey (the key obtained
 * out of band: the strongest check), else with the public half of the key
 * file --key, else of the config's journal_key (default journal.key
 * beside the database). More than N - 1 entries after the last valid
 * checkpoint is a finding (the writer never leaves that many: see
 * storage/checkpoint.c); N is --checkpoint-entries, else the config's
 * checkpoint_entries (1000 by default). Then `treasuryd check`'s checks
 * (store_check) run too, so that an edit of the state that leaves the journal alone is
 * reported as well. Every finding is one line "finding: ..." on standard
 * output, escaped (stored strings cannot drive the terminal); the summary
 * goes to standard error. Exit 0 when nothing is found, 1 on a finding or
 * failure, 2 on a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "treasury/audit.h"
#include "treasury/crypto_init.h"
#include "treasury/hex.h"
#include "treasury/log.h"
#include "treasury/maintenance.h"

#include "config.h"
#include "daemon.h"
#include "journal_key.h"

struct audit_args {
	const char *db_path;
	const char *pubkey[JOURNAL_PUBKEYS_MAX];	/* hex, in order given */
	unsigned npubkey;
	const char *key_file;
	const char *config_path;
	const char *checkpoint_entries;	/* NULL: the config's */
};

static void
audit_usage(void)
{
	fprintf(stderr, "usage: treasuryd audit verify --db PATH "
	    "[--pubkey HEX ... | --key FILE] [--config FILE]\n"
	    "                              [--checkpoint-entries N]\n"
	    "  (--pubkey up to %d times: a journal whose key was replaced)\n",
	    JOURNAL_PUBKEYS_MAX);
}

static int
audit_args_parse(int argc, char *argv[], struct audit_args *a)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "pubkey", required_argument, NULL, 'p' },
		{ "key", required_argument, NULL, 'k' },
		{ "config", required_argument, NULL, 'c' },
		{ "checkpoint-entries", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(a, 0, sizeof(*a));
	if (argc < 2 || strcmp(argv[1], "verify") != 0)
		return -1;
	optind = 2;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd': a->db_path = optarg; break;
		case 'p':
			if (a->npubkey == JOURNAL_PUBKEYS_MAX)
				return -1;
			a->pubkey[a->npubkey++] = optarg;
			break;
		case 'k': a->key_file = optarg; break;
		case 'c': a->config_path = optarg; break;
		case 'n': a->checkpoint_entries = optarg; break;
		default: return -1;
		}
	}
	if (optind != argc || a->db_path == NULL ||
	    (a->npubkey > 0 && a->key_file != NULL))
		return -1;
	if (store_path_is_postgresql(a->db_path) &&
	    config_db_uri_refused(a->db_path) != 0)
		return -1;	/* a password in it: why is logged */
	return 0;
}

/* The configuration for this database (--config, else the defaults).
 * Returns 0, or -1 after logging. */
static int
config_get(const struct audit_args *a, struct config *cfg)
{
	config_defaults(cfg);
	if (a->config_path != NULL && config_load_file(cfg, a->config_path))
		return -1;
	if (config_set(cfg, "db", a->db_path, "command line") != 0 ||
	    config_finish(cfg) != 0)
		return -1;
	return 0;
}

/* The config's journal_key for this database into path. Returns 0, or
 * -1 after logging. */
static int
config_key_path(const struct audit_args *a, char path[PATH_MAX])
{
	struct config cfg;

	if (config_get(a, &cfg) != 0)
		return -1;
	memcpy(path, cfg.journal_key, PATH_MAX);
	return 0;
}

/* The bound on the entries after the last valid checkpoint: the
 * daemon's checkpoint_entries. Returns 0, 2 (usage) or 1 after logging. */
static int
uncovered_max_get(const struct audit_args *a, int64_t *out)
{
	struct config cfg;
	char *end;
	long long n;

	if (a->checkpoint_entries == NULL) {
		if (config_get(a, &cfg) != 0)
			return 1;
		*out = cfg.checkpoint_entries;
		return 0;
	}
	errno = 0;
	n = strtoll(a->checkpoint_entries, &end, 10);
	if (errno != 0 || end == a->checkpoint_entries || *end != '\0' ||
	    a->checkpoint_entries[0] == '-' || n < 1 || n > 1000000) {
		fprintf(stderr, "treasuryd audit verify: --checkpoint-entries "
		    "must be an integer 1..1000000 (the daemon's "
		    "checkpoint_entries)\n");
		return 2;
	}
	*out = n;
	return 0;
}

/* The public keys to check signatures with (*npk of them at pk), and
 * where they came from. Returns 0, 2 (usage) or 1 after logging. */
static int
public_keys_get(const struct audit_args *a,
    uint8_t pk[JOURNAL_PUBKEYS_MAX][JOURNAL_PUBLIC_KEY_BYTES], unsigned *npk,
    char from[PATH_MAX + 32])
{
	char path[PATH_MAX];
	struct journal_key *k;

	*npk = 0;
	for (unsigned i = 0; i < a->npubkey; i++) {
		if (hex_decode(pk[i], JOURNAL_PUBLIC_KEY_BYTES, a->pubkey[i],
		    strlen(a->pubkey[i])) != TREASURY_OK) {
			fprintf(stderr, "treasuryd audit verify: --pubkey must be "
			    "%d hex digits (GET /v1/info journal_public_key)\n",
			    2 * JOURNAL_PUBLIC_KEY_BYTES);
			return 2;
		}
		*npk = i + 1;
		snprintf(from, PATH_MAX + 32, "--pubkey");
	}
	if (*npk > 0)
		return 0;
	if (a->key_file != NULL)
		snprintf(path, sizeof(path), "%s", a->key_file);
	else if (config_key_path(a, path) != 0)
		return 1;
	k = journal_key_load(path, false);
	if (k == NULL)
		return 1;
	memcpy(pk[0], k->pk, JOURNAL_PUBLIC_KEY_BYTES);
	*npk = 1;
	journal_key_free(k);
	snprintf(from, PATH_MAX + 32, "key file %s", path);
	return 0;
}

static void
finding_print(const char *text, void *ctx)
{
	unsigned long *n = ctx;

	(*n)++;
	printf("finding: %s\n", text);
}

static void
journal_summary(const char *path, const struct journal_report *r,
    const char *pk_hex, const char *from)
{
	fprintf(stderr, "audit: %s: journal: %lu findings; %lld entries "
	    "(last seq %lld), %lld checkpoints of which %lld verified with "
	    "public key(s) %s (%s); signed up to seq %lld; %lld entries after the "
	    "last checkpoint are not signed yet\n", path, r->findings,
	    (long long)r->entries, (long long)r->last_seq,
	    (long long)r->checkpoints, (long long)r->checkpoints_verified,
	    pk_hex, from, (long long)r->signed_seq,
	    (long long)r->unsigned_entries);
	if (r->first_bad_seq > 0)
		fprintf(stderr, "audit: %s: the first bad sequence number is "
		    "%lld\n", path, (long long)r->first_bad_seq);
}

/* store_check's findings too. Returns its finding count, or -1 when it
 * could not run (logged). */
static long
state_check(const char *path)
{
	char errmsg[STORE_ERRMSG_BYTES];
	struct check_report r;
	unsigned long n = 0;
	treasury_verifier *v;
	treasury_err err;

	v = treasury_verifier_create();
	if (v == NULL) {
		log_msg(LOG_ERR, "cannot create the signature verifier");
		return -1;
	}
	err = store_check(path, v, finding_print, &n, &r, errmsg);
	treasury_verifier_destroy(v);
	fflush(stdout);
	if (err != TREASURY_OK) {
		log_msg(LOG_ERR, "check failed: %s", errmsg);
		return -1;
	}
	fprintf(stderr, "audit: %s: state (treasuryd check): %lu findings\n",
	    path, r.findings);
	if (r.skipped > 0)
		fprintf(stderr, "audit: %s: not checked on PostgreSQL: SQLite's "
		    "integrity_check and foreign_key_check\n", path);
	return (long)r.findings;
}

int
audit_command(int argc, char *argv[])
{
	char errmsg[STORE_ERRMSG_BYTES], from[PATH_MAX + 32];
	char pk_hex[JOURNAL_PUBKEYS_MAX * (2 * JOURNAL_PUBLIC_KEY_BYTES + 2)];
	uint8_t pk[JOURNAL_PUBKEYS_MAX][JOURNAL_PUBLIC_KEY_BYTES];
	unsigned npk = 0;
	struct journal_report r;
	struct audit_args a;
	unsigned long n = 0;
	int64_t uncovered_max;
	long state;
	int rc;

	if (audit_args_parse(argc, argv, &a) != 0) {
		audit_usage();
		return 2;
	}
	if (treasury_crypto_init() != TREASURY_OK)
		fatalx("libsodium initialisation failed");
	rc = uncovered_max_get(&a, &uncovered_max);
	if (rc == 0)
		rc = public_keys_get(&a, pk, &npk, from);
	if (rc != 0)
		return rc;
	pk_hex[0] = '\0';
	for (unsigned i = 0; i < npk; i++) {	/* "hex, hex" */
		size_t len = strlen(pk_hex);

		if (i > 0) {
			memcpy(pk_hex + len, ", ", 3);
			len += 2;
		}
		hex_encode(pk_hex + len, pk[i], JOURNAL_PUBLIC_KEY_BYTES);
	}
	if (store_journal_verify(a.db_path, pk[0], npk, uncovered_max,
	    finding_print, &n, &r, errmsg) != TREASURY_OK) {
		log_msg(LOG_ERR, "audit verify failed: %s", errmsg);
		return 1;
	}
	fflush(stdout);
	journal_summary(a.db_path, &r, pk_hex, from);
	state = state_check(a.db_path);
	return r.findings == 0 && state == 0 ? 0 : 1;
}
