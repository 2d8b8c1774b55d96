/*
 * listener.c: where the HTTP server listens, and who owns the database.
 *
 * Under socket activation systemd passes one listening TCP socket as fd 3
 * (treasuryd.socket). It gets the same check as a configured address:
 * loopback only unless TLS is on (tls_cert). Without a passed socket the
 * server binds the configured `listen` address itself.
 *
 * The database lock: a running daemon holds two exclusive flock(2) locks
 * for its whole life. One on "<db>.lock" (the path, symbolic links
 * resolved) keeps a restore and a start on the same path apart even while
 * no database file exists. One on the database file itself keys the lock
 * on the file's identity: a second daemon reaching the same file by a hard
 * link or a symbolic link is refused too, with the other daemon's path in
 * the message. flock(2) locks do not interact with the fcntl(2) byte-range
 * locks SQLite takes on the same file (Linux, local file systems; on NFS
 * flock is emulated with fcntl locks and would conflict, but SQLite's WAL
 * mode does not work on NFS anyway). The kernel drops both locks when the
 * process exits, so a crash never leaves a stale lock behind.
 *
 * The lock file also records the instance id of the database served at
 * that path ("instance=<64 hex>\n"), so that a start finding another
 * instance's database there, or none at all, is refused (main.c).
 *
 * The descriptor on the database file must stay open until every SQLite
 * connection of the process is closed: closing any descriptor of a file
 * drops the process's fcntl locks on it, SQLite's included.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "treasury/hex.h"
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

enum {
	LOCK_RECORD_MAX_BYTES = 256,	/* "instance=<64 hex>\n" and spare */
	PROC_LINE_MAX_BYTES = 512,	/* a line of /proc/locks */
	PROC_LOCKS_MAX_LINES = 100000,
	PROC_FDS_MAX = 65536,		/* descriptors of the other process */
};

#define LOCK_RECORD_KEY "instance="

/* path with symbolic links resolved; for a file that does not exist yet,
 * its directory resolved and its name kept. Returns 0 or -1 (errno). */
