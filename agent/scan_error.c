/* scan_error.c - a scan error without its path (see scan_error.h). */
#include <stdio.h>
#include <string.h>

#include "scan_error.h"
#include "shrinkwatch/banned.h"

unsigned scan_error_depth(const char *path, size_t plen, const char *name)
{
	unsigned depth = plen > 0;

	for (size_t i = 0; i < plen; i++)
		depth += path[i] == '/';
	return depth + (name != NULL);
}

void scan_error_text(char *out, size_t len, const char *what, unsigned depth, int err)
{
	if (depth == 0)
		snprintf(out, len, "cannot %s the store's root: %s", what, strerror(err));
	else
		snprintf(out, len, "cannot %s an entry at depth %u: %s (the path is in the agent's "
				   "log)", what, depth, strerror(err));
}
