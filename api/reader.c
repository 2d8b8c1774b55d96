/*
 * reader.c: one read-only database connection per request thread,
 * opened on first use and closed when the thread exits.
 */
#include <pthread.h>

#include "treasury/log.h"

#include "internal.h"

static pthread_key_t reader_key;
static pthread_once_t reader_once = PTHREAD_ONCE_INIT;

static void
reader_destroy(void *p)
{
	store_close(p);
}

static void
reader_key_make(void)
{
	if (pthread_key_create(&reader_key, reader_destroy) != 0)
		fatalx("pthread_key_create failed");
}

struct store *
reader_get(struct api_server *srv)
{
	char errmsg[STORE_ERRMSG_BYTES];
	struct store *s;

	pthread_once(&reader_once, reader_key_make);
	s = pthread_getspecific(reader_key);
	if (s != NULL)
		return s;
	if (store_open(srv->db_path, STORE_READ_ONLY, &s, errmsg) != TREASURY_OK) {
		log_msg(LOG_ERR, "request thread: %s", errmsg);
		return NULL;
	}
	if (pthread_setspecific(reader_key, s) != 0) {
		store_close(s);
		return NULL;
	}
	return s;
}
