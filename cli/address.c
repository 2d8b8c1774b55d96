/*
 * address.c: the signer's own address book: labels the signer gave to
 * destinations, shown next to them (address_book_label), so that a
 * familiar name is the signer's word, never the server's.
 *
 *   address add DEST --label LABEL [--force]
 *   address list [--json]
 *   address remove DEST
 *   address import FILE.csv        all or nothing
 *
 * The book is one private file (mode 0600, written atomically by
 * file_write_private) of "dest,label" lines, sorted by destination, '#'
 * lines being comments: TREASURYCTL_ADDRESSES, else
 * $XDG_CONFIG_HOME/treasuryctl/addresses, else
 * ~/.config/treasuryctl/addresses. DEST follows destination_check; LABEL
 * is 1..64 bytes passing memo_check (no control or invisible character)
 * without a comma, so a line splits at its last comma. An import file has
 * the same lines, and may start with the header line "dest,label".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "treasury/canonical.h"

enum {
	ADDRESS_LINE_MAX_BYTES = DESTINATION_MAX_BYTES + 1 +
	    ADDRESS_LABEL_MAX_BYTES + 1,
	ADDRESS_BOOK_MAX_BYTES = 2 * ADDRESS_BOOK_MAX_ENTRIES *
	    ADDRESS_LINE_MAX_BYTES,	/* comments and CRs allowed for */
};

#define ADDRESS_BOOK_HEADER "# treasuryctl address book: dest,label\n"

struct address_entry {
	char to[DESTINATION_MAX_BYTES + 1];
	char label[ADDRESS_LABEL_MAX_BYTES + 1];
	unsigned line;			/* where it was read; 0: added */
};

/* ~200 KB: always on the heap. */
struct address_book {
	char path[PATH_MAX_BYTES];
	unsigned count;
	struct address_entry entries[ADDRESS_BOOK_MAX_ENTRIES];
};

/* ---- the rules ---- */

static bool
label_valid(const char *s, size_t len)
{
	return len >= 1 && len <= ADDRESS_LABEL_MAX_BYTES &&
	    memchr(s, ',', len) == NULL && memo_check(s, len) == TREASURY_OK;
}

static int
entry_find(const struct address_book *b, const char *to)
{
	unsigned i;

	for (i = 0; i < b->count; i++)
		if (strcmp(b->entries[i].to, to) == 0)
			return (int)i;
	return -1;
}

/* ---- reading: the book and import files share one parser ---- */

/* One "dest,label" line into *e, or why not. */
static const char *
line_parse(char *line, struct address_entry *e)
{
	char *comma = strrchr(line, ',');
	size_t to_len;

	if (comma == NULL)
		return "expected dest,label";
	to_len = (size_t)(comma - line);
	if (destination_check(line, to_len) != TREASURY_OK)
		return "the destination must be 1..128 printable ASCII "
		    "characters without spaces";
	if (!label_valid(comma + 1, strlen(comma + 1)))
		return "the label must be 1..64 bytes of text without a comma, "
		    "control or invisible characters";
	memcpy(e->to, line, to_len);
	e->to[to_len] = '\0';
	memcpy(e->label, comma + 1, strlen(comma + 1) + 1);
	return NULL;
}

/* One line of path into b: a new destination, or why not. */
static int
line_add(struct address_book *b, const char *path, unsigned lineno,
    char *line)
{
	struct address_entry e;
	const char *why = line_parse(line, &e);
	int k;

	if (why != NULL) {
		ctl_err("%s:%u: %s", path, lineno, why);
		return CTL_USAGE;
	}
	k = entry_find(b, e.to);
	if (k >= 0) {
		ctl_err("%s:%u: destination %s is also on line %u", path,
		    lineno, e.to, b->entries[k].line);
		return CTL_USAGE;
	}
	if (b->count == ADDRESS_BOOK_MAX_ENTRIES) {
		ctl_err("%s:%u: more than %d addresses", path, lineno,
		    ADDRESS_BOOK_MAX_ENTRIES);
		return CTL_USAGE;
	}
	e.line = lineno;
	b->entries[b->count++] = e;
	return CTL_OK;
}

