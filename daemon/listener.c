/*
 * listener.c: where the HTTP server listens, and who owns the database.
 *
 * Under socket activation systemd passes one listening TCP socket as fd 3
 * (treasuryd.socket). It gets the same check as a configured address:
 * loopback only unless TLS is on (tls_cert). Without a passed socket the
 * server binds the configured `listen` address itself.
 *
 * The database lock: a running daemon holds an exclusive flock(2) on
 * "<db>.lock" for its whole life. A second daemon on the same database
 * refuses to start, and `treasuryd restore` refuses to replace a database
 * whose lock is held. The kernel drops the lock when the process exits, so
 * a crash never leaves a stale lock behind (the file itself may stay).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include "treasury/log.h"

#include "daemon.h"
#include "sd.h"

/* "127.0.0.1:8420" or "[::1]:8420" for log lines. */
static void
addr_format(const struct sockaddr_storage *ss, char *out, size_t out_size)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
		snprintf(out, out_size, "%s:%u", host, port);
	} else {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
		snprintf(out, out_size, "[%s]:%u", host, port);
	}
}

/* A passed fd must be a listening TCP socket, on a loopback address
 * unless tls. */
static int
passed_socket_check(int fd, bool tls, struct listener *l)
{
	socklen_t len = sizeof(int);
	int type = 0, listening = 0, flags;

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
	    type != SOCK_STREAM) {
		log_msg(LOG_ERR, "socket activation: fd %d is not a stream "
		    "socket", fd);
		return -1;
	}
	len = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 ||
	    !listening) {
		log_msg(LOG_ERR, "socket activation: fd %d is not listening "
		    "(Accept=yes is not supported)", fd);
		return -1;
	}
	len = sizeof(l->addr);
	if (getsockname(fd, (struct sockaddr *)&l->addr, &len) != 0 ||
	    (l->addr.ss_family != AF_INET && l->addr.ss_family != AF_INET6)) {
		log_msg(LOG_ERR, "socket activation: fd %d is not a TCP/IP "
		    "socket", fd);
		return -1;
	}
	addr_format(&l->addr, l->text, sizeof(l->text));
	if (!tls && !config_addr_is_loopback(&l->addr)) {
		log_msg(LOG_ERR, "socket activation: refusing %s, a non-loopback "
		    "address without TLS: set tls_cert and tls_key, or listen "
		    "on 127.0.0.0/8 or [::1]", l->text);
		return -1;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
		log_msg(LOG_ERR, "socket activation: fd %d: %s", fd,
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
listener_setup(const struct config *cfg, struct listener *l)
{
	int n = sd_listen_fds();

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	if (n < 0) {
		log_msg(LOG_ERR, "socket activation: malformed LISTEN_PID or "
		    "LISTEN_FDS");
		return -1;
	}
	if (n == 0) {
		l->addr = cfg->listen_addr;
		snprintf(l->text, sizeof(l->text), "%s", cfg->listen);
		return 0;
	}
	if (n != 1) {
		log_msg(LOG_ERR, "socket activation: %d sockets passed, treasuryd "
		    "serves exactly one (one ListenStream= in treasuryd.socket)",
		    n);
		return -1;
	}
	if (passed_socket_check(SD_LISTEN_FDS_START, cfg->tls_cert[0] != '\0',
	    l) != 0)
		return -1;
	l->fd = SD_LISTEN_FDS_START;
	log_msg(LOG_NOTICE, "socket activation: serving on the passed socket "
	    "%s; option listen = %s is not used", l->text, cfg->listen);
	return 0;
}

int
db_lock_open(const char *db_path, bool wait, int *fd_out)
{
	char path[PATH_MAX];
	int fd;

	*fd_out = -1;
	if (snprintf(path, sizeof(path), "%s.lock", db_path) >=
	    (int)sizeof(path)) {
		log_msg(LOG_ERR, "%s: path too long", db_path);
		return -1;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		log_msg(LOG_ERR, "cannot open lock file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
		if (errno == EWOULDBLOCK)
			log_msg(LOG_ERR, "database %s is in use by a running "
			    "treasuryd (lock file %s is held)", db_path, path);
		else
			log_msg(LOG_ERR, "cannot lock %s: %s", path,
			    strerror(errno));
		close(fd);
		return -1;
	}
	*fd_out = fd;
	return 0;
}
