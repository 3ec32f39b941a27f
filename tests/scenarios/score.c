/*
 * score.c - scores detectors on labelled traces and prints the table.
 *
 *   score [--assert] PREFIX...
 *
 * For each PREFIX it reads PREFIX.label (from simulate), PREFIX.sw.jsonl
 * (shrinkwatchctl replay) and PREFIX.ref.jsonl (refdetect).  An injected
 * event counts as detected when a detector fires inside its window (an hour
 * for sudden losses and overpurge, 7 days for leaks, the gap for silence);
 * the delay is counted in samples from the injection's first sample.  Any
 * other alert onset is a false alert; false alerts are reported per
 * store-month over all traces.  With --assert the exit status is 1 when a
 * target of docs/detection.md is missed.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NDET 3
#define MAXROWS 32
#define MAXN 256

static const char *const det_names[NDET] = { "shrinkwatch", "static 1%/h", "Holt-Winters" };

struct row {
	char name[48];
	int ntraces, total, hit[NDET], right_kind;
	double delays[NDET][MAXN];
	int ndel[NDET];
	int false_alerts[NDET];
	double max_delay[NDET];
};

static struct row rows[MAXROWS];
static int nrows;
static double store_days;
static int false_total[NDET], false_quiet[NDET];

static struct row *row_get(const char *name)
{
	int i;

	for (i = 0; i < nrows; i++)
		if (strcmp(rows[i].name, name) == 0)
			return &rows[i];
	if (nrows == MAXROWS)
		exit(2);
	snprintf(rows[nrows].name, sizeof rows[nrows].name, "%s", name);
	return &rows[nrows++];
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	if (n == 0)
		return NAN;
	qsort(v, (size_t)n, sizeof *v, cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Alert onsets of one detector: (time, kind string) pairs. */
struct alert {
	long long t;
	char kind[24];
};

static int load(const char *path, int det, struct alert *a, int max)
{
	FILE *f = fopen(path, "r");
	char line[2048];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f) && n < max) {
		char *p = strstr(line, "\"time\":"), *k;

		if (!p)
			continue;
		if (det == 0 && !strstr(line, "\"state\":\"firing\""))
			continue;
		if (det == 1 && !strstr(line, "\"detector\":\"static\""))
			continue;
		if (det == 2 && !strstr(line, "\"detector\":\"holtwinters\""))
			continue;
		a[n].t = atoll(p + 7);
		a[n].kind[0] = '\0';
		k = strstr(line, "\"kind\":\"");
		if (k)
			sscanf(k + 8, "%23[a-z_]", a[n].kind);
		n++;
	}
	fclose(f);
	return n;
}

