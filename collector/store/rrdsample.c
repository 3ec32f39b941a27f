/* rrdsample.c - the store RRD's format (see rrdsample.h). */
#include <errno.h>
#include <stdio.h>

#include "rrdsample.h"
#include "shrinkwatch/banned.h"

const char *const rrdsample_ds_names[RRDSAMPLE_NDS] = {
	"bytes", "objects", "added_bytes", "added_objects", "fs_used", "fs_size", "fs_inodes",
};

int rrdsample_layout(unsigned long step, const char **argv, int max, char *storage, size_t len)
{
	static const char *const cfs[] = { "AVERAGE", "MIN", "MAX" };
	/* seconds per point, seconds covered */
	static const struct {
		unsigned long res, span;
	} tiers[] = {
		{ 0, 3 * 86400 },          /* every sample for 3 days */
		{ 300, 35 * 86400 },       /* 5-minute points for 5 weeks */
		{ 3600, 400 * 86400 },     /* hourly points for 400 days */
		{ 86400, 3660ul * 86400 }, /* daily points for 10 years */
	};
	unsigned long pdps[4], rows[4];
	size_t ntiers = 0, used = 0;
	int argc = 0;

#define ADD(...)                                                                      \
	do {                                                                          \
		int n_ = snprintf(storage + used, len - used, __VA_ARGS__);           \
		if (n_ < 0 || (size_t)n_ >= len - used || argc >= max)                \
			return -ENOBUFS;                                              \
		argv[argc++] = storage + used;                                        \
		used += (size_t)n_ + 1;                                               \
	} while (0)

	/* A tier whose resolution rounds to the previous one's (a coarse agent
	 * step) merges into it, keeping the longer span. */
	for (size_t t = 0; t < sizeof tiers / sizeof tiers[0]; t++) {
		unsigned long pdp = tiers[t].res ? (tiers[t].res + step / 2) / step : 1;
		unsigned long r;

		if (pdp < 1)
			pdp = 1;
		r = tiers[t].span / (pdp * step);
		if (r < 2)
			r = 2;
		if (ntiers && pdp <= pdps[ntiers - 1]) {
			if (r > rows[ntiers - 1])
				rows[ntiers - 1] = r;
			continue;
		}
		pdps[ntiers] = pdp;
		rows[ntiers++] = r;
	}
	for (int i = 0; i < RRDSAMPLE_NDS; i++)
		ADD("DS:%s:GAUGE:%lu:0:U", rrdsample_ds_names[i], 2 * step);
	for (size_t t = 0; t < ntiers; t++)
		for (size_t c = 0; c < 3; c++)
			ADD("RRA:%s:0.5:%lu:%lu", cfs[c], pdps[t], rows[t]);
#undef ADD
	return argc;
}

/*
 * Decimal digits of v at *p, without snprintf: the writers format seven
 * values for every sample, and printf's machinery was the largest part of
 * their CPU time after librrd itself.  Returns 0, or -1 if it would not fit.
 */
static int put_u64(char **p, char *end, uint64_t v)
{
	char tmp[20];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if ((size_t)(end - *p) <= n)
		return -1;
	while (n)
		*(*p)++ = tmp[--n];
	return 0;
}

static int put_value(char **p, char *end, int known, uint64_t v)
{
	if (end - *p < 2)
		return -1;
	*(*p)++ = ':';
	if (known)
		return put_u64(p, end, v);
	*(*p)++ = 'U';
	return 0;
}

int rrdsample_format_update(const struct sw_sample *s, char *out, size_t outlen)
{
	char *p = out, *end = out + outlen;
	int totals = s->status == SW_SCAN_COMPLETE;
	int added = totals && (s->flags & SW_SAMPLE_HAS_ADDED);
	int fs = s->status != SW_SCAN_MISSING;

	if (outlen < 200)
		return -ENOBUFS;
	if (s->time < 0) {
		*p++ = '-';
		if (put_u64(&p, end, -(uint64_t)s->time))
			return -ENOBUFS;
	} else if (put_u64(&p, end, (uint64_t)s->time)) {
		return -ENOBUFS;
	}
	if (put_value(&p, end, totals, s->bytes) || put_value(&p, end, totals, s->objects) ||
	    put_value(&p, end, added, s->added_bytes) ||
	    put_value(&p, end, added, s->added_objects) || put_value(&p, end, fs, s->fs_used) ||
	    put_value(&p, end, fs, s->fs_size) || put_value(&p, end, fs, s->fs_inodes))
		return -ENOBUFS;
	*p = '\0';
	return 0;
}

int rrdsample_path(const char *data_dir, const char *agent, const char *store, char *out,
		  size_t outlen)
{
	int n = snprintf(out, outlen, "%s/rrd/%s/%s.rrd", data_dir, agent, store);
	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}

uint64_t rrdsample_read_agent_seq(const char *data_dir, const char *agent)
{
	char path[4200];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/rrd/%s/agent.seq", data_dir, agent);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}
