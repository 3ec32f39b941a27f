/* sdnotify.c - READY/STATUS/RELOADING/STOPPING and the watchdog (sdnotify.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>

#include "shrinkwatch/log.h"
#include "shrinkwatch/sdnotify.h"

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

void sdnotify_reloading(void)
{
	sd_notify(0, "RELOADING=1");
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

int sdnotify_watchdog_start(uv_loop_t *loop)
{
	uint64_t usec = 0;
	int r = sd_watchdog_enabled(0, &usec);

	if (r <= 0)
		return r;
	uv_timer_init(loop, &watchdog_timer);
	uv_unref((uv_handle_t *)&watchdog_timer);
	/* half the interval, as sd_watchdog_enabled(3) recommends */
	uint64_t ms = usec / 2000;
	if (ms == 0)
		ms = 1;
	uv_timer_start(&watchdog_timer, watchdog_ping, 0, ms);
	watchdog_armed = 1;
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
