/* confload.c - INI config reading with precise errors (see confload.h). */
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "shrinkwatch/confload.h"
#include "shrinkwatch/banned.h"

void confload_error(struct confload *cl, const char *fmt, ...)
{
	va_list ap;

	if (cl->have_error)
		return;
	va_start(ap, fmt);
	vsnprintf(cl->error, sizeof cl->error, fmt, ap);
	va_end(ap);
	cl->have_error = 1;
}

static int ini_cb(void *user, const char *section, const char *key, const char *value)
{
	struct confload *cl = user;
	int had = cl->have_error;

	if (cl->handler(cl, section, key, value) == 0)
		return 1;
	if (!had) {
		if (!cl->have_error)
			confload_error(cl, "invalid value '%s'", value);
		snprintf(cl->error_section, sizeof cl->error_section, "%s", section);
		snprintf(cl->error_key, sizeof cl->error_key, "%s", key);
	}
	return 0;
}

int confload_file(struct confload *cl, char *msg, size_t msglen)
{
	FILE *f;
	int line;

	cl->have_error = 0;
	cl->error[0] = '\0';
	f = fopen(cl->path, "re");
	if (!f) {
		snprintf(msg, msglen, "%s: cannot open: %s", cl->path, strerror(errno));
		return -1;
	}
	line = ini_parse_file(f, ini_cb, cl);
	fclose(f);
	if (line == 0)
		return 0;
	if (line < 0) {
		snprintf(msg, msglen, "%s: cannot read: out of memory", cl->path);
		return -1;
	}
	if (!cl->have_error) /* inih's own syntax error: no key was involved */
		snprintf(msg, msglen, "%s:%d: syntax error (expected '[section]' or 'key = value')",
			 cl->path, line);
	else if (cl->error_section[0])
		snprintf(msg, msglen, "%s:%d: [%s] %s: %s", cl->path, line, cl->error_section,
			 cl->error_key, cl->error);
	else
		snprintf(msg, msglen, "%s:%d: %s: %s", cl->path, line, cl->error_key, cl->error);
	return -1;
}

const char *confload_section_arg(const char *section, const char *prefix)
{
	size_t n = strlen(prefix);

	if (strncmp(section, prefix, n) != 0 || section[n] != ' ' || section[n + 1] == '\0')
		return NULL;
	return section + n + 1;
}
