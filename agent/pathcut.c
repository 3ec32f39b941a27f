/* pathcut.c - inventory_depth, the one rule for every path the agent sends
 * (pathcut.h). */
#include "pathcut.h"
#include "shrinkwatch/banned.h"

size_t pathcut_cut(const char *path, size_t len, unsigned depth)
{
	unsigned seen = 0;

	if (!depth)
		return len;
	for (size_t i = 0; i < len; i++)
		if (path[i] == '/' && ++seen == depth)
			return i;
	return len;
}

int pathcut_names_allowed(const char *dir, size_t len, unsigned depth)
{
	unsigned components = len ? 1 : 0;

	if (!depth)
		return 1;
	for (size_t i = 0; i < len; i++)
		if (dir[i] == '/')
			components++;
	return components < depth;
}
