/*
 * main.c: treasuryd's entry point. Reads like a table of contents:
 * subcommands, options and config, logging, listener, the database lock
 * (path and file), the database (its identity, instance and quick_check),
 * first-run token, writer, HTTP, READY=1 to systemd; then the event
 * loop (signals, reload, watchdog) and shutdown in the reverse order.
 */
#include <errno.h>
#include <getopt.h>
#include <stdatomic.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "treasury/api.h"
#include "treasury/audit.h"
#include "treasury/clock.h"
#include "treasury/crypto_init.h"
#include "treasury/hex.h"
#include "treasury/command.h"
#include "treasury/writer.h"
#include "treasury/listener.h"
#include "treasury/log.h"
#include "treasury/sig.h"
#include "treasury/storage.h"
#include "treasury/webhook_delivery.h"
#include "treasury/webhook_store.h"

#include "config.h"
#include "daemon.h"
#include "journal_key.h"
#include "sd.h"

/* The command line, kept so that a reload applies the same overrides. */
struct cmdline {
	const char *config_path;
	const char *db;			/* overrides, NULL when not given */
	const char *listen;
	const char *log_level;
	bool check_only;
	bool unsafe_test_clock;		/* tests only; see api/test_clock.c */
	bool new_journal_key;		/* PostgreSQL: accept a key that did
					 * not sign the journal (every copy of
					 * the old one lost) */
};

/* What the event loop works on. */
struct daemon {
	struct config cfg;		/* the running configuration */
	struct cmdline cl;
	struct listener listener;
	struct api_server *api;
	struct writer *writer;
	struct journal_key *journal_key;	/* signs checkpoints */
	struct webhook_delivery *webhooks;	/* delivery thread */
	struct store_listener *listener_pg;	/* PostgreSQL: other daemons'
						 * commits wake our streams */
	uint64_t watchdog_usec;		/* 0: no watchdog */
	uint64_t last_ping_ms;
	bool watchdog_withheld;		/* pings stopped: writer stalled */
	unsigned restart_pending;	/* changed options awaiting a restart */
	uint64_t last_cron_ms;
	uint64_t last_maintenance_ms;
	struct store_file_id db_file_id;	/* the file locked and opened */
};

enum {
	CRON_INTERVAL_MS = 1000,	/* cron(): heartbeats, maintenance */
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: treasuryd [--config FILE] [--db PATH] [--listen ADDR:PORT]\n"
	    "                 [--log-level LEVEL] [--check-config]\n"
	    "                 [--new-journal-key]     (PostgreSQL: the old key is lost)\n"
	    "                 [--unsafe-test-clock]   (tests only, never in production)\n"
	    "       treasuryd token create|list|revoke ... (see treasuryd token)\n"
	    "       treasuryd backup --db PATH --out FILE\n"
	    "       treasuryd restore --db PATH --from FILE\n"
	    "       treasuryd check --db PATH\n"
	    "       treasuryd migrate --from FILE --to postgresql://...\n"
	    "       treasuryd audit verify --db PATH [--pubkey HEX | --key FILE]\n"
	    "           [--config FILE] [--checkpoint-entries N]\n"
	    "       treasuryd --help | --version\n");
}

static const struct option longopts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "db", required_argument, NULL, 'd' },
	{ "listen", required_argument, NULL, 'l' },
	{ "log-level", required_argument, NULL, 'L' },
	{ "check-config", no_argument, NULL, 'n' },
	{ "unsafe-test-clock", no_argument, NULL, 'T' },
	{ "new-journal-key", no_argument, NULL, 'K' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* Subcommands run instead of the daemon. Returns -1 when argv has none. */
static int
subcommand_run(int argc, char *argv[])
{
	static const struct {
		const char *name;
		int (*run)(int, char *[]);
	} subcommands[] = {
		{ "token", token_command },
		{ "backup", backup_command },
		{ "restore", restore_command },
		{ "check", check_command },
		{ "audit", audit_command },
		{ "migrate", migrate_command },
	};

	if (argc < 2)
		return -1;
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]);
	    i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].run(argc - 1, argv + 1);
	return -1;
}

