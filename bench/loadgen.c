/*
 * loadgen.c - plays many shrinkwatch agents against a collector, or the same
 * load against collectd, and counts what was stored.
 *
 *   loadgen sw --port P [load options] [--window N] [--tls DIR]
 *       N agents x M stores over the real protocol (HELLO, SAMPLES, ACK) on
 *       127.0.0.1, one connection per agent, all in one libuv loop, in the
 *       clear or (--tls) over mutual TLS with each agent's own certificate
 *       (lib/stream.c, the transport the agent's shipper uses).  Each agent
 *       keeps at most --window SAMPLES frames unacknowledged (the protocol says
 *       4; more plays a misbehaving agent, to show the collector's
 *       backpressure).  The first frame of every agent creates its RRD files;
 *       the clock starts once every agent has that frame acknowledged, so the
 *       figure is the steady state of updating existing files.  Prints samples
 *       per second acknowledged and the ack latency percentiles.
 *   loadgen collectd --port P [load options] [--rate R]
 *       the same samples as collectd value lists over UDP (lg_collectd_send).
 *   loadgen librrd --data-dir D [load options] [--threads T]
 *       the ceiling: the same samples written straight into RRD files with
 *       librrd (lg_librrd_run), no network and no sync.
 *   loadgen verify-sw --data-dir D [load options]
 *   loadgen verify-collectd --data-dir D [load options]
 *       counts rows stored in the RRD files (and, for sw, compares every
 *       agent's agent.seq with the last seq sent): zero loss means every row.
 *
 * Results go to stdout as key=value lines for bench/ingest.sh to tabulate.
 */
#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "loadgen.h"
#include "shrinkwatch/buf.h"
#include "shrinkwatch/proto.h"
#include "shrinkwatch/stream.h"
#include "shrinkwatch/tls.h"

#define LG_MAX_WINDOW 1024
#define LG_CONNECTING_MAX 128
/* The most one read buffer holds: the collector only sends ACK and ERROR,
 * both small, so 4 KB per agent (as many reads at once as before the port to
 * lib/stream.c) keeps 2,000 agents' buffers small. */
#define LG_RECV_MAX 4096

struct lg_frame {
	uint64_t last_seq;
	uint64_t sent_ns;
	int measured;
};

struct lg_agent {
	struct lg *lg;
	unsigned idx;
	char name[SW_NAME_MAX + 1];
	struct stream st; /* the framed (TLS) link, lib/stream.c */
	uv_connect_t creq;
	unsigned next_round;  /* first round not yet sent */
	uint64_t acked;       /* highest seq acknowledged */
	struct lg_frame *win; /* ring of frames in flight */
	unsigned whead, wcount;
	int hello_acked, warm, done;
	struct tls_ctx *tctx; /* this agent's certificate (--tls) */
};

struct lg {
	uv_loop_t *loop;
	struct lg_load load;
	unsigned port, per_frame, window;
	const char *tls_dir;     /* --tls: ca.crt and <agent>.crt/.key */
	const char *server_name; /* what the collector's certificate names */
	double tls_setup_s;
	struct lg_agent *agents;
	unsigned next_connect, connecting, warm, done;
	unsigned open; /* streams initialised and not yet closed */
	unsigned round_limit; /* rounds an agent may send now (warm-up: per_frame) */
	uint64_t t_begin_ns, t_warm_ns, t_end_ns;
	uint32_t *lat_us; /* latency of every measured frame */
	size_t nlat, lat_cap;
	uint64_t samples_acked_measured;
	int failed;
};

static void pump(struct lg_agent *a);
static void connect_more(struct lg *lg);

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "loadgen: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(1);
}

/* Ends the run as failed: the loop stops and the agent reads no more. */
static void agent_failed(struct lg_agent *a, const char *what)
{
	fprintf(stderr, "loadgen: agent '%s': %s\n", a->name, what);
	a->lg->failed = 1;
	uv_stop(a->lg->loop);
	stream_close(&a->st, 0, NULL);
}

/* Sends one frame (encrypted with --tls); takes ownership of frame.  0, or
 * -1 after the run was failed. */
