/*
 * test_cli_policy_file.c: the policy JSON a signer writes in a file
 * (cli/policy_file.c): policy_file_load's strict reading (unknown members,
 * wrong types, out-of-range values, at most 16 limits and reserves and 64
 * destinations, "path: 'member' why" naming the member), and
 * policy_file_compare naming the first field that differs from a decoded
 * policy.
 */
#include "cli_test_util.h"

#include "treasury/canonical.h"
#include "treasury/policy.h"

static char *dir;

static int
dir_setup(void **state)
{
	(void)state;
	dir = tmpdir_make();
	return 0;
}

static int
dir_teardown(void **state)
{
	(void)state;
	tmpdir_remove(dir);
	return 0;
}

/* Load text as a policy file: the exit code; with the message (after
 * "<path>: ") in why when refused. */
static int
load(const char *text, char *why, size_t why_size)
{
	const char *path = file_put(dir, "policy.json", text, strlen(text),
	    0644);
	size_t plen = strlen(path);
	json_t *out = (json_t *)1;
	int rc;

	errs_clear();
	rc = policy_file_load(path, &out);
	if (rc == CTL_OK) {
		assert_non_null(out);
		assert_true(json_is_object(out));
		assert_int_equal(errs_count, 0);
		json_decref(out);
		return rc;
	}
	assert_null(out);
	assert_int_equal(errs_count, 1);
	assert_memory_equal(errs, path, plen);
	snprintf(why, why_size, "%s", errs + plen);
	why[strlen(why) - 1] = '\0';		/* the '\n' */
	return rc;
}

#define LOAD_OK(text) do {						\
	char w_[512];							\
	assert_int_equal(load(text, w_, sizeof(w_)), CTL_OK);		\
} while (0)

/* Refused with CTL_USAGE and exactly this message after the path. */
#define LOAD_BAD(text, want) do {					\
	char w_[512];							\
	assert_int_equal(load(text, w_, sizeof(w_)), CTL_USAGE);	\
	assert_string_equal(w_, want);					\
} while (0)

static void
test_valid(void **state)
{
	(void)state;
	LOAD_OK("{}");
	LOAD_OK("{\"timelock_spend_s\": 3600, \"timelock_config_s\": 7200,"
	    " \"veto_count\": null, \"config_threshold\": null,"
	    " \"high_threshold\": 3, \"key_proof\": true,"
	    " \"limits\": [{\"asset\": \"USDC\", \"day\": \"1000.5\","
	    " \"week\": null, \"month\": \"20000\"}],"
	    " \"reserves\": [{\"asset\": \"BTC\", \"amount\":"
	    " \"0.000000000000000001\"}],"
	    " \"allowlist\": {\"enabled\": true, \"destinations\":"
	    " [{\"to\": \"bc1qxyz\", \"label\": \"cold\"}, {\"to\": \"0xabc\"}]}}");
	LOAD_OK("{\"allowlist\": {\"enabled\": false}}");
	LOAD_OK("{\"limits\": [], \"reserves\": []}");
	/* the extremes of each range */
	LOAD_OK("{\"timelock_spend_s\": 0, \"veto_count\": 1,"
	    " \"config_threshold\": 1, \"high_threshold\": 1}");
	LOAD_OK("{\"timelock_spend_s\": 7776000, \"timelock_config_s\": 7776000,"
	    " \"veto_count\": 32, \"config_threshold\": 32,"
	    " \"high_threshold\": 32}");
}

static void
test_not_a_policy(void **state)
{
	char w[512];

	(void)state;
	LOAD_BAD("[]", ": 'policy' must be a JSON object");
	assert_int_equal(load("{\"veto_count\": 1, \"veto_count\": 2}", w,
	    sizeof(w)), CTL_USAGE);
	assert_non_null(strstr(w, ":1: not JSON (duplicate keys are refused "
	    "too): "));
	assert_int_equal(load("{\"limits\": [\n", w, sizeof(w)), CTL_USAGE);
	assert_non_null(strstr(w, ": not JSON"));
}

