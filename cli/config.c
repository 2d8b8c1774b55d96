/*
 * config.c: where treasuryctl finds its server, token and keystore.
 *
 * Precedence: command-line flags, then environment variables, then the
 * config file (--config, TREASURYCTL_CONFIG, $XDG_CONFIG_HOME/treasuryctl/
 * config or ~/.config/treasuryctl/config). The file holds "key = value"
 * lines ('#' starts a comment), read by base's kvfile.h; keys: url,
 * token_file, keystore, signer, and for https cacert, pin, client_cert,
 * client_key (tls_resolve).
 * Every error in it is reported with file:line. The token itself is never
 * taken from the command line: only from a file (mode 0600 or stricter) or
 * from TREASURYCTL_TOKEN.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "treasury/kvfile.h"

#include "ctl.h"

#define DEFAULT_URL "http://127.0.0.1:8420"

enum { CONFIG_MAX_BYTES = 64 * 1024 };

struct file_config {
	char url[URL_MAX_BYTES];
	char token_file[PATH_MAX_BYTES];
	char keystore[PATH_MAX_BYTES];
	char signer[SIGNER_NAME_MAX_BYTES + 1];
	char cacert[PATH_MAX_BYTES];
	char pin[PIN_MAX_BYTES];
	char client_cert[PATH_MAX_BYTES];
	char client_key[PATH_MAX_BYTES];
};

/* Open path for reading without following a final symbolic link and
 * without blocking (a FIFO must not hang us). Returns the fd or -1
 * (message printed). */
static int
file_open_nofollow(const char *path)
{
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	if (errno == ELOOP)
		ctl_err("%s: is a symbolic link; give the file's real path",
		    path);
	else
		ctl_err("%s: %s", path, strerror(errno));
	return -1;
}

/* Refuse what is not a regular file and, when private, a file that is not
 * the effective user's or that group or others may access. Returns an
 * exit code (message printed). */
static int
file_check(const char *path, const struct stat *st, bool private)
{
	if (!S_ISREG(st->st_mode)) {
		ctl_err("%s: not a regular file", path);
		return CTL_ERROR;
	}
	if (!private)
		return CTL_OK;
	if (st->st_uid != geteuid()) {
		ctl_err("%s: owned by uid %u, not you (uid %u); use your own "
		    "file", path, (unsigned)st->st_uid, (unsigned)geteuid());
		return CTL_ERROR;
	}
	if ((st->st_mode & 077) != 0) {
		ctl_err("%s: readable or writable by others (mode %03o); "
		    "chmod 600 %s", path, (unsigned)(st->st_mode & 0777), path);
		return CTL_ERROR;
	}
	return CTL_OK;
}

