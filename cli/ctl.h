/*
 * ctl.h: treasuryctl's internal interface, shared by the files of cli/.
 *
 * treasuryctl is the signer's and treasurer's client (docs/man/treasuryctl.1).
 * Every command function returns one of the exit codes below; each prints
 * its own error message first (to standard error, never a secret).
 */
#ifndef TREASURY_CLI_CTL_H
#define TREASURY_CLI_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "treasury/hash.h"
#include "treasury/keystore.h"
#include "treasury/proposal.h"
#include "treasury/sig.h"
#include "treasury/signer_set.h"

/* Exit codes (documented in treasuryctl(1), EXIT STATUS). */
enum ctl_exit {
	CTL_OK = 0,
	CTL_ERROR = 1,		/* local failure: file, memory, bad input data */
	CTL_USAGE = 2,		/* bad command line or configuration */
	CTL_NETWORK = 3,	/* cannot reach the server, or a garbled answer */
	CTL_REFUSED = 4,	/* the server answered with a problem (4xx/5xx) */
	CTL_VERIFY = 5,		/* clear-signing verification failed: nothing signed */
	CTL_PASSPHRASE = 6,	/* wrong passphrase or altered keystore */
	CTL_DECLINED = 7,	/* not confirmed at the prompt */
};

enum {
	URL_MAX_BYTES = 1024,
	PATH_MAX_BYTES = 4096,
	TOKEN_MAX_BYTES = 512,
	PIN_MAX_BYTES = 512,		/* --pin: up to 8 sha256// pins */
	TLS_FILE_MAX_BYTES = 256 * 1024,	/* --cacert, --client-cert/-key */
	PASSPHRASE_MAX_BYTES = 1024,
	PASSPHRASE_MIN_BYTES = 8,		/* a new one: refused below */
	PASSPHRASE_WEAK_BELOW_CHARS = 12,	/* a new one: warned below */
	PASSPHRASE_MIXED_BELOW_CHARS = 20,	/* below: 3 classes wanted */
	PASSPHRASE_CLASSES_MIN = 3,		/* of lower, upper, digit, other */
	RESPONSE_MAX_BYTES = 16 * 1024 * 1024,
	HTTP_TIMEOUT_S = 30,
	HTTP_CONNECT_TIMEOUT_S = 10,
	LIST_PAGE_LIMIT = 100,		/* items asked for per page */
	LIST_PAGES_MAX = 1000,		/* pages fetched for one list */
	LIST_ITEMS_MAX = 100000,	/* items kept for one list */
	CURSOR_MAX_BYTES = 1024,	/* one next_cursor */
	TRUST_STORE_MAX_BYTES = 8 * 1024 * 1024,
	TRUST_VERSIONS_KEPT = 16,	/* pinned config versions per treasury */
	TRUST_ADVANCE_MAX_STEPS = 256,	/* config changes verified in one run */
	TRUST_CANDIDATES_MAX = 8,	/* bundles tried for one config version */
	OUTPUT_LINE_MAX_BYTES = 256 * 1024,	/* one say() call */
	BUNDLE_MAX_BYTES = 1024 * 1024,
	POLICY_FIELD_MAX_BYTES = 64,	/* a policy member's name, e.g.
					 * "limits[15].month" */
};

/* Every option of every command; a command accepts a subset (main.c). */
struct ctl_opts {
	const char *url;
	const char *token_file;
	const char *config_path;
	const char *cacert;		/* --cacert FILE */
	const char *pin;		/* --pin sha256//BASE64[;...] */
	const char *client_cert;	/* --client-cert FILE */
	const char *client_key;		/* --client-key FILE */
	const char *keystore;
	const char *signer;
	const char *status;
	const char *asset;
	const char *amount;
	const char *to;		/* a destination; report: the end time */
	const char *memo;
	const char *expires;
	const char *file;
	const char *reference;
	const char *source;
	const char *key_type;
	const char *name;
	const char *pubkey;
	const char *signature;
	const char *decision;
	const char *kdf;
	const char *out;		/* --out FILE (bundle, export) */
	const char *checkpoint_entries;	/* audit verify: the daemon's */
	const char *code;	/* asset create */
	const char *decimals;	/* asset create, checked there */
	const char *chain;	/* asset create */
	const char *label;	/* address add */
	const char *policy;	/* treasury create --policy */
	const char *from;	/* report --from: a date or time */
	const char *period;	/* report --period month|quarter|year */
	long threshold;		/* -1 when absent */
	int passphrase_fd;	/* -1: ask on the terminal */
	int secret_fd;		/* -1: ask on the terminal */
	bool json;
	bool yes;
	bool force;
	bool approve_after;	/* propose --approve */
	int argc;		/* positional arguments after the command */
	char **argv;
};

