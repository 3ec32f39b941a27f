/*
 * client.c - talking to the collector's control socket (see client.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "shrinkwatch/control_proto.h"
#include "client.h"
#include "shrinkwatch/parse.h"
#include "shrinkwatch/termesc.h"
#include "shrinkwatch/banned.h"

const char *ctl_socket_path(const char *opt)
{
	const char *env = getenv("SHRINKWATCH_CONTROL");

	if (opt && *opt)
		return opt;
	return env && *env ? env : CONTROL_DEFAULT_PATH;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int ctl_request(const char *path, const char *request, struct ctl_response *resp)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct buf in;
	char chunk[8192];
	int fd = -1, err, n;
	uint8_t *nl = NULL;

	memset(resp, 0, sizeof *resp);
	buf_init(&in, CONTROL_RESPONSE_MAX + 1);
	if (strlen(path) >= sizeof sa.sun_path) {
		fprintf(stderr, "shrinkwatchctl: socket path '%s' is too long\n", path);
		err = -ENAMETOOLONG;
		goto out;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
		err = -errno;
		fprintf(stderr, "shrinkwatchctl: cannot connect to '%s': %s: is the collector "
				"running? (--socket PATH, or the collector's 'control' key)\n",
			path, strerror(-err));
		goto out;
	}
	if ((err = write_all(fd, request, strlen(request))) || (err = write_all(fd, "\n", 1))) {
		fprintf(stderr, "shrinkwatchctl: cannot send to '%s': %s\n", path, strerror(-err));
		goto out;
	}
	while (!in.len || !(nl = memchr(in.data, '\n', in.len))) {
		ssize_t r = read(fd, chunk, sizeof chunk);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			fprintf(stderr, "shrinkwatchctl: the collector closed the connection "
					"without an answer\n");
			err = -ECONNRESET;
			goto out;
		}
		if ((err = buf_append(&in, chunk, (size_t)r))) {
			fprintf(stderr, "shrinkwatchctl: the answer is too long\n");
			goto out;
		}
	}
	resp->len = (size_t)(nl - in.data);
	resp->text = malloc(resp->len + 1);
	resp->toks = calloc(resp->len + 1, sizeof *resp->toks);
	if (!resp->text || !resp->toks) {
		err = -ENOMEM;
		goto out;
	}
	memcpy(resp->text, in.data, resp->len);
	resp->text[resp->len] = '\0';
	n = jsonparse(resp->text, resp->len, resp->toks, resp->len + 1);
	if (n < 0 || resp->toks[0].type != JSONPARSE_OBJECT) {
		fprintf(stderr, "shrinkwatchctl: the collector's answer is not valid JSON\n");
		err = -EPROTO;
		goto out;
	}
	resp->ntoks = n;
	err = 0;
out:
	if (fd >= 0)
		close(fd);
	buf_release(&in);
	if (err)
		ctl_response_release(resp);
	return err;
}

void ctl_response_release(struct ctl_response *resp)
{
	free(resp->text);
	free(resp->toks);
	memset(resp, 0, sizeof *resp);
}

int ctl_call(const char *socket, const char *cmd, struct buf *req, struct ctl_response *resp)
{
	char err[1024];
	bool ok = false;

	if (buf_append(req, "", 1)) {
		fprintf(stderr, "shrinkwatchctl %s: request too long\n", cmd);
		return 1;
	}
	if (ctl_request(ctl_socket_path(socket), (const char *)req->data, resp))
		return 1;
	jsonparse_get_bool(resp->text, resp->toks, 0, "ok", &ok);
	if (ok)
		return 0;
	if (jsonparse_get_str(resp->text, resp->toks, 0, "error", err, sizeof err))
		snprintf(err, sizeof err, "the collector refused the request");
	fprintf(stderr, "shrinkwatchctl %s: ", cmd);
	term_fputs(err, stderr);
	fputc('\n', stderr);
	ctl_response_release(resp);
	return 1;
}

static int parse_offset(const char *s, long *off)
{
	int h, m;

	if (!strcmp(s, "Z") || !*s) {
		*off = 0;
		return 0;
	}
	if ((s[0] != '+' && s[0] != '-') || sscanf(s + 1, "%2d:%2d", &h, &m) != 2 ||
	    strlen(s) != 6 || h > 23 || m > 59)
		return -EINVAL;
	*off = (s[0] == '-' ? -1 : 1) * (h * 3600L + m * 60L);
	return 0;
}

int ctl_parse_time(const char *s, int64_t now, int64_t *out)
{
	static const char *const formats[] = {
		"%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M",
		"%Y-%m-%d",
	};
	uint64_t v;
	struct tm tm;
	long off;

	if (!s || !*s)
		return -EINVAL;
	if (!strcmp(s, "now")) {
		*out = now;
		return 0;
	}
	if (s[0] == '-' || s[0] == '+') {
		if (parse_duration(s + 1, &v) || v > (uint64_t)INT32_MAX * 16)
			return -EINVAL;
		*out = s[0] == '-' ? now - (int64_t)v : now + (int64_t)v;
		return 0;
	}
	if (parse_u64(s, &v) == 0) {
		if (v > (uint64_t)INT64_MAX / 2)
			return -EINVAL;
		*out = (int64_t)v;
		return 0;
	}
	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
		const char *end;

		memset(&tm, 0, sizeof tm);
		end = strptime(s, formats[i], &tm);
		if (!end || parse_offset(end, &off))
			continue;
		*out = (int64_t)timegm(&tm) - off;
		return 0;
	}
	return -EINVAL;
}

void ctl_hoist_globals(int argc, char **argv)
{
	int k = 1;

	while (k < argc) {
		if (!strcmp(argv[k], "--json") || !strncmp(argv[k], "--socket=", 9))
			k++;
		else if (!strcmp(argv[k], "--socket") && k + 1 < argc)
			k += 2;
		else
			break;
	}
	if (k == 1 || k >= argc)
		return;
	/* rotate argv[1..k] right by one: the command first, then the globals */
	char *cmd = argv[k];
	memmove(&argv[2], &argv[1], (size_t)(k - 1) * sizeof *argv);
	argv[1] = cmd;
}
