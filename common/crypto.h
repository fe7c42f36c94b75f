/*
 * crypto.h -- secrets at rest, random tokens, hashing (libsodium).
 *
 * Polar access tokens and OAuth client secrets are stored sealed with one
 * 32-byte key (ENCRYPTION_KEY): XSalsa20-Poly1305 (crypto_secretbox) with a
 * random 24-byte nonce, written as printable text
 *
 *	"v1:" base64url-without-padding(nonce || MAC || ciphertext)
 *
 * The key text may be the upstream Python server's Fernet key (url-safe
 * base64 of 32 bytes): its 32 bytes are used as key material for our own
 * format, so an old deployment's ENCRYPTION_KEY keeps working.  Fernet
 * tokens themselves ("gAAAAA...") are NOT decrypted: pf_crypto_open()
 * reports them as PF_ERR_VERSION and the user must authorize again.
 *
 * Every function calls sodium_init() itself when needed; pf_crypto_init()
 * exists to fail early at start-up.  Functions return PF_OK or a negative
 * enum pf_err and never abort on input.  Plaintexts returned are owned by
 * the caller and must be released with pf_freezero().
 */
#ifndef PF_COMMON_CRYPTO_H
#define PF_COMMON_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>

#define PF_CRYPTO_KEYBYTES	32
#define PF_CRYPTO_KEY_TEXT_SIZE	45	/* 44 base64url chars + NUL */
#define PF_CRYPTO_API_KEY_SIZE	45	/* "pfk_" + 40 hex + NUL */
#define PF_CRYPTO_SHA256_HEX_SIZE 65	/* 64 hex + NUL */
#define PF_CRYPTO_SEAL_PREFIX	"v1:"

/* Initializes libsodium; idempotent.  PF_ERR_INTERNAL if it cannot. */
int	pf_crypto_init(void);

/*
 * Parses a key from text, as read from a file or the environment: leading
 * and trailing whitespace (newlines included) is ignored; then exactly one
 * of
 *	64 hex digits (either case),
 *	base64 or base64url of 32 bytes, with or without "=" padding (a
 *	Fernet key is base64url with padding).
 * PF_OK and key filled, or PF_ERR_INVALID (key untouched).
 */
int	pf_crypto_key_parse(const char *text,
	    unsigned char key[PF_CRYPTO_KEYBYTES]);

/*
 * Writes a new random key as 44 characters of padded base64url (the form
 * pf_crypto_key_parse() reads, and a valid Fernet key) plus NUL.
 * PF_ERR_RANGE if len < PF_CRYPTO_KEY_TEXT_SIZE.
 */
int	pf_crypto_key_generate(char *out_text, size_t len);

/*
 * Seals len bytes of plain (may be NULL if len is 0) under key.  PF_OK and
 * *out is a NUL-terminated "v1:..." string owned by the caller (free(3); it
 * holds no secret).  Two seals of the same plaintext differ.  PF_ERR_RANGE
 * if len is absurdly large.
 */
int	pf_crypto_seal(const unsigned char key[PF_CRYPTO_KEYBYTES],
	    const char *plain, size_t len, char **out);

/*
 * Opens a string made by pf_crypto_seal().  PF_OK: *out_plain is the
 * plaintext plus a terminating NUL, owned by the caller, to be released
 * with pf_freezero(*out_plain, *out_len + 1); *out_len (may be NULL) is
 * its length.  Errors (outputs untouched):
 *	PF_ERR_CRYPTO	wrong key or tampered text
 *	PF_ERR_VERSION	another format: "v<N>:" with N != 1, or a Fernet
 *			token from the upstream server
 *	PF_ERR_INVALID	anything else malformed (bad base64, too short)
 */
int	pf_crypto_open(const unsigned char key[PF_CRYPTO_KEYBYTES],
	    const char *sealed, char **out_plain, size_t *out_len);

/*
 * Writes 2 * nbytes lowercase hex digits of fresh randomness plus NUL.
 * PF_ERR_RANGE if outlen < 2 * nbytes + 1.
 */
int	pf_crypto_random_hex(size_t nbytes, char *out, size_t outlen);

/*
 * Writes a new API key: "pfk_" followed by 40 lowercase hex digits (20
 * random bytes), NUL-terminated.  Store only its pf_crypto_sha256_hex().
 */
int	pf_crypto_api_key_new(char out[PF_CRYPTO_API_KEY_SIZE]);

/* True if s has exactly the API key format above. */
bool	pf_crypto_api_key_valid(const char *s);

/* SHA-256 of len bytes at data, as 64 lowercase hex digits plus NUL. */
void	pf_crypto_sha256_hex(const void *data, size_t len,
	    char out[PF_CRYPTO_SHA256_HEX_SIZE]);

/*
 * True if the two buffers have the same length and content.  Time depends
 * on the lengths only, never on where the contents differ.
 */
bool	pf_crypto_ct_equal(const void *a, size_t alen, const void *b,
	    size_t blen);

/*
 * True if hexsig (siglen hex digits, either case) is the HMAC-SHA256 of
 * len bytes at msg under the keylen bytes at key, as Polar signs its
 * webhooks.  The comparison takes the same time wherever they differ.
 */
bool	pf_crypto_hmac_sha256_hex_ok(const void *key, size_t keylen,
	    const void *msg, size_t len, const char *hexsig, size_t siglen);

#endif /* PF_COMMON_CRYPTO_H */
