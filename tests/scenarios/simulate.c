/*
 * simulate.c - labelled traces of body-worn-video evidence stores.
 *
 *   simulate KIND SEED SIZE MODE OUTPREFIX
 *     KIND  normal declared drop masked leak overpurge truncate object_loss
 *           vanished silence
 *     SIZE  small (60 s samples, ~1 TB) | large (300 s samples, ~40 TB) |
 *           tiny (60 s samples, ~30 GB of 20 MB clips)
 *     MODE  added | net (no added_* columns)
 *   writes OUTPREFIX.csv (the trace), OUTPREFIX.label ("KIND ONSET END
 *   INTERVAL DAYS"), OUTPREFIX.explain.csv (declared deletions, possibly
 *   empty) and OUTPREFIX.conf (retention/purge_at for odd seeds, else empty,
 *   so both the configured and the learned paths are evaluated).
 *
 * The store is modelled as hourly cohorts of footage: uploads after the shift
 * ends (07:00, 15:00, 23:00) with a trickle in between, quieter weekends,
 * day-to-day variation and incident surges (x3-10 for hours); every night a
 * purge deletes cohorts older than R days except a kept-as-evidence fraction
 * that varies per cohort; sometimes a night is missed and the next purge
 * deletes both; temp files appear and vanish; scans are sometimes partial
 * and samples sometimes missing.  Each video has a small sidecar file, so
 * objects and bytes can diverge (truncation, object loss).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rs;

static double rnd(void)
{
	rs ^= rs >> 12;
	rs ^= rs << 25;
	rs ^= rs >> 27;
	return (double)((rs * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static double gauss(void)
{
	double u = rnd() + 1e-12, v = rnd();

	return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

#define MAXH (400 * 24)

struct cohort {
	double b, o; /* live bytes and objects (videos + sidecars) */
	float keep;  /* fraction kept as evidence when purged */
	uint8_t purged;
};

static struct cohort ch[MAXH];
static double kept_b, kept_o;

/* Running totals of every cohort plus the evidence pool. */
static double live_b, live_o;

static double store_b(void)
{
	return live_b;
}

/* Removes a fraction f of bytes (fb) and objects (fo) from every cohort and
 * the evidence pool, as deleting random files would. */
static void remove_frac(double fb, double fo, double *rb, double *ro)
{
	for (int i = 0; i < MAXH; i++) {
		*rb += ch[i].b * fb;
		*ro += ch[i].o * fo;
		ch[i].b -= ch[i].b * fb;
		ch[i].o -= ch[i].o * fo;
	}
	*rb += kept_b * fb;
	*ro += kept_o * fo;
	kept_b -= kept_b * fb;
	kept_o -= kept_o * fo;
	live_b = kept_b;
	live_o = kept_o;
	for (int i = 0; i < MAXH; i++) {
		live_b += ch[i].b;
		live_o += ch[i].o;
	}
}

static const double profile[24] = {
	/* 00 */ 0.9, 0.3, 0.1, 0.1, 0.1, 0.1, 0.2, 1.0, 2.0, 1.2, 0.5, 0.4,
	/* 12 */ 0.4, 0.5, 0.5, 1.0, 2.0, 1.2, 0.5, 0.4, 0.4, 0.3, 0.3, 1.5,
};