/* The running client. */
struct ctl {
	struct ctl_opts o;
	const char *command;		/* e.g. "approve", "key new" */
	char url[URL_MAX_BYTES];	/* without a trailing slash */
	char keystore_path[PATH_MAX_BYTES];
	char signer_cfg[SIGNER_NAME_MAX_BYTES + 1];	/* config "signer" */
	char token_file_cfg[PATH_MAX_BYTES];
	char *token;			/* sodium_malloc, NUL-terminated, or NULL */
	treasury_verifier *verifier;
	/* https (config_resolve, http.c): files read once, NULL when not
	 * given; the key is wiped by config_free */
	char *cacert_pem;
	size_t cacert_len;
	char pin[PIN_MAX_BYTES];		/* "" when not given */
	char *client_cert_pem;
	size_t client_cert_len;
	char *client_key_pem;
	size_t client_key_len;
};

/* ---- config.c ---- */

/* Resolve the server URL, the keystore path and the config file's other
 * settings: flags, then environment, then the config file (private, see
 * file_read_all). Returns an exit code. The token is loaded only by
 * config_token_load. */
int config_resolve(struct ctl *c);
/* Load the API token (flag --token-file, TREASURYCTL_TOKEN,
 * TREASURYCTL_TOKEN_FILE, config token_file) into c->token. A token file
 * is private (see file_read_all); its text is wiped after use. Returns an
 * exit code. */
int config_token_load(struct ctl *c);
/* Free the token (wiped). */
void config_free(struct ctl *c);
/* Read a whole small file, at most max_bytes, into a NUL-terminated
 * malloc'd buffer. Every file is opened without following a final symbolic
 * link (refused: "is a symbolic link") and without blocking, and must be a
 * regular file ("not a regular file": a FIFO or a device never hangs us).
 * private (keystore, token, config file): the file must also be owned by
 * the effective user and give group and others no permission (mode 0600
 * or stricter). Returns an exit code (message printed, naming the path and
 * the fix). */
int file_read_all(const char *path, size_t max_bytes, bool private,
    char **out, size_t *out_len);
/* Write text to path, mode 0600, atomically: written to "path.new"
 * (O_EXCL after removing a stale one), fsynced, then renamed over path
 * (replace) or linked to path, which must not exist (!replace: EEXIST is
 * an error), and the directory fsynced. Missing parent directories are
 * made mode 0700. A reader sees the old file or the new one, never a
 * part. Returns an exit code (message printed). */
int file_write_private(const char *path, const char *text, size_t len,
    bool replace);

/* ---- http.c ---- */

/* Call the API: method "GET"/"POST", path beginning "/v1/", body NULL or a
 * JSON object (sent as application/json). On CTL_OK *out holds the parsed
 * JSON answer (caller json_decref). A problem answer is printed with its
 * status, type and detail and gives CTL_REFUSED; transport failures and
 * answers that are not JSON give CTL_NETWORK. */
int http_call(struct ctl *c, const char *method, const char *path,
    json_t *body, json_t **out);
/* GET every page of a paginated list: items of `key` appended to *out (a
 * new JSON array). path may already hold a query ("?status=..."). A hostile
 * server cannot keep it paging: more than LIST_PAGES_MAX pages or
 * LIST_ITEMS_MAX items, a next_cursor seen before ("the server repeated a
 * page cursor") or one that is not a string of 1..CURSOR_MAX_BYTES bytes
 * give CTL_NETWORK. Returns an exit code (message printed). */
int http_get_all(struct ctl *c, const char *path, const char *key,
    json_t **out);
void http_global_init(void);
void http_global_cleanup(void);

/* ---- passphrase.c ---- */

/* Read a passphrase from --passphrase-fd or the terminal without echo
 * (twice and compared when confirm is set and it comes from a terminal).
 * On the terminal, echo is turned off and pending input discarded before
 * the prompt is written, stays off between the two prompts, and the saved
 * settings are restored on every return and before SIGINT, SIGTERM,
 * SIGHUP, SIGQUIT or SIGTSTP take their default action (the previous
 * signal actions are restored afterwards). *out is sodium_malloc memory
 * the caller frees with sodium_free (NULL on failure). Returns an exit
 * code. */
