/*
 * parse.h - strict parsers for config values and command-line arguments.
 *
 * Every function rejects trailing garbage, overflow and empty input, and
 * returns 0 or -EINVAL/-ERANGE, so a config error can always be reported with
 * the key that caused it.
 */
#ifndef SHRINKWATCH_PARSE_H
#define SHRINKWATCH_PARSE_H

#include <stdbool.h>
#include <stdint.h>

/* "90", "90s", "5m", "2h", "1d" -> seconds (> 0 unless allow_zero). */
int parse_duration(const char *s, uint64_t *seconds);
/* "1048576", "512k", "64M", "2G", "1T" (powers of 1024) -> bytes. */
int parse_size(const char *s, uint64_t *bytes);
/* A plain unsigned decimal integer. */
int parse_u64(const char *s, uint64_t *v);
/* yes/no, true/false, on/off, 1/0. */
int parse_bool(const char *s, bool *v);
/* "host:port" or "[v6]:port" -> host (NUL-terminated, up to hostlen-1 bytes)
 * and port (1..65535). */
int parse_hostport(const char *s, char *host, unsigned long hostlen, uint16_t *port);
/* "HH:MM" -> seconds after midnight. */
int parse_time_of_day(const char *s, uint32_t *seconds);

#endif