static int send_frame(struct lg_agent *a, struct buf *frame)
{
	int err = stream_send(&a->st, frame);
	char why[128];

	if (!err)
		return 0;
	snprintf(why, sizeof why, "cannot send: %s", strerror(-err));
	agent_failed(a, why);
	return -1;
}

static void send_hello(struct lg_agent *a)
{
	struct sw_hello h = { .instance_id = 0x5eed0000u + a->idx,
			      .interval = a->lg->load.interval };
	struct buf f;

	snprintf(h.agent, sizeof h.agent, "%s", a->name);
	snprintf(h.software, sizeof h.software, "shrinkwatch-loadgen");
	buf_init(&f, 4096);
	if (proto_encode_hello(&f, &h))
		die("%s", "cannot encode HELLO");
	send_frame(a, &f);
}

/* Sends frames while the window and the round limit allow. */
static void pump(struct lg_agent *a)
{
	struct lg *lg = a->lg;
	static struct sw_sample batch[SW_SAMPLES_MAX];

	while (a->hello_acked && !stream_closing(&a->st) && a->wcount < lg->window &&
	       a->next_round < lg->round_limit) {
		unsigned r0 = a->next_round, r1 = r0 + lg->per_frame;
		size_t n = 0;
		struct lg_frame *fr;
		struct buf f;

		if (r1 > lg->round_limit)
			r1 = lg->round_limit;
		for (unsigned r = r0; r < r1; r++)
			for (unsigned s = 0; s < lg->load.stores; s++)
				lg_sample(&lg->load, s, r, &batch[n++]);
		buf_init(&f, SW_FRAME_HEADER + SW_FRAME_MAX);
		if (proto_encode_samples(&f, batch, n))
			die("%s", "cannot encode SAMPLES (frame too large: lower --per-frame)");
		fr = &a->win[(a->whead + a->wcount) % lg->window];
		fr->last_seq = batch[n - 1].seq;
		fr->sent_ns = lg_now_ns();
		fr->measured = lg->t_warm_ns != 0;
		a->wcount++;
		a->next_round = r1;
		if (send_frame(a, &f))
			return;
	}
}

static void all_warm(struct lg *lg)
{
	lg->t_warm_ns = lg_now_ns();
	lg->round_limit = lg->load.rounds;
	fprintf(stderr, "loadgen: %u agents connected and their files created in %.1f s; "
		"measuring\n", lg->load.agents, (double)(lg->t_warm_ns - lg->t_begin_ns) / 1e9);
	for (unsigned i = 0; i < lg->load.agents; i++)
		pump(&lg->agents[i]);
}

static void record_latency(struct lg *lg, uint64_t ns)
{
	if (lg->nlat == lg->lat_cap) {
		size_t cap = lg->lat_cap ? lg->lat_cap * 2 : 65536;
		uint32_t *p = realloc(lg->lat_us, cap * sizeof *p);
		if (!p)
			die("%s", "out of memory");
		lg->lat_us = p;
		lg->lat_cap = cap;
	}
	lg->lat_us[lg->nlat++] = (uint32_t)(ns / 1000 > UINT32_MAX ? UINT32_MAX : ns / 1000);
}

/* Closes the stream of every agent that has one (those connect_more() reached);
 * uv_run() returns once they are all closed. */
static void close_all(struct lg *lg)
{
	for (unsigned i = 0; i < lg->next_connect; i++)
		stream_close(&lg->agents[i].st, 0, NULL);
}

