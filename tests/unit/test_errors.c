/*
 * test_errors.c: the one error table (include/treasury/error.h) against
 * itself and against docs/api.md: slugs unique and lowercase, every code
 * with a title and an HTTP status, and the "Status of each problem type"
 * list of docs/api.md true to the table (every slug it names is in the
 * table with that status; every 4xx and 503 slug of the table is listed;
 * the 500 row names examples only).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "treasury/error.h"

#ifndef TREASURY_DOCS_DIR
#error "TREASURY_DOCS_DIR must name the docs/ folder"
#endif

struct err_row {
	treasury_err err;
	const char *slug;
	const char *text;
	unsigned status;
};

static const struct err_row table[] = {
#define TREASURY_ERR_ROW(name, slug, text, status) \
	{ TREASURY_ERR_##name, slug, text, status },
	TREASURY_ERRORS(TREASURY_ERR_ROW)
#undef TREASURY_ERR_ROW
};
#define TABLE_ROWS (sizeof(table) / sizeof(table[0]))

enum { DOCS_MAX_BYTES = 1024 * 1024, SLUG_MAX_BYTES = 64 };

static const struct err_row *
row_find(const char *slug)
{
	for (size_t i = 0; i < TABLE_ROWS; i++)
		if (strcmp(table[i].slug, slug) == 0)
			return &table[i];
	return NULL;
}

static void
test_table_is_sound(void **state)
{
	(void)state;
	assert_int_equal(TABLE_ROWS, TREASURY_ERR_COUNT_);
	for (size_t i = 0; i < TABLE_ROWS; i++) {
		const struct err_row *r = &table[i];
		assert_int_equal(r->err, i);
		assert_string_equal(treasury_err_name(r->err), r->slug);
		assert_string_equal(treasury_err_text(r->err), r->text);
		assert_true(r->text[0] != '\0');
		assert_true(strlen(r->slug) < SLUG_MAX_BYTES);
		for (const char *p = r->slug; *p != '\0'; p++)
			assert_true((*p >= 'a' && *p <= 'z') ||
			    (*p >= '0' && *p <= '9') || *p == '-');
		assert_ptr_equal(row_find(r->slug), r);	/* slug unique */
		assert_true(r->status == 200 || (r->status >= 400 &&
		    r->status <= 503));
		assert_true((r->status == 200) == (r->err == TREASURY_OK));
	}
}

static char *
docs_read(void)
{
	FILE *f = fopen(TREASURY_DOCS_DIR "/api.md", "r");
	char *text = malloc(DOCS_MAX_BYTES + 1);
	size_t n;

	assert_non_null(f);
	assert_non_null(text);
	n = fread(text, 1, DOCS_MAX_BYTES, f);
	assert_true(n < DOCS_MAX_BYTES);
	text[n] = '\0';
	fclose(f);
	return text;
}

/* Each row "| NNN | `slug`, ... |" of the status list: check its slugs,
 * and mark the table rows it names in listed[]. */
static void
docs_row_check(const char *line, size_t len, bool listed[])
{
	char slug[SLUG_MAX_BYTES];
	unsigned status = 0;
	const char *p = line + 2, *end = line + len, *tick;

	for (; p < end && *p >= '0' && *p <= '9'; p++)
		status = status * 10 + (unsigned)(*p - '0');
	assert_true(status >= 400 && status <= 503);
	while ((tick = memchr(p, '`', (size_t)(end - p))) != NULL) {
		const char *close = memchr(tick + 1, '`', (size_t)(end - tick - 1));
		const struct err_row *r;
		size_t n;

		assert_non_null(close);
		n = (size_t)(close - tick - 1);
		assert_true(n < sizeof(slug));
		memcpy(slug, tick + 1, n);
		slug[n] = '\0';
		p = close + 1;
		if (strcmp(slug, "Retry-After") == 0 ||
		    strcmp(slug, "Retry-After: 1") == 0)
			continue;
		r = row_find(slug);
		if (r == NULL)
			fail_msg("docs/api.md lists '%s', not in error.h", slug);
		if (r->status != status)
			fail_msg("docs/api.md lists '%s' under %u, error.h says "
			    "%u", slug, status, r->status);
		listed[r - table] = true;
	}
}

static void
test_docs_status_list(void **state)
{
	bool listed[TABLE_ROWS] = { false };
	char *text = docs_read();
	const char *p, *line;
	unsigned rows = 0;

	(void)state;
	p = strstr(text, "### Status of each problem type");
	assert_non_null(p);
	p = strstr(p, "| status | slugs |");
	assert_non_null(p);
	/* rows until the first line that is not part of the table */
	for (line = strchr(p, '\n') + 1; *line == '|'; ) {
		const char *nl = strchr(line, '\n');
		size_t len = nl != NULL ? (size_t)(nl - line) : strlen(line);
		if (line[2] >= '0' && line[2] <= '9') {
			docs_row_check(line, len, listed);
			rows++;
		}
		if (nl == NULL)
			break;
		line = nl + 1;
	}
	assert_true(rows >= 10);
	for (size_t i = 0; i < TABLE_ROWS; i++)
		if (table[i].status != 200 && table[i].status != 500 &&
		    !listed[i])
			fail_msg("error.h's '%s' (%u) is missing from docs/api.md",
			    table[i].slug, table[i].status);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_is_sound),
		cmocka_unit_test(test_docs_status_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
