/*
 * proposal.c: the canonical text of every proposal kind (encode) and its
 * strict parser (decode), as specified in docs/signing.md.
 *
 * The seven common lines and the transfer lines are written by the line
 * writer of canonical.c (canonical_text.h), so a transfer's text is the one
 * canonical_encode_transfer() writes, byte for byte. The config-change
 * kinds are driven by one layout table: which of the signer, key and
 * threshold lines a kind has, always in that order, then its memo. The
 * policy kinds (set-policy, unfreeze) have their bodies in policy_text.c,
 * reached through the three hooks of policy_text.h.
 *
 * Decoding is a single forward pass over "key: value\n" lines in the fixed
 * order, never reading past len; whatever it accepts is encoded again and
 * must give the same bytes, so encode(decode(t)) == t holds by
 * construction and any spelling the encoder would not write is refused.
 */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "treasury/amount.h"
#include "treasury/canonical.h"
#include "treasury/hex.h"
#include "treasury/proposal.h"
#include "treasury/sig.h"

#include "canonical_text.h"
#include "policy_text.h"

#define FIRST_LINE "treasuryd proposal v1\n"
#define U64_MAX_DIGITS (20)
/* "transfer." + up to 2 digits + "." + NUL, with room to spare. */
#define BATCH_KEY_PREFIX_BYTES (24)

/* ---- kinds ---- */

/* Which optional lines a config-change kind has, in text order. */
struct config_layout {
	bool signer;		/* signer */
	bool key;		/* key_type, pubkey */
	bool threshold;		/* threshold, signers */
};

static const struct {
	const char *name;
	struct config_layout config;
} kinds[] = {
	[KIND_TRANSFER]		= { "transfer",		{ false, false, false } },
	[KIND_BATCH]		= { "batch",		{ false, false, false } },
	[KIND_ADD_SIGNER]	= { "add-signer",	{ true,  true,  true  } },
	[KIND_REMOVE_SIGNER]	= { "remove-signer",	{ true,  false, true  } },
	[KIND_REPLACE_SIGNER]	= { "replace-signer",	{ true,  true,  false } },
	[KIND_SET_THRESHOLD]	= { "set-threshold",	{ false, false, true  } },
	[KIND_SET_POLICY]	= { "set-policy",	{ false, false, false } },
	[KIND_UNFREEZE]		= { "unfreeze",		{ false, false, false } },
};

static bool
kind_is_valid(enum proposal_kind kind)
{
	return (int)kind >= (int)KIND_TRANSFER &&
	    (int)kind <= (int)KIND_UNFREEZE;
}

treasury_err
proposal_kind_parse(const char *s, size_t len, enum proposal_kind *out)
{
	int k;

	if (s == NULL)
		return TREASURY_ERR_KIND;
	for (k = KIND_TRANSFER; k <= KIND_UNFREEZE; k++) {
		if (strlen(kinds[k].name) == len &&
		    memcmp(kinds[k].name, s, len) == 0) {
			*out = (enum proposal_kind)k;
			return TREASURY_OK;
		}
	}
	return TREASURY_ERR_KIND;
}

const char *
proposal_kind_name(enum proposal_kind kind)
{
	if (!kind_is_valid(kind))
		return "unknown";	/* never NULL; refused by the parser */
	return kinds[kind].name;
}

int
proposal_kind_is_config(enum proposal_kind kind)
{
	return kind == KIND_ADD_SIGNER || kind == KIND_REMOVE_SIGNER ||
	    kind == KIND_REPLACE_SIGNER || kind == KIND_SET_THRESHOLD ||
	    kind == KIND_SET_POLICY;
}

enum policy_track
proposal_kind_track(enum proposal_kind kind)
{
	return proposal_kind_is_config(kind) ? TRACK_CONFIG : TRACK_SPEND;
}

/* ---- encode: fields to checked views ---- */

