#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/err.h"
#include "common/log.h"

#define LOG_LINE_MAX	4096

static char			 log_prog[64] = "polarflow";
static enum pf_log_level	 log_level = PF_LOG_INFO;
static enum pf_log_format	 log_format = PF_LOG_TEXT;
static pf_log_sink_fn		 log_sink;

static const char *const level_names[] = {
	[PF_LOG_DEBUG] = "debug",
	[PF_LOG_INFO] = "info",
	[PF_LOG_WARNING] = "warning",
	[PF_LOG_ERROR] = "error",
};

void
pf_log_init(const char *progname, enum pf_log_level level,
    enum pf_log_format format)
{
	snprintf(log_prog, sizeof(log_prog), "%s", progname);
	log_level = level;
	log_format = format;
}

void
pf_log_set_level(enum pf_log_level level)
{
	log_level = level;
}

enum pf_log_level
pf_log_get_level(void)
{
	return log_level;
}

void
pf_log_set_format(enum pf_log_format format)
{
	log_format = format;
}

void
pf_log_set_sink(pf_log_sink_fn sink)
{
	log_sink = sink;
}

int
pf_log_level_parse(const char *s, enum pf_log_level *out)
{
	size_t	i;

	if (strcasecmp(s, "warn") == 0) {
		*out = PF_LOG_WARNING;
		return PF_OK;
	}
	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (enum pf_log_level)i;
			return PF_OK;
		}
	}
	return PF_ERR_INVALID;
}

const char *
pf_log_level_name(enum pf_log_level level)
{
	if ((unsigned)level > PF_LOG_ERROR)
		return "unknown";
	return level_names[level];
}

/* Overwrites buf[from, to) with "***" and closes the gap. */
static size_t
mask_span(char *buf, size_t from, size_t to)
{
	size_t	len = strlen(buf);

	if (to - from <= 3)
		return to;
	memcpy(buf + from, "***", 3);
	memmove(buf + from + 3, buf + to, len - to + 1);
	return from + 3;
}

static int
is_secret_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_' ||
	    c == '.' || c == '~' || c == '+' || c == '/' || c == '=';
}

void
pf_log_scrub(char *buf)
{
	static const char *const markers[] = {
		"pfk_", "temp_", "Bearer ", "bearer ", "password=",
		"access_token\":\"", "access_token=", "secret=",
	};
	size_t	 i, start, end;
	char	*p, *at, *scheme;

	for (i = 0; i < sizeof(markers) / sizeof(markers[0]); i++) {
		p = buf;
		while ((p = strstr(p, markers[i])) != NULL) {
			start = (size_t)(p - buf) + strlen(markers[i]);
			end = start;
			if (buf[end] == '\'') {
				end++;
				while (buf[end] != '\0' && buf[end] != '\'')
					end++;
				if (buf[end] == '\'')
					end++;
			} else {
				while (is_secret_char(buf[end]))
					end++;
			}
			p = buf + mask_span(buf, start, end);
		}
	}
	/* URL userinfo: scheme://user:password@host */
	p = buf;
	while ((scheme = strstr(p, "://")) != NULL) {
		scheme += 3;
		at = scheme;
		while (*at != '\0' && *at != '@' && *at != '/' && *at != ' ')
			at++;
		if (*at == '@') {
			char *colon = memchr(scheme, ':', (size_t)(at - scheme));
			if (colon != NULL) {
				start = (size_t)(colon + 1 - buf);
				end = (size_t)(at - buf);
				p = buf + mask_span(buf, start, end);
				continue;
			}
		}
		p = scheme;
	}
}

static void
log_emit(enum pf_log_level level, const char *msg)
{
	char		 line[LOG_LINE_MAX + 256];
	char		 ts[96];
	struct timespec	 now;
	struct tm	 tm;
	json_t		*obj;
	char		*enc;
	int		 saved = errno;

	if (log_format == PF_LOG_JSON) {
		clock_gettime(CLOCK_REALTIME, &now);
		gmtime_r(&now.tv_sec, &tm);
		snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, now.tv_nsec / 1000000);
		obj = json_pack("{s:s, s:s, s:s, s:i, s:s}", "ts", ts,
		    "level", level_names[level], "prog", log_prog,
		    "pid", (int)getpid(), "msg", msg);
		enc = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
		snprintf(line, sizeof(line), "%s", enc ? enc :
		    "{\"level\":\"error\",\"msg\":\"log encoding failed\"}");
		free(enc);
		json_decref(obj);
	} else
		snprintf(line, sizeof(line), "%s[%d]: %s: %s", log_prog,
		    (int)getpid(), level_names[level], msg);

	if (log_sink != NULL)
		log_sink(level, line);
	else
		fprintf(stderr, "%s\n", line);
	errno = saved;
}

void
pf_log_vlog(enum pf_log_level level, const char *fmt, va_list ap)
{
	char	msg[LOG_LINE_MAX];

	if ((unsigned)level > PF_LOG_ERROR)
		level = PF_LOG_ERROR;
	if (level < log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	pf_log_scrub(msg);
	log_emit(level, msg);
}

#define LOG_FN(name, level)						\
void									\
name(const char *fmt, ...)						\
{									\
	va_list	ap;							\
									\
	va_start(ap, fmt);						\
	pf_log_vlog(level, fmt, ap);					\
	va_end(ap);							\
}

LOG_FN(pf_log_debug, PF_LOG_DEBUG)
LOG_FN(pf_log_info, PF_LOG_INFO)
LOG_FN(pf_log_warnx, PF_LOG_WARNING)
LOG_FN(pf_log_error, PF_LOG_ERROR)

static void
log_with_errno(enum pf_log_level level, const char *fmt, va_list ap)
{
	char	msg[LOG_LINE_MAX];
	int	saved = errno;

	if (level < log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	pf_log_scrub(msg);
	if (saved != 0) {
		size_t	len = strlen(msg);
		snprintf(msg + len, sizeof(msg) - len, ": %s",
		    strerror(saved));
	}
	log_emit(level, msg);
}

void
pf_log_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_with_errno(PF_LOG_WARNING, fmt, ap);
	va_end(ap);
}

void
pf_fatal(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_with_errno(PF_LOG_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}

void
pf_fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	pf_log_vlog(PF_LOG_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}
