/*
 * sendtrace.c - sends a trace to a collector as one agent, over the real
 * protocol and mutual TLS.
 *
 *   sendtrace --port P --agent NAME --interval S --tls DIR [--host H]
 *             [--mount-id N] [--fs-size BYTES] TRACE.csv
 *
 * TRACE.csv is the format `shrinkwatchctl replay` reads (ctl/trace.h: time,
 * store, bytes, objects[, added_bytes, added_objects, status, mount_id]),
 * rows in time order, the store column a store name or NAME/store.  Each row
 * becomes one sample of NAME, sent the way the agent's shipper sends its
 * spool (lib/stream.c, lib/proto.c): TLS with the agent's certificate
 * DIR/NAME.crt and .key checked against DIR/ca.crt, HELLO announcing the
 * interval, then SAMPLES frames, at most 4 unacknowledged, numbered on from
 * the seq the collector's first ACK says it has stored.  It ends when the
 * last one is acknowledged and prints "last_seq N" on stdout.
 *
 * What it is for: history.  `make demo` and the browser test give a new
 * collector a month of back-dated samples in a few seconds (the collector
 * creates a store's RRD at the first sample's time, so older points fit),
 * which then goes through the same ingest, RRD files, detector, ledger and
 * notifiers as an agent's live samples.  The filesystem figures the agent
 * would add come from the options: fs_size, fs_used = bytes, fs_inodes =
 * objects.  Exit status 0, or 1 with the reason on stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "ctl/trace.h"
#include "shrinkwatch/buf.h"
#include "shrinkwatch/names.h"
#include "shrinkwatch/parse.h"
#include "shrinkwatch/proto.h"
#include "shrinkwatch/stream.h"
#include "shrinkwatch/tls.h"
#include "shrinkwatch/banned.h"

#define ST_PER_FRAME 256
#define ST_WINDOW 4 /* frames in flight, as the protocol allows */
#define ST_TIMEOUT_MS 120000
#define ST_RECV_MAX 4096

struct sender {
	uv_loop_t *loop;
	struct stream st;
	uv_connect_t creq;
	uv_timer_t timer;
	struct tls_ctx *tls;
	const char *host;
	unsigned port;
	char agent[SW_NAME_MAX + 1];
	uint32_t interval;
	struct sw_sample *s; /* the trace, seq filled in once the collector said where it is */
	size_t n, next;      /* samples; first not yet sent */
	uint64_t first_seq;  /* 0 until the HELLO's ACK */
	uint64_t inflight[ST_WINDOW];
	unsigned ninflight;
	int failed, done;
};

/* Closes the link and the deadline (once): the loop then ends. */
static void finish(struct sender *sd)
{
	stream_close(&sd->st, 0, NULL);
	if (!uv_is_closing((uv_handle_t *)&sd->timer))
		uv_close((uv_handle_t *)&sd->timer, NULL);
}

static void fail(struct sender *sd, const char *what)
{
	if (!sd->failed && !sd->done)
		fprintf(stderr, "sendtrace: %s\n", what);
	sd->failed = 1;
	finish(sd);
}

static void pump(struct sender *sd)
{
	while (sd->next < sd->n && sd->ninflight < ST_WINDOW && !stream_closing(&sd->st)) {
		size_t k = sd->n - sd->next < ST_PER_FRAME ? sd->n - sd->next : ST_PER_FRAME;
		struct buf f;
		int err;

		buf_init(&f, SW_FRAME_HEADER + SW_FRAME_MAX);
		if (proto_encode_samples(&f, sd->s + sd->next, k)) {
			buf_release(&f);
			fail(sd, "cannot encode a SAMPLES frame");
			return;
		}
		sd->next += k;
		sd->inflight[sd->ninflight++] = sd->s[sd->next - 1].seq;
		err = stream_send(&sd->st, &f);
		if (err) {
			char why[128];

			snprintf(why, sizeof why, "cannot send: %s", strerror(-err));
			fail(sd, why);
			return;
		}
	}
}

static void on_ack(struct sender *sd, uint64_t seq)
{
	if (!sd->first_seq) {
		sd->first_seq = seq + 1;
		for (size_t i = 0; i < sd->n; i++)
			sd->s[i].seq = seq + 1 + i;
		fprintf(stderr, "sendtrace: collector has stored '%s' up to seq %" PRIu64
			"; sending %zu samples\n", sd->agent, seq, sd->n);
		pump(sd);
		return;
	}
	while (sd->ninflight && sd->inflight[0] <= seq) {
		memmove(sd->inflight, sd->inflight + 1, (sd->ninflight - 1) * sizeof sd->inflight[0]);
		sd->ninflight--;
	}
	if (sd->next == sd->n && !sd->ninflight) {
		printf("last_seq %" PRIu64 "\n", sd->s[sd->n - 1].seq);
		sd->done = 1;
		finish(sd);
		return;
	}
	pump(sd);
}

