/* bench_tls.c - what mutual TLS costs the collector: full handshakes per
 * second (the burst after a collector restart, when every agent reconnects)
 * and bulk throughput of SAMPLES-sized writes, both ends in memory (tls.h),
 * so the numbers are CPU only.  Certificates come from `shrinkwatchctl pki`. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl/pki.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/tls.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int pki(char *a, char *b, char *c, char *d, char *e)
{
	char *argv[] = { "pki", a, b, c, d, e, NULL };
	int argc = 1;

	while (argv[argc])
		argc++;
	optind = 0;
	return ctl_pki_main(argc, argv);
}

static struct tls_ctx *ctx(const char *dir, const char *name, bool server)
{
	struct tls_config cfg;
	struct tls_ctx *t;
	char err[512];

	tls_config_init(&cfg);
	snprintf(cfg.ca, sizeof cfg.ca, "%s/ca.crt", dir);
	snprintf(cfg.cert, sizeof cfg.cert, "%s/%s.crt", dir, name);
	snprintf(cfg.key, sizeof cfg.key, "%s/%s.key", dir, name);
	if (tls_ctx_new(&t, &cfg, server, err, sizeof err)) {
		fprintf(stderr, "bench_tls: %s\n", err);
		exit(1);
	}
	return t;
}

/* Moves what one end wrote to the other. */
static void move(struct tls_conn *from, struct tls_conn *to, struct buf *b)
{
	b->len = 0;
	if (tls_conn_output(from, b) || tls_conn_feed(to, b->data, b->len))
		exit(1);
}

static int handshake(struct tls_ctx *sc, struct tls_ctx *cc, struct tls_conn *cl,
		     struct tls_conn *sv, struct buf *b)
{
	if (tls_conn_init(cl, cc, "127.0.0.1") || tls_conn_init(sv, sc, NULL))
		return -1;
	for (int i = 0; i < 10; i++) {
		int rc = tls_conn_handshake(cl), rs;
		move(cl, sv, b);
		rs = tls_conn_handshake(sv);
		move(sv, cl, b);
		if (rc < 0 || rs < 0)
			return -1;
		if (rc == 1 && rs == 1)
			return 0;
	}
	return -1;
}

int main(void)
{
	char dir[] = "/tmp/swbenchtls.XXXXXX", sub[64], cmd[128];
	struct tls_ctx *sc, *cc;
	struct tls_conn cl, sv;
	struct buf b;
	static uint8_t payload[64 * 1024], got[64 * 1024];
	size_t n = 2000, total = 0;
	double t0, t1;

	log_init("bench_tls", LOG_WARNING);
	if (!mkdtemp(dir))
		return 1;
	snprintf(sub, sizeof sub, "%s/pki", dir);
	if (pki("init", sub, NULL, NULL, NULL) || pki("issue", "127.0.0.1", "--server", "--dir", sub) ||
	    pki("issue", "evsrv01", "--dir", sub, NULL))
		return 1;
	sc = ctx(sub, "127.0.0.1", true);
	cc = ctx(sub, "evsrv01", false);
	buf_init(&b, 1 << 24);

	t0 = now();
	for (size_t i = 0; i < n; i++) {
		if (handshake(sc, cc, &cl, &sv, &b) || !tls_conn_peer_is(&sv, "evsrv01"))
			return 1;
		tls_conn_release(&cl);
		tls_conn_release(&sv);
	}
	t1 = now();
	printf("mutual TLS 1.3 handshakes (EC P-256, both ends in one thread): %.0f/s "
	       "(%.2f ms each)\n", (double)n / (t1 - t0), (t1 - t0) * 1000 / (double)n);

	if (handshake(sc, cc, &cl, &sv, &b))
		return 1;
	memset(payload, 0x5a, sizeof payload);
	t0 = now();
	for (int i = 0; i < 4000; i++) {
		long r;
		if (tls_conn_write(&cl, payload, sizeof payload))
			return 1;
		move(&cl, &sv, &b);
		while ((r = tls_conn_read(&sv, got, sizeof got)) > 0)
			total += (size_t)r;
	}
	t1 = now();
	printf("bulk: %.0f MB/s encrypted and decrypted (64 KiB writes, %zu MB)\n",
	       (double)total / 1e6 / (t1 - t0), total >> 20);
	tls_conn_release(&cl);
	tls_conn_release(&sv);
	tls_ctx_free(sc);
	tls_ctx_free(cc);
	buf_release(&b);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) ? 1 : 0;
}
