/*
 * test_canonical.c: unit tests of core/canonical.c, the field rules,
 * timestamps, expiry window, text buffer and canonical transfer text of
 * the signing contract (docs/signing.md §3).
 *
 * Memo tests cover every forbidden class one character at a time, both
 * sides of each range, overlong and surrogate encodings, and the 256-byte
 * limit. Timestamp tests cross-check the calendar arithmetic against
 * gmtime_r(3) for every day from 1970 to 9999.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "treasury/canonical.h"

#include "test_utf8.h"

#define DAY_S (86400LL)

/* ---- helpers ---- */

static treasury_err
memo(const char *s)
{
	return memo_check(s, strlen(s));
}

/* memo_check of "a<cp>b", so the character is tested in the middle. */
static treasury_err
memo_with_codepoint(uint32_t cp)
{
	char buf[6];
	size_t n;

	buf[0] = 'a';
	n = utf8_put(cp, buf + 1);
	buf[1 + n] = 'b';
	return memo_check(buf, n + 2);
}

static void
expect_codepoint(uint32_t cp, treasury_err want)
{
	treasury_err err = memo_with_codepoint(cp);

	if (err != want)
		print_error("memo with U+%04X: got %s, want %s\n", (unsigned)cp,
		    treasury_err_name(err), treasury_err_name(want));
	assert_int_equal(err, want);
}

static void
expect_codepoint_range(uint32_t lo, uint32_t hi, treasury_err want)
{
	uint32_t cp;

	for (cp = lo; cp <= hi; cp++)
		expect_codepoint(cp, want);
}

static void
expect_memo_bytes(const char *bytes, size_t len, treasury_err want)
{
	treasury_err err = memo_check(bytes, len);

	if (err != want)
		print_error("memo of %zu bytes starting %02x: got %s, want %s\n",
		    len, len > 0 ? (unsigned char)bytes[0] : 0,
		    treasury_err_name(err), treasury_err_name(want));
	assert_int_equal(err, want);
}

#define EXPECT_MEMO(lit, want) expect_memo_bytes(lit, sizeof(lit) - 1, want)

static void
expect_ts(const char *s, treasury_err want)
{
	int64_t t = -12345;
	treasury_err err = timestamp_parse(s, strlen(s), &t);

	if (err != want)
		print_error("timestamp \"%s\": got %s, want %s\n", s,
		    treasury_err_name(err), treasury_err_name(want));
	assert_int_equal(err, want);
	if (err != TREASURY_OK)
		assert_int_equal(t, -12345);
}

static void
expect_ts_value(const char *s, int64_t want)
{
	char back[TIMESTAMP_BYTES + 1];
	int64_t t = -1;

	assert_int_equal(timestamp_parse(s, strlen(s), &t), TREASURY_OK);
	assert_int_equal(t, want);
	timestamp_format(t, back);
	assert_string_equal(back, s);
}

/* ---- treasury ids, signer names ---- */

static void
test_treasury_id(void **state)
{
	static const char *const good[] = {
		"a", "0", "grants", "ops-eu", "reserve_2", "a-_", "9lives",
		"abcdefghijklmnopqrstuvwxyz012345",	/* 32 */
	};
	static const char *const bad[] = {
		"", "-a", "_a", "A", "Grants", "gRants", "a.b", "a b", " a",
		"a ", "a/b", "a:b", "caf\xc3\xa9", "a\n",
		"abcdefghijklmnopqrstuvwxyz0123456",	/* 33 */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(treasury_id_check(good[i], strlen(good[i])),
		    TREASURY_OK);
		assert_int_equal(signer_name_check(good[i], strlen(good[i])),
		    TREASURY_OK);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(treasury_id_check(bad[i], strlen(bad[i])),
		    TREASURY_ERR_TREASURY_ID);
		assert_int_equal(signer_name_check(bad[i], strlen(bad[i])),
		    TREASURY_ERR_SIGNER_NAME);
	}
	assert_int_equal(treasury_id_check(NULL, 0), TREASURY_ERR_TREASURY_ID);
	assert_int_equal(signer_name_check(NULL, 0), TREASURY_ERR_SIGNER_NAME);
	/* The length given is what is checked; an inner NUL is a character. */
	assert_int_equal(treasury_id_check("ab\0c", 4), TREASURY_ERR_TREASURY_ID);
	assert_int_equal(treasury_id_check("abXc", 2), TREASURY_OK);
}

/* ---- asset codes ---- */

static void
test_asset_code(void **state)
{
	static const char *const good[] = {
		"USDC", "usdc", "BTC", "a", "Z", "0", "gold.bar_1", "A-1",
		"wETH.e", "x..", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef",	/* 32 */
	};
	static const char *const bad[] = {
		"", ".a", "-a", "_a", "a b", "a/b", "a:b", "a+b", "US$",
		"\xc3\x89UR", "a\t", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg",	/* 33 */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(asset_code_check(good[i], strlen(good[i])),
		    TREASURY_OK);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(asset_code_check(bad[i], strlen(bad[i])),
		    TREASURY_ERR_ASSET_CODE);
	assert_int_equal(asset_code_check(NULL, 0), TREASURY_ERR_ASSET_CODE);
	assert_int_equal(asset_code_check("US\0C", 4), TREASURY_ERR_ASSET_CODE);
}

/* ---- chain labels and treasury names ---- */