static void
test_unknown_members(void **state)
{
	(void)state;
	LOAD_BAD("{\"timelock\": 1}",
	    ": 'timelock' is not a member of a policy");
	LOAD_BAD("{\"limits\": [{\"asset\": \"USDC\", \"day\": \"1\","
	    " \"year\": \"9\"}]}",
	    ": 'limits[0].year' is not a member of a policy");
	LOAD_BAD("{\"reserves\": [{\"asset\": \"USDC\", \"amount\": \"1\"},"
	    " {\"asset\": \"EURC\", \"amount\": \"1\", \"min\": \"1\"}]}",
	    ": 'reserves[1].min' is not a member of a policy");
	LOAD_BAD("{\"allowlist\": {\"enabled\": true, \"on\": true}}",
	    ": 'allowlist.on' is not a member of a policy");
	LOAD_BAD("{\"allowlist\": {\"enabled\": true, \"destinations\":"
	    " [{\"to\": \"a\", \"memo\": \"m\"}]}}",
	    ": 'allowlist.destinations[0].memo' is not a member of a policy");
}

static void
test_wrong_types(void **state)
{
	(void)state;
	LOAD_BAD("{\"timelock_spend_s\": \"60\"}",
	    ": 'timelock_spend_s' must be an integer in range");
	LOAD_BAD("{\"timelock_config_s\": 60.0}",
	    ": 'timelock_config_s' must be an integer in range");
	LOAD_BAD("{\"timelock_spend_s\": null}",
	    ": 'timelock_spend_s' must be an integer in range");
	LOAD_BAD("{\"veto_count\": true}",
	    ": 'veto_count' must be null or an integer in range");
	LOAD_BAD("{\"key_proof\": 1}", ": 'key_proof' must be true or false");
	LOAD_BAD("{\"key_proof\": null}", ": 'key_proof' must be true or false");
	LOAD_BAD("{\"limits\": {}}", ": 'limits' must be a list of at most 16 "
	    "items (64 destinations)");
	LOAD_BAD("{\"reserves\": [1]}", ": 'reserves[0]' must be an object");
	LOAD_BAD("{\"allowlist\": []}", ": 'allowlist' must be an object");
	LOAD_BAD("{\"allowlist\": {}}",
	    ": 'allowlist.enabled' must be true or false");
	LOAD_BAD("{\"allowlist\": {\"enabled\": true, \"destinations\": \"a\"}}",
	    ": 'allowlist.destinations' must be a list of at most 16 items "
	    "(64 destinations)");
	LOAD_BAD("{\"limits\": [{\"asset\": \"USDC\", \"day\": 10}]}",
	    ": 'limits[0].day' must be a decimal string greater than zero, "
	    "within the asset's decimals");
	LOAD_BAD("{\"limits\": [{\"asset\": 5, \"day\": \"10\"}]}",
	    ": 'limits[0].asset' must be an asset code");
	LOAD_BAD("{\"allowlist\": {\"enabled\": true, \"destinations\":"
	    " [{\"to\": \"a\", \"label\": 7}]}}",
	    ": 'allowlist.destinations[0].label' must be at most 64 bytes of "
	    "memo-safe text");
	LOAD_BAD("{\"allowlist\": {\"enabled\": true, \"destinations\":"
	    " [{\"label\": \"x\"}]}}",
	    ": 'allowlist.destinations[0].to' must be 1..128 printable ASCII "
	    "characters, no space");
}

