/*
 * connections.c: every open HTTP connection, for two things MHD does not
 * do itself.
 *
 * A deadline on receiving a request's headers. MHD's connection timeout
 * counts idle time only, and it calls us only once the headers are
 * complete, so a client trickling header bytes would hold a connection for
 * ever. MHD_OPTION_NOTIFY_CONNECTION stamps each connection when it opens,
 * and again when a request's answer is sent; the first call for a request
 * marks it busy. conns_sweep (api_cron, about once a second) shuts down
 * the socket of a connection that is not busy and was stamped more than
 * the deadline ago: MHD's own thread then sees the socket end and closes
 * the connection. shutdown() happens under conns_mu and MHD reports a
 * connection closed (which takes conns_mu) before it closes the
 * descriptor, so the descriptor shut down is always that connection's.
 *
 * The count of open connections, so that api_stop can give connections
 * between two requests a moment to send one more (answered 503) and close.
 */
#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "treasury/clock.h"
#include "treasury/log.h"

#include "internal.h"

struct conn_watch {
	int fd;
	uint64_t since_ms;		/* opened, or its last answer sent */
	bool busy;			/* a request's headers are complete */
	bool cut;			/* shut down by conns_sweep */
	struct conn_watch *prev, *next;
};

static pthread_mutex_t conns_mu = PTHREAD_MUTEX_INITIALIZER;
static struct conn_watch *conns_head;
static unsigned conns_open;

static struct conn_watch *
conn_watch_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn,
	    MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci != NULL ? ci->socket_context : NULL;
}

static void
conn_opened(struct MHD_Connection *conn, void **socket_context)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn,
	    MHD_CONNECTION_INFO_CONNECTION_FD);
	struct conn_watch *cw = calloc(1, sizeof(*cw));

	*socket_context = cw;
	if (cw == NULL || ci == NULL) {
		/* without a watch the connection has only MHD's idle timeout */
		log_warnx("http: a new connection is not watched (%s): no "
		    "header deadline for it", cw == NULL ? "out of memory" :
		    "no socket");
		free(cw);
		*socket_context = NULL;
		return;
	}
	cw->fd = ci->connect_fd;
	cw->since_ms = clock_mono_ms();
	pthread_mutex_lock(&conns_mu);
	cw->next = conns_head;
	if (conns_head != NULL)
		conns_head->prev = cw;
	conns_head = cw;
	conns_open++;
	pthread_mutex_unlock(&conns_mu);
}

static void
conn_closed(void **socket_context)
{
	struct conn_watch *cw = *socket_context;

	if (cw == NULL)
		return;
	pthread_mutex_lock(&conns_mu);
	if (cw->prev != NULL)
		cw->prev->next = cw->next;
	else
		conns_head = cw->next;
	if (cw->next != NULL)
		cw->next->prev = cw->prev;
	assert(conns_open > 0);
	conns_open--;
	pthread_mutex_unlock(&conns_mu);
	free(cw);
	*socket_context = NULL;
}

void
conns_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
    enum MHD_ConnectionNotificationCode code)
{
	(void)cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED)
		conn_opened(conn, socket_context);
	else if (code == MHD_CONNECTION_NOTIFY_CLOSED)
		conn_closed(socket_context);
}

void
conns_request_begin(struct MHD_Connection *conn)
{
	struct conn_watch *cw = conn_watch_of(conn);

	if (cw == NULL)
		return;
	pthread_mutex_lock(&conns_mu);
	cw->busy = true;
	pthread_mutex_unlock(&conns_mu);
}

void
conns_request_end(struct MHD_Connection *conn)
{
	struct conn_watch *cw = conn_watch_of(conn);

	if (cw == NULL)
		return;
	pthread_mutex_lock(&conns_mu);
	cw->busy = false;
	cw->since_ms = clock_mono_ms();
	pthread_mutex_unlock(&conns_mu);
}

unsigned
conns_sweep(unsigned deadline_s)
{
	uint64_t deadline_ms = deadline_s * 1000ULL, now_ms;
	unsigned cut = 0;

	pthread_mutex_lock(&conns_mu);
	/* read under conns_mu: a stamp taken after it (a connection opened
	 * or answered meanwhile) would be in the future, and now - since
	 * would wrap to a huge age and cut a fresh connection */
	now_ms = clock_mono_ms();
	for (struct conn_watch *cw = conns_head; cw != NULL; cw = cw->next) {
		if (cw->busy || cw->cut || cw->since_ms >= now_ms ||
		    now_ms - cw->since_ms <= deadline_ms)
			continue;
		cw->cut = true;
		(void)shutdown(cw->fd, SHUT_RDWR);
		cut++;
	}
	pthread_mutex_unlock(&conns_mu);
	if (cut > 0)
		log_debug("http: %u connections closed: no complete request "
		    "headers within %u s (request_timeout)", cut, deadline_s);
	return cut;
}

unsigned
conns_count(void)
{
	unsigned n;

	pthread_mutex_lock(&conns_mu);
	n = conns_open;
	pthread_mutex_unlock(&conns_mu);
	return n;
}
