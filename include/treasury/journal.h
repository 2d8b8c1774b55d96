/*
 * journal.h: the journal's bytes, its hash chain and its signed
 * checkpoints (docs/audit.md is the contract; this is its code).
 *
 * Every state change of the engine appends one journal entry in the
 * transaction of the change itself (storage/journal.c). An entry is
 *
 *   seq, time_s, treasury (or none), type, actor token (or none),
 *   actor signer (or none), payload (a JSON object, canonical: keys
 *   sorted, no white space, ASCII only, see journal_payload below)
 *
 * and its hash chains it to the entry before:
 *
 *   entry bytes = "seq=" seq "\n" "time=" time_s "\n"
 *                 "treasury=" treasury "\n" "type=" type "\n"
 *                 "actor_token=" token "\n" "actor_signer=" signer "\n"
 *                 "payload=" payload "\n"
 *     (decimal integers without leading zeros or sign; a missing
 *      treasury, token or signer is the empty string)
 *   hash(seq)   = H_"treasuryd/journal/v1"(hash(seq - 1) || entry bytes)
 *   hash(0)     = 32 zero bytes; seq counts from 1 without gaps.
 *
 * A checkpoint signs (seq, hash(seq), time_s) with the daemon's Ed25519
 * journal key:
 *
 *   message = "treasuryd/checkpoint/v1\n" "seq=" seq "\n"
 *             "hash=" lowercase hex of hash(seq) "\n" "time=" time_s "\n"
 *   signature = Ed25519(secret key, message)   (64 bytes)
 *
 * Pure: no I/O; the caller passes time and keys.
 */
#ifndef TREASURY_JOURNAL_H
#define TREASURY_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "treasury/amount.h"
#include "treasury/buffer.h"
#include "treasury/error.h"
#include "treasury/limits.h"

#define JOURNAL_TAG "treasuryd/journal/v1"
#define CHECKPOINT_PREFIX "treasuryd/checkpoint/v1\n"

enum {
	JOURNAL_TYPE_MAX_BYTES = 40,		/* [a-z_.]{1,40} */
	/* a whole batch's debits: 64 of at most ~400 bytes (a 39-digit
	 * amount, a 32-byte asset, a 128-byte destination of escaped
	 * characters) */
	JOURNAL_PAYLOAD_MAX_BYTES = 32768,
	JOURNAL_KEY_SEED_BYTES = 32,		/* Ed25519 seed */
	JOURNAL_PUBLIC_KEY_BYTES = 32,
	JOURNAL_SECRET_KEY_BYTES = 64,		/* libsodium's: seed || pk */
	JOURNAL_SIGNATURE_BYTES = 64,
	/* an entry's bytes: the fields, their names and line feeds */
	JOURNAL_ENTRY_MAX_BYTES = JOURNAL_PAYLOAD_MAX_BYTES + 512,
};

/* One entry, as stored; strings NUL-terminated, "" for none. */
struct journal_entry {
	int64_t seq;				/* >= 1 */
	int64_t time_s;				/* >= 0 */
	char treasury[TREASURY_ID_MAX_BYTES + 1];
	char type[JOURNAL_TYPE_MAX_BYTES + 1];
	char actor_token[TOKEN_NAME_MAX_BYTES + 1];
	char actor_signer[SIGNER_NAME_MAX_BYTES + 1];
	const char *payload;			/* not owned */
	size_t payload_len;
};

/* Whether every field can be written as entry bytes: seq >= 1,
 * time_s >= 0, type [a-z_.]{1,40}, no line feed or NUL in any field,
 * payload 2..JOURNAL_PAYLOAD_MAX_BYTES printable ASCII starting '{' and
 * ending '}'. (It does not parse the JSON: the builder below makes it.) */
bool journal_entry_valid(const struct journal_entry *e);

/* Append e's entry bytes to out. Returns TREASURY_OK,
 * TREASURY_ERR_INVALID_FIELD when !journal_entry_valid(e), or
 * TREASURY_ERR_NO_MEMORY / _TOO_LARGE from the buffer. */
TREASURY_WARN_UNUSED treasury_err
journal_entry_bytes(struct textbuf *out, const struct journal_entry *e);

/* hash = H_JOURNAL_TAG(prev || entry bytes of e). Returns as
 * journal_entry_bytes (hash untouched on error). */
TREASURY_WARN_UNUSED treasury_err
journal_entry_hash(uint8_t hash[DIGEST_BYTES],
    const uint8_t prev[DIGEST_BYTES], const struct journal_entry *e);