static void
test_out_of_range(void **state)
{
	(void)state;
	LOAD_BAD("{\"timelock_spend_s\": -1}",
	    ": 'timelock_spend_s' must be an integer in range");
	LOAD_BAD("{\"timelock_spend_s\": 7776001}",
	    ": 'timelock_spend_s' must be an integer in range");
	LOAD_BAD("{\"timelock_config_s\": 7776001}",
	    ": 'timelock_config_s' must be an integer in range");
	LOAD_BAD("{\"veto_count\": 0}",
	    ": 'veto_count' must be null or an integer in range");
	LOAD_BAD("{\"veto_count\": 33}",
	    ": 'veto_count' must be null or an integer in range");
	LOAD_BAD("{\"config_threshold\": 0}",
	    ": 'config_threshold' must be null or an integer in range");
	LOAD_BAD("{\"high_threshold\": 33}",
	    ": 'high_threshold' must be null or an integer in range");
	LOAD_BAD("{\"high_threshold\": 4294967297}",
	    ": 'high_threshold' must be null or an integer in range");
	/* amounts: > 0, at most 18 decimals, no sign */
	LOAD_BAD("{\"limits\": [{\"asset\": \"USDC\", \"day\": \"0\"}]}",
	    ": 'limits[0].day' must be a decimal string greater than zero, "
	    "within the asset's decimals");
	LOAD_BAD("{\"reserves\": [{\"asset\": \"USDC\", \"amount\":"
	    " \"1.0000000000000000001\"}]}",
	    ": 'reserves[0].amount' must be a decimal string greater than zero, "
	    "within the asset's decimals");
	LOAD_BAD("{\"limits\": [{\"asset\": \"USDC\", \"week\": \"-5\"}]}",
	    ": 'limits[0].week' must be a decimal string greater than zero, "
	    "within the asset's decimals");
	LOAD_BAD("{\"reserves\": [{\"asset\": \"USDC\"}]}",
	    ": 'reserves[0].amount' must be a decimal string greater than zero, "
	    "within the asset's decimals");
	LOAD_BAD("{\"limits\": [{\"asset\": \"USDC\", \"day\": null}]}",
	    ": 'limits[0]' sets no limit (day, week or month)");
	LOAD_BAD("{\"limits\": [{\"asset\": \"US DC\", \"day\": \"1\"}]}",
	    ": 'limits[0].asset' must be an asset code");
	LOAD_BAD("{\"allowlist\": {\"enabled\": true, \"destinations\":"
	    " [{\"to\": \"a b\"}]}}",
	    ": 'allowlist.destinations[0].to' must be 1..128 printable ASCII "
	    "characters, no space");
	LOAD_BAD("{\"allowlist\": {\"enabled\": true, \"destinations\":"
	    " [{\"to\": \"a\", \"label\": \"tab\\there\"}]}}",
	    ": 'allowlist.destinations[0].label' must be at most 64 bytes of "
	    "memo-safe text");
	LOAD_BAD("{\"allowlist\": {\"enabled\": true, \"destinations\":"
	    " [{\"to\": \"a\", \"label\": \"12345678901234567890123456789012345"
	    "678901234567890123456789012345\"}]}}",
	    ": 'allowlist.destinations[0].label' must be at most 64 bytes of "
	    "memo-safe text");
	LOAD_OK("{\"allowlist\": {\"enabled\": true, \"destinations\":"
	    " [{\"to\": \"a\", \"label\": \"1234567890123456789012345678901234"
	    "567890123456789012345678901234\"}, {\"to\": \"b\", \"label\":"
	    " \"\"}]}}");
}

/* {"<member>": [n items]} or {"allowlist": {..., "destinations": [...]}} */
static char *
list_policy(const char *member, unsigned n)
{
	size_t size = 64 + (size_t)n * 64, used;
	char *s = malloc(size);
	unsigned i;

	assert_non_null(s);
	if (strcmp(member, "destinations") == 0)
		used = (size_t)snprintf(s, size, "{\"allowlist\": {\"enabled\":"
		    " true, \"destinations\": [");
	else
		used = (size_t)snprintf(s, size, "{\"%s\": [", member);
	for (i = 0; i < n; i++) {
		if (strcmp(member, "limits") == 0)
			used += (size_t)snprintf(s + used, size - used,
			    "%s{\"asset\": \"A%u\", \"day\": \"1\"}",
			    i > 0 ? "," : "", i);
		else if (strcmp(member, "reserves") == 0)
			used += (size_t)snprintf(s + used, size - used,
			    "%s{\"asset\": \"A%u\", \"amount\": \"1\"}",
			    i > 0 ? "," : "", i);
		else
			used += (size_t)snprintf(s + used, size - used,
			    "%s{\"to\": \"d%u\"}", i > 0 ? "," : "", i);
	}
	snprintf(s + used, size - used, "%s",
	    strcmp(member, "destinations") == 0 ? "]}}" : "]}");
	return s;
}

static void
test_list_sizes(void **state)
{
	static const struct {
		const char *member, *path;
		unsigned max;
	} lists[] = {
		{ "limits", "limits", 16 },
		{ "reserves", "reserves", 16 },
		{ "destinations", "allowlist.destinations", 64 },
	};
	char want[256], *s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		s = list_policy(lists[i].member, lists[i].max);
		LOAD_OK(s);
		free(s);
		s = list_policy(lists[i].member, lists[i].max + 1);
		snprintf(want, sizeof(want), ": '%s' must be a list of at most "
		    "16 items (64 destinations)", lists[i].path);
		LOAD_BAD(s, want);
		free(s);
	}
}