int main(int argc, char **argv)
{
	static struct alert al[20000];
	int i, d, a, do_assert = 0, failed = 0;
	double months;

	for (i = 1; i < argc; i++) {
		char path[1024], kind[32], mode[16], rname[48];
		long long onset, end, related;
		int interval, days, n;
		FILE *f;
		struct row *r;

		if (strcmp(argv[i], "--assert") == 0) {
			do_assert = 1;
			continue;
		}
		snprintf(path, sizeof path, "%s.label", argv[i]);
		f = fopen(path, "r");
		if (!f || fscanf(f, "%31s %lld %lld %d %d %15s", kind, &onset, &end, &interval, &days,
				 mode) != 6) {
			fprintf(stderr, "score: bad label '%s'\n", path);
			return 2;
		}
		fclose(f);
		snprintf(rname, sizeof rname, "%s%s", kind,
			 strcmp(mode, "net") == 0 ? " (net-only)" : "");
		r = row_get(rname);
		r->ntraces++;
		store_days += days;
		related = strcmp(kind, "leak") == 0 || strcmp(kind, "vanished") == 0 ? INT64_MAX : end;
		if (onset >= 0 && strcmp(kind, "declared") != 0)
			r->total++;
		for (d = 0; d < NDET; d++) {
			int found = 0;

			snprintf(path, sizeof path, "%s.%s.jsonl", argv[i], d == 0 ? "sw" : "ref");
			n = load(path, d, al, (int)(sizeof al / sizeof al[0]));
			if (n < 0) {
				fprintf(stderr, "score: cannot read '%s'\n", path);
				return 2;
			}
			for (a = 0; a < n; a++) {
				int injected = onset >= 0 && strcmp(kind, "declared") != 0;

				if (injected && al[a].t >= onset && al[a].t <= end && !found) {
					double dl = (double)(al[a].t - onset) / interval;

					found = 1;
					r->hit[d]++;
					if (r->ndel[d] < MAXN)
						r->delays[d][r->ndel[d]++] = dl;
					if (dl > r->max_delay[d])
						r->max_delay[d] = dl;
					if (d == 0 && (strcmp(al[a].kind, kind) == 0 ||
						       (strcmp(kind, "masked") == 0 &&
							strcmp(al[a].kind, "drop") == 0)))
						r->right_kind++;
				} else if (!injected || al[a].t < onset || al[a].t > related) {
					r->false_alerts[d]++;
					false_total[d]++;
					if (!injected)
						false_quiet[d]++;
				}
			}
		}
	}
	months = store_days / 30.0;
	printf("| scenario | traces | shrinkwatch detected | right kind | median delay | max delay "
	       "| static detected | median delay | Holt-Winters detected | median delay |\n");
	printf("|---|---|---|---|---|---|---|---|---|---|\n");
	{
		int tot = 0, hit[NDET] = { 0, 0, 0 };

		for (i = 0; i < nrows; i++) {
			struct row *r = &rows[i];

			printf("| %s | %d ", r->name, r->ntraces);
			if (!r->total) {
				/* nothing injected: what matters is silence */
				printf("| %d false | | | | %d false | | %d false | |\n", r->false_alerts[0],
				       r->false_alerts[1], r->false_alerts[2]);
				continue;
			}
			tot += r->total;
			for (d = 0; d < NDET; d++) {
				double m = median(r->delays[d], r->ndel[d]);

				hit[d] += r->hit[d];
				printf("| %d/%d ", r->hit[d], r->total);
				if (d == 0)
					printf("| %d ", r->right_kind);
				if (isnan(m))
					printf("| - ");
				else
					printf("| %.1f ", m);
				if (d == 0)
					printf("| %.1f ", r->max_delay[d]);
			}
			printf("|\n");
		}
		printf("| **total** | %d ", tot);
		for (d = 0; d < NDET; d++)
			printf("| **%d/%d (%.0f%%)** %s", hit[d], tot, tot ? 100.0 * hit[d] / tot : 0,
			       d == 0 ? "| | | " : "| ");
		printf("|\n\n");
		printf("False alerts per store-month over all traces (%.1f store-months):\n\n",
		       months);
		for (d = 0; d < NDET; d++)
			printf("- %s: %.3f (%d false alerts, %d on normal/declared)\n", det_names[d],
			       false_total[d] / months, false_total[d], false_quiet[d]);
		if (do_assert) {
			for (i = 0; i < nrows; i++) {
				struct row *r = &rows[i];
				int net = strstr(r->name, "net-only") != NULL;
				int sudden = !strncmp(r->name, "drop", 4) || !strncmp(r->name, "truncate", 8) ||
					     !strncmp(r->name, "object_loss", 11);

				if (!r->total)
					continue;
				if (net && (!strncmp(r->name, "masked", 6) || !strncmp(r->name, "leak", 4)))
					continue; /* net-only: lower sensitivity, no target */
				if (r->hit[0] < r->total) {
					printf("eval: MISSED target: %s detected %d/%d\n", r->name, r->hit[0],
					       r->total);
					failed = 1;
				}
				if (sudden && r->max_delay[0] > 2) {
					printf("eval: MISSED target: %s max delay %.1f > 2 samples\n", r->name,
					       r->max_delay[0]);
					failed = 1;
				}
				if (!strncmp(r->name, "silence", 7) && r->max_delay[0] > 4) {
					printf("eval: MISSED target: silence delay %.1f > N+1\n", r->max_delay[0]);
					failed = 1;
				}
			}
			if (false_quiet[0]) {
				printf("eval: MISSED target: %d false alerts on normal/declared traces\n",
				       false_quiet[0]);
				failed = 1;
			}
			for (d = 1; d < NDET; d++) {
				if (hit[0] <= hit[d] || false_total[0] >= false_total[d]) {
					printf("eval: MISSED target: not better than %s\n", det_names[d]);
					failed = 1;
				}
			}
			printf(failed ? "eval: targets MISSED\n" : "eval: every target met\n");
		}
	}
	return failed;
}
