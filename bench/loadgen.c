/*
 * loadgen.c: open-loop HTTP/1.1 load at a fixed rate, with per-request
 * latency.
 *
 * wrk is closed-loop: a connection sends its next request only when the
 * previous answer arrived, so a slow server slows the load and its latency
 * hides (coordinated omission). Here request i is due at t0 + i/RATE
 * whatever happened before. It goes out on an idle keep-alive connection
 * as soon as it is due (a timerfd wakes the loop at the due time); if every
 * connection is busy it waits for one, and that wait counts in its latency,
 * because latency is measured from the time it was due, not from the time
 * it was written. The "service" latency (from the write) is printed too.
 *
 * Every line of the request file is used once, in order (treasuryd votes
 * are single-use: a repeated vote is an idempotent no-op, not a durable
 * insert). Line format, no CR:  METHOD SP PATH [SP BODY]  (the body, if
 * any, is sent as application/json with a Content-Length).
 *
 * One thread, epoll, non-blocking sockets, TCP_NODELAY, timer slack 1 us,
 * 127.0.0.1 only.
 * Requests due during the warm-up are sent but not recorded. After the
 * last request is due the loop waits up to the drain timeout for answers;
 * any still missing count as timeouts.
 *
 * Output: a human summary on stderr and "RESULT name value" lines on
 * stdout. Exit status 0 when every recorded request got a 2xx answer in
 * time, 1 otherwise, 2 on a usage error.
 *
 * Usage: bench_loadgen -p PORT -r RATE -f FILE [-d SECONDS] [-w SECONDS]
 *            [-c CONNECTIONS] [-T DRAIN_MS] [-H "Name: value"]...
 */
#define _GNU_SOURCE		/* memmem */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

enum {
	CONNECTIONS_MAX = 1024,
	HEADERS_MAX = 16,
	HEADER_MAX_BYTES = 4096,
	REQUEST_FILE_MAX_BYTES = 1 << 30,
	RESPONSE_MAX_BYTES = 65536,
	RATE_MAX = 1000000,
	SECONDS_MAX = 3600,
	ERROR_SAMPLE_BYTES = 400,
	EVENTS_MAX = 256,
	TIMER_TAG = -1,
};

#define NS_PER_S 1000000000ULL

struct request {
	size_t off, len;	/* into requests.buf */
};

struct requests {
	char *buf;
	size_t buf_len, buf_cap;
	struct request *v;
	size_t n, cap;
};

enum conn_state {
	CONN_IDLE,
	CONN_BUSY,
};

struct conn {
	int fd;
	unsigned id;
	enum conn_state state;
	size_t req;			/* index of the request in flight */
	size_t out_off;			/* bytes of it written so far */
	uint64_t due_ns, sent_ns;
	char in[RESPONSE_MAX_BYTES];
	size_t in_len;
};

struct stats {
	uint64_t *total_ns;	/* latency from due time, recorded requests */
	uint64_t *service_ns;	/* latency from the write */
	size_t n;
	size_t ok, non2xx, errors, reconnects;
	size_t all_2xx;		/* warm-up included */
	unsigned status_counts[600];
	uint64_t max_send_lag_ns;
	size_t waited_for_conn;	/* due while every connection was busy */
	bool error_sampled;
};

static struct {
	unsigned port;
	double rate;
	double duration_s, warmup_s;
	unsigned connections;
	unsigned drain_ms;
	const char *file;
	const char *headers[HEADERS_MAX];
	unsigned n_headers;
} opt = {
	.duration_s = 10, .warmup_s = 1, .connections = 32, .drain_ms = 5000,
};

static void die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench_loadgen: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static double
parse_num(const char *s, double min, double max, const char *what)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= min && v <= max)) {
		fprintf(stderr, "bench_loadgen: %s must be %g..%g\n", what, min,
		    max);
		exit(2);
	}
	return v;
}

static void
buf_append(struct requests *r, const char *data, size_t len)
{
	if (r->buf_len + len > r->buf_cap) {
		size_t cap = r->buf_cap ? r->buf_cap : 1 << 20;
		char *grown;

		while (cap < r->buf_len + len)
			cap *= 2;
		grown = realloc(r->buf, cap);
		if (grown == NULL)
			die("%s", "out of memory");
		r->buf = grown;
		r->buf_cap = cap;
	}
	memcpy(r->buf + r->buf_len, data, len);
	r->buf_len += len;
}

