/*
 * daemon.h - what the two daemons share around their own work: the command
 * line (-c, -n/--check-config, -v, -h, -V, and the agent's --once) and
 * logging, the state directory check, the stop and reload signals with their
 * systemd notifications, and the event loop's life from start to close.  Only
 * what is the same in both lives here; each daemon's start-up and shutdown
 * order stays in its main.c.
 */
#ifndef SHRINKWATCH_DAEMON_H
#define SHRINKWATCH_DAEMON_H

#include <stdbool.h>
#include <stdio.h>
#include <uv.h>

struct daemon_program {
	const char *name;           /* "shrinkwatch-agent": messages, --version */
	const char *default_config; /* used without -c */
	bool has_once;              /* accepts --once */
	void (*usage)(FILE *out);   /* the --help text */
};

struct daemon_args {
	const char *config_path;
	bool check_config; /* -n, --check-config */
	bool once;         /* --once */
	int log_level;     /* LOG_INFO, or LOG_DEBUG with -v */
};

/*
 * Parses argv into args.  Returns -1 when the program should go on, with
 * logging started as p->name at the level asked for (log_init()), or the exit
 * status to return at once: 0 after --help or --version, 2 after a usage
 * error (already explained on stderr).
 */
int daemon_parse_args(const struct daemon_program *p, int argc, char **argv,
		      struct daemon_args *args);

/*
 * Makes dir (mode 0750) unless it exists, and checks that it is a directory
 * the daemon may use as access_mode (access(2) bits, e.g. W_OK) says.  0 or
 * a negative errno (-ENOTDIR when it is something else).
 */
int daemon_ensure_dir(const char *dir, int access_mode);

/*
 * The stop and reload signals, on the loop like any handle (so
 * daemon_close_loop() closes them).  SIGTERM and SIGINT log
 * "WHO: SIGNAL received, stopping", tell systemd STOPPING=1 and call
 * on_stop(data), which ends the loop when the daemon is ready to.  SIGHUP
 * tells systemd RELOADING=1 and calls on_reload(data, status, len), which
 * re-reads the configuration and may write a status line into status
 * ("running" unless it does); then READY=1 with that status is sent, since
 * systemd expects READY=1 to end a RELOADING=1 whatever the outcome.
 */
struct daemon_signals {
	uv_signal_t term, intr, hup;
	const char *who; /* the log prefix: "agent", "collector" */
	void (*on_stop)(void *data);
	void (*on_reload)(void *data, char *status, size_t len);
	void *data;
};

/* Starts the three handlers on loop.  who must outlive s.  0 or a negative
 * libuv error (handles already started stay on the loop). */
int daemon_signals_start(struct daemon_signals *s, uv_loop_t *loop, const char *who,
			 void (*on_stop)(void *data),
			 void (*on_reload)(void *data, char *status, size_t len), void *data);

/*
 * A daemon's loop from start to close: ignores SIGPIPE (a peer that goes away
 * makes a write fail with EPIPE instead of killing the process), calls
 * run(data, loop) on the default loop, and closes the loop once run returned
 * (run ends with daemon_close_loop()).  Returns what run returned.
 */
int daemon_run(int (*run)(void *data, uv_loop_t *loop), void *data);

/* Closes every handle still open on loop and runs it until their close
 * callbacks have run, so the loop can be closed cleanly. */
void daemon_close_loop(uv_loop_t *loop);

#endif
