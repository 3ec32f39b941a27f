/* objstore_cred.c - reading an object store's credentials file (see objstore_cred.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "objstore_cred.h"
#include "shrinkwatch/banned.h"

#define CRED_FILE_MAX (64 * 1024)

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = 0;
	return s;
}

static int put(char *dst, size_t dstlen, const char *v)
{
	size_t n = strlen(v);

	if (n >= dstlen)
		return -1;
	memcpy(dst, v, n + 1);
	return 0;
}

/* Reads the whole file (capped) into buf after checking its type and mode. */
static int read_file(const char *path, char *buf, size_t buflen, char *err, size_t errlen)
{
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);

	if (fd < 0) {
		snprintf(err, errlen, "credentials file '%s': %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "credentials file '%s' is not a regular file", path);
		goto fail;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen, "credentials file '%s' has mode %04o: it holds a secret, "
			 "so group and others must have no access (chmod 600 '%s')", path,
			 (unsigned)(st.st_mode & 07777), path);
		goto fail;
	}
	while ((n = read(fd, buf + got, buflen - 1 - got)) > 0) {
		got += (size_t)n;
		if (got == buflen - 1) {
			snprintf(err, errlen, "credentials file '%s' is larger than %zu bytes", path,
				 buflen - 1);
			goto fail;
		}
	}
	if (n < 0) {
		snprintf(err, errlen, "credentials file '%s': %s", path, strerror(errno));
		goto fail;
	}
	buf[got] = 0;
	close(fd);
	return 0;
fail:
	close(fd);
	return -1;
}

int objstore_cred_load(const char *path, int azure, const char *profile,
		       struct objstore_cred *out, char *err, size_t errlen)
{
	char *text = malloc(CRED_FILE_MAX), section[256] = "", *line, *rest;
	const char *want = profile && *profile ? profile : "default";
	int found = 0, lineno = 0, rc = -1;

	memset(out, 0, sizeof *out);
	if (!text) {
		snprintf(err, errlen, "credentials file '%s': out of memory", path);
		return -1;
	}
	if (read_file(path, text, CRED_FILE_MAX, err, errlen))
		goto out;
	for (rest = text; (line = strsep(&rest, "\n"));) {
		char *k, *v, *eq;

		lineno++;
		line = trim(line);
		if (!*line || *line == '#' || *line == ';')
			continue;
		if (*line == '[') {
			char *end = strchr(line, ']');

			if (!end) {
				snprintf(err, errlen, "credentials file '%s' line %d: a section "
					 "without ']'", path, lineno);
				goto out;
			}
			*end = 0;
			k = trim(line + 1);
			if (!strncmp(k, "profile ", 8))
				k = trim(k + 8);
			snprintf(section, sizeof section, "%s", k);
			if (!azure && !strcmp(section, want))
				found = 1;
			continue;
		}
		eq = strchr(line, '=');
		if (!eq) {
			snprintf(err, errlen, "credentials file '%s' line %d: expected KEY = VALUE",
				 path, lineno);
			goto out;
		}
		*eq = 0;
		k = trim(line);
		v = trim(eq + 1);
		if (azure ? section[0] != 0 : strcmp(section, want) != 0)
			continue;
		if (azure && !strcmp(k, "shared_key")) {
			out->kind = OBJSTORE_CRED_AZURE_KEY;
			if (put(out->secret, sizeof out->secret, v))
				goto toolong;
		} else if (azure && !strcmp(k, "sas_token")) {
			out->kind = OBJSTORE_CRED_AZURE_SAS;
			if (put(out->token, sizeof out->token, *v == '?' ? v + 1 : v))
				goto toolong;
		} else if (!azure && !strcmp(k, "aws_access_key_id")) {
			if (put(out->id, sizeof out->id, v))
				goto toolong;
		} else if (!azure && !strcmp(k, "aws_secret_access_key")) {
			if (put(out->secret, sizeof out->secret, v))
				goto toolong;
		} else if (!azure && !strcmp(k, "aws_session_token")) {
			if (put(out->token, sizeof out->token, v))
				goto toolong;
		}
		continue;
toolong:
		snprintf(err, errlen, "credentials file '%s' line %d: the value of %s is too long",
			 path, lineno, k);
		goto out;
	}
	if (azure) {
		if (!out->secret[0] && !out->token[0]) {
			snprintf(err, errlen, "credentials file '%s': no shared_key or sas_token "
				 "before the first section", path);
			goto out;
		}
		if (out->secret[0] && out->token[0]) {
			snprintf(err, errlen, "credentials file '%s': both shared_key and sas_token; "
				 "keep one", path);
			goto out;
		}
		out->kind = out->secret[0] ? OBJSTORE_CRED_AZURE_KEY : OBJSTORE_CRED_AZURE_SAS;
	} else {
		out->kind = OBJSTORE_CRED_S3;
		if (!found) {
			snprintf(err, errlen, "credentials file '%s': no [%s] section", path, want);
			goto out;
		}
		if (!out->id[0] || !out->secret[0]) {
			snprintf(err, errlen, "credentials file '%s': [%s] needs aws_access_key_id "
				 "and aws_secret_access_key", path, want);
			goto out;
		}
	}
	rc = 0;
out:
	explicit_bzero(text, CRED_FILE_MAX);
	free(text);
	if (rc)
		objstore_cred_wipe(out);
	return rc;
}

void objstore_cred_wipe(struct objstore_cred *c)
{
	explicit_bzero(c, sizeof *c);
}
