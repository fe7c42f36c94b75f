/*
 * ident.c -- the user-id rule.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "common/ident.h"

bool
pf_user_id_validn(const char *s, size_t len)
{
	size_t	i;

	if (s == NULL || len < 1 || len > PF_USER_ID_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

bool
pf_user_id_valid(const char *s)
{
	/* strnlen: an overlong id is refused without reading all of it */
	return s != NULL &&
	    pf_user_id_validn(s, strnlen(s, PF_USER_ID_MAX + 1));
}