static treasury_err
header_from_fields(const struct proposal_fields *p, struct proposal_header *hdr)
{
	size_t len;

	if (!kind_is_valid(p->kind))
		return TREASURY_ERR_KIND;
	if (!array_strlen(p->treasury, sizeof(p->treasury), &len))
		return TREASURY_ERR_TREASURY_ID;
	memcpy(hdr->instance, p->instance, INSTANCE_ID_BYTES);
	hdr->treasury = p->treasury;
	hdr->config_version = p->config_version;
	hdr->kind = kinds[p->kind].name;
	hdr->nonce = p->nonce;
	hdr->expires_s = p->expires_s;
	return canonical_header_check(hdr, hdr->kind);
}

static treasury_err
transfer_from_fields(const struct transfer_fields *f, struct transfer *t)
{
	size_t len;

	if (!array_strlen(f->asset, sizeof(f->asset), &len))
		return TREASURY_ERR_ASSET_CODE;
	if (!array_strlen(f->to, sizeof(f->to), &len))
		return TREASURY_ERR_DESTINATION;
	if (!array_strlen(f->memo, sizeof(f->memo), &t->memo_len))
		return TREASURY_ERR_MEMO_TOO_LONG;
	t->asset = f->asset;
	t->decimals = f->decimals;
	t->amount = f->amount;
	t->to = f->to;
	t->memo = f->memo;
	return canonical_transfer_check(t);
}

static treasury_err
memo_field_check(const char memo[MEMO_MAX_BYTES + 1], size_t *len)
{
	if (!array_strlen(memo, MEMO_MAX_BYTES + 1, len))
		return TREASURY_ERR_MEMO_TOO_LONG;
	return memo_check(memo, *len);
}

static treasury_err
batch_check(const struct proposal_fields *p)
{
	struct transfer t;
	treasury_err err;
	unsigned i;
	size_t len;

	if (p->transfer_count == 0)
		return TREASURY_ERR_CANONICAL;	/* a batch of nothing */
	if (p->transfer_count > BATCH_TRANSFERS_MAX)
		return TREASURY_ERR_TOO_LARGE;
	for (i = 0; i < p->transfer_count; i++) {
		err = transfer_from_fields(&p->transfers[i], &t);
		if (err != TREASURY_OK)
			return err;
	}
	return memo_field_check(p->memo, &len);
}

static treasury_err
key_check(const struct signer_key *key)
{
	switch (key->type) {
	case KEY_ECDSA:
		if (key->len != ECDSA_PUBKEY_BYTES ||
		    (key->bytes[0] != 0x02 && key->bytes[0] != 0x03))
			return TREASURY_ERR_PUBKEY;
		return TREASURY_OK;
	case KEY_SCHNORR:
		if (key->len != SCHNORR_PUBKEY_BYTES)
			return TREASURY_ERR_PUBKEY;
		return TREASURY_OK;
	}
	return TREASURY_ERR_KEY_TYPE;
}

static treasury_err
threshold_check(unsigned threshold, unsigned signers)
{
	if (threshold < 1 || threshold > signers ||
	    signers > SIGNERS_PER_TREASURY_MAX)
		return TREASURY_ERR_THRESHOLD;
	return TREASURY_OK;
}

static treasury_err
config_check(const struct proposal_fields *p)
{
	const struct config_layout *l = &kinds[p->kind].config;
	treasury_err err;
	size_t len;

	if (l->signer) {
		if (!array_strlen(p->signer, sizeof(p->signer), &len))
			return TREASURY_ERR_SIGNER_NAME;
		err = signer_name_check(p->signer, len);
		if (err != TREASURY_OK)
			return err;
	}
	if (l->key) {
		err = key_check(&p->key);
		if (err != TREASURY_OK)
			return err;
	}
	if (l->threshold) {
		err = threshold_check(p->threshold_after, p->signers_after);
		if (err != TREASURY_OK)
			return err;
	}
	return memo_field_check(p->memo, &len);
}

/* ---- encode: lines ---- */

static treasury_err
memo_append(struct textbuf *out, const char memo[MEMO_MAX_BYTES + 1])
{
	return canonical_line_append(out, "memo", memo, strlen(memo));
}

