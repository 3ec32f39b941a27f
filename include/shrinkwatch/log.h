/*
 * log.h - logging for the daemons and tools.
 *
 * Lines start with the module and quote their subject, for example
 *   log_warn("scan: cannot open '%s': %s", path, strerror(-err));
 * Under systemd (stderr connected to the journal, see JOURNAL_STREAM) lines go
 * to the journal through sd_journal_send with PRIORITY= and, when the line
 * starts with "module:", a SHRINKWATCH_MODULE= field; otherwise to stderr with a
 * timestamp and the level.  fatal() is for start-up errors and corrupt state
 * only (OpenBSD log.h): it logs and exits 1.
 */
#ifndef SHRINKWATCH_LOG_H
#define SHRINKWATCH_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

/* ident names the program; level is the most verbose priority logged
 * (LOG_INFO by default, LOG_DEBUG with -v). */
void log_init(const char *ident, int level);
/* Forces stderr (true) or the journal (false) regardless of detection; tests
 * use it. */
void log_force_stderr(bool on);
void log_set_level(int level);
int log_get_level(void);

void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(int prio, const char *fmt, va_list ap);

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

__attribute__((noreturn, format(printf, 1, 2))) void fatal(const char *fmt, ...);

/*
 * A rate limiter for lines that a peer can cause at will (dropped samples,
 * refused frames): at most `burst` lines per `interval` seconds; the lines
 * suppressed in between are counted and reported with the next one let
 * through.  Zero-initialise with LOG_RATELIMIT_INIT.
 */
struct log_ratelimit {
	unsigned interval;
	unsigned burst;
	int64_t window_start;
	unsigned printed;
	uint64_t suppressed;
};
#define LOG_RATELIMIT_INIT(interval_s, burst_n) \
	{ .interval = (interval_s), .burst = (burst_n) }

/* Logs like log_msg() unless the limiter says no; returns whether it logged. */
bool log_ratelimited(struct log_ratelimit *rl, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