int passphrase_read(struct ctl *c, const char *prompt, bool confirm,
    char **out, size_t *out_len);
/* Read a line of at most max bytes from fd (sodium_malloc'd, trailing
 * newline removed). Returns an exit code. */
int secret_line_read(int fd, size_t max, char **out, size_t *out_len);
/* Judge a new keystore passphrase: shorter than PASSPHRASE_MIN_BYTES is
 * refused (CTL_USAGE, message printed); one character repeated, fewer than
 * PASSPHRASE_WEAK_BELOW_CHARS characters, or fewer than
 * PASSPHRASE_MIXED_BELOW_CHARS characters from fewer than
 * PASSPHRASE_CLASSES_MIN of the classes lower case, upper case, digit and
 * other gets "warning: weak passphrase: <why>" on standard error (never
 * the passphrase) and CTL_OK. Characters are UTF-8 characters. */
int passphrase_strength_check(const char *pass, size_t len);
/* Ask question on the terminal ("Type 'yes' to sign"), input typed before
 * it discarded; the terminal's settings are not changed. Returns CTL_OK on
 * "yes", CTL_DECLINED otherwise, CTL_USAGE when there is no terminal. */
int confirm_ask(const char *question);

/* ---- keys.c ---- */

/* treasuryctl key new|import|show|export-public */
int cmd_key_new(struct ctl *c);
int cmd_key_import(struct ctl *c);
int cmd_key_show(struct ctl *c);
int cmd_key_export_public(struct ctl *c);
/* Read and parse the keystore's public part. Returns an exit code. */
int keystore_load_info(struct ctl *c, struct keystore_info *info);
/* Ask the passphrase and open the keystore; *secret is sodium_malloc
 * memory (free with sodium_free). Returns an exit code
 * (CTL_PASSPHRASE for a wrong passphrase). */
int keystore_unlock(struct ctl *c, struct keystore_info *info,
    uint8_t **secret);

/* ---- trust.c: pinned context (docs/signing.md §11) ---- */

/* A treasury's config at one version as pinned (or as the server shows
 * it, strictly parsed, before it is compared with the pins). */
struct pinned {
	uint64_t config_version;
	struct signer_set set;
	struct treasury_policy policy;
	uint8_t policy_digest[DIGEST_BYTES];
	char policy_text[CANONICAL_MAX_BYTES];	/* the policy lines */
};

/* What a command may rely on about a server and a treasury. */
struct trust_ctx {
	uint8_t instance[INSTANCE_ID_BYTES];	/* pinned for c->url */
	struct pinned *pin;			/* the current config, pinned */
};

/* Check the server's instance against the pin for c->url and the
 * treasury's current config against its pins: pin on first sight (shown,
 * asked on the terminal or --yes), advance through executed config changes
 * that verify (bundle_verify), refuse anything else with CTL_VERIFY
 * saying what differs. On CTL_OK out->pin holds the current config, which
 * the server's answers agree with. Free with trust_ctx_free. */
int trust_context(struct ctl *c, const char *treasury, struct trust_ctx *out);
void trust_ctx_free(struct trust_ctx *t);

/* treasuryctl trust show|list|forget|forget-server */
int cmd_trust_show(struct ctl *c);
int cmd_trust_list(struct ctl *c);
int cmd_trust_forget(struct ctl *c);
int cmd_trust_forget_server(struct ctl *c);
/* treasuryctl bundle ID [--out FILE] | bundle --file FILE */
int cmd_bundle(struct ctl *c);

struct bundle_approvers {
	unsigned count;
	char names[SIGNERS_PER_TREASURY_MAX][SIGNER_NAME_MAX_BYTES + 1];
};

/* Verify an executed proposal's bundle against pin, the config of its
 * version: the canonical text hashes to id and decodes (into *f) for
 * instance and pin's version, and at least the approvals the pinned
 * policy requires of its kind are valid approve signatures by distinct
 * signers of pin, each checked with the PINNED key of that name (the
 * bundle's keys are ignored). Returns CTL_OK (approvers in *who) or
 * CTL_VERIFY with the reason printed. */
int bundle_verify(struct ctl *c, json_t *bundle,
    const uint8_t id[PROPOSAL_ID_BYTES],
    const uint8_t instance[INSTANCE_ID_BYTES], const struct pinned *pin,
    struct proposal_fields *f, struct bundle_approvers *who);

/* Parse a JSON signer list and threshold (from the server or the store)
 * into *out, every name, key type and key checked against its grammar,
 * the set against signer_set_check. Returns CTL_OK or CTL_VERIFY with
 * the reason printed, naming `where`. */
