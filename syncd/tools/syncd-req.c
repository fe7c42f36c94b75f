/*
 * syncd-req.c -- one REQ/REP round trip from the shell, used by the
 * benchmark (bench/syncd_bench.py):
 *
 *	syncd-req URL JSON [TIMEOUT_MS]
 *
 * prints the reply on stdout and exits 0, or exits 1 with the reason on
 * stderr.  nngcat 1.5.2 sporadically fails with "Cannot set recv timeout"
 * after it has sent the request, losing the reply, which a caller cannot
 * retry safely (an OAuth code is single-use).
 */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "common/err.h"

#include "common/ipc.h"

int
main(int argc, char *argv[])
{
	json_t		*req, *reply = NULL;
	json_error_t	 je;
	char		*s;
	int		 r, tmo;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: syncd-req url json [timeout_ms]\n");
		return 1;
	}
	tmo = argc == 4 ? atoi(argv[3]) : 5000;
	if ((req = json_loads(argv[2], 0, &je)) == NULL) {
		fprintf(stderr, "syncd-req: bad JSON: %s\n", je.text);
		return 1;
	}
	r = pf_ipc_call(argv[1], req, &reply, tmo);
	json_decref(req);
	if (r != PF_OK) {
		fprintf(stderr, "syncd-req: %s\n", pf_strerror(r));
		pf_ipc_fini();
		return 1;
	}
	s = json_dumps(reply, JSON_COMPACT);
	printf("%s\n", s);
	free(s);
	json_decref(reply);
	pf_ipc_fini();
	return 0;
}
