/*
 * tap.h: a tiny TAP producer for descend's C tests. Each check prints one
 * "ok N - what" or "not ok N - what" line; tap_done() prints the plan and
 * returns the exit status, so a test reads: ok(cond, "..."); return tap_done();
 */
#ifndef DESCEND_TAP_H
#define DESCEND_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int tap_count;
static int tap_failed;

/* A test killed by a sanitizer must not lose its buffered lines. */
static void __attribute__((constructor))
tap_init(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
}

static int __attribute__((format(printf, 2, 3), unused))
ok(int passed, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	if (!passed)
		tap_failed++;
	printf("%sok %d - ", passed ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	return passed;
}

/* A diagnostic line, shown in the test log. */
static void __attribute__((format(printf, 1, 2), unused))
diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static int __attribute__((unused))
tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif /* DESCEND_TAP_H */
