/* fuzz_collector_config.c - libFuzzer target for the collector's config
 * parser (the [collector] section, the hook dispatch, and the delivery hook's
 * TLS, allow-list and limit keys). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/config.h"
#include "collector/net/delivery.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int any_hook(void *ctx, const char *section, const char *key, const char *value,
		    char *err, size_t errlen)
{
	(void)ctx;
	(void)key;
	if (strcmp(section, "detect"))
		return 0;
	if (value[0] == 'x') {
		snprintf(err, errlen, "no x");
		return -1;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/swfuzz-collector.XXXXXX";
	struct collector_config cfg;
	struct collector_config_hook hooks[2] = { { any_hook, NULL } };
	static struct delivery d;
	char err[1024];
	int fd = mkstemp(path);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		delivery_config_hook(&d, &hooks[1]);
		if (collector_config_load(path, &cfg, hooks, 2, err, sizeof err) == 0) {
			if (cfg.data_dir[0] != '/' || cfg.listen_port == 0)
				abort();
			/* whatever passed, the check decides without crashing */
			delivery_check(&d, cfg.listen_host, err, sizeof err);
		} else if (!strstr(err, path)) {
			abort();
		}
	}
	delivery_release(&d);
	close(fd);
	unlink(path);
	return 0;
}