static void on_frame(void *ud, const struct sw_frame *f)
{
	struct sender *sd = ud;
	struct sw_error e;
	uint64_t seq;
	char why[SW_TEXT_MAX + 64];

	if (f->type == SW_MSG_ACK && proto_decode_ack(f, &seq) == 0) {
		on_ack(sd, seq);
	} else if (f->type == SW_MSG_ERROR && proto_decode_error(f, &e) == 0) {
		snprintf(why, sizeof why, "the collector refused: %s (code %u)", e.text, e.code);
		fail(sd, why);
	} else {
		fail(sd, "unexpected frame from the collector");
	}
}

static void send_hello(void *ud)
{
	struct sender *sd = ud;
	struct sw_hello h = { .instance_id = 0x7472616365ull, .interval = sd->interval };
	struct buf f;

	snprintf(h.agent, sizeof h.agent, "%s", sd->agent);
	snprintf(h.software, sizeof h.software, "shrinkwatch-sendtrace");
	buf_init(&f, 4096);
	if (proto_encode_hello(&f, &h) || stream_send(&sd->st, &f))
		fail(sd, "cannot send HELLO");
}

static void on_error(void *ud, enum stream_fail kind, int err, const char *why)
{
	struct sender *sd = ud;
	char what[512];
	(void)err;

	snprintf(what, sizeof what, "%s: %s",
		 kind == STREAM_TLS ? "TLS" : kind == STREAM_FRAME ? "bad frame" : "connection lost",
		 why);
	fail(sd, what);
}

static void on_closed(void *ud)
{
	(void)ud;
}

static const struct stream_ops ops = {
	.on_frame = on_frame,
	.on_established = send_hello,
	.on_error = on_error,
	.on_closed = on_closed,
};

static void on_connect(uv_connect_t *req, int status)
{
	struct sender *sd = req->data;
	char why[1024];

	if (status) {
		snprintf(why, sizeof why, "cannot connect to %s:%u: %s", sd->host, sd->port,
			 uv_strerror(status));
		fail(sd, why);
		return;
	}
	if (stream_start(&sd->st)) {
		snprintf(why, sizeof why, "cannot start TLS: %s", stream_tls(&sd->st)->error);
		fail(sd, why);
	}
}

static void on_timeout(uv_timer_t *t)
{
	fail(t->data, "no acknowledgement of every sample in time");
}