int main(int argc, char **argv)
{
	const char *kind, *size, *mode, *out;
	char path[1024];
	FILE *fc, *fl, *fe, *fk;
	int seed, large, tiny, net, R, interval, days, purge_at, purge_len;
	double V, keep, avg, prof_sum = 0, day_factor = 1, surge = 1;
	int64_t t0 = 1735689600; /* 2025-01-01 00:00 UTC, a Wednesday */
	int64_t onset = -1, end = -1, t;
	int64_t nsamp, i, hour_base;
	double acc_add_b = 0, acc_add_o = 0, temp_b = 0, temp_o = 0;
	double leak_rate = 0, inj_b = 0, inj_o = 0;
	int inj_samples = 0, inj_done = 0, gap_left = 0, silence_len = 0;
	int purge_left = 0, vanished = 0, truncate_n = 0;
	double purge_b_left = 0, purge_o_left = 0;
	int last_purge_day = -1, missed_day = -1, overpurge_day = -1, overpurge_extra = 0;
	uint64_t mount = 2049;
	int surge_left = 0, temp_left = 0;
	int64_t last_gap = -100;

	if (argc != 6) {
		fprintf(stderr, "usage: simulate KIND SEED small|large|tiny added|net OUTPREFIX\n");
		return 2;
	}
	kind = argv[1];
	seed = atoi(argv[2]);
	size = argv[3];
	mode = argv[4];
	out = argv[5];
	large = strcmp(size, "large") == 0;
	tiny = strcmp(size, "tiny") == 0;
	net = strcmp(mode, "net") == 0;
	rs = 0x9e3779b97f4a7c15ull ^ ((uint64_t)seed * 0x100000001b3ull) ^
	     (uint64_t)(uintptr_t)strlen(kind) * 7919;
	for (const char *p = kind; *p; p++)
		rs = rs * 31 + (uint64_t)*p;
	for (int k = 0; k < 10; k++)
		rnd();

	R = 31 + (int)(rnd() * 60);
	interval = large ? 300 : 60;
	days = large ? R + 30 : 45 + (int)(rnd() * 15);
	if (days > 150)
		days = 150;
	V = (large ? 1.5e12 : tiny ? 1e9 : 4e10) * (0.7 + 0.6 * rnd());
	keep = 0.05 + 0.35 * rnd();
	avg = (tiny ? 2e7 : 3e8) * (0.7 + 0.6 * rnd());
	purge_at = 2 * 3600 + (int)(rnd() * 4) * 900; /* 02:00..02:45 */
	purge_len = 1 + (int)(rnd() * 8);
	for (int h = 0; h < 24; h++)
		prof_sum += profile[h];

	/* R days of history before the trace, plus evidence kept from before. */
	hour_base = (R + 5) * 24;
	for (int h = 0; h < hour_base; h++) {
		int dow = (int)(((t0 / 86400) - (hour_base - h) / 24 + 4) % 7);
		double w = (dow == 0 || dow == 6) ? 0.5 : 1.0;
		double b = V * w * profile[h % 24] / prof_sum * (0.7 + 0.6 * rnd());

		ch[h].b = b;
		ch[h].o = 2 * b / avg;
		ch[h].keep = (float)fmin(0.9, fmax(0.0, keep + 0.05 * gauss()));
		/* the last purge before the trace ran at purge_at yesterday */
		if (h < hour_base - R * 24 - (24 - purge_at / 3600)) {
			ch[h].purged = 1;
			ch[h].b *= ch[h].keep;
			ch[h].o *= ch[h].keep;
		}
	}
	kept_b = 0.2 * V * R;
	kept_o = 2 * kept_b / avg;
	live_b = kept_b;
	live_o = kept_o;
	for (int h = 0; h < MAXH; h++) {
		live_b += ch[h].b;
		live_o += ch[h].o;
	}

	nsamp = (int64_t)days * 86400 / interval;
	/* Injection time: after 2 days, away from the purge, before the end. */
	if (strcmp(kind, "normal") != 0) {
		int64_t lo = 2 * 86400 + (int64_t)(rnd() * (days - 5) * 86400);
		int64_t tod = lo % 86400;

		if (strcmp(kind, "overpurge") == 0) {
			overpurge_day = (int)(lo / 86400);
			overpurge_extra = 5 + (int)(rnd() * 8);
			onset = (int64_t)overpurge_day * 86400 + purge_at;
		} else {
			if (tod > purge_at - 4 * 3600 && tod < purge_at + 4 * 3600)
				lo += 8 * 3600;
			if (strcmp(kind, "masked") == 0) /* during the 07:00 upload peak */
				lo = lo - lo % 86400 + 7 * 3600 + 600;
			onset = lo - lo % interval;
		}
	}
	if (strcmp(kind, "drop") == 0 || strcmp(kind, "declared") == 0) {
		inj_samples = 1 + (int)(rnd() * 3);
		inj_b = inj_o = 0.005 + 0.03 * rnd();
	} else if (strcmp(kind, "masked") == 0) {
		inj_b = inj_o = 0.005 + 0.01 * rnd();
		inj_samples = (large ? 6 : 30) + (int)(rnd() * 10);
	} else if (strcmp(kind, "truncate") == 0) {
		inj_samples = 1 + (int)(rnd() * 2);
		inj_b = 0.005 + 0.02 * rnd();
		truncate_n = 1;
	} else if (strcmp(kind, "object_loss") == 0) {
		inj_samples = 1 + (int)(rnd() * 2);
		inj_o = 0.01 + 0.04 * rnd(); /* sidecars: half the objects, ~no bytes */
	} else if (strcmp(kind, "leak") == 0) {
		leak_rate = 0.0005 + 0.001 * rnd();
	} else if (strcmp(kind, "silence") == 0) {
		silence_len = 5 + (int)(rnd() * 60);
	}
	if (strcmp(kind, "leak") == 0 || strcmp(kind, "vanished") == 0)
		end = (int64_t)days * 86400;
	else if (strcmp(kind, "silence") == 0)
		end = onset + (int64_t)(silence_len + 1) * interval;
	else if (onset >= 0)
		end = onset + 3600;
	if (strcmp(kind, "leak") == 0)
		end = onset + 7 * 86400; /* the detection target */

	snprintf(path, sizeof path, "%s.csv", out);
	fc = fopen(path, "w");
	snprintf(path, sizeof path, "%s.label", out);
	fl = fopen(path, "w");
	snprintf(path, sizeof path, "%s.explain.csv", out);
	fe = fopen(path, "w");
	snprintf(path, sizeof path, "%s.conf", out);
	fk = fopen(path, "w");
	if (!fc || !fl || !fe || !fk) {
		perror("simulate: cannot write");
		return 1;
	}
	fprintf(fl, "%s %lld %lld %d %d %s\n", kind, (long long)(onset >= 0 ? t0 + onset : -1),
		(long long)(end >= 0 ? t0 + end : -1), interval, days, net ? "net" : "added");
	fprintf(fe, "start,end,store,bytes,objects,reason\n");
	if (seed % 2 == 1)
		fprintf(fk, "[store s%d]\nretention = %dd\npurge_at = %02d:%02d\n", seed, R,
			purge_at / 3600, purge_at / 60 % 60);
	fprintf(fc, net ? "time,store,bytes,objects,status,mount_id\n"
			: "time,store,bytes,objects,added_bytes,added_objects,status,mount_id\n");

	for (i = 0; i < nsamp; i++) {
		int64_t ts = i * interval, tod = ts % 86400;
		int day = (int)(ts / 86400), h = (int)(tod / 3600);
		int dow = (int)((t0 / 86400 + day + 4) % 7);
		int64_t hour_idx = hour_base + ts / 3600;
		double b, o, w, add_b, add_o;

		/* ingest of this interval, into the hour's cohort */
		if (tod < interval) {
			day_factor = exp(0.2 * gauss());
			if (rnd() < 0.08) { /* an incident: a surge later that day */
				surge_left = (int)((2 + rnd() * 4) * 3600 / interval);
				surge = 3 + 7 * rnd();
			}
		}
		w = (dow == 0 || dow == 6) ? 0.5 : 1.0;
		b = V * w * day_factor * profile[h] / prof_sum * interval / 3600.0 * (0.5 + rnd());
		if (surge_left > 0 && h >= 9 && h <= 21) {
			b *= surge;
			surge_left--;
		}
		/* whole clips (and their sidecars): lumpy, same mean */
		o = floor(b / avg + rnd());
		b = o * avg * (0.8 + 0.4 * rnd());
		o *= 2;
		if (hour_idx < MAXH) {
			ch[hour_idx].b += b;
			ch[hour_idx].o += o;
			ch[hour_idx].keep = (float)fmin(0.9, fmax(0.0, keep + 0.05 * gauss()));
			live_b += b;
			live_o += o;
		}
		add_b = b;
		add_o = o;

		/* the nightly purge */
		if (day != last_purge_day && tod >= purge_at) {
			last_purge_day = day;
			if (rnd() < 0.04 && day != overpurge_day && missed_day != day - 1 &&
			    (onset < 0 || labs(day - onset / 86400) > 1)) {
				missed_day = day;
			} else {
				int64_t cut = hour_base + (ts - (int64_t)R * 86400) / 3600;

				if (day == overpurge_day)
					cut += overpurge_extra * 24;
				purge_b_left = purge_o_left = 0;
				for (int64_t c = 0; c < cut && c < MAXH; c++) {
					if (ch[c].purged)
						continue;
					double kb = ch[c].b * ch[c].keep, ko = ch[c].o * ch[c].keep;
					purge_b_left += ch[c].b - kb;
					purge_o_left += ch[c].o - ko;
					kept_b += kb;
					kept_o += ko;
					live_b -= ch[c].b - kb;
					live_o -= ch[c].o - ko;
					ch[c].b = ch[c].o = 0;
					ch[c].purged = 1;
				}
				purge_left = purge_len;
				if (getenv("SIM_DEBUG"))
					fprintf(stderr, "day %d cut %lld purge %.3g\n", day, (long long)cut, purge_b_left);
			}
		}
		/* the purge runs over purge_len samples: the totals fall gradually */
		double purge_now_b = 0, purge_now_o = 0;
		if (purge_left > 0) {
			purge_now_b = purge_b_left / purge_left;
			purge_now_o = purge_o_left / purge_left;
			purge_b_left -= purge_now_b;
			purge_o_left -= purge_now_o;
			purge_left--;
		}

		/* injected losses */
		double lost_b = 0, lost_o = 0;
		if (onset >= 0 && ts >= onset && inj_done < inj_samples) {
			double fb = inj_b / inj_samples, fo = inj_o / inj_samples;
			double rb = 0, ro = 0;

			if (strcmp(kind, "object_loss") == 0) {
				/* sidecars: objects go, bytes almost not */
				remove_frac(0, fo, &rb, &ro);
				rb = ro * 8192;
			} else if (truncate_n) {
				remove_frac(fb, 0, &rb, &ro);
			} else {
				remove_frac(fb, fo, &rb, &ro);
			}
			lost_b += rb;
			lost_o += ro;
			inj_done++;
			if (strcmp(kind, "declared") == 0 && inj_done == 1) {
				double tb = store_b();
				fprintf(fe, "%lld,%lld,s%d,%.0f,,court order 2025/%d\n",
					(long long)(t0 + onset - 600),
					(long long)(t0 + onset + (int64_t)inj_samples * interval + 600),
					seed, tb * inj_b * 1.05, seed);
			}
		}
		if (leak_rate > 0 && ts >= onset) {
			double rb = 0, ro = 0, f = leak_rate * interval / 86400.0;
			remove_frac(f, f, &rb, &ro);
			lost_b += rb;
			lost_o += ro;
		}
		(void)lost_b;
		(void)lost_o;

		/* temp files: born in the interval, gone 1-3 samples later */
		double tmp_add_b = 0, tmp_add_o = 0;
		if (temp_left > 0 && --temp_left == 0) {
			temp_b = temp_o = 0;
		}
		if (temp_left == 0 && rnd() < 0.2) {
			if (rnd() < 0.1) {
				temp_b = avg * (0.01 + 0.09 * rnd());
				temp_o = 1;
				tmp_add_b = temp_b;
				tmp_add_o = 1;
				temp_left = 1 + (int)(rnd() * 3);
			} /* else: appeared and vanished within the interval: invisible */
		}
		add_b += tmp_add_b;
		add_o += tmp_add_o;

		/* totals at this scan */
		double tot_b = store_b() + purge_b_left + temp_b;
		double tot_o = live_o + purge_o_left + temp_o;
		(void)purge_now_b;
		(void)purge_now_o;
		acc_add_b += add_b;
		acc_add_o += add_o;

		t = t0 + ts;
		if (strcmp(kind, "vanished") == 0 && ts >= onset && onset >= 0)
			vanished = 1;
		if (onset >= 0 && strcmp(kind, "silence") == 0 && ts >= onset &&
		    ts < onset + (int64_t)silence_len * interval)
			continue; /* the agent is dead: nothing arrives */
		if (gap_left > 0) {
			gap_left--;
			continue;
		}
		if (rnd() < 0.0005 && i - last_gap > 10) { /* a missed sample or two */
			gap_left = (int)(rnd() * 2);
			last_gap = i;
			continue;
		}
		if (vanished) {
			/* the volume is unmounted: the empty mount point is scanned */
			fprintf(fc, net ? "%lld,s%d,0,0,complete,2050\n" : "%lld,s%d,0,0,0,0,complete,2050\n",
				(long long)t, seed);
			continue;
		}
		if (rnd() < 0.003) { /* a partial scan: totals unknown */
			fprintf(fc, net ? "%lld,s%d,,,partial,%llu\n" : "%lld,s%d,,,,,partial,%llu\n",
				(long long)t, seed, (unsigned long long)mount);
			continue;
		}
		if (net)
			fprintf(fc, "%lld,s%d,%.0f,%.0f,complete,%llu\n", (long long)t, seed, tot_b, tot_o,
				(unsigned long long)mount);
		else
			fprintf(fc, "%lld,s%d,%.0f,%.0f,%.0f,%.0f,complete,%llu\n", (long long)t, seed,
				tot_b, tot_o, acc_add_b, acc_add_o, (unsigned long long)mount);
		acc_add_b = acc_add_o = 0;
	}
	fclose(fc);
	fclose(fl);
	fclose(fe);
	fclose(fk);
	return 0;
}
