/* rrdspace.c - room on the disk for a new RRD file (see rrdspace.h). */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "rrdspace.h"
#include "shrinkwatch/bytes.h"
#include "shrinkwatch/banned.h"

/* librrd's fixed parts, rounded up (rrd_format.h: stat_head, ds_def_t,
 * rra_def_t, pdp_prep_t, cdp_prep_t, rra_ptr_t). */
#define HEAD_BYTES 4096
#define PER_DS 240
#define PER_RRA 136
#define PER_RRA_DS 88

uint64_t rrdspace_needed(const char *const *argv, int argc)
{
	uint64_t nds = 0, nrra = 0, rows = 0;

	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "DS:", 3)) {
			nds++;
		} else if (!strncmp(argv[i], "RRA:", 4)) {
			const char *p = strrchr(argv[i], ':');
			unsigned long long r = p ? strtoull(p + 1, NULL, 10) : 0;

			nrra++;
			rows += r;
		}
	}
	return HEAD_BYTES + nds * PER_DS + nrra * (PER_RRA + nds * PER_RRA_DS) +
	       rows * nds * sizeof(double);
}

/* path's directory, for statvfs: the file itself does not exist yet */
static void dir_of(const char *path, char *out, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(out, len, ".");
	else if (slash == path)
		snprintf(out, len, "/");
	else
		snprintf(out, len, "%.*s", (int)(slash - path), path);
}

int64_t rrdspace_free(const char *path)
{
	char dir[PATH_MAX];
	struct statvfs sv;
	uint64_t avail;

	dir_of(path, dir, sizeof dir);
	if (statvfs(dir, &sv))
		return -1;
	avail = (uint64_t)sv.f_bavail * (uint64_t)(sv.f_frsize ? sv.f_frsize : sv.f_bsize);
	return avail > INT64_MAX ? INT64_MAX : (int64_t)avail;
}

int rrdspace_check(const char *path, uint64_t need, uint64_t keep, char *why, size_t whylen)
{
	int64_t avail = rrdspace_free(path);
	char n[BYTES_FMT_MAX], f[BYTES_FMT_MAX], k[BYTES_FMT_MAX];

	if (avail < 0 || (uint64_t)avail >= need + keep)
		return 0;
	bytes_format((double)need, n, sizeof n);
	bytes_format((double)avail, f, sizeof f);
	bytes_format((double)keep, k, sizeof k);
	if ((uint64_t)avail >= need)
		snprintf(why, whylen, "cannot create '%s': %s (it needs %s and %s must stay "
			 "free for the ledger; %s free)", path, strerror(ENOSPC), n, k, f);
	else
		snprintf(why, whylen, "cannot create '%s': %s (it needs %s; %s free)", path,
			 strerror(ENOSPC), n, f);
	return -ENOSPC;
}
