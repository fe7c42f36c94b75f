/*
 * hash.c -- FNV-1a 64.
 */
#include "common/hash.h"

#define FNV64_OFFSET	0xcbf29ce484222325ULL
#define FNV64_PRIME	0x100000001b3ULL

uint64_t
pf_hash64(const void *p, size_t len)
{
	const unsigned char	*s = p;
	uint64_t		 h = FNV64_OFFSET;
	size_t			 i;

	for (i = 0; i < len; i++) {
		h ^= s[i];
		h *= FNV64_PRIME;
	}
	return h;
}
