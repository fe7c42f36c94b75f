/*
 * buf.h -- a growable byte buffer.
 *
 * The one buffer the suite builds text in: response bodies and metrics in
 * apid, COPY data in analyticsd, JSON in common/json.c.  The bytes are
 * always NUL-terminated (p[len] == '\0' once anything was added), so p can
 * be used as a string when no NUL was added.  Growth goes through
 * pf_xreallocarray(): out of memory is fatal, never an error to check.
 * The buffer owns p; pf_buf_free() releases it and leaves an empty buffer.
 */
#ifndef PF_BUF_H
#define PF_BUF_H

#include <stddef.h>

struct pf_buf {
	char	*p;		/* NULL until the first add */
	size_t	 len;
	size_t	 cap;
};

#define PF_BUF_INIT	{ NULL, 0, 0 }

void	pf_buf_init(struct pf_buf *b);
void	pf_buf_add(struct pf_buf *b, const void *p, size_t len);
void	pf_buf_adds(struct pf_buf *b, const char *s);
void	pf_buf_addf(struct pf_buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	pf_buf_free(struct pf_buf *b);

#endif
