/*
 * err.h -- error codes shared by every module of the suite.
 *
 * An int-returning function returns PF_OK or one negative enum pf_err.
 * The codes exist so callers can decide what to do next (retry, back off,
 * report to a client); a code nobody branches on does not belong here.
 */
#ifndef PF_COMMON_ERR_H
#define PF_COMMON_ERR_H

enum pf_err {
	PF_OK = 0,
	PF_ERR_INTERNAL = -1,	/* broken invariant, "cannot happen" */
	PF_ERR_NOMEM = -2,
	PF_ERR_INVALID = -3,	/* syntactically or semantically bad input */
	PF_ERR_NOTFOUND = -4,	/* missing key, row, file */
	PF_ERR_EXISTS = -5,	/* unique violation, already registered */
	PF_ERR_TIMEOUT = -6,
	PF_ERR_IO = -7,
	PF_ERR_PARSE = -8,	/* malformed text: JSON, dates, config */
	PF_ERR_PROTO = -9,	/* peer broke the message contract */
	PF_ERR_DB = -10,	/* any other database error */
	PF_ERR_DB_RETRY = -11,	/* serialization failure / deadlock */
	PF_ERR_DB_CONN = -12,	/* connection lost or refused */
	PF_ERR_RANGE = -13,	/* number out of range or overflowing */
	PF_ERR_NULL = -14,	/* value present but JSON null */
	PF_ERR_TYPE = -15,	/* value present with the wrong type */
	PF_ERR_VERSION = -16,	/* protocol or schema version mismatch */
	PF_ERR_CRYPTO = -17,	/* authentication failed, bad key */
	PF_ERR_CLOSED = -18,	/* peer not running / socket closed */
	PF_ERR_BUSY = -19,	/* already running, try later */
	PF_ERR_DENIED = -20,	/* the peer is not allowed to ask */
};

/* Static, never NULL; unknown codes give "unknown error". */
const char	*pf_strerror(int err);

#endif /* PF_COMMON_ERR_H */
