/*
 * sd.c: sd_notify and sd_listen_fds without libsystemd (see sd.h and
 * sd_notify(3), sd_listen_fds(3) for the protocols).
 *
 * The notify socket is an AF_UNIX datagram socket named by an absolute
 * path or, when the name starts with '@', in the abstract namespace (the
 * '@' stands for the leading NUL byte). Each notification is one
 * datagram on a socket opened for it, as libsystemd does when it is not
 * given a connection to reuse; they are rare (READY, STATUS, WATCHDOG
 * every few seconds), so the extra socket(2) costs nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sd.h"

static struct sockaddr_un notify_addr;
static socklen_t notify_addr_len;	/* 0 = notifications off */

bool
sd_notify_init(void)
{
	const char *name = getenv("NOTIFY_SOCKET");
	size_t len;

	notify_addr_len = 0;
	if (name == NULL)
		return false;
	len = strlen(name);
	if (len < 2 || len >= sizeof(notify_addr.sun_path) ||
	    (name[0] != '/' && name[0] != '@')) {
		unsetenv("NOTIFY_SOCKET");
		return false;
	}
	memset(&notify_addr, 0, sizeof(notify_addr));
	notify_addr.sun_family = AF_UNIX;
	memcpy(notify_addr.sun_path, name, len);
	if (name[0] == '@')
		notify_addr.sun_path[0] = '\0';	/* abstract: no trailing NUL */
	notify_addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    len + (name[0] == '/' ? 1 : 0));
	unsetenv("NOTIFY_SOCKET");
	return true;
}

int
sd_notify_send(const char *state)
{
	size_t len = strlen(state);
	ssize_t sent;
	int fd, saved;

	if (notify_addr_len == 0)
		return 0;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	sent = sendto(fd, state, len, MSG_NOSIGNAL,
	    (const struct sockaddr *)&notify_addr, notify_addr_len);
	saved = errno;
	close(fd);
	errno = saved;
	return sent == (ssize_t)len ? 0 : -1;
}

int
sd_notify_sendf(const char *fmt, ...)
{
	char state[SD_NOTIFY_MAX_BYTES];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(state, sizeof(state), fmt, ap);
	va_end(ap);
	return sd_notify_send(state);
}

/* Parse a decimal without sign; returns -1 on anything else. */
static int
env_u64(const char *name, uint64_t *out)
{
	const char *text = getenv(name);
	uint64_t v = 0;

	if (text == NULL || *text == '\0')
		return -1;
	for (const char *p = text; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*out = v;
	return 0;
}

uint64_t
sd_watchdog_usec(void)
{
	uint64_t usec = 0, pid;
	bool for_us = true;

	if (getenv("WATCHDOG_PID") != NULL)
		for_us = env_u64("WATCHDOG_PID", &pid) == 0 &&
		    pid == (uint64_t)getpid();
	if (env_u64("WATCHDOG_USEC", &usec) != 0 || !for_us)
		usec = 0;
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	return usec;
}

int
sd_listen_fds(void)
{
	uint64_t pid, n;
	int rc = 0;

	if (getenv("LISTEN_PID") == NULL)
		goto done;
	if (env_u64("LISTEN_PID", &pid) != 0 || env_u64("LISTEN_FDS", &n) != 0 ||
	    n > 64) {
		rc = -1;
		goto done;
	}
	if (pid != (uint64_t)getpid())
		goto done;
	for (int fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + (int)n;
	    fd++) {
		int flags = fcntl(fd, F_GETFD);
		if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0) {
			rc = -1;
			goto done;
		}
	}
	rc = (int)n;
done:
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return rc;
}
