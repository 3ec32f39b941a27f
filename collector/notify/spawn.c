/* spawn.c - a notifier's child process (see spawn.h). */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify_int.h"
#include "spawn.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/banned.h"

#define GRACE_MS 2000

struct notify_child {
	struct notify_child *next, **prevp; /* in a notifier's list while reported == false */
	struct notify_children *list;       /* counted in list->running until reported */
	uv_process_t proc;
	uv_pipe_t in, out, err;
	uv_timer_t timer;
	uv_write_t wreq;
	char *input;
	size_t input_len;
	struct buf output;
	size_t dropped; /* output bytes beyond the cap */
	char rbuf[1024];
	char label[128];
	uint64_t timeout_ms;
	int open;   /* handles not yet closed */
	int pid;
	bool spawned, exited, timed_out, reported, finished;
	int eofs;   /* 2 when stdout and stderr are both closed */
	int64_t status;
	int term_signal;
	notify_done_fn done;
	void *ctx;
};

static void child_closed(uv_handle_t *h)
{
	struct notify_child *c = h->data;

	if (--c->open == 0) {
		buf_release(&c->output);
		free(c->input);
		free(c);
	}
}

static void close_once(struct notify_child *c, uv_handle_t *h)
{
	(void)c;
	if (!uv_is_closing(h))
		uv_close(h, child_closed);
}

static void unlink_child(struct notify_child *c)
{
	if (c->prevp) {
		*c->prevp = c->next;
		if (c->next)
			c->next->prevp = c->prevp;
		c->prevp = NULL;
		c->next = NULL;
	}
}

/* An attempt waiting for one of the running children to end. */
struct notify_waiting {
	struct notify_waiting *next;
	char **argv, **env; /* copies; env NULL keeps the collector's */
	char *input;
	size_t len;
	uint64_t timeout_ms;
	char label[128];
	notify_done_fn done;
	void *ctx;
};

static int spawn_now(uv_loop_t *loop, struct notify_children *list, const char *label,
		     char *const argv[], char *const env[], const char *input, size_t len,
		     uint64_t timeout_ms, notify_done_fn done, void *ctx);

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* A copy of a NULL-terminated vector of strings; NULL stays NULL. */
static int strv_dup(char *const v[], char ***out)
{
	size_t n = 0;

	*out = NULL;
	if (!v)
		return 0;
	while (v[n])
		n++;
	*out = calloc(n + 1, sizeof **out);
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		(*out)[i] = strdup(v[i]);
		if (!(*out)[i]) {
			strv_free(*out);
			*out = NULL;
			return -ENOMEM;
		}
	}
	return 0;
}

static void waiting_free(struct notify_waiting *w)
{
	strv_free(w->argv);
	strv_free(w->env);
	free(w->input);
	free(w);
}

static struct notify_waiting *waiting_pop(struct notify_children *list)
{
	struct notify_waiting *w = list->wait_head;

	if (w) {
		list->wait_head = w->next;
		if (!list->wait_head)
			list->wait_tail = NULL;
	}
	return w;
}

/* Starts waiting attempts while there is room. */
static void start_waiting(struct notify_children *list)
{
	struct notify_waiting *w;

	while (list->running < NOTIFY_SPAWN_MAX_RUNNING && (w = waiting_pop(list))) {
		if (spawn_now(list->loop, list, w->label, w->argv, w->env, w->input, w->len,
			      w->timeout_ms, w->done, w->ctx))
			w->done(w->ctx, NOTIFY_RETRY, "out of memory");
		waiting_free(w);
	}
}

/* Reports once; with next, lets a waiting attempt take the freed place
 * first (the done callback may stop the notifier and free list). */
static void report(struct notify_child *c, enum notify_result r, const char *why, bool next)
{
	struct notify_children *list = c->list;

	if (c->reported)
		return;
	c->reported = true;
	unlink_child(c);
	if (list) {
		list->running--;
		c->list = NULL;
		if (next)
			start_waiting(list);
	}
	c->done(c->ctx, r, why);
}