/* Every line of text into b (empty first); every error reported. */
static int
book_parse(struct address_book *b, const char *path, char *text)
{
	char *cursor = text, *line;
	unsigned lineno = 0;
	bool first = true;
	int rc = CTL_OK;

	b->count = 0;
	while ((line = line_next(&cursor)) != NULL) {
		lineno++;
		if (*line == '\0' || *line == '#')
			continue;
		if (!(first && strcmp(line, "dest,label") == 0) &&
		    line_add(b, path, lineno, line) != CTL_OK)
			rc = CTL_USAGE;
		first = false;
	}
	return rc;
}

/* Read path (private: the book) into b. */
static int
file_parse(struct address_book *b, const char *path, bool private)
{
	char *text = NULL;
	size_t len;
	int rc;

	rc = file_read_text(path, ADDRESS_BOOK_MAX_BYTES, private, &text, &len);
	if (rc == CTL_OK)
		rc = book_parse(b, path, text);
	free(text);
	return rc;
}

/* The user's book into b (heap, zeroed): a missing file is empty. */
static int
book_load(struct address_book *b)
{
	if (user_config_path(b->path, sizeof(b->path), "TREASURYCTL_ADDRESSES",
	    "addresses") != 0) {
		ctl_err("no address book path: set TREASURYCTL_ADDRESSES or "
		    "HOME");
		return CTL_USAGE;
	}
	if (access(b->path, F_OK) != 0 && errno == ENOENT)
		return CTL_OK;
	return file_parse(b, b->path, true);
}

/* ---- writing ---- */

static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct address_entry *)a)->to,
	    ((const struct address_entry *)b)->to);
}

static int
book_save(struct address_book *b)
{
	struct textbuf t;
	unsigned i;
	treasury_err err;
	int rc;

	qsort(b->entries, b->count, sizeof(b->entries[0]), entry_cmp);
	textbuf_init(&t, ADDRESS_BOOK_MAX_BYTES);
	err = textbuf_append(&t, ADDRESS_BOOK_HEADER,
	    strlen(ADDRESS_BOOK_HEADER));
	for (i = 0; i < b->count && err == TREASURY_OK; i++) {
		err = textbuf_append(&t, b->entries[i].to,
		    strlen(b->entries[i].to));
		if (err == TREASURY_OK)
			err = textbuf_append(&t, ",", 1);
		if (err == TREASURY_OK)
			err = textbuf_append(&t, b->entries[i].label,
			    strlen(b->entries[i].label));
		if (err == TREASURY_OK)
			err = textbuf_append(&t, "\n", 1);
	}
	if (err != TREASURY_OK) {
		ctl_err("out of memory");
		rc = CTL_ERROR;
	} else
		rc = file_write_private(b->path, t.data, t.len, true);
	textbuf_free(&t);
	return rc;
}

/* ---- the commands ---- */

static int
address_add(struct ctl *c, struct address_book *b)
{
	const char *to = c->o.argv[0], *label = c->o.label;
	int k;

	if (destination_check(to, strlen(to)) != TREASURY_OK) {
		ctl_err("the destination must be 1..128 printable ASCII "
		    "characters without spaces");
		return CTL_USAGE;
	}
	if (label == NULL || !label_valid(label, strlen(label))) {
		ctl_err("--label must be 1..64 bytes of text without a comma, "
		    "control or invisible characters");
		return CTL_USAGE;
	}
	k = entry_find(b, to);
	if (k >= 0 && strcmp(b->entries[k].label, label) != 0 && !c->o.force) {
		ctl_err("%s is already labelled \"%s\" (use --force to "
		    "relabel it)", to, b->entries[k].label);
		return CTL_ERROR;
	}
	if (k < 0 && b->count == ADDRESS_BOOK_MAX_ENTRIES) {
		ctl_err("the address book is full (%d addresses)",
		    ADDRESS_BOOK_MAX_ENTRIES);
		return CTL_ERROR;
	}
	if (k < 0)
		k = (int)b->count++;
	memcpy(b->entries[k].to, to, strlen(to) + 1);
	memcpy(b->entries[k].label, label, strlen(label) + 1);
	return book_save(b);
}

