/*
 * test_ship.c - the shipper (agent/ship.h) against a scripted collector on
 * 127.0.0.1 (plaintext, a thread with blocking sockets): a collector whose
 * ledger refuses a DELETIONS frame keeps the link and acknowledges every
 * sample (collector/net/ingest.c); the agent must send the unacknowledged
 * reports again once their own deadline passes, though the samples' ACKs
 * keep the connection busy (they used to restart the only deadline, so the
 * reports never went again on that link).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "agent/delqueue.h"
#include "agent/ship.h"
#include "agent/spool.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/proto.h"
#include "testutil.h"

/* What the scripted collector saw; written by its thread, read by the test
 * after the join (and polled through done). */
struct script {
	int lfd;
	volatile int done;       /* the script finished (or failed) */
	int failed;              /* why, as a line number in serve() */
	unsigned deletions;      /* DELETIONS frames received */
	uint64_t first_ids[4];   /* the first report id of each */
	uint64_t last_ids[4];    /* the last */
	unsigned acks_between;   /* sample ACKs sent between the first and second DELETIONS */
	unsigned samples_frames; /* SAMPLES frames received */
};

static int send_all(int fd, const struct buf *b)
{
	size_t done = 0;

	while (done < b->len) {
		ssize_t w = write(fd, b->data + done, b->len - done);

		if (w <= 0)
			return -1;
		done += (size_t)w;
	}
	return 0;
}

static int send_ack(int fd, uint64_t seq, int delack)
{
	struct buf b;
	int rc;

	buf_init(&b, 64);
	rc = delack ? proto_encode_delack(&b, seq) : proto_encode_ack(&b, seq);
	rc = rc ? rc : send_all(fd, &b);
	buf_release(&b);
	return rc;
}

#define FAIL_AT(s) ((s)->failed = __LINE__)

/* HELLO -> ACK 0; every SAMPLES -> ACK of its last seq; the first DELETIONS
 * gets no DELACK (a refusing ledger), the second (the same reports again)
 * gets one; done after two more sample ACKs. */
static void serve(struct script *s, int fd)
{
	static struct sw_sample samples[SHIP_BATCH];
	static struct sw_deletion dels[SW_DELETIONS_MAX];
	static uint8_t in[2 * SW_FRAME_MAX];
	size_t have = 0;
	unsigned after = 0; /* sample ACKs after the DELACK */

	for (;;) {
		struct sw_frame f;
		long used;
		size_t n;
		ssize_t r;

		while ((used = proto_frame_parse(in, have, &f)) == 0) {
			if (have == sizeof in) {
				FAIL_AT(s);
				return;
			}
			r = read(fd, in + have, sizeof in - have);
			if (r <= 0) {
				FAIL_AT(s);
				return;
			}
			have += (size_t)r;
		}
		if (used < 0) {
			FAIL_AT(s);
			return;
		}
		switch (f.type) {
		case SW_MSG_HELLO:
			if (send_ack(fd, 0, 0))
				FAIL_AT(s);
			break;
		case SW_MSG_SAMPLES:
			if (proto_decode_samples(&f, samples, SHIP_BATCH, &n) || !n ||
			    send_ack(fd, samples[n - 1].seq, 0)) {
				FAIL_AT(s);
				return;
			}
			s->samples_frames++;
			if (s->deletions == 1)
				s->acks_between++;
			if (s->deletions == 2 && ++after == 2)
				return;
			break;
		case SW_MSG_DELETIONS:
			if (proto_decode_deletions(&f, dels, SW_DELETIONS_MAX, &n) || !n ||
			    s->deletions == 4) {
				FAIL_AT(s);
				return;
			}
			s->first_ids[s->deletions] = dels[0].id;
			s->last_ids[s->deletions] = dels[n - 1].id;
			/* the first is refused (kept from the DELACK), the next stored */
			if (++s->deletions >= 2 && send_ack(fd, dels[n - 1].id, 1)) {
				FAIL_AT(s);
				return;
			}
			break;
		default:
			FAIL_AT(s);
			return;
		}
		memmove(in, in + used, have - (size_t)used);
		have -= (size_t)used;
	}
}

static void *script_main(void *arg)
{
	struct script *s = arg;
	int fd = accept(s->lfd, NULL, NULL);

	if (fd < 0) {
		FAIL_AT(s);
	} else {
		serve(s, fd);
		close(fd);
	}
	s->done = 1;
	return NULL;
}

/* The agent's side: a sample every tick (as the scan rounds make them),
 * handed to the shipper; the loop stops once the script is done or the
 * test's deadline passed. */
