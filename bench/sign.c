/*
 * sign.c: fast ECDSA signing for bench/prepare.py (test keys only).
 *
 * Reads lines "SECKEY_HEX DIGEST_HEX" (32 bytes each) on standard input and
 * writes one line per input on standard output: the 64-byte compact r||s
 * signature in lowercase hex. libsecp256k1 signs with an RFC 6979 nonce and
 * always gives low-S, as docs/signing.md §6 requires. Python's cryptography needs
 * about 270 us per signature here; this needs about 30, which keeps the
 * preparation of 100k+ votes inside the benchmark's time budget.
 *
 * Exit status 0, or 1 with a message on the first malformed line.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <secp256k1.h>

static int
hex_decode(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v = 0;

		for (int k = 0; k < 2; k++) {
			char ch = s[2 * i + (size_t)k];

			v <<= 4;
			if (ch >= '0' && ch <= '9')
				v |= (unsigned)(ch - '0');
			else if (ch >= 'a' && ch <= 'f')
				v |= (unsigned)(ch - 'a' + 10);
			else if (ch >= 'A' && ch <= 'F')
				v |= (unsigned)(ch - 'A' + 10);
			else
				return -1;
		}
		out[i] = (uint8_t)v;
	}
	return 0;
}

int
main(void)
{
	static const char digits[] = "0123456789abcdef";
	secp256k1_context *ctx = secp256k1_context_create(
	    SECP256K1_CONTEXT_NONE);
	secp256k1_ecdsa_signature sig;
	char line[256], out[130];
	uint8_t seckey[32], digest[32], compact[64];
	unsigned long lineno = 0;

	if (ctx == NULL)
		return 1;
	while (fgets(line, sizeof(line), stdin) != NULL) {
		lineno++;
		if (strlen(line) < 129 || line[64] != ' ' ||
		    hex_decode(line, seckey, 32) != 0 ||
		    hex_decode(line + 65, digest, 32) != 0 ||
		    !secp256k1_ecdsa_sign(ctx, &sig, digest, seckey, NULL,
		    NULL) ||
		    !secp256k1_ecdsa_signature_serialize_compact(ctx, compact,
		    &sig)) {
			fprintf(stderr, "bench_sign: line %lu: want "
			    "\"SECKEY_HEX DIGEST_HEX\" with a valid key\n",
			    lineno);
			return 1;
		}
		for (size_t i = 0; i < 64; i++) {
			out[2 * i] = digits[compact[i] >> 4];
			out[2 * i + 1] = digits[compact[i] & 15];
		}
		out[128] = '\n';
		out[129] = '\0';
		fputs(out, stdout);
	}
	secp256k1_context_destroy(ctx);
	return ferror(stdout) ? 1 : 0;
}
