/*
 * main.c: treasuryctl's entry point: the option table, the command table,
 * --help for every command, and dispatch.
 *
 * treasuryctl [global options] COMMAND [SUBCOMMAND] [options] [arguments]
 * Options may also follow the command. Each command accepts a declared
 * subset of the options; any other option is a usage error (exit 2).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <sodium.h>

#include "ctl.h"
#include "treasury/crypto_init.h"

/* How an option's value is parsed and where it goes in struct ctl_opts. */
enum opt_kind {
	OPT_STRING,	/* const char *: the argument as given */
	OPT_FLAG,	/* bool: set, no argument */
	OPT_FD,		/* int: a file descriptor 0..1023 */
	OPT_THRESHOLD,	/* long: 1..SIGNERS_PER_TREASURY_MAX */
	OPT_HELP,	/* --help: no field; the help is printed */
};

struct option_def {
	const char *name;	/* --name; a row with the previous row's kind
				 * and field is its alias, accepted where that
				 * row is and named by it in messages */
	enum opt_kind kind;
	size_t field;		/* offsetof(struct ctl_opts, ...) */
	const char *arg;	/* the value's name in the global help */
	const char *help;	/* the global help's text, or NULL: a
				 * command's usage line shows its options */
};

#define OFF(f) offsetof(struct ctl_opts, f)

/* Every option; getopt's table, the parser and each command's accepted
 * set (names in commands[] below) come from this one table. */
static const struct option_def options[] = {
	/* name          kind           field                then the global
	 * help's value name and text (NULL: not in the global help) */
	{ "url",           OPT_STRING,    OFF(url),           "URL",
	  "server (default http://127.0.0.1:8420;\n"
	  "env TREASURYCTL_URL; config 'url')" },
	{ "token-file",    OPT_STRING,    OFF(token_file),    "PATH",
	  "API token file, mode 0600 (env TREASURYCTL_TOKEN\n"
	  "holds a token, TREASURYCTL_TOKEN_FILE a path;\n"
	  "config 'token_file')" },
	{ "config",        OPT_STRING,    OFF(config_path),   "PATH",
	  "config file (default ~/.config/treasuryctl/config)" },
	{ "cacert",        OPT_STRING,    OFF(cacert),        "FILE",
	  "https: CA certificates (PEM) that issued the\n"
	  "server's certificate (env TREASURYCTL_CACERT;\n"
	  "config 'cacert'; default: the system's)" },
	{ "pin",           OPT_STRING,    OFF(pin),           "sha256//B64",
	  "https: the server's public key pin, the base64\n"
	  "SHA-256 of its SubjectPublicKeyInfo; with it\n"
	  "the key is the trust, not a CA (env\n"
	  "TREASURYCTL_PIN; config 'pin')" },
	{ "client-cert",   OPT_STRING,    OFF(client_cert),   "FILE",
	  "https: client certificate (PEM) to present\n"
	  "(env TREASURYCTL_CLIENT_CERT; config\n"
	  "'client_cert')" },
	{ "client-key",    OPT_STRING,    OFF(client_key),    "FILE",
	  "its private key, mode 0600 (env\n"
	  "TREASURYCTL_CLIENT_KEY; config 'client_key')" },
	{ "keystore",      OPT_STRING,    OFF(keystore),      NULL, NULL },
	{ "signer",        OPT_STRING,    OFF(signer),        NULL, NULL },
	{ "status",        OPT_STRING,    OFF(status),        NULL, NULL },
	{ "asset",         OPT_STRING,    OFF(asset),         NULL, NULL },
	{ "amount",        OPT_STRING,    OFF(amount),        NULL, NULL },
	{ "to",            OPT_STRING,    OFF(to),            NULL, NULL },
	{ "memo",          OPT_STRING,    OFF(memo),          NULL, NULL },
	{ "expires",       OPT_STRING,    OFF(expires),       NULL, NULL },
	{ "file",          OPT_STRING,    OFF(file),          NULL, NULL },
	{ "reference",     OPT_STRING,    OFF(reference),     NULL, NULL },
	{ "source",        OPT_STRING,    OFF(source),        NULL, NULL },
	{ "type",          OPT_STRING,    OFF(key_type),      NULL, NULL },
	/* an alias of --type: */
	{ "key-type",      OPT_STRING,    OFF(key_type),      NULL, NULL },
	{ "name",          OPT_STRING,    OFF(name),          NULL, NULL },
	{ "pubkey",        OPT_STRING,    OFF(pubkey),        NULL, NULL },
	{ "signature",     OPT_STRING,    OFF(signature),     NULL, NULL },
	{ "decision",      OPT_STRING,    OFF(decision),      NULL, NULL },
	{ "kdf",           OPT_STRING,    OFF(kdf),           NULL, NULL },
	{ "threshold",     OPT_THRESHOLD, OFF(threshold),     NULL, NULL },
	{ "passphrase-fd", OPT_FD,        OFF(passphrase_fd), NULL, NULL },
	{ "secret-fd",     OPT_FD,        OFF(secret_fd),     NULL, NULL },
	{ "json",          OPT_FLAG,      OFF(json),          NULL,
	  "JSON output for scripts" },
	{ "yes",           OPT_FLAG,      OFF(yes),           NULL, NULL },
	{ "force",         OPT_FLAG,      OFF(force),         NULL, NULL },
	{ "approve",       OPT_FLAG,      OFF(approve_after), NULL, NULL },
	{ "out",           OPT_STRING,    OFF(out),           NULL, NULL },
	{ "checkpoint-entries", OPT_STRING, OFF(checkpoint_entries), NULL,
	  NULL },
	{ "help",          OPT_HELP,      0,                  NULL,
	  "this help" },
	{ "code",          OPT_STRING,    OFF(code),          NULL, NULL },
	{ "decimals",      OPT_STRING,    OFF(decimals),      NULL, NULL },
	{ "chain",         OPT_STRING,    OFF(chain),         NULL, NULL },
	{ "label",         OPT_STRING,    OFF(label),         NULL, NULL },
	{ "policy",        OPT_STRING,    OFF(policy),        NULL, NULL },
	{ "from",          OPT_STRING,    OFF(from),          NULL, NULL },
	{ "period",        OPT_STRING,    OFF(period),        NULL, NULL },
};

