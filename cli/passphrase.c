/*
 * passphrase.c: secrets and confirmations from the user.
 *
 * A passphrase comes from --passphrase-fd N (scripts) or from the
 * controlling terminal with echo off; never from argv or the environment.
 * Echo goes off (pending input discarded) before the prompt is written, and
 * the terminal is restored on every path, also when SIGINT, SIGTERM,
 * SIGHUP, SIGQUIT or SIGTSTP arrives while echo is off.
 * Everything read lives in sodium_malloc memory and is wiped when freed.
 * Confirmations ("sign this?") are read from the terminal only, so that a
 * script must say --yes explicitly.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
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

/* While echo is off, these signals restore the terminal before they take
 * their default action (SIGTSTP: echo goes off again on SIGCONT). A signal
 * that was ignored (nohup) stays ignored. */
static const int tty_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP };
enum { TTY_SIGNALS_N = sizeof(tty_signals) / sizeof(tty_signals[0]) };

/* The terminal of the hidden read in progress, for the signal handler. */
static volatile sig_atomic_t tty_fd = -1;
static struct termios tty_saved, tty_quiet;

/* A hidden read: the terminal, and the signal actions and mask it
 * replaced. */
struct tty_hidden {
	int fd;
	struct sigaction previous[TTY_SIGNALS_N];
	sigset_t mask;
};

/* Async-signal-safe: tcsetattr, sigaction, sigprocmask and raise only. */
static void
tty_signal(int sig)
{
	struct sigaction dfl, ours;
	sigset_t set;
	int saved_errno = errno;

	(void)tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	(void)sigaction(sig, &dfl, &ours);
	sigemptyset(&set);
	sigaddset(&set, sig);
	(void)sigprocmask(SIG_UNBLOCK, &set, NULL);
	(void)raise(sig);	/* dies here, or stops (SIGTSTP) */
	/* continued after SIGTSTP: hidden again */
	(void)sigaction(sig, &ours, NULL);
	(void)tcsetattr(tty_fd, TCSAFLUSH, &tty_quiet);
	errno = saved_errno;
}

/* Block tty_signals, saving the mask in t->mask, so that the terminal and
 * the handlers change together; tty_signals_unblock restores the mask. */
static void
tty_signals_block(struct tty_hidden *t)
{
	sigset_t set;
	size_t i;

	sigemptyset(&set);
	for (i = 0; i < TTY_SIGNALS_N; i++)
		sigaddset(&set, tty_signals[i]);
	(void)sigprocmask(SIG_BLOCK, &set, &t->mask);
}

static void
tty_signals_unblock(const struct tty_hidden *t)
{
	(void)sigprocmask(SIG_SETMASK, &t->mask, NULL);
}

/* Catch tty_signals, saving the previous actions. Returns 0 or -1. */
static int
tty_signals_catch(struct tty_hidden *t)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tty_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < TTY_SIGNALS_N; i++) {
		if (sigaction(tty_signals[i], NULL, &t->previous[i]) != 0)
			return -1;
		if (t->previous[i].sa_handler == SIG_IGN)
			continue;
		if (sigaction(tty_signals[i], &sa, NULL) != 0)
			return -1;
	}
	return 0;
}

static void
tty_signals_restore(const struct tty_hidden *t)
{
	size_t i;

	for (i = 0; i < TTY_SIGNALS_N; i++)
		(void)sigaction(tty_signals[i], &t->previous[i], NULL);
}

/* Open the terminal and turn echo off, discarding input typed before,
 * ahead of any prompt; catch tty_signals. Returns an exit code. */
static int
tty_hidden_begin(struct tty_hidden *t)
{
	t->fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (t->fd < 0) {
		ctl_err("no terminal to ask the passphrase on: use "
		    "--passphrase-fd N");
		return CTL_USAGE;
	}
	tty_signals_block(t);
	if (tcgetattr(t->fd, &tty_saved) != 0)
		goto fail;
	tty_quiet = tty_saved;
	tty_quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	tty_quiet.c_lflag |= ICANON;
	tty_fd = t->fd;
	if (tty_signals_catch(t) != 0) {
		tty_signals_restore(t);
		goto fail;
	}
	if (tcsetattr(t->fd, TCSAFLUSH, &tty_quiet) != 0) {
		tty_signals_restore(t);
		goto fail;
	}
	tty_signals_unblock(t);
	return CTL_OK;
fail:
	tty_fd = -1;
	tty_signals_unblock(t);
	close(t->fd);
	ctl_err("cannot turn terminal echo off");
	return CTL_ERROR;
}

/* Restore the terminal (discarding input typed after the last line read,
 * so that it never reaches the shell) and the signal actions. */
static void
tty_hidden_end(struct tty_hidden *t)
{
	tty_signals_block(t);
	(void)tcsetattr(t->fd, TCSAFLUSH, &tty_saved);
	tty_signals_restore(t);
	tty_fd = -1;
	tty_signals_unblock(t);	/* a pending signal acts now */
	close(t->fd);
}

