/*
 * control.h - the local control socket that shrinkwatchctl talks to.
 *
 * An AF_UNIX stream socket (config key `control` in [collector], default
 * /run/shrinkwatch/control.sock).  Each request is one JSON object on one
 * line, each response one JSON object on one line (docs/control.md).  The
 * caller's identity comes from the kernel (SO_PEERCRED), never from the
 * request: anyone who can connect (socket mode `control_mode`, default 0660,
 * group `admin_group`) may read; only root and members of `admin_group`
 * (default shrinkwatch-admin) may change anything (ack, explain, revoke).  A
 * refused request is answered with an error and written to the audit log.
 * Requests are bounded (CONTROL_REQUEST_MAX bytes), so a local user cannot
 * make the collector allocate without limit.
 */
#ifndef SHRINKWATCH_COLLECTOR_CONTROL_H
#define SHRINKWATCH_COLLECTOR_CONTROL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/un.h>
#include <uv.h>

#include "peerlimit.h"
#include "shrinkwatch/buf.h"
#include "shrinkwatch/control_proto.h"

#define CONTROL_DEFAULT_GROUP "shrinkwatch-admin"
#define CONTROL_MAX_CLIENTS 64

struct watch;
struct alerts;
struct ledger;
struct board;
struct outbox;
struct invrequests;
struct copies;

struct control_config {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	unsigned mode;
	char admin_group[64];
	bool path_set; /* `control` was given in the config (not the default) */
};

/* Who is asking: from SO_PEERCRED. */
struct control_caller {
	uid_t uid;
	gid_t gid;
	pid_t pid;
	char user[64];  /* user name, or the uid in decimal */
	bool admin;     /* root or a member of admin_group */
};

/*
 * What the commands act on, given to control_init().  Borrowed: each must
 * outlive the control.  watch, alerts and ledger serve the changing commands
 * (ack, explain, revoke) and the listings; board (the status command's store
 * count) and outbox may be NULL.
 */
/*
 * Appends to out a JSON array with one object per agent that lost or had
 * refused samples ({"agent":...,"samples_lost":N,...}, collector/net/admit.h
 * through the composition); 0 or a negative errno.  The status command shows
 * it as "agents".
 */
typedef int (*control_agents_fn)(void *ud, struct buf *out);

struct control_deps {
	struct watch *watch;
	struct alerts *alerts;
	struct ledger *ledger;
	struct board *board;
	struct outbox *outbox;
	control_agents_fn agents; /* may be NULL: "agents" is then [] */
	void *agents_ud;
	/* loss inventories asked of agents (`lost`); NULL: not offered */
	struct invrequests *inventories;
	/* copy relations (`copies`, `copy_check`); NULL: not offered */
	struct copies *copies;
};

struct control {
	uv_loop_t *loop;
	uv_pipe_t server;
	bool listening;
	struct control_config cfg;
	struct watch *watch;
	struct alerts *alerts;
	struct ledger *ledger;
	struct board *board;
	struct outbox *outbox;
	control_agents_fn agents;
	void *agents_ud;
	struct invrequests *inventories;
	struct copies *copies;
	unsigned nclients;
	uint64_t requests, refused;
	uint64_t throttled; /* requests past a uid's budget (peerlimit.h) */
	struct peerlimit limit;
	uv_timer_t flush_timer; /* writes the refusal summaries (peerlimit.h) */
};

void control_config_default(struct control_config *cfg);
/* collector_config_hook for [collector] control, control_mode, admin_group;
 * ctx is a struct control_config. */
int control_config_key(void *ctx, const char *section, const char *key, const char *value,
		       char *err, size_t errlen);

struct collector_config;
/*
 * Puts cc back to the defaults and registers control_config_key() for it on
 * the collector's configuration, so the keys above are the control's own
 * business (call it for every load).  cc must stay valid while cfg is read.
 * 0 or a negative errno from collector_config_register().
 */
int control_config_register(struct control_config *cc, struct collector_config *cfg);

/*
 * Makes c ready to answer requests (control_handle()) with the settings cfg
 * and the parts in deps (both copied), without a socket yet.
 */
void control_init(struct control *c, const struct control_config *cfg,
		  const struct control_deps *deps);
/* Binds the configured path and listens on loop (replacing a stale socket
 * file).  0 or a negative errno. */
int control_start(struct control *c, uv_loop_t *loop);
/* Stops listening (if it did), writes the refusal summaries still pending and
 * frees what control_init() and the requests made. */
void control_stop(struct control *c);

/*
 * Writes an audit row for every burst of refused changes that ended by now
 * (all: every one with refusals to tell): "N more refused 'ack' requests of
 * uid U between T1 and T2".  The socket calls it from a timer; the unit tests
 * call it with their own clock.
 */
void control_flush_refusals(struct control *c, int64_t now, bool all);

/* Fills caller from a uid/gid/pid: user name, admin membership. */
void control_caller_init(struct control_caller *who, uid_t uid, gid_t gid, pid_t pid,
			 const char *admin_group);

/*
 * Handles one request (req[0..len), no newline) from who and appends the
 * response object (no newline) to out.  Used by the socket and the unit
 * tests.  Never fails: errors become {"ok":false,"error":...}.
 */
void control_handle(struct control *c, const struct control_caller *who, const char *req,
		    size_t len, int64_t now, struct buf *out);

#endif
