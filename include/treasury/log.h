/*
 * log.h: logging to standard error with syslog priority prefixes.
 *
 * Every line is "<N>message\n" where N is the syslog priority, so that
 * journald (SyslogLevelPrefix=yes, the default) files it at the right level
 * and a terminal still reads well. Never pass a secret to these functions.
 * (OpenBSD manner: log_warn appends strerror(errno), log_warnx does not.)
 *
 * Part of base/ (libtreasury_base): every layer, storage's writer thread
 * included, logs through these functions. Contract:
 *   - thread-safe: each line is one write(2) to standard error, so lines
 *     of different threads never interleave; nothing is buffered;
 *   - a line is cut at 2048 bytes and stays one line;
 *   - every control character (below 0x20, and 0x7f) of the formatted
 *     text is written as '?', so client text cannot forge a second line
 *     or its priority prefix;
 *   - lines less severe than the level set by log_init are dropped
 *     (LOG_INFO until log_init is called).
 */
#ifndef TREASURY_LOG_H
#define TREASURY_LOG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
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
/* Repeats of one kind of line (a failure met by every request while it
 * lasts, such as a full disk): at most one line per interval, the next
 * one saying how many were not written. A zero-initialised (static)
 * struct log_limit is ready to use; it is thread-safe. */
struct log_limit {
	atomic_uint_least64_t next_ms;	/* monotonic: when a line may go */
	atomic_ulong dropped;		/* lines not written since the last */
};

/* log_msg(priority, fmt, ...) unless a line of l was written less than
 * interval_ms ago (then it is only counted); a line that follows dropped
 * ones ends ": N similar lines not logged". Returns whether it was
 * written (a line below the log level is neither written nor counted). */
bool log_limited(struct log_limit *l, uint64_t interval_ms, int priority,
    const char *fmt, ...) LOG_FMT(4, 5);

/* Log at LOG_CRIT and exit(1): for the impossible. */
void fatal(const char *fmt, ...) LOG_FMT(1, 2) __attribute__((noreturn));
void fatalx(const char *fmt, ...) LOG_FMT(1, 2) __attribute__((noreturn));

#endif
