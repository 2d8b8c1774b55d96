/*
 * log.c: stderr logging with syslog priority prefixes (see log.h), in
 * base/ so that every layer logs the same way.
 *
 * One line is formatted into a stack buffer and written with one write(2)
 * so that lines from different threads never interleave.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stdatomic.h>

#include "treasury/clock.h"
#include "treasury/log.h"

enum { LOG_LINE_MAX_BYTES = 2048 };

static atomic_int log_max_priority = LOG_INFO;
static atomic_ulong log_errors;

void
log_init(int max_priority)
{
	atomic_store(&log_max_priority, max_priority);
}

bool
log_level_parse(const char *s, int *priority)
{
	static const struct { const char *name; int prio; } levels[] = {
		{ "err", LOG_ERR }, { "warning", LOG_WARNING },
		{ "notice", LOG_NOTICE }, { "info", LOG_INFO },
		{ "debug", LOG_DEBUG },
	};
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (strcmp(s, levels[i].name) == 0) {
			*priority = levels[i].prio;
			return true;
		}
	}
	return false;
}

unsigned long
log_error_count(void)
{
	return atomic_load(&log_errors);
}

static void
log_vwrite(int priority, const char *suffix, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX_BYTES];
	int n, m;

	if (priority > atomic_load(&log_max_priority))
		return;
	if (priority <= LOG_ERR)
		atomic_fetch_add(&log_errors, 1);
	n = snprintf(line, sizeof(line), "<%d>", priority);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (m < 0)
		m = 0;
	n += m;
	if ((size_t)n >= sizeof(line) - 2)
		n = (int)sizeof(line) - 2;	/* truncated, still one line */
	if (suffix != NULL) {
		m = snprintf(line + n, sizeof(line) - 1 - (size_t)n, ": %s", suffix);
		if (m > 0)
			n += m;
		if ((size_t)n >= sizeof(line) - 1)
			n = (int)sizeof(line) - 2;
	}
	/* Client text may reach a log line: a control character could forge
	 * a second line with its own priority prefix, so none is written. */
	for (int i = 0; i < n; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	line[n++] = '\n';
	(void)write(STDERR_FILENO, line, (size_t)n);
}

void
log_msg(int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(priority, NULL, fmt, ap);
	va_end(ap);
}

bool
log_limited(struct log_limit *l, uint64_t interval_ms, int priority,
    const char *fmt, ...)
{
	char note[64];
	uint64_t now_ms = clock_mono_ms();
	uint_least64_t next_ms = atomic_load(&l->next_ms);
	unsigned long dropped;
	va_list ap;

	if (priority > atomic_load(&log_max_priority))
		return false;
	if (now_ms < next_ms || !atomic_compare_exchange_strong(&l->next_ms,
	    &next_ms, now_ms + interval_ms)) {
		atomic_fetch_add(&l->dropped, 1);
		return false;
	}
	dropped = atomic_exchange(&l->dropped, 0);
	if (dropped > 0)
		snprintf(note, sizeof(note), "%lu similar line%s not logged",
		    dropped, dropped == 1 ? "" : "s");
	va_start(ap, fmt);
	log_vwrite(priority, dropped > 0 ? note : NULL, fmt, ap);
	va_end(ap);
	return true;
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	const char *reason = strerror(errno);

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, reason, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, NULL, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_INFO, NULL, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	const char *reason = strerror(errno);

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, reason, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}
