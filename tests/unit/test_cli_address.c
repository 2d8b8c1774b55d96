/*
 * test_cli_address.c: the signer's address book (cli/address.c): CSV
 * import (comments, the optional header, CRLF, each bad line reported as
 * file:line, label rules, all or nothing), add and remove, the saved
 * file, and address_book_label's lookup. The book lives in a temporary
 * XDG_CONFIG_HOME; cli/config.c, util.c and out.c are compiled in.
 */
#include "cli_test_util.h"

static char *dir;		/* XDG_CONFIG_HOME and import files */
static char book[4200];		/* dir/treasuryctl/addresses */

/* reading.c's json_print (reading.c needs http.c and the rest). */
void
json_print(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);

	assert_non_null(s);
	puts(s);
	free(s);
}

static int
setup(void **state)
{
	(void)state;
	dir = tmpdir_make();
	snprintf(book, sizeof(book), "%s/treasuryctl/addresses", dir);
	unsetenv("TREASURYCTL_ADDRESSES");
	setenv("XDG_CONFIG_HOME", dir, 1);
	setenv("HOME", "/nonexistent-home-of-test", 1);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tmpdir_remove(dir);
	return 0;
}

/* The book's text, or NULL when there is none. Caller frees. */
static char *
book_text(void)
{
	FILE *fp = fopen(book, "rb");
	char *s;
	long n;

	if (fp == NULL)
		return NULL;
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	rewind(fp);
	s = malloc((size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
	s[n] = '\0';
	fclose(fp);
	return s;
}

static void
book_remove(void)
{
	unlink(book);
}

/* Run address import on a file holding text; the exit code. The
 * messages are in errs. */
static int
import(const char *text, const char **path_out)
{
	struct ctl c;
	char *argv[1];
	const char *path = file_put(dir, "in.csv", text, strlen(text), 0644);

	memset(&c, 0, sizeof(c));
	argv[0] = (char *)path;
	c.o.argc = 1;
	c.o.argv = argv;
	if (path_out != NULL)
		*path_out = path;
	errs_clear();
	return cmd_address_import(&c);
}

static int
add(const char *to, const char *label, bool force)
{
	struct ctl c;
	char *argv[1] = { (char *)to };

	memset(&c, 0, sizeof(c));
	c.o.argc = 1;
	c.o.argv = argv;
	c.o.label = label;
	c.o.force = force;
	errs_clear();
	return cmd_address_add(&c);
}

static int
remove_(const char *to)
{
	struct ctl c;
	char *argv[1] = { (char *)to };

	memset(&c, 0, sizeof(c));
	c.o.argc = 1;
	c.o.argv = argv;
	errs_clear();
	return cmd_address_remove(&c);
}

static void
book_equal(const char *want)
{
	char *s = book_text();

	assert_non_null(s);
	assert_string_equal(s, want);
	free(s);
}

#define HEADER "# treasuryctl address book: dest,label\n"

static void
test_import_syntax(void **state)
{
	struct stat st;

	(void)state;
	book_remove();
	/* header first, comments, blank lines, CRLF; a label may hold
	 * spaces and UTF-8; a line splits at its last comma */
	assert_int_equal(import("# exported by a wallet\n"
	    "\n"
	    "dest,label\r\n"
	    "bc1qzz,Cold storage\r\n"
	    "0xab,b,Zoë's\n"
	    "# trailing comment\n"
	    "0xaa,hot", NULL), CTL_OK);
	assert_int_equal(errs_count, 0);
	book_equal(HEADER "0xaa,hot\n0xab,b,Zoë's\nbc1qzz,Cold storage\n");
	assert_int_equal(stat(book, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

/* Every bad line is reported as file:line; nothing is imported. */
static void
test_import_bad_lines(void **state)
{
	const char *path;
	char want[8192];
	char label65[66];

	(void)state;
	book_remove();
	assert_int_equal(import("good1,fine\n"
	    "no-comma-here\n"			/* 2 */
	    "has space,label\n"			/* 3 */
	    "dest-only,\n"			/* 4 */
	    ",label-only\n"			/* 5 */
	    "good2,tab\there\n"			/* 6 */
	    "good1,again\n"			/* 7: a duplicate */
	    "dest,label\n"			/* 8: a header not first is a line */
	    "good3,bidi \xe2\x80\xae\n",	/* 9 */
	    &path), CTL_USAGE);
	snprintf(want, sizeof(want),
	    "%1$s:2: expected dest,label\n"
	    "%1$s:3: the destination must be 1..128 printable ASCII characters "
	    "without spaces\n"
	    "%1$s:4: the label must be 1..64 bytes of text without a comma, "
	    "control or invisible characters\n"
	    "%1$s:5: the destination must be 1..128 printable ASCII characters "
	    "without spaces\n"
	    "%1$s:6: the label must be 1..64 bytes of text without a comma, "
	    "control or invisible characters\n"
	    "%1$s:7: destination good1 is also on line 1\n"
	    "%1$s:9: the label must be 1..64 bytes of text without a comma, "
	    "control or invisible characters\n"
	    "nothing imported\n", path);
	assert_string_equal(errs, want);
	assert_null(book_text());		/* no book made */

	/* a label of 64 bytes passes, 65 do not */
	memset(label65, 'L', 65);
	label65[65] = '\0';
	snprintf(want, sizeof(want), "a,%s\n", label65);
	assert_int_equal(import(want, NULL), CTL_USAGE);
	assert_null(book_text());
	snprintf(want, sizeof(want), "a,%.64s\n", label65);
	assert_int_equal(import(want, NULL), CTL_OK);
	book_remove();

	/* a book that exists is left as it was */
	assert_int_equal(import("x,one\n", NULL), CTL_OK);
	book_equal(HEADER "x,one\n");
	assert_int_equal(import("y,two\nx,relabel\nz\n", &path), CTL_USAGE);
	snprintf(want, sizeof(want), "%s:3: expected dest,label\n"
	    "nothing imported\n", path);
	assert_string_equal(errs, want);
	book_equal(HEADER "x,one\n");
	/* and a good import merges: new ones added, known ones relabelled */
	assert_int_equal(import("y,two\nx,relabel\n", NULL), CTL_OK);
	book_equal(HEADER "x,relabel\ny,two\n");
	book_remove();
}

/* At most ADDRESS_BOOK_MAX_ENTRIES, in a file and in the book. */
static void
test_import_limit(void **state)
{
	size_t size = 32 * (ADDRESS_BOOK_MAX_ENTRIES + 1), used = 0;
	char *text = malloc(size), want[4400];
	const char *path;
	unsigned i;

	(void)state;
	assert_non_null(text);
	book_remove();
	for (i = 0; i < ADDRESS_BOOK_MAX_ENTRIES; i++)
		used += (size_t)snprintf(text + used, size - used,
		    "d%04u,l\n", i);
	assert_int_equal(import(text, NULL), CTL_OK);
	/* one more in the book: the file line that would not fit */
	assert_int_equal(import("d0005,relabelled\nnew,x\n", &path),
	    CTL_USAGE);
	snprintf(want, sizeof(want), "%s:2: the address book would hold more "
	    "than %d addresses\nnothing imported\n", path,
	    ADDRESS_BOOK_MAX_ENTRIES);
	assert_string_equal(errs, want);
	book_remove();
	/* one more in the file */
	snprintf(text + used, size - used, "d9999,l\n");
	assert_int_equal(import(text, &path), CTL_USAGE);
	snprintf(want, sizeof(want), "%s:%d: more than %d addresses\n"
	    "nothing imported\n", path, ADDRESS_BOOK_MAX_ENTRIES + 1,
	    ADDRESS_BOOK_MAX_ENTRIES);
	assert_string_equal(errs, want);
	assert_null(book_text());
	free(text);
}

static void
test_add_remove(void **state)
{
	(void)state;
	book_remove();
	assert_int_equal(add("bc1q", "cold", false), CTL_OK);
	assert_int_equal(add("0xab", "hot", false), CTL_OK);
	book_equal(HEADER "0xab,hot\nbc1q,cold\n");
	assert_int_equal(add("0xab", "hot", false), CTL_OK);	/* same */
	assert_int_equal(add("0xab", "other", false), CTL_ERROR);
	assert_string_equal(errs, "0xab is already labelled \"hot\" (use "
	    "--force to relabel it)\n");
	assert_int_equal(add("0xab", "other", true), CTL_OK);
	book_equal(HEADER "0xab,other\nbc1q,cold\n");
	assert_int_equal(add("0x ab", "x", false), CTL_USAGE);
	assert_int_equal(add("0xcd", "a,b", false), CTL_USAGE);
	assert_int_equal(add("0xcd", "", false), CTL_USAGE);
	assert_int_equal(add("0xcd", NULL, false), CTL_USAGE);
	assert_int_equal(add("0xcd", "bell\a", false), CTL_USAGE);
	assert_string_equal(errs, "--label must be 1..64 bytes of text without "
	    "a comma, control or invisible characters\n");
	book_equal(HEADER "0xab,other\nbc1q,cold\n");
	assert_int_equal(remove_("nope"), CTL_ERROR);
	assert_string_equal(errs, "nope is not in the address book\n");
	assert_int_equal(remove_("0xab"), CTL_OK);
	book_equal(HEADER "bc1q,cold\n");
	book_remove();
}

/* A book edited by hand with a bad line is refused whole, naming it. */
static void
test_book_bad_line(void **state)
{
	char want[4400];

	(void)state;
	assert_int_equal(add("a", "one", false), CTL_OK);
	file_put(dir, "treasuryctl/addresses", HEADER "a,one\nb\n",
	    strlen(HEADER) + 8, 0600);
	assert_int_equal(add("c", "two", false), CTL_USAGE);
	snprintf(want, sizeof(want), "%s:3: expected dest,label\n", book);
	assert_string_equal(errs, want);
	/* the book is private: readable by others, it is refused */
	file_put(dir, "treasuryctl/addresses", HEADER "a,one\n",
	    strlen(HEADER) + 6, 0644);
	assert_int_not_equal(add("c", "two", false), CTL_OK);
	book_remove();
}

/* Last: address_book_label loads the book once per run. */
static void
test_label_lookup(void **state)
{
	(void)state;
	assert_int_equal(import("0xab,hot\nbc1q,cold storage\n", NULL), CTL_OK);
	assert_string_equal(address_book_label(NULL, "0xab"), "hot");
	assert_string_equal(address_book_label(NULL, "bc1q"), "cold storage");
	assert_null(address_book_label(NULL, "0xAB"));	/* bytes, not case */
	assert_null(address_book_label(NULL, "0xa"));
	assert_null(address_book_label(NULL, NULL));
	/* loaded once: a later change is not seen in this run */
	assert_int_equal(add("new", "x", false), CTL_OK);
	assert_null(address_book_label(NULL, "new"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_import_syntax),
		cmocka_unit_test(test_import_bad_lines),
		cmocka_unit_test(test_import_limit),
		cmocka_unit_test(test_add_remove),
		cmocka_unit_test(test_book_bad_line),
		cmocka_unit_test(test_label_lookup),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
