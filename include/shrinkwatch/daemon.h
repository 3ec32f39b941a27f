/*
 * daemon.h - what the two daemons share around their own work: the command
 * line (-c, -n/--check-config, -v, -h, -V, and the agent's --once) and the
 * end of an event loop's life.
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
 * Parses argv into args.  Returns -1 when the program should go on, or the
 * exit status to return at once: 0 after --help or --version, 2 after a usage
 * error (already explained on stderr).
 */
int daemon_parse_args(const struct daemon_program *p, int argc, char **argv,
		      struct daemon_args *args);

/* Closes every handle still open on loop and runs it until their close
 * callbacks have run, so the loop can be closed cleanly. */
void daemon_close_loop(uv_loop_t *loop);

#endif
