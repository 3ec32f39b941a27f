/*
 * loadgen_collectd.c - the same load in collectd's binary network protocol
 * (see loadgen.h), sent over UDP as collectd's own network plugin would.
 *
 * Each sample becomes one value list: host = the agent, plugin "shrinkwatch",
 * plugin instance = the store, type "shrinkwatch" (seven GAUGE sources in
 * the order of the collector's RRD files; bench/collectd-types.db), time and
 * interval in collectd's 2^-30 s units.  Packets are at most 1452 bytes, the
 * network plugin's default, and carry a part only when it changes, as
 * collectd does.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "loadgen.h"

#define CD_PACKET_MAX 1452
enum {
	CD_HOST = 0x0000, CD_PLUGIN = 0x0002, CD_PLUGIN_INSTANCE = 0x0003, CD_TYPE = 0x0004,
	CD_VALUES = 0x0006, CD_TIME_HR = 0x0008, CD_INTERVAL_HR = 0x0009,
};

struct cd_packet {
	unsigned char b[CD_PACKET_MAX];
	size_t len;
	char host[SW_NAME_MAX + 1], pinst[SW_NAME_MAX + 1];
	int64_t time;
};

static void put16(struct cd_packet *p, unsigned v)
{
	p->b[p->len++] = (unsigned char)(v >> 8);
	p->b[p->len++] = (unsigned char)v;
}

static void put64(struct cd_packet *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--)
		p->b[p->len++] = (unsigned char)(v >> (8 * i));
}

static void put_str(struct cd_packet *p, unsigned type, const char *s)
{
	size_t n = strlen(s) + 1;

	put16(p, type);
	put16(p, (unsigned)(4 + n));
	memcpy(p->b + p->len, s, n);
	p->len += n;
}

static void put_num(struct cd_packet *p, unsigned type, uint64_t v)
{
	put16(p, type);
	put16(p, 12);
	put64(p, v);
}

static void put_values(struct cd_packet *p, const double *v, unsigned n)
{
	put16(p, CD_VALUES);
	put16(p, 4 + 2 + 9 * n);
	put16(p, n);
	for (unsigned i = 0; i < n; i++)
		p->b[p->len++] = 1; /* GAUGE */
	for (unsigned i = 0; i < n; i++) {
		memcpy(p->b + p->len, &v[i], 8); /* GAUGE: host byte order (x86: LE) */
		p->len += 8;
	}
}

static void packet_start(struct cd_packet *p, unsigned interval)
{
	p->len = 0;
	p->host[0] = p->pinst[0] = '\0';
	p->time = -1;
	put_str(p, CD_PLUGIN, "shrinkwatch");
	put_str(p, CD_TYPE, "shrinkwatch");
	put_num(p, CD_INTERVAL_HR, (uint64_t)interval << 30);
}

/* Room for the worst case of one more value list. */
static int packet_full(const struct cd_packet *p)
{
	return p->len + (4 + SW_NAME_MAX + 1) * 2 + 12 + 6 + 9 * 7 > CD_PACKET_MAX;
}

static void pace(uint64_t t_start, uint64_t sent, double rate)
{
	uint64_t due, now;

	if (rate <= 0)
		return;
	due = t_start + (uint64_t)((double)sent / rate * 1e9);
	now = lg_now_ns();
	if (due > now + 200000) {
		struct timespec ts = { .tv_sec = (time_t)((due - now) / 1000000000u),
				       .tv_nsec = (long)((due - now) % 1000000000u) };
		nanosleep(&ts, NULL);
	}
}

int lg_collectd_send(const struct lg_load *l, const char *host, unsigned port, double rate)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	static struct cd_packet p;
	uint64_t sent = 0, packets = 0, t0;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;
	int sndbuf = 4 << 20;

	if (fd < 0 || inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
	packet_start(&p, l->interval);
	t0 = lg_now_ns();
	for (unsigned r = 0; r < l->rounds && !err; r++) {
		for (unsigned a = 0; a < l->agents && !err; a++) {
			char agent[SW_NAME_MAX + 1];

			lg_agent_name(l, a, agent, sizeof agent);
			for (unsigned s = 0; s < l->stores; s++) {
				struct sw_sample x;
				double v[7];

				lg_sample(l, s, r, &x);
				v[0] = (double)x.bytes;
				v[1] = (double)x.objects;
				v[2] = (double)x.added_bytes;
				v[3] = (double)x.added_objects;
				v[4] = (double)x.fs_used;
				v[5] = (double)x.fs_size;
				v[6] = (double)x.fs_inodes;
				if (packet_full(&p)) {
					pace(t0, sent, rate);
					if (sendto(fd, p.b, p.len, 0, (struct sockaddr *)&sa,
						   sizeof sa) < 0) {
						err = -errno;
						break;
					}
					packets++;
					packet_start(&p, l->interval);
				}
				if (strcmp(p.host, agent)) {
					put_str(&p, CD_HOST, agent);
					snprintf(p.host, sizeof p.host, "%s", agent);
				}
				if (strcmp(p.pinst, x.store)) {
					put_str(&p, CD_PLUGIN_INSTANCE, x.store);
					snprintf(p.pinst, sizeof p.pinst, "%s", x.store);
				}
				if (p.time != x.time) {
					put_num(&p, CD_TIME_HR, (uint64_t)x.time << 30);
					p.time = x.time;
				}
				put_values(&p, v, 7);
				sent++;
			}
		}
	}
	if (!err && p.len && sendto(fd, p.b, p.len, 0, (struct sockaddr *)&sa, sizeof sa) < 0)
		err = -errno;
	packets++;
	close(fd);
	if (err) {
		fprintf(stderr, "loadgen: sendto: %s\n", strerror(-err));
		return err;
	}
	printf("mode=collectd\nsent=%llu\npackets=%llu\nsend_s=%.3f\n", (unsigned long long)sent,
	       (unsigned long long)packets, (double)(lg_now_ns() - t0) / 1e9);
	return 0;
}
