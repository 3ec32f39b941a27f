/*
 * isotime.h - the one way a moment is written for people: ISO 8601 in UTC
 * with a Z ("2026-11-24T01:00:00Z").  Alert summaries, the audit trail and
 * shrinkwatchctl's tables use it, so that an operator never has to convert a
 * raw Unix timestamp and the same moment reads the same everywhere (machine
 * interfaces, the JSON API and the control socket, keep their numbers).
 */
#ifndef SHRINKWATCH_ISOTIME_H
#define SHRINKWATCH_ISOTIME_H

#include <stddef.h>
#include <stdint.h>

/* Room for any year up to 9999 and the NUL. */
#define ISO_TIME_MAX 24

/*
 * Writes the Unix time t (seconds) as "YYYY-MM-DDTHH:MM:SSZ" into out (len
 * bytes, ISO_TIME_MAX suffices) and returns out, so a call can stand as a
 * printf argument.  A time that cannot be shown that way (before 1970, after
 * 9999) is written as the decimal number of seconds, never lost.
 */
const char *iso_time(int64_t t, char *out, size_t len);

#endif
