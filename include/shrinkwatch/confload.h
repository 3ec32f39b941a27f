/*
 * confload.h - reading INI config files with libinih and reporting the first
 * error as "FILE:LINE: [section] key: message".
 *
 * Each daemon supplies a handler that returns 0 on success or fills the error
 * text with confload_error() and returns -1.  Unknown sections and keys are
 * errors: a typo in a monitoring config must not silently disable a check.
 */
#ifndef SHRINKWATCH_CONFLOAD_H
#define SHRINKWATCH_CONFLOAD_H

#include <stddef.h>

struct confload {
	const char *path;
	void *user;
	int (*handler)(struct confload *cl, const char *section, const char *key,
		       const char *value);
	/* set by confload_error() for the first failing key */
	char error[512];
	char error_section[128];
	char error_key[128];
	int have_error;
};

/* Records an error for the key being handled (only the first one is kept). */
void confload_error(struct confload *cl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Parses cl->path, calling cl->handler for every key.  Returns 0, or -1 with
 * a complete message ("FILE:LINE: [section] key: message", or "FILE: cannot
 * open: reason") in msg (msglen bytes).
 */
int confload_file(struct confload *cl, char *msg, size_t msglen);

/* If section is "PREFIX NAME" (one space), returns NAME; else NULL. */
const char *confload_section_arg(const char *section, const char *prefix);

#endif
