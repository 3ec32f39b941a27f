/* config.c - parsing and validating the agent's INI file (see config.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "hashes.h"
#include "objstore_config.h"
#include "shrinkwatch/confload.h"
#include "shrinkwatch/names.h"
#include "shrinkwatch/parse.h"
#include "shrinkwatch/tlsfiles.h"
#include "shrinkwatch/banned.h"

/* Which keys were seen, so a repeated key is an error rather than a silent
 * override. */
struct seen {
	unsigned name : 1, interval : 1, state_dir : 1, address : 1, full_scan : 1,
		spool_fsync : 1, spool_max : 1, deletion_watch : 1, journal_keep : 1,
		journal_max : 1, inventory_depth : 1, hash_rate : 1, rehash_interval : 1;
};

struct parse_ctx {
	struct agent_config *cfg;
	struct seen seen;
	unsigned char *store_has_path; /* per store */
};

static struct agent_store_config *store_get(struct parse_ctx *ctx, struct confload *cl,
					    const char *name)
{
	struct agent_config *cfg = ctx->cfg;
	struct agent_store_config *n;
	unsigned char *hp;

	for (size_t i = 0; i < cfg->nstores; i++)
		if (!strcmp(cfg->stores[i].name, name))
			return &cfg->stores[i];
	if (!name_valid(name)) {
		confload_error(cl, "store name '%s' is not valid (use 1-%d of A-Z a-z 0-9 . _ -, "
				   "not starting with '.')", name, SW_NAME_MAX);
		return NULL;
	}
	if (cfg->nstores >= AGENT_MAX_STORES) {
		confload_error(cl, "too many stores (at most %d)", AGENT_MAX_STORES);
		return NULL;
	}
	n = realloc(cfg->stores, (cfg->nstores + 1) * sizeof *n);
	if (!n)
		goto nomem;
	cfg->stores = n;
	hp = realloc(ctx->store_has_path, cfg->nstores + 1);
	if (!hp)
		goto nomem;
	ctx->store_has_path = hp;
	hp[cfg->nstores] = 0;
	n = &cfg->stores[cfg->nstores++];
	memset(n, 0, sizeof *n);
	snprintf(n->name, sizeof n->name, "%s", name);
	return n;
nomem:
	confload_error(cl, "out of memory");
	return NULL;
}

