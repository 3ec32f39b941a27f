/*
 * notify_bench.c - how fast the notifiers deliver, and whether delivering
 * holds up the collector's loop (it must not: samples arrive on that loop).
 *
 *   make bench-notify [BENCH_N=2000] [BENCH_WINDOW=64]
 *
 * webhook: BENCH_N notifications, BENCH_WINDOW in flight at a time (the
 * outbox allows 64), through one webhook notifier to an in-process libmicrohttpd
 * receiver on 127.0.0.1; exec: a tenth as many runs of /bin/true.  While they run, a 1 ms repeating timer on
 * the same loop measures the loop's worst stall.  Timings, so not a test: the
 * machine may be busy; it prints numbers and fails only if a delivery fails.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/config.h"
#include "collector/notify/notify.h"

static uv_loop_t loop;
static unsigned window = 64; /* attempts in flight at once, as the outbox allows */

static unsigned done_ok, done_other, sent, total;
static const char *target;
static const struct notify_message *message;
static uint64_t last_tick, worst_gap;

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	static char ok[] = "ok";
	struct MHD_Response *r;
	enum MHD_Result ret;
	(void)cls, (void)url, (void)method, (void)version, (void)upload;

	if (!*con_cls) {
		*con_cls = c;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	r = MHD_create_response_from_buffer(2, ok, MHD_RESPMEM_PERSISTENT);
	ret = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ret;
}

static void on_done(void *ctx, enum notify_result result, const char *why);

static void send_one(void)
{
	sent++;
	if (notify_send(target, message, on_done, NULL))
		exit(1);
}

static void on_done(void *ctx, enum notify_result result, const char *why)
{
	(void)ctx;
	if (result == NOTIFY_OK) {
		done_ok++;
	} else {
		done_other++;
		fprintf(stderr, "bench: attempt failed: %s\n", why);
	}
	if (sent < total)
		send_one();
}

static void on_tick(uv_timer_t *t)
{
	uint64_t now = uv_hrtime();
	(void)t;

	if (last_tick && now - last_tick > worst_gap)
		worst_gap = now - last_tick;
	last_tick = now;
}

static void configure(const char *text)
{
	struct collector_config_hook hook = { notify_config_key, NULL };
	struct collector_config cfg;
	char path[] = "/tmp/swbench.XXXXXX", err[1024];
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		exit(1);
	close(fd);
	notify_config_reset();
	if (collector_config_load(path, &cfg, &hook, 1, err, sizeof err) ||
	    notify_start(&loop, err, sizeof err)) {
		fprintf(stderr, "bench: %s\n", err);
		exit(1);
	}
	unlink(path);
}

static double run(const char *name, unsigned n, const struct notify_message *m)
{
	uv_timer_t tick;
	uint64_t t0;
	double secs;

	done_ok = done_other = 0;
	worst_gap = last_tick = 0;
	uv_timer_init(&loop, &tick);
	uv_timer_start(&tick, on_tick, 1, 1);
	target = name;
	message = m;
	total = n;
	sent = 0;
	t0 = uv_hrtime();
	while (sent < n && sent < window)
		send_one();
	while (done_ok + done_other < n)
		uv_run(&loop, UV_RUN_ONCE);
	secs = (double)(uv_hrtime() - t0) / 1e9;
	uv_close((uv_handle_t *)&tick, NULL);
	uv_run(&loop, UV_RUN_NOWAIT); /* the close completes before tick goes */
	return secs;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct MHD_Daemon *d;
	unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 2000;

	if (argc > 2 && atoi(argv[2]) > 0)
		window = (unsigned)atoi(argv[2]);
	struct notify_message m = {
		.alert_id = 1, .agent = "evsrv01", .store = "bodycam", .kind = "drop",
		.severity = NOTIFY_CRITICAL, .state = ALERT_FIRING, .summary = "bench",
		.dashboard_url = "",
		.json = "{\"id\":1,\"agent\":\"evsrv01\",\"store\":\"bodycam\",\"state\":\"firing\"}",
	};
	char conf[512];
	double secs;

	signal(SIGPIPE, SIG_IGN);
	uv_loop_init(&loop);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD, 0, NULL, NULL, answer, NULL,
			     MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_CONNECTION_LIMIT, 4096,
			     MHD_OPTION_END);
	if (!d)
		return 1;
	snprintf(conf, sizeof conf,
		 "[notify hook]\ntype = webhook\nurl = http://127.0.0.1:%u/\ntimeout = 60s\n"
		 "[notify run]\ntype = exec\ncommand = /bin/true\ntimeout = 60s\n",
		 MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port);
	configure(conf);

	secs = run("hook", n, &m);
	printf("webhook: %u notifications in %.3f s = %.0f/s; worst loop stall %.1f ms; %u failed\n",
	       n, secs, n / secs, worst_gap / 1e6, done_other);
	if (done_other)
		return 1;
	secs = run("run", n / 10, &m);
	printf("exec:    %u runs of /bin/true in %.3f s = %.0f/s; worst loop stall %.1f ms; %u "
	       "failed\n",
	       n / 10, secs, (n / 10) / secs, worst_gap / 1e6, done_other);
	notify_stop();
	uv_run(&loop, UV_RUN_DEFAULT);
	MHD_stop_daemon(d);
	return done_other ? 1 : 0;
}