int signer_set_from_json(struct ctl *c, json_t *signers, json_t *threshold,
    const char *where, struct signer_set *out);
/* A signer object {"name","key_type","pubkey"} into e, each member
 * checked against its grammar (the key on the curve for its type).
 * Returns NULL, or why not (a fixed phrase, e.g. "has no valid 'name'
 * (...)") for the caller to print after naming the place. */
const char *signer_entry_parse(const treasury_verifier *v, json_t *j,
    struct signer_entry *e);
/* The set as a JSON list of {"name","key_type","pubkey"} (lower-case hex,
 * as the daemon writes it; the form of POST /v1/treasuries), or NULL. */
json_t *signer_set_to_json(const struct signer_set *s);

/* ---- verify.c: clear signing ---- */

/* A proposal fetched and checked: its id recomputed from the canonical
 * text, the text decoded, every JSON field compared with the text, its
 * status one of the known ones, the instance and the treasury's config
 * checked against the trust store (trust.c), the assets' decimals. */
struct verified {
	uint8_t id[PROPOSAL_ID_BYTES];
	char id_hex[2 * PROPOSAL_ID_BYTES + 1];
	json_t *proposal;		/* the server's answer */
	struct proposal_fields *f;	/* decoded canonical text */
	const char *status;		/* a known status (static string) */
	struct trust_ctx trust;		/* pinned instance and config */
	bool config_current;		/* pinned config == text's config */
	const struct treasury_policy *policy;	/* the pinned policy; NULL
					 * unless config_current */
};

/* A proposal id argument into id: 64 hex digits (either case), offline;
 * or a unique prefix of PROPOSAL_ID_PREFIX_MIN_DIGITS..63 hex digits,
 * resolved on the server (proposal_id_prefix_resolve). Returns CTL_OK,
 * CTL_USAGE (not an id, no match, several matches) or the exit code of a
 * failed listing. */
int proposal_id_arg(struct ctl *c, const char *s,
    uint8_t id[PROPOSAL_ID_BYTES]);
/* Fetch and verify proposal `id`; CTL_VERIFY with the reason printed when
 * anything disagrees. Free with verified_free. */
int proposal_fetch_verified(struct ctl *c, const uint8_t id[PROPOSAL_ID_BYTES],
    struct verified *v);
void verified_free(struct verified *v);
/* Decode a canonical text (offline): CTL_OK or CTL_VERIFY. */
int canonical_decode_checked(struct ctl *c, const char *text, size_t len,
    struct proposal_fields *f);
/* GET /v1/treasuries/{t}/policy into *answer: refused (CTL_VERIFY)
 * unless it is for pin's config version with pin's policy digest. */
int policy_fetch_verified(struct ctl *c, const char *treasury,
    const struct pinned *pin, json_t **answer);
/* Print "treasuryctl: REFUSED, nothing signed: <why>" and return
 * CTL_VERIFY. */
