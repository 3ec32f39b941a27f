/* delwatch_run.c - the deletion watch on the agent's loop (see delwatch_run.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "delwatch.h"
#include "delwatch_run.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/banned.h"

/* one delivery-queue reader per collector */
_Static_assert(DELQUEUE_MAX_READERS >= AGENT_MAX_COLLECTORS, "delqueue readers");

struct dw_store {
	struct delwatch_run *run;
	char name[SW_NAME_MAX + 1];
	struct delwatch *dw;
	uv_poll_t poll;
	bool polling;
	bool overflow_now; /* overflowed since the last flush */
	bool in_episode;   /* warned about this overflow episode */
	bool rescan;
};

struct delwatch_run {
	uv_loop_t *loop;
	struct delqueue *q;
	void (*kick)(void *ctx);
	void *ctx;
	uv_timer_t flush;
	struct dw_store *stores;
	size_t n, watching;
	unsigned open_handles;
};

static void run_free_if_closed(struct delwatch_run *r)
{
	if (r->open_handles)
		return;
	for (size_t i = 0; i < r->n; i++)
		delwatch_close(r->stores[i].dw);
	free(r->stores);
	free(r);
}

static void handle_closed(uv_handle_t *h)
{
	struct delwatch_run *r = h->data;

	r->open_handles--;
	run_free_if_closed(r);
}

static void stop_poll(struct dw_store *s)
{
	if (!s->polling)
		return;
	s->polling = false;
	s->poll.data = s->run;
	uv_close((uv_handle_t *)&s->poll, handle_closed);
}

static void on_events(uv_poll_t *p, int status, int events)
{
	struct dw_store *s = p->data;
	int err;
	(void)events;

	err = status < 0 ? status : delwatch_read(s->dw);
	if (err == -EOVERFLOW) {
		if (!s->in_episode)
			log_warn("delwatch: store '%s': the kernel's event queue overflowed: "
				 "deletions were missed (and go unattributed); the next scan is "
				 "a full one", s->name);
		s->in_episode = s->overflow_now = s->rescan = true;
	} else if (err < 0) {
		log_err("delwatch: store '%s': cannot read deletion events: %s; relying on "
			"scans alone from now on", s->name, strerror(-err));
		stop_poll(s);
	}
}

/* Moves one store's reports into the delivery queue; returns how many. */
static size_t flush_store(struct delwatch_run *r, struct dw_store *s)
{
	struct delwatch_report rep[DELWATCH_MAX_REPORTS];
	size_t n = s->dw ? delwatch_take(s->dw, rep, DELWATCH_MAX_REPORTS) : 0;

	for (size_t i = 0; i < n; i++) {
		struct sw_deletion d;
		char line[2 * DELWATCH_TEXT_MAX + 128];

		memset(&d, 0, sizeof d);
		snprintf(d.store, sizeof d.store, "%s", s->name);
		d.first = rep[i].first;
		d.last = rep[i].last;
		d.files = rep[i].files;
		d.dirs = rep[i].dirs;
		snprintf(d.dir, sizeof d.dir, "%s", rep[i].dir);
		d.pid = (uint32_t)rep[i].pid;
		d.uid = rep[i].uid;
		snprintf(d.exe, sizeof d.exe, "%s", rep[i].exe);
		delwatch_format(&rep[i], line, sizeof line);
		log_info("delwatch: store '%s': %s", s->name, line);
		delqueue_push(r->q, &d);
	}
	return n;
}

static void on_flush(uv_timer_t *t)
{
	struct delwatch_run *r = t->data;
	size_t pushed = 0;

	for (size_t i = 0; i < r->n; i++) {
		struct dw_store *s = &r->stores[i];

		pushed += flush_store(r, s);
		if (!s->overflow_now)
			s->in_episode = false;
		s->overflow_now = false;
	}
	if (pushed && r->kick)
		r->kick(r->ctx);
}

