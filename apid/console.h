/*
 * console.h -- the admin console under /admin (console*.c).
 *
 * apid renders the pages itself in C; assets are the vendored files of
 * apid/console/, embedded in the module at build time (the workers run
 * chrooted).  Sessions, the throttle and the setup token live in
 * PostgreSQL (sql/0016_console.sql).
 *
 * The pure helpers (console_util.c: escaping, forms, cookies, the client
 * address) include no kore and are unit-tested.
 */
#ifndef PF_APID_CONSOLE_H
#define PF_APID_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"

#define CONSOLE_SESSION_BYTES	32	/* session id: 64 hex in the cookie */
#define CONSOLE_TOKEN_HEX	64	/* CSRF tokens, session ids */
#define CONSOLE_NAME_MAX	64
#define CONSOLE_PASSWORD_MIN	8
#define CONSOLE_PASSWORD_MAX	256
#define CONSOLE_ADDR_MAX	64	/* a client address as text */
#define CONSOLE_FAIL_MAX	5	/* failed logins per address ... */
#define CONSOLE_FAIL_WINDOW_MIN	15	/* ... in this many minutes */
#define CONSOLE_SESSION_HOURS	24
#define CONSOLE_COOKIE		"pf_session"
#define CONSOLE_PRE_COOKIE	"pf_presession"	/* CSRF before a session */

/* console_util.c */
/* Appends s to b with & < > " ' escaped for HTML text and attributes. */
void	console_esc(struct pf_buf *b, const char *s);
/*
 * The value of name in an application/x-www-form-urlencoded body (or a
 * query string), decoded, into out.  False when absent, malformed, longer
 * than outlen - 1 bytes or holding a control character.
 */
bool	console_form_get(const char *body, size_t len, const char *name,
	    char *out, size_t outlen);
/* The value of cookie name in a Cookie header; false when absent/long. */
bool	console_cookie_get(const char *header, const char *name, char *out,
	    size_t outlen);
/* True if s is exactly n lowercase hex digits. */
bool	console_hex_valid(const char *s, size_t n);
/* True if name is a valid administrator name (the table's CHECK). */
bool	console_name_valid(const char *name);
/*
 * The client's address: peer, unless peer is one of trusted (addresses or
 * CIDR networks, comma- or blank-separated); then the right-most entry
 * of xff (may be NULL) that is not trusted (all trusted: the left-most).
 * Writes at most outlen - 1 bytes of text; entries that are not addresses
 * end the walk (the last good one is used).
 */
void	console_client_addr(const char *peer, const char *xff,
	    const char *trusted, char *out, size_t outlen);

/* console_setup.c */
/*
 * Logs the setup token (made when missing) while no administrator
 * exists; a database that cannot be reached is only warned about.
 */
void	console_setup_announce(const char *database_url);

/* store.c: the console's statements (documented there). */
extern const char	store_sql_console_setup_token[];
extern const char	store_sql_console_state[];
extern const char	store_sql_console_admin_hash[];
extern const char	store_sql_console_login[];
extern const char	store_sql_console_fail[];
extern const char	store_sql_console_setup[];
extern const char	store_sql_console_logout[];
extern const char	store_sql_console_users[];
extern const char	store_sql_console_tiles[];
extern const char	store_sql_console_keys[];
extern const char	store_sql_console_key_new[];
extern const char	store_sql_console_key_revoke[];

#endif /* PF_APID_CONSOLE_H */
