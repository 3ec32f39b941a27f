/* daemon.c - what the two daemons share around their own work (daemon.h). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "shrinkwatch/daemon.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/sdnotify.h"
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
	log_init(p->name, args->log_level);
	return -1;
usage:
	p->usage(stderr);
	return 2;
}

int daemon_ensure_dir(const char *dir, int access_mode)
{
	struct stat st;

	if (mkdir(dir, 0750) && errno != EEXIST)
		return -errno;
	if (stat(dir, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	return access(dir, access_mode) ? -errno : 0;
}

static void on_stop_signal(uv_signal_t *h, int signum)
{
	struct daemon_signals *s = h->data;

	log_info("%s: %s received, stopping", s->who, strsignal(signum));
	sdnotify_stopping();
	s->on_stop(s->data);
}

static void on_hup(uv_signal_t *h, int signum)
{
	struct daemon_signals *s = h->data;
	char status[256] = "running";
	(void)signum;

	sdnotify_reloading();
	s->on_reload(s->data, status, sizeof status);
	sdnotify_ready("%s", status);
}

int daemon_signals_start(struct daemon_signals *s, uv_loop_t *loop, const char *who,
			 void (*on_stop)(void *data),
			 void (*on_reload)(void *data, char *status, size_t len), void *data)
{
	int err;

	s->who = who;
	s->on_stop = on_stop;
	s->on_reload = on_reload;
	s->data = data;
	uv_signal_init(loop, &s->term);
	uv_signal_init(loop, &s->intr);
	uv_signal_init(loop, &s->hup);
	s->term.data = s->intr.data = s->hup.data = s;
	err = uv_signal_start(&s->term, on_stop_signal, SIGTERM);
	if (!err)
		err = uv_signal_start(&s->intr, on_stop_signal, SIGINT);
	if (!err)
		err = uv_signal_start(&s->hup, on_hup, SIGHUP);
	return err;
}

int daemon_run(int (*run)(void *data, uv_loop_t *loop), void *data)
{
	uv_loop_t *loop;
	int rc;

	signal(SIGPIPE, SIG_IGN);
	loop = uv_default_loop();
	rc = run(data, loop);
	uv_loop_close(loop);
	return rc;
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
