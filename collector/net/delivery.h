/*
 * delivery.h - who may deliver samples, over what, and within which limits.
 *
 * Owns these [collector] keys through a config hook (config.h):
 *
 *   tls_ca, tls_cert, tls_key, tls_min_version, insecure   (tls.h)
 *   allow_agents = NAME...        only these agents may connect (with TLS,
 *   allow_agents_file = PATH      each must also hold a certificate naming it)
 *   max_connections_per_address   open connections from one IP (default 64)
 *   handshake_timeout             TLS handshake + HELLO deadline (default 10s)
 *   idle_timeout                  floor of the idle deadline (default 5m)
 *   max_clock_skew                samples further in the future are clamped
 *                                 to the collector's clock (default 5m)
 *   max_write_queue               bytes queued to a peer that does not read
 *                                 before it is dropped (default 1M)
 *   max_stores_per_agent          stores one agent may have (default 64)
 *   max_new_stores_per_hour       stores one agent may add per hour, a burst
 *                                 of this many then one every 3600/N s (16)
 *   min_interval                  shortest sample interval a HELLO may
 *                                 announce (default 10s)
 *   max_seq_jump                  how far above the last seq the collector
 *                                 has from an agent a SAMPLES frame may reach
 *                                 (default 1000000)
 * (what the last four protect against: docs/security.md "Limits"; admit.h
 * applies them)
 *
 * The hook parses into `next`; delivery_start() makes it the running `cfg`.
 * A reload (SIGHUP) parses `next` again and, only if the whole configuration
 * loaded and the new certificates load, delivery_reload() puts it in force:
 * a renewed certificate, a new CRL or allow-list apply without a restart,
 * and a reload that fails half-way never leaves a half-read allow-list in
 * force.
 */
#ifndef SHRINKWATCH_COLLECTOR_DELIVERY_H
#define SHRINKWATCH_COLLECTOR_DELIVERY_H

#include <stddef.h>
#include <stdint.h>

#include "collector/config.h"
#include "shrinkwatch/strmap.h"
#include "shrinkwatch/tls.h"

/* Defaults of the keys above. */
#define DELIVERY_HANDSHAKE_S 10
#define DELIVERY_IDLE_S 300
#define DELIVERY_MAX_CLOCK_SKEW_S 300
#define DELIVERY_MAX_WRITE_QUEUE (1u << 20)
#define DELIVERY_MAX_PER_ADDRESS 64
#define DELIVERY_MAX_STORES 64
#define DELIVERY_NEW_STORES_PER_HOUR 16
#define DELIVERY_MIN_INTERVAL_S 10
#define DELIVERY_MAX_SEQ_JUMP 1000000

struct delivery_config {
	struct tls_config tls;
	struct strmap allow; /* agent names; empty: every agent the CA vouches for */
	int have_allow;
	unsigned max_per_address;
	uint64_t handshake_s, idle_s, max_clock_skew_s;
	uint64_t max_write_queue;
	unsigned max_stores, new_stores_per_hour;
	uint64_t min_interval_s, max_seq_jump;
	unsigned seen;
};

struct delivery {
	struct delivery_config next; /* what the last load parsed */
	struct delivery_config cfg;  /* in force (delivery_limits()) */
	struct tls_ctx *tls;
};

/* What the running config means for a connection, in the units the session
 * layer uses.  The session layer reads it when it needs a limit (at accept,
 * at HELLO, for every batch), so a reload applies to open connections too. */
struct delivery_limits {
	struct tls_ctx *tls;                   /* NULL: plaintext */
	const struct delivery_config *allow;   /* for delivery_allowed() */
	unsigned max_per_address;
	uint64_t handshake_ms;
	uint64_t idle_min_s;
	uint64_t max_clock_skew_s;
	uint64_t max_write_queue; /* bytes */
	unsigned max_stores;          /* per agent */
	unsigned new_stores_per_hour; /* per agent */
	uint64_t min_interval_s;      /* shortest HELLO interval */
	uint64_t max_seq_jump;        /* above the agent's last seq */
};

/* Resets d->next to the defaults and fills *hook with the parser of its keys
 * (call it for every load, before collector_config_load()). */
void delivery_config_hook(struct delivery *d, struct collector_config_hook *hook);
/* The same, registered on cfg (collector_config_register()): 0 or its
 * negative errno.  Call it for every load. */
int delivery_config_register(struct delivery *d, struct collector_config *cfg);
/* Checks the keys against the listen address: TLS files present, or
 * insecure = yes on loopback only.  0, or -1 with a message in err. */
int delivery_check(const struct delivery *d, const char *listen_host, char *err,
		   size_t errlen);
/*
 * Checks that the TLS files of the parsed configuration can be read and
 * loaded (tls_config_check_files()): apart from delivery_check() so the
 * config's tests open no files.  --check-config and the start call it, so a
 * missing certificate is named with what to do.  0, or -1 with err.
 */
int delivery_check_files(const struct delivery *d, char *err, size_t errlen);
/* Loads the certificates and puts the parsed config in force (read with
 * delivery_limits()).  0, or -1 with a message in err. */
int delivery_start(struct delivery *d, char *err, size_t errlen);
/* Whether the allow-list (if any) lets agent in. */
int delivery_allowed(const struct delivery_config *cfg, const char *agent);
/* After a reload parsed d->next: loads its TLS files and makes it the
 * running config.  The caller then has the open connections checked against
 * it (session_reauthorize()): delivery knows no connections.  0, or -1 with
 * a message in err and the running config untouched. */
int delivery_reload(struct delivery *d, char *err, size_t errlen);
/* The limits in force (after delivery_start()). */
void delivery_limits(const struct delivery *d, struct delivery_limits *out);
void delivery_release(struct delivery *d);

#endif
