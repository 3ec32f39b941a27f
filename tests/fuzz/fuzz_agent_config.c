/* fuzz_agent_config.c - libFuzzer target for the agent's config parser: any
 * file gives a config or an error message, never a crash or a leak. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/swfuzz-agent.XXXXXX";
	struct agent_config cfg;
	char err[1024];
	int fd = mkstemp(path);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	if (agent_config_load(path, &cfg, err, sizeof err) == 0) {
		if (!cfg.name[0] || !cfg.nstores || !cfg.ncollectors)
			abort(); /* validation must not let these through */
		/* TLS or loopback plaintext: decided without crashing */
		agent_config_check_transport(&cfg, path, err, sizeof err);
		agent_config_release(&cfg);
	} else if (!strstr(err, path)) {
		abort(); /* every error names the file */
	}
	unlink(path);
	return 0;
}
