/* test_ingest.c - ingest against a real RRD writer: samples stored and
 * acknowledged on the connection they came on, a failed batch closing the
 * agent's connection from inside the writer's answer (the connection's
 * handle must outlive that), duplicates, and a reconnect while a batch of
 * the older connection is still with the writer. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "collector/net/ingest.h"
#include "collector/store/registry.h"
#include "collector/store/rrdstore.h"
#include "testutil.h"

/* One fake connection: what ingest told it. */
struct conn {
	struct ingest *ing;
	struct ingest_conn *handle;
	uint64_t last_ack;
	unsigned acks, batches_done, closes;
	uint16_t close_code;
	bool open;
};

static char dir[64];
static uv_loop_t loop;
static struct registry reg;
static struct collector_config cfg;
static struct rrdstore *rs;
static struct ingest ing;

static void on_ack(void *ud, uint64_t seq)
{
	struct conn *c = ud;
	c->last_ack = seq;
	c->acks++;
}

static unsigned delacks;

static void on_delack(void *ud, uint64_t id)
{
	(void)ud;
	(void)id;
	delacks++;
}

/* As the session does: a close hands the handle back at once. */
static void on_close(void *ud, uint16_t code, const char *why)
{
	struct conn *c = ud;
	(void)why;
	assert_true(c->open);
	c->open = false;
	c->closes++;
	c->close_code = code;
	ingest_conn_gone(c->ing, c->handle);
	c->handle = NULL;
}

static void on_batch_done(void *ud)
{
	struct conn *c = ud;
	c->batches_done++;
}

static void on_resume(void *ud)
{
	(void)ud;
}

static const struct ingest_conn_ops ops = {
	.send_ack = on_ack,
	.send_delack = on_delack,
	.close = on_close,
	.batch_done = on_batch_done,
	.resume = on_resume,
};

static void start(const char *data_dir)
{
	const struct rrdstore_config rc = { .data_dir = data_dir, .threads = 1 };

	memset(&cfg, 0, sizeof cfg);
	snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", data_dir);
	cfg.rrd_threads = 1;
	uv_loop_init(&loop);
	registry_init(&reg);
	assert_int_equal(rrdstore_start(&rs, &loop, &rc), 0);
	assert_int_equal(ingest_init(&ing, &loop, &cfg, &reg, NULL, rs), 0);
}

