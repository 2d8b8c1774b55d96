/*
 * hello_mhd.c: the HTTP ceiling for treasuryd on this machine.
 *
 * A libmicrohttpd server started with the same flags and options as
 * treasuryd's api/server.c (internal polling thread, epoll, a thread pool,
 * the same connection limits and memory), answering every request with a
 * small JSON body and the same two headers treasuryd sends
 * (Content-Type, Cache-Control). It does nothing else: no routing, no
 * auth, no JSON encoding, no database. Any request body is read and
 * dropped. What wrk gets from it is the most treasuryd could answer with
 * this HTTP stack on these cores.
 *
 * Listens on 127.0.0.1 only. Runs until SIGINT or SIGTERM.
 *
 * Usage: bench_hello_mhd [-p PORT] [-t THREADS]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

/* Same values as treasuryd's defaults (docs/configuration.md). */
enum {
	MAX_CONNECTIONS = 1024,
	PER_IP_CONNECTIONS = 256,
	CONNECTION_TIMEOUT_S = 10,
	CONNECTION_MEMORY_BYTES = 65536,
};

static const char body[] = "{\"status\":\"ok\"}";

static unsigned long
parse_ulong(const char *s, unsigned long min, unsigned long max,
    const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "bench_hello_mhd: %s must be %lu..%lu\n", what,
		    min, max);
		exit(2);
	}
	return v;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	static int first_call_marker;
	struct MHD_Response *resp;
	enum MHD_Result ret;

	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	(void)upload_data;
	if (*con_cls == NULL) {		/* headers only: accept the body */
		*con_cls = &first_call_marker;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {	/* drop the body */
		*upload_data_size = 0;
		return MHD_YES;
	}
	resp = MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body,
	    MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "application/json");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin;
	struct MHD_Daemon *d;
	unsigned port = 8421, threads = 2;
	sigset_t set;
	int c, sig;

	while ((c = getopt(argc, argv, "p:t:")) != -1) {
		switch (c) {
		case 'p':
			port = (unsigned)parse_ulong(optarg, 1, 65535, "-p PORT");
			break;
		case 't':
			threads = (unsigned)parse_ulong(optarg, 1, 64,
			    "-t THREADS");
			break;
		default:
			fprintf(stderr, "usage: bench_hello_mhd [-p PORT] "
			    "[-t THREADS]\n");
			return 2;
		}
	}
	/* Block the stop signals before MHD makes its threads, so that they
	 * inherit the mask and only sigwait() below sees them. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) {
		fprintf(stderr, "bench_hello_mhd: pthread_sigmask failed\n");
		return 1;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_USE_ERROR_LOG | MHD_USE_ITC, 0, NULL, NULL, on_request, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
	    MHD_OPTION_THREAD_POOL_SIZE, threads,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)PER_IP_CONNECTIONS,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY_BYTES,
	    MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "bench_hello_mhd: cannot listen on "
		    "127.0.0.1:%u\n", port);
		return 1;
	}
	fprintf(stderr, "bench_hello_mhd: listening on 127.0.0.1:%u, %u "
	    "threads\n", port, threads);
	if (sigwait(&set, &sig) != 0)
		sig = 0;
	MHD_stop_daemon(d);
	return 0;
}
