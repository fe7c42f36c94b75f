/*
 * fuzz_apid_request.c -- apid's request parsing and validation (route.c,
 * validate.c, render.c).
 *
 * The input is a request line without the version, "METHOD PATH[?QUERY]"
 * (bytes after a NUL are dropped: kore hands apid C strings).  It runs the
 * steps serve.c and its bind_params() take with kore's parsed request:
 * route_match(), validate_capture() of every capture into a parameter
 * buffer of the same size, validate_days() on the query of a route with
 * "days", and the error body of whatever failed.  Those two functions of
 * serve.c read struct http_request, so they are not linked here; the
 * functions they call are.  Every error body must be the JSON envelope
 * {"status_code", "detail"} (what clients parse), and what validation
 * accepts must fit what the statements bind.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "apid/apid.h"

#define PBUF_LEN	128	/* struct reqctx's pbuf[i] */

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* body must be {"status_code": status, "detail": "...", ...}. */
static void
check_body(char *body, int status)
{
	json_t	*j;

	if (body == NULL || (j = json_loads(body, 0, NULL)) == NULL ||
	    json_integer_value(json_object_get(j, "status_code")) != status ||
	    !json_is_string(json_object_get(j, "detail"))) {
		fprintf(stderr, "not an error envelope for %d: %s\n", status,
		    body ? body : "(null)");
		abort();
	}
	json_decref(j);
	free(body);
}

static void
check_verror(const char *method, const char *path, const char *qs,
    const struct apid_verr *e)
{
	if (memchr(e->message, '\0', sizeof(e->message)) == NULL ||
	    e->message[0] == '\0' || e->key[0] == '\0' ||
	    (strcmp(e->source, "path") != 0 && strcmp(e->source, "query") !=
	    0))
		abort();
	check_body(render_verror(method, path, qs, e), 400);
}

static void
request(const char *method, const char *path, const char *qs)
{
	const struct apid_route	*rt;
	struct apid_match	 m;
	struct apid_verr	 e;
	char			 pbuf[APID_MAX_PARAMS][PBUF_LEN], q[64];
	int			 route, i, r, days;

	route = route_match(method, path, &m);
	if (route == -1 || route == -2) {
		check_body(render_error(route == -1 ? 404 : 405, route == -1 ?
		    "Not Found" : "Method Not Allowed", NULL), route == -1 ?
		    404 : 405);
		return;
	}
	if (route < 0 || (size_t)route >= apid_nroutes)
		abort();
	rt = &apid_routes[route];
	/* HEAD is served by the GET route of the path. */
	if ((strcmp(rt->method, method) != 0 && !(strcmp(method, "HEAD") == 0
	    && strcmp(rt->method, "GET") == 0)) || m.ncap < 0 ||
	    m.ncap > APID_MAX_CAPTURES)
		abort();
	for (i = 0; i < m.ncap; i++) {
		if (m.cap[i].p < path || m.cap[i].p + m.cap[i].len >
		    path + strlen(path) || m.cap[i].len == 0)
			abort();
		r = validate_capture(m.capname[i], m.capnamelen[i], &m.cap[i],
		    pbuf[i], PBUF_LEN, &e);
		if (r == -2) {
			check_body(render_error(400, "Invalid value: must be a "
			    "finite number", NULL), 400);
			return;
		}
		if (r != 0) {
			check_verror(method, path, qs, &e);
			return;
		}
		if (memchr(pbuf[i], '\0', PBUF_LEN) == NULL)
			abort();
	}
	if (rt->flags & APID_R_DAYS) {
		r = validate_days(qs, rt->days_def, rt->days_min, rt->days_max,
		    &days, &e);
		if (r != 0)
			check_verror(method, path, qs, &e);
		else if (days != rt->days_def && (days < rt->days_min ||
		    days > rt->days_max))
			abort();
	}
	/* The other lookups apid makes in a query string. */
	if (query_get(qs, "days", q, sizeof(q)) == 1 &&
	    memchr(q, '\0', sizeof(q)) == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*line, *path, *qs;

	if ((line = malloc(size + 1)) == NULL)
		abort();
	memcpy(line, data, size);
	line[size] = '\0';
	if ((path = strchr(line, ' ')) != NULL) {
		*path++ = '\0';
		if ((qs = strchr(path, '?')) != NULL)
			*qs++ = '\0';
		request(line, path, qs);
	}
	free(line);
	return 0;
}
