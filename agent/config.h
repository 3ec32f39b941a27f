/*
 * config.h - the agent's configuration file (shrinkwatch-agent.conf(5)).
 *
 *   [agent]      name, interval, state_dir, full_scan_interval, spool_fsync,
 *                spool_max, deletion_watch, removal_journal_keep,
 *                removal_journal_max, inventory_depth, hash_rate,
 *                rehash_interval
 *   [collector]  address (one or more HOST:PORT, space-separated: each
 *                collector gets every sample), tls_ca, tls_cert, tls_key,
 *                tls_min_version, insecure
 *   [store NAME] path, deletion_watch, hash_contents; or, for an object store (objstore.h),
 *                type = s3|azure, endpoint, bucket | container + account,
 *                prefix, region, credentials, profile, list_interval,
 *                requests_per_second, versions
 *
 * Unknown sections and keys are errors, and so is a key given twice: a typo
 * in a monitoring config must not quietly switch a store off.
 */
#ifndef SHRINKWATCH_AGENT_CONFIG_H
#define SHRINKWATCH_AGENT_CONFIG_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "shrinkwatch/sample.h"
#include "shrinkwatch/tls.h"
#include "objstore_config.h"
#include "spool.h"

#define AGENT_DEFAULT_CONFIG "/etc/shrinkwatch/agent.conf"
#define AGENT_DEFAULT_STATE_DIR "/var/lib/shrinkwatch-agent"
#define AGENT_DEFAULT_INTERVAL 60
#define AGENT_MAX_STORES 256
#define AGENT_MAX_COLLECTORS SPOOL_MAX_READERS

/* deletion_watch: fanotify deletion reports (delwatch_run.h).  INHERIT
 * (a store without the key) takes [agent]'s, which defaults to AUTO. */
enum agent_delwatch {
	AGENT_DELWATCH_INHERIT = 0,
	AGENT_DELWATCH_AUTO,
	AGENT_DELWATCH_YES,
	AGENT_DELWATCH_NO,
};

struct agent_store_config {
	char name[SW_NAME_MAX + 1];
	char path[PATH_MAX];
	enum agent_delwatch deletion_watch; /* resolved at load: never INHERIT */
	int hash_contents; /* SHA-256 of every file, for copy checks by content (hashes.h) */
	enum agent_store_type type;
	struct agent_objstore_config os; /* type != AGENT_STORE_DIR only */
};

#define AGENT_DEFAULT_FULL_SCAN 3600
#define AGENT_DEFAULT_JOURNAL_KEEP (400ull * 86400)
#define AGENT_DEFAULT_JOURNAL_MAX (256ull << 20)

struct agent_config {
	char name[SW_NAME_MAX + 1];
	uint32_t interval; /* seconds */
	/* Incremental scans re-read only changed directories; a full walk every
	 * full_scan_interval seconds reconciles what directory times cannot
	 * show (a file truncated in place).  0 = every scan is full. */
	uint32_t full_scan_interval;
	char state_dir[PATH_MAX];
	char collector_host[256]; /* the first collector */
	uint16_t collector_port;
	struct {
		char host[256];
		uint16_t port;
	} collectors[AGENT_MAX_COLLECTORS]; /* every collector, the first included */
	size_t ncollectors;
	struct tls_config tls;
	enum spool_fsync spool_fsync;
	uint64_t spool_max; /* bytes */
	enum agent_delwatch deletion_watch; /* [agent] default for the stores */
	/* The removal journal (journal.h): entries kept this many seconds, in
	 * at most this many bytes (the oldest go first). */
	uint64_t removal_journal_keep;
	uint64_t removal_journal_max;
	/* Path components an inventory item may carry; 0 = the whole path. */
	unsigned inventory_depth;
	/* Content hashing (hashes.h): bytes a second for the whole agent, and
	 * seconds between full rehashes of every file. */
	uint64_t hash_rate;
	uint64_t rehash_interval;
	struct agent_store_config *stores; /* owned */
	size_t nstores;
};

/*
 * Loads and validates path into cfg.  Returns 0, or -1 with a message naming
 * the file, line and key in err.  On failure cfg holds nothing to release.
 */
int agent_config_load(const char *path, struct agent_config *cfg, char *err, size_t errlen);
void agent_config_release(struct agent_config *cfg);
/*
 * Checks how the agent may talk to its collectors: TLS with all three files,
 * or insecure = yes with every collector on a loopback address.  Separate
 * from loading so a parser test need not carry certificates; both the daemon
 * and --check-config call it.  0, or -1 with a message in err.
 */
int agent_config_check_transport(const struct agent_config *cfg, const char *path, char *err,
				 size_t errlen);
/*
 * Checks that the TLS files can be read and loaded by this process
 * (tls_config_check_files()): separate from agent_config_check_transport() so
 * the parser's tests and fuzz target open no files.  The daemon and
 * --check-config call it.  0, or -1 with a message that says what to do.
 */
int agent_config_check_files(const struct agent_config *cfg, const char *path, char *err,
			     size_t errlen);

#endif
