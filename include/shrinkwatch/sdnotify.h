/*
 * sdnotify.h - the daemons' side of the systemd service protocol.
 *
 * Thin, harmless wrappers over sd_notify(): when NOTIFY_SOCKET is unset (not
 * under systemd) every call is a no-op.  sdnotify_watchdog_start() arms a
 * libuv timer that sends WATCHDOG=1 at half the interval systemd asked for
 * (WATCHDOG_USEC): it runs on the event loop, so a stuck loop stops the pings
 * and systemd restarts the service.
 */
#ifndef SHRINKWATCH_SDNOTIFY_H
#define SHRINKWATCH_SDNOTIFY_H

#include <uv.h>

void sdnotify_ready(const char *status_fmt, ...) __attribute__((format(printf, 1, 2)));
void sdnotify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sdnotify_reloading(void);
void sdnotify_stopping(void);

/* Starts the watchdog timer on loop if systemd asked for one; 0 or -errno. */
int sdnotify_watchdog_start(uv_loop_t *loop);
void sdnotify_watchdog_stop(void);

#endif
