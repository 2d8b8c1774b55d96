/*
 * kvfile.h: the reader of "key = value" configuration files
 * (base/kvfile.c), shared by treasuryd's config file (daemon/config.c)
 * and treasuryctl's (cli/config.c). Each caller keeps its own option
 * table: the reader splits lines and reports syntax errors, the caller's
 * set function gives each pair its meaning.
 *
 * Syntax, one setting a line:
 *   - lines end at '\n'; a '\r' before it is dropped;
 *   - spaces and tabs around the key and around the value are dropped;
 *   - an empty line, or one whose first other character is '#', is
 *     ignored ('#' elsewhere is part of the value: no trailing comments);
 *   - otherwise the line must hold '='; the key is what comes before the
 *     first '=', the value all that follows (it may hold '=' and '#'); no
 *     quoting, no escapes, no continuation lines;
 *   - a line holding a NUL byte, or longer than line_max_bytes, is an
 *     error (and is not given to set).
 * Every error is reported once, prefixed "FILE:LINE: " (or "FILE: " for
 * the file as a whole), and reading goes on, so that one run shows every
 * error of a file. Keys are not checked here: unknown or repeated keys
 * are the caller's to refuse.
 */
#ifndef TREASURY_KVFILE_H
#define TREASURY_KVFILE_H

#include <stddef.h>

/* Give one setting its meaning. where is "FILE:LINE" (for messages); key
 * and value are trimmed, NUL-terminated and valid only during the call.
 * Returns 0, or -1 after reporting the error itself. */
typedef int (*kvfile_set_fn)(void *ctx, const char *where, const char *key,
    const char *value);

/* Report one error of the reader: msg is one line without its newline. */
typedef void (*kvfile_report_fn)(void *ctx, const char *msg);

struct kvfile {
	const char *path;		/* named in every message */
	const char *syntax;		/* "name = value": said when '=' is missing */
	size_t line_max_bytes;		/* longer lines are errors; 0: no limit */
	kvfile_set_fn set;
	kvfile_report_fn report;	/* NULL: log_msg at LOG_ERR (log.h) */
	void *ctx;			/* passed to set and report */
};

/* Read the text[0..len) of kv->path, line by line, and call kv->set for
 * each setting. text is changed in place (blanks and line ends become
 * NULs). No I/O but the reports.
 * Returns the number of errors: the reader's own plus each -1 of set. */
unsigned kvfile_parse(const struct kvfile *kv, char *text, size_t len);

/* Open kv->path (following links) with O_NONBLOCK, so that a FIFO or a
 * device never blocks the caller, check that it is a regular file of at
 * most file_max_bytes, read it whole (at most file_max_bytes, even if it
 * grows meanwhile) and kvfile_parse it. A file that
 * cannot be opened, is not regular, is too large or cannot be read is one
 * error, reported with the reason; set is then not called.
 * Returns the number of errors (0: every line was applied). */
unsigned kvfile_load(const struct kvfile *kv, size_t file_max_bytes);

#endif