static int
address_remove(struct ctl *c, struct address_book *b)
{
	int k = entry_find(b, c->o.argv[0]);

	if (k < 0) {
		ctl_err("%s is not in the address book", c->o.argv[0]);
		return CTL_ERROR;
	}
	b->entries[k] = b->entries[--b->count];
	return book_save(b);
}

static int
address_list(struct ctl *c, struct address_book *b)
{
	json_t *list = json_array(), *wrap;
	size_t w = 0;
	unsigned i;

	qsort(b->entries, b->count, sizeof(b->entries[0]), entry_cmp);
	for (i = 0; i < b->count; i++) {
		if (strlen(b->entries[i].to) > w)
			w = strlen(b->entries[i].to);
		if (list != NULL && json_array_append_new(list, json_pack(
		    "{s:s, s:s}", "to", b->entries[i].to, "label",
		    b->entries[i].label)) != 0) {
			json_decref(list);
			list = NULL;
		}
	}
	wrap = list != NULL ? json_pack("{s:o}", "addresses", list) : NULL;
	if (wrap == NULL) {
		ctl_err("out of memory");
		return CTL_ERROR;
	}
	if (c->o.json)
		json_print(wrap);
	else if (b->count == 0)
		say(stdout, "the address book %s is empty\n", b->path);
	for (i = 0; !c->o.json && i < b->count; i++)
		say(stdout, "%-*s  %s\n", (int)w, b->entries[i].to,
		    b->entries[i].label);
	json_decref(wrap);
	return CTL_OK;
}

/* Every entry of the file, or nothing: parsed whole first, then merged
 * (a destination already in the book takes the file's label). */
static int
address_import(struct ctl *c, struct address_book *b)
{
	struct address_book *in = calloc(1, sizeof(*in));
	unsigned i, added = 0, relabelled = 0;
	int k, rc = in != NULL ? CTL_OK : CTL_ERROR;

	if (rc == CTL_OK)
		rc = file_parse(in, c->o.argv[0], false);
	for (i = 0; rc == CTL_OK && i < in->count; i++) {
		k = entry_find(b, in->entries[i].to);
		if (k < 0 && b->count == ADDRESS_BOOK_MAX_ENTRIES) {
			ctl_err("%s:%u: the address book would hold more than "
			    "%d addresses", c->o.argv[0], in->entries[i].line,
			    ADDRESS_BOOK_MAX_ENTRIES);
			rc = CTL_USAGE;
			break;
		}
		if (k < 0) {
			k = (int)b->count++;
			added++;
		} else if (strcmp(b->entries[k].label, in->entries[i].label))
			relabelled++;
		b->entries[k] = in->entries[i];
	}
	if (rc == CTL_OK)
		rc = book_save(b);
	if (rc == CTL_OK)
		say(stdout, "imported %u addresses from %s: %u new, %u "
		    "relabelled; the address book %s holds %u\n", in->count,
		    c->o.argv[0], added, relabelled, b->path, b->count);
	else
		ctl_err("nothing imported");
	free(in);
	return rc;
}

/* Load the book and run one address subcommand on it. */
static int
book_run(struct ctl *c, int (*run)(struct ctl *, struct address_book *))
{
	struct address_book *b = calloc(1, sizeof(*b));
	int rc = b != NULL ? book_load(b) : CTL_ERROR;

	if (rc == CTL_OK)
		rc = run(c, b);
	free(b);
	return rc;
}

int
cmd_address_add(struct ctl *c)
{
	return book_run(c, address_add);
}

int
cmd_address_list(struct ctl *c)
{
	return book_run(c, address_list);
}

int
cmd_address_remove(struct ctl *c)
{
	return book_run(c, address_remove);
}

int
cmd_address_import(struct ctl *c)
{
	return book_run(c, address_import);
}

const char *
address_book_label(struct ctl *c, const char *to)
{
	static struct address_book *book;	/* lives until exit */
	static bool loaded;
	int k;

	(void)c;
	if (!loaded) {
		loaded = true;
		book = calloc(1, sizeof(*book));
		if (book != NULL && book_load(book) != CTL_OK) {
			ctl_err("the address book is not used: no label of "
			    "yours is shown");
			book->count = 0;
		}
	}
	k = book != NULL && to != NULL ? entry_find(book, to) : -1;
	return k >= 0 ? book->entries[k].label : NULL;
}
