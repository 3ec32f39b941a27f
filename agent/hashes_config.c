/* hashes_config.c - the content hashes the configuration asks for (hashes_config.h). */
#include <errno.h>
#include <string.h>

#include "hashes_config.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/banned.h"

int hashes_from_config(const struct agent_config *cfg, struct hashes **out)
{
	struct hashes *h = NULL;
	int err = 0, any = 0;

	*out = NULL;
	for (size_t i = 0; i < cfg->nstores; i++)
		any |= cfg->stores[i].hash_contents;
	if (!any)
		return 0;
	err = hashes_open(cfg->state_dir, cfg->hash_rate, cfg->rehash_interval, &h);
	for (size_t i = 0; !err && i < cfg->nstores; i++)
		if (cfg->stores[i].hash_contents)
			err = hashes_add_store(h, cfg->stores[i].name, cfg->stores[i].path);
	err = err ? err : hashes_start(h);
	if (err) {
		log_err("hashes: cannot hash store contents under '%s': %s; copy checks by "
			"content are refused", cfg->state_dir, strerror(-err));
		hashes_close(h);
		return err;
	}
	log_info("hashes: hashing the stores with hash_contents at up to %llu bytes a second, every file again "
		 "every %llu s", (unsigned long long)cfg->hash_rate,
		 (unsigned long long)cfg->rehash_interval);
	*out = h;
	return 0;
}
