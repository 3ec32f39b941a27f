/*
 * trace.c - strict parsers for replay traces and explanation files
 * (see trace.h).  Everything is checked: a malformed number, a missing
 * column or an unknown status is an error naming the column, because a
 * replay that silently skipped rows would hide exactly the loss it is run to
 * investigate.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "trace.h"
#include "shrinkwatch/names.h"
#include "shrinkwatch/sample.h"
#include "shrinkwatch/banned.h"

static const char *const trace_cols[TRACE_NCOLS] = {
	"time", "store", "bytes", "objects", "added_bytes", "added_objects", "status", "mount_id",
	"flags", "removed_bytes", "removed_objects", "removed_young_bytes", "removed_young_objects",
	"removed_min_age", "retention", "fresh_age", "removed_fresh_bytes", "removed_fresh_objects",
	"removed_min_settled_age",
};
static const char *const expl_cols[EXPL_NCOLS] = {
	"start", "end", "store", "bytes", "objects", "reason", "who", "filed",
};

/* Strips blanks around a field and one pair of double quotes. */
static char *clean(char *f)
{
	size_t n;

	while (*f == ' ' || *f == '\t')
		f++;
	n = strlen(f);
	while (n && (f[n - 1] == ' ' || f[n - 1] == '\t'))
		f[--n] = '\0';
	if (n >= 2 && f[0] == '"' && f[n - 1] == '"') {
		f[n - 1] = '\0';
		f++;
	}
	return f;
}

/* Cuts a line into at most max fields; strips a trailing CR/LF.  When
 * rest_col >= 0, that field takes the remainder of the line. */
static int split(char *line, char **f, int max, int rest_col)
{
	size_t len = strlen(line);
	int n = 0, i;
	char *p = line;

	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	for (;;) {
		char *c;

		if (n == max)
			return -1;
		f[n++] = p;
		if (n - 1 == rest_col)
			break;
		c = strchr(p, ',');
		if (!c)
			break;
		*c = '\0';
		p = c + 1;
	}
	for (i = 0; i < n; i++)
		f[i] = clean(f[i]);
	return n;
}

static int parse_header(struct trace_header *h, char *line, const char *const *names, int ncols,
			int nrequired, char *err, size_t errlen)
{
	char *f[TRACE_MAX_FIELDS];
	int n, i, j;

	for (i = 0; i < (int)(sizeof h->col / sizeof h->col[0]); i++)
		h->col[i] = -1;
	n = split(line, f, TRACE_MAX_FIELDS, -1);
	if (n < 0) {
		snprintf(err, errlen, "header: more than %d columns", TRACE_MAX_FIELDS);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < ncols; j++) {
			if (strcasecmp(f[i], names[j]) != 0)
				continue;
			if (h->col[j] >= 0) {
				snprintf(err, errlen, "header: column '%s' appears twice", names[j]);
				return -EINVAL;
			}
			h->col[j] = i;
		}
	}
	for (j = 0; j < nrequired; j++) {
		if (h->col[j] < 0) {
			snprintf(err, errlen, "header: missing column '%s'", names[j]);
			return -EINVAL;
		}
	}
	h->nfields = n;
	return 0;
}

int trace_parse_header(struct trace_header *h, char *line, char *err, size_t errlen)
{
	int rc = parse_header(h, line, trace_cols, TRACE_NCOLS, 4, err, errlen);

	if (rc == 0 && (h->col[TRACE_COL_ADDED_BYTES] < 0) != (h->col[TRACE_COL_ADDED_OBJECTS] < 0)) {
		snprintf(err, errlen, "header: added_bytes and added_objects go together");
		return -EINVAL;
	}
	return rc;
}

int expl_parse_header(struct trace_header *h, char *line, char *err, size_t errlen)
{
	return parse_header(h, line, expl_cols, EXPL_NCOLS, 5, err, errlen);
}

/* A number as in a trace: digits with an optional fraction (".0" from data
 * frames) or exponent; no sign unless allow_neg; finite. */