static void
test_chain_and_treasury_name(void **state)
{
	static const char *const good_chain[] = { "ethereum", "a", "0",
	    "base-sepolia", "op.main_1", "abcdefghijklmnopqrstuvwxyz012345" };
	static const char *const bad_chain[] = { "", "Ethereum", "a b", "a/b",
	    "\xc3\xa9", "abcdefghijklmnopqrstuvwxyz0123456" };
	char name[TREASURY_NAME_MAX_BYTES + 2];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good_chain) / sizeof(good_chain[0]); i++)
		assert_int_equal(chain_check(good_chain[i],
		    strlen(good_chain[i])), TREASURY_OK);
	for (i = 0; i < sizeof(bad_chain) / sizeof(bad_chain[0]); i++)
		assert_int_equal(chain_check(bad_chain[i],
		    strlen(bad_chain[i])), TREASURY_ERR_CHAIN);
	assert_int_equal(chain_check("eth\0", 4), TREASURY_ERR_CHAIN);
	assert_int_equal(treasury_name_check("Grants committee", 16),
	    TREASURY_OK);
	assert_int_equal(treasury_name_check("Caf\xc3\xa9", 5), TREASURY_OK);
	assert_int_equal(treasury_name_check("", 0), TREASURY_ERR_TREASURY_NAME);
	assert_int_equal(treasury_name_check("a\nb", 3),
	    TREASURY_ERR_TREASURY_NAME);
	assert_int_equal(treasury_name_check("a\xe2\x80\xae" "b", 5),
	    TREASURY_ERR_TREASURY_NAME);	/* U+202E, a bidi override */
	memset(name, 'n', sizeof(name));
	assert_int_equal(treasury_name_check(name, TREASURY_NAME_MAX_BYTES),
	    TREASURY_OK);
	assert_int_equal(treasury_name_check(name, TREASURY_NAME_MAX_BYTES + 1),
	    TREASURY_ERR_TREASURY_NAME);
}

/* ---- destinations ---- */

static void
test_destination(void **state)
{
	char buf[DESTINATION_MAX_BYTES + 2];
	unsigned c;

	(void)state;
	assert_int_equal(destination_check("x", 1), TREASURY_OK);
	assert_int_equal(destination_check("0x742d35Cc6634C0532925a3b844Bc454e4438f44e",
	    42), TREASURY_OK);
	assert_int_equal(destination_check("acct:vault-7/slot#3", 19), TREASURY_OK);
	assert_int_equal(destination_check("", 0), TREASURY_ERR_DESTINATION);
	assert_int_equal(destination_check(NULL, 0), TREASURY_ERR_DESTINATION);
	memset(buf, 'a', sizeof(buf));
	assert_int_equal(destination_check(buf, DESTINATION_MAX_BYTES),
	    TREASURY_OK);
	assert_int_equal(destination_check(buf, DESTINATION_MAX_BYTES + 1),
	    TREASURY_ERR_DESTINATION);
	/* Every byte value alone: only 0x21..0x7e pass. */
	for (c = 0; c <= 0xff; c++) {
		buf[0] = 'a';
		buf[1] = (char)c;
		buf[2] = 'b';
		assert_int_equal(destination_check(buf, 3),
		    c >= 0x21 && c <= 0x7e ? TREASURY_OK :
		    TREASURY_ERR_DESTINATION);
	}
}

/* ---- memo ---- */

static void
test_memo_accepts(void **state)
{
	(void)state;
	assert_int_equal(memo_check(NULL, 0), TREASURY_OK);
	assert_int_equal(memo(""), TREASURY_OK);
	assert_int_equal(memo(" "), TREASURY_OK);
	assert_int_equal(memo("payroll: March (net 30) ~ #42 \"ok\" \\"),
	    TREASURY_OK);
	assert_int_equal(memo("Q4 grants \xe2\x80\x94 caf\xc3\xa9"), TREASURY_OK);
	assert_int_equal(memo("\xe6\x97\xa5\xe6\x9c\xac"), TREASURY_OK);
	assert_int_equal(memo("\xf0\x9f\x98\x80"), TREASURY_OK);	/* U+1F600 */
	/* First and last scalar values of each encoding length. */
	expect_codepoint(0x20, TREASURY_OK);
	expect_codepoint(0x7e, TREASURY_OK);
	expect_codepoint(0xa0, TREASURY_OK);
	expect_codepoint(0x7ff, TREASURY_OK);
	expect_codepoint(0x800, TREASURY_OK);
	expect_codepoint(0xfffd, TREASURY_OK);
	expect_codepoint(0x10000, TREASURY_OK);
	expect_codepoint(0x10fffd, TREASURY_OK);	/* largest allowed */
	/* Neighbours of forbidden ranges are allowed. */
	expect_codepoint(0xd7ff, TREASURY_OK);
	expect_codepoint(0xe000, TREASURY_OK);		/* private use */
	expect_codepoint(0x061b, TREASURY_OK);
	expect_codepoint(0x061d, TREASURY_OK);
	expect_codepoint(0x200a, TREASURY_OK);
	expect_codepoint(0x2010, TREASURY_OK);
	expect_codepoint(0x2027, TREASURY_OK);
	expect_codepoint(0x202f, TREASURY_OK);
	expect_codepoint(0x205f, TREASURY_OK);
	expect_codepoint(0x2070, TREASURY_OK);
	expect_codepoint(0xfdcf, TREASURY_OK);
	expect_codepoint(0xfdf0, TREASURY_OK);
	expect_codepoint(0xfefe, TREASURY_OK);
	expect_codepoint(0xff00, TREASURY_OK);
	expect_codepoint(0x1fffd, TREASURY_OK);
	expect_codepoint(0x20000, TREASURY_OK);
}

static void
test_memo_c0_del_c1(void **state)
{
	(void)state;
	expect_codepoint_range(0x00, 0x1f, TREASURY_ERR_MEMO_CHAR);
	expect_codepoint(0x7f, TREASURY_ERR_MEMO_CHAR);
	expect_codepoint_range(0x80, 0x9f, TREASURY_ERR_MEMO_CHAR);
	/* The line breaks that could forge a line of the canonical text. */
	EXPECT_MEMO("a\nto: evil", TREASURY_ERR_MEMO_CHAR);
	EXPECT_MEMO("a\r", TREASURY_ERR_MEMO_CHAR);
	EXPECT_MEMO("\t", TREASURY_ERR_MEMO_CHAR);
	EXPECT_MEMO("\0", TREASURY_ERR_MEMO_CHAR);
	EXPECT_MEMO("\xc2\x85", TREASURY_ERR_MEMO_CHAR);	/* NEL */
}

