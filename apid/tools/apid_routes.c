/*
 * apid_routes.c -- prints apid's route table, one route a line:
 * "method<TAB>path<TAB>days_def<TAB>days_min<TAB>days_max", the days
 * fields 0 when the route takes no "days".  apid/gen_openapi.py builds
 * openapi.json's path list from it, so the table is the only list of
 * routes.  Hidden routes (the OAuth bridge) are left out.
 */
#include <stdio.h>

#include "apid/apid.h"

int
main(void)
{
	const struct apid_route	*r;
	size_t			 i;
	int			 days;

	for (i = 0; i < apid_nroutes; i++) {
		r = &apid_routes[i];
		if (r->flags & APID_R_HIDDEN)
			continue;
		days = (r->flags & APID_R_DAYS) != 0;
		printf("%s\t%s\t%d\t%d\t%d\n", r->method, r->path,
		    days ? r->days_def : 0, days ? r->days_min : 0,
		    days ? r->days_max : 0);
	}
	return ferror(stdout) ? 1 : 0;
}