/* Output for a log line: control characters become spaces. */
static void printable_output(struct notify_child *c, char *out, size_t outlen)
{
	size_t n = c->output.len < outlen - 1 ? c->output.len : outlen - 1;

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = c->output.data[i];
		out[i] = (ch < 0x20 || ch == 0x7f) ? ' ' : (char)ch;
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

static void finish(struct notify_child *c)
{
	char text[NOTIFY_SPAWN_OUTPUT_MAX + 1], why[512];

	if (c->finished)
		return;
	c->finished = true;
	printable_output(c, text, sizeof text);
	if (c->timed_out)
		snprintf(why, sizeof why, "timed out after %llu s",
			 (unsigned long long)(c->timeout_ms / 1000));
	else if (c->term_signal)
		snprintf(why, sizeof why, "killed by signal %d", c->term_signal);
	else if (c->status)
		snprintf(why, sizeof why, "exit status %lld%s%.200s", (long long)c->status,
			 text[0] ? ": " : "", text);
	else
		snprintf(why, sizeof why, "exit status 0");
	if (text[0])
		log_msg(c->timed_out || c->term_signal || c->status ? LOG_WARNING : LOG_INFO,
			"notify: %s output: %s%s", c->label, text,
			c->dropped ? " [truncated]" : "");
	report(c, (c->timed_out || c->term_signal || c->status) ? NOTIFY_RETRY : NOTIFY_OK, why,
	       true);
	close_once(c, (uv_handle_t *)&c->in);
	close_once(c, (uv_handle_t *)&c->out);
	close_once(c, (uv_handle_t *)&c->err);
	close_once(c, (uv_handle_t *)&c->timer);
	close_once(c, (uv_handle_t *)&c->proc);
}

static void maybe_finish(struct notify_child *c)
{
	if (c->exited && c->eofs == 2)
		finish(c);
}

static void kill_group(struct notify_child *c)
{
	if (c->spawned && !c->exited && c->pid > 0) {
		kill(-c->pid, SIGKILL); /* the child leads its own session */
		uv_process_kill(&c->proc, SIGKILL);
	}
}

static void on_timer(uv_timer_t *t)
{
	struct notify_child *c = t->data;

	if (c->exited) { /* grace period over: stop waiting for the pipes */
		finish(c);
		return;
	}
	log_warn("notify: %s did not finish within %llu s, killing it", c->label,
		 (unsigned long long)(c->timeout_ms / 1000));
	c->timed_out = true;
	kill_group(c);
}

static void on_exit_cb(uv_process_t *p, int64_t status, int term_signal)
{
	struct notify_child *c = p->data;

	c->exited = true;
	c->status = status;
	c->term_signal = term_signal;
	uv_timer_stop(&c->timer);
	uv_timer_start(&c->timer, on_timer, GRACE_MS, 0);
	maybe_finish(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct notify_child *c = h->data;
	(void)suggested;

	*b = uv_buf_init(c->rbuf, sizeof c->rbuf);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct notify_child *c = s->data;

	if (n > 0) {
		size_t room = c->output.cap - c->output.len;
		size_t take = (size_t)n < room ? (size_t)n : room;

		if (take)
			buf_append(&c->output, b->base, take);
		c->dropped += (size_t)n - take;
		return;
	}
	if (n < 0) {
		uv_read_stop(s);
		close_once(c, (uv_handle_t *)s);
		c->eofs++;
		maybe_finish(c);
	}
}

static void on_written(uv_write_t *w, int status)
{
	struct notify_child *c = w->data;

	if (status && status != UV_EPIPE && status != UV_ECANCELED)
		log_debug("notify: %s: writing stdin: %s", c->label, uv_strerror(status));
	close_once(c, (uv_handle_t *)&c->in);
}

int notify__spawn(uv_loop_t *loop, struct notify_children *list, const char *label,
		  char *const argv[], char *const env[], const char *input, size_t len,
		  uint64_t timeout_ms, notify_done_fn done, void *ctx)
{
	struct notify_waiting *w;

	list->loop = loop;
	if (list->running < NOTIFY_SPAWN_MAX_RUNNING)
		return spawn_now(loop, list, label, argv, env, input, len, timeout_ms, done, ctx);
	w = calloc(1, sizeof *w);
	if (!w)
		return -ENOMEM;
	w->input = malloc(len ? len : 1);
	if (!w->input || strv_dup(argv, &w->argv) || strv_dup(env, &w->env)) {
		waiting_free(w);
		return -ENOMEM;
	}
	memcpy(w->input, input, len);
	w->len = len;
	w->timeout_ms = timeout_ms;
	snprintf(w->label, sizeof w->label, "%s", label);
	w->done = done;
	w->ctx = ctx;
	if (list->wait_tail)
		list->wait_tail->next = w;
	else
		list->wait_head = w;
	list->wait_tail = w;
	return 0;
}

static int spawn_now(uv_loop_t *loop, struct notify_children *list, const char *label,
		     char *const argv[], char *const env[], const char *input, size_t len,
		     uint64_t timeout_ms, notify_done_fn done, void *ctx)
{
	struct notify_child *c = calloc(1, sizeof *c);
	uv_process_options_t o;
	uv_stdio_container_t stdio[3];
	uv_buf_t wb;
	char why[600];
	int e;

	if (!c)
		return -ENOMEM;
	c->input = malloc(len ? len : 1);
	if (!c->input) {
		free(c);
		return -ENOMEM;
	}
	memcpy(c->input, input, len);
	c->input_len = len;
	buf_init(&c->output, NOTIFY_SPAWN_OUTPUT_MAX);
	snprintf(c->label, sizeof c->label, "%s", label);
	c->timeout_ms = timeout_ms;
	c->done = done;
	c->ctx = ctx;

	uv_pipe_init(loop, &c->in, 0);
	uv_pipe_init(loop, &c->out, 0);
	uv_pipe_init(loop, &c->err, 0);
	uv_timer_init(loop, &c->timer);
	c->in.data = c->out.data = c->err.data = c->timer.data = c->proc.data = c;
	c->wreq.data = c;
	c->open = 5;

	memset(&o, 0, sizeof o);
	memset(stdio, 0, sizeof stdio);
	stdio[0].flags = UV_CREATE_PIPE | UV_READABLE_PIPE;
	stdio[0].data.stream = (uv_stream_t *)&c->in;
	stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	stdio[1].data.stream = (uv_stream_t *)&c->out;
	stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	stdio[2].data.stream = (uv_stream_t *)&c->err;
	o.file = argv[0];
	o.args = (char **)argv;
	o.env = (char **)env;
	o.stdio = stdio;
	o.stdio_count = 3;
	o.exit_cb = on_exit_cb;
	o.flags = UV_PROCESS_DETACHED; /* own session: a timeout kills the group */

	/* In the list before anything can report, so report() unlinks it. */
	c->next = list->head;
	if (c->next)
		c->next->prevp = &c->next;
	list->head = c;
	c->prevp = &list->head;

	e = uv_spawn(loop, &c->proc, &o);
	if (e) {
		/* A missing or broken program is the receiver being down: retry. */
		snprintf(why, sizeof why, "cannot run '%s': %s", argv[0], uv_strerror(e));
		log_warn("notify: %s: %s", c->label, why);
		c->reported = true;
		unlink_child(c);
		c->finished = true;
		e = notify__defer(loop, done, ctx, NOTIFY_RETRY, why);
		close_once(c, (uv_handle_t *)&c->in);
		close_once(c, (uv_handle_t *)&c->out);
		close_once(c, (uv_handle_t *)&c->err);
		close_once(c, (uv_handle_t *)&c->timer);
		close_once(c, (uv_handle_t *)&c->proc);
		return e;
	}
	c->spawned = true;
	c->pid = c->proc.pid;
	c->list = list;
	list->running++;
	uv_read_start((uv_stream_t *)&c->out, on_alloc, on_read);
	uv_read_start((uv_stream_t *)&c->err, on_alloc, on_read);
	wb = uv_buf_init(c->input, (unsigned)c->input_len);
	if (uv_write(&c->wreq, (uv_stream_t *)&c->in, &wb, 1, on_written))
		close_once(c, (uv_handle_t *)&c->in);
	uv_timer_start(&c->timer, on_timer, timeout_ms, 0);
	return 0;
}

void notify__children_stop(struct notify_children *list)
{
	struct notify_waiting *w;

	while (list->head) {
		struct notify_child *c = list->head;

		report(c, NOTIFY_RETRY, "notifier stopped", false);
		kill_group(c);
	}
	while ((w = waiting_pop(list))) {
		w->done(w->ctx, NOTIFY_RETRY, "notifier stopped");
		waiting_free(w);
	}
}

int notify__split_command(const char *cmd, char **argv, size_t max, char **storage, char *err,
			  size_t errlen)
{
	char *copy = strdup(cmd), *rest = copy, *tok;
	size_t n = 0;

	*storage = NULL;
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while ((tok = strsep(&rest, " \t"))) {
		if (!*tok)
			continue; /* a run of blanks is one */
		if (n + 1 >= max) {
			snprintf(err, errlen, "more than %zu arguments", max - 2);
			free(copy);
			return -1;
		}
		argv[n++] = tok;
	}
	argv[n] = NULL;
	if (n == 0 || argv[0][0] != '/') {
		snprintf(err, errlen, "'%s' does not start with an absolute path", cmd);
		free(copy);
		return -1;
	}
	*storage = copy;
	return 0;
}
