/*
 * acct_fill.c: fill a treasury with ledger entries through the engine's
 * own writer (bench/accounting.sh; not a test, not in ctest).
 *
 * Usage: bench_acct_fill DB JOURNAL_KEY TREASURY SIGNER SECKEY_HEX TOKEN_NAME
 *            TOKEN_ID ENTRIES DAYS START_S
 *
 * The database must exist (schema 10) with the treasury (threshold 1, one
 * ECDSA signer SIGNER whose secret key is SECKEY_HEX), the assets USDC (6),
 * EURC (6) and ETH (18), and the categories below, all made through the
 * API by accounting.sh; treasuryd must not be running on it.
 *
 * For each of DAYS UTC days from the first midnight at or after START_S
 * (in time order) it submits
 * to writer_start's writer, exactly as the API would, with cmd.now_s set
 * to a time in that day instead of the clock:
 *   1. about 55 % of that day's entries as CMD_DEPOSIT (first half of the
 *      day), and batch proposals (CMD_PROPOSAL_CREATE, up to 64 transfers
 *      each) for the rest, never more than the balance left of the asset;
 *   2. one approving CMD_VOTE per proposal, signed with vote_sign over
 *      vote_digest_compute (threshold 1: the proposal becomes approved);
 *   3. CMD_EXECUTE of each, spread over the second half of the day.
 * So every ledger entry, its ledger_days row, balance, journal entry (hash
 * chain), proposal and vote is written by the daemon's code; deposits
 * precede spending and no balance goes negative. ENTRIES is exact: deposits
 * plus transfers. Commands are submitted asynchronously and committed in
 * the writer's groups (up to 256 per commit).
 *
 * The days lie after START_S, not before it, because the writer never
 * applies a command at a time before the database's clock mark (the
 * latest time it recorded, storage/writer.c): START_S must be at or after
 * the setup made through the API. A daemon started afterwards keeps its
 * clock at the mark, the last entry's time, until the real time catches up.
 *
 * Prints "RESULT name value" lines on stdout, progress on stderr.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "treasury/command.h"
#include "treasury/crypto_init.h"
#include "treasury/hash.h"
#include "treasury/keystore.h"
#include "treasury/proposal.h"
#include "treasury/sig.h"
#include "treasury/audit.h"
#include "treasury/journal.h"
#include "treasury/writer.h"

#define DAY_S 86400

struct asset_def {
	const char *code;
	unsigned decimals;
	uint64_t unit;		/* 10^decimals */
	uint64_t lo, hi;	/* deposit amount range, in unit / 100 */
	unsigned weight;	/* per 100 */
};

static const struct asset_def assets[] = {
	{ "USDC", 6, 1000000, 5000, 500000, 60 },	/* 50 .. 5,000 */
	{ "EURC", 6, 1000000, 2000, 200000, 25 },	/* 20 .. 2,000 */
	{ "ETH", 18, 1000000000000000000ull, 1, 500, 15 }, /* 0.01 .. 5 */
};
#define ASSETS (sizeof(assets) / sizeof(assets[0]))

static const char *const income[] = { "grants-in", "sales", "interest" };
static const char *const expense[] = { "payroll", "hosting", "legal",
	"travel", "grants-out", "marketing", "office" };

struct pending {
	pthread_mutex_t m;
	pthread_cond_t c;
	unsigned left;
	unsigned failed;
};

static struct pending pend = { PTHREAD_MUTEX_INITIALIZER,
	PTHREAD_COND_INITIALIZER, 0, 0 };

static void
done(struct command *cmd, void *arg)
{
	(void)arg;
	pthread_mutex_lock(&pend.m);
	if (cmd->err != TREASURY_OK) {
		if (pend.failed++ < 5)
			fprintf(stderr, "acct_fill: command %d: %s: %s\n",
			    (int)cmd->type, treasury_err_text(cmd->err),
			    cmd->detail);
	}
	if (--pend.left == 0)
		pthread_cond_signal(&pend.c);
	pthread_mutex_unlock(&pend.m);
}

