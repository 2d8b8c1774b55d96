/*
 * cache.c: answers from memory while the database has not changed
 * (issue #16): the generation that tags them, and the memo of whole
 * answers (GET balances, GET treasury).
 *
 * A generation is the writer's COMMIT sequence count (writer_commits:
 * odd while a COMMIT runs, so never settled then) and the
 * word other processes change after their commits (store_changes_read,
 * treasury/storage.h). Tokens found need less: only a revoke or a bind
 * changes one, so they are compared on the writer's count of groups that
 * did either (writer_token_commits) and the word, and stay valid while
 * votes and deposits commit. A request thread loads it *before* it opens a read
 * transaction, so what it reads is at least as new as the generation it
 * tags it with; an answer so tagged is served again only while the
 * generation is unchanged, i.e. no commit became visible since, and is
 * therefore exactly what the database would answer now. Every such
 * answer was read from committed data (synchronous=FULL), so none shows
 * a state that is not durable.
 *
 * A thread also serves from memory only within memory_answers_ms (1 s by
 * default; 0 turns all this off) of its last read of the database: a
 * change no generation sees (the sqlite3 shell, or a changes file another
 * process could not write) shows within that.
 *
 * Each MHD thread has its own memo of answers (thread-local, no lock):
 * entries are written and read by that thread only. The vote path's
 * fixed facts are shared by all threads (below).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "treasury/clock.h"

#include "internal.h"

void
cache_gen_now(const struct api_server *srv, struct cache_gen *out)
{
	out->valid = srv->changes != NULL && srv->opts.memory_answers_ms > 0;
	out->trust_ms = srv->opts.memory_answers_ms;
	out->commits = writer_commits(srv->opts.writer);
	out->token_commits = writer_token_commits(srv->opts.writer);
	out->changes = out->valid ? store_changes_read(srv->changes) : 0;
}

static bool
cache_trusted(const struct cache_gen *tag, uint64_t tag_ms,
    const struct cache_gen *now)
{
	return tag->valid && now->valid && tag->changes == now->changes &&
	    clock_mono_ms() - tag_ms < now->trust_ms;
}

/* An odd count: a COMMIT was running (writer.h). */
static bool
count_settled(uint64_t tag, uint64_t now)
{
	return tag == now && tag % 2 == 0;
}

bool
cache_gen_fresh(const struct cache_gen *tag, uint64_t tag_ms,
    const struct cache_gen *now)
{
	return cache_trusted(tag, tag_ms, now) &&
	    count_settled(tag->commits, now->commits);
}

