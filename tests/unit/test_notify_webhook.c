/*
 * test_notify_webhook.c - the webhook notifier against a real HTTP receiver
 * (libmicrohttpd on 127.0.0.1, a port the kernel picks) on a real loop: a
 * receiver that fails its first requests with 503 gets RETRY then OK and the
 * body exactly as sent, 400 is PERMANENT, a bearer token is sent, nobody
 * listening is RETRY, and stopping the notifier mid-transfer is RETRY.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "notify_testutil.h"

static char dir[64];
static uv_loop_t loop;

/* ---- the receiver ------------------------------------------------------- */

struct receiver {
	struct MHD_Daemon *d;
	uint16_t port;
	pthread_mutex_t lock;
	int fail_first; /* answer 503 to this many requests */
	int requests;
	int hold;       /* /hold: never answer until released */
	char body[8192];
	size_t body_len;
	char auth[256];
	char content_type[128];
};

static struct receiver rx;

struct upload {
	char data[8192];
	size_t len;
};

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct receiver *r = cls;
	struct upload *u = *con_cls;
	struct MHD_Response *resp;
	unsigned status;
	const char *h;
	enum MHD_Result ret;
	(void)version;

	if (!u) {
		u = calloc(1, sizeof *u);
		*con_cls = u;
		return MHD_YES;
	}
	if (*upload_size) {
		size_t n = *upload_size;
		if (n > sizeof u->data - u->len)
			n = sizeof u->data - u->len;
		memcpy(u->data + u->len, upload, n);
		u->len += n;
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, "POST"))
		return MHD_NO;
	pthread_mutex_lock(&r->lock);
	r->requests++;
	if (!strcmp(url, "/bad"))
		status = 400;
	else if (r->requests <= r->fail_first)
		status = 503;
	else
		status = 200;
	memcpy(r->body, u->data, u->len);
	r->body_len = u->len;
	h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	snprintf(r->auth, sizeof r->auth, "%s", h ? h : "");
	h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	snprintf(r->content_type, sizeof r->content_type, "%s", h ? h : "");
	pthread_mutex_unlock(&r->lock);
	if (!strcmp(url, "/hold")) {
		while (__atomic_load_n(&r->hold, __ATOMIC_SEQ_CST))
			usleep(10000);
	}
	resp = MHD_create_response_from_buffer(strlen("nope"), (void *)"nope",
					       MHD_RESPMEM_PERSISTENT);
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	free(*con_cls);
	*con_cls = NULL;
}

/* Starts the receiver; with key and cert (PEM texts) it speaks HTTPS only. */
static void receiver_start_tls(int fail_first, const char *key, const char *cert)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = 0 };
	const union MHD_DaemonInfo *info;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION;

	memset(&rx, 0, sizeof rx);
	pthread_mutex_init(&rx.lock, NULL);
	rx.fail_first = fail_first;
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (key)
		rx.d = MHD_start_daemon(flags | MHD_USE_TLS, 0, NULL, NULL, answer, &rx,
					MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_NOTIFY_COMPLETED,
					completed, NULL, MHD_OPTION_HTTPS_MEM_KEY, key,
					MHD_OPTION_HTTPS_MEM_CERT, cert, MHD_OPTION_END);
	else
		rx.d = MHD_start_daemon(flags, 0, NULL, NULL, answer, &rx, MHD_OPTION_SOCK_ADDR,
					&sa, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
					MHD_OPTION_END);
	assert_non_null(rx.d);
	info = MHD_get_daemon_info(rx.d, MHD_DAEMON_INFO_BIND_PORT);
	assert_non_null(info);
	rx.port = info->port;
}

static void receiver_start(int fail_first)
{
	receiver_start_tls(fail_first, NULL, NULL);
}

static void receiver_stop(void)
{
	if (rx.d)
		MHD_stop_daemon(rx.d);
	rx.d = NULL;
	pthread_mutex_destroy(&rx.lock);
}

/* ---- the notifier side -------------------------------------------------- */

static struct notify_message msg;