static void
test_memo_noncharacters(void **state)
{
	uint32_t plane;

	(void)state;
	expect_codepoint_range(0xfdd0, 0xfdef, TREASURY_ERR_MEMO_CHAR);
	for (plane = 0; plane <= 0x10; plane++) {
		expect_codepoint((plane << 16) | 0xfffe, TREASURY_ERR_MEMO_CHAR);
		expect_codepoint((plane << 16) | 0xffff, TREASURY_ERR_MEMO_CHAR);
		expect_codepoint((plane << 16) | 0xfffd, TREASURY_OK);
	}
	EXPECT_MEMO("\xf4\x8f\xbf\xbf", TREASURY_ERR_MEMO_CHAR);	/* U+10FFFF */
	EXPECT_MEMO("\xef\xbf\xbe", TREASURY_ERR_MEMO_CHAR);		/* U+FFFE */
}

static void
test_memo_bidi_format_separators(void **state)
{
	(void)state;
	/* Bidirectional controls. */
	expect_codepoint(0x061c, TREASURY_ERR_MEMO_CHAR);
	expect_codepoint_range(0x200e, 0x200f, TREASURY_ERR_MEMO_CHAR);
	expect_codepoint_range(0x202a, 0x202e, TREASURY_ERR_MEMO_CHAR);
	expect_codepoint_range(0x2066, 0x2069, TREASURY_ERR_MEMO_CHAR);
	/* Zero-width and other format characters. */
	expect_codepoint_range(0x200b, 0x200d, TREASURY_ERR_MEMO_CHAR);
	expect_codepoint_range(0x2060, 0x2064, TREASURY_ERR_MEMO_CHAR);
	expect_codepoint(0xfeff, TREASURY_ERR_MEMO_CHAR);
	/* Line and paragraph separators. */
	expect_codepoint_range(0x2028, 0x2029, TREASURY_ERR_MEMO_CHAR);
	/* A byte order mark at the start is no exception. */
	EXPECT_MEMO("\xef\xbb\xbfhello", TREASURY_ERR_MEMO_CHAR);
	/* "Trojan source": RLO in the middle of a memo. */
	EXPECT_MEMO("pay \xe2\x80\xae" "0001", TREASURY_ERR_MEMO_CHAR);
}

static void
test_memo_default_ignorable(void **state)
{
	const struct invisible_range_case *r;
	size_t i;

	(void)state;
	for (i = 0; i < INVISIBLE_RANGE_CASE_COUNT; i++) {
		r = &INVISIBLE_RANGE_CASES[i];
		expect_codepoint(r->below, TREASURY_OK);
		expect_codepoint_range(r->first, r->last, TREASURY_ERR_MEMO_CHAR);
		expect_codepoint(r->above, TREASURY_OK);
	}
	/* Emoji: plain allowed; with VS16, ZWJ or tags refused. */
	EXPECT_MEMO("\xf0\x9f\x98\x80", TREASURY_OK);		/* U+1F600 */
	EXPECT_MEMO("\xe2\x9d\xa4\xef\xb8\x8f", TREASURY_ERR_MEMO_CHAR);
	EXPECT_MEMO("\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb",
	    TREASURY_ERR_MEMO_CHAR);
	EXPECT_MEMO("\xf0\x9f\x8f\xb4\xf3\xa0\x81\xa7\xf3\xa0\x81\xbf",
	    TREASURY_ERR_MEMO_CHAR);
	/* "1000" with a soft hyphen inside looks like "1000" on many
	 * terminals. */
	EXPECT_MEMO("pay 10\xc2\xad" "00", TREASURY_ERR_MEMO_CHAR);
}

static void
test_memo_overlong(void **state)
{
	(void)state;
	EXPECT_MEMO("\xc0\x80", TREASURY_ERR_MEMO_UTF8);	/* U+0000 */
	EXPECT_MEMO("\xc0\xaf", TREASURY_ERR_MEMO_UTF8);	/* '/' */
	EXPECT_MEMO("\xc1\xbf", TREASURY_ERR_MEMO_UTF8);	/* U+007F */
	EXPECT_MEMO("\xe0\x80\x80", TREASURY_ERR_MEMO_UTF8);
	EXPECT_MEMO("\xe0\x80\xaf", TREASURY_ERR_MEMO_UTF8);
	EXPECT_MEMO("\xe0\x9f\xbf", TREASURY_ERR_MEMO_UTF8);	/* U+07FF */
	EXPECT_MEMO("\xf0\x80\x80\x80", TREASURY_ERR_MEMO_UTF8);
	EXPECT_MEMO("\xf0\x80\x80\xaf", TREASURY_ERR_MEMO_UTF8);
	EXPECT_MEMO("\xf0\x8f\xbf\xbf", TREASURY_ERR_MEMO_UTF8);	/* U+FFFF */
	/* The shortest forms of the same boundaries are fine. */
	EXPECT_MEMO("\xc2\xa0", TREASURY_OK);
	EXPECT_MEMO("\xe0\xa0\x80", TREASURY_OK);		/* U+0800 */
	EXPECT_MEMO("\xf0\x90\x80\x80", TREASURY_OK);		/* U+10000 */
}

static void
test_memo_surrogates(void **state)
{
	(void)state;
	/* Encoded surrogates are not UTF-8 at all (Unicode table 3-7), so
	 * they are reported as malformed, not as a forbidden character. */
	EXPECT_MEMO("\xed\xa0\x80", TREASURY_ERR_MEMO_UTF8);	/* U+D800 */
	EXPECT_MEMO("\xed\xad\xbf", TREASURY_ERR_MEMO_UTF8);	/* U+DB7F */
	EXPECT_MEMO("\xed\xb0\x80", TREASURY_ERR_MEMO_UTF8);	/* U+DC00 */
	EXPECT_MEMO("\xed\xbf\xbf", TREASURY_ERR_MEMO_UTF8);	/* U+DFFF */
	/* CESU-8 pair for U+1F600. */
	EXPECT_MEMO("\xed\xa0\xbd\xed\xb8\x80", TREASURY_ERR_MEMO_UTF8);
	EXPECT_MEMO("\xed\x9f\xbf", TREASURY_OK);		/* U+D7FF */
	EXPECT_MEMO("\xee\x80\x80", TREASURY_OK);		/* U+E000 */
}

