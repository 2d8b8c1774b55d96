/*
 * test_signer_set.c: the signer set of a config version and what each
 * config change makes of it (core/signer_set.c), without any storage.
 * Keys are made up (distinct x coordinates): the set rules compare keys,
 * they do not parse points.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "treasury/signer_set.h"

static struct signer_key
key_of(uint8_t tag, enum key_type type)
{
	struct signer_key k;

	memset(&k, 0, sizeof(k));
	memset(k.x, tag, sizeof(k.x));
	k.type = type;
	if (type == KEY_ECDSA) {
		k.len = ECDSA_PUBKEY_BYTES;
		k.bytes[0] = 0x02;
		memcpy(k.bytes + 1, k.x, 32);
	} else {
		k.len = SCHNORR_PUBKEY_BYTES;
		memcpy(k.bytes, k.x, 32);
	}
	return k;
}

/* alice, bob, carol; 2 of 3 */
static struct signer_set
abc(void)
{
	static const char *const names[] = { "alice", "bob", "carol" };
	struct signer_set s;
	unsigned i;

	memset(&s, 0, sizeof(s));
	for (i = 0; i < 3; i++) {
		snprintf(s.signers[i].name, sizeof(s.signers[i].name), "%s",
		    names[i]);
		s.signers[i].key = key_of((uint8_t)(i + 1), i == 1 ? KEY_SCHNORR :
		    KEY_ECDSA);
	}
	s.count = 3;
	s.threshold = 2;
	return s;
}

static struct proposal_fields
change(enum proposal_kind kind, const char *signer, uint8_t key_tag,
    unsigned m, unsigned n)
{
	struct proposal_fields f;

	memset(&f, 0, sizeof(f));
	f.kind = kind;
	if (signer != NULL)
		snprintf(f.signer, sizeof(f.signer), "%s", signer);
	f.key = key_of(key_tag, KEY_SCHNORR);
	f.threshold_after = m;
	f.signers_after = n;
	return f;
}

static void
test_check(void **state)
{
	struct signer_set s = abc();
	unsigned at, other;

	(void)state;
	assert_int_equal(signer_set_check(&s), TREASURY_OK);
	s.threshold = 4;
	assert_int_equal(signer_set_check(&s), TREASURY_ERR_THRESHOLD);
	s.threshold = 0;
	assert_int_equal(signer_set_check(&s), TREASURY_ERR_THRESHOLD);
	s = abc();
	snprintf(s.signers[2].name, sizeof(s.signers[2].name), "Carol");
	assert_int_equal(signer_set_check(&s), TREASURY_ERR_SIGNER_NAME);
	s = abc();
	snprintf(s.signers[2].name, sizeof(s.signers[2].name), "alice");
	assert_int_equal(signer_set_check(&s), TREASURY_ERR_DUPLICATE_SIGNER);
	s = abc();
	/* 02||X and X are one key */
	s.signers[2].key = key_of(2, KEY_ECDSA);
	assert_int_equal(signer_set_check(&s), TREASURY_ERR_DUPLICATE_KEY);
	assert_int_equal(signer_set_check_at(&s, &at, &other),
	    TREASURY_ERR_DUPLICATE_KEY);
	assert_int_equal(at, 2);
	assert_int_equal(other, 1);
	/* key bytes that are not what the type and x say */
	s = abc();
	s.signers[1].key.bytes[0] ^= 1;
	assert_int_equal(signer_set_check_at(&s, &at, &other),
	    TREASURY_ERR_PUBKEY);
	assert_int_equal(at, 1);
	s = abc();
	s.signers[0].key.bytes[0] = 0x04;
	assert_int_equal(signer_set_check(&s), TREASURY_ERR_PUBKEY);
}

static void
test_find_and_equal(void **state)
{
	struct signer_set a = abc(), b = abc();
	struct signer_entry tmp;

	(void)state;
	assert_int_equal(signer_set_find_name(&a, "bob"), 1);
	assert_int_equal(signer_set_find_name(&a, "dave"), -1);
	assert_int_equal(signer_set_find_key(&a, a.signers[2].key.x), 2);
	/* order does not matter */
	tmp = b.signers[0];
	b.signers[0] = b.signers[2];
	b.signers[2] = tmp;
	assert_true(signer_set_equal(&a, &b));
	b.threshold = 3;
	assert_false(signer_set_equal(&a, &b));
	b = abc();
	b.signers[1].key = key_of(9, KEY_SCHNORR);
	assert_false(signer_set_equal(&a, &b));
	b = abc();
	b.signers[1].key = key_of(2, KEY_ECDSA);	/* same x, other type */
	assert_false(signer_set_equal(&a, &b));
}

