/*
 * log.h: logging to standard error with syslog priority prefixes.
 *
 * Every line is "<N>message\n" where N is the syslog priority, so that
 * journald (SyslogLevelPrefix=yes, the default) files it at the right level
 * and a terminal still reads well. Never pass a secret to these functions.
 * (OpenBSD manner: log_warn appends strerror(errno), log_warnx does not.)
 */
#ifndef TREASURY_LOG_H
#define TREASURY_LOG_H

#include <stdbool.h>
#include <syslog.h>

#define LOG_FMT(a, b) __attribute__((format(printf, a, b)))

/* Set the most verbose priority that is written (LOG_ERR .. LOG_DEBUG). */
void log_init(int max_priority);

/* Parse "err", "warning", "notice", "info" or "debug". Returns false on
 * any other text. */
bool log_level_parse(const char *s, int *priority);

/* Number of lines written at LOG_ERR or more severe since start. */
unsigned long log_error_count(void);

void log_msg(int priority, const char *fmt, ...) LOG_FMT(2, 3);
void log_warn(const char *fmt, ...) LOG_FMT(1, 2);	/* + strerror(errno) */
void log_warnx(const char *fmt, ...) LOG_FMT(1, 2);
void log_info(const char *fmt, ...) LOG_FMT(1, 2);
void log_debug(const char *fmt, ...) LOG_FMT(1, 2);
/* Log at LOG_CRIT and exit(1): for the impossible. */
void fatal(const char *fmt, ...) LOG_FMT(1, 2) __attribute__((noreturn));
void fatalx(const char *fmt, ...) LOG_FMT(1, 2) __attribute__((noreturn));

#endif