static void handle_ack(struct lg_agent *a, uint64_t seq)
{
	struct lg *lg = a->lg;
	uint64_t total = (uint64_t)lg->load.rounds * lg->load.stores;
	uint64_t now = lg_now_ns();

	if (!a->hello_acked) {
		a->hello_acked = 1;
		if (seq) {
			/* a data dir with earlier data: go on from there */
			a->next_round = (unsigned)(seq / lg->load.stores);
			fprintf(stderr, "loadgen: agent '%s' already stored up to seq %" PRIu64 "\n",
				a->name, seq);
		}
		a->acked = seq;
		pump(a);
		return;
	}
	if (seq <= a->acked)
		return;
	while (a->wcount && a->win[a->whead].last_seq <= seq) {
		struct lg_frame *fr = &a->win[a->whead];
		if (fr->measured) {
			record_latency(lg, now - fr->sent_ns);
			lg->samples_acked_measured += fr->last_seq - a->acked;
		}
		a->acked = fr->last_seq;
		a->whead = (a->whead + 1) % lg->window;
		a->wcount--;
	}
	a->acked = seq;
	if (!a->warm && seq >= (uint64_t)lg->per_frame * lg->load.stores) {
		a->warm = 1;
		if (++lg->warm == lg->load.agents)
			all_warm(lg);
	}
	if (!a->done && seq >= total) {
		a->done = 1;
		if (++lg->done == lg->load.agents) {
			/* every stream, this one too, delivers nothing more */
			lg->t_end_ns = now;
			close_all(lg);
			return;
		}
	}
	pump(a);
}

/* A whole frame from the collector: ACK drives the window, ERROR ends the run. */
static void on_frame(void *ud, const struct sw_frame *f)
{
	struct lg_agent *a = ud;
	struct sw_error e;
	uint64_t seq;
	char why[SW_TEXT_MAX + 64];

	if (f->type == SW_MSG_ACK && proto_decode_ack(f, &seq) == 0) {
		handle_ack(a, seq);
	} else if (f->type == SW_MSG_ERROR && proto_decode_error(f, &e) == 0) {
		snprintf(why, sizeof why, "collector says: %s (code %u)", e.text, e.code);
		agent_failed(a, why);
	}
}

/* The TLS handshake completed: say HELLO. */
static void on_established(void *ud)
{
	send_hello(ud);
}

/* The link failed.  Once an agent is done the collector may close it first:
 * that is the end of the run, not a failure. */
static void on_error(void *ud, enum stream_fail kind, int err, const char *why)
{
	struct lg_agent *a = ud;
	char what[512];
	(void)err;

	if (a->done)
		return;
	if (kind == STREAM_TLS) {
		agent_failed(a, why); /* OpenSSL's words say it is TLS */
		return;
	}
	snprintf(what, sizeof what, "%s: %s",
		 kind == STREAM_FRAME ? "collector sent garbage" : "connection lost", why);
	agent_failed(a, what);
}

static void on_closed(void *ud)
{
	struct lg_agent *a = ud;

	a->lg->open--;
}

static const struct stream_ops lg_stream_ops = {
	.on_frame = on_frame,
	.on_established = on_established,
	.on_error = on_error,
	.on_closed = on_closed,
};

static void on_connect(uv_connect_t *req, int status)
{
	struct lg_agent *a = req->data;
	struct lg *lg = a->lg;
	struct tls_conn *tls = stream_tls(&a->st);
	char why[1024];
	int err;

	lg->connecting--;
	if (lg->failed)
		return; /* the run is over: run_sw() closes every stream */
	if (status) {
		snprintf(why, sizeof why, "cannot connect: %s", uv_strerror(status));
		agent_failed(a, why);
		return;
	}
	err = stream_start(&a->st); /* with --tls: the first handshake flight */
	if (err) {
		snprintf(why, sizeof why, "cannot start the connection: %s",
			 tls && tls->error[0] ? tls->error : uv_strerror(err));
		agent_failed(a, why);
		return;
	}
	if (!tls)
		send_hello(a);
	connect_more(lg);
}

/* Connects agents a few hundred at a time, so the listen backlog holds. */
static void connect_more(struct lg *lg)
{
	struct sockaddr_in sa;

	uv_ip4_addr("127.0.0.1", (int)lg->port, &sa);
	while (lg->connecting < LG_CONNECTING_MAX && lg->next_connect < lg->load.agents) {
		struct lg_agent *a = &lg->agents[lg->next_connect++];
		struct stream_config sc = {
			.tls = a->tctx,
			.peer_host = a->tctx ? lg->server_name : NULL,
			.max_frame = LG_RECV_MAX - SW_FRAME_HEADER,
		};
		int err;

		err = stream_init(&a->st, lg->loop, &sc, &lg_stream_ops, a);
		if (err)
			die("cannot start a connection: %s", err == -EINVAL ?
			    "TLS refused the server name" : uv_strerror(err));
		lg->open++;
		a->creq.data = a;
		err = uv_tcp_connect(&a->creq, stream_handle(&a->st),
				     (const struct sockaddr *)&sa, on_connect);
		if (err)
			die("connect: %s", uv_strerror(err));
		lg->connecting++;
	}
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return a < b ? -1 : a > b;
}