static const char *why_not(int err)
{
	switch (err) {
	case -EPERM:
		return "the agent lacks CAP_SYS_ADMIN (see shrinkwatch-agent(8), deletion "
		       "watch)";
	case -EINVAL:
	case -ENOSYS:
	case -EOPNOTSUPP:
		return "this kernel has no fanotify deletion events with names (Linux >= 5.9 "
		       "needed)";
	case -EXDEV:
		return "its filesystem cannot be marked as a whole (no file handles?)";
	default:
		return strerror(-err);
	}
}

/* Opens one store's watch.  0 (watching, or not wanted), or a negative errno
 * for a store whose deletion_watch is yes. */
static int start_store(struct delwatch_run *r, struct dw_store *s,
		       const struct agent_store_config *sc, char *err, size_t errlen)
{
	int ret;

	if (sc->deletion_watch == AGENT_DELWATCH_NO)
		return 0;
	ret = delwatch_open(&s->dw, sc->path, DELWATCH_RUN_DEPTH);
	if (ret == 0)
		ret = uv_poll_init(r->loop, &s->poll, delwatch_fd(s->dw));
	if (ret == 0) {
		s->poll.data = s;
		s->polling = true;
		r->open_handles++;
		ret = uv_poll_start(&s->poll, UV_READABLE, on_events);
		if (ret)
			stop_poll(s);
	}
	if (ret == 0) {
		r->watching++;
		log_info("delwatch: store '%s': watching deletions under '%s' (fanotify)",
			 s->name, sc->path);
		return 0;
	}
	delwatch_close(s->dw);
	s->dw = NULL;
	if (sc->deletion_watch == AGENT_DELWATCH_YES) {
		snprintf(err, errlen, "store '%s': deletion_watch = yes, but '%s' cannot be "
			 "watched: %s", s->name, sc->path, why_not(ret));
		return ret;
	}
	log_info("delwatch: store '%s': not watching deletions as they happen: %s; scans "
		 "alone show them", s->name, why_not(ret));
	return 0;
}

int delwatch_run_start(struct delwatch_run **out, uv_loop_t *loop, const struct agent_config *cfg,
		       struct delqueue *q, void (*kick)(void *ctx), void *ctx, char *err,
		       size_t errlen)
{
	struct delwatch_run *r = calloc(1, sizeof *r);
	int ret = 0;

	*out = NULL;
	if (!r || !(r->stores = calloc(cfg->nstores ? cfg->nstores : 1, sizeof *r->stores))) {
		free(r);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r->loop = loop;
	r->q = q;
	r->kick = kick;
	r->ctx = ctx;
	r->n = cfg->nstores;
	for (size_t i = 0; i < r->n && !ret; i++) {
		r->stores[i].run = r;
		snprintf(r->stores[i].name, sizeof r->stores[i].name, "%s", cfg->stores[i].name);
		ret = start_store(r, &r->stores[i], &cfg->stores[i], err, errlen);
	}
	uv_timer_init(loop, &r->flush);
	r->flush.data = r;
	r->open_handles++;
	if (ret) {
		delwatch_run_stop(r);
		return ret;
	}
	if (r->watching)
		uv_timer_start(&r->flush, on_flush, DELWATCH_RUN_FLUSH_MS, DELWATCH_RUN_FLUSH_MS);
	*out = r;
	return 0;
}

bool delwatch_run_take_rescan(struct delwatch_run *r, const char *store)
{
	for (size_t i = 0; r && i < r->n; i++)
		if (!strcmp(r->stores[i].name, store) && r->stores[i].rescan) {
			r->stores[i].rescan = false;
			return true;
		}
	return false;
}

size_t delwatch_run_count(const struct delwatch_run *r)
{
	return r ? r->watching : 0;
}

void delwatch_run_stop(struct delwatch_run *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		if (r->stores[i].dw)
			flush_store(r, &r->stores[i]);
		stop_poll(&r->stores[i]);
	}
	uv_timer_stop(&r->flush);
	uv_close((uv_handle_t *)&r->flush, handle_closed);
}
