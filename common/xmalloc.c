#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xmalloc.h"

void *
pf_xmalloc(size_t size)
{
	void	*p;

	if ((p = malloc(size == 0 ? 1 : size)) == NULL)
		pf_fatalx("out of memory allocating %zu bytes", size);
	return p;
}

void *
pf_xcalloc(size_t nmemb, size_t size)
{
	void	*p;

	if ((p = calloc(nmemb == 0 ? 1 : nmemb, size == 0 ? 1 : size)) == NULL)
		pf_fatalx("out of memory allocating %zu x %zu bytes", nmemb,
		    size);
	return p;
}

void *
pf_xreallocarray(void *ptr, size_t nmemb, size_t size)
{
	void	*p;

	if (size != 0 && nmemb > SIZE_MAX / size)
		pf_fatalx("allocation overflow: %zu x %zu", nmemb, size);
	if ((p = realloc(ptr, nmemb * size == 0 ? 1 : nmemb * size)) == NULL)
		pf_fatalx("out of memory allocating %zu x %zu bytes", nmemb,
		    size);
	return p;
}

char *
pf_xstrdup(const char *s)
{
	return pf_xstrndup(s, strlen(s));
}

char *
pf_xstrndup(const char *s, size_t n)
{
	char	*p;
	size_t	 len;

	len = strnlen(s, n);
	p = pf_xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *
pf_xasprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*p;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0)
		pf_fatalx("out of memory formatting a string");
	return p;
}

void
pf_freezero(void *ptr, size_t len)
{
	volatile unsigned char	*p = ptr;

	if (ptr == NULL)
		return;
	while (len-- > 0)
		*p++ = 0;
	free(ptr);
}
