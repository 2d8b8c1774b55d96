/*
 * verify_rate.c: the signature-check ceiling for treasuryd's vote path.
 *
 * Makes a set of ECDSA key pairs and low-S signatures over random 32-byte
 * digests with libsecp256k1, then checks them in a loop for a fixed time,
 * first on one thread and then on one thread per online core, sharing one
 * read-only randomised context as the daemon does. Two kinds of check:
 *
 *   raw        secp256k1_ecdsa_verify on an already parsed signature and
 *              public key: the libsecp256k1 ceiling.
 *   treasuryd  vote_signature_verify() from treasury_core, exactly what a
 *              request thread calls for a vote (signature parse, low-S
 *              test, public key decompression, verify).
 *
 * Every check must succeed (a failure aborts the run: a benchmark that
 * verifies garbage measures nothing). Output: a human table on stderr and
 * one "RESULT name value" line per number on stdout for bench/run.sh.
 *
 * Usage: bench_verify_rate [-s SECONDS] [-t THREADS] [-n SIGNATURES]
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <secp256k1.h>
#include <sodium.h>

#include "treasury/sig.h"

enum {
	SIGS_DEFAULT = 1024,
	SIGS_MAX = 1 << 20,
	THREADS_MAX = 256,
	SECONDS_MAX = 600,
	CHECK_BATCH = 64,	/* verifies between looks at the stop flag */
};

enum mode {
	MODE_RAW,
	MODE_TREASURYD,
};

struct item {
	secp256k1_pubkey pk;
	secp256k1_ecdsa_signature sig;
	struct signer_key key;
	uint8_t digest[32];
	uint8_t compact[64];
};

struct bench {
	const secp256k1_context *ctx;
	const treasury_verifier *verifier;
	const struct item *items;
	size_t n_items;
	enum mode mode;
	atomic_bool stop;
	atomic_bool failed;
};

struct worker {
	struct bench *b;
	size_t start;
	uint64_t done;
	pthread_t tid;
};

static void
die(const char *what)
{
	fprintf(stderr, "bench_verify_rate: %s\n", what);
	exit(1);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned long
parse_ulong(const char *s, unsigned long min, unsigned long max,
    const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "bench_verify_rate: %s must be %lu..%lu\n", what,
		    min, max);
		exit(2);
	}
	return v;
}

static bool
check_one(const struct bench *b, const struct item *it)
{
	if (b->mode == MODE_RAW)
		return secp256k1_ecdsa_verify(b->ctx, &it->sig, it->digest,
		    &it->pk) == 1;
	return vote_signature_verify(b->verifier, &it->key, it->digest,
	    it->compact, sizeof(it->compact)) == TREASURY_OK;
}

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	struct bench *b = w->b;
	size_t i = w->start;
	uint64_t done = 0;

	while (!atomic_load_explicit(&b->stop, memory_order_relaxed)) {
		for (int k = 0; k < CHECK_BATCH; k++) {
			if (!check_one(b, &b->items[i])) {
				atomic_store(&b->failed, true);
				atomic_store(&b->stop, true);
				break;
			}
			if (++i == b->n_items)
				i = 0;
			done++;
		}
	}
	w->done = done;
	return NULL;
}

/* Run `threads` workers for `seconds`; returns checks per second. */
static double
run(struct bench *b, enum mode mode, unsigned threads, double seconds)
{
	struct worker w[THREADS_MAX];
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	double t0, t1;
	uint64_t total = 0;

	b->mode = mode;
	atomic_store(&b->stop, false);
	t0 = now_s();
	for (unsigned i = 0; i < threads; i++) {
		w[i].b = b;
		w[i].start = (b->n_items / threads) * i;
		w[i].done = 0;
		if (pthread_create(&w[i].tid, NULL, worker_run, &w[i]) != 0)
			die("pthread_create failed");
	}
	while (now_s() - t0 < seconds && !atomic_load(&b->failed))
		nanosleep(&pause, NULL);
	atomic_store(&b->stop, true);
	for (unsigned i = 0; i < threads; i++) {
		pthread_join(w[i].tid, NULL);
		total += w[i].done;
	}
	t1 = now_s();
	if (atomic_load(&b->failed))
		die("a signature did not verify");
	return (double)total / (t1 - t0);
}

