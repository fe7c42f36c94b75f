/*
 * test_frontparse.c -- apid/frontparse.c: what the front door refuses,
 * rewrites and passes on to kore, and where one request ends.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "apid/apid.h"

#define CAP	8192

static char	buf[CAP];

/* Runs front_check on s with CAP bytes of room; *out gets the new length. */
static int
check(const char *s, size_t *out, struct front_req *fr)
{
	size_t	len = strlen(s);

	memcpy(buf, s, len);
	*out = len;
	return front_check(buf, out, CAP, fr);
}

static int
status_of(const char *s)
{
	struct front_req	fr;
	size_t			len;

	if (check(s, &len, &fr) != FRONT_REFUSE)
		return 0;
	assert_non_null(fr.detail);
	return fr.status;
}

/* Per-route body limits; a JSON body read with the headers is its own. */
static void
test_body_limits_and_body_bytes(void **state)
{
	struct front_req	fr;
	size_t			len;

	(void)state;
	apid_ingest_body_max = 1024 * 1024;
	assert_int_equal(status_of("POST /api/v1/ingest HTTP/1.1\r\nHost: h"
	    "\r\nContent-Length: 1048576\r\n\r\n"), 0);
	assert_int_equal(status_of("POST /api/v1/sync HTTP/1.1\r\nHost: h"
	    "\r\nContent-Length: 1048577\r\n\r\n"), 413);
	assert_int_equal(status_of("POST /api/v1/users/a/sync/trigger "
	    "HTTP/1.1\r\nHost: h\r\nContent-Length: 65537\r\n\r\n"), 413);
	assert_int_equal(status_of("POST /api/v1/users/a/sync/trigger "
	    "HTTP/1.1\r\nHost: h\r\nContent-Length: 65536\r\n\r\n"), 0);
	/* bare newlines in the body are not the header block's */
	assert_int_equal(check("POST /api/v1/ingest HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 9\r\n\r\n{\n\"a\":\n1}", &len, &fr), FRONT_PASS);
	assert_int_equal(status_of("POST /api/v1/ingest HTTP/1.1\nHost: h"
	    "\r\n\r\n"), 400);
	apid_ingest_body_max = 512 * 1024 * 1024;
}

static void
test_pass_and_more(void **state)
{
	struct front_req	fr;
	size_t			len;
	const char		*ok = "GET /health?x=1 HTTP/1.1\r\nHost: h\r\n"
	    "X-A: b\r\n\r\n";

	(void)state;
	assert_int_equal(check(ok, &len, &fr), FRONT_PASS);
	assert_int_equal(len, strlen(ok));
	assert_memory_equal(buf, ok, len);
	assert_string_equal(fr.method, "GET");
	assert_string_equal(fr.path, "/health");
	assert_int_equal(check("GET /health HTTP/1.1\r\nHost: h\r\n", &len,
	    &fr), FRONT_MORE);
	assert_int_equal(check("GET /hea", &len, &fr), FRONT_MORE);
}

static void
test_rewrites(void **state)
{
	struct front_req	fr;
	size_t			len;
	const char		*want;

	(void)state;
	/* Empty field values are dropped, the rest kept in order. */
	assert_int_equal(check("GET /health HTTP/1.1\r\nX-API-Key:\r\n"
	    "Host: h\r\nX-B:  \r\nX-C: c\r\n\r\n", &len, &fr), FRONT_PASS);
	want = "GET /health HTTP/1.1\r\nHost: h\r\nX-C: c\r\n\r\n";
	assert_int_equal(len, strlen(want));
	assert_memory_equal(buf, want, len);

	/* A POST without Content-Length has an empty body. */
	assert_int_equal(check("POST /api/v1/users/u/sync/trigger HTTP/1.1\r\n"
	    "Host: h\r\n\r\n", &len, &fr), FRONT_PASS);
	want = "POST /api/v1/users/u/sync/trigger HTTP/1.1\r\nHost: h\r\n"
	    "content-length: 0\r\n\r\n";
	assert_int_equal(len, strlen(want));
	assert_memory_equal(buf, want, len);

	/* Leading empty lines are skipped. */
	assert_int_equal(check("\r\n\r\nGET /health HTTP/1.1\r\nHost: h\r\n\r\n",
	    &len, &fr), FRONT_PASS);
	assert_memory_equal(buf, "GET /health", 11);
	/* ... and what follows them is checked as any header block is. */
	assert_int_equal(status_of("\r\n\r\nGET /health HTTP/1.1\r\nHost: h"
	    "\nX: y\r\n\r\n"), 400);
}

/*
 * A POST without Content-Length that already has as many fields as kore
 * keeps: the added field would be the one kore drops, so it is refused.
 */