/* The checkpoint message for (seq, hash, time_s) into out (NUL-terminated,
 * at most JOURNAL_CHECKPOINT_MESSAGE_BYTES - 1 bytes); returns its
 * length. */
enum { JOURNAL_CHECKPOINT_MESSAGE_BYTES = 160 };
size_t journal_checkpoint_message(char out[JOURNAL_CHECKPOINT_MESSAGE_BYTES],
    int64_t seq, const uint8_t hash[DIGEST_BYTES], int64_t time_s);

/* The key pair of a seed (libsodium crypto_sign_seed_keypair). */
void journal_keypair_from_seed(uint8_t pk[JOURNAL_PUBLIC_KEY_BYTES],
    uint8_t sk[JOURNAL_SECRET_KEY_BYTES],
    const uint8_t seed[JOURNAL_KEY_SEED_BYTES]);

/* Sign / verify a checkpoint. Verify returns true only for a valid
 * signature of exactly that (seq, hash, time_s) by pk. */
void journal_checkpoint_sign(uint8_t sig[JOURNAL_SIGNATURE_BYTES],
    const uint8_t sk[JOURNAL_SECRET_KEY_BYTES], int64_t seq,
    const uint8_t hash[DIGEST_BYTES], int64_t time_s);
bool journal_checkpoint_verify(const uint8_t sig[JOURNAL_SIGNATURE_BYTES],
    const uint8_t pk[JOURNAL_PUBLIC_KEY_BYTES], int64_t seq,
    const uint8_t hash[DIGEST_BYTES], int64_t time_s);

/*
 * journal_payload: builds a canonical JSON object: members added in
 * strictly increasing byte order of their keys (asserted), no white
 * space, strings with '"' and '\\' escaped, every other byte outside
 * 0x20..0x7E as \u00XX / \uXXXX (UTF-8 decoded; surrogate pairs beyond
 * U+FFFF; malformed bytes as U+FFFD), lowercase hex: exactly what
 * Python's json.dumps(obj, sort_keys=True, separators=(",", ":"))
 * prints. Nested arrays of objects or strings for lists (debits, signer
 * names). The first error sticks; journal_payload_finish reports it.
 *
 *   struct journal_payload p;
 *   journal_payload_begin(&p);
 *   journal_payload_str(&p, "proposal", hex);
 *   journal_payload_int(&p, "ledger_seq", seq);
 *   err = journal_payload_finish(&p);   // p.buf.data, p.buf.len
 *   ...
 *   journal_payload_free(&p);
 */
enum { JOURNAL_PAYLOAD_DEPTH_MAX = 4 };

struct journal_payload {
	struct textbuf buf;
	treasury_err err;
	unsigned depth;				/* open containers */
	bool first[JOURNAL_PAYLOAD_DEPTH_MAX];	/* nothing in it yet */
	bool in_array[JOURNAL_PAYLOAD_DEPTH_MAX];
	char last_key[JOURNAL_PAYLOAD_DEPTH_MAX][48]; /* order check */
};

void journal_payload_begin(struct journal_payload *p);
/* Members of the current object (key: [a-z0-9_]{1,47}). */
void journal_payload_str(struct journal_payload *p, const char *key,
    const char *value);
void journal_payload_int(struct journal_payload *p, const char *key,
    int64_t value);
void journal_payload_bool(struct journal_payload *p, const char *key,
    bool value);
/* An amount as a decimal string (money is never a JSON number). */
void journal_payload_amount(struct journal_payload *p, const char *key,
    amount_minor value);
/* A hex string of len bytes (ids, hashes). */
void journal_payload_hex(struct journal_payload *p, const char *key,
    const uint8_t *bytes, size_t len);
void journal_payload_null(struct journal_payload *p, const char *key);
/* Open a member array / object (key), or an object inside an array
 * (key NULL); close with journal_payload_end. */
void journal_payload_array(struct journal_payload *p, const char *key);
void journal_payload_object(struct journal_payload *p, const char *key);
/* A string element of the current array. */
void journal_payload_elem_str(struct journal_payload *p, const char *value);
void journal_payload_end(struct journal_payload *p);
/* Close the outer object. Returns TREASURY_OK or the first error
 * (TREASURY_ERR_TOO_LARGE beyond JOURNAL_PAYLOAD_MAX_BYTES). */
TREASURY_WARN_UNUSED treasury_err
journal_payload_finish(struct journal_payload *p);
void journal_payload_free(struct journal_payload *p);

#endif
