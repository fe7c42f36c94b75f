/*
 * buf.c -- a growable byte buffer (buf.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/xmalloc.h"

#define BUF_FIRST_CAP	256

void
pf_buf_init(struct pf_buf *b)
{
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
}

void
pf_buf_add(struct pf_buf *b, const void *p, size_t len)
{
	size_t	ncap;

	if (b->len + len + 1 > b->cap) {
		ncap = b->cap ? b->cap : BUF_FIRST_CAP;
		while (ncap < b->len + len + 1)
			ncap *= 2;
		b->p = pf_xreallocarray(b->p, ncap, 1);
		b->cap = ncap;
	}
	if (len > 0)
		memcpy(b->p + b->len, p, len);
	b->len += len;
	b->p[b->len] = '\0';
}

void
pf_buf_adds(struct pf_buf *b, const char *s)
{
	pf_buf_add(b, s, strlen(s));
}

void
pf_buf_addf(struct pf_buf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	 tmp[512], *big;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(tmp)) {
		pf_buf_add(b, tmp, (size_t)n);
		return;
	}
	big = pf_xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	pf_buf_add(b, big, (size_t)n);
	free(big);
}

void
pf_buf_free(struct pf_buf *b)
{
	free(b->p);
	pf_buf_init(b);
}