static treasury_err
batch_append(struct textbuf *out, const struct proposal_fields *p)
{
	char prefix[BATCH_KEY_PREFIX_BYTES];
	struct transfer t;
	treasury_err err;
	unsigned i;
	int n;

	err = canonical_line_append_u64(out, "transfers", p->transfer_count);
	for (i = 0; i < p->transfer_count && err == TREASURY_OK; i++) {
		n = snprintf(prefix, sizeof(prefix), "transfer.%u.", i + 1);
		assert(n > 0 && (size_t)n < sizeof(prefix));
		err = transfer_from_fields(&p->transfers[i], &t);
		assert(err == TREASURY_OK);	/* batch_check passed */
		err = canonical_transfer_append(out, prefix, &t);
	}
	if (err == TREASURY_OK)
		err = memo_append(out, p->memo);
	return err;
}

static treasury_err
key_append(struct textbuf *out, const struct signer_key *key)
{
	char hex[ECDSA_PUBKEY_BYTES * 2 + 1];
	const char *type = key_type_name(key->type);
	treasury_err err;

	assert(key->len <= sizeof(key->bytes));
	hex_encode(hex, key->bytes, key->len);
	err = canonical_line_append(out, "key_type", type, strlen(type));
	if (err == TREASURY_OK)
		err = canonical_line_append(out, "pubkey", hex, key->len * 2);
	return err;
}

static treasury_err
config_append(struct textbuf *out, const struct proposal_fields *p)
{
	const struct config_layout *l = &kinds[p->kind].config;
	treasury_err err = TREASURY_OK;

	if (l->signer)
		err = canonical_line_append(out, "signer", p->signer,
		    strlen(p->signer));
	if (l->key && err == TREASURY_OK)
		err = key_append(out, &p->key);
	if (l->threshold && err == TREASURY_OK)
		err = canonical_line_append_u64(out, "threshold",
		    p->threshold_after);
	if (l->threshold && err == TREASURY_OK)
		err = canonical_line_append_u64(out, "signers",
		    p->signers_after);
	if (err == TREASURY_OK)
		err = memo_append(out, p->memo);
	return err;
}

static treasury_err
transfer_encode(struct textbuf *out, const struct proposal_header *hdr,
    const struct proposal_fields *p)
{
	struct transfer t;
	treasury_err err;

	if (p->transfer_count != 1)
		return TREASURY_ERR_INTERNAL;	/* a transfer is one transfer */
	err = transfer_from_fields(&p->transfers[0], &t);
	if (err != TREASURY_OK)
		return err;
	return canonical_encode_transfer(out, hdr, &t);
}

static bool
kind_is_policy(enum proposal_kind kind)
{
	return kind == KIND_SET_POLICY || kind == KIND_UNFREEZE;
}

static treasury_err
body_check(const struct proposal_fields *p)
{
	size_t len;
	treasury_err err;

	if (p->kind == KIND_BATCH)
		return batch_check(p);
	if (!kind_is_policy(p->kind))
		return config_check(p);
	err = policy_body_check(p);
	return err != TREASURY_OK ? err : memo_field_check(p->memo, &len);
}

static treasury_err
body_append(struct textbuf *out, const struct proposal_fields *p)
{
	treasury_err err;

	if (p->kind == KIND_BATCH)
		return batch_append(out, p);
	if (!kind_is_policy(p->kind))
		return config_append(out, p);
	err = policy_body_append(out, p);
	return err != TREASURY_OK ? err : memo_append(out, p->memo);
}

treasury_err
proposal_encode(struct textbuf *out, const struct proposal_fields *p)
{
	struct proposal_header hdr;
	treasury_err err;

	assert(out->len == 0);
	err = header_from_fields(p, &hdr);
	if (err != TREASURY_OK)
		return err;
	if (p->kind == KIND_TRANSFER)
		return transfer_encode(out, &hdr, p);
	err = body_check(p);
	if (err != TREASURY_OK)
		return err;
	err = canonical_header_append(out, &hdr);
	if (err == TREASURY_OK)
		err = body_append(out, p);
	if (err != TREASURY_OK)
		canonical_text_reset(out);
	return err;
}

