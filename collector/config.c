/* config.c - parsing the collector's INI file (see config.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "shrinkwatch/confload.h"
#include "shrinkwatch/parse.h"
#include "shrinkwatch/banned.h"

struct parse_ctx {
	struct collector_config *cfg;
	unsigned seen; /* bit per [collector] key */
};

enum { SEEN_LISTEN = 1, SEEN_DATA_DIR = 2, SEEN_THREADS = 4, SEEN_SYNC = 8, SEEN_MAXCONN = 16 };

static int once(struct confload *cl, struct parse_ctx *ctx, unsigned bit)
{
	if (ctx->seen & bit) {
		confload_error(cl, "key given twice");
		return -1;
	}
	ctx->seen |= bit;
	return 0;
}

static int handle_collector(struct parse_ctx *ctx, struct confload *cl, const char *key,
			    const char *v)
{
	struct collector_config *cfg = ctx->cfg;
	uint64_t n;
	bool b;

	if (!strcmp(key, "listen")) {
		if (once(cl, ctx, SEEN_LISTEN))
			return -1;
		if (parse_hostport(v, cfg->listen_host, sizeof cfg->listen_host,
				   &cfg->listen_port)) {
			confload_error(cl, "'%s' is not HOST:PORT (e.g. 127.0.0.1:7405)", v);
			return -1;
		}
		return 0;
	}
	if (!strcmp(key, "data_dir")) {
		if (once(cl, ctx, SEEN_DATA_DIR))
			return -1;
		if (v[0] != '/' || strlen(v) >= sizeof cfg->data_dir - 128) {
			confload_error(cl, "'%s' is not an absolute path of reasonable length", v);
			return -1;
		}
		snprintf(cfg->data_dir, sizeof cfg->data_dir, "%s", v);
		return 0;
	}
	if (!strcmp(key, "rrd_threads")) {
		if (once(cl, ctx, SEEN_THREADS))
			return -1;
		if (parse_u64(v, &n) || n < 1 || n > 64) {
			confload_error(cl, "'%s' is not a thread count between 1 and 64", v);
			return -1;
		}
		cfg->rrd_threads = (unsigned)n;
		return 0;
	}
	if (!strcmp(key, "rrd_sync")) {
		if (once(cl, ctx, SEEN_SYNC))
			return -1;
		if (parse_bool(v, &b)) {
			confload_error(cl, "'%s' is not yes or no", v);
			return -1;
		}
		cfg->rrd_sync = b;
		return 0;
	}
	if (!strcmp(key, "max_connections")) {
		if (once(cl, ctx, SEEN_MAXCONN))
			return -1;
		if (parse_u64(v, &n) || n < 1 || n > 1000000) {
			confload_error(cl, "'%s' is not a count between 1 and 1000000", v);
			return -1;
		}
		cfg->max_connections = (unsigned)n;
		return 0;
	}
	return 1; /* not ours: maybe a module's */
}

/* Offers a key to the modules' hooks: 0 handled, 1 nobody's, -1 error. */
static int offer_to_hooks(struct parse_ctx *ctx, struct confload *cl, const char *section,
			  const char *key, const char *v)
{
	char err[400];

	for (size_t i = 0; i < ctx->cfg->nhooks; i++) {
		const struct collector_config_hook *h = &ctx->cfg->hooks[i];
		int r;

		err[0] = '\0';
		r = h->fn(h->ctx, section, key, v, err, sizeof err);
		if (r > 0)
			return 0;
		if (r < 0) {
			confload_error(cl, "%s", err[0] ? err : "invalid value");
			return -1;
		}
	}
	return 1;
}

static int handler(struct confload *cl, const char *section, const char *key, const char *v)
{
	struct parse_ctx *ctx = cl->user;
	int r;

	if (!strcmp(section, "collector")) {
		r = handle_collector(ctx, cl, key, v);
		if (r <= 0)
			return r;
	}
	r = offer_to_hooks(ctx, cl, section, key, v);
	if (r <= 0)
		return r;
	if (!strcmp(section, "collector"))
		confload_error(cl, "unknown key");
	else
		confload_error(cl, "unknown section [%s]", section);
	return -1;
}

