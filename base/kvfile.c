/*
 * kvfile.c: the "key = value" configuration file reader (see kvfile.h).
 *
 * The file is read whole (it is small: the caller gives its cap), then
 * cut into lines in place. Reports are formatted into one stack buffer
 * and handed to the caller's report function, or logged.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "treasury/kvfile.h"
#include "treasury/log.h"

enum { KVFILE_MSG_MAX_BYTES = 2048 };

static void
kv_report(const struct kvfile *kv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
kv_report(const struct kvfile *kv, const char *fmt, ...)
{
	char msg[KVFILE_MSG_MAX_BYTES];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (kv->report != NULL)
		kv->report(kv->ctx, msg);
	else
		log_msg(LOG_ERR, "%s", msg);
}

/* Drop leading spaces and tabs, and trailing spaces, tabs and CRs. */
static char *
trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	*end = '\0';
	return s;
}

/* One line of len bytes, NUL-terminated at line[len]. Returns the number
 * of errors (0 or 1). */
static unsigned
kv_line(const struct kvfile *kv, char *line, size_t len, const char *where)
{
	char *eq, *key, *value;

	if (kv->line_max_bytes > 0 && len > kv->line_max_bytes) {
		kv_report(kv, "%s: line is longer than %zu bytes", where,
		    kv->line_max_bytes);
		return 1;
	}
	if (strlen(line) != len) {
		kv_report(kv, "%s: line contains a NUL byte", where);
		return 1;
	}
	line = trim(line);
	if (*line == '\0' || *line == '#')
		return 0;
	eq = strchr(line, '=');
	if (eq == NULL) {
		kv_report(kv, "%s: expected '%s'", where, kv->syntax);
		return 1;
	}
	*eq = '\0';
	key = trim(line);
	value = trim(eq + 1);
	return kv->set(kv->ctx, where, key, value) == 0 ? 0 : 1;
}

unsigned
kvfile_parse(const struct kvfile *kv, char *text, size_t len)
{
	char where[PATH_MAX + 32];
	unsigned long lineno = 0;
	unsigned errors = 0;
	size_t pos = 0, end;
	char *nl;

	while (pos < len) {
		nl = memchr(text + pos, '\n', len - pos);
		end = nl != NULL ? (size_t)(nl - text) : len;
		if (nl != NULL)
			*nl = '\0';
		snprintf(where, sizeof(where), "%s:%lu", kv->path, ++lineno);
		errors += kv_line(kv, text + pos, end - pos, where);
		pos = end + 1;
	}
	return errors;
}

/* Read all of fd, at most max_bytes, into a new NUL-terminated buffer.
 * Returns 0, -1 with errno set, or 1 when there is more than max_bytes. */
static int
read_all(int fd, size_t max_bytes, char **out, size_t *out_len)
{
	char *buf = malloc(max_bytes + 2);
	size_t len = 0;
	ssize_t n;

	if (buf == NULL)
		return -1;
	while (len <= max_bytes) {
		n = read(fd, buf + len, max_bytes + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max_bytes) {
		free(buf);
		return 1;
	}
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	return 0;
}

/* Open path for reading without blocking: open(2) of a FIFO without
 * O_NONBLOCK waits for a writer, and would hang the caller (the daemon's
 * main loop on SIGHUP) before fstat could refuse it. Returns the fd, or
 * -1 after reporting. */
static int
kv_open(const struct kvfile *kv)
{
	int fd = open(kv->path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		kv_report(kv, "%s: cannot open config file: %s", kv->path,
		    strerror(errno));
	return fd;
}

unsigned
kvfile_load(const struct kvfile *kv, size_t file_max_bytes)
{
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	unsigned errors;
	int fd, r = 1;

	fd = kv_open(kv);
	if (fd < 0)
		return 1;
	if (fstat(fd, &st) != 0)
		kv_report(kv, "%s: cannot stat config file: %s", kv->path,
		    strerror(errno));
	else if (!S_ISREG(st.st_mode))
		kv_report(kv, "%s: not a regular file (a FIFO, device, socket "
		    "or directory is never read)", kv->path);
	else if ((unsigned long long)st.st_size > file_max_bytes)
		kv_report(kv, "%s: larger than %zu bytes", kv->path,
		    file_max_bytes);
	else if ((r = read_all(fd, file_max_bytes, &text, &len)) < 0)
		kv_report(kv, "%s: read error: %s", kv->path, strerror(errno));
	else if (r > 0)
		kv_report(kv, "%s: grew beyond %zu bytes while being read",
		    kv->path, file_max_bytes);
	close(fd);
	if (r != 0)
		return 1;
	errors = kvfile_parse(kv, text, len);
	free(text);
	return errors;
}
