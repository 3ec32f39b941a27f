/*
 * control.c - the control socket: connections, framing, identity (see
 * control.h).  The commands themselves are in commands.c.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "collector/config.h"
#include "shrinkwatch/json.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/banned.h"

struct client {
	uv_pipe_t pipe;
	struct control *c;
	struct control_caller who;
	struct buf in;
	bool closing;
};

struct reply {
	uv_write_t req;
	struct buf out;
};

void control_config_default(struct control_config *cfg)
{
	snprintf(cfg->path, sizeof cfg->path, "%s", CONTROL_DEFAULT_PATH);
	cfg->mode = 0660;
	snprintf(cfg->admin_group, sizeof cfg->admin_group, "%s", CONTROL_DEFAULT_GROUP);
}

int control_config_key(void *ctx, const char *section, const char *key, const char *value,
		       char *err, size_t errlen)
{
	struct control_config *cfg = ctx;
	char *end;
	unsigned long m;

	if (strcmp(section, "collector") != 0)
		return 0;
	if (!strcmp(key, "control")) {
		if (value[0] != '/' || strlen(value) >= sizeof cfg->path) {
			snprintf(err, errlen, "control must be an absolute path shorter than %zu "
					      "bytes",
				 sizeof cfg->path);
			return -1;
		}
		snprintf(cfg->path, sizeof cfg->path, "%s", value);
		cfg->path_set = true;
		return 1;
	}
	if (!strcmp(key, "control_mode")) {
		errno = 0;
		m = strtoul(value, &end, 8);
		if (errno || end == value || *end || m > 0777) {
			snprintf(err, errlen, "control_mode must be an octal mode like 0660");
			return -1;
		}
		cfg->mode = (unsigned)m;
		return 1;
	}
	if (!strcmp(key, "admin_group")) {
		if (!*value || strlen(value) >= sizeof cfg->admin_group) {
			snprintf(err, errlen, "admin_group must be a group name");
			return -1;
		}
		snprintf(cfg->admin_group, sizeof cfg->admin_group, "%s", value);
		return 1;
	}
	return 0;
}

int control_config_register(struct control_config *cc, struct collector_config *cfg)
{
	const struct collector_config_hook hook = { control_config_key, cc };

	memset(cc, 0, sizeof *cc);
	control_config_default(cc);
	return collector_config_register(cfg, &hook);
}

static bool in_group(const char *user, gid_t primary, gid_t want)
{
	gid_t groups[256];
	int n = 256;

	if (primary == want)
		return true;
	if (getgrouplist(user, primary, groups, &n) < 0)
		return false;
	for (int i = 0; i < n; i++)
		if (groups[i] == want)
			return true;
	return false;
}

void control_caller_init(struct control_caller *who, uid_t uid, gid_t gid, pid_t pid,
			 const char *admin_group)
{
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;
	char pwbuf[4096], grbuf[8192];

	memset(who, 0, sizeof *who);
	who->uid = uid;
	who->gid = gid;
	who->pid = pid;
	if (getpwuid_r(uid, &pw, pwbuf, sizeof pwbuf, &pwp) == 0 && pwp)
		snprintf(who->user, sizeof who->user, "%s", pw.pw_name);
	else
		snprintf(who->user, sizeof who->user, "%u", (unsigned)uid);
	if (uid == 0) {
		who->admin = true;
		return;
	}
	if (!admin_group || getgrnam_r(admin_group, &gr, grbuf, sizeof grbuf, &grp) || !grp)
		return; /* no such group: root only */
	who->admin = gid == gr.gr_gid || (pwp && in_group(pw.pw_name, pw.pw_gid, gr.gr_gid));
}

static void on_close(uv_handle_t *h)
{
	struct client *cl = h->data;

	buf_release(&cl->in);
	cl->c->nclients--;
	free(cl);
}

static void client_close(struct client *cl)
{
	if (cl->closing)
		return;
	cl->closing = true;
	uv_close((uv_handle_t *)&cl->pipe, on_close);
}

static void on_written(uv_write_t *req, int status)
{
	struct reply *r = (struct reply *)req;

	(void)status;
	buf_release(&r->out);
	free(r);
}

static void send_reply(struct client *cl, struct reply *r)
{
	uv_buf_t b;

	if (buf_append(&r->out, "\n", 1)) {
		buf_release(&r->out);
		free(r);
		client_close(cl);
		return;
	}
	b = uv_buf_init((char *)r->out.data, (unsigned)r->out.len);
	if (uv_write(&r->req, (uv_stream_t *)&cl->pipe, &b, 1, on_written)) {
		buf_release(&r->out);
		free(r);
		client_close(cl);
	}
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	static char scratch[16384];

	(void)h;
	(void)hint;
	*b = uv_buf_init(scratch, sizeof scratch);
}

