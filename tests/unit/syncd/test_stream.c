/*
 * test_stream.c -- the stream table is consistent with itself.
 *
 * Run as "test_stream columns" it prints, instead, one "table<TAB>column"
 * line for every column syncd writes, which the integration tests compare
 * with the migrated schema (tests/integration/test_schema.py).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "common/err.h"

#include "syncd/syncd.h"

/* Is col one of the ", "-separated columns of key? */
static bool
in_key(const char *key, const char *col)
{
	size_t	 len = strlen(col);

	while ((key = strstr(key, col)) != NULL) {
		if (key[len] == '\0' || key[len] == ',')
			return true;
		key += len;
	}
	return false;
}

static int
ncols(const char *key)
{
	int	 n = 1;

	for (; *key != '\0'; key++)
		n += *key == ',';
	return n;
}

static void
test_fields(void **state)
{
	const struct stream_def	*def;
	const struct field	*fd, *g;
	int			 i, nday, nkey, nderived;

	(void)state;
	for (i = 0; i < ST__COUNT; i++) {
		def = &streams[i];
		assert_non_null(def->name);
		assert_non_null(def->table);
		assert_non_null(def->conflict);
		assert_non_null(def->path);
		assert_non_null(def->fields);
		assert_true(def->history_days >= SYNCD_POLAR_WINDOW);
		nday = nkey = nderived = 0;
		for (fd = def->fields; fd->col != NULL; fd++) {
			/* store.c adds user_id and raw itself */
			assert_string_not_equal(fd->col, "raw");
			assert_string_not_equal(fd->col, "user_id");
			for (g = def->fields; g != fd; g++)
				if (strcmp(g->col, fd->col) == 0)
					fail_msg("%s.%s twice", def->table,
					    fd->col);
			if (fd->kind == FK_DERIVED) {
				assert_null(fd->key);
				nderived++;
			} else
				assert_non_null(fd->key);
			if (fd->kind == FK_ENUM)
				assert_non_null(fd->values);
			if (fd->kind == FK_STR)
				assert_true(fd->max > 0);
			if (fd->kind == FK_INT || fd->kind == FK_DBL ||
			    fd->kind == FK_CLOCKMAP)
				assert_true(fd->min <= fd->max);
			if (fd->flags & F_DAY)
				nday++;
			if (in_key(def->conflict, fd->col))
				nkey++;
		}
		/* one field gives the day, unless the hook does */
		assert_true(nday == 1 || (nday == 0 && def->derive != NULL));
		/* every key column is a column of the stream */
		assert_int_equal(nkey, ncols(def->conflict));
		if (nderived > 0)
			assert_non_null(def->derive);
	}
}

static void
test_names(void **state)
{
	enum stream	 st;
	int		 i;

	(void)state;
	for (i = 0; i < ST__COUNT; i++) {
		assert_int_equal(stream_from_name(stream_name((enum stream)i),
		    &st), PF_OK);
		assert_int_equal((int)st, i);
	}
	assert_int_equal(stream_from_name("nope", &st), PF_ERR_NOTFOUND);
	assert_string_equal(stream_name(ST__COUNT), "unknown");
}

static void
print_columns(void)
{
	const struct field	*fd;
	int			 i;

	for (i = 0; i < ST__COUNT; i++) {
		for (fd = streams[i].fields; fd->col != NULL; fd++)
			printf("%s\t%s\n", streams[i].table, fd->col);
		printf("%s\traw\n", streams[i].table);
	}
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_names),
	};

	if (argc == 2 && strcmp(argv[1], "columns") == 0) {
		print_columns();
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
