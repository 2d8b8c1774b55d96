/*
 * first_run.c: the first-run admin token.
 *
 * A new database has no tokens, so nobody could use the API. On start-up
 * with zero tokens the daemon makes one named "admin" with the admin role
 * and writes it, never to the log, to a 0600 file (default admin.token
 * beside the database). The operator reads it once and may delete it.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "treasury/auth.h"
#include "treasury/clock.h"
#include "treasury/log.h"

#include "daemon.h"

int
fsync_parent_dir(const char *path)
{
	char copy[PATH_MAX];
	int fd, rc;

	if (snprintf(copy, sizeof(copy), "%s", path) >= (int)sizeof(copy))
		return -1;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Write text to path atomically with mode 0600. Returns 0 or -1 (errno). */
static int
secret_file_write(const char *path, const char *text)
{
	char tmp[PATH_MAX];
	size_t len = strlen(text);
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0)
		return -1;
	if (fchmod(fd, 0600) != 0 || write(fd, text, len) != (ssize_t)len ||
	    fsync(fd) != 0) {
		int saved = errno;
		close(fd);
		unlink(tmp);
		errno = saved;
		return -1;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		int saved = errno;
		unlink(tmp);
		errno = saved;
		return -1;
	}
	return fsync_parent_dir(path);
}

int
first_run_admin_token(const struct config *cfg, struct store *store)
{
	char token[TOKEN_TEXT_BYTES + 2];
	uint8_t key[TOKEN_HASH_KEY_BYTES];
	uint8_t hash[TOKEN_HASH_BYTES];
	int64_t count;
	treasury_err err;
	int rc = -1;

	err = store_token_count(store, &count);
	if (err != TREASURY_OK) {
		log_msg(LOG_ERR, "cannot count tokens: %s", treasury_err_text(err));
		return -1;
	}
	if (count > 0)
		return 0;
	token_generate(token);
	store_token_hash_key(store, key);
	token_hash(hash, key, token, strlen(token));
	err = store_token_insert(store, "admin", ROLE_ADMIN, hash, clock_wall_s());
	if (err != TREASURY_OK) {
		log_msg(LOG_ERR, "cannot store the first-run admin token: %s",
		    treasury_err_text(err));
		goto done;
	}
	token[TOKEN_TEXT_BYTES] = '\n';
	token[TOKEN_TEXT_BYTES + 1] = '\0';
	if (secret_file_write(cfg->admin_token_file, token) != 0) {
		log_msg(LOG_ERR, "cannot write the first-run admin token to "
		    "%s: %s", cfg->admin_token_file, strerror(errno));
		if (store_token_revoke(store, "admin") != TREASURY_OK)
			log_msg(LOG_ERR, "cannot withdraw the unwritten token");
		goto done;
	}
	log_msg(LOG_NOTICE, "first run: admin token written to %s (mode 0600); "
	    "read it once, then keep it safe or delete the file",
	    cfg->admin_token_file);
	rc = 0;
done:
	sodium_memzero(token, sizeof(token));
	sodium_memzero(key, sizeof(key));
	return rc;
}
