/*
 * json.c: request bodies. Content-Type, a pre-scan that bounds nesting and
 * refuses NUL bytes before jansson sees the text, strict parsing (duplicate
 * keys refused), and typed field getters that answer 400/422 naming the
 * field at fault ("signers[2].pubkey").
 *
 * Every getter returns true when the caller may go on, false after it has
 * answered the request.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "treasury/canonical.h"
#include "treasury/sig.h"

#include "internal.h"

/* "application/json", any case, optionally followed by parameters. */
static bool
content_type_is_json(struct request *rq)
{
	static const char want[] = "application/json";
	const char *ct = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	size_t n = sizeof(want) - 1;

	if (ct == NULL || strncasecmp(ct, want, n) != 0)
		return false;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ' || ct[n] == '\t';
}

/* Refuse NUL bytes and nesting deeper than json_depth_max (config), so that the
 * parser's recursion is bounded whatever the input. */
static bool
body_prescan(struct request *rq, struct reply *rp)
{
	bool in_string = false, escaped = false;
	int depth = 0;

	for (size_t i = 0; i < rq->body_len; i++) {
		char c = rq->body[i];
		if (c == '\0') {
			reply_err(rp, TREASURY_ERR_INVALID_JSON,
			    "NUL byte at offset %zu", i);
			return false;
		}
		if (in_string) {
			if (escaped)
				escaped = false;
			else if (c == '\\')
				escaped = true;
			else if (c == '"')
				in_string = false;
			continue;
		}
		if (c == '"')
			in_string = true;
		else if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']')
			depth--;
		if (depth > (int)rq->srv->opts.json_depth_max) {
			reply_err(rp, TREASURY_ERR_INVALID_JSON,
			    "nesting deeper than %u levels at offset %zu",
			    rq->srv->opts.json_depth_max, i);
			return false;
		}
	}
	return true;
}

json_t *
body_parse(struct request *rq, struct reply *rp, bool allow_empty)
{
	char why[JSON_ERROR_TEXT_LENGTH];
	json_error_t jerr;
	json_t *json;

	if (rq->body_len == 0 && allow_empty)
		return json_object();
	if (!content_type_is_json(rq)) {
		reply_err(rp, TREASURY_ERR_UNSUPPORTED_MEDIA_TYPE, "the "
		    "request body must be sent with Content-Type: "
		    "application/json");
		return NULL;
	}
	if (rq->body_len == 0) {
		reply_err(rp, TREASURY_ERR_INVALID_JSON,
		    "the request body is empty; a JSON object is required");
		return NULL;
	}
	if (!body_prescan(rq, rp))
		return NULL;
	json = json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (json == NULL) {
		/* jansson quotes the offending bytes, which may be invalid
		 * UTF-8: an unsanitised detail would make the answer a 500 */
		text_for_detail(why, sizeof(why), jerr.text);
		reply_err(rp, TREASURY_ERR_INVALID_JSON,
		    "line %d column %d: %s", jerr.line, jerr.column, why);
		return NULL;
	}
	if (!json_is_object(json)) {
		json_decref(json);
		reply_err(rp, TREASURY_ERR_INVALID_JSON,
		    "the request body must be a JSON object");
		return NULL;
	}
	return json;
}

void
field_path(char out[FIELD_PATH_MAX_BYTES], const char *prefix,
    const char *name)
{
	snprintf(out, FIELD_PATH_MAX_BYTES, "%s%s%s", prefix,
	    prefix[0] != '\0' ? "." : "", name);
}

static bool
name_in(const char *name, const char *const list[])
{
	for (size_t i = 0; list[i] != NULL; i++)
		if (strcmp(name, list[i]) == 0)
			return true;
	return false;
}

bool
fields_only(struct reply *rp, json_t *obj, const char *prefix,
    const char *const allowed[])
{
	char path[FIELD_PATH_MAX_BYTES], shown[65];
	const char *key;
	json_t *value;

	json_object_foreach(obj, key, value) {
		if (name_in(key, allowed))
			continue;
		field_path(path, prefix, "");
		text_for_detail(shown, sizeof(shown), key);
		reply_err(rp, TREASURY_ERR_UNKNOWN_FIELD,
		    "unknown field '%s%s'", path, shown);
		return false;
	}
	return true;
}

