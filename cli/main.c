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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <sodium.h>

#include "ctl.h"
#include "treasury/crypto_init.h"

enum opt_id {
	O_URL = 1, O_TOKEN_FILE, O_CONFIG, O_KEYSTORE, O_SIGNER, O_STATUS,
	O_ASSET, O_AMOUNT, O_TO, O_MEMO, O_EXPIRES, O_FILE, O_REFERENCE,
	O_SOURCE, O_KEY_TYPE, O_NAME, O_PUBKEY, O_SIGNATURE, O_DECISION,
	O_KDF, O_THRESHOLD, O_PASSPHRASE_FD, O_SECRET_FD, O_JSON, O_YES,
	O_FORCE, O_APPROVE, O_OUT, O_HELP, O_CODE, O_DECIMALS, O_CHAIN,
	O_LABEL, O_POLICY,
};

#define BIT(o) (1ull << (o))
#define GLOBAL_OPTS (BIT(O_URL) | BIT(O_TOKEN_FILE) | BIT(O_CONFIG) | BIT(O_YES) | \
	BIT(O_JSON) | BIT(O_HELP))
#define SIGN_OPTS (BIT(O_KEYSTORE) | BIT(O_PASSPHRASE_FD) | BIT(O_YES) | \
	BIT(O_SIGNER))
#define PROPOSE_OPTS (BIT(O_MEMO) | BIT(O_EXPIRES) | BIT(O_APPROVE) | \
	SIGN_OPTS)

static const struct option long_opts[] = {
	{ "url", required_argument, NULL, O_URL },
	{ "token-file", required_argument, NULL, O_TOKEN_FILE },
	{ "config", required_argument, NULL, O_CONFIG },
	{ "keystore", required_argument, NULL, O_KEYSTORE },
	{ "signer", required_argument, NULL, O_SIGNER },
	{ "status", required_argument, NULL, O_STATUS },
	{ "asset", required_argument, NULL, O_ASSET },
	{ "amount", required_argument, NULL, O_AMOUNT },
	{ "to", required_argument, NULL, O_TO },
	{ "memo", required_argument, NULL, O_MEMO },
	{ "expires", required_argument, NULL, O_EXPIRES },
	{ "file", required_argument, NULL, O_FILE },
	{ "reference", required_argument, NULL, O_REFERENCE },
	{ "source", required_argument, NULL, O_SOURCE },
	{ "type", required_argument, NULL, O_KEY_TYPE },
	{ "key-type", required_argument, NULL, O_KEY_TYPE },
	{ "name", required_argument, NULL, O_NAME },
	{ "pubkey", required_argument, NULL, O_PUBKEY },
	{ "signature", required_argument, NULL, O_SIGNATURE },
	{ "decision", required_argument, NULL, O_DECISION },
	{ "kdf", required_argument, NULL, O_KDF },
	{ "threshold", required_argument, NULL, O_THRESHOLD },
	{ "passphrase-fd", required_argument, NULL, O_PASSPHRASE_FD },
	{ "secret-fd", required_argument, NULL, O_SECRET_FD },
	{ "json", no_argument, NULL, O_JSON },
	{ "yes", no_argument, NULL, O_YES },
	{ "force", no_argument, NULL, O_FORCE },
	{ "approve", no_argument, NULL, O_APPROVE },
	{ "out", required_argument, NULL, O_OUT },
	{ "help", no_argument, NULL, O_HELP },
	{ "code", required_argument, NULL, O_CODE },
	{ "decimals", required_argument, NULL, O_DECIMALS },
	{ "chain", required_argument, NULL, O_CHAIN },
	{ "label", required_argument, NULL, O_LABEL },
	{ "policy", required_argument, NULL, O_POLICY },
	{ NULL, 0, NULL, 0 },
};

struct command {
	const char *name;	/* "key new", "approve", ... */
	int (*run)(struct ctl *);
	unsigned long long opts;	/* besides GLOBAL_OPTS */
	int min_args, max_args;
	const char *usage;
	const char *help;
};

