/*
 * hex.h: hexadecimal encoding with exact lengths.
 *
 * Input may be upper or lower case; output is always lower case.
 */
#ifndef TREASURY_HEX_H
#define TREASURY_HEX_H

#include <stddef.h>
#include <stdint.h>

#include "treasury/error.h"

/* Value of one hex digit (0..15), or -1 when c is not [0-9a-fA-F]. */
int hex_digit_value(char c);

/* Write 2*len lowercase hex characters of in[0..len) and a NUL to out.
 * In:  in, len (in may be NULL only when len is 0).
 * Out: out, which must hold at least 2*len+1 bytes. */
void hex_encode(char *out, const uint8_t *in, size_t len);

/* Decode exactly text_len hex characters into out_len bytes.
 * Returns: TREASURY_OK; TREASURY_ERR_HEX_LENGTH when text_len != 2*out_len;
 *          TREASURY_ERR_HEX_CHAR when a character is not [0-9a-fA-F].
 * Out:     out (out_len bytes); unspecified content on error. */
TREASURY_WARN_UNUSED treasury_err
hex_decode(uint8_t *out, size_t out_len, const char *text, size_t text_len);

/* Decode hex of any even length up to out_max bytes (signatures, DER).
 * Returns: TREASURY_OK; TREASURY_ERR_HEX_LENGTH when text_len is odd, 0, or
 *          more than 2*out_max; TREASURY_ERR_HEX_CHAR on a bad character.
 * Out:     out, *out_len = text_len / 2. */
TREASURY_WARN_UNUSED treasury_err
hex_decode_var(uint8_t *out, size_t out_max, size_t *out_len, const char *text,
    size_t text_len);

#endif