static void
test_memo_malformed(void **state)
{
	char buf[4];
	unsigned b;

	(void)state;
	/* Beyond U+10FFFF, and lead bytes that can never appear. */
	EXPECT_MEMO("\xf4\x90\x80\x80", TREASURY_ERR_MEMO_UTF8);	/* U+110000 */
	EXPECT_MEMO("\xf7\xbf\xbf\xbf", TREASURY_ERR_MEMO_UTF8);
	EXPECT_MEMO("\xf8\x88\x80\x80\x80", TREASURY_ERR_MEMO_UTF8);
	EXPECT_MEMO("\xfc\x84\x80\x80\x80\x80", TREASURY_ERR_MEMO_UTF8);
	for (b = 0xf5; b <= 0xff; b++) {
		buf[0] = (char)b;
		buf[1] = buf[2] = buf[3] = (char)0x80;
		expect_memo_bytes(buf, 4, TREASURY_ERR_MEMO_UTF8);
	}
	/* Lone continuation bytes. */
	for (b = 0x80; b <= 0xbf; b++) {
		buf[0] = (char)b;
		expect_memo_bytes(buf, 1, TREASURY_ERR_MEMO_UTF8);
	}
	/* Truncated sequences, at the end and before ASCII. */
	EXPECT_MEMO("\xc3", TREASURY_ERR_MEMO_UTF8);
	EXPECT_MEMO("caf\xc3", TREASURY_ERR_MEMO_UTF8);
	EXPECT_MEMO("\xe2\x80", TREASURY_ERR_MEMO_UTF8);
	EXPECT_MEMO("\xf0\x9f\x98", TREASURY_ERR_MEMO_UTF8);
	EXPECT_MEMO("\xc3" "A", TREASURY_ERR_MEMO_UTF8);
	EXPECT_MEMO("\xe2\x80" "A", TREASURY_ERR_MEMO_UTF8);
	EXPECT_MEMO("\xf0\x9f\x98" "A", TREASURY_ERR_MEMO_UTF8);
	/* A sequence with one continuation byte too many. */
	EXPECT_MEMO("\xc3\xa9\xa9", TREASURY_ERR_MEMO_UTF8);
	/* Latin-1, not UTF-8. */
	EXPECT_MEMO("caf\xe9", TREASURY_ERR_MEMO_UTF8);
}

static void
test_memo_first_problem_wins(void **state)
{
	(void)state;
	/* The memo is read from the start; the first problem is reported. */
	EXPECT_MEMO("\x01\xff", TREASURY_ERR_MEMO_CHAR);
	EXPECT_MEMO("\xff\x01", TREASURY_ERR_MEMO_UTF8);
}

static void
test_memo_length(void **state)
{
	char buf[MEMO_MAX_BYTES + 8];
	size_t i;

	(void)state;
	memset(buf, 'a', sizeof(buf));
	expect_memo_bytes(buf, MEMO_MAX_BYTES, TREASURY_OK);
	expect_memo_bytes(buf, MEMO_MAX_BYTES + 1, TREASURY_ERR_MEMO_TOO_LONG);
	/* 128 two-byte characters are exactly 256 bytes. */
	for (i = 0; i < MEMO_MAX_BYTES; i += 2) {
		buf[i] = (char)0xc3;
		buf[i + 1] = (char)0xa9;
	}
	expect_memo_bytes(buf, MEMO_MAX_BYTES, TREASURY_OK);
	/* 64 four-byte characters are exactly 256 bytes. */
	for (i = 0; i < MEMO_MAX_BYTES; i += 4)
		memcpy(buf + i, "\xf0\x9f\x98\x80", 4);
	expect_memo_bytes(buf, MEMO_MAX_BYTES, TREASURY_OK);
	/* Length is checked in bytes, before the content. */
	memset(buf, 0xff, sizeof(buf));
	expect_memo_bytes(buf, MEMO_MAX_BYTES + 1, TREASURY_ERR_MEMO_TOO_LONG);
	memset(buf, 'a', sizeof(buf));
	memcpy(buf + MEMO_MAX_BYTES - 1, "\xc3\xa9", 2);
	expect_memo_bytes(buf, MEMO_MAX_BYTES + 1, TREASURY_ERR_MEMO_TOO_LONG);
	/* A character cut by the length given is malformed. */
	expect_memo_bytes(buf, MEMO_MAX_BYTES, TREASURY_ERR_MEMO_UTF8);
}

/* ---- timestamps ---- */

static void
test_timestamp_values(void **state)
{
	(void)state;
	expect_ts_value("1970-01-01T00:00:00Z", 0);
	expect_ts_value("1970-01-01T00:00:01Z", 1);
	expect_ts_value("1970-01-02T00:00:00Z", DAY_S);
	expect_ts_value("2000-01-01T00:00:00Z", 946684800);
	expect_ts_value("2026-12-31T00:00:00Z", 1798675200);
	expect_ts_value("2038-01-19T03:14:08Z", 2147483648LL);
	expect_ts_value("2106-02-07T06:28:16Z", 4294967296LL);
	expect_ts_value("9999-12-31T23:59:59Z", 253402300799LL);
}