static int copy_str(struct confload *cl, char *dst, size_t dstlen, const char *v)
{
	if (strlen(v) >= dstlen) {
		confload_error(cl, "value is too long (at most %zu bytes)", dstlen - 1);
		return -1;
	}
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static int once(struct confload *cl, int already)
{
	if (already)
		confload_error(cl, "key given twice");
	return already ? -1 : 0;
}

/* auto|yes|no for deletion_watch. */
static int parse_delwatch(struct confload *cl, const char *v, enum agent_delwatch *out)
{
	if (!strcmp(v, "auto"))
		*out = AGENT_DELWATCH_AUTO;
	else if (!strcmp(v, "yes"))
		*out = AGENT_DELWATCH_YES;
	else if (!strcmp(v, "no"))
		*out = AGENT_DELWATCH_NO;
	else {
		confload_error(cl, "'%s' is not auto, yes or no", v);
		return -1;
	}
	return 0;
}

/* The content-hashing keys of [agent] (issue 13, hashes.h). */
static int handle_hashing(struct parse_ctx *ctx, struct confload *cl, const char *key,
			  const char *v)
{
	struct agent_config *cfg = ctx->cfg;
	uint64_t n;

	if (!strcmp(key, "hash_rate")) {
		if (once(cl, ctx->seen.hash_rate))
			return -1;
		ctx->seen.hash_rate = 1;
		if (parse_size(v, &n) || n < (64u << 10) || n > (100ull << 30)) {
			confload_error(cl, "'%s' is not a rate from 64K to 100G bytes a second (e.g. "
					   "20M)", v);
			return -1;
		}
		cfg->hash_rate = n;
		return 0;
	}
	if (!strcmp(key, "rehash_interval")) {
		if (once(cl, ctx->seen.rehash_interval))
			return -1;
		ctx->seen.rehash_interval = 1;
		if (parse_duration(v, &n) || n < 60 || n > 3650ull * 86400) {
			confload_error(cl, "'%s' is not a duration from 1m to 3650d (e.g. 30d)", v);
			return -1;
		}
		cfg->rehash_interval = n;
		return 0;
	}
	confload_error(cl, "unknown key (expected name, interval, state_dir, full_scan_interval, "
			   "spool_fsync, spool_max, deletion_watch, removal_journal_keep, "
			   "removal_journal_max, inventory_depth, hash_rate, rehash_interval)");
	return -1;
}

/* The exact-accounts keys of [agent] (issue 12): the removal journal's
 * keep and cap, and how much of a path an inventory may carry. */
static int handle_accounts(struct parse_ctx *ctx, struct confload *cl, const char *key,
			   const char *v)
{
	struct agent_config *cfg = ctx->cfg;
	uint64_t n;

	if (!strcmp(key, "removal_journal_keep")) {
		if (once(cl, ctx->seen.journal_keep))
			return -1;
		ctx->seen.journal_keep = 1;
		if (parse_duration(v, &n) || n < 86400 || n > 3650ull * 86400) {
			confload_error(cl, "'%s' is not a duration from 1d to 3650d (e.g. 400d)", v);
			return -1;
		}
		cfg->removal_journal_keep = n;
		return 0;
	}
	if (!strcmp(key, "removal_journal_max")) {
		if (once(cl, ctx->seen.journal_max))
			return -1;
		ctx->seen.journal_max = 1;
		if (parse_size(v, &cfg->removal_journal_max) || cfg->removal_journal_max < (1u << 20)) {
			confload_error(cl, "'%s' is not a size of at least 1M (e.g. 256M)", v);
			return -1;
		}
		return 0;
	}
	if (!strcmp(key, "inventory_depth")) {
		if (once(cl, ctx->seen.inventory_depth))
			return -1;
		ctx->seen.inventory_depth = 1;
		if (parse_u64(v, &n) || n > 64) {
			confload_error(cl, "'%s' is not a number of path components from 0 (full "
					   "paths) to 64", v);
			return -1;
		}
		cfg->inventory_depth = (unsigned)n;
		return 0;
	}
	return handle_hashing(ctx, cl, key, v);
}

static int handle_agent(struct parse_ctx *ctx, struct confload *cl, const char *key,
			const char *v)
{
	struct agent_config *cfg = ctx->cfg;
	uint64_t secs;

	if (!strcmp(key, "name")) {
		if (once(cl, ctx->seen.name))
			return -1;
		ctx->seen.name = 1;
		if (!name_valid(v)) {
			confload_error(cl, "'%s' is not a valid agent name (use 1-%d of A-Z a-z "
					   "0-9 . _ -, not starting with '.')", v, SW_NAME_MAX);
			return -1;
		}
		return copy_str(cl, cfg->name, sizeof cfg->name, v);
	}
	if (!strcmp(key, "interval")) {
		if (once(cl, ctx->seen.interval))
			return -1;
		ctx->seen.interval = 1;
		if (parse_duration(v, &secs) || secs > 86400) {
			confload_error(cl, "'%s' is not a duration between 1s and 1d (e.g. 60s, 5m)",
				       v);
			return -1;
		}
		cfg->interval = (uint32_t)secs;
		return 0;
	}
	if (!strcmp(key, "state_dir")) {
		if (once(cl, ctx->seen.state_dir))
			return -1;
		ctx->seen.state_dir = 1;
		if (v[0] != '/') {
			confload_error(cl, "'%s' is not an absolute path", v);
			return -1;
		}
		return copy_str(cl, cfg->state_dir, sizeof cfg->state_dir, v);
	}
	if (!strcmp(key, "full_scan_interval")) {
		if (once(cl, ctx->seen.full_scan))
			return -1;
		ctx->seen.full_scan = 1;
		if (!strcmp(v, "0") || !strcmp(v, "always")) {
			cfg->full_scan_interval = 0;
			return 0;
		}
		if (parse_duration(v, &secs) || secs > 30 * 86400) {
			confload_error(cl, "'%s' is not a duration up to 30d (e.g. 24h), or 'always'",
				       v);
			return -1;
		}
		cfg->full_scan_interval = (uint32_t)secs;
		return 0;
	}
	if (!strcmp(key, "spool_fsync")) {
		if (once(cl, ctx->seen.spool_fsync))
			return -1;
		ctx->seen.spool_fsync = 1;
		if (spool_fsync_parse(v, &cfg->spool_fsync)) {
			confload_error(cl, "'%s' is not always, interval or never", v);
			return -1;
		}
		return 0;
	}
	if (!strcmp(key, "spool_max")) {
		if (once(cl, ctx->seen.spool_max))
			return -1;
		ctx->seen.spool_max = 1;
		if (parse_size(v, &cfg->spool_max) || cfg->spool_max < (1u << 20)) {
			confload_error(cl, "'%s' is not a size of at least 1M (e.g. 256M)", v);
			return -1;
		}
		return 0;
	}
	if (!strcmp(key, "deletion_watch")) {
		if (once(cl, ctx->seen.deletion_watch))
			return -1;
		ctx->seen.deletion_watch = 1;
		return parse_delwatch(cl, v, &cfg->deletion_watch);
	}
	return handle_accounts(ctx, cl, key, v);
}

/* "HOST:PORT [HOST:PORT...]": every collector gets every sample. */
static int parse_addresses(struct confload *cl, struct agent_config *cfg, const char *v)
{
	char copy[2048], *rest = copy, *tok;

	if (strlen(v) >= sizeof copy) {
		confload_error(cl, "value is too long");
		return -1;
	}
	snprintf(copy, sizeof copy, "%s", v);
	while ((tok = strsep(&rest, " \t,"))) {
		size_t i = cfg->ncollectors;

		if (!*tok)
			continue; /* a run of separators is one */
		if (i >= AGENT_MAX_COLLECTORS) {
			confload_error(cl, "too many collectors (at most %d)", AGENT_MAX_COLLECTORS);
			return -1;
		}
		if (parse_hostport(tok, cfg->collectors[i].host, sizeof cfg->collectors[i].host,
				   &cfg->collectors[i].port)) {
			confload_error(cl, "'%s' is not HOST:PORT (e.g. 127.0.0.1:7405)", tok);
			return -1;
		}
		for (size_t j = 0; j < i; j++)
			if (!strcmp(cfg->collectors[j].host, cfg->collectors[i].host) &&
			    cfg->collectors[j].port == cfg->collectors[i].port) {
				confload_error(cl, "'%s' is listed twice", tok);
				return -1;
			}
		cfg->ncollectors++;
	}
	if (!cfg->ncollectors) {
		confload_error(cl, "no HOST:PORT given");
		return -1;
	}
	snprintf(cfg->collector_host, sizeof cfg->collector_host, "%s", cfg->collectors[0].host);
	cfg->collector_port = cfg->collectors[0].port;
	return 0;
}

static int handle_collector(struct parse_ctx *ctx, struct confload *cl, const char *key,
			    const char *v)
{
	struct agent_config *cfg = ctx->cfg;
	char err[400];
	int r;

	if (!strcmp(key, "address")) {
		if (once(cl, ctx->seen.address))
			return -1;
		ctx->seen.address = 1;
		return parse_addresses(cl, cfg, v);
	}
	r = tls_config_key(&cfg->tls, key, v, err, sizeof err);
	if (r < 0)
		confload_error(cl, "%s", err);
	if (r)
		return r > 0 ? 0 : -1;
	confload_error(cl, "unknown key (expected address, tls_ca, tls_cert, tls_key, "
			   "tls_min_version, insecure)");
	return -1;
}

static int handle_store(struct parse_ctx *ctx, struct confload *cl, const char *name,
			const char *key, const char *v)
{
	struct agent_store_config *st = store_get(ctx, cl, name);
	char why[512];
	size_t idx;
	int r;

	if (!st)
		return -1;
	idx = (size_t)(st - ctx->cfg->stores);
	if (!strcmp(key, "path")) {
		if (once(cl, ctx->store_has_path[idx]))
			return -1;
		ctx->store_has_path[idx] = 1;
		if (v[0] != '/') {
			confload_error(cl, "'%s' is not an absolute path", v);
			return -1;
		}
		return copy_str(cl, st->path, sizeof st->path, v);
	}
	if (!strcmp(key, "deletion_watch")) {
		if (once(cl, st->deletion_watch != AGENT_DELWATCH_INHERIT))
			return -1;
		return parse_delwatch(cl, v, &st->deletion_watch);
	}
	if (!strcmp(key, "hash_contents")) {
		if (once(cl, st->hash_contents != 0))
			return -1;
		if (strcmp(v, "yes") && strcmp(v, "no")) {
			confload_error(cl, "'%s' is not yes or no", v);
			return -1;
		}
		st->hash_contents = !strcmp(v, "yes") ? 1 : -1; /* -1: said no (once) */
		return 0;
	}
	r = objstore_config_key(&st->type, &st->os, key, v, why, sizeof why);
	if (r < 0)
		confload_error(cl, "%s", why);
	if (r)
		return r > 0 ? 0 : -1;
	confload_error(cl, "unknown key (expected path, deletion_watch, hash_contents; or type, "
			   "endpoint, "
			   "bucket, container, account, prefix, region, credentials, profile, "
			   "list_interval, requests_per_second, versions)");
	return -1;
}

static int handler(struct confload *cl, const char *section, const char *key, const char *v)
{
	struct parse_ctx *ctx = cl->user;
	const char *arg;

	if (!strcmp(section, "agent"))
		return handle_agent(ctx, cl, key, v);
	if (!strcmp(section, "collector"))
		return handle_collector(ctx, cl, key, v);
	if ((arg = confload_section_arg(section, "store")))
		return handle_store(ctx, cl, arg, key, v);
	confload_error(cl, "unknown section [%s] (expected [agent], [collector], [store NAME])",
		       section);
	return -1;
}

/* What a directory store has and an object store must not. */
static int objstore_store_check(struct agent_store_config *st, char *err, size_t errlen)
{
	bool azure = st->type == AGENT_STORE_AZURE;

	if (st->path[0]) {
		snprintf(err, errlen, "[store %s]: path is for directory stores; an object store "
			 "has endpoint and %s", st->name, azure ? "container" : "bucket");
		return -1;
	}
	if (st->hash_contents > 0) {
		snprintf(err, errlen, "[store %s]: hash_contents = yes is for directory stores; an "
			 "object store is not hashed by the agent", st->name);
		return -1;
	}
	if (st->deletion_watch == AGENT_DELWATCH_YES) {
		snprintf(err, errlen, "[store %s]: deletion_watch = yes is for directory stores "
			 "(fanotify); an object store's deletions show in its listings", st->name);
		return -1;
	}
	st->deletion_watch = AGENT_DELWATCH_NO;
	return 0;
}

/* Whether path is dir or lies under it (textually: both are absolute). */
static int path_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (strncmp(path, dir, n))
		return 0;
	return path[n] == '\0' || path[n] == '/' || (n == 1 && dir[0] == '/');
}

