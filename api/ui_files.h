/*
 * ui_files.h: the dashboard's files (api/ui/), embedded in the binary at
 * build time by api/ui/embed.cmake, which writes ui_files.c in the build
 * directory. Served by api/ui.c under /ui/.
 */
#ifndef TREASURY_API_UI_FILES_H
#define TREASURY_API_UI_FILES_H

#include <stddef.h>

struct ui_file {
	const char *name;		/* "index.html": a file of api/ui/ */
	const char *content_type;	/* from the name's extension */
	const unsigned char *data;	/* the file's bytes, NUL after them */
	size_t len;			/* without the NUL */
	const char *etag;		/* "\"<32 hex of its SHA-256>\"" */
};

/* In file-name order. */
extern const struct ui_file ui_files[];
extern const size_t ui_files_count;

#endif
