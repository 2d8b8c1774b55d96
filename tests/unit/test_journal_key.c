/*
 * test_journal_key.c: unit tests of the daemon's journal key file
 * (daemon/journal_key.c): made once, 0600, 64 hex digits and a line feed;
 * read back to the same key pair; refused when group or others have any
 * permission, when malformed, when not a regular file or a symbolic link,
 * when missing unless it may be made, and, for the daemon (create), when
 * owned by another uid (run as root: chown; skipped otherwise). Starts
 * racing to make it get one key, and neither removes the other's
 * temporary file.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "treasury/crypto_init.h"
#include "treasury/hex.h"

#include "journal_key.h"

struct fx {
	char dir[64];
	char path[128];
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(treasury_crypto_init(), TREASURY_OK);
	snprintf(f->dir, sizeof(f->dir), "/tmp/treasury-test-jkey-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/journal.key", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void
file_write(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void
test_made_at_first_start_then_read_back(void **state)
{
	struct fx *f = *state;
	struct journal_key *k1, *k2;
	char text[160];
	struct stat st;
	uint8_t seed[JOURNAL_KEY_SEED_BYTES], pk[JOURNAL_PUBLIC_KEY_BYTES];
	uint8_t sk[JOURNAL_SECRET_KEY_BYTES];
	FILE *fp;

	assert_null(journal_key_load(f->path, false));	/* missing */
	k1 = journal_key_load(f->path, true);
	assert_non_null(k1);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, 65);
	fp = fopen(f->path, "r");
	assert_non_null(fp);
	assert_non_null(fgets(text, sizeof(text), fp));
	fclose(fp);
	assert_int_equal(strlen(text), 65);
	assert_int_equal(text[64], '\n');
	assert_int_equal(hex_decode(seed, sizeof(seed), text, 64), TREASURY_OK);
	journal_keypair_from_seed(pk, sk, seed);
	assert_memory_equal(pk, k1->pk, sizeof(pk));
	assert_memory_equal(sk, k1->sk, sizeof(sk));
	/* a second start reads the same key, never a new one */
	k2 = journal_key_load(f->path, true);
	assert_non_null(k2);
	assert_memory_equal(k1->pk, k2->pk, sizeof(pk));
	journal_key_free(k1);
	journal_key_free(k2);
	journal_key_free(NULL);
	/* no temporary file is left */
	snprintf(text, sizeof(text), "%s.tmp", f->path);
	assert_int_not_equal(access(text, F_OK), 0);
}

static void
test_group_or_other_permission_is_refused(void **state)
{
	struct fx *f = *state;
	static const mode_t modes[] = { 0640, 0604, 0620, 0601, 0660 };
	struct journal_key *k;

	k = journal_key_load(f->path, true);
	assert_non_null(k);
	journal_key_free(k);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		assert_int_equal(chmod(f->path, modes[i]), 0);
		assert_null(journal_key_load(f->path, true));
	}
	assert_int_equal(chmod(f->path, 0400), 0);	/* stricter is fine */
	k = journal_key_load(f->path, false);
	assert_non_null(k);
	journal_key_free(k);
}

static void
test_malformed_files_are_refused(void **state)
{
	struct fx *f = *state;
	static const char *const bad[] = {
		"",
		"\n",
		/* 63 digits */
		"000000000000000000000000000000000000000000000000000000000000000\n",
		/* no line feed */
		"0000000000000000000000000000000000000000000000000000000000000000",
		/* a second line */
		"0000000000000000000000000000000000000000000000000000000000000000\nx",
		/* not hex */
		"000000000000000000000000000000000000000000000000000000000000000g\n",
		"0000000000000000000000000000000000000000000000000000000000000000\r\n",
	};
	static const char good[] =
	    "0707070707070707070707070707070707070707070707070707070707070707\n";
	struct journal_key *k;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		file_write(f->path, bad[i], 0600);
		assert_null(journal_key_load(f->path, true));
	}
	file_write(f->path, good, 0600);
	k = journal_key_load(f->path, false);
	assert_non_null(k);
	assert_int_equal(k->sk[0], 7);	/* libsodium's sk starts with the seed */
	journal_key_free(k);
}