static int get_number(const char *s, double *v, int allow_neg)
{
	char *end;
	double x;

	if (!((*s >= '0' && *s <= '9') || (allow_neg && *s == '-' && s[1] >= '0' && s[1] <= '9')))
		return -EINVAL;
	errno = 0;
	x = strtod(s, &end);
	if (errno || *end || !isfinite(x))
		return -EINVAL;
	*v = x;
	return 0;
}

static int get_i64(const char *s, int64_t *v)
{
	double x;

	if (get_number(s, &x, 1) || x < -9.2e18 || x > 9.2e18)
		return -EINVAL;
	*v = (int64_t)floor(x);
	return 0;
}

/* A non-negative count below 2^53 (exact as a double). */
static int get_count(const char *s, double *v)
{
	double x;

	if (get_number(s, &x, 0) || x > 9007199254740992.0)
		return -EINVAL;
	*v = floor(x + 0.5);
	return 0;
}

/* "name" or "agent/name", each part a valid name (names.h). */
static int get_store(const char *s, char *out, char *err, size_t errlen)
{
	const char *slash = strchr(s, '/');
	bool ok = slash ? name_valid_n(s, (size_t)(slash - s)) && name_valid(slash + 1)
			: name_valid(s);

	if (!ok) {
		snprintf(err, errlen, "invalid store name '%.80s'", s);
		return -EINVAL;
	}
	snprintf(out, TRACE_STORE_MAX + 1, "%s", s);
	return 0;
}

#define FIELD(h, f, c) ((h)->col[c] >= 0 ? (f)[(h)->col[c]] : NULL)

static int bad(char *err, size_t errlen, const char *col, const char *val)
{
	snprintf(err, errlen, "column '%s': invalid value '%.40s'", col, val);
	return -EINVAL;
}

static int parse_exact(const struct trace_header *h, char **f, struct detect_input *in, char *err,
		       size_t errlen);

int trace_parse_row(const struct trace_header *h, char *line, struct trace_row *row, char *err,
		    size_t errlen)
{
	char *f[TRACE_MAX_FIELDS];
	const char *v;
	int n, i;
	double ab, ao;

	memset(row, 0, sizeof *row);
	if (line[strspn(line, " \t\r\n")] == '\0')
		return 1;
	n = split(line, f, TRACE_MAX_FIELDS, -1);
	if (n != h->nfields) {
		snprintf(err, errlen, "expected %d fields, found %d", h->nfields, n < 0 ? TRACE_MAX_FIELDS : n);
		return -EINVAL;
	}
	v = FIELD(h, f, TRACE_COL_TIME);
	if (get_i64(v, &row->in.time))
		return bad(err, errlen, "time", v);
	if (get_store(FIELD(h, f, TRACE_COL_STORE), row->store, err, errlen))
		return -EINVAL;
	row->in.status = SW_SCAN_COMPLETE;
	for (i = 0; i < 2; i++) {
		int c = i ? TRACE_COL_OBJECTS : TRACE_COL_BYTES;
		double *dst = i ? &row->in.objects : &row->in.bytes;

		v = FIELD(h, f, c);
		if (!*v)
			row->in.status = SW_SCAN_PARTIAL;
		else if (get_count(v, dst))
			return bad(err, errlen, trace_cols[c], v);
	}
	if (h->col[TRACE_COL_ADDED_BYTES] >= 0) {
		const char *vb = FIELD(h, f, TRACE_COL_ADDED_BYTES);
		const char *vo = FIELD(h, f, TRACE_COL_ADDED_OBJECTS);

		if (*vb || *vo) {
			if (get_count(vb, &ab))
				return bad(err, errlen, "added_bytes", vb);
			if (get_count(vo, &ao))
				return bad(err, errlen, "added_objects", vo);
			row->in.added_bytes = ab;
			row->in.added_objects = ao;
			row->in.has_added = true;
		}
	}
	v = FIELD(h, f, TRACE_COL_STATUS);
	if (v && *v) {
		if (strcmp(v, "complete") == 0) {
			if (row->in.status != SW_SCAN_COMPLETE) {
				snprintf(err, errlen, "status 'complete' with empty totals");
				return -EINVAL;
			}
		} else if (strcmp(v, "partial") == 0) {
			row->in.status = SW_SCAN_PARTIAL;
		} else if (strcmp(v, "missing") == 0) {
			row->in.status = SW_SCAN_MISSING;
		} else {
			return bad(err, errlen, "status", v);
		}
	}
	v = FIELD(h, f, TRACE_COL_MOUNT_ID);
	if (v && *v) {
		double m;

		if (get_count(v, &m))
			return bad(err, errlen, "mount_id", v);
		row->in.mount_id = (uint64_t)m;
	}
	return parse_exact(h, f, &row->in, err, errlen);
}

