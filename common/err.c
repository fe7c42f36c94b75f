#include "common/err.h"

const char *
pf_strerror(int err)
{
	switch (err) {
	case PF_OK:		return "success";
	case PF_ERR_INTERNAL:	return "internal error";
	case PF_ERR_NOMEM:	return "out of memory";
	case PF_ERR_INVALID:	return "invalid value";
	case PF_ERR_NOTFOUND:	return "not found";
	case PF_ERR_EXISTS:	return "already exists";
	case PF_ERR_TIMEOUT:	return "timed out";
	case PF_ERR_IO:		return "input/output error";
	case PF_ERR_PARSE:	return "parse error";
	case PF_ERR_PROTO:	return "protocol error";
	case PF_ERR_DB:		return "database error";
	case PF_ERR_DB_RETRY:	return "database serialization failure";
	case PF_ERR_DB_CONN:	return "database connection lost";
	case PF_ERR_RANGE:	return "value out of range";
	case PF_ERR_NULL:	return "value is null";
	case PF_ERR_TYPE:	return "value has the wrong type";
	case PF_ERR_VERSION:	return "version mismatch";
	case PF_ERR_CRYPTO:	return "cryptographic failure";
	case PF_ERR_CLOSED:	return "peer not running";
	case PF_ERR_BUSY:	return "already running";
	case PF_ERR_DENIED:	return "permission denied";
	}
	return "unknown error";
}
