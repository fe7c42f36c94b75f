#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/crypto.h"
#include "common/err.h"
#include "common/xmalloc.h"

/* 32 bytes whose base64 uses '+' and '/' (base64url: '-' and '_'). */
static const char *key_hex =
    "fbfffefbfffefbfffefbfffefbfffefbfffefbfffefbfffefbfffefbfffe0102";

static void
key_from_hex(unsigned char key[PF_CRYPTO_KEYBYTES])
{
	assert_int_equal(pf_crypto_key_parse(key_hex, key), PF_OK);
}

static int
setup(void **state)
{
	(void)state;
	return pf_crypto_init() == PF_OK ? 0 : -1;
}

static void
test_seal_open_round_trip(void **state)
{
	unsigned char	 key[PF_CRYPTO_KEYBYTES];
	const char	*tok = "polar-access-token-1234567890";
	char		*sealed, *plain;
	size_t		 len;

	(void)state;
	key_from_hex(key);
	assert_int_equal(pf_crypto_seal(key, tok, strlen(tok), &sealed),
	    PF_OK);
	assert_memory_equal(sealed, "v1:", 3);
	/* Printable base64url, no padding, nothing else. */
	assert_int_equal(strspn(sealed + 3, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_"), strlen(sealed + 3));
	assert_null(strstr(sealed, tok));
	assert_int_equal(pf_crypto_open(key, sealed, &plain, &len), PF_OK);
	assert_int_equal(len, strlen(tok));
	assert_string_equal(plain, tok);
	pf_freezero(plain, len + 1);
	free(sealed);

	/* Empty plaintext, and a NULL out_len. */
	assert_int_equal(pf_crypto_seal(key, NULL, 0, &sealed), PF_OK);
	assert_int_equal(pf_crypto_open(key, sealed, &plain, NULL), PF_OK);
	assert_string_equal(plain, "");
	pf_freezero(plain, 1);
	free(sealed);
	assert_int_equal(pf_crypto_seal(key, NULL, 3, &sealed),
	    PF_ERR_INVALID);
}

static void
test_seal_differs_each_time(void **state)
{
	unsigned char	 key[PF_CRYPTO_KEYBYTES];
	char		*a, *b;

	(void)state;
	key_from_hex(key);
	assert_int_equal(pf_crypto_seal(key, "same", 4, &a), PF_OK);
	assert_int_equal(pf_crypto_seal(key, "same", 4, &b), PF_OK);
	assert_string_not_equal(a, b);
	free(a);
	free(b);
}

static void
test_open_wrong_key(void **state)
{
	unsigned char	 key[PF_CRYPTO_KEYBYTES], other[PF_CRYPTO_KEYBYTES];
	char		*sealed, *plain = NULL;
	char		 text[PF_CRYPTO_KEY_TEXT_SIZE];

	(void)state;
	key_from_hex(key);
	assert_int_equal(pf_crypto_key_generate(text, sizeof(text)), PF_OK);
	assert_int_equal(pf_crypto_key_parse(text, other), PF_OK);
	assert_int_equal(pf_crypto_seal(key, "secret", 6, &sealed), PF_OK);
	assert_int_equal(pf_crypto_open(other, sealed, &plain, NULL),
	    PF_ERR_CRYPTO);
	assert_null(plain);
	free(sealed);
}

static void
test_open_tampered(void **state)
{
	unsigned char	 key[PF_CRYPTO_KEYBYTES];
	char		*sealed, *plain = NULL;
	size_t		 i, n;

	(void)state;
	key_from_hex(key);
	assert_int_equal(pf_crypto_seal(key, "secret value", 12, &sealed),
	    PF_OK);
	n = strlen(sealed);
	/*
	 * Flip one character at every position of the base64 body (nonce,
	 * MAC and ciphertext alike).  The last character carries padding
	 * bits, so a change there may also be a format error.
	 */
	for (i = 3; i < n; i++) {
		char	saved = sealed[i];
		int	rv;

		sealed[i] = saved == 'A' ? 'B' : 'A';
		rv = pf_crypto_open(key, sealed, &plain, NULL);
		if (i == n - 1)
			assert_true(rv == PF_ERR_CRYPTO ||
			    rv == PF_ERR_INVALID);
		else
			assert_int_equal(rv, PF_ERR_CRYPTO);
		assert_null(plain);
		sealed[i] = saved;
	}
	assert_int_equal(pf_crypto_open(key, sealed, &plain, NULL), PF_OK);
	pf_freezero(plain, 13);
	free(sealed);
}

static void
test_open_bad_format(void **state)
{
	unsigned char	 key[PF_CRYPTO_KEYBYTES];
	char		*sealed, *plain = NULL, *cut;

	(void)state;
	key_from_hex(key);
	assert_int_equal(pf_crypto_seal(key, "secret", 6, &sealed), PF_OK);

	/* Truncated to less than nonce + MAC. */
	cut = pf_xstrndup(sealed, 3 + 40);
	assert_int_equal(pf_crypto_open(key, cut, &plain, NULL),
	    PF_ERR_INVALID);
	free(cut);
	assert_int_equal(pf_crypto_open(key, "v1:", &plain, NULL),
	    PF_ERR_INVALID);
	assert_int_equal(pf_crypto_open(key, "", &plain, NULL),
	    PF_ERR_INVALID);
	assert_int_equal(pf_crypto_open(key, "garbage", &plain, NULL),
	    PF_ERR_INVALID);
	assert_int_equal(pf_crypto_open(key, "v1:not base64!", &plain,
	    NULL), PF_ERR_INVALID);
	assert_int_equal(pf_crypto_open(key, NULL, &plain, NULL),
	    PF_ERR_INVALID);
	/* Trailing newline is not part of the format. */
	cut = pf_xasprintf("%s\n", sealed);
	assert_int_equal(pf_crypto_open(key, cut, &plain, NULL),
	    PF_ERR_INVALID);
	free(cut);
	/* Standard base64 alphabet is not ours. */
	cut = pf_xstrdup(sealed);
	cut[10] = '+';
	assert_int_equal(pf_crypto_open(key, cut, &plain, NULL),
	    PF_ERR_INVALID);
	free(cut);

	/* Other versions and upstream Fernet tokens. */
	assert_int_equal(pf_crypto_open(key, "v2:AAAA", &plain, NULL),
	    PF_ERR_VERSION);
	assert_int_equal(pf_crypto_open(key,
	    "gAAAAABkX1dD7Zu0lq0-cJ8ZzU5mPq2nW3b1Cq5pVXq3cKcZ0f7QwLqS",
	    &plain, NULL), PF_ERR_VERSION);
	assert_null(plain);
	free(sealed);
}

static void
test_key_parse(void **state)
{
	static const unsigned char want[PF_CRYPTO_KEYBYTES] = {
		0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb,
		0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff,
		0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe,
		0x01, 0x02,
	};
	static const char *good[] = {
		"fbfffefbfffefbfffefbfffefbfffefbfffefbfffefbfffefbfffefbfffe0102",
		"FBFFFEFBFFFEFBFFFEFBFFFEFBFFFEFBFFFEFBFFFEFBFFFEFBFFFEFBFFFE0102",
		"+//++//++//++//++//++//++//++//++//++//+AQI=",
		"+//++//++//++//++//++//++//++//++//++//+AQI",
		"-__--__--__--__--__--__--__--__--__--__-AQI=",
		"-__--__--__--__--__--__--__--__--__--__-AQI",
		"  -__--__--__--__--__--__--__--__--__--__-AQI=\n",
		"fbfffefbfffefbfffefbfffefbfffefbfffefbfffefbfffefbfffefbfffe0102\r\n",
	};
	static const char *bad[] = {
		"",
		"\n",
		/* 31 and 33 bytes */
		"fbfffefbfffefbfffefbfffefbfffefbfffefbfffefbfffefbfffefbfffe01",
		"fbfffefbfffefbfffefbfffefbfffefbfffefbfffefbfffefbfffefbfffe010203",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		/* bad characters */
		"gbfffefbfffefbfffefbfffefbfffefbfffefbfffefbfffefbfffefbfffe0102",
		"-__--__--__--__--__--__--__--__--__--__-AQ*=",
		"-__--__--__--__--__--__--__-- __--__--__-AQI=",
		/* mixed alphabets */
		"-__+/__--__--__--__--__--__--__--__--__--AQI=",
		/* non-canonical trailing bits */
		"-__--__--__--__--__--__--__--__--__--__-AQJ=",
		"secret",
	};
	unsigned char	key[PF_CRYPTO_KEYBYTES], untouched[PF_CRYPTO_KEYBYTES];
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(key, 0, sizeof(key));
		assert_int_equal(pf_crypto_key_parse(good[i], key), PF_OK);
		assert_memory_equal(key, want, sizeof(want));
	}
	memset(untouched, 0x5a, sizeof(untouched));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(key, untouched, sizeof(key));
		assert_int_equal(pf_crypto_key_parse(bad[i], key),
		    PF_ERR_INVALID);
		assert_memory_equal(key, untouched, sizeof(key));
	}
	assert_int_equal(pf_crypto_key_parse(NULL, key), PF_ERR_INVALID);

	/* A Fernet key (cryptography's Fernet.generate_key() form). */
	assert_int_equal(pf_crypto_key_parse(
	    "ZmDfcTF7_60GrrY167zsiPd67pEvs0aGOv2oasOM1Pg=\n", key), PF_OK);
	assert_int_equal(key[0], 0x66);
	assert_int_equal(key[31], 0xf8);
}