struct agent_side {
	struct shipper *sh;
	struct spool *sp;
	struct script *s;
	uint64_t seq;
	uint64_t started;
	int timed_out;
	uv_timer_t tick;
};

static void tick(uv_timer_t *t)
{
	struct agent_side *a = t->data;
	struct sw_sample x;

	if (a->s->done || uv_now(t->loop) - a->started > 10000) {
		a->timed_out = !a->s->done;
		uv_timer_stop(t);
		uv_close((uv_handle_t *)t, NULL);
		shipper_stop(a->sh);
		return;
	}
	memset(&x, 0, sizeof x);
	x.seq = ++a->seq;
	x.time = 1700000000 + (int64_t)a->seq;
	snprintf(x.store, sizeof x.store, "cam");
	x.objects = 100;
	x.bytes = 1000;
	x.status = SW_SCAN_COMPLETE;
	assert_int_equal(spool_append(a->sp, &x, 1), 0);
	shipper_kick(a->sh);
}

static int listen_local(uint16_t *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

static void test_refused_deletions_sent_again_while_samples_flow(void **state)
{
	static struct shipper sh;
	struct sw_hello hello = { .interval = 1, .instance_id = 7 };
	struct script s;
	struct agent_side a;
	struct delqueue q;
	struct spool sp;
	char dir[256];
	pthread_t th;
	uv_loop_t loop;
	uint16_t port;
	uint64_t ids[3];
	(void)state;

	memset(&s, 0, sizeof s);
	memset(&a, 0, sizeof a);
	snprintf(dir, sizeof dir, "%s/spool", tu_dir);
	assert_int_equal(spool_open(&sp, dir, SPOOL_FSYNC_NEVER, 1 << 20, 1), 0);
	assert_int_equal(delqueue_init(&q, 64, 1), 0);
	for (int i = 0; i < 3; i++) {
		struct sw_deletion d;

		memset(&d, 0, sizeof d);
		snprintf(d.store, sizeof d.store, "cam");
		d.first = d.last = 1700000000 + i;
		d.files = 1;
		snprintf(d.dir, sizeof d.dir, "case%d", i);
		d.pid = 100 + (uint32_t)i;
		d.uid = 0;
		snprintf(d.exe, sizeof d.exe, "/bin/rm");
		delqueue_push(&q, &d);
		ids[i] = d.id;
	}
	s.lfd = listen_local(&port);
	assert_int_equal(pthread_create(&th, NULL, script_main, &s), 0);

	assert_int_equal(uv_loop_init(&loop), 0);
	snprintf(hello.agent, sizeof hello.agent, "evsrv01");
	snprintf(hello.software, sizeof hello.software, "test_ship");
	assert_int_equal(shipper_init(&sh, &loop, "127.0.0.1", port, &hello, &sp, 0, NULL), 0);
	sh.delq = &q;
	/* the samples tick every 50 ms, so their ACKs (every one restarts the
	 * link's ack deadline) keep coming long past this */
	sh.delack_timeout_ms = 400;
	a.sh = &sh;
	a.sp = &sp;
	a.s = &s;
	a.started = uv_now(&loop);
	uv_timer_init(&loop, &a.tick);
	a.tick.data = &a;
	uv_timer_start(&a.tick, tick, 50, 50);
	shipper_start(&sh);
	uv_run(&loop, UV_RUN_DEFAULT);

	if (!s.done) /* the deadline passed first: unblock the script's accept or read */
		shutdown(s.lfd, SHUT_RDWR);
	pthread_join(th, NULL);
	close(s.lfd);
	assert_int_equal(s.failed, 0);
	assert_false(a.timed_out);
	/* the refused frame, then the same reports again on the same link, after
	 * samples were acknowledged in between */
	assert_int_equal(s.deletions, 2);
	assert_int_equal(s.first_ids[0], ids[0]);
	assert_int_equal(s.last_ids[0], ids[2]);
	assert_int_equal(s.first_ids[1], ids[0]);
	assert_int_equal(s.last_ids[1], ids[2]);
	assert_true(s.acks_between >= 2);
	/* the second was acknowledged: nothing waits any more */
	assert_int_equal(delqueue_acked(&q, 0), ids[2]);
	assert_int_equal(uv_loop_close(&loop), 0);
	delqueue_release(&q);
	spool_close(&sp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_refused_deletions_sent_again_while_samples_flow,
						tu_setup_dir, tu_teardown_dir),
	};

	log_force_stderr(true);
	log_set_level(LOG_WARNING);
	return cmocka_run_group_tests_name("ship", tests, NULL, NULL);
}