static json_t *
field_get(struct reply *rp, json_t *obj, const char *prefix, const char *name,
    bool required)
{
	char path[FIELD_PATH_MAX_BYTES];
	json_t *v = json_object_get(obj, name);

	if (v == NULL && required) {
		field_path(path, prefix, name);
		reply_err(rp, TREASURY_ERR_MISSING_FIELD,
		    "field '%s' is required", path);
	}
	return v;
}

static bool
field_type_error(struct reply *rp, const char *prefix, const char *name,
    const char *want)
{
	char path[FIELD_PATH_MAX_BYTES];

	field_path(path, prefix, name);
	reply_err(rp, TREASURY_ERR_FIELD_TYPE,
	    "field '%s' must be %s", path, want);
	return false;
}

bool
field_string(struct reply *rp, json_t *obj, const char *prefix,
    const char *name, bool required, const char **s, size_t *len)
{
	json_t *v = field_get(rp, obj, prefix, name, required);

	*s = NULL;
	*len = 0;
	if (v == NULL)
		return !required;
	if (!json_is_string(v))
		return field_type_error(rp, prefix, name, "a string");
	*s = json_string_value(v);
	*len = json_string_length(v);
	return true;
}

bool
field_uint(struct reply *rp, json_t *obj, const char *prefix,
    const char *name, bool required, unsigned min, unsigned max,
    treasury_err range_err, unsigned *out, bool *present)
{
	char path[FIELD_PATH_MAX_BYTES];
	json_t *v = field_get(rp, obj, prefix, name, required);
	json_int_t n;

	if (present != NULL)
		*present = v != NULL;
	if (v == NULL)
		return !required;
	if (!json_is_integer(v))
		return field_type_error(rp, prefix, name, "an integer");
	n = json_integer_value(v);
	if (n < (json_int_t)min || n > (json_int_t)max) {
		field_path(path, prefix, name);
		reply_err(rp, range_err, "field '%s' must be between %u and %u",
		    path, min, max);
		return false;
	}
	*out = (unsigned)n;
	return true;
}

bool
field_array(struct reply *rp, json_t *obj, const char *prefix,
    const char *name, size_t min, size_t max, json_t **out)
{
	char path[FIELD_PATH_MAX_BYTES];
	json_t *v = field_get(rp, obj, prefix, name, true);

	if (v == NULL)
		return false;
	if (!json_is_array(v))
		return field_type_error(rp, prefix, name, "an array");
	if (json_array_size(v) < min || json_array_size(v) > max) {
		field_path(path, prefix, name);
		reply_err(rp, TREASURY_ERR_LIST_LENGTH,
		    "field '%s' must hold %zu to %zu items, not %zu", path,
		    min, max, json_array_size(v));
		return false;
	}
	*out = v;
	return true;
}

bool
field_check(struct reply *rp, treasury_err (*check)(const char *, size_t),
    const char *prefix, const char *name, const char *s, size_t len)
{
	char path[FIELD_PATH_MAX_BYTES];
	treasury_err err = check(s, len);

	if (err == TREASURY_OK)
		return true;
	field_path(path, prefix, name);
	reply_err(rp, err, "field '%s': %s", path, treasury_err_text(err));
	return false;
}

/* Issue #14's category names and "category" members; here with the
 * other field getters, so that proposal_body.c (and the fuzz target that
 * links it alone) has them. */
treasury_err
category_name_check(const char *s, size_t len)
{
	return treasury_id_check(s, len) == TREASURY_OK &&
	    len <= CATEGORY_NAME_MAX_BYTES ? TREASURY_OK :
	    TREASURY_ERR_CATEGORY_NAME;
}

bool
field_category(struct reply *rp, json_t *obj, const char *prefix,
    char out[CATEGORY_NAME_MAX_BYTES + 1])
{
	const char *name;
	size_t len;

	out[0] = '\0';
	if (!field_string(rp, obj, prefix, "category", false, &name, &len) ||
	    (name != NULL && !field_check(rp, category_name_check, prefix,
	    "category", name, len)))
		return false;
	if (name != NULL)
		text_copy(out, CATEGORY_NAME_MAX_BYTES + 1, name, len);
	return true;
}

void
text_copy(char *dst, size_t dst_size, const char *s, size_t len)
{
	assert(len < dst_size);
	if (len > 0)
		memcpy(dst, s, len);
	dst[len] = '\0';
}

