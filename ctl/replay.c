/*
 * replay.c - `shrinkwatchctl replay` (see replay.h).
 *
 * Stores are created on first sight, each with its effective knobs from the
 * config (detect_config_resolve) and a fresh state.  Declared deletions are
 * handed to the detector when replay time reaches the moment they were filed
 * (their start unless a "filed" column says otherwise), so an explanation
 * filed after the fact resolves the open alert it covers, as it would live.
 * Silence is checked before each row against every store's deadline, as the
 * collector's timer would.  --figures writes, for each sample the detector
 * judged, what it made of it (struct detect_figures): the operator's answer
 * to "why did this fire" or "why was this quiet", one CSV row a sample.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"
#include "trace.h"
#include "shrinkwatch/buf.h"
#include "shrinkwatch/csv.h"
#include "shrinkwatch/detect.h"
#include "shrinkwatch/detect_config.h"
#include "shrinkwatch/json.h"
#include "shrinkwatch/strmap.h"
#include "shrinkwatch/termesc.h"
#include "shrinkwatch/banned.h"

struct rstore {
	char name[TRACE_STORE_MAX + 1];
	struct detect_params p;
	struct detect_state st;
};

struct replay {
	struct detect_config_set cs;
	struct strmap stores;
	struct rstore **list;
	size_t nlist, alist;
	struct expl_row *expl;
	size_t nexpl, next_expl;
	int64_t min_deadline;
	struct buf out;
	FILE *fig;      /* --figures: one CSV row per judged sample, or NULL */
	struct buf fout;
};

struct pending_ev {
	const struct rstore *s;
	struct detect_event ev;
};

/* A bad line of an input file: the file's own text in err is escaped for the
 * terminal (termesc.h), as every name shrinkwatchctl prints. */
static void print_bad(const char *path, unsigned long lineno, const char *err)
{
	char p[TERM_ESCAPE_MAX(256)], e[TERM_ESCAPE_MAX(512)];

	fprintf(stderr, "replay: %s:%lu: %s\n", term_escape(path, p, sizeof p), lineno,
		term_escape(err, e, sizeof e));
}

static void usage(FILE *f)
{
	fprintf(f, "usage: shrinkwatchctl replay [--config FILE] [--explain FILE] [--figures FILE]\n"
		   "                             TRACE.csv\n"
		   "  Feeds a trace (time,store,bytes,objects[,added_bytes,added_objects])\n"
		   "  through the detector and prints alert transitions as JSON Lines.\n"
		   "  --figures FILE  also writes, per judged sample, what the detector made\n"
		   "                  of it as CSV: removal, purge allowance and use, declared\n"
		   "                  and unexplained loss, bytes and objects\n");
}

static int print_event(struct replay *r, const struct rstore *s, const struct detect_event *e)
{
	struct buf *b = &r->out;

	b->len = 0;
	if (detect_event_json(b, s->name, e) || json_put_raw(b, "\n"))
		return -ENOBUFS;
	if (fwrite(b->data, 1, b->len, stdout) != b->len)
		return -EIO;
	return 0;
}

static struct rstore *store_get(struct replay *r, const char *name)
{
	struct rstore *s = strmap_get(&r->stores, name);

	if (s)
		return s;
	if (r->nlist == r->alist) {
		size_t na = r->alist ? 2 * r->alist : 16;
		struct rstore **l = realloc(r->list, na * sizeof *l);

		if (!l)
			return NULL;
		r->list = l;
		r->alist = na;
	}
	s = calloc(1, sizeof *s);
	if (!s || strmap_put(&r->stores, name, s)) {
		free(s);
		return NULL;
	}
	snprintf(s->name, sizeof s->name, "%s", name);
	detect_config_resolve(&r->cs, name, &s->p);
	detect_state_init(&s->st);
	r->list[r->nlist++] = s;
	return s;
}

static int cmp_pending(const void *a, const void *b)
{
	const struct pending_ev *x = a, *y = b;

	if (x->ev.time != y->ev.time)
		return x->ev.time < y->ev.time ? -1 : 1;
	return strcmp(x->s->name, y->s->name);
}