/* A request past its uid's budget: answered, not carried out, not audited. */
static void throttle(struct client *cl, struct buf *out)
{
	static struct log_ratelimit rl = LOG_RATELIMIT_INIT(60, 1);
	char why[200];

	cl->c->throttled++;
	log_ratelimited(&rl, LOG_WARNING, "control: '%s' (uid %u, pid %d) sends more than %u "
			"requests a second: refusing the excess (%llu so far)", cl->who.user,
			(unsigned)cl->who.uid, (int)cl->who.pid, PEERLIMIT_RATE,
			(unsigned long long)cl->c->throttled);
	snprintf(why, sizeof why, "too many requests from uid %u (at most %u a second): try "
		 "again in a second", (unsigned)cl->who.uid, PEERLIMIT_RATE);
	json_put_raw(out, "{\"ok\":false,\"error\":");
	json_put_str(out, why);
	json_put_raw(out, "}");
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct client *cl = s->data;
	uint8_t *nl;

	if (n < 0) {
		client_close(cl);
		return;
	}
	if (n == 0 || cl->closing)
		return;
	if (buf_append(&cl->in, b->base, (size_t)n)) {
		struct reply *r = calloc(1, sizeof *r);

		log_warn("control: request of '%s' (pid %d) is longer than %d bytes: closing",
			 cl->who.user, (int)cl->who.pid, CONTROL_REQUEST_MAX);
		if (r) {
			static const char too_long[] = "{\"ok\":false,\"error\":\"request too long\"}";

			buf_init(&r->out, 256);
			buf_append(&r->out, too_long, sizeof too_long - 1);
			send_reply(cl, r);
		}
		uv_read_stop(s);
		client_close(cl);
		return;
	}
	while (!cl->closing && (nl = memchr(cl->in.data, '\n', cl->in.len))) {
		size_t len = (size_t)(nl - cl->in.data);
		struct reply *r = calloc(1, sizeof *r);

		if (!r) {
			client_close(cl);
			return;
		}
		buf_init(&r->out, CONTROL_RESPONSE_MAX);
		cl->c->requests++;
		if (peerlimit_take(&cl->c->limit, cl->who.uid, uv_now(cl->c->loop)))
			control_handle(cl->c, &cl->who, (const char *)cl->in.data, len,
				       (int64_t)time(NULL), &r->out);
		else
			throttle(cl, &r->out);
		buf_consume(&cl->in, len + 1);
		send_reply(cl, r);
	}
}

static void on_connection(uv_stream_t *server, int status)
{
	struct control *c = server->data;
	struct client *cl;
	struct ucred cred;
	socklen_t clen = sizeof cred;
	uv_os_fd_t fd;

	if (status < 0)
		return;
	cl = calloc(1, sizeof *cl);
	if (!cl)
		return;
	cl->c = c;
	buf_init(&cl->in, CONTROL_REQUEST_MAX + 1);
	uv_pipe_init(c->loop, &cl->pipe, 0);
	cl->pipe.data = cl;
	c->nclients++;
	if (uv_accept(server, (uv_stream_t *)&cl->pipe)) {
		client_close(cl);
		return;
	}
	if (c->nclients > CONTROL_MAX_CLIENTS || uv_fileno((uv_handle_t *)&cl->pipe, &fd) ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen)) {
		log_warn("control: refusing a connection (%u clients, or no peer credentials)",
			 c->nclients);
		client_close(cl);
		return;
	}
	control_caller_init(&cl->who, cred.uid, cred.gid, cred.pid, c->cfg.admin_group);
	log_debug("control: connection from '%s' (uid %u, pid %d%s)", cl->who.user,
		  (unsigned)cred.uid, (int)cred.pid, cl->who.admin ? ", admin" : "");
	uv_read_start((uv_stream_t *)&cl->pipe, on_alloc, on_read);
}

void control_init(struct control *c, const struct control_config *cfg,
		  const struct control_deps *deps)
{
	memset(c, 0, sizeof *c);
	c->cfg = *cfg;
	c->watch = deps->watch;
	c->alerts = deps->alerts;
	c->ledger = deps->ledger;
	c->board = deps->board;
	c->outbox = deps->outbox;
	c->agents = deps->agents;
	c->agents_ud = deps->agents_ud;
	c->inventories = deps->inventories;
	c->copies = deps->copies;
	peerlimit_init(&c->limit, PEERLIMIT_RATE, PEERLIMIT_BURST, PEERLIMIT_WINDOW_S);
}

static void flush_tick(uv_timer_t *t)
{
	control_flush_refusals(t->data, (int64_t)time(NULL), false);
}

int control_start(struct control *c, uv_loop_t *loop)
{
	const struct control_config *cfg = &c->cfg;
	struct stat st;
	int err;

	c->loop = loop;
	if (lstat(cfg->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_err("control: '%s' exists and is not a socket", cfg->path);
			return -EEXIST;
		}
		unlink(cfg->path); /* stale from a previous run */
	}
	uv_pipe_init(loop, &c->server, 0);
	c->server.data = c;
	err = uv_pipe_bind(&c->server, cfg->path);
	if (!err)
		err = uv_listen((uv_stream_t *)&c->server, 16, on_connection);
	if (err) {
		log_err("control: cannot listen on '%s': %s", cfg->path, uv_strerror(err));
		uv_close((uv_handle_t *)&c->server, NULL);
		return err;
	}
	c->listening = true;
	uv_timer_init(loop, &c->flush_timer);
	c->flush_timer.data = c;
	uv_timer_start(&c->flush_timer, flush_tick, 10000, 10000);
	if (chmod(cfg->path, cfg->mode))
		log_warn("control: cannot chmod '%s': %s", cfg->path, strerror(errno));
	log_info("control: listening on '%s' (mode %04o; admin group '%s')", cfg->path,
		 cfg->mode, cfg->admin_group);
	return 0;
}

void control_stop(struct control *c)
{
	control_flush_refusals(c, (int64_t)time(NULL), true);
	peerlimit_release(&c->limit);
	if (!c->listening)
		return;
	c->listening = false;
	uv_close((uv_handle_t *)&c->flush_timer, NULL);
	uv_close((uv_handle_t *)&c->server, NULL);
	unlink(c->cfg.path);
}
