/*
 * control_proto.h - what the collector's control socket and shrinkwatchctl
 * agree on: where the socket is by default and how large a request and a
 * response may be (docs/control.md).  Both programs include this, so neither
 * can grow a limit the other does not know.
 */
#ifndef SHRINKWATCH_CONTROL_PROTO_H
#define SHRINKWATCH_CONTROL_PROTO_H

#define CONTROL_DEFAULT_PATH "/run/shrinkwatch/control.sock"
/* One request line, newline included: larger ones are refused, not read. */
#define CONTROL_REQUEST_MAX (64 * 1024)
/* One response line: the largest listing the collector answers with. */
#define CONTROL_RESPONSE_MAX (8 * 1024 * 1024)

#endif