static const struct command commands[] = {
	{ "key new", cmd_key, BIT(O_KEYSTORE) | BIT(O_KEY_TYPE) | BIT(O_NAME) |
	    BIT(O_KDF) | BIT(O_FORCE) | BIT(O_PASSPHRASE_FD), 0, 0,
	  "key new --type ecdsa|schnorr --name NAME [--keystore PATH] "
	  "[--kdf interactive|moderate|sensitive] [--force] [--passphrase-fd N]",
	  "Make a new secret key and store it encrypted in the keystore." },
	{ "key import", cmd_key, BIT(O_KEYSTORE) | BIT(O_KEY_TYPE) |
	    BIT(O_NAME) | BIT(O_KDF) | BIT(O_FORCE) | BIT(O_PASSPHRASE_FD) |
	    BIT(O_SECRET_FD), 0, 0,
	  "key import --type ecdsa|schnorr --name NAME [--secret-fd N] "
	  "[--keystore PATH] [--kdf LEVEL] [--force] [--passphrase-fd N]",
	  "Store an existing 32-byte secret key (64 hex, read from --secret-fd\n"
	  "or the terminal, never from the command line) in the keystore." },
	{ "key show", cmd_key, BIT(O_KEYSTORE), 0, 0,
	  "key show [--keystore PATH] [--json]",
	  "Show the keystore's signer name, key type and public key." },
	{ "key export-public", cmd_key, BIT(O_KEYSTORE), 0, 0,
	  "key export-public [--keystore PATH]",
	  "Print the signer as JSON {\"name\",\"key_type\",\"pubkey\"} for the\n"
	  "treasury's administrator." },
	{ "treasuries", cmd_treasuries, 0, 0, 0, "treasuries [--json]",
	  "List the treasuries." },
	{ "balances", cmd_balances, 0, 1, 1, "balances TREASURY [--json]",
	  "Show a treasury's balances." },
	{ "ledger", cmd_ledger, 0, 1, 1, "ledger TREASURY [--json]",
	  "Show a treasury's ledger, oldest entry first." },
	{ "policy", cmd_policy, 0, 1, 1, "policy TREASURY [--json]",
	  "Show a treasury's policy lines (digest verified), its remaining\n"
	  "spending allowances and whether it is frozen." },
	{ "proposals", cmd_proposals, BIT(O_STATUS), 1, 1,
	  "proposals TREASURY [--status STATUS] [--json]",
	  "List a treasury's proposals, optionally only those with STATUS\n"
	  "(pending, approved, executed, rejected, expired, stale, cancelled,\n"
	  "vetoed)." },
	{ "show", cmd_show, 0, 1, 1, "show ID [--json]",
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
	{ "propose transfer", cmd_propose, PROPOSE_OPTS | BIT(O_ASSET) |
	    BIT(O_AMOUNT) | BIT(O_TO), 1, 1,
	  "propose transfer TREASURY --asset A --amount X --to DEST [--memo M]\n"
	  "        [--expires 3d|12h|30m|YYYY-MM-DDTHH:MM:SSZ] [--approve]",
	  "Propose a transfer; check the canonical text the server made; with\n"
	  "--approve, clear-sign an approval of it." },
	{ "propose batch", cmd_propose, PROPOSE_OPTS | BIT(O_FILE), 1, 1,
	  "propose batch TREASURY --file transfers.csv [--memo M] [--expires E]"
	  " [--approve]",
	  "Propose a batch. Each line of the file is asset,amount,to[,memo]\n"
	  "(the memo is the rest of the line); '#' lines and a first line\n"
	  "starting with 'asset,' are skipped." },
	{ "propose add-signer", cmd_propose, PROPOSE_OPTS | BIT(O_NAME) |
	    BIT(O_KEY_TYPE) | BIT(O_PUBKEY), 1, 1,
	  "propose add-signer TREASURY --name N --type T --pubkey HEX [...]",
	  "Propose adding a signer (the threshold stays; see set-threshold)." },
	{ "propose remove-signer", cmd_propose, PROPOSE_OPTS | BIT(O_NAME), 1, 1,
	  "propose remove-signer TREASURY --name N [...]",
	  "Propose removing a signer." },
	{ "propose replace-signer", cmd_propose, PROPOSE_OPTS | BIT(O_NAME) |
	    BIT(O_KEY_TYPE) | BIT(O_PUBKEY), 1, 1,
	  "propose replace-signer TREASURY --name N --type T --pubkey HEX [...]",
	  "Propose a new key for a signer." },
	{ "propose set-threshold", cmd_propose, PROPOSE_OPTS | BIT(O_THRESHOLD),
	    1, 1, "propose set-threshold TREASURY --threshold M [...]",
	  "Propose a new threshold M." },
	{ "propose set-policy", cmd_propose, PROPOSE_OPTS | BIT(O_FILE), 1, 1,
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
	{ "sign-offline", cmd_sign_offline, BIT(O_KEYSTORE) |
	    BIT(O_PASSPHRASE_FD) | BIT(O_YES) | BIT(O_DECISION), 0, 1,
	  "sign-offline [FILE|-] --decision approve|reject [--keystore PATH]\n"
	  "        [--passphrase-fd N] [--yes] [--json]",
	  "Air-gapped signing: read a canonical text (file or standard input),\n"
	  "show its id and meaning, and print the vote signature. Nothing is\n"
	  "sent anywhere." },
	{ "vote", cmd_vote, BIT(O_SIGNATURE) | BIT(O_DECISION) | BIT(O_SIGNER),
	    1, 1,
	  "vote ID --signature HEX [--decision approve|reject] [--signer NAME]",
	  "Post a vote signed elsewhere (sign-offline), after verifying the\n"
	  "proposal and that the signature is a signer's for this id." },
	{ "deposit", cmd_deposit, BIT(O_ASSET) | BIT(O_AMOUNT) |
	    BIT(O_REFERENCE) | BIT(O_SOURCE) | BIT(O_MEMO), 1, 1,
	  "deposit TREASURY --asset A --amount X --reference R [--source S]"
	  " [--memo M]",
	  "Record a deposit (treasurer)." },
	{ "trust show", cmd_trust, 0, 1, 1, "trust show TREASURY [--yes]",
	  "Pin the server and the treasury on first use (shown in full and\n"
	  "asked; --yes accepts), advance the pins through verified config\n"
	  "changes, and show what is pinned." },
	{ "trust list", cmd_trust, 0, 0, 0, "trust list [--json]",
	  "List the pinned servers and treasuries (local, no server)." },
	{ "trust forget", cmd_trust, 0, 1, 1, "trust forget TREASURY",
	  "Drop the pins of a treasury of this server's instance: it is\n"
	  "shown for comparison and asked again on next use." },
	{ "trust forget-server", cmd_trust, 0, 0, 0, "trust forget-server",
	  "Drop the pinned instance of this server URL (after the operator\n"
	  "really replaced the daemon)." },
	{ "bundle", cmd_bundle, BIT(O_OUT) | BIT(O_FILE), 0, 1,
	  "bundle ID [--out FILE] | bundle --file FILE",
	  "Download an executed proposal's bundle (canonical text and\n"
	  "approvals) and verify it against the pinned signer keys of its\n"
	  "config version; --out saves it; --file verifies a saved bundle\n"
	  "offline." },
	{ "execute", cmd_execute, BIT(O_YES), 1, 1, "execute ID [--yes]",
	  "Verify an approved proposal, show it, ask, and execute it\n"
	  "(treasurer)." },
	{ "cancel", cmd_cancel, BIT(O_YES), 1, 1, "cancel ID [--yes]",
	  "Withdraw a pending proposal: verify it, show it, ask, and cancel it.\n"
	  "Only the token that made the proposal may." },
	{ "settle", cmd_settle, BIT(O_REFERENCE), 1, 1,
	  "settle ID --reference TXID",
	  "Record the chain transaction that settled an executed proposal\n"
	  "(treasurer). TXID: 1..128 printable ASCII characters, no spaces." },
	{ "export", cmd_export, BIT(O_OUT) | BIT(O_FORCE), 1, 1,
	  "export ID [--out FILE [--force]]",
	  "Verify a proposal and write its canonical text, byte for byte, to\n"
	  "standard output or FILE (mode 0600): carry it to an air-gapped\n"
	  "machine and sign it there with sign-offline." },
	{ "asset create", cmd_asset_create, BIT(O_CODE) | BIT(O_DECIMALS) |
	    BIT(O_CHAIN), 0, 0,
	  "asset create --code C --decimals D --chain CH",
	  "Register an asset (admin): code [A-Za-z0-9][A-Za-z0-9._-]{0,31},\n"
	  "decimals 0..18, chain 1..32 of [a-z0-9._-]." },
	{ "treasury create", cmd_treasury_create, BIT(O_THRESHOLD) |
	    BIT(O_FILE) | BIT(O_NAME) | BIT(O_POLICY), 1, 1,
	  "treasury create ID --threshold M --file signers.jsonl [--name NAME]\n"
	  "        [--policy policy.json]",
	  "Create a treasury (admin). signers.jsonl holds the signers'\n"
	  "`treasuryctl key export-public` objects (one per line, or as that\n"
	  "command prints them), checked here: a name or key twice is refused.\n"
	  "The server's answer must echo the signer set sent." },
	{ "address add", cmd_address, BIT(O_LABEL) | BIT(O_FORCE), 1, 1,
	  "address add DEST --label LABEL [--force]",
	  "Label a destination in your own address book (--force relabels).\n"
	  "LABEL: 1..64 bytes, no comma, no control or invisible character." },
	{ "address list", cmd_address, 0, 0, 0, "address list [--json]",
	  "List your address book." },
	{ "address remove", cmd_address, 0, 1, 1, "address remove DEST",
	  "Remove a destination from your address book." },
	{ "address import", cmd_address, 0, 1, 1, "address import FILE.csv",
	  "Add or relabel every dest,label line of a CSV file, all or nothing.\n"
	  "'#' lines and a first line 'dest,label' are skipped; errors name\n"
	  "file:line." },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char global_help[] =
	"Global options (any command):\n"
	"  --url URL          server (default http://127.0.0.1:8420;\n"
	"                     env TREASURYCTL_URL; config 'url')\n"
	"  --token-file PATH  API token file, mode 0600 (env TREASURYCTL_TOKEN\n"
	"                     holds a token, TREASURYCTL_TOKEN_FILE a path;\n"
	"                     config 'token_file')\n"
	"  --config PATH      config file (default ~/.config/treasuryctl/config)\n"
	"  --json             JSON output for scripts\n"
	"  --help             this help\n"
	"Exit codes: 0 ok, 1 error, 2 usage, 3 network, 4 refused by the server,\n"
	"5 verification failed (nothing signed), 6 wrong passphrase,\n"
	"7 not confirmed. See treasuryctl(1).\n";

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
	fputs(global_help, fp);
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
	fputs(global_help, fp);
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

/* Store one option. Returns 0, or -1 for a bad value (message printed). */
static int
option_set(struct ctl_opts *o, int id, const char *arg)
{
	const char **slot = NULL;

	switch (id) {
	case O_URL: slot = &o->url; break;
	case O_TOKEN_FILE: slot = &o->token_file; break;
	case O_CONFIG: slot = &o->config_path; break;
	case O_KEYSTORE: slot = &o->keystore; break;
	case O_SIGNER: slot = &o->signer; break;
	case O_STATUS: slot = &o->status; break;
	case O_ASSET: slot = &o->asset; break;
	case O_AMOUNT: slot = &o->amount; break;
	case O_TO: slot = &o->to; break;
	case O_MEMO: slot = &o->memo; break;
	case O_EXPIRES: slot = &o->expires; break;
	case O_FILE: slot = &o->file; break;
	case O_REFERENCE: slot = &o->reference; break;
	case O_SOURCE: slot = &o->source; break;
	case O_KEY_TYPE: slot = &o->key_type; break;
	case O_NAME: slot = &o->name; break;
	case O_PUBKEY: slot = &o->pubkey; break;
	case O_SIGNATURE: slot = &o->signature; break;
	case O_DECISION: slot = &o->decision; break;
	case O_KDF: slot = &o->kdf; break;
	case O_OUT: slot = &o->out; break;
	case O_CODE: slot = &o->code; break;
	case O_DECIMALS: slot = &o->decimals; break;
	case O_CHAIN: slot = &o->chain; break;
	case O_LABEL: slot = &o->label; break;
	case O_POLICY: slot = &o->policy; break;
	case O_JSON: o->json = true; return 0;
	case O_YES: o->yes = true; return 0;
	case O_FORCE: o->force = true; return 0;
	case O_APPROVE: o->approve_after = true; return 0;
	case O_THRESHOLD:
		if (threshold_parse(arg, &o->threshold) == 0)
			return 0;
		ctl_err("--threshold must be an integer 1..%d",
		    SIGNERS_PER_TREASURY_MAX);
		return -1;
	case O_PASSPHRASE_FD:
	case O_SECRET_FD:
		if (fd_parse(arg, id == O_SECRET_FD ? &o->secret_fd :
		    &o->passphrase_fd) == 0)
			return 0;
		ctl_err("a file descriptor must be a number 0..1023");
		return -1;
	default:
		return -1;
	}
	*slot = arg;
	return 0;
}

static const char *
option_name(int id)
{
	const struct option *lo;

	for (lo = long_opts; lo->name != NULL; lo++)
		if (lo->val == id)
			return lo->name;
	return "?";
}

/* Parse options (global ones before the command when cmd is NULL).
 * Returns 0, 1 for --help, -1 on a usage error. */
static int
options_parse(struct ctl_opts *o, int argc, char **argv,
    const struct command *cmd, bool stop_at_command)
{
	int ch;
	unsigned long long allowed = GLOBAL_OPTS | (cmd ? cmd->opts : 0);
	bool help = false;

	optind = 0;	/* glibc: 0 re-initialises getopt fully */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, stop_at_command ? "+" : "",
	    long_opts, NULL)) != -1) {
		if (ch == '?' || ch == ':') {
			ctl_err("unknown option or missing value: %s",
			    argv[optind - 1]);
			return -1;
		}
		if (!(allowed & BIT(ch))) {
			ctl_err("--%s is not an option of %s", option_name(ch),
			    cmd ? cmd->name : "treasuryctl");
			return -1;
		}
		if (ch == O_HELP)
			help = true;
		else if (option_set(o, ch, optarg) != 0)
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
