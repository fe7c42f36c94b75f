/*
 * body.c -- a request's body read whole into a buffer, for the routes
 * that parse it in one piece (HRV sessions, webhooks, the console's
 * forms).  kore may have spooled a large body to a file
 * (http_body_disk_offload); http_body_read() reads either.
 */
#include <stdbool.h>
#include <sys/types.h>

#include <kore/kore.h>
#include <kore/http.h>

#include "common/buf.h"

#include "apid/apid_kore.h"

bool
req_body_read(struct http_request *req, struct pf_buf *b, size_t max)
{
	char	chunk[8192];
	ssize_t	n;

	if (req->http_body == NULL && req->http_body_fd == -1)
		return true;
	if (http_body_rewind(req) != KORE_RESULT_OK)
		return false;
	for (;;) {
		n = http_body_read(req, chunk, sizeof(chunk));
		if (n < 0)
			return false;
		if (n == 0)
			return true;
		if (b->len + (size_t)n > max)
			return false;
		pf_buf_add(b, chunk, (size_t)n);
	}
}
