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
};

/* Every option of every command; a command accepts a subset (main.c). */
struct ctl_opts {
	const char *url;
	const char *token_file;
	const char *config_path;
	const char *keystore;
	const char *signer;
	const char *status;
	const char *asset;
	const char *amount;
	const char *to;
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

int cmd_key(struct ctl *c);
/* Read and parse the keystore's public part. Returns an exit code. */
int keystore_load_info(struct ctl *c, struct keystore_info *info);
/* Ask the passphrase and open the keystore; *secret is sodium_malloc
 * memory (free with sodium_free). Returns an exit code
 * (CTL_PASSPHRASE for a wrong passphrase). */
int keystore_unlock(struct ctl *c, struct keystore_info *info,
    uint8_t **secret);

/* ---- verify.c: clear signing ---- */

/* A proposal fetched and checked: its id recomputed from the canonical
 * text, the text decoded, every JSON field compared with the text, the
 * instance, assets and (for a current config) the signer set checked. */
struct verified {
	uint8_t id[PROPOSAL_ID_BYTES];
	char id_hex[2 * PROPOSAL_ID_BYTES + 1];
	json_t *proposal;		/* the server's answer */
	json_t *treasury;		/* GET /v1/treasuries/{t} */
	struct proposal_fields *f;	/* decoded canonical text */
	const char *status;		/* from the JSON, for display */
	bool config_current;		/* treasury config == text's config */
	struct treasury_policy *policy;	/* current policy, verified; NULL
					 * unless config_current */
};

/* Parse 64 hex (either case) into id. Returns CTL_OK or CTL_USAGE. */
int proposal_id_arg(const char *s, uint8_t id[PROPOSAL_ID_BYTES]);
/* Fetch and verify proposal `id`; CTL_VERIFY with the reason printed when
 * anything disagrees. Free with verified_free. */
int proposal_fetch_verified(struct ctl *c, const uint8_t id[PROPOSAL_ID_BYTES],
    struct verified *v);
void verified_free(struct verified *v);
/* Decode a canonical text (offline): CTL_OK or CTL_VERIFY. */
int canonical_decode_checked(struct ctl *c, const char *text, size_t len,
    struct proposal_fields *f);
/* GET /v1/treasuries/{t}/policy into *answer and, decoded, *p (heap):
 * refused (CTL_VERIFY) unless its text decodes, its M and N are the
 * treasury's (t_json, when not NULL) and its digest is the text's. */
int policy_fetch_verified(struct ctl *c, const char *treasury,
    json_t *t_json, json_t **answer, struct treasury_policy **p);
/* The treasury signer whose key has the same x as key, or NULL. */
json_t *treasury_signer_by_key(json_t *treasury, const struct signer_key *key);

/* ---- display.c ---- */

/* Print what a proposal does, from its decoded text (and, when treasury
 * is not NULL, the signer set before and after a config change). */
void proposal_print(const struct proposal_fields *f, const char *id_hex,
    json_t *treasury, const char *status, json_t *proposal);
/* Check a config change against the current signer set and print the set
 * before and after. Returns CTL_OK or CTL_VERIFY (reason printed). */
int config_change_check(const struct proposal_fields *f, json_t *treasury,
    bool print);
/* The treasury's current policy for what proposal_print shows next
 * (allowlist labels, the difference a set-policy makes); NULL: unknown. */
void display_policy_set(const struct treasury_policy *p);
/* treasuryctl policy TREASURY */
int cmd_policy(struct ctl *c);

/* ---- acts.c: veto, revoke, key-proof, freeze (clear-signed) ---- */

int cmd_veto(struct ctl *c);
int cmd_revoke(struct ctl *c);
int cmd_key_proof(struct ctl *c);
int cmd_freeze(struct ctl *c);
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
/* Clear-sign and post a vote on an id (used by propose --approve). */
int vote_clear_sign(struct ctl *c, const uint8_t id[PROPOSAL_ID_BYTES],
    enum vote_decision decision);

/* ---- propose.c ---- */

int cmd_propose(struct ctl *c);
int cmd_deposit(struct ctl *c);
int cmd_execute(struct ctl *c);

/* ---- util ---- */

/* Print "treasuryctl: <message>\n" to standard error. */
void ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A string member of a JSON object, or NULL. */
const char *json_str(json_t *obj, const char *key);

#endif
