/*
 * journal.c: entry bytes, the hash chain, checkpoint signatures and the
 * canonical payload builder (contracts in include/treasury/journal.h,
 * rules in docs/audit.md).
 */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "treasury/hash.h"
#include "treasury/hex.h"
#include "treasury/journal.h"

#include "utf8.h"

_Static_assert(JOURNAL_PUBLIC_KEY_BYTES == crypto_sign_PUBLICKEYBYTES,
    "Ed25519 public key");
_Static_assert(JOURNAL_SECRET_KEY_BYTES == crypto_sign_SECRETKEYBYTES,
    "Ed25519 secret key");
_Static_assert(JOURNAL_KEY_SEED_BYTES == crypto_sign_SEEDBYTES,
    "Ed25519 seed");
_Static_assert(JOURNAL_SIGNATURE_BYTES == crypto_sign_BYTES,
    "Ed25519 signature");

static bool
field_clean(const char *s)
{
	return strchr(s, '\n') == NULL;
}

static bool
type_valid(const char *type)
{
	size_t n = strlen(type);

	if (n < 1 || n > JOURNAL_TYPE_MAX_BYTES)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = type[i];
		if (!((c >= 'a' && c <= 'z') || c == '_' || c == '.'))
			return false;
	}
	return true;
}

static bool
payload_valid(const char *p, size_t len)
{
	if (p == NULL || len < 2 || len > JOURNAL_PAYLOAD_MAX_BYTES)
		return false;
	if (p[0] != '{' || p[len - 1] != '}')
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] > 0x7e)
			return false;
	return true;
}

bool
journal_entry_valid(const struct journal_entry *e)
{
	assert(e != NULL);
	return e->seq >= 1 && e->time_s >= 0 && type_valid(e->type) &&
	    field_clean(e->treasury) && field_clean(e->actor_token) &&
	    field_clean(e->actor_signer) &&
	    payload_valid(e->payload, e->payload_len);
}

treasury_err
journal_entry_bytes(struct textbuf *out, const struct journal_entry *e)
{
	treasury_err err;

	assert(out != NULL);
	if (!journal_entry_valid(e))
		return TREASURY_ERR_INVALID_FIELD;
	err = textbuf_printf(out, "seq=%" PRId64 "\ntime=%" PRId64
	    "\ntreasury=%s\ntype=%s\nactor_token=%s\nactor_signer=%s\n"
	    "payload=", e->seq, e->time_s, e->treasury, e->type,
	    e->actor_token, e->actor_signer);
	if (err == TREASURY_OK)
		err = textbuf_append(out, e->payload, e->payload_len);
	if (err == TREASURY_OK)
		err = textbuf_append(out, "\n", 1);
	return err;
}

treasury_err
journal_entry_hash(uint8_t hash[DIGEST_BYTES], const uint8_t prev[DIGEST_BYTES],
    const struct journal_entry *e)
{
	struct textbuf b;
	treasury_err err;

	assert(hash != NULL && prev != NULL);
	textbuf_init(&b, JOURNAL_ENTRY_MAX_BYTES + DIGEST_BYTES);
	err = textbuf_append(&b, (const char *)prev, DIGEST_BYTES);
	if (err == TREASURY_OK)
		err = journal_entry_bytes(&b, e);
	if (err == TREASURY_OK)
		tagged_hash(hash, JOURNAL_TAG, (const uint8_t *)b.data, b.len);
	textbuf_free(&b);
	return err;
}

size_t
journal_checkpoint_message(char out[JOURNAL_CHECKPOINT_MESSAGE_BYTES],
    int64_t seq, const uint8_t hash[DIGEST_BYTES], int64_t time_s)
{
	char hex[2 * DIGEST_BYTES + 1];
	int n;

	hex_encode(hex, hash, DIGEST_BYTES);
	n = snprintf(out, JOURNAL_CHECKPOINT_MESSAGE_BYTES,
	    CHECKPOINT_PREFIX "seq=%" PRId64 "\nhash=%s\ntime=%" PRId64 "\n",
	    seq, hex, time_s);
	assert(n > 0 && n < JOURNAL_CHECKPOINT_MESSAGE_BYTES);
	return (size_t)n;
}

