/* sdnotify.c - READY/STATUS/RELOADING/STOPPING and the watchdog (sdnotify.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "shrinkwatch/log.h"
#include "shrinkwatch/sdnotify.h"
#include "shrinkwatch/banned.h"

static uv_timer_t watchdog_timer;
static int watchdog_armed;

static void notify_fmt(const char *prefix, const char *fmt, va_list ap)
{
	char status[512], msg[600];

	if (!getenv("NOTIFY_SOCKET"))
		return;
	vsnprintf(status, sizeof status, fmt, ap);
	snprintf(msg, sizeof msg, "%sSTATUS=%s", prefix, status);
	sd_notify(0, msg);
}

void sdnotify_ready(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	notify_fmt("READY=1\n", fmt, ap);
	va_end(ap);
}

void sdnotify_status(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	notify_fmt("", fmt, ap);
	va_end(ap);
}

/*
 * MONOTONIC_USEC tells systemd which reload this is; systemd 253 and later
 * require it for Type=notify-reload and older ones ignore it.
 */
void sdnotify_reloading(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading configuration",
		   (unsigned long long)ts.tv_sec * 1000000ULL +
			   (unsigned long long)ts.tv_nsec / 1000ULL);
}

void sdnotify_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}

static void watchdog_ping(uv_timer_t *t)
{
	(void)t;
	sd_notify(0, "WATCHDOG=1");
}

/*
 * Calling it again (after a reload) re-reads the environment and restarts
 * the one timer with the new interval, or stops it if systemd no longer asks
 * for a watchdog; the timer stays on the loop it was first started on.
 */
int sdnotify_watchdog_start(uv_loop_t *loop)
{
	uint64_t usec = 0, ms;
	int r = sd_watchdog_enabled(0, &usec);

	if (watchdog_armed && watchdog_timer.loop != loop)
		return -EBUSY;
	if (r <= 0) {
		if (watchdog_armed)
			uv_timer_stop(&watchdog_timer);
		return r;
	}
	if (!watchdog_armed) {
		r = uv_timer_init(loop, &watchdog_timer);
		if (r < 0)
			return r;
		/* the pings alone must not keep a finished loop running */
		uv_unref((uv_handle_t *)&watchdog_timer);
		watchdog_armed = 1;
	}
	/* half the interval, as sd_watchdog_enabled(3) recommends */
	ms = usec / 2000;
	if (ms == 0)
		ms = 1;
	r = uv_timer_start(&watchdog_timer, watchdog_ping, 0, ms);
	if (r < 0)
		return r;
	log_info("sdnotify: watchdog every %llu ms", (unsigned long long)ms);
	return 0;
}

void sdnotify_watchdog_stop(void)
{
	if (!watchdog_armed)
		return;
	uv_timer_stop(&watchdog_timer);
	uv_close((uv_handle_t *)&watchdog_timer, NULL);
	watchdog_armed = 0;
}
