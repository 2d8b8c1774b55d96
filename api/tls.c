/*
 * tls.c: HTTPS for the API, GnuTLS through libmicrohttpd
 * (docs/configuration.md "TLS", docs/operations.md "Remote signers").
 *
 * The certificate chain and private key are read from files
 * (tls_file_read: no symbolic link, a regular file, at most
 * TLS_FILE_MAX_BYTES; the key must give group and others no permission)
 * and parsed into a pair that the GnuTLS certificate callback hands to
 * every new handshake. On SIGHUP (api_tls_reload) the files are read
 * again and the new pair replaces the current one for new connections,
 * without restarting the listener; a pair that fails to read, to parse
 * or whose key does not match its certificate leaves the running pair in
 * place and is logged at LOG_ERR. A replaced pair may still be in use by
 * a handshake that began before the swap, so it is kept for
 * TLS_RETIRED_GRACE_S before it is freed (at most TLS_RETIRED_MAX pairs
 * wait so; a reload beyond that is refused until older ones are freed).
 *
 * Protocols: TLS 1.3, and TLS 1.2 too when tls_allow_1_2. Client
 * certificates: with tls_client_ca, every handshake asks for one (it is
 * optional); tls_client_cert_sha256 gives the SHA-256 of a certificate
 * that verified against that CA, which auth.c compares with the one a
 * token is bound to. No key material is ever logged.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <sodium.h>

#include "treasury/clock.h"
#include "treasury/log.h"

#include "internal.h"

enum {
	TLS_FILE_MAX_BYTES = 256 * 1024,	/* a PEM chain, key or CA */
	TLS_CHAIN_MAX = 16,			/* certificates in the chain */
	TLS_RETIRED_GRACE_S = 900,		/* a replaced pair lives on */
	TLS_RETIRED_MAX = 64,			/* replaced pairs waiting */
	TLS_KEY_ID_MAX_BYTES = 64,
};

static const char tls_priorities_1_3[] = "NORMAL:-VERS-ALL:+VERS-TLS1.3";
/* TLS 1.2 without the RSA key exchange: forward secrecy, and the key is
 * used only in the server's first flight (see tls_retired_sweep). */
static const char tls_priorities_1_2[] =
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-RSA";

/* A certificate chain and its private key, as served. */
struct tls_pair {
	gnutls_pcert_st pcert[TLS_CHAIN_MAX];
	unsigned count;			/* certificates in pcert */
	gnutls_privkey_t key;
	uint64_t retired_ms;		/* clock_mono_ms when replaced */
	struct tls_pair *next;		/* in tls_retired */
};

struct tls_ctx {
	const char *cert_path;		/* srv->opts' strings, kept by api */
	const char *key_path;
	char *client_ca;		/* PEM text for MHD, or NULL */
};

/* The certificate callback has no closure: the pair lives here. One
 * TLS server per process (asserted in tls_start). */
static pthread_mutex_t tls_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tls_pair *tls_current;	/* served to new handshakes */
static struct tls_pair *tls_retired;	/* newest first */
static unsigned tls_retired_count;

/* Read a whole PEM file into *out (malloc'd, NUL-terminated, *len bytes).
 * secret: a private key, refused when group or others have any
 * permission on it, and wiped by the caller (tls_text_free). Returns
 * TREASURY_OK or TREASURY_ERR_CONFIG after logging why. */
static treasury_err
tls_file_read(const char *what, const char *path, bool secret, char **out,
    size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		log_msg(LOG_ERR, "TLS %s %s: %s%s", what, path, strerror(errno),
		    errno == ELOOP ? " (a symbolic link: give the file's real "
		    "path)" : "");
		return TREASURY_ERR_CONFIG;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		log_msg(LOG_ERR, "TLS %s %s: not a regular file", what, path);
		goto fail;
	}
	if (secret && (st.st_mode & 077) != 0) {
		log_msg(LOG_ERR, "TLS %s %s: group or others may access it "
		    "(mode %03o); refusing a private key that is not private: "
		    "chmod 600 %s", what, path, (unsigned)(st.st_mode & 0777),
		    path);
		goto fail;
	}
	if (st.st_size <= 0 || st.st_size > TLS_FILE_MAX_BYTES) {
		log_msg(LOG_ERR, "TLS %s %s: empty or larger than %d bytes", what,
		    path, TLS_FILE_MAX_BYTES);
		goto fail;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		log_msg(LOG_ERR, "TLS %s %s: out of memory", what, path);
		goto fail;
	}
	while (got < (size_t)st.st_size &&
	    (n = read(fd, buf + got, (size_t)st.st_size - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_msg(LOG_ERR, "TLS %s %s: %s", what, path,
			    strerror(errno));
			goto fail;
		}
		got += (size_t)n;
	}
	buf[got] = '\0';
	if (strlen(buf) != got) {
		log_msg(LOG_ERR, "TLS %s %s: holds a NUL byte (not PEM)", what,
		    path);
		goto fail;
	}
	close(fd);
	*out = buf;
	*len = got;
	return TREASURY_OK;
fail:
	if (buf != NULL)
		sodium_memzero(buf, (size_t)st.st_size + 1);
	free(buf);
	close(fd);
	return TREASURY_ERR_CONFIG;
}

