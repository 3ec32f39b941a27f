/* test_stream.c - lib/stream.c over real sockets on 127.0.0.1, plaintext and
 * mutual TLS with certificates from `shrinkwatchctl pki`: frames both ways;
 * a frame arriving one byte at a time; many frames in one read; an oversized
 * frame and garbage refused; a peer hanging up mid-handshake; a client
 * certificate from another CA refused; the write-queue cap catching a peer
 * that does not read; pause and resume; an ERROR queued at close reaching the
 * peer. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "shrinkwatch/proto.h"
#include "shrinkwatch/stream.h"
#include "shrinkwatch/tls.h"
#include "pki_testutil.h"
#include "testutil.h"

static char dir[128];

/* One end of a connection and what happened to it. */
struct end {
	struct stream st;
	int frames;
	uint8_t types[256];
	uint64_t last_ack;
	struct sw_error error; /* the last ERROR received */
	int established, errors, closed;
	enum stream_fail kind;
	int err;
	/* what to do on the first frame: close with this ERROR code */
	uint16_t close_code;
};

static uv_loop_t loop;
static uv_tcp_t server;
static int port;
static struct stream_config server_cfg;
static struct end *accepted;

static void on_frame(void *ud, const struct sw_frame *f)
{
	struct end *e = ud;

	if (e->frames < (int)sizeof e->types)
		e->types[e->frames] = f->type;
	e->frames++;
	if (f->type == SW_MSG_ACK)
		assert_int_equal(proto_decode_ack(f, &e->last_ack), 0);
	if (f->type == SW_MSG_ERROR)
		assert_int_equal(proto_decode_error(f, &e->error), 0);
	if (e->close_code)
		stream_close(&e->st, e->close_code, "closing as told");
}

static void on_established(void *ud)
{
	((struct end *)ud)->established++;
}

static void on_error(void *ud, enum stream_fail kind, int err, const char *why)
{
	struct end *e = ud;

	assert_non_null(why);
	e->errors++;
	e->kind = kind;
	e->err = err;
	if (kind == STREAM_FRAME)
		stream_close(&e->st, SW_ERR_PROTOCOL, why);
}

static void on_closed(void *ud)
{
	((struct end *)ud)->closed++;
}

static const struct stream_ops ops = { on_frame, on_established, on_error, on_closed };

static void on_connection(uv_stream_t *srv, int status)
{
	struct end *e = calloc(1, sizeof *e);

	assert_int_equal(status, 0);
	assert_non_null(e);
	assert_int_equal(stream_init(&e->st, &loop, &server_cfg, &ops, e), 0);
	assert_int_equal(uv_accept(srv, (uv_stream_t *)stream_handle(&e->st)), 0);
	assert_int_equal(stream_start(&e->st), 0);
	accepted = e;
}

static void on_connect(uv_connect_t *req, int status)
{
	struct end *e = req->data;

	assert_int_equal(status, 0);
	assert_int_equal(stream_start(&e->st), 0);
}

static void timed_out(uv_timer_t *t)
{
	*(int *)t->data = 1;
}

/* Runs the loop until *flag is set (or cond evaluates true), at most 5 s. */
#define RUN_UNTIL(cond)                                                                      \
	do {                                                                                 \
		uv_timer_t tm_;                                                              \
		int expired_ = 0;                                                            \
		uv_timer_init(&loop, &tm_);                                                  \
		tm_.data = &expired_;                                                        \
		uv_timer_start(&tm_, timed_out, 5000, 0);                                    \
		while (!(cond) && !expired_)                                                 \
			uv_run(&loop, UV_RUN_ONCE);                                          \
		uv_close((uv_handle_t *)&tm_, NULL);                                         \
		uv_run(&loop, UV_RUN_NOWAIT);                                                \
		assert_false(expired_);                                                      \
	} while (0)