static void init_msg(void)
{
	msg = nt_message(9);
	msg.json = "{\"id\":9,\"state\":\"firing\",\"summary\":\"evsrv01/bodycam: 37.2 GB "
		   "lost\",\"text\":\"caf\xc3\xa9 \\\"quoted\\\"\"}";
}

static int setup(void **state)
{
	(void)state;
	init_msg();
	return nt_begin(dir, &loop);
}

static int teardown(void **state)
{
	int e;
	(void)state;

	e = nt_end(dir, &loop);
	receiver_stop();
	return e;
}


static void attempt(const char *name, struct nt_outcome *o)
{
	assert_int_equal(nt_attempt(&loop, name, &msg, o), 0);
}

static void test_retry_then_ok_exact_body(void **state)
{
	char conf[512];
	struct nt_outcome o;
	(void)state;

	receiver_start(2);
	snprintf(conf, sizeof conf,
		 "[notify hook]\ntype = webhook\nurl = http://127.0.0.1:%u/alerts\n"
		 "bearer_token = s3cret\n",
		 rx.port);
	nt_start(dir, &loop, conf);
	attempt("hook", &o);
	assert_int_equal(o.result, NOTIFY_RETRY);
	assert_non_null(strstr(o.why, "HTTP 503"));
	attempt("hook", &o);
	assert_int_equal(o.result, NOTIFY_RETRY);
	attempt("hook", &o);
	assert_int_equal(o.result, NOTIFY_OK);
	assert_string_equal(o.why, "HTTP 200: nope");
	assert_int_equal(rx.requests, 3);
	assert_int_equal(rx.body_len, strlen(msg.json));
	assert_memory_equal(rx.body, msg.json, rx.body_len);
	assert_string_equal(rx.auth, "Bearer s3cret");
	assert_string_equal(rx.content_type, "application/json");
}

static void test_400_is_permanent(void **state)
{
	char conf[512];
	struct nt_outcome o;
	(void)state;

	receiver_start(0);
	snprintf(conf, sizeof conf, "[notify hook]\ntype = webhook\nurl = http://127.0.0.1:%u/bad\n",
		 rx.port);
	nt_start(dir, &loop, conf);
	attempt("hook", &o);
	assert_int_equal(o.result, NOTIFY_PERMANENT);
	assert_non_null(strstr(o.why, "HTTP 400"));
	assert_string_equal(rx.auth, ""); /* no token configured, none sent */
}

/* A port nobody listens on: bound, then closed. */
static uint16_t dead_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static void test_nobody_listening_is_retry(void **state)
{
	char conf[512];
	struct nt_outcome o;
	(void)state;

	snprintf(conf, sizeof conf, "[notify hook]\ntype = webhook\nurl = http://127.0.0.1:%u/\n",
		 dead_port());
	nt_start(dir, &loop, conf);
	attempt("hook", &o);
	assert_int_equal(o.result, NOTIFY_RETRY);
}

static void test_https_to_plain_http_fails(void **state)
{
	char conf[512];
	struct nt_outcome o;
	(void)state;

	/* https to a plain HTTP server: the TLS handshake fails, and that is
	 * reported (RETRY: the receiver may be fixed), never ignored. */
	receiver_start(0);
	snprintf(conf, sizeof conf, "[notify hook]\ntype = webhook\nurl = https://127.0.0.1:%u/\n",
		 rx.port);
	nt_start(dir, &loop, conf);
	attempt("hook", &o);
	assert_int_equal(o.result, NOTIFY_RETRY);
	assert_int_equal(rx.requests, 0);
}

/* The contents of a file this test wrote (static, NUL-terminated). */
static char *read_pem(const char *name)
{
	static char text[2][8192];
	static int which;
	char path[256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "r");
	assert_non_null(f);
	which ^= 1;
	n = fread(text[which], 1, sizeof text[which] - 1, f);
	fclose(f);
	text[which][n] = '\0';
	return text[which];
}

/* One attempt to https://host:port/ of the receiver, trusting ca (a file in
 * dir) if given. */
