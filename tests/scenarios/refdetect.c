/*
 * refdetect.c - the two reference detectors `make eval` compares against.
 *
 *   refdetect TRACE.csv WORKDIR
 *
 * prints one line per alert onset, {"time":T,"detector":"static"|"holtwinters"}:
 *   static       bytes fell more than 1% below their value an hour earlier
 *                (the rule a plain monitoring system would use);
 *   holtwinters  RRDtool's aberrant-behaviour detection on bytes, run through
 *                librrd: HWPREDICT with a daily season (alpha 0.1, beta
 *                0.0035, FAILURES with rrdtool's default 7-of-9 window), one
 *                alert per run of FAILURES; the first season is skipped
 *                (the model is not initialised yet).
 * Both see the same samples as the detector (partial scans skipped); neither
 * can use added_* or declared deletions, which is the point of the
 * comparison.
 */
#include <errno.h>
#include <math.h>
#include <rrd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/trace.h"

#define STATIC_DROP 0.01
#define BATCH 512

struct pt {
	int64_t t;
	double b;
};


int main(int argc, char **argv)
{
	FILE *f;
	char *line = NULL, err[256], rrdfile[1024], ds[64], rra1[64], rra2[96];
	size_t cap = 0, n = 0, alloc = 0, i, j, k;
	struct trace_header h;
	struct pt *v = NULL;
	unsigned long lineno = 0, step, ds_cnt, interval;
	int armed = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: refdetect TRACE.csv WORKDIR\n");
		return 2;
	}
	f = fopen(argv[1], "r");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	while (getline(&line, &cap, f) >= 0) {
		struct trace_row r;

		if (++lineno == 1) {
			if (trace_parse_header(&h, line, err, sizeof err))
				goto bad;
			continue;
		}
		if (trace_parse_row(&h, line, &r, err, sizeof err) < 0)
			goto bad;
		if (r.in.status != 0 || (n && r.in.time <= v[n - 1].t))
			continue;
		if (n == alloc) {
			alloc = alloc ? 2 * alloc : 4096;
			v = realloc(v, alloc * sizeof *v);
			if (!v)
				return 1;
		}
		v[n].t = r.in.time;
		v[n].b = r.in.bytes;
		n++;
	}
	fclose(f);
	free(line);
	if (n < 3)
		return 0;
	interval = (unsigned long)(v[1].t - v[0].t);
	if (!interval)
		interval = 60;

	/* static: fell more than STATIC_DROP below the value an hour ago */
	for (i = 0, j = 0; i < n; i++) {
		while (j < i && v[j].t < v[i].t - 3600)
			j++;
		if (v[j].t > v[i].t - 3600 + (int64_t)interval || j == i)
			continue;
		if (v[j].b > 0 && (v[j].b - v[i].b) / v[j].b > STATIC_DROP) {
			if (armed)
				printf("{\"time\":%lld,\"detector\":\"static\"}\n", (long long)v[i].t);
			armed = 0;
		} else {
			armed = 1;
		}
	}

	/* Holt-Winters through librrd */
	{
		unsigned long rows = (unsigned long)((v[n - 1].t - v[0].t) / (int64_t)interval) + 10;
		unsigned long season = 86400 / interval;
		const char *cargv[3] = { ds, rra1, rra2 };
		const char *uargv[BATCH];
		char (*ubuf)[48] = malloc(BATCH * sizeof *ubuf);
		time_t start, end;
		char **names;
		rrd_value_t *data;
		int inrun = 0;

		snprintf(rrdfile, sizeof rrdfile, "%s/hw.rrd", argv[2]);
		snprintf(ds, sizeof ds, "DS:bytes:GAUGE:%lu:0:U", 2 * interval);
		snprintf(rra1, sizeof rra1, "RRA:AVERAGE:0.5:1:%lu", rows);
		snprintf(rra2, sizeof rra2, "RRA:HWPREDICT:%lu:0.1:0.0035:%lu", rows, season);
		unlink(rrdfile);
		rrd_clear_error();
		if (!ubuf || rrd_create_r(rrdfile, interval, (time_t)v[0].t - 1, 3, cargv)) {
			fprintf(stderr, "refdetect: rrd_create '%s': %s\n", rrdfile, rrd_get_error());
			return 1;
		}
		for (i = 0; i < n; i += BATCH) {
			for (k = 0; k < BATCH && i + k < n; k++) {
				snprintf(ubuf[k], sizeof ubuf[k], "%lld:%.0f", (long long)v[i + k].t,
					 v[i + k].b);
				uargv[k] = ubuf[k];
			}
			if (rrd_update_r(rrdfile, NULL, (int)k, uargv)) {
				fprintf(stderr, "refdetect: rrd_update: %s\n", rrd_get_error());
				return 1;
			}
		}
		start = (time_t)v[0].t;
		end = (time_t)v[n - 1].t;
		step = interval;
		if (rrd_fetch_r(rrdfile, "FAILURES", &start, &end, &step, &ds_cnt, &names, &data)) {
			fprintf(stderr, "refdetect: rrd_fetch: %s\n", rrd_get_error());
			return 1;
		}
		for (i = 0; start + (time_t)((i + 1) * step) <= end; i++) {
			time_t t = start + (time_t)((i + 1) * step);
			double x = data[i * ds_cnt];
			int fail = !isnan(x) && x > 0.5;

			if (fail && !inrun && t >= (time_t)v[0].t + 86400)
				printf("{\"time\":%lld,\"detector\":\"holtwinters\"}\n", (long long)t);
			inrun = fail;
		}
		for (i = 0; i < ds_cnt; i++)
			rrd_freemem(names[i]);
		rrd_freemem(names);
		rrd_freemem(data);
		unlink(rrdfile);
		free(ubuf);
	}
	free(v);
	return 0;
bad:
	fprintf(stderr, "refdetect: %s:%lu: %s\n", argv[1], lineno, err);
	return 1;
}