static void
test_no_room_for_length(void **state)
{
	char	req[1024];
	int	i, n;

	(void)state;
	n = snprintf(req, sizeof(req), "POST /api/v1/sync HTTP/1.1\r\n"
	    "Host: h\r\n");
	for (i = 0; i < 21; i++)
		n += snprintf(req + n, sizeof(req) - n, "X-%d: v\r\n", i);
	snprintf(req + n, sizeof(req) - n, "\r\n");
	assert_int_equal(status_of(req), 0);
	snprintf(req + n, sizeof(req) - n, "X-last: v\r\n\r\n");
	assert_int_equal(status_of(req), 431);
}

static void
test_refusals(void **state)
{
	char			big[CAP + 1];
	struct front_req	fr;
	size_t			len;

	(void)state;
	assert_int_equal(status_of("GET /health HTTP/1.1\r\n\r\n"), 400);
	assert_int_equal(status_of("GET /health HTTP/1.1\r\nHost:\r\n\r\n"),
	    400);
	assert_int_equal(status_of("GET /health HTTP/1.1\r\nHost: a\r\n"
	    "host: b\r\n\r\n"), 400);
	assert_int_equal(status_of("GET /health HTTP/2.0\r\nHost: h\r\n\r\n"),
	    505);
	assert_int_equal(status_of("GET /health HTTPS/1.1\r\nHost: h\r\n\r\n"),
	    400);
	assert_int_equal(status_of("GET /health HTTP/1.1\nHost: h\n\n"), 400);
	assert_int_equal(status_of("GET x HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
	assert_int_equal(status_of("FROB /health HTTP/1.1\r\nHost: h\r\n\r\n"),
	    501);
	assert_int_equal(status_of("G(T /health HTTP/1.1\r\nHost: h\r\n\r\n"),
	    400);
	assert_int_equal(status_of("POST /x HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 1\r\nContent-Length: 1\r\n\r\n"), 400);
	assert_int_equal(status_of("POST /x HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: -1\r\n\r\n"), 400);
	assert_int_equal(status_of("POST /x HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 1e3\r\n\r\n"), 400);
	assert_int_equal(status_of("POST /x HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"), 501);
	assert_int_equal(status_of("POST /x HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 65537\r\n\r\n"), 413);
	assert_int_equal(status_of("GET /health HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 1\r\n\r\nG"), 400);

	/* Methods no route takes: 405 with Allow, or 404 off the table. */
	assert_int_equal(check("PUT /health HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 0\r\n\r\n", &len, &fr), FRONT_REFUSE);
	assert_int_equal(fr.status, 405);
	assert_string_equal(fr.allow, "GET, HEAD, OPTIONS");
	assert_int_equal(status_of("PATCH /nope HTTP/1.1\r\nHost: h\r\n\r\n"),
	    404);
	assert_int_equal(status_of("DELETE /health HTTP/1.0\r\nHost: h\r\n\r\n"),
	    405);

	/* Too long: the target, or the header block. */
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /", 5);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(status_of(big), 414);
	snprintf(big, sizeof(big), "GET /health?%02000d HTTP/1.1\r\nHost: h"
	    "\r\n\r\n", 0);
	assert_int_equal(status_of(big), 414);
	memset(big, 'b', sizeof(big));
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(status_of(big), 431);
}

static void
test_nul_byte(void **state)
{
	struct front_req	fr;
	size_t			len = 30;

	(void)state;
	memcpy(buf, "GET /h\0 HTTP/1.1\r\nHost: h\r\n\r\n", 30);
	assert_int_equal(front_check(buf, &len, CAP, &fr), FRONT_REFUSE);
	assert_int_equal(fr.status, 400);
}

static void
test_extent(void **state)
{
	const char	*two = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
	    "GET /b HTTP/1.1\r\nHost: h\r\n\r\n";
	const char	*post = "POST /a HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 5\r\n\r\nhelloGET /b";
	size_t		 first = strlen("GET /a HTTP/1.1\r\nHost: h\r\n\r\n");

	(void)state;
	/* All at once, or the first request's end arriving in pieces. */
	assert_int_equal(front_extent(two, 0, strlen(two)), first);
	assert_int_equal(front_extent(two, 10, strlen(two) - 10), first - 10);
	assert_int_equal(front_extent(two, first - 2, 10), 2);
	assert_int_equal(front_extent(two, 0, 10), 10);
	/* A body belongs to its request. */
	assert_int_equal(front_extent(post, 0, strlen(post)),
	    strlen(post) - strlen("GET /b"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_body_limits_and_body_bytes),
		cmocka_unit_test(test_pass_and_more),
		cmocka_unit_test(test_rewrites),
		cmocka_unit_test(test_no_room_for_length),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_extent),
	};

	return cmocka_run_group_tests_name("apid_frontparse", tests, NULL,
	    NULL);
}
