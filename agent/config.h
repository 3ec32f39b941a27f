/*
 * config.h - the agent's configuration file (shrinkwatch-agent.conf(5)).
 *
 *   [agent]      name, interval, state_dir, full_scan_interval
 *   [collector]  address
 *   [store NAME] path
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

#define AGENT_DEFAULT_CONFIG "/etc/shrinkwatch/agent.conf"
#define AGENT_DEFAULT_STATE_DIR "/var/lib/shrinkwatch-agent"
#define AGENT_DEFAULT_INTERVAL 60
#define AGENT_MAX_STORES 256

struct agent_store_config {
	char name[SW_NAME_MAX + 1];
	char path[PATH_MAX];
};

#define AGENT_DEFAULT_FULL_SCAN 3600

struct agent_config {
	char name[SW_NAME_MAX + 1];
	uint32_t interval; /* seconds */
	/* Incremental scans re-read only changed directories; a full walk every
	 * full_scan_interval seconds reconciles what directory times cannot
	 * show (a file truncated in place).  0 = every scan is full. */
	uint32_t full_scan_interval;
	char state_dir[PATH_MAX];
	char collector_host[256];
	uint16_t collector_port;
	struct agent_store_config *stores; /* owned */
	size_t nstores;
};

/*
 * Loads and validates path into cfg.  Returns 0, or -1 with a message naming
 * the file, line and key in err.  On failure cfg holds nothing to release.
 */
int agent_config_load(const char *path, struct agent_config *cfg, char *err, size_t errlen);
void agent_config_release(struct agent_config *cfg);

#endif