/* ---- decode: lines ---- */

/* Take the line "<prefix><key>: <value>\n" at the cursor.
 * Returns TREASURY_OK or TREASURY_ERR_CANONICAL (other key, no ": ", no
 * final LF). Out: *value (not NUL-terminated), *value_len. */
static treasury_err
line_take(struct cursor *c, const char *prefix, const char *key,
    const char **value, size_t *value_len)
{
	const char *p = c->s + c->pos, *nl;
	size_t rest = c->len - c->pos;
	size_t pl = strlen(prefix), kl = strlen(key), start = pl + kl + 2;

	assert(c->pos <= c->len);
	if (rest < start || memcmp(p, prefix, pl) != 0 ||
	    memcmp(p + pl, key, kl) != 0 || memcmp(p + pl + kl, ": ", 2) != 0)
		return TREASURY_ERR_CANONICAL;
	nl = memchr(p + start, '\n', rest - start);
	if (nl == NULL)
		return TREASURY_ERR_CANONICAL;
	*value = p + start;
	*value_len = (size_t)(nl - *value);
	c->pos += start + *value_len + 1;
	return TREASURY_OK;
}

treasury_err
canonical_line_take(struct cursor *c, const char *prefix, const char *key,
    const char **value, size_t *value_len)
{
	return line_take(c, prefix, key, value, value_len);
}

/* Decimal `0|[1-9][0-9]*` that fits in 64 bits, else _CANONICAL. */
static treasury_err
u64_parse(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > U64_MAX_DIGITS || (len > 1 && s[0] == '0'))
		return TREASURY_ERR_CANONICAL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return TREASURY_ERR_CANONICAL;
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(s[i] - '0'), &v))
			return TREASURY_ERR_CANONICAL;
	}
	*out = v;
	return TREASURY_OK;
}

treasury_err
canonical_u64_parse(const char *s, size_t len, uint64_t *out)
{
	return u64_parse(s, len, out);
}

static treasury_err
u64_take(struct cursor *c, const char *key, uint64_t *out)
{
	const char *v;
	size_t n;
	treasury_err err;

	err = line_take(c, "", key, &v, &n);
	if (err == TREASURY_OK)
		err = u64_parse(v, n, out);
	return err;
}

/* A count in 1..max: 0 is _CANONICAL, above max is `too_big`. */
static treasury_err
count_take(struct cursor *c, const char *key, uint64_t max,
    treasury_err too_big, unsigned *out)
{
	uint64_t v;
	treasury_err err;

	err = u64_take(c, key, &v);
	if (err != TREASURY_OK)
		return err;
	if (v == 0)
		return TREASURY_ERR_CANONICAL;
	if (v > max)
		return too_big;
	*out = (unsigned)v;
	return TREASURY_OK;
}

typedef treasury_err (*field_check_fn)(const char *s, size_t len);

/* Take a line, check its value with check and copy it NUL-terminated into
 * dst (check guarantees it fits). */
static treasury_err
text_take(struct cursor *c, const char *prefix, const char *key,
    field_check_fn check, char *dst, size_t dst_size)
{
	const char *v;
	size_t n;
	treasury_err err;

	err = line_take(c, prefix, key, &v, &n);
	if (err == TREASURY_OK)
		err = check(v, n);
	if (err != TREASURY_OK)
		return err;
	assert(n < dst_size);
	memcpy(dst, v, n);
	dst[n] = '\0';
	return TREASURY_OK;
}

static bool
hex_is_lower(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] >= 'A' && s[i] <= 'F')
			return false;
	}
	return true;
}

/* Amount text: decimals is the number of fraction digits. */
static treasury_err
amount_take(struct cursor *c, const char *prefix, struct transfer_fields *f)
{
	const char *v, *dot;
	size_t n, decimals = 0;
	treasury_err err;

	err = line_take(c, prefix, "amount", &v, &n);
	if (err != TREASURY_OK)
		return err;
	dot = memchr(v, '.', n);
	if (dot != NULL)
		decimals = n - (size_t)(dot - v) - 1;
	if (decimals > ASSET_DECIMALS_MAX)
		return TREASURY_ERR_DECIMALS;
	f->decimals = (unsigned)decimals;
	return amount_parse(v, n, f->decimals, &f->amount);
}

