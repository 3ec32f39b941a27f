/*
 * test_notify_alertmanager.c - the alertmanager notifier against a REAL
 * Prometheus Alertmanager (Debian's prometheus-alertmanager), started here on
 * 127.0.0.1 with a port the kernel picked, a temporary config and storage and
 * clustering off.  A firing alert shows up in GET /api/v2/alerts with our
 * labels; resolved, it is no longer active; the active set is re-sent (and a
 * primed alert sent, also across a reload) every resend_interval; an HA list
 * with one dead member still delivers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "collector/notify/alertmanager.h"
#include "notify_testutil.h"

#define AM_BIN "/usr/bin/prometheus-alertmanager"

static char dir[64];
static uv_loop_t loop;
static pid_t am_pid;
static uint16_t am_port;

static uint16_t pick_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len))
		abort();
	close(fd);
	return ntohs(sa.sin_port);
}

static size_t collect(char *p, size_t size, size_t n, void *userp)
{
	struct buf *b = userp;
	size_t room = b->cap - b->len;

	buf_append(b, p, size * n < room ? size * n : room);
	return size * n;
}

/* A blocking GET (the test's own view of Alertmanager); the body goes into b
 * (NUL-terminated).  Returns the HTTP status, 0 on a transport error. */
static long http_get(const char *path, struct buf *b)
{
	char url[256];
	long status = 0;
	CURL *c = curl_easy_init();

	b->len = 0;
	snprintf(url, sizeof url, "http://127.0.0.1:%u%s", am_port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	buf_put_u8(b, 0);
	return status;
}

static int group_setup(void **state)
{
	char path[256], arg_cfg[300], arg_storage[300], arg_listen[64], log[300];
	struct buf b;
	int fd;
	(void)state;

	if (access(AM_BIN, X_OK)) {
		fprintf(stderr, "SKIP: %s is not installed (make deps installs "
				"prometheus-alertmanager)\n", AM_BIN);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	tu_mkdtemp(dir, sizeof dir);
	tu_write(dir, "alertmanager.yml",
		 "route:\n  receiver: blackhole\n  group_wait: 1h\n"
		 "receivers:\n  - name: blackhole\n",
		 path, sizeof path);
	snprintf(arg_cfg, sizeof arg_cfg, "--config.file=%s", path);
	snprintf(arg_storage, sizeof arg_storage, "--storage.path=%s/data", dir);
	am_port = pick_port();
	snprintf(arg_listen, sizeof arg_listen, "--web.listen-address=127.0.0.1:%u", am_port);
	snprintf(log, sizeof log, "%s/alertmanager.log", dir);
	am_pid = fork();
	if (am_pid == 0) {
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(AM_BIN, AM_BIN, arg_cfg, arg_storage, arg_listen, "--cluster.listen-address=",
		      (char *)NULL);
		_exit(127);
	}
	if (am_pid < 0)
		return -1;
	buf_init(&b, 1 << 20);
	for (int i = 0; i < 300; i++) { /* up to a minute on a busy machine */
		if (http_get("/-/ready", &b) == 200)
			break;
		if (waitpid(am_pid, NULL, WNOHANG) == am_pid) {
			fprintf(stderr, "alertmanager exited; see %s\n", log);
			am_pid = 0;
			buf_release(&b);
			return -1;
		}
		usleep(200000);
	}
	buf_release(&b);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	if (am_pid > 0) {
		kill(am_pid, SIGTERM);
		waitpid(am_pid, NULL, 0);
		am_pid = 0;
	}
	if (dir[0])
		tu_rmrf(dir);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	if (!am_pid)
		skip();
	return uv_loop_init(&loop);
}

static int teardown(void **state)
{
	(void)state;
	notify_stop();
	uv_run(&loop, UV_RUN_DEFAULT);
	return uv_loop_close(&loop);
}


static void attempt(const struct notify_message *m, struct nt_outcome *o)
{
	assert_int_equal(nt_attempt(&loop, "am", m, o), 0);
}

/* The alert object Alertmanager reports for our alert id, or NULL. */
static const char *find_alert(struct buf *b, const char *query, uint64_t id)
{
	char needle[64], path[128];
	const char *p, *start;

	snprintf(path, sizeof path, "/api/v2/alerts%s", query);
	assert_int_equal(http_get(path, b), 200);
	snprintf(needle, sizeof needle, "\"alert_id\":\"%llu\"", (unsigned long long)id);
	p = strstr((const char *)b->data, needle);
	if (!p)
		return NULL;
	/* The enclosing object starts at the last {"annotations" before it. */
	for (start = p; start > (const char *)b->data && strncmp(start, "{\"annotations\"", 14);
	     start--)
		;
	return start;
}

static struct notify_message firing(uint64_t id, const char *store)
{
	struct notify_message m = nt_message(id);

	m.store = store;
	m.since = time(NULL) - 60;
	m.time = time(NULL);
	m.dashboard_url = "http://127.0.0.1:8080/alert/1";
	return m;
}

static void test_firing_then_resolved(void **state)
{
	char conf[512];
	struct nt_outcome o;
	struct buf b;
	struct notify_message m = firing(1001, "bodycam");
	const char *a;
	(void)state;

	buf_init(&b, 4 << 20);
	snprintf(conf, sizeof conf, "[notify am]\ntype = alertmanager\nurl = http://127.0.0.1:%u/\n",
		 am_port);
	nt_start(dir, &loop, conf);
	attempt(&m, &o);
	assert_int_equal(o.result, NOTIFY_OK);

	a = find_alert(&b, "", 1001);
	assert_non_null(a);
	assert_non_null(strstr(a, "\"alertname\":\"ShrinkwatchUnexplainedLoss\""));
	assert_non_null(strstr(a, "\"agent\":\"evsrv01\""));
	assert_non_null(strstr(a, "\"store\":\"bodycam\""));
	assert_non_null(strstr(a, "\"kind\":\"drop\""));
	assert_non_null(strstr(a, "\"severity\":\"critical\""));
	assert_non_null(strstr(a, "\"summary\":\"evsrv01/bodycam: 37.2 GB lost\""));
	assert_non_null(strstr(a, "\"description\":\"Unexplained loss of 34.6 GiB (37200000000 bytes)"));
	assert_non_null(strstr(a, "\"dashboard\":\"http://127.0.0.1:8080/alert/1\""));
	assert_non_null(strstr(a, "\"state\":\"active\""));

	/* Explained: endsAt is set, and Alertmanager no longer has it active. */
	m.state = ALERT_EXPLAINED;
	m.time = m.ends_at = time(NULL) - 1;
	attempt(&m, &o);
	assert_int_equal(o.result, NOTIFY_OK);
	assert_null(find_alert(&b, "?active=true", 1001));
	buf_release(&b);
}

static void test_ha_one_member_down(void **state)
{
	char conf[512];
	struct nt_outcome o;
	struct buf b;
	struct notify_message m = firing(1002, "interviews");
	(void)state;

	buf_init(&b, 4 << 20);
	snprintf(conf, sizeof conf,
		 "[notify am]\ntype = alertmanager\nurl = http://127.0.0.1:%u\n"
		 "url = http://127.0.0.1:%u\n",
		 pick_port(), am_port);
	nt_start(dir, &loop, conf);
	attempt(&m, &o);
	assert_int_equal(o.result, NOTIFY_OK);
	assert_non_null(find_alert(&b, "", 1002));

	/* Every member down: try again later. */
	snprintf(conf, sizeof conf, "[notify am]\ntype = alertmanager\nurl = http://127.0.0.1:%u\n",
		 pick_port());
	nt_start(dir, &loop, conf);
	attempt(&m, &o);
	assert_int_equal(o.result, NOTIFY_RETRY);
	buf_release(&b);
}

/* The updatedAt Alertmanager reports for an alert ("" if absent). */
static void updated_at(struct buf *b, uint64_t id, char *out, size_t outlen)
{
	const char *a = find_alert(b, "", id), *u;

	out[0] = '\0';
	if (a && (u = strstr(a, "\"updatedAt\":\"")))
		snprintf(out, outlen, "%.*s", (int)strcspn(u + 13, "\""), u + 13);
}

static void test_resend_and_prime(void **state)
{
	char conf[512], first[64], now[64];
	struct nt_outcome o;
	struct buf b;
	struct notify_message m = firing(1003, "cctv");
	struct notify_message primed = firing(1004, "cctv2");
	int rounds = 0;
	(void)state;

	buf_init(&b, 4 << 20);
	snprintf(conf, sizeof conf,
		 "[notify am]\ntype = alertmanager\nurl = http://127.0.0.1:%u\n"
		 "resend_interval = 5s\n",
		 am_port);
	nt_start(dir, &loop, conf);
	attempt(&m, &o);
	assert_int_equal(o.result, NOTIFY_OK);
	updated_at(&b, 1003, first, sizeof first);
	assert_true(first[0]);
	/* After a restart, the lifecycle primes the set with what is open. */
	assert_int_equal(notify_alertmanager_prime(&primed), 1);
	assert_null(find_alert(&b, "", 1004));
	/* A reload keeps what is open (the same notifier name). */
	nt_start(dir, &loop, conf);

	/* Wait (bounded) for a re-send: 1003 refreshed, 1004 sent. */
	do {
		for (int i = 0; i < 10; i++) {
			uv_run(&loop, UV_RUN_NOWAIT);
			usleep(50000);
		}
		updated_at(&b, 1003, now, sizeof now);
	} while ((!strcmp(now, first) || !find_alert(&b, "", 1004)) && ++rounds < 120);
	assert_string_not_equal(now, first);
	assert_non_null(find_alert(&b, "", 1004));
	buf_release(&b);
}

static void test_build_json(void **state)
{
	struct buf b;
	struct notify_message m = firing(5, "bodycam");
	(void)state;

	m.since = 1700000000;
	m.summary = "quote \" and <tag>";
	buf_init(&b, 1 << 16);
	assert_int_equal(notify_alertmanager_build(&m, &b), 0);
	buf_put_u8(&b, 0);
	assert_non_null(strstr((char *)b.data, "\"startsAt\":\"2023-11-14T22:13:20Z\""));
	assert_null(strstr((char *)b.data, "endsAt"));
	assert_non_null(strstr((char *)b.data, "\"summary\":\"quote \\\" and \\u003ctag\\u003e\""));
	assert_null(strstr((char *)b.data, "attribution"));
	b.len = 0;
	/* a deletion report names who deleted: an annotation of its own */
	m.attribution = "40 files deleted under 2023/08/ by pid 4312 /usr/bin/rsync uid 0";
	assert_int_equal(notify_alertmanager_build(&m, &b), 0);
	buf_put_u8(&b, 0);
	assert_non_null(strstr((char *)b.data, "\"attribution\":\"40 files deleted under 2023/08/ "
					       "by pid 4312 /usr/bin/rsync uid 0\""));
	m.attribution = NULL;
	b.len = 0;
	m.state = ALERT_RESOLVED;
	m.ends_at = 1700000600;
	assert_int_equal(notify_alertmanager_build(&m, &b), 0);
	buf_put_u8(&b, 0);
	assert_non_null(strstr((char *)b.data, "\"endsAt\":\"2023-11-14T22:23:20Z\""));
	assert_string_equal(notify_alertmanager_alertname("silence"), "ShrinkwatchAgentSilent");
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_json),
		cmocka_unit_test_setup_teardown(test_firing_then_resolved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ha_one_member_down, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resend_and_prime, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