/* Parse the command line into cl; exits on --help, --version or misuse. */
static void
cmdline_parse(struct cmdline *cl, int argc, char *argv[])
{
	int ch;

	while ((ch = getopt_long(argc, argv, "n", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': cl->config_path = optarg; break;
		case 'd': cl->db = optarg; break;
		case 'l': cl->listen = optarg; break;
		case 'L': cl->log_level = optarg; break;
		case 'n': cl->check_only = true; break;
		case 'T': cl->unsafe_test_clock = true; break;
		case 'K': cl->new_journal_key = true; break;
		case 'h': usage(); config_print_options(); exit(0);
		case 'V': printf("treasuryd %s\n", TREASURYD_VERSION); exit(0);
		default: usage(); exit(2);
		}
	}
	if (optind != argc) {
		usage();
		exit(2);
	}
}

/* Defaults, then the config file, then the command line. Used at start
 * and on every SIGHUP. Returns the number of errors (each logged with
 * file:line). */
static int
config_build(struct config *cfg, const struct cmdline *cl)
{
	int errors = 0;

	config_defaults(cfg);
	if (cl->config_path != NULL)
		errors += config_load_file(cfg, cl->config_path);
	if (cl->db != NULL && config_set(cfg, "db", cl->db, "command line") != 0)
		errors++;
	if (cl->listen != NULL &&
	    config_set(cfg, "listen", cl->listen, "command line") != 0)
		errors++;
	if (cl->log_level != NULL &&
	    config_set(cfg, "log_level", cl->log_level, "command line") != 0)
		errors++;
	if (errors == 0 && config_finish(cfg) != 0)
		errors++;
	return errors;
}

/* Descriptors beyond the connections: database, WAL, listener, epoll,
 * lock file, per-thread readers, logs. */
enum { FD_RESERVE = 128 };

/* Raise the soft RLIMIT_NOFILE so that max_connections can be reached
 * (the usual soft limit is 1024); warn when the hard limit is lower. */
static void
fd_limit_raise(unsigned max_connections)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)max_connections + FD_RESERVE;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ?
	    want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		log_warn("setrlimit(RLIMIT_NOFILE)");
	else if (rl.rlim_cur < want)
		log_warnx("open file limit %llu is below max_connections + %d; "
		    "raise LimitNOFILE", (unsigned long long)rl.rlim_cur,
		    FD_RESERVE);
}

static void
signals_block(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	/* Blocked here so every thread made later inherits the mask and
	 * only the main thread's sigtimedwait sees them. */
	if (pthread_sigmask(SIG_BLOCK, set, NULL) != 0)
		fatalx("pthread_sigmask failed");
	signal(SIGPIPE, SIG_IGN);
}

/* The database for a log or status line: its path, or a PostgreSQL URI
 * rebuilt from its parts (storage.h store_uri_shown). */
static const char *
db_shown(const struct config *cfg)
{
	static char shown[STORE_ERRMSG_BYTES];

	if (!store_path_is_postgresql(cfg->db_path))
		return cfg->db_path;
	store_uri_shown(cfg->db_path, shown);
	return shown;
}

static void
status_send(const struct daemon *d, const char *prefix)
{
	sd_notify_sendf("%sSTATUS=serving on %s, database %s, log level %d, "
	    "body_max_bytes %u%s", prefix, d->listener.text, db_shown(&d->cfg),
	    d->cfg.log_level, d->cfg.body_max_bytes, d->restart_pending > 0 ?
	    "; changed options await a restart" : "");
}

/*
 * The watchdog (WatchdogSec= in treasuryd.service): WATCHDOG=1 every half
 * interval, sent from this loop, so a stuck main thread stops the pings.
 * The ping also needs the writer thread to be alive: when commands have
 * waited longer than half the interval without the writer taking or
 * finishing a group (writer_stalled_ms), pings are withheld and systemd
 * restarts the service once WatchdogSec has passed without one.
 */
static void
watchdog_tick(struct daemon *d)
{
	uint64_t now = clock_mono_ms(), half_ms = d->watchdog_usec / 2000;
	uint64_t stalled_ms;

	if (d->watchdog_usec == 0 || now - d->last_ping_ms < half_ms)
		return;
	stalled_ms = writer_stalled_ms(d->writer);
	if (stalled_ms > half_ms) {
		if (!d->watchdog_withheld)
			log_msg(LOG_WARNING, "watchdog: the writer has made no "
			    "progress for %llu ms; withholding WATCHDOG=1",
			    (unsigned long long)stalled_ms);
		d->watchdog_withheld = true;
		return;
	}
	if (d->watchdog_withheld)
		log_msg(LOG_NOTICE, "watchdog: the writer is making progress "
		    "again; pinging");
	d->watchdog_withheld = false;
	sd_notify_send("WATCHDOG=1");
	d->last_ping_ms = now;
}

static void
reload_changed(const char *name, bool live, void *ctx)
{
	(void)ctx;
	if (live)
		log_msg(LOG_NOTICE, "reload: %s changed; applied", name);
	else
		log_msg(LOG_NOTICE, "reload: %s changed; restart treasuryd to "
		    "apply it (the running value stays)", name);
}

/* SIGHUP: re-read the config; apply what can change live, report the
 * rest; on any error keep the running config. */