int refuse(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- screen.c: what a proposal means, shown before signing ---- */

/* Print what a proposal does, from its decoded text (and, when pin is
 * not NULL, the pinned config it applies to: the signer set before and
 * after a config change). status and proposal (the server's counts) may
 * be NULL (offline). */
void proposal_print(struct ctl *c, const struct proposal_fields *f,
    const char *id_hex, const struct pinned *pin, const char *status,
    json_t *proposal);
/* Check a config change against the pinned signer set (signer_set_apply
 * on a copy). Returns CTL_OK or CTL_VERIFY (reason printed). */
int config_change_check(const struct proposal_fields *f,
    const struct pinned *pin);
/* The last screen before a signature: rebuilt from the canonical text
 * only (kind, per-asset totals, distinct destinations with their labels,
 * the largest item, expiry, for config changes the resulting signer set
 * and threshold) and what is signed. Returns CTL_VERIFY when the text is
 * expired by the local clock (nothing may be signed), else CTL_OK. */
int final_summary_print(struct ctl *c, const struct proposal_fields *f,
    const char *id_hex, const struct pinned *pin, const char *action);

/* ---- reading.c: the reading commands, and where output goes ---- */

/* Where displays for people go: standard output, or standard error
 * when --json reserves standard output for JSON. */
void human_out_set(FILE *fp);
FILE *human_out(void);
/* Print JSON for scripts (indent 2) on standard output. */
void json_print(json_t *j);
int cmd_treasuries(struct ctl *c);
int cmd_balances(struct ctl *c);
int cmd_ledger(struct ctl *c);
int cmd_proposals(struct ctl *c);
int cmd_show(struct ctl *c);
/* treasuryctl policy TREASURY */
int cmd_policy(struct ctl *c);

/* ---- report.c: the treasurer's report and runway (issue #14) ---- */

/* treasuryctl report TREASURY --from T [--to T] [--period P]: every
 * figure checked and the sums recomputed (exit 5 when they do not add
 * up), then a table per asset (or per period and asset). */
int cmd_report(struct ctl *c);
/* treasuryctl runway TREASURY: checked likewise, the months recomputed. */
int cmd_runway(struct ctl *c);

/* ---- acts.c: veto, revoke, key-proof, freeze (clear-signed) ---- */

int cmd_veto(struct ctl *c);
int cmd_revoke(struct ctl *c);
int cmd_key_proof(struct ctl *c);
int cmd_freeze(struct ctl *c);

/* ---- vote.c ---- */

int cmd_approve(struct ctl *c);
int cmd_reject(struct ctl *c);
int cmd_vote(struct ctl *c);
int cmd_sign_offline(struct ctl *c);
/* Unlock the keystore, check its key is still expect's, sign digest into
 * sig, check the signature with the verifier and wipe the secret (votes
 * and the acts of acts.c). Returns an exit code. */
int keystore_digest_sign(struct ctl *c, const struct keystore_info *expect,
    const uint8_t digest[DIGEST_BYTES], uint8_t sig[VOTE_SIGNATURE_BYTES]);
/* The keystore's key must be in the pinned set under the keystore's own
 * name and key type (and --signer's, when given). Returns an exit code
 * (CTL_VERIFY when the pinned set names the key otherwise). */
int keystore_signer_check(struct ctl *c, const struct pinned *pin,
    const struct keystore_info *pub);
/* Clear-sign and post a vote on an id (used by propose --approve). */
int vote_clear_sign(struct ctl *c, const uint8_t id[PROPOSAL_ID_BYTES],
    enum vote_decision decision);

/* ---- propose.c ---- */

int cmd_propose(struct ctl *c);
int cmd_deposit(struct ctl *c);
int cmd_execute(struct ctl *c);

/* ---- workflow.c: the rest of a proposal's life ---- */

enum { PROPOSAL_ID_PREFIX_MIN_DIGITS = 8 };

/* The one proposal whose id starts with prefix (8..63 hex digits, either
 * case), found by listing every treasury's proposals (GET /v1/treasuries,
 * then GET /v1/treasuries/{t}/proposals, every page); only ids that are
 * 64 hex digits count. Returns CTL_OK with id set; CTL_USAGE when prefix
 * is not hex, or no id or several ids start with it (message printed);
 * or the listing's exit code. Nothing about the proposal is verified:
 * callers fetch it with proposal_fetch_verified. */
int proposal_id_prefix_resolve(struct ctl *c, const char *prefix,
    uint8_t id[PROPOSAL_ID_BYTES]);
/* The members of a set-policy ("policy": the --file policy, checked
 * locally by policy_file_load) or unfreeze (none) proposal body. Returns
 * an exit code (message printed). */
int propose_body_policy_kind(struct ctl *c, const char *kind, json_t *body);
/* Whether the canonical text f the server made for body (a set-policy or
 * unfreeze of propose_body_policy_kind) is what was asked: set-policy:
 * the text's policy equals the body's, line by line (policy_file_compare);
 * unfreeze: the text lifts the freeze the treasury's policy answer says
 * is in force. Returns CTL_OK; CTL_VERIFY with field naming what differs
 * (nothing printed: the caller reports it); another exit code with its
 * message printed. */
int propose_policy_kind_same(struct ctl *c, json_t *body,
    const struct proposal_fields *f, char field[POLICY_FIELD_MAX_BYTES]);
/* treasuryctl cancel ID [--yes]: verify, show, ask, withdraw. */
int cmd_cancel(struct ctl *c);
/* treasuryctl settle ID --reference REF (treasurer). */
int cmd_settle(struct ctl *c);
/* treasuryctl export ID [--out FILE [--force]]: the verified canonical
 * text, byte for byte, for sign-offline. */
int cmd_export(struct ctl *c);

/* ---- policy_file.c: the policy JSON object of a file ---- */

/* Read the policy JSON object of docs/api.md ("The policy object") from
 * path and check it locally: only known members, each of its type and
 * range, codes, destinations, labels and amounts by their grammar (amounts
 * at up to 18 decimals: the asset's are not known here). *out is the
 * object as read, to be sent. Returns CTL_OK, or CTL_USAGE/CTL_ERROR with
 * "path: 'member': why" printed. */
int policy_file_load(const char *path, json_t **out);
/* Compare a policy object `want` (as policy_file_load gives it) with the
 * decoded policy got, for a treasury of threshold m and n signers: want
 * is converted with got's asset decimals and config_threshold mapped
 * against m, normalised, and both are written as policy lines
 * (policy_lines_append). Returns CTL_OK when the lines are equal, else
 * CTL_VERIFY with field naming the first line (its key, e.g.
 * "limit.1.day") or member that differs. Prints nothing. */
int policy_file_compare(json_t *want, const struct treasury_policy *got,
    unsigned m, unsigned n, char field[POLICY_FIELD_MAX_BYTES]);

/* ---- audit.c: the journal export and its offline verifier ---- */

/* treasuryctl audit export --out FILE */
int cmd_audit_export(struct ctl *c);
/* treasuryctl audit verify FILE --pubkey HEX (offline; exit 0 clean,
 * 1 a finding, 2 usage) */
int cmd_audit_verify(struct ctl *c);

/* ---- admin.c: the administrator's commands ---- */

/* treasuryctl asset create --code C --decimals D --chain CH */
int cmd_asset_create(struct ctl *c);
/* treasuryctl treasury create ID --threshold M --file signers.jsonl
 * [--name NAME] [--policy policy.json] */
int cmd_treasury_create(struct ctl *c);

/* ---- address.c: the signer's own address book ---- */

enum {
	ADDRESS_BOOK_MAX_ENTRIES = 1000,
	ADDRESS_LABEL_MAX_BYTES = 64,	/* memo rules, no comma */
};

/* treasuryctl address add|list|remove|import. The book
 * is one private file of "dest,label" lines: TREASURYCTL_ADDRESSES, else
 * $XDG_CONFIG_HOME/treasuryctl/addresses, else
 * ~/.config/treasuryctl/addresses; mode 0600, written atomically. */
int cmd_address_add(struct ctl *c);
int cmd_address_list(struct ctl *c);
int cmd_address_remove(struct ctl *c);
int cmd_address_import(struct ctl *c);

/* The signer's own label for destination `to` from the address book, or
 * NULL when it has none. The book is loaded once per run (lazily);
 * a missing book is empty; an unreadable or malformed book is reported
 * once on stderr and treated as empty. The pointer lives until exit. */
const char *address_book_label(struct ctl *c, const char *to);

/* ---- out.c: the one output path ---- */

/* Format and print to fp with every character that could drive the
 * terminal shown as a visible escape (core text_escape_append): only the
 * format's own line feeds pass. Server strings that may hold a line feed
 * go through say_text. Output longer than OUTPUT_LINE_MAX_BYTES is cut
 * with "...". */
void say(FILE *fp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print text line by line, each line prefixed with indent, escaped. */
void say_lines(FILE *fp, const char *indent, const char *text);
/* A copy of s (len bytes) with every character escaped, line feeds
 * included, for use as a say() argument; malloc'd, free it. "?" on
 * failure is never returned: NULL on out of memory. */
char *say_text(const char *s, size_t len);

/* ---- util ---- */

/* Print "treasuryctl: <message>\n" to standard error, escaped (say). */
void ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A string member of a JSON object, or NULL. */
const char *json_str(json_t *obj, const char *key);

/* ---- util.c ---- */

/* The path of a user's treasuryctl file into out[size]: the environment
 * variable env_name when set and not empty, else
 * $XDG_CONFIG_HOME/treasuryctl/<file_name> (an absolute XDG_CONFIG_HOME),
 * else $HOME/.config/treasuryctl/<file_name>. Returns 0, or -1 when there
 * is no HOME or the path does not fit (nothing printed). */
int user_config_path(char *out, size_t size, const char *env_name,
    const char *file_name);
/* file_read_all for text: a file that holds a NUL byte is refused
 * (CTL_USAGE, "path: contains a NUL byte"). */
int file_read_text(const char *path, size_t max_bytes, bool private,
    char **out, size_t *out_len);
/* Split a NUL-terminated text in place, line by line: returns the line
 * *cursor points at, with its LF (and a CR before it) made NUL, and moves
 * *cursor past it; NULL at the end of the text (the empty rest after a
 * final LF is no line). Start with *cursor = the text. */
char *line_next(char **cursor);

#endif
