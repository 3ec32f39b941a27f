/* isotime.c - moments written for people (see isotime.h). */
#include <stdio.h>
#include <time.h>

#include "shrinkwatch/isotime.h"
#include "shrinkwatch/banned.h"

const char *iso_time(int64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!len)
		return out;
	/* 253402300799: 9999-12-31T23:59:59Z */
	if (t < 0 || t > 253402300799LL || !gmtime_r(&tt, &tm) ||
	    !strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, len, "%lld", (long long)t);
	return out;
}