/* A count column that may be absent or empty (then 0). */
static int get_opt_count(const struct trace_header *h, char **f, int c, double *v, char *err,
			 size_t errlen)
{
	const char *s = FIELD(h, f, c);

	*v = 0;
	if (!s || !*s)
		return 0;
	if (get_count(s, v))
		return bad(err, errlen, trace_cols[c], s);
	return 0;
}

/* The fresh split's columns (trace.h), on an exact row with flag 128,
 * checked as lib/proto.c checks them. */
static int parse_fresh(const struct trace_header *h, char **f, struct detect_input *in,
		       char *err, size_t errlen)
{
	double age, v[2], settled;
	const char *s;
	const double *within = in->young_split ? in->removed_young : in->removed;

	if (get_opt_count(h, f, TRACE_COL_FRESH_AGE, &age, err, errlen) ||
	    get_opt_count(h, f, TRACE_COL_REMOVED_FRESH_BYTES, &v[0], err, errlen) ||
	    get_opt_count(h, f, TRACE_COL_REMOVED_FRESH_OBJECTS, &v[1], err, errlen))
		return -EINVAL;
	if (age < 1 || (in->young_split && age > (double)in->retention)) {
		snprintf(err, errlen, "fresh_age: must be above 0 and at most the retention");
		return -EINVAL;
	}
	if (v[0] > within[0] || v[1] > within[1]) {
		snprintf(err, errlen, "removed_fresh_* above removed_%s*",
			 in->young_split ? "young_" : "");
		return -EINVAL;
	}
	in->removed_min_settled_age = UINT64_MAX;
	s = FIELD(h, f, TRACE_COL_REMOVED_MIN_SETTLED_AGE);
	if (s && *s) {
		if (get_count(s, &settled))
			return bad(err, errlen, "removed_min_settled_age", s);
		if (settled < age) {
			snprintf(err, errlen, "removed_min_settled_age below fresh_age");
			return -EINVAL;
		}
		in->removed_min_settled_age = (uint64_t)settled;
	}
	in->fresh_split = true;
	in->fresh_age = (uint64_t)age;
	in->removed_fresh[0] = v[0];
	in->removed_fresh[1] = v[1];
	return 0;
}

/* The exact-accounting columns (trace.h), checked as the collector checks a
 * protocol-3 sample: a replay must refuse what the live path refuses. */
