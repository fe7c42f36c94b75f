/*
 * ident.h -- the user-id rule of the whole suite.
 *
 * A user id is 1 to PF_USER_ID_MAX characters of [A-Za-z0-9_-], the same
 * rule as the users.user_id CHECK of the schema and the REST path pattern.
 * The test is on ASCII bytes, never on the locale's idea of a letter.
 */
#ifndef PF_COMMON_IDENT_H
#define PF_COMMON_IDENT_H

#include <stdbool.h>
#include <stddef.h>

#define PF_USER_ID_MAX	100	/* characters, without the NUL */

/* Whether the len bytes at s (no NUL needed) are a valid user id. */
bool	pf_user_id_validn(const char *s, size_t len);

/* The same for a NUL-terminated string; false for NULL. */
bool	pf_user_id_valid(const char *s);

#endif /* PF_COMMON_IDENT_H */
