/*
 * crypto_init.h: one-time initialisation of the cryptographic libraries.
 *
 * The daemon, the token command and every test call treasury_crypto_init()
 * once at start, before any other treasuryd function that uses randomness
 * or hashing (tokens, the verifier context). Calling it again is harmless.
 */
#ifndef TREASURY_CRYPTO_INIT_H
#define TREASURY_CRYPTO_INIT_H

#include "treasury/error.h"

/* Initialise libsodium (sodium_init).
 * Returns: TREASURY_OK, also when already initialised;
 *          TREASURY_ERR_INTERNAL when libsodium cannot be initialised
 *          (for example no source of randomness). */
TREASURY_WARN_UNUSED treasury_err treasury_crypto_init(void);

#endif