static void
tls_text_free(char *text, size_t len)
{
	if (text != NULL)
		sodium_memzero(text, len);
	free(text);
}

static void
tls_pair_free(struct tls_pair *p)
{
	if (p == NULL)
		return;
	for (unsigned i = 0; i < p->count; i++)
		gnutls_pcert_deinit(&p->pcert[i]);
	if (p->key != NULL)
		gnutls_privkey_deinit(p->key);
	free(p);
}

/* Whether the private key is the one the first certificate names. */
static bool
tls_key_matches(struct tls_pair *p)
{
	unsigned char a[TLS_KEY_ID_MAX_BYTES], b[TLS_KEY_ID_MAX_BYTES];
	size_t a_len = sizeof(a), b_len = sizeof(b);
	gnutls_pubkey_t pub = NULL;
	bool same = false;

	if (gnutls_pubkey_init(&pub) != 0)
		return false;
	if (gnutls_pubkey_import_privkey(pub, p->key, 0, 0) == 0 &&
	    gnutls_pubkey_get_key_id(pub, GNUTLS_KEYID_USE_SHA256, a,
	    &a_len) == 0 &&
	    gnutls_pubkey_get_key_id(p->pcert[0].pubkey,
	    GNUTLS_KEYID_USE_SHA256, b, &b_len) == 0)
		same = a_len == b_len && memcmp(a, b, a_len) == 0;
	gnutls_pubkey_deinit(pub);
	return same;
}

/* Log which certificate is served and when it expires (a warning when
 * it has expired: clients that check dates will refuse it). */
