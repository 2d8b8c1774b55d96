/*
 * hex.c: hexadecimal encoding and decoding with exact lengths.
 *
 * Decoding accepts upper and lower case; encoding writes lower case only.
 * Lengths are checked before any character, so a caller learns first
 * whether the text could be the thing it expects at all.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "treasury/hex.h"

static const char hex_digits[16] = "0123456789abcdef";

int
hex_digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode text_len (even) characters into text_len / 2 bytes. */
static treasury_err
hex_decode_pairs(uint8_t *out, const char *text, size_t text_len)
{
	size_t i;
	int hi, lo;

	assert(text_len % 2 == 0);
	for (i = 0; i < text_len; i += 2) {
		hi = hex_digit_value(text[i]);
		lo = hex_digit_value(text[i + 1]);
		if (hi < 0 || lo < 0)
			return TREASURY_ERR_HEX_CHAR;
		out[i / 2] = (uint8_t)((hi << 4) | lo);
	}
	return TREASURY_OK;
}

void
hex_encode(char *out, const uint8_t *in, size_t len)
{
	size_t i;

	assert(out != NULL);
	assert(in != NULL || len == 0);
	for (i = 0; i < len; i++) {
		out[2 * i] = hex_digits[in[i] >> 4];
		out[2 * i + 1] = hex_digits[in[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

treasury_err
hex_decode(uint8_t *out, size_t out_len, const char *text, size_t text_len)
{
	if (text_len % 2 != 0 || text_len / 2 != out_len)
		return TREASURY_ERR_HEX_LENGTH;
	assert(text != NULL || text_len == 0);
	return hex_decode_pairs(out, text, text_len);
}

treasury_err
hex_decode_var(uint8_t *out, size_t out_max, size_t *out_len, const char *text,
    size_t text_len)
{
	treasury_err err;

	if (text_len == 0 || text_len % 2 != 0 || text_len / 2 > out_max)
		return TREASURY_ERR_HEX_LENGTH;
	assert(text != NULL);
	err = hex_decode_pairs(out, text, text_len);
	if (err != TREASURY_OK)
		return err;
	*out_len = text_len / 2;
	return TREASURY_OK;
}
