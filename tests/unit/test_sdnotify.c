/*
 * test_sdnotify.c - the daemons' side of the systemd notify protocol
 * (lib/sdnotify.c), checked against a real AF_UNIX datagram socket standing
 * in for systemd's: NOTIFY_SOCKET points at it, and every test reads what
 * systemd itself would receive.  The watchdog tests run a real libuv loop
 * and wait for the pings to arrive; they assert on what arrives, never on
 * how fast.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include <cmocka.h>

#include "shrinkwatch/log.h"
#include "shrinkwatch/sdnotify.h"

struct fixture {
	char dir[64];
	char path[96];
	int fd;
};

static struct fixture fx;

static int group_setup(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	(void)state;
	log_init("test_sdnotify", LOG_WARNING);
	log_force_stderr(true);
	snprintf(fx.dir, sizeof fx.dir, "%s", "/tmp/test_sdnotify.XXXXXX");
	if (!mkdtemp(fx.dir))
		return -1;
	snprintf(fx.path, sizeof fx.path, "%s/notify", fx.dir);
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", fx.path);
	fx.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fx.fd < 0 || bind(fx.fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	close(fx.fd);
	unlink(fx.path);
	rmdir(fx.dir);
	return 0;
}

/* Every test starts with systemd's socket empty and the variables it sets
 * for a service without a watchdog. */
static int test_setup(void **state)
{
	char buf[1024];

	(void)state;
	while (recv(fx.fd, buf, sizeof buf, MSG_DONTWAIT) >= 0)
		;
	setenv("NOTIFY_SOCKET", fx.path, 1);
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	return 0;
}

/* The next message on the socket, or "" if none is queued. */
static const char *next_msg(void)
{
	static char buf[1024];
	ssize_t n = recv(fx.fd, buf, sizeof buf - 1, MSG_DONTWAIT);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void test_ready_carries_status(void **state)
{
	(void)state;
	sdnotify_ready("serving %d agents on '%s'", 3, "127.0.0.1:7405");
	assert_string_equal(next_msg(), "READY=1\nSTATUS=serving 3 agents on '127.0.0.1:7405'");
	assert_string_equal(next_msg(), "");
}

static void test_status(void **state)
{
	(void)state;
	sdnotify_status("scanning '%s'", "bwv");
	assert_string_equal(next_msg(), "STATUS=scanning 'bwv'");
}

static void test_long_status_is_truncated_not_dropped(void **state)
{
	char longer[2000];

	(void)state;
	memset(longer, 'x', sizeof longer - 1);
	longer[sizeof longer - 1] = '\0';
	sdnotify_status("%s", longer);
	const char *m = next_msg();
	assert_true(strncmp(m, "STATUS=xxxx", 11) == 0);
	assert_true(strlen(m) > 100);
}

static void test_reloading_carries_monotonic_time(void **state)
{
	unsigned long long usec = 0;
	struct timespec before;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &before);
	sdnotify_reloading();
	const char *m = next_msg();
	assert_true(strncmp(m, "RELOADING=1\n", 12) == 0);
	const char *mono = strstr(m, "MONOTONIC_USEC=");
	assert_non_null(mono);
	assert_int_equal(sscanf(mono, "MONOTONIC_USEC=%llu", &usec), 1);
	assert_true(usec >= (unsigned long long)before.tv_sec * 1000000ULL);
	assert_non_null(strstr(m, "STATUS="));
}

static void test_stopping(void **state)
{
	(void)state;
	sdnotify_stopping();
	const char *m = next_msg();
	assert_true(strncmp(m, "STOPPING=1\n", 11) == 0);
	assert_non_null(strstr(m, "STATUS=stopping"));
}

static void test_nothing_sent_without_notify_socket(void **state)
{
	(void)state;
	unsetenv("NOTIFY_SOCKET");
	sdnotify_ready("ready");
	sdnotify_status("busy");
	sdnotify_reloading();
	sdnotify_stopping();
	assert_string_equal(next_msg(), "");
}

/* ---- watchdog ------------------------------------------------------------ */

struct pings {
	uv_poll_t poll;
	uv_timer_t guard;
	int want;
	int got;
	int other;
	int timed_out;
};

static void on_notify(uv_poll_t *p, int status, int events)
{
	struct pings *pg = p->data;
	const char *m;

	(void)status;
	(void)events;
	while (*(m = next_msg())) {
		if (strcmp(m, "WATCHDOG=1") == 0)
			pg->got++;
		else
			pg->other++;
	}
	if (pg->got >= pg->want) {
		uv_poll_stop(&pg->poll);
		uv_timer_stop(&pg->guard);
	}
}

/* Only there so a broken watchdog fails the test instead of hanging it. */
static void on_guard(uv_timer_t *t)
{
	struct pings *pg = t->data;

	pg->timed_out = 1;
	uv_poll_stop(&pg->poll);
}

static void on_guard_noop(uv_timer_t *t)
{
	(void)t;
}

