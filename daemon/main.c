/*
 * main.c: treasuryd's entry point. Reads like a table of contents:
 * options and config, logging, database, first-run token, writer, HTTP,
 * then wait for a signal and shut down in the reverse order.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "treasury/api.h"
#include "treasury/crypto_init.h"
#include "treasury/engine.h"
#include "treasury/log.h"
#include "treasury/sig.h"
#include "treasury/storage.h"

#include "config.h"
#include "daemon.h"

struct cmdline {
	const char *config_path;
	bool check_only;
	bool unsafe_test_clock;		/* tests only; see api/clock.c */
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: treasuryd [--config FILE] [--db PATH] [--listen ADDR:PORT]\n"
	    "                 [--log-level LEVEL] [--check-config]\n"
	    "                 [--unsafe-test-clock]   (tests only, never in production)\n"
	    "       treasuryd token create|list|revoke ... (see treasuryd token)\n"
	    "       treasuryd --help | --version\n");
}

static const struct option longopts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "db", required_argument, NULL, 'd' },
	{ "listen", required_argument, NULL, 'l' },
	{ "log-level", required_argument, NULL, 'L' },
	{ "check-config", no_argument, NULL, 'n' },
	{ "unsafe-test-clock", no_argument, NULL, 'T' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* Parse the command line: the config file first, then the options that
 * override it. Returns the number of errors (each already logged). */
static int
options_parse(struct config *cfg, struct cmdline *cl, int argc, char *argv[])
{
	int ch, errors = 0;

	while ((ch = getopt_long(argc, argv, "n", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': cl->config_path = optarg; break;
		case 'n': cl->check_only = true; break;
		case 'T': cl->unsafe_test_clock = true; break;
		case 'h': usage(); config_print_options(); exit(0);
		case 'V': printf("treasuryd %s\n", TREASURYD_VERSION); exit(0);
		case 'd': case 'l': case 'L': break;
		default: usage(); exit(2);
		}
	}
	if (optind != argc) {
		usage();
		exit(2);
	}
	if (cl->config_path != NULL)
		errors += config_load_file(cfg, cl->config_path);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "n", longopts, NULL)) != -1) {
		const char *name = ch == 'd' ? "db" : ch == 'l' ? "listen" :
		    ch == 'L' ? "log_level" : NULL;
		if (name != NULL && config_set(cfg, name, optarg,
		    "command line") != 0)
			errors++;
	}
	if (errors == 0 && config_finish(cfg) != 0)
		errors++;
	return errors;
}

static void
signals_block(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	/* Blocked here so every thread made later inherits the mask and
	 * only the main thread's sigwait sees them. */
	if (pthread_sigmask(SIG_BLOCK, set, NULL) != 0)
		fatalx("pthread_sigmask failed");
	signal(SIGPIPE, SIG_IGN);
}

/* Wait for SIGTERM or SIGINT; SIGHUP is reported and ignored for now. */
static void
signals_wait(const sigset_t *set)
{
	int sig;

	for (;;) {
		if (sigwait(set, &sig) != 0)
			fatalx("sigwait failed");
		if (sig == SIGHUP) {
			log_msg(LOG_NOTICE, "SIGHUP: live reload is not supported "
			    "yet; restart to apply configuration changes");
			continue;
		}
		log_msg(LOG_NOTICE, "%s: shutting down",
		    sig == SIGTERM ? "SIGTERM" : "SIGINT");
		return;
	}
}

static void
api_options_fill(struct api_options *o, const struct config *cfg,
    struct store *store, const treasury_verifier *verifier,
    struct writer *writer)
{
	memset(o, 0, sizeof(*o));
	o->listen_addr = (const struct sockaddr *)&cfg->listen_addr;
	o->listen_addr_len = cfg->listen_addr_len;
	o->db_path = cfg->db_path;
	store_instance_id(store, o->instance);
	store_token_hash_key(store, o->token_hash_key);
	o->verifier = verifier;
	o->writer = writer;
	o->threads = cfg->threads;
	o->max_connections = cfg->max_connections;
	o->per_ip_connections = cfg->per_ip_connections;
	o->connection_timeout_s = cfg->connection_timeout_s;
	o->connection_memory_bytes = cfg->connection_memory_bytes;
	o->body_max_bytes = cfg->body_max_bytes;
}

int
main(int argc, char *argv[])
{
	char errmsg[STORE_ERRMSG_BYTES];
	struct config cfg;
	struct cmdline cl = { 0 };
	struct api_options api_opts;
	struct api_server *api = NULL;
	struct store *store = NULL;
	struct writer *writer = NULL;
	treasury_verifier *verifier;
	sigset_t sigs;

	if (argc >= 2 && strcmp(argv[1], "token") == 0)
		return token_command(argc - 1, argv + 1);
	config_defaults(&cfg);
	if (options_parse(&cfg, &cl, argc, argv) != 0)
		return 1;	/* every error already reported, file:line */
	if (cl.check_only) {
		fprintf(stderr, "configuration OK\n");
		return 0;
	}
	log_init(cfg.log_level);
	signals_block(&sigs);
	if (treasury_crypto_init() != TREASURY_OK)
		fatalx("libsodium initialisation failed");
	verifier = treasury_verifier_create();
	if (verifier == NULL)
		fatalx("cannot create the signature verifier");
	if (store_open(cfg.db_path, STORE_READ_WRITE_CREATE, &store, errmsg) !=
	    TREASURY_OK) {
		log_msg(LOG_ERR, "%s", errmsg);
		goto fail;
	}
	if (first_run_admin_token(&cfg, store) != 0)
		goto fail;
	if (writer_start(cfg.db_path, verifier, &writer, errmsg) !=
	    TREASURY_OK) {
		log_msg(LOG_ERR, "%s", errmsg);
		goto fail;
	}
	api_options_fill(&api_opts, &cfg, store, verifier, writer);
	api_opts.unsafe_test_clock = cl.unsafe_test_clock;
	if (cl.unsafe_test_clock)
		log_msg(LOG_WARNING, "UNSAFE: --unsafe-test-clock lets an admin "
		    "move the clock forward; never use it in production");
	if (api_start(&api_opts, &api) != TREASURY_OK)
		goto fail;
	log_msg(LOG_NOTICE, "treasuryd %s serving on %s, database %s",
	    TREASURYD_VERSION, cfg.listen, cfg.db_path);
	signals_wait(&sigs);
	api_stop(api, cfg.shutdown_timeout_s);	/* drain in-flight requests */
	writer_stop(writer);			/* last group committed */
	store_close(store);
	treasury_verifier_destroy(verifier);
	log_msg(LOG_NOTICE, "stopped cleanly");
	return 0;
fail:
	if (writer != NULL)
		writer_stop(writer);
	store_close(store);
	treasury_verifier_destroy(verifier);
	return 1;
}
