/*
 * console_util.c -- the console's pure helpers: HTML escaping, form and
 * cookie values, and the client address behind trusted proxies.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apid/console.h"

void
console_esc(struct pf_buf *b, const char *s)
{
	const char	*p, *r;

	for (p = s; *p != '\0'; p++) {
		switch (*p) {
		case '&':  r = "&amp;"; break;
		case '<':  r = "&lt;"; break;
		case '>':  r = "&gt;"; break;
		case '"':  r = "&quot;"; break;
		case '\'': r = "&#39;"; break;
		default:
			pf_buf_add(b, p, 1);
			continue;
		}
		pf_buf_adds(b, r);
	}
}

static int
hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Decodes len bytes of s into out; false when it does not fit or is bad. */
static bool
form_decode(const char *s, size_t len, char *out, size_t outlen)
{
	size_t	i, n = 0;
	int	hi, lo, ch;

	for (i = 0; i < len; i++) {
		ch = (unsigned char)s[i];
		if (ch == '+')
			ch = ' ';
		else if (ch == '%') {
			if (i + 2 >= len)
				return false;
			if ((hi = hexval(s[i + 1])) < 0 ||
			    (lo = hexval(s[i + 2])) < 0)
				return false;
			ch = hi * 16 + lo;
			i += 2;
		}
		if (ch < 0x20 || ch == 0x7f)
			return false;
		if (n + 1 >= outlen)
			return false;
		out[n++] = (char)ch;
	}
	out[n] = '\0';
	return true;
}

bool
console_form_get(const char *body, size_t len, const char *name, char *out,
    size_t outlen)
{
	size_t		 nlen = strlen(name), flen;
	const char	*p = body, *end = body + len, *amp, *eq;

	if (body == NULL || outlen == 0)
		return false;
	while (p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (amp == NULL)
			amp = end;
		flen = (size_t)(amp - p);
		eq = memchr(p, '=', flen);
		if (eq != NULL && (size_t)(eq - p) == nlen &&
		    memcmp(p, name, nlen) == 0)
			return form_decode(eq + 1, (size_t)(amp - eq - 1), out,
			    outlen);
		p = amp + 1;
	}
	return false;
}

bool
console_cookie_get(const char *header, const char *name, char *out,
    size_t outlen)
{
	size_t		 nlen = strlen(name), vlen;
	const char	*p = header, *semi;

	if (header == NULL || outlen == 0)
		return false;
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t')
			p++;
		semi = strchr(p, ';');
		if (semi == NULL)
			semi = p + strlen(p);
		if ((size_t)(semi - p) > nlen && p[nlen] == '=' &&
		    strncmp(p, name, nlen) == 0) {
			vlen = (size_t)(semi - p) - nlen - 1;
			if (vlen + 1 > outlen)
				return false;
			memcpy(out, p + nlen + 1, vlen);
			out[vlen] = '\0';
			return true;
		}
		p = *semi == ';' ? semi + 1 : semi;
	}
	return false;
}

bool
console_hex_valid(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[n] == '\0';
}

bool
console_name_valid(const char *name)
{
	size_t	i, n = strlen(name);

	if (n == 0 || n > CONSOLE_NAME_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) &&
		    strchr("._@+-", name[i]) == NULL)
			return false;
	return true;
}

struct addr {
	int		family;
	unsigned char	b[16];
};

static bool
addr_parse(const char *s, struct addr *a)
{
	if (inet_pton(AF_INET, s, a->b) == 1) {
		a->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, a->b) == 1) {
		a->family = AF_INET6;
		return true;
	}
	return false;
}

/* Is a in the network (or the address) of entry, "addr[/bits]"? */
static bool
addr_in(const struct addr *a, const char *entry)
{
	char		 buf[64];
	char		*slash, *e;
	struct addr	 n;
	long		 bits;
	int		 max, i;

	if (snprintf(buf, sizeof(buf), "%s", entry) >= (int)sizeof(buf))
		return false;
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (!addr_parse(buf, &n) || n.family != a->family)
		return false;
	max = n.family == AF_INET ? 32 : 128;
	bits = max;
	if (slash != NULL) {
		bits = strtol(slash, &e, 10);
		if (*slash == '\0' || *e != '\0' || bits < 0 || bits > max)
			return false;
	}
	for (i = 0; bits >= 8; i++, bits -= 8)
		if (a->b[i] != n.b[i])
			return false;
	if (bits > 0 && ((a->b[i] ^ n.b[i]) & (0xff << (8 - bits)) & 0xff))
		return false;
	return true;
}

static bool
trusted_has(const char *trusted, const char *s)
{
	char		 entry[64];
	struct addr	 a;
	const char	*p = trusted;
	size_t		 n;

	if (trusted == NULL || !addr_parse(s, &a))
		return false;
	while (*p != '\0') {
		p += strspn(p, ", \t");
		n = strcspn(p, ", \t");
		if (n > 0 && n < sizeof(entry)) {
			memcpy(entry, p, n);
			entry[n] = '\0';
			if (addr_in(&a, entry))
				return true;
		}
		p += n;
	}
	return false;
}

void
console_client_addr(const char *peer, const char *xff, const char *trusted,
    char *out, size_t outlen)
{
	char		 hop[64];
	struct addr	 a;
	const char	*end, *start, *seg;
	size_t		 n;

	snprintf(out, outlen, "%s", peer);
	if (xff == NULL || !trusted_has(trusted, peer))
		return;
	end = xff + strlen(xff);
	for (;;) {
		seg = end;
		while (seg > xff && seg[-1] != ',')
			seg--;
		start = seg;
		while (start < end && (*start == ' ' || *start == '\t'))
			start++;
		n = (size_t)(end - start);
		while (n > 0 && (start[n - 1] == ' ' || start[n - 1] == '\t'))
			n--;
		if (n == 0 || n >= sizeof(hop))
			return;
		memcpy(hop, start, n);
		hop[n] = '\0';
		if (!addr_parse(hop, &a))
			return;
		snprintf(out, outlen, "%s", hop);
		if (!trusted_has(trusted, hop) || seg == xff)
			return;
		end = seg - 1;		/* the comma */
	}
}