#define OPTIONS_COUNT (sizeof(options) / sizeof(options[0]))

enum { OPTION_VAL_BASE = 256 };	/* getopt's val: base + row, past chars */

/* Sets of options by name: every command accepts GLOBAL_OPTS. */
#define GLOBAL_OPTS "url token-file config cacert pin client-cert " \
	"client-key yes json help"
#define SIGN_OPTS "keystore passphrase-fd yes signer"
#define PROPOSE_OPTS "memo expires approve " SIGN_OPTS

struct command {
	const char *name;	/* "key new", "approve", ... */
	int (*run)(struct ctl *);
	const char *opts;	/* option names, besides GLOBAL_OPTS */
	int min_args, max_args;
	const char *usage;
	const char *help;
};

static const struct command commands[] = {
	{ "key new", cmd_key_new, "keystore type name kdf force passphrase-fd",
	    0, 0,
	  "key new --type ecdsa|schnorr --name NAME [--keystore PATH] "
	  "[--kdf interactive|moderate|sensitive] [--force] [--passphrase-fd N]",
	  "Make a new secret key and store it encrypted in the keystore." },
	{ "key import", cmd_key_import,
	    "keystore type name kdf force passphrase-fd secret-fd", 0, 0,
	  "key import --type ecdsa|schnorr --name NAME [--secret-fd N] "
	  "[--keystore PATH] [--kdf LEVEL] [--force] [--passphrase-fd N]",
	  "Store an existing 32-byte secret key (64 hex, read from --secret-fd\n"
	  "or the terminal, never from the command line) in the keystore." },
	{ "key show", cmd_key_show, "keystore", 0, 0,
	  "key show [--keystore PATH] [--json]",
	  "Show the keystore's signer name, key type and public key." },
	{ "key export-public", cmd_key_export_public, "keystore", 0, 0,
	  "key export-public [--keystore PATH]",
	  "Print the signer as JSON {\"name\",\"key_type\",\"pubkey\"} for the\n"
	  "treasury's administrator." },
	{ "treasuries", cmd_treasuries, "", 0, 0, "treasuries [--json]",
	  "List the treasuries." },
	{ "balances", cmd_balances, "", 1, 1, "balances TREASURY [--json]",
	  "Show a treasury's balances." },
	{ "ledger", cmd_ledger, "", 1, 1, "ledger TREASURY [--json]",
	  "Show a treasury's ledger, oldest entry first." },
	{ "policy", cmd_policy, "", 1, 1, "policy TREASURY [--json]",
	  "Show a treasury's policy lines (digest verified), its remaining\n"
	  "spending allowances and whether it is frozen." },
	{ "report", cmd_report, "from to period", 1, 1,
	  "report TREASURY --from DATE [--to DATE] [--period month|quarter|year]"
	  "\n        [--json]",
	  "Show a treasury's report of [--from, --to) (--to: the server's now)\n"
	  "per asset: opening, each category's inflow and outflow,\n"
	  "uncategorised, totals and closing; with --period, per calendar\n"
	  "month, quarter or year. DATE: YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or\n"
	  "unix seconds. Every figure is checked and the sums recomputed\n"
	  "exactly: a report that does not add up is refused (exit 5)." },
	{ "runway", cmd_runway, "", 1, 1, "runway TREASURY [--json]",
	  "Show each asset's balance, its outflow of the last 30 and 90 days\n"
	  "and the runway in months (balance / (outflow 90d / 3), rounded\n"
	  "down; '-' without outflow), recomputed here (exit 5 when wrong)." },
	{ "proposals", cmd_proposals, "status", 1, 1,
	  "proposals TREASURY [--status STATUS] [--json]",
	  "List a treasury's proposals, optionally only those with STATUS\n"
	  "(pending, approved, executed, rejected, expired, stale, cancelled,\n"
	  "vetoed)." },
	{ "show", cmd_show, "", 1, 1, "show ID [--json]",
	  "Fetch a proposal, verify its id and fields, and show what it does." },
	{ "approve", cmd_approve, SIGN_OPTS, 1, 1,
	  "approve ID [--keystore PATH] [--passphrase-fd N] [--yes]",
	  "Clear-sign an approval: verify the proposal, show it, ask, sign the\n"
	  "vote digest with the keystore's key and post the vote." },
	{ "veto", cmd_veto, SIGN_OPTS, 1, 1,
	  "veto ID [--keystore PATH] [--passphrase-fd N] [--yes]",
	  "Clear-sign a veto of a proposal whose track has a delay (as approve)." },
	{ "revoke", cmd_revoke, SIGN_OPTS, 1, 1,
	  "revoke ID [--keystore PATH] [--passphrase-fd N] [--yes]",
	  "Clear-sign the withdrawal of your approval (final for you)." },
	{ "key-proof", cmd_key_proof, SIGN_OPTS, 1, 1,
	  "key-proof ID --keystore NEWKEY [--passphrase-fd N] [--yes]",
	  "Prove possession of the new key of an add-signer or replace-signer,\n"
	  "signing with the new key's keystore. Not an approval." },
	{ "freeze", cmd_freeze, SIGN_OPTS, 1, 1,
	  "freeze TREASURY [--keystore PATH] [--passphrase-fd N] [--yes]",
	  "Show and clear-sign a freeze request for the treasury's next freeze:\n"
	  "nothing executes until an unfreeze approved by M signers." },
	{ "reject", cmd_reject, SIGN_OPTS, 1, 1,
	  "reject ID [--keystore PATH] [--passphrase-fd N] [--yes]",
	  "Clear-sign a rejection (as approve)." },
	{ "propose transfer", cmd_propose, PROPOSE_OPTS " asset amount to",
	    1, 1,
	  "propose transfer TREASURY --asset A --amount X --to DEST [--memo M]\n"
	  "        [--expires 3d|12h|30m|YYYY-MM-DDTHH:MM:SSZ] [--approve]",
	  "Propose a transfer; check the canonical text the server made; with\n"
	  "--approve, clear-sign an approval of it." },
	{ "propose batch", cmd_propose, PROPOSE_OPTS " file", 1, 1,
	  "propose batch TREASURY --file transfers.csv [--memo M] [--expires E]"
	  " [--approve]",
	  "Propose a batch. Each line of the file is asset,amount,to[,memo]\n"
	  "(the memo is the rest of the line); '#' lines and a first line\n"
	  "starting with 'asset,' are skipped." },
	{ "propose add-signer", cmd_propose, PROPOSE_OPTS " name type pubkey",
	    1, 1,
	  "propose add-signer TREASURY --name N --type T --pubkey HEX [...]",
	  "Propose adding a signer (the threshold stays; see set-threshold)." },
	{ "propose remove-signer", cmd_propose, PROPOSE_OPTS " name", 1, 1,
	  "propose remove-signer TREASURY --name N [...]",
	  "Propose removing a signer." },
	{ "propose replace-signer", cmd_propose,
	    PROPOSE_OPTS " name type pubkey", 1, 1,
	  "propose replace-signer TREASURY --name N --type T --pubkey HEX [...]",
	  "Propose a new key for a signer." },
	{ "propose set-threshold", cmd_propose, PROPOSE_OPTS " threshold",
	    1, 1, "propose set-threshold TREASURY --threshold M [...]",
	  "Propose a new threshold M." },
	{ "propose set-policy", cmd_propose, PROPOSE_OPTS " file", 1, 1,
	  "propose set-policy TREASURY --file policy.json [--memo M] "
	  "[--expires E]\n        [--approve]",
	  "Propose the treasury's whole policy after the change: the file holds\n"
	  "the policy JSON object of docs/api.md. The policy in the canonical\n"
	  "text the server made must be the file's, line by line (exit 5 names\n"
	  "the first line that differs)." },
	{ "propose unfreeze", cmd_propose, PROPOSE_OPTS, 1, 1,
	  "propose unfreeze TREASURY [--memo M] [--expires E] [--approve]",
	  "Propose lifting the freeze in force (the daemon names it; the text\n"
	  "must name the freeze the treasury's policy says is in force). It\n"
	  "needs M approvals and the spend delay." },
	{ "sign-offline", cmd_sign_offline,
	    "keystore passphrase-fd yes decision", 0, 1,
	  "sign-offline [FILE|-] --decision approve|reject [--keystore PATH]\n"
	  "        [--passphrase-fd N] [--yes] [--json]",
	  "Air-gapped signing: read a canonical text (file or standard input),\n"
	  "show its id and meaning, and print the vote signature. Nothing is\n"
	  "sent anywhere." },
	{ "vote", cmd_vote, "signature decision signer", 1, 1,
	  "vote ID --signature HEX [--decision approve|reject] [--signer NAME]",
	  "Post a vote signed elsewhere (sign-offline), after verifying the\n"
	  "proposal and that the signature is a signer's for this id." },
	{ "deposit", cmd_deposit, "asset amount reference source memo", 1, 1,
	  "deposit TREASURY --asset A --amount X --reference R [--source S]"
	  " [--memo M]",
	  "Record a deposit (treasurer)." },
	{ "trust show", cmd_trust_show, "", 1, 1, "trust show TREASURY [--yes]",
	  "Pin the server and the treasury on first use (shown in full and\n"
	  "asked; --yes accepts), advance the pins through verified config\n"
	  "changes, and show what is pinned." },
	{ "trust list", cmd_trust_list, "", 0, 0, "trust list [--json]",
	  "List the pinned servers and treasuries (local, no server)." },
	{ "trust forget", cmd_trust_forget, "", 1, 1, "trust forget TREASURY",
	  "Drop the pins of a treasury of this server's instance: it is\n"
	  "shown for comparison and asked again on next use." },
	{ "trust forget-server", cmd_trust_forget_server, "", 0, 0,
	  "trust forget-server",
	  "Drop the pinned instance of this server URL (after the operator\n"
	  "really replaced the daemon)." },
	{ "bundle", cmd_bundle, "out file", 0, 1,
	  "bundle ID [--out FILE] | bundle --file FILE",
	  "Download an executed proposal's bundle (canonical text and\n"
	  "approvals) and verify it against the pinned signer keys of its\n"
	  "config version; --out saves it; --file verifies a saved bundle\n"
	  "offline." },
	{ "execute", cmd_execute, "yes", 1, 1, "execute ID [--yes]",
	  "Verify an approved proposal, show it, ask, and execute it\n"
	  "(treasurer)." },
	{ "cancel", cmd_cancel, "yes", 1, 1, "cancel ID [--yes]",
	  "Withdraw a pending proposal: verify it, show it, ask, and cancel it.\n"
	  "Only the token that made the proposal may." },
	{ "settle", cmd_settle, "reference", 1, 1,
	  "settle ID --reference TXID",
	  "Record the chain transaction that settled an executed proposal\n"
	  "(treasurer). TXID: 1..128 printable ASCII characters, no spaces." },
	{ "export", cmd_export, "out force", 1, 1,
	  "export ID [--out FILE [--force]]",
	  "Verify a proposal and write its canonical text, byte for byte, to\n"
	  "standard output or FILE (mode 0600): carry it to an air-gapped\n"
	  "machine and sign it there with sign-offline." },
	{ "audit export", cmd_audit_export, "out", 0, 0,
	  "audit export --out FILE",
	  "Write the whole journal and its signed checkpoints (every page of\n"
	  "GET /v1/journal and /v1/journal/checkpoints) to a new file, as JSON\n"
	  "Lines, for an auditor (docs/audit.md). FILE must not exist." },
	{ "audit verify", cmd_audit_verify, "pubkey checkpoint-entries", 1, 1,
	  "audit verify FILE --pubkey HEX [--checkpoint-entries N]",
	  "Verify an export offline: recompute the hash chain from every\n"
	  "entry's fields, check every checkpoint's signature with --pubkey\n"
	  "(the daemon's journal public key, from a source you trust) and name\n"
	  "the first bad sequence number. N or more entries after the last\n"
	  "valid checkpoint is a finding: N is the daemon's checkpoint_entries\n"
	  "(default 1000). At most 1000000 checkpoints. Exit 0 clean, 1 a\n"
	  "finding." },
	{ "asset create", cmd_asset_create, "code decimals chain", 0, 0,
	  "asset create --code C --decimals D --chain CH",
	  "Register an asset (admin): code [A-Za-z0-9][A-Za-z0-9._-]{0,31},\n"
	  "decimals 0..18, chain 1..32 of [a-z0-9._-]." },
	{ "treasury create", cmd_treasury_create,
	    "threshold file name policy", 1, 1,
	  "treasury create ID --threshold M --file signers.jsonl [--name NAME]\n"
	  "        [--policy policy.json]",
	  "Create a treasury (admin). signers.jsonl holds the signers'\n"
	  "`treasuryctl key export-public` objects (one per line, or as that\n"
	  "command prints them), checked here: a name or key twice is refused.\n"
	  "The server's answer must echo the signer set sent." },
	{ "address add", cmd_address_add, "label force", 1, 1,
	  "address add DEST --label LABEL [--force]",
	  "Label a destination in your own address book (--force relabels).\n"
	  "LABEL: 1..64 bytes, no comma, no control or invisible character." },
	{ "address list", cmd_address_list, "", 0, 0, "address list [--json]",
	  "List your address book." },
	{ "address remove", cmd_address_remove, "", 1, 1, "address remove DEST",
	  "Remove a destination from your address book." },
	{ "address import", cmd_address_import, "", 1, 1, "address import FILE.csv",
	  "Add or relabel every dest,label line of a CSV file, all or nothing.\n"
	  "'#' lines and a first line 'dest,label' are skipped; errors name\n"
	  "file:line." },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char exit_codes_help[] =
	"Exit codes: 0 ok, 1 error, 2 usage, 3 network, 4 refused by the server,\n"
	"5 verification failed (nothing signed), 6 wrong passphrase,\n"
	"7 not confirmed. See treasuryctl(1).\n";

enum { HELP_COLUMN = 21 };	/* where an option's help text starts */

/* The global options (the rows with help text) and the exit codes. */
static void
global_help_print(FILE *fp)
{
	char head[64];
	const char *h;
	size_t i;

	fputs("Global options (any command):\n", fp);
	for (i = 0; i < OPTIONS_COUNT; i++) {
		if (options[i].help == NULL)
			continue;
		snprintf(head, sizeof(head), "--%s%s%s", options[i].name,
		    options[i].arg != NULL ? " " : "",
		    options[i].arg != NULL ? options[i].arg : "");
		fprintf(fp, "  %-*s", HELP_COLUMN - 2, head);
		for (h = options[i].help; *h != '\0'; h++) {
			fputc(*h, fp);
			if (*h == '\n')
				fprintf(fp, "%*s", HELP_COLUMN, "");
		}
		fputc('\n', fp);
	}
	fputs(exit_codes_help, fp);
}

void
ctl_err(const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	say(stderr, "treasuryctl: %s\n", msg);
}

const char *
json_str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* A command's name and the first sentence of its help, on one line. */
static void
summary_print(const struct command *cmd, FILE *fp)
{
	const char *h = cmd->help;
	size_t i;

	fprintf(fp, "  %-24s ", cmd->name);
	for (i = 0; h[i] != '\0'; i++) {
		fputc(h[i] == '\n' ? ' ' : h[i], fp);
		if (h[i] == '.' && (h[i + 1] == ' ' || h[i + 1] == '\n' ||
		    h[i + 1] == '\0'))
			break;
	}
	fputc('\n', fp);
}

static void
usage_all(FILE *fp)
{
	size_t i;

	fputs("usage: treasuryctl [global options] COMMAND [options] [args]\n"
	    "Commands:\n", fp);
	for (i = 0; i < N_COMMANDS; i++)
		summary_print(&commands[i], fp);
	fputs("Run 'treasuryctl COMMAND --help' for a command's options.\n",
	    fp);
	global_help_print(fp);
}

/* Whether cmd is a subcommand of the group word ("key new" of "key"). */
static bool
in_group(const struct command *cmd, const char *word)
{
	size_t n = strlen(word);

	return strncmp(cmd->name, word, n) == 0 && cmd->name[n] == ' ';
}

/* Whether word names a group of subcommands ("key", "propose", ...). */
static bool
group_exists(const char *word)
{
	size_t i;

	for (i = 0; i < N_COMMANDS; i++)
		if (in_group(&commands[i], word))
			return true;
	return false;
}

static void
usage_group(const char *word, FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: treasuryctl %s SUBCOMMAND [options] [args]\n"
	    "Subcommands:\n", word);
	for (i = 0; i < N_COMMANDS; i++)
		if (in_group(&commands[i], word))
			summary_print(&commands[i], fp);
	fprintf(fp, "Run 'treasuryctl %s SUBCOMMAND --help' for a subcommand's"
	    " options.\n", word);
}