static void
test_timestamp_leap_years(void **state)
{
	(void)state;
	/* Divisible by 4: leap. */
	expect_ts_value("2024-02-29T00:00:00Z", 1709164800);
	expect_ts_value("2028-02-29T12:00:00Z", 1835438400);
	expect_ts("2023-02-29T00:00:00Z", TREASURY_ERR_TIMESTAMP);
	expect_ts("2027-02-29T00:00:00Z", TREASURY_ERR_TIMESTAMP);
	expect_ts("2024-02-30T00:00:00Z", TREASURY_ERR_TIMESTAMP);
	/* Divisible by 400: leap (2000, 2400). */
	expect_ts_value("2000-02-29T00:00:00Z", 951782400);
	expect_ts_value("2000-03-01T00:00:00Z", 951868800);
	expect_ts_value("2400-02-29T00:00:00Z", 13574563200LL);
	/* Divisible by 100 but not 400: not leap (the 1900 rule; 1900 itself
	 * is before 1970 and refused for that). */
	expect_ts("1900-02-29T00:00:00Z", TREASURY_ERR_TIMESTAMP);
	expect_ts("1900-02-28T00:00:00Z", TREASURY_ERR_TIMESTAMP);
	expect_ts("2100-02-29T00:00:00Z", TREASURY_ERR_TIMESTAMP);
	expect_ts("2200-02-29T00:00:00Z", TREASURY_ERR_TIMESTAMP);
	expect_ts("2300-02-29T00:00:00Z", TREASURY_ERR_TIMESTAMP);
	expect_ts_value("2100-02-28T23:59:59Z", 4107542399LL);
	expect_ts_value("2100-03-01T00:00:00Z", 4107542400LL);
}

