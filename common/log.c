#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
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
static int			 log_journal;

/* syslog(3) priorities, the "<N>" prefix journald reads off a line */
static const int level_prio[] = {
	[PF_LOG_DEBUG] = 7,
	[PF_LOG_INFO] = 6,
	[PF_LOG_WARNING] = 4,
	[PF_LOG_ERROR] = 3,
};

static const char *const level_names[] = {
	[PF_LOG_DEBUG] = "debug",
	[PF_LOG_INFO] = "info",
	[PF_LOG_WARNING] = "warning",
	[PF_LOG_ERROR] = "error",
};

/*
 * systemd sets JOURNAL_STREAM to "<dev>:<ino>" of the stream it connects
 * to stdout/stderr; only when stderr is still that stream is journald
 * the reader.
 */
static int
stderr_is_journal(void)
{
	const char	*v = getenv("JOURNAL_STREAM");
	uintmax_t	 dev, ino;
	struct stat	 st;
	char		 tail;

	if (v == NULL || sscanf(v, "%ju:%ju%c", &dev, &ino, &tail) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st) == -1)
		return 0;
	return (uintmax_t)st.st_dev == dev && (uintmax_t)st.st_ino == ino;
}

void
pf_log_init(const char *progname, enum pf_log_level level,
    enum pf_log_format format)
{
	snprintf(log_prog, sizeof(log_prog), "%s", progname);
	log_level = level;
	log_format = format;
	log_journal = stderr_is_journal();
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

/* " key=value" for each field, strings as they are, others as JSON. */
static void
text_fields(char *buf, size_t len, const json_t *fields)
{
	const char	*k;
	json_t		*v;
	char		*enc;
	size_t		 n;

	json_object_foreach((json_t *)(uintptr_t)fields, k, v) {
		n = strlen(buf);
		if (n + 1 >= len)
			return;
		if (json_is_string(v)) {
			snprintf(buf + n, len - n, " %s=%s", k,
			    json_string_value(v));
			continue;
		}
		enc = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		snprintf(buf + n, len - n, " %s=%s", k, enc ? enc : "?");
		free(enc);
	}
}

/*
 * One line in the configured format.  Under journald a text line is
 * "<prio>level: message": journald adds the time, program and pid itself
 * and takes the priority from the prefix.
 */
static void
log_emit(enum pf_log_level level, const char *msg, const json_t *fields)
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
		if (obj != NULL && fields != NULL)
			json_object_update_missing(obj,
			    (json_t *)(uintptr_t)fields);
		enc = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
		snprintf(line, sizeof(line), "%s", enc ? enc :
		    "{\"level\":\"error\",\"msg\":\"log encoding failed\"}");
		free(enc);
		json_decref(obj);
	} else {
		if (log_journal)
			snprintf(line, sizeof(line), "<%d>%s: %s",
			    level_prio[level], level_names[level], msg);
		else
			snprintf(line, sizeof(line), "%s[%d]: %s: %s",
			    log_prog, (int)getpid(), level_names[level], msg);
		if (fields != NULL)
			text_fields(line, sizeof(line), fields);
	}

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
	log_emit(level, msg, NULL);
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

void
pf_log_fields(enum pf_log_level level, const char *msg, const json_t *fields)
{
	char	buf[LOG_LINE_MAX];

	if ((unsigned)level > PF_LOG_ERROR)
		level = PF_LOG_ERROR;
	if (level < log_level)
		return;
	snprintf(buf, sizeof(buf), "%s", msg);
	pf_log_scrub(buf);
	log_emit(level, buf, fields);
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
	log_emit(level, msg, NULL);
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