bool
cache_tokens_fresh(const struct cache_gen *tag, uint64_t tag_ms,
    const struct cache_gen *now)
{
	return cache_trusted(tag, tag_ms, now) &&
	    count_settled(tag->token_commits, now->token_commits);
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

/* ---- the vote path's fixed facts (treasury/queries.h vote_context) ----
 *
 * A proposal's treasury, config version, M and N, and a config version's
 * signer keys never change once written, so what one thread read serves
 * every thread, without any generation: two direct-mapped tables shared
 * by the process (a slot holds the last entry that hashed there), sized
 * to hold every pending proposal of a busy daemon, so that a vote reads
 * the database only for a proposal no vote has touched yet. A signer's
 * entry keeps its key's point too (treasury/sig.h signer_point_make),
 * so that the square root of parsing it is taken once. A slot is
 * copied in or out under the lock of its stripe (VOTE_MEMO_LOCKS), never
 * read half-written. Only found signers are kept. */

enum {
	VOTE_MEMO_PROPOSAL_SLOTS = 16384,	/* ~1.4 MiB */
	VOTE_MEMO_SIGNER_SLOTS = 2048,		/* ~400 KiB */
	VOTE_MEMO_LOCKS = 64,			/* stripes of each table */
};

struct vote_memo_proposal {
	bool used;
	uint8_t id[PROPOSAL_ID_BYTES];
	char treasury[TREASURY_ID_MAX_BYTES + 1];
	uint64_t config_version;
	unsigned threshold;
	unsigned signer_count;
};

struct vote_memo_signer {
	bool used;
	char treasury[TREASURY_ID_MAX_BYTES + 1];
	uint64_t config_version;
	char signer[SIGNER_NAME_MAX_BYTES + 1];
	struct signer_key key;
	struct signer_point point;	/* of key */
};

static struct vote_memo_proposal vote_memo_proposal[VOTE_MEMO_PROPOSAL_SLOTS];
static struct vote_memo_signer vote_memo_signer[VOTE_MEMO_SIGNER_SLOTS];
static pthread_mutex_t vote_memo_proposal_mu[VOTE_MEMO_LOCKS];
static pthread_mutex_t vote_memo_signer_mu[VOTE_MEMO_LOCKS];
static pthread_once_t vote_memo_once = PTHREAD_ONCE_INIT;

_Static_assert(VOTE_MEMO_PROPOSAL_SLOTS % VOTE_MEMO_LOCKS == 0 &&
    VOTE_MEMO_SIGNER_SLOTS % VOTE_MEMO_LOCKS == 0, "whole stripes");

static void
vote_memo_init(void)
{
	for (unsigned i = 0; i < VOTE_MEMO_LOCKS; i++) {
		if (pthread_mutex_init(&vote_memo_proposal_mu[i], NULL) != 0 ||
		    pthread_mutex_init(&vote_memo_signer_mu[i], NULL) != 0)
			abort();	/* cannot fail for default mutexes */
	}
}

/* A proposal id is a SHA-256 output: its first bytes spread evenly. */
static uint32_t
proposal_slot(const uint8_t id[PROPOSAL_ID_BYTES])
{
	uint32_t h = (uint32_t)id[0] | (uint32_t)id[1] << 8 |
	    (uint32_t)id[2] << 16 | (uint32_t)id[3] << 24;

	return h % VOTE_MEMO_PROPOSAL_SLOTS;
}

/* FNV-1a over (treasury, version, signer). */
static uint32_t
signer_slot(const char *treasury, uint64_t version, const char *signer)
{
	uint32_t h = 2166136261u;

	for (const char *p = treasury; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	for (int i = 0; i < 8; i++)
		h = (h ^ (uint8_t)(version >> (8 * i))) * 16777619u;
	for (const char *p = signer; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return h % VOTE_MEMO_SIGNER_SLOTS;
}

/* Copies of slot i of each table, taken under its stripe's lock. */
static void
proposal_slot_read(uint32_t i, struct vote_memo_proposal *out)
{
	pthread_mutex_t *mu = &vote_memo_proposal_mu[i % VOTE_MEMO_LOCKS];

	pthread_mutex_lock(mu);
	*out = vote_memo_proposal[i];
	pthread_mutex_unlock(mu);
}

static void
signer_slot_read(uint32_t i, struct vote_memo_signer *out)
{
	pthread_mutex_t *mu = &vote_memo_signer_mu[i % VOTE_MEMO_LOCKS];

	pthread_mutex_lock(mu);
	*out = vote_memo_signer[i];
	pthread_mutex_unlock(mu);
}

bool
cache_vote_context_get(const uint8_t id[PROPOSAL_ID_BYTES],
    const char *signer, struct vote_context *out, struct signer_point *point)
{
	struct vote_memo_proposal p;
	struct vote_memo_signer sg;

	pthread_once(&vote_memo_once, vote_memo_init);
	proposal_slot_read(proposal_slot(id), &p);
	if (!p.used || memcmp(p.id, id, PROPOSAL_ID_BYTES) != 0)
		return false;
	signer_slot_read(signer_slot(p.treasury, p.config_version, signer),
	    &sg);
	if (!sg.used || sg.config_version != p.config_version ||
	    strcmp(sg.treasury, p.treasury) != 0 ||
	    strcmp(sg.signer, signer) != 0)
		return false;
	memset(out, 0, sizeof(*out));
	memcpy(out->treasury, p.treasury, sizeof(out->treasury));
	out->config_version = p.config_version;
	out->threshold = p.threshold;
	out->signer_count = p.signer_count;
	out->signer_found = true;
	out->key = sg.key;
	*point = sg.point;
	return true;
}

void
cache_vote_proposal_put(const uint8_t id[PROPOSAL_ID_BYTES],
    const char *treasury, uint64_t config_version, unsigned threshold,
    unsigned signer_count)
{
	struct vote_memo_proposal p = { .used = true };
	size_t treasury_len = strlen(treasury);
	uint32_t i;

	if (treasury_len > TREASURY_ID_MAX_BYTES)
		return;
	pthread_once(&vote_memo_once, vote_memo_init);
	memcpy(p.id, id, PROPOSAL_ID_BYTES);
	memcpy(p.treasury, treasury, treasury_len + 1);
	p.config_version = config_version;
	p.threshold = threshold;
	p.signer_count = signer_count;
	i = proposal_slot(id);
	pthread_mutex_lock(&vote_memo_proposal_mu[i % VOTE_MEMO_LOCKS]);
	vote_memo_proposal[i] = p;
	pthread_mutex_unlock(&vote_memo_proposal_mu[i % VOTE_MEMO_LOCKS]);
}

void
cache_vote_context_put(const uint8_t id[PROPOSAL_ID_BYTES],
    const char *signer, const struct vote_context *vc,
    const struct signer_point *point)
{
	struct vote_memo_signer sg = { .used = true };
	size_t signer_len = strlen(signer);
	uint32_t i;

	if (!vc->signer_found || point->type != vc->key.type ||
	    signer_len > SIGNER_NAME_MAX_BYTES)
		return;
	_Static_assert(sizeof(sg.treasury) == sizeof(vc->treasury),
	    "one treasury id size");
	cache_vote_proposal_put(id, vc->treasury, vc->config_version,
	    vc->threshold, vc->signer_count);
	memcpy(sg.treasury, vc->treasury, sizeof(sg.treasury));
	sg.config_version = vc->config_version;
	memcpy(sg.signer, signer, signer_len + 1);
	sg.key = vc->key;
	sg.point = *point;
	i = signer_slot(vc->treasury, vc->config_version, signer);
	pthread_mutex_lock(&vote_memo_signer_mu[i % VOTE_MEMO_LOCKS]);
	vote_memo_signer[i] = sg;
	pthread_mutex_unlock(&vote_memo_signer_mu[i % VOTE_MEMO_LOCKS]);
}
