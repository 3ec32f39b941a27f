/*
 * notify.c - the [notify NAME] sections, routing and dispatch (see notify.h).
 *
 * Reading the config only records each section's keys ("staged"): the type
 * may be named after its own keys, and a reload must not disturb the running
 * notifiers until the whole file is known to be good.  notify_start() builds
 * the notifiers from the staged sections, validates every one, and only then
 * replaces the running set, so a bad reload keeps the old notifiers.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify.h"
#include "notify_int.h"
#include "collector/config.h"
#include "shrinkwatch/confload.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/names.h"
#include "shrinkwatch/banned.h"

#define NOTIFY_MAX 64
#define NOTIFY_MAX_KEYS 64

struct staged_kv {
	char *key, *value;
};

struct staged {
	char name[NOTIFY_NAME_MAX + 1];
	const struct notify_type *type;
	enum notify_severity min_severity;
	bool have_severity;
	char *stores[NOTIFY_MAX_STORE_GLOBS];
	size_t nstores;
	struct staged_kv kv[NOTIFY_MAX_KEYS];
	size_t nkv;
};

static struct staged *staged[NOTIFY_MAX];
static size_t nstaged;
static struct notifier *running[NOTIFY_MAX];
static size_t nrunning;

static const struct notify_type *const types[] = {
	&notify_exec_type,
	&notify_webhook_type,
	&notify_alertmanager_type,
	&notify_email_type,
	&notify_journal_type,
};

const char *notify_severity_name(enum notify_severity s)
{
	switch (s) {
	case NOTIFY_INFO:
		return "info";
	case NOTIFY_WARNING:
		return "warning";
	case NOTIFY_CRITICAL:
		return "critical";
	}
	return "unknown";
}

int notify_severity_parse(const char *s, enum notify_severity *out)
{
	if (!strcmp(s, "info"))
		*out = NOTIFY_INFO;
	else if (!strcmp(s, "warning"))
		*out = NOTIFY_WARNING;
	else if (!strcmp(s, "critical"))
		*out = NOTIFY_CRITICAL;
	else
		return -EINVAL;
	return 0;
}

static const struct notify_type *type_find(const char *name)
{
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (!strcmp(types[i]->name, name))
			return types[i];
	return NULL;
}

static void staged_free(struct staged *s)
{
	for (size_t i = 0; i < s->nstores; i++)
		free(s->stores[i]);
	for (size_t i = 0; i < s->nkv; i++) {
		free(s->kv[i].key);
		free(s->kv[i].value);
	}
	free(s);
}

void notify_config_reset(void)
{
	for (size_t i = 0; i < nstaged; i++)
		staged_free(staged[i]);
	nstaged = 0;
}

int notify_config_register(struct collector_config *cfg)
{
	static const struct collector_config_hook hook = { notify_config_key, NULL };

	notify_config_reset();
	return collector_config_register(cfg, &hook);
}

static struct staged *staged_get(const char *name, char *err, size_t errlen)
{
	struct staged *s;

	for (size_t i = 0; i < nstaged; i++)
		if (!strcmp(staged[i]->name, name))
			return staged[i];
	if (nstaged == NOTIFY_MAX) {
		snprintf(err, errlen, "more than %d notifiers", NOTIFY_MAX);
		return NULL;
	}
	s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(s->name, sizeof s->name, "%s", name);
	s->min_severity = NOTIFY_WARNING;
	staged[nstaged++] = s;
	return s;
}

/* "agent/store" globs: each half a name or a glob of name characters. */
static int parse_stores(struct staged *s, const char *value, char *err, size_t errlen)
{
	const char *p = value;

	if (s->nstores) {
		snprintf(err, errlen, "key given twice");
		return -1;
	}
	while (*p) {
		size_t n;
		const char *slash;
		char *g;

		p += strspn(p, " \t");
		n = strcspn(p, " \t");
		if (!n)
			break;
		slash = memchr(p, '/', n);
		if (!slash || slash == p || slash == p + n - 1 || memchr(slash + 1, '/', n - (size_t)(slash - p) - 1) ||
		    strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-*?[]!/") < n) {
			snprintf(err, errlen, "'%.*s' is not an AGENT/STORE glob (e.g. evsrv*/bodycam)",
				 (int)n, p);
			return -1;
		}
		if (s->nstores == NOTIFY_MAX_STORE_GLOBS) {
			snprintf(err, errlen, "more than %d globs", NOTIFY_MAX_STORE_GLOBS);
			return -1;
		}
		g = strndup(p, n);
		if (!g) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		s->stores[s->nstores++] = g;
		p += n;
	}
	if (!s->nstores) {
		snprintf(err, errlen, "empty list (leave the key out to mean every store)");
		return -1;
	}
	return 0;
}

