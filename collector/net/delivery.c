/* delivery.c - TLS, the allow-list and connection limits (see delivery.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "delivery.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/names.h"
#include "shrinkwatch/parse.h"
#include "shrinkwatch/proto.h"
#include "shrinkwatch/tlsfiles.h"
#include "shrinkwatch/banned.h"

enum {
	SEEN_ALLOW = 1, SEEN_ALLOW_FILE = 2, SEEN_PERADDR = 4, SEEN_HANDSHAKE = 8,
	SEEN_IDLE = 16, SEEN_SKEW = 32, SEEN_WQ = 64, SEEN_STORES = 128, SEEN_NEWSTORES = 256,
	SEEN_MININT = 512, SEEN_SEQJUMP = 1024,
};

static int allow_add(struct delivery_config *cfg, const char *name, char *err, size_t errlen)
{
	if (!name_valid(name)) {
		snprintf(err, errlen, "'%s' is not a valid agent name", name);
		return -1;
	}
	cfg->have_allow = 1;
	if (strmap_put(&cfg->allow, name, (void *)1)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static int allow_list(struct delivery_config *cfg, const char *v, char *err, size_t errlen)
{
	char copy[4096], *rest = copy, *tok;

	if (strlen(v) >= sizeof copy) {
		snprintf(err, errlen, "list too long: use allow_agents_file");
		return -1;
	}
	snprintf(copy, sizeof copy, "%s", v);
	while ((tok = strsep(&rest, " \t,")))
		if (*tok && allow_add(cfg, tok, err, errlen)) /* empty: a run of separators */
			return -1;
	return 0;
}

/* One agent name per line; blank lines and # comments are ignored. */
static int allow_file(struct delivery_config *cfg, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[512];
	int rc = 0;

	if (!f) {
		snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof line, f)) {
		char *p = line, *e;

		while (*p == ' ' || *p == '\t')
			p++;
		e = p + strcspn(p, " \t\r\n#");
		if (*p == '#' || e == p)
			continue;
		*e = '\0';
		rc = allow_add(cfg, p, err, errlen);
	}
	fclose(f);
	cfg->have_allow = 1; /* an empty file allows nobody */
	return rc;
}

static int once(struct delivery_config *cfg, unsigned bit, char *err, size_t errlen)
{
	if (cfg->seen & bit) {
		snprintf(err, errlen, "key given twice");
		return -1;
	}
	cfg->seen |= bit;
	return 0;
}

static int duration_key(struct delivery_config *cfg, unsigned bit, const char *v, uint64_t *out,
			uint64_t max, char *err, size_t errlen)
{
	if (once(cfg, bit, err, errlen))
		return -1;
	if (parse_duration(v, out) || *out == 0 || *out > max) {
		snprintf(err, errlen, "'%s' is not a duration between 1s and %llus", v,
			 (unsigned long long)max);
		return -1;
	}
	return 1;
}

