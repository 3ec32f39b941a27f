/*
 * notify_int.h - what notify.c shares with the notifier types
 * (exec.c, webhook.c, alertmanager.c, email.c,
 * journal.c).  Nothing outside collector/notify*.c and their tests
 * should need it.
 *
 * A type is a table of functions.  notify.c keeps the raw key/value pairs of
 * each [notify NAME] section while the file is read, because the type key may
 * come after the type's own keys; notify_start() then hands every pair to the
 * type's parse function, asks it to validate the whole and starts it.
 */
#ifndef SHRINKWATCH_COLLECTOR_NOTIFY_INT_H
#define SHRINKWATCH_COLLECTOR_NOTIFY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "notify.h"
#include "shrinkwatch/buf.h"

struct notifier;

struct notify_type {
	const char *name;
	/* Allocates n->priv with defaults.  0 or -ENOMEM. */
	int (*create)(struct notifier *n);
	/* One key of the section: 1 taken, 0 not a key of this type, -1 invalid
	 * value (message in err). */
	int (*parse)(struct notifier *n, const char *key, const char *value, char *err,
		     size_t errlen);
	/* The section as a whole (required keys).  0 or -1 with err. */
	int (*validate)(struct notifier *n, char *err, size_t errlen);
	/* What can be checked outside the file (a command exists and is
	 * executable): an error for --check-config, a warning at start (the
	 * command may be installed later; detection must not stop for it).
	 * May be NULL.  0 or -1 with a message that says what to do in err. */
	int (*check)(const struct notifier *n, char *err, size_t errlen);
	/* Starts timers or shared handles on loop.  0 or a negative errno. */
	int (*start)(struct notifier *n, uv_loop_t *loop);
	/* One attempt, as notify_send() promises. */
	int (*send)(struct notifier *n, const struct notify_message *m, notify_done_fn done,
		    void *ctx);
	/* On a reload: takes over what old (the running notifier of the same
	 * name and type) must not forget, e.g. Alertmanager's open alerts. */
	void (*adopt)(struct notifier *fresh, struct notifier *old);
	/* Reports NOTIFY_RETRY for every pending attempt, stops handles and frees
	 * n->priv (possibly later, once libuv has closed the handles).  Also
	 * called for a notifier that was created but never started. */
	void (*destroy)(struct notifier *n);
};

#define NOTIFY_MAX_STORE_GLOBS 32

struct notifier {
	char name[NOTIFY_NAME_MAX + 1];
	const struct notify_type *type;
	enum notify_severity min_severity;
	char *stores[NOTIFY_MAX_STORE_GLOBS]; /* "agent/store" globs; none = every store */
	size_t nstores;
	uv_loop_t *loop; /* NULL until started */
	void *priv;      /* the type's state */
};

extern const struct notify_type notify_exec_type;
extern const struct notify_type notify_webhook_type;
extern const struct notify_type notify_alertmanager_type;
extern const struct notify_type notify_email_type;
extern const struct notify_type notify_journal_type;

/* The running notifier called name, or NULL. */
struct notifier *notify__find(const char *name);

/* The i-th running notifier, or NULL past the last. */
struct notifier *notify__running(size_t i);

/* Whether a notifier takes alerts of this severity for agent/store. */
bool notify__routes(const struct notifier *n, enum notify_severity severity, const char *agent,
		    const char *store);

/*
 * Calls done(ctx, result, why) on the next turn of loop rather than from
 * inside notify_send(), so the caller never sees its callback before
 * notify_send() has returned (synchronous notifiers such as journal use it).
 * 0 or -ENOMEM.
 */
int notify__defer(uv_loop_t *loop, notify_done_fn done, void *ctx, enum notify_result result,
		  const char *why);

/* Reports every deferred result now (notify_stop(): the loop may never turn
 * again, and every attempt must hear its result exactly once). */
void notify__defer_flush(void);

/* RFC 3339 UTC ("2026-11-23T00:46:00Z"). */
void notify__rfc3339(int64_t t, char *out, size_t outlen);
/* Parses a duration key into milliseconds (1 s .. 1 day). */
int notify__parse_timeout(const char *value, uint64_t *ms, char *err, size_t errlen);
/* Upper-case severity name for subjects and messages ("CRITICAL"). */
const char *notify__severity_upper(enum notify_severity s);

#endif