/* ---- policy_file_compare ---- */

/* The decoded policy to compare with, for M=2 of N=3: a 1h spend delay,
 * a USDC (6 decimals) daily limit of 1000, a BTC (8 decimals) reserve of
 * 0.5, the allowlist on with one destination. */
static void
got_make(struct treasury_policy *p)
{
	policy_init(p);
	p->timelock_spend_s = 3600;
	p->timelock_config_s = 3600;
	p->limit_count = 1;
	snprintf(p->limits[0].asset, sizeof(p->limits[0].asset), "USDC");
	p->limits[0].decimals = 6;
	p->limits[0].limit_minor[WINDOW_DAY] = 1000000000;
	p->reserve_count = 1;
	snprintf(p->reserves[0].asset, sizeof(p->reserves[0].asset), "BTC");
	p->reserves[0].decimals = 8;
	p->reserves[0].reserve_minor = 50000000;
	p->allowlist_on = true;
	p->allowlist_count = 1;
	snprintf(p->allowlist[0].to, sizeof(p->allowlist[0].to), "bc1qcold");
	snprintf(p->allowlist[0].label, sizeof(p->allowlist[0].label), "cold");
	assert_int_equal(treasury_policy_check(p, 2, 3), TREASURY_OK);
}

#define SAME_AS_GOT "\"timelock_spend_s\": 3600, \"limits\": [{\"asset\":" \
    " \"USDC\", \"day\": \"1000\"}], \"reserves\": [{\"asset\": \"BTC\"," \
    " \"amount\": \"0.5\"}], \"allowlist\": {\"enabled\": true," \
    " \"destinations\": [{\"to\": \"bc1qcold\", \"label\": \"cold\"}]}"

/* Compare want (JSON text) with got_make's policy: the exit code, and
 * the field in field. */
static int
compare(const char *want_text, unsigned m, char field[POLICY_FIELD_MAX_BYTES])
{
	struct treasury_policy *got = malloc(sizeof(*got));
	json_error_t jerr;
	json_t *want = json_loads(want_text, JSON_REJECT_DUPLICATES, &jerr);
	int rc;

	assert_non_null(got);
	assert_non_null(want);
	got_make(got);
	errs_clear();
	memset(field, 'x', POLICY_FIELD_MAX_BYTES);
	rc = policy_file_compare(want, got, m, 3, field);
	assert_int_equal(errs_count, 0);	/* prints nothing */
	assert_non_null(memchr(field, '\0', POLICY_FIELD_MAX_BYTES));
	json_decref(want);
	free(got);
	return rc;
}

#define SAME(text) do {							\
	char f_[POLICY_FIELD_MAX_BYTES];				\
	assert_int_equal(compare(text, 2, f_), CTL_OK);			\
} while (0)

#define DIFFERS(text, want_field) do {					\
	char f_[POLICY_FIELD_MAX_BYTES];				\
	assert_int_equal(compare(text, 2, f_), CTL_VERIFY);		\
	assert_string_equal(f_, want_field);				\
} while (0)

static void
test_compare_equal(void **state)
{
	(void)state;
	SAME("{" SAME_AS_GOT "}");
	/* written otherwise, the same policy: the config delay defaults to
	 * the spend delay, trailing zeros, null windows, config_threshold
	 * M, veto_count null */
	SAME("{\"timelock_spend_s\": 3600, \"timelock_config_s\": 3600,"
	    " \"config_threshold\": 2, \"veto_count\": null, \"key_proof\":"
	    " false, \"limits\": [{\"asset\": \"USDC\", \"day\":"
	    " \"1000.000000\", \"week\": null}], \"reserves\": [{\"asset\":"
	    " \"BTC\", \"amount\": \"0.50000000\"}], \"allowlist\":"
	    " {\"enabled\": true, \"destinations\": [{\"to\": \"bc1qcold\","
	    " \"label\": \"cold\"}]}}");
}

