/*
 * loadgen_librrd.c - the ceiling: the same load written straight into RRD
 * files with librrd, no network, no collector, no sync (see loadgen.h).
 *
 * The files get the collector's own layout (rrdsample_layout()) and each
 * rrd_updatex_r call carries per_frame updates of one file, as the
 * collector's writers do with the loadgen's frames; `threads` threads share
 * the agents.  Creating the files is not timed.
 */
#include <errno.h>
#include <pthread.h>
#include <rrd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "collector/store/rrdsample.h"
#include "loadgen.h"

struct lr_job {
	const struct lg_load *l;
	const char *data_dir;
	unsigned per_frame, first, step; /* agents first, first + step, ... */
	int err;
};

static void file_path(const struct lg_load *l, const char *data_dir, unsigned a, unsigned s,
		      char *out, size_t len)
{
	char agent[SW_NAME_MAX + 1], store[SW_NAME_MAX + 1];

	lg_agent_name(l, a, agent, sizeof agent);
	lg_store_name(s, store, sizeof store);
	rrdsample_path(data_dir, agent, store, out, len);
}

static void *lr_create(void *arg)
{
	struct lr_job *j = arg;
	const char *argv[64];
	char storage[4096], path[4400], agent[SW_NAME_MAX + 1];
	int argc = rrdsample_layout(j->l->interval, argv, 64, storage, sizeof storage);

	for (unsigned a = j->first; a < j->l->agents && !j->err; a += j->step) {
		lg_agent_name(j->l, a, agent, sizeof agent);
		snprintf(path, sizeof path, "%s/rrd/%s", j->data_dir, agent);
		mkdir(path, 0750);
		for (unsigned s = 0; s < j->l->stores; s++) {
			file_path(j->l, j->data_dir, a, s, path, sizeof path);
			rrd_clear_error();
			if (rrd_create_r2(path, j->l->interval, (time_t)(j->l->t0 - 1), 1, NULL, NULL,
					  argc, argv)) {
				fprintf(stderr, "loadgen: cannot create '%s': %s\n", path,
					rrd_get_error());
				j->err = -EIO;
			}
		}
	}
	return NULL;
}

static void *lr_update(void *arg)
{
	struct lr_job *j = arg;
	const char **argv = calloc(j->per_frame, sizeof *argv);
	char *lines = malloc((size_t)j->per_frame * 256), path[4400];

	if (!argv || !lines) {
		j->err = -ENOMEM;
		goto out;
	}
	for (unsigned r0 = 0; r0 < j->l->rounds && !j->err; r0 += j->per_frame) {
		for (unsigned a = j->first; a < j->l->agents && !j->err; a += j->step) {
			for (unsigned s = 0; s < j->l->stores; s++) {
				int n = 0;

				for (unsigned r = r0; r < r0 + j->per_frame && r < j->l->rounds; r++) {
					struct sw_sample x;

					lg_sample(j->l, s, r, &x);
					argv[n] = lines + (size_t)n * 256;
					rrdsample_format_update(&x, lines + (size_t)n * 256, 256);
					n++;
				}
				file_path(j->l, j->data_dir, a, s, path, sizeof path);
				rrd_clear_error();
				if (rrd_updatex_r(path, NULL, 0, n, argv)) {
					fprintf(stderr, "loadgen: cannot update '%s': %s\n", path,
						rrd_get_error());
					j->err = -EIO;
				}
			}
		}
	}
out:
	free(argv);
	free(lines);
	return NULL;
}

/* Runs fn on `threads` threads over the agents; 0 or the first error. */
static int lr_parallel(void *(*fn)(void *), const struct lg_load *l, const char *data_dir,
		       unsigned per_frame, unsigned threads)
{
	struct lr_job jobs[64];
	pthread_t tid[64];
	int err = 0;

	for (unsigned i = 0; i < threads; i++) {
		jobs[i] = (struct lr_job){ .l = l, .data_dir = data_dir, .per_frame = per_frame,
					   .first = i, .step = threads };
		if (pthread_create(&tid[i], NULL, fn, &jobs[i]))
			return -EAGAIN;
	}
	for (unsigned i = 0; i < threads; i++) {
		pthread_join(tid[i], NULL);
		if (jobs[i].err && !err)
			err = jobs[i].err;
	}
	return err;
}

int lg_librrd_run(const struct lg_load *l, const char *data_dir, unsigned per_frame,
		  unsigned threads)
{
	char path[4200];
	uint64_t t0, t1;
	int err;

	if (threads < 1 || threads > 64)
		return -EINVAL;
	snprintf(path, sizeof path, "%s/rrd", data_dir);
	if (mkdir(path, 0750) && errno != EEXIST)
		return -errno;
	err = lr_parallel(lr_create, l, data_dir, per_frame, threads);
	if (err)
		return err;
	t0 = lg_now_ns();
	err = lr_parallel(lr_update, l, data_dir, per_frame, threads);
	t1 = lg_now_ns();
	if (err)
		return err;
	printf("mode=librrd\nthreads=%u\nsamples=%llu\nmeasure_s=%.3f\nrate=%.0f\n", threads,
	       (unsigned long long)l->agents * l->stores * l->rounds, (double)(t1 - t0) / 1e9,
	       (double)l->agents * l->stores * l->rounds / ((double)(t1 - t0) / 1e9));
	return 0;
}
