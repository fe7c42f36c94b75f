/*
 * fuzz_transform.c -- the AccessLink transforms (syncd/transform.c).
 *
 * The input is "<what>\n<response body>": <what> is a stream name
 * (streams[].name: "sleep", "nightly_recharge", ...) whose transform gets
 * the body, "exercise_ids" for the exercise list, or "quota" for what
 * syncd makes of Polar's rate-limit headers: three more lines, the values
 * of RateLimit-Usage, -Limit and -Reset, then the seconds of a
 * Retry-After (any number strtoll gives).  The body goes through
 * pf_json_parse() as syncd's does.  Every row a transform produces must be
 * a JSON object whose keys are columns of the stream (or "raw"): store.c
 * hands it to jsonb_populate_record.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/err.h"
#include "common/json.h"
#include "common/log.h"

#include "syncd/syncd.h"

#define NOW_MS	INT64_C(1796083200000)	/* 2026-12-01T00:00:00Z */

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Lines are formatted in full (the log code runs) but not written. */
static void
sink(enum pf_log_level level, const char *line)
{
	(void)level;
	if (strlen(line) > 65536)
		abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	pf_log_set_sink(sink);
	pf_log_set_level(PF_LOG_DEBUG);
	return 0;
}

static bool
is_column(const struct field *f, const char *key)
{
	if (strcmp(key, "raw") == 0)
		return true;
	for (; f->col != NULL; f++)
		if (strcmp(f->col, key) == 0)
			return true;
	return false;
}

static void
check_rows(enum stream st, const struct rowset *rs)
{
	json_t		*row, *v;
	const char	*key;
	size_t		 i;

	for (i = 0; i < rs->n; i++) {
		if (pf_json_parse(rs->row[i], strlen(rs->row[i]), 0, &row,
		    NULL, 0) != PF_OK || !json_is_object(row)) {
			fprintf(stderr, "row %zu is not an object: %s\n", i,
			    rs->row[i]);
			abort();
		}
		json_object_foreach(row, key, v) {
			if (!is_column(streams[st].fields, key)) {
				fprintf(stderr, "row %zu: %s is no column "
				    "of %s\n", i, key, streams[st].name);
				abort();
			}
		}
		json_decref(row);
	}
}

/*
 * The header values go through quota_update(), then a 429 with the
 * Retry-After through quota_pause_429(): the pause must be a real wait, and
 * none longer than Polar's longest window.
 */
static void
quota(const uint8_t *p, size_t len)
{
	struct quota	 q;
	char		*text, *line[4], *save = NULL;
	int64_t		 pause, retry;
	int		 i;

	if ((text = malloc(len + 1)) == NULL)
		abort();
	memcpy(text, p, len);
	text[len] = '\0';
	for (i = 0; i < 4; i++)
		line[i] = strtok_r(i == 0 ? text : NULL, "\n", &save);
	if (line[3] == NULL) {
		free(text);
		return;
	}
	memset(&q, 0, sizeof(q));
	quota_update(&q, line[0], line[1], line[2], NOW_MS);
	retry = line[3][0] >= '0' && line[3][0] <= '9' ?
	    strtoll(line[3], NULL, 10) : -1;
	pause = quota_pause_429(&q, retry, NOW_MS);
	if (pause < 0 || pause > INT64_C(86400000) || q.paused_until !=
	    NOW_MS + pause) {
		fprintf(stderr, "pause %" PRId64 " ms\n", pause);
		abort();
	}
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t	 *nl = memchr(data, '\n', size);
	const char	**ids;
	char		  what[32];
	size_t		  wlen, blen, n;
	json_t		 *doc;
	struct rowset	  rs;
	enum stream	  st;

	if (nl == NULL || (wlen = (size_t)(nl - data)) >= sizeof(what))
		return 0;
	memcpy(what, data, wlen);
	what[wlen] = '\0';
	blen = size - wlen - 1;
	if (strcmp(what, "quota") == 0) {
		quota(nl + 1, blen);
		return 0;
	}
	if (pf_json_parse((const char *)nl + 1, blen, 0, &doc, NULL, 0) !=
	    PF_OK)
		return 0;
	if (strcmp(what, "exercise_ids") == 0) {
		if (transform_exercise_ids(doc, "fuzz", &ids, &n) == PF_OK) {
			while (n-- > 0)
				if (ids[n] == NULL || *ids[n] == '\0')
					abort();
			free(ids);
		}
	} else if (stream_from_name(what, &st) == PF_OK) {
		rowset_init(&rs);
		if (transform(st, doc, "fuzz", NOW_MS, &rs) == PF_OK)
			check_rows(st, &rs);
		rowset_cleanup(&rs);
	}
	json_decref(doc);
	return 0;
}
