/* daemon.c - the daemons' shared command line and loop shutdown (daemon.h). */
#include <getopt.h>
#include <string.h>
#include <syslog.h>

#include "shrinkwatch/daemon.h"
#include "shrinkwatch/version.h"
#include "shrinkwatch/banned.h"

enum { OPT_ONCE = 256 };

int daemon_parse_args(const struct daemon_program *p, int argc, char **argv,
		      struct daemon_args *args)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'n' },
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	int c;

	memset(args, 0, sizeof *args);
	args->config_path = p->default_config;
	args->log_level = LOG_INFO;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:nvhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			args->config_path = optarg;
			break;
		case 'n':
			args->check_config = true;
			break;
		case OPT_ONCE:
			if (!p->has_once) {
				fprintf(stderr, "%s: --once is an agent option\n", p->name);
				goto usage;
			}
			args->once = true;
			break;
		case 'v':
			args->log_level = LOG_DEBUG;
			break;
		case 'h':
			p->usage(stdout);
			return 0;
		case 'V':
			printf("%s %s\n", p->name, SHRINKWATCH_VERSION);
			return 0;
		default:
			goto usage;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", p->name, argv[optind]);
		goto usage;
	}
	return -1;
usage:
	p->usage(stderr);
	return 2;
}

static void close_one(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

void daemon_close_loop(uv_loop_t *loop)
{
	uv_walk(loop, close_one, NULL);
	uv_run(loop, UV_RUN_DEFAULT);
}
