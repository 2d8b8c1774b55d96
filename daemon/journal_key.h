/*
 * journal_key.h: the daemon's Ed25519 journal key (docs/audit.md), which
 * signs the journal's checkpoints.
 *
 * The key file (config journal_key; default journal.key beside the
 * database) holds the 32-byte seed as 64 hex digits and a line feed,
 * nothing else. It is made at the daemon's first start (O_CREAT|O_EXCL,
 * mode 0600, seed from libsodium's randombytes, fsynced with its
 * directory) and refused afterwards, with a message naming the path and
 * the fix, when it is not a regular file (a symbolic link included),
 * gives group or others any permission, is not exactly that text, or,
 * for the daemon (create set), is not owned by the effective uid (a
 * reader such as treasuryd audit verify --key only needs its public
 * half).
 * The seed is wiped once the key pair is derived; the pair lives in
 * sodium_malloc memory (guarded, locked, wiped when freed). Nothing of it
 * but the public key is ever logged.
 */
#ifndef TREASURYD_JOURNAL_KEY_H
#define TREASURYD_JOURNAL_KEY_H

#include <stdbool.h>
#include <stdint.h>

#include "treasury/journal.h"

enum {
	/* the file: 64 hex digits and "\n" */
	JOURNAL_KEY_FILE_BYTES = 2 * JOURNAL_KEY_SEED_BYTES + 1,
};

struct journal_key {
	uint8_t pk[JOURNAL_PUBLIC_KEY_BYTES];
	uint8_t sk[JOURNAL_SECRET_KEY_BYTES];	/* libsodium's seed || pk */
	bool made;	/* this call made the key file */
};

/* Load the key at path; when it does not exist and create is set, make a
 * new one there first (logged at LOG_NOTICE with its public key).
 * Returns the key pair (sodium_malloc'd; journal_key_free), or NULL after
 * logging why at LOG_ERR. libsodium must be initialised. */
struct journal_key *journal_key_load(const char *path, bool create);

/* Wipe and free (NULL is accepted). */
void journal_key_free(struct journal_key *k);

#endif