/* Runs loop until `want` WATCHDOG=1 pings have arrived on the socket. */
static void wait_pings(uv_loop_t *loop, struct pings *pg, int want)
{
	pg->want = want;
	pg->got = pg->other = pg->timed_out = 0;
	assert_int_equal(uv_poll_init(loop, &pg->poll, fx.fd), 0);
	assert_int_equal(uv_timer_init(loop, &pg->guard), 0);
	pg->poll.data = pg->guard.data = pg;
	assert_int_equal(uv_poll_start(&pg->poll, UV_READABLE, on_notify), 0);
	assert_int_equal(uv_timer_start(&pg->guard, on_guard, 60000, 0), 0);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&pg->poll, NULL);
	uv_close((uv_handle_t *)&pg->guard, NULL);
	uv_run(loop, UV_RUN_DEFAULT);
	assert_false(pg->timed_out);
	assert_true(pg->got >= want);
	assert_int_equal(pg->other, 0);
}

/*
 * One turn of the loop.  The watchdog timer is unreferenced (it must not
 * keep a finished daemon alive), so a referenced handle stands in for the
 * daemon's own sockets and timers while the loop turns.
 */
static void run_once(uv_loop_t *loop)
{
	uv_timer_t keepalive;

	assert_int_equal(uv_timer_init(loop, &keepalive), 0);
	assert_int_equal(uv_timer_start(&keepalive, on_guard_noop, 60000, 0), 0);
	uv_run(loop, UV_RUN_NOWAIT);
	uv_close((uv_handle_t *)&keepalive, NULL);
	uv_run(loop, UV_RUN_DEFAULT);
}

static void set_watchdog(const char *usec, pid_t pid)
{
	char p[32];

	snprintf(p, sizeof p, "%ld", (long)pid);
	setenv("WATCHDOG_USEC", usec, 1);
	setenv("WATCHDOG_PID", p, 1);
}

/* A fresh loop with the watchdog armed from the current environment. */
static void loop_with_watchdog(uv_loop_t *loop)
{
	assert_int_equal(uv_loop_init(loop), 0);
	assert_int_equal(sdnotify_watchdog_start(loop), 0);
}

/* Disarms the watchdog and checks it left no handle behind on loop. */
static void loop_finish(uv_loop_t *loop)
{
	sdnotify_watchdog_stop();
	uv_run(loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(loop), 0);
}

static void test_watchdog_pings_from_the_loop(void **state)
{
	struct pings pg;
	uv_loop_t loop;

	(void)state;
	set_watchdog("20000", getpid());
	loop_with_watchdog(&loop);
	wait_pings(&loop, &pg, 3);
	loop_finish(&loop);
}

/* The pings come from the loop: a loop that does not run sends none. */
static void test_watchdog_silent_while_loop_stuck(void **state)
{
	uv_loop_t loop;

	(void)state;
	set_watchdog("2000", getpid());
	loop_with_watchdog(&loop);
	usleep(20000); /* ten intervals in which the loop does not run */
	assert_string_equal(next_msg(), "");
	run_once(&loop);
	assert_string_equal(next_msg(), "WATCHDOG=1");
	loop_finish(&loop);
}

static void expect_no_watchdog(void)
{
	uv_loop_t loop;

	loop_with_watchdog(&loop);
	run_once(&loop);
	run_once(&loop);
	assert_string_equal(next_msg(), "");
	loop_finish(&loop);
}

static void test_no_watchdog_when_not_asked(void **state)
{
	(void)state;
	expect_no_watchdog();
}

/* WATCHDOG_PID names the process systemd watches: a child that inherited
 * the variables must not ping on its parent's behalf. */
static void test_no_watchdog_for_another_pid(void **state)
{
	(void)state;
	set_watchdog("20000", getpid() + 1);
	expect_no_watchdog();
}

static void test_bad_watchdog_usec_is_an_error(void **state)
{
	uv_loop_t loop;

	(void)state;
	set_watchdog("soon", getpid());
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_true(sdnotify_watchdog_start(&loop) < 0);
	run_once(&loop);
	assert_string_equal(next_msg(), "");
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* A daemon that re-arms the watchdog (after a reload) keeps one timer. */
static void test_watchdog_start_twice_keeps_one_timer(void **state)
{
	struct pings pg;
	uv_loop_t loop;

	(void)state;
	set_watchdog("20000", getpid());
	loop_with_watchdog(&loop);
	assert_int_equal(sdnotify_watchdog_start(&loop), 0);
	wait_pings(&loop, &pg, 2);
	sdnotify_watchdog_stop();
	loop_finish(&loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_ready_carries_status, test_setup),
		cmocka_unit_test_setup(test_status, test_setup),
		cmocka_unit_test_setup(test_long_status_is_truncated_not_dropped, test_setup),
		cmocka_unit_test_setup(test_reloading_carries_monotonic_time, test_setup),
		cmocka_unit_test_setup(test_stopping, test_setup),
		cmocka_unit_test_setup(test_nothing_sent_without_notify_socket, test_setup),
		cmocka_unit_test_setup(test_watchdog_pings_from_the_loop, test_setup),
		cmocka_unit_test_setup(test_watchdog_silent_while_loop_stuck, test_setup),
		cmocka_unit_test_setup(test_no_watchdog_when_not_asked, test_setup),
		cmocka_unit_test_setup(test_no_watchdog_for_another_pid, test_setup),
		cmocka_unit_test_setup(test_bad_watchdog_usec_is_an_error, test_setup),
		cmocka_unit_test_setup(test_watchdog_start_twice_keeps_one_timer, test_setup),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
