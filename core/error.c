/*
 * error.c: names and descriptions of the treasury_err codes.
 */
#include "treasury/error.h"

static const char *const err_names[] = {
#define TREASURY_ERR_NAME(name, slug, text, status) slug,
	TREASURY_ERRORS(TREASURY_ERR_NAME)
#undef TREASURY_ERR_NAME
};

static const char *const err_texts[] = {
#define TREASURY_ERR_TEXT(name, slug, text, status) text,
	TREASURY_ERRORS(TREASURY_ERR_TEXT)
#undef TREASURY_ERR_TEXT
};

const char *
treasury_err_name(treasury_err err)
{
	if ((unsigned)err >= TREASURY_ERR_COUNT_)
		return "unknown";
	return err_names[err];
}

const char *
treasury_err_text(treasury_err err)
{
	if ((unsigned)err >= TREASURY_ERR_COUNT_)
		return "unknown error";
	return err_texts[err];
}