static int parse_exact(const struct trace_header *h, char **f, struct detect_input *in, char *err,
		       size_t errlen)
{
	double flags, v[4], age, ret;
	const char *s;
	int i;

	if (get_opt_count(h, f, TRACE_COL_FLAGS, &flags, err, errlen))
		return -EINVAL;
	if (flags > UINT32_MAX)
		return bad(err, errlen, "flags", FIELD(h, f, TRACE_COL_FLAGS));
	if (!((uint32_t)flags & SW_SAMPLE_EXACT)) {
		if ((uint32_t)flags & SW_SAMPLE_YOUNG_SPLIT) {
			snprintf(err, errlen, "flags: young split (16) without exact (8)");
			return -EINVAL;
		}
		if ((uint32_t)flags & SW_SAMPLE_FRESH_SPLIT) {
			snprintf(err, errlen, "flags: fresh split (128) without exact (8)");
			return -EINVAL;
		}
		return 0;
	}
	if (in->status != SW_SCAN_COMPLETE) {
		snprintf(err, errlen, "flags: exact (8) on a scan that is not complete");
		return -EINVAL;
	}
	for (i = 0; i < 4; i++)
		if (get_opt_count(h, f, TRACE_COL_REMOVED_BYTES + i, &v[i], err, errlen))
			return -EINVAL;
	if (get_opt_count(h, f, TRACE_COL_RETENTION, &ret, err, errlen))
		return -EINVAL;
	in->exact = true;
	in->removed[0] = v[0];
	in->removed[1] = v[1];
	in->retention = (uint64_t)ret;
	in->removed_min_age = UINT64_MAX;
	s = FIELD(h, f, TRACE_COL_REMOVED_MIN_AGE);
	if (s && *s) {
		if (get_count(s, &age))
			return bad(err, errlen, "removed_min_age", s);
		in->removed_min_age = (uint64_t)age;
	}
	if ((uint32_t)flags & SW_SAMPLE_YOUNG_SPLIT) {
		if (!in->retention) {
			snprintf(err, errlen, "flags: young split (16) without a retention");
			return -EINVAL;
		}
		if (v[2] > v[0] || v[3] > v[1]) {
			snprintf(err, errlen, "removed_young_* above removed_*");
			return -EINVAL;
		}
		in->young_split = true;
		in->removed_young[0] = v[2];
		in->removed_young[1] = v[3];
	}
	if (!((uint32_t)flags & SW_SAMPLE_FRESH_SPLIT))
		return 0;
	return parse_fresh(h, f, in, err, errlen);
}

int expl_parse_row(const struct trace_header *h, char *line, struct expl_row *row, char *err,
		   size_t errlen)
{
	char *f[TRACE_MAX_FIELDS];
	const char *v;
	int n, rest = -1;

	memset(row, 0, sizeof *row);
	if (line[strspn(line, " \t\r\n")] == '\0')
		return 1;
	if (h->col[EXPL_COL_REASON] == h->nfields - 1)
		rest = h->nfields - 1;
	n = split(line, f, TRACE_MAX_FIELDS, rest);
	if (n != h->nfields) {
		snprintf(err, errlen, "expected %d fields, found %d", h->nfields, n < 0 ? TRACE_MAX_FIELDS : n);
		return -EINVAL;
	}
	v = FIELD(h, f, EXPL_COL_START);
	if (get_i64(v, &row->e.start))
		return bad(err, errlen, "start", v);
	v = FIELD(h, f, EXPL_COL_END);
	if (get_i64(v, &row->e.end) || row->e.end < row->e.start)
		return bad(err, errlen, "end", v);
	if (get_store(FIELD(h, f, EXPL_COL_STORE), row->store, err, errlen))
		return -EINVAL;
	v = FIELD(h, f, EXPL_COL_BYTES);
	row->e.allow_bytes = -1;
	if (*v && get_count(v, &row->e.allow_bytes))
		return bad(err, errlen, "bytes", v);
	v = FIELD(h, f, EXPL_COL_OBJECTS);
	row->e.allow_objects = -1;
	if (*v && get_count(v, &row->e.allow_objects))
		return bad(err, errlen, "objects", v);
	v = FIELD(h, f, EXPL_COL_REASON);
	snprintf(row->reason, sizeof row->reason, "%s", v ? v : "");
	v = FIELD(h, f, EXPL_COL_WHO);
	snprintf(row->who, sizeof row->who, "%s", v ? v : "");
	row->filed = row->e.start;
	v = FIELD(h, f, EXPL_COL_FILED);
	if (v && *v && get_i64(v, &row->filed))
		return bad(err, errlen, "filed", v);
	return 0;
}