static void
reload(struct daemon *d)
{
	struct config next;
	bool tls_ok;
	int errors;

	sd_notify_send("RELOADING=1");
	log_msg(LOG_NOTICE, "SIGHUP: reloading the configuration%s%s",
	    d->cl.config_path != NULL ? " from " : " (no --config file)",
	    d->cl.config_path != NULL ? d->cl.config_path : "");
	errors = config_build(&next, &d->cl);
	if (errors != 0) {
		log_msg(LOG_ERR, "reload: %d error%s (above); keeping the "
		    "running configuration", errors, errors == 1 ? "" : "s");
		sd_notify_sendf("READY=1\nSTATUS=serving; the last reload "
		    "failed, see the log");
		return;
	}
	d->restart_pending = config_reload(&d->cfg, &next, reload_changed,
	    NULL);
	log_init(d->cfg.log_level);
	api_body_max_set(d->api, d->cfg.body_max_bytes);
	/* the TLS files, read again even when their paths are unchanged
	 * (renewed in place); a bad pair keeps the running one (logged) */
	tls_ok = api_tls_reload(d->api) == TREASURY_OK;
	/* Tokens need nothing: every request reads them from the database. */
	log_msg(LOG_NOTICE, "reload: done; %u changed option%s need%s a "
	    "restart", d->restart_pending, d->restart_pending == 1 ? "" : "s",
	    d->restart_pending == 1 ? "s" : "");
	if (tls_ok)
		status_send(d, "READY=1\n");
	else
		sd_notify_sendf("READY=1\nSTATUS=serving; the TLS certificate "
		    "was not replaced, see the log");
}

/*
 * The maintenance command (at most one in flight): persist `expired` for
 * every proposal past its expiry, which journals proposal.expired events
 * (expiry is otherwise only derived when read), and purge idempotency
 * records older than idempotency_retention.
 */
static struct command maintenance_cmd;
static atomic_bool maintenance_busy;

static void
maintenance_done(struct command *cmd, void *arg)
{
	struct daemon *d = arg;

	if (cmd->err != TREASURY_OK && cmd->err != TREASURY_ERR_SHUTTING_DOWN &&
	    cmd->err != TREASURY_ERR_BUSY &&
	    cmd->err != TREASURY_ERR_STORAGE_UNAVAILABLE)  /* logged once */
		log_msg(LOG_WARNING, "maintenance: %s: %s",
		    treasury_err_text(cmd->err), cmd->detail);
	else if (cmd->out.maintenance.expired > 0 ||
	    cmd->out.maintenance.purged > 0 ||
	    cmd->out.maintenance.webhook_dead_purged > 0)
		log_debug("maintenance: %u proposals expired, %u idempotency "
		    "records purged, %u dead webhook entries purged",
		    cmd->out.maintenance.expired, cmd->out.maintenance.purged,
		    cmd->out.maintenance.webhook_dead_purged);
	if (cmd->err == TREASURY_OK && cmd->out.maintenance.more) {
		/* The batch was full: the next one goes behind whatever was
		 * queued meanwhile (still in flight: maintenance_busy stays). */
		cmd->now_s = clock_now_s();
		cmd->in.maintenance.webhook_dead_before_ms = 0;	/* done */
		writer_submit_async(d->writer, cmd, maintenance_done, d);
		return;
	}
	atomic_store(&maintenance_busy, false);
}

static void
maintenance_submit(struct daemon *d)
{
	static int64_t dead_purged_s;	/* the last dead-row purge (wall s) */
	int64_t now = clock_now_s();

	if (atomic_exchange(&maintenance_busy, true))
		return;
	memset(&maintenance_cmd, 0, sizeof(maintenance_cmd));
	maintenance_cmd.type = CMD_MAINTENANCE;
	maintenance_cmd.now_s = now;
	maintenance_cmd.in.maintenance.idempotency_before_s = now -
	    (int64_t)d->cfg.idempotency_retention_s;
	if (now - dead_purged_s >= WEBHOOK_DEAD_PURGE_EVERY_S) {
		dead_purged_s = now;
		maintenance_cmd.in.maintenance.webhook_dead_before_ms =
		    (now - WEBHOOK_DEAD_KEEP_S) * 1000;
	}
	writer_submit_async(d->writer, &maintenance_cmd, maintenance_done, d);
}

/* Periodic jobs, in one place (Redis manner), about once a second. */
static void
cron(struct daemon *d)
{
	uint64_t now = clock_mono_ms();

	if (now - d->last_cron_ms < CRON_INTERVAL_MS)
		return;
	d->last_cron_ms = now;
	api_cron(d->api);
	if (now - d->last_maintenance_ms >=
	    d->cfg.maintenance_interval_s * 1000ULL) {
		d->last_maintenance_ms = now;
		maintenance_submit(d);
	}
}