/* "key", "key --help": the group's subcommands (a usage error without
 * --help, or for an unknown subcommand). */
static int
group_help(int argc, char **argv)
{
	bool help = argc > 1 && strcmp(argv[1], "--help") == 0;

	if (argc > 1 && !help)
		ctl_err("unknown %s subcommand '%s'", argv[0], argv[1]);
	else if (!help)
		ctl_err("%s needs a subcommand", argv[0]);
	usage_group(argv[0], help ? stdout : stderr);
	return help ? CTL_OK : CTL_USAGE;
}

static void
usage_command(const struct command *cmd, FILE *fp)
{
	fprintf(fp, "usage: treasuryctl %s\n\n%s\n\n", cmd->usage, cmd->help);
	global_help_print(fp);
}

/* Find the command named by argv[0] (and argv[1] for key/propose).
 * *used is how many words it took. */
static const struct command *
command_find(int argc, char **argv, int *used)
{
	char name[64];
	size_t i;

	for (i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, argv[0]) == 0) {
			*used = 1;
			return &commands[i];
		}
	if (argc < 2)
		return NULL;
	snprintf(name, sizeof(name), "%s %s", argv[0], argv[1]);
	for (i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0) {
			*used = 2;
			return &commands[i];
		}
	return NULL;
}

static int
fd_parse(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > 1023)
		return -1;
	*out = (int)v;
	return 0;
}