static void
tls_pair_describe(const struct tls_pair *p, const char *path)
{
	gnutls_x509_crt_t crt = NULL;
	time_t expires;
	struct tm tm;
	char when[32] = "?";
	bool expired;

	if (gnutls_pcert_export_x509((gnutls_pcert_st *)&p->pcert[0], &crt) != 0)
		return;
	expires = gnutls_x509_crt_get_expiration_time(crt);
	gnutls_x509_crt_deinit(crt);
	if (expires != (time_t)-1 && gmtime_r(&expires, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	expired = expires != (time_t)-1 && expires < clock_wall_s();
	log_msg(expired ? LOG_WARNING : LOG_NOTICE, "TLS: serving the "
	    "certificate of %s (%u in the chain), %s %s", path, p->count,
	    expired ? "EXPIRED on" : "expires", when);
}

/* Read and parse the certificate chain and key files into a new pair.
 * Returns TREASURY_OK with *out, or TREASURY_ERR_CONFIG after logging. */
static treasury_err
tls_pair_load(const struct tls_ctx *t, struct tls_pair **out)
{
	char *cert = NULL, *key = NULL;
	size_t cert_len = 0, key_len = 0;
	struct tls_pair *p = NULL;
	gnutls_datum_t d;
	unsigned n = TLS_CHAIN_MAX;
	int rc;

	if (tls_file_read("certificate", t->cert_path, false, &cert,
	    &cert_len) != TREASURY_OK ||
	    tls_file_read("key", t->key_path, true, &key, &key_len) !=
	    TREASURY_OK)
		goto fail;
	p = calloc(1, sizeof(*p));
	if (p == NULL || gnutls_privkey_init(&p->key) != 0) {
		log_msg(LOG_ERR, "TLS: out of memory");
		goto fail;
	}
	d = (gnutls_datum_t){ (unsigned char *)cert, (unsigned)cert_len };
	rc = gnutls_pcert_list_import_x509_raw(p->pcert, &n, &d,
	    GNUTLS_X509_FMT_PEM, GNUTLS_X509_CRT_LIST_FAIL_IF_UNSORTED);
	if (rc < 0 || n == 0) {
		log_msg(LOG_ERR, "TLS certificate %s: %s (expected PEM, the "
		    "server's certificate first, at most %d)", t->cert_path,
		    rc < 0 ? gnutls_strerror(rc) : "no certificate",
		    TLS_CHAIN_MAX);
		goto fail;
	}
	p->count = n;
	d = (gnutls_datum_t){ (unsigned char *)key, (unsigned)key_len };
	rc = gnutls_privkey_import_x509_raw(p->key, &d, GNUTLS_X509_FMT_PEM,
	    NULL, 0);
	if (rc < 0) {
		/* gnutls_strerror names the failure, never the key */
		log_msg(LOG_ERR, "TLS key %s: %s (expected an unencrypted PEM "
		    "private key)", t->key_path, gnutls_strerror(rc));
		goto fail;
	}
	if (!tls_key_matches(p)) {
		log_msg(LOG_ERR, "TLS key %s does not belong to the certificate "
		    "in %s", t->key_path, t->cert_path);
		goto fail;
	}
	tls_text_free(cert, cert_len);
	tls_text_free(key, key_len);
	*out = p;
	return TREASURY_OK;
fail:
	tls_pair_free(p);
	tls_text_free(cert, cert_len);
	tls_text_free(key, key_len);
	return TREASURY_ERR_CONFIG;
}

/* gnutls_certificate_retrieve_function2: the current pair, for every
 * handshake. */
static int
tls_cert_retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_dn,
    int nreqs, const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
    gnutls_pcert_st **pcert, unsigned int *pcert_length,
    gnutls_privkey_t *privkey)
{
	struct tls_pair *p;

	(void)session;
	(void)req_ca_dn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;
	pthread_mutex_lock(&tls_lock);
	p = tls_current;
	if (p != NULL) {
		*pcert = p->pcert;
		*pcert_length = p->count;
		*privkey = p->key;
	}
	pthread_mutex_unlock(&tls_lock);
	return p != NULL ? 0 : -1;
}

/* The client CA file, checked to hold at least one certificate. */
static treasury_err
tls_client_ca_load(const char *path, char **out)
{
	gnutls_x509_crt_t *crts = NULL;
	unsigned n = 0;
	gnutls_datum_t d;
	size_t len;
	char *text;
	int rc;

	if (tls_file_read("client CA", path, false, &text, &len) != TREASURY_OK)
		return TREASURY_ERR_CONFIG;
	d = (gnutls_datum_t){ (unsigned char *)text, (unsigned)len };
	rc = gnutls_x509_crt_list_import2(&crts, &n, &d, GNUTLS_X509_FMT_PEM,
	    0);
	for (unsigned i = 0; rc >= 0 && i < n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
	if (rc < 0 || n == 0) {
		log_msg(LOG_ERR, "TLS client CA %s: %s (expected PEM "
		    "certificates)", path, rc < 0 ? gnutls_strerror(rc) :
		    "no certificate");
		free(text);
		return TREASURY_ERR_CONFIG;
	}
	*out = text;
	return TREASURY_OK;
}

treasury_err
tls_start(struct api_server *srv, struct MHD_OptionItem items[TLS_MHD_OPTIONS],
    unsigned *flags)
{
	const struct api_options *o = &srv->opts;
	struct tls_ctx *t;
	struct tls_pair *p;
	size_t i = 0;

	for (size_t k = 0; k < TLS_MHD_OPTIONS; k++)
		items[k] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	if (o->tls_cert_path == NULL)
		return TREASURY_OK;
	assert(o->tls_key_path != NULL);
	pthread_mutex_lock(&tls_lock);
	assert(tls_current == NULL);	/* one TLS server per process */
	pthread_mutex_unlock(&tls_lock);
	if (gnutls_check_version("3.6.5") == NULL) {
		log_msg(LOG_ERR, "TLS needs GnuTLS 3.6.5 or later (TLS 1.3)");
		return TREASURY_ERR_CONFIG;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return TREASURY_ERR_NOMEM;
	t->cert_path = o->tls_cert_path;
	t->key_path = o->tls_key_path;
	if (tls_pair_load(t, &p) != TREASURY_OK)
		goto fail;
	if (o->tls_client_ca_path != NULL &&
	    tls_client_ca_load(o->tls_client_ca_path, &t->client_ca) !=
	    TREASURY_OK) {
		tls_pair_free(p);
		goto fail;
	}
	tls_pair_describe(p, t->cert_path);
	pthread_mutex_lock(&tls_lock);
	tls_current = p;
	pthread_mutex_unlock(&tls_lock);
	srv->tls = t;
	*flags |= MHD_USE_TLS;
	items[i++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0,
	    (void *)(o->tls_allow_1_2 ? tls_priorities_1_2 :
	    tls_priorities_1_3) };
	items[i++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_CERT_CALLBACK, 0,
	    (void *)(uintptr_t)tls_cert_retrieve };
	if (t->client_ca != NULL)
		items[i++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST,
		    0, t->client_ca };
	assert(i < TLS_MHD_OPTIONS);	/* the last stays MHD_OPTION_END */
	return TREASURY_OK;
fail:
	free(t);
	return TREASURY_ERR_CONFIG;
}

/* Free the retired pairs older than the grace period (all when all).
 * GnuTLS uses a pair from the certificate callback to the end of the
 * server's first flight (its signature there; no RSA key exchange), which
 * the connection timeout bounds well within the grace period; after that
 * the session only holds the pointers, never dereferenced again. */
static void
tls_retired_sweep(bool all)
{
	uint64_t now = clock_mono_ms();
	struct tls_pair **pp = &tls_retired, *p;

	while ((p = *pp) != NULL) {
		if (all || now - p->retired_ms > TLS_RETIRED_GRACE_S * 1000ULL) {
			*pp = p->next;
			tls_pair_free(p);
			tls_retired_count--;
		} else {
			pp = &p->next;
		}
	}
}

treasury_err
api_tls_reload(struct api_server *srv)
{
	struct tls_pair *p, *old;

	if (srv == NULL || srv->tls == NULL)
		return TREASURY_OK;
	if (tls_pair_load(srv->tls, &p) != TREASURY_OK) {
		log_msg(LOG_ERR, "reload: TLS certificate and key not replaced; "
		    "new connections keep getting the running pair");
		return TREASURY_ERR_CONFIG;
	}
	pthread_mutex_lock(&tls_lock);
	tls_retired_sweep(false);
	if (tls_retired_count >= TLS_RETIRED_MAX) {
		pthread_mutex_unlock(&tls_lock);
		tls_pair_free(p);
		log_msg(LOG_ERR, "reload: TLS certificate not replaced: %d "
		    "replaced pairs are still within their %d s grace; try "
		    "again later", TLS_RETIRED_MAX, TLS_RETIRED_GRACE_S);
		return TREASURY_ERR_CONFIG;
	}
	old = tls_current;
	old->retired_ms = clock_mono_ms();
	old->next = tls_retired;
	tls_retired = old;
	tls_retired_count++;
	tls_current = p;
	pthread_mutex_unlock(&tls_lock);
	log_msg(LOG_NOTICE, "reload: TLS certificate and key replaced for new "
	    "connections");
	tls_pair_describe(p, srv->tls->cert_path);
	return TREASURY_OK;
}

void
tls_stop(struct api_server *srv)
{
	if (srv->tls == NULL)
		return;
	pthread_mutex_lock(&tls_lock);
	tls_retired_sweep(true);
	tls_pair_free(tls_current);
	tls_current = NULL;
	pthread_mutex_unlock(&tls_lock);
	free(srv->tls->client_ca);
	free(srv->tls);
	srv->tls = NULL;
}

bool
tls_client_cert_sha256(struct MHD_Connection *conn,
    uint8_t out[CLIENT_CERT_SHA256_BYTES])
{
	const union MHD_ConnectionInfo *ci;
	const gnutls_datum_t *certs;
	gnutls_session_t session;
	unsigned status = 0, n = 0;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci == NULL || ci->tls_session == NULL)
		return false;		/* not a TLS connection */
	session = (gnutls_session_t)ci->tls_session;
	/* against tls_client_ca (MHD_OPTION_HTTPS_MEM_TRUST), dates too */
	if (gnutls_certificate_verify_peers2(session, &status) != 0 ||
	    status != 0)
		return false;
	certs = gnutls_certificate_get_peers(session, &n);
	if (certs == NULL || n == 0)
		return false;
	crypto_hash_sha256(out, certs[0].data, certs[0].size);
	return true;
}