static void
test_timestamp_field_ranges(void **state)
{
	static const char *const bad[] = {
		"1969-12-31T23:59:59Z", "0000-01-01T00:00:00Z",
		"2026-00-01T00:00:00Z", "2026-13-01T00:00:00Z",
		"2026-01-00T00:00:00Z", "2026-01-32T00:00:00Z",
		"2026-04-31T00:00:00Z", "2026-06-31T00:00:00Z",
		"2026-09-31T00:00:00Z", "2026-11-31T00:00:00Z",
		"2026-01-01T24:00:00Z", "2026-01-01T00:60:00Z",
		"2026-12-31T23:59:60Z", "2026-01-01T99:99:99Z",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_ts(bad[i], TREASURY_ERR_TIMESTAMP);
	expect_ts("2026-01-31T23:59:59Z", TREASURY_OK);
	expect_ts("2026-03-31T00:00:00Z", TREASURY_OK);
	expect_ts("2026-04-30T00:00:00Z", TREASURY_OK);
	expect_ts("2026-12-31T23:59:59Z", TREASURY_OK);
}

static void
test_timestamp_syntax(void **state)
{
	static const char *const bad[] = {
		"", "2026-12-31T00:00:00z", "2026-12-31t00:00:00Z",
		"2026-12-31T00:00:00", "2026-12-31 00:00:00Z",
		"2026-12-31T00:00:00+00:00", "2026-12-31T00:00:00.000Z",
		"2026/12/31T00:00:00Z", "2026-12-31T00-00-00Z",
		"2026-12-31T00:00Z", "2026-1-31T00:00:00Z", "26-12-31T00:00:00Z",
		"+2026-12-31T00:00:00Z", "2O26-12-31T00:00:00Z",
		"2026-12-3aT00:00:00Z", "2026-12-31T0 :00:00Z",
		" 2026-12-31T00:00:00Z", "2026-12-31T00:00:00Z ",
		"2026-12-31T00:00:00Z\n", "20261231T000000Z",
		"2026-12-31T00:00:00ZZ", "2026-12-31X00:00:00Z",
		"2026-12-31T00:00:00UTC", "\xd9\xa2" "026-12-31T00:00:00Z",
		"-026-12-31T00:00:00Z",
	};
	int64_t t = 7;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_ts(bad[i], TREASURY_ERR_TIMESTAMP);
	assert_int_equal(timestamp_parse(NULL, 0, &t), TREASURY_ERR_TIMESTAMP);
	/* Exactly the length given: a valid prefix of a longer text. */
	assert_int_equal(timestamp_parse("2026-12-31T00:00:00Zjunk",
	    TIMESTAMP_BYTES, &t), TREASURY_OK);
	assert_int_equal(t, 1798675200);
	assert_int_equal(timestamp_parse("2026-12-31T00:00:00Z",
	    TIMESTAMP_BYTES - 1, &t), TREASURY_ERR_TIMESTAMP);
}

/* Every day from 1970 to 9999 agrees with the C library, both ways. */
static void
test_timestamp_matches_gmtime(void **state)
{
	char want[TIMESTAMP_BYTES + 1], got[TIMESTAMP_BYTES + 1];
	int64_t s, back;
	struct tm tm;
	time_t tt;
	int n;

	(void)state;
	for (s = 0; s <= 253402300799LL; s += DAY_S + 3601) {
		tt = (time_t)s;
		assert_non_null(gmtime_r(&tt, &tm));
		n = snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
		assert_int_equal(n, TIMESTAMP_BYTES);
		timestamp_format(s, got);
		assert_string_equal(got, want);
		assert_int_equal(timestamp_parse(want, TIMESTAMP_BYTES, &back),
		    TREASURY_OK);
		assert_int_equal(back, s);
	}
}

static void
test_timestamp_format(void **state)
{
	char out[TIMESTAMP_BYTES + 1];

	(void)state;
	timestamp_format(0, out);
	assert_string_equal(out, "1970-01-01T00:00:00Z");
	timestamp_format(951868799, out);
	assert_string_equal(out, "2000-02-29T23:59:59Z");
	timestamp_format(951868800, out);
	assert_string_equal(out, "2000-03-01T00:00:00Z");
	timestamp_format(253402300799LL, out);
	assert_string_equal(out, "9999-12-31T23:59:59Z");
	assert_int_equal(strlen(out), TIMESTAMP_BYTES);
}

/* ---- expiry window ---- */

static void
test_expiry_check(void **state)
{
	const int64_t now = 1798675200;

	(void)state;
	assert_int_equal(expiry_check(now + 60, now), TREASURY_OK);
	assert_int_equal(expiry_check(now + 59, now), TREASURY_ERR_EXPIRY_TOO_SOON);
	assert_int_equal(expiry_check(now, now), TREASURY_ERR_EXPIRY_TOO_SOON);
	assert_int_equal(expiry_check(now - 1, now), TREASURY_ERR_EXPIRY_TOO_SOON);
	assert_int_equal(expiry_check(0, now), TREASURY_ERR_EXPIRY_TOO_SOON);
	assert_int_equal(expiry_check(now + 90 * DAY_S, now), TREASURY_OK);
	assert_int_equal(expiry_check(now + 90 * DAY_S + 1, now),
	    TREASURY_ERR_EXPIRY_TOO_LATE);
	assert_int_equal(expiry_check(now + 7 * DAY_S, now), TREASURY_OK);
	assert_int_equal(PROPOSAL_EXPIRY_MIN_S, 60);
	assert_int_equal(PROPOSAL_EXPIRY_MAX_S, 90 * DAY_S);
	/* Extreme values do not wrap around. */
	assert_int_equal(expiry_check(INT64_MIN, now), TREASURY_ERR_EXPIRY_TOO_SOON);
	assert_int_equal(expiry_check(INT64_MAX, now), TREASURY_ERR_EXPIRY_TOO_LATE);
	assert_int_equal(expiry_check(INT64_MAX, -10), TREASURY_ERR_EXPIRY_TOO_LATE);
	assert_int_equal(expiry_check(INT64_MIN, 10), TREASURY_ERR_EXPIRY_TOO_SOON);
	assert_int_equal(expiry_check(INT64_MIN, INT64_MAX),
	    TREASURY_ERR_EXPIRY_TOO_SOON);
	assert_int_equal(expiry_check(INT64_MAX, INT64_MIN),
	    TREASURY_ERR_EXPIRY_TOO_LATE);
}

/* ---- textbuf ---- */

static void
test_textbuf_basics(void **state)
{
	struct textbuf b;

	(void)state;
	textbuf_init(&b, 5);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(textbuf_append(&b, "", 0), TREASURY_OK);
	assert_int_equal(textbuf_append(&b, NULL, 0), TREASURY_OK);
	assert_int_equal(b.len, 0);
	assert_int_equal(textbuf_append(&b, "abc", 3), TREASURY_OK);
	assert_int_equal(b.len, 3);
	assert_string_equal(b.data, "abc");
	/* Too large: refused whole, buffer unchanged. */
	assert_int_equal(textbuf_append(&b, "def", 3), TREASURY_ERR_TOO_LARGE);
	assert_int_equal(b.len, 3);
	assert_string_equal(b.data, "abc");
	assert_int_equal(textbuf_append(&b, "de", 2), TREASURY_OK);
	assert_string_equal(b.data, "abcde");
	assert_int_equal(b.len, 5);
	assert_int_equal(textbuf_append(&b, "f", 1), TREASURY_ERR_TOO_LARGE);
	assert_int_equal(textbuf_append(&b, "", 0), TREASURY_OK);
	assert_string_equal(b.data, "abcde");
	textbuf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	/* Usable again after free, with the same limit. */
	assert_int_equal(textbuf_append(&b, "xy", 2), TREASURY_OK);
	assert_string_equal(b.data, "xy");
	assert_int_equal(textbuf_append(&b, "1234", 4), TREASURY_ERR_TOO_LARGE);
	textbuf_free(&b);
	textbuf_free(&b);	/* twice is harmless */
}

static void
test_textbuf_zero_max(void **state)
{
	struct textbuf b;

	(void)state;
	textbuf_init(&b, 0);
	assert_int_equal(textbuf_append(&b, "a", 1), TREASURY_ERR_TOO_LARGE);
	assert_int_equal(textbuf_append(&b, "", 0), TREASURY_OK);
	assert_null(b.data);
	textbuf_free(&b);
}

static void
test_textbuf_grows(void **state)
{
	char chunk[100];
	struct textbuf b;
	size_t i;

	(void)state;
	textbuf_init(&b, CANONICAL_MAX_BYTES);
	for (i = 0; i < CANONICAL_MAX_BYTES / sizeof(chunk); i++) {
		memset(chunk, 'a' + (int)(i % 26), sizeof(chunk));
		assert_int_equal(textbuf_append(&b, chunk, sizeof(chunk)),
		    TREASURY_OK);
	}
	assert_int_equal(b.len, CANONICAL_MAX_BYTES / sizeof(chunk) *
	    sizeof(chunk));
	assert_true(b.cap > b.len);
	assert_true(b.cap <= (size_t)CANONICAL_MAX_BYTES + 1);
	for (i = 0; i < b.len; i++)
		assert_int_equal(b.data[i], 'a' + (int)(i / sizeof(chunk) % 26));
	assert_int_equal(b.data[b.len], '\0');
	/* Fill to exactly the maximum, then one more byte is refused. */
	memset(chunk, 'z', sizeof(chunk));
	assert_int_equal(textbuf_append(&b, chunk, CANONICAL_MAX_BYTES - b.len),
	    TREASURY_OK);
	assert_int_equal(b.len, CANONICAL_MAX_BYTES);
	assert_int_equal(b.data[b.len], '\0');
	assert_int_equal(textbuf_append(&b, "z", 1), TREASURY_ERR_TOO_LARGE);
	textbuf_free(&b);
}

/* ---- canonical transfer text ---- */

struct fixture {
	struct proposal_header hdr;
	struct transfer t;
	struct textbuf out;
};

static void
fixture_init(struct fixture *f)
{
	size_t i;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < INSTANCE_ID_BYTES; i++)
		f->hdr.instance[i] = (uint8_t)(0xf0 + i % 16);
	f->hdr.treasury = "grants";
	f->hdr.config_version = 2;
	f->hdr.kind = "transfer";
	f->hdr.nonce = 17;
	f->hdr.expires_s = 1798675200;		/* 2026-12-31T00:00:00Z */
	f->t.asset = "USDC";
	f->t.decimals = 6;
	f->t.amount = 1500500000;
	f->t.to = "0xabc";
	f->t.memo = "March payroll";
	f->t.memo_len = strlen(f->t.memo);
	textbuf_init(&f->out, CANONICAL_MAX_BYTES);
}

#define FIXTURE_HEAD							\
	"treasuryd proposal v1\n"					\
	"instance: f0f1f2f3f4f5f6f7f8f9fafbfcfdfefff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff\n" \
	"treasury: grants\n"						\
	"config: 2\n"							\
	"kind: transfer\n"						\
	"nonce: 17\n"							\
	"expires: 2026-12-31T00:00:00Z\n"