static int validate(struct agent_config *cfg, const char *path, char *err, size_t errlen)
{
	char why[1024];

	if (!cfg->name[0]) {
		snprintf(err, errlen, "%s: [agent] name: missing (the agent's identity)", path);
		return -1;
	}
	if (!cfg->collector_host[0]) {
		snprintf(err, errlen, "%s: [collector] address: missing (HOST:PORT)", path);
		return -1;
	}
	if (cfg->nstores == 0) {
		snprintf(err, errlen, "%s: no [store NAME] section: nothing to watch", path);
		return -1;
	}
	for (size_t i = 0; i < cfg->nstores; i++) {
		/* an object store checks its own deletion_watch before it inherits */
		if (cfg->stores[i].deletion_watch == AGENT_DELWATCH_INHERIT &&
		    cfg->stores[i].type == AGENT_STORE_DIR)
			cfg->stores[i].deletion_watch = cfg->deletion_watch;
		if (objstore_config_check(cfg->stores[i].name, cfg->stores[i].type,
					  &cfg->stores[i].os, why, sizeof why)) {
			snprintf(err, errlen, "%s: %s", path, why);
			return -1;
		}
		if (cfg->stores[i].type != AGENT_STORE_DIR) {
			if (objstore_store_check(&cfg->stores[i], why, sizeof why)) {
				snprintf(err, errlen, "%s: %s", path, why);
				return -1;
			}
			continue; /* no path */
		}
		if (!cfg->stores[i].path[0]) {
			snprintf(err, errlen, "%s: [store %s] path: missing", path,
				 cfg->stores[i].name);
			return -1;
		}
		if (path_within(cfg->state_dir, cfg->stores[i].path)) {
			snprintf(err, errlen,
				 "%s: [agent] state_dir: '%s' is inside store '%s' ('%s'); the "
				 "manifest and removal journal must live outside every store",
				 path, cfg->state_dir, cfg->stores[i].name, cfg->stores[i].path);
			return -1;
		}
		for (size_t j = 0; j < i; j++)
			if (cfg->stores[j].type == AGENT_STORE_DIR &&
			    !strcmp(cfg->stores[i].path, cfg->stores[j].path)) {
				snprintf(err, errlen,
					 "%s: [store %s] path: '%s' is also store '%s'", path,
					 cfg->stores[i].name, cfg->stores[i].path,
					 cfg->stores[j].name);
				return -1;
			}
	}
	return 0;
}

