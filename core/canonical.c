/*
 * canonical.c: field validation, timestamps and the canonical proposal
 * text of the signing contract (docs/signing.md §3, §8, §9).
 *
 * Everything a signer sees passes through here, so every check is strict:
 * exact character sets, shortest-form UTF-8 with the forbidden characters
 * of docs/signing.md §3, Memo (decoder and classes in utf8.c, shared with the terminal
 * escaper), timestamps in exactly one spelling. Calendar arithmetic is
 * done here (days from civil dates) rather than with timegm(3) so that it
 * does not depend on the C library or the time zone. The line writer is
 * shared with proposal.c through canonical_text.h, so every kind's common
 * lines and transfer lines come from this one piece of code.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "treasury/canonical.h"
#include "treasury/hex.h"

#include "canonical_text.h"
#include "utf8.h"

/* Seconds from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z. */
#define TIMESTAMP_MAX_S (253402300799LL)
#define SECONDS_PER_DAY (86400LL)

/* ---- field validation ---- */

bool
array_strlen(const char *s, size_t size, size_t *len)
{
	const char *nul = memchr(s, '\0', size);

	if (nul == NULL)
		return false;
	*len = (size_t)(nul - s);
	return true;
}

static bool
char_is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool
char_is_alnum(char c)
{
	return char_is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* [a-z0-9][a-z0-9_-]{0,31}: treasury ids and signer names. */
static bool
name_is_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > TREASURY_ID_MAX_BYTES || s == NULL)
		return false;
	if (!char_is_lower_alnum(s[0]))
		return false;
	for (i = 1; i < len; i++) {
		if (!char_is_lower_alnum(s[i]) && s[i] != '_' && s[i] != '-')
			return false;
	}
	return true;
}

treasury_err
treasury_id_check(const char *s, size_t len)
{
	_Static_assert(TREASURY_ID_MAX_BYTES == SIGNER_NAME_MAX_BYTES,
	    "ids and signer names share one rule");
	return name_is_valid(s, len) ? TREASURY_OK : TREASURY_ERR_TREASURY_ID;
}

treasury_err
signer_name_check(const char *s, size_t len)
{
	return name_is_valid(s, len) ? TREASURY_OK : TREASURY_ERR_SIGNER_NAME;
}

treasury_err
asset_code_check(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > ASSET_CODE_MAX_BYTES || s == NULL)
		return TREASURY_ERR_ASSET_CODE;
	if (!char_is_alnum(s[0]))
		return TREASURY_ERR_ASSET_CODE;
	for (i = 1; i < len; i++) {
		if (!char_is_alnum(s[i]) && s[i] != '.' && s[i] != '_' &&
		    s[i] != '-')
			return TREASURY_ERR_ASSET_CODE;
	}
	return TREASURY_OK;
}

treasury_err
chain_check(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > CHAIN_MAX_BYTES || s == NULL)
		return TREASURY_ERR_CHAIN;
	for (i = 0; i < len; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= '0' &&
		    s[i] <= '9') && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return TREASURY_ERR_CHAIN;
	return TREASURY_OK;
}

treasury_err
treasury_name_check(const char *s, size_t len)
{
	if (len == 0 || len > TREASURY_NAME_MAX_BYTES || s == NULL ||
	    memo_check(s, len) != TREASURY_OK)
		return TREASURY_ERR_TREASURY_NAME;
	return TREASURY_OK;
}

treasury_err
destination_check(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > DESTINATION_MAX_BYTES || s == NULL)
		return TREASURY_ERR_DESTINATION;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x21 || c > 0x7e)
			return TREASURY_ERR_DESTINATION;
	}
	return TREASURY_OK;
}

/* ---- memo: strict UTF-8 and the forbidden characters (utf8.c) ---- */

treasury_err
memo_check(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n;
	uint32_t cp;

	if (len > MEMO_MAX_BYTES)
		return TREASURY_ERR_MEMO_TOO_LONG;
	if (len > 0 && s == NULL)
		return TREASURY_ERR_MEMO_UTF8;
	while (i < len) {
		n = utf8_decode(u + i, len - i, &cp);
		if (n == 0)
			return TREASURY_ERR_MEMO_UTF8;
		if (codepoint_is_control(cp) || codepoint_is_noncharacter(cp) ||
		    codepoint_is_invisible(cp))
			return TREASURY_ERR_MEMO_CHAR;
		i += n;
	}
	return TREASURY_OK;
}

/* ---- timestamps ---- */

struct civil_time {
	int64_t year;
	unsigned month, day, hour, minute, second;
};

