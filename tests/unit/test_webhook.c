/*
 * test_webhook.c: core/webhook.c: the Standard Webhooks signature (the
 * specification's published example), the secret's form, the retry
 * schedule (doubling, jitter bounds, the day cap), URL parsing and the
 * webhook_hosts allowlist, event type names.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "treasury/crypto_init.h"
#include "treasury/webhook.h"

/* The example of the Standard Webhooks specification (and of its
 * reference libraries' tests). */
static void
test_sign_standard_example(void **state)
{
	static const char key_b64[] = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
	static const char body[] = "{\"test\": 2432232314}";
	uint8_t key[64];
	size_t key_len = 0;
	char sig[WEBHOOK_SIGNATURE_TEXT_BYTES];

	(void)state;
	assert_int_equal(sodium_base642bin(key, sizeof(key), key_b64,
	    strlen(key_b64), NULL, &key_len, NULL,
	    sodium_base64_VARIANT_ORIGINAL), 0);
	webhook_sign(key, key_len, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
	    body, strlen(body), sig);
	assert_string_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	/* any change of id, time or body changes it */
	webhook_sign(key, key_len, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331,
	    body, strlen(body), sig);
	assert_string_not_equal(sig,
	    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

static void
test_secret_text(void **state)
{
	uint8_t a[WEBHOOK_SECRET_BYTES], b[WEBHOOK_SECRET_BYTES];
	uint8_t back[WEBHOOK_SECRET_BYTES];
	char text[WEBHOOK_SECRET_TEXT_BYTES];
	size_t len = 0;

	(void)state;
	webhook_secret_generate(a);
	webhook_secret_generate(b);
	assert_memory_not_equal(a, b, sizeof(a));
	webhook_secret_text(a, sizeof(a), text);
	assert_memory_equal(text, "whsec_", 6);
	assert_int_equal(strlen(text), WEBHOOK_SECRET_TEXT_BYTES - 1);
	assert_int_equal(sodium_base642bin(back, sizeof(back), text + 6,
	    strlen(text + 6), NULL, &len, NULL,
	    sodium_base64_VARIANT_ORIGINAL), 0);
	assert_int_equal(len, WEBHOOK_SECRET_BYTES);
	assert_memory_equal(back, a, sizeof(a));
}

static void
test_backoff_schedule(void **state)
{
	const uint64_t base = 10000;

	(void)state;
	/* random % 400 == 200: factor exactly 1.0 */
	for (unsigned n = 1; n <= 14; n++)
		assert_int_equal(webhook_backoff_ms(n, base, 200),
		    base << (n - 1));
	/* after the 14th failure 10 s * 2^13 = 81920 s; after the 15th
	 * 163840 s would be more than a day */
	assert_int_equal(webhook_backoff_ms(15, base, 200),
	    WEBHOOK_BACKOFF_CAP_MS);
	assert_int_equal(webhook_backoff_ms(30, base, 200),
	    WEBHOOK_BACKOFF_CAP_MS);
	assert_int_equal(webhook_backoff_ms(200, base, 399),
	    WEBHOOK_BACKOFF_CAP_MS);
	/* jitter bounds: [0.8, 1.2) */
	assert_int_equal(webhook_backoff_ms(1, base, 0), 8000);
	assert_int_equal(webhook_backoff_ms(1, base, 399), 11990);
	assert_int_equal(webhook_backoff_ms(3, base, 400), 32000); /* % 400 */
	for (uint32_t r = 0; r < 2000; r += 7) {
		uint64_t d = webhook_backoff_ms(5, 300, r * 2654435761u);
		assert_true(d >= 3840 && d < 5760);
	}
	/* never above a day, even jittered up */
	assert_true(webhook_backoff_ms(16, 3600000, 399) ==
	    WEBHOOK_BACKOFF_CAP_MS);
}

static void
url_ok(const char *url, bool https, const char *host, unsigned port)
{
	struct webhook_url u;
	const char *why = NULL;

	assert_int_equal(webhook_url_parse(url, strlen(url), &u, &why),
	    TREASURY_OK);
	assert_int_equal(u.https, https);
	assert_string_equal(u.host, host);
	assert_int_equal(u.port, port);
}

static void
url_bad(const char *url)
{
	struct webhook_url u;
	const char *why = NULL;

	assert_int_equal(webhook_url_parse(url, strlen(url), &u, &why),
	    TREASURY_ERR_WEBHOOK_URL);
	assert_non_null(why);
}

static void
test_url_parse(void **state)
{
	char long_url[WEBHOOK_URL_MAX_BYTES + 2];

	(void)state;
	url_ok("http://127.0.0.1:8080/hook", false, "127.0.0.1", 8080);
	url_ok("https://Hooks.Example.COM/a/b?c=d", true, "hooks.example.com",
	    443);
	url_ok("HTTP://h", false, "h", 80);
	url_ok("http://[::1]:9000/", false, "::1", 9000);
	url_ok("https://[2001:db8::1]/x", true, "2001:db8::1", 443);
	url_bad("");
	url_bad("ftp://h/x");
	url_bad("file:///etc/passwd");
	url_bad("gopher://h:70/");
	url_bad("http://");
	url_bad("http:///x");
	url_bad("http://user@h/x");
	url_bad("http://user:pw@h/x");
	url_ok("http://h/x@y", false, "h", 80);	/* @ in the path */
	url_bad("http://h:0/");
	url_bad("http://h:65536/");
	url_bad("http://h:80a/");
	url_bad("http://h:/");
	url_bad("http://h_x/");
	url_bad("http://h/a b");
	url_bad("http://h/a#frag");
	url_bad("http://h/\x01");
	url_bad("http://h\\@evil/");
	url_bad("http://[::1/");
	url_bad("http://[::1]x/");
	url_bad("http://h?x=1");
	memset(long_url, 'a', sizeof(long_url));
	memcpy(long_url, "http://h/", 9);
	long_url[WEBHOOK_URL_MAX_BYTES] = '\0';
	url_ok(long_url, false, "h", 80);	/* exactly 2048 bytes */
	long_url[WEBHOOK_URL_MAX_BYTES] = 'a';
	long_url[WEBHOOK_URL_MAX_BYTES + 1] = '\0';
	url_bad(long_url);
}

static bool
allows(const char *list, const char *url)
{
	struct webhook_url u;
	const char *why;

	assert_int_equal(webhook_url_parse(url, strlen(url), &u, &why),
	    TREASURY_OK);
	return webhook_hosts_allow(list, &u);
}

static void
test_hosts_allowlist(void **state)
{
	const char *why = NULL;

	(void)state;
	assert_true(webhook_hosts_valid("", &why));
	assert_true(webhook_hosts_valid("127.0.0.1", &why));
	assert_true(webhook_hosts_valid("127.0.0.1:9000, hooks.example.com ,"
	    "[::1]:8080,[::1]", &why));
	assert_false(webhook_hosts_valid(",", &why));
	assert_false(webhook_hosts_valid("a,,b", &why));
	assert_false(webhook_hosts_valid("a,", &why));
	assert_false(webhook_hosts_valid("a:0", &why));
	assert_false(webhook_hosts_valid("a:x", &why));
	assert_false(webhook_hosts_valid("http://a", &why));
	assert_false(webhook_hosts_valid("a b", &why));
	assert_false(webhook_hosts_valid("[::1", &why));

	assert_false(allows("", "http://127.0.0.1/"));
	assert_true(allows("127.0.0.1", "http://127.0.0.1:1234/x"));
	assert_true(allows("127.0.0.1", "https://127.0.0.1/x"));
	assert_true(allows("127.0.0.1:1234", "http://127.0.0.1:1234/x"));
	assert_false(allows("127.0.0.1:1234", "http://127.0.0.1:1235/x"));
	assert_false(allows("127.0.0.1:80", "http://127.0.0.1:8080/x"));
	assert_true(allows("127.0.0.1:80", "http://127.0.0.1/x"));
	assert_false(allows("127.0.0.1", "http://127.0.0.10/x"));
	assert_false(allows("127.0.0.1", "http://localhost/x"));
	assert_true(allows("a.example, Hooks.Example:443",
	    "https://hooks.EXAMPLE/x"));
	assert_false(allows("hooks.example", "https://hooks.example.evil/x"));
	assert_false(allows("hooks.example", "https://evil.hooks.example/x"));
	assert_true(allows("[::1]:8080", "http://[::1]:8080/"));
	assert_false(allows("[::1]:8080", "http://[::2]:8080/"));
}

static void
test_event_types(void **state)
{
	(void)state;
	assert_true(webhook_event_type_known("deposit", 7));
	assert_true(webhook_event_type_known("proposal.awaiting", 17));
	assert_true(webhook_event_type_known("token.bound", 11));
	/* issue #14: budgets and prices */
	assert_true(webhook_event_type_known("budget.alert", 12));
	assert_true(webhook_event_type_known("budget.set", 10));
	assert_true(webhook_event_type_known("budget.deleted", 14));
	assert_true(webhook_event_type_known("price.set", 9));
	assert_false(webhook_event_type_known("deposit", 6));
	assert_false(webhook_event_type_known("proposal.*", 10));
	assert_false(webhook_event_type_known("", 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_standard_example),
		cmocka_unit_test(test_secret_text),
		cmocka_unit_test(test_backoff_schedule),
		cmocka_unit_test(test_url_parse),
		cmocka_unit_test(test_hosts_allowlist),
		cmocka_unit_test(test_event_types),
	};

	if (treasury_crypto_init() != TREASURY_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
