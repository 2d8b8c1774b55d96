/*
 * cache.c: answers from memory while the database has not changed
 * (issue #16): the generation that tags them, and the memo of whole
 * answers (GET balances, GET treasury).
 *
 * A generation is the writer's commit count (writer_commits) and the
 * word other processes change after their commits (store_changes_read,
 * treasury/storage.h). A request thread loads it *before* it opens a read
 * transaction, so what it reads is at least as new as the generation it
 * tags it with; an answer so tagged is served again only while the
 * generation is unchanged, i.e. no commit became visible since, and is
 * therefore exactly what the database would answer now. Every such
 * answer was read from committed data (synchronous=FULL), so none shows
 * a state that is not durable.
 *
 * A thread also serves from memory only within CACHE_TRUST_MS of its last
 * read of the database: a change no generation sees (the sqlite3 shell,
 * or a changes file another process could not write) shows within that.
 *
 * Each MHD thread has its own memo (thread-local, no lock): entries are
 * written and read by that thread only.
 */
#include <stdlib.h>
#include <string.h>

#include "treasury/clock.h"

#include "internal.h"

void
cache_gen_now(const struct api_server *srv, struct cache_gen *out)
{
	out->valid = srv->changes != NULL;
	out->commits = writer_commits(srv->opts.writer);
	out->changes = out->valid ? store_changes_read(srv->changes) : 0;
}

bool
cache_gen_fresh(const struct cache_gen *tag, uint64_t tag_ms,
    const struct cache_gen *now)
{
	return tag->valid && now->valid && tag->commits == now->commits &&
	    tag->changes == now->changes &&
	    clock_mono_ms() - tag_ms < CACHE_TRUST_MS;
}

/* ---- whole answers: GET /v1/treasuries/{t}[/balances] ---- */

enum {
	ANSWER_MEMO_SLOTS = 8,
	ANSWER_MEMO_TEXT_MAX_BYTES = 4096,	/* larger: always read */
};

struct answer_memo {
	enum memory_answer what;
	char treasury[TREASURY_ID_MAX_BYTES + 1];
	struct cache_gen gen;
	uint64_t read_ms;
	size_t text_len;
	char text[ANSWER_MEMO_TEXT_MAX_BYTES];
};

static _Thread_local struct answer_memo answer_memo[ANSWER_MEMO_SLOTS];
static _Thread_local unsigned answer_memo_next;

char *
cache_answer_get(const struct request *rq, enum memory_answer what,
    const char *treasury)
{
	struct cache_gen now;
	struct answer_memo *m;
	char *text;

	cache_gen_now(rq->srv, &now);
	for (unsigned i = 0; i < ANSWER_MEMO_SLOTS; i++) {
		m = &answer_memo[i];
		if (m->what != what || strcmp(m->treasury, treasury) != 0 ||
		    !cache_gen_fresh(&m->gen, m->read_ms, &now))
			continue;
		text = malloc(m->text_len + 1);
		if (text == NULL)
			return NULL;	/* read it, then */
		memcpy(text, m->text, m->text_len + 1);
		metrics_memory_answer(what);
		return text;
	}
	return NULL;
}

void
cache_answer_put(const struct request *rq, enum memory_answer what,
    const char *treasury, const char *text)
{
	size_t len = strlen(text), id_len = strlen(treasury);
	struct answer_memo *m;
	unsigned slot = answer_memo_next;

	if (!rq->gen.valid || len >= ANSWER_MEMO_TEXT_MAX_BYTES ||
	    id_len > TREASURY_ID_MAX_BYTES)
		return;
	for (unsigned i = 0; i < ANSWER_MEMO_SLOTS; i++)
		if (answer_memo[i].what == what &&
		    strcmp(answer_memo[i].treasury, treasury) == 0)
			slot = i;	/* replace this answer's own */
	if (slot == answer_memo_next)
		answer_memo_next = (answer_memo_next + 1) % ANSWER_MEMO_SLOTS;
	m = &answer_memo[slot];
	m->what = what;
	memcpy(m->treasury, treasury, id_len + 1);
	m->gen = rq->gen;
	m->read_ms = rq->gen_ms;
	memcpy(m->text, text, len + 1);
	m->text_len = len;
}