static bool
year_is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned
month_days(int64_t year, unsigned month)
{
	static const unsigned days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	assert(month >= 1 && month <= 12);
	if (month == 2 && year_is_leap(year))
		return 29;
	return days[month - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil, for years >= 0 only). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	assert(y >= 0);
	y -= m <= 2;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The inverse of days_from_civil, for days >= 0. */
static void
civil_from_days(int64_t z, struct civil_time *t)
{
	int64_t era, doe, yoe, doy, mp;

	assert(z >= 0);
	z += 719468;
	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	t->day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	t->month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	t->year = yoe + era * 400 + (t->month <= 2);
}

/* Read width decimal digits at s; false on any non-digit. */
static bool
digits_read(const char *s, size_t width, unsigned *out)
{
	unsigned v = 0;
	size_t i;

	for (i = 0; i < width; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return true;
}

/* Split "YYYY-MM-DDTHH:MM:SSZ" into fields, checking only the shape. */
static bool
timestamp_split(const char *s, struct civil_time *t)
{
	unsigned year;

	if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':' || s[19] != 'Z')
		return false;
	if (!digits_read(s, 4, &year) || !digits_read(s + 5, 2, &t->month) ||
	    !digits_read(s + 8, 2, &t->day) ||
	    !digits_read(s + 11, 2, &t->hour) ||
	    !digits_read(s + 14, 2, &t->minute) ||
	    !digits_read(s + 17, 2, &t->second))
		return false;
	t->year = year;
	return true;
}

static bool
civil_time_is_valid(const struct civil_time *t)
{
	if (t->year < 1970 || t->year > 9999)
		return false;
	if (t->month < 1 || t->month > 12)
		return false;
	if (t->day < 1 || t->day > month_days(t->year, t->month))
		return false;
	return t->hour <= 23 && t->minute <= 59 && t->second <= 59;
}

treasury_err
timestamp_parse(const char *s, size_t len, int64_t *unix_s)
{
	struct civil_time t;

	if (len != TIMESTAMP_BYTES || s == NULL)
		return TREASURY_ERR_TIMESTAMP;
	if (!timestamp_split(s, &t) || !civil_time_is_valid(&t))
		return TREASURY_ERR_TIMESTAMP;
	*unix_s = days_from_civil(t.year, t.month, t.day) * SECONDS_PER_DAY +
	    t.hour * 3600 + t.minute * 60 + t.second;
	return TREASURY_OK;
}

/* Write v as exactly width decimal digits (v < 10^width). */
static void
digits_write(char *out, unsigned v, size_t width)
{
	size_t i;

	for (i = width; i > 0; i--) {
		out[i - 1] = (char)('0' + v % 10);
		v /= 10;
	}
	assert(v == 0);
}

void
timestamp_format(int64_t unix_s, char out[TIMESTAMP_BYTES + 1])
{
	struct civil_time t;
	int64_t days, secs;

	assert(unix_s >= 0 && unix_s <= TIMESTAMP_MAX_S);
	if (unix_s < 0 || unix_s > TIMESTAMP_MAX_S) {
		/* Outside the contract: write a text that timestamp_parse
		 * refuses, never a plausible date. */
		memcpy(out, "0000-00-00T00:00:00Z", TIMESTAMP_BYTES + 1);
		return;
	}
	days = unix_s / SECONDS_PER_DAY;
	secs = unix_s % SECONDS_PER_DAY;
	civil_from_days(days, &t);
	digits_write(out, (unsigned)t.year, 4);
	out[4] = '-';
	digits_write(out + 5, t.month, 2);
	out[7] = '-';
	digits_write(out + 8, t.day, 2);
	out[10] = 'T';
	digits_write(out + 11, (unsigned)(secs / 3600), 2);
	out[13] = ':';
	digits_write(out + 14, (unsigned)(secs / 60 % 60), 2);
	out[16] = ':';
	digits_write(out + 17, (unsigned)(secs % 60), 2);
	out[19] = 'Z';
	out[20] = '\0';
}

treasury_err
expiry_check(int64_t expires_s, int64_t now_s)
{
	int64_t ahead_s;

	if (__builtin_sub_overflow(expires_s, now_s, &ahead_s))
		return expires_s < now_s ? TREASURY_ERR_EXPIRY_TOO_SOON :
		    TREASURY_ERR_EXPIRY_TOO_LATE;
	if (ahead_s < PROPOSAL_EXPIRY_MIN_S)
		return TREASURY_ERR_EXPIRY_TOO_SOON;
	if (ahead_s > PROPOSAL_EXPIRY_MAX_S)
		return TREASURY_ERR_EXPIRY_TOO_LATE;
	return TREASURY_OK;
}

/* ---- canonical text ---- */

/* Append "<prefix><key>: <value>\n"; prefix may be "". */
static treasury_err
line_append_prefixed(struct textbuf *b, const char *prefix, const char *key,
    const char *value, size_t value_len)
{
	treasury_err err;

	err = textbuf_append(b, prefix, strlen(prefix));
	if (err == TREASURY_OK)
		err = textbuf_append(b, key, strlen(key));
	if (err == TREASURY_OK)
		err = textbuf_append(b, ": ", 2);
	if (err == TREASURY_OK)
		err = textbuf_append(b, value, value_len);
	if (err == TREASURY_OK)
		err = textbuf_append(b, "\n", 1);
	return err;
}

treasury_err
canonical_line_append(struct textbuf *b, const char *key, const char *value,
    size_t value_len)
{
	return line_append_prefixed(b, "", key, value, value_len);
}

static treasury_err
line_append_str(struct textbuf *b, const char *key, const char *value)
{
	return canonical_line_append(b, key, value, strlen(value));
}

treasury_err
canonical_line_append_u64(struct textbuf *b, const char *key, uint64_t value)
{
	char text[24];
	int n;

	n = snprintf(text, sizeof(text), "%" PRIu64, value);
	assert(n > 0 && (size_t)n < sizeof(text));
	return canonical_line_append(b, key, text, (size_t)n);
}

treasury_err
canonical_header_check(const struct proposal_header *hdr, const char *kind)
{
	if (hdr->treasury == NULL ||
	    treasury_id_check(hdr->treasury, strlen(hdr->treasury)) != TREASURY_OK)
		return TREASURY_ERR_TREASURY_ID;
	if (hdr->config_version == 0 || hdr->nonce == 0)
		return TREASURY_ERR_INTERNAL;
	if (hdr->kind == NULL || strcmp(hdr->kind, kind) != 0)
		return TREASURY_ERR_KIND;
	if (hdr->expires_s < 0 || hdr->expires_s > TIMESTAMP_MAX_S)
		return TREASURY_ERR_TIMESTAMP;
	return TREASURY_OK;
}

treasury_err
canonical_transfer_check(const struct transfer *t)
{
	treasury_err err;

	if (t->asset == NULL ||
	    asset_code_check(t->asset, strlen(t->asset)) != TREASURY_OK)
		return TREASURY_ERR_ASSET_CODE;
	if (t->decimals > ASSET_DECIMALS_MAX)
		return TREASURY_ERR_DECIMALS;
	if (t->amount == 0)
		return TREASURY_ERR_AMOUNT_ZERO;
	if (t->to == NULL ||
	    destination_check(t->to, strlen(t->to)) != TREASURY_OK)
		return TREASURY_ERR_DESTINATION;
	if (t->memo == NULL && t->memo_len > 0)
		return TREASURY_ERR_INTERNAL;
	err = memo_check(t->memo, t->memo_len);
	if (err != TREASURY_OK)
		return err;
	return TREASURY_OK;
}

treasury_err
canonical_header_append(struct textbuf *out, const struct proposal_header *hdr)
{
	char instance_hex[INSTANCE_ID_BYTES * 2 + 1];
	char expires[TIMESTAMP_BYTES + 1];
	treasury_err err;

	hex_encode(instance_hex, hdr->instance, INSTANCE_ID_BYTES);
	timestamp_format(hdr->expires_s, expires);
	err = textbuf_append(out, "treasuryd proposal v1\n", 22);
	if (err == TREASURY_OK)
		err = line_append_str(out, "instance", instance_hex);
	if (err == TREASURY_OK)
		err = line_append_str(out, "treasury", hdr->treasury);
	if (err == TREASURY_OK)
		err = canonical_line_append_u64(out, "config",
		    hdr->config_version);
	if (err == TREASURY_OK)
		err = line_append_str(out, "kind", hdr->kind);
	if (err == TREASURY_OK)
		err = canonical_line_append_u64(out, "nonce", hdr->nonce);
	if (err == TREASURY_OK)
		err = line_append_str(out, "expires", expires);
	return err;
}

treasury_err
canonical_transfer_append(struct textbuf *out, const char *key_prefix,
    const struct transfer *t)
{
	char amount[AMOUNT_FORMAT_MAX_BYTES];
	treasury_err err;

	err = amount_format(t->amount, t->decimals, amount, sizeof(amount));
	if (err != TREASURY_OK)
		return err;
	err = line_append_prefixed(out, key_prefix, "asset", t->asset,
	    strlen(t->asset));
	if (err == TREASURY_OK)
		err = line_append_prefixed(out, key_prefix, "amount", amount,
		    strlen(amount));
	if (err == TREASURY_OK)
		err = line_append_prefixed(out, key_prefix, "to", t->to,
		    strlen(t->to));
	if (err == TREASURY_OK)
		err = line_append_prefixed(out, key_prefix, "memo", t->memo,
		    t->memo_len);
	return err;
}

void
canonical_text_reset(struct textbuf *out)
{
	textbuf_truncate(out, 0);
}

treasury_err
canonical_encode_transfer(struct textbuf *out, const struct proposal_header *hdr,
    const struct transfer *t)
{
	treasury_err err;

	assert(out->len == 0);
	err = canonical_header_check(hdr, "transfer");
	if (err == TREASURY_OK)
		err = canonical_transfer_check(t);
	if (err != TREASURY_OK)
		return err;
	err = canonical_header_append(out, hdr);
	if (err == TREASURY_OK)
		err = canonical_transfer_append(out, "", t);
	if (err != TREASURY_OK)
		canonical_text_reset(out);	/* never leave half a text */
	return err;
}
