/* registry.c - agents and stores in memory (see registry.h). */
#include <dirent.h>
#include <errno.h>
#include <rrd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"
#include "rrdsample.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/names.h"
#include "shrinkwatch/banned.h"

void registry_init(struct registry *r)
{
	strmap_init(&r->agents);
}

void registry_release(struct registry *r)
{
	const char *k;
	void *v;

	for (size_t i = 0; strmap_next(&r->agents, &i, &k, &v);) {
		struct agent_rec *a = v;
		const char *sk;
		void *sv;

		for (size_t j = 0; strmap_next(&a->stores, &j, &sk, &sv);)
			free(sv);
		strmap_release(&a->stores);
		free(a);
	}
	strmap_release(&r->agents);
}

struct agent_rec *registry_agent(struct registry *r, const char *name, int create)
{
	struct agent_rec *a = strmap_get(&r->agents, name);

	if (a || !create)
		return a;
	a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	snprintf(a->name, sizeof a->name, "%s", name);
	strmap_init(&a->stores);
	if (strmap_put(&r->agents, name, a)) {
		free(a);
		return NULL;
	}
	return a;
}

struct store_rec *registry_store(struct agent_rec *a, const char *name, int create)
{
	struct store_rec *s = strmap_get(&a->stores, name);

	if (s || !create)
		return s;
	s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	snprintf(s->name, sizeof s->name, "%s", name);
	if (strmap_put(&a->stores, name, s)) {
		free(s);
		return NULL;
	}
	return s;
}

/* Fills a store's last sample from its RRD file's last update. */
static void load_store(struct agent_rec *a, const char *dir, const char *file)
{
	char path[4800], name[SW_NAME_MAX + 1];
	size_t n = strlen(file);
	time_t last = 0;
	unsigned long nds = 0;
	char **names = NULL, **values = NULL;
	struct store_rec *s;
	rrd_info_t *info, *i;

	if (n <= 4 || strcmp(file + n - 4, ".rrd") || n - 4 > SW_NAME_MAX)
		return;
	memcpy(name, file, n - 4);
	name[n - 4] = '\0';
	if (!name_valid(name))
		return;
	snprintf(path, sizeof path, "%s/%s", dir, file);
	rrd_clear_error();
	if (rrd_lastupdate_r(path, &last, &nds, &names, &values)) {
		log_warn("registry: cannot read '%s': %s; skipped", path, rrd_get_error());
		return;
	}
	s = registry_store(a, name, 1);
	if (s) {
		s->last.time = last;
		snprintf(s->last.store, sizeof s->last.store, "%s", name);
		for (unsigned long d = 0; d < nds; d++) {
			unsigned long long v;
			if (sscanf(values[d], "%llu", &v) != 1)
				continue;
			if (!strcmp(names[d], "bytes"))
				s->last.bytes = v;
			else if (!strcmp(names[d], "objects"))
				s->last.objects = v;
			else if (!strcmp(names[d], "fs_used"))
				s->last.fs_used = v;
			else if (!strcmp(names[d], "fs_size"))
				s->last.fs_size = v;
			else if (!strcmp(names[d], "fs_inodes"))
				s->last.fs_inodes = v;
		}
		s->have_last = last > 0;
	}
	for (unsigned long d = 0; d < nds; d++) {
		rrd_freemem(names[d]);
		rrd_freemem(values[d]);
	}
	rrd_freemem(names);
	rrd_freemem(values);
	/* the RRD step is the agent's interval until it says otherwise */
	if (!a->interval && (info = rrd_info_r(path))) {
		for (i = info; i; i = i->next)
			if (!strcmp(i->key, "step") && i->type == RD_I_CNT)
				a->interval = (uint32_t)i->value.u_cnt;
		rrd_info_free(info);
	}
}

int registry_load(struct registry *r, const char *data_dir)
{
	char root[4200], dir[4500];
	DIR *d, *ad;
	struct dirent *e, *f;
	int stores = 0;

	snprintf(root, sizeof root, "%s/rrd", data_dir);
	d = opendir(root);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		struct agent_rec *a;

		if (!name_valid(e->d_name))
			continue;
		snprintf(dir, sizeof dir, "%s/%s", root, e->d_name);
		ad = opendir(dir);
		if (!ad)
			continue;
		a = registry_agent(r, e->d_name, 1);
		if (!a) {
			closedir(ad);
			closedir(d);
			return -ENOMEM;
		}
		a->seq_stored = a->seq_accepted = rrdsample_read_agent_seq(data_dir, a->name);
		while ((f = readdir(ad))) {
			size_t before = a->stores.count;
			load_store(a, dir, f->d_name);
			stores += (int)(a->stores.count - before);
		}
		closedir(ad);
	}
	closedir(d);
	return stores;
}