static void
expect_encode_err(struct fixture *f, treasury_err want)
{
	treasury_err err;

	err = canonical_encode_transfer(&f->out, &f->hdr, &f->t);
	if (err != want)
		print_error("encode: got %s, want %s\n", treasury_err_name(err),
		    treasury_err_name(want));
	assert_int_equal(err, want);
	assert_int_equal(f->out.len, 0);
	textbuf_free(&f->out);
}

static void
test_encode_transfer(void **state)
{
	struct fixture f;

	(void)state;
	fixture_init(&f);
	assert_int_equal(canonical_encode_transfer(&f.out, &f.hdr, &f.t),
	    TREASURY_OK);
	assert_string_equal(f.out.data, FIXTURE_HEAD
	    "asset: USDC\n"
	    "amount: 1500.500000\n"
	    "to: 0xabc\n"
	    "memo: March payroll\n");
	assert_int_equal(f.out.len, strlen(f.out.data));
	textbuf_free(&f.out);
}

static void
test_encode_transfer_empty_memo(void **state)
{
	static const char want[] = FIXTURE_HEAD
	    "asset: USDC\n"
	    "amount: 1500.500000\n"
	    "to: 0xabc\n"
	    "memo: \n";
	struct fixture f;

	(void)state;
	fixture_init(&f);
	f.t.memo = NULL;
	f.t.memo_len = 0;
	assert_int_equal(canonical_encode_transfer(&f.out, &f.hdr, &f.t),
	    TREASURY_OK);
	assert_int_equal(f.out.len, sizeof(want) - 1);
	assert_memory_equal(f.out.data, want, sizeof(want) - 1);
	textbuf_free(&f.out);
	/* An empty memo given as "" is the same. */
	fixture_init(&f);
	f.t.memo = "";
	f.t.memo_len = 0;
	assert_int_equal(canonical_encode_transfer(&f.out, &f.hdr, &f.t),
	    TREASURY_OK);
	assert_string_equal(f.out.data, want);
	textbuf_free(&f.out);
}

static void
test_encode_transfer_extremes(void **state)
{
	char memo_max[MEMO_MAX_BYTES];
	struct fixture f;
	char *want;
	size_t want_len;

	(void)state;
	fixture_init(&f);
	memset(memo_max, 'm', sizeof(memo_max));
	f.hdr.treasury = "abcdefghijklmnopqrstuvwxyz012345";
	f.hdr.config_version = UINT64_MAX;
	f.hdr.nonce = UINT64_MAX;
	f.hdr.expires_s = 253402300799LL;
	f.t.asset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef";
	f.t.decimals = 18;
	f.t.amount = AMOUNT_MINOR_MAX;
	f.t.memo = memo_max;
	f.t.memo_len = sizeof(memo_max);
	assert_int_equal(canonical_encode_transfer(&f.out, &f.hdr, &f.t),
	    TREASURY_OK);
	want_len = 4096;
	want = test_malloc(want_len);
	assert_int_equal(snprintf(want, want_len,
	    "treasuryd proposal v1\n"
	    "instance: f0f1f2f3f4f5f6f7f8f9fafbfcfdfefff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff\n"
	    "treasury: abcdefghijklmnopqrstuvwxyz012345\n"
	    "config: 18446744073709551615\n"
	    "kind: transfer\n"
	    "nonce: 18446744073709551615\n"
	    "expires: 9999-12-31T23:59:59Z\n"
	    "asset: ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef\n"
	    "amount: 340282366920938463463.374607431768211455\n"
	    "to: 0xabc\n"
	    "memo: %.*s\n", MEMO_MAX_BYTES, memo_max) > 0, 1);
	assert_string_equal(f.out.data, want);
	test_free(want);
	textbuf_free(&f.out);
	/* Zero decimals: no point at all. */
	fixture_init(&f);
	f.t.decimals = 0;
	f.t.amount = 7;
	assert_int_equal(canonical_encode_transfer(&f.out, &f.hdr, &f.t),
	    TREASURY_OK);
	assert_non_null(strstr(f.out.data, "\namount: 7\nto: "));
	textbuf_free(&f.out);
	/* The epoch is a valid expiry for the encoder (the clock is not its
	 * business). */
	fixture_init(&f);
	f.hdr.expires_s = 0;
	assert_int_equal(canonical_encode_transfer(&f.out, &f.hdr, &f.t),
	    TREASURY_OK);
	assert_non_null(strstr(f.out.data, "\nexpires: 1970-01-01T00:00:00Z\n"));
	textbuf_free(&f.out);
}

static void
test_encode_transfer_header_errors(void **state)
{
	struct fixture f;

	(void)state;
	fixture_init(&f);
	f.hdr.treasury = "Grants";
	expect_encode_err(&f, TREASURY_ERR_TREASURY_ID);
	fixture_init(&f);
	f.hdr.treasury = "";
	expect_encode_err(&f, TREASURY_ERR_TREASURY_ID);
	fixture_init(&f);
	f.hdr.treasury = NULL;
	expect_encode_err(&f, TREASURY_ERR_TREASURY_ID);
	fixture_init(&f);
	f.hdr.treasury = "grants\nasset: BTC";
	expect_encode_err(&f, TREASURY_ERR_TREASURY_ID);
	fixture_init(&f);
	f.hdr.config_version = 0;
	expect_encode_err(&f, TREASURY_ERR_INTERNAL);
	fixture_init(&f);
	f.hdr.nonce = 0;
	expect_encode_err(&f, TREASURY_ERR_INTERNAL);
	fixture_init(&f);
	f.hdr.kind = "batch";
	expect_encode_err(&f, TREASURY_ERR_KIND);
	fixture_init(&f);
	f.hdr.kind = "Transfer";
	expect_encode_err(&f, TREASURY_ERR_KIND);
	fixture_init(&f);
	f.hdr.kind = NULL;
	expect_encode_err(&f, TREASURY_ERR_KIND);
	fixture_init(&f);
	f.hdr.expires_s = -1;
	expect_encode_err(&f, TREASURY_ERR_TIMESTAMP);
	fixture_init(&f);
	f.hdr.expires_s = 253402300800LL;
	expect_encode_err(&f, TREASURY_ERR_TIMESTAMP);
	fixture_init(&f);
	f.hdr.expires_s = INT64_MAX;
	expect_encode_err(&f, TREASURY_ERR_TIMESTAMP);
}

