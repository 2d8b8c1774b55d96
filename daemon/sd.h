/*
 * sd.h: the two systemd protocols treasuryd speaks, implemented here
 * without libsystemd: service notification (sd_notify: a datagram to
 * $NOTIFY_SOCKET) and socket activation (sd_listen_fds: $LISTEN_PID,
 * $LISTEN_FDS, descriptors from fd 3). Both are no-ops outside systemd.
 */
#ifndef TREASURYD_SD_H
#define TREASURYD_SD_H

#include <stdbool.h>
#include <stdint.h>

enum {
	SD_LISTEN_FDS_START = 3,
	SD_NOTIFY_MAX_BYTES = 512,
};

/* Read $NOTIFY_SOCKET once (an absolute path, or '@' for an abstract
 * socket) and unset it so that children do not inherit it. Returns true
 * when notifications will be sent. */
bool sd_notify_init(void);

/* Send state ("READY=1", "STOPPING=1", "WATCHDOG=1", "STATUS=...",
 * several separated by '\n') to the service manager. A no-op without
 * $NOTIFY_SOCKET. Returns 0, or -1 (errno set) when sending failed; a
 * lost notification is never fatal, so callers may ignore the result. */
int sd_notify_send(const char *state);

/* printf-style sd_notify_send; state is truncated to SD_NOTIFY_MAX_BYTES. */
int sd_notify_sendf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The watchdog interval asked for with $WATCHDOG_USEC (and $WATCHDOG_PID,
 * when set, naming this process), in microseconds; 0 when disabled.
 * Unsets both variables. */
uint64_t sd_watchdog_usec(void);

/* The number of listening sockets passed by the service manager, starting
 * at fd SD_LISTEN_FDS_START, 0 when none were passed ($LISTEN_PID absent
 * or naming another process). Each passed fd is made close-on-exec. The
 * variables are unset. Returns -1 for malformed variables. */
int sd_listen_fds(void);

#endif