static double pct(const struct lg *lg, double p)
{
	size_t i;

	if (!lg->nlat)
		return 0;
	i = (size_t)(p / 100.0 * (double)(lg->nlat - 1) + 0.5);
	return lg->lat_us[i] / 1000.0;
}

/*
 * --tls DIR: every agent presents its own certificate, DIR/<agent>.crt and
 * .key, as `shrinkwatchctl pki issue <agent>` makes them (the collector
 * refuses a HELLO whose name the certificate does not carry), and checks
 * the collector's against DIR/ca.crt.  One client context per agent.
 */
static void load_certs(struct lg *lg)
{
	uint64_t t0 = lg_now_ns();

	for (unsigned i = 0; i < lg->load.agents; i++) {
		struct lg_agent *a = &lg->agents[i];
		struct tls_config c;
		char err[512];

		tls_config_init(&c);
		snprintf(c.ca, sizeof c.ca, "%s/ca.crt", lg->tls_dir);
		snprintf(c.cert, sizeof c.cert, "%s/%s.crt", lg->tls_dir, a->name);
		snprintf(c.key, sizeof c.key, "%s/%s.key", lg->tls_dir, a->name);
		if (tls_ctx_new(&a->tctx, &c, false, err, sizeof err))
			die("%s", err);
	}
	lg->tls_setup_s = (double)(lg_now_ns() - t0) / 1e9;
}

static int run_sw(struct lg *lg)
{
	double secs;
	int rc = 0;

	lg->loop = uv_default_loop();
	lg->agents = calloc(lg->load.agents, sizeof *lg->agents);
	if (!lg->agents)
		die("%s", "out of memory");
	for (unsigned i = 0; i < lg->load.agents; i++) {
		struct lg_agent *a = &lg->agents[i];
		a->lg = lg;
		a->idx = i;
		lg_agent_name(&lg->load, i, a->name, sizeof a->name);
		a->win = calloc(lg->window, sizeof *a->win);
		if (!a->win)
			die("%s", "out of memory");
	}
	if (lg->tls_dir)
		load_certs(lg);
	lg->round_limit = lg->per_frame < lg->load.rounds ? lg->per_frame : lg->load.rounds;
	lg->t_begin_ns = lg_now_ns();
	connect_more(lg);
	uv_run(lg->loop, UV_RUN_DEFAULT);
	if (lg->failed || lg->done != lg->load.agents) {
		fprintf(stderr, "loadgen: run failed (%u of %u agents done)\n", lg->done,
			lg->load.agents);
		/* uv_stop() left streams open: close them all and let them go */
		close_all(lg);
		uv_run(lg->loop, UV_RUN_DEFAULT);
		rc = 1;
		goto out;
	}
	qsort(lg->lat_us, lg->nlat, sizeof *lg->lat_us, cmp_u32);
	secs = (double)(lg->t_end_ns - lg->t_warm_ns) / 1e9;
	printf("t0=%" PRId64 "\n", lg->load.t0);
	printf("tls=%s\ntls_setup_s=%.2f\n", lg->tls_dir ? "yes" : "no", lg->tls_setup_s);
	printf("mode=sw\nagents=%u\nstores=%u\nrounds=%u\nper_frame=%u\nwindow=%u\n",
	       lg->load.agents, lg->load.stores, lg->load.rounds, lg->per_frame, lg->window);
	printf("warmup_s=%.2f\n", (double)(lg->t_warm_ns - lg->t_begin_ns) / 1e9);
	printf("samples_measured=%" PRIu64 "\nmeasure_s=%.3f\nrate=%.0f\n",
	       lg->samples_acked_measured, secs, (double)lg->samples_acked_measured / secs);
	printf("frames=%zu\nlat_p50_ms=%.2f\nlat_p99_ms=%.2f\nlat_max_ms=%.2f\n", lg->nlat,
	       pct(lg, 50), pct(lg, 99), pct(lg, 100));
out:
	/* uv_run returned: every stream is closed and released what it held */
	assert(lg->open == 0);
	for (unsigned i = 0; i < lg->load.agents; i++) {
		if (lg->agents[i].tctx)
			tls_ctx_free(lg->agents[i].tctx);
		free(lg->agents[i].win);
	}
	free(lg->agents);
	free(lg->lat_us);
	uv_loop_close(lg->loop);
	return rc;
}

