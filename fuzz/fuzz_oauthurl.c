/*
 * fuzz_oauthurl.c -- the OAuth bridge's callback allow-list and URL
 * building (apid/oauthurl.c).
 *
 * The input is "ALLOW-LIST\nURL" (no newline: the URL alone, checked
 * against a fixed list; bytes after a NUL are dropped, as kore hands apid
 * C strings).  A URL the check accepts must be one the bridge may redirect
 * to as it is: http(s), at most 2048 bytes, printable ASCII without
 * blanks, no fragment, no user information; and the parameters it then
 * appends must keep it so.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"

#include "apid/apid.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*in, *nl, why[160];
	const char	*list = "https://app.example.com http://localhost:3000";
	const char	*url, *auth;
	struct pf_buf	 b = PF_BUF_INIT;

	if (size > 8192)
		return 0;
	in = malloc(size + 1);
	if (in == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	url = in;
	if ((nl = strchr(in, '\n')) != NULL) {
		*nl = '\0';
		list = in;
		url = nl + 1;
	}
	why[0] = '\0';
	if (oauth_callback_check(url, list, why, sizeof(why)) != 0) {
		if (why[0] == '\0' || memchr(why, '\0', sizeof(why)) == NULL)
			abort();
		free(in);
		return 0;
	}
	if (strlen(url) > OAUTH_CALLBACK_MAX || strchr(url, '#') != NULL)
		abort();
	if (strncasecmp(url, "https://", 8) == 0)
		auth = url + 8;
	else if (strncasecmp(url, "http://", 7) == 0)
		auth = url + 7;
	else
		abort();
	if (memchr(auth, '@', strcspn(auth, "/?")) != NULL)
		abort();
	check_printable(url);
	pf_buf_adds(&b, url);
	oauth_url_param(&b, "code", url);
	oauth_url_param(&b, "status", "connected");
	check_printable(b.p);
	if (strchr(b.p, '#') != NULL || strncmp(b.p, url, strlen(url)) != 0)
		abort();
	pf_buf_free(&b);
	free(in);
	return 0;
}
