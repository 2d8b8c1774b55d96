/*
 * listener.h: hearing the commits of other daemons on the same PostgreSQL
 * database (storage/listener.c; issue #17, docs/operations.md section 12).
 *
 * Every daemon's writer says NOTIFY treasuryd_journal in each group it
 * commits (writer.c), and PostgreSQL delivers it to every session that
 * LISTENs, at the commit. A listener is a thread with a connection of its
 * own that LISTENs and calls fn(arg) for what it hears, so that the event
 * streams of every daemon wake up for every daemon's journal entries. The
 * journal table stays the truth: a wake-up says only "look again". What
 * a lost connection did not hear is covered by one call to fn after it is
 * made again, and by the daemon's own once-a-second wake-up (api_cron).
 * Not for SQLite: one daemon serves an SQLite file.
 */
#ifndef TREASURY_LISTENER_H
#define TREASURY_LISTENER_H

#include "treasury/error.h"
#include "treasury/storage.h"

struct store_listener;

/* Connect to the PostgreSQL database of uri, LISTEN, and start the
 * thread. fn is called on that thread, one call at a time, never after
 * store_listener_stop has returned. Returns TREASURY_OK with *out set,
 * TREASURY_ERR_DB_OPEN (errmsg says why, never with a password) or
 * TREASURY_ERR_NOMEM / _INTERNAL. */
TREASURY_WARN_UNUSED treasury_err
store_listener_start(const char *uri, void (*fn)(void *), void *arg,
    struct store_listener **out, char errmsg[STORE_ERRMSG_BYTES]);

/* Stop: fn is not called again once this returns. Waits up to
 * LISTENER_STOP_WAIT_MS for the thread (a connection being made again may
 * take longer; the thread is then left to end with the process). NULL is
 * accepted. */
void store_listener_stop(struct store_listener *l);

enum {
	LISTENER_POLL_MS = 500,		/* a wait for a notification */
	LISTENER_RETRY_MS = 1000,	/* after a lost connection */
	LISTENER_STOP_WAIT_MS = 3000,
};

#endif
