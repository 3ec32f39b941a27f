/* objstore_set.c - the agent's object store listers and their hand-over to rounds (see objstore_set.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "objstore.h"
#include "objstore_set.h"
#include "shrinkwatch/curl_uv.h"
#include "shrinkwatch/banned.h"

struct slot {
	struct agent_store_config sc;
	struct objstore *os; /* NULL: a directory store */
	int have, fresh;     /* the round's snapshot */
	struct objstore_result snap;
};

struct objstore_set {
	uv_loop_t *loop;
	char spool_dir[OBJSTORE_SPILL_PATH_MAX]; /* listing files: state_dir/objlist */
	struct curl_uv *cu; /* made with the first object store */
	struct slot *slots;
	size_t n;
};

/* Slots for cfg, taking over old's listers where the store is unchanged. */
static int build(struct objstore_set *set, const struct agent_config *cfg, struct slot **out)
{
	struct slot *s = calloc(cfg->nstores ? cfg->nstores : 1, sizeof *s);
	int err;

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->nstores; i++) {
		s[i].sc = cfg->stores[i];
		if (cfg->stores[i].type == AGENT_STORE_DIR)
			continue;
		for (size_t j = 0; j < set->n; j++)
			if (set->slots[j].os &&
			    !memcmp(&set->slots[j].sc, &cfg->stores[i], sizeof s[i].sc)) {
				s[i].os = set->slots[j].os;
				set->slots[j].os = NULL;
				break;
			}
		if (s[i].os)
			continue;
		if (!set->cu && (err = curl_uv_new(set->loop, &set->cu)))
			goto fail;
		if ((err = objstore_new(set->loop, set->cu, &cfg->stores[i], set->spool_dir,
					&s[i].os)))
			goto fail;
	}
	*out = s;
	return 0;
fail:
	for (size_t i = 0; i < cfg->nstores; i++)
		objstore_free(s[i].os);
	free(s);
	return err;
}

/* Listing files a previous run left (a listing no round replayed): a
 * manifest is only ever fed the listing of this run. */
static void remove_stale(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[OBJSTORE_SPILL_PATH_MAX + 300];

	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
			unlink(path);
		}
	closedir(d);
}

int objstore_set_new(uv_loop_t *loop, const struct agent_config *cfg, struct objstore_set **out)
{
	struct objstore_set *set = calloc(1, sizeof *set);
	int err;

	if (!set)
		return -ENOMEM;
	set->loop = loop;
	snprintf(set->spool_dir, sizeof set->spool_dir, "%s/objlist", cfg->state_dir);
	remove_stale(set->spool_dir);
	err = build(set, cfg, &set->slots);
	if (err) {
		curl_uv_free(set->cu);
		free(set);
		return err;
	}
	set->n = cfg->nstores;
	*out = set;
	return 0;
}

int objstore_set_update(struct objstore_set *set, const struct agent_config *newcfg)
{
	struct slot *s;
	int err = build(set, newcfg, &s);

	if (err)
		return err;
	for (size_t j = 0; j < set->n; j++)
		objstore_free(set->slots[j].os); /* stores gone or changed */
	free(set->slots);
	set->slots = s;
	set->n = newcfg->nstores;
	return 0;
}

void objstore_set_tick(struct objstore_set *set, struct agent_state *st)
{
	for (size_t i = 0; i < set->n; i++) {
		struct slot *sl = &set->slots[i];
		struct agent_state_store *prev;

		if (!sl->os)
			continue;
		prev = agent_state_store(st, sl->sc.name);
		objstore_tick(sl->os, prev ? (int64_t)prev->last_start.tv_sec : 0, NULL, NULL);
		sl->have = objstore_take(sl->os, &sl->snap, &sl->fresh);
	}
}

int objstore_set_sample(struct objstore_set *set, size_t i, struct sw_sample *s,
			struct agent_state_store *prev)
{
	struct slot *sl;

	if (!set || i >= set->n || !set->slots[i].os)
		return -1;
	sl = &set->slots[i];
	if (!sl->have)
		return 0;
	objstore_fill_sample(&sl->snap, sl->fresh, s);
	if (sl->fresh && prev && sl->snap.status == SW_SCAN_COMPLETE)
		prev->last_start = (struct timespec){ .tv_sec = sl->snap.start };
	return 1;
}

const char *objstore_set_listing(const struct objstore_set *set, size_t i, int64_t *start)
{
	const struct slot *sl;

	if (!set || i >= set->n || !set->slots[i].os)
		return NULL;
	sl = &set->slots[i];
	if (!sl->have || !sl->fresh || sl->snap.status != SW_SCAN_COMPLETE || !sl->snap.listing[0])
		return NULL;
	*start = sl->snap.start;
	return sl->snap.listing;
}

void objstore_set_status(const struct objstore_set *set, char *out, size_t len)
{
	unsigned long long nc = 0, dm = 0;
	size_t n = 0;

	out[0] = 0;
	for (size_t i = 0; set && i < set->n; i++)
		if (set->slots[i].os) {
			n++;
			if (set->slots[i].have) {
				nc += set->slots[i].snap.noncurrent_objects;
				dm += set->slots[i].snap.delete_markers;
			}
		}
	if (n)
		snprintf(out, len, "%zu object stores; %llu noncurrent versions, %llu delete markers",
			 n, nc, dm);
}

static void once_done(void *ctx, const struct objstore_result *r)
{
	(void)r;
	*(int *)ctx = 1;
}

int objstore_set_list_once(const struct agent_store_config *sc, int64_t prev_start,
			   struct sw_sample *s)
{
	uv_loop_t loop;
	struct curl_uv *cu = NULL;
	struct objstore *os = NULL;
	struct objstore_result r;
	int done = 0, fresh, err;

	err = uv_loop_init(&loop);
	if (err)
		return err;
	err = curl_uv_new(&loop, &cu);
	if (!err)
		err = objstore_new(&loop, cu, sc, NULL, &os);
	if (!err && objstore_tick(os, prev_start, once_done, &done) != 1)
		err = -EIO;
	while (!err && !done && uv_run(&loop, UV_RUN_ONCE))
		;
	if (!err && objstore_take(os, &r, &fresh))
		objstore_fill_sample(&r, fresh, s);
	else if (!err)
		err = -EIO;
	objstore_free(os);
	curl_uv_free(cu);
	uv_run(&loop, UV_RUN_DEFAULT); /* the handles' close callbacks */
	uv_loop_close(&loop);
	return err;
}

void objstore_set_free(struct objstore_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->n; i++)
		objstore_free(set->slots[i].os);
	curl_uv_free(set->cu);
	free(set->slots);
	free(set);
}
