/*
 * pathprefix.h - whether a path lies under a declared path prefix.
 *
 * A path-scoped declared deletion (`shrinkwatchctl explain --path P`)
 * covers the items under P, and P names a folder or a file of the store, so
 * it is compared by path component, not byte for byte: `--path 2021/case44`
 * covers 2021/case44 itself and everything under 2021/case44/, but not
 * 2021/case4411/ nor 2021/case44-old/ -- otherwise a real loss in a sibling
 * case folder would be taken as declared and raise no alert.  A prefix that
 * ends in '/' names the folder's contents.  Both the detector's question to
 * the agent (pathhold.h) and the loss inventory of an alert (invrequest.h)
 * use this one rule.
 */
#ifndef SHRINKWATCH_COLLECTOR_PATHPREFIX_H
#define SHRINKWATCH_COLLECTOR_PATHPREFIX_H

#include <stdbool.h>

/*
 * Whether path (relative to the store) is prefix or lies under it: path
 * starts with prefix, and the prefix ends in '/' or path ends or goes on
 * with '/' right after it.  An empty prefix covers every path (the whole
 * store).  Both are NUL-terminated.
 */
bool pathprefix_covers(const char *prefix, const char *path);

#endif