/* verify-sw: every agent.seq says the last seq, every file holds every row. */
static int verify_sw(const struct lg_load *l, const char *data_dir)
{
	uint64_t stored = 0, missing = 0, bad_seq = 0;
	uint64_t want = (uint64_t)l->agents * l->stores * (l->rounds - 1); /* rows 1.. */
	uint64_t last = (uint64_t)l->rounds * l->stores;
	int err;

	for (unsigned a = 0; a < l->agents; a++) {
		char name[SW_NAME_MAX + 1], path[4200];
		unsigned long long v = 0;
		FILE *f;

		lg_agent_name(l, a, name, sizeof name);
		snprintf(path, sizeof path, "%s/rrd/%s/agent.seq", data_dir, name);
		f = fopen(path, "re");
		if (!f || fscanf(f, "%llu", &v) != 1 || v != last) {
			if (bad_seq++ < 5)
				fprintf(stderr, "loadgen: '%s' says %llu, expected %" PRIu64 "\n",
					path, v, last);
		}
		if (f)
			fclose(f);
	}
	err = lg_verify_rrd(l, data_dir, "%s/rrd/%s/%s.rrd", &stored, &missing);
	if (err)
		return 1;
	printf("verify=sw\nexpected=%" PRIu64 "\nstored=%" PRIu64 "\nlost=%" PRIu64
	       "\nfiles_missing=%" PRIu64 "\nagent_seq_wrong=%" PRIu64 "\n",
	       want, stored, want - stored, missing, bad_seq);
	return stored == want && !bad_seq ? 0 : 2;
}

static int verify_collectd(const struct lg_load *l, const char *data_dir)
{
	uint64_t stored = 0, missing = 0;
	uint64_t want = (uint64_t)l->agents * l->stores * (l->rounds - 1); /* rows 1.. */

	if (lg_verify_rrd(l, data_dir, "%s/%s/shrinkwatch-%s/shrinkwatch.rrd", &stored,
			  &missing))
		return 1;
	printf("verify=collectd\nexpected=%" PRIu64 "\nstored=%" PRIu64 "\nlost=%" PRIu64
	       "\nfiles_missing=%" PRIu64 "\n",
	       want, stored, want - stored, missing);
	return 0; /* loss is a result here, not a failure */
}

