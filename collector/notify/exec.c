/*
 * exec.c - type = exec: run a local command per notification.
 *
 *   command = /usr/local/sbin/page-oncall --team evidence
 *   timeout = 30s
 *
 * The command line is split on blanks into an argument vector and run without
 * a shell (no quoting, no expansion: nothing in an alert can become shell
 * syntax).  The alert JSON arrives on stdin, its key fields in SHRINKWATCH_*
 * environment variables added to the collector's environment.  Exit status 0
 * means delivered; anything else, a signal or the timeout means try again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "notify_int.h"
#include "spawn.h"
#include "shrinkwatch/banned.h"

#define EXEC_MAX_ARGS 64
#define EXEC_DEFAULT_TIMEOUT_MS 30000

extern char **environ;

struct exec_priv {
	char *command;
	char *argv_storage;
	char *argv[EXEC_MAX_ARGS];
	uint64_t timeout_ms;
	struct notify_children children;
};

static int exec_create(struct notifier *n)
{
	struct exec_priv *p = calloc(1, sizeof *p);

	if (!p)
		return -ENOMEM;
	p->timeout_ms = EXEC_DEFAULT_TIMEOUT_MS;
	n->priv = p;
	return 0;
}

static int exec_parse(struct notifier *n, const char *key, const char *value, char *err,
		      size_t errlen)
{
	struct exec_priv *p = n->priv;

	if (!strcmp(key, "command")) {
		if (notify__split_command(value, p->argv, EXEC_MAX_ARGS, &p->argv_storage, err,
					  errlen))
			return -1;
		p->command = strdup(value);
		if (!p->command) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		return 1;
	}
	if (!strcmp(key, "timeout"))
		return notify__parse_timeout(value, &p->timeout_ms, err, errlen) ? -1 : 1;
	return 0;
}

static int exec_validate(struct notifier *n, char *err, size_t errlen)
{
	struct exec_priv *p = n->priv;

	if (!p->command) {
		snprintf(err, errlen, "command: missing (an absolute path and its arguments)");
		return -1;
	}
	return 0;
}

/* The command must be there, a regular file, executable by us. */
static int exec_check(const struct notifier *n, char *err, size_t errlen)
{
	const struct exec_priv *p = n->priv;
	const char *why = NULL;
	struct stat st;

	if (stat(p->argv[0], &st) < 0)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (access(p->argv[0], X_OK) < 0)
		why = strerror(errno);
	if (!why)
		return 0;
	snprintf(err, errlen, "command: '%s': %s: install it (executable by the collector's "
		 "user) or correct the path", p->argv[0], why);
	return -1;
}

/*
 * Whether a variable of the collector's environment is passed on: not our
 * own SHRINKWATCH_* (the alert's fields replace them), and not systemd's
 * protocol variables, which speak of the collector and must not let a
 * notification command talk to systemd on its behalf.
 */
static int inherited(const char *var)
{
	static const char *const dropped[] = {
		"SHRINKWATCH_", "NOTIFY_SOCKET=", "LISTEN_FDS=", "LISTEN_PID=",
		"LISTEN_FDNAMES=", "WATCHDOG_USEC=", "WATCHDOG_PID=",
	};

	for (size_t i = 0; i < sizeof dropped / sizeof dropped[0]; i++)
		if (!strncmp(var, dropped[i], strlen(dropped[i])))
			return 0;
	return 1;
}

/* The collector's environment (as inherited() allows), plus the alert's
 * fields. */
static char **exec_env(const struct notify_message *m)
{
	char id[32], lb[32], lo[32];
	size_t count = 0, n = 0;
	char **env;

	snprintf(id, sizeof id, "%llu", (unsigned long long)m->alert_id);
	snprintf(lb, sizeof lb, "%.0f", m->lost_bytes);
	snprintf(lo, sizeof lo, "%.0f", m->lost_objects);
	const char *const vars[][2] = {
		{ "SHRINKWATCH_ALERT_ID", id },
		{ "SHRINKWATCH_AGENT", m->agent },
		{ "SHRINKWATCH_STORE", m->store },
		{ "SHRINKWATCH_KIND", m->kind },
		{ "SHRINKWATCH_SEVERITY", notify_severity_name(m->severity) },
		{ "SHRINKWATCH_STATE", alert_state_name(m->state) },
		{ "SHRINKWATCH_SUMMARY", m->summary },
		{ "SHRINKWATCH_LOST_BYTES", lb },
		{ "SHRINKWATCH_LOST_OBJECTS", lo },
		{ "SHRINKWATCH_DASHBOARD_URL", m->dashboard_url ? m->dashboard_url : "" },
		{ "SHRINKWATCH_ATTRIBUTION", m->attribution ? m->attribution : "" },
	};
	const size_t nvars = sizeof vars / sizeof vars[0];

	for (char **e = environ; e && *e; e++)
		count++;
	env = calloc(count + nvars + 1, sizeof *env);
	if (!env)
		return NULL;
	for (char **e = environ; e && *e; e++)
		if (inherited(*e) && !(env[n++] = strdup(*e)))
			goto fail;
	for (size_t i = 0; i < nvars; i++) {
		/* Values are single lines: a summary is, but be sure. */
		size_t len = strlen(vars[i][0]) + 1 + strlen(vars[i][1]) + 1;
		char *s = malloc(len);

		if (!s)
			goto fail;
		snprintf(s, len, "%s=%s", vars[i][0], vars[i][1]);
		for (char *c = s; *c; c++)
			if (*c == '\n' || *c == '\r')
				*c = ' ';
		env[n++] = s;
	}
	env[n] = NULL;
	return env;
fail:
	for (size_t i = 0; i < n; i++)
		free(env[i]);
	free(env);
	return NULL;
}

static int exec_send(struct notifier *n, const struct notify_message *m, notify_done_fn done,
		     void *ctx)
{
	struct exec_priv *p = n->priv;
	char label[NOTIFY_NAME_MAX + 16];
	char **env = exec_env(m);
	int e;

	if (!env)
		return -ENOMEM;
	snprintf(label, sizeof label, "exec '%s'", n->name);
	e = notify__spawn(n->loop, &p->children, label, p->argv, env, m->json, strlen(m->json),
			  p->timeout_ms, done, ctx);
	for (char **s = env; *s; s++)
		free(*s);
	free(env);
	return e;
}

static void exec_destroy(struct notifier *n)
{
	struct exec_priv *p = n->priv;

	if (!p)
		return;
	notify__children_stop(&p->children);
	free(p->command);
	free(p->argv_storage);
	free(p);
	n->priv = NULL;
}

const struct notify_type notify_exec_type = {
	.name = "exec",
	.create = exec_create,
	.parse = exec_parse,
	.validate = exec_validate,
	.check = exec_check,
	.send = exec_send,
	.destroy = exec_destroy,
};
