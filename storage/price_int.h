/*
 * price_int.h: CMD_PRICE_SET in the writer (storage/prices.c).
 *
 * A price is stored per (asset, unit, UTC day) in its normal text
 * (price.h); setting the same price again changes nothing and journals
 * nothing, another price replaces it with a "price.set" entry {asset,
 * date, previous_price (when replaced), price, unit}. The asset must be
 * registered (TREASURY_ERR_UNKNOWN_ASSET).
 */
#ifndef TREASURY_PRICE_INT_H
#define TREASURY_PRICE_INT_H

#include "engine_int.h"

enum apply_outcome apply_price_set(struct store *s, struct command *cmd);

#endif
