/*
 * listener.c: a thread that LISTENs for the journal's NOTIFY on a
 * PostgreSQL connection of its own (contract in treasury/listener.h).
 *
 * The thread waits LISTENER_POLL_MS at a time (db_pg_wait_notify) so
 * that a stop is seen within that; a lost connection is made again by the
 * next wait, LISTENER_RETRY_MS after the failure, logged at most once a
 * minute while it lasts. mu orders the calls of fn with the stop: fn runs
 * with mu held and only while `stopping` is false, so that nothing is
 * called once store_listener_stop has set it, even when the thread is
 * still inside a slow reconnect and is left behind.
 */
#define _GNU_SOURCE		/* pthread_setname_np, pthread_timedjoin_np */
#include <assert.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "treasury/clock.h"
#include "treasury/listener.h"
#include "treasury/log.h"

#include "db_pg.h"
#include "store_int.h"

enum { LISTENER_LOG_INTERVAL_MS = 60000 };

struct store_listener {
	pthread_t thread;
	pthread_mutex_t mu;
	bool stopping;			/* guarded by mu */
	struct db *db;			/* the thread's own */
	char where[STORE_ERRMSG_BYTES];	/* the database, for messages */
	void (*fn)(void *);
	void *arg;
	struct log_limit lost_log;
};

static bool
stopping(struct store_listener *l)
{
	bool stop;

	pthread_mutex_lock(&l->mu);
	stop = l->stopping;
	pthread_mutex_unlock(&l->mu);
	return stop;
}

/* Call fn unless the listener is stopping. */
static void
wake(struct store_listener *l)
{
	pthread_mutex_lock(&l->mu);
	if (!l->stopping)
		l->fn(l->arg);
	pthread_mutex_unlock(&l->mu);
}

/* Sleep ms, in steps of at most LISTENER_POLL_MS, until a stop. */
static void
pause_ms(struct store_listener *l, unsigned ms)
{
	struct timespec step = { 0, LISTENER_POLL_MS * 1000L * 1000L };

	for (unsigned waited = 0; waited < ms && !stopping(l);
	    waited += LISTENER_POLL_MS)
		nanosleep(&step, NULL);
}

static void *
listener_main(void *arg)
{
	struct store_listener *l = arg;
	bool woken, lost = false;
	int rc;

	pthread_setname_np(pthread_self(), "td-listen");
	while (!stopping(l)) {
		rc = db_pg_wait_notify(l->db, LISTENER_POLL_MS,
		    store_notify_origin(), &woken);
		if (rc != DB_OK) {
			log_limited(&l->lost_log, LISTENER_LOG_INTERVAL_MS,
			    LOG_WARNING, "listener: no connection to %s (%s); "
			    "other daemons' events reach the streams within a "
			    "second meanwhile", l->where, db_errmsg(l->db));
			lost = true;
			pause_ms(l, LISTENER_RETRY_MS);
			continue;
		}
		if (lost) {
			lost = false;
			log_msg(LOG_NOTICE, "listener: connected to %s again",
			    l->where);
		}
		if (woken)
			wake(l);
	}
	return NULL;
}

static void
listener_free(struct store_listener *l)
{
	pthread_mutex_destroy(&l->mu);
	db_close(l->db);
	free(l);
}

treasury_err
store_listener_start(const char *uri, void (*fn)(void *), void *arg,
    struct store_listener **out, char errmsg[STORE_ERRMSG_BYTES])
{
	struct store_listener *l;
	int rc;

	assert(store_path_is_postgresql(uri) && fn != NULL && out != NULL);
	*out = NULL;
	l = calloc(1, sizeof(*l));
	if (l == NULL) {
		store_errmsg_set(errmsg, "cannot start the listener: out of "
		    "memory");
		return TREASURY_ERR_NOMEM;
	}
	pthread_mutex_init(&l->mu, NULL);
	l->fn = fn;
	l->arg = arg;
	store_uri_shown(uri, l->where);
	rc = db_pg_open(uri, &l->db);
	if (rc == DB_OK)
		rc = db_pg_session(l->db, "SET client_min_messages TO warning; "
		    "LISTEN " STORE_JOURNAL_CHANNEL "; SELECT "
		    "pg_advisory_lock_shared(" STORE_SERVING_LOCK ")");
	if (rc != DB_OK) {
		store_errmsg_set(errmsg, "listener: cannot LISTEN on %s: %s",
		    l->where, l->db != NULL ? db_errmsg(l->db) : db_errstr(rc));
		listener_free(l);
		return TREASURY_ERR_DB_OPEN;
	}
	rc = pthread_create(&l->thread, NULL, listener_main, l);
	if (rc != 0) {
		store_errmsg_set(errmsg, "cannot start the listener thread");
		listener_free(l);
		return TREASURY_ERR_INTERNAL;
	}
	*out = l;
	return TREASURY_OK;
}

void
store_listener_stop(struct store_listener *l)
{
	struct timespec until;

	if (l == NULL)
		return;
	pthread_mutex_lock(&l->mu);
	l->stopping = true;
	pthread_mutex_unlock(&l->mu);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += LISTENER_STOP_WAIT_MS / 1000;
	if (pthread_timedjoin_np(l->thread, NULL, &until) != 0) {
		log_msg(LOG_WARNING, "listener: still making its connection to "
		    "%s again; left to end with the process", l->where);
		return;		/* l stays: the thread still uses it */
	}
	listener_free(l);
}
