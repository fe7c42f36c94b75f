/*
 * log.h -- process logging: levels, program name, text or JSON lines.
 *
 * Every line goes to stderr (journald captures it under systemd).  Text
 * format: "<program>[<pid>]: <level>: <message>", or "<N><level>: <message>"
 * when stderr is the journal (JOURNAL_STREAM names it; N is the syslog
 * priority, and journald adds time, program and pid); JSON format
 * (log_format = json): one object per line with ts, level, prog, pid and
 * msg.  Messages
 * follow PostgreSQL's style: lowercase, no final period, "could not X: why".
 *
 * Secrets never reach the sink: every message is passed through
 * pf_log_scrub() first, which masks API keys (pfk_...), bearer tokens,
 * conninfo passwords and URL userinfo.
 *
 * Not thread-safe beyond what a single write(2) per line gives; the daemons
 * are single-threaded poll loops.
 */
#ifndef PF_COMMON_LOG_H
#define PF_COMMON_LOG_H

#include <stdarg.h>
#include <stddef.h>

#include <jansson.h>

enum pf_log_level {
	PF_LOG_DEBUG = 0,
	PF_LOG_INFO = 1,
	PF_LOG_WARNING = 2,
	PF_LOG_ERROR = 3,
};

enum pf_log_format {
	PF_LOG_TEXT = 0,
	PF_LOG_JSON = 1,
};

/*
 * Called once at start-up; progname is copied.  Before pf_log_init the
 * program name is "polarflow" and the level is INFO.
 */
void	pf_log_init(const char *progname, enum pf_log_level level,
	    enum pf_log_format format);
void	pf_log_set_level(enum pf_log_level level);
enum pf_log_level pf_log_get_level(void);
void	pf_log_set_format(enum pf_log_format format);

/* Parses "debug|info|warning|warn|error" (any case) into *out. */
int	pf_log_level_parse(const char *s, enum pf_log_level *out);
const char *pf_log_level_name(enum pf_log_level level);

/*
 * Redirects finished lines (without the trailing newline) to sink, e.g.
 * kore_log in apid or a capture buffer in tests; NULL restores stderr.
 */
typedef void (*pf_log_sink_fn)(enum pf_log_level, const char *line);
void	pf_log_set_sink(pf_log_sink_fn sink);

/* Masks secrets in buf in place (same length or shorter). */
void	pf_log_scrub(char *buf);

/*
 * A line with named values: in JSON they are members of the line's object
 * (ts, level, prog, pid and msg win a clash), in text " key=value" after
 * the message.  fields may be NULL; it stays the caller's.  Values are not
 * scrubbed: no secret may be among them.
 */
void	pf_log_fields(enum pf_log_level level, const char *msg,
	    const json_t *fields);

/* pf_log_warn and pf_fatal append ": strerror(errno)". */
void	pf_log_debug(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
void	pf_log_info(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
void	pf_log_warn(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
void	pf_log_warnx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
void	pf_log_error(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
void	pf_log_vlog(enum pf_log_level level, const char *fmt, va_list ap)
	    __attribute__((format(printf, 2, 0)));

/* Start-up failures and broken invariants only; never on input. */
void	pf_fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	pf_fatalx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif /* PF_COMMON_LOG_H */
