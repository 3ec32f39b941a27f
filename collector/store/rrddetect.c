/* rrddetect.c - the per-store detector RRD's format (see rrddetect.h). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rrddetect.h"
#include "rrdsample.h"
#include "shrinkwatch/banned.h"

const char *const rrddetect_ds_names[RRDDETECT_NDS] = {
	"removed",	   "purge_allow",     "purge_done",    "declared",
	"unexplained",	   "removed_obj",     "purge_allow_obj", "purge_done_obj",
	"declared_obj",	   "unexplained_obj",
};

/* ---- layout and format ------------------------------------------------ */

int rrddetect_path(const char *data_dir, const char *agent, const char *store, char *out,
		   size_t outlen)
{
	int n = snprintf(out, outlen, "%s/detect/%s/%s.rrd", data_dir, agent, store);

	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}

int rrddetect_layout(unsigned long step, const char **argv, int max, char *storage,
		     size_t len)
{
	const char *sv[64];
	char tmp[4096];
	size_t used = 0;
	int n = rrdsample_layout(step, sv, 64, tmp, sizeof tmp), argc = 0;

	if (n < 0)
		return n;
	for (int i = 0; i < RRDDETECT_NDS; i++) {
		/* removal and the unexplained part are negative when a store grows
		 * by more than was "added" (a rename into the store) */
		bool signed_ds = !strncmp(rrddetect_ds_names[i], "removed", 7) ||
				 !strncmp(rrddetect_ds_names[i], "unexplained", 11);
		int k = snprintf(storage + used, len - used, "DS:%s:GAUGE:%lu:%s:U",
				 rrddetect_ds_names[i], 2 * step, signed_ds ? "U" : "0");

		if (k < 0 || (size_t)k >= len - used || argc >= max)
			return -ENOBUFS;
		argv[argc++] = storage + used;
		used += (size_t)k + 1;
	}
	/* the store RRD's archives, so both files consolidate alike */
	for (int i = 0; i < n; i++) {
		size_t k = strlen(sv[i]);

		if (strncmp(sv[i], "RRA:", 4))
			continue;
		if (k + 1 > len - used || argc >= max)
			return -ENOBUFS;
		memcpy(storage + used, sv[i], k + 1);
		argv[argc++] = storage + used;
		used += k + 1;
	}
	return argc;
}

static void put_num(char **p, char *end, bool known, double v)
{
	int n = known && isfinite(v) ? snprintf(*p, (size_t)(end - *p), ":%.17g", v)
				     : snprintf(*p, (size_t)(end - *p), ":U");

	*p += n > 0 && n < end - *p ? n : 0;
}

int rrddetect_format_update(int64_t t, const struct detect_figures *fig, char *out,
			    size_t outlen)
{
	char *p = out, *end = out + outlen;
	int n = snprintf(p, outlen, "%" PRId64, t);
	bool k = fig->judged;

	if (n < 0 || (size_t)n >= outlen || outlen < RRDDETECT_LINE_MAX)
		return -ENOBUFS;
	p += n;
	for (int i = 0; i < 2; i++) {
		put_num(&p, end, k, fig->removed[i]);
		put_num(&p, end, k, fig->purge_allow[i]);
		put_num(&p, end, k, fig->purge_done[i]);
		put_num(&p, end, k, fig->declared[i]);
		put_num(&p, end, k, fig->unexplained[i]);
	}
	return 0;
}

bool rrddetect_row_matters(const struct detect_figures *f)
{
	if (!f->judged)
		return false;
	for (int i = 0; i < 2; i++)
		if (f->removed[i] || f->purge_allow[i] || f->purge_done[i] || f->declared[i] ||
		    f->unexplained[i])
			return true;
	return false;
}
