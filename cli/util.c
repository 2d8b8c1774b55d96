/*
 * util.c: small helpers shared by the files of cli/: where a user's
 * treasuryctl file lives, reading a text file, splitting text into lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

int
user_config_path(char *out, size_t size, const char *env_name,
    const char *file_name)
{
	const char *env = getenv(env_name);
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	int n;

	if (env != NULL && *env != '\0')
		n = snprintf(out, size, "%s", env);
	else if (xdg != NULL && *xdg == '/')
		n = snprintf(out, size, "%s/treasuryctl/%s", xdg, file_name);
	else if (home != NULL)
		n = snprintf(out, size, "%s/.config/treasuryctl/%s", home,
		    file_name);
	else
		return -1;
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int
file_read_text(const char *path, size_t max_bytes, bool private, char **out,
    size_t *out_len)
{
	int rc = file_read_all(path, max_bytes, private, out, out_len);

	if (rc == CTL_OK && strlen(*out) != *out_len) {
		ctl_err("%s: contains a NUL byte", path);
		free(*out);
		*out = NULL;
		rc = CTL_USAGE;
	}
	return rc;
}

char *
line_next(char **cursor)
{
	char *line = *cursor, *nl;

	if (line == NULL || *line == '\0')
		return NULL;
	nl = strchr(line, '\n');
	if (nl != NULL) {
		*nl = '\0';
		if (nl > line && nl[-1] == '\r')
			nl[-1] = '\0';
	}
	*cursor = nl != NULL ? nl + 1 : NULL;
	return line;
}
