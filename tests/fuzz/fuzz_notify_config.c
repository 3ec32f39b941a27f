/* fuzz_notify_config.c - libFuzzer target for the [notify NAME] sections:
 * the hook that stages them and the validation of every type's keys (URLs,
 * addresses, commands, globs, durations), as --check-config runs them. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/config.h"
#include "collector/notify/notify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/swfuzz-notify.XXXXXX";
	struct collector_config cfg;
	struct collector_config_hook hook = { notify_config_key, NULL };
	char err[1024];
	int fd = mkstemp(path);

	if (fd < 0)
		return 0;
	notify_config_reset();
	if (write(fd, data, size) == (ssize_t)size &&
	    collector_config_load(path, &cfg, &hook, 1, err, sizeof err) == 0) {
		err[0] = '\0';
		/* validation only; an error must say which section */
		if (notify_start(NULL, err, sizeof err) && strncmp(err, "[notify ", 8))
			abort();
	}
	notify_config_reset();
	close(fd);
	unlink(path);
	return 0;
}