int agent_config_load(const char *path, struct agent_config *cfg, char *err, size_t errlen)
{
	struct parse_ctx ctx = { .cfg = cfg };
	struct confload cl = { .path = path, .user = &ctx, .handler = handler };
	int rc;

	memset(cfg, 0, sizeof *cfg);
	cfg->interval = AGENT_DEFAULT_INTERVAL;
	cfg->full_scan_interval = AGENT_DEFAULT_FULL_SCAN;
	snprintf(cfg->state_dir, sizeof cfg->state_dir, "%s", AGENT_DEFAULT_STATE_DIR);
	tls_config_init(&cfg->tls);
	cfg->spool_fsync = SPOOL_FSYNC_ALWAYS;
	cfg->spool_max = SPOOL_DEFAULT_MAX;
	cfg->deletion_watch = AGENT_DELWATCH_AUTO;
	cfg->removal_journal_keep = AGENT_DEFAULT_JOURNAL_KEEP;
	cfg->removal_journal_max = AGENT_DEFAULT_JOURNAL_MAX;
	cfg->hash_rate = HASHES_DEFAULT_RATE;
	cfg->rehash_interval = HASHES_DEFAULT_REHASH;
	rc = confload_file(&cl, err, errlen);
	for (size_t i = 0; rc == 0 && i < cfg->nstores; i++)
		cfg->stores[i].hash_contents = cfg->stores[i].hash_contents > 0;
	if (rc == 0)
		rc = validate(cfg, path, err, errlen);
	free(ctx.store_has_path);
	if (rc)
		agent_config_release(cfg);
	return rc;
}

void agent_config_release(struct agent_config *cfg)
{
	free(cfg->stores);
	cfg->stores = NULL;
	cfg->nstores = 0;
}

int agent_config_check_transport(const struct agent_config *cfg, const char *path, char *err,
				 size_t errlen)
{
	char why[512];

	for (size_t i = 0; i < cfg->ncollectors; i++)
		if (tls_config_check(&cfg->tls, cfg->collectors[i].host, why, sizeof why)) {
			snprintf(err, errlen, "%s: [collector]: %s", path, why);
			return -1;
		}
	return 0;
}

int agent_config_check_files(const struct agent_config *cfg, const char *path, char *err,
			     size_t errlen)
{
	char why[768];

	if (tls_config_check_files(&cfg->tls, false, why, sizeof why)) {
		snprintf(err, errlen, "%s: [collector]: %s", path, why);
		return -1;
	}
	return 0;
}
