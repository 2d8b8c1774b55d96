/*
 * test_journal_key.c: unit tests of the daemon's journal key file
 * (daemon/journal_key.c): made once, 0600, 64 hex digits and a line feed;
 * read back to the same key pair; refused when group or others have any
 * permission, when malformed, when not a regular file or a symbolic link,
 * and when missing unless it may be made.
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
#include <string.h>
#include <sys/stat.h>
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
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