/* Write prompt and read one line (echo is off). Returns an exit code. */
static int
tty_prompt_read(int fd, const char *prompt, char **out, size_t *out_len)
{
	int rc;

	if (write(fd, prompt, strlen(prompt)) < 0) {
		ctl_err("cannot write to the terminal");
		return CTL_ERROR;
	}
	rc = secret_line_read(fd, PASSPHRASE_MAX_BYTES, out, out_len);
	if (write(fd, "\n", 1) < 0) {
		/* only cosmetic: the next output starts on the prompt line */
	}
	return rc;
}

int
passphrase_read(struct ctl *c, const char *prompt, bool confirm, char **out,
    size_t *out_len)
{
	struct tty_hidden t;
	char *again = NULL;
	size_t again_len;
	int rc;

	*out = NULL;
	if (c->o.passphrase_fd >= 0)
		return secret_line_read(c->o.passphrase_fd,
		    PASSPHRASE_MAX_BYTES, out, out_len);
	rc = tty_hidden_begin(&t);
	if (rc != CTL_OK)
		return rc;
	/* echo stays off between the two prompts: a repeat typed ahead is
	 * never shown */
	rc = tty_prompt_read(t.fd, prompt, out, out_len);
	if (rc == CTL_OK && confirm)
		rc = tty_prompt_read(t.fd, "Repeat the passphrase: ", &again,
		    &again_len);
	tty_hidden_end(&t);
	if (rc == CTL_OK && confirm && (again_len != *out_len ||
	    sodium_memcmp(again, *out, again_len) != 0)) {
		ctl_err("the passphrases differ");
		rc = CTL_USAGE;
	}
	sodium_free(again);
	if (rc != CTL_OK && *out != NULL) {
		sodium_free(*out);
		*out = NULL;
	}
	return rc;
}

/* The length in bytes of the UTF-8 character at s[0] (1 for a stray
 * continuation byte), at most len. */
static size_t
utf8_char_bytes(const char *s, size_t len)
{
	size_t n = 1;

	while (n < len && ((unsigned char)s[n] & 0xc0) == 0x80)
		n++;
	return n;
}

/* Whether pass is one character repeated. */
static bool
one_char_repeated(const char *pass, size_t len)
{
	size_t first = utf8_char_bytes(pass, len), i;

	if (len % first != 0)
		return false;
	for (i = first; i < len; i += first)
		if (memcmp(pass + i, pass, first) != 0)
			return false;
	return true;
}

/* How many of the classes lower case, upper case, digit and other pass
 * uses; *chars: its length in UTF-8 characters. */
static int
char_classes(const char *pass, size_t len, size_t *chars)
{
	bool lower = false, upper = false, digit = false, other = false;
	size_t i;

	*chars = 0;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)pass[i];

		if ((ch & 0xc0) != 0x80)
			(*chars)++;
		if (ch >= 'a' && ch <= 'z')
			lower = true;
		else if (ch >= 'A' && ch <= 'Z')
			upper = true;
		else if (ch >= '0' && ch <= '9')
			digit = true;
		else
			other = true;
	}
	return lower + upper + digit + other;
}

int
passphrase_strength_check(const char *pass, size_t len)
{
	size_t chars;
	int classes;

	if (len < PASSPHRASE_MIN_BYTES) {
		ctl_err("the passphrase must be at least %d bytes long",
		    PASSPHRASE_MIN_BYTES);
		return CTL_USAGE;
	}
	classes = char_classes(pass, len, &chars);
	if (one_char_repeated(pass, len))
		ctl_err("warning: weak passphrase: one character repeated");
	else if (chars < PASSPHRASE_WEAK_BELOW_CHARS)
		ctl_err("warning: weak passphrase: fewer than %d characters",
		    PASSPHRASE_WEAK_BELOW_CHARS);
	else if (chars < PASSPHRASE_MIXED_BELOW_CHARS &&
	    classes < PASSPHRASE_CLASSES_MIN)
		ctl_err("warning: weak passphrase: shorter than %d characters "
		    "and only %d of lower case, upper case, digits and other "
		    "characters", PASSPHRASE_MIXED_BELOW_CHARS, classes);
	return CTL_OK;
}

int
confirm_ask(const char *question)
{
	char answer[16], *shown;
	ssize_t n;
	int fd;

	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		ctl_err("no terminal to confirm on: review the proposal and "
		    "run again with --yes");
		return CTL_USAGE;
	}
	/* a "yes" typed before the question was shown does not count; the
	 * terminal's settings are not changed */
	(void)tcflush(fd, TCIFLUSH);
	shown = say_text(question, strlen(question));	/* escaped */
	if (shown == NULL || write(fd, shown, strlen(shown)) < 0 ||
	    write(fd, " Type 'yes' to confirm: ", 24) < 0) {
		free(shown);
		close(fd);
		return CTL_ERROR;
	}
	free(shown);
	n = line_read(fd, answer, sizeof(answer) - 1);
	close(fd);
	if (n == 3 && memcmp(answer, "yes", 3) == 0)
		return CTL_OK;
	ctl_err("not confirmed: nothing done");
	return CTL_DECLINED;
}