static int
threshold_parse(const char *s, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *out < 1 ||
	    *out > SIGNERS_PER_TREASURY_MAX)
		return -1;
	return 0;
}

/* Store the value of option d. Returns 0, or -1 for a bad value
 * (message printed). */
static int
option_set(struct ctl_opts *o, const struct option_def *d, const char *arg)
{
	void *field = (char *)o + d->field;

	switch (d->kind) {
	case OPT_STRING:
		*(const char **)field = arg;
		return 0;
	case OPT_FLAG:
		*(bool *)field = true;
		return 0;
	case OPT_FD:
		if (fd_parse(arg, field) == 0)
			return 0;
		ctl_err("a file descriptor must be a number 0..1023");
		return -1;
	case OPT_THRESHOLD:
		if (threshold_parse(arg, field) == 0)
			return 0;
		ctl_err("--%s must be an integer 1..%d", d->name,
		    SIGNERS_PER_TREASURY_MAX);
		return -1;
	case OPT_HELP:
		return 0;
	}
	return -1;
}

/* The row an alias stands for (the row itself when it is none). */
static const struct option_def *
option_canonical(const struct option_def *d)
{
	while (d > options && d[-1].kind == d->kind && d[-1].field == d->field)
		d--;
	return d;
}

/* Whether the space-separated list words holds name. */
static bool
word_in(const char *words, const char *name)
{
	size_t n = strlen(name), len;

	while (*words != '\0') {
		len = strcspn(words, " ");
		if (len == n && strncmp(words, name, n) == 0)
			return true;
		words += len;
		words += strspn(words, " ");
	}
	return false;
}