/* How long the loop may sleep: until the next ping or cron is due. */
static uint64_t
loop_wait_ms(const struct daemon *d)
{
	uint64_t half_ms = d->watchdog_usec / 2000, now = clock_mono_ms();

	if (d->watchdog_usec == 0 || half_ms > CRON_INTERVAL_MS)
		return CRON_INTERVAL_MS;
	if (d->watchdog_withheld || d->last_ping_ms + half_ms <= now)
		return half_ms > 0 ? half_ms : 1;
	return d->last_ping_ms + half_ms - now;
}

/* Wait for signals until SIGTERM or SIGINT, pinging the watchdog. */
static void
event_loop(struct daemon *d, const sigset_t *set)
{
	struct timespec wait;
	uint64_t wait_ms;
	int sig;

	for (;;) {
		watchdog_tick(d);
		cron(d);
		wait_ms = loop_wait_ms(d);
		wait.tv_sec = (time_t)(wait_ms / 1000);
		wait.tv_nsec = (long)(wait_ms % 1000) * 1000000;
		sig = sigtimedwait(set, NULL, &wait);
		if (sig < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (sig < 0)
			fatal("sigtimedwait");
		if (sig == SIGHUP) {
			reload(d);
			continue;
		}
		log_msg(LOG_NOTICE, "%s: shutting down",
		    sig == SIGTERM ? "SIGTERM" : "SIGINT");
		return;
	}
}

/* Before anything opens the database: lock its path and the file itself
 * (listener.c); create a missing database only when nothing says one was
 * there: no -wal or -shm without it (store_file_prepare), no instance
 * recorded in the lock file. Returns 0 with *l held, or -1 after logging. */
static int
database_lock(const struct config *cfg, struct db_lock *l)
{
	char errmsg[STORE_ERRMSG_BYTES], hex[2 * INSTANCE_ID_BYTES + 1];

	if (store_path_is_postgresql(cfg->db_path))
		return 0;	/* no file to lock: several daemons may serve it */
	if (db_lock_open(cfg->db_path, l) != 0)
		return -1;
	if (l->file_fd >= 0)
		return 0;
	if (l->recorded) {
		hex_encode(hex, l->instance, INSTANCE_ID_BYTES);
		log_msg(LOG_ERR, "database %s is missing, but %s records that "
		    "it held instance %s: it was deleted or moved. Put it back, "
		    "or restore it (treasuryd restore --db %s --from BACKUP); to "
		    "start a new, empty database here on purpose, remove %s",
		    cfg->db_path, l->lock_path, hex, cfg->db_path, l->lock_path);
		return -1;
	}
	if (store_file_prepare(cfg->db_path, errmsg) != TREASURY_OK) {
		log_msg(LOG_ERR, "%s", errmsg);
		return -1;
	}
	return db_lock_file(l);
}

/* PRAGMA quick_check, bounded by start_check_timeout (0: skipped). A
 * finding refuses the start; running out of time is a warning. */
static int
database_quick_check(const struct config *cfg, struct store *store)
{
	char errmsg[STORE_ERRMSG_BYTES];
	uint64_t t0_ms = clock_mono_ms();
	bool cut_short;

	if (cfg->start_check_timeout_s == 0) {
		log_msg(LOG_NOTICE, "start_check_timeout = 0: the start-up "
		    "PRAGMA quick_check of %s is skipped", cfg->db_path);
		return 0;
	}
	if (store_quick_check(store, cfg->start_check_timeout_s, &cut_short,
	    errmsg) != TREASURY_OK) {
		log_msg(LOG_ERR, "%s; refusing to serve it: run treasuryd check "
		    "--db %s and restore from a backup (operations.md, \"Backup "
		    "and restore\")", errmsg, cfg->db_path);
		return -1;
	}
	if (cut_short)
		log_msg(LOG_WARNING, "PRAGMA quick_check of %s stopped after "
		    "start_check_timeout = %u s, without a finding in the part "
		    "it read; run treasuryd check, or raise start_check_timeout",
		    cfg->db_path, cfg->start_check_timeout_s);
	else
		log_msg(LOG_INFO, "PRAGMA quick_check of %s: ok (%llu ms)",
		    cfg->db_path, (unsigned long long)(clock_mono_ms() - t0_ms));
	return 0;
}

/* After store_open: the store opened the file that is locked, holding the
 * instance the lock file records (recorded now on a first start), and it
 * passes quick_check. Returns 0, or -1 after logging. */
static int
database_verify(const struct config *cfg, struct db_lock *l,
    struct store *store)
{
	char hex[2 * INSTANCE_ID_BYTES + 1], want[2 * INSTANCE_ID_BYTES + 1];
	uint8_t instance[INSTANCE_ID_BYTES];
	struct store_file_id id;

	if (store_path_is_postgresql(cfg->db_path))
		return 0;	/* no file; several daemons may serve it */
	store_file_id(store, &id);
	if (id.dev != l->id.dev || id.ino != l->id.ino) {
		log_msg(LOG_ERR, "database %s was replaced by another file while "
		    "treasuryd started; start again", cfg->db_path);
		return -1;
	}
	store_instance_id(store, instance);
	if (l->recorded &&
	    memcmp(instance, l->instance, INSTANCE_ID_BYTES) != 0) {
		hex_encode(hex, instance, INSTANCE_ID_BYTES);
		hex_encode(want, l->instance, INSTANCE_ID_BYTES);
		log_msg(LOG_ERR, "database %s holds instance %s, but %s records "
		    "instance %s: this is another instance's database (other "
		    "tokens, treasuries and history). Put the right file back; "
		    "if this database is meant to be served here, restore it "
		    "with treasuryd restore, or remove %s", cfg->db_path, hex,
		    l->lock_path, want, l->lock_path);
		return -1;
	}
	if (!l->recorded && db_lock_record(l, instance) != 0)
		return -1;
	return database_quick_check(cfg, store);
}

/* PostgreSQL: the journal's last checkpoint (seq) was signed by another
 * key than this daemon's; log why it does not start, and remove a key
 * made at this start (a later start would take it for the right one). */
static void
journal_other_key(const struct daemon *d, int64_t seq)
{
	log_msg(LOG_ERR, "journal key %s did not sign the journal's last "
	    "checkpoint (seq %lld): another daemon serves (or served) this "
	    "database with another key, and every daemon of a database signs "
	    "with the same key (or the checkpoint was forged: treasuryd audit "
	    "verify tells). Not starting: copy journal.key (mode 0600) from a "
	    "daemon of this database to %s%s; if every copy of that key is "
	    "lost, stop every daemon of the database, remove the key file "
	    "and start one daemon alone with --new-journal-key",
	    d->cfg.journal_key, (long long)seq, d->cfg.journal_key,
	    d->journal_key->made ? " (the key made at this start is removed)" :
	    "");
	if (d->journal_key->made && unlink(d->cfg.journal_key) != 0)
		log_msg(LOG_ERR, "cannot remove %s: %s", d->cfg.journal_key,
		    strerror(errno));
}

/* The journal's last checkpoint was not signed by the daemon's key. A
 * key made at this start (the file was lost): warned, since nothing can
 * tell its entries from the daemon's then; the auditor needs both public
 * keys. An existing key: refused, since a checkpoint row anyone can
 * insert would otherwise be the anchor the daemon signs on top of.
 * Returns 0, or -1 after logging. */
static int
journal_key_check(const struct daemon *d, const struct journal_tail *t)
{
	const struct checkpoint_record *last = &t->checkpoint;

	if (!t->checkpoint_found || journal_checkpoint_verify(last->signature,
	    d->journal_key->pk, last->seq, last->hash, last->time_s))
		return 0;
	if (!d->cl.new_journal_key &&
	    store_path_is_postgresql(d->cfg.db_path)) {
		journal_other_key(d, last->seq);	/* several daemons */
		return -1;
	}
	if (d->journal_key->made) {
		log_msg(LOG_WARNING, "journal key %s did not sign the journal's "
		    "last checkpoint (seq %lld): the key was replaced; earlier "
		    "checkpoints verify only with the earlier public key (restore "
		    "the key file from the backup if it was lost)",
		    d->cfg.journal_key, (long long)last->seq);
		return 0;
	}
	log_msg(LOG_ERR, "journal key %s did not sign the journal's last "
	    "checkpoint (seq %lld): the checkpoint was forged or edited, or "
	    "the key file is another daemon's. Not starting: run treasuryd "
	    "audit verify --db %s with the public key you trust; restore the "
	    "key file that signed the journal", d->cfg.journal_key,
	    (long long)last->seq, d->cfg.db_path);
	return -1;
}

/* A journal that was never signed, by a key made at this very start:
 * the first start of a database upgraded from before the journal (its
 * events moved in by the schema 8 migration), or with many `treasuryd
 * token` entries made before any start. Nothing was tamper-evident
 * before, and the new public key is new to every auditor, so the first
 * checkpoint signs what is there, and says so. (An existing key, or a
 * journal with a checkpoint, is never excused: see below.) */
static bool
journal_first_signature(const struct daemon *d, const struct journal_tail *t)
{
	if (t->checkpoint_found || !d->journal_key->made)
		return false;
	log_msg(LOG_NOTICE, "journal of %s: %lld entries (seq %lld..%lld) "
	    "were never signed (an upgraded database's events, or tokens made "
	    "before the first start); the new journal key signs them as they "
	    "are in its first checkpoint", d->cfg.db_path,
	    (long long)t->uncovered, (long long)t->bad_seq,
	    (long long)t->last_seq);
	return true;
}

/* Before the daemon signs anything (docs/audit.md 6): the entries after
 * the last checkpoint must be fewer than checkpoint_entries (the writer
 * never leaves more, storage/checkpoint.c) and recompute from its hash,
 * which must be the stored hash at its seq. Otherwise the file was
 * edited (checkpoints deleted, entries rewritten): signing would launder
 * it. Returns 0, or -1 after logging. */
static int
journal_tail_verify(const struct daemon *d, struct store *store)
{
	const char *db = d->cfg.db_path;
	struct journal_tail t;
	long long ck;

	if (store_journal_tail_check(store, d->cfg.checkpoint_entries, &t) !=
	    TREASURY_OK) {
		log_msg(LOG_ERR, "journal: cannot read the entries after the "
		    "last checkpoint of %s", db);
		return -1;
	}
	ck = t.checkpoint_found ? (long long)t.checkpoint.seq : 0;
	switch (t.state) {
	case JOURNAL_TAIL_OK:
		return journal_key_check(d, &t);
	case JOURNAL_TAIL_TOO_LONG:
		if (journal_first_signature(d, &t))
			return 0;
		log_msg(LOG_ERR, "journal of %s: %lld entries (seq %lld..%lld) "
		    "follow the last checkpoint (seq %lld), but the daemon "
		    "leaves fewer than checkpoint_entries (%u): checkpoints were "
		    "deleted, or entries appended outside the daemon. Not "
		    "starting, so as not to sign what may be a rewritten "
		    "journal: run treasuryd audit verify --db %s "
		    "--checkpoint-entries %u with the public key you trust; if "
		    "the journal is intact (checkpoint_entries was lowered, "
		    "or the entries are an upgraded database's or treasuryd "
		    "token's), start once with checkpoint_entries above %lld",
		    db, (long long)t.uncovered, (long long)t.bad_seq,
		    (long long)t.last_seq, ck, d->cfg.checkpoint_entries, db,
		    d->cfg.checkpoint_entries, (long long)t.uncovered);
		return -1;
	case JOURNAL_TAIL_CHECKPOINT_MISMATCH:
		log_msg(LOG_ERR, "journal of %s: the last checkpoint (seq %lld) "
		    "signs a hash that is not the stored hash of its entry (or "
		    "the entry is missing): the journal was edited. Not "
		    "starting: run treasuryd audit verify --db %s with the "
		    "public key you trust, and restore a backup", db, ck, db);
		return -1;
	case JOURNAL_TAIL_BROKEN:
		log_msg(LOG_ERR, "journal of %s: entry %lld after the last "
		    "checkpoint (seq %lld) is missing, malformed, or its stored "
		    "hash does not recompute from the checkpoint's: the journal "
		    "was edited. Not starting: run treasuryd audit verify --db "
		    "%s with the public key you trust, and restore a backup",
		    db, (long long)t.bad_seq, ck, db);
		return -1;
	}
	return -1;
}

/* The journal key (made at the first start), checked against the
 * journal before anything is signed or appended. Returns 0, or -1 after
 * logging. */
static int
journal_key_start(struct daemon *d, struct store *store)
{
	d->journal_key = journal_key_load(d->cfg.journal_key, true);
	if (d->journal_key == NULL)
		return -1;
	return journal_tail_verify(d, store);
}

/* --new-journal-key: no other daemon may serve the database meanwhile
 * (it would go on signing with the old key). Returns true, or false after
 * logging. */
static bool
serving_alone(struct store *store)
{
	treasury_err err;
	bool alone;

	err = store_serving_alone(store, &alone);
	if (err != TREASURY_OK)
		log_msg(LOG_ERR, "--new-journal-key: cannot tell whether other "
		    "daemons serve the database: %s", treasury_err_text(err));
	else if (!alone)
		log_msg(LOG_ERR, "--new-journal-key: other daemons serve this "
		    "database; stop every one of them, start this one alone "
		    "with --new-journal-key, then copy its new journal.key to "
		    "the others and start them");
	return err == TREASURY_OK && alone;
}

/* PostgreSQL: several daemons may serve the database, and all must sign
 * with one key. Under the write lock (store_journal_claim), so that
 * daemons starting together take turns: the first signs what is not
 * covered yet, a later one with another key finds that checkpoint and
 * does not start. Returns 0, or -1 after logging. */
static int
journal_claim(const struct daemon *d, struct store *store)
{
	const struct checkpoint_policy p = {
		.sk = d->journal_key->sk,
		.every_entries = d->cfg.checkpoint_entries,
		.interval_s = d->cfg.checkpoint_interval_s,
	};
	treasury_err err;
	bool other;
	int64_t seq;

	if (!store_path_is_postgresql(d->cfg.db_path))
		return 0;	/* one daemon a file: the lock file */
	if (d->cl.new_journal_key && !serving_alone(store))
		return -1;
	err = store_journal_claim(store, &p, d->journal_key->pk,
	    d->cl.new_journal_key, clock_now_s(), &other, &seq);
	if (d->cl.new_journal_key)
		store_serving_alone_end(store);
	if (err != TREASURY_OK) {
		log_msg(LOG_ERR, "journal: cannot sign the entries at start: "
		    "%s", treasury_err_text(err));
		return -1;
	}
	if (other) {
		journal_other_key(d, seq);
		return -1;
	}
	if (seq > 0)
		log_msg(LOG_INFO, "journal: entries up to seq %lld signed at "
		    "start", (long long)seq);
	return 0;
}

/* The writer's checkpoint policy. Returns 0, or -1 after logging. */
static int
journal_checkpoints_start(struct daemon *d)
{
	char pk_hex[2 * JOURNAL_PUBLIC_KEY_BYTES + 1];
	struct checkpoint_policy p;

	p.sk = d->journal_key->sk;
	p.every_entries = d->cfg.checkpoint_entries;
	p.interval_s = d->cfg.checkpoint_interval_s;
	if (writer_checkpoints_set(d->writer, &p) != TREASURY_OK) {
		log_msg(LOG_ERR, "journal checkpoints: out of memory");
		return -1;
	}
	hex_encode(pk_hex, d->journal_key->pk, JOURNAL_PUBLIC_KEY_BYTES);
	log_msg(LOG_INFO, "journal key %s: public key %s; a checkpoint every "
	    "%u entries or %u s", d->cfg.journal_key, pk_hex,
	    d->cfg.checkpoint_entries, d->cfg.checkpoint_interval_s);
	return 0;
}

/* The webhook delivery thread (docs/webhooks.md), after the writer.
 * Returns 0, or -1 after logging. */
static int
webhooks_start(struct daemon *d)
{
	const struct webhook_delivery_options o = {
		.db_path = d->cfg.db_path,
		.writer = d->writer,
		.hosts = d->cfg.webhook_hosts,
		.retry_base_ms = d->cfg.webhook_retry_base_ms,
		.attempts_max = d->cfg.webhook_attempts_max,
	};

	return webhook_delivery_start(&o, &d->webhooks) == TREASURY_OK ? 0 :
	    -1;
}

static void
api_options_fill(struct api_options *o, const struct daemon *d,
    struct store *store, const treasury_verifier *verifier)
{
	const struct config *cfg = &d->cfg;

	memset(o, 0, sizeof(*o));
	o->listen_addr = (const struct sockaddr *)&d->listener.addr;
	o->listen_addr_len = cfg->listen_addr_len;
	o->use_listen_fd = d->listener.fd >= 0;
	o->listen_fd = d->listener.fd;
	o->db_path = cfg->db_path;
	o->db_file_id = d->db_file_id;
	store_instance_id(store, o->instance);
	store_token_hash_key(store, o->token_hash_key);
	o->verifier = verifier;
	o->writer = d->writer;
	o->journal_key_set = true;
	memcpy(o->journal_public_key, d->journal_key->pk,
	    JOURNAL_PUBLIC_KEY_BYTES);
	o->threads = cfg->threads;
	o->max_connections = cfg->max_connections;
	o->per_ip_connections = cfg->per_ip_connections;
	o->connection_timeout_s = cfg->connection_timeout_s;
	o->connection_memory_bytes = cfg->connection_memory_bytes;
	o->body_max_bytes = cfg->body_max_bytes;
	o->json_depth_max = cfg->json_depth_max;
	o->request_timeout_s = cfg->request_timeout_s;
	o->sse_max_streams = cfg->sse_max_streams;
	o->sse_heartbeat_s = cfg->sse_heartbeat_s;
	o->memory_answers_ms = cfg->memory_answers_ms;
	o->unsafe_test_clock = d->cl.unsafe_test_clock;
	o->webhook_hosts = cfg->webhook_hosts;
	if (cfg->tls_cert[0] != '\0') {
		o->tls_cert_path = cfg->tls_cert;
		o->tls_key_path = cfg->tls_key;
		o->tls_client_ca_path = cfg->tls_client_ca[0] != '\0' ?
		    cfg->tls_client_ca : NULL;
		o->tls_allow_1_2 = cfg->tls_min_version == 12;
	}
}

int
main(int argc, char *argv[])
{
	char errmsg[STORE_ERRMSG_BYTES];
	static struct daemon d;
	struct api_options api_opts;
	struct store *store = NULL;
	treasury_verifier *verifier;
	struct db_lock lock = { .name_fd = -1, .file_fd = -1 };
	sigset_t sigs;
	int rc;

	if ((rc = subcommand_run(argc, argv)) >= 0)
		return rc;
	cmdline_parse(&d.cl, argc, argv);
	if (config_build(&d.cfg, &d.cl) != 0)
		return 1;	/* every error already reported, file:line */
	if (d.cl.check_only) {
		fprintf(stderr, "configuration OK\n");
		return 0;
	}
	log_init(d.cfg.log_level);
	sd_notify_init();
	d.watchdog_usec = sd_watchdog_usec();
	signals_block(&sigs);
	fd_limit_raise(d.cfg.max_connections);
	if (treasury_crypto_init() != TREASURY_OK)
		fatalx("libsodium initialisation failed");
	verifier = treasury_verifier_create();
	if (verifier == NULL)
		fatalx("cannot create the signature verifier");
	if (d.cl.new_journal_key && !store_path_is_postgresql(d.cfg.db_path)) {
		log_msg(LOG_ERR, "--new-journal-key is for a PostgreSQL "
		    "database; on SQLite a daemon started without its journal "
		    "key makes a new one and says so");
		goto fail;
	}
	if (listener_setup(&d.cfg, &d.listener) != 0)
		goto fail;
	if (database_lock(&d.cfg, &lock) != 0)
		goto fail;	/* in use, missing, or -wal without it */
	if (!store_path_is_postgresql(d.cfg.db_path))
		(void)restore_leftovers_remove(d.cfg.db_path);	/* logged */
	if (store_open(d.cfg.db_path, STORE_READ_WRITE_CREATE, &store, errmsg) !=
	    TREASURY_OK) {
		log_msg(LOG_ERR, "%s", errmsg);
		goto fail;
	}
	if (database_verify(&d.cfg, &lock, store) != 0)
		goto fail;	/* another file or instance, or damaged */
	d.db_file_id = lock.id;
	if (journal_key_start(&d, store) != 0)
		goto fail;	/* before anything is appended or signed */
	if (first_run_admin_token(&d.cfg, store) != 0)
		goto fail;
	if (journal_claim(&d, store) != 0)
		goto fail;	/* PostgreSQL: another daemon's key */
	if (writer_start(d.cfg.db_path, verifier, &d.writer, errmsg) !=
	    TREASURY_OK) {
		log_msg(LOG_ERR, "%s", errmsg);
		goto fail;
	}
	if (journal_checkpoints_start(&d) != 0)
		goto fail;
	if (webhooks_start(&d) != 0)
		goto fail;
	api_options_fill(&api_opts, &d, store, verifier);
	if (d.cl.unsafe_test_clock)
		log_msg(LOG_WARNING, "UNSAFE: --unsafe-test-clock lets an admin "
		    "move the clock forward; never use it in production");
	if (api_start(&api_opts, &d.api) != TREASURY_OK)
		goto fail;
	if (store_path_is_postgresql(d.cfg.db_path) &&
	    store_listener_start(d.cfg.db_path, api_events_wake, d.api,
	    &d.listener_pg, errmsg) != TREASURY_OK) {
		log_msg(LOG_ERR, "%s", errmsg);
		api_stop(d.api, 0);
		goto fail;
	}
	log_msg(LOG_NOTICE, "treasuryd %s serving %s on %s, database %s",
	    TREASURYD_VERSION, d.cfg.tls_cert[0] != '\0' ? "HTTPS" : "HTTP",
	    d.listener.text, db_shown(&d.cfg));
	status_send(&d, "READY=1\n");	/* database open, listener serving */
	d.last_ping_ms = 0;
	event_loop(&d, &sigs);
	sd_notify_sendf("STOPPING=1\nSTATUS=stopping: draining %u requests "
	    "in flight (at most %u s)", api_requests_in_flight(),
	    d.cfg.shutdown_timeout_s);
	webhook_delivery_stop(d.webhooks);	/* an attempt in flight stays pending */
	store_listener_stop(d.listener_pg);	/* before the streams it wakes */
	api_stop(d.api, d.cfg.shutdown_timeout_s); /* drain in-flight requests */
	writer_stop(d.writer);			/* last group committed */
	journal_key_free(d.journal_key);
	store_close(store);
	treasury_verifier_destroy(verifier);
	db_lock_close(&lock);		/* after every connection is closed */
	log_msg(LOG_NOTICE, "stopped cleanly");
	return 0;
fail:
	webhook_delivery_stop(d.webhooks);
	if (d.writer != NULL)
		writer_stop(d.writer);
	journal_key_free(d.journal_key);
	store_close(store);
	treasury_verifier_destroy(verifier);
	db_lock_close(&lock);
	return 1;
}
