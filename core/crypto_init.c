/*
 * crypto_init.c: one-time initialisation of libsodium for treasuryd.
 *
 * libsecp256k1 needs no global set-up; its context is made by
 * treasury_verifier_create() (sig.c), which calls this function itself.
 */
#include <sodium.h>

#include "treasury/crypto_init.h"

treasury_err
treasury_crypto_init(void)
{
	/* 0 on first success, 1 when already done, -1 on failure. */
	if (sodium_init() < 0)
		return TREASURY_ERR_INTERNAL;
	return TREASURY_OK;
}