/* Whether every name in the space-separated list words is an option's:
 * a misspelt name in commands[] would refuse that option silently. */
static bool
words_are_options(const char *words)
{
	size_t i, len;

	while (*words != '\0') {
		len = strcspn(words, " ");
		for (i = 0; i < OPTIONS_COUNT; i++)
			if (strlen(options[i].name) == len &&
			    strncmp(options[i].name, words, len) == 0)
				break;
		if (i == OPTIONS_COUNT)
			return false;
		words += len;
		words += strspn(words, " ");
	}
	return true;
}

/* getopt's table, made from options[]: val is OPTION_VAL_BASE + row. */
static const struct option *
long_opts(void)
{
	static struct option lo[OPTIONS_COUNT + 1];
	size_t i;

	for (i = 0; i < OPTIONS_COUNT; i++) {
		lo[i].name = options[i].name;
		lo[i].has_arg = options[i].kind == OPT_FLAG ||
		    options[i].kind == OPT_HELP ? no_argument :
		    required_argument;
		lo[i].flag = NULL;
		lo[i].val = OPTION_VAL_BASE + (int)i;
	}
	return lo;
}

/* Parse options (global ones before the command when cmd is NULL).
 * Returns 0, 1 for --help, -1 on a usage error. */
static int
options_parse(struct ctl_opts *o, int argc, char **argv,
    const struct command *cmd, bool stop_at_command)
{
	const struct option *lo = long_opts();
	const struct option_def *d;
	int ch;
	bool help = false;

	optind = 0;	/* glibc: 0 re-initialises getopt fully */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, stop_at_command ? "+" : "",
	    lo, NULL)) != -1) {
		if (ch < OPTION_VAL_BASE) {
			ctl_err("unknown option or missing value: %s",
			    argv[optind - 1]);
			return -1;
		}
		d = &options[ch - OPTION_VAL_BASE];
		if (!word_in(GLOBAL_OPTS, option_canonical(d)->name) &&
		    (cmd == NULL || !word_in(cmd->opts,
		    option_canonical(d)->name))) {
			ctl_err("--%s is not an option of %s",
			    option_canonical(d)->name,
			    cmd ? cmd->name : "treasuryctl");
			return -1;
		}
		if (d->kind == OPT_HELP)
			help = true;
		else if (option_set(o, d, optarg) != 0)
			return -1;
	}
	return help ? 1 : 0;
}