void
journal_keypair_from_seed(uint8_t pk[JOURNAL_PUBLIC_KEY_BYTES],
    uint8_t sk[JOURNAL_SECRET_KEY_BYTES],
    const uint8_t seed[JOURNAL_KEY_SEED_BYTES])
{
	int rc = crypto_sign_seed_keypair(pk, sk, seed);

	assert(rc == 0);
	(void)rc;
}

void
journal_checkpoint_sign(uint8_t sig[JOURNAL_SIGNATURE_BYTES],
    const uint8_t sk[JOURNAL_SECRET_KEY_BYTES], int64_t seq,
    const uint8_t hash[DIGEST_BYTES], int64_t time_s)
{
	char msg[JOURNAL_CHECKPOINT_MESSAGE_BYTES];
	size_t len = journal_checkpoint_message(msg, seq, hash, time_s);
	int rc = crypto_sign_detached(sig, NULL, (const unsigned char *)msg,
	    len, sk);

	assert(rc == 0);
	(void)rc;
}

bool
journal_checkpoint_verify(const uint8_t sig[JOURNAL_SIGNATURE_BYTES],
    const uint8_t pk[JOURNAL_PUBLIC_KEY_BYTES], int64_t seq,
    const uint8_t hash[DIGEST_BYTES], int64_t time_s)
{
	char msg[JOURNAL_CHECKPOINT_MESSAGE_BYTES];
	size_t len = journal_checkpoint_message(msg, seq, hash, time_s);

	return crypto_sign_verify_detached(sig, (const unsigned char *)msg,
	    len, pk) == 0;
}

/* ---- the payload builder ---- */

static void
jp_raw(struct journal_payload *p, const char *s, size_t len)
{
	if (p->err == TREASURY_OK)
		p->err = textbuf_append(&p->buf, s, len);
}

static void
jp_u16(struct journal_payload *p, uint32_t unit)
{
	char esc[16];

	assert(unit <= 0xffff);
	snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)(unit & 0xffffu));
	jp_raw(p, esc, 6);
}

static void
jp_codepoint(struct journal_payload *p, uint32_t cp)
{
	if (cp >= 0x10000) {
		cp -= 0x10000;
		jp_u16(p, 0xd800 + (cp >> 10));
		jp_u16(p, 0xdc00 + (cp & 0x3ff));
	} else {
		jp_u16(p, cp);
	}
}

/* The length of the prefix of u that is printable ASCII other than '"'
 * and '\\': copied as it is. */
static size_t
plain_run(const unsigned char *u, size_t len)
{
	size_t n = 0;

	while (n < len && u[n] >= 0x20 && u[n] <= 0x7e && u[n] != '"' &&
	    u[n] != '\\')
		n++;
	return n;
}

static void
jp_string(struct journal_payload *p, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len = strlen(s), i = 0;

	jp_raw(p, "\"", 1);
	while (i < len) {
		uint32_t cp;
		size_t n;

		if ((n = plain_run(u + i, len - i)) > 0) {	/* at once */
			jp_raw(p, s + i, n);
			i += n;
		} else if (u[i] == '"' || u[i] == '\\') {
			jp_raw(p, "\\", 1);
			jp_raw(p, s + i, 1);
			i++;
		} else if (u[i] < 0x80) {
			jp_u16(p, u[i]);
			i++;
		} else if ((n = utf8_decode(u + i, len - i, &cp)) > 0) {
			jp_codepoint(p, cp);
			i += n;
		} else {
			jp_u16(p, 0xfffd);
			i++;
		}
	}
	jp_raw(p, "\"", 1);
}