void collector_config_init(struct collector_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	parse_hostport(COLLECTOR_DEFAULT_LISTEN, cfg->listen_host, sizeof cfg->listen_host,
		       &cfg->listen_port);
	snprintf(cfg->data_dir, sizeof cfg->data_dir, "%s", COLLECTOR_DEFAULT_DATA_DIR);
	cfg->rrd_threads = 2;
	cfg->rrd_sync = true;
	cfg->max_connections = 10000;
}

int collector_config_register(struct collector_config *cfg,
			      const struct collector_config_hook *hook)
{
	if (cfg->nhooks >= COLLECTOR_CONFIG_MAX_HOOKS)
		return -ENOSPC;
	cfg->hooks[cfg->nhooks++] = *hook;
	return 0;
}

int collector_config_read(const char *path, struct collector_config *cfg, char *err,
			  size_t errlen)
{
	struct parse_ctx ctx = { .cfg = cfg };
	struct confload cl = { .path = path, .user = &ctx, .handler = handler };

	return confload_file(&cl, err, errlen);
}

int collector_config_load(const char *path, struct collector_config *cfg,
			  const struct collector_config_hook *hooks, size_t nhooks, char *err,
			  size_t errlen)
{
	collector_config_init(cfg);
	for (size_t i = 0; i < nhooks; i++) {
		if (collector_config_register(cfg, &hooks[i])) {
			snprintf(err, errlen, "%s: more than %d configuration hooks", path,
				 COLLECTOR_CONFIG_MAX_HOOKS);
			return -1;
		}
	}
	return collector_config_read(path, cfg, err, errlen);
}

/* The directory path names (its parent, for a path that does not exist yet). */
static void parent_of(const char *path, char *out, size_t len)
{
	size_t n = strlen(path);
	const char *slash;

	while (n > 1 && path[n - 1] == '/') /* "/srv/data/": its parent is /srv */
		n--;
	slash = memrchr(path, '/', n);
	n = slash ? (size_t)(slash - path) : 0;

	if (n == 0)
		n = 1; /* "/x": the root */
	if (n >= len)
		n = len - 1;
	memcpy(out, path, n);
	out[n] = '\0';
}

int collector_config_check(const struct collector_config *cfg, char *err, size_t errlen)
{
	const char *dir = cfg->data_dir;
	char parent[sizeof cfg->data_dir];
	struct stat st;

	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			snprintf(err, errlen, "data_dir '%s' is not a directory: point data_dir at "
				 "one", dir);
			return -1;
		}
		if (access(dir, R_OK | W_OK | X_OK)) {
			snprintf(err, errlen, "data_dir '%s': %s: the collector's user must be able "
				 "to read, write and search it (chown it to that user)", dir,
				 strerror(errno));
			return -1;
		}
		return 0;
	}
	if (errno != ENOENT) {
		snprintf(err, errlen, "data_dir '%s': %s", dir, strerror(errno));
		return -1;
	}
	/* the collector makes data_dir itself, but only its last component */
	parent_of(dir, parent, sizeof parent);
	if (stat(parent, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "data_dir '%s' does not exist and neither does '%s': create "
			 "it (mkdir -p '%s', owned by the collector's user)", dir, parent, dir);
		return -1;
	}
	if (access(parent, W_OK | X_OK)) {
		snprintf(err, errlen, "data_dir '%s' does not exist and cannot be made in '%s': "
			 "%s: create it (mkdir -p '%s', owned by the collector's user)", dir,
			 parent, strerror(errno), dir);
		return -1;
	}
	return 0;
}

int collector_config_check_socket(const char *path, char *warn, size_t len)
{
	char parent[PATH_MAX];

	parent_of(path, parent, sizeof parent);
	if (access(parent, W_OK | X_OK) == 0)
		return 0;
	snprintf(warn, len, "the control socket's directory '%s' is not usable (%s; the "
		 "packaged systemd unit makes it): shrinkwatchctl's operator commands will not "
		 "work; set 'control = /some/writable/dir/control.sock' in [collector] and point "
		 "shrinkwatchctl at it (--socket or SHRINKWATCH_CONTROL)", parent,
		 strerror(errno));
	return 1;
}