static treasury_err
transfer_take(struct cursor *c, const char *prefix, struct transfer_fields *f)
{
	treasury_err err;

	err = text_take(c, prefix, "asset", asset_code_check, f->asset,
	    sizeof(f->asset));
	if (err == TREASURY_OK)
		err = amount_take(c, prefix, f);
	if (err == TREASURY_OK)
		err = text_take(c, prefix, "to", destination_check, f->to,
		    sizeof(f->to));
	if (err == TREASURY_OK)
		err = text_take(c, prefix, "memo", memo_check, f->memo,
		    sizeof(f->memo));
	return err;
}

/* ---- decode: header and bodies ---- */

static treasury_err
instance_take(struct cursor *c, uint8_t instance[INSTANCE_ID_BYTES])
{
	const char *v;
	size_t n;
	treasury_err err;

	err = line_take(c, "", "instance", &v, &n);
	if (err == TREASURY_OK)
		err = hex_decode(instance, INSTANCE_ID_BYTES, v, n);
	if (err == TREASURY_OK && !hex_is_lower(v, n))
		err = TREASURY_ERR_CANONICAL;
	return err;
}

static treasury_err
kind_take(struct cursor *c, enum proposal_kind *kind)
{
	const char *v;
	size_t n;
	treasury_err err;

	err = line_take(c, "", "kind", &v, &n);
	if (err == TREASURY_OK)
		err = proposal_kind_parse(v, n, kind);
	return err;
}

static treasury_err
expires_take(struct cursor *c, int64_t *expires_s)
{
	const char *v;
	size_t n;
	treasury_err err;

	err = line_take(c, "", "expires", &v, &n);
	if (err == TREASURY_OK)
		err = timestamp_parse(v, n, expires_s);
	return err;
}

static treasury_err
header_take(struct cursor *c, struct proposal_fields *p)
{
	const size_t first_len = sizeof(FIRST_LINE) - 1;
	treasury_err err;

	if (c->len < first_len || memcmp(c->s, FIRST_LINE, first_len) != 0)
		return TREASURY_ERR_CANONICAL;
	c->pos = first_len;
	err = instance_take(c, p->instance);
	if (err == TREASURY_OK)
		err = text_take(c, "", "treasury", treasury_id_check,
		    p->treasury, sizeof(p->treasury));
	if (err == TREASURY_OK)
		err = u64_take(c, "config", &p->config_version);
	if (err == TREASURY_OK)
		err = kind_take(c, &p->kind);
	if (err == TREASURY_OK)
		err = u64_take(c, "nonce", &p->nonce);
	if (err == TREASURY_OK)
		err = expires_take(c, &p->expires_s);
	if (err == TREASURY_OK && (p->config_version == 0 || p->nonce == 0))
		err = TREASURY_ERR_CANONICAL;
	return err;
}

static treasury_err
batch_take(struct cursor *c, struct proposal_fields *p)
{
	char prefix[BATCH_KEY_PREFIX_BYTES];
	treasury_err err;
	unsigned i;
	int n;

	err = count_take(c, "transfers", BATCH_TRANSFERS_MAX,
	    TREASURY_ERR_TOO_LARGE, &p->transfer_count);
	for (i = 0; i < p->transfer_count && err == TREASURY_OK; i++) {
		n = snprintf(prefix, sizeof(prefix), "transfer.%u.", i + 1);
		assert(n > 0 && (size_t)n < sizeof(prefix));
		err = transfer_take(c, prefix, &p->transfers[i]);
	}
	return err;
}