static bool
key_valid(const char *key)
{
	size_t n = strlen(key);

	if (n < 1 || n > 47)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((key[i] >= 'a' && key[i] <= 'z') ||
		    (key[i] >= '0' && key[i] <= '9') || key[i] == '_'))
			return false;
	return true;
}

/* The separator before a new member or element; the key of a member. */
static void
jp_member(struct journal_payload *p, const char *key)
{
	unsigned d;

	assert(p->depth >= 1);
	d = p->depth - 1;
	if (!p->first[d])
		jp_raw(p, ",", 1);
	p->first[d] = false;
	if (p->in_array[d]) {
		assert(key == NULL);
		return;
	}
	assert(key != NULL && key_valid(key));
	/* members in strictly increasing key order: canonical */
	assert(p->last_key[d][0] == '\0' || strcmp(p->last_key[d], key) < 0);
	snprintf(p->last_key[d], sizeof(p->last_key[d]), "%s", key);
	jp_string(p, key);
	jp_raw(p, ":", 1);
}

static void
jp_open(struct journal_payload *p, const char *key, bool array)
{
	if (p->depth > 0)
		jp_member(p, key);
	if (p->depth >= JOURNAL_PAYLOAD_DEPTH_MAX) {
		assert(!"journal payload nested too deep");
		p->err = TREASURY_ERR_INTERNAL;
		return;
	}
	p->first[p->depth] = true;
	p->in_array[p->depth] = array;
	p->last_key[p->depth][0] = '\0';
	p->depth++;
	jp_raw(p, array ? "[" : "{", 1);
}

void
journal_payload_begin(struct journal_payload *p)
{
	memset(p, 0, sizeof(*p));
	textbuf_init(&p->buf, JOURNAL_PAYLOAD_MAX_BYTES);
	p->err = TREASURY_OK;
	jp_open(p, NULL, false);
}

void
journal_payload_str(struct journal_payload *p, const char *key,
    const char *value)
{
	jp_member(p, key);
	jp_string(p, value);
}

void
journal_payload_int(struct journal_payload *p, const char *key, int64_t value)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%" PRId64, value);

	jp_member(p, key);
	jp_raw(p, num, (size_t)n);
}

void
journal_payload_bool(struct journal_payload *p, const char *key, bool value)
{
	jp_member(p, key);
	jp_raw(p, value ? "true" : "false", value ? 4 : 5);
}

void
journal_payload_amount(struct journal_payload *p, const char *key,
    amount_minor value)
{
	char text[AMOUNT_FORMAT_MAX_BYTES];

	amount_to_minor_text(value, text);
	journal_payload_str(p, key, text);
}

void
journal_payload_hex(struct journal_payload *p, const char *key,
    const uint8_t *bytes, size_t len)
{
	char hex[2 * 64 + 1];

	assert(len <= 64);
	hex_encode(hex, bytes, len);
	journal_payload_str(p, key, hex);
}

void
journal_payload_null(struct journal_payload *p, const char *key)
{
	jp_member(p, key);
	jp_raw(p, "null", 4);
}

void
journal_payload_array(struct journal_payload *p, const char *key)
{
	jp_open(p, key, true);
}

void
journal_payload_object(struct journal_payload *p, const char *key)
{
	jp_open(p, key, false);
}

void
journal_payload_elem_str(struct journal_payload *p, const char *value)
{
	jp_member(p, NULL);
	jp_string(p, value);
}

void
journal_payload_end(struct journal_payload *p)
{
	assert(p->depth > 1);
	p->depth--;
	jp_raw(p, p->in_array[p->depth] ? "]" : "}", 1);
}

treasury_err
journal_payload_finish(struct journal_payload *p)
{
	assert(p->depth == 1);
	p->depth = 0;
	jp_raw(p, "}", 1);
	return p->err;
}

void
journal_payload_free(struct journal_payload *p)
{
	textbuf_free(&p->buf);
}
