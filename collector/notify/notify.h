/*
 * notify.h - notifiers: how an alert reaches people and systems.
 *
 * A notifier is one [notify NAME] section of the collector's config with a
 * type (exec, webhook, alertmanager, email, journal) and routing keys
 * (min_severity, stores).  The alert lifecycle never calls a notifier
 * directly: it writes one outbox row per (alert transition, routed notifier)
 * in the ledger, and the outbox delivers rows with notify_send(), retrying
 * with backoff until the notifier reports success or the row expires.  So a
 * notifier only has to make one delivery attempt per call and say how it went.
 *
 * Every call here runs on the collector's event loop thread; a notifier that
 * does blocking work (a child process, HTTP) does it asynchronously through
 * the loop (uv_spawn, libcurl's multi interface driven by uv_poll/uv_timer).
 */
#ifndef SHRINKWATCH_COLLECTOR_NOTIFY_H
#define SHRINKWATCH_COLLECTOR_NOTIFY_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "collector/ledger/alert_state.h"
#include "shrinkwatch/sample.h"

#define NOTIFY_NAME_MAX SW_NAME_MAX

enum notify_severity { NOTIFY_INFO = 0, NOTIFY_WARNING = 1, NOTIFY_CRITICAL = 2 };

/*
 * One alert transition to deliver.  Strings are owned by the caller and valid
 * for the duration of notify_send() only (copy what you keep).  json is the
 * complete alert as in docs/api.md (the body a webhook posts, the stdin an exec
 * command reads); the other fields repeat the key parts for notifiers that
 * need them separately (environment variables, labels, a mail subject).
 */
struct notify_message {
	uint64_t alert_id;   /* stable: receivers deduplicate on it (with state) */
	const char *agent;
	const char *store;
	const char *kind;    /* "drop", "leak", ... (detect_kind_name) */
	enum notify_severity severity;
	enum alert_state state; /* the state entered (firing again for a repeat) */
	int64_t since;       /* when the loss started, unix seconds */
	int64_t time;        /* when this transition happened */
	int64_t ends_at;     /* resolved/explained: when; 0 while open */
	double lost_bytes, lost_objects;
	const char *summary; /* one line */
	const char *dashboard_url; /* link to /alert/<id>, "" if no HTTP configured */
	const char *json;
	int repeat;          /* 1 for a repeat of a still-firing alert */
	/* who deleted, from the agents' deletion reports; NULL or "" if unknown */
	const char *attribution;
};

/* Outcome of one delivery attempt. */
enum notify_result {
	NOTIFY_OK = 0,        /* delivered: drop the outbox row */
	NOTIFY_RETRY = 1,     /* failed now; try again later (receiver down, timeout) */
	NOTIFY_PERMANENT = 2, /* will never work (e.g. HTTP 400): log and drop the row */
};

typedef void (*notify_done_fn)(void *ctx, enum notify_result result, const char *why);

struct notifier;

/*
 * The hook for the collector's config (collector_config_hook): takes every key
 * of [notify NAME] sections.  Keys common to every type: type (required),
 * min_severity (info|warning|critical, default warning), stores (space-separated
 * "agent/store" globs, default all).  Validation of a notifier as a whole
 * (required keys of its type) happens in notify_start().
 */
int notify_config_key(void *ctx, const char *section, const char *key, const char *value,
		      char *err, size_t errlen);

/*
 * Forgets the [notify NAME] sections read so far.  Call it before (re)loading
 * the config file, so a reload that failed halfway leaves nothing behind.
 * notify_start() also ends with it.
 */
void notify_config_reset(void);

struct collector_config;
/*
 * Registers notify_config_key() on the collector's configuration (call it for
 * every load, before collector_config_read()), after forgetting the sections
 * of an earlier load with notify_config_reset().  0 or a negative errno from
 * collector_config_register().
 */
int notify_config_register(struct collector_config *cfg);

/*
 * Validates and starts every configured notifier on loop.  0, or -1 with a
 * message "[notify NAME] ..." in err.  Also usable by --check-config without
 * a loop (loop NULL: validate only).  On a reload, the new set replaces the
 * running one only once every new notifier has been validated and started;
 * the old ones are then stopped as by notify_stop().
 */
int notify_start(uv_loop_t *loop, char *err, size_t errlen);
/* Stops them (pending attempts report NOTIFY_RETRY). */
void notify_stop(void);

/*
 * The notifiers an alert goes to, by severity and store: fills up to max
 * names (each NOTIFY_NAME_MAX + 1 bytes, into names) and returns the count.
 */
size_t notify_route(enum notify_severity severity, const char *agent, const char *store,
		    char (*names)[NOTIFY_NAME_MAX + 1], size_t max);

/*
 * One delivery attempt of m through the notifier called name.  Returns 0 and
 * later calls done(ctx, result, why) exactly once; or returns a negative errno
 * (-ENOENT: no such notifier any more) and never calls done.
 */
int notify_send(const char *name, const struct notify_message *m, notify_done_fn done,
		void *ctx);

/*
 * Whether the notifier called name delivers on this machine without a
 * queue of its own (journal, exec): those are told at once about an alert
 * the ledger cannot take yet (a full data_dir), since the outbox that
 * retries every other notifier lives in the ledger (collector/alerts/
 * unrecorded.h).  false for an unknown name.
 */
bool notify_is_local(const char *name);

const char *notify_severity_name(enum notify_severity s);
int notify_severity_parse(const char *s, enum notify_severity *out);

#endif