/* Reads the trace into sd->s.  0, or -1 after a message. */
static int load_trace(struct sender *sd, const char *path, uint64_t mount_id, uint64_t fs_size)
{
	FILE *f = fopen(path, "re");
	char line[4096], err[256];
	struct trace_header h;
	size_t cap = 0, lineno = 0;
	int rc = -1;

	if (!f) {
		fprintf(stderr, "sendtrace: cannot open '%s': %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f)) {
		struct trace_row row;
		struct sw_sample *s;
		const char *store;
		size_t alen = strlen(sd->agent);
		int r;

		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (lineno == 1) {
			if (trace_parse_header(&h, line, err, sizeof err))
				goto bad;
			continue;
		}
		r = trace_parse_row(&h, line, &row, err, sizeof err);
		if (r == 1)
			continue;
		if (r)
			goto bad;
		store = row.store;
		if (!strncmp(store, sd->agent, alen) && store[alen] == '/')
			store += alen + 1;
		if (!name_valid(store)) {
			snprintf(err, sizeof err, "store '%s' is not NAME or %s/NAME", row.store,
				 sd->agent);
			goto bad;
		}
		if (sd->n == cap) {
			cap = cap ? 2 * cap : 4096;
			s = realloc(sd->s, cap * sizeof *s);
			if (!s) {
				snprintf(err, sizeof err, "out of memory");
				goto bad;
			}
			sd->s = s;
		}
		s = &sd->s[sd->n++];
		memset(s, 0, sizeof *s);
		s->time = row.in.time;
		memcpy(s->store, store, strlen(store) + 1); /* name_valid(): <= SW_NAME_MAX */
		s->status = row.in.status;
		if (s->status == SW_SCAN_COMPLETE) {
			s->objects = (uint64_t)row.in.objects;
			s->bytes = (uint64_t)row.in.bytes;
		}
		if (row.in.has_added) {
			s->flags |= SW_SAMPLE_HAS_ADDED;
			s->added_objects = (uint64_t)row.in.added_objects;
			s->added_bytes = (uint64_t)row.in.added_bytes;
		}
		s->flags |= SW_SAMPLE_BTIME;
		s->fs_size = fs_size;
		s->fs_used = s->bytes;
		s->fs_inodes = s->objects;
		s->mount_id = row.in.mount_id ? row.in.mount_id : mount_id;
		s->scan_ms = (uint32_t)(1 + s->objects / 2000);
	}
	if (ferror(f)) {
		snprintf(err, sizeof err, "%s", strerror(errno));
		goto bad;
	}
	if (!sd->n) {
		snprintf(err, sizeof err, "no samples");
		goto bad;
	}
	rc = 0;
	goto out;
bad:
	fprintf(stderr, "sendtrace: %s:%zu: %s\n", path, lineno, err);
out:
	fclose(f);
	return rc;
}

static void usage(void)
{
	fprintf(stderr, "usage: sendtrace --port P --agent NAME --interval S --tls DIR "
			"[--host H] [--mount-id N] [--fs-size BYTES] TRACE.csv\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "host", required_argument, NULL, 'H' },
		{ "agent", required_argument, NULL, 'a' },
		{ "interval", required_argument, NULL, 'i' },
		{ "tls", required_argument, NULL, 't' },
		{ "mount-id", required_argument, NULL, 'm' },
		{ "fs-size", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct sender sd = { .host = "127.0.0.1" };
	const char *tls_dir = NULL;
	uint64_t port = 0, interval = 0, mount_id = 1, fs_size = 8ull << 40;
	struct sockaddr_in sa;
	struct tls_config tc;
	char err[512];
	int c, rc = 1;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p': if (parse_u64(optarg, &port) || !port || port > 65535) usage(); break;
		case 'H': sd.host = optarg; break;
		case 'a': snprintf(sd.agent, sizeof sd.agent, "%s", optarg); break;
		case 'i': if (parse_u64(optarg, &interval) || !interval || interval > 86400) usage(); break;
		case 't': tls_dir = optarg; break;
		case 'm': if (parse_u64(optarg, &mount_id)) usage(); break;
		case 'f': if (parse_u64(optarg, &fs_size)) usage(); break;
		default: usage();
		}
	}
	if (optind != argc - 1 || !port || !interval || !tls_dir || !name_valid(sd.agent))
		usage();
	sd.port = (unsigned)port;
	sd.interval = (uint32_t)interval;
	if (load_trace(&sd, argv[optind], mount_id, fs_size))
		goto out;
	tls_config_init(&tc);
	snprintf(tc.ca, sizeof tc.ca, "%s/ca.crt", tls_dir);
	snprintf(tc.cert, sizeof tc.cert, "%s/%s.crt", tls_dir, sd.agent);
	snprintf(tc.key, sizeof tc.key, "%s/%s.key", tls_dir, sd.agent);
	if (tls_ctx_new(&sd.tls, &tc, false, err, sizeof err)) {
		fprintf(stderr, "sendtrace: %s\n", err);
		goto out;
	}
	if (uv_ip4_addr(sd.host, (int)sd.port, &sa)) {
		fprintf(stderr, "sendtrace: '%s' is not an IPv4 address\n", sd.host);
		goto out;
	}
	sd.loop = uv_default_loop();
	struct stream_config scfg = { .tls = sd.tls, .peer_host = sd.host,
				      .max_frame = ST_RECV_MAX - SW_FRAME_HEADER };
	if (stream_init(&sd.st, sd.loop, &scfg, &ops, &sd)) {
		fprintf(stderr, "sendtrace: cannot start a TLS connection to '%s'\n", sd.host);
		goto out;
	}
	uv_timer_init(sd.loop, &sd.timer);
	sd.timer.data = &sd;
	uv_timer_start(&sd.timer, on_timeout, ST_TIMEOUT_MS, 0);
	sd.creq.data = &sd;
	if (uv_tcp_connect(&sd.creq, stream_handle(&sd.st), (const struct sockaddr *)&sa,
			   on_connect))
		fail(&sd, "cannot connect"); /* closes both handles; the loop finishes */
	uv_run(sd.loop, UV_RUN_DEFAULT);
	uv_loop_close(sd.loop);
	rc = sd.done && !sd.failed ? 0 : 1;
out:
	if (sd.tls)
		tls_ctx_free(sd.tls);
	free(sd.s);
	return rc;
}