int notify_config_key(void *ctx, const char *section, const char *key, const char *value,
		      char *err, size_t errlen)
{
	const char *name = confload_section_arg(section, "notify");
	struct staged *s;
	(void)ctx;

	if (!name)
		return 0;
	if (!name_valid(name)) {
		snprintf(err, errlen, "'%s' is not a valid notifier name ([A-Za-z0-9._-])", name);
		return -1;
	}
	s = staged_get(name, err, errlen);
	if (!s)
		return -1;
	if (!strcmp(key, "type")) {
		if (s->type) {
			snprintf(err, errlen, "key given twice");
			return -1;
		}
		s->type = type_find(value);
		if (!s->type) {
			snprintf(err, errlen,
				 "'%s' is not a notifier type (exec, webhook, alertmanager, email, "
				 "journal)",
				 value);
			return -1;
		}
		return 1;
	}
	if (!strcmp(key, "min_severity")) {
		if (s->have_severity) {
			snprintf(err, errlen, "key given twice");
			return -1;
		}
		if (notify_severity_parse(value, &s->min_severity)) {
			snprintf(err, errlen, "'%s' is not info, warning or critical", value);
			return -1;
		}
		s->have_severity = true;
		return 1;
	}
	if (!strcmp(key, "stores"))
		return parse_stores(s, value, err, errlen) ? -1 : 1;
	for (size_t i = 0; i < s->nkv; i++) {
		if (!strcmp(s->kv[i].key, key) && strcmp(key, "url") && strcmp(key, "to")) {
			snprintf(err, errlen, "key given twice");
			return -1;
		}
	}
	if (s->nkv == NOTIFY_MAX_KEYS) {
		snprintf(err, errlen, "more than %d keys", NOTIFY_MAX_KEYS);
		return -1;
	}
	s->kv[s->nkv].key = strdup(key);
	s->kv[s->nkv].value = strdup(value);
	if (!s->kv[s->nkv].key || !s->kv[s->nkv].value) {
		free(s->kv[s->nkv].key);
		free(s->kv[s->nkv].value);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->nkv++;
	return 1;
}

static void notifier_free(struct notifier *n)
{
	if (n->type && n->type->destroy)
		n->type->destroy(n);
	for (size_t i = 0; i < n->nstores; i++)
		free(n->stores[i]);
	free(n);
}

/* Builds and validates one notifier from its staged section. */
static int build(struct staged *s, struct notifier **out, char *err, size_t errlen)
{
	struct notifier *n;
	char msg[400];
	int rc = -1;

	*out = NULL;
	if (!s->type) {
		snprintf(err, errlen, "[notify %s] type: missing (exec, webhook, alertmanager, "
			 "email or journal)", s->name);
		return -1;
	}
	n = calloc(1, sizeof *n);
	if (!n)
		goto oom;
	snprintf(n->name, sizeof n->name, "%s", s->name);
	n->min_severity = s->min_severity;
	for (size_t i = 0; i < s->nstores; i++) {
		n->stores[i] = strdup(s->stores[i]);
		if (!n->stores[i])
			goto oom;
		n->nstores++;
	}
	if (s->type->create && s->type->create(n))
		goto oom;
	n->type = s->type;
	for (size_t i = 0; i < s->nkv; i++) {
		int r;

		msg[0] = '\0';
		r = n->type->parse ? n->type->parse(n, s->kv[i].key, s->kv[i].value, msg, sizeof msg)
				   : 0;
		if (r == 0) {
			snprintf(err, errlen, "[notify %s] %s: unknown key for type %s", s->name,
				 s->kv[i].key, n->type->name);
			goto out;
		}
		if (r < 0) {
			snprintf(err, errlen, "[notify %s] %s: %s", s->name, s->kv[i].key,
				 msg[0] ? msg : "invalid value");
			goto out;
		}
	}
	msg[0] = '\0';
	if (n->type->validate && n->type->validate(n, msg, sizeof msg)) {
		snprintf(err, errlen, "[notify %s] %s", s->name, msg[0] ? msg : "invalid");
		goto out;
	}
	*out = n;
	n = NULL;
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "[notify %s] out of memory", s->name);
out:
	if (n)
		notifier_free(n);
	return rc;
}

