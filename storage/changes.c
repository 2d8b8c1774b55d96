/*
 * changes.c: "<database>-changes", the word by which a process other than
 * the daemon tells it that it committed (contract in treasury/storage.h).
 *
 * The daemon maps the file read-only, MAP_SHARED: on Linux a pwrite by
 * another process is seen through the mapping at once (one page cache).
 * The other process writes the new value after its COMMIT returned, so a
 * daemon thread that loads the new value and then opens a read
 * transaction sees that commit. The value is random rather than a count:
 * two processes noting at once cannot write the value already there.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "treasury/log.h"

#include "store_int.h"

/* A lock-free 64-bit load, which a read-only mapping needs (a 32-bit
 * target emulating it with a locked compare-exchange would write). */
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics are lock-free");

struct store_changes {
	const _Atomic uint64_t *word;	/* the mapped file's first 8 bytes */
	_Atomic uint64_t always;	/* no file (PostgreSQL): read's count */
};

/* Beside the database file with symbolic links resolved, so that the
 * daemon and `treasuryd token` name the same file however each was given
 * the database's path (as the lock file is named, docs/operations.md). */
static bool
changes_path(const char *db_path, char out[PATH_MAX])
{
	char resolved[PATH_MAX];
	const char *base = realpath(db_path, resolved) != NULL ? resolved :
	    db_path;
	int n = snprintf(out, PATH_MAX, "%s%s", base, STORE_CHANGES_SUFFIX);

	return n > 0 && n < PATH_MAX;
}

/* fd's file made STORE_CHANGES_FILE_BYTES long when shorter; NULL or why
 * not. */
static const char *
changes_file_ready(int fd)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return strerror(errno);
	if (!S_ISREG(st.st_mode))
		return "not a regular file";
	if (st.st_size < STORE_CHANGES_FILE_BYTES &&
	    ftruncate(fd, STORE_CHANGES_FILE_BYTES) != 0)
		return strerror(errno);
	return NULL;
}

treasury_err
store_changes_map(const char *db_path, struct store_changes **out,
    char errmsg[STORE_ERRMSG_BYTES])
{
	struct store_changes *c;
	char path[PATH_MAX];
	const char *why;
	void *map;
	int fd;

	*out = NULL;
	if (store_path_is_postgresql(db_path)) {
		/* No file to map: every read is a change (storage.h). */
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			store_errmsg_set(errmsg, "out of memory");
			return TREASURY_ERR_NOMEM;
		}
		*out = c;
		return TREASURY_OK;
	}
	if (!changes_path(db_path, path)) {
		store_errmsg_set(errmsg, "%s%s: path too long", db_path,
		    STORE_CHANGES_SUFFIX);
		return TREASURY_ERR_IO;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		store_errmsg_set(errmsg, "%s: %s", path, strerror(errno));
		return TREASURY_ERR_IO;
	}
	why = changes_file_ready(fd);
	map = why != NULL ? MAP_FAILED : mmap(NULL, STORE_CHANGES_FILE_BYTES,
	    PROT_READ, MAP_SHARED, fd, 0);
	if (why == NULL && map == MAP_FAILED)
		why = strerror(errno);
	close(fd);
	c = why == NULL ? malloc(sizeof(*c)) : NULL;
	if (why == NULL && c == NULL)
		why = "out of memory";
	if (why != NULL) {
		if (map != MAP_FAILED)
			munmap(map, STORE_CHANGES_FILE_BYTES);
		store_errmsg_set(errmsg, "%s: %s", path, why);
		return TREASURY_ERR_IO;
	}
	c->word = map;
	*out = c;
	return TREASURY_OK;
}

uint64_t
store_changes_read(const struct store_changes *c)
{
	if (c->word == NULL)	/* const: the count is not the word's value */
		return atomic_fetch_add(&((struct store_changes *)c)->always,
		    1) + 1;
	return atomic_load_explicit(c->word, memory_order_acquire);
}

void
store_changes_unmap(struct store_changes *c)
{
	if (c == NULL)
		return;
	if (c->word != NULL)
		munmap((void *)c->word, STORE_CHANGES_FILE_BYTES);
	free(c);
}

void
store_changes_note(const struct store *s)
{
	char path[PATH_MAX];
	const char *why = NULL;
	uint64_t value;
	ssize_t n;
	int fd;

	if (s->postgresql || !changes_path(s->path, path))
		return;		/* PostgreSQL: no file (storage.h) */
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT)
		return;		/* no daemon made one: none to tell */
	randombytes_buf(&value, sizeof(value));
	if (fd < 0)
		why = strerror(errno);
	else if ((n = pwrite(fd, &value, sizeof(value), 0)) < 0)
		why = strerror(errno);
	else if (n != (ssize_t)sizeof(value))
		why = "short write";
	if (why != NULL)
		log_msg(LOG_WARNING, "%s: %s; a running treasuryd sees this "
		    "change within its memory_answers_ms", path, why);
	if (fd >= 0)
		close(fd);
}
