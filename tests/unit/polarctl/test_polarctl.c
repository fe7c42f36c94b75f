/*
 * test_polarctl.c -- polarctl's command line: options taken out of the
 * arguments, and commands found by unique prefixes of their words.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/err.h"

#include "polarctl/polarctl.h"

#define NARGS(a)	((int)(sizeof(a) / sizeof((a)[0])) - 1)

static void
test_opt_forms(void **state)
{
	char		*a[] = { "u1", "--format", "csv", "--days=7", "-s",
			    "sleep", NULL };
	int		 argc = NARGS(a);
	const char	*v = NULL;

	(void)state;
	assert_int_equal(ctl_opt(&argc, a, "days", 'd', &v), PF_OK);
	assert_string_equal(v, "7");
	assert_int_equal(argc, 5);
	assert_int_equal(ctl_opt(&argc, a, "format", 'f', &v), PF_OK);
	assert_string_equal(v, "csv");
	assert_int_equal(ctl_opt(&argc, a, "stream", 's', &v), PF_OK);
	assert_string_equal(v, "sleep");
	/* what is left, in order, still NULL-terminated */
	assert_int_equal(argc, 1);
	assert_string_equal(a[0], "u1");
	assert_null(a[1]);
	assert_int_equal(ctl_opt(&argc, a, "days", 'd', &v), PF_ERR_NOTFOUND);
}

static void
test_opt_edges(void **state)
{
	char		*missing[] = { "--user", NULL };
	char		*lone[] = { "-", "--", "x", NULL };
	char		*longer[] = { "--users=3", "--user-x", "y", NULL };
	char		*empty[] = { "--name=", NULL };
	char		*noshort[] = { "-n", "v", NULL };
	int		 argc;
	const char	*v = NULL;

	(void)state;
	argc = NARGS(missing);
	assert_int_equal(ctl_opt(&argc, missing, "user", 'u', &v),
	    PF_ERR_INVALID);
	assert_int_equal(argc, 1);
	/* a lone '-' or '--' is no option, and nothing is read past it */
	argc = NARGS(lone);
	assert_int_equal(ctl_opt(&argc, lone, "user", 'u', &v),
	    PF_ERR_NOTFOUND);
	assert_int_equal(ctl_opt(&argc, lone, "user", '\0', &v),
	    PF_ERR_NOTFOUND);
	assert_int_equal(argc, 3);
	/* a longer name is another option */
	argc = NARGS(longer);
	assert_int_equal(ctl_opt(&argc, longer, "user", 'u', &v),
	    PF_ERR_NOTFOUND);
	assert_int_equal(argc, 3);
	argc = NARGS(empty);
	assert_int_equal(ctl_opt(&argc, empty, "name", 'n', &v), PF_OK);
	assert_string_equal(v, "");
	assert_int_equal(argc, 0);
	/* no short form unless one is given */
	argc = NARGS(noshort);
	assert_int_equal(ctl_opt(&argc, noshort, "name", '\0', &v),
	    PF_ERR_NOTFOUND);
}

/* The command found for words, "" when none. */
static const char *
found(int argc, char **argv, bool *ambiguous)
{
	static char		 buf[64];
	const struct cmd	*c;
	size_t			 w;

	if ((c = cmd_lookup(argc, argv, ambiguous)) == NULL)
		return "";
	buf[0] = '\0';
	for (w = 0; w < cmd_nwords(c); w++) {
		if (w > 0)
			strcat(buf, " ");
		strcat(buf, c->words[w]);
	}
	return buf;
}

static void
test_lookup(void **state)
{
	char	*full[] = { "user", "list" };
	char	*pre[] = { "us", "li", "extra" };
	char	*amb[] = { "us", "a" };
	char	*one[] = { "re", "syncd" };
	char	*ex[] = { "ex", "u1" };
	char	*none[] = { "user", "frob" };
	char	*emptyw[] = { "user", "" };
	char	*tooshort[] = { "user" };
	bool	 ambiguous;

	(void)state;
	assert_string_equal(found(2, full, &ambiguous), "user list");
	assert_false(ambiguous);
	assert_string_equal(found(3, pre, &ambiguous), "user list");
	/* "us a": user add or user authorize */
	assert_string_equal(found(2, amb, &ambiguous), "");
	assert_true(ambiguous);
	assert_string_equal(found(2, one, &ambiguous), "reload");
	assert_false(ambiguous);
	assert_string_equal(found(2, ex, &ambiguous), "export");
	assert_string_equal(found(2, none, &ambiguous), "");
	assert_false(ambiguous);
	/* an empty word is no prefix */
	assert_string_equal(found(2, emptyw, &ambiguous), "");
	assert_false(ambiguous);
	assert_string_equal(found(1, tooshort, &ambiguous), "");
	assert_false(ambiguous);
	assert_int_equal(cmd_nwords(cmd_lookup(2, full, &ambiguous)), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opt_forms),
		cmocka_unit_test(test_opt_edges),
		cmocka_unit_test(test_lookup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