/* Spins the loop for ms milliseconds. */
static void spin(unsigned ms)
{
	uv_timer_t t;
	int done = 0;

	uv_timer_init(&loop, &t);
	t.data = &done;
	uv_timer_start(&t, timed_out, ms, 0);
	while (!done)
		uv_run(&loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(&loop, UV_RUN_NOWAIT);
}

static int group_setup(void **state)
{
	(void)state;

	tu_mkdtemp(dir, sizeof dir);
	return tu_pki_two_cas(dir);
}

static int group_teardown(void **state)
{
	(void)state;
	tu_rmrf(dir);
	return 0;
}

static int setup(void **state)
{
	struct sockaddr_in sa;
	struct sockaddr_storage ss;
	int len = sizeof ss;
	(void)state;

	assert_int_equal(uv_loop_init(&loop), 0);
	memset(&server_cfg, 0, sizeof server_cfg);
	accepted = NULL;
	uv_tcp_init(&loop, &server);
	uv_ip4_addr("127.0.0.1", 0, &sa);
	assert_int_equal(uv_tcp_bind(&server, (struct sockaddr *)&sa, 0), 0);
	assert_int_equal(uv_listen((uv_stream_t *)&server, 16, on_connection), 0);
	uv_tcp_getsockname(&server, (struct sockaddr *)&ss, &len);
	port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (accepted && !accepted->closed) {
		stream_close(&accepted->st, 0, NULL);
		RUN_UNTIL(accepted->closed);
	}
	free(accepted);
	accepted = NULL;
	uv_close((uv_handle_t *)&server, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	if (server_cfg.tls)
		tls_ctx_free(server_cfg.tls);
	assert_int_equal(uv_loop_close(&loop), 0);
	return 0;
}

/* A client stream to the server. */
static void dial(struct end *c, struct tls_ctx *tls)
{
	static uv_connect_t req;
	struct stream_config cfg = { .tls = tls, .peer_host = tls ? "127.0.0.1" : NULL };
	struct sockaddr_in sa;

	memset(c, 0, sizeof *c);
	assert_int_equal(stream_init(&c->st, &loop, &cfg, &ops, c), 0);
	uv_ip4_addr("127.0.0.1", port, &sa);
	req.data = c;
	assert_int_equal(uv_tcp_connect(&req, stream_handle(&c->st), (struct sockaddr *)&sa,
					on_connect), 0);
}

static void hangup(struct end *c)
{
	stream_close(&c->st, 0, NULL);
	RUN_UNTIL(c->closed);
}

/* A plain blocking socket connected to the server (a raw peer). */
static int raw_dial(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	RUN_UNTIL(accepted);
	return fd;
}

static void send_ack(struct end *e, uint64_t seq)
{
	struct buf f;

	buf_init(&f, 64);
	assert_int_equal(proto_encode_ack(&f, seq), 0);
	assert_int_equal(stream_send(&e->st, &f), 0);
}

static void both_ways(struct tls_ctx *client_tls)
{
	struct end c;

	dial(&c, client_tls);
	RUN_UNTIL(accepted && stream_established(&accepted->st) && stream_established(&c.st));
	if (client_tls) {
		assert_int_equal(c.established, 1);
		assert_non_null(stream_tls(&c.st));
		assert_true(tls_conn_peer_is(stream_tls(&accepted->st), "it01"));
	}
	send_ack(&c, 7);
	send_ack(accepted, 9);
	RUN_UNTIL(accepted->frames == 1 && c.frames == 1);
	assert_int_equal(accepted->last_ack, 7);
	assert_int_equal(c.last_ack, 9);
	hangup(&c);
	RUN_UNTIL(accepted->errors);
	assert_int_equal(accepted->kind, STREAM_HANGUP); /* no close_notify: a hang-up */
	RUN_UNTIL(accepted->closed);
}

static void test_plain_both_ways(void **state)
{
	(void)state;
	both_ways(NULL);
}

static void test_tls_both_ways(void **state)
{
	struct tls_ctx *ct = tu_tls_ctx(dir, "pki", "it01", false);
	(void)state;

	server_cfg.tls = tu_tls_ctx(dir, "pki", "127.0.0.1", true);
	both_ways(ct);
	tls_ctx_free(ct);
}

static void test_plain_before_handshake_refused(void **state)
{
	struct tls_ctx *ct = tu_tls_ctx(dir, "pki", "it01", false);
	struct end c;
	struct buf f;
	(void)state;

	server_cfg.tls = tu_tls_ctx(dir, "pki", "127.0.0.1", true);
	dial(&c, ct);
	RUN_UNTIL(accepted);
	/* nothing goes out before the handshake, and nothing in the clear */
	buf_init(&f, 64);
	assert_int_equal(proto_encode_ack(&f, 1), 0);
	assert_int_equal(stream_send(&accepted->st, &f), -ENOTCONN);
	RUN_UNTIL(c.established);
	hangup(&c);
	tls_ctx_free(ct);
}

static void test_byte_at_a_time(void **state)
{
	struct buf f;
	int fd;
	(void)state;

	fd = raw_dial();
	buf_init(&f, 64);
	assert_int_equal(proto_encode_ack(&f, 12345), 0);
	for (size_t i = 0; i < f.len; i++) {
		assert_int_equal(accepted->frames, 0);
		assert_int_equal(write(fd, f.data + i, 1), 1);
		spin(5);
	}
	RUN_UNTIL(accepted->frames == 1);
	assert_int_equal(accepted->last_ack, 12345);
	buf_release(&f);
	close(fd);
	RUN_UNTIL(accepted->closed);
	assert_int_equal(accepted->kind, STREAM_HANGUP);
}

static void test_many_in_one_read(void **state)
{
	struct buf f;
	int fd;
	(void)state;

	fd = raw_dial();
	buf_init(&f, 64 * 100);
	for (uint64_t i = 1; i <= 100; i++)
		assert_int_equal(proto_encode_ack(&f, i), 0);
	assert_int_equal(write(fd, f.data, f.len), (ssize_t)f.len);
	RUN_UNTIL(accepted->frames == 100);
	assert_int_equal(accepted->last_ack, 100);
	assert_int_equal(accepted->errors, 0);
	buf_release(&f);
	close(fd);
	RUN_UNTIL(accepted->closed);
}

/* Sends bytes on a raw socket; expects the stream to refuse with err and
 * answer ERROR(protocol) before closing. */
static void refused(const void *bytes, size_t n, int err)
{
	uint8_t back[512];
	struct sw_frame f;
	struct sw_error e;
	ssize_t got;
	int fd = raw_dial();

	assert_int_equal(write(fd, bytes, n), (ssize_t)n);
	RUN_UNTIL(accepted->closed);
	assert_int_equal(accepted->kind, STREAM_FRAME);
	assert_int_equal(accepted->err, err);
	assert_int_equal(accepted->frames, 0);
	got = read(fd, back, sizeof back);
	assert_true(got > 0);
	assert_true(proto_frame_parse(back, (size_t)got, &f) > 0);
	assert_int_equal(f.type, SW_MSG_ERROR);
	assert_int_equal(proto_decode_error(&f, &e), 0);
	assert_int_equal(e.code, SW_ERR_PROTOCOL);
	assert_int_equal(read(fd, back, sizeof back), 0); /* then closed */
	close(fd);
}

static void test_oversized_refused(void **state)
{
	uint8_t h[SW_FRAME_HEADER] = { 'S', 'W', 1, SW_MSG_SAMPLES };
	uint32_t len = htonl(SW_FRAME_MAX + 1);
	(void)state;

	memcpy(h + 4, &len, 4);
	refused(h, sizeof h, -EMSGSIZE);
}

static void test_garbage_refused(void **state)
{
	static const char get[] = "GET / HTTP/1.0\r\n\r\n";
	(void)state;

	refused(get, sizeof get - 1, -EPROTO);
}

static void test_smaller_max_frame(void **state)
{
	uint8_t big[SW_FRAME_HEADER + 2000] = { 'S', 'W', 1, SW_MSG_SAMPLES };
	uint32_t len = htonl(2000);
	(void)state;

	/* a stream that takes small frames only (the agent's) */
	server_cfg.max_frame = 1000;
	memcpy(big + 4, &len, 4);
	/* as much as the buffer holds (more would be reset, unread) */
	refused(big, SW_FRAME_HEADER + 1000, -ENOBUFS);
}

static void test_hangup_mid_handshake(void **state)
{
	int fd;
	(void)state;

	server_cfg.tls = tu_tls_ctx(dir, "pki", "127.0.0.1", true);
	fd = raw_dial();
	assert_int_equal(write(fd, "\x16\x03\x01", 3), 3); /* the start of a ClientHello */
	spin(10);
	close(fd);
	RUN_UNTIL(accepted->closed);
	assert_int_equal(accepted->errors, 1);
	assert_int_equal(accepted->kind, STREAM_HANGUP);
	assert_false(stream_established(&accepted->st));
}

static void test_other_ca_refused(void **state)
{
	struct tls_ctx *ct = tu_tls_ctx(dir, "other", "it01", false);
	struct end c;
	(void)state;

	server_cfg.tls = tu_tls_ctx(dir, "pki", "127.0.0.1", true);
	dial(&c, ct);
	RUN_UNTIL(accepted && accepted->closed);
	assert_int_equal(accepted->kind, STREAM_TLS);
	assert_int_equal(accepted->frames, 0);
	RUN_UNTIL(c.closed);
	assert_true(c.errors == 1);
	assert_int_equal(c.frames, 0);
	tls_ctx_free(ct);
}

static void test_write_queue_cap(void **state)
{
	int fd, refusedn = 0, sent = 0;
	(void)state;

	server_cfg.max_write_queue = 64 * 1024;
	fd = raw_dial();
	/* the peer never reads: the kernel's buffers fill, then our queue */
	for (int i = 0; i < 200 && !refusedn; i++) {
		struct buf f;
		uint8_t h[SW_FRAME_HEADER] = { 'S', 'W', 1, SW_MSG_SAMPLES };
		uint32_t len = htonl(256 * 1024);
		int err;

		memcpy(h + 4, &len, 4);
		buf_init(&f, SIZE_MAX);
		assert_int_equal(buf_append(&f, h, sizeof h), 0);
		assert_int_equal(buf_reserve(&f, 256 * 1024), 0);
		memset(f.data + f.len, 0, 256 * 1024);
		f.len += 256 * 1024;
		err = stream_send(&accepted->st, &f);
		if (err == -ENOBUFS)
			refusedn = 1;
		else
			assert_int_equal(err, 0), sent++;
		uv_run(&loop, UV_RUN_NOWAIT);
	}
	assert_true(refusedn);
	assert_true(sent >= 1);
	assert_true(stream_write_queue_size(&accepted->st) > 64 * 1024);
	/* a reloaded, larger cap lets the next frame through; the old one refuses again */
	{
		struct buf f;
		uint8_t h[SW_FRAME_HEADER] = { 'S', 'W', 1, SW_MSG_SAMPLES };

		stream_set_max_write_queue(&accepted->st, SIZE_MAX);
		buf_init(&f, 64);
		assert_int_equal(buf_append(&f, h, sizeof h), 0);
		assert_int_equal(stream_send(&accepted->st, &f), 0);
		stream_set_max_write_queue(&accepted->st, 64 * 1024);
		buf_init(&f, 64);
		assert_int_equal(buf_append(&f, h, sizeof h), 0);
		assert_int_equal(stream_send(&accepted->st, &f), -ENOBUFS);
	}
	/* the owner drops it */
	stream_close(&accepted->st, 0, NULL);
	RUN_UNTIL(accepted->closed);
	close(fd);
}

static void test_pause_resume(void **state)
{
	struct end c;
	(void)state;

	dial(&c, NULL);
	RUN_UNTIL(accepted && stream_established(&c.st));
	stream_pause(&accepted->st);
	assert_true(stream_paused(&accepted->st));
	send_ack(&c, 1);
	send_ack(&c, 2);
	spin(100);
	assert_int_equal(accepted->frames, 0);
	assert_int_equal(stream_resume(&accepted->st), 0);
	assert_false(stream_paused(&accepted->st));
	RUN_UNTIL(accepted->frames == 2);
	assert_int_equal(accepted->last_ack, 2);
	hangup(&c);
	RUN_UNTIL(accepted->closed);
}

static void error_at_close(struct tls_ctx *ct)
{
	struct end c;

	dial(&c, ct);
	RUN_UNTIL(accepted && stream_established(&c.st));
	accepted->close_code = SW_ERR_DENIED; /* answers the first frame with ERROR */
	send_ack(&c, 1);
	RUN_UNTIL(c.closed);
	assert_int_equal(c.frames, 1);
	assert_int_equal(c.types[0], SW_MSG_ERROR);
	assert_int_equal(c.error.code, SW_ERR_DENIED);
	assert_string_equal(c.error.text, "closing as told");
	assert_true(accepted->closed);
}

static void test_error_at_close_plain(void **state)
{
	(void)state;
	error_at_close(NULL);
}

static void test_error_at_close_tls(void **state)
{
	struct tls_ctx *ct = tu_tls_ctx(dir, "pki", "it01", false);
	(void)state;

	server_cfg.tls = tu_tls_ctx(dir, "pki", "127.0.0.1", true);
	error_at_close(ct);
	tls_ctx_free(ct);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_plain_both_ways),
		T(test_tls_both_ways),
		T(test_plain_before_handshake_refused),
		T(test_byte_at_a_time),
		T(test_many_in_one_read),
		T(test_oversized_refused),
		T(test_garbage_refused),
		T(test_smaller_max_frame),
		T(test_hangup_mid_handshake),
		T(test_other_ca_refused),
		T(test_write_queue_cap),
		T(test_pause_resume),
		T(test_error_at_close_plain),
		T(test_error_at_close_tls),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