static treasury_err
key_take(const treasury_verifier *v, struct cursor *c, struct signer_key *key)
{
	enum key_type type;
	const char *s;
	size_t n;
	treasury_err err;

	err = line_take(c, "", "key_type", &s, &n);
	if (err == TREASURY_OK)
		err = key_type_parse(s, n, &type);
	if (err == TREASURY_OK)
		err = line_take(c, "", "pubkey", &s, &n);
	if (err == TREASURY_OK)
		err = signer_key_parse_hex(v, type, s, n, key);
	if (err == TREASURY_OK && !hex_is_lower(s, n))
		err = TREASURY_ERR_CANONICAL;
	return err;
}

/* The threshold and signer-count lines; the range is checked as one rule
 * (1 <= M <= N <= 32), so both values are read first. */
static treasury_err
threshold_take(struct cursor *c, struct proposal_fields *p)
{
	uint64_t m, n;
	treasury_err err;

	err = u64_take(c, "threshold", &m);
	if (err == TREASURY_OK)
		err = u64_take(c, "signers", &n);
	if (err != TREASURY_OK)
		return err;
	if (m < 1 || m > n || n > SIGNERS_PER_TREASURY_MAX)
		return TREASURY_ERR_THRESHOLD;
	p->threshold_after = (unsigned)m;
	p->signers_after = (unsigned)n;
	return TREASURY_OK;
}

static treasury_err
config_take(const treasury_verifier *v, struct cursor *c,
    struct proposal_fields *p)
{
	const struct config_layout *l = &kinds[p->kind].config;
	treasury_err err = TREASURY_OK;

	if (l->signer)
		err = text_take(c, "", "signer", signer_name_check, p->signer,
		    sizeof(p->signer));
	if (l->key && err == TREASURY_OK)
		err = key_take(v, c, &p->key);
	if (l->threshold && err == TREASURY_OK)
		err = threshold_take(c, p);
	return err;
}

static treasury_err
body_take(const treasury_verifier *v, struct cursor *c,
    struct proposal_fields *p)
{
	treasury_err err;

	switch (p->kind) {
	case KIND_TRANSFER:
		p->transfer_count = 1;
		err = transfer_take(c, "", &p->transfers[0]);
		if (err == TREASURY_OK)
			memcpy(p->memo, p->transfers[0].memo, sizeof(p->memo));
		return err;
	case KIND_BATCH:
		err = batch_take(c, p);
		break;
	case KIND_SET_POLICY:
	case KIND_UNFREEZE:
		err = policy_body_take(c, p);
		break;
	default:
		assert(proposal_kind_is_config(p->kind));
		err = config_take(v, c, p);
		break;
	}
	if (err == TREASURY_OK)
		err = text_take(c, "", "memo", memo_check, p->memo,
		    sizeof(p->memo));
	return err;
}

/* Encode p again and compare with the text it was decoded from. */
static treasury_err
reencode_compare(const struct proposal_fields *p, const char *text, size_t len)
{
	struct textbuf tb;
	treasury_err err;

	textbuf_init(&tb, CANONICAL_MAX_BYTES);
	err = proposal_encode(&tb, p);
	if (err == TREASURY_OK &&
	    (tb.len != len || memcmp(tb.data, text, len) != 0))
		err = TREASURY_ERR_CANONICAL;
	textbuf_free(&tb);
	return err;
}

treasury_err
proposal_decode(const treasury_verifier *v, const char *text, size_t len,
    struct proposal_fields *p)
{
	struct cursor c = { text, len, 0 };
	treasury_err err;

	assert(v != NULL);
	memset(p, 0, sizeof(*p));
	if (len > CANONICAL_MAX_BYTES)
		return TREASURY_ERR_TOO_LARGE;
	if (text == NULL || memchr(text, '\r', len) != NULL ||
	    memchr(text, '\t', len) != NULL)
		return TREASURY_ERR_CANONICAL;
	err = header_take(&c, p);
	if (err == TREASURY_OK)
		err = body_take(v, &c, p);
	if (err == TREASURY_OK && c.pos != c.len)
		err = TREASURY_ERR_CANONICAL;	/* extra lines */
	if (err == TREASURY_OK)
		err = reencode_compare(p, text, len);
	return err;
}
