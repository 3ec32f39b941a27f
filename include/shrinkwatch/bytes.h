/*
 * bytes.h - the one way byte counts are written for people.
 *
 * The dashboard, the detector's alert summaries, the deletion attributions,
 * the notifications and shrinkwatchctl all show sizes; they use this one
 * formatter so that one loss reads the same everywhere it is shown.  Units
 * are binary (IEC: 1 KiB = 1024 B), as the rest of the product counts.
 */
#ifndef SHRINKWATCH_BYTES_H
#define SHRINKWATCH_BYTES_H

#include <stddef.h>

/* Room for every text bytes_format() writes for a value whose magnitude is
 * below 2^63 (at most "-8192.0 PiB") and its NUL. */
#define BYTES_FMT_MAX 32

/*
 * Writes v bytes for people into out and returns out, so that a call can
 * stand as a printf argument.
 *
 * Below 1 KiB the value is a whole number of bytes ("0 B", "512 B").  From
 * 1 KiB on it is divided by 1024 until it is below 1024 or the unit is PiB,
 * and shown with one decimal: "1.0 KiB", "66.2 MiB", "37.2 GiB",
 * "2048.0 PiB".  The decimal is rounded, so a value just below a unit's
 * next step may read "1024.0 KiB".  A negative value keeps its sign and is
 * scaled by its magnitude ("-9.2 GiB"): the detector's observed change is
 * negative when a store shrinks.  A value that is not a number or infinite
 * is written "-", as tables show an unknown.
 *
 * out gets at most outlen - 1 bytes and a NUL (outlen must be at least 1);
 * BYTES_FMT_MAX bytes hold the whole text of every value below 2^63 in
 * magnitude, a larger one is cut at outlen.
 */
const char *bytes_format(double v, char *out, size_t outlen);

#endif
