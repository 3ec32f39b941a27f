/* rrdcached.c - the `rrdcached` key of [collector] (see rrdcached.h). */
#include <stdio.h>
#include <string.h>

#include "rrdcached.h"
#include "shrinkwatch/parse.h"
#include "shrinkwatch/banned.h"

int rrdcached_config_hook(void *ctx, const char *section, const char *key, const char *value,
			  char *err, size_t errlen)
{
	struct rrdcached_config *rc = ctx;
	char host[256];
	uint16_t port;

	if (strcmp(section, "collector") || strcmp(key, "rrdcached"))
		return 0;
	if (rc->address[0]) {
		snprintf(err, errlen, "key given twice");
		return -1;
	}
	if (strlen(value) >= sizeof rc->address) {
		snprintf(err, errlen, "'%s' is too long", value);
		return -1;
	}
	if (!strncmp(value, "unix:", 5) ? value[5] != '/'
					 : parse_hostport(value, host, sizeof host, &port)) {
		snprintf(err, errlen,
			 "'%s' is not unix:/absolute/path or HOST:PORT of an rrdcached", value);
		return -1;
	}
	snprintf(rc->address, sizeof rc->address, "%s", value);
	return 1;
}

int rrdcached_config_register(struct rrdcached_config *rc, struct collector_config *cfg)
{
	const struct collector_config_hook h = { rrdcached_config_hook, rc };

	memset(rc, 0, sizeof *rc);
	return collector_config_register(cfg, &h);
}