static void
test_compare_names_first_difference(void **state)
{
	(void)state;
	DIFFERS("{}", "timelock_spend_s");
	DIFFERS("{\"timelock_spend_s\": 3600, \"timelock_config_s\": 3601,"
	    " \"limits\": [{\"asset\": \"USDC\", \"day\": \"1\"}]}",
	    "timelock_config_s");
	DIFFERS("{" SAME_AS_GOT ", \"veto_count\": 1}", "veto_count");
	DIFFERS("{" SAME_AS_GOT ", \"config_threshold\": 3}",
	    "config_threshold");
	DIFFERS("{" SAME_AS_GOT ", \"high_threshold\": 3}", "high_threshold");
	DIFFERS("{" SAME_AS_GOT ", \"key_proof\": true}", "key_proof");
	DIFFERS("{\"timelock_spend_s\": 3600, \"limits\": [{\"asset\":"
	    " \"USDC\", \"day\": \"1000.000001\"}]}", "limit.1.day");
	DIFFERS("{\"timelock_spend_s\": 3600, \"limits\": [{\"asset\":"
	    " \"USDC\", \"day\": \"1000\", \"week\": \"5000\"}]}",
	    "limit.1.week");
	DIFFERS("{\"timelock_spend_s\": 3600, \"limits\": [{\"asset\":"
	    " \"USDC\", \"day\": \"1000\"}], \"reserves\": [{\"asset\":"
	    " \"BTC\", \"amount\": \"0.49999999\"}]}", "reserve.1.amount");
	DIFFERS("{\"timelock_spend_s\": 3600, \"limits\": [{\"asset\":"
	    " \"USDC\", \"day\": \"1000\"}], \"reserves\": [{\"asset\":"
	    " \"BTC\", \"amount\": \"0.5\"}]}", "allowlist");
	DIFFERS("{\"timelock_spend_s\": 3600, \"limits\": [{\"asset\":"
	    " \"USDC\", \"day\": \"1000\"}], \"reserves\": [{\"asset\":"
	    " \"BTC\", \"amount\": \"0.5\"}], \"allowlist\": {\"enabled\":"
	    " true, \"destinations\": [{\"to\": \"bc1qcold\", \"label\":"
	    " \"Cold\"}]}}", "destination.1.label");
	/* one limit too many: the count line */
	DIFFERS("{\"timelock_spend_s\": 3600, \"limits\": [{\"asset\":"
	    " \"USDC\", \"day\": \"1000\"}, {\"asset\": \"BTC\", \"day\":"
	    " \"1\"}]}", "limits");
}

static void
test_compare_refusals(void **state)
{
	char f[POLICY_FIELD_MAX_BYTES];

	(void)state;
	/* a member the file may not hold, or one that does not parse with
	 * the decoded policy's decimals and threshold: that member */
	DIFFERS("[]", "policy");
	DIFFERS("{\"foo\": 1}", "foo");
	DIFFERS("{\"limits\": [{\"asset\": \"EURC\", \"day\": \"1\"}]}",
	    "limits[0].asset");
	DIFFERS("{\"limits\": [{\"asset\": \"USDC\", \"day\": \"1.0000001\"}]}",
	    "limits[0].day");		/* 7 decimals for a 6-decimal asset */
	DIFFERS("{\"reserves\": [{\"asset\": \"BTC\", \"amount\":"
	    " \"0.000000001\"}]}", "reserves[0].amount");
	DIFFERS("{" SAME_AS_GOT ", \"config_threshold\": 4}",
	    "config_threshold");	/* neither M nor M + 1 */
	DIFFERS("{" SAME_AS_GOT ", \"config_threshold\": 1}",
	    "config_threshold");
	/* a policy invalid for the treasury: the core check's error */
	DIFFERS("{" SAME_AS_GOT ", \"veto_count\": 4}",
	    "policy (policy-veto-count)");
	/* M = N: M + 1 cannot be asked */
	assert_int_equal(compare("{" SAME_AS_GOT ", \"config_threshold\": 4}",
	    3, f), CTL_VERIFY);
	assert_int_equal(strncmp(f, "policy (", 8), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_not_a_policy),
		cmocka_unit_test(test_unknown_members),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_list_sizes),
		cmocka_unit_test(test_compare_equal),
		cmocka_unit_test(test_compare_names_first_difference),
		cmocka_unit_test(test_compare_refusals),
	};

	return cmocka_run_group_tests(tests, dir_setup, dir_teardown);
}