/* Fires the silence of every store whose deadline passed before t. */
static int run_ticks(struct replay *r, int64_t t)
{
	struct pending_ev *pe = NULL;
	size_t npe = 0, i;
	int64_t min = INT64_MAX;
	int rc = 0;

	if (t <= r->min_deadline)
		return 0;
	for (i = 0; i < r->nlist; i++) {
		struct rstore *s = r->list[i];
		int64_t d = detect_silence_deadline(&s->st, &s->p);
		struct detect_event ev;

		if (d < t && detect_tick(&s->st, &s->p, d, &ev) == 1) {
			struct pending_ev *np = realloc(pe, (npe + 1) * sizeof *pe);

			if (!np) {
				rc = -ENOMEM;
				goto out;
			}
			pe = np;
			pe[npe].s = s;
			pe[npe].ev = ev;
			npe++;
			d = detect_silence_deadline(&s->st, &s->p);
		}
		if (d < min)
			min = d;
	}
	r->min_deadline = min;
	qsort(pe, npe, sizeof *pe, cmp_pending);
	for (i = 0; i < npe && !rc; i++)
		rc = print_event(r, pe[i].s, &pe[i].ev);
out:
	free(pe);
	return rc;
}

/* Hands the detector every explanation filed up to time t. */
static int file_explanations(struct replay *r, int64_t t)
{
	while (r->next_expl < r->nexpl && r->expl[r->next_expl].filed <= t) {
		struct expl_row *x = &r->expl[r->next_expl];
		struct rstore *s = store_get(r, x->store);
		struct detect_event ev;
		int rc;

		if (!s)
			return -ENOMEM;
		x->e.id = (uint32_t)(r->next_expl + 1);
		rc = detect_explain_add(&s->st, &x->e, &ev);
		if (rc == 1) {
			if (ev.time < x->filed)
				ev.time = x->filed;
			rc = print_event(r, s, &ev);
			if (rc)
				return rc;
		} else if (rc < 0) {
			fprintf(stderr, "replay: store '%s': explanation %zu ignored: %s\n", s->name,
				r->next_expl + 1, strerror(-rc));
		}
		r->next_expl++;
	}
	return 0;
}

static int cmp_expl(const void *a, const void *b)
{
	const struct expl_row *x = a, *y = b;

	return x->filed < y->filed ? -1 : x->filed > y->filed;
}

static int load_explanations(struct replay *r, const char *path)
{
	FILE *f = fopen(path, "re");
	char *line = NULL, err[256];
	size_t cap = 0, alloc = 0;
	unsigned long lineno = 0;
	struct trace_header h;
	int rc = -1;

	if (!f) {
		fprintf(stderr, "replay: cannot open '%s': %s\n", path, strerror(errno));
		return -1;
	}
	while (getline(&line, &cap, f) >= 0) {
		struct expl_row row;
		int prc;

		lineno++;
		if (lineno == 1) {
			if (expl_parse_header(&h, line, err, sizeof err))
				goto bad;
			continue;
		}
		prc = expl_parse_row(&h, line, &row, err, sizeof err);
		if (prc < 0)
			goto bad;
		if (prc == 1)
			continue;
		if (r->nexpl == alloc) {
			size_t na = alloc ? 2 * alloc : 16;
			struct expl_row *n = realloc(r->expl, na * sizeof *n);

			if (!n) {
				snprintf(err, sizeof err, "out of memory");
				goto bad;
			}
			r->expl = n;
			alloc = na;
		}
		r->expl[r->nexpl++] = row;
	}
	if (lineno == 0) {
		snprintf(err, sizeof err, "empty file (expected a header line)");
		goto bad;
	}
	qsort(r->expl, r->nexpl, sizeof *r->expl, cmp_expl);
	rc = 0;
	goto out;
bad:
	print_bad(path, lineno, err);
out:
	free(line);
	fclose(f);
	return rc;
}

static const char fig_header[] =
	"time,store,in_purge,removed_bytes,removed_objects,purge_allow_bytes,"
	"purge_allow_objects,purge_done_bytes,purge_done_objects,declared_bytes,"
	"declared_objects,unexplained_bytes,unexplained_objects\n";

/* One --figures row; the store name is hostile text (csv.h). */
static int print_figures(struct replay *r, const struct rstore *s, int64_t t,
			 const struct detect_figures *fg)
{
	const double *v[] = { fg->removed, fg->purge_allow, fg->purge_done, fg->declared,
			      fg->unexplained };
	struct buf *b = &r->fout;
	char num[40];
	size_t i;

	b->len = 0;
	if (csv_put_i64(b, t) || buf_append(b, ",", 1) || csv_put_field(b, s->name) ||
	    buf_append(b, fg->in_purge ? ",1" : ",0", 2))
		return -ENOBUFS;
	for (i = 0; i < sizeof v / sizeof v[0]; i++)
		for (int k = 0; k < 2; k++) {
			int l = snprintf(num, sizeof num, ",%.0f", v[i][k]);

			if (buf_append(b, num, (size_t)l))
				return -ENOBUFS;
		}
	if (buf_append(b, "\n", 1))
		return -ENOBUFS;
	return fwrite(b->data, 1, b->len, r->fig) == b->len ? 0 : -EIO;
}

