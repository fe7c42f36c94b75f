/*
 * hrv.c -- HRV sessions analyticsd makes and keeps current: every Polar
 * exercise synced with RR samples (sample type 11: a morning H10
 * recording, an orthostatic test, any workout with a strap) becomes a
 * session, tagged with its sport (or hrv_polar_tag), and every session
 * analysed by an older algorithm version is analysed again.  Runs at the
 * start of a user's run, so the sessions it writes are in the run's
 * snapshot (the morning lnRMSSD series).
 *
 * Polar's RR text is "652,648,null,655,...": a null is a beat the device
 * lost and is left out, as are values outside the analysis' 200-3000 ms;
 * the intervals around them are then what the artifact correction sees.
 * An exercise longer than hrv_max_beats intervals is analysed over its
 * first hrv_max_beats.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "common/buf.h"
#include "common/config.h"
#include "common/db.h"
#include "common/err.h"
#include "common/hrv.h"
#include "common/log.h"
#include "common/xmalloc.h"

#include "analyticsd/analyticsd.h"

static void	*ws;
static size_t	 ws_size;

/*
 * Polar's CSV or a float8[] literal into rr (cap values); returns how
 * many were kept, *dropped those left out (null, out of range, junk).
 */
static size_t
parse_rr(const char *s, double *rr, size_t cap, size_t *dropped)
{
	size_t	 n = 0;
	char	*end;
	double	 v;

	*dropped = 0;
	if (*s == '{')
		s++;
	while (*s != '\0' && *s != '}' && n < cap) {
		while (*s == ' ')
			s++;
		errno = 0;
		v = strtod(s, &end);
		if (end == s || errno != 0 || !isfinite(v) ||
		    v < PF_HRV_RR_MIN_MS || v > PF_HRV_RR_MAX_MS)
			(*dropped)++;
		else
			rr[n++] = v;
		s = end + strcspn(end, ",}");
		if (*s == ',')
			s++;
	}
	return n;
}

static int
refresh_one(struct pf_db *db, const char *user_id, PGresult *r, int row,
    double *rr, size_t cap)
{
	struct pf_hrv_opts	 o;
	struct pf_hrv_result	 res;
	struct pf_buf		 a = PF_BUF_INIT, nn = PF_BUF_INIT;
	struct pf_buf		 doc = PF_BUF_INIT;
	struct hrv_put		 put;
	const char		*rid = pf_db_get_str(r, row, 1);
	const char		*text = pf_db_get_str(r, row, 5);
	const char		*tag = env->cfg->hrv_polar_tag;
	size_t			 n, dropped, need;
	bool			 motion = false;
	int			 rc;

	if (rid == NULL || text == NULL)
		return PF_ERR_NOTFOUND;
	n = parse_rr(text, rr, cap, &dropped);
	(void)pf_db_get_bool(r, row, 7, &motion);
	pf_hrv_opts_default(&o);
	o.max_corrected_pct = env->cfg->hrv_max_corrected_pct;
	need = pf_hrv_workspace_size(n, &o);
	if (n < PF_HRV_MIN_BEATS || need == 0) {
		pf_log_debug("user %s: %s has %zu usable RR intervals (%zu "
		    "left out), too few for a session", user_id, rid, n,
		    dropped);
		return PF_ERR_NOTFOUND;
	}
	if (ws == NULL || ws_size < need) {
		free(ws);
		ws = pf_xmalloc(need);
		ws_size = need;
	}
	if (pf_hrv_analyze(rr, n, &o, ws, ws_size, &res) != PF_OK)
		return PF_ERR_INVALID;
	pf_hrv_pg_array(rr, n, &a);
	pf_hrv_pg_array(res.nn, res.n_nn, &nn);
	pf_hrv_json_result(&res, o.artifact, motion, &doc);
	memset(&put, 0, sizeof(put));
	put.user_id = user_id;
	put.recording_id = rid;
	put.start = pf_db_get_str(r, row, 2);
	put.tag = tag != NULL && *tag != '\0' ? tag : pf_db_get_str(r, row, 3);
	put.device = pf_db_get_str(r, row, 4);
	put.offset = pf_db_get_str(r, row, 8);
	put.session_id = PQgetisnull(r, row, 6) ? NULL :
	    pf_db_get_str(r, row, 6);
	put.rr = a.p;
	put.nn = nn.p;
	put.result = doc.p;
	if (put.tag == NULL)
		put.tag = "EXERCISE";
	if (put.device == NULL)
		put.device = "";
	if (put.offset == NULL)
		put.offset = "0";
	rc = store_hrv_put(db, &put);
	pf_buf_free(&a);
	pf_buf_free(&nn);
	pf_buf_free(&doc);
	return rc;
}

int
hrv_refresh_user(struct pf_db *db, const char *user_id, int *made)
{
	PGresult	*r = NULL;
	double		*rr;
	size_t		 cap = (size_t)env->cfg->hrv_max_beats;
	int		 i, n, rc;

	*made = 0;
	if ((rc = store_hrv_todo(db, user_id, PF_HRV_ALGO_VERSION, &r)) !=
	    PF_OK)
		return rc;
	n = PQntuples(r);
	rr = n > 0 ? pf_xreallocarray(NULL, cap, sizeof(double)) : NULL;
	for (i = 0; i < n; i++) {
		rc = refresh_one(db, user_id, r, i, rr, cap);
		if (rc == PF_OK)
			(*made)++;
		else if (rc != PF_ERR_NOTFOUND && rc != PF_ERR_INVALID)
			break;
		rc = PF_OK;
	}
	free(rr);
	PQclear(r);
	if (*made > 0)
		pf_log_info("user %s: %d HRV session%s analysed", user_id,
		    *made, *made == 1 ? "" : "s");
	return rc;
}