static void
test_links_fifos_and_directories_are_refused(void **state)
{
	struct fx *f = *state;
	char target[160];
	struct journal_key *k;

	snprintf(target, sizeof(target), "%s/real.key", f->dir);
	k = journal_key_load(target, true);
	assert_non_null(k);
	journal_key_free(k);
	assert_int_equal(symlink(target, f->path), 0);
	assert_null(journal_key_load(f->path, true));
	assert_int_equal(unlink(f->path), 0);
	assert_int_equal(mkfifo(f->path, 0600), 0);
	assert_null(journal_key_load(f->path, true));	/* and never hangs */
	assert_int_equal(unlink(f->path), 0);
	assert_int_equal(mkdir(f->path, 0700), 0);
	assert_null(journal_key_load(f->path, true));
}

/* A key file owned by another uid: refused for the daemon, read for
 * its public half. Needs root to chown; skipped otherwise. */
static void
test_another_owner_is_refused(void **state)
{
	struct fx *f = *state;
	struct journal_key *k;

	if (geteuid() != 0) {
		skip();
		return;
	}
	file_write(f->path, "0101010101010101010101010101010101010101010101"
	    "010101010101010101\n", 0600);
	assert_int_equal(chown(f->path, 65534, 65534), 0);
	assert_null(journal_key_load(f->path, true));
	k = journal_key_load(f->path, false);	/* audit verify --key */
	assert_non_null(k);
	journal_key_free(k);
	assert_int_equal(chown(f->path, geteuid(), getegid()), 0);
	k = journal_key_load(f->path, true);
	assert_non_null(k);
	assert_false(k->made);
	journal_key_free(k);
}

enum { RACERS = 8 };

/* RACERS processes make the key at once: each gets the same key, one
 * of them made it, none fails, and no temporary file is left. A file
 * named like the old fixed temporary name is left alone. */
static void
test_racing_starts_get_one_key(void **state)
{
	struct fx *f = *state;
	char other[160], pk_hex[RACERS][2 * JOURNAL_PUBLIC_KEY_BYTES + 1];
	int fds[RACERS][2], made = 0, status;
	struct dirent *de;
	unsigned files = 0;
	pid_t pid[RACERS];
	DIR *d;

	snprintf(other, sizeof(other), "%s.tmp", f->path);
	file_write(other, "someone else's\n", 0600);
	for (int i = 0; i < RACERS; i++) {
		assert_int_equal(pipe(fds[i]), 0);
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (pid[i] == 0) {
			struct journal_key *k = journal_key_load(f->path, true);
			char out[2 * JOURNAL_PUBLIC_KEY_BYTES + 2];

			if (k == NULL)
				_exit(1);
			hex_encode(out, k->pk, JOURNAL_PUBLIC_KEY_BYTES);
			out[2 * JOURNAL_PUBLIC_KEY_BYTES] = k->made ? 'm' : '-';
			if (write(fds[i][1], out, sizeof(out) - 1) !=
			    (ssize_t)sizeof(out) - 1)
				_exit(1);
			_exit(0);
		}
		close(fds[i][1]);
	}
	for (int i = 0; i < RACERS; i++) {
		char in[2 * JOURNAL_PUBLIC_KEY_BYTES + 1];

		assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		assert_int_equal(read(fds[i][0], in, sizeof(in)),
		    (ssize_t)sizeof(in));
		close(fds[i][0]);
		made += in[2 * JOURNAL_PUBLIC_KEY_BYTES] == 'm';
		memcpy(pk_hex[i], in, 2 * JOURNAL_PUBLIC_KEY_BYTES);
		pk_hex[i][2 * JOURNAL_PUBLIC_KEY_BYTES] = '\0';
		assert_string_equal(pk_hex[i], pk_hex[0]);
	}
	assert_int_equal(made, 1);
	d = opendir(f->dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			files++;
	closedir(d);
	assert_int_equal(files, 2);	/* journal.key, journal.key.tmp */
	assert_int_equal(access(other, F_OK), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_another_owner_is_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_racing_starts_get_one_key,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_made_at_first_start_then_read_back, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_group_or_other_permission_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_files_are_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_links_fifos_and_directories_are_refused, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