static void
submit(struct writer *w, struct command *cmd)
{
	pthread_mutex_lock(&pend.m);
	pend.left++;
	pthread_mutex_unlock(&pend.m);
	writer_submit_async(w, cmd, done, NULL);
}

/* Wait for every submitted command; exit on any failure. */
static void
wait_all(void)
{
	pthread_mutex_lock(&pend.m);
	while (pend.left > 0)
		pthread_cond_wait(&pend.c, &pend.m);
	if (pend.failed > 0) {
		fprintf(stderr, "acct_fill: %u commands failed\n",
		    pend.failed);
		exit(1);
	}
	pthread_mutex_unlock(&pend.m);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t
rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rng_state = x;
	return x;
}

static uint64_t
rnd_range(uint64_t lo, uint64_t hi)
{
	return lo + rnd() % (hi - lo + 1);
}

static unsigned
pick_asset(void)
{
	unsigned r = (unsigned)(rnd() % 100), acc = 0;

	for (unsigned i = 0; i < ASSETS; i++) {
		acc += assets[i].weight;
		if (r < acc)
			return i;
	}
	return 0;
}

/* A random amount of asset a in minor units (deposits; transfers take a
 * bit less on average, see main). */
static amount_minor
rnd_amount(unsigned a)
{
	const struct asset_def *d = &assets[a];

	return (amount_minor)rnd_range(d->lo, d->hi) * d->unit / 100 +
	    (amount_minor)(rnd() % (d->unit / 100));
}