static void stop(void)
{
	rrdstore_stop(rs); /* hands the last batches back to ingest */
	ingest_release(&ing);
	registry_release(&reg);
	uv_run(&loop, UV_RUN_DEFAULT); /* the writer's handle closes */
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void hello(struct conn *c, const char *agent)
{
	struct sw_hello h;
	struct agent_rec *a;
	uint64_t ack;

	memset(&h, 0, sizeof h);
	snprintf(h.agent, sizeof h.agent, "%s", agent);
	h.interval = 60;
	memset(c, 0, sizeof *c);
	c->ing = &ing;
	c->open = true;
	assert_int_equal(ingest_hello(&ing, &h, &ops, c, "127.0.0.1:1", &c->handle, &a, &ack), 0);
}

static struct sw_sample sample(uint64_t seq)
{
	struct sw_sample s;

	memset(&s, 0, sizeof s);
	s.seq = seq;
	s.time = 1800000000 + 60 * (int64_t)seq;
	snprintf(s.store, sizeof s.store, "bodycam");
	s.status = SW_SCAN_COMPLETE;
	s.bytes = 1000000;
	s.objects = 100;
	return s;
}

/* Runs the loop until the writer has nothing pending. */
static void drain(void)
{
	for (int i = 0; i < 5000 && ingest_pending(&ing); i++)
		uv_run(&loop, UV_RUN_ONCE);
	assert_int_equal(ingest_pending(&ing), 0);
}

static int setup(void **state)
{
	(void)state;
	tu_mkdtemp(dir, sizeof dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_rmrf(dir);
	return 0;
}

static void test_stored_and_acknowledged(void **state)
{
	struct conn c;
	struct sw_sample x[3] = { sample(1), sample(2), sample(3) };
	(void)state;

	start(dir);
	hello(&c, "evsrv01");
	assert_int_equal(ingest_samples(&ing, c.handle, x, 3), 1);
	drain();
	assert_int_equal(c.batches_done, 1);
	assert_int_equal(c.last_ack, 3);
	assert_int_equal(ing.stats.samples_stored, 3);
	/* the same seqs again: duplicates, acknowledged without a batch */
	assert_int_equal(ingest_samples(&ing, c.handle, x, 3), 0);
	assert_int_equal(ing.stats.samples_duplicate, 3);
	assert_int_equal(c.last_ack, 3);
	on_close(&c, 0, NULL);
	stop();
}

/* The writer cannot create the agent's directory (data_dir/rrd is a file):
 * the batch fails, ingest closes the connection from inside its answer, and
 * the handle stays valid until that answer is finished (ASan checks). */
static void test_failed_batch_closes_its_own_connection(void **state)
{
	struct conn c;
	struct sw_sample x[2] = { sample(1), sample(2) };
	char path[128];
	FILE *f;
	(void)state;

	snprintf(path, sizeof path, "%s/rrd", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	start(dir);
	hello(&c, "evsrv01");
	assert_int_equal(ingest_samples(&ing, c.handle, x, 2), 1);
	drain();
	assert_int_equal(c.closes, 1);
	assert_int_equal(c.close_code, SW_ERR_INTERNAL);
	assert_int_equal(c.acks, 0);
	assert_int_equal(ing.stats.batches_failed, 1);
	/* the samples count as not accepted: a reconnect sends them again */
	assert_int_equal(registry_agent(&reg, "evsrv01", 0)->seq_accepted, 0);
	stop();
}

/* The agent reconnects while a batch of its older connection is with the
 * writer: the older connection is closed at HELLO, its batch comes back
 * later, and the acknowledgement goes to the new connection. */
static void test_reconnect_with_a_batch_in_flight(void **state)
{
	struct conn old, cur;
	struct sw_sample x[2] = { sample(1), sample(2) };
	(void)state;

	start(dir);
	hello(&old, "evsrv01");
	assert_int_equal(ingest_samples(&ing, old.handle, x, 2), 1);
	hello(&cur, "evsrv01");
	assert_int_equal(old.closes, 1);
	assert_true(cur.open);
	drain();
	assert_int_equal(old.acks, 0);
	assert_int_equal(old.batches_done, 0);
	assert_int_equal(cur.last_ack, 2);
	on_close(&cur, 0, NULL);
	stop();
}

static int ledger_full(void *ctx, struct agent_rec *a, const struct sw_deletion *d, size_t n)
{
	(void)ctx;
	(void)a;
	(void)d;
	(void)n;
	return -ENOSPC;
}

/* The ledger cannot take deletion reports (a full data_dir): they are not
 * acknowledged, but the connection stays, so the samples behind them still
 * reach the RRD and the detector (it used to close, and with a deletion
 * watch on no sample arrived while the disk was full). */
static void test_unstored_reports_keep_the_link(void **state)
{
	struct conn c;
	struct sw_deletion d;
	struct sw_sample x[1] = { sample(1) };
	(void)state;

	memset(&d, 0, sizeof d);
	d.id = 7;
	snprintf(d.store, sizeof d.store, "bodycam");
	start(dir);
	ingest_on_deletions(&ing, ledger_full, NULL);
	hello(&c, "evsrv01");
	delacks = 0;
	assert_int_equal(ingest_deletions(&ing, c.handle, &d, 1), -ENOSPC);
	assert_int_equal(c.closes, 0);
	assert_true(c.open);
	assert_int_equal(delacks, 0);
	assert_int_equal(ing.stats.reports_unstored, 1);
	assert_int_equal(ingest_samples(&ing, c.handle, x, 1), 1);
	drain();
	assert_int_equal(c.last_ack, 1);
	on_close(&c, 0, NULL);
	stop();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stored_and_acknowledged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_batch_closes_its_own_connection, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reconnect_with_a_batch_in_flight, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unstored_reports_keep_the_link, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