static void
buf_appendz(struct requests *r, const char *s)
{
	buf_append(r, s, strlen(s));
}

/* Turn one line "METHOD PATH [BODY]" into a raw HTTP/1.1 request. */
static void
request_add(struct requests *r, const char *line, size_t len)
{
	char head[HEADER_MAX_BYTES];
	const char *sp1, *sp2, *end = line + len;
	const char *body = NULL;
	size_t body_len = 0;
	int n;

	sp1 = memchr(line, ' ', len);
	if (sp1 == NULL || sp1 == line)
		die("%s", "request line without METHOD SP PATH");
	sp2 = memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1));
	if (sp2 == NULL) {
		sp2 = end;
	} else {
		body = sp2 + 1;
		body_len = (size_t)(end - body);
	}
	if (sp2 == sp1 + 1)
		die("%s", "request line with an empty path");
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 4096;
		struct request *grown = realloc(r->v, cap * sizeof(*grown));

		if (grown == NULL)
			die("%s", "out of memory");
		r->v = grown;
		r->cap = cap;
	}
	r->v[r->n].off = r->buf_len;
	n = snprintf(head, sizeof(head), "%.*s %.*s HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%u\r\n", (int)(sp1 - line), line,
	    (int)(sp2 - sp1 - 1), sp1 + 1, opt.port);
	if (n < 0 || (size_t)n >= sizeof(head))
		die("%s", "request line too long");
	buf_append(r, head, (size_t)n);
	for (unsigned i = 0; i < opt.n_headers; i++) {
		buf_appendz(r, opt.headers[i]);
		buf_appendz(r, "\r\n");
	}
	if (body != NULL) {
		n = snprintf(head, sizeof(head), "Content-Type: application/json"
		    "\r\nContent-Length: %zu\r\n", body_len);
		buf_append(r, head, (size_t)n);
	}
	buf_appendz(r, "\r\n");
	if (body != NULL)
		buf_append(r, body, body_len);
	r->v[r->n].len = r->buf_len - r->v[r->n].off;
	r->n++;
}

static void
requests_load(struct requests *r, const char *path, size_t want)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	if (f == NULL)
		die("cannot open %s", path);
	while (r->n < want && (len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			len--;
		if (len == 0)
			continue;
		if (r->buf_len > REQUEST_FILE_MAX_BYTES)
			die("%s", "request file too large");
		request_add(r, line, (size_t)len);
	}
	free(line);
	fclose(f);
}

static int
conn_open(void)
{
	struct sockaddr_in sin;
	int fd, one = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)opt.port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
		die("connect to 127.0.0.1: %s", strerror(errno));
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0)
		die("socket options: %s", strerror(errno));
	return fd;
}

static void
conn_watch(int ep, struct conn *c, int op, bool want_out)
{
	struct epoll_event ev = { 0 };

	ev.events = EPOLLIN | (want_out ? EPOLLOUT : 0u);
	ev.data.u64 = c->id;
	if (epoll_ctl(ep, op, c->fd, &ev) != 0)
		die("epoll_ctl: %s", strerror(errno));
}

/* Drop a broken connection and open a new one in its place. */
static void
conn_reopen(int ep, struct conn *c, struct stats *st)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = conn_open();
	c->in_len = 0;
	c->state = CONN_IDLE;
	st->reconnects++;
	conn_watch(ep, c, EPOLL_CTL_ADD, false);
}

/* Write what is left of the request in flight. Returns false when the
 * connection broke. */
static bool
conn_flush(int ep, struct conn *c, const struct requests *r)
{
	const struct request *q = &r->v[c->req];

	while (c->out_off < q->len) {
		ssize_t w = write(c->fd, r->buf + q->off + c->out_off,
		    q->len - c->out_off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			conn_watch(ep, c, EPOLL_CTL_MOD, true);
			return true;
		}
		if (w <= 0)
			return false;
		c->out_off += (size_t)w;
	}
	return true;
}