static int run_trace(struct replay *r, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
	char *line = NULL, err[256];
	size_t cap = 0;
	unsigned long lineno = 0;
	struct trace_header h;
	int64_t last_t = INT64_MIN;
	int rc = -1, n, i;

	if (!f) {
		fprintf(stderr, "replay: cannot open '%s': %s\n", path, strerror(errno));
		return -1;
	}
	while (getline(&line, &cap, f) >= 0) {
		struct trace_row row;
		struct detect_event ev[DETECT_MAX_EVENTS];
		struct rstore *s;
		int prc;

		lineno++;
		if (lineno == 1) {
			if (trace_parse_header(&h, line, err, sizeof err))
				goto bad;
			continue;
		}
		prc = trace_parse_row(&h, line, &row, err, sizeof err);
		if (prc < 0)
			goto bad;
		if (prc == 1)
			continue;
		if (row.in.time < last_t) {
			snprintf(err, sizeof err, "time %lld is before the previous row's %lld",
				 (long long)row.in.time, (long long)last_t);
			goto bad;
		}
		last_t = row.in.time;
		if (run_ticks(r, row.in.time) || file_explanations(r, row.in.time))
			goto io;
		s = store_get(r, row.store);
		if (!s)
			goto io;
		if (r->fig) {
			struct detect_figures fg;

			memset(&fg, 0, sizeof fg);
			n = detect_update_figures(&s->st, &s->p, &row.in, ev, &fg);
			if (n >= 0 && fg.judged && print_figures(r, s, row.in.time, &fg))
				goto io;
		} else {
			n = detect_update(&s->st, &s->p, &row.in, ev);
		}
		for (i = 0; i < n; i++)
			if (print_event(r, s, &ev[i]))
				goto io;
		if (n == 0 && detect_silence_deadline(&s->st, &s->p) < r->min_deadline)
			r->min_deadline = detect_silence_deadline(&s->st, &s->p);
		else if (n)
			r->min_deadline = INT64_MIN; /* recompute on the next row */
	}
	if (ferror(f)) {
		fprintf(stderr, "replay: cannot read '%s': %s\n", path, strerror(errno));
		goto out;
	}
	if (lineno == 0) {
		snprintf(err, sizeof err, "empty file (expected a header line)");
		goto bad;
	}
	rc = 0;
	goto out;
io:
	fprintf(stderr, "replay: cannot write events: out of memory or output error\n");
	goto out;
bad:
	print_bad(path, lineno, err);
out:
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}

int ctl_replay_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "explain", required_argument, NULL, 'e' },
		{ "figures", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *explain = NULL, *figures = NULL;
	struct replay r;
	char msg[768], shown[TERM_ESCAPE_MAX(768)];
	int c, rc = 1;
	size_t i;

	memset(&r, 0, sizeof r);
	detect_config_init(&r.cs);
	strmap_init(&r.stores);
	buf_init(&r.out, 1 << 16);
	buf_init(&r.fout, 1 << 12);
	r.min_deadline = INT64_MIN;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:e:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'e':
			explain = optarg;
			break;
		case 'f':
			figures = optarg;
			break;
		case 'h':
			usage(stdout);
			rc = 0;
			goto out;
		default:
			usage(stderr);
			rc = 2;
			goto out;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "replay: expected exactly one TRACE.csv\n");
		usage(stderr);
		rc = 2;
		goto out;
	}
	if (config && detect_config_load(&r.cs, config, msg, sizeof msg)) {
		fprintf(stderr, "replay: %s\n", term_escape(msg, shown, sizeof shown));
		goto out;
	}
	if (explain && load_explanations(&r, explain))
		goto out;
	if (figures) {
		r.fig = fopen(figures, "we");
		if (!r.fig || fputs(fig_header, r.fig) == EOF) {
			fprintf(stderr, "replay: cannot write '%s': %s\n",
				term_escape(figures, shown, sizeof shown), strerror(errno));
			goto out;
		}
	}
	if (run_trace(&r, argv[optind]))
		goto out;
	if (r.fig) {
		FILE *f = r.fig;

		r.fig = NULL;
		if (fclose(f)) {
			fprintf(stderr, "replay: cannot write '%s': %s\n",
				term_escape(figures, shown, sizeof shown), strerror(errno));
			goto out;
		}
	}
	if (fflush(stdout)) {
		fprintf(stderr, "replay: cannot write: %s\n", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	for (i = 0; i < r.nlist; i++)
		free(r.list[i]);
	free(r.list);
	free(r.expl);
	strmap_release(&r.stores);
	buf_release(&r.out);
	buf_release(&r.fout);
	if (r.fig)
		fclose(r.fig);
	detect_config_release(&r.cs);
	return rc;
}
