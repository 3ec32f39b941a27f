/*
 * notify_testutil.h - what the notifier tests share (header-only): loading
 * [notify NAME] sections from a config text, and making one delivery attempt
 * on a real loop and recording how it went.  Include it after <cmocka.h>.
 */
#ifndef SHRINKWATCH_NOTIFY_TESTUTIL_H
#define SHRINKWATCH_NOTIFY_TESTUTIL_H

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "collector/config.h"
#include "collector/notify/notify.h"
#include "testutil.h"

struct nt_outcome {
	int calls;
	enum notify_result result;
	char why[512];
};

static inline void nt_on_done(void *ctx, enum notify_result result, const char *why)
{
	struct nt_outcome *o = ctx;

	o->calls++;
	o->result = result;
	snprintf(o->why, sizeof o->why, "%s", why);
}

/* A test's start: a temporary directory (dir, 64 bytes) and a loop; SIGPIPE
 * ignored as in the collector (a child may close its stdin early). */
static inline int nt_begin(char *dir, uv_loop_t *loop)
{
	signal(SIGPIPE, SIG_IGN);
	tu_mkdtemp(dir, 64);
	return uv_loop_init(loop);
}

/* A test's end: notifiers stopped, their handles closed, the loop and the
 * directory gone.  0, or -1 if a handle was left open. */
static inline int nt_end(const char *dir, uv_loop_t *loop)
{
	notify_stop();
	uv_run(loop, UV_RUN_DEFAULT);
	if (uv_loop_close(loop))
		return -1;
	tu_rmrf(dir);
	return 0;
}

/* Writes text to dir/collector.conf, loads it with the notify hook, then
 * validates (loop NULL) or starts the notifiers on loop.  0 or -1 with err. */
static inline int nt_load(const char *dir, const char *text, uv_loop_t *loop, char *err,
			  size_t errlen)
{
	struct collector_config_hook hook = { notify_config_key, NULL };
	struct collector_config cfg;
	char path[256];

	tu_write(dir, "collector.conf", text, path, sizeof path);
	notify_config_reset();
	if (collector_config_load(path, &cfg, &hook, 1, err, errlen))
		return -1;
	return notify_start(loop, err, errlen);
}

/* Like nt_load() on a loop, failing the test on a config error. */
static inline void nt_start(const char *dir, uv_loop_t *loop, const char *text)
{
	char err[1024] = "";

	if (nt_load(dir, text, loop, err, sizeof err))
		fail_msg("config: %s", err);
}

/* The tests' alert: a critical drop of 37.2 GB on evsrv01/bodycam, firing;
 * tests change what they look at. */
static inline struct notify_message nt_message(uint64_t id)
{
	struct notify_message m = {
		.alert_id = id,
		.agent = "evsrv01",
		.store = "bodycam",
		.kind = "drop",
		.severity = NOTIFY_CRITICAL,
		.state = ALERT_FIRING,
		.since = 1700000000,
		.time = 1700000300,
		.lost_bytes = 37200000000.0,
		.lost_objects = 12,
		.summary = "evsrv01/bodycam: 37.2 GB lost",
		.dashboard_url = "",
		.json = "{}",
	};
	return m;
}

/* One attempt through notifier name; runs loop until it has reported.
 * Returns -1 if notify_send() refused, else 0 with the outcome in o (done
 * exactly once, never from inside notify_send()). */
static inline int nt_attempt(uv_loop_t *loop, const char *name,
			     const struct notify_message *m, struct nt_outcome *o)
{
	memset(o, 0, sizeof *o);
	if (notify_send(name, m, nt_on_done, o))
		return -1;
	if (o->calls)
		return -1;
	while (o->calls == 0)
		uv_run(loop, UV_RUN_ONCE);
	return o->calls == 1 ? 0 : -1;
}

/* The contents of dir/name (NUL-terminated, up to 64 KiB); the test fails
 * if the file was never written. */
static inline const char *nt_slurp(const char *dir, const char *name)
{
	static char text[65536];
	char path[256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		fail_msg("'%s' was not written", path);
	n = fread(text, 1, sizeof text - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

#endif