static bool
conn_send(int ep, struct conn *c, const struct requests *r, size_t req,
    uint64_t due_ns, struct stats *st, bool recorded)
{
	c->state = CONN_BUSY;
	c->req = req;
	c->out_off = 0;
	c->in_len = 0;
	c->due_ns = due_ns;
	c->sent_ns = now_ns();
	if (recorded && c->sent_ns > due_ns &&
	    c->sent_ns - due_ns > st->max_send_lag_ns)
		st->max_send_lag_ns = c->sent_ns - due_ns;
	return conn_flush(ep, c, r);
}

/* Case-insensitive search for a header's value in a response head. */
static const char *
header_find(const char *head, size_t len, const char *name)
{
	size_t nlen = strlen(name);
	const char *p = head, *end = head + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));

		if (eol == NULL)
			eol = end;
		if ((size_t)(eol - p) > nlen && p[nlen] == ':' &&
		    strncasecmp(p, name, nlen) == 0) {
			p += nlen + 1;
			while (p < eol && (*p == ' ' || *p == '\t'))
				p++;
			return p;
		}
		p = eol + 1;
	}
	return NULL;
}

enum parse_result {
	PARSE_MORE,
	PARSE_DONE,
	PARSE_BAD,
};

static enum parse_result
response_parse(const struct conn *c, unsigned *status, bool *close_after)
{
	const char *hend, *cl, *cn;
	size_t head_len;
	unsigned long long body_len = 0;

	hend = memmem(c->in, c->in_len, "\r\n\r\n", 4);
	if (hend == NULL)
		return c->in_len == sizeof(c->in) ? PARSE_BAD : PARSE_MORE;
	head_len = (size_t)(hend - c->in) + 4;
	if (head_len < 12 || memcmp(c->in, "HTTP/1.", 7) != 0 ||
	    !isdigit((unsigned char)c->in[9]) ||
	    !isdigit((unsigned char)c->in[10]) ||
	    !isdigit((unsigned char)c->in[11]))
		return PARSE_BAD;
	*status = (unsigned)(c->in[9] - '0') * 100 +
	    (unsigned)(c->in[10] - '0') * 10 + (unsigned)(c->in[11] - '0');
	cl = header_find(c->in, head_len, "Content-Length");
	if (cl == NULL)
		return PARSE_BAD;	/* chunked answers are not expected */
	for (; isdigit((unsigned char)*cl); cl++) {
		body_len = body_len * 10 + (unsigned)(*cl - '0');
		if (body_len > RESPONSE_MAX_BYTES)
			return PARSE_BAD;
	}
	cn = header_find(c->in, head_len, "Connection");
	*close_after = cn != NULL && strncasecmp(cn, "close", 5) == 0;
	if (c->in_len < head_len + body_len)
		return c->in_len == sizeof(c->in) ? PARSE_BAD : PARSE_MORE;
	if (c->in_len > head_len + body_len)
		return PARSE_BAD;	/* we never pipeline */
	return PARSE_DONE;
}

