/*
 * crypto.c -- libsodium behind the small surface the suite needs.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/crypto.h"
#include "common/err.h"
#include "common/xmalloc.h"

#define SEAL_PREFIX_LEN		(sizeof(PF_CRYPTO_SEAL_PREFIX) - 1)
#define SEAL_OVERHEAD \
	(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
#define SEAL_VARIANT		sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define API_KEY_PREFIX		"pfk_"
#define API_KEY_RANDOM		20
/* Far below SIZE_MAX / 2, so base64 arithmetic cannot overflow. */
#define SEAL_MAX		((size_t)1 << 30)

_Static_assert(PF_CRYPTO_KEYBYTES == crypto_secretbox_KEYBYTES,
    "key size");
_Static_assert(PF_CRYPTO_KEY_TEXT_SIZE == sodium_base64_ENCODED_LEN(
    PF_CRYPTO_KEYBYTES, sodium_base64_VARIANT_URLSAFE), "key text size");

int
pf_crypto_init(void)
{
	return sodium_init() < 0 ? PF_ERR_INTERNAL : PF_OK;
}

static bool
all_hex(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

int
pf_crypto_key_parse(const char *text, unsigned char key[PF_CRYPTO_KEYBYTES])
{
	static const int variants[] = {
		sodium_base64_VARIANT_ORIGINAL,
		sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
		sodium_base64_VARIANT_URLSAFE,
		sodium_base64_VARIANT_URLSAFE_NO_PADDING,
	};
	unsigned char	 tmp[PF_CRYPTO_KEYBYTES + 3];
	size_t		 len, n, i;
	int		 r = PF_ERR_INVALID;

	if (text == NULL || pf_crypto_init() != PF_OK)
		return PF_ERR_INVALID;
	while (isspace((unsigned char)*text))
		text++;
	len = strlen(text);
	while (len > 0 && isspace((unsigned char)text[len - 1]))
		len--;

	if (len == 2 * PF_CRYPTO_KEYBYTES) {
		if (all_hex(text, len) && sodium_hex2bin(tmp, sizeof(tmp),
		    text, len, NULL, &n, NULL) == 0 &&
		    n == PF_CRYPTO_KEYBYTES)
			r = PF_OK;
		goto out;
	}
	/* 32 bytes are 43 base64 characters, 44 with padding. */
	if (len != 43 && len != 44)
		goto out;
	for (i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		if (sodium_base642bin(tmp, sizeof(tmp), text, len, NULL, &n,
		    NULL, variants[i]) == 0 && n == PF_CRYPTO_KEYBYTES) {
			r = PF_OK;
			break;
		}
	}
 out:
	if (r == PF_OK)
		memcpy(key, tmp, PF_CRYPTO_KEYBYTES);
	sodium_memzero(tmp, sizeof(tmp));
	return r;
}

int
pf_crypto_key_generate(char *out_text, size_t len)
{
	unsigned char	key[PF_CRYPTO_KEYBYTES];

	if (len < PF_CRYPTO_KEY_TEXT_SIZE)
		return PF_ERR_RANGE;
	if (pf_crypto_init() != PF_OK)
		return PF_ERR_INTERNAL;
	crypto_secretbox_keygen(key);
	sodium_bin2base64(out_text, len, key, sizeof(key),
	    sodium_base64_VARIANT_URLSAFE);
	sodium_memzero(key, sizeof(key));
	return PF_OK;
}

int
pf_crypto_seal(const unsigned char key[PF_CRYPTO_KEYBYTES], const char *plain,
    size_t len, char **out)
{
	unsigned char	*box;
	char		*text;
	size_t		 boxlen, textlen;

	if (plain == NULL && len != 0)
		return PF_ERR_INVALID;
	if (len > SEAL_MAX)
		return PF_ERR_RANGE;
	if (pf_crypto_init() != PF_OK)
		return PF_ERR_INTERNAL;
	boxlen = SEAL_OVERHEAD + len;
	box = pf_xmalloc(boxlen);
	randombytes_buf(box, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES,
	    (const unsigned char *)(plain != NULL ? plain : ""), len, box,
	    key);
	textlen = SEAL_PREFIX_LEN + sodium_base64_encoded_len(boxlen,
	    SEAL_VARIANT);
	text = pf_xmalloc(textlen);
	memcpy(text, PF_CRYPTO_SEAL_PREFIX, SEAL_PREFIX_LEN);
	sodium_bin2base64(text + SEAL_PREFIX_LEN, textlen - SEAL_PREFIX_LEN,
	    box, boxlen, SEAL_VARIANT);
	free(box);
	*out = text;
	return PF_OK;
}

/* "v<digits>:" other than ours, or a Fernet token (version byte 0x80). */
static bool
foreign_format(const char *s)
{
	size_t	i;

	if (strncmp(s, "gAAAAA", 6) == 0)
		return true;
	if (s[0] != 'v' || !isdigit((unsigned char)s[1]))
		return false;
	for (i = 1; isdigit((unsigned char)s[i]); i++)
		;
	return s[i] == ':';
}

int
pf_crypto_open(const unsigned char key[PF_CRYPTO_KEYBYTES], const char *sealed,
    char **out_plain, size_t *out_len)
{
	unsigned char	*box = NULL;
	char		*plain = NULL;
	const char	*b64;
	size_t		 b64len, boxlen = 0, maxlen, plen = 0;
	int		 r = PF_ERR_INVALID;

	if (sealed == NULL)
		return PF_ERR_INVALID;
	if (strncmp(sealed, PF_CRYPTO_SEAL_PREFIX, SEAL_PREFIX_LEN) != 0)
		return foreign_format(sealed) ? PF_ERR_VERSION :
		    PF_ERR_INVALID;
	if (pf_crypto_init() != PF_OK)
		return PF_ERR_INTERNAL;
	b64 = sealed + SEAL_PREFIX_LEN;
	b64len = strlen(b64);
	if (b64len > sodium_base64_encoded_len(SEAL_OVERHEAD + SEAL_MAX,
	    SEAL_VARIANT))
		return PF_ERR_INVALID;
	maxlen = b64len / 4 * 3 + 3;
	box = pf_xmalloc(maxlen);
	if (sodium_base642bin(box, maxlen, b64, b64len, NULL, &boxlen, NULL,
	    SEAL_VARIANT) != 0 || boxlen < SEAL_OVERHEAD)
		goto out;
	plen = boxlen - SEAL_OVERHEAD;
	plain = pf_xmalloc(plen + 1);
	if (crypto_secretbox_open_easy((unsigned char *)plain,
	    box + crypto_secretbox_NONCEBYTES,
	    boxlen - crypto_secretbox_NONCEBYTES, box, key) != 0) {
		r = PF_ERR_CRYPTO;
		goto out;
	}
	plain[plen] = '\0';
	*out_plain = plain;
	plain = NULL;
	if (out_len != NULL)
		*out_len = plen;
	r = PF_OK;
 out:
	if (plain != NULL)
		pf_freezero(plain, plen + 1);
	free(box);
	return r;
}

int
pf_crypto_random_hex(size_t nbytes, char *out, size_t outlen)
{
	unsigned char	*buf;

	if (nbytes > (SIZE_MAX - 1) / 2 || outlen < 2 * nbytes + 1)
		return PF_ERR_RANGE;
	if (pf_crypto_init() != PF_OK)
		return PF_ERR_INTERNAL;
	buf = pf_xmalloc(nbytes);
	randombytes_buf(buf, nbytes);
	sodium_bin2hex(out, outlen, buf, nbytes);
	pf_freezero(buf, nbytes);
	return PF_OK;
}

int
pf_crypto_api_key_new(char out[PF_CRYPTO_API_KEY_SIZE])
{
	const size_t	plen = sizeof(API_KEY_PREFIX) - 1;

	memcpy(out, API_KEY_PREFIX, plen);
	return pf_crypto_random_hex(API_KEY_RANDOM, out + plen,
	    PF_CRYPTO_API_KEY_SIZE - plen);
}

bool
pf_crypto_api_key_valid(const char *s)
{
	const size_t	plen = sizeof(API_KEY_PREFIX) - 1;
	size_t		i;

	if (s == NULL || strncmp(s, API_KEY_PREFIX, plen) != 0)
		return false;
	for (i = 0; i < 2 * API_KEY_RANDOM; i++)
		if (!((s[plen + i] >= '0' && s[plen + i] <= '9') ||
		    (s[plen + i] >= 'a' && s[plen + i] <= 'f')))
			return false;
	return s[plen + i] == '\0';
}

void
pf_crypto_sha256_hex(const void *data, size_t len,
    char out[PF_CRYPTO_SHA256_HEX_SIZE])
{
	unsigned char	md[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(md, (const unsigned char *)(len != 0 ? data : ""),
	    len);
	sodium_bin2hex(out, PF_CRYPTO_SHA256_HEX_SIZE, md, sizeof(md));
}

bool
pf_crypto_ct_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	volatile int	sink = 0;

	if (alen != blen) {
		/* Same work as a real comparison of a; the answer is no. */
		if (alen != 0)
			sink = sodium_memcmp(a, a, alen);
		(void)sink;
		return false;
	}
	if (alen == 0)
		return true;
	return sodium_memcmp(a, b, alen) == 0;
}

bool
pf_crypto_hmac_sha256_hex_ok(const void *key, size_t keylen,
    const void *msg, size_t len, const char *hexsig, size_t siglen)
{
	crypto_auth_hmacsha256_state	st;
	unsigned char			mac[crypto_auth_hmacsha256_BYTES];
	unsigned char			got[crypto_auth_hmacsha256_BYTES];
	size_t				n = 0;
	bool				ok;

	if (siglen != 2 * sizeof(got) || sodium_hex2bin(got, sizeof(got),
	    hexsig, siglen, NULL, &n, NULL) != 0 || n != sizeof(got))
		return false;
	crypto_auth_hmacsha256_init(&st, key, keylen);
	crypto_auth_hmacsha256_update(&st, msg, len);
	crypto_auth_hmacsha256_final(&st, mac);
	ok = sodium_memcmp(mac, got, sizeof(mac)) == 0;
	sodium_memzero(&st, sizeof(st));
	return ok;
}
