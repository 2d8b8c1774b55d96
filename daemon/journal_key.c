/*
 * journal_key.c: the daemon's Ed25519 journal key file (journal_key.h).
 *
 * A new key is written whole to a temporary file of a name no other
 * start uses, "<path>.tmp.<pid>.<16 random hex digits>" (O_CREAT|O_EXCL,
 * 0600, fsynced), and linked to path, which link(2) never replaces: a
 * crash leaves either no key file or a complete one, and two starts
 * racing cannot both make one nor remove each other's temporary file
 * (a crash between the write and the unlink leaves that file behind,
 * mode 0600). The daemon's key file (create) must be owned by the
 * effective uid. Reading is bounded: one read of at most
 * JOURNAL_KEY_FILE_BYTES + 1 bytes from a descriptor opened with
 * O_NOFOLLOW | O_NONBLOCK (a FIFO never hangs the start).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "treasury/hex.h"
#include "treasury/log.h"

#include "daemon.h"
#include "journal_key.h"

enum { JOURNAL_KEY_TMP_NONCE_BYTES = 8 };

/* Write the seed's text to a new file at path (never replacing one).
 * Returns 0, or -1 with errno (EEXIST: another start made it first). */
static int
key_file_create(const char *path, const uint8_t seed[JOURNAL_KEY_SEED_BYTES])
{
	char text[JOURNAL_KEY_FILE_BYTES + 1], tmp[PATH_MAX];
	char nonce_hex[2 * JOURNAL_KEY_TMP_NONCE_BYTES + 1];
	uint8_t nonce[JOURNAL_KEY_TMP_NONCE_BYTES];
	int fd, saved, rc = -1;

	randombytes_buf(nonce, sizeof(nonce));
	hex_encode(nonce_hex, nonce, sizeof(nonce));
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld.%s", path, (long)getpid(),
	    nonce_hex) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0)
		return -1;
	hex_encode(text, seed, JOURNAL_KEY_SEED_BYTES);
	text[JOURNAL_KEY_FILE_BYTES - 1] = '\n';
	text[JOURNAL_KEY_FILE_BYTES] = '\0';
	if (fchmod(fd, 0600) == 0 &&
	    write(fd, text, JOURNAL_KEY_FILE_BYTES) == JOURNAL_KEY_FILE_BYTES &&
	    fsync(fd) == 0 && link(tmp, path) == 0)
		rc = 0;
	saved = errno;
	sodium_memzero(text, sizeof(text));
	close(fd);
	unlink(tmp);
	if (rc == 0 && fsync_parent_dir(path) != 0)
		log_warn("journal key: cannot fsync the directory of %s", path);
	errno = saved;
	return rc;
}

/* Make a new key file at path (*made set). Returns 0 (also when another
 * start made one meanwhile: it is read next), or -1 after logging. */
static int
key_new(const char *path, bool *made)
{
	uint8_t seed[JOURNAL_KEY_SEED_BYTES];
	int rc;

	randombytes_buf(seed, sizeof(seed));
	rc = key_file_create(path, seed);
	sodium_memzero(seed, sizeof(seed));
	if (rc != 0 && errno == EEXIST)
		return 0;
	if (rc != 0) {
		log_msg(LOG_ERR, "journal key: cannot create %s: %s (config "
		    "journal_key names the file; its directory must be "
		    "writable at the first start)", path, strerror(errno));
		return -1;
	}
	log_msg(LOG_NOTICE, "journal key: made a new Ed25519 key in %s (mode "
	    "0600); keep a copy with the database's backups", path);
	*made = true;
	return 0;
}

/* Open path for reading and check what it is (and, when own, that the
 * effective uid owns it). Returns the descriptor;
 * -2 when it does not exist and quiet_missing (nothing logged); or -1
 * after logging. */
static int
key_file_open(const char *path, bool quiet_missing, bool own)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT && quiet_missing)
			return -2;
		if (errno == ELOOP)
			log_msg(LOG_ERR, "journal key %s is a symbolic link: "
			    "name the file itself in journal_key", path);
		else
			log_msg(LOG_ERR, "journal key: cannot open %s: %s", path,
			    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		log_msg(LOG_ERR, "journal key %s is not a regular file", path);
		close(fd);
		return -1;
	}
	if (own && st.st_uid != geteuid()) {
		log_msg(LOG_ERR, "journal key %s is owned by uid %ld, not by the "
		    "daemon's user (uid %ld): whoever owns it can change it; "
		    "chown it to the daemon's user (and keep it mode 600)",
		    path, (long)st.st_uid, (long)geteuid());
		close(fd);
		return -1;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		log_msg(LOG_ERR, "journal key %s has mode %04o: group and others "
		    "must have no permission (chmod 600 %s)", path,
		    (unsigned)(st.st_mode & 07777), path);
		close(fd);
		return -1;
	}
	return fd;
}

/* Read the seed from fd. Returns 0, or -1 after logging. */
static int
key_file_read(int fd, const char *path, uint8_t seed[JOURNAL_KEY_SEED_BYTES])
{
	char text[JOURNAL_KEY_FILE_BYTES + 2];
	ssize_t n;
	int rc = -1;

	do
		n = read(fd, text, sizeof(text));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		log_msg(LOG_ERR, "journal key: cannot read %s: %s", path,
		    strerror(errno));
	else if (n != JOURNAL_KEY_FILE_BYTES ||
	    text[JOURNAL_KEY_FILE_BYTES - 1] != '\n' ||
	    hex_decode(seed, JOURNAL_KEY_SEED_BYTES, text,
	    JOURNAL_KEY_FILE_BYTES - 1) != TREASURY_OK)
		log_msg(LOG_ERR, "journal key %s is malformed: it must hold "
		    "exactly %d hex digits and a line feed", path,
		    2 * JOURNAL_KEY_SEED_BYTES);
	else
		rc = 0;
	sodium_memzero(text, sizeof(text));
	return rc;
}

struct journal_key *
journal_key_load(const char *path, bool create)
{
	uint8_t seed[JOURNAL_KEY_SEED_BYTES];
	struct journal_key *k;
	bool made = false;
	int fd, rc;

	fd = key_file_open(path, create, create);
	if (fd == -2) {
		if (key_new(path, &made) != 0)
			return NULL;
		fd = key_file_open(path, false, create);
	}
	if (fd < 0)
		return NULL;
	rc = key_file_read(fd, path, seed);
	close(fd);
	if (rc != 0)
		return NULL;
	k = sodium_malloc(sizeof(*k));
	if (k == NULL) {
		log_msg(LOG_ERR, "journal key: out of memory");
		sodium_memzero(seed, sizeof(seed));
		return NULL;
	}
	journal_keypair_from_seed(k->pk, k->sk, seed);
	sodium_memzero(seed, sizeof(seed));
	k->made = made;
	return k;
}

void
journal_key_free(struct journal_key *k)
{
	if (k != NULL)
		sodium_free(k);		/* wipes */
}