static int
hex_decode(const char *s, uint8_t *out, size_t n)
{
	if (strlen(s) != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	char errmsg[STORE_ERRMSG_BYTES];
	uint8_t secret[SECRET_KEY_BYTES];
	struct signer_key key;
	treasury_verifier *v;
	struct writer *w;
	uint8_t jpk[JOURNAL_PUBLIC_KEY_BYTES], jsk[JOURNAL_SECRET_KEY_BYTES];
	uint8_t seed[JOURNAL_KEY_SEED_BYTES];
	char seed_hex[2 * JOURNAL_KEY_SEED_BYTES + 2];
	struct checkpoint_policy cp;
	FILE *kf;
	amount_minor balance[ASSETS] = { 0 };
	unsigned long long entries, dep_total, tr_total;
	unsigned long long dep_done = 0, tr_done = 0, props = 0;
	unsigned days;
	int64_t end_s, start_s, token_id;
	const char *db, *keypath, *tid, *signer, *token;
	double t0 = now_mono();

	if (argc != 11) {
		fprintf(stderr, "usage: bench_acct_fill DB JOURNAL_KEY TREASURY "
		    "SIGNER SECKEY_HEX TOKEN_NAME TOKEN_ID ENTRIES DAYS "
		    "START_S\n");
		return 2;
	}
	db = argv[1];
	keypath = argv[2];
	argv++;		/* the rest as without the key */
	tid = argv[2];
	signer = argv[3];
	token = argv[5];
	token_id = strtoll(argv[6], NULL, 10);
	entries = strtoull(argv[7], NULL, 10);
	days = (unsigned)strtoul(argv[8], NULL, 10);
	start_s = strtoll(argv[9], NULL, 10);
	start_s += (DAY_S - start_s % DAY_S) % DAY_S;	/* a midnight */
	end_s = start_s + (int64_t)days * DAY_S;
	if (hex_decode(argv[4], secret, sizeof(secret)) != 0 || days == 0 ||
	    entries < days) {
		fprintf(stderr, "acct_fill: bad arguments\n");
		return 2;
	}
	if (treasury_crypto_init() != TREASURY_OK ||
	    (v = treasury_verifier_create()) == NULL ||
	    secret_key_public(KEY_ECDSA, secret, &key) != TREASURY_OK) {
		fprintf(stderr, "acct_fill: crypto init or key\n");
		return 1;
	}
	/* the daemon's journal key file: the seed in hex and a newline
	 * (daemon/journal_key.c) */
	kf = fopen(keypath, "r");
	if (kf == NULL || fgets(seed_hex, sizeof(seed_hex), kf) == NULL ||
	    (seed_hex[2 * JOURNAL_KEY_SEED_BYTES] = '\0',
	    hex_decode(seed_hex, seed, sizeof(seed)) != 0)) {
		fprintf(stderr, "acct_fill: cannot read %s\n", keypath);
		return 1;
	}
	fclose(kf);
	journal_keypair_from_seed(jpk, jsk, seed);
	if (writer_start(db, v, &w, errmsg) != TREASURY_OK) {
		fprintf(stderr, "acct_fill: %s\n", errmsg);
		return 1;
	}
	cp.sk = jsk;
	cp.every_entries = 1000;	/* the daemon's defaults */
	cp.interval_s = 60;
	if (writer_checkpoints_set(w, &cp) != TREASURY_OK) {
		fprintf(stderr, "acct_fill: writer_checkpoints_set\n");
		return 1;
	}
	dep_total = entries * 55 / 100;
	tr_total = entries - dep_total;

	for (unsigned day = 0; day < days; day++) {
		int64_t day_s = start_s + (int64_t)day * DAY_S;
		unsigned ndep = (unsigned)(dep_total * (day + 1) / days -
		    dep_total * day / days);
		unsigned ntr = (unsigned)(tr_total * (day + 1) / days -
		    tr_total * day / days);
		unsigned nprop = (ntr + BATCH_TRANSFERS_MAX - 1) /
		    BATCH_TRANSFERS_MAX;
		struct command *dc = calloc(ndep ? ndep : 1, sizeof(*dc));
		struct command *pc = calloc(nprop ? nprop : 1, sizeof(*pc));
		struct proposal_fields *pf = calloc(nprop ? nprop : 1,
		    sizeof(*pf));
		struct proposal_categories *cats = calloc(nprop ? nprop : 1,
		    sizeof(*cats));
		unsigned left = ntr;

		if (dc == NULL || pc == NULL || pf == NULL || cats == NULL) {
			fprintf(stderr, "acct_fill: out of memory\n");
			return 1;
		}
		/* 1. deposits in the first half of the day, then proposals */
		for (unsigned i = 0; i < ndep; i++) {
			struct command *c = &dc[i];
			unsigned a = pick_asset();

			c->type = CMD_DEPOSIT;
			c->now_s = day_s + (int64_t)i * (DAY_S / 2) / ndep;
			snprintf(c->actor_token, sizeof(c->actor_token), "%s",
			    token);
			snprintf(c->in.deposit.treasury,
			    sizeof(c->in.deposit.treasury), "%s", tid);
			snprintf(c->in.deposit.asset,
			    sizeof(c->in.deposit.asset), "%s", assets[a].code);
			c->in.deposit.amount = rnd_amount(a);
			balance[a] += c->in.deposit.amount;
			snprintf(c->in.deposit.reference,
			    sizeof(c->in.deposit.reference), "dep-%llu",
			    dep_done + i + 1);
			snprintf(c->in.deposit.source,
			    sizeof(c->in.deposit.source), "src-%u",
			    (unsigned)(rnd() % 100));
			if (rnd() % 4 != 0)	/* 3 in 4 categorised */
				snprintf(c->in.deposit.category,
				    sizeof(c->in.deposit.category), "%s",
				    income[rnd() % 3]);
			submit(w, c);
		}
		for (unsigned p = 0; p < nprop; p++) {
			struct command *c = &pc[p];
			struct proposal_fields *f = &pf[p];
			unsigned n = left < BATCH_TRANSFERS_MAX ? left :
			    BATCH_TRANSFERS_MAX;

			left -= n;
			f->kind = KIND_BATCH;
			snprintf(f->treasury, sizeof(f->treasury), "%s", tid);
			f->transfer_count = n;
			for (unsigned i = 0; i < n; i++) {
				struct transfer_fields *t = &f->transfers[i];
				unsigned a = pick_asset();
				/* transfers: 0.8 of a deposit on average,
				 * never more than half of what is left */
				amount_minor x = rnd_amount(a) * 4 / 5;

				if (x > balance[a] / 2)
					x = balance[a] / 2;
				if (x == 0) {
					fprintf(stderr, "acct_fill: no %s "
					    "left on day %u\n",
					    assets[a].code, day);
					return 1;
				}
				balance[a] -= x;
				snprintf(t->asset, sizeof(t->asset), "%s",
				    assets[a].code);
				t->decimals = assets[a].decimals;
				t->amount = x;
				snprintf(t->to, sizeof(t->to), "dest-%u",
				    (unsigned)(rnd() % 50));
				if (rnd() % 7 != 0)	/* 6 in 7 labelled */
					snprintf(cats[p].item[i],
					    sizeof(cats[p].item[i]), "%s",
					    expense[rnd() % 7]);
			}
			c->type = CMD_PROPOSAL_CREATE;
			c->now_s = day_s + DAY_S / 2;
			snprintf(c->actor_token, sizeof(c->actor_token), "%s",
			    token);
			c->in.proposal_create.fields = f;
			c->in.proposal_create.proposer_token_id = token_id;
			c->in.proposal_create.categories = &cats[p];
			submit(w, c);
		}
		wait_all();
		/* 2. one approving vote each (threshold 1) */
		for (unsigned p = 0; p < nprop; p++) {
			struct command *c = &pc[p];
			uint8_t id[PROPOSAL_ID_BYTES], digest[DIGEST_BYTES];

			memcpy(id, c->out.proposal_create.id, sizeof(id));
			memset(c, 0, sizeof(*c));
			c->type = CMD_VOTE;
			c->now_s = day_s + DAY_S / 2 + 60;
			snprintf(c->actor_token, sizeof(c->actor_token), "%s",
			    token);
			memcpy(c->in.vote.proposal, id, sizeof(id));
			snprintf(c->in.vote.signer, sizeof(c->in.vote.signer),
			    "%s", signer);
			c->in.vote.decision = VOTE_APPROVE;
			vote_digest_compute(digest, id, VOTE_APPROVE);
			if (vote_sign(KEY_ECDSA, secret, digest,
			    c->in.vote.signature) != TREASURY_OK) {
				fprintf(stderr, "acct_fill: vote_sign\n");
				return 1;
			}
			c->in.vote.signature_len = VOTE_SIGNATURE_BYTES;
			c->in.vote.verified_key = key;
			c->in.vote.verified_config_version = 1;
			submit(w, c);
		}
		wait_all();
		/* 3. execute, spread over the second half of the day */
		for (unsigned p = 0; p < nprop; p++) {
			struct command *c = &pc[p];
			uint8_t id[PROPOSAL_ID_BYTES];

			memcpy(id, c->in.vote.proposal, sizeof(id));
			memset(c, 0, sizeof(*c));
			c->type = CMD_EXECUTE;
			c->now_s = day_s + DAY_S / 2 + 120 +
			    (int64_t)p * (DAY_S / 2 - 240) / nprop;
			snprintf(c->actor_token, sizeof(c->actor_token), "%s",
			    token);
			memcpy(c->in.execute.proposal, id, sizeof(id));
			submit(w, c);
		}
		wait_all();
		dep_done += ndep;
		tr_done += ntr;
		props += nprop;
		free(dc);
		free(pc);
		free(pf);
		free(cats);
		if ((day + 1) % 73 == 0)
			fprintf(stderr, "acct_fill: day %u/%u, %llu entries, "
			    "%.0f s\n", day + 1, days, dep_done + tr_done,
			    now_mono() - t0);
	}
	writer_stop(w);
	treasury_verifier_destroy(v);
	printf("RESULT fill_deposits %llu\n", dep_done);
	printf("RESULT fill_transfers %llu\n", tr_done);
	printf("RESULT fill_proposals %llu\n", props);
	printf("RESULT fill_from_s %lld\n", (long long)start_s);
	printf("RESULT fill_to_s %lld\n", (long long)end_s);
	printf("RESULT fill_s %.1f\n", now_mono() - t0);
	return 0;
}
