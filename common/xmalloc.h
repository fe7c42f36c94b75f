/*
 * xmalloc.h -- allocators that never return NULL.
 *
 * Out of memory is a broken invariant for a small daemon: these call
 * pf_fatalx() instead of returning NULL.  Everything they return is owned by
 * the caller and released with free(3) (pf_freezero for secrets).
 */
#ifndef PF_COMMON_XMALLOC_H
#define PF_COMMON_XMALLOC_H

#include <stddef.h>

void	*pf_xmalloc(size_t size);
void	*pf_xcalloc(size_t nmemb, size_t size);
void	*pf_xreallocarray(void *ptr, size_t nmemb, size_t size);
char	*pf_xstrdup(const char *s);
char	*pf_xstrndup(const char *s, size_t n);
char	*pf_xasprintf(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
/* Wipes len bytes before freeing; accepts NULL. */
void	 pf_freezero(void *ptr, size_t len);

#endif /* PF_COMMON_XMALLOC_H */