static enum notify_result tls_attempt(const char *host, const char *ca)
{
	char conf[1024], ca_line[300] = "";
	struct nt_outcome o;

	if (ca)
		snprintf(ca_line, sizeof ca_line, "ca_file = %s/%s\n", dir, ca);
	snprintf(conf, sizeof conf, "[notify hook]\ntype = webhook\nurl = https://%s:%u/\n%s",
		 host, rx.port, ca_line);
	nt_start(dir, &loop, conf);
	attempt("hook", &o);
	return o.result;
}

static void test_tls_is_verified(void **state)
{
	char cmd[1024];
	char *key, *cert;
	(void)state;

	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		skip();
	/* A self-signed certificate for 127.0.0.1 only. */
	snprintf(cmd, sizeof cmd,
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
		 "-keyout %s/key.pem -out %s/cert.pem -days 2 -subj /CN=127.0.0.1 "
		 "-addext subjectAltName=IP:127.0.0.1 2>/dev/null",
		 dir, dir);
	assert_int_equal(system(cmd), 0);
	key = read_pem("key.pem");
	cert = read_pem("cert.pem");
	receiver_start_tls(0, key, cert);

	/* Not trusted: refused before a byte of the alert leaves. */
	assert_int_equal(tls_attempt("127.0.0.1", NULL), NOTIFY_RETRY);
	assert_int_equal(rx.requests, 0);
	/* Trusted through ca_file, but named otherwise: the host name is checked. */
	assert_int_equal(tls_attempt("localhost", "cert.pem"), NOTIFY_RETRY);
	assert_int_equal(rx.requests, 0);
	/* Trusted and the right name: delivered. */
	assert_int_equal(tls_attempt("127.0.0.1", "cert.pem"), NOTIFY_OK);
	assert_int_equal(rx.requests, 1);
	assert_memory_equal(rx.body, msg.json, strlen(msg.json));
}

static void test_stop_mid_transfer_is_retry(void **state)
{
	char conf[512];
	struct nt_outcome o = { 0 };
	(void)state;

	receiver_start(0);
	rx.hold = 1;
	snprintf(conf, sizeof conf, "[notify hook]\ntype = webhook\nurl = http://127.0.0.1:%u/hold\n",
		 rx.port);
	nt_start(dir, &loop, conf);
	assert_int_equal(notify_send("hook", &msg, nt_on_done, &o), 0);
	while (!__atomic_load_n(&rx.requests, __ATOMIC_SEQ_CST))
		uv_run(&loop, UV_RUN_NOWAIT);
	notify_stop();
	assert_int_equal(o.calls, 1);
	assert_int_equal(o.result, NOTIFY_RETRY);
	assert_string_equal(o.why, "notifier stopped");
	__atomic_store_n(&rx.hold, 0, __ATOMIC_SEQ_CST);
}

static void expect_error(const char *text, const char *needle)
{
	char err[1024] = "";

	assert_int_equal(nt_load(dir, text, NULL, err, sizeof err), -1);
	if (!strstr(err, needle))
		fail_msg("error '%s' does not mention '%s'", err, needle);
}

static void test_config_errors(void **state)
{
	(void)state;
	expect_error("[notify hook]\ntype = webhook\nurl = ftp://x/\n",
		     "not an http:// or https:// URL");
	expect_error("[notify hook]\ntype = webhook\ntimeout = 5s\n", "url: missing");
	expect_error("[notify hook]\ntype = webhook\nurl = http://x/\n"
		     "bearer_token_file = /nonexistent\n",
		     "cannot open '/nonexistent'");
	expect_error("[notify hook]\ntype = webhook\nurl = http://x/\nurl = http://y/\n",
		     "a webhook posts to one URL");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_retry_then_ok_exact_body, setup, teardown),
		cmocka_unit_test_setup_teardown(test_400_is_permanent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nobody_listening_is_retry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_https_to_plain_http_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls_is_verified, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_mid_transfer_is_retry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_errors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
