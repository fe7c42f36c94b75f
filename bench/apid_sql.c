/*
 * apid_sql.c -- prints the SQL statement apid runs for a route template,
 * e.g. apid_sql GET '/api/v1/users/{user_id}/sleep'.  Used by
 * bench/apid_bench.py to run the route's own statement under pgbench.
 */
#include <stdio.h>
#include <string.h>

#include "apid/apid.h"

int
main(int argc, char *argv[])
{
	size_t	i;

	if (argc != 3) {
		fprintf(stderr, "usage: apid_sql method template\n");
		return 1;
	}
	for (i = 0; i < apid_nroutes; i++)
		if (strcmp(apid_routes[i].method, argv[1]) == 0 &&
		    strcmp(apid_routes[i].path, argv[2]) == 0 &&
		    apid_routes[i].sql != NULL) {
			printf("%s\n", apid_routes[i].sql);
			return 0;
		}
	fprintf(stderr, "apid_sql: no statement for %s %s\n", argv[1],
	    argv[2]);
	return 1;
}
