/*
 * config.c - [detect] and [store KEY] sections (see detect_config.h).
 *
 * One table lists every knob with its type and place in struct
 * detect_params, so the global section, the per-store sections and the
 * documentation cannot drift apart.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shrinkwatch/confload.h"
#include "shrinkwatch/detect_config.h"
#include "shrinkwatch/parse.h"
#include "shrinkwatch/banned.h"

enum knob_type { K_DURATION, K_RETENTION, K_TOD, K_COUNT, K_FRACTION, K_SIZE, K_NUMBER, K_RATE };

struct knob {
	const char *name;
	enum knob_type type;
	size_t off;
	const char *hint;
};

#define KNOB(n, t, f, h) { n, t, offsetof(struct detect_params, f), h }
static const struct knob knobs[] = {
	KNOB("interval", K_DURATION, interval, "a duration like 60s"),
	KNOB("silence_intervals", K_COUNT, silence_intervals, "a count like 3"),
	KNOB("retention", K_RETENTION, retention_s, "a duration like 30d"),
	KNOB("purge_at", K_TOD, purge_at, "a time of day like 02:00"),
	KNOB("purge_window", K_DURATION, purge_window, "a duration like 2h"),
	KNOB("warmup", K_DURATION, warmup, "a duration like 3d"),
	KNOB("resolve_after", K_COUNT, resolve_after, "a count of samples like 30"),
	KNOB("drop_threshold", K_FRACTION, drop_rel, "a fraction like 0.25% or 0.0025"),
	KNOB("drop_min_bytes", K_SIZE, drop_bytes, "a size like 64M"),
	KNOB("drop_min_objects", K_NUMBER, drop_objects, "a count like 20"),
	KNOB("noise_multiple", K_NUMBER, noise_mult, "a number like 8"),
	KNOB("leak_rate", K_FRACTION, leak_rate, "a fraction per day like 0.05%"),
	KNOB("leak_threshold", K_FRACTION, leak_h, "a fraction like 0.1%"),
	KNOB("purge_tolerance", K_FRACTION, purge_tol, "a fraction like 15%"),
	KNOB("overpurge_threshold", K_FRACTION, overpurge_rel, "a fraction like 0.4%"),
	KNOB("warmup_purge_cap", K_FRACTION, warmup_purge_cap, "a fraction like 10%"),
	KNOB("flat_ratio", K_FRACTION, flat_ratio, "a fraction like 0.1"),
	KNOB("vanish_fraction", K_FRACTION, vanish_rel, "a fraction like 5%"),
	KNOB("false_alerts_per_year", K_RATE, false_alerts_year,
	     "a number of false alerts per store per year above 0 and at most 1000, like 0.1"),
};
#define NKNOBS (sizeof knobs / sizeof knobs[0])

void detect_config_init(struct detect_config_set *cs)
{
	memset(cs, 0, sizeof *cs);
	detect_params_default(&cs->global);
}

void detect_config_release(struct detect_config_set *cs)
{
	free(cs->stores);
	cs->stores = NULL;
	cs->nstores = cs->alloc = 0;
}

/* A non-negative decimal, optionally with a '%' suffix. */
static int parse_fraction(const char *s, double *v)
{
	char *end;
	double x;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	x = strtod(s, &end);
	if (errno || end == s || !isfinite(x) || x < 0)
		return -EINVAL;
	if (*end == '%') {
		x /= 100;
		end++;
	}
	if (*end)
		return -EINVAL;
	*v = x;
	return 0;
}

static int set_knob(const struct knob *k, struct detect_params *p, const char *value)
{
	char *base = (char *)p + k->off;
	uint64_t u;
	uint32_t tod;
	double d;

	switch (k->type) {
	case K_DURATION:
		if (parse_duration(value, &u) || u > UINT32_MAX)
			return -EINVAL;
		*(uint32_t *)(void *)base = (uint32_t)u;
		return 0;
	case K_RETENTION:
		/* any duration for exact accounting (a test's 2m); the
		 * statistical model takes whole days within its ring, and
		 * learns the lag itself for anything else */
		if (parse_duration(value, &u) || u == 0 || u > UINT32_MAX)
			return -EINVAL;
		p->retention_s = (uint32_t)u;
		p->retention_days = u % 86400 == 0 && u / 86400 < DETECT_RING_DAYS - 1
					    ? (uint32_t)(u / 86400) : 0;
		return 0;
	case K_TOD:
		if (parse_time_of_day(value, &tod))
			return -EINVAL;
		*(int32_t *)(void *)base = (int32_t)tod;
		return 0;
	case K_COUNT:
		if (parse_u64(value, &u) || u == 0 || u > 100000)
			return -EINVAL;
		*(uint32_t *)(void *)base = (uint32_t)u;
		return 0;
	case K_SIZE:
		if (parse_size(value, &u))
			return -EINVAL;
		*(double *)(void *)base = (double)u;
		return 0;
	case K_NUMBER:
	case K_FRACTION:
	case K_RATE:
		if (parse_fraction(value, &d))
			return -EINVAL;
		if (k->type == K_FRACTION && d > 10)
			return -EINVAL;
		if (k->type == K_RATE && (d <= 0 || d > 1000))
			return -EINVAL;
		*(double *)(void *)base = d;
		return 0;
	}
	return -EINVAL;
}