static void
items_make(secp256k1_context *ctx, const treasury_verifier *v,
    struct item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct item *it = &items[i];
		uint8_t seckey[32], pub33[33];
		size_t len = sizeof(pub33);

		do
			randombytes_buf(seckey, sizeof(seckey));
		while (!secp256k1_ec_seckey_verify(ctx, seckey));
		randombytes_buf(it->digest, sizeof(it->digest));
		if (!secp256k1_ec_pubkey_create(ctx, &it->pk, seckey) ||
		    !secp256k1_ec_pubkey_serialize(ctx, pub33, &len, &it->pk,
		    SECP256K1_EC_COMPRESSED))
			die("key generation failed");
		/* libsecp256k1 signs low-S (RFC 6979 nonce). */
		if (!secp256k1_ecdsa_sign(ctx, &it->sig, it->digest, seckey,
		    NULL, NULL) ||
		    !secp256k1_ecdsa_signature_serialize_compact(ctx,
		    it->compact, &it->sig))
			die("signing failed");
		if (secp256k1_ecdsa_signature_normalize(ctx, NULL, &it->sig))
			die("libsecp256k1 made a high-S signature");
		if (signer_key_parse(v, KEY_ECDSA, pub33, len, &it->key) !=
		    TREASURY_OK)
			die("signer_key_parse refused a fresh key");
		sodium_memzero(seckey, sizeof(seckey));
	}
}

int
main(int argc, char **argv)
{
	struct bench b = { 0 };
	secp256k1_context *ctx;
	treasury_verifier *verifier;
	struct item *items;
	double seconds = 2.0;
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned threads = online > 0 ? (unsigned)online : 1;
	size_t n = SIGS_DEFAULT;
	uint8_t seed[32];
	double raw1, rawn, td1, tdn;
	int c;

	while ((c = getopt(argc, argv, "s:t:n:")) != -1) {
		switch (c) {
		case 's':
			seconds = (double)parse_ulong(optarg, 1, SECONDS_MAX,
			    "-s SECONDS");
			break;
		case 't':
			threads = (unsigned)parse_ulong(optarg, 1, THREADS_MAX,
			    "-t THREADS");
			break;
		case 'n':
			n = parse_ulong(optarg, 1, SIGS_MAX, "-n SIGNATURES");
			break;
		default:
			fprintf(stderr, "usage: bench_verify_rate [-s SECONDS] "
			    "[-t THREADS] [-n SIGNATURES]\n");
			return 2;
		}
	}
	if (threads > THREADS_MAX)
		threads = THREADS_MAX;
	if (sodium_init() < 0)
		die("sodium_init failed");
	verifier = treasury_verifier_create();
	ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
	items = calloc(n, sizeof(*items));
	if (verifier == NULL || ctx == NULL || items == NULL)
		die("out of memory");
	randombytes_buf(seed, sizeof(seed));
	if (!secp256k1_context_randomize(ctx, seed))
		die("secp256k1_context_randomize failed");
	items_make(ctx, verifier, items, n);

	b.ctx = ctx;
	b.verifier = verifier;
	b.items = items;
	b.n_items = n;

	raw1 = run(&b, MODE_RAW, 1, seconds);
	rawn = run(&b, MODE_RAW, threads, seconds);
	td1 = run(&b, MODE_TREASURYD, 1, seconds);
	tdn = run(&b, MODE_TREASURYD, threads, seconds);

	fprintf(stderr, "ECDSA verify, %zu distinct low-S signatures, %.0f s "
	    "per run, %u threads = online cores\n", n, seconds, threads);
	fprintf(stderr, "  %-34s %12.0f /s  (%.1f us each)\n",
	    "raw libsecp256k1, 1 thread", raw1, 1e6 / raw1);
	fprintf(stderr, "  %-34s %12.0f /s  (%.2fx)\n",
	    "raw libsecp256k1, all cores", rawn, rawn / raw1);
	fprintf(stderr, "  %-34s %12.0f /s  (%.1f us each)\n",
	    "vote_signature_verify, 1 thread", td1, 1e6 / td1);
	fprintf(stderr, "  %-34s %12.0f /s  (%.2fx)\n",
	    "vote_signature_verify, all cores", tdn, tdn / td1);
	printf("RESULT verify_threads %u\n", threads);
	printf("RESULT verify_raw_1core_per_s %.0f\n", raw1);
	printf("RESULT verify_raw_allcores_per_s %.0f\n", rawn);
	printf("RESULT verify_treasuryd_1core_per_s %.0f\n", td1);
	printf("RESULT verify_treasuryd_allcores_per_s %.0f\n", tdn);

	free(items);
	secp256k1_context_destroy(ctx);
	treasury_verifier_destroy(verifier);
	return 0;
}