static void
test_key_generate(void **state)
{
	unsigned char	key[PF_CRYPTO_KEYBYTES];
	char		a[PF_CRYPTO_KEY_TEXT_SIZE], b[PF_CRYPTO_KEY_TEXT_SIZE];

	(void)state;
	assert_int_equal(pf_crypto_key_generate(a, sizeof(a)), PF_OK);
	assert_int_equal(pf_crypto_key_generate(b, sizeof(b)), PF_OK);
	assert_int_equal(strlen(a), 44);
	assert_int_equal(a[43], '=');
	assert_string_not_equal(a, b);
	assert_int_equal(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_="), 44);
	assert_int_equal(pf_crypto_key_parse(a, key), PF_OK);
	assert_int_equal(pf_crypto_key_generate(a, 44), PF_ERR_RANGE);
}

static void
test_sha256_vectors(void **state)
{
	char	out[PF_CRYPTO_SHA256_HEX_SIZE];

	(void)state;
	pf_crypto_sha256_hex("", 0, out);
	assert_string_equal(out, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
	pf_crypto_sha256_hex(NULL, 0, out);
	assert_string_equal(out, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
	pf_crypto_sha256_hex("abc", 3, out);
	assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	pf_crypto_sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmn"
	    "lmnomnopnopq", 56, out);
	assert_string_equal(out, "248d6a61d20638b8e5c026930c3e6039"
	    "a33ce45964ff2167f6ecedd419db06c1");
}

static void
test_random_hex(void **state)
{
	char	a[33], b[33], small[32];

	(void)state;
	assert_int_equal(pf_crypto_random_hex(16, a, sizeof(a)), PF_OK);
	assert_int_equal(pf_crypto_random_hex(16, b, sizeof(b)), PF_OK);
	assert_int_equal(strlen(a), 32);
	assert_int_equal(strspn(a, "0123456789abcdef"), 32);
	assert_string_not_equal(a, b);
	assert_int_equal(pf_crypto_random_hex(16, small, sizeof(small)),
	    PF_ERR_RANGE);
	assert_int_equal(pf_crypto_random_hex(0, small, 1), PF_OK);
	assert_string_equal(small, "");
}

static void
test_api_key(void **state)
{
	char	a[PF_CRYPTO_API_KEY_SIZE], b[PF_CRYPTO_API_KEY_SIZE];
	size_t	i;

	(void)state;
	assert_int_equal(pf_crypto_api_key_new(a), PF_OK);
	assert_int_equal(pf_crypto_api_key_new(b), PF_OK);
	/* ^pfk_[0-9a-f]{40}$ */
	assert_int_equal(strlen(a), 44);
	assert_memory_equal(a, "pfk_", 4);
	for (i = 4; i < 44; i++)
		assert_non_null(strchr("0123456789abcdef", a[i]));
	assert_string_not_equal(a, b);
	assert_true(pf_crypto_api_key_valid(a));
	assert_false(pf_crypto_api_key_valid(NULL));
	assert_false(pf_crypto_api_key_valid("pfk_"));
	assert_false(pf_crypto_api_key_valid(
	    "pfk_0123456789abcdef0123456789abcdef0123456"));
	assert_false(pf_crypto_api_key_valid(
	    "pfk_0123456789abcdef0123456789abcdef012345678"));
	assert_false(pf_crypto_api_key_valid(
	    "pfk_0123456789ABCDEF0123456789abcdef01234567"));
	assert_false(pf_crypto_api_key_valid(
	    "pfx_0123456789abcdef0123456789abcdef01234567"));
	assert_true(pf_crypto_api_key_valid(
	    "pfk_0123456789abcdef0123456789abcdef01234567"));
}

static void
test_ct_equal(void **state)
{
	(void)state;
	assert_true(pf_crypto_ct_equal("abc", 3, "abc", 3));
	assert_false(pf_crypto_ct_equal("abc", 3, "abd", 3));
	assert_false(pf_crypto_ct_equal("xbc", 3, "abc", 3));
	assert_false(pf_crypto_ct_equal("abc", 3, "abcd", 4));
	assert_false(pf_crypto_ct_equal("abcd", 4, "abc", 3));
	assert_false(pf_crypto_ct_equal("", 0, "a", 1));
	assert_true(pf_crypto_ct_equal("", 0, "", 0));
	assert_true(pf_crypto_ct_equal(NULL, 0, NULL, 0));
}

/* Polar's webhook signature: hex(HMAC-SHA256(secret, raw body)). */
static void
test_hmac_hex(void **state)
{
	const char	*msg = "The quick brown fox jumps over the lazy dog";
	const char	*sig = "f7bc83f430538424b13298e6aa6fb143"
	    "ef4d59a14946175997479dbc2d1a3cd8";
	const char	*up = "F7BC83F430538424B13298E6AA6FB143"
	    "EF4D59A14946175997479DBC2D1A3CD8";
	const char	*key = "5b3e7c2a-9d41-4f0e-8a6b-1c2d3e4f5a6b";
	const char	*ping = "{\"event\":\"PING\"}";
	char		 bad[65];

	(void)state;
	assert_true(pf_crypto_hmac_sha256_hex_ok("key", 3, msg, strlen(msg),
	    sig, strlen(sig)));
	assert_true(pf_crypto_hmac_sha256_hex_ok("key", 3, msg, strlen(msg),
	    up, strlen(up)));
	assert_true(pf_crypto_hmac_sha256_hex_ok(key, strlen(key), ping,
	    strlen(ping), "a89ec392c13865874173a389c961452c"
	    "d3a24c758a21aa322b8a194be9f01633", 64));
	/* one bit of the body, the key or the signature */
	assert_false(pf_crypto_hmac_sha256_hex_ok("key", 3, msg,
	    strlen(msg) - 1, sig, strlen(sig)));
	assert_false(pf_crypto_hmac_sha256_hex_ok("kez", 3, msg, strlen(msg),
	    sig, strlen(sig)));
	snprintf(bad, sizeof(bad), "%s", sig);
	bad[63] = '9';
	assert_false(pf_crypto_hmac_sha256_hex_ok("key", 3, msg, strlen(msg),
	    bad, 64));
	/* not 64 hex digits */
	assert_false(pf_crypto_hmac_sha256_hex_ok("key", 3, msg, strlen(msg),
	    sig, 62));
	bad[0] = 'g';
	assert_false(pf_crypto_hmac_sha256_hex_ok("key", 3, msg, strlen(msg),
	    bad, 64));
	assert_false(pf_crypto_hmac_sha256_hex_ok("key", 3, msg, strlen(msg),
	    "", 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seal_open_round_trip),
		cmocka_unit_test(test_seal_differs_each_time),
		cmocka_unit_test(test_open_wrong_key),
		cmocka_unit_test(test_open_tampered),
		cmocka_unit_test(test_open_bad_format),
		cmocka_unit_test(test_key_parse),
		cmocka_unit_test(test_key_generate),
		cmocka_unit_test(test_sha256_vectors),
		cmocka_unit_test(test_random_hex),
		cmocka_unit_test(test_api_key),
		cmocka_unit_test(test_ct_equal),
		cmocka_unit_test(test_hmac_hex),
	};

	return cmocka_run_group_tests_name("crypto", tests, setup, NULL);
}
