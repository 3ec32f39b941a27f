/*
 * client.h - shrinkwatchctl's side of the control socket.
 *
 * One request, one response, each a JSON object on a line (docs/control.md).
 * The response is parsed here, so the commands only pick fields.
 */
#ifndef SHRINKWATCH_CTL_CLIENT_H
#define SHRINKWATCH_CTL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shrinkwatch/buf.h"
#include "shrinkwatch/jsonparse.h"

struct ctl_response {
	char *text;    /* the response line, NUL-terminated (owned) */
	size_t len;
	struct jsonparse_tok *toks; /* owned */
	int ntoks;
};

/*
 * Sends request (one JSON object, no newline) to the socket at path and
 * reads the response.  Returns 0, or prints a clear error to stderr ("cannot
 * connect to ...: is the collector running?") and returns a negative errno.
 */
int ctl_request(const char *path, const char *request, struct ctl_response *resp);
void ctl_response_release(struct ctl_response *resp);

/*
 * One command's request: NUL-terminates req, sends it (socket as for
 * ctl_socket_path()) and reads the answer into resp.  Returns 0 with an
 * answer whose "ok" is true, or 1 after printing why not to stderr as
 * "shrinkwatchctl CMD: ..." (the collector's error escaped for the terminal;
 * resp is then released).
 */
int ctl_call(const char *socket, const char *cmd, struct buf *req, struct ctl_response *resp);

/* The socket to use: --socket, else $SHRINKWATCH_CONTROL, else the default. */
const char *ctl_socket_path(const char *opt);

/*
 * Parses a time for --from/--to/--since: unix seconds ("1700000000"), "now",
 * a relative duration ("-2h", "+30m", "-1d"), or ISO-8601
 * ("2026-11-23T02:00:00Z", "2026-11-23T02:00+01:00", "2026-11-23 02:00",
 * "2026-11-23"; UTC unless an offset is given).  0 or -EINVAL.
 */
int ctl_parse_time(const char *s, int64_t now, int64_t *out);

/*
 * The operator commands' global options (--socket PATH, --socket=PATH,
 * --json) may come before the command name: moves them after it, in place,
 * so each command parses them as its own.  argv[1] is then the command.
 */
void ctl_hoist_globals(int argc, char **argv);

#endif
