/* parse.c - strict value parsers (see parse.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "shrinkwatch/parse.h"
#include "shrinkwatch/banned.h"

int parse_u64(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end)
		return -EINVAL;
	*v = x;
	return 0;
}

/* A number followed by an optional one-letter unit from units/mults. */
static int parse_scaled(const char *s, const char *units, const uint64_t *mults,
			uint64_t *out)
{
	char num[32];
	size_t n;
	const char *u;
	uint64_t v, m = 1;
	int err;

	if (!s)
		return -EINVAL;
	n = strlen(s);
	if (n == 0 || n >= sizeof num)
		return -EINVAL;
	memcpy(num, s, n + 1);
	if (!isdigit((unsigned char)num[n - 1])) {
		u = strchr(units, num[n - 1]);
		if (!u || num[n - 1] == '\0')
			return -EINVAL;
		m = mults[u - units];
		num[n - 1] = '\0';
	}
	err = parse_u64(num, &v);
	if (err)
		return err;
	if (m && v > UINT64_MAX / m)
		return -ERANGE;
	*out = v * m;
	return 0;
}

int parse_duration(const char *s, uint64_t *seconds)
{
	static const uint64_t mults[] = { 1, 60, 3600, 86400, 7 * 86400 };
	uint64_t v;
	int err = parse_scaled(s, "smhdw", mults, &v);

	if (err)
		return err;
	if (v == 0)
		return -ERANGE;
	*seconds = v;
	return 0;
}

int parse_size(const char *s, uint64_t *bytes)
{
	static const uint64_t mults[] = { 1024ull, 1024ull << 10, 1024ull << 20, 1024ull << 30,
					  1024ull, 1024ull << 10, 1024ull << 20, 1024ull << 30 };
	return parse_scaled(s, "kMGTKmgt", mults, bytes);
}

int parse_bool(const char *s, bool *v)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; s && i < 4; i++) {
		if (!strcasecmp(s, yes[i])) {
			*v = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*v = false;
			return 0;
		}
	}
	return -EINVAL;
}

int parse_hostport(const char *s, char *host, unsigned long hostlen, uint16_t *port)
{
	const char *colon, *h = s;
	size_t hl;
	uint64_t p;

	if (!s || !*s)
		return -EINVAL;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':')
			return -EINVAL;
		h = s + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon)
			return -EINVAL;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= hostlen)
		return -EINVAL;
	if (parse_u64(colon + 1, &p) || p == 0 || p > 65535)
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (uint16_t)p;
	return 0;
}

int parse_time_of_day(const char *s, uint32_t *seconds)
{
	unsigned h, m;
	char tail;

	if (!s || strlen(s) != 5 || s[2] != ':' || sscanf(s, "%2u:%2u%c", &h, &m, &tail) != 2)
		return -EINVAL;
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[3]) || h > 23 || m > 59)
		return -EINVAL;
	*seconds = h * 3600 + m * 60;
	return 0;
}