static void stop_all(struct notifier **set, size_t *count)
{
	for (size_t i = 0; i < *count; i++)
		notifier_free(set[i]);
	*count = 0;
}

int notify_start(uv_loop_t *loop, char *err, size_t errlen)
{
	struct notifier *fresh[NOTIFY_MAX];
	size_t nfresh = 0;
	int rc = -1;

	for (size_t i = 0; i < nstaged; i++) {
		if (build(staged[i], &fresh[nfresh], err, errlen))
			goto out;
		nfresh++;
	}
	for (size_t i = 0; i < nfresh; i++) {
		char msg[400] = "";

		if (!fresh[i]->type->check || !fresh[i]->type->check(fresh[i], msg, sizeof msg))
			continue;
		if (!loop) {
			snprintf(err, errlen, "[notify %s] %s", fresh[i]->name, msg);
			goto out;
		}
		log_warn("notify: '%s': %s", fresh[i]->name, msg);
	}
	if (!loop) { /* --check-config: validation only */
		rc = 0;
		goto out;
	}
	for (size_t i = 0; i < nfresh; i++) {
		int e;

		fresh[i]->loop = loop;
		e = fresh[i]->type->start ? fresh[i]->type->start(fresh[i], loop) : 0;
		if (e) {
			snprintf(err, errlen, "[notify %s] cannot start: %s", fresh[i]->name,
				 strerror(-e));
			goto out;
		}
	}
	for (size_t i = 0; i < nfresh; i++) {
		struct notifier *old = notify__find(fresh[i]->name);

		if (old && old->type == fresh[i]->type && fresh[i]->type->adopt)
			fresh[i]->type->adopt(fresh[i], old);
	}
	stop_all(running, &nrunning);
	memcpy(running, fresh, nfresh * sizeof fresh[0]);
	nrunning = nfresh;
	nfresh = 0;
	for (size_t i = 0; i < nrunning; i++)
		log_info("notify: '%s' (%s) started, min_severity %s, %zu store globs",
			 running[i]->name, running[i]->type->name,
			 notify_severity_name(running[i]->min_severity), running[i]->nstores);
	rc = 0;
out:
	stop_all(fresh, &nfresh);
	notify_config_reset();
	return rc;
}

void notify_stop(void)
{
	stop_all(running, &nrunning);
	notify__defer_flush();
}

bool notify__routes(const struct notifier *n, enum notify_severity severity, const char *agent,
		    const char *store)
{
	struct store_key key;

	if (severity < n->min_severity)
		return false;
	if (!n->nstores)
		return true;
	store_key(&key, agent, store);
	for (size_t i = 0; i < n->nstores; i++)
		if (fnmatch(n->stores[i], key.s, FNM_PATHNAME) == 0)
			return true;
	return false;
}

size_t notify_route(enum notify_severity severity, const char *agent, const char *store,
		    char (*names)[NOTIFY_NAME_MAX + 1], size_t max)
{
	size_t count = 0;

	for (size_t i = 0; i < nrunning && count < max; i++)
		if (notify__routes(running[i], severity, agent, store))
			snprintf(names[count++], NOTIFY_NAME_MAX + 1, "%s", running[i]->name);
	return count;
}

struct notifier *notify__find(const char *name)
{
	for (size_t i = 0; i < nrunning; i++)
		if (!strcmp(running[i]->name, name))
			return running[i];
	return NULL;
}

struct notifier *notify__running(size_t i)
{
	return i < nrunning ? running[i] : NULL;
}

bool notify_is_local(const char *name)
{
	struct notifier *n = notify__find(name);

	return n && (n->type == &notify_journal_type || n->type == &notify_exec_type);
}

int notify_send(const char *name, const struct notify_message *m, notify_done_fn done,
		void *ctx)
{
	struct notifier *n = notify__find(name);

	if (!n)
		return -ENOENT;
	if (!m->json || !m->agent || !m->store || !m->kind ||
	    (unsigned)m->state >= ALERT_STATE_COUNT || !m->summary)
		return -EINVAL;
	return n->type->send(n, m, done, ctx);
}
