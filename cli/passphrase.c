/*
 * passphrase.c: secrets and confirmations from the user.
 *
 * A passphrase comes from --passphrase-fd N (scripts) or from the
 * controlling terminal with echo off; never from argv or the environment.
 * Everything read lives in sodium_malloc memory and is wiped when freed.
 * Confirmations ("sign this?") are read from the terminal only, so that a
 * script must say --yes explicitly.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "ctl.h"

/* Read bytes from fd up to a newline, EOF or max bytes into buf.
 * Returns the length, or -1 on error / overlong input. */
static ssize_t
line_read(int fd, char *buf, size_t max)
{
	size_t len = 0;
	ssize_t n;
	char ch;

	for (;;) {
		n = read(fd, &ch, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0 || ch == '\n')
			break;
		if (len == max)
			return -1;
		buf[len++] = ch;
	}
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	return (ssize_t)len;
}

int
secret_line_read(int fd, size_t max, char **out, size_t *out_len)
{
	char *buf;
	ssize_t n;

	buf = sodium_malloc(max + 1);
	if (buf == NULL) {
		ctl_err("out of memory");
		return CTL_ERROR;
	}
	n = line_read(fd, buf, max);
	if (n <= 0) {
		sodium_free(buf);
		ctl_err(n == 0 ? "empty input on file descriptor %d" :
		    "cannot read file descriptor %d (or input too long)", fd);
		return CTL_USAGE;
	}
	buf[n] = '\0';
	*out = buf;
	*out_len = (size_t)n;
	return CTL_OK;
}

/* Prompt on the terminal and read one line without echo. */
static int
tty_read_hidden(const char *prompt, char **out, size_t *out_len)
{
	struct termios old, quiet;
	int fd, rc;

	fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ctl_err("no terminal to ask the passphrase on: use "
		    "--passphrase-fd N");
		return CTL_USAGE;
	}
	if (tcgetattr(fd, &old) != 0) {
		close(fd);
		ctl_err("cannot turn terminal echo off");
		return CTL_ERROR;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	if (write(fd, prompt, strlen(prompt)) < 0 ||
	    tcsetattr(fd, TCSAFLUSH, &quiet) != 0) {
		close(fd);
		ctl_err("cannot turn terminal echo off");
		return CTL_ERROR;
	}
	rc = secret_line_read(fd, PASSPHRASE_MAX_BYTES, out, out_len);
	(void)tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0) {
		/* only cosmetic: the next output starts on the prompt line */
	}
	close(fd);
	return rc;
}

int
passphrase_read(struct ctl *c, const char *prompt, bool confirm, char **out,
    size_t *out_len)
{
	char *again = NULL;
	size_t again_len;
	int rc;

	if (c->o.passphrase_fd >= 0)
		return secret_line_read(c->o.passphrase_fd,
		    PASSPHRASE_MAX_BYTES, out, out_len);
	rc = tty_read_hidden(prompt, out, out_len);
	if (rc != CTL_OK || !confirm)
		return rc;
	rc = tty_read_hidden("Repeat the passphrase: ", &again, &again_len);
	if (rc == CTL_OK && (again_len != *out_len ||
	    sodium_memcmp(again, *out, again_len) != 0)) {
		ctl_err("the passphrases differ");
		rc = CTL_USAGE;
	}
	sodium_free(again);
	if (rc != CTL_OK) {
		sodium_free(*out);
		*out = NULL;
	}
	return rc;
}

int
confirm_ask(const char *question)
{
	char answer[16];
	ssize_t n;
	int fd;

	fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ctl_err("no terminal to confirm on: review the proposal and "
		    "run again with --yes");
		return CTL_USAGE;
	}
	if (write(fd, question, strlen(question)) < 0 ||
	    write(fd, " Type 'yes' to sign: ", 21) < 0) {
		close(fd);
		return CTL_ERROR;
	}
	n = line_read(fd, answer, sizeof(answer) - 1);
	close(fd);
	if (n == 3 && memcmp(answer, "yes", 3) == 0)
		return CTL_OK;
	ctl_err("not confirmed: nothing signed");
	return CTL_DECLINED;
}
