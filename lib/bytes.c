/* bytes.c - byte counts for people, in binary units (see bytes.h). */
#include <math.h>
#include <stdio.h>

#include "shrinkwatch/bytes.h"
#include "shrinkwatch/banned.h"

const char *bytes_format(double v, char *out, size_t outlen)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	size_t u = 0;

	if (!isfinite(v)) {
		snprintf(out, outlen, "-");
		return out;
	}
	if (v == 0)
		v = 0; /* -0.0 reads "0 B" */
	while (fabs(v) >= 1024 && u + 1 < sizeof unit / sizeof unit[0]) {
		v /= 1024;
		u++;
	}
	snprintf(out, outlen, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
	return out;
}
