/*
 * log.h: descendd's log lines: to stderr in the foreground (-d), to syslog
 * otherwise, filtered by log-level.
 */
#ifndef DESCEND_LOG_H
#define DESCEND_LOG_H

#include <stdbool.h>

#include "config.h"

void log_init(bool foreground, enum log_level level);
void log_set_level(enum log_level level);
bool log_enabled(enum log_level level);
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* DESCEND_LOG_H */
