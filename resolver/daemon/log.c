/*
 * log.c: one place that decides where log lines go.
 */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static bool log_foreground = true;
static enum log_level log_threshold = LOG_LEVEL_INFO;

void
log_init(bool foreground, enum log_level level)
{
	log_foreground = foreground;
	log_threshold = level;
	if (!foreground)
		openlog("descendd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_set_level(enum log_level level)
{
	log_threshold = level;
}

bool
log_enabled(enum log_level level)
{
	return level <= log_threshold;
}

/*
 * The format comes from log_error() and its kin, whose callers the
 * compiler checks (log.h); this says so, for -Wformat-nonliteral.
 */
static void log_write(enum log_level, const char *, va_list)
    __attribute__((format(printf, 2, 0)));

static void
log_write(enum log_level level, const char *fmt, va_list ap)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	static const int priorities[] = { LOG_ERR, LOG_WARNING, LOG_INFO,
	    LOG_DEBUG };

	if (!log_enabled(level))
		return;
	if (log_foreground) {
		char when[32];
		time_t now = time(NULL);
		struct tm tm;

		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S",
		    gmtime_r(&now, &tm));
		flockfile(stderr);
		fprintf(stderr, "%s descendd %s: ", when, names[level]);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		funlockfile(stderr);
	} else
		vsyslog(priorities[level], fmt, ap);
}

#define LOG_FUNCTION(name, level)		\
void						\
name(const char *fmt, ...)			\
{						\
	va_list ap;				\
						\
	va_start(ap, fmt);			\
	log_write(level, fmt, ap);		\
	va_end(ap);				\
}

LOG_FUNCTION(log_error, LOG_LEVEL_ERROR)
LOG_FUNCTION(log_warning, LOG_LEVEL_WARNING)
LOG_FUNCTION(log_info, LOG_LEVEL_INFO)
LOG_FUNCTION(log_debug, LOG_LEVEL_DEBUG)