int
file_read_all(const char *path, size_t max_bytes, bool private, char **out,
    size_t *out_len)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, rc = CTL_ERROR;

	fd = file_open_nofollow(path);
	if (fd < 0)
		return CTL_ERROR;
	if (fstat(fd, &st) != 0) {
		ctl_err("%s: %s", path, strerror(errno));
		goto done;
	}
	if (file_check(path, &st, private) != CTL_OK)
		goto done;
	if ((size_t)st.st_size > max_bytes) {
		ctl_err("%s: larger than %zu bytes", path, max_bytes);
		goto done;
	}
	/* a regular file: reads never block, clear O_NONBLOCK all the same */
	if (fcntl(fd, F_SETFL, 0) != 0) {
		ctl_err("%s: %s", path, strerror(errno));
		goto done;
	}
	buf = malloc(max_bytes + 1);
	if (buf == NULL) {
		ctl_err("out of memory");
		goto done;
	}
	while (len < max_bytes && (n = read(fd, buf + len, max_bytes - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ctl_err("%s: %s", path, strerror(errno));
			goto done;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	buf = NULL;
	rc = CTL_OK;
done:
	if (buf != NULL)
		sodium_memzero(buf, len);	/* part of a private file */
	free(buf);
	close(fd);
	return rc;
}

/* Make the missing parent directories of path, mode 0700. Returns 0/-1. */
static int
dirs_make(const char *path)
{
	char dir[PATH_MAX_BYTES];
	size_t i;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -1;
	for (i = 1; dir[i] != '\0'; i++) {
		if (dir[i] != '/')
			continue;
		dir[i] = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			return -1;
		dir[i] = '/';
	}
	return 0;
}

/* fsync the directory that holds path, so that a rename or link in it is
 * durable. Returns 0/-1. */
static int
dir_sync(const char *path)
{
	char dir[PATH_MAX_BYTES];
	char *slash;
	int fd, r;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -1;
	slash = strrchr(dir, '/');
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

int
file_write_private(const char *path, const char *text, size_t len,
    bool replace)
{
	char tmp[PATH_MAX_BYTES + 8];
	size_t done = 0;
	ssize_t n;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.new", path) >= (int)sizeof(tmp)) {
		ctl_err("%s: path too long", path);
		return CTL_USAGE;
	}
	if (dirs_make(path) != 0) {
		ctl_err("%s: cannot create its directory: %s", path,
		    strerror(errno));
		return CTL_ERROR;
	}
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0) {
		ctl_err("%s: %s", tmp, strerror(errno));
		return CTL_ERROR;
	}
	while (done < len) {
		n = write(fd, text + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	if (done != len || fsync(fd) != 0) {
		ctl_err("%s: cannot write: %s", tmp, strerror(errno));
		close(fd);
		(void)unlink(tmp);
		return CTL_ERROR;
	}
	close(fd);
	if ((replace ? rename(tmp, path) : link(tmp, path)) != 0) {
		ctl_err("%s: %s%s", path, strerror(errno), errno == EEXIST ?
		    " (use --force to replace it)" : "");
		(void)unlink(tmp);
		return CTL_ERROR;
	}
	if (!replace)
		(void)unlink(tmp);
	if (dir_sync(path) != 0) {
		ctl_err("%s: cannot sync its directory: %s", path,
		    strerror(errno));
		return CTL_ERROR;
	}
	return CTL_OK;
}

/* Copy src into dst[size]; -1 if it does not fit. */
static int
copy_str(char *dst, size_t size, const char *src)
{
	int n = snprintf(dst, size, "%s", src);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* One "key = value" of the file (kvfile_set_fn). Returns 0 or -1
 * (message printed). */
static int
config_set(void *ctx, const char *where, const char *key, const char *value)
{
	struct file_config *fc = ctx;
	int r;

	if (strcmp(key, "url") == 0)
		r = copy_str(fc->url, sizeof(fc->url), value);
	else if (strcmp(key, "token_file") == 0)
		r = copy_str(fc->token_file, sizeof(fc->token_file), value);
	else if (strcmp(key, "keystore") == 0)
		r = copy_str(fc->keystore, sizeof(fc->keystore), value);
	else if (strcmp(key, "signer") == 0)
		r = signer_name_check(value, strlen(value)) == TREASURY_OK ?
		    copy_str(fc->signer, sizeof(fc->signer), value) : -1;
	else if (strcmp(key, "cacert") == 0)
		r = copy_str(fc->cacert, sizeof(fc->cacert), value);
	else if (strcmp(key, "pin") == 0)
		r = copy_str(fc->pin, sizeof(fc->pin), value);
	else if (strcmp(key, "client_cert") == 0)
		r = copy_str(fc->client_cert, sizeof(fc->client_cert), value);
	else if (strcmp(key, "client_key") == 0)
		r = copy_str(fc->client_key, sizeof(fc->client_key), value);
	else {
		ctl_err("%s: unknown key '%s' (url, token_file, keystore, "
		    "signer, cacert, pin, client_cert, client_key)", where, key);
		return -1;
	}
	if (r != 0)
		ctl_err("%s: invalid value for '%s'", where, key);
	return r;
}

/* The reader's own errors (kvfile_report_fn), printed like the others. */
static void
config_report(void *ctx, const char *msg)
{
	(void)ctx;
	ctl_err("%s", msg);
}

/* Apply the file's text (NUL-free, len bytes); every error is printed. */
static int
config_file_parse(struct file_config *fc, const char *path, char *text,
    size_t len)
{
	const struct kvfile kv = {
		.path = path,
		.syntax = "key = value",
		.line_max_bytes = 0,	/* the file's cap is the limit */
		.set = config_set,
		.report = config_report,
		.ctx = fc,
	};

	return kvfile_parse(&kv, text, len) == 0 ? CTL_OK : CTL_USAGE;
}

/* The config file path: explicit (must exist) or default (may not). */
static int
config_path(struct ctl *c, char *out, size_t size, bool *explicit)
{
	const char *p = c->o.config_path;

	if (p == NULL)
		p = getenv("TREASURYCTL_CONFIG");
	*explicit = p != NULL;
	if (p != NULL)
		return copy_str(out, size, p);
	return user_config_path(out, size, "TREASURYCTL_CONFIG", "config");
}

static int
config_file_load(struct ctl *c, struct file_config *fc)
{
	char path[PATH_MAX_BYTES], *text = NULL;
	struct stat st;
	size_t len;
	bool explicit;
	int rc;

	memset(fc, 0, sizeof(*fc));
	if (config_path(c, path, sizeof(path), &explicit) != 0)
		return explicit ? CTL_USAGE : CTL_OK;
	if (!explicit && lstat(path, &st) != 0 && (errno == ENOENT ||
	    errno == ENOTDIR))
		return CTL_OK;
	rc = file_read_all(path, CONFIG_MAX_BYTES, true, &text, &len);
	if (rc != CTL_OK)
		return CTL_USAGE;
	if (strlen(text) != len) {
		ctl_err("%s: contains a NUL byte", path);
		rc = CTL_USAGE;
	} else
		rc = config_file_parse(fc, path, text, len);
	free(text);
	return rc;
}

static const char *
first_of(const char *flag, const char *env_name, const char *file_value)
{
	const char *env = getenv(env_name);

	if (flag != NULL)
		return flag;
	if (env != NULL && *env != '\0')
		return env;
	if (file_value != NULL && *file_value != '\0')
		return file_value;
	return NULL;
}

/* One "sha256//" followed by the base64 of 32 bytes (44 characters,
 * the last '='), as curl's CURLOPT_PINNEDPUBLICKEY takes it. */
static bool
pin_one_valid(const char *p, size_t len)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/";

	if (len != 8 + 44 || strncmp(p, "sha256//", 8) != 0 || p[len - 1] != '=')
		return false;
	for (size_t i = 8; i < len - 1; i++)
		if (p[i] == '\0' || strchr(b64, p[i]) == NULL)
			return false;
	return true;
}

/* A --pin value: one pin or several joined by ';' (any may match: for a
 * key rollover). */
static bool
pin_valid(const char *pin)
{
	const char *p = pin, *semi;

	do {
		semi = strchr(p, ';');
		if (!pin_one_valid(p, semi != NULL ? (size_t)(semi - p) :
		    strlen(p)))
			return false;
		p = semi + 1;
	} while (semi != NULL);
	return true;
}

/* Read the https files and check the pin: flags, then environment, then
 * the config file. Any of them with an http:// URL is a usage error (it
 * would protect nothing). Returns an exit code (message printed). */
static int
tls_resolve(struct ctl *c, const struct file_config *fc)
{
	const char *cacert = first_of(c->o.cacert, "TREASURYCTL_CACERT",
	    fc->cacert);
	const char *pin = first_of(c->o.pin, "TREASURYCTL_PIN", fc->pin);
	const char *cert = first_of(c->o.client_cert,
	    "TREASURYCTL_CLIENT_CERT", fc->client_cert);
	const char *key = first_of(c->o.client_key, "TREASURYCTL_CLIENT_KEY",
	    fc->client_key);

	if (cacert == NULL && pin == NULL && cert == NULL && key == NULL)
		return CTL_OK;
	if (strncmp(c->url, "https://", 8) != 0) {
		ctl_err("--cacert, --pin, --client-cert and --client-key need an "
		    "https:// server URL (the URL is %s)", c->url);
		return CTL_USAGE;
	}
	if ((cert == NULL) != (key == NULL)) {
		ctl_err("--client-cert and --client-key go together");
		return CTL_USAGE;
	}
	if (pin != NULL && (copy_str(c->pin, sizeof(c->pin), pin) != 0 ||
	    !pin_valid(pin))) {
		ctl_err("--pin: expected sha256// and the base64 SHA-256 of the "
		    "server's public key (44 characters), several joined by "
		    "';' (see treasuryctl(1))");
		return CTL_USAGE;
	}
	if (cacert != NULL && file_read_all(cacert, TLS_FILE_MAX_BYTES, false,
	    &c->cacert_pem, &c->cacert_len) != CTL_OK)
		return CTL_USAGE;
	if (cert != NULL && (file_read_all(cert, TLS_FILE_MAX_BYTES, false,
	    &c->client_cert_pem, &c->client_cert_len) != CTL_OK ||
	    file_read_all(key, TLS_FILE_MAX_BYTES, true, &c->client_key_pem,
	    &c->client_key_len) != CTL_OK))
		return CTL_USAGE;
	return CTL_OK;
}

int
config_resolve(struct ctl *c)
{
	struct file_config fc;
	const char *url, *ks;
	size_t len;
	int rc;

	rc = config_file_load(c, &fc);
	if (rc != CTL_OK)
		return rc;
	url = first_of(c->o.url, "TREASURYCTL_URL", fc.url);
	if (url == NULL)
		url = DEFAULT_URL;
	if ((strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
	    || copy_str(c->url, sizeof(c->url), url) != 0) {
		ctl_err("server URL must start with http:// or https:// and be "
		    "shorter than %d bytes", URL_MAX_BYTES);
		return CTL_USAGE;
	}
	len = strlen(c->url);
	while (len > 0 && c->url[len - 1] == '/')
		c->url[--len] = '\0';
	ks = first_of(c->o.keystore, "TREASURYCTL_KEYSTORE", fc.keystore);
	if ((ks != NULL && copy_str(c->keystore_path, sizeof(c->keystore_path),
	    ks) != 0) || (ks == NULL && user_config_path(c->keystore_path,
	    sizeof(c->keystore_path), "TREASURYCTL_KEYSTORE", "keystore") != 0)) {
		ctl_err("no keystore path: use --keystore or set HOME");
		return CTL_USAGE;
	}
	memcpy(c->signer_cfg, fc.signer, sizeof(c->signer_cfg));
	memcpy(c->token_file_cfg, fc.token_file, sizeof(c->token_file_cfg));
	return tls_resolve(c, &fc);
}

/* Keep the token in locked memory; refuse anything but printable ASCII. */
static int
token_set(struct ctl *c, const char *text, size_t len, const char *from)
{
	size_t i;

	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' ||
	    text[len - 1] == ' '))
		len--;
	if (len == 0 || len >= TOKEN_MAX_BYTES) {
		ctl_err("%s: the token is empty or too long", from);
		return CTL_USAGE;
	}
	for (i = 0; i < len; i++)
		if (text[i] <= 0x20 || text[i] > 0x7e) {
			ctl_err("%s: the token holds a character that is not "
			    "printable ASCII", from);
			return CTL_USAGE;
		}
	c->token = sodium_malloc(len + 1);
	if (c->token == NULL) {
		ctl_err("out of memory");
		return CTL_ERROR;
	}
	memcpy(c->token, text, len);
	c->token[len] = '\0';
	return CTL_OK;
}

int
config_token_load(struct ctl *c)
{
	const char *env = getenv("TREASURYCTL_TOKEN");
	const char *path;
	char *text = NULL;
	size_t len;
	int rc;

	if (c->token != NULL)
		return CTL_OK;
	if (c->o.token_file == NULL && env != NULL && *env != '\0')
		return token_set(c, env, strlen(env), "TREASURYCTL_TOKEN");
	path = first_of(c->o.token_file, "TREASURYCTL_TOKEN_FILE",
	    c->token_file_cfg);
	if (path == NULL) {
		ctl_err("no API token: use --token-file, TREASURYCTL_TOKEN, "
		    "TREASURYCTL_TOKEN_FILE or token_file in the config file");
		return CTL_USAGE;
	}
	rc = file_read_all(path, TOKEN_MAX_BYTES, true, &text, &len);
	if (rc != CTL_OK)
		return CTL_USAGE;
	rc = token_set(c, text, len, path);
	sodium_memzero(text, len);
	free(text);
	return rc;
}

void
config_free(struct ctl *c)
{
	sodium_free(c->token);	/* wipes; NULL is accepted */
	c->token = NULL;
	if (c->client_key_pem != NULL)
		sodium_memzero(c->client_key_pem, c->client_key_len);
	free(c->client_key_pem);
	free(c->client_cert_pem);
	free(c->cacert_pem);
	c->client_key_pem = c->client_cert_pem = c->cacert_pem = NULL;
}