static void
test_encode_transfer_body_errors(void **state)
{
	struct fixture f;

	(void)state;
	fixture_init(&f);
	f.t.asset = ".USDC";
	expect_encode_err(&f, TREASURY_ERR_ASSET_CODE);
	fixture_init(&f);
	f.t.asset = NULL;
	expect_encode_err(&f, TREASURY_ERR_ASSET_CODE);
	fixture_init(&f);
	f.t.asset = "";
	expect_encode_err(&f, TREASURY_ERR_ASSET_CODE);
	fixture_init(&f);
	f.t.decimals = 19;
	expect_encode_err(&f, TREASURY_ERR_DECIMALS);
	fixture_init(&f);
	f.t.amount = 0;
	expect_encode_err(&f, TREASURY_ERR_AMOUNT_ZERO);
	fixture_init(&f);
	f.t.to = "0x abc";
	expect_encode_err(&f, TREASURY_ERR_DESTINATION);
	fixture_init(&f);
	f.t.to = "";
	expect_encode_err(&f, TREASURY_ERR_DESTINATION);
	fixture_init(&f);
	f.t.to = NULL;
	expect_encode_err(&f, TREASURY_ERR_DESTINATION);
	fixture_init(&f);
	f.t.to = "0xabc\nmemo: x";
	expect_encode_err(&f, TREASURY_ERR_DESTINATION);
	fixture_init(&f);
	f.t.memo = "ok\nto: 0xevil";
	f.t.memo_len = strlen(f.t.memo);
	expect_encode_err(&f, TREASURY_ERR_MEMO_CHAR);
	fixture_init(&f);
	f.t.memo = "ok\r";
	f.t.memo_len = 3;
	expect_encode_err(&f, TREASURY_ERR_MEMO_CHAR);
	fixture_init(&f);
	f.t.memo = "caf\xe9";
	f.t.memo_len = 4;
	expect_encode_err(&f, TREASURY_ERR_MEMO_UTF8);
	fixture_init(&f);
	f.t.memo = "a\0b";	/* NUL inside the given length */
	f.t.memo_len = 3;
	expect_encode_err(&f, TREASURY_ERR_MEMO_CHAR);
	fixture_init(&f);
	f.t.memo = NULL;
	f.t.memo_len = 1;
	expect_encode_err(&f, TREASURY_ERR_INTERNAL);
}

static void
test_encode_transfer_memo_too_long(void **state)
{
	char memo_long[MEMO_MAX_BYTES + 1];
	struct fixture f;

	(void)state;
	memset(memo_long, 'm', sizeof(memo_long));
	fixture_init(&f);
	f.t.memo = memo_long;
	f.t.memo_len = sizeof(memo_long);
	expect_encode_err(&f, TREASURY_ERR_MEMO_TOO_LONG);
}

static void
test_encode_transfer_buffer_limit(void **state)
{
	struct fixture f;
	size_t full;

	(void)state;
	fixture_init(&f);
	assert_int_equal(canonical_encode_transfer(&f.out, &f.hdr, &f.t),
	    TREASURY_OK);
	full = f.out.len;
	textbuf_free(&f.out);
	/* Exactly big enough. */
	textbuf_init(&f.out, full);
	assert_int_equal(canonical_encode_transfer(&f.out, &f.hdr, &f.t),
	    TREASURY_OK);
	assert_int_equal(f.out.len, full);
	textbuf_free(&f.out);
	/* One byte short: refused, and no half text is left behind. */
	textbuf_init(&f.out, full - 1);
	expect_encode_err(&f, TREASURY_ERR_TOO_LARGE);
	textbuf_init(&f.out, 10);
	assert_int_equal(canonical_encode_transfer(&f.out, &f.hdr, &f.t),
	    TREASURY_ERR_TOO_LARGE);
	assert_int_equal(f.out.len, 0);
	assert_true(f.out.data == NULL || f.out.data[0] == '\0');
	textbuf_free(&f.out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_treasury_id),
		cmocka_unit_test(test_asset_code),
		cmocka_unit_test(test_destination),
		cmocka_unit_test(test_memo_accepts),
		cmocka_unit_test(test_memo_c0_del_c1),
		cmocka_unit_test(test_memo_noncharacters),
		cmocka_unit_test(test_memo_bidi_format_separators),
		cmocka_unit_test(test_memo_default_ignorable),
		cmocka_unit_test(test_memo_overlong),
		cmocka_unit_test(test_memo_surrogates),
		cmocka_unit_test(test_memo_malformed),
		cmocka_unit_test(test_memo_first_problem_wins),
		cmocka_unit_test(test_memo_length),
		cmocka_unit_test(test_timestamp_values),
		cmocka_unit_test(test_timestamp_leap_years),
		cmocka_unit_test(test_timestamp_field_ranges),
		cmocka_unit_test(test_timestamp_syntax),
		cmocka_unit_test(test_timestamp_matches_gmtime),
		cmocka_unit_test(test_timestamp_format),
		cmocka_unit_test(test_expiry_check),
		cmocka_unit_test(test_chain_and_treasury_name),
		cmocka_unit_test(test_textbuf_basics),
		cmocka_unit_test(test_textbuf_zero_max),
		cmocka_unit_test(test_textbuf_grows),
		cmocka_unit_test(test_encode_transfer),
		cmocka_unit_test(test_encode_transfer_empty_memo),
		cmocka_unit_test(test_encode_transfer_extremes),
		cmocka_unit_test(test_encode_transfer_header_errors),
		cmocka_unit_test(test_encode_transfer_body_errors),
		cmocka_unit_test(test_encode_transfer_memo_too_long),
		cmocka_unit_test(test_encode_transfer_buffer_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