static void usage(void)
{
	fprintf(stderr,
		"Usage: loadgen sw|collectd|librrd|verify-sw|verify-collectd [options]\n"
		"  --port P        collector (sw) or collectd (UDP) port on 127.0.0.1\n"
		"  --data-dir D    where to count stored rows (verify-*)\n"
		"  --agents N      agents (default 2000)\n"
		"  --stores M      stores per agent (default 5)\n"
		"  --rounds R      scans per store (default 600)\n"
		"  --interval S    seconds between scans = RRD step (default 300)\n"
		"  --per-frame K   scans per SAMPLES frame (default 12)\n"
		"  --window W      frames in flight per agent (default 4, the protocol's)\n"
		"  --rate X        collectd: samples per second to offer (default 0 = max)\n"
		"  --threads T     librrd: writer threads (default 2)\n"
		"  --prefix P      agent name prefix (default lg)\n"
		"  --tls DIR       sw: mutual TLS with DIR/ca.crt and DIR/<agent>.crt/.key\n"
		"                  (shrinkwatchctl pki); default plaintext\n"
		"  --server-name H sw: name the collector's certificate carries (127.0.0.1)\n"
		"  --t0 T          time of scan 0 (default: now - rounds x interval; give\n"
		"                  verify-* the t0= that the sending run printed)\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "data-dir", required_argument, NULL, 'd' },
		{ "agents", required_argument, NULL, 'a' },
		{ "stores", required_argument, NULL, 's' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "interval", required_argument, NULL, 'i' },
		{ "per-frame", required_argument, NULL, 'k' },
		{ "window", required_argument, NULL, 'w' },
		{ "rate", required_argument, NULL, 'R' },
		{ "prefix", required_argument, NULL, 'P' },
		{ "threads", required_argument, NULL, 'T' },
		{ "t0", required_argument, NULL, 't' },
		{ "tls", required_argument, NULL, 'S' },
		{ "server-name", required_argument, NULL, 'N' },
		{ 0 },
	};
	struct lg lg = { .per_frame = 12, .window = 4, .server_name = "127.0.0.1" };
	const char *mode, *data_dir = NULL;
	double rate = 0;
	unsigned threads = 2;
	int opt;

	lg.load = (struct lg_load){ .agents = 2000, .stores = 5, .rounds = 600,
				    .interval = 300 };
	snprintf(lg.load.prefix, sizeof lg.load.prefix, "lg");
	if (argc < 2) {
		usage();
		return 2;
	}
	mode = argv[1];
	optind = 2;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'p': lg.port = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'd': data_dir = optarg; break;
		case 'a': lg.load.agents = (unsigned)strtoul(optarg, NULL, 10); break;
		case 's': lg.load.stores = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'r': lg.load.rounds = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'i': lg.load.interval = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'k': lg.per_frame = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'w': lg.window = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'R': rate = strtod(optarg, NULL); break;
		case 'P': snprintf(lg.load.prefix, sizeof lg.load.prefix, "%s", optarg); break;
		case 'T': threads = (unsigned)strtoul(optarg, NULL, 10); break;
		case 't': lg.load.t0 = strtoll(optarg, NULL, 10); break;
		case 'S': lg.tls_dir = optarg; break;
		case 'N': lg.server_name = optarg; break;
		default: usage(); return 2;
		}
	}
	if (!strcmp(mode, "sw") && lg.load.rounds <= lg.per_frame) {
		fprintf(stderr, "loadgen: --rounds must exceed --per-frame: each agent's first "
			"frame creates its files and is not timed\n");
		return 2;
	}
	if (!lg.load.agents || !lg.load.stores || !lg.load.rounds || !lg.load.interval ||
	    !lg.per_frame || lg.per_frame * lg.load.stores > SW_SAMPLES_MAX || !lg.window ||
	    lg.window > LG_MAX_WINDOW) {
		usage();
		return 2;
	}
	/* A backlog that ends now, as after an outage: samples older than the
	 * collector's clock-skew window are fine, samples from the future are
	 * not.  The verifier is given the same --t0 (printed as t0=). */
	if (!lg.load.t0)
		lg.load.t0 = (int64_t)time(NULL) - (int64_t)lg.load.rounds * lg.load.interval;
	/* scans on interval boundaries, as the agent does */
	lg.load.t0 -= lg.load.t0 % lg.load.interval;
	if (!strcmp(mode, "sw") && lg.port)
		return run_sw(&lg);
	if (!strcmp(mode, "collectd") && lg.port) {
		printf("t0=%" PRId64 "\n", lg.load.t0);
		return lg_collectd_send(&lg.load, "127.0.0.1", lg.port, rate) ? 1 : 0;
	}
	if (!strcmp(mode, "librrd") && data_dir)
		return lg_librrd_run(&lg.load, data_dir, lg.per_frame, threads) ? 1 : 0;
	if (!strcmp(mode, "verify-sw") && data_dir)
		return verify_sw(&lg.load, data_dir);
	if (!strcmp(mode, "verify-collectd") && data_dir)
		return verify_collectd(&lg.load, data_dir);
	usage();
	return 2;
}