static void
record(struct stats *st, const struct conn *c, unsigned status,
    uint64_t done_ns, bool recorded)
{
	if (status < 600)
		st->status_counts[status]++;
	if (status < 200 || status > 299) {
		if (!st->error_sampled) {
			const char *body = memmem(c->in, c->in_len,
			    "\r\n\r\n", 4);
			size_t blen = body ? c->in_len - (size_t)(body + 4 -
			    c->in) : 0;

			st->error_sampled = true;
			fprintf(stderr, "bench_loadgen: first non-2xx answer "
			    "(%u): %.*s\n", status,
			    (int)(blen < ERROR_SAMPLE_BYTES ? blen :
			    ERROR_SAMPLE_BYTES), body ? body + 4 : "");
		}
		if (recorded)
			st->non2xx++;
		return;
	}
	st->all_2xx++;
	if (!recorded)
		return;
	st->ok++;
	st->total_ns[st->n] = done_ns - c->due_ns;
	st->service_ns[st->n] = done_ns - c->sent_ns;
	st->n++;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array, in milliseconds. */
static double
pct_ms(const uint64_t *v, size_t n, double q)
{
	size_t rank;

	if (n == 0)
		return 0;
	rank = (size_t)(q * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return (double)v[rank - 1] / 1e6;
}

static void
timer_arm(int tfd, uint64_t at_ns)
{
	struct itimerspec its = { 0 };

	its.it_value.tv_sec = (time_t)(at_ns / NS_PER_S);
	its.it_value.tv_nsec = (long)(at_ns % NS_PER_S);
	if (at_ns == 0)
		its.it_value.tv_nsec = 0;	/* disarm */
	if (timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL) != 0)
		die("timerfd_settime: %s", strerror(errno));
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_loadgen -p PORT -r RATE -f FILE "
	    "[-d SECONDS] [-w SECONDS] [-c CONNECTIONS] [-T DRAIN_MS] "
	    "[-H \"Name: value\"]...\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static struct conn conns[CONNECTIONS_MAX];
	struct requests reqs = { 0 };
	struct stats st = { 0 };
	struct epoll_event events[EVENTS_MAX];
	/* Idle connections in a FIFO ring, so that every connection is used
	 * in turn and none sits idle long enough for the server to close it. */
	unsigned idle[CONNECTIONS_MAX], idle_head = 0, n_idle = 0;
	size_t total, warm, next = 0, in_flight = 0, timeouts;
	size_t last_starved = SIZE_MAX;
	uint64_t t0, period_ns_x1000, end_ns, drain_end_ns;
	int ep, tfd, c;

#define IDLE_PUSH(id) do { \
		idle[(idle_head + n_idle) % CONNECTIONS_MAX] = (id); \
		n_idle++; \
	} while (0)

	while ((c = getopt(argc, argv, "p:r:f:d:w:c:T:H:")) != -1) {
		switch (c) {
		case 'p':
			opt.port = (unsigned)parse_num(optarg, 1, 65535, "-p");
			break;
		case 'r':
			opt.rate = parse_num(optarg, 1, RATE_MAX, "-r RATE");
			break;
		case 'f':
			opt.file = optarg;
			break;
		case 'd':
			opt.duration_s = parse_num(optarg, 0.1, SECONDS_MAX,
			    "-d SECONDS");
			break;
		case 'w':
			opt.warmup_s = parse_num(optarg, 0, SECONDS_MAX,
			    "-w SECONDS");
			break;
		case 'c':
			opt.connections = (unsigned)parse_num(optarg, 1,
			    CONNECTIONS_MAX, "-c CONNECTIONS");
			break;
		case 'T':
			opt.drain_ms = (unsigned)parse_num(optarg, 1, 600000,
			    "-T DRAIN_MS");
			break;
		case 'H':
			if (opt.n_headers == HEADERS_MAX)
				die("%s", "too many -H");
			if (strpbrk(optarg, "\r\n") != NULL)
				die("%s", "CR or LF in a -H header");
			opt.headers[opt.n_headers++] = optarg;
			break;
		default:
			usage();
		}
	}
	if (opt.port == 0 || opt.rate == 0 || opt.file == NULL)
		usage();

	warm = (size_t)(opt.rate * opt.warmup_s);
	total = warm + (size_t)(opt.rate * opt.duration_s);
	requests_load(&reqs, opt.file, total);
	if (reqs.n < total) {
		fprintf(stderr, "bench_loadgen: %s has %zu requests; %.0f/s "
		    "for %.1f+%.1f s needs %zu (each is used once)\n", opt.file,
		    reqs.n, opt.rate, opt.warmup_s, opt.duration_s, total);
		return 1;
	}
	st.total_ns = calloc(total, sizeof(uint64_t));
	st.service_ns = calloc(total, sizeof(uint64_t));
	if (st.total_ns == NULL || st.service_ns == NULL)
		die("%s", "out of memory");

	/* The default 50 us timer slack would delay every send by up to
	 * that much; ask for 1 us (best effort). */
	(void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	ep = epoll_create1(EPOLL_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (ep < 0 || tfd < 0)
		die("epoll/timerfd: %s", strerror(errno));
	{
		struct epoll_event ev = { .events = EPOLLIN };

		ev.data.u64 = (uint64_t)(int64_t)TIMER_TAG;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev) != 0)
			die("epoll_ctl: %s", strerror(errno));
	}
	for (unsigned i = 0; i < opt.connections; i++) {
		conns[i].id = i;
		conns[i].fd = conn_open();
		conns[i].state = CONN_IDLE;
		conn_watch(ep, &conns[i], EPOLL_CTL_ADD, false);
		IDLE_PUSH(i);
	}

	/* Due time of request i: t0 + i * period (period kept in ns * 1000
	 * so that rates that do not divide 1e9 do not drift). */
	period_ns_x1000 = (uint64_t)(1e12 / opt.rate);
	t0 = now_ns() + 20 * 1000 * 1000;
	end_ns = t0 + (uint64_t)total * period_ns_x1000 / 1000;
	drain_end_ns = end_ns + (uint64_t)opt.drain_ms * 1000 * 1000;
	timer_arm(tfd, t0);

	for (;;) {
		uint64_t now = now_ns();
		int nev;

		/* Send everything that is due while a connection is idle. */
		while (next < total && n_idle > 0) {
			uint64_t due = t0 + (uint64_t)next * period_ns_x1000 /
			    1000;
			struct conn *cn;

			if (due > now)
				break;
			cn = &conns[idle[idle_head]];
			idle_head = (idle_head + 1) % CONNECTIONS_MAX;
			n_idle--;
			if (!conn_send(ep, cn, &reqs, next, due, &st,
			    next >= warm)) {
				if (next >= warm)
					st.errors++;
				conn_reopen(ep, cn, &st);
				IDLE_PUSH(cn->id);
			} else {
				in_flight++;
			}
			next++;
		}
		if (next < total && n_idle == 0 && next >= warm &&
		    t0 + (uint64_t)next * period_ns_x1000 / 1000 <= now &&
		    next != last_starved) {
			st.waited_for_conn++;
			last_starved = next;
		}
		if (next < total && n_idle > 0)
			timer_arm(tfd, t0 + (uint64_t)next * period_ns_x1000 /
			    1000);
		if (next == total && in_flight == 0)
			break;
		if (next == total && now >= drain_end_ns)
			break;

		nev = epoll_wait(ep, events, EVENTS_MAX, 100);
		if (nev < 0 && errno == EINTR)
			continue;
		if (nev < 0)
			die("epoll_wait: %s", strerror(errno));
		for (int i = 0; i < nev; i++) {
			struct conn *cn;
			uint64_t ticks;
			unsigned status = 0;
			bool close_after = false, broken = false;
			enum parse_result pr;
			ssize_t rd;

			if ((int64_t)events[i].data.u64 == TIMER_TAG) {
				if (read(tfd, &ticks, sizeof(ticks)) < 0 &&
				    errno != EAGAIN)
					die("timerfd read: %s",
					    strerror(errno));
				continue;
			}
			cn = &conns[events[i].data.u64];
			if (cn->state != CONN_BUSY) {
				char b;

				/* Idle and readable: the server closed it
				 * (unless the event was for a socket this
				 * batch already replaced). */
				rd = recv(cn->fd, &b, 1, MSG_PEEK);
				if (rd < 0 && (errno == EAGAIN ||
				    errno == EINTR))
					continue;
				conn_reopen(ep, cn, &st);
				continue;
			}
			if (events[i].events & EPOLLOUT) {
				if (!conn_flush(ep, cn, &reqs))
					broken = true;
				else if (cn->out_off == reqs.v[cn->req].len)
					conn_watch(ep, cn, EPOLL_CTL_MOD,
					    false);
			}
			if (!broken && (events[i].events &
			    (EPOLLIN | EPOLLERR | EPOLLHUP))) {
				rd = read(cn->fd, cn->in + cn->in_len,
				    sizeof(cn->in) - cn->in_len);
				if (rd < 0 && (errno == EAGAIN ||
				    errno == EINTR))
					continue;
				if (rd <= 0)
					broken = true;
				else
					cn->in_len += (size_t)rd;
			}
			if (!broken) {
				pr = response_parse(cn, &status, &close_after);
				if (pr == PARSE_MORE)
					continue;
				if (pr == PARSE_BAD) {
					broken = true;
				} else {
					record(&st, cn, status, now_ns(),
					    cn->req >= warm);
					in_flight--;
					cn->state = CONN_IDLE;
					if (close_after)
						conn_reopen(ep, cn, &st);
					IDLE_PUSH(cn->id);
					continue;
				}
			}
			/* Broken while busy: the request is lost. */
			if (cn->req >= warm)
				st.errors++;
			in_flight--;
			conn_reopen(ep, cn, &st);
			IDLE_PUSH(cn->id);
		}
	}
	timeouts = 0;
	for (unsigned i = 0; i < opt.connections; i++)
		if (conns[i].state == CONN_BUSY && conns[i].req >= warm)
			timeouts++;

	{
		size_t recorded = total - warm;
		double p50, p90, p99, p999, mx, s50, s99, mean = 0;

		qsort(st.total_ns, st.n, sizeof(uint64_t), cmp_u64);
		qsort(st.service_ns, st.n, sizeof(uint64_t), cmp_u64);
		for (size_t i = 0; i < st.n; i++)
			mean += (double)st.total_ns[i] / 1e6;
		mean = st.n ? mean / (double)st.n : 0;
		p50 = pct_ms(st.total_ns, st.n, 0.50);
		p90 = pct_ms(st.total_ns, st.n, 0.90);
		p99 = pct_ms(st.total_ns, st.n, 0.99);
		p999 = pct_ms(st.total_ns, st.n, 0.999);
		mx = st.n ? (double)st.total_ns[st.n - 1] / 1e6 : 0;
		s50 = pct_ms(st.service_ns, st.n, 0.50);
		s99 = pct_ms(st.service_ns, st.n, 0.99);

		fprintf(stderr, "open-loop %.0f req/s for %.1f s (+%.1f s "
		    "warm-up) over %u connections\n", opt.rate, opt.duration_s,
		    opt.warmup_s, opt.connections);
		fprintf(stderr, "  recorded %zu: 2xx %zu, other status %zu, "
		    "broken %zu, timed out %zu, reconnects %zu\n", recorded,
		    st.ok, st.non2xx, st.errors, timeouts, st.reconnects);
		fprintf(stderr, "  latency from due time (ms): p50 %.3f  p90 "
		    "%.3f  p99 %.3f  p99.9 %.3f  max %.3f  mean %.3f\n", p50,
		    p90, p99, p999, mx, mean);
		fprintf(stderr, "  latency from write (ms):    p50 %.3f  p99 "
		    "%.3f;  largest send lag %.3f ms; %zu due while all %u "
		    "connections were busy\n", s50, s99,
		    (double)st.max_send_lag_ns / 1e6, st.waited_for_conn,
		    opt.connections);
		for (unsigned s = 0; s < 600; s++)
			if (st.status_counts[s] > 0)
				fprintf(stderr, "  status %u: %u\n", s,
				    st.status_counts[s]);
		printf("RESULT lat_rate_per_s %.0f\n", opt.rate);
		printf("RESULT lat_recorded %zu\n", recorded);
		printf("RESULT lat_ok %zu\n", st.ok);
		printf("RESULT lat_all_2xx %zu\n", st.all_2xx);
		printf("RESULT lat_failed %zu\n", st.non2xx + st.errors +
		    timeouts);
		printf("RESULT lat_p50_ms %.3f\n", p50);
		printf("RESULT lat_p90_ms %.3f\n", p90);
		printf("RESULT lat_p99_ms %.3f\n", p99);
		printf("RESULT lat_p999_ms %.3f\n", p999);
		printf("RESULT lat_max_ms %.3f\n", mx);
		printf("RESULT lat_service_p99_ms %.3f\n", s99);
		printf("RESULT lat_waited_for_conn %zu\n", st.waited_for_conn);
		printf("RESULT lat_max_send_lag_ms %.3f\n",
		    (double)st.max_send_lag_ns / 1e6);
		free(st.total_ns);
		free(st.service_ns);
		free(reqs.buf);
		free(reqs.v);
		return st.ok == recorded ? 0 : 1;
	}
}