/* A count key between min and max. */
static int count_key(struct delivery_config *cfg, unsigned bit, const char *v, uint64_t min,
		     uint64_t max, uint64_t *out, char *err, size_t errlen)
{
	if (once(cfg, bit, err, errlen))
		return -1;
	if (parse_u64(v, out) || *out < min || *out > max) {
		snprintf(err, errlen, "'%s' is not a count between %llu and %llu", v,
			 (unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	return 1;
}

static int hook(void *ctx, const char *section, const char *key, const char *v, char *err,
		size_t errlen)
{
	struct delivery_config *cfg = &((struct delivery *)ctx)->next;
	uint64_t n;
	int r;

	if (strcmp(section, "collector"))
		return 0;
	r = tls_config_key(&cfg->tls, key, v, err, errlen);
	if (r)
		return r;
	if (!strcmp(key, "allow_agents")) {
		if (once(cfg, SEEN_ALLOW, err, errlen) || allow_list(cfg, v, err, errlen))
			return -1;
		return 1;
	}
	if (!strcmp(key, "allow_agents_file")) {
		if (once(cfg, SEEN_ALLOW_FILE, err, errlen) || allow_file(cfg, v, err, errlen))
			return -1;
		return 1;
	}
	if (!strcmp(key, "max_connections_per_address")) {
		if (once(cfg, SEEN_PERADDR, err, errlen))
			return -1;
		if (parse_u64(v, &n) || n < 1 || n > 1000000) {
			snprintf(err, errlen, "'%s' is not a count between 1 and 1000000", v);
			return -1;
		}
		cfg->max_per_address = (unsigned)n;
		return 1;
	}
	if (!strcmp(key, "handshake_timeout"))
		return duration_key(cfg, SEEN_HANDSHAKE, v, &cfg->handshake_s, 300, err, errlen);
	if (!strcmp(key, "idle_timeout"))
		return duration_key(cfg, SEEN_IDLE, v, &cfg->idle_s, 86400, err, errlen);
	if (!strcmp(key, "max_clock_skew"))
		return duration_key(cfg, SEEN_SKEW, v, &cfg->max_clock_skew_s, 86400, err, errlen);
	if (!strcmp(key, "max_stores_per_agent")) {
		r = count_key(cfg, SEEN_STORES, v, 1, 100000, &n, err, errlen);
		if (r > 0)
			cfg->max_stores = (unsigned)n;
		return r;
	}
	if (!strcmp(key, "max_new_stores_per_hour")) {
		r = count_key(cfg, SEEN_NEWSTORES, v, 1, 100000, &n, err, errlen);
		if (r > 0)
			cfg->new_stores_per_hour = (unsigned)n;
		return r;
	}
	if (!strcmp(key, "max_seq_jump"))
		return count_key(cfg, SEEN_SEQJUMP, v, SW_SAMPLES_MAX, UINT64_C(1) << 40,
				 &cfg->max_seq_jump, err, errlen);
	if (!strcmp(key, "min_interval"))
		return duration_key(cfg, SEEN_MININT, v, &cfg->min_interval_s, 86400, err, errlen);
	if (!strcmp(key, "max_write_queue")) {
		if (once(cfg, SEEN_WQ, err, errlen))
			return -1;
		if (parse_size(v, &n) || n < 64 * 1024) {
			snprintf(err, errlen, "'%s' is not a size of at least 64k", v);
			return -1;
		}
		cfg->max_write_queue = n;
		return 1;
	}
	return 0;
}

void delivery_config_hook(struct delivery *d, struct collector_config_hook *h)
{
	struct delivery_config *cfg = &d->next;

	if (cfg->allow.slots)
		strmap_release(&cfg->allow);
	memset(cfg, 0, sizeof *cfg);
	tls_config_init(&cfg->tls);
	strmap_init(&cfg->allow);
	cfg->max_per_address = DELIVERY_MAX_PER_ADDRESS;
	cfg->handshake_s = DELIVERY_HANDSHAKE_S;
	cfg->idle_s = DELIVERY_IDLE_S;
	cfg->max_clock_skew_s = DELIVERY_MAX_CLOCK_SKEW_S;
	cfg->max_write_queue = DELIVERY_MAX_WRITE_QUEUE;
	cfg->max_stores = DELIVERY_MAX_STORES;
	cfg->new_stores_per_hour = DELIVERY_NEW_STORES_PER_HOUR;
	cfg->min_interval_s = DELIVERY_MIN_INTERVAL_S;
	cfg->max_seq_jump = DELIVERY_MAX_SEQ_JUMP;
	h->fn = hook;
	h->ctx = d;
}

int delivery_config_register(struct delivery *d, struct collector_config *cfg)
{
	struct collector_config_hook h;

	delivery_config_hook(d, &h);
	return collector_config_register(cfg, &h);
}

int delivery_check(const struct delivery *d, const char *listen_host, char *err,
		   size_t errlen)
{
	return tls_config_check(&d->next.tls, listen_host, err, errlen);
}

int delivery_check_files(const struct delivery *d, char *err, size_t errlen)
{
	return tls_config_check_files(&d->next.tls, true, err, errlen);
}

int delivery_allowed(const struct delivery_config *cfg, const char *agent)
{
	return !cfg->have_allow || strmap_get(&cfg->allow, agent) != NULL;
}

void delivery_limits(const struct delivery *d, struct delivery_limits *out)
{
	memset(out, 0, sizeof *out);
	out->tls = d->tls;
	out->allow = &d->cfg;
	out->max_per_address = d->cfg.max_per_address;
	out->handshake_ms = d->cfg.handshake_s * 1000;
	out->idle_min_s = d->cfg.idle_s;
	out->max_clock_skew_s = d->cfg.max_clock_skew_s;
	out->max_write_queue = d->cfg.max_write_queue;
	out->max_stores = d->cfg.max_stores;
	out->new_stores_per_hour = d->cfg.new_stores_per_hour;
	out->min_interval_s = d->cfg.min_interval_s;
	out->max_seq_jump = d->cfg.max_seq_jump;
}

/* Says what is now in force. */
static void log_limits(const struct delivery *d)
{
	log_info("delivery: %s; %s; at most %u connections per address, handshake within "
		 "%llu s, clock skew up to %llu s; per agent at most %u stores (%u new per hour), "
		 "intervals of %llu s or more, seq jumps up to %llu",
		 d->tls ? "mutual TLS" : "PLAINTEXT (insecure = yes, loopback only)",
		 d->cfg.have_allow ? "agents on the allow-list only" : "any agent the CA vouches for",
		 d->cfg.max_per_address, (unsigned long long)d->cfg.handshake_s,
		 (unsigned long long)d->cfg.max_clock_skew_s, d->cfg.max_stores,
		 d->cfg.new_stores_per_hour, (unsigned long long)d->cfg.min_interval_s,
		 (unsigned long long)d->cfg.max_seq_jump);
}

/* Makes the parsed config (d->next) the running one, with tls its context;
 * next starts empty. */
static void take_next(struct delivery *d, struct tls_ctx *tls)
{
	strmap_release(&d->cfg.allow);
	d->cfg = d->next;
	memset(&d->next, 0, sizeof d->next);
	tls_ctx_free(d->tls);
	d->tls = tls;
	log_limits(d);
}

int delivery_start(struct delivery *d, char *err, size_t errlen)
{
	struct tls_ctx *tls = NULL;

	if (!d->next.tls.insecure && tls_ctx_new(&tls, &d->next.tls, true, err, errlen))
		return -1;
	take_next(d, tls);
	return 0;
}

int delivery_reload(struct delivery *d, char *err, size_t errlen)
{
	struct tls_ctx *tls = NULL;

	/* certificate, key, CA and CRL are read again even where their paths
	 * did not change: a renewed certificate or a new revocation is what a
	 * reload is for.  Sessions hold their own reference to the old
	 * context, so freeing it here is safe. */
	if (!d->next.tls.insecure && tls_ctx_new(&tls, &d->next.tls, true, err, errlen))
		return -1;
	take_next(d, tls);
	return 0;
}

void delivery_release(struct delivery *d)
{
	strmap_release(&d->cfg.allow);
	strmap_release(&d->next.allow);
	tls_ctx_free(d->tls);
	d->tls = NULL;
}
