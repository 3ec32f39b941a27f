/* pathprefix.c - path-component prefix matching (see pathprefix.h). */
#include <stdbool.h>
#include <string.h>

#include "pathprefix.h"
#include "shrinkwatch/banned.h"

bool pathprefix_covers(const char *prefix, const char *path)
{
	size_t pl = strlen(prefix);

	if (!pl)
		return true;
	if (strncmp(path, prefix, pl))
		return false;
	return prefix[pl - 1] == '/' || path[pl] == '/' || path[pl] == '\0';
}