static void copy_knob(const struct knob *k, struct detect_params *dst,
		      const struct detect_params *src)
{
	size_t sz = (k->type == K_SIZE || k->type == K_NUMBER || k->type == K_FRACTION ||
		     k->type == K_RATE)
			    ? sizeof(double) : sizeof(uint32_t);

	memcpy((char *)dst + k->off, (const char *)src + k->off, sz);
	if (k->type == K_RETENTION)
		dst->retention_days = src->retention_days;
}

static struct detect_store_conf *store_get(struct detect_config_set *cs, const char *key)
{
	struct detect_store_conf *s;
	size_t i;

	for (i = 0; i < cs->nstores; i++)
		if (strcmp(cs->stores[i].key, key) == 0)
			return &cs->stores[i];
	if (cs->nstores == cs->alloc) {
		size_t na = cs->alloc ? 2 * cs->alloc : 8;
		s = realloc(cs->stores, na * sizeof *s);
		if (!s)
			return NULL;
		cs->stores = s;
		cs->alloc = na;
	}
	s = &cs->stores[cs->nstores++];
	memset(s, 0, sizeof *s);
	snprintf(s->key, sizeof s->key, "%s", key);
	detect_params_default(&s->p);
	return s;
}

/* Whether key is AGENT/STORE, both valid names (names.h). */
static bool agent_store_valid(const char *key)
{
	const char *slash = strchr(key, '/');

	return slash && name_valid_n(key, (size_t)(slash - key)) && name_valid(slash + 1);
}

/*
 * Refuses a [store KEY] section that no store can ever match, so a typo is
 * an error at start-up instead of settings silently never applied.  With
 * agent_store (the live collector) KEY must be AGENT/STORE; otherwise (a
 * replay, whose trace may name stores without their agent) a bare STORE is
 * taken too.  0, or -1 with a message in err.
 */
static int check_store_key(const char *store, bool agent_store, char *err, size_t errlen)
{
	char shown[STORE_KEY_MAX];

	if (agent_store_valid(store) || (!agent_store && name_valid(store)))
		return 0;
	name_printable(store, shown, sizeof shown);
	snprintf(err, errlen, "'%s' does not name a store: write [store AGENT/STORE], the "
		 "agent's and the store's names as the dashboard shows them (each 1-64 of "
		 "A-Z a-z 0-9 . _ -, e.g. [store evsrv01/bodycam])", shown);
	return -1;
}

static int config_key(struct detect_config_set *cs, const char *section, const char *key,
		      const char *value, bool agent_store, char *err, size_t errlen)
{
	const char *store = confload_section_arg(section, "store");
	struct detect_store_conf *sc = NULL;
	size_t i;

	if (strcmp(section, "detect") != 0 && !store)
		return 0;
	if (store && strlen(store) >= sizeof sc->key) {
		snprintf(err, errlen, "store key '%.80s...' is too long", store);
		return -1;
	}
	if (store && check_store_key(store, agent_store, err, errlen))
		return -1;
	for (i = 0; i < NKNOBS; i++) {
		if (strcmp(knobs[i].name, key) != 0)
			continue;
		if (store) {
			sc = store_get(cs, store);
			if (!sc) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
		}
		if (set_knob(&knobs[i], sc ? &sc->p : &cs->global, value)) {
			snprintf(err, errlen, "%s must be %s", key, knobs[i].hint);
			return -1;
		}
		if (sc)
			sc->set |= 1u << i;
		else
			cs->global_set |= 1u << i;
		return 1;
	}
	snprintf(err, errlen, "unknown key '%s'", key);
	return -1;
}

int detect_config_key(struct detect_config_set *cs, const char *section, const char *key,
		      const char *value, char *err, size_t errlen)
{
	return config_key(cs, section, key, value, false, err, errlen);
}

int detect_config_hook(void *ctx, const char *section, const char *key, const char *value,
		       char *err, size_t errlen)
{
	return config_key(ctx, section, key, value, true, err, errlen);
}

void detect_config_resolve(const struct detect_config_set *cs, const char *key,
			   struct detect_params *out)
{
	size_t i, s;

	detect_params_default(out);
	for (i = 0; i < NKNOBS; i++)
		if (cs->global_set & (1u << i))
			copy_knob(&knobs[i], out, &cs->global);
	for (s = 0; s < cs->nstores; s++) {
		if (strcmp(cs->stores[s].key, key) != 0)
			continue;
		for (i = 0; i < NKNOBS; i++)
			if (cs->stores[s].set & (1u << i))
				copy_knob(&knobs[i], out, &cs->stores[s].p);
	}
}

static int load_cb(struct confload *cl, const char *section, const char *key, const char *value)
{
	char err[256];
	int rc = detect_config_key(cl->user, section, key, value, err, sizeof err);

	if (rc >= 0)
		return 0;
	confload_error(cl, "%s", err);
	return -1;
}

int detect_config_load(struct detect_config_set *cs, const char *path, char *msg, size_t msglen)
{
	struct confload cl;

	memset(&cl, 0, sizeof cl);
	cl.path = path;
	cl.user = cs;
	cl.handler = load_cb;
	return confload_file(&cl, msg, msglen);
}
