/* rrdcopies.c - the copy relations' RRD files (see rrdcopies.h). */
#include <errno.h>
#include <limits.h>
#include <rrd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rrdcopies.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/banned.h"

const char *const rrdcopies_ds_names[RRDCOPIES_NDS] = {
	"src_files", "dst_files", "src_bytes", "dst_bytes", "missing", "differs",
};

int rrdcopies_path(const char *data_dir, const char *name, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s/copies/%s.rrd", data_dir, name);

	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}

static int create(const char *path, int64_t t)
{
	char ds[RRDCOPIES_NDS][64];
	const char *argv[RRDCOPIES_NDS + 6];
	static const char *const rras[] = {
		"RRA:AVERAGE:0.5:1:2880", "RRA:MAX:0.5:1:2880", "RRA:AVERAGE:0.5:60:2400",
		"RRA:MAX:0.5:60:2400", "RRA:AVERAGE:0.5:1440:3660", "RRA:MAX:0.5:1440:3660",
	};
	int argc = 0;

	for (int i = 0; i < RRDCOPIES_NDS; i++) {
		snprintf(ds[i], sizeof ds[i], "DS:%s:GAUGE:86400:0:U", rrdcopies_ds_names[i]);
		argv[argc++] = ds[i];
	}
	for (size_t i = 0; i < sizeof rras / sizeof rras[0]; i++)
		argv[argc++] = rras[i];
	rrd_clear_error();
	if (rrd_create_r2(path, 60, (time_t)(t - 60), 1, NULL, NULL, argc, argv)) {
		log_err("rrdcopies: cannot create '%s': %s", path, rrd_get_error());
		return -EIO;
	}
	return 0;
}

int rrdcopies_write(const char *data_dir, const char *name, int64_t t,
		    const uint64_t v[RRDCOPIES_NDS])
{
	char path[PATH_MAX], dir[PATH_MAX], row[256];
	const char *argv[1] = { row };
	struct stat st;
	int n;

	if (rrdcopies_path(data_dir, name, path, sizeof path) ||
	    snprintf(dir, sizeof dir, "%s/copies", data_dir) >= (int)sizeof dir)
		return -ENAMETOOLONG;
	if (mkdir(dir, 0750) && errno != EEXIST) {
		log_err("rrdcopies: cannot make '%s': %s", dir, strerror(errno));
		return -errno;
	}
	if (stat(path, &st) && create(path, t))
		return -EIO;
	n = snprintf(row, sizeof row, "%lld:%llu:%llu:%llu:%llu:%llu:%llu", (long long)t,
		     (unsigned long long)v[0], (unsigned long long)v[1],
		     (unsigned long long)v[2], (unsigned long long)v[3],
		     (unsigned long long)v[4], (unsigned long long)v[5]);
	if (n < 0 || (size_t)n >= sizeof row)
		return -ENOBUFS;
	rrd_clear_error();
	if (rrd_update_r(path, NULL, 1, argv)) {
		/* a second comparison in the same second, or a clock step back */
		log_debug("rrdcopies: '%s' row skipped: %s", path, rrd_get_error());
		return -EINVAL;
	}
	return 0;
}

struct job {
	uv_work_t w;
	int64_t t;
	uint64_t v[RRDCOPIES_NDS];
	char *data_dir, *name;
};

static void work(uv_work_t *w)
{
	struct job *j = w->data;

	rrdcopies_write(j->data_dir, j->name, j->t, j->v);
}

static void after(uv_work_t *w, int status)
{
	struct job *j = w->data;
	(void)status;

	free(j->data_dir);
	free(j->name);
	free(j);
}

int rrdcopies_submit(uv_loop_t *loop, const char *data_dir, const char *name, int64_t t,
		     const uint64_t v[RRDCOPIES_NDS])
{
	struct job *j = calloc(1, sizeof *j);
	int rc;

	if (!j || !(j->data_dir = strdup(data_dir)) || !(j->name = strdup(name))) {
		if (j)
			free(j->data_dir);
		free(j);
		return -ENOMEM;
	}
	j->t = t;
	memcpy(j->v, v, sizeof j->v);
	j->w.data = j;
	rc = uv_queue_work(loop, &j->w, work, after);
	if (rc) {
		free(j->data_dir);
		free(j->name);
		free(j);
	}
	return rc;
}
