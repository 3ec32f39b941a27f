/*
 * log.c - stderr or journal logging (see log.h).
 *
 * The journal is chosen when stderr is the stream systemd connected to the
 * journal (JOURNAL_STREAM names its device and inode), which is exactly the
 * case where a plain stderr line would lose its priority and fields.
 */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>

#include "shrinkwatch/log.h"
#include "shrinkwatch/banned.h"

static const char *log_ident = "shrinkwatch";
static int log_level = LOG_INFO;
static int log_to_journal;

static int stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st) < 0)
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_init(const char *ident, int level)
{
	log_ident = ident;
	log_level = level;
	log_to_journal = stderr_is_journal();
}

void log_force_stderr(bool on)
{
	log_to_journal = !on;
}

void log_set_level(int level)
{
	log_level = level;
}

int log_get_level(void)
{
	return log_level;
}

static const char *prio_name(int prio)
{
	static const char *const names[] = { "emerg", "alert", "crit", "error",
					     "warning", "notice", "info", "debug" };
	return prio >= 0 && prio <= LOG_DEBUG ? names[prio] : "?";
}

/* "module: rest" -> "module", for the journal's SHRINKWATCH_MODULE field. */
static void module_of(const char *line, char *out, size_t outlen)
{
	size_t n = strcspn(line, ": ");

	out[0] = '\0';
	if (line[n] == ':' && n > 0 && n < outlen)
		snprintf(out, outlen, "%.*s", (int)n, line);
}

void log_vmsg(int prio, const char *fmt, va_list ap)
{
	char line[2048];
	int saved = errno;

	if (prio > log_level)
		return;
	vsnprintf(line, sizeof line, fmt, ap);
	if (log_to_journal) {
		char module[64];
		module_of(line, module, sizeof module);
		sd_journal_send("MESSAGE=%s", line, "PRIORITY=%d", prio,
				"SYSLOG_IDENTIFIER=%s", log_ident, "SHRINKWATCH_MODULE=%s",
				module[0] ? module : "main", NULL);
	} else {
		struct timespec ts;
		struct tm tm;
		char when[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ldZ %s[%d] %s: %s\n", when, ts.tv_nsec / 1000000,
			log_ident, (int)getpid(), prio_name(prio), line);
	}
	errno = saved;
}

void log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(prio, fmt, ap);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}

bool log_ratelimited(struct log_ratelimit *rl, int prio, const char *fmt, ...)
{
	struct timespec ts;
	va_list ap;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (rl->window_start == 0 || ts.tv_sec - rl->window_start >= (int64_t)rl->interval) {
		rl->window_start = ts.tv_sec;
		rl->printed = 0;
	}
	if (rl->printed >= rl->burst) {
		rl->suppressed++;
		return false;
	}
	rl->printed++;
	va_start(ap, fmt);
	log_vmsg(prio, fmt, ap);
	va_end(ap);
	if (rl->suppressed) {
		log_msg(prio, "log: %llu similar lines suppressed",
			(unsigned long long)rl->suppressed);
		rl->suppressed = 0;
	}
	return true;
}