void
text_for_detail(char *dst, size_t dst_size, const char *s)
{
	size_t i;

	assert(dst_size > 0);
	for (i = 0; i + 1 < dst_size && s[i] != '\0'; i++)
		dst[i] = (unsigned char)s[i] >= 0x20 &&
		    (unsigned char)s[i] <= 0x7e ? s[i] : '?';
	dst[i] = '\0';
}

bool
field_printable(struct reply *rp, treasury_err err, const char *prefix,
    const char *name, const char *s, size_t len, size_t max, bool spaces)
{
	char path[FIELD_PATH_MAX_BYTES];
	unsigned char lowest = spaces ? 0x20 : 0x21;
	const char *what = spaces ? ", not starting or ending with a space" :
	    " without spaces";
	bool ok = len >= 1 && len <= max && s[0] != ' ' && s[len - 1] != ' ';

	for (size_t i = 0; ok && i < len; i++)
		ok = (unsigned char)s[i] >= lowest && (unsigned char)s[i] <= 0x7e;
	if (ok)
		return true;
	field_path(path, prefix, name);
	if (err == TREASURY_OK)
		reply_err(rp, TREASURY_ERR_INVALID_FIELD,
		    "field '%s' must be 1..%zu printable ASCII characters%s",
		    path, max, what);
	else
		reply_err(rp, err, "field '%s' must be 1..%zu printable ASCII "
		    "characters%s", path, max, what);
	return false;
}

bool
field_amount(struct reply *rp, json_t *obj, const char *prefix,
    const struct asset *asset, amount_minor *out)
{
	char path[FIELD_PATH_MAX_BYTES];
	json_t *v = field_get(rp, obj, prefix, "amount", true);
	treasury_err err;

	if (v == NULL)
		return false;
	if (!json_is_string(v))
		return field_type_error(rp, prefix, "amount", "a decimal string "
		    "such as \"1500.5\" (JSON numbers are not accepted)");
	err = amount_parse(json_string_value(v), json_string_length(v),
	    asset->decimals, out);
	if (err == TREASURY_OK)
		return true;
	field_path(path, prefix, "amount");
	reply_err(rp, err, "field '%s': %s (%s has %u decimals)", path,
	    treasury_err_text(err), asset->code, asset->decimals);
	return false;
}

bool
field_asset(struct request *rq, struct reply *rp, json_t *obj,
    const char *prefix, struct asset *out)
{
	char path[FIELD_PATH_MAX_BYTES];
	const char *code;
	size_t len;
	treasury_err err;

	if (!field_string(rp, obj, prefix, "asset", true, &code, &len) ||
	    !field_check(rp, asset_code_check, prefix, "asset", code, len))
		return false;
	err = store_asset_get(rq->reader, code, out);
	if (err == TREASURY_OK)
		return true;
	field_path(path, prefix, "asset");
	reply_err(rp, err, "field '%s': no asset '%s'", path, code);
	return false;
}

bool
field_signer_key(struct request *rq, struct reply *rp, json_t *obj,
    const char *prefix, struct signer_key *out)
{
	char path[FIELD_PATH_MAX_BYTES];
	const char *type_text, *hex;
	size_t type_len, hex_len;
	enum key_type type;
	treasury_err err;

	if (!field_string(rp, obj, prefix, "key_type", true, &type_text,
	    &type_len) ||
	    !field_string(rp, obj, prefix, "pubkey", true, &hex, &hex_len))
		return false;
	if (key_type_parse(type_text, type_len, &type) != TREASURY_OK) {
		field_path(path, prefix, "key_type");
		reply_err(rp, TREASURY_ERR_KEY_TYPE, "field '%s' must be "
		    "\"ecdsa\" or \"schnorr\"", path);
		return false;
	}
	err = signer_key_parse_hex(rq->srv->opts.verifier, type, hex, hex_len,
	    out);
	if (err == TREASURY_OK)
		return true;
	field_path(path, prefix, "pubkey");
	reply_err(rp, err, "field '%s': %s (%s keys are %d hex digits)", path,
	    treasury_err_text(err), key_type_name(type),
	    type == KEY_ECDSA ? 2 * ECDSA_PUBKEY_BYTES :
	    2 * SCHNORR_PUBKEY_BYTES);
	return false;
}