static int
run(struct ctl *c, int argc, char **argv)
{
	const struct command *cmd;
	int used, r;

	r = options_parse(&c->o, argc, argv, NULL, true);
	if (r != 0 || optind >= argc) {
		usage_all(r == 1 ? stdout : stderr);
		return r == 1 ? CTL_OK : CTL_USAGE;
	}
	argc -= optind;
	argv += optind;
	if (strcmp(argv[0], "help") == 0) {
		if (argc > 1 && (cmd = command_find(argc - 1, argv + 1,
		    &used)) != NULL)
			usage_command(cmd, stdout);
		else if (argc > 1 && group_exists(argv[1]))
			usage_group(argv[1], stdout);
		else
			usage_all(stdout);
		return CTL_OK;
	}
	cmd = command_find(argc, argv, &used);
	if (cmd == NULL && group_exists(argv[0]))
		return group_help(argc, argv);
	if (cmd == NULL) {
		ctl_err("unknown command '%s'%s%s", argv[0],
		    argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
		usage_all(stderr);
		return CTL_USAGE;
	}
	if (!words_are_options(GLOBAL_OPTS) || !words_are_options(cmd->opts)) {
		ctl_err("internal error: %s accepts an unknown option",
		    cmd->name);
		return CTL_ERROR;
	}
	c->command = cmd->name;
	/* getopt wants argv[0] to be a program name: reuse the last word. */
	argc -= used - 1;
	argv += used - 1;
	r = options_parse(&c->o, argc, argv, cmd, false);
	if (r != 0) {
		usage_command(cmd, r == 1 ? stdout : stderr);
		return r == 1 ? CTL_OK : CTL_USAGE;
	}
	c->o.argc = argc - optind;
	c->o.argv = argv + optind;
	if (c->o.argc < cmd->min_args || c->o.argc > cmd->max_args) {
		ctl_err("%s: wrong number of arguments", cmd->name);
		usage_command(cmd, stderr);
		return CTL_USAGE;
	}
	if (c->o.json)
		human_out_set(stderr);	/* standard output is for JSON */
	r = config_resolve(c);
	if (r != CTL_OK)
		return r;
	return cmd->run(c);
}

/* The process holds secret keys and tokens: no core file, and not
 * dumpable (no ptrace attach or /proc/PID/mem by the user's other
 * processes). Returns 0, or -1 with the message printed. */
static int
process_harden(void)
{
	const struct rlimit no_core = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &no_core) != 0) {
		ctl_err("cannot disable core dumps: %s", strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		ctl_err("cannot make the process non-dumpable: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct ctl c;
	int rc;

	if (process_harden() != 0)
		return CTL_ERROR;
	memset(&c, 0, sizeof(c));
	c.o.threshold = -1;
	c.o.passphrase_fd = -1;
	c.o.secret_fd = -1;
	if (treasury_crypto_init() != TREASURY_OK) {
		ctl_err("cannot initialise libsodium");
		return CTL_ERROR;
	}
	c.verifier = treasury_verifier_create();
	if (c.verifier == NULL) {
		ctl_err("out of memory");
		return CTL_ERROR;
	}
	http_global_init();
	rc = run(&c, argc, argv);
	http_global_cleanup();
	config_free(&c);
	treasury_verifier_destroy(c.verifier);
	return rc;
}