static void
test_add(void **state)
{
	struct signer_set s = abc(), before = abc();
	struct proposal_fields f = change(KIND_ADD_SIGNER, "dave", 4, 2, 4);

	(void)state;
	assert_int_equal(signer_set_apply(&s, &f), TREASURY_OK);
	assert_int_equal(s.count, 4);
	assert_int_equal(s.threshold, 2);	/* an add keeps M */
	assert_string_equal(s.signers[3].name, "dave");
	/* name or key already there; wrong counts: nothing changes */
	s = abc();
	f = change(KIND_ADD_SIGNER, "bob", 4, 2, 4);
	assert_int_equal(signer_set_apply(&s, &f), TREASURY_ERR_DUPLICATE_SIGNER);
	f = change(KIND_ADD_SIGNER, "dave", 1, 2, 4);
	assert_int_equal(signer_set_apply(&s, &f), TREASURY_ERR_DUPLICATE_KEY);
	f = change(KIND_ADD_SIGNER, "dave", 4, 2, 5);
	assert_int_equal(signer_set_apply(&s, &f), TREASURY_ERR_CONFIG_CHANGE);
	f = change(KIND_ADD_SIGNER, "dave", 4, 3, 4);	/* a text with M 3 */
	assert_int_equal(signer_set_apply(&s, &f), TREASURY_ERR_CONFIG_CHANGE);
	assert_true(signer_set_equal(&s, &before));
	/* what the engine computes when it is proposed: the text's counts
	 * are not read */
	f = change(KIND_ADD_SIGNER, "dave", 4, 0, 0);
	assert_int_equal(signer_set_change(&s, &f), TREASURY_OK);
	assert_int_equal(s.count, 4);
	assert_int_equal(s.threshold, 2);
	assert_false(signer_set_states(&s, &f));
	f.threshold_after = 2;
	f.signers_after = 4;
	assert_true(signer_set_states(&s, &f));
}

static void
test_remove(void **state)
{
	struct signer_set s = abc();
	struct proposal_fields f = change(KIND_REMOVE_SIGNER, "alice", 0, 2, 2);

	(void)state;
	assert_int_equal(signer_set_apply(&s, &f), TREASURY_OK);
	assert_int_equal(s.count, 2);
	assert_string_equal(s.signers[0].name, "bob");
	assert_string_equal(s.signers[1].name, "carol");
	f = change(KIND_REMOVE_SIGNER, "alice", 0, 1, 1);
	assert_int_equal(signer_set_apply(&s, &f), TREASURY_ERR_UNKNOWN_SIGNER);
	/* below the threshold */
	f = change(KIND_REMOVE_SIGNER, "bob", 0, 2, 1);
	assert_int_equal(signer_set_apply(&s, &f), TREASURY_ERR_THRESHOLD);
	/* the text says 2 of 2 but the result is 2 of 1 */
	s = abc();
	f = change(KIND_REMOVE_SIGNER, "bob", 0, 2, 3);
	assert_int_equal(signer_set_apply(&s, &f), TREASURY_ERR_CONFIG_CHANGE);
}

static void
test_replace(void **state)
{
	struct signer_set s = abc();
	struct proposal_fields f = change(KIND_REPLACE_SIGNER, "bob", 7, 0, 0);

	(void)state;
	assert_int_equal(signer_set_apply(&s, &f), TREASURY_OK);
	assert_memory_equal(s.signers[1].key.x, f.key.x, 32);
	assert_int_equal(s.count, 3);
	f = change(KIND_REPLACE_SIGNER, "dave", 8, 0, 0);
	assert_int_equal(signer_set_apply(&s, &f), TREASURY_ERR_UNKNOWN_SIGNER);
	f = change(KIND_REPLACE_SIGNER, "bob", 3, 0, 0);	/* carol's key */
	assert_int_equal(signer_set_apply(&s, &f), TREASURY_ERR_DUPLICATE_KEY);
}

static void
test_threshold_and_policy(void **state)
{
	struct signer_set s = abc();
	struct proposal_fields f = change(KIND_SET_THRESHOLD, NULL, 0, 3, 3);

	(void)state;
	assert_int_equal(signer_set_apply(&s, &f), TREASURY_OK);
	assert_int_equal(s.threshold, 3);
	/* the same threshold again is no change */
	assert_int_equal(signer_set_apply(&s, &f), TREASURY_ERR_CONFIG_CHANGE);
	f = change(KIND_SET_THRESHOLD, NULL, 0, 4, 3);
	assert_int_equal(signer_set_apply(&s, &f), TREASURY_ERR_THRESHOLD);
	f = change(KIND_SET_POLICY, NULL, 0, 3, 3);
	assert_int_equal(signer_set_apply(&s, &f), TREASURY_OK);
	f = change(KIND_SET_POLICY, NULL, 0, 2, 3);
	assert_int_equal(signer_set_apply(&s, &f), TREASURY_ERR_CONFIG_CHANGE);
	f = change(KIND_TRANSFER, NULL, 0, 3, 3);
	assert_int_equal(signer_set_apply(&s, &f), TREASURY_ERR_KIND);
	f = change(KIND_UNFREEZE, NULL, 0, 3, 3);
	assert_int_equal(signer_set_apply(&s, &f), TREASURY_ERR_KIND);
}

static void
test_full_set(void **state)
{
	struct signer_set s;
	struct proposal_fields f;
	unsigned i;

	(void)state;
	memset(&s, 0, sizeof(s));
	for (i = 0; i < SIGNERS_PER_TREASURY_MAX; i++) {
		snprintf(s.signers[i].name, sizeof(s.signers[i].name), "s%u", i);
		s.signers[i].key = key_of((uint8_t)(i + 1), KEY_SCHNORR);
	}
	s.count = SIGNERS_PER_TREASURY_MAX;
	s.threshold = 1;
	assert_int_equal(signer_set_check(&s), TREASURY_OK);
	f = change(KIND_ADD_SIGNER, "one-more", 200, 1,
	    SIGNERS_PER_TREASURY_MAX + 1);
	assert_int_equal(signer_set_apply(&s, &f), TREASURY_ERR_CONFIG_CHANGE);
	assert_int_equal(s.count, SIGNERS_PER_TREASURY_MAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_find_and_equal),
		cmocka_unit_test(test_add),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_threshold_and_policy),
		cmocka_unit_test(test_full_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
