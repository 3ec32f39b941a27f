/* policy.c - each store's retention for POLICY (see policy.h). */
#include <stdio.h>
#include <string.h>

#include "policy.h"
#include "collector/store/registry.h"
#include "watch.h"
#include "shrinkwatch/names.h"
#include "shrinkwatch/banned.h"

/* The entry of store in out[0..n), added if missing and there is room. */
static struct sw_policy *entry(struct sw_policy *out, size_t *n, size_t max, const char *store)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp(out[i].store, store))
			return &out[i];
	if (*n >= max)
		return NULL;
	memset(&out[*n], 0, sizeof out[*n]);
	snprintf(out[*n].store, sizeof out[*n].store, "%s", store);
	return &out[(*n)++];
}

static uint64_t retention_of(struct watch *w, const char *agent, const char *store)
{
	struct watch_store *ws = watch_get(w, agent, store, false);
	struct detect_params p;
	struct store_key key;

	if (ws)
		return detect_retention(&ws->st, &ws->p, NULL);
	store_key(&key, agent, store);
	detect_config_resolve(w->cfg, key.s, &p);
	return p.retention_s;
}

size_t policy_of_agent(void *ctx, struct agent_rec *a, struct sw_policy *out, size_t max)
{
	struct watch *w = ctx;
	size_t n = 0, alen = strlen(a->name);
	const char *k;
	void *v;

	for (size_t i = 0; strmap_next(&a->stores, &i, &k, &v);) {
		const struct store_rec *st = v;
		struct sw_policy *e = entry(out, &n, max, st->name);

		if (e)
			e->retention = retention_of(w, a->name, st->name);
	}
	/* configured stores the agent has not sent yet: their first samples
	 * are split already */
	for (size_t i = 0; i < w->cfg->nstores; i++) {
		const char *key = w->cfg->stores[i].key;
		struct sw_policy *e;

		if (strncmp(key, a->name, alen) || key[alen] != '/' || !name_valid(key + alen + 1))
			continue;
		e = entry(out, &n, max, key + alen + 1);
		if (e)
			e->retention = retention_of(w, a->name, key + alen + 1);
	}
	return n;
}