static int
path_resolve(const char *path, char out[PATH_MAX])
{
	char dir[PATH_MAX], real_dir[PATH_MAX];
	const char *slash, *name;
	size_t dir_len;

	if (realpath(path, out) != NULL)
		return 0;
	if (errno != ENOENT)
		return -1;
	slash = strrchr(path, '/');
	name = slash != NULL ? slash + 1 : path;
	dir_len = slash == NULL ? 1 : slash == path ? 1 : (size_t)(slash - path);
	if (dir_len >= sizeof(dir) || *name == '\0') {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, slash == NULL ? "." : path, dir_len);
	dir[dir_len] = '\0';
	if (realpath(dir, real_dir) == NULL)
		return -1;
	if (snprintf(out, PATH_MAX, "%s/%s", strcmp(real_dir, "/") == 0 ? "" :
	    real_dir, name) >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Read the instance the lock file records, if any. Returns 0 (with
 * l->recorded set or not), or -1 after logging a malformed record. */
static int
lock_record_read(struct db_lock *l)
{
	char text[LOCK_RECORD_MAX_BYTES + 1];
	size_t key_len = strlen(LOCK_RECORD_KEY), hex_len = 2 * INSTANCE_ID_BYTES;
	ssize_t n;

	l->recorded = false;
	n = pread(l->name_fd, text, LOCK_RECORD_MAX_BYTES, 0);
	if (n < 0) {
		log_msg(LOG_ERR, "cannot read lock file %s: %s", l->lock_path,
		    strerror(errno));
		return -1;
	}
	if (n == 0)
		return 0;	/* new, or written by an older treasuryd */
	text[n] = '\0';
	if ((size_t)n != key_len + hex_len + 1 ||
	    memcmp(text, LOCK_RECORD_KEY, key_len) != 0 ||
	    text[n - 1] != '\n' ||
	    hex_decode(l->instance, INSTANCE_ID_BYTES, text + key_len,
	    hex_len) != TREASURY_OK) {
		log_msg(LOG_ERR, "lock file %s does not hold what treasuryd "
		    "writes (\"instance=<64 hex>\"); check the directory, then "
		    "remove the file", l->lock_path);
		return -1;
	}
	l->recorded = true;
	return 0;
}

int
db_lock_record(struct db_lock *l, const uint8_t instance[INSTANCE_ID_BYTES])
{
	char text[LOCK_RECORD_MAX_BYTES];
	char hex[2 * INSTANCE_ID_BYTES + 1];
	int n;

	assert(l->name_fd >= 0);
	hex_encode(hex, instance, INSTANCE_ID_BYTES);
	n = snprintf(text, sizeof(text), "%s%s\n", LOCK_RECORD_KEY, hex);
	assert(n > 0 && (size_t)n < sizeof(text));
	if (ftruncate(l->name_fd, 0) != 0 ||
	    pwrite(l->name_fd, text, (size_t)n, 0) != n ||
	    fsync(l->name_fd) != 0) {
		log_msg(LOG_ERR, "cannot write lock file %s: %s", l->lock_path,
		    strerror(errno));
		return -1;
	}
	memcpy(l->instance, instance, INSTANCE_ID_BYTES);
	l->recorded = true;
	return 0;
}

/* In /proc/<pid>/fd, the path by which process pid opened the file id.
 * Returns 0 with path set, or -1. */
static int
proc_fd_path(long pid, const struct store_file_id *id, char *path,
    size_t path_size)
{
	char dir[64], entry[PATH_MAX];
	struct dirent *de;
	struct stat st;
	unsigned seen = 0;
	ssize_t n;
	DIR *d;
	int rc = -1;

	snprintf(dir, sizeof(dir), "/proc/%ld/fd", pid);
	d = opendir(dir);
	if (d == NULL)
		return -1;
	while (rc != 0 && seen++ < PROC_FDS_MAX && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    snprintf(entry, sizeof(entry), "%s/%s", dir, de->d_name) >=
		    (int)sizeof(entry) || stat(entry, &st) != 0 ||
		    (uint64_t)st.st_dev != id->dev ||
		    (uint64_t)st.st_ino != id->ino)
			continue;
		n = readlink(entry, path, path_size - 1);
		if (n > 0) {
			path[n] = '\0';
			rc = 0;
		}
	}
	closedir(d);
	return rc;
}

/* The process holding a flock on the file id (from /proc/locks), and the
 * path it opened the file by. Returns the pid (path set when it could be
 * read, else "") or -1 when no holder is found. */
static long
lock_holder(const struct store_file_id *id, char *path, size_t path_size)
{
	char line[PROC_LINE_MAX_BYTES], type[16];
	unsigned maj, min, lines = 0;
	unsigned long long ino;
	long pid, found = -1;
	FILE *f;

	path[0] = '\0';
	f = fopen("/proc/locks", "re");
	if (f == NULL)
		return -1;
	while (found < 0 && lines++ < PROC_LOCKS_MAX_LINES &&
	    fgets(line, sizeof(line), f) != NULL) {
		/* "1: FLOCK  ADVISORY  WRITE 1234 fd:01:56789 0 EOF";
		 * waiters ("1: -> FLOCK ...") do not match */
		if (sscanf(line, "%*u: %15s %*s %*s %ld %x:%x:%llu", type, &pid,
		    &maj, &min, &ino) == 5 && strcmp(type, "FLOCK") == 0 &&
		    ino == id->ino && makedev(maj, min) == id->dev)
			found = pid;
	}
	fclose(f);
	if (found >= 0 && proc_fd_path(found, id, path, path_size) != 0)
		path[0] = '\0';
	return found;
}

/* Say who holds the database file's lock, as precisely as /proc allows. */
static void
file_lock_refused(const struct db_lock *l)
{
	char other[PATH_MAX];
	long pid = lock_holder(&l->id, other, sizeof(other));

	if (pid >= 0 && other[0] != '\0')
		log_msg(LOG_ERR, "database %s is in use by a running treasuryd "
		    "(pid %ld) that serves the same file as %s (a hard link or "
		    "symbolic link); one database file, one daemon", l->db_path,
		    pid, other);
	else if (pid >= 0)
		log_msg(LOG_ERR, "database %s is in use by a running treasuryd "
		    "(pid %ld; the same file, perhaps by a hard link or symbolic "
		    "link)", l->db_path, pid);
	else
		log_msg(LOG_ERR, "database %s is in use by a running treasuryd "
		    "(the same file, perhaps by a hard link or symbolic link)",
		    l->db_path);
}

int
db_lock_file(struct db_lock *l)
{
	struct stat st;
	int fd;

	assert(l->name_fd >= 0 && l->file_fd < 0);
	/* O_NONBLOCK: a FIFO at the path must be refused, not waited on */
	fd = open(l->db_path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) != 0) {
		log_msg(LOG_ERR, "cannot open database %s: %s", l->db_path,
		    strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		log_msg(LOG_ERR, "database %s is not a regular file", l->db_path);
		goto fail;
	}
	l->id.dev = (uint64_t)st.st_dev;
	l->id.ino = (uint64_t)st.st_ino;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK)
			file_lock_refused(l);
		else
			log_msg(LOG_ERR, "cannot lock database %s: %s",
			    l->db_path, strerror(errno));
		goto fail;
	}
	l->file_fd = fd;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

int
db_lock_open(const char *db_path, struct db_lock *l)
{
	char real[PATH_MAX];
	struct stat st;

	memset(l, 0, sizeof(*l));
	l->name_fd = l->file_fd = -1;
	if (snprintf(l->db_path, sizeof(l->db_path), "%s", db_path) >=
	    (int)sizeof(l->db_path) || path_resolve(db_path, real) != 0 ||
	    snprintf(l->lock_path, sizeof(l->lock_path), "%s.lock", real) >=
	    (int)sizeof(l->lock_path)) {
		log_msg(LOG_ERR, "database %s: %s", db_path,
		    strerror(errno != 0 ? errno : ENAMETOOLONG));
		return -1;
	}
	l->name_fd = open(l->lock_path, O_RDWR | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	if (l->name_fd < 0) {
		log_msg(LOG_ERR, "cannot open lock file %s: %s", l->lock_path,
		    strerror(errno));
		return -1;
	}
	if (flock(l->name_fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK)
			log_msg(LOG_ERR, "database %s is in use by a running "
			    "treasuryd (lock file %s is held%s%s)", db_path,
			    l->lock_path, strcmp(real, db_path) != 0 ?
			    "; through symbolic links the database is " : "",
			    strcmp(real, db_path) != 0 ? real : "");
		else
			log_msg(LOG_ERR, "cannot lock %s: %s", l->lock_path,
			    strerror(errno));
		goto fail;
	}
	if (lock_record_read(l) != 0)
		goto fail;
	if (stat(db_path, &st) == 0 && db_lock_file(l) != 0)
		goto fail;
	return 0;
fail:
	db_lock_close(l);
	return -1;
}

void
db_lock_close(struct db_lock *l)
{
	if (l->file_fd >= 0)
		close(l->file_fd);
	if (l->name_fd >= 0)
		close(l->name_fd);
	l->file_fd = l->name_fd = -1;
}
